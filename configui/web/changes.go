package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/ddiscope/ddiscope/configui/store"
)

type changesData struct {
	List  []store.Change
	One   *store.Change
	Older string
}

const changesPerPage = 50

// changes is the change log: every attempt to change Kea, newest first,
// with its diff; ?server= and ?daemon= filter it.
func (s *Server) changes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.ChangeFilter{Server: q.Get("server"), Daemon: q.Get("daemon"), Limit: changesPerPage}
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 0 {
			s.fail(w, r, nil, http.StatusBadRequest, "before: not a change number")
			return
		}
		f.Before = n
	}
	cs, err := s.store.Changes(r.Context(), f)
	if err != nil {
		s.changesFailed(w, r, err)
		return
	}
	d := changesData{List: cs}
	if len(cs) == changesPerPage {
		q.Set("before", strconv.FormatInt(cs[len(cs)-1].ID, 10))
		d.Older = "/changes?" + q.Encode()
	}
	s.render(w, r, http.StatusOK, "changes", page{Title: "Changes to Kea", Data: d})
}

func (s *Server) changesFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrUnavailable):
		s.fail(w, r, nil, http.StatusServiceUnavailable, "The database is unavailable, so the change log cannot be read now.")
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, nil, http.StatusNotFound, "No such change.")
	default:
		s.log.Error("reading the change log", "err", err)
		s.fail(w, r, nil, http.StatusInternalServerError, "The change log could not be read.")
	}
}
