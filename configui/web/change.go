package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/ddiscope/ddiscope/configui/form"
	"github.com/ddiscope/ddiscope/configui/store"
)

// change is one change of the log: who, when, the diff, and every command
// sent to each server with Kea's own answer.
func (s *Server) change(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(r.PathValue("change_id"), 10, 64)
	if err != nil || n <= 0 {
		s.fail(w, r, nil, http.StatusNotFound, "Not a change number.")
		return
	}
	c, err := s.store.Change(r.Context(), n)
	if err != nil {
		s.changesFailed(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "changes", page{Title: "Change #" + strconv.FormatInt(n, 10), Data: changesData{One: &c}})
}

// changeClose closes a change left running (its editor lost the database
// or stopped mid-apply) as interrupted, once an admin has checked the
// servers: until then every change to those servers is refused
// (apply.InDoubtError).
func (s *Server) changeClose(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(r.PathValue("change_id"), 10, 64)
	if err != nil || n <= 0 {
		s.fail(w, r, nil, http.StatusNotFound, "Not a change number.")
		return
	}
	f, err := form.ReadCloseChange(r)
	if err != nil {
		s.fail(w, r, nil, http.StatusBadRequest, err.Error())
		return
	}
	u := userOf(r)
	err = s.apply.CloseInterrupted(r.Context(), n, u.Name, f.Note)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, nil, http.StatusConflict, "This change is not running (any more): nothing to close.")
		return
	case err != nil:
		s.changesFailed(w, r, err)
		return
	}
	s.store.Audit(r.Context(), store.AuditEntry{Username: u.Name, Action: "change-close", Success: true, RemoteAddr: s.remoteAddr(r).String(),
		Detail: fmt.Sprintf("#%d: %s", n, f.Note)})
	http.Redirect(w, r, fmt.Sprintf("/changes/%d", n), http.StatusSeeOther)
}
