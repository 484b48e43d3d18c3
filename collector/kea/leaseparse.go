package kea

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"unsafe"
)

// A page of lease4-get-page / lease6-get-page is about 240 bytes a lease,
// 240 kB a page of 1,000, and a pass over a million leases reads 240 MB.
// It is scanned like statistic-get-all: in a fixed buffer, keeping the five
// fields ddiscope counts by and skipping the rest (hardware address, client
// id, hostname, user context: nothing about a client is kept). A page is
// held as compact records until it has been read whole, so that a page cut
// short or garbled in the middle counts for nothing.

// pageLease is what ddiscope keeps of one lease, until its page is applied.
type pageLease struct {
	addr     netip.Addr // to find the lease's pool
	cltt     int64
	validLft int64
	subnet   int64
	state    int64
	typ      uint8 // index in catalog.LeaseTypes (0 for DHCPv4)
}

// leasePage is the reusable result of reading one page.
type leasePage struct {
	leases []pageLease
	last   []byte // ip-address of the last lease: the next page's "from"
	count  int64  // the reply's "count", -1 when absent
	env    statEnvelope
}

func (lp *leasePage) reset() {
	lp.leases = lp.leases[:0]
	lp.last = lp.last[:0]
	lp.count = -1
	lp.env = statEnvelope{}
}

// errPageTooLong bounds what one reply may hold, whatever it claims: a page
// larger than asked for is malformed.
var errPageTooLong = errors.New("page holds more leases than asked for")

// parseLeasePage reads a reply (object, or one-element array from the
// Control Agent) into lp. limit is the page size asked for.
func parseLeasePage(s *scanner, lp *leasePage, v6 bool, limit int) error {
	lp.reset()
	c, err := s.next()
	if err != nil {
		return err
	}
	switch c {
	case '[':
		s.pos++
		if err := lp.envelope(s, v6, limit); err != nil {
			return err
		}
		c, err = s.next()
		if err != nil {
			return err
		}
		if c != ']' {
			return s.unexpected(c, "']' after the one reply")
		}
	case '{':
		if err := lp.envelope(s, v6, limit); err != nil {
			return err
		}
	default:
		return s.unexpected(c, "'{' or '['")
	}
	if !lp.env.HasResult {
		return errors.New(`reply has no "result"`)
	}
	if lp.count >= 0 && lp.count != int64(len(lp.leases)) {
		return fmt.Errorf(`"count" is %d but the page holds %d leases`, lp.count, len(lp.leases))
	}
	return nil
}

func (lp *leasePage) envelope(s *scanner, v6 bool, limit int) error {
	return s.reply(&lp.env, func() error {
		return s.object(func(key []byte) error {
			switch string(key) {
			case "count":
				v, err := s.int()
				lp.count = v
				return err
			case "leases":
				return lp.leaseList(s, v6, limit)
			default:
				return s.skip()
			}
		})
	})
}

func (lp *leasePage) leaseList(s *scanner, v6 bool, limit int) error {
	return s.array(`"leases"`, func() error {
		if len(lp.leases) >= limit {
			return errPageTooLong
		}
		if err := lp.lease(s, v6); err != nil {
			return fmt.Errorf("lease %d of the page: %w", len(lp.leases)+1, err)
		}
		return nil
	})
}

// Fields a lease must have: a page that lacks one is garbage, not a lease
// to guess about.
const (
	hasAddr = 1 << iota
	hasSubnet
	hasCLTT
	hasValid
	hasType
)

// lease reads one lease object. It is the hot loop of a lease pass (a
// million times per million leases), so it walks the object itself rather
// than through scanner.object's callback, compares each key where it lies
// in the buffer, and skips the values it does not keep (hostname, hardware
// address, client id, flags) without decoding them.
func (lp *leasePage) lease(s *scanner, v6 bool) error {
	var l pageLease
	seen := 0
	c, err := s.peek()
	if err != nil {
		return err
	}
	if c != '{' {
		return s.unexpected(c, "'{' starting a lease")
	}
	s.pos++
	for first := true; ; first = false {
		c, err := s.peek()
		if err != nil {
			return err
		}
		if c == '}' {
			s.pos++
			break
		}
		if !first {
			if c != ',' {
				return s.unexpected(c, "',' or '}'")
			}
			s.pos++
			if c, err = s.peek(); err != nil {
				return err
			}
		}
		if c != '"' {
			return s.unexpected(c, "a string key")
		}
		k, err := s.str()
		if err != nil {
			return err
		}
		// k is only valid until the next read: classify it now.
		field := leaseField(k)
		if c, err = s.peek(); err != nil {
			return err
		}
		if c != ':' {
			return s.unexpected(c, "':'")
		}
		s.pos++
		switch field {
		case fieldAddr:
			if c, err = s.peek(); err != nil {
				return err
			}
			if c != '"' {
				return s.unexpected(c, "an address string")
			}
			a, err := s.str()
			if err != nil {
				return err
			}
			lp.last = append(lp.last[:0], a...)
			if l.addr, err = parseAddrBytes(a); err != nil || l.addr.Is6() != v6 || l.addr.Zone() != "" {
				return fmt.Errorf("ip-address %q: not an IPv%s address", a, map[bool]string{false: "4", true: "6"}[v6])
			}
			seen |= hasAddr
		case fieldSubnet:
			l.subnet, err = s.int()
			seen |= hasSubnet
		case fieldState:
			l.state, err = s.int()
		case fieldCLTT:
			l.cltt, err = s.int()
			seen |= hasCLTT
		case fieldValid:
			l.validLft, err = s.int()
			seen |= hasValid
		case fieldType:
			if !v6 {
				err = s.skipValue()
				break
			}
			if c, err = s.peek(); err != nil {
				return err
			}
			if c != '"' {
				return s.unexpected(c, "a lease type string")
			}
			t, err := s.str()
			if err != nil {
				return err
			}
			switch string(t) {
			case "IA_NA":
				l.typ = 0
			case "IA_TA":
				l.typ = 1
			case "IA_PD":
				l.typ = 2
			default:
				return fmt.Errorf("unknown lease type %q", t)
			}
			seen |= hasType
		default:
			err = s.skipValue()
		}
		if err != nil {
			return err
		}
	}
	want := hasAddr | hasSubnet | hasCLTT | hasValid
	if v6 {
		want |= hasType
	}
	if seen&want != want {
		return errors.New("a lease lacks ip-address, subnet-id, cltt, valid-lft or (DHCPv6) type")
	}
	if l.subnet < 0 || l.validLft < 0 {
		return errors.New("negative subnet-id or valid-lft")
	}
	lp.leases = append(lp.leases, l)
	return nil
}

