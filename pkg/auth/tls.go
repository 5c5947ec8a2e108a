package auth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc/credentials"
)

// ServerTLS returns server credentials for mutual TLS: the server presents
// certFile/keyFile and accepts only clients whose certificate chains to a CA
// of clientCAFile. A client without a certificate fails the handshake.
//
// The key pair is read again when its files change, so that a renewed
// certificate (as cert-manager writes it into a mounted secret) is used
// without a restart.
func ServerTLS(certFile, keyFile, clientCAFile string) (credentials.TransportCredentials, error) {
	pair, err := newKeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	pool, err := loadPool(clientCAFile)
	if err != nil {
		return nil, err
	}
	return credentials.NewTLS(&tls.Config{
		MinVersion: tls.VersionTLS12,
		ClientAuth: tls.RequireAndVerifyClientCert,
		ClientCAs:  pool,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return pair.get()
		},
	}), nil
}

// ClientTLS returns client credentials that verify the server against the
// CAs of caFile (the system's CAs when caFile is empty) under serverName,
// and present certFile/keyFile when the server asks for a certificate.
// certFile and keyFile are both set or both empty.
func ClientTLS(certFile, keyFile, caFile, serverName string) (credentials.TransportCredentials, error) {
	if serverName == "" {
		return nil, errors.New("auth: the server name to verify is required")
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	switch {
	case certFile != "" && keyFile != "":
		pair, err := newKeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return pair.get()
		}
	case certFile != "" || keyFile != "":
		return nil, errors.New("auth: a client certificate needs both its certificate and its key file")
	}
	if caFile != "" {
		pool, err := loadPool(caFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	return credentials.NewTLS(cfg), nil
}

func loadPool(caFile string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("auth: reading CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("auth: CA file %s holds no PEM certificate", caFile)
	}
	return pool, nil
}

// keyPair is a certificate and its key, read again when either file's
// modification time changes.
type keyPair struct {
	certFile, keyFile string

	mu              sync.Mutex
	cert            *tls.Certificate
	certMod, keyMod time.Time
}

func newKeyPair(certFile, keyFile string) (*keyPair, error) {
	p := &keyPair{certFile: certFile, keyFile: keyFile}
	if _, err := p.get(); err != nil {
		return nil, err
	}
	return p, nil
}

// get returns the current pair. A pair that fails to load (its files caught
// halfway through an update) leaves the previous one in use.
func (p *keyPair) get() (*tls.Certificate, error) {
	certMod, err1 := modTime(p.certFile)
	keyMod, err2 := modTime(p.keyFile)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := errors.Join(err1, err2); err != nil {
		if p.cert != nil {
			return p.cert, nil
		}
		return nil, fmt.Errorf("auth: loading key pair: %w", err)
	}
	if p.cert != nil && certMod.Equal(p.certMod) && keyMod.Equal(p.keyMod) {
		return p.cert, nil
	}
	cert, err := tls.LoadX509KeyPair(p.certFile, p.keyFile)
	if err != nil {
		if p.cert != nil {
			return p.cert, nil
		}
		return nil, fmt.Errorf("auth: loading key pair: %w", err)
	}
	p.cert, p.certMod, p.keyMod = &cert, certMod, keyMod
	return p.cert, nil
}

func modTime(path string) (time.Time, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}, err
	}
	return fi.ModTime(), nil
}
