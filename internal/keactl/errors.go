package keactl

import (
	"errors"
	"fmt"
)

// Reason classifies a failed command so that self-metrics can count failures
// by cause (ddiscope_poll_errors_total{reason}). The set is closed: every
// error this package returns carries one of these.
type Reason string

const (
	ReasonConnect      Reason = "connect"      // refused, no such socket, DNS, TLS handshake
	ReasonTimeout      Reason = "timeout"      // the per-request timeout or the caller's deadline
	ReasonHTTPStatus   Reason = "http_status"  // an HTTP status other than 200, 401, 403
	ReasonUnauthorized Reason = "unauthorized" // HTTP 401 or Kea's {"result":401}
	ReasonForbidden    Reason = "forbidden"    // HTTP 403 or Kea's {"result":403}
	ReasonTooLarge     Reason = "too_large"    // the reply exceeded the size cap
	ReasonMalformed    Reason = "malformed"    // not JSON, truncated, or not Kea's reply shape
	ReasonError        Reason = "result_error" // Kea result 1
	ReasonUnsupported  Reason = "unsupported"  // Kea result 2: command not supported (hook not loaded)
	ReasonEmpty        Reason = "empty"        // Kea result 3: nothing found, when the caller needs something
	ReasonConflict     Reason = "conflict"     // Kea result 4
	ReasonCanceled     Reason = "canceled"     // the caller gave up (shutdown, reload)
)

// Reasons lists every Reason, so that counters can be initialised to zero.
var Reasons = []Reason{ReasonConnect, ReasonTimeout, ReasonHTTPStatus, ReasonUnauthorized, ReasonForbidden,
	ReasonTooLarge, ReasonMalformed, ReasonError, ReasonUnsupported, ReasonEmpty, ReasonConflict, ReasonCanceled}

// Kea's result codes (Kea ARM, "Management API": 0 success, 1 error,
// 2 unsupported, 3 empty, 4 conflict; the RBAC and basic-auth layers answer
// 401 and 403 in the same field).
const (
	ResultSuccess     = 0
	ResultError       = 1
	ResultUnsupported = 2
	ResultEmpty       = 3
	ResultConflict    = 4
)

// Error is a failed command, naming the target, the command and the service
// it was sent to.
type Error struct {
	Target  string
	Command string
	Service string // "" when the command went to the daemon directly
	Reason  Reason
	Result  int    // Kea's result code, when Kea answered
	Text    string // Kea's text, when Kea answered
	Err     error  // the underlying transport error, if any
}

func (e *Error) Error() string {
	where := fmt.Sprintf("target %q: %s", e.Target, e.Command)
	if e.Service != "" {
		where += fmt.Sprintf(" (service %s)", e.Service)
	}
	switch {
	case e.Err != nil:
		return fmt.Sprintf("%s: %s: %v", where, e.Reason, e.Err)
	case e.Text != "":
		return fmt.Sprintf("%s: %s: result %d: %s", where, e.Reason, e.Result, e.Text)
	default:
		return fmt.Sprintf("%s: %s: result %d", where, e.Reason, e.Result)
	}
}

func (e *Error) Unwrap() error { return e.Err }

// ReasonOf returns the Reason of err, or ReasonMalformed for an error that
// did not come from this package.
func ReasonOf(err error) Reason {
	var ke *Error
	if errors.As(err, &ke) {
		return ke.Reason
	}
	return ReasonMalformed
}

// resultReason maps a Kea result code to a Reason; ok is false for success.
func resultReason(result int) (Reason, bool) {
	switch result {
	case ResultSuccess:
		return "", false
	case ResultError:
		return ReasonError, true
	case ResultUnsupported:
		return ReasonUnsupported, true
	case ResultEmpty:
		return ReasonEmpty, true
	case ResultConflict:
		return ReasonConflict, true
	case 401:
		return ReasonUnauthorized, true
	case 403:
		return ReasonForbidden, true
	default:
		return ReasonError, true
	}
}

// FailureReason names the Reason, so that pollers can count the failure
// without this package knowing them.
func (e *Error) FailureReason() string { return string(e.Reason) }
