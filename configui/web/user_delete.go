package web

import (
	"errors"
	"net/http"

	"github.com/ddiscope/ddiscope/configui/store"
)

// userDelete removes a user and ends the user's sessions.
func (s *Server) userDelete(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	name := r.PathValue("username")
	if name == u.Name {
		s.renderUsers(w, r, http.StatusBadRequest, "You cannot remove yourself.", "", usersData{Role: "viewer"})
		return
	}
	err := s.store.DeleteUser(r.Context(), name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.renderUsers(w, r, http.StatusNotFound, "No user "+name+".", "", usersData{Role: "viewer"})
		return
	case errors.Is(err, store.ErrUnavailable):
		s.fail(w, r, nil, http.StatusServiceUnavailable, "The database is unavailable: the change cannot be recorded, so it is refused.")
		return
	case err != nil:
		s.fail(w, r, nil, http.StatusInternalServerError, "The user could not be removed.")
		return
	}
	s.ssoUsers.drop(name)
	s.store.Audit(r.Context(), store.AuditEntry{Username: u.Name, Action: "user-del", Success: true, RemoteAddr: s.remoteAddr(r).String(), Detail: name})
	s.renderUsers(w, r, http.StatusOK, "", "User "+name+" removed.", usersData{Role: "viewer"})
}
