package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Options are Up's settings.
type Options struct {
	Dir        string // state directory; DefaultDir when empty
	BinDir     string // where bin/ddiscope and bin/ddiscope-configui are
	PortOffset int    // added to every DefaultPorts port
	NoInstall  bool   // fail instead of running apt-get for missing packages
	// Self is this program, run again as the traffic process
	// (`Self traffic --dir DIR`).
	Self           string
	TrafficMinutes int // how long the background traffic runs; default 60
	Out            io.Writer
}

// Up starts the whole demo and returns once everything runs, printing what
// to look at. A demo already running in Dir is left as it is (its summary
// is printed again); the leftovers of one that failed or was stopped are
// cleared first. On any failure everything Up started is stopped again.
func Up(ctx context.Context, o Options) error {
	if o.Dir == "" {
		o.Dir = DefaultDir
	}
	if o.TrafficMinutes <= 0 {
		o.TrafficMinutes = 60
	}
	if os.Geteuid() != 0 {
		return errors.New("the demo needs root: it creates network namespaces, runs DHCP servers and may install packages (run: sudo make demo)")
	}
	s, err := open(o.Dir, o.Out)
	if err != nil {
		return err
	}
	if running := s.Running(); len(running) > 0 {
		if s.Info.Complete && s.daemonsRunning() {
			s.say("A demo is already running from %s (%d processes); nothing started. Stop it with: make demo-stop", s.Dir, len(running))
			s.summary()
			return nil
		}
		s.say("A demo in %s is incomplete (%d of %d processes run): stopping it first.", s.Dir, len(running), len(s.procs.list))
	}
	if err := s.down(); err != nil {
		return err
	}

	s.say("ddiscope demo: Kea DHCPv4 HA pair and DHCPv6, BIND primary and secondary, PostgreSQL, ddiscope, the config editor,")
	s.say("Prometheus, Alertmanager (and Grafana where installed), all in %s, on 127.0.0.1 and in network namespaces of its own.", s.Dir)
	s.say("It uses these Debian packages: %s.", packageNames())
	missing, err := Missing()
	if err != nil {
		return err
	}
	if len(missing) == 0 {
		s.say("All of them are installed: nothing to install.")
	} else {
		s.say("Missing, and about to be installed with apt-get (no service is started or enabled for boot): %s", strings.Join(missing, " "))
		if o.NoInstall {
			return fmt.Errorf("not installing (--no-install): apt-get install %s", strings.Join(missing, " "))
		}
		if err := s.install(missing); err != nil {
			return err
		}
	}
	if s.ipBin, err = findBinary("ip"); err != nil {
		return fmt.Errorf("ip: %w (Debian package iproute2)", err)
	}
	for _, b := range []string{"ddiscope", "ddiscope-configui"} {
		if _, err := os.Stat(filepath.Join(o.BinDir, b)); err != nil {
			return fmt.Errorf("%s: %w (run make build first; make demo does)", filepath.Join(o.BinDir, b), err)
		}
	}
	ports := DefaultPorts(o.PortOffset)
	if err := CheckPorts(ports); err != nil {
		return err
	}
	if err := s.reset(); err != nil {
		return err
	}
	s.Info = Info{Dir: s.Dir, Ports: ports, Admin: AdminUser}
	if err := s.saveInfo(); err != nil {
		return err
	}

	if err := s.start(ctx, o); err != nil {
		s.say("\nThe demo did not start: %v\nStopping what it had started:", err)
		if derr := s.down(); derr != nil {
			s.say("  %v", derr)
		}
		return err
	}
	s.Info.Complete = true
	if err := s.saveInfo(); err != nil {
		return err
	}
	s.summary()
	return nil
}

// daemonsRunning reports whether every recorded process but the traffic
// (which ends after its minutes) still runs.
func (s *State) daemonsRunning() bool {
	for _, p := range s.procs.list {
		if p.Name != "traffic" && !p.Alive() {
			return false
		}
	}
	return true
}

