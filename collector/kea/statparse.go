package kea

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// The reply to statistic-get-all is the largest thing Kea sends: 5.5 MB at
// 10,000 subnets with one sample per statistic, twenty times that with Kea's
// default of 20 samples. Only the newest sample of each statistic matters, so
// the reply is read as a stream in a fixed buffer, the newest value of each
// statistic handed to a callback and everything else skipped, without
// building a tree. encoding/json into maps costs ~30 times as much CPU.

const scanBufSize = 64 << 10

// maxDepth bounds nesting in skipped values, so garbage like [[[[… cannot
// exhaust anything.
const maxDepth = 64

var errDepth = errors.New("JSON nested too deeply")

// statEnvelope is what the reply says beside the statistics.
type statEnvelope struct {
	Result    int
	HasResult bool
	Text      string
}

// parseStatistics reads a statistic-get-all reply (a single object from a
// daemon, or an array of one object from the Control Agent) and calls stat for
// the newest sample of each statistic whose value is a number. name and raw
// are valid only during the call. Statistics with no sample or a non-numeric
// value are passed to odd, if not nil.
func parseStatistics(r io.Reader, stat func(name, raw []byte), odd func(name []byte)) (statEnvelope, error) {
	return parseStatisticsIn(make([]byte, scanBufSize), nil, r, stat, odd)
}

// parseStatisticsIn is parseStatistics reading through buf, the caller's
// buffer kept across polls, and replaying the statistics whose text is
// what m remembers at their position (m may be nil).
func parseStatisticsIn(buf []byte, m *entryMemo, r io.Reader, stat func(name, raw []byte), odd func(name []byte)) (statEnvelope, error) {
	s := &scanner{r: r, buf: buf, entries: m}
	if m != nil {
		m.start()
	}
	var env statEnvelope
	c, err := s.next()
	if err != nil {
		return env, err
	}
	switch c {
	case '[':
		s.pos++
		c, err = s.next()
		if err != nil {
			return env, err
		}
		if c == ']' {
			return env, errors.New("empty reply array: no service answered")
		}
		if err := s.envelope(&env, stat, odd); err != nil {
			return env, err
		}
		c, err = s.next()
		if err != nil {
			return env, err
		}
		if c == ',' {
			return env, errors.New("reply array has more than one element: statistics were asked of one service")
		}
		if c != ']' {
			return env, s.unexpected(c, "']'")
		}
	case '{':
		if err := s.envelope(&env, stat, odd); err != nil {
			return env, err
		}
	default:
		return env, s.unexpected(c, "'{' or '['")
	}
	if !env.HasResult {
		return env, errors.New(`reply has no "result"`)
	}
	return env, nil
}

// envelope reads {"arguments": {...}, "result": N, "text": "..."} in any order.
func (s *scanner) envelope(env *statEnvelope, stat func(name, raw []byte), odd func(name []byte)) error {
	return s.reply(env, func() error { return s.statistics(stat, odd) })
}

// statistics reads the arguments, {"name": [[value, "time"], ...], ...},
// replaying each statistic whose text s.entries remembers at its position
// and remembering the others.
func (s *scanner) statistics(stat func(name, raw []byte), odd func(name []byte)) error {
	m := s.entries
	if m == nil {
		return s.object(func(name []byte) error { return s.samples(name, stat, odd) })
	}
	// Where the value of the statistic being read lies, as the wrapped
	// callbacks see it: number leaves the position just after it.
	var raw int64
	var rawLen int
	seen := func(name, v []byte) {
		raw, rawLen = s.offset+int64(s.pos-len(v)), len(v)
		stat(name, v)
	}
	if err := s.open('{'); err != nil {
		return err
	}
	for i := 0; ; i++ {
		c, err := s.next()
		if err != nil {
			return err
		}
		if c == '}' {
			s.pos++
			if i < len(m.entries) {
				m.entries = m.entries[:i]
			}
			return nil
		}
		if i > 0 {
			if c != ',' {
				return s.unexpected(c, "',' or '}'")
			}
			s.pos++
			if c, err = s.next(); err != nil {
				return err
			}
		}
		if c != '"' {
			return s.unexpected(c, "a string key")
		}
		if ok, err := s.replay(m, i, stat, odd); ok || err != nil {
			if err != nil {
				return err
			}
			continue
		}
		start := s.offset + int64(s.pos)
		s.mark, s.marked = start, true
		k, err := s.str()
		if err != nil {
			return err
		}
		s.key = append(s.key[:0], k...)
		if c, err = s.next(); err != nil {
			return err
		}
		if c != ':' {
			return s.unexpected(c, "':'")
		}
		s.pos++
		raw, rawLen = -1, 0
		if err := s.samples(s.key, seen, odd); err != nil {
			return err
		}
		s.remember(m, i, start, s.key, raw, rawLen)
		s.marked = false
	}
}

