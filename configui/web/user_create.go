package web

import (
	"errors"
	"net/http"

	"github.com/ddiscope/ddiscope/configui/auth"
	"github.com/ddiscope/ddiscope/configui/form"
	"github.com/ddiscope/ddiscope/configui/store"
)

// userCreate adds a user (POST /users), recorded in the audit trail; the
// audit entry and the user are both written or the change is refused.
func (s *Server) userCreate(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	f, err := form.ReadUser(r)
	if err != nil {
		s.renderUsers(w, r, http.StatusBadRequest, err.Error(), "", usersData{Username: f.Username, Role: f.Role})
		return
	}
	if !s.store.Up() {
		s.fail(w, r, nil, http.StatusServiceUnavailable, "The database is unavailable: the change cannot be recorded, so it is refused.")
		return
	}
	hash, err := auth.Hash(f.Password)
	if err != nil {
		s.fail(w, r, nil, http.StatusInternalServerError, "The password could not be hashed.")
		return
	}
	addr := s.remoteAddr(r).String()
	err = s.store.CreateUser(r.Context(), f.Username, hash, f.Role)
	switch {
	case errors.Is(err, store.ErrExists):
		s.renderUsers(w, r, http.StatusConflict, "User "+f.Username+" already exists.", "", usersData{Username: f.Username, Role: f.Role})
		return
	case errors.Is(err, store.ErrUnavailable):
		s.fail(w, r, nil, http.StatusServiceUnavailable, "The database is unavailable: the change cannot be recorded, so it is refused.")
		return
	case err != nil:
		s.log.Error("adding user", "err", err)
		s.fail(w, r, nil, http.StatusInternalServerError, "The user could not be added.")
		return
	}
	s.store.Audit(r.Context(), store.AuditEntry{Username: u.Name, Action: "user-add", Success: true, RemoteAddr: addr, Detail: f.Username + " (" + f.Role + ")"})
	s.renderUsers(w, r, http.StatusOK, "", "User "+f.Username+" added as "+f.Role+".", usersData{Role: "viewer"})
}
