// Package controlplane runs a real Kubernetes control plane on loopback for
// a test: Debian's etcd and a kube-apiserver built from the Kubernetes
// sources, with certificates of their own, a static admin token,
// service-account keys and RBAC authorisation. No controller manager,
// scheduler or kubelet runs: what they would do, the caller does.
//
// Both servers are children of the caller and die with it (SIGKILL on the
// parent's death), so an interrupted run leaves neither behind.
package controlplane

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options say where the binaries are and where the control plane keeps
// its files.
type Options struct {
	// Dir holds the certificates, the token file, etcd's data and both
	// servers' logs. It must exist.
	Dir string
	// APIServer and Etcd are the binaries.
	APIServer, Etcd string
	// Ports on 127.0.0.1.
	EtcdClientPort, EtcdPeerPort, APIServerPort int
	// ServiceCIDR is the range Services' cluster IPs come from.
	ServiceCIDR string
	// StartTimeout bounds how long the API server may take to be ready.
	StartTimeout time.Duration
}

// ControlPlane is a running etcd and API server.
type ControlPlane struct {
	// URL is the API server's address, https://127.0.0.1:<port>.
	URL string
	// Token is a bearer token of a member of system:masters.
	Token string
	// CA is the PEM certificate the API server's serving certificate
	// chains to.
	CA []byte
	// Kubeconfig is the path of a kubeconfig for URL, CA and Token.
	Kubeconfig string
	// Version is the API server's /version gitVersion.
	Version string
	// Started is how long the API server took to become ready.
	Started time.Duration

	dir       string
	etcd, api *exec.Cmd
	etcdDone  chan error
	apiDone   chan error
}

// Start starts etcd, then the API server, and returns once the API server
// is ready (/readyz) and has said its version.
func Start(ctx context.Context, o Options) (*ControlPlane, error) {
	if o.StartTimeout == 0 {
		o.StartTimeout = 3 * time.Minute
	}
	if o.ServiceCIDR == "" {
		o.ServiceCIDR = "10.96.0.0/16"
	}
	for _, bin := range []string{o.APIServer, o.Etcd} {
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("controlplane: %w", err)
		}
	}
	c := &ControlPlane{dir: o.Dir, URL: fmt.Sprintf("https://127.0.0.1:%d", o.APIServerPort)}
	files, err := c.writeCredentials()
	if err != nil {
		return nil, err
	}

	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", o.EtcdClientPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", o.EtcdPeerPort)
	c.etcd, c.etcdDone, err = start(o.Etcd, filepath.Join(o.Dir, "etcd.log"),
		"--name=k8stest", "--data-dir="+filepath.Join(o.Dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=k8stest="+peerURL, "--initial-cluster-state=new",
		"--log-level=warn")
	if err != nil {
		return nil, fmt.Errorf("controlplane: etcd: %w", err)
	}
	if err := waitHTTP(ctx, etcdURL+"/health", nil, "", 30*time.Second, c.etcdDone); err != nil {
		c.Stop(5 * time.Second)
		return nil, fmt.Errorf("controlplane: etcd did not become healthy: %w\n%s", err, tail(filepath.Join(o.Dir, "etcd.log"), 20))
	}

	begun := time.Now()
	c.api, c.apiDone, err = start(o.APIServer, filepath.Join(o.Dir, "kube-apiserver.log"),
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(o.APIServerPort),
		"--cert-dir="+filepath.Join(o.Dir, "apiserver-certs"),
		"--tls-cert-file="+files.servingCert, "--tls-private-key-file="+files.servingKey,
		"--client-ca-file="+files.ca,
		"--token-auth-file="+files.tokens,
		"--authorization-mode=RBAC",
		"--anonymous-auth=false",
		"--allow-privileged=false",
		"--service-cluster-ip-range="+o.ServiceCIDR,
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+files.saPublic,
		"--service-account-signing-key-file="+files.saPrivate,
		"--api-audiences=https://kubernetes.default.svc",
		"--profiling=false",
		"--v=1")
	if err != nil {
		c.Stop(5 * time.Second)
		return nil, fmt.Errorf("controlplane: kube-apiserver: %w", err)
	}
	if err := waitHTTP(ctx, c.URL+"/readyz", c.CA, c.Token, o.StartTimeout, c.apiDone); err != nil {
		c.Stop(5 * time.Second)
		return nil, fmt.Errorf("controlplane: the API server was not ready within %s: %w\n%s", o.StartTimeout, err,
			tail(filepath.Join(o.Dir, "kube-apiserver.log"), 30))
	}
	c.Started = time.Since(begun)
	var version struct {
		GitVersion string `json:"gitVersion"`
	}
	body, err := get(ctx, c.URL+"/version", c.CA, c.Token)
	if err == nil {
		err = json.Unmarshal(body, &version)
	}
	if err != nil || version.GitVersion == "" {
		c.Stop(5 * time.Second)
		return nil, fmt.Errorf("controlplane: /version: %v %s", err, body)
	}
	c.Version = version.GitVersion
	return c, nil
}

