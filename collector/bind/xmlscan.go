package bind

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// xmlReader is a small pull parser for the XML BIND writes: elements,
// attributes, text, the prolog's processing instructions, comments; no
// DTDs, namespaces or CDATA. encoding/xml allocates every token, and
// /xml/v3 at 3,000 zones is 9 MB of ~450,000 tokens. Names, attribute values
// and text come back as slices of the reply (copied only when they hold
// entities). Errors are sticky.
type xmlReader struct {
	b     []byte
	i     int
	err   error
	stack [][]byte // names of the open elements
}

// xmlTag is a start tag just read.
type xmlTag struct {
	name  []byte
	attrs []byte // the raw attributes
	empty bool   // <name/>: no content, no end tag
}

func (x *xmlReader) fail(format string, args ...any) {
	if x.err == nil {
		x.err = fmt.Errorf("xml: offset %d: %s", x.i, fmt.Sprintf(format, args...))
	}
}

// root reads the prolog and the root element's start tag.
func (x *xmlReader) root(t *xmlTag) bool {
	if !x.next(t) {
		if x.err == nil {
			x.fail("no root element")
		}
		return false
	}
	return true
}

// child reads the next child element of the innermost open element. It
// returns false once that element's end tag is consumed, or on error. Text
// between children is ignored.
func (x *xmlReader) child(t *xmlTag) bool {
	if x.err != nil {
		return false
	}
	if len(x.stack) == 0 {
		x.fail("no open element")
		return false
	}
	return x.next(t)
}

// next reads up to the next start tag (true) or end tag (false, after
// checking it closes the innermost element).
func (x *xmlReader) next(t *xmlTag) bool {
	for x.err == nil {
		lt := bytes.IndexByte(x.b[x.i:], '<')
		if lt < 0 {
			if len(x.stack) > 0 {
				x.fail("unexpected end inside <%s>", x.stack[len(x.stack)-1])
			}
			x.i = len(x.b)
			return false
		}
		x.i += lt
		rest := x.b[x.i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("-->"))
			if end < 0 {
				x.fail("unterminated comment")
				return false
			}
			x.i += 4 + end + 3
		case bytes.HasPrefix(rest, []byte("<?")), bytes.HasPrefix(rest, []byte("<!")):
			end := bytes.IndexByte(rest, '>')
			if end < 0 {
				x.fail("unterminated declaration")
				return false
			}
			x.i += end + 1
		case bytes.HasPrefix(rest, []byte("</")):
			end := bytes.IndexByte(rest, '>')
			if end < 0 {
				x.fail("unterminated end tag")
				return false
			}
			name := bytes.TrimSpace(rest[2:end])
			if len(x.stack) == 0 || !bytes.Equal(name, x.stack[len(x.stack)-1]) {
				x.fail("end tag </%s> does not close the open element", name)
				return false
			}
			x.stack = x.stack[:len(x.stack)-1]
			x.i += end + 1
			return false
		default:
			return x.startTag(t)
		}
	}
	return false
}

func (x *xmlReader) startTag(t *xmlTag) bool {
	rest := x.b[x.i+1:]
	end := bytes.IndexByte(rest, '>')
	if end < 0 {
		x.fail("unterminated start tag")
		return false
	}
	inner := rest[:end]
	x.i += 1 + end + 1
	t.empty = len(inner) > 0 && inner[len(inner)-1] == '/'
	if t.empty {
		inner = inner[:len(inner)-1]
	}
	n := 0
	for n < len(inner) && !isSpace(inner[n]) {
		n++
	}
	if n == 0 {
		x.fail("element without a name")
		return false
	}
	t.name, t.attrs = inner[:n], inner[n:]
	if !t.empty {
		if len(x.stack) >= maxDepth {
			x.fail("nested deeper than %d", maxDepth)
			return false
		}
		x.stack = append(x.stack, t.name)
	}
	return true
}

// text reads the content of the element t just opened, through its end
// tag. An element inside it is an error: BIND's leaves hold text only.
func (x *xmlReader) text(t *xmlTag) []byte {
	if t.empty || x.err != nil {
		return nil
	}
	lt := bytes.IndexByte(x.b[x.i:], '<')
	if lt < 0 {
		x.fail("unterminated <%s>", t.name)
		return nil
	}
	s := x.b[x.i : x.i+lt]
	x.i += lt
	var inner xmlTag
	if x.next(&inner) {
		x.fail("element <%s> inside <%s>, where text was expected", inner.name, t.name)
		return nil
	}
	if x.err != nil {
		return nil
	}
	return unentity(s, x)
}

// skip discards the element t just opened.
func (x *xmlReader) skip(t *xmlTag) {
	if t.empty {
		return
	}
	depth := len(x.stack)
	var c xmlTag
	for x.err == nil && len(x.stack) >= depth {
		x.next(&c)
	}
}

// end checks that the document is complete.
func (x *xmlReader) end() error {
	if x.err == nil && len(x.stack) > 0 {
		x.fail("<%s> is not closed", x.stack[len(x.stack)-1])
	}
	if x.err == nil && bytes.IndexByte(x.b[x.i:], '<') >= 0 {
		var t xmlTag
		if x.next(&t) {
			x.fail("a second root element <%s>", t.name)
		}
	}
	return x.err
}

// attr returns an attribute's value, or nil.
func (x *xmlReader) attr(t *xmlTag, name string) []byte {
	a := t.attrs
	for len(a) > 0 {
		a = bytes.TrimLeft(a, " \t\r\n")
		eq := bytes.IndexByte(a, '=')
		if eq < 0 {
			return nil
		}
		key := bytes.TrimSpace(a[:eq])
		a = bytes.TrimLeft(a[eq+1:], " \t\r\n")
		if len(a) == 0 || (a[0] != '"' && a[0] != '\'') {
			x.fail("unquoted value of attribute %s", key)
			return nil
		}
		q := a[0]
		close := bytes.IndexByte(a[1:], q)
		if close < 0 {
			x.fail("unterminated value of attribute %s", key)
			return nil
		}
		v := a[1 : 1+close]
		a = a[1+close+1:]
		if string(key) == name {
			return unentity(v, x)
		}
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// unentity decodes the five predefined entities and character references;
// it allocates only when there is one.
func unentity(s []byte, x *xmlReader) []byte {
	amp := bytes.IndexByte(s, '&')
	if amp < 0 {
		return s
	}
	out := append([]byte(nil), s[:amp]...)
	s = s[amp:]
	for len(s) > 0 {
		if s[0] != '&' {
			out = append(out, s[0])
			s = s[1:]
			continue
		}
		semi := bytes.IndexByte(s, ';')
		if semi < 0 {
			x.fail("unterminated entity")
			return nil
		}
		ent := string(s[1:semi])
		s = s[semi+1:]
		switch ent {
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "amp":
			out = append(out, '&')
		case "quot":
			out = append(out, '"')
		case "apos":
			out = append(out, '\'')
		default:
			var v uint64
			var err error
			switch {
			case len(ent) > 2 && (ent[:2] == "#x" || ent[:2] == "#X"):
				v, err = strconv.ParseUint(ent[2:], 16, 32)
			case len(ent) > 1 && ent[0] == '#':
				v, err = strconv.ParseUint(ent[1:], 10, 32)
			default:
				err = fmt.Errorf("unknown entity")
			}
			if err != nil || v > utf8.MaxRune {
				x.fail("bad entity &%s;", ent)
				return nil
			}
			out = utf8.AppendRune(out, rune(v))
		}
	}
	return out
}
