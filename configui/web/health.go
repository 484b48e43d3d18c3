package web

import (
	"fmt"
	"net/http"
)

// healthy answers while the process serves.
func (s *Server) healthy(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// ready says whether the editor serves, and the database's state: 503 only
// when on-fail stop-retry-exit has stopped it.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	db := "up"
	if !s.store.Up() {
		db = "unavailable (reconnecting; nothing can be recorded)"
	}
	if !s.store.Serving() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "stopped: database %s\n", db)
		return
	}
	fmt.Fprintf(w, "ready: database %s\n", db)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/inbox", http.StatusSeeOther)
}
