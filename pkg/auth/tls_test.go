package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/grpcserver"
)

const serverName = "organisation.gongjian.internal"

// pki is a throwaway certificate authority.
type pki struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	dir  string
}

func newPKI(t *testing.T, name string) *pki {
	t.Helper()
	key := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der := must(x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key))
	ca := &pki{cert: must(x509.ParseCertificate(der)), key: key, dir: t.TempDir()}
	ca.write(t, "ca.pem", "CERTIFICATE", der)
	return ca
}

func (ca *pki) write(t *testing.T, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(ca.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (ca *pki) caFile() string { return filepath.Join(ca.dir, "ca.pem") }

// issue writes a leaf certificate and its key as name.pem and name-key.pem.
func (ca *pki) issue(t *testing.T, name string, serial int64, usage x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	key := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
	der := must(x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key))
	return ca.write(t, name+".pem", "CERTIFICATE", der), ca.write(t, name+"-key.pem", "PRIVATE KEY", must(x509.MarshalPKCS8PrivateKey(key)))
}

func startTLSServer(t *testing.T, ca *pki, certFile, keyFile string) string {
	t.Helper()
	creds, err := auth.ServerTLS(certFile, keyFile, ca.caFile())
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := startServer(t, grpcserver.Options{ServerOptions: []grpc.ServerOption{grpc.Creds(creds)}})
	return addr
}

func TestMutualTLSRefusesClientsWithoutATrustedCertificate(t *testing.T) {
	t.Parallel()
	ca, stranger := newPKI(t, "platform CA"), newPKI(t, "stranger CA")
	srvCert, srvKey := ca.issue(t, serverName, 2, x509.ExtKeyUsageServerAuth)
	cliCert, cliKey := ca.issue(t, "gateway", 3, x509.ExtKeyUsageClientAuth)
	strangerCert, strangerKey := stranger.issue(t, "intruder", 4, x509.ExtKeyUsageClientAuth)
	tests := []struct {
		name              string
		certFile, keyFile string
		caFile            string
		// The handshake errors of a refusal on the side that refuses; both
		// "" for a client that is served.
		serverErr, clientErr string
	}{
		{name: "a client with a certificate of the platform CA is served", certFile: cliCert, keyFile: cliKey, caFile: ca.caFile()},
		{name: "a client without a certificate is refused", caFile: ca.caFile(), serverErr: "client didn't provide a certificate"},
		{name: "a client with a certificate of another CA is refused", certFile: strangerCert, keyFile: strangerKey, caFile: ca.caFile(),
			serverErr: "certificate signed by unknown authority"},
		{name: "a client that does not trust the server's CA gives up", certFile: cliCert, keyFile: cliKey, caFile: stranger.caFile(),
			clientErr: "certificate signed by unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			serverCreds, err := auth.ServerTLS(srvCert, srvKey, ca.caFile())
			if err != nil {
				t.Fatal(err)
			}
			clientCreds, err := auth.ClientTLS(tt.certFile, tt.keyFile, tt.caFile, serverName)
			if err != nil {
				t.Fatal(err)
			}

			// The handshake alone, to see who refuses and why.
			serverErr, clientErr := handshake(t, serverCreds, clientCreds)
			refused := tt.serverErr != "" || tt.clientErr != ""
			if !refused && (serverErr != nil || clientErr != nil) {
				t.Fatalf("handshake failed: server %v, client %v", serverErr, clientErr)
			}
			if tt.serverErr != "" && (serverErr == nil || !strings.Contains(serverErr.Error(), tt.serverErr)) {
				t.Fatalf("server handshake error %v, want %q", serverErr, tt.serverErr)
			}
			if tt.clientErr != "" && (clientErr == nil || !strings.Contains(clientErr.Error(), tt.clientErr)) {
				t.Fatalf("client handshake error %v, want %q", clientErr, tt.clientErr)
			}

			// A real call: refused before any handler runs.
			addr, rec := startServer(t, grpcserver.Options{ServerOptions: []grpc.ServerOption{grpc.Creds(serverCreds)}})
			_, err = testpb.NewTestServiceClient(dial(t, addr, grpc.WithTransportCredentials(clientCreds))).UnaryCall(t.Context(), &testpb.SimpleRequest{})
			calls, _ := rec.seen()
			if !refused && (err != nil || calls != 1) {
				t.Fatalf("call = %v with %d handler calls, want success", err, calls)
			}
			if refused && (status.Code(err) != codes.Unavailable || calls != 0) {
				t.Fatalf("call = %v with %d handler calls, want Unavailable before the handler", err, calls)
			}
		})
	}
}

