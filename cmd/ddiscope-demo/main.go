// Command ddiscope-demo runs ddiscope's whole loop on this machine: `make
// demo` runs `ddiscope-demo up`, `make demo-stop` runs `ddiscope-demo down`
// (package internal/demo).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/alecthomas/kingpin/v2"

	"github.com/ddiscope/ddiscope/internal/demo"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	app := kingpin.New("ddiscope-demo", "ddiscope's whole loop on one machine: Kea, BIND, PostgreSQL, ddiscope, the config editor, Prometheus, Alertmanager.")
	app.HelpFlag.Short('h')
	dir := app.Flag("dir", "State directory: configuration, data, logs and the record of every process started.").
		Envar("DEMO_DIR").Default(demo.DefaultDir).String()

	up := app.Command("up", "Install what is missing, start everything, print what to look at, and return.")
	offset := up.Flag("port-offset", "Added to every port the demo listens on (ddiscope 19547, editor 9548, Prometheus 9090, ...).").
		Envar("DEMO_PORT_OFFSET").Default("0").Int()
	binDir := up.Flag("bin-dir", "Where ddiscope and ddiscope-configui are; default: beside this program.").String()
	noInstall := up.Flag("no-install", "Fail instead of installing missing Debian packages.").Bool()
	minutes := up.Flag("traffic-minutes", "How long the background DHCP and DNS traffic runs.").Default("60").Int()

	app.Command("down", "Stop every process the demo started and delete its network namespaces.")

	traffic := app.Command("traffic", "The background traffic process (started by up).").Hidden()
	trafficMinutes := traffic.Flag("minutes", "").Default("60").Int()

	cmd, err := app.Parse(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ddiscope-demo:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case "up":
		self, err := os.Executable()
		if err != nil {
			fmt.Fprintln(os.Stderr, "ddiscope-demo:", err)
			return 1
		}
		if *binDir == "" {
			*binDir = filepath.Dir(self)
		}
		err = demo.Up(ctx, demo.Options{Dir: *dir, BinDir: *binDir, PortOffset: *offset, NoInstall: *noInstall,
			Self: self, TrafficMinutes: *minutes, Out: os.Stdout})
		if err != nil {
			fmt.Fprintln(os.Stderr, "ddiscope-demo:", err)
			return 1
		}
	case "down":
		if err := demo.Down(*dir, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "ddiscope-demo:", err)
			return 1
		}
	case "traffic":
		if err := demo.RunTraffic(ctx, *dir, *trafficMinutes, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "ddiscope-demo traffic:", err)
			return 1
		}
	}
	return 0
}
