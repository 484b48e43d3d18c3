package main

import (
	"runtime/debug"
	"strings"

	"github.com/prometheus/common/version"
)

// stampVersion fills what the linker left empty in prometheus/common's
// version variables (read by --version and ddiscope_build_info) from the
// build information Go records: `make build` sets them with -ldflags from
// git, a plain `go build` in a git clone has Go's own VCS stamp, and a
// binary with neither still says "unknown" rather than nothing.
func stampVersion(bi *debug.BuildInfo, ok bool) {
	settings := map[string]string{}
	mainVersion := ""
	if ok && bi != nil {
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			mainVersion = v
		}
	}
	rev := settings["vcs.revision"]
	if rev != "" && settings["vcs.modified"] == "true" {
		rev += "-dirty"
	}
	fill(&version.Version, mainVersion, short(rev), "unknown")
	fill(&version.Revision, rev, "unknown")
	fill(&version.Branch, "unknown")
	fill(&version.BuildDate, settings["vcs.time"], "unknown")
	fill(&version.BuildUser, "unknown")
}

// fill sets *v to the first non-empty candidate when *v is empty.
func fill(v *string, candidates ...string) {
	for _, c := range candidates {
		if *v != "" {
			return
		}
		*v = c
	}
}

// short is a revision as `git describe --always --dirty` prints it.
func short(rev string) string {
	base, dirty, _ := strings.Cut(rev, "-")
	if len(base) > 7 {
		base = base[:7]
	}
	if dirty != "" {
		return base + "-" + dirty
	}
	return base
}
