package apply

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoChange is returned when an edit leaves the configuration as it was.
var ErrNoChange = errors.New("the edit changes nothing")

// ErrRefused wraps every refusal before Kea is touched that is not the
// user's fault: the database is away, the pair is not healthy, the lock
// could not be had.
var ErrRefused = errors.New("change refused")

// ConflictError says the configuration changed since the form was built
// from it. The form keeps the user's input and shows Changes.
type ConflictError struct {
	Peer      string
	Base, Now string // hashes
	// Changes is what changed since the form's configuration, when the
	// editor still holds that configuration (it keeps the last few it
	// read); nil otherwise.
	Changes []Edit
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("the configuration of %s changed since this form was opened (hash %.12s, now %.12s)", e.Peer, e.Base, e.Now)
}

// StepError is a Kea command that failed during an apply, with Kea's own
// message.
type StepError struct {
	Peer    string
	Command string
	Text    string // Kea's message, or the transport error
	Err     error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("%s on %s: %s", e.Command, e.Peer, e.Text)
}

func (e *StepError) Unwrap() error { return e.Err }

// EditError is an edit that cannot be made on this configuration (the
// subnet is gone, the value does not fit); Field names the form field.
type EditError struct {
	Field string
	Msg   string
}

func (e *EditError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// RollbackError says an apply failed after changing some peers, and what
// the rollback did.
type RollbackError struct {
	Cause      error
	RolledBack []string // peers put back to the configuration read at the start
	Failed     []string // peers the rollback could not restore
	RBErr      error
}

func (e *RollbackError) Error() string {
	var b strings.Builder
	b.WriteString(e.Cause.Error())
	if len(e.RolledBack) > 0 {
		fmt.Fprintf(&b, "; rolled back %s to the configuration read before the change", strings.Join(e.RolledBack, ", "))
	}
	if len(e.Failed) > 0 {
		fmt.Fprintf(&b, "; ROLLBACK FAILED on %s: %v", strings.Join(e.Failed, ", "), e.RBErr)
	}
	return b.String()
}

func (e *RollbackError) Unwrap() error { return e.Cause }
