// Command ddiscope-configui is the config editor: the pages every alert's
// remediation_url points at, the alert inbox Alertmanager posts to, and
// (later) the only writer to Kea. See docs/configui.md.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	toolkit "github.com/prometheus/exporter-toolkit/web"
	webflag "github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/auth"
	"github.com/ddiscope/ddiscope/configui/config"
	"github.com/ddiscope/ddiscope/configui/form"
	"github.com/ddiscope/ddiscope/configui/inbox"
	"github.com/ddiscope/ddiscope/configui/keaview"
	"github.com/ddiscope/ddiscope/configui/store"
	"github.com/ddiscope/ddiscope/configui/web"
	"github.com/ddiscope/ddiscope/internal/keactl"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := kingpin.New("ddiscope-configui", "The ddiscope config editor: Kea pages, alert inbox, lease search.")
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)
	configFile := app.Flag("config.file", "YAML configuration (see docs/configui.md).").Required().String()
	logConfig := &promslog.Config{}
	promslogflag.AddFlags(app, logConfig)
	app.Version(version.Print("ddiscope-configui"))
	app.HelpFlag.Short('h')

	serve := app.Command("serve", "Serve the editor (the default).").Default()
	webConfig := webflag.AddFlags(serve, ":9548")
	checkConfig := serve.Flag("check-config", "Check the configuration file and exit.").Bool()

	user := app.Command("user", "Manage users (needs the database).")
	add := user.Command("add", "Add a user.")
	addName := add.Arg("name", "User name.").Required().String()
	addRole := add.Flag("role", "viewer, operator or admin.").Default(auth.Viewer).Enum(auth.Viewer, auth.Operator, auth.Admin)
	addStdin := add.Flag("password-stdin", "Read the password from the first line of standard input; otherwise one is generated and printed.").Bool()
	passwd := user.Command("passwd", "Set a user's password (ends the user's sessions).")
	pwName := passwd.Arg("name", "User name.").Required().String()
	pwStdin := passwd.Flag("password-stdin", "Read the password from the first line of standard input; otherwise one is generated and printed.").Bool()
	del := user.Command("del", "Remove a user (ends the user's sessions).")
	delName := del.Arg("name", "User name.").Required().String()

	cmd, err := app.Parse(args)
	if err != nil {
		fmt.Fprintln(stderr, "ddiscope-configui:", err)
		return 2
	}
	logConfig.Writer = stderr
	log := promslog.New(logConfig)
	cfg, err := config.Load(*configFile)
	if err != nil {
		fmt.Fprintln(stderr, "ddiscope-configui:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case serve.FullCommand():
		if *checkConfig {
			fmt.Fprintf(stdout, "%s: configuration is valid (%d Kea servers)\n", *configFile, len(cfg.Kea))
			return 0
		}
		return serveEditor(ctx, log, cfg, webConfig, stderr)
	case add.FullCommand(), passwd.FullCommand(), del.FullCommand():
		st, err := openNow(ctx, log, cfg)
		if err != nil {
			fmt.Fprintln(stderr, "ddiscope-configui:", err)
			return 1
		}
		defer st.Close()
		switch cmd {
		case add.FullCommand():
			err = userSet(ctx, st, *addName, *addRole, *addStdin, stdin, stdout, true)
		case passwd.FullCommand():
			err = userSet(ctx, st, *pwName, "", *pwStdin, stdin, stdout, false)
		case del.FullCommand():
			if err = st.DeleteUser(ctx, *delName); err == nil {
				err = st.Audit(ctx, store.AuditEntry{Username: "(command line)", Action: "user-del", Success: true, Detail: *delName})
				fmt.Fprintf(stdout, "user %s removed\n", *delName)
			}
		}
		if errors.Is(err, store.ErrNotFound) {
			err = fmt.Errorf("no user %q", flagName(*pwName, *delName))
		}
		if err != nil {
			fmt.Fprintln(stderr, "ddiscope-configui:", err)
			return 1
		}
	}
	return 0
}

