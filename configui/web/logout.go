package web

import (
	"net/http"
	"time"

	"github.com/ddiscope/ddiscope/configui/store"
)

// logout ends the session, in the database too when it is there (while it
// is away the cookie is dropped; the session row expires on its own).
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	if u.SID != "" {
		s.store.DeleteSession(r.Context(), u.SID)
		s.sessions.drop(u.SID)
	}
	s.store.Audit(r.Context(), store.AuditEntry{Username: u.Name, Action: "logout", Success: true, RemoteAddr: s.remoteAddr(r).String()})
	http.SetCookie(w, s.cookie(r, sessionCookie, "", -time.Second))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
