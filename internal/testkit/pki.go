package testkit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PKI is a throw-away CA with a server certificate for 127.0.0.1 (and
// localhost) and a client certificate, written as PEM files. A client that
// trusts Pool verifies the server; a server that trusts Pool verifies the
// client.
type PKI struct {
	CAFile, CertFile, KeyFile     string // client side
	ServerCertFile, ServerKeyFile string
	Pool                          *x509.CertPool
	Server, Client                tls.Certificate
}

// NewPKI writes a fresh PKI to a temporary directory of the test.
func NewPKI(tb testing.TB) *PKI {
	tb.Helper()
	dir := tb.TempDir()
	caKey := mustKey(tb)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pagerlens test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		tb.Fatal(err)
	}
	p := &PKI{Pool: x509.NewCertPool()}
	p.Pool.AddCert(ca)
	p.CAFile = writePEM(tb, dir, "ca.pem", "CERTIFICATE", caDER, 0o644)
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage) (tls.Certificate, string, string) {
		key := mustKey(tb)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			tb.Fatal(err)
		}
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			tb.Fatal(err)
		}
		certFile := writePEM(tb, dir, name+".pem", "CERTIFICATE", der, 0o644)
		keyFile := writePEM(tb, dir, name+".key", "EC PRIVATE KEY", kder, 0o600)
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			tb.Fatal(err)
		}
		return c, certFile, keyFile
	}
	p.Server, p.ServerCertFile, p.ServerKeyFile = leaf("server", 2, x509.ExtKeyUsageServerAuth)
	p.Client, p.CertFile, p.KeyFile = leaf("client", 3, x509.ExtKeyUsageClientAuth)
	return p
}

func mustKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func writePEM(tb testing.TB, dir, name, typ string, der []byte, mode os.FileMode) string {
	tb.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode); err != nil {
		tb.Fatal(err)
	}
	return path
}
