package collector

import (
	"slices"
	"strings"

	"github.com/ddiscope/ddiscope/catalog"
)

// Identity is the set of identity labels of one object (a server, a subnet,
// a pool, …), shared by every sample about it. Its label text is rendered
// once, when the object is first seen, because /metrics writes it ~10 times
// per object per poll.
type Identity struct {
	Values []string // in catalog.ScopeLabels order
	// Text is `name="value",…` with the names sorted, escaped for the text
	// exposition format.
	Text string
}

// NewIdentity builds the identity of an object of scope s.
func NewIdentity(s catalog.Scope, values ...string) *Identity {
	names := catalog.ScopeLabels(s)
	idx := make([]int, len(names))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return strings.Compare(names[a], names[b]) })
	var b strings.Builder
	for n, i := range idx {
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteString(names[i])
		b.WriteString(`="`)
		var v string
		if i < len(values) {
			v = values[i]
		}
		b.WriteString(EscapeLabelValue(v))
		b.WriteByte('"')
	}
	return &Identity{Values: values, Text: b.String()}
}

// EscapeLabelValue escapes backslash, double quote and newline, as the text
// exposition format requires.
func EscapeLabelValue(v string) string {
	if !strings.ContainsAny(v, "\\\"\n") {
		return v
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return r.Replace(v)
}
