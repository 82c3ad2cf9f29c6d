package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// Dialer builds the kafka-go dialer for the TLS and SASL settings.
func (k Kafka) Dialer() (*kafka.Dialer, error) {
	d := &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true}
	if k.TLS.Enabled || k.TLS.CAFile != "" || k.TLS.CertFile != "" {
		tc, err := k.TLS.config()
		if err != nil {
			return nil, err
		}
		d.TLS = tc
	}
	if k.SASL.Mechanism != "" {
		m, err := k.SASL.mechanism()
		if err != nil {
			return nil, err
		}
		d.SASLMechanism = m
	}
	return d, nil
}

func (t TLS) config() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // opt-in
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka tls ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka tls ca_file %s: no PEM certificate found", t.CAFile)
		}
		tc.RootCAs = pool
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, fmt.Errorf("kafka tls: cert_file and key_file go together")
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("kafka tls client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// Password returns the SASL password from PasswordFile, else from the
// environment variable PAGERLENS_KAFKA_SASL_PASSWORD.
func (s SASL) Password() (string, error) {
	if s.PasswordFile != "" {
		b, err := os.ReadFile(s.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("kafka sasl password_file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	if v, ok := os.LookupEnv("PAGERLENS_KAFKA_SASL_PASSWORD"); ok {
		return v, nil
	}
	return "", fmt.Errorf("kafka sasl: no password: set sasl.password_file or PAGERLENS_KAFKA_SASL_PASSWORD")
}

func (s SASL) mechanism() (sasl.Mechanism, error) {
	pw, err := s.Password()
	if err != nil {
		return nil, err
	}
	switch strings.ToUpper(s.Mechanism) {
	case "PLAIN":
		return plain.Mechanism{Username: s.Username, Password: pw}, nil
	case "SCRAM-SHA-256":
		m, err := scram.Mechanism(scram.SHA256, s.Username, pw)
		if err != nil {
			return nil, fmt.Errorf("kafka sasl: %w", err)
		}
		return m, nil
	case "SCRAM-SHA-512":
		m, err := scram.Mechanism(scram.SHA512, s.Username, pw)
		if err != nil {
			return nil, fmt.Errorf("kafka sasl: %w", err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("kafka sasl mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism)
}
