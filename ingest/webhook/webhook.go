// Package webhook is pagerlens's HTTP intake of the paging tools' webhooks:
// POST /webhooks/{source} for PagerDuty, Alertmanager, Grafana, Opsgenie,
// Grafana OnCall, incident.io and canonical CloudEvents. Each request is
// authenticated as its tool documents (a signature, a bearer token or basic
// auth), then either written to the store through ingest's decode,
// dead-letter and write path (direct mode) or produced raw to the source's
// Kafka topic (Kafka mode). The answer is 2xx only once the webhook is
// durable, so a sender's retry covers every failure.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/internal/metricnames"
	"github.com/pagerlens/pagerlens/store"
)

// Options configure a Handler.
type Options struct {
	Config Config
	// Store receives the webhooks in direct mode.
	Store *store.Store
	// Brokers and Dialer (TLS, SASL; nil for plain TCP) reach Kafka in
	// Kafka mode.
	Brokers []string
	Dialer  *kafka.Dialer
	// Decode configures the decoders (limits, mapping rules).
	Decode decode.Options
	// Observer is told of direct-mode batches, as the consumer's is.
	Observer ingest.Observer
	// Registerer takes the handler's self-metrics (requests and their
	// duration by source); nil: not registered.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	// RetryAfter is the Retry-After of a 503 (default 10 s).
	RetryAfter time.Duration
	// Timeout bounds the wait for the store or the brokers (default 30 s);
	// past it the answer is 503, and the sender retries.
	Timeout time.Duration
	// Now is the clock for signature timestamps (tests).
	Now func() time.Time
}

