// Package form reads and validates requests into typed structs, one per
// form. A handler gets either a valid struct or an error naming the field.
package form

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/ddiscope/ddiscope/configui/auth"
	"github.com/ddiscope/ddiscope/configui/keaview"
)

// FieldError names the field at fault.
type FieldError struct {
	Field, Msg string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// maxField bounds every text field.
const maxField = 256

func value(r *http.Request, name string) (string, error) {
	v := r.PostFormValue(name)
	if len(v) > maxField {
		return "", fieldErr(name, "longer than %d characters", maxField)
	}
	return v, nil
}

// SafeNext returns next when it is a path on this site, or "/" otherwise,
// so that a login link cannot send the user elsewhere (no open redirect).
func SafeNext(next string) string {
	if next == "" || len(next) > 2048 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsFunc(next, func(r rune) bool { return unicode.IsControl(r) || r == '\\' }) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

// Login is the sign-in form.
type Login struct {
	Username, Password, Next string
}

// ReadLogin reads the sign-in form.
func ReadLogin(r *http.Request) (Login, error) {
	var f Login
	var err error
	if f.Username, err = value(r, "username"); err != nil {
		return f, err
	}
	if f.Password, err = value(r, "password"); err != nil {
		return f, err
	}
	f.Next = SafeNext(r.PostFormValue("next"))
	f.Username = strings.TrimSpace(f.Username)
	if f.Username == "" || f.Password == "" {
		return f, fieldErr("username", "user name and password are both needed")
	}
	return f, nil
}

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$`)

// CheckUsername validates a new user's name.
func CheckUsername(name string) error {
	if !usernameRE.MatchString(name) {
		return fieldErr("username", "%q: use 1 to 128 letters, digits, '.', '_', '@' or '-', starting with a letter or digit", name)
	}
	return nil
}

// User is the form that adds a user.
type User struct {
	Username, Password, Role string
}

// ReadUser reads the add-user form.
func ReadUser(r *http.Request) (User, error) {
	var f User
	var err error
	if f.Username, err = value(r, "username"); err != nil {
		return f, err
	}
	if f.Password, err = value(r, "password"); err != nil {
		return f, err
	}
	if f.Role, err = value(r, "role"); err != nil {
		return f, err
	}
	if err := CheckUsername(f.Username); err != nil {
		return f, err
	}
	if len(f.Password) < 12 {
		return f, fieldErr("password", "at least 12 characters")
	}
	if !auth.ValidRole(f.Role) {
		return f, fieldErr("role", "%q is not viewer, operator or admin", f.Role)
	}
	return f, nil
}

// CloseChange is an admin's closing of a change left running: what they
// found on the servers.
type CloseChange struct {
	Note string
}

// ReadCloseChange reads the close form: a note of what the admin checked
// is required.
func ReadCloseChange(r *http.Request) (CloseChange, error) {
	note, err := value(r, "note")
	if err != nil {
		return CloseChange{}, err
	}
	note = strings.TrimSpace(note)
	if note == "" {
		return CloseChange{}, fieldErr("note", "say what you found on the servers (both hold the same configuration, which one)")
	}
	if strings.ContainsFunc(note, unicode.IsControl) {
		return CloseChange{}, fieldErr("note", "control characters are not allowed")
	}
	return CloseChange{Note: note}, nil
}

// InboxFilter is the inbox's query string.
type InboxFilter struct {
	Status string // "", firing or resolved
	Server string
	Page   int // from 1
}

// ReadInboxFilter reads ?status=&server=&page=.
func ReadInboxFilter(r *http.Request) (InboxFilter, error) {
	q := r.URL.Query()
	f := InboxFilter{Status: q.Get("status"), Server: q.Get("server"), Page: 1}
	if f.Status != "" && f.Status != "firing" && f.Status != "resolved" {
		return f, fieldErr("status", "%q is not firing or resolved", f.Status)
	}
	if len(f.Server) > maxField {
		return f, fieldErr("server", "longer than %d characters", maxField)
	}
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1_000_000 {
			return f, fieldErr("page", "%q is not a page number", p)
		}
		f.Page = n
	}
	return f, nil
}

// LeaseSearch is the lease search form (GET: searching changes nothing).
// By is "" (guess from the text) or ip, mac, client-id, duid, hostname;
// keaview validates and normalises the text.
type LeaseSearch struct {
	By, Text string
	Query    keaview.LeaseQuery
}

// ReadLeaseSearch reads ?by=&q=. An empty q is no search (Text == "").
func ReadLeaseSearch(r *http.Request) (LeaseSearch, error) {
	q := r.URL.Query()
	f := LeaseSearch{By: q.Get("by"), Text: strings.TrimSpace(q.Get("q"))}
	switch keaview.LeaseKind(f.By) {
	case "", keaview.ByIP, keaview.ByMAC, keaview.ByClientID, keaview.ByDUID, keaview.ByHostname:
	default:
		return f, fieldErr("by", "%q is not ip, mac, client-id, duid or hostname", f.By)
	}
	if f.Text == "" {
		return f, nil
	}
	if len(f.Text) > maxField {
		return f, fieldErr("q", "longer than %d characters", maxField)
	}
	lq, err := keaview.ParseLeaseQuery(f.By, f.Text)
	if err != nil {
		return f, &FieldError{Field: "q", Msg: err.Error()}
	}
	f.Query = lq
	return f, nil
}

// SubnetFilter is the subnet list's query string.
type SubnetFilter struct {
	Prefix, SharedNetwork string
	ID                    int64
	AlertingOnly          bool
	Page                  int
}

// ReadSubnetFilter reads ?prefix=&id=&shared_network=&alerting=&page=.
func ReadSubnetFilter(r *http.Request) (SubnetFilter, error) {
	q := r.URL.Query()
	f := SubnetFilter{Prefix: strings.TrimSpace(q.Get("prefix")), SharedNetwork: q.Get("shared_network"), AlertingOnly: q.Get("alerting") == "1", Page: 1}
	if len(f.Prefix) > maxField {
		return f, fieldErr("prefix", "longer than %d characters", maxField)
	}
	if len(f.SharedNetwork) > maxField {
		return f, fieldErr("shared_network", "longer than %d characters", maxField)
	}
	if v := q.Get("id"); v != "" {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 {
			return f, fieldErr("id", "%q is not a subnet ID", v)
		}
		f.ID = int64(n)
	}
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1_000_000 {
			return f, fieldErr("page", "%q is not a page number", p)
		}
		f.Page = n
	}
	return f, nil
}

// AsFieldError returns the FieldError in err, if any.
func AsFieldError(err error) (*FieldError, bool) {
	var fe *FieldError
	ok := errors.As(err, &fe)
	return fe, ok
}