// reply reads a Kea reply object, {"result": N, "text": "...", "arguments":
// {...}} in any order, into env; arguments reads the arguments object, its
// '{' next, and is not called when they are null or not an object (an error
// result).
func (s *scanner) reply(env *statEnvelope, arguments func() error) error {
	return s.object(func(key []byte) error {
		switch string(key) {
		case "result":
			raw, err := s.number()
			if err != nil {
				return fmt.Errorf(`"result": %w`, err)
			}
			n, err := strconv.Atoi(string(raw))
			if err != nil {
				return fmt.Errorf(`"result" %q is not an integer`, raw)
			}
			env.Result, env.HasResult = n, true
			return nil
		case "text":
			c, err := s.next()
			if err != nil {
				return err
			}
			if c != '"' {
				return s.skip()
			}
			t, err := s.str()
			if err != nil {
				return err
			}
			env.Text = string(t)
			return nil
		case "arguments":
			c, err := s.next()
			if err != nil {
				return err
			}
			if c != '{' {
				return s.skip() // null or {} with an error result
			}
			return arguments()
		default:
			return s.skip()
		}
	})
}

// samples reads [[value, "time"], ...] and reports the first (newest) value.
func (s *scanner) samples(name []byte, stat func(name, raw []byte), odd func(name []byte)) error {
	c, err := s.next()
	if err != nil {
		return err
	}
	if c != '[' {
		if odd != nil {
			odd(name)
		}
		return s.skip()
	}
	s.pos++
	c, err = s.next()
	if err != nil {
		return err
	}
	if c == ']' { // no sample at all
		s.pos++
		if odd != nil {
			odd(name)
		}
		return nil
	}
	if c != '[' {
		return s.unexpected(c, "'[' starting a sample")
	}
	s.pos++
	c, err = s.next()
	if err != nil {
		return err
	}
	if c == '-' || (c >= '0' && c <= '9') {
		raw, err := s.number()
		if err != nil {
			return err
		}
		stat(name, raw)
	} else {
		if odd != nil {
			odd(name)
		}
		if err := s.skip(); err != nil {
			return err
		}
	}
	// The rest of the newest sample (its timestamp) and the older samples.
	return s.skipTail(2)
}

// skipTail consumes the rest of depth nested arrays whose '[' were read,
// through the outermost ']'. Kea keeps up to 20 samples per statistic and only the newest is used,
// so this runs over ~95% of a long-running Kea's reply: it jumps from one
// bracket or quote to the next instead of tokenising numbers.
func (s *scanner) skipTail(depth int) error {
	for {
		i := s.pos
		for i < s.end {
			if c := s.buf[i]; c == '"' || c == '[' || c == ']' {
				break
			}
			i++
		}
		if i == s.end {
			s.pos = s.end
			ok, err := s.fill()
			if err != nil {
				return err
			}
			if !ok {
				return io.ErrUnexpectedEOF
			}
			continue
		}
		s.pos = i
		switch s.buf[s.pos] {
		case '"':
			if _, err := s.str(); err != nil {
				return err
			}
		case '[':
			depth++
			if depth > maxDepth {
				return errDepth
			}
			s.pos++
		case ']':
			depth--
			s.pos++
			if depth == 0 {
				return nil
			}
		}
	}
}

// scanner is a minimal pull reader over a JSON stream in a fixed buffer.
type scanner struct {
	r       io.Reader
	buf     []byte
	pos     int
	end     int
	eof     bool
	offset  int64 // bytes consumed before buf[0], for error positions
	scratch []byte
	key     []byte
	entries *entryMemo // nil: nothing remembered from poll to poll
	// marked says fill keeps the text from mark, an absolute offset.
	marked bool
	mark   int64
}

