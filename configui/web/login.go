package web

import (
	"crypto/hmac"
	"encoding/base64"
	"net/http"

	"github.com/ddiscope/ddiscope/configui/form"
)

type loginData struct {
	Next, Username, Token string
}

// loginToken is the login form's CSRF token, bound to the anonymous
// pre-session cookie (set here when missing).
func (s *Server) loginToken(w http.ResponseWriter, r *http.Request) string {
	v := ""
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) >= 32 {
		v = c.Value
	} else {
		v = randomID()
		http.SetCookie(w, s.cookie(r, preCookie, v, s.lifetime))
	}
	return base64.RawURLEncoding.EncodeToString(s.mac("login", v))
}

func (s *Server) checkLoginToken(r *http.Request) bool {
	c, err := r.Cookie(preCookie)
	if err != nil {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(r.PostFormValue("csrf_token"))
	return err == nil && hmac.Equal(got, s.mac("login", c.Value))
}

// loginForm shows the sign-in form; next is where signing in returns to.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	d := loginData{Next: form.SafeNext(r.URL.Query().Get("next")), Token: s.loginToken(w, r)}
	p := page{Title: "Sign in", Data: d}
	if !s.store.Up() {
		p.Notice = "The database is unavailable: signing in (which is recorded) is not possible until it returns. Pages you are already signed in to keep working."
	}
	s.render(w, r, http.StatusOK, "login", p)
}
