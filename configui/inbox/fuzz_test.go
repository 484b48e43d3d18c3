package inbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

// checkAlert: what the store may rely on for every alert the inbox keeps.
func checkAlert(t *testing.T, a Alert) {
	t.Helper()
	if a.Status != "firing" && a.Status != "resolved" {
		t.Fatalf("status %q kept", a.Status)
	}
	if a.Name() == "" || a.StartsAt.IsZero() || a.Annotations == nil {
		t.Fatalf("alert kept without a name, start or annotations: %+v", a)
	}
	if a.Fingerprint == "" || len(a.Fingerprint) > 64 || strings.Trim(a.Fingerprint, "0123456789abcdef") != "" {
		t.Fatalf("fingerprint %q kept", a.Fingerprint)
	}
	for k, v := range a.Labels {
		if !model.LabelName(k).IsValid() || !model.LabelValue(v).IsValid() {
			t.Fatalf("label %q=%q kept", k, v)
		}
	}
}

// countingReader counts what the parser read.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// FuzzParseWebhook: any body is every alert or an error naming the webhook
// body; no more than the cap (and one byte) is read; a body over the cap is
// ErrTooLarge; what is accepted is valid and, written back as a version 4
// payload, reads back to the same alerts.
//
//	go test ./configui/inbox -run '^$' -fuzz FuzzParseWebhook -fuzztime 60s
func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(v4))
	f.Add([]byte(`{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"A","le":"\u00ff"},"startsAt":"2026-01-02T03:04:05.999999999+14:00"}]}`))
	f.Add([]byte(`{"version":"4","alerts":[{"status":"resolved","labels":{"alertname":"A","0bad":"x"},"startsAt":"2026-01-02T03:04:05Z"}]}`))
	f.Add([]byte(`{"version":4,"alerts":[]}`))
	const max = 1 << 16
	f.Fuzz(func(t *testing.T, b []byte) {
		cr := &countingReader{r: bytes.NewReader(b)}
		as, err := ParseWebhook(cr, max)
		if cr.n > max+1 {
			t.Fatalf("read %d bytes with a cap of %d", cr.n, max)
		}
		if len(b) > 0 {
			if _, err := ParseWebhook(bytes.NewReader(b), int64(len(b)-1)); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("body of %d bytes under a cap of %d: %v", len(b), len(b)-1, err)
			}
		}
		if err != nil {
			if !strings.Contains(err.Error(), "webhook body") {
				t.Fatalf("error does not name the webhook body: %v", err)
			}
			return
		}
		if len(as) == 0 {
			t.Fatal("accepted with no alerts")
		}
		p := webhookPayload{Version: new(string)}
		*p.Version = "4"
		for _, a := range as {
			checkAlert(t, a)
			p.Alerts = append(p.Alerts, webhookAlert{Status: a.Status, Labels: a.Labels, Annotations: a.Annotations,
				StartsAt: a.StartsAt, EndsAt: a.EndsAt, GeneratorURL: a.GeneratorURL, Fingerprint: a.Fingerprint})
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("accepted alerts cannot be written back: %v", err)
		}
		as2, err := ParseWebhook(bytes.NewReader(again), int64(len(again)))
		if err != nil {
			t.Fatalf("written back, refused: %v\n%s", err, again)
		}
		for i := range as {
			a, a2 := as[i], as2[i]
			if a.Status != a2.Status || a.Fingerprint != a2.Fingerprint || !a.StartsAt.Equal(a2.StartsAt) || !a.EndsAt.Equal(a2.EndsAt) ||
				!maps.Equal(a.Labels, a2.Labels) || !maps.Equal(a.Annotations, a2.Annotations) || a.GeneratorURL != a2.GeneratorURL {
				t.Fatalf("alert %d: %+v, written back and read: %+v", i, a, a2)
			}
		}
	})
}

// replyTransport answers every request with one body, without a network.
type replyTransport struct {
	status int
	body   []byte
}

func (rt replyTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: rt.status, Status: http.StatusText(rt.status), Body: io.NopCloser(bytes.NewReader(rt.body)), Header: http.Header{}}, nil
}

type recordingSink struct {
	saved   []Alert
	firing  []string
	resolve int
}

func (s *recordingSink) SaveAlerts(_ context.Context, as []Alert) error {
	s.saved = append(s.saved, as...)
	return nil
}

func (s *recordingSink) ResolveMissing(_ context.Context, firing []string) (int64, error) {
	s.resolve++
	s.firing = firing
	return 0, nil
}

// FuzzPollAlerts: any /api/v2/alerts reply stores its valid alerts (an odd
// one is skipped, not fatal) and resolves the rest, or fails naming
// Alertmanager and stores nothing.
func FuzzPollAlerts(f *testing.F) {
	f.Add([]byte(`[{"labels":{"alertname":"KeaDown","server":"kea1"},"annotations":{},"startsAt":"2026-01-02T03:04:05Z","fingerprint":"ab12","status":{"state":"active"}}]`))
	f.Add([]byte(`[{"labels":{"alertname":""}},{"labels":{"alertname":"X"},"startsAt":"2026-01-02T03:04:05Z","fingerprint":"XYZ"},null]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"status":"success"}`))
	log := slog.New(slog.DiscardHandler)
	f.Fuzz(func(t *testing.T, b []byte) {
		sink := &recordingSink{}
		p := &Poller{URL: "http://am.invalid:9093", Client: &http.Client{Transport: replyTransport{http.StatusOK, b}, Timeout: time.Second},
			Sink: sink, Log: log, MaxBytes: 1 << 16}
		stored, _, err := p.PollOnce(context.Background())
		if err != nil {
			if !strings.Contains(err.Error(), "alertmanager http://am.invalid:9093") {
				t.Fatalf("error does not name Alertmanager: %v", err)
			}
			if len(sink.saved) != 0 || sink.resolve != 0 {
				t.Fatalf("failed poll stored %d alerts, resolved %d times", len(sink.saved), sink.resolve)
			}
			return
		}
		if stored != len(sink.saved) || sink.resolve != 1 || len(sink.firing) != stored {
			t.Fatalf("stored %d, saved %d, resolve calls %d with %d firing", stored, len(sink.saved), sink.resolve, len(sink.firing))
		}
		for i, a := range sink.saved {
			checkAlert(t, a)
			if a.Status != "firing" || a.Source != "poll" || sink.firing[i] != a.Fingerprint {
				t.Fatalf("polled alert %+v", a)
			}
		}
	})
}
