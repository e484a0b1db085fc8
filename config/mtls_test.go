package config

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// TestMutualTLS connects the way elkgezin connects to a secured cluster:
// TEMPORAL_TLS_* variables naming a client certificate, its key and the
// server's CA. The frontend is a Temporal dev server behind a TLS
// terminator that requires a client certificate signed by the test's CA
// (the dev server has no TLS flags). With the certificate the client
// reaches the namespace; without it, or without TLS, it is refused.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t)
	writeFile(t, filepath.Join(dir, "ca.pem"), ca.certPEM)
	server := ca.issue(t, "temporal.test", x509.ExtKeyUsageServerAuth)
	client := ca.issue(t, "elkgezin-worker", x509.ExtKeyUsageClientAuth)
	writeFile(t, filepath.Join(dir, "client.pem"), client.certPEM)
	writeFile(t, filepath.Join(dir, "client.key"), client.keyPEM)
	stranger := newCA(t).issue(t, "stranger", x509.ExtKeyUsageClientAuth)
	writeFile(t, filepath.Join(dir, "stranger.pem"), stranger.certPEM)
	writeFile(t, filepath.Join(dir, "stranger.key"), stranger.keyPEM)

	devServer := startDevServer(t)
	frontend := tlsTerminator(t, server, ca.pool, devServer)

	base := map[string]string{
		"TEMPORAL_ADDRESS": frontend, "TEMPORAL_NAMESPACE": "default",
		"TEMPORAL_CONFIG_FILE":             filepath.Join(dir, "none.toml"),
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH": filepath.Join(dir, "ca.pem"),
		"TEMPORAL_TLS_SERVER_NAME":         "temporal.test",
	}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}

	if err := dialAndDescribe(t, with(map[string]string{
		"TEMPORAL_TLS_CLIENT_CERT_PATH": filepath.Join(dir, "client.pem"),
		"TEMPORAL_TLS_CLIENT_KEY_PATH":  filepath.Join(dir, "client.key"),
	})); err != nil {
		t.Fatalf("with the client certificate: %v", err)
	}
	for name, env := range map[string]map[string]string{
		"no client certificate": with(nil),
		"a certificate of another CA": with(map[string]string{
			"TEMPORAL_TLS_CLIENT_CERT_PATH": filepath.Join(dir, "stranger.pem"),
			"TEMPORAL_TLS_CLIENT_KEY_PATH":  filepath.Join(dir, "stranger.key"),
		}),
		"plaintext": {"TEMPORAL_ADDRESS": frontend, "TEMPORAL_CONFIG_FILE": filepath.Join(dir, "none.toml")},
	} {
		if err := dialAndDescribe(t, env); err == nil {
			t.Errorf("%s: the frontend let the client in", name)
		}
	}
}

func dialAndDescribe(t *testing.T, env map[string]string) error {
	t.Helper()
	c, err := Load("setup", lookupFrom(env))
	if err != nil {
		t.Fatal(err)
	}
	opts, err := c.Temporal.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tc, err := client.DialContext(ctx, opts)
	if err != nil {
		return err
	}
	defer tc.Close()
	_, err = tc.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	return err
}

// startDevServer runs bin/temporal's dev server on a free port.
func startDevServer(t *testing.T) string {
	t.Helper()
	bin, _ := filepath.Abs("../bin/temporal")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("no Temporal CLI at %s: run deploy/install-tools temporal", bin)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	addr := net.JoinHostPort("127.0.0.1", itoa(port))
	cmd := exec.Command(bin, "server", "start-dev", "--ip", "127.0.0.1", "--port", itoa(port),
		"--headless", "--log-level", "error")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := client.DialContext(ctx, client.Options{HostPort: addr})
		cancel()
		if err == nil {
			c.Close()
			return addr
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("the dev server did not answer on %s within a minute", addr)
	return ""
}

// tlsTerminator listens with TLS, requires a client certificate signed by
// clientCAs and forwards each connection to backend in plaintext: what a
// Temporal frontend with mTLS, or a proxy in front of one, does.
func tlsTerminator(t *testing.T, cert issued, clientCAs *x509.CertPool, backend string) string {
	t.Helper()
	pair, err := tls.X509KeyPair(cert.certPEM, cert.keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCAs,
		NextProtos:   []string{"h2"},
		MinVersion:   tls.VersionTLS12,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go forward(conn, backend)
		}
	}()
	return l.Addr().String()
}

func forward(conn net.Conn, backend string) {
	defer conn.Close()
	if err := conn.(*tls.Conn).Handshake(); err != nil {
		return // no or a wrong client certificate: refused here
	}
	up, err := net.Dial("tcp", backend)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, conn); done <- struct{}{} }()
	go func() { _, _ = io.Copy(conn, up); done <- struct{}{} }()
	<-done
}

type issued struct{ certPEM, keyPEM []byte }

type authority struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
	pool    *x509.CertPool
}

func newCA(t *testing.T) authority {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "elkgezin test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return authority{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pool: pool}
}

func (a authority) issue(t *testing.T, name string, usage x509.ExtKeyUsage) issued {
	t.Helper()
	key := newKey(t)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return issued{
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func writeFile(t *testing.T, path string, data any) {
	t.Helper()
	var b []byte
	switch d := data.(type) {
	case string:
		b = []byte(d)
	case []byte:
		b = d
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
