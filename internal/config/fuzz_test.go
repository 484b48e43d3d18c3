package config

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var yamlBlock = regexp.MustCompile("(?s)```ya?ml\n(.*?)```")

// docExamples returns the YAML examples of a document, as fuzz seeds.
func docExamples(tb testing.TB, path string) [][]byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	for _, m := range yamlBlock.FindAllSubmatch(b, -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		tb.Fatalf("%s has no YAML example", path)
	}
	return out
}

// FuzzParse: any file is a checked configuration or an error naming the
// file; a configuration accepted, written back as YAML, reads again to the
// same targets with the same effective settings.
//
//	go test ./internal/config -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	for _, b := range docExamples(f, filepath.Join("..", "..", "docs", "configuration.md")) {
		f.Add(b)
	}
	for _, s := range []string{
		"kea:\n  - name: a\n    url: http://x:1/\n    pasword: s\n",
		"defaults:\n  timeout: 20s\n  interval: 10s\nkea:\n  - name: a\n    url: http://x:1/\n",
		"kea: &a [*a]\n", "kea:\n  - {name: a, url: 'unix:///run/kea.sock', daemons: [dhcp4, dhcp4]}\n",
		"bind:\n  - name: ns1\n    url: http://127.0.0.1:8053/\nkea:\n  - name: ns1\n    url: http://127.0.0.1:8000/\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cf, err := Parse("fuzz.yml", b)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		out, err := yaml.Marshal(cf)
		if err != nil {
			t.Fatalf("accepted configuration cannot be written back: %v", err)
		}
		again, err := Parse("again.yml", out)
		if err != nil {
			t.Fatalf("written back, refused: %v\n%s", err, out)
		}
		if len(again.Kea) != len(cf.Kea) || len(again.Bind) != len(cf.Bind) {
			t.Fatalf("%d/%d targets, written back %d/%d", len(cf.Kea), len(cf.Bind), len(again.Kea), len(again.Bind))
		}
		for i, k := range cf.Kea {
			k2 := again.Kea[i]
			if k.KeaTarget.Name != k2.KeaTarget.Name || k.URL != k2.URL || !sameYAML(k.Effective(cf.Defaults), k2.Effective(again.Defaults)) {
				t.Fatalf("target %d: %+v, written back %+v", i, k, k2)
			}
		}
	})
}

func sameYAML(a, b any) bool {
	x, err1 := yaml.Marshal(a)
	y, err2 := yaml.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// FuzzStripComments: reading a Kea configuration file (#, // and /* */
// comments) keeps every line (errors point at the right one), keeps text
// inside strings, and is idempotent.
func FuzzStripComments(f *testing.F) {
	f.Add([]byte("{\n  // c\n  \"a\": \"x // not a comment\", # c\n  /* multi\nline */ \"b\": 1\n}\n"))
	f.Add([]byte(`"\"#" /* unterminated`))
	f.Add([]byte("/*/"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out := stripComments(b)
		if bytes.Count(out, []byte("\n")) > bytes.Count(b, []byte("\n"))+1 {
			t.Fatalf("%q -> %q adds lines", b, out)
		}
		if !bytes.ContainsAny(b, "#/") && !bytes.Equal(out, b) {
			t.Fatalf("%q without comments changed to %q", b, out)
		}
		if len(out) > len(b)+1 {
			t.Fatalf("%q grew to %q", b, out)
		}
	})
}

// FuzzTargetFlag: --kea.target and --bind.target give a target named by
// what precedes the first "=" or an error quoting the flag.
func FuzzTargetFlag(f *testing.F) {
	for _, s := range []string{"kea1=http://127.0.0.1:8000/", "a=unix:///run/kea/kea4-ctrl-socket", "=x", "noequals", "a=ftp://x/", "a=http://[::1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, _, _ := strings.Cut(s, "=")
		for flag, parse := range map[string]func(string) (string, error){
			"--kea.target":  func(s string) (string, error) { k, err := ParseTargetFlag(s); return k.KeaTarget.Name, err },
			"--bind.target": func(s string) (string, error) { b, err := ParseBindFlag(s); return b.Name, err },
		} {
			got, err := parse(s)
			if err != nil {
				if !strings.HasPrefix(err.Error(), flag) {
					t.Fatalf("%s %q: error does not name the flag: %v", flag, s, err)
				}
				continue
			}
			if got != name || got == "" {
				t.Fatalf("%s %q: name %q", flag, s, got)
			}
		}
	})
}
