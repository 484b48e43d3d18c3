package collector

import (
	"errors"
	"fmt"
)

// Reason classifies a failed poll so that self-metrics can count failures by
// cause (ddiscope_poll_errors_total{reason}). The set is closed and shared by
// every poller: the Kea and BIND pollers each map their own failures onto it.
type Reason string

const (
	ReasonConnect      Reason = "connect"      // refused, no such socket, DNS, TLS handshake
	ReasonTimeout      Reason = "timeout"      // the per-request timeout or the caller's deadline
	ReasonHTTPStatus   Reason = "http_status"  // an HTTP status other than 200, 401, 403
	ReasonUnauthorized Reason = "unauthorized" // HTTP 401 or Kea's {"result":401}
	ReasonForbidden    Reason = "forbidden"    // HTTP 403 or Kea's {"result":403}
	ReasonTooLarge     Reason = "too_large"    // the reply exceeded the size cap
	ReasonMalformed    Reason = "malformed"    // not the reply's format, truncated, or not its shape
	ReasonError        Reason = "result_error" // the server answered with an error (Kea result 1)
	ReasonUnsupported  Reason = "unsupported"  // Kea result 2: command not supported (hook not loaded)
	ReasonEmpty        Reason = "empty"        // Kea result 3: nothing found, when the poller needs something
	ReasonConflict     Reason = "conflict"     // Kea result 4
	ReasonCanceled     Reason = "canceled"     // the poller gave up (shutdown, reload)
)

// Reasons lists every Reason, so that counters can be initialised to zero.
var Reasons = []Reason{ReasonConnect, ReasonTimeout, ReasonHTTPStatus, ReasonUnauthorized, ReasonForbidden,
	ReasonTooLarge, ReasonMalformed, ReasonError, ReasonUnsupported, ReasonEmpty, ReasonConflict, ReasonCanceled}

// Error is a failed request of a poller, naming the target and the request.
type Error struct {
	Target  string
	Command string // what was asked: "GET /json/v1/server", "statistic-get-all"
	Reason  Reason
	Status  int   // the HTTP status, when the server answered with one
	Err     error // the underlying error
}

func (e *Error) Error() string {
	return fmt.Sprintf("target %q: %s: %s: %v", e.Target, e.Command, e.Reason, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// reasoned is an error that knows its failure reason by name: *Error, and
// the Kea control client's errors, which cannot import this package.
type reasoned interface{ FailureReason() string }

// FailureReason makes *Error a reasoned error.
func (e *Error) FailureReason() string { return string(e.Reason) }

// ReasonOf returns the Reason of err, or ReasonMalformed for an error that
// names none (or names one outside the closed set).
func ReasonOf(err error) Reason {
	var r reasoned
	if errors.As(err, &r) {
		reason := Reason(r.FailureReason())
		for _, known := range Reasons {
			if reason == known {
				return reason
			}
		}
	}
	return ReasonMalformed
}
