package web

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ddiscope/ddiscope/configui/auth"
	"github.com/ddiscope/ddiscope/configui/store"
)

// csp allows only the editor's own stylesheet and images: no scripts at
// all, no inline styles, no framing, forms only to itself.
const csp = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (s *Server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// gate answers 503 to everything but the health endpoints while the
// database is away and on-fail is stop-retry-exit.
func (s *Server) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.store.Serving() && !strings.HasPrefix(r.URL.Path, "/-/") {
			http.Error(w, "The database is unavailable and database on-fail is stop-retry-exit: the editor is stopped until it returns.", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type userKey struct{}

// userOf returns the signed-in user that requireUser put in the context.
func userOf(r *http.Request) *User {
	u, _ := r.Context().Value(userKey{}).(*User)
	return u
}

// requireUser admits signed-in users with at least role min. Anonymous GETs
// go to the login page with the page asked for, so a remediation link
// survives signing in; other methods get 401. A state change must also
// carry the session's CSRF token.
func (s *Server) requireUser(min string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.ssoUser(r.Context(), r)
		if !ok {
			u, ok = s.sessionUser(r.Context(), r)
		}
		if !ok {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/login?"+url.Values{"next": {r.URL.RequestURI()}}.Encode(), http.StatusSeeOther)
				return
			}
			http.Error(w, "Sign in first.", http.StatusUnauthorized)
			return
		}
		if !auth.AtLeast(u.Role, min) {
			s.fail(w, r, &u, http.StatusForbidden, "Your role ("+u.Role+") may not do this: it needs "+min+".")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !s.checkCSRF(r, u) {
				s.fail(w, r, &u, http.StatusForbidden, "The form's security token is missing or wrong: reload the page and try again.")
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, &u)))
	})
}

func (s *Server) checkCSRF(r *http.Request, u User) bool {
	sid := u.SID
	if sid == "" {
		sid = "sso:" + u.Name
	}
	got, err := base64.RawURLEncoding.DecodeString(r.PostFormValue("csrf_token"))
	return err == nil && len(got) > 0 && hmac.Equal(got, s.mac("csrf", sid))
}

// csrfFor is the token a page's forms carry for u.
func (s *Server) csrfFor(u *User) string {
	if u == nil {
		return ""
	}
	if u.SID == "" {
		return s.csrfToken("sso:" + u.Name)
	}
	return s.csrfToken(u.SID)
}

// remoteAddr is the client's address: the peer, or, when the peer is a
// trusted proxy, the last address it appended to X-Forwarded-For.
func (s *Server) remoteAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	a := ap.Addr().Unmap()
	if s.trusted(a) {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if fa, err := netip.ParseAddr(strings.TrimSpace(parts[len(parts)-1])); err == nil {
				return fa.Unmap()
			}
		}
	}
	return a
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ssoUser reads the SSO header, only from a trusted proxy: the same header
// from anyone else is ignored (and logged), so it cannot be spoofed.
func (s *Server) ssoUser(ctx context.Context, r *http.Request) (User, bool) {
	hdr := s.cfg.Web.SSOHeader
	if hdr == "" {
		return User{}, false
	}
	name := strings.TrimSpace(r.Header.Get(hdr))
	if name == "" {
		return User{}, false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !s.trusted(ap.Addr().Unmap()) {
		s.log.Warn("SSO header from an untrusted address ignored", "header", hdr, "remote", r.RemoteAddr)
		return User{}, false
	}
	now := s.now()
	if e, ok := s.ssoUsers.get(name); ok && now.Sub(e.checked) < sessionRecheck {
		return User{Name: name, Role: e.user.Role, ID: e.user.ID}, true
	}
	su, err := s.store.UserByName(ctx, name)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrNotFound) && s.cfg.Web.SSODefaultRole != "":
		if err := s.store.CreateUser(ctx, name, auth.NoPassword, s.cfg.Web.SSODefaultRole); err != nil && !errors.Is(err, store.ErrExists) {
			s.log.Warn("SSO: adding user", "user", name, "err", err)
			return User{}, false
		}
		s.store.Audit(ctx, store.AuditEntry{Username: name, Action: "user-add-sso", Success: true, RemoteAddr: s.remoteAddr(r).String(),
			Detail: "role " + s.cfg.Web.SSODefaultRole})
		if su, err = s.store.UserByName(ctx, name); err != nil {
			return User{}, false
		}
	case errors.Is(err, store.ErrUnavailable):
		if e, ok := s.ssoUsers.get(name); ok {
			return User{Name: name, Role: e.user.Role, ID: e.user.ID}, true
		}
		return User{}, false
	default:
		return User{}, false
	}
	if _, seen := s.ssoUsers.get(name); !seen {
		s.store.Audit(ctx, store.AuditEntry{Username: name, Action: "login-sso", Success: true, RemoteAddr: s.remoteAddr(r).String()})
	}
	s.ssoUsers.put(name, su, now)
	return User{Name: name, Role: su.Role, ID: su.ID}, true
}

// limiter counts failed sign-ins per key (user, address) in a fixed window.
type limiter struct {
	max    int
	window time.Duration
	mu     sync.Mutex
	m      map[string]*window
}

type window struct {
	start time.Time
	n     int
}

func newLimiter(max int, w time.Duration) *limiter {
	return &limiter{max: max, window: w, m: map[string]*window{}}
}

// blocked says whether any key has used up its failures.
func (l *limiter) blocked(now time.Time, keys ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if w, ok := l.m[k]; ok && now.Sub(w.start) < l.window && w.n >= l.max {
			return true
		}
	}
	return false
}

// fail counts one failure for every key.
func (l *limiter) fail(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) > 100_000 {
		for k, w := range l.m {
			if now.Sub(w.start) >= l.window {
				delete(l.m, k)
			}
		}
	}
	for _, k := range keys {
		w, ok := l.m[k]
		if !ok || now.Sub(w.start) >= l.window {
			w = &window{start: now}
			l.m[k] = w
		}
		w.n++
	}
}

// reset forgets a user's failures after a good sign-in.
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, key)
}
