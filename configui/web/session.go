package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ddiscope/ddiscope/configui/store"
)

// Cookie names.
const (
	sessionCookie = "ddiscope_session"
	preCookie     = "ddiscope_pre" // anonymous: binds the login form's CSRF token
)

// claims are what a session cookie carries, signed: enough to serve pages
// that only read Kea while the database is away.
type claims struct {
	SID      string `json:"sid"`
	UserID   int64  `json:"uid"`
	Username string `json:"u"`
	Role     string `json:"r"`
	Expires  int64  `json:"exp"`
}

// User is the signed-in user of a request.
type User struct {
	Name, Role string
	SID        string // empty for SSO users
	ID         int64
}

func (s *Server) mac(parts ...string) []byte {
	h := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}

func (s *Server) sign(c claims) string {
	b, _ := json.Marshal(c)
	p := base64.RawURLEncoding.EncodeToString(b)
	return p + "." + base64.RawURLEncoding.EncodeToString(s.mac("session", p))
}

func (s *Server) verify(v string, now time.Time) (claims, bool) {
	p, sig, ok := strings.Cut(v, ".")
	if !ok {
		return claims{}, false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac("session", p)) {
		return claims{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return claims{}, false
	}
	var c claims
	if json.Unmarshal(b, &c) != nil || c.SID == "" || now.Unix() >= c.Expires {
		return claims{}, false
	}
	return c, true
}

func randomID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// csrfToken is the token forms of a signed-in session carry.
func (s *Server) csrfToken(sid string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac("csrf", sid))
}

// cookie makes a cookie with the flags every cookie of the editor has.
func (s *Server) cookie(r *http.Request, name, value string, maxAge time.Duration) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil || s.secure, MaxAge: int(maxAge.Seconds())}
}

// sessionCache remembers what the database said about a session for a short
// while, so a page view does not query it every time, and so a session
// stays usable while the database is away.
type sessionCache struct {
	mu sync.Mutex
	m  map[string]cachedSession
}

type cachedSession struct {
	user    store.User
	checked time.Time
}

const sessionRecheck = 30 * time.Second

func (c *sessionCache) get(sid string) (cachedSession, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[sid]
	return e, ok
}

func (c *sessionCache) put(sid string, u store.User, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 100_000 {
		clear(c.m)
	}
	c.m[sid] = cachedSession{user: u, checked: now}
}

func (c *sessionCache) drop(sid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, sid)
}

// sessionUser returns the signed-in user of r by session cookie. The
// database has the last word when it is there (a session ended or a user
// removed is refused at the next check); while it is away the signed cookie
// is trusted until it expires.
func (s *Server) sessionUser(ctx context.Context, r *http.Request) (User, bool) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return User{}, false
	}
	now := s.now()
	c, ok := s.verify(ck.Value, now)
	if !ok {
		return User{}, false
	}
	u := User{Name: c.Username, Role: c.Role, SID: c.SID, ID: c.UserID}
	if e, ok := s.sessions.get(c.SID); ok && now.Sub(e.checked) < sessionRecheck {
		u.Role = e.user.Role
		return u, true
	}
	su, err := s.store.SessionUser(ctx, c.SID)
	switch {
	case err == nil:
		s.sessions.put(c.SID, su, now)
		u.Role = su.Role
		return u, true
	case errors.Is(err, store.ErrUnavailable):
		if e, ok := s.sessions.get(c.SID); ok {
			u.Role = e.user.Role
		}
		return u, true
	default:
		s.sessions.drop(c.SID)
		return User{}, false
	}
}
