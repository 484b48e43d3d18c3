package bind

import (
	"math"
	"strconv"
	"time"
)

// parseNumber reads an unsigned decimal integer, as BIND prints every counter,
// without allocating; anything else (a sign, a fraction, an exponent) goes
// through strconv.
func parseNumber(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for i, c := range b {
		if c < '0' || c > '9' || i >= 19 {
			f, err := strconv.ParseFloat(string(b), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return 0, false
			}
			return f, true
		}
		n = n*10 + uint64(c-'0')
	}
	return float64(n), true
}

// parseTime reads BIND's ISO 8601 times, "2026-11-21T21:18:43.903Z" (boot
// and config time) and "2026-11-21T21:18:43Z" (zones), as Unix seconds.
func parseTime(b []byte) (float64, bool) {
	if len(b) == 20 || len(b) == 24 {
		if t, ok := fastTime(b); ok {
			return t, true
		}
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return 0, false
	}
	return float64(t.UnixMilli()) / 1000, true
}

// fastTime parses the two fixed layouts digit by digit: 3,000 zones carry
// up to 9,000 timestamps.
func fastTime(b []byte) (float64, bool) {
	num := func(i, n int) (int, bool) {
		v := 0
		for _, c := range b[i : i+n] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	if b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[len(b)-1] != 'Z' {
		return 0, false
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 2)
	d, ok3 := num(8, 2)
	h, ok4 := num(11, 2)
	mi, ok5 := num(14, 2)
	s, ok6 := num(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 {
		return 0, false
	}
	ms := 0
	if len(b) == 24 {
		if b[19] != '.' {
			return 0, false
		}
		var ok bool
		if ms, ok = num(20, 3); !ok {
			return 0, false
		}
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, ms*int(time.Millisecond), time.UTC)
	return float64(t.UnixMilli()) / 1000, true
}

// parseVersion reads the major and minor version from BIND's version
// string ("9.18.49-1~deb12u3-Debian", "9.20.4"); zero when unreadable.
func parseVersion(b []byte) [2]int {
	var v [2]int
	part := 0
	digits := false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			if v[part] > 1000 {
				return [2]int{}
			}
			v[part] = v[part]*10 + int(c-'0')
			digits = true
		case c == '.' && digits && part == 0:
			part, digits = 1, false
		default:
			if part == 1 && digits {
				return v
			}
			return [2]int{}
		}
	}
	if part == 1 && digits {
		return v
	}
	return [2]int{}
}
