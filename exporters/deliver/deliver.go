package deliver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/textproto"
	neturl "net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wneessen/go-mail"

	"github.com/pagerlens/pagerlens/internal/metricnames"
)

// Outcomes of a delivery, the outcome label of
// pagerlens_export_deliveries_total.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// Defaults of the retries: DefaultAttempts tries in all, waiting
// DefaultBackoff, then twice as long each time, at most MaxWait; a
// Retry-After longer than MaxWait ends the retries.
const (
	DefaultAttempts = 4
	DefaultBackoff  = 5 * time.Second
	MaxWait         = 2 * time.Minute
)

// Options configure a Deliverer.
type Options struct {
	Logger *slog.Logger
	// Registerer takes pagerlens_export_deliveries_total; nil: not
	// registered.
	Registerer prometheus.Registerer
	// Exports names each export's targets, so that their series exist at
	// 0 from the start.
	Exports map[string][]Target
	// Attempts (default DefaultAttempts) and Backoff (default
	// DefaultBackoff) bound the retries; tests shorten Backoff.
	Attempts int
	Backoff  time.Duration
	// HTTPClient posts to Slack and webhooks; default one with a 30 s
	// timeout.
	HTTPClient *http.Client
}

// Deliverer sends written exports to their targets, retrying each target
// on its own and counting the outcome.
type Deliverer struct {
	o     Options
	log   *slog.Logger
	count *prometheus.CounterVec
}

// New builds a Deliverer and registers its counter.
func New(o Options) (*Deliverer, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	d := &Deliverer{o: o, log: o.Logger, count: metricnames.NewCounterVec(metricnames.ExportDeliveriesTotal)}
	for name, ts := range o.Exports {
		for _, t := range ts {
			if k := t.Kind(); k != "" {
				d.count.WithLabelValues(name, k, OutcomeSuccess)
				d.count.WithLabelValues(name, k, OutcomeFailure)
			}
			if t.Email != nil && !t.Email.SMTP.startTLS() {
				d.log.Warn("export delivers email without STARTTLS: only a relay on loopback is allowed so", "export", name, "host", t.Email.SMTP.Host)
			}
		}
	}
	if err := metricnames.Register(o.Registerer, "deliveries", d.count); err != nil {
		return nil, err
	}
	return d, nil
}

// Result is the outcome of one target.
type Result struct {
	Kind     string
	Attempts int
	Err      error // nil: delivered
}

// Deliver sends w to every target, one after the other, each with its
// retries, and returns each outcome. It neither reads back nor removes
// w.Path beyond reading it for an email.
func (d *Deliverer) Deliver(ctx context.Context, w Written, targets []Target) []Result {
	out := make([]Result, 0, len(targets))
	for _, t := range targets {
		r := d.deliverOne(ctx, w, t)
		out = append(out, r)
		outcome := OutcomeSuccess
		if r.Err != nil {
			outcome = OutcomeFailure
			// The error never holds a secret: secrets are read from files
			// and sent, never formatted into errors.
			d.log.Error("export delivery failed; the file is kept", "export", w.Export, "target", r.Kind,
				"attempts", r.Attempts, "path", w.Path, "err", r.Err)
		} else {
			d.log.Info("export delivered", "export", w.Export, "target", r.Kind, "attempts", r.Attempts)
		}
		d.count.WithLabelValues(w.Export, r.Kind, outcome).Inc()
	}
	return out
}

func (d *Deliverer) deliverOne(ctx context.Context, w Written, t Target) Result {
	r := Result{Kind: t.Kind()}
	if r.Kind == "" {
		r.Err = errors.New("target sets none or several of email, slack, webhook")
		return r
	}
	send, err := d.prepare(w, t)
	if err != nil {
		r.Err = err
		return r
	}
	wait := d.o.Backoff
	for {
		r.Attempts++
		err := send(ctx)
		if err == nil {
			r.Err = nil
			return r
		}
		r.Err = err
		var p permanentError
		if errors.As(err, &p) || r.Attempts >= d.o.Attempts || ctx.Err() != nil {
			return r
		}
		next := wait
		var ra retryAfterError
		if errors.As(err, &ra) {
			if ra.after > MaxWait {
				r.Err = fmt.Errorf("%w (Retry-After %s is over %s: not retried)", err, ra.after, MaxWait)
				return r
			}
			next = max(ra.after, 0)
		}
		select {
		case <-ctx.Done():
			return r
		case <-time.After(next):
		}
		wait = min(wait*2, MaxWait)
	}
}

// prepare builds what is sent once (the message, the payload) and
// returns the send function retried with it.
func (d *Deliverer) prepare(w Written, t Target) (func(context.Context) error, error) {
	switch {
	case t.Email != nil:
		m, err := emailMessage(w, *t.Email)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error { return classifySMTP(sendEmail(ctx, *t.Email, m)) }, nil
	case t.Slack != nil:
		body, err := SlackPayload(w)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			u, err := readSecret(t.Slack.WebhookURLFile)
			if err != nil {
				return permanent(fmt.Errorf("webhook_url_file: %w", err))
			}
			return d.post(ctx, u, "", body, "slack webhook")
		}, nil
	default:
		return func(ctx context.Context) error {
			tok := ""
			if f := t.Webhook.BearerTokenFile; f != "" {
				var err error
				if tok, err = readSecret(f); err != nil {
					return permanent(fmt.Errorf("bearer_token_file: %w", err))
				}
			}
			return d.post(ctx, t.Webhook.URL, tok, w.JSON, "webhook "+t.Webhook.URL)
		}, nil
	}
}

// post sends body as JSON. 2xx is delivered; 429 and 5xx are retried
// (honouring Retry-After); any other status is permanent. name says where
// the post went in errors: never the Slack URL, which is a credential.
func (d *Deliverer) post(ctx context.Context, url, bearer string, body []byte, name string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return permanent(fmt.Errorf("%s: bad URL", name))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "pagerlens")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := d.o.HTTPClient.Do(req)
	if err != nil {
		// net/http's *url.Error names the URL, a credential for Slack:
		// keep only its cause (and strip the URL should the cause repeat it).
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%s: %s", name, strings.ReplaceAll(err.Error(), url, "<url>"))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = fmt.Errorf("%s: HTTP %d: %s", name, resp.StatusCode, strings.TrimSpace(string(snippet)))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		if s := resp.Header.Get("Retry-After"); s != "" {
			if n, perr := strconv.Atoi(strings.TrimSpace(s)); perr == nil {
				return retryAfterError{err: err, after: time.Duration(n) * time.Second}
			}
			if t, perr := http.ParseTime(s); perr == nil {
				return retryAfterError{err: err, after: time.Until(t)}
			}
		}
		return err
	}
	return permanent(err)
}

// classifySMTP marks the relay's permanent refusals (5xx replies: a wrong
// password, an unknown recipient) as not worth retrying.
func classifySMTP(err error) error {
	if err == nil {
		return nil
	}
	var se *mail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.Reason != mail.ErrConnCheck {
		return permanent(err)
	}
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return permanent(err)
	}
	return err
}

// readSecret reads a credential file: its content without the trailing
// newline editors add.
func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return permanentError{err} }

type retryAfterError struct {
	err   error
	after time.Duration
}

func (e retryAfterError) Error() string { return e.err.Error() }
func (e retryAfterError) Unwrap() error { return e.err }
