package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzParse: any editor configuration is checked or refused with an error
// naming the file; one accepted, written back as YAML, reads again to the
// same servers, database and trusted proxies.
//
//	go test ./configui/config -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "configui.md"))
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range regexp.MustCompile("(?s)```ya?ml\n(.*?)```").FindAllSubmatch(doc, -1) {
		f.Add(m[1])
	}
	f.Add([]byte("web:\n  trusted-proxies: [300.0.0.1, 'fe80::/129']\n"))
	f.Add([]byte("kea:\n  - {name: a, url: http://x:1/}\n  - {name: a, url: http://y:1/}\ndatabase: {on-fail: sometimes, port: -1}\n"))
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
		if len(again.Kea) != len(cf.Kea) || !sameYAML(again.Database, cf.Database) || len(again.TrustedProxies()) != len(cf.TrustedProxies()) {
			t.Fatalf("written back and read: %+v, was %+v", again, cf)
		}
		for i, k := range cf.Kea {
			if again.Kea[i].Name != k.Name || again.Kea[i].URL != k.URL {
				t.Fatalf("server %d: %+v, was %+v", i, again.Kea[i], k)
			}
			if got, ok := cf.Server(k.Name); !ok || got.URL != k.URL {
				t.Fatalf("Server(%q) = %+v, %v", k.Name, got, ok)
			}
		}
	})
}

func sameYAML(a, b any) bool {
	x, err1 := yaml.Marshal(a)
	y, err2 := yaml.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
