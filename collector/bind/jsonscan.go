package bind

import (
	"fmt"
	"unicode/utf8"
)

// jsonReader is a small pull parser over a whole JSON reply. BIND's replies
// are objects of counters; reading them with encoding/json into maps costs
// an allocation per key, and /json/v1 at 3,000 zones has ~40,000 keys.
// Strings come back as slices of the reply (copied only when they hold
// escapes), numbers without allocating. Errors are sticky: after the first,
// every call returns zero values and more reports false.
type jsonReader struct {
	b     []byte
	i     int
	err   error
	depth int
	first []bool // per open container: no member read yet
}

// maxDepth bounds nesting: BIND's deepest path is 6 levels.
const maxDepth = 64

func (r *jsonReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("json: offset %d: %s", r.i, fmt.Sprintf(format, args...))
	}
}

func (r *jsonReader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (r *jsonReader) peek() byte {
	r.ws()
	if r.i >= len(r.b) {
		return 0
	}
	return r.b[r.i]
}

// enter consumes '{' or '[' (open) and starts a container.
func (r *jsonReader) enter(open byte) bool {
	if r.err != nil {
		return false
	}
	if c := r.peek(); c != open {
		r.fail("expected %q, found %s", open, describe(c))
		return false
	}
	if r.depth >= maxDepth {
		r.fail("nested deeper than %d", maxDepth)
		return false
	}
	r.i++
	r.depth++
	r.first = append(r.first, true)
	return true
}

// more reports whether the current container has another member, consuming
// the separating comma, or its end.
func (r *jsonReader) more() bool {
	if r.err != nil || len(r.first) == 0 {
		return false
	}
	c := r.peek()
	if c == '}' || c == ']' {
		r.i++
		r.depth--
		r.first = r.first[:len(r.first)-1]
		return false
	}
	if !r.first[len(r.first)-1] {
		if c != ',' {
			r.fail("expected ',' or the end of the container, found %s", describe(c))
			return false
		}
		r.i++
	}
	r.first[len(r.first)-1] = false
	return true
}

// key reads an object member's name and its ':'.
func (r *jsonReader) key() []byte {
	k := r.str()
	if r.err == nil {
		if r.peek() != ':' {
			r.fail("expected ':' after a key")
			return nil
		}
		r.i++
	}
	return k
}

// str reads a string.
func (r *jsonReader) str() []byte {
	if r.err != nil {
		return nil
	}
	if r.peek() != '"' {
		r.fail("expected a string, found %s", describe(r.peek()))
		return nil
	}
	r.i++
	start := r.i
	for r.i < len(r.b) {
		switch c := r.b[r.i]; {
		case c == '"':
			s := r.b[start:r.i]
			r.i++
			return s
		case c == '\\':
			return r.unescape(start)
		case c < 0x20:
			r.fail("control character in a string")
			return nil
		}
		r.i++
	}
	r.fail("unterminated string")
	return nil
}

// unescape finishes a string holding escapes, into a new slice.
func (r *jsonReader) unescape(start int) []byte {
	out := append([]byte(nil), r.b[start:r.i]...)
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			return out
		case c < 0x20:
			r.fail("control character in a string")
			return nil
		case c != '\\':
			out = append(out, c)
			r.i++
			continue
		}
		if r.i+1 >= len(r.b) {
			break
		}
		e := r.b[r.i+1]
		r.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if r.i+4 > len(r.b) {
				r.fail("short \\u escape")
				return nil
			}
			var v rune
			for _, h := range r.b[r.i : r.i+4] {
				v <<= 4
				switch {
				case h >= '0' && h <= '9':
					v |= rune(h - '0')
				case h >= 'a' && h <= 'f':
					v |= rune(h-'a') + 10
				case h >= 'A' && h <= 'F':
					v |= rune(h-'A') + 10
				default:
					r.fail("bad \\u escape")
					return nil
				}
			}
			r.i += 4
			out = utf8.AppendRune(out, v) // lone surrogates become U+FFFD
		default:
			r.fail("bad escape \\%c", e)
			return nil
		}
	}
	r.fail("unterminated string")
	return nil
}

// number reads a number; ok is false (with the error set) for anything else.
func (r *jsonReader) number() (float64, bool) {
	if r.err != nil {
		return 0, false
	}
	r.ws()
	start := r.i
	for r.i < len(r.b) {
		c := r.b[r.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			r.i++
			continue
		}
		break
	}
	v, ok := parseNumber(r.b[start:r.i])
	if !ok {
		r.i = start
		r.fail("expected a number, found %s", describe(r.peek()))
	}
	return v, ok
}

// isNumber reports whether the next value is a number.
func (r *jsonReader) isNumber() bool {
	c := r.peek()
	return c == '-' || (c >= '0' && c <= '9')
}

// skip reads and discards one value of any kind.
func (r *jsonReader) skip() {
	if r.err != nil {
		return
	}
	switch c := r.peek(); {
	case c == '{':
		r.enter('{')
		for r.more() {
			r.key()
			r.skip()
		}
	case c == '[':
		r.enter('[')
		for r.more() {
			r.skip()
		}
	case c == '"':
		r.str()
	case c == '-' || (c >= '0' && c <= '9'):
		r.number()
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if len(r.b)-r.i >= len(lit) && string(r.b[r.i:r.i+len(lit)]) == lit {
				r.i += len(lit)
				return
			}
		}
		r.fail("unexpected %s", describe(c))
	}
}

// end checks that nothing but space follows the value.
func (r *jsonReader) end() error {
	if r.err == nil && r.peek() != 0 {
		r.fail("data after the end of the reply")
	}
	return r.err
}

// describe names a byte for an error message.
func describe(c byte) string {
	switch {
	case c == 0:
		return "the end of the reply"
	case c >= 0x20 && c < 0x7f:
		return fmt.Sprintf("%q", c)
	default:
		return fmt.Sprintf("byte 0x%02x", c)
	}
}