// fill makes room and reads more; it returns false at the end of the stream.
func (s *scanner) fill() (bool, error) {
	if s.eof {
		return false, nil
	}
	// Room is made only when the buffer is full, and then at least half of
	// it is freed: whatever the size of the reads, each byte is moved at
	// most a few times. The text of the statistic being read (from s.mark)
	// is kept when it leaves that half free; a longer one is not remembered.
	if s.end == len(s.buf) {
		from := s.pos
		if s.marked {
			if m := int(s.mark - s.offset); s.end-m <= len(s.buf)/2 {
				from = m
			} else {
				s.marked = false
			}
		}
		if from > 0 {
			s.end = copy(s.buf, s.buf[from:s.end])
			s.offset += int64(from)
			s.pos -= from
		}
	}
	if s.end == len(s.buf) {
		// A single token longer than the buffer: grow, bounded by the reader's cap.
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err == io.EOF {
			s.eof = true
			return n > 0, nil
		}
		if err != nil {
			return false, err
		}
		if n > 0 {
			return true, nil
		}
	}
}

// next skips white space and returns the next byte without consuming it.
func (s *scanner) next() (byte, error) {
	for {
		for s.pos < s.end {
			c := s.buf[s.pos]
			if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
				return c, nil
			}
			s.pos++
		}
		ok, err := s.fill()
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, io.ErrUnexpectedEOF
		}
	}
}

func (s *scanner) unexpected(c byte, want string) error {
	return fmt.Errorf("offset %d: unexpected %q, expected %s", s.offset+int64(s.pos), c, want)
}

// open consumes the next byte, which must be bracket.
func (s *scanner) open(bracket byte) error {
	c, err := s.next()
	if err != nil {
		return err
	}
	if c != bracket {
		return s.unexpected(c, "'"+string(bracket)+"'")
	}
	s.pos++
	return nil
}

// object reads {"key": value, ...}, calling field for each key with the
// scanner positioned at the value, which field must consume.
func (s *scanner) object(field func(key []byte) error) error {
	if err := s.open('{'); err != nil {
		return err
	}
	first := true
	for {
		c, err := s.next()
		if err != nil {
			return err
		}
		if c == '}' {
			s.pos++
			return nil
		}
		if !first {
			if c != ',' {
				return s.unexpected(c, "',' or '}'")
			}
			s.pos++
			if c, err = s.next(); err != nil {
				return err
			}
		}
		first = false
		if c != '"' {
			return s.unexpected(c, "a string key")
		}
		k, err := s.str()
		if err != nil {
			return err
		}
		// k points into the buffer, which the next read may move.
		s.key = append(s.key[:0], k...)
		key := s.key
		if c, err = s.next(); err != nil {
			return err
		}
		if c != ':' {
			return s.unexpected(c, "':'")
		}
		s.pos++
		if err := field(key); err != nil {
			return err
		}
	}
}

// array reads [value, ...], calling elem with the scanner positioned at
// each value, which elem must consume.
func (s *scanner) array(what string, elem func() error) error {
	c, err := s.next()
	if err != nil {
		return err
	}
	if c != '[' {
		return s.unexpected(c, "'[' starting "+what)
	}
	s.pos++
	for first := true; ; first = false {
		c, err := s.next()
		if err != nil {
			return err
		}
		if c == ']' {
			s.pos++
			return nil
		}
		if !first {
			if c != ',' {
				return s.unexpected(c, "',' or ']'")
			}
			s.pos++
		}
		if err := elem(); err != nil {
			return err
		}
	}
}

