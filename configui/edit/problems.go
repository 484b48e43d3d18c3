package edit

import (
	"strings"

	"github.com/ddiscope/ddiscope/configui/apply"
)

// Problems is every field a form got wrong, each with its message; a form
// shows them all at once beside the user's input.
type Problems []apply.EditError

func (p Problems) Error() string {
	var s []string
	for _, e := range p {
		s = append(s, e.Error())
	}
	return strings.Join(s, "; ")
}

// add records a problem.
func (p *Problems) add(field, msg string) { *p = append(*p, apply.EditError{Field: field, Msg: msg}) }

// Field returns the message for a field, "" when it is fine.
func (p Problems) Field(name string) string {
	for _, e := range p {
		if e.Field == name {
			return e.Msg
		}
	}
	return ""
}

// err is p as an error, nil when there are none.
func (p Problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return p
}