// credentials are the files the servers are started with.
type credentials struct {
	ca, servingCert, servingKey, tokens, saPublic, saPrivate string
}

// writeCredentials makes a CA, the API server's serving certificate, the
// service-account signing key and the admin token, and writes the
// kubeconfig.
func (c *ControlPlane) writeCredentials() (credentials, error) {
	p := func(name string) string { return filepath.Join(c.dir, name) }
	f := credentials{ca: p("ca.crt"), servingCert: p("apiserver.crt"), servingKey: p("apiserver.key"),
		tokens: p("tokens.csv"), saPublic: p("sa.pub"), saPrivate: p("sa.key")}

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return f, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "k8stest-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, BasicConstraintsValid: true, IsCA: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return f, err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	c.CA = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return f, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "kube-apiserver"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return f, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return f, err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return f, err
	}
	saPriv, err := x509.MarshalECPrivateKey(saKey)
	if err != nil {
		return f, err
	}
	saPub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return f, err
	}
	c.Token = rand.Text()
	writes := []struct {
		path string
		data []byte
	}{
		{f.ca, c.CA},
		{f.servingCert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})},
		{f.servingKey, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})},
		{f.saPrivate, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: saPriv})},
		{f.saPublic, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPub})},
		// token,user,uid,"group": the admin is a member of system:masters.
		{f.tokens, []byte(c.Token + `,k8stest-admin,k8stest-admin,"system:masters"` + "\n")},
	}
	for _, w := range writes {
		if err := os.WriteFile(w.path, w.data, 0o600); err != nil {
			return f, err
		}
	}
	c.Kubeconfig = p("kubeconfig")
	return f, os.WriteFile(c.Kubeconfig, []byte(kubeconfig(c.URL, c.CA, c.Token)), 0o600)
}

func kubeconfig(server string, ca []byte, token string) string {
	b, _ := json.Marshal(map[string]any{
		"apiVersion":      "v1",
		"kind":            "Config",
		"current-context": "k8stest",
		"clusters": []any{map[string]any{"name": "k8stest", "cluster": map[string]any{
			"server": server, "certificate-authority-data": ca}}},
		"users":    []any{map[string]any{"name": "admin", "user": map[string]any{"token": token}}},
		"contexts": []any{map[string]any{"name": "k8stest", "context": map[string]any{"cluster": "k8stest", "user": "admin"}}},
	})
	return string(b)
}

// start runs bin with args, its output to logPath, in a process group of
// its own and killed when the caller dies.
func start(bin, logPath string, args ...string) (*exec.Cmd, chan error, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, nil, err
	}
	done := make(chan error, 1)
	go func() {
		done <- cmd.Wait()
		log.Close()
		close(done)
	}()
	return cmd, done, nil
}

// waitHTTP polls url until it answers 200, the process behind it ends or
// limit passes.
func waitHTTP(ctx context.Context, url string, ca []byte, token string, limit time.Duration, exited <-chan error) error {
	deadline := time.Now().Add(limit)
	var last error
	for {
		body, err := get(ctx, url, ca, token)
		if err == nil {
			return nil
		}
		last = fmt.Errorf("%w %s", err, bytes.TrimSpace(body))
		select {
		case err := <-exited:
			return fmt.Errorf("the process ended: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return last
		}
	}
}

func get(ctx context.Context, url string, ca []byte, token string) ([]byte, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	if ca != nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(ca)
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return body, nil
}

// Stop stops the API server, then etcd, each with SIGTERM and then
// SIGKILL after grace, and waits for both to be gone. It says which
// needed SIGKILL (the API server's graceful termination can outlast a
// short grace on a loaded machine; its data is thrown away anyway).
func (c *ControlPlane) Stop(grace time.Duration) (killed []string) {
	for _, p := range []struct {
		cmd  *exec.Cmd
		done chan error
	}{{c.api, c.apiDone}, {c.etcd, c.etcdDone}} {
		if p.cmd == nil || p.cmd.Process == nil {
			continue
		}
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
			killed = append(killed, filepath.Base(p.cmd.Path))
		}
	}
	return killed
}

// Log returns the last lines of the API server's log.
func (c *ControlPlane) Log(lines int) string {
	return tail(filepath.Join(c.dir, "kube-apiserver.log"), lines)
}

func tail(path string, lines int) string {
	b, _ := os.ReadFile(path)
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
