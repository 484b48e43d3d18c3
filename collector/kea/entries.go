package kea

import (
	"bytes"
	"hash/maphash"
	"math"
)

// entryMemo remembers, by position among the statistics of the last
// statistic-get-all of a daemon, each statistic's text (from its name's
// opening quote to the end of its samples) as a digest and its length, and
// where the name and the newest value lie in it. On the next poll, when the
// text at the same position has the same length and digest, the scanner
// hands the callback the name and value at the remembered places instead of
// tokenising the text again: between two polls most of a Kea's statistics
// do not change (a subnet's pool sizes never do), and their text, samples
// and timestamps, is byte for byte the same. Being found by content, a
// remembered entry is only ever replayed over identical bytes, so a reply
// with statistics added, gone or reordered is still read exactly; it only
// misses more.
type entryMemo struct {
	seed    maphash.Seed
	entries []entry
	// hits and misses count this poll's statistics, for tests.
	hits, misses int
}

type entry struct {
	sum  uint64 // maphash of the text
	n    uint32 // length of the text; 0: nothing remembered
	name uint16 // length of the name, which starts at offset 1
	// raw is where the newest value's text starts in the entry, 0 when the
	// statistic was odd (no sample, or not a number); rawLen its length.
	raw    uint32
	rawLen uint16
}

// maxEntryText bounds a remembered statistic's text: it must fit in the
// scan buffer with room to spare, so that waiting for it never grows the
// buffer (Kea's default of 20 samples makes a statistic ~700 bytes).
const maxEntryText = scanBufSize / 2

func (m *entryMemo) start() {
	if m.entries == nil {
		m.seed = maphash.MakeSeed()
	}
	m.hits, m.misses = 0, 0
}

// replay hands stat or odd the statistic at position i when its text, at
// the scanner's position, is the one remembered there; it returns false,
// having consumed nothing, when it is not.
func (s *scanner) replay(m *entryMemo, i int, stat func(name, raw []byte), odd func(name []byte)) (bool, error) {
	if i >= len(m.entries) || m.entries[i].n == 0 {
		return false, nil
	}
	e := m.entries[i]
	n := int(e.n)
	for s.end-s.pos < n {
		ok, err := s.fill()
		if err != nil {
			return false, err
		}
		if !ok {
			return false, nil // the reply ends sooner: not the same text
		}
	}
	text := s.buf[s.pos : s.pos+n]
	if maphash.Bytes(m.seed, text) != e.sum {
		return false, nil
	}
	name := text[1 : 1+int(e.name)]
	if e.raw == 0 {
		if odd != nil {
			odd(name)
		}
	} else {
		stat(name, text[e.raw:e.raw+uint32(e.rawLen)])
	}
	s.pos += n
	m.hits++
	return true, nil
}

// remember records the statistic at position i, whose text began at the
// absolute offset start and ended at the scanner's position, if its text
// is all still in the buffer and its name had no escape (the name the
// callback got is then the text's own bytes). raw is the absolute offset
// of the value's text, negative for an odd statistic.
func (s *scanner) remember(m *entryMemo, i int, start int64, name []byte, raw int64, rawLen int) {
	m.misses++
	var e entry
	from := int(start - s.offset)
	n := s.pos - from
	if from >= 0 && n <= maxEntryText && from+1+len(name) < s.pos && len(name) <= math.MaxUint16 && rawLen <= math.MaxUint16 &&
		bytes.Equal(s.buf[from+1:from+1+len(name)], name) && s.buf[from+1+len(name)] == '"' {
		text := s.buf[from:s.pos]
		e = entry{sum: maphash.Bytes(m.seed, text), n: uint32(n), name: uint16(len(name))}
		if raw >= 0 {
			e.raw, e.rawLen = uint32(raw-start), uint16(rawLen)
		}
	}
	switch {
	case i < len(m.entries):
		m.entries[i] = e
	case i == len(m.entries) && i < maxMemoNames:
		m.entries = append(m.entries, e)
	}
}
