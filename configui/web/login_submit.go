package web

import (
	"errors"
	"net/http"

	"github.com/ddiscope/ddiscope/configui/auth"
	"github.com/ddiscope/ddiscope/configui/form"
	"github.com/ddiscope/ddiscope/configui/store"
)

// dummyHash is verified against when the user does not exist, so that a
// wrong name costs as long as a wrong password.
var dummyHash, _ = auth.Hash("no such user")

// loginSubmit signs a user in: rate limits first, then the password, then a
// new session (a new ID at every sign-in; the old one is ended), recorded
// in the audit trail.
func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	again := func(status int, msg, username, next string) {
		s.render(w, r, status, "login", page{Title: "Sign in", Error: msg,
			Data: loginData{Next: next, Username: username, Token: s.loginToken(w, r)}})
	}
	if !s.checkLoginToken(r) {
		again(http.StatusForbidden, "The form's security token is missing or wrong: try again.", "", form.SafeNext(r.PostFormValue("next")))
		return
	}
	f, err := form.ReadLogin(r)
	if err != nil {
		again(http.StatusBadRequest, err.Error(), f.Username, f.Next)
		return
	}
	addr := s.remoteAddr(r).String()
	ctx := r.Context()
	now := s.now()
	keys := []string{"user:" + f.Username, "addr:" + addr}
	if s.limiter.blocked(now, keys...) {
		s.store.Audit(ctx, store.AuditEntry{Username: f.Username, Action: "login", RemoteAddr: addr, Detail: "rate limited"})
		again(http.StatusTooManyRequests, "Too many failed sign-ins for this user or address: wait a few minutes.", f.Username, f.Next)
		return
	}
	if !s.store.Up() {
		again(http.StatusServiceUnavailable, "The database is unavailable: signing in is recorded, so it is refused until the database returns.", f.Username, f.Next)
		return
	}
	u, err := s.store.UserByName(ctx, f.Username)
	if errors.Is(err, store.ErrUnavailable) {
		again(http.StatusServiceUnavailable, "The database is unavailable: signing in is refused until it returns.", f.Username, f.Next)
		return
	}
	hash := u.PasswordHash
	if err != nil {
		hash = dummyHash
	}
	s.loginSlot <- struct{}{}
	ok, verr := auth.Verify(hash, f.Password)
	<-s.loginSlot
	if err != nil || verr != nil || !ok {
		s.limiter.fail(now, keys...)
		s.store.Audit(ctx, store.AuditEntry{Username: f.Username, Action: "login", RemoteAddr: addr, Detail: "wrong user name or password"})
		again(http.StatusUnauthorized, "Wrong user name or password.", f.Username, f.Next)
		return
	}
	// Rotate: whatever session the browser had ends here.
	if c, err := r.Cookie(sessionCookie); err == nil {
		if old, ok := s.verify(c.Value, now); ok {
			s.store.DeleteSession(ctx, old.SID)
			s.sessions.drop(old.SID)
		}
	}
	sid := randomID()
	exp := now.Add(s.lifetime)
	if err := s.store.CreateSession(ctx, sid, u.ID, exp, addr); err != nil {
		again(http.StatusServiceUnavailable, "The session could not be recorded (database unavailable): try again shortly.", f.Username, f.Next)
		return
	}
	if err := s.store.Audit(ctx, store.AuditEntry{Username: u.Username, Action: "login", Success: true, RemoteAddr: addr}); err != nil {
		s.store.DeleteSession(ctx, sid)
		again(http.StatusServiceUnavailable, "The sign-in could not be recorded (database unavailable): try again shortly.", f.Username, f.Next)
		return
	}
	s.limiter.reset("user:" + f.Username)
	s.sessions.put(sid, store.User{ID: u.ID, Username: u.Username, Role: u.Role}, now)
	http.SetCookie(w, s.cookie(r, sessionCookie, s.sign(claims{SID: sid, UserID: u.ID, Username: u.Username, Role: u.Role, Expires: exp.Unix()}), s.lifetime))
	http.Redirect(w, r, f.Next, http.StatusSeeOther)
}
