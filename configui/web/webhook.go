package web

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ddiscope/ddiscope/configui/inbox"
	"github.com/ddiscope/ddiscope/configui/store"
)

// webhook takes Alertmanager's notifications (rules.ConfigUIInbox). The
// answers tell Alertmanager what to do: 2xx stored, 4xx do not retry (the
// body or token is wrong and will stay wrong), 5xx retry (the database is
// away). Nothing is stored unless the whole body is valid.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	if len(s.token) == 0 {
		http.Error(w, "webhook disabled: no web.webhook-token-file configured", http.StatusForbidden)
		return
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), s.token) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ddiscope-configui"`)
		http.Error(w, "missing or wrong bearer token", http.StatusUnauthorized)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		http.Error(w, fmt.Sprintf("content type %q: Alertmanager's webhook sends application/json", ct), http.StatusUnsupportedMediaType)
		return
	}
	as, err := inbox.ParseWebhook(http.MaxBytesReader(w, r.Body, s.maxBody+1), s.maxBody)
	var mbe *http.MaxBytesError
	if errors.Is(err, inbox.ErrTooLarge) || errors.As(err, &mbe) {
		http.Error(w, fmt.Sprintf("webhook body over %d bytes (web.webhook-max-bytes)", s.maxBody), http.StatusRequestEntityTooLarge)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := s.store.SaveAlerts(r.Context(), as); err != nil {
		if errors.Is(err, store.ErrUnavailable) {
			http.Error(w, "database unavailable: not stored, retry later", http.StatusServiceUnavailable)
			return
		}
		s.log.Error("storing webhook alerts", "err", err)
		http.Error(w, "alerts could not be stored", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "stored %d alerts\n", len(as))
}