// start runs the steps in order; each may fail, and ctx (Ctrl-C) stops
// between them.
func (s *State) start(ctx context.Context, o Options) error {
	var files map[string][]byte
	steps := []struct {
		what string
		do   func() error
	}{
		{"network namespaces", s.setupNetwork},
		{"Kea: kea-dhcp4 HA pair (load-balancing) and kea-dhcp6", func() error {
			if err := s.writeKeaConfigs(); err != nil {
				return err
			}
			return s.startKea()
		}},
		{"BIND: primary and secondary, zone transfer", func() error {
			if err := s.writeBind(); err != nil {
				return err
			}
			return s.startBind()
		}},
		{"PostgreSQL (throwaway cluster)", s.startPostgres},
		{"rules, Alertmanager configuration and dashboards (ddiscope-gen's packages)", func() (err error) {
			if files, err = s.generate(); err != nil {
				return err
			}
			return s.writeSecrets()
		}},
		{"ddiscope", func() error { return s.startDdiscope(o.BinDir) }},
		{"Alertmanager", func() error { return s.startAlertmanager(files) }},
		{"ddiscope-configui (the config editor)", func() error {
			pw, err := s.startConfigUI(o.BinDir)
			s.Info.Password = pw
			if err == nil {
				err = s.saveInfo()
			}
			return err
		}},
		{"Prometheus", func() error { return s.startPrometheus(files) }},
		{"Grafana", func() error {
			ok, err := s.startGrafana(s.Info.Password)
			s.Info.Grafana = ok
			if !ok && err == nil {
				s.say("  Grafana: grafana-server is not installed (Debian has no package; Grafana's own apt repository has one:")
				s.say("  https://grafana.com/docs/grafana/latest/setup-grafana/installation/debian/). The dashboards are in %s.", s.path("gen", "deploy/grafana/dashboards"))
			}
			return err
		}},
		{"DHCP and DNS traffic (in the background)", func() error { return s.startTraffic(o) }},
		{"waiting until subnet 1 of the HA pair is full", s.waitFull},
	}
	for _, st := range steps {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted before %s", st.what)
		}
		began := time.Now()
		s.say("- %s ...", st.what)
		if err := st.do(); err != nil {
			return fmt.Errorf("%s: %w", st.what, err)
		}
		s.say("  done in %.1fs", time.Since(began).Seconds())
	}
	return nil
}

func (s *State) startTraffic(o Options) error {
	_, _, err := s.spawn(launch{Name: "traffic", Dir: s.Dir, Log: s.path("traffic.log"),
		Args: []string{o.Self, "traffic", "--dir", s.Dir, "--minutes", fmt.Sprint(o.TrafficMinutes)}})
	return err
}

// waitFull waits (bounded) until a peer reports subnet 1's ten addresses
// leased, so the summary can say the alert is on its way.
func (s *State) waitFull() error {
	socks := []string{s.keaServers()[0].Socket, s.keaServers()[1].Socket}
	var last int64
	err := waitFor(90*time.Second, nil, "subnet 1 full", func() error {
		for _, sock := range socks {
			n, err := Statistic(sock, fmt.Sprintf("subnet[%d].assigned-addresses", FullSubnetID))
			if err != nil {
				return err
			}
			if last = max(last, n); n >= 10 {
				return nil
			}
		}
		return fmt.Errorf("%d of 10 leased", last)
	})
	if err != nil {
		// Not fatal: the traffic keeps trying every round.
		s.say("  not yet (%v); the traffic tops it up every %s", err, TrafficRound)
	}
	return nil
}

// CheckPorts fails, naming the first port taken, before anything starts.
func CheckPorts(p Ports) error {
	for _, l := range p.list() {
		addr := fmt.Sprintf("127.0.0.1:%d", l.Port)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("port %d (%s) is in use on 127.0.0.1: stop what listens there, or move every demo port with DEMO_PORT_OFFSET=1000 make demo", l.Port, l.What)
		}
		ln.Close()
		if l.UDP {
			pc, err := net.ListenPacket("udp", addr)
			if err != nil {
				return fmt.Errorf("UDP port %d (%s) is in use on 127.0.0.1: stop what listens there, or move every demo port with DEMO_PORT_OFFSET=1000 make demo", l.Port, l.What)
			}
			pc.Close()
		}
	}
	return nil
}

