// Package apiclient asks a running `pagerlens serve` over its HTTP API
// (internal/server/api): the commands' --url mode, with the server's basic
// auth and TLS.
package apiclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// Options are how to reach serve.
type Options struct {
	// URL is serve's base URL, e.g. http://localhost:9464.
	URL string
	// User and PasswordFile are basic-auth credentials (a user of the web
	// config's basic_auth_users); the password is read from the file, never
	// from a flag, so that it is not in the process list.
	User, PasswordFile string
	// CAFile verifies serve's TLS certificate (default: the system's roots).
	CAFile string
}

// Client is serve's API.
type Client struct {
	base       *url.URL
	user, pass string
	http       *http.Client
}

// New checks o and builds a client.
func New(o Options) (*Client, error) {
	u, err := url.Parse(strings.TrimSuffix(o.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--url %q: want serve's address such as http://localhost:9464", o.URL)
	}
	c := &Client{base: u, user: o.User}
	if o.PasswordFile != "" {
		if o.User == "" {
			return nil, errors.New("--basic-auth-password-file needs --basic-auth-user")
		}
		b, err := os.ReadFile(o.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("--basic-auth-password-file: %w", err)
		}
		c.pass = strings.TrimRight(string(b), "\r\n")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-file %s: no PEM certificate in it", o.CAFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	// No overall timeout: a large export or a slow report streams as long
	// as it takes; the command's context (Ctrl-C) ends it.
	c.http = &http.Client{Transport: tr, Timeout: 0}
	return c, nil
}

// Response is a successful answer; the caller closes Body.
type Response = http.Response

// Get asks path with q and returns a 2xx answer; any other is an error
// carrying serve's message.
func (c *Client) Get(ctx context.Context, path string, q url.Values) (*Response, error) {
	return c.do(ctx, http.MethodGet, path, q, nil)
}

// Post sends body to path with q.
func (c *Client) Post(ctx context.Context, path string, q url.Values, body string) (*Response, error) {
	return c.do(ctx, http.MethodPost, path, q, strings.NewReader(body))
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, body io.Reader) (*Response, error) {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ask serve at %s: %w", c.base, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	text := strings.TrimSpace(string(msg))
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		text += " (check --basic-auth-user and --basic-auth-password-file)"
	}
	return nil, fmt.Errorf("serve at %s answered %s to %s %s: %s", c.base, resp.Status, method, path, text)
}
