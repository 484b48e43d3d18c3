package inbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Sink is where polled alerts go (the store).
type Sink interface {
	SaveAlerts(ctx context.Context, as []Alert) error
	ResolveMissing(ctx context.Context, firing []string) (int64, error)
}

// Poller reads Alertmanager's active alerts, so that an alert notified while
// the editor was down (or its database away) still reaches the inbox, and
// an alert Alertmanager no longer has is marked resolved.
type Poller struct {
	URL      string // Alertmanager's root URL
	Client   *http.Client
	Sink     Sink
	Log      *slog.Logger
	Interval time.Duration
	MaxBytes int64 // cap on the reply; default 64 MiB
	// Username and Password, when set, are sent as basic auth.
	Username, Password string
}

// apiAlert is one element of GET /api/v2/alerts (Alertmanager's OpenAPI
// gettableAlert), reduced to what the inbox keeps.
type apiAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	Fingerprint  string            `json:"fingerprint"`
	GeneratorURL string            `json:"generatorURL"`
	Status       struct {
		State string `json:"state"`
	} `json:"status"`
}

// PollOnce reads the active alerts and stores them.
func (p *Poller) PollOnce(ctx context.Context) (stored int, resolved int64, err error) {
	u, err := url.JoinPath(p.URL, "/api/v2/alerts")
	if err != nil {
		return 0, 0, fmt.Errorf("alertmanager url: %w", err)
	}
	// Suppressed alerts are asked for too: they are still firing, and must
	// not be marked resolved.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+"?active=true&silenced=true&inhibited=true&unprocessed=true", nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Accept", "application/json")
	if p.Username != "" {
		req.SetBasicAuth(p.Username, p.Password)
	}
	c := p.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("alertmanager %s: %w", p.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, 0, fmt.Errorf("alertmanager %s: GET /api/v2/alerts: %s: %s", p.URL, resp.Status, strings.TrimSpace(string(b)))
	}
	limit := p.MaxBytes
	if limit <= 0 {
		limit = 64 << 20
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return 0, 0, fmt.Errorf("alertmanager %s: reading alerts: %w", p.URL, err)
	}
	if int64(len(body)) > limit {
		return 0, 0, fmt.Errorf("alertmanager %s: alerts reply over %d bytes", p.URL, limit)
	}
	var raw []apiAlert
	if err := json.Unmarshal(body, &raw); err != nil {
		return 0, 0, fmt.Errorf("alertmanager %s: alerts reply: %w", p.URL, err)
	}
	as := make([]Alert, 0, len(raw))
	fps := make([]string, 0, len(raw))
	for i, r := range raw {
		if r.Status.State == "suppressed" && r.Fingerprint != "" {
			// Silenced or inhibited: Alertmanager notifies nobody of it, so
			// the inbox does not list it either (the critical alert that
			// inhibits a warning is what the operator should see). It still
			// fires, so a copy stored before it was suppressed stays firing.
			fps = append(fps, r.Fingerprint)
			continue
		}
		a := Alert{Fingerprint: r.Fingerprint, Status: "firing", Labels: r.Labels, Annotations: r.Annotations,
			StartsAt: r.StartsAt, GeneratorURL: r.GeneratorURL, Source: "poll"}
		if err := a.normalise(); err != nil {
			// One odd alert must not hide the others; it is logged, not stored.
			p.Log.Warn("alertmanager alert skipped", "index", i, "err", err)
			continue
		}
		as = append(as, a)
		fps = append(fps, a.Fingerprint)
	}
	if len(as) > 0 {
		if err := p.Sink.SaveAlerts(ctx, as); err != nil {
			return 0, 0, err
		}
	}
	resolved, err = p.Sink.ResolveMissing(ctx, fps)
	return len(as), resolved, err
}

// Run polls at once and then every Interval until ctx ends.
func (p *Poller) Run(ctx context.Context) {
	iv := p.Interval
	if iv <= 0 {
		iv = time.Minute
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, r, err := p.PollOnce(ctx)
		if err != nil {
			p.Log.Warn("polling alertmanager", "err", err)
		} else {
			p.Log.Debug("polled alertmanager", "active", n, "resolved_missing", r)
		}
		t.Reset(iv)
	}
}
