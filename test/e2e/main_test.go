// Package e2e runs pagerlens as a real process against the embedded broker:
// crash recovery, broker and store faults, bad input and secured brokers.
// Each test starts its own broker and DuckDB file; the binary is built once.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/kafkatest"
	"github.com/pagerlens/pagerlens/internal/synth"
	"github.com/pagerlens/pagerlens/store"
	"github.com/pagerlens/pagerlens/test/e2e/e2eutil"
)

func TestMain(m *testing.M) {
	os.Exit(e2eutil.Main(m, "pagerlens-e2e-"))
}

// getStatus returns the HTTP status of url (0 when unreachable).
func getStatus(url string) int {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// getBody returns the body and HTTP status of url (0 when unreachable).
func getBody(url string) (string, int) {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

// synthEvents returns n distinct canonical events, marshalled, with their ids.
func synthEvents(t *testing.T, n int) (msgs []kafkatest.Message, ids map[string]bool) {
	t.Helper()
	stop := errors.New("enough")
	ids = make(map[string]bool, n)
	cfg := synth.Config{Seed: 9, Days: 3650, Teams: 8}
	err := synth.Generate(cfg, func(e event.Event) error {
		if ids[e.ID] {
			return nil // the stream has no duplicates by default; be sure
		}
		b, err := event.Marshal(e)
		if err != nil {
			return err
		}
		ids[e.ID] = true
		msgs = append(msgs, kafkatest.Message{Value: b})
		if len(msgs) == n {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("synth gave %d events, want %d (err %v)", len(msgs), n, err)
	}
	return msgs, ids
}

// produce writes msgs to topic through one client, in chunks so that the
// client's buffer bounds memory and throughput stays high.
func produce(t *testing.T, b *kafkatest.Broker, topic string, partitions int32, msgs []kafkatest.Message, opts ...kgo.Opt) {
	t.Helper()
	cl, err := b.Client(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const chunk = 20000
	for i := 0; i < len(msgs); i += chunk {
		if err := kafkatest.ProduceWith(ctx, cl, partitions, topic, msgs[i:min(i+chunk, len(msgs))]...); err != nil {
			t.Fatal(err)
		}
	}
}

func scalar[T any](t *testing.T, s *store.Store, q string, args ...any) T {
	t.Helper()
	var v T
	if err := s.DB().QueryRow(q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// cli runs a short pagerlens command and returns its combined output and
// exit code.
func cli(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, e2eutil.Bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("pagerlens %v: %v", args, err)
	}
	return out.String(), cmd.ProcessState.ExitCode()
}