// reset empties the state directory, which must be a demo's (or new, or
// empty): the demo never deletes a directory it did not make.
func (s *State) reset() error {
	entries, err := os.ReadDir(s.Dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if len(entries) > 0 {
		if _, err := os.Stat(s.path("demo.json")); err != nil {
			return fmt.Errorf("%s exists and is not a demo's state directory (no demo.json): choose another with DEMO_DIR", s.Dir)
		}
		if err := os.RemoveAll(s.Dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return err
	}
	// PostgreSQL runs as the postgres user and must reach its directory.
	if err := os.Chmod(s.Dir, 0o755); err != nil {
		return err
	}
	s.procs = &procs{path: s.path("procs.json")}
	return nil
}

// Down stops every process the demo in dir started, newest first, and
// deletes its network namespaces. The state directory (logs, configuration)
// stays for reading; the next Up clears it.
func Down(dir string, out io.Writer) error {
	if os.Geteuid() != 0 {
		return errors.New("stopping the demo needs root (run: sudo make demo-stop)")
	}
	if dir == "" {
		dir = DefaultDir
	}
	s, err := open(dir, out)
	if err != nil {
		return err
	}
	if len(s.procs.list) == 0 && len(s.Info.Namespaces) == 0 {
		s.say("No demo recorded in %s: nothing to stop.", s.Dir)
	}
	if err := s.down(); err != nil {
		return err
	}
	if len(s.procs.list) > 0 {
		s.say("Stopped. Logs and configuration stay in %s.", s.Dir)
	}
	return nil
}

func (s *State) down() error {
	if s.ipBin == "" {
		s.ipBin, _ = findBinary("ip")
	}
	var errs []error
	for i := len(s.procs.list) - 1; i >= 0; i-- {
		p := s.procs.list[i]
		stopped, err := stopProc(p, 15*time.Second)
		if err != nil {
			errs = append(errs, err)
		}
		if stopped {
			s.say("  stopped %s (pid %d)", p.Name, p.PID)
		}
	}
	if s.ipBin != "" {
		errs = append(errs, s.deleteNamespaces()...)
	}
	if len(s.Info.Namespaces) > 0 {
		s.Info.Namespaces = nil
		if _, err := os.Stat(s.Dir); err == nil {
			errs = append(errs, s.saveInfo())
		}
	}
	return errors.Join(errs...)
}

// summary prints the URLs and what to look at.
func (s *State) summary() {
	p := s.Info.Ports
	grafana := fmt.Sprintf("Grafana        not installed (see above); the dashboards are in %s", s.path("gen", "deploy/grafana/dashboards"))
	if s.Info.Grafana {
		grafana = fmt.Sprintf("Grafana        http://127.0.0.1:%d/dashboards  (admin / the password above)", p.Grafana)
	}
	fmt.Fprintf(s.out, `
The demo runs. Within about two minutes of the start, subnet 1 of the HA pair (198.18.0.0/24, 10 addresses)
is full and the alert KeaSubnetUtilizationCritical fires and reaches the config editor's inbox.

  Config editor  http://127.0.0.1:%[1]d/   user %[2]s, password %[3]s
                 inbox: http://127.0.0.1:%[1]d/inbox
                 the full subnet, with its alert: http://127.0.0.1:%[1]d/servers/%[4]s/dhcp4/subnets/1
                 the HA pair: http://127.0.0.1:%[1]d/servers/%[4]s/ha
  Prometheus     %[18]s   (rules generated for the demo: %[6]s utilisation alerts)
                 fleet totals (the HA pair counted once): http://127.0.0.1:%[5]d/api/v1/query?query=kea_dhcp4_fleet_addresses_assigned
  Alertmanager   http://127.0.0.1:%[7]d/
  ddiscope       http://127.0.0.1:%[8]d/metrics
                 curl -s http://127.0.0.1:%[8]d/metrics | grep -E '^kea_(dhcp4_subnet_utilization|ha_state|dhcp4_fleet)'
                 curl -s 'http://127.0.0.1:%[8]d/probe?target=%[9]s'
  %[10]s
  BIND           dig @127.0.0.1 -p %[11]d www.demo.example   (primary; secondary on port %[12]d)

Servers: %[4]s and %[13]s (Kea DHCPv4 HA pair, load-balancing), %[14]s (DHCPv6), %[15]s and %[16]s (BIND).
Everything is in %[17]s (configuration, logs, demo.json); traffic: %[17]s/traffic.log.
Stop it all with: make demo-stop
`, p.ConfigUI, s.Info.Admin, s.Info.Password, KeaHA1, p.Prometheus, AlertFor, p.Alertmanager, p.Ddiscope, KeaHA1,
		grafana, p.PrimaryDNS, p.SecondaryDNS, KeaHA2, KeaV6, NSPrimary, NSSecondary, s.Dir, PrometheusAlertsURL(p.Prometheus))
}

// PrometheusAlertsURL is Prometheus' alerts page: /alerts, or /classic/alerts
// where the build has no React UI (Debian's 2.42 package).
func PrometheusAlertsURL(port int) string {
	u := fmt.Sprintf("http://127.0.0.1:%d/alerts", port)
	if httpOK(u) != nil {
		return fmt.Sprintf("http://127.0.0.1:%d/classic/alerts", port)
	}
	return u
}
