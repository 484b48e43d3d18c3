package promtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// WebhookMessage is what Alertmanager POSTs to a webhook receiver
// (version 4 of its JSON).
type WebhookMessage struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []WebhookAlert    `json:"alerts"`

	// Authorization is the request's Authorization header, not part of
	// the JSON: what a receiver's http_config sent.
	Authorization string `json:"-"`
}

// WebhookAlert is one alert of a webhook message.
type WebhookAlert struct {
	Status       string            `json:"status"` // firing or resolved
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// Webhook is an HTTP server on loopback that records Alertmanager's
// webhook messages. Any path is accepted, so one Webhook can stand in for
// an application's webhook URL.
type Webhook struct {
	URL string // base URL, http://127.0.0.1:port

	mu       sync.Mutex
	messages []WebhookMessage
}

// NewWebhook starts a webhook receiver, closed by t.Cleanup.
func NewWebhook(t testing.TB) *Webhook {
	t.Helper()
	w := &Webhook{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var m WebhookMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil || r.Method != http.MethodPost {
			http.Error(rw, "want a POSTed Alertmanager webhook message", http.StatusBadRequest)
			return
		}
		m.Authorization = r.Header.Get("Authorization")
		w.mu.Lock()
		defer w.mu.Unlock()
		w.messages = append(w.messages, m)
	}))
	t.Cleanup(srv.Close)
	w.URL = srv.URL
	return w
}

// Messages returns the messages received so far.
func (w *Webhook) Messages() []WebhookMessage {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]WebhookMessage(nil), w.messages...)
}

// WaitFor waits until a received alert satisfies match, and returns it with
// the message that carried it.
func (w *Webhook) WaitFor(t testing.TB, timeout time.Duration, what string, match func(WebhookMessage, WebhookAlert) bool) (WebhookMessage, WebhookAlert) {
	t.Helper()
	var (
		msg   WebhookMessage
		found WebhookAlert
	)
	Eventually(t, timeout, what, func() bool {
		for _, m := range w.Messages() {
			for _, a := range m.Alerts {
				if match(m, a) {
					msg, found = m, a
					return true
				}
			}
		}
		return false
	})
	return msg, found
}
