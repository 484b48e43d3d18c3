package kea

import (
	"bytes"
	"errors"
	"math"
	"strconv"

	"github.com/ddiscope/ddiscope/catalog"
)

// statName is a Kea statistic name split into its scope and the bare name:
// "subnet[3].pool[1].assigned-addresses" is pool 1 of subnet 3,
// "assigned-addresses".
type statName struct {
	scope  catalog.Scope
	subnet int64
	pool   int64
	key    string // D2 TSIG key name
	stat   []byte
}

var (
	prefixSubnet = []byte("subnet[")
	prefixPool   = []byte("pool[")
	prefixPDPool = []byte("pd-pool[")
	prefixKey    = []byte("key[")
)

// splitStatName parses the scope prefix. ok is false for a name with a
// malformed prefix, which is then treated as unknown.
func splitStatName(name []byte) (statName, bool) {
	switch {
	case bytes.HasPrefix(name, prefixSubnet):
		id, rest, ok := bracketID(name[len(prefixSubnet):])
		if !ok {
			return statName{}, false
		}
		sn := statName{scope: catalog.ScopeSubnet, subnet: id, stat: rest}
		switch {
		case bytes.HasPrefix(rest, prefixPool):
			pid, r, ok := bracketID(rest[len(prefixPool):])
			if !ok {
				return statName{}, false
			}
			sn.scope, sn.pool, sn.stat = catalog.ScopePool, pid, r
		case bytes.HasPrefix(rest, prefixPDPool):
			pid, r, ok := bracketID(rest[len(prefixPDPool):])
			if !ok {
				return statName{}, false
			}
			sn.scope, sn.pool, sn.stat = catalog.ScopePDPool, pid, r
		}
		return sn, true
	case bytes.HasPrefix(name, prefixKey):
		rest := name[len(prefixKey):]
		i := bytes.LastIndex(rest, []byte("]."))
		if i <= 0 {
			return statName{}, false
		}
		return statName{scope: catalog.ScopeKey, key: string(rest[:i]), stat: rest[i+2:]}, true
	default:
		return statName{scope: catalog.ScopeGlobal, stat: name}, true
	}
}

// bracketID reads "123]." and returns 123 and what follows the dot.
func bracketID(b []byte) (int64, []byte, bool) {
	var id int64
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if id > (math.MaxInt64-9)/10 {
			return 0, nil, false
		}
		id = id*10 + int64(b[i]-'0')
	}
	if i == 0 || i+1 >= len(b) || b[i] != ']' || b[i+1] != '.' {
		return 0, nil, false
	}
	return id, b[i+2:], true
}

var errNotNumber = errors.New("not a number")

// parseValue reads a statistic's value exactly when it is an integer of up to
// 18 digits (every count Kea has, but IPv6 totals), and as the nearest float64
// otherwise (2^64 and beyond, which Kea prints in full from 2.4 on).
func parseValue(raw []byte) (float64, error) {
	neg := len(raw) > 0 && raw[0] == '-'
	digits := raw
	if neg {
		digits = raw[1:]
	}
	if n := len(digits); n > 0 && n <= 18 {
		var v int64
		for _, c := range digits {
			if c < '0' || c > '9' {
				goto slow
			}
			v = v*10 + int64(c-'0')
		}
		if neg {
			v = -v
		}
		return float64(v), nil
	}
slow:
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errNotNumber
	}
	return f, nil
}