// Handler serves the configured sources' webhook endpoints.
type Handler struct {
	opts    Options
	log     *slog.Logger
	sources map[string]*sourceHandler
	direct  *ingest.Direct
	kafka   *kafka.Writer

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

type sourceHandler struct {
	h      *Handler
	name   string
	checks []check
	// dec checks bodies in Kafka mode, where the store write (and the dead
	// letter) happens later in the consumer but the sender should still
	// learn now that its body is unusable.
	dec decode.Decoder
	// keep are further headers to keep (Grafana's configured names).
	keep []string
}

// New reads the secret files and prepares the sink of the configured mode.
// Errors name the config key at fault, never a secret.
func New(opts Options) (*Handler, error) {
	cfg := opts.Config
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxBodyBytes == 0 {
		opts.Config.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = 10 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &Handler{opts: opts, log: opts.Logger, sources: map[string]*sourceHandler{}}
	if err := h.newMetrics(opts.Registerer); err != nil {
		return nil, err
	}

	silent := opts.Decode
	silent.Warn = nil
	var topics []ingest.Topic
	for _, name := range cfg.Enabled() {
		checks, err := buildChecks(name, cfg.source(name), opts.Logger)
		if err != nil {
			return nil, err
		}
		dec, err := decode.New(name, silent)
		if err != nil {
			return nil, fmt.Errorf("webhooks.%s: %w", name, err)
		}
		sh := &sourceHandler{h: h, name: name, checks: checks, dec: dec}
		if src := cfg.source(name); name == Grafana {
			sh.keep = []string{src.SignatureHeader, src.TimestampHeader}
		}
		h.sources[name] = sh
		topics = append(topics, ingest.Topic{Name: StoreTopic(name), Format: name})
	}
	if cfg.Kafka() {
		if len(opts.Brokers) == 0 {
			return nil, errors.New("webhooks.mode kafka: no Kafka brokers configured")
		}
		h.kafka = newWriter(opts.Brokers, opts.Dialer, opts.Logger)
		return h, nil
	}
	if opts.Store == nil {
		return nil, errors.New("webhooks: direct mode needs the store")
	}
	d, err := ingest.NewDirect(ingest.DirectConfig{
		Topics: topics, Decode: opts.Decode, Observer: opts.Observer, Logger: opts.Logger,
		WriteTimeout: opts.Timeout,
	}, opts.Store)
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	h.direct = d
	return h, nil
}

func buildChecks(name string, s *Source, log *slog.Logger) ([]check, error) {
	var checks []check
	key := "webhooks." + name
	if s.BearerTokenFile != "" {
		f, err := newSecretFile(s.BearerTokenFile, key+".bearer_token_file", nil, log)
		if err != nil {
			return nil, err
		}
		checks = append(checks, bearerCheck(f))
	}
	if s.BasicAuth != nil {
		f, err := newSecretFile(s.BasicAuth.PasswordFile, key+".basic_auth.password_file", nil, log)
		if err != nil {
			return nil, err
		}
		checks = append(checks, basicCheck(s.BasicAuth.Username, f))
	}
	if s.SecretFile != "" {
		parse := func(v string) ([]byte, error) { return []byte(v), nil }
		if name == IncidentIO {
			parse = svixSecret
		}
		f, err := newSecretFile(s.SecretFile, key+".secret_file", parse, log)
		if err != nil {
			return nil, err
		}
		switch name {
		case PagerDuty:
			checks = append(checks, pagerDutyCheck(f))
		case IncidentIO:
			checks = append(checks, svixCheck(f))
		case Grafana:
			checks = append(checks, grafanaCheck(f, s.SignatureHeader, s.TimestampHeader))
		}
	}
	return checks, nil
}

// newMetrics builds the handler's self-metrics and registers them on r.
// Each configured source's series start at 0, with the code of its answer
// to an accepted body (200 stored in direct mode, 202 accepted in Kafka
// mode): a fresh serve shows its webhooks at 0, not as no data.
func (h *Handler) newMetrics(r prometheus.Registerer) error {
	h.requests = metricnames.NewCounterVec(metricnames.WebhookRequestsTotal)
	// From a lone direct write (a few ms) to a broker timeout.
	h.duration = metricnames.NewHistogramVec(metricnames.WebhookRequestDurationSeconds,
		[]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30})
	ok := strconv.Itoa(http.StatusOK)
	if h.opts.Config.Kafka() {
		ok = strconv.Itoa(http.StatusAccepted)
	}
	for _, s := range h.opts.Config.Enabled() {
		h.requests.WithLabelValues(s, ok)
		h.duration.WithLabelValues(s)
	}
	return metricnames.Register(r, "webhooks", h.requests, h.duration)
}

// Sources lists the mounted sources.
func (h *Handler) Sources() []string { return h.opts.Config.Enabled() }

// Mount registers POST /webhooks/<source> of every configured source on mux
// (a *http.ServeMux or the pagerlens server).
func (h *Handler) Mount(mux interface{ Handle(string, http.Handler) }) {
	for _, name := range h.Sources() {
		mux.Handle("POST /webhooks/"+name, h.sources[name])
	}
}

// Close flushes and closes the Kafka writer (Kafka mode).
func (h *Handler) Close() error {
	if h.kafka != nil {
		if err := h.kafka.Close(); err != nil {
			return fmt.Errorf("webhooks: close kafka writer: %w", err)
		}
	}
	return nil
}

// response is the JSON body of every answer.
type response struct {
	Status string `json:"status"` // stored, accepted, rejected, unauthorized, ...
	Events int    `json:"events,omitempty"`
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`
}

func (s *sourceHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	code, resp := s.serve(w, r)
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(int(s.h.opts.RetryAfter.Round(time.Second)/time.Second)))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(resp)
	s.h.requests.WithLabelValues(s.name, strconv.Itoa(code)).Inc()
	s.h.duration.WithLabelValues(s.name).Observe(time.Since(start).Seconds())
}

// serve handles one request and returns the answer. It never logs the body
// (it may hold personal data) nor a credential.
func (s *sourceHandler) serve(w http.ResponseWriter, r *http.Request) (int, response) {
	log := s.h.log.With("source", s.name, "remote", r.RemoteAddr)
	for _, c := range s.checks {
		if c.header == nil {
			continue
		}
		if err := c.header(r); err != nil {
			return s.unauthorized(w, log, err)
		}
	}
	max := s.h.opts.Config.MaxBodyBytes
	if r.ContentLength > max {
		return http.StatusRequestEntityTooLarge, response{Status: "rejected", Error: fmt.Sprintf("body of %d bytes is over the %d-byte limit", r.ContentLength, max)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return http.StatusRequestEntityTooLarge, response{Status: "rejected", Error: fmt.Sprintf("body is over the %d-byte limit", max)}
		}
		return http.StatusBadRequest, response{Status: "rejected", Error: "reading the body: " + err.Error()}
	}
	now := s.h.opts.Now()
	for _, c := range s.checks {
		if c.body == nil {
			continue
		}
		if err := c.body(r, body, now); err != nil {
			return s.unauthorized(w, log, err)
		}
	}
	hs := recordHeaders(r.Header, s.keep...)
	if s.h.kafka != nil {
		return s.toKafka(r.Context(), log, body, hs, r.Header)
	}
	return s.toStore(r.Context(), log, body, hs, now)
}

func (s *sourceHandler) unauthorized(w http.ResponseWriter, log *slog.Logger, err error) (int, response) {
	var ae *authError
	if errors.As(err, &ae) && ae.challenge != "" {
		w.Header().Set("WWW-Authenticate", ae.challenge)
	}
	log.Info("webhook refused: unauthorized", "reason", err.Error())
	return http.StatusUnauthorized, response{Status: "unauthorized", Error: err.Error()}
}

func (s *sourceHandler) toStore(ctx context.Context, log *slog.Logger, body []byte, hs []event.Header, now time.Time) (int, response) {
	ctx, cancel := context.WithTimeout(ctx, s.h.opts.Timeout)
	defer cancel()
	res, err := s.h.direct.Submit(ctx, []decode.Message{{Topic: StoreTopic(s.name), Value: body, Headers: hs, Time: now}})
	if err != nil {
		log.Warn("webhook not stored; asking the sender to retry", "err", err)
		return http.StatusServiceUnavailable, response{Status: "unavailable", Error: "the store did not confirm the write; retry later"}
	}
	if len(res.DeadLetters) > 0 {
		dl := res.DeadLetters[0]
		log.Info("webhook body rejected and dead-lettered", "reason", dl.Reason)
		log.Debug("webhook body rejected", "reason", dl.Reason, "err", dl.Error)
		return http.StatusBadRequest, response{Status: "rejected", Reason: dl.Reason, Error: dl.Error}
	}
	log.Debug("webhook stored", "events", res.Events)
	return http.StatusOK, response{Status: "stored", Events: res.Events}
}

func (s *sourceHandler) toKafka(ctx context.Context, log *slog.Logger, body []byte, hs []event.Header, h http.Header) (int, response) {
	topic := s.h.opts.Config.Topic(s.name)
	// Decoded here only to answer a bad body with 400 now; it is produced
	// all the same, so that the consumer dead-letters it with its raw bytes.
	evs, decErr := safeDecode(s.dec, decode.Message{Topic: topic, Value: body, Headers: hs, Time: s.h.opts.Now()})
	msg := kafka.Message{Topic: topic, Key: recordKey(s.name, body, h), Value: body}
	for _, hd := range hs {
		msg.Headers = append(msg.Headers, kafka.Header{Key: hd.Key, Value: hd.Value})
	}
	ctx, cancel := context.WithTimeout(ctx, s.h.opts.Timeout)
	defer cancel()
	if err := s.h.kafka.WriteMessages(ctx, msg); err != nil {
		log.Warn("webhook not acknowledged by kafka; asking the sender to retry", "topic", topic, "err", err)
		return http.StatusServiceUnavailable, response{Status: "unavailable", Error: "kafka did not acknowledge the webhook; retry later"}
	}
	if decErr != nil {
		reason := string(event.ReasonInvalidJSON)
		if ee, ok := errors.AsType[*event.Error](decErr); ok {
			reason = string(ee.Reason)
		}
		log.Info("webhook body rejected; produced for the consumer to dead-letter", "topic", topic, "reason", reason)
		return http.StatusBadRequest, response{Status: "rejected", Reason: reason, Error: decErr.Error()}
	}
	log.Debug("webhook produced", "topic", topic, "events", len(evs))
	return http.StatusAccepted, response{Status: "accepted", Events: len(evs)}
}

// recordHeaders are the request headers kept with the body (as Kafka record
// headers, and for the decoder): those that identify, sign or type the
// delivery. Credentials (Authorization, cookies, custom token headers) are
// never kept. CloudEvents HTTP binary-mode headers (ce-*) become the Kafka
// binding's ce_* so that the canonical decoder reads them.
func recordHeaders(h http.Header, extra ...string) []event.Header {
	var out []event.Header
	for name, vals := range h {
		lower := strings.ToLower(name)
		key, ok := keptHeader(lower)
		if !ok && slices.ContainsFunc(extra, func(e string) bool { return e != "" && strings.EqualFold(e, name) }) {
			key, ok = lower, true
		}
		if !ok || len(vals) == 0 {
			continue
		}
		out = append(out, event.Header{Key: key, Value: []byte(strings.Join(vals, ", "))})
	}
	// Map order is random; a stable order keeps records comparable.
	slices.SortFunc(out, func(a, b event.Header) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func keptHeader(lower string) (string, bool) {
	switch lower {
	case "content-type", "user-agent", "x-request-id",
		"x-pagerduty-signature", "x-webhook-id", "x-webhook-subscription",
		"webhook-id", "webhook-timestamp", "webhook-signature",
		"x-grafana-alerting-signature", "x-grafana-alerting-signature-timestamp":
		return lower, true
	}
	if rest, ok := strings.CutPrefix(lower, "ce-"); ok && rest != "" {
		return "ce_" + rest, true
	}
	return "", false
}

// safeDecode turns a decoder panic into an error, as ingest does: a body
// must never take the request down without an answer.
func safeDecode(dec decode.Decoder, m decode.Message) (evs []event.Event, err error) {
	defer func() {
		if r := recover(); r != nil {
			evs, err = nil, &event.Error{Reason: event.ReasonDecoderPanic, Msg: fmt.Sprintf("decoder %s panicked: %v", dec.Format(), r)}
		}
	}()
	return dec.Decode(m)
}
