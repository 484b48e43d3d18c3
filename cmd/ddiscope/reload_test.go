package main

import (
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestReloadOutcomeIsExported reloads a real ddiscope by POST /-/reload and
// by SIGHUP, with good and bad files: a failed reload sets
// ddiscope_config_last_reload_successful to 0 and leaves the success
// timestamp alone; a good one sets 1 and moves it.
func TestReloadOutcomeIsExported(t *testing.T) {
	dir := t.TempDir()
	good := "kea:\n  - name: a\n    url: unix://" + filepath.Join(dir, "no-socket") + "\n"
	bad := "kea:\n  - name: a\n    url: unix://" + filepath.Join(dir, "no-socket") + "\n    on-fial: stop-retry-exit\n"
	path := writeFile(t, dir, "ddiscope.yml", good)
	p := start(t, "--config.file="+path)

	state := func() (ok, at float64) {
		t.Helper()
		fams := p.metrics(t)
		ok, found := value(fams, "ddiscope_config_last_reload_successful", nil)
		at, found2 := value(fams, "ddiscope_config_last_reload_success_timestamp_seconds", nil)
		if !found || !found2 {
			t.Fatal("/metrics lacks the reload metrics")
		}
		return ok, at
	}
	post := func() int {
		t.Helper()
		resp, err := http.Post("http://"+p.addr+"/-/reload", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	hup := func(wantOK float64) {
		t.Helper()
		if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "the SIGHUP reload", func() bool { ok, _ := state(); return ok == wantOK })
	}

	ok, started := state()
	if ok != 1 || started < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Fatalf("after start-up: successful %v, timestamp %v; want 1 and about now", ok, started)
	}

	writeFile(t, dir, "ddiscope.yml", bad)
	if code := post(); code != http.StatusInternalServerError {
		t.Fatalf("POST /-/reload of a bad file: HTTP %d, want 500", code)
	}
	if ok, at := state(); ok != 0 || at != started {
		t.Fatalf("after a bad POST reload: successful %v, timestamp %v; want 0 and %v", ok, at, started)
	}

	writeFile(t, dir, "ddiscope.yml", good)
	hup(1)
	_, afterHUP := state()
	if afterHUP <= started {
		t.Fatalf("a good SIGHUP reload left the timestamp at %v (was %v)", afterHUP, started)
	}

	writeFile(t, dir, "ddiscope.yml", bad)
	hup(0)
	if _, at := state(); at != afterHUP {
		t.Fatalf("a bad SIGHUP reload moved the timestamp from %v to %v", afterHUP, at)
	}

	writeFile(t, dir, "ddiscope.yml", good)
	time.Sleep(10 * time.Millisecond)
	if code := post(); code != http.StatusOK {
		t.Fatalf("POST /-/reload of a good file: HTTP %d, want 200", code)
	}
	if ok, at := state(); ok != 1 || at <= afterHUP {
		t.Fatalf("after a good POST reload: successful %v, timestamp %v; want 1 and later than %v", ok, at, afterHUP)
	}
}

// A GET of /-/reload must not look like a reload: 405, and Allow says POST.
func TestReloadByGetIsRefused(t *testing.T) {
	p := start(t, "--kea.target=a=unix://"+filepath.Join(t.TempDir(), "no-socket"))
	for _, method := range []string{http.MethodGet, http.MethodPut} {
		req, _ := http.NewRequest(method, "http://"+p.addr+"/-/reload", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodPost {
			t.Errorf("%s /-/reload: HTTP %d, Allow %q; want 405 and POST", method, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
}
