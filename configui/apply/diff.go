package apply

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Op is what happened at a path.
type Op string

const (
	Added   Op = "+"
	Removed Op = "-"
	Changed Op = "~"
)

// Edit is one difference between two configurations: a value added,
// removed or changed at a path such as
// Dhcp4.shared-networks[name=lab-lan].subnet4[id=1].pools[0].pool.
// Old and New are compact JSON ("" where absent).
type Edit struct {
	Op   Op
	Path string
	Old  string
	New  string
}

func (e Edit) String() string {
	switch e.Op {
	case Added:
		return fmt.Sprintf("+ %s: %s", e.Path, e.New)
	case Removed:
		return fmt.Sprintf("- %s: %s", e.Path, e.Old)
	}
	return fmt.Sprintf("~ %s: %s → %s", e.Path, e.Old, e.New)
}

// Render is the diff as text, one edit a line.
func Render(edits []Edit) string {
	var b strings.Builder
	for _, e := range edits {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// identityKeys name the members that identify an element of a list of
// objects in Kea's configuration (subnets by id; shared networks, option
// data, client classes by name; hook libraries by path; reservations by
// identifier). A list is matched by the first key every element of both
// sides has, with unique scalar values; otherwise by position after
// aligning equal elements, so a pool extended in place reads as a change of
// its range and a pool removed from the middle as one removal.
var identityKeys = []string{"id", "name", "library", "hw-address", "duid", "client-id", "circuit-id", "flex-id"}

// maxAlign bounds the alignment of unkeyed lists (n*m comparisons); longer
// lists are compared by position.
const maxAlign = 1 << 20

// Diff lists the differences from a to b (decoded JSON: maps, slices,
// strings, json.Number, bools, nil), in a stable order: object members by
// name, list elements in order.
func Diff(a, b any) []Edit {
	var d differ
	d.walk("", a, b)
	return d.edits
}

// DiffConfigs is Diff over two configurations.
func DiffConfigs(a, b Config) []Edit { return Diff(map[string]any(a), map[string]any(b)) }

type differ struct{ edits []Edit }

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

func join(path, member string) string {
	if path == "" {
		return member
	}
	return path + "." + member
}

func (d *differ) add(op Op, path string, old, new any) {
	e := Edit{Op: op, Path: path}
	if op != Added {
		e.Old = compact(old)
	}
	if op != Removed {
		e.New = compact(new)
	}
	d.edits = append(d.edits, e)
}

func (d *differ) walk(path string, a, b any) {
	// Most of a big configuration is unchanged: skip equal subtrees
	// without building anything.
	if equal(a, b) {
		return
	}
	switch x := a.(type) {
	case map[string]any:
		if y, ok := b.(map[string]any); ok {
			d.object(path, x, y)
			return
		}
	case []any:
		if y, ok := b.([]any); ok {
			d.list(path, x, y)
			return
		}
	default:
		if _, isMap := b.(map[string]any); !isMap {
			if _, isList := b.([]any); !isList && scalarEqual(a, b) {
				return
			}
		}
	}
	d.add(Changed, path, a, b)
}

func scalarEqual(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	case float64: // values built by code rather than decoded
		y, ok := b.(float64)
		return ok && x == y
	}
	return compact(a) == compact(b)
}

func (d *differ) object(path string, a, b map[string]any) {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		av, inA := a[k]
		bv, inB := b[k]
		p := join(path, k)
		switch {
		case !inB:
			d.add(Removed, p, av, nil)
		case !inA:
			d.add(Added, p, nil, bv)
		default:
			d.walk(p, av, bv)
		}
	}
}

// identity returns the key identifying every element of both lists, if any.
func identity(a, b []any) string {
	if len(a)+len(b) == 0 {
		return ""
	}
next:
	for _, k := range identityKeys {
		seenA, seenB := map[string]bool{}, map[string]bool{}
		for _, side := range []struct {
			l    []any
			seen map[string]bool
		}{{a, seenA}, {b, seenB}} {
			for _, e := range side.l {
				m, ok := e.(map[string]any)
				if !ok {
					return ""
				}
				v, ok := m[k]
				if !ok {
					continue next
				}
				id, ok := scalarID(v)
				if !ok || side.seen[id] {
					continue next
				}
				side.seen[id] = true
			}
		}
		return k
	}
	return ""
}

func scalarID(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return string(x), true
	case float64:
		return compact(x), true
	}
	return "", false
}

func (d *differ) list(path string, a, b []any) {
	if k := identity(a, b); k != "" {
		d.keyed(path, k, a, b)
		return
	}
	if len(a)*len(b) > maxAlign {
		d.byPosition(path, a, b, 0, 0)
		return
	}
	d.aligned(path, a, b)
}

func (d *differ) keyed(path, key string, a, b []any) {
	at := func(e any) string { id, _ := scalarID(e.(map[string]any)[key]); return id }
	inB := make(map[string]any, len(b))
	for _, e := range b {
		inB[at(e)] = e
	}
	inA := make(map[string]bool, len(a))
	for _, e := range a {
		id := at(e)
		inA[id] = true
		p := fmt.Sprintf("%s[%s=%s]", path, key, id)
		if be, ok := inB[id]; ok {
			d.walk(p, e, be)
		} else {
			d.add(Removed, p, e, nil)
		}
	}
	for _, e := range b {
		if id := at(e); !inA[id] {
			d.add(Added, fmt.Sprintf("%s[%s=%s]", path, key, id), nil, e)
		}
	}
}

// aligned matches equal elements by a longest common subsequence; the
// elements between two matches are paired by position (a change) and the
// rest are additions or removals. Indexes are the old list's, or the new
// list's for an addition.
func (d *differ) aligned(path string, a, b []any) {
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	lcs := make([][]int32, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int32, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if equal(a[i], b[j]) {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	gi, gj := 0, 0 // start of the current gap
	flush := func() {
		d.byPosition(path, a[gi:i], b[gj:j], gi, gj)
	}
	for i < len(a) && j < len(b) {
		switch {
		case equal(a[i], b[j]):
			flush()
			i, j = i+1, j+1
			gi, gj = i, j
		case lcs[i+1][j] >= lcs[i][j+1]:
			i++
		default:
			j++
		}
	}
	i, j = len(a), len(b)
	flush()
}

// byPosition pairs a[k] with b[k]; the longer side's rest is added or
// removed. offA and offB are the slices' positions in the whole lists.
func (d *differ) byPosition(path string, a, b []any, offA, offB int) {
	n := min(len(a), len(b))
	for k := 0; k < n; k++ {
		d.walk(fmt.Sprintf("%s[%d]", path, offA+k), a[k], b[k])
	}
	for k := n; k < len(a); k++ {
		d.add(Removed, fmt.Sprintf("%s[%d]", path, offA+k), a[k], nil)
	}
	for k := n; k < len(b); k++ {
		d.add(Added, fmt.Sprintf("%s[%d]", path, offB+k), nil, b[k])
	}
}

// equal is a deep equality of decoded JSON that allocates nothing.
func equal(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	if _, ok := b.(map[string]any); ok {
		return false
	}
	if _, ok := b.([]any); ok {
		return false
	}
	return scalarEqual(a, b)
}