func flagName(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// openNow connects and migrates at once: a command-line change is either
// made or reported failed, never left to a retry.
func openNow(ctx context.Context, log *slog.Logger, cfg *config.File) (*store.Store, error) {
	cs, err := store.ConnString(cfg.Database)
	if err != nil {
		return nil, err
	}
	set := store.SettingsOf(cfg.Database)
	set.RetryOnStartup = false
	return store.Open(ctx, log, cs, 2, set)
}

func userSet(ctx context.Context, st *store.Store, name, role string, fromStdin bool, stdin io.Reader, stdout io.Writer, create bool) error {
	if err := form.CheckUsername(name); err != nil {
		return err
	}
	pw := ""
	if fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading the password: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
		if len(pw) < 12 {
			return errors.New("the password must have at least 12 characters")
		}
	} else {
		pw = auth.Generate()
	}
	hash, err := auth.Hash(pw)
	if err != nil {
		return err
	}
	action := "user-passwd"
	if create {
		action = "user-add"
		if err := st.CreateUser(ctx, name, hash, role); errors.Is(err, store.ErrExists) {
			return fmt.Errorf("user %q already exists (use user passwd)", name)
		} else if err != nil {
			return err
		}
	} else if err := st.SetPassword(ctx, name, hash); err != nil {
		return err
	}
	if err := st.Audit(ctx, store.AuditEntry{Username: "(command line)", Action: action, Success: true, Detail: name}); err != nil {
		return err
	}
	if fromStdin {
		fmt.Fprintf(stdout, "user %s: password set\n", name)
	} else {
		fmt.Fprintf(stdout, "user %s: password %s\n", name, pw)
	}
	return nil
}

func serveEditor(ctx context.Context, log *slog.Logger, cfg *config.File, webConfig *toolkit.FlagConfig, stderr io.Writer) int {
	cs, err := store.ConnString(cfg.Database)
	if err != nil {
		fmt.Fprintln(stderr, "ddiscope-configui:", err)
		return 1
	}
	st, err := store.Open(ctx, log, cs, cfg.Database.MaxConnections, store.SettingsOf(cfg.Database))
	if err != nil {
		log.Error("database", "err", err)
		return 1
	}
	defer st.Close()
	fatal := make(chan error, 1)
	go st.Run(ctx, func(err error) {
		select {
		case fatal <- err:
		default:
		}
	})
	view, err := keaView(cfg, log)
	if err != nil {
		log.Error("kea", "err", err)
		return 1
	}
	// Read every Kea configuration now, so that the first remediation link
	// does not wait for config-get (seconds at 10,000 subnets through Kea
	// 2.2's Control Agent). In the background: a Kea that is down delays
	// nothing and is only logged; its pages retry on their own.
	go func() {
		began := time.Now()
		if err := view.Warm(ctx); err != nil {
			log.Warn("kea: reading the configurations at start", "err", err)
			return
		}
		log.Info("kea: configurations read", "servers", len(cfg.Kea), "took", time.Since(began))
	}()
	// Outcomes of changes the database could not take (it went away during
	// an apply) are recorded as soon as it is back.
	applier := apply.New(apply.Options{Store: st, Logger: log})
	go applier.Run(ctx, time.Second)
	srv, err := web.New(web.Options{Config: cfg, Store: st, Kea: view, Log: log, Apply: applier})
	if err != nil {
		log.Error("web", "err", err)
		return 1
	}
	defer srv.Close()
	if am := cfg.Alertmanager; am.URL != "" {
		p := &inbox.Poller{URL: am.URL, Sink: st, Log: log, Username: am.User, Password: am.Password}
		if am.PollInterval != nil {
			p.Interval = *am.PollInterval
		}
		if am.PasswordFile != "" {
			b, err := os.ReadFile(am.PasswordFile)
			if err != nil {
				log.Error("alertmanager password-file", "err", err)
				return 1
			}
			p.Password = strings.TrimRight(string(b), "\r\n")
		}
		go p.Run(ctx)
	}
	go expireSessions(ctx, st, log)
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second,
		MaxHeaderBytes: 64 << 10}
	serveErr := make(chan error, 1)
	go func() { serveErr <- toolkit.ListenAndServe(hs, webConfig, log) }()
	code := 0
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-fatal:
		log.Error("exiting", "err", err)
		code = 1
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Error("web server", "err", err)
			return 1
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(sctx)
	return code
}

// keaView makes a Kea control client per configured server, with the
// daemon's own option mapping (config.KeaTarget.ClientOptions).
func keaView(cfg *config.File, log *slog.Logger) (*keaview.View, error) {
	var ts []keaview.Target
	for _, k := range cfg.Kea {
		var timeout time.Duration
		if k.Timeout != nil {
			timeout = *k.Timeout
		}
		c, err := keactl.New(k.ClientOptions(timeout, 0))
		if err != nil {
			return nil, fmt.Errorf("kea target %q: %w", k.Name, err)
		}
		ts = append(ts, keaview.Target{Name: k.Name, Client: c})
	}
	return keaview.New(keaview.Options{Targets: ts, Logger: log})
}

func expireSessions(ctx context.Context, st *store.Store, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := st.DeleteExpiredSessions(ctx); err == nil && n > 0 {
				log.Debug("expired sessions removed", "count", n)
			}
		}
	}
}
