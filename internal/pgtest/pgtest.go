// Package pgtest starts a throwaway PostgreSQL cluster for tests: initdb into
// a temporary directory, postgres listening on a loopback port and a socket
// directory of its own, stopped and removed when the test ends. As root it
// runs the server as the "postgres" user (PostgreSQL refuses to run as
// root): initdb through runuser, the postmaster through setpriv, which
// exec()s, so the PID we hold is the postmaster's (lab notes, item 10).
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// startTimeout bounds how long the postmaster may take to accept connections.
const startTimeout = 30 * time.Second

// Server is one running (or stopped) throwaway cluster.
type Server struct {
	Dir     string // holds data/, run/ (the socket directory) and the log
	Port    int
	bin     string
	asUser  string // "postgres" when we are root, "" otherwise
	cmd     *exec.Cmd
	exited  chan struct{}
	counter atomic.Int32
}

// binDir finds the newest installed PostgreSQL's bin directory.
func binDir() (string, error) {
	if p, err := exec.LookPath("pg_config"); err == nil {
		if out, err := exec.Command(p, "--bindir").Output(); err == nil {
			d := strings.TrimSpace(string(out))
			if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
				return d, nil
			}
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	return "", fmt.Errorf("no initdb in /usr/lib/postgresql/*/bin (Debian package postgresql)")
}

// Require fails the test when PostgreSQL is missing and CI=true, and skips
// it otherwise.
func Require(t testing.TB) string {
	t.Helper()
	d, err := binDir()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pgtest: %v (CI=true, so this is an error)", err)
		}
		t.Skipf("pgtest: %v", err)
	}
	return d
}

// Start initialises and starts a cluster; it is stopped and removed when
// the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{bin: Require(t)}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	s.Dir = dir
	t.Cleanup(func() {
		s.Stop(t)
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		s.asUser = "postgres"
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("pgtest: running as root needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(filepath.Join(dir, "run"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(filepath.Join(dir, "run"), uid, gid); err != nil {
			t.Fatal(err)
		}
	} else if err := os.Mkdir(filepath.Join(dir, "run"), 0o700); err != nil {
		t.Fatal(err)
	}
	initdb := []string{filepath.Join(s.bin, "initdb"), "-D", filepath.Join(dir, "data"), "-U", "postgres",
		"--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"}
	if s.asUser != "" {
		initdb = append([]string{"runuser", "-u", s.asUser, "--"}, initdb...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, initdb[0], initdb[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	s.Port = freePort(t)
	s.Restart(t)
	return s
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// SocketDir is the directory of the server's UNIX socket.
func (s *Server) SocketDir() string { return filepath.Join(s.Dir, "run") }

// Restart starts the postmaster again after Stop (Start calls it first), on
// the same port and data, and waits until it accepts connections.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	args := []string{filepath.Join(s.bin, "postgres"), "-D", filepath.Join(s.Dir, "data"), "-k", s.SocketDir(),
		"-p", strconv.Itoa(s.Port), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=50"}
	if s.asUser != "" {
		args = append([]string{"setpriv", "--reuid=" + s.asUser, "--regid=" + s.asUser, "--init-groups"}, args...)
	}
	logf, err := os.OpenFile(filepath.Join(s.Dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	s.cmd = exec.Command(args[0], args[1:]...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("pgtest: starting postgres: %v", err)
	}
	s.exited = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { c.Wait(); close(done) }(s.cmd, s.exited)
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, s.ConnString("postgres"))
		if err == nil {
			conn.Close(ctx)
			cancel()
			return
		}
		cancel()
		select {
		case <-s.exited:
			log, _ := os.ReadFile(filepath.Join(s.Dir, "postgres.log"))
			t.Fatalf("pgtest: postgres exited at start:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.Dir, "postgres.log"))
			t.Fatalf("pgtest: postgres did not accept connections within %s: %v\n%s", startTimeout, err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop shuts the postmaster down (fast mode: open connections are cut) and
// waits for it, at most 30 s, then kills it.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		t.Errorf("pgtest: postgres did not stop within 30s; killed")
	}
}

// Kill SIGKILLs the postmaster, as a crash or the OOM killer would: no
// shutdown, open transactions are cut. Its backends notice and exit; Kill
// waits (at most 30 s) until none holds the cluster's shared memory, so
// that Restart can start on the same data (crash recovery).
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
	deadline := time.Now().Add(30 * time.Second)
	for s.backendsLeft() {
		if time.Now().After(deadline) {
			t.Fatalf("pgtest: backends of the killed postmaster still run after 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// backendsLeft: a process of this cluster is still running (an orphaned
// backend's cwd is the data directory).
func (s *Server) backendsLeft() bool {
	data, err := filepath.EvalSymlinks(filepath.Join(s.Dir, "data"))
	if err != nil {
		return false
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cwd")
	for _, p := range procs {
		if cwd, err := os.Readlink(p); err == nil && cwd == data {
			return true
		}
	}
	return false
}

// ConnString is a keyword/value connection string for database db over
// loopback TCP as the superuser.
func (s *Server) ConnString(db string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=%s sslmode=disable", s.Port, db)
}

// NewDatabase creates an empty database and returns its connection string,
// so that tests sharing a cluster do not see each other's rows.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("test_%d", s.counter.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.ConnString("postgres"))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	return s.ConnString(name)
}
