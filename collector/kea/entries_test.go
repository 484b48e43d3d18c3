package kea

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/ddiscope/ddiscope/internal/keagen"
)

// calls is what a parse handed its callbacks, in order.
type calls struct {
	seen []string
	err  error
}

func parseWith(m *entryMemo, r io.Reader) calls {
	var c calls
	_, c.err = parseStatisticsIn(make([]byte, scanBufSize), m, r, func(name, raw []byte) {
		c.seen = append(c.seen, string(name)+"="+string(raw))
	}, func(name []byte) { c.seen = append(c.seen, "odd "+string(name)) })
	return c
}

func sameCalls(t *testing.T, what string, got, want calls) {
	t.Helper()
	if (got.err == nil) != (want.err == nil) {
		t.Fatalf("%s: error %v, without the memo %v", what, got.err, want.err)
	}
	if got.err == nil && !slices.Equal(got.seen, want.seen) {
		t.Fatalf("%s: %d calls differ from the %d without the memo", what, len(got.seen), len(want.seen))
	}
}

// A statistic whose text is unchanged since the last poll is replayed, one
// that changed (in value or length, added, gone, moved) is read again, and
// the callbacks see exactly what a parse with no memory gives them.
func TestRepliesReplayOnlyUnchangedStatistics(t *testing.T) {
	reply := string(keagen.StatisticGetAll4(50, 3, true))
	var m entryMemo
	first := parseWith(&m, strings.NewReader(reply))
	if first.err != nil {
		t.Fatal(first.err)
	}
	n := len(first.seen)
	if m.hits != 0 || m.misses != n {
		t.Fatalf("first poll: %d replayed, %d read; want 0 and %d", m.hits, m.misses, n)
	}
	again := parseWith(&m, strings.NewReader(reply))
	sameCalls(t, "same reply", again, first)
	if m.hits != n {
		t.Fatalf("same reply: %d of %d statistics replayed", m.hits, n)
	}

	// One value changes, keeping its length, and another grows a digit.
	i := strings.Index(reply, `"subnet[7].assigned-addresses"`)
	j := strings.Index(reply, `"subnet[9].total-addresses"`)
	if i < 0 || j < 0 {
		t.Fatal("the generated reply lacks the statistics this test changes")
	}
	d := i + strings.Index(reply[i:], "[ [ ") + len("[ [ ")
	digit := byte('1')
	if reply[d] == '1' {
		digit = '2'
	}
	changed := reply[:d] + string(digit) + reply[d+1:]
	changed = strings.Replace(changed, `"subnet[9].total-addresses": [ [ `, `"subnet[9].total-addresses": [ [ 9`, 1)
	if len(changed) != len(reply)+1 {
		t.Fatalf("the changes did not apply; the reply reads %q", reply[i:i+80])
	}
	want := parseWith(nil, strings.NewReader(changed))
	got := parseWith(&m, strings.NewReader(changed))
	sameCalls(t, "changed values", got, want)
	if m.misses < 1 || m.misses > 2 || m.hits != n-m.misses {
		t.Fatalf("two values changed: %d read again, %d replayed", m.misses, m.hits)
	}

	// A statistic gone shifts every position after it: the rest is read
	// again (and remembered at its new place), never replayed wrongly.
	k := strings.Index(changed, `"subnet[3].`)
	end := k + strings.Index(changed[k:], "] ],\n") + len("] ],\n")
	gone := changed[:k] + changed[end:]
	sameCalls(t, "a statistic gone", parseWith(&m, strings.NewReader(gone)), parseWith(nil, strings.NewReader(gone)))
	sameCalls(t, "after it", parseWith(&m, strings.NewReader(gone)), parseWith(nil, strings.NewReader(gone)))
	if m.hits != n-1 {
		t.Fatalf("the same reply again: %d of %d replayed", m.hits, n-1)
	}

	// Read a byte at a time, each statistic's text comes in pieces.
	sameCalls(t, "one byte a read", parseWith(&m, iotest.OneByteReader(strings.NewReader(gone))), parseWith(nil, strings.NewReader(gone)))
}

// Odd statistics (no sample, not a number) and names with escapes replay
// as they read.
func TestReplayOfOddStatistics(t *testing.T) {
	reply := `{"result": 0, "arguments": {"a": [], "b": [["x", "t"]], "c\u0041": [[1, "t"]], "d": [[2, "t"], [1, "t"]]}}`
	var m entryMemo
	want := parseWith(nil, strings.NewReader(reply))
	for round := range 3 {
		sameCalls(t, fmt.Sprint("round ", round), parseWith(&m, strings.NewReader(reply)), want)
	}
	if m.hits != 3 || m.misses != 1 { // the escaped name is never remembered
		t.Fatalf("%d replayed, %d read; want 3 and 1", m.hits, m.misses)
	}
}

// Whatever the last reply was, the next is read as if nothing were
// remembered.
func FuzzReplayedStatistics(f *testing.F) {
	gen := keagen.StatisticGetAll4(3, 2, true)
	f.Add(gen, gen)
	f.Add(gen, bytes.Replace(gen, []byte("[ [ "), []byte("[ [ 1"), 3))
	f.Add([]byte(`{"result":0,"arguments":{"a":[[1,"t"]],"b":[[2,"t"]]}}`), []byte(`{"result":0,"arguments":{"a":[[1,"t"]],"b":[[2,"t"]`))
	f.Add([]byte(`{"result":0,"arguments":{"a":[[1,"t"]]}}`), []byte(`[{"result":0,"arguments":{"a":[[1,"t"]],"a":[[1,"t"]]}}]`))
	f.Fuzz(func(t *testing.T, last, next []byte) {
		var m entryMemo
		parseWith(&m, bytes.NewReader(last))
		want := parseWith(nil, bytes.NewReader(next))
		sameCalls(t, "whole reads", parseWith(&m, bytes.NewReader(next)), want)
		sameCalls(t, "one byte a read", parseWith(&m, iotest.OneByteReader(bytes.NewReader(next))), want)
	})
}
