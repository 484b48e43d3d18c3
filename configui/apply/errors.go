package apply

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ddiscope/ddiscope/configui/store"
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
	Peer string
	// Scope names the part of the configuration that changed when the
	// edit is scoped ("subnet 3"); "" for the whole configuration.
	Scope     string
	Base, Now string // hashes
	// Changes is what changed since the form's configuration, when the
	// editor still holds that configuration (it keeps the last few it
	// read); nil otherwise.
	Changes []Edit
}

func (e *ConflictError) Error() string {
	if e.Scope != "" {
		return fmt.Sprintf("%s of %s changed since this form was opened (hash %.12s, now %.12s)", e.Scope, e.Peer, e.Base, e.Now)
	}
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
	// Unwritten are peers rolled back whose configuration file could not
	// be written again (config-write failed): they serve the old
	// configuration, but their file may hold the new one, or be cut short.
	Unwritten []string
}

func (e *RollbackError) Error() string {
	var b strings.Builder
	b.WriteString(e.Cause.Error())
	if len(e.RolledBack) > 0 {
		fmt.Fprintf(&b, "; rolled back %s to the configuration read before the change", strings.Join(e.RolledBack, ", "))
	}
	if len(e.Unwritten) > 0 {
		fmt.Fprintf(&b, "; the configuration file of %s could not be written back: it serves the old configuration, but its file may not hold it (a restart would read that file): free the disk and send config-write",
			strings.Join(e.Unwritten, ", "))
	}
	if len(e.Failed) > 0 {
		fmt.Fprintf(&b, "; ROLLBACK FAILED on %s: %v", strings.Join(e.Failed, ", "), e.RBErr)
	}
	return b.String()
}

func (e *RollbackError) Unwrap() error { return e.Cause }

// InDoubtError refuses a change while an earlier one on the same pair is
// still "running" in the change log: its editor lost the database (and
// with it the pair's lock) during the apply, or stopped, and its outcome
// is not recorded yet. Until it is, nobody can tell from the change log
// what the peers hold, so no other change starts (ErrRefused).
type InDoubtError struct {
	Change store.Change
}

func (e *InDoubtError) Error() string {
	return fmt.Sprintf("change #%d by %s on %s (started %s) has no recorded outcome: the editor that made it lost the database during the apply. "+
		"No change to these servers starts until it is recorded: that editor records it when the database is back; "+
		"if that editor is gone, an admin checks both servers and closes the change (docs/configui-edits.md)",
		e.Change.ID, e.Change.Username, e.Change.Server, e.Change.StartedAt.UTC().Format(time.RFC3339))
}

func (e *InDoubtError) Unwrap() error { return ErrRefused }

// ErrNotRecorded says the change log could not take an apply's outcome
// now (the database is away): the editor keeps it and records it when the
// database is back (Applier.Flush); the result says what was done.
var ErrNotRecorded = errors.New("the outcome is not in the change log yet")
