package keactl

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzReply feeds any bytes to both reply decoders (Call's and CallInto's)
// whole, one byte at a time and under a size cap. They never panic; an
// error names the reply; a reply both accept means the same result and
// text; a cap either leaves an accepted reply as it was or fails it.
//
//	go test ./internal/keactl -run '^$' -fuzz FuzzReply -fuzztime 60s
func FuzzReply(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "kea", "kea2.2-*.json"))
	for _, name := range seeds {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) < 64<<10 {
			f.Add(b)
		}
	}
	for _, s := range []string{
		`[{"result":0,"text":"ok","arguments":{"a":1}}]`, `{"result":403,"text":"Forbidden"}`, `[]`, `[{},{}]`,
		`{"arguments":{"x":[1,2,3]}}`, `{"result":1}garbage`, `"result"`, `{"result":1e400}`, `[[[[[[[[`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		resp, errCall := readReply(bytes.NewReader(b))
		var args json.RawMessage
		env := envelope{Result: -1, Arguments: &args}
		errInto := readInto(bytes.NewReader(b), &env)
		for _, err := range []error{errCall, errInto} {
			if err != nil && !strings.Contains(err.Error(), "reply") {
				t.Fatalf("error does not name the reply: %v", err)
			}
		}
		if errCall == nil && errInto == nil && env.Result != -1 && canonicalKeys(b) {
			if resp.Result != env.Result || resp.Text != env.Text {
				t.Fatalf("Call reads result %d %q, CallInto %d %q", resp.Result, resp.Text, env.Result, env.Text)
			}
		}
		// The same bytes one at a time: what a slow socket gives.
		var args2 json.RawMessage
		env2 := envelope{Result: -1, Arguments: &args2}
		err2 := readInto(iotest.OneByteReader(bytes.NewReader(b)), &env2)
		if (err2 == nil) != (errInto == nil) || env2.Result != env.Result || !bytes.Equal(args, args2) {
			t.Fatalf("one byte at a time: %v %d, whole: %v %d", err2, env2.Result, errInto, env.Result)
		}
		// Under a cap of half the reply: accepted as before, or refused.
		if len(b) > 1 {
			lr := &limitedReader{r: bytes.NewReader(b), left: int64(len(b) / 2)}
			capped, err := readReply(lr)
			if err == nil && (errCall != nil || capped.Result != resp.Result || !bytes.Equal(capped.Arguments, resp.Arguments)) {
				t.Fatalf("cap changed an accepted reply: %+v, uncapped %+v %v", capped, resp, errCall)
			}
		}
	})
}

// canonicalKeys: every object key in b is lower case ASCII. Go's decoder
// matches struct fields case-insensitively and CallInto reads the envelope
// by exact key; Kea writes lower case only.
func canonicalKeys(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			return true
		}
		if s, ok := tok.(string); ok && s != strings.ToLower(s) {
			return false
		}
		if s, ok := tok.(string); ok && strings.ContainsFunc(s, func(r rune) bool { return r > 127 }) {
			return false
		}
	}
}

// FuzzReplyRoundTrip: a reply Kea could write (result, text, arguments;
// as an array of one or an object) decodes to what was written, by both
// decoders.
func FuzzReplyRoundTrip(f *testing.F) {
	f.Add(0, "ok", []byte(`{"a":[1,2]}`), true)
	f.Add(3, "", []byte(`null`), false)
	f.Add(403, "Forbidden", []byte(`{}`), false)
	f.Fuzz(func(t *testing.T, result int, text string, rawArgs []byte, array bool) {
		if !json.Valid(rawArgs) || result == -1 {
			return
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, rawArgs); err != nil {
			t.Skip()
		}
		r := Response{Result: result, Text: text, Arguments: json.RawMessage(compact.Bytes())}
		var b []byte
		var err error
		if array {
			b, err = writeAsKea([]Response{r})
		} else {
			b, err = writeAsKea(r)
		}
		if err != nil {
			t.Skip() // text that is not UTF-8 is replaced, not an error; anything else cannot be written
		}
		got, err := readReply(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("Call: %s: %v", b, err)
		}
		var args json.RawMessage
		env := envelope{Result: -1, Arguments: &args}
		if err := readInto(bytes.NewReader(b), &env); err != nil {
			t.Fatalf("CallInto: %s: %v", b, err)
		}
		want, _ := json.Marshal(text) // what json made of the text
		var wantText string
		_ = json.Unmarshal(want, &wantText)
		if got.Result != result || got.Text != wantText || !bytes.Equal(compactOf(got.Arguments), compact.Bytes()) {
			t.Fatalf("Call: %s -> %+v", b, got)
		}
		if env.Result != result || env.Text != wantText || !bytes.Equal(compactOf(args), compact.Bytes()) {
			t.Fatalf("CallInto: %s -> %d %q %s", b, env.Result, env.Text, args)
		}
	})
}

// writeAsKea marshals as Kea writes JSON: without Go's HTML escaping, which
// would turn "&" in the arguments into "\u0026" and make the raw arguments
// differ from what was meant (the fuzzer's first finding at 10 minutes).
func writeAsKea(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// compactOf: null arguments decode to nothing through CallInto's pointer.
func compactOf(b []byte) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}
