// Package inbox reads alerts into the editor's inbox: Alertmanager's
// webhook payload (version 4), validated before anything is stored, and
// Alertmanager's /api/v2/alerts, polled so that alerts sent while the editor
// was down are not missed. It also decides which alerts belong on which page.
package inbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// Alert is one alert as the inbox keeps it.
type Alert struct {
	Fingerprint  string
	Status       string // firing or resolved
	Labels       map[string]string
	Annotations  map[string]string
	StartsAt     time.Time
	EndsAt       time.Time // zero while firing with no end known
	GeneratorURL string
	Source       string // webhook or poll
	UpdatedAt    time.Time
}

// Name is the alert's alertname.
func (a Alert) Name() string { return a.Labels["alertname"] }

// webhookAlert and webhookPayload are Alertmanager's webhook JSON, version 4.
type webhookAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

type webhookPayload struct {
	Version  *string        `json:"version"`
	GroupKey string         `json:"groupKey"`
	Status   string         `json:"status"`
	Receiver string         `json:"receiver"`
	Alerts   []webhookAlert `json:"alerts"`
}

// ErrTooLarge is returned for a body over the size limit.
var ErrTooLarge = errors.New("webhook body too large")

// ParseWebhook reads and validates one webhook body of at most maxBytes.
// It returns every alert or an error naming what is wrong: a payload with
// one bad alert is refused whole, so nothing is half-stored.
func ParseWebhook(r io.Reader, maxBytes int64) ([]Alert, error) {
	body, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading webhook body: %w", err)
	}
	if int64(len(body)) > maxBytes {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, maxBytes)
	}
	var p webhookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("webhook body is not Alertmanager's JSON: %w", err)
	}
	if p.Version == nil {
		return nil, errors.New(`webhook body: key "version" is missing (Alertmanager sends "4")`)
	}
	if *p.Version != "4" {
		return nil, fmt.Errorf(`webhook body: version %q is not supported (only "4")`, *p.Version)
	}
	if len(p.Alerts) == 0 {
		return nil, errors.New(`webhook body: "alerts" is empty`)
	}
	out := make([]Alert, 0, len(p.Alerts))
	for i, a := range p.Alerts {
		al := Alert{Status: a.Status, Labels: a.Labels, Annotations: a.Annotations, StartsAt: a.StartsAt,
			EndsAt: a.EndsAt, GeneratorURL: a.GeneratorURL, Fingerprint: a.Fingerprint, Source: "webhook"}
		if err := al.normalise(); err != nil {
			return nil, fmt.Errorf("webhook body: alert #%d: %w", i+1, err)
		}
		out = append(out, al)
	}
	return out, nil
}

// normalise validates an alert and fills what can be derived.
func (a *Alert) normalise() error {
	if a.Status != "firing" && a.Status != "resolved" {
		return fmt.Errorf("status %q is not firing or resolved", a.Status)
	}
	if a.Labels["alertname"] == "" {
		return errors.New(`label "alertname" is missing`)
	}
	ls := make(model.LabelSet, len(a.Labels))
	for k, v := range a.Labels {
		if !model.LabelName(k).IsValid() || !model.LabelValue(v).IsValid() {
			return fmt.Errorf("label %q is not a valid label", k)
		}
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	if a.StartsAt.IsZero() {
		return errors.New(`"startsAt" is missing`)
	}
	if a.Fingerprint == "" {
		// Alertmanager's own fingerprint of the label set, so the webhook
		// and the API poll agree.
		a.Fingerprint = ls.Fingerprint().String()
	}
	if len(a.Fingerprint) > 64 || strings.ContainsFunc(a.Fingerprint, func(r rune) bool { return !strings.ContainsRune("0123456789abcdef", r) }) {
		return fmt.Errorf("fingerprint %q is not hexadecimal", a.Fingerprint)
	}
	if a.Annotations == nil {
		a.Annotations = map[string]string{}
	}
	// Alertmanager sends 0001-01-01 for "no end".
	if a.EndsAt.Year() <= 1 {
		a.EndsAt = time.Time{}
	}
	return nil
}
