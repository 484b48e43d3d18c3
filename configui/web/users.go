package web

import (
	"errors"
	"net/http"

	"github.com/ddiscope/ddiscope/configui/store"
)

type usersData struct {
	Users    []store.User
	Username string
	Role     string
}

// users lists accounts, with the form that adds one (admins only).
func (s *Server) users(w http.ResponseWriter, r *http.Request) {
	s.renderUsers(w, r, http.StatusOK, "", "", usersData{Role: "viewer"})
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, errMsg, notice string, d usersData) {
	us, err := s.store.Users(r.Context())
	if errors.Is(err, store.ErrUnavailable) {
		s.fail(w, r, nil, http.StatusServiceUnavailable, "The database is unavailable, so users cannot be listed or changed now.")
		return
	}
	if err != nil {
		s.fail(w, r, nil, http.StatusInternalServerError, "Users could not be read.")
		return
	}
	d.Users = us
	s.render(w, r, status, "users", page{Title: "Users", Error: errMsg, Notice: notice, Data: d})
}