// str reads a string at the current '"'. The result is valid until the next
// read: it points into the buffer or into scratch.
func (s *scanner) str() ([]byte, error) {
	s.pos++ // opening quote
	start := s.pos
	// Fast path, with the vectorised IndexByte: the whole string is in the
	// buffer and has no escape (every statistic name and timestamp).
	if i := bytes.IndexByte(s.buf[start:s.end], '"'); i >= 0 && bytes.IndexByte(s.buf[start:start+i], '\\') < 0 {
		s.pos = start + i + 1
		return s.buf[start : start+i], nil
	}
	// Slow path: escapes, or a string that spans a refill.
	s.scratch = s.scratch[:0]
	for {
		if s.pos >= s.end {
			ok, err := s.fill()
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, io.ErrUnexpectedEOF
			}
		}
		c := s.buf[s.pos]
		s.pos++
		switch {
		case c == '"':
			return s.scratch, nil
		case c == '\\':
			if s.pos >= s.end {
				if ok, err := s.fill(); err != nil || !ok {
					return nil, orEOF(err)
				}
			}
			e := s.buf[s.pos]
			s.pos++
			switch e {
			case '"', '\\', '/':
				s.scratch = append(s.scratch, e)
			case 'b':
				s.scratch = append(s.scratch, '\b')
			case 'f':
				s.scratch = append(s.scratch, '\f')
			case 'n':
				s.scratch = append(s.scratch, '\n')
			case 'r':
				s.scratch = append(s.scratch, '\r')
			case 't':
				s.scratch = append(s.scratch, '\t')
			case 'u':
				for s.end-s.pos < 4 {
					if ok, err := s.fill(); err != nil || !ok {
						return nil, orEOF(err)
					}
				}
				r, err := strconv.ParseUint(string(s.buf[s.pos:s.pos+4]), 16, 16)
				if err != nil {
					return nil, fmt.Errorf("offset %d: bad \\u escape", s.offset+int64(s.pos))
				}
				s.pos += 4
				s.scratch = append(s.scratch, string(rune(r))...)
			default:
				return nil, fmt.Errorf("offset %d: bad escape \\%c", s.offset+int64(s.pos), e)
			}
		case c < 0x20:
			return nil, fmt.Errorf("offset %d: control character in string", s.offset+int64(s.pos))
		default:
			s.scratch = append(s.scratch, c)
		}
	}
}

func orEOF(err error) error {
	if err != nil {
		return err
	}
	return io.ErrUnexpectedEOF
}

func isNumByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// number reads a JSON number's text. The result is valid until the next read.
func (s *scanner) number() ([]byte, error) {
	if _, err := s.next(); err != nil {
		return nil, err
	}
	n := 0 // bytes of the number from s.pos; fill keeps them, moving s.pos to 0
	for {
		for s.pos+n < s.end && isNumByte(s.buf[s.pos+n]) {
			n++
		}
		if s.pos+n < s.end {
			break
		}
		ok, err := s.fill()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
	}
	if n == 0 {
		if s.pos >= s.end {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, s.unexpected(s.buf[s.pos], "a number")
	}
	raw := s.buf[s.pos : s.pos+n]
	s.pos += n
	return raw, nil
}

// skip consumes one JSON value of any kind. It checks only as much as it
// needs to find the value's end: brackets, strings and literals.
func (s *scanner) skip() error {
	depth := 0
	for {
		c, err := s.next()
		if err != nil {
			return err
		}
		switch {
		case c == '{' || c == '[':
			depth++
			if depth > maxDepth {
				return errDepth
			}
			s.pos++
			continue
		case c == '}' || c == ']':
			if depth == 0 {
				return s.unexpected(c, "a value")
			}
			depth--
			s.pos++
		case c == ',' || c == ':':
			if depth == 0 {
				return s.unexpected(c, "a value")
			}
			s.pos++
			continue
		case c == '"':
			if _, err := s.str(); err != nil {
				return err
			}
		case isNumByte(c):
			if _, err := s.number(); err != nil {
				return err
			}
		case c == 't' || c == 'f' || c == 'n':
			for _, lit := range []string{"true", "false", "null"} {
				if lit[0] == c {
					if err := s.literal(lit); err != nil {
						return err
					}
				}
			}
		default:
			return s.unexpected(c, "a value")
		}
		if depth == 0 {
			return nil
		}
	}
}

func (s *scanner) literal(lit string) error {
	for s.end-s.pos < len(lit) {
		ok, err := s.fill()
		if err != nil {
			return err
		}
		if !ok {
			return io.ErrUnexpectedEOF
		}
	}
	if string(s.buf[s.pos:s.pos+len(lit)]) != lit {
		return s.unexpected(s.buf[s.pos], lit)
	}
	s.pos += len(lit)
	return nil
}
