package web

import (
	"net/http"
	"strconv"
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
