package mailer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/internal/smtpsink"
	"github.com/elkgezin/elkgezin/mailer"
)

func TestNoPlainTextToARemoteServer(t *testing.T) {
	plain := smtpsink.Start(t)
	s := mailer.NewSender(mailer.Config{Addr: plain.Addr(), From: "noreply@elkgezin.test", Timeout: 5 * time.Second})
	mailer.TreatAsRemote(s)
	err := s.Send(context.Background(), message())
	t.Logf("no STARTTLS: %v", err)
	if !errors.Is(err, mailer.ErrNoTLS) || mailer.IsPermanent(err) || !strings.Contains(err.Error(), "SMTP_TLS=implicit") {
		t.Fatalf("a remote server without STARTTLS: err = %v, want ErrNoTLS, retryable, saying what to do", err)
	}
	if n := plain.Count(func(smtpsink.Received) bool { return true }); n != 0 {
		t.Fatalf("%d messages reached the server in plain text", n)
	}

	// The same server on this machine may be spoken to in plain text.
	local := mailer.NewSender(mailer.Config{Addr: plain.Addr(), From: "noreply@elkgezin.test", Timeout: 5 * time.Second})
	if err := local.Send(context.Background(), message()); err != nil {
		t.Fatalf("loopback server: %v", err)
	}

	// A remote server with STARTTLS gets the message, encrypted.
	secure := smtpsink.StartTLS(t)
	s = mailer.NewSender(mailer.Config{Addr: secure.Addr(), From: "noreply@elkgezin.test", Timeout: 5 * time.Second,
		TLS: &tls.Config{RootCAs: secure.RootCAs()}})
	mailer.TreatAsRemote(s)
	if err := s.Send(context.Background(), message()); err != nil {
		t.Fatalf("remote server with STARTTLS: %v", err)
	}
	if got := secure.WaitFor(t, func(smtpsink.Received) bool { return true }, 5*time.Second); !got.TLS {
		t.Error("the message did not arrive over TLS")
	}
}

func TestImplicitTLS(t *testing.T) {
	sink := smtpsink.Start(t)
	addr, roots := tlsFront(t, sink.Addr())
	s := mailer.NewSender(mailer.Config{Addr: addr, From: "noreply@elkgezin.test", Timeout: 5 * time.Second,
		ImplicitTLS: true, TLS: &tls.Config{RootCAs: roots, ServerName: "smtp.test"}})
	mailer.TreatAsRemote(s)
	if err := s.Send(context.Background(), message()); err != nil {
		t.Fatalf("implicit TLS: %v", err)
	}
	sink.WaitFor(t, func(m smtpsink.Received) bool { return m.MessageID == message().MessageID }, 5*time.Second)
}

// tlsFront listens with TLS (a fresh certificate for smtp.test) and hands
// each decrypted connection to the plain SMTP server at backend: an SMTPS
// server, as a TLS-terminating relay makes one.
func tlsFront(t *testing.T, backend string) (string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp.test"},
		DNSNames: []string{"smtp.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			front, err := l.Accept()
			if err != nil {
				return
			}
			back, err := net.Dial("tcp", backend)
			if err != nil {
				front.Close()
				continue
			}
			go func() { _, _ = io.Copy(back, front); back.Close() }()
			go func() { _, _ = io.Copy(front, back); front.Close() }()
		}
	}()
	return l.Addr().String(), roots
}
