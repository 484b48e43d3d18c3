package demo

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A package install that enables its service for boot (a systemd *.wants
// symlink, a SysV S link) is undone; links that were there before stay.
func TestUndoBootLinksRemovesOnlyWhatTheInstallAdded(t *testing.T) {
	root := t.TempDir()
	link := func(p string) string {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/lib/systemd/system/x.service", full); err != nil {
			t.Fatal(err)
		}
		return full
	}
	old := link("etc/systemd/system/multi-user.target.wants/ssh.service")
	oldRC := link("etc/rc2.d/S01ssh")
	before := bootLinks(root)
	added := []string{link("etc/systemd/system/multi-user.target.wants/named.service"), link("etc/rc2.d/S01named")}
	removed, err := undoBootLinks(root, before)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(added)
	if !slices.Equal(removed, added) {
		t.Errorf("removed %v, want %v", removed, added)
	}
	for _, p := range []string{old, oldRC} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s was there before and is gone: %v", p, err)
		}
	}
	for _, p := range added {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s is still there", p)
		}
	}
}
