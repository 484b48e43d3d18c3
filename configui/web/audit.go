package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/ddiscope/ddiscope/configui/store"
)

type auditData struct {
	Entries []store.AuditEntry
	Older   string
}

// audit shows the audit trail, newest first: sign-ins now, changes later.
func (s *Server) audit(w http.ResponseWriter, r *http.Request) {
	var before int64
	if b := r.URL.Query().Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 0 {
			s.fail(w, r, nil, http.StatusBadRequest, "before: not an entry number")
			return
		}
		before = n
	}
	es, err := s.store.AuditLog(r.Context(), 200, before)
	if errors.Is(err, store.ErrUnavailable) {
		s.fail(w, r, nil, http.StatusServiceUnavailable, "The database is unavailable, so the audit trail cannot be read now.")
		return
	}
	if err != nil {
		s.fail(w, r, nil, http.StatusInternalServerError, "The audit trail could not be read.")
		return
	}
	d := auditData{Entries: es}
	if len(es) == 200 {
		d.Older = "/audit?before=" + strconv.FormatInt(es[len(es)-1].ID, 10)
	}
	s.render(w, r, http.StatusOK, "audit", page{Title: "Change log", Data: d})
}
