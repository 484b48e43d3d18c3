package apply

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/configui/store"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

// kea30Bundle is the real Kea 3.0.4 built for this project (shared/kea/README.md).
const kea30Bundle = "/work/shared/kea/kea-3.0.4-debian12-amd64.tar.xz"

// startKea30 extracts the bundle and runs its kea-dhcp4 with config (a
// format string given the HTTP port); it returns the daemon's URL and its
// configuration file. It skips without the bundle, and fails under CI=true.
func startKea30(t *testing.T, config string) (string, string) {
	t.Helper()
	if _, err := os.Stat(kea30Bundle); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Kea 3.0.4 bundle: %v (CI=true, so this is an error)", err)
		}
		t.Skipf("Kea 3.0.4 bundle: %v", err)
	}
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xJf", kea30Bundle, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("extracting %s: %v: %s", kea30Bundle, err, out)
	}
	root := filepath.Join(dir, "kea-3.0.4")
	run := filepath.Join(dir, "run")
	if err := os.MkdirAll(run, 0o750); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"KEA_HOOKS_PATH="+filepath.Join(root, "lib/kea/hooks"), "KEA_LFC_EXECUTABLE="+filepath.Join(root, "sbin/kea-lfc"),
		"KEA_CONTROL_SOCKET_DIR="+run, "KEA_PIDFILE_DIR="+run, "KEA_LOCKFILE_DIR="+run,
		"KEA_LOG_FILE_DIR="+dir, "KEA_LEGAL_LOG_DIR="+dir, "KEA_DHCP_DATA_DIR="+dir)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg := filepath.Join(dir, "kea-dhcp4.json")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, config, port), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(root, "sbin/kea-dhcp4"), "-c", cfg)
	cmd.Env = env
	out, _ := os.Create(filepath.Join(dir, "stdout.txt"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "kea-dhcp4.log"))
			t.Logf("kea-dhcp4 3.0.4 log:\n%s", b)
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	c, _ := keactl.New(keactl.Options{Name: "probe", URL: url})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := c.Call(context.Background(), "version-get", "", nil); err == nil {
			return url, cfg
		} else if time.Now().After(deadline) {
			t.Fatalf("kea-dhcp4 3.0.4 did not answer on %s: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

const kea30Config = `{"Dhcp4": {
  "interfaces-config": { "interfaces": [] },
  "lease-database": { "type": "memfile", "persist": true, "name": "kea-leases4.csv", "lfc-interval": 0 },
  "control-sockets": [ { "socket-type": "http", "socket-address": "127.0.0.1", "socket-port": %d } ],
  "hooks-libraries": [ { "library": "libdhcp_lease_cmds.so" }, { "library": "libdhcp_subnet_cmds.so" } ],
  "valid-lifetime": 7200,
  "shared-networks": [ { "name": "campus", "subnet4": [
     { "id": 1, "subnet": "10.1.0.0/24", "pools": [ { "pool": "10.1.0.10-10.1.0.19" } ] } ] } ],
  "subnet4": [ { "id": 3, "subnet": "192.0.2.0/24", "pools": [ { "pool": "192.0.2.100-192.0.2.149" } ] } ],
  "loggers": [ { "name": "kea-dhcp4", "output-options": [ { "output": "kea-dhcp4.log" } ], "severity": "INFO" } ]
}}`

// setPoolOf sets the first pool of a subnet, wherever it is.
func setPoolOf(id, rng string) EditFunc {
	return func(_ string, c Config) error {
		d, _ := c.Daemon("dhcp4")
		lists := []any{d["subnet4"]}
		for _, sn := range d["shared-networks"].([]any) {
			lists = append(lists, sn.(map[string]any)["subnet4"])
		}
		for _, l := range lists {
			for _, s := range l.([]any) {
				if sm := s.(map[string]any); fmt.Sprint(sm["id"]) == id {
					sm["pools"].([]any)[0].(map[string]any)["pool"] = rng
					return nil
				}
			}
		}
		return fmt.Errorf("subnet %s not found", id)
	}
}

// TestRealKea30SubnetCmds: on Kea 3.0.4 with subnet_cmds a pool change is
// sent as subnet4-update (no config-set), for a top-level subnet and for
// one in a shared network, which stays there; a global change still goes
// by config-set. Both are written to disk.
func TestRealKea30SubnetCmds(t *testing.T) {
	url, file := startKea30(t, kea30Config)
	pg := pgtest.Start(t)
	st, err := store.Open(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), pg.NewDatabase(t), 4,
		store.Settings{RetryOnStartup: false, OnFail: "serve-retry-continue", ReconnectWaitTime: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := keactl.New(keactl.Options{Name: "kea30", URL: url, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	peers := []Peer{{Name: "kea30", Client: c}}
	a := New(Options{Store: st})
	ctx := context.Background()
	commands := func(res *Result) string {
		var cmds []string
		for _, s := range res.Steps {
			cmds = append(cmds, s.Command)
		}
		return strings.Join(cmds, ",")
	}
	for _, tc := range []struct {
		name string
		edit EditFunc
		want string // steps
		file string // in the written file
	}{
		{"TopLevelSubnet", setPoolOf("3", "192.0.2.100-192.0.2.199"), "config-test,subnet4-update,config-write,config-get (verify)", "192.0.2.100-192.0.2.199"},
		{"SubnetInSharedNetwork", setPoolOf("1", "10.1.0.10-10.1.0.99"), "config-test,subnet4-update,config-write,config-get (verify)", "10.1.0.10-10.1.0.99"},
		{"GlobalChange", func(_ string, c Config) error {
			d, _ := c.Daemon("dhcp4")
			d["valid-lifetime"] = jsonNumber("3600")
			return nil
		}, "config-test,config-set,config-write,config-get (verify)", `"valid-lifetime": 3600`},
		// This server has no host_cmds: a reservation goes by config-set.
		{"ReservationWithoutHostCmds", func(_ string, c Config) error {
			d, _ := c.Daemon("dhcp4")
			s := d["subnet4"].([]any)[0].(map[string]any)
			s["reservations"] = []any{map[string]any{"hw-address": "02:00:00:00:dd:01", "ip-address": "192.0.2.210"}}
			return nil
		}, "config-test,config-set,config-write,config-get (verify)", "02:00:00:00:dd:01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pcs, err := a.Read(ctx, "dhcp4", peers)
			if err != nil {
				t.Fatal(err)
			}
			res, err := a.Apply(ctx, Request{User: "ann", Server: "kea30", Daemon: "dhcp4", Peers: peers,
				Base: map[string]string{"kea30": pcs[0].Hash}, Edit: tc.edit})
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			if got := commands(res); got != tc.want {
				t.Fatalf("steps %s, want %s", got, tc.want)
			}
			b, _ := os.ReadFile(file)
			if !strings.Contains(string(b), tc.file) {
				t.Fatalf("the written file lacks %s", tc.file)
			}
		})
	}
	// Subnet 1 is still in its shared network.
	pcs, _ := a.Read(ctx, "dhcp4", peers)
	d, _ := pcs[0].Config.Daemon("dhcp4")
	sn := d["shared-networks"].([]any)[0].(map[string]any)
	if subs := sn["subnet4"].([]any); len(subs) != 1 || fmt.Sprint(subs[0].(map[string]any)["id"]) != "1" {
		t.Fatalf("shared network campus after subnet4-update: %v", sn)
	}
}

func jsonNumber(s string) any {
	var v any
	_ = decode([]byte(s), &v)
	return v
}
