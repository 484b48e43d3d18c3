// Command ddiscope polls Kea DHCP servers and serves their statistics as
// Prometheus metrics.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	webflag "github.com/prometheus/exporter-toolkit/web/kingpinflag"
	"go.opentelemetry.io/otel"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/cmd/ddiscope/internal/daemon"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/collector/bind"
	"github.com/ddiscope/ddiscope/collector/kea"
	"github.com/ddiscope/ddiscope/exporters/otlp"
	promexp "github.com/ddiscope/ddiscope/exporters/prometheus"
	"github.com/ddiscope/ddiscope/internal/config"
)

// defaultListen is ddiscope's own port. 9547 belongs to kea-exporter and
// the Stork agent's Kea exporter, so running both during a migration
// clashed; Prometheus' exporter range 9100-9999 is fully allocated, so the
// port sits outside it (docs/configuration.md, "Listen port").
const defaultListen = ":19547"

func main() {
	// A poll's garbage is small now that snapshots reuse their memory
	// (collector.Recycler), but an OTLP push still makes a few MB of it:
	// with Go's default GOGC=100 the heap may grow to twice the live data,
	// and OTLP on cost 1.3-1.5 times the peak RSS of OTLP off at 10,000
	// subnets, against 1.2 with 50, for a few ms more CPU a 15 s cycle
	// (docs/benchmarks.md). GOGC and GOMEMLIMIT still win when set.
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(50)
	}
	stampVersion(debug.ReadBuildInfo())
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	app := kingpin.New("ddiscope", "Polls Kea DHCP servers and serves their statistics as Prometheus metrics.")
	configFile := app.Flag("config.file", "YAML file listing targets (see docs/configuration.md).").String()
	targets := app.Flag("kea.target", "A Kea target as NAME=URL, URL http(s)://host:port/ or unix:///path/to/socket. Repeatable.").Strings()
	bindTargets := app.Flag("bind.target", "A BIND 9 statistics channel as NAME=URL, URL http(s)://host:port/. Repeatable.").Strings()
	keaDir := app.Flag("kea.config-dir", "Where to look for the local Kea's configuration files when no target is given.").Default("/etc/kea").String()
	bindDir := app.Flag("bind.config-dir", "Where to look for the local named's statistics-channels when no target is given.").Default("/etc/bind").String()
	metricsPath := app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").String()
	probeTimeout := app.Flag("probe.timeout", "Timeout of /probe when Prometheus sends no X-Prometheus-Scrape-Timeout-Seconds.").Default("10s").Duration()
	checkConfig := app.Flag("check-config", "Check the configuration (file, target flags, --web.config.file, OTLP settings) and exit: 0 when it loads.").Bool()
	webConfig := webflag.AddFlags(app, defaultListen)
	logConfig := &promslog.Config{}
	promslogflag.AddFlags(app, logConfig)
	app.Version(version.Print("ddiscope"))
	app.HelpFlag.Short('h')
	if _, err := app.Parse(args); err != nil {
		fmt.Fprintln(os.Stderr, "ddiscope:", err)
		return 1
	}
	log := promslog.New(logConfig)

	cat, err := catalog.New(catalog.All())
	if err != nil {
		log.Error("metric catalog", "err", err)
		return 1
	}
	load := func() (*config.File, error) {
		return loadTargets(log, *configFile, *targets, *bindTargets, *keaDir, *bindDir)
	}
	conf, err := load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ddiscope:", err)
		return 1
	}
	if *checkConfig {
		return checkOnly(conf, webConfig, os.Stdout, os.Stderr)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	store := collector.NewStore()
	d := daemon.New(log, cat, store)
	if err := d.Apply(ctx, conf); err != nil {
		fmt.Fprintln(os.Stderr, "ddiscope:", err)
		return 1
	}
	defer d.Stop()

	// Facts across targets, computed from snapshots by /metrics and the OTLP
	// push alike.
	reloads := daemon.NewReloads(cat, time.Now())
	cross := []collector.CrossDeriver{bind.SerialDrift(cat), kea.HAPairs(cat), reloads.Deriver()}
	otlpCfg, err := otlpConfig(conf.OTLP, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ddiscope:", err)
		return 1
	}
	otlpLog := log.With("component", "otlp")
	routeOTelDiagnostics(otlpLog)
	push, err := otlp.New(ctx, otlpCfg, cat, store, otlpLog, cross...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ddiscope:", err)
		return 1
	}
	defer func() {
		// Bounded by the push timeout: a dead endpoint cannot hold up exit.
		if err := push.Shutdown(context.Background()); err != nil {
			log.Warn("last OTLP push", "err", err)
		}
	}()

	var reloading sync.Mutex // SIGHUP and POST /-/reload one at a time
	reload := func() error {
		reloading.Lock()
		defer reloading.Unlock()
		c, err := load()
		if err == nil {
			err = d.Apply(ctx, c)
		}
		reloads.Record(err, time.Now())
		if err != nil {
			log.Error("reload failed; the previous configuration stays in force", "err", err)
			return err
		}
		log.Info("configuration reloaded", "targets", len(c.Kea))
		return nil
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				reload()
			}
		}
	}()

	runtime := prometheus.NewRegistry()
	runtime.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		versioncollector.NewCollector("ddiscope"))
	mux := http.NewServeMux()
	mux.Handle("GET "+*metricsPath, promexp.NewHandler(cat, store, runtime, log, append(cross, push.Deriver())...))
	mux.Handle("GET /probe", promexp.ProbeHandler(cat, d.Probe, *probeTimeout))
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Healthy") })
	mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if ok, who := store.Ready(); !ok {
			http.Error(w, fmt.Sprintf("Not ready: target %q is failing and its on-fail is stop-retry-exit", who), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "Ready")
	})
	mux.HandleFunc("POST /-/reload", func(w http.ResponseWriter, _ *http.Request) {
		if err := reload(); err != nil {
			http.Error(w, "reload failed: "+err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "Reloaded")
	})
	// Without this, the landing page would answer a GET with 200 and a
	// script polling it would believe it had reloaded.
	mux.HandleFunc("/-/reload", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "reload is POST /-/reload (or SIGHUP)", http.StatusMethodNotAllowed)
	})
	if *metricsPath != "/" {
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name: "ddiscope", Description: "Kea DHCP metrics", Version: version.Info(),
			Links: []web.LandingLinks{{Address: *metricsPath, Text: "Metrics"}, {Address: "/-/healthy", Text: "Health"}},
		})
		if err != nil {
			log.Error("landing page", "err", err)
			return 1
		}
		mux.Handle("/", landing)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- web.ListenAndServe(srv, webConfig, log) }()

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-d.Fatal():
		log.Error("exiting", "err", err)
		shutdown(srv)
		return 1
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Error("web server", "err", err)
			return 1
		}
	}
	shutdown(srv)
	return 0
}

func shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
}

// otlpConfig merges the file's otlp section over the OTEL_* environment
// variables: like SDK options given in code, the file wins key by key. OTLP
// settings are read at start; a reload changes targets only.
func otlpConfig(o config.OTLP, getenv func(string) string) (otlp.Config, error) {
	env, err := otlp.ConfigFromEnv(getenv)
	if err != nil {
		return otlp.Config{}, err
	}
	file := otlp.Config{Protocol: o.Protocol, Endpoint: o.Endpoint, Headers: o.Headers, Compression: o.Compression,
		Temporality: o.Temporality, CAFile: o.TrustAnchor, CertFile: o.CertFile, KeyFile: o.KeyFile,
		ResourceAttributes: o.ResourceAttributes}
	if o.Interval != nil {
		file.Interval = *o.Interval
	}
	if o.Timeout != nil {
		file.Timeout = *o.Timeout
	}
	c := otlp.Merge(file, env)
	if o.Enabled != nil {
		c.Enabled = *o.Enabled
	}
	if o.Insecure != nil {
		c.Insecure = *o.Insecure
	}
	if err := c.Check(); err != nil {
		return otlp.Config{}, fmt.Errorf("otlp: %w", err)
	}
	return c, nil
}

// checkOnly checks what start-up would and says so: the targets are
// loaded already; the OTLP settings (file and OTEL_* variables) and the web
// configuration file are checked here. Nothing is polled.
func checkOnly(conf *config.File, webConfig *web.FlagConfig, stdout, stderr io.Writer) int {
	if _, err := otlpConfig(conf.OTLP, os.Getenv); err != nil {
		fmt.Fprintln(stderr, "ddiscope:", err)
		return 1
	}
	if f := *webConfig.WebConfigFile; f != "" {
		if err := web.Validate(f); err != nil {
			fmt.Fprintf(stderr, "ddiscope: --web.config.file %s: %v\n", f, err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "%s: configuration is valid (%d Kea targets, %d BIND targets)\n", conf.Path, len(conf.Kea), len(conf.Bind))
	return 0
}

// loadTargets merges the configuration file and the target flags; with
// none, it looks for the local Kea and named.
func loadTargets(log *slog.Logger, file string, flags, bindFlags []string, keaDir, bindDir string) (*config.File, error) {
	conf := &config.File{Path: "command line"}
	if file != "" {
		c, err := config.Load(file)
		if err != nil {
			return nil, err
		}
		conf = c
	}
	for _, f := range flags {
		k, err := config.ParseTargetFlag(f)
		if err != nil {
			return nil, err
		}
		conf.Kea = append(conf.Kea, k)
	}
	for _, f := range bindFlags {
		b, err := config.ParseBindFlag(f)
		if err != nil {
			return nil, err
		}
		conf.Bind = append(conf.Bind, b)
	}
	if err := conf.Check(); err != nil {
		return nil, err
	}
	if len(conf.Kea) == 0 && len(conf.Bind) == 0 {
		ts, found, keaErr := config.Discover(keaDir)
		conf.Kea = ts
		bs, bfound := config.DiscoverBind(bindDir)
		conf.Bind = bs
		for _, f := range append(found, bfound...) {
			log.Info("found a local server", "via", f)
		}
		if len(conf.Kea) == 0 && len(conf.Bind) == 0 {
			return nil, keaErr
		}
	}
	return conf, nil
}

// routeOTelDiagnostics sends the OpenTelemetry SDK's process-wide
// diagnostics to our log instead of the standard library's: its periodic
// reader hands a failed push to the global error handler, which would print
// each one to stderr, though the exporter has logged the failure already.
// The SDK's own debug output (whole collections) stays below our debug level.
func routeOTelDiagnostics(log *slog.Logger) {
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Debug("OpenTelemetry SDK", "err", err) }))
	otel.SetLogger(logr.FromSlogHandler(log.Handler()))
}