// handshake runs one TLS handshake between the credentials over loopback
// TCP and returns each side's error.
func handshake(t *testing.T, server, client credentials.TransportCredentials) (serverErr, clientErr error) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	done := make(chan error, 1)
	go func() {
		conn, err := lis.Accept()
		if err != nil {
			done <- err
			return
		}
		defer conn.Close()
		_, _, err = server.ServerHandshake(conn)
		done <- err
	}()
	raw, err := net.Dial("tcp", lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, _, clientErr = client.ClientHandshake(ctx, serverName, raw)
	if clientErr != nil {
		raw.Close() // the server is waiting for the rest of the handshake
	}
	return <-done, clientErr
}

func TestServerTLSPicksUpARenewedCertificate(t *testing.T) {
	t.Parallel()
	ca := newPKI(t, "platform CA")
	srvCert, srvKey := ca.issue(t, serverName, 10, x509.ExtKeyUsageServerAuth)
	cliCert, cliKey := ca.issue(t, "gateway", 11, x509.ExtKeyUsageClientAuth)
	addr := startTLSServer(t, ca, srvCert, srvKey)
	creds, err := auth.ClientTLS(cliCert, cliKey, ca.caFile(), serverName)
	if err != nil {
		t.Fatal(err)
	}
	serverSerial := func() int64 {
		var p peer.Peer
		conn := dial(t, addr, grpc.WithTransportCredentials(creds))
		if _, err := testpb.NewTestServiceClient(conn).UnaryCall(t.Context(), &testpb.SimpleRequest{}, grpc.Peer(&p)); err != nil {
			t.Fatal(err)
		}
		return p.AuthInfo.(credentials.TLSInfo).State.PeerCertificates[0].SerialNumber.Int64()
	}
	for _, step := range []struct {
		renewTo int64 // 0: no renewal before the call
		want    int64
	}{{0, 10}, {12, 12}} {
		if step.renewTo != 0 {
			ca.issue(t, serverName, step.renewTo, x509.ExtKeyUsageServerAuth)
			later := time.Now().Add(time.Minute) // a distinct mtime, whatever the file system's resolution
			for _, f := range []string{srvCert, srvKey} {
				if err := os.Chtimes(f, later, later); err != nil {
					t.Fatal(err)
				}
			}
		}
		if got := serverSerial(); got != step.want {
			t.Fatalf("server certificate serial %d, want %d", got, step.want)
		}
	}
}

func TestTLSConstructorsRefuseIncompleteInput(t *testing.T) {
	t.Parallel()
	ca := newPKI(t, "platform CA")
	cert, key := ca.issue(t, serverName, 20, x509.ExtKeyUsageServerAuth)
	notPEM := ca.write(t, "garbage.pem", "NOTHING", nil)
	if err := os.WriteFile(notPEM, []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		build   func() (credentials.TransportCredentials, error)
		wantErr string
	}{
		{"server without key file", func() (credentials.TransportCredentials, error) {
			return auth.ServerTLS(cert, filepath.Join(ca.dir, "absent"), ca.caFile())
		}, "loading key pair"},
		{"server with a CA file without certificates", func() (credentials.TransportCredentials, error) {
			return auth.ServerTLS(cert, key, notPEM)
		}, "holds no PEM certificate"},
		{"server with a missing CA file", func() (credentials.TransportCredentials, error) {
			return auth.ServerTLS(cert, key, filepath.Join(ca.dir, "absent"))
		}, "reading CA file"},
		{"client with a certificate but no key", func() (credentials.TransportCredentials, error) {
			return auth.ClientTLS(cert, "", ca.caFile(), serverName)
		}, "both its certificate and its key"},
		{"client without server name", func() (credentials.TransportCredentials, error) {
			return auth.ClientTLS(cert, key, ca.caFile(), "")
		}, "server name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := tt.build(); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