// parseAddrBytes parses an address in the scanner's buffer without copying
// it: string(b) would escape (netip's errors keep their input), an
// allocation per lease. The unsafe string lives only for the call: a parsed
// Addr holds no reference to it, and the error, which would, is dropped.
func parseAddrBytes(b []byte) (netip.Addr, error) {
	if len(b) == 0 {
		return netip.Addr{}, errors.New("empty address")
	}
	a, err := netip.ParseAddr(unsafe.String(&b[0], len(b)))
	if err != nil {
		return netip.Addr{}, errors.New("not an IP address")
	}
	return a, nil
}

const (
	fieldOther = iota
	fieldAddr
	fieldSubnet
	fieldState
	fieldCLTT
	fieldValid
	fieldType
)

func leaseField(k []byte) int {
	switch string(k) { // compiled to comparisons, no allocation
	case "ip-address":
		return fieldAddr
	case "subnet-id":
		return fieldSubnet
	case "state":
		return fieldState
	case "cltt":
		return fieldCLTT
	case "valid-lft":
		return fieldValid
	case "type":
		return fieldType
	}
	return fieldOther
}

// peek is next for the common case of the next byte, or the one after a
// single space, being in the buffer (Kea writes ", " and ": ").
func (s *scanner) peek() (byte, error) {
	if s.pos+1 < s.end {
		c := s.buf[s.pos]
		if c > ' ' {
			return c, nil
		}
		if c == ' ' {
			if c = s.buf[s.pos+1]; c > ' ' {
				s.pos++
				return c, nil
			}
		}
	}
	return s.next()
}

// skipValue skips a value, with fast paths for the strings, numbers and
// literals a lease is made of.
func (s *scanner) skipValue() error {
	c, err := s.peek()
	if err != nil {
		return err
	}
	switch {
	case c == '"':
		// A string without escapes, whole in the buffer.
		if i := bytes.IndexByte(s.buf[s.pos+1:s.end], '"'); i >= 0 && bytes.IndexByte(s.buf[s.pos+1:s.pos+1+i], '\\') < 0 {
			s.pos += i + 2
			return nil
		}
		_, err := s.str()
		return err
	case c == 't' && s.end-s.pos >= 4 && string(s.buf[s.pos:s.pos+4]) == "true":
		s.pos += 4
		return nil
	case c == 'f' && s.end-s.pos >= 5 && string(s.buf[s.pos:s.pos+5]) == "false":
		s.pos += 5
		return nil
	}
	return s.skip()
}

// int reads a JSON integer (no fraction, no exponent) of up to 18 digits.
func (s *scanner) int() (int64, error) {
	raw, err := s.number()
	if err != nil {
		return 0, err
	}
	neg := raw[0] == '-'
	d := raw
	if neg {
		d = raw[1:]
	}
	if len(d) == 0 || len(d) > 18 {
		return 0, fmt.Errorf("%q is not an integer Kea would send", raw)
	}
	var v int64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not an integer", raw)
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, nil
}

// leaseBufSize holds a whole page of 1,000 leases (~240 kB), so that a page
// is read in a few large reads: every read that finds the socket empty
// costs a park and a wake-up while Kea builds its reply.
const leaseBufSize = 256 << 10

// reset points the scanner at a new reply, keeping its buffers.
func (s *scanner) reset(r io.Reader) {
	s.r, s.pos, s.end, s.eof, s.offset = r, 0, 0, false, 0
	if s.buf == nil {
		s.buf = make([]byte, leaseBufSize)
	}
}
