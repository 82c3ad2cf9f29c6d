package deliver

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/wneessen/go-mail"
)

// emailMessage builds the multipart message: the summary as text/plain;
// an HTML export as the text/html alternative, with its charts as inline
// image parts when the export supplied them (Written.EmailHTML: the file's
// charts are inline SVG, which most mail clients drop); any other export
// attached.
func emailMessage(w Written, e Email) (*mail.Msg, error) {
	m := mail.NewMsg()
	if err := m.From(e.From); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := m.To(e.To...); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	if len(e.Cc) > 0 {
		if err := m.Cc(e.Cc...); err != nil {
			return nil, fmt.Errorf("cc: %w", err)
		}
	}
	m.Subject(w.subject(e))
	m.SetDateWithValue(time.Now())
	m.SetMessageID()
	m.SetBodyString(mail.TypeTextPlain, w.Summary.Text()+"\nThe full export is "+htmlOrAttached(w)+" of this message.\n")
	if w.Format == "html" {
		b := w.EmailHTML
		if b == nil {
			var err error
			if b, err = os.ReadFile(w.Path); err != nil {
				return nil, fmt.Errorf("read the export: %w", err)
			}
		}
		m.AddAlternativeString(mail.TypeTextHTML, string(b))
		for _, im := range w.Inline {
			if err := m.EmbedReader(im.Name, bytes.NewReader(im.Data), mail.WithFileContentType(mail.ContentType(im.ContentType)),
				mail.WithFileContentID("<"+im.Name+">")); err != nil {
				return nil, fmt.Errorf("embed %s: %w", im.Name, err)
			}
		}
	} else {
		f, err := os.Open(w.Path)
		if err != nil {
			return nil, fmt.Errorf("read the export: %w", err)
		}
		defer f.Close()
		// AttachReader reads the file now: the message owns its bytes.
		if err := m.AttachReader(w.fileName(), f, mail.WithFileContentType(contentType(w.Format))); err != nil {
			return nil, fmt.Errorf("attach the export: %w", err)
		}
	}
	return m, nil
}

func htmlOrAttached(w Written) string {
	if w.Format == "html" {
		return "as the HTML part"
	}
	return "attached (" + w.fileName() + ")"
}

// contentType is the attachment's MIME type by export format.
func contentType(format string) mail.ContentType {
	switch format {
	case "csv":
		return "text/csv"
	case "json":
		return "application/json"
	case "jsonl":
		return "application/jsonl"
	case "md":
		return "text/markdown"
	case "parquet":
		return "application/vnd.apache.parquet"
	}
	return mail.TypeAppOctetStream
}

// sendEmail sends m through e's relay: STARTTLS required unless switched
// off (loopback only, checked by the config), AUTH PLAIN when a username
// is set. The password is read from its file at each send.
func sendEmail(ctx context.Context, e Email, m *mail.Msg) error {
	s := e.SMTP
	opts := []mail.Option{mail.WithPort(s.port()), mail.WithTimeout(30 * time.Second)}
	if s.startTLS() {
		tc := &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
		if s.CAFile != "" {
			pem, err := os.ReadFile(s.CAFile)
			if err != nil {
				return permanent(fmt.Errorf("ca_file: %w", err))
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return permanent(fmt.Errorf("ca_file %s: no PEM certificate in it", s.CAFile))
			}
			tc.RootCAs = pool
		}
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory), mail.WithTLSConfig(tc))
	} else {
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if s.Username != "" {
		pw, err := readSecret(s.PasswordFile)
		if err != nil {
			return permanent(fmt.Errorf("password_file: %w", err))
		}
		auth := mail.SMTPAuthPlain
		if !s.startTLS() {
			// Loopback only (Problems refuses anything else).
			auth = mail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(s.Username), mail.WithPassword(pw))
	}
	c, err := mail.NewClient(s.Host, opts...)
	if err != nil {
		return permanent(fmt.Errorf("smtp client: %w", err))
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("smtp %s:%d: %w", s.Host, s.port(), err)
	}
	return nil
}
