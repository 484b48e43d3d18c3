package rules

import (
	"time"

	"github.com/prometheus/common/model"
)

// Config is everything a user tunes when regenerating the rules: which
// series are ddiscope's, where links point, the thresholds, and per alert
// its `for`, its severity or its removal. Default() is what the committed
// files under deploy/ and docs/ are generated from; Load applies a small
// YAML file on top of it.
type Config struct {
	// Selector is the label matchers that pick ddiscope's series out of
	// everything Prometheus stores (job="ddiscope"); every selector of a
	// ddiscope metric in the rules carries it.
	Selector     string                   `yaml:"selector"`
	Links        Links                    `yaml:"links"`
	Thresholds   Thresholds               `yaml:"thresholds"`
	Alertmanager AlertmanagerConfig       `yaml:"alertmanager"`
	Alerts       map[string]AlertOverride `yaml:"alerts"`
}

// Thresholds are the numbers the alert expressions compare with. Ratios are
// 0..1; rates are per minute.
type Thresholds struct {
	// Address space (subnets, pools, shared networks).
	UtilizationWarning  float64 `yaml:"utilization-warning"`
	UtilizationCritical float64 `yaml:"utilization-critical"`
	// ExhaustionHorizon: alert when the utilisation trend over
	// ExhaustionLookback reaches 100% within this time, once the
	// utilisation is above ExhaustionMinUtilization.
	ExhaustionHorizon        model.Duration `yaml:"exhaustion-horizon"`
	ExhaustionLookback       model.Duration `yaml:"exhaustion-lookback"`
	ExhaustionMinUtilization float64        `yaml:"exhaustion-min-utilization"`
	// SubnetsInSharedNetworks also alerts on the utilisation of subnets in a
	// shared network. Off by default: Kea hands out addresses from any subnet
	// of the shared network, so the shared network's own alert is the one
	// that means clients go without.
	SubnetsInSharedNetworks bool `yaml:"subnets-in-shared-networks"`

	AllocationFailuresPerMinute float64 `yaml:"allocation-failures-per-minute"`
	DeclinesPerMinute           float64 `yaml:"declines-per-minute"`
	NAKRatio                    float64 `yaml:"nak-ratio"`
	NAKMinRequestsPerMinute     float64 `yaml:"nak-min-requests-per-minute"`
	DropRatio                   float64 `yaml:"drop-ratio"`
	// DropReasonsIgnored are drop reasons that are normal: in HA load
	// balancing each peer drops the clients of its partner's scope as
	// not_for_us.
	DropReasonsIgnored []string `yaml:"drop-reasons-ignored"`
	DeclinedRatio      float64  `yaml:"declined-ratio"`

	// LeaseReclamationBacklog is how many expired leases of one subnet may
	// wait for reclamation (from ddiscope's lease pass).
	LeaseReclamationBacklog float64 `yaml:"lease-reclamation-backlog"`

	// HA. HAHeartbeatDelay is Kea's heartbeat-delay; a partner unheard of
	// for HAContactAgeFactor times it is frozen or gone.
	HAHeartbeatDelay    model.Duration `yaml:"ha-heartbeat-delay"`
	HAContactAgeFactor  float64        `yaml:"ha-contact-age-factor"`
	HAClockSkew         model.Duration `yaml:"ha-clock-skew"`
	HAUnackedClients    float64        `yaml:"ha-unacked-clients"`
	HAUnsentUpdates     float64        `yaml:"ha-unsent-updates"`
	HAAbnormalStateTime model.Duration `yaml:"ha-abnormal-state-time"`

	// BIND. BINDRecursiveClientsLimit is named's recursive-clients (1000
	// unless configured); the alert fires at BINDRecursiveClientsRatio of it.
	BINDServfailRatio         float64        `yaml:"bind-servfail-ratio"`
	BINDMinQueriesPerMinute   float64        `yaml:"bind-min-queries-per-minute"`
	BINDRecursiveClientsLimit float64        `yaml:"bind-recursive-clients-limit"`
	BINDRecursiveClientsRatio float64        `yaml:"bind-recursive-clients-ratio"`
	BINDZoneExpiry            model.Duration `yaml:"bind-zone-expiry"`
	BINDSerialDriftTime       model.Duration `yaml:"bind-serial-drift-time"`

	// ddiscope itself.
	StaleAfter     model.Duration `yaml:"stale-after"`
	PollErrorRatio float64        `yaml:"poll-error-ratio"`
	// SeriesBudget is the most series one target may produce before
	// DdiscopeSeriesBudgetExceeded fires.
	SeriesBudget float64 `yaml:"series-budget"`
}

// AlertmanagerConfig shapes deploy/alertmanager/alertmanager.yml.
type AlertmanagerConfig struct {
	GroupWait     model.Duration `yaml:"group-wait"`
	GroupInterval model.Duration `yaml:"group-interval"`
	// RepeatInterval is how often a still-firing alert is notified again,
	// by severity.
	RepeatInterval map[Severity]model.Duration `yaml:"repeat-interval"`
	// Webhooks adds webhook URLs to the receiver of a severity
	// ("critical", "warning", "info"); every alert also goes to the config
	// editor's inbox.
	Webhooks map[Severity][]string `yaml:"webhooks"`
	// InboxTokenFile is the file Alertmanager reads the config editor's
	// webhook token from (sent as "Authorization: Bearer"); the editor
	// reads the same token from its web.webhook-token-file. Used only
	// with links.configui.
	InboxTokenFile string `yaml:"inbox-token-file"`
}

// DefaultInboxTokenFile is where Debian's Alertmanager (whose
// configuration lives in /etc/prometheus) finds the editor's webhook token.
const DefaultInboxTokenFile = "/etc/prometheus/ddiscope-configui-webhook.token"

// AlertOverride changes one alert. Unset fields keep the default.
type AlertOverride struct {
	For      *model.Duration `yaml:"for"`
	Severity Severity        `yaml:"severity"`
	Disabled bool            `yaml:"disabled"`
}

func minutes(n int) model.Duration { return model.Duration(time.Duration(n) * time.Minute) }
func hours(n int) model.Duration   { return model.Duration(time.Duration(n) * time.Hour) }

// Default returns the configuration the committed files are generated from.
func Default() *Config {
	return &Config{
		Selector: `job="ddiscope"`,
		Links: Links{
			Runbooks: "https://github.com/ddiscope/ddiscope/blob/main/docs/runbooks",
			Grafana:  "http://localhost:3000",
			ConfigUI: "http://localhost:9548",
		},
		Thresholds: Thresholds{
			UtilizationWarning:          0.8,
			UtilizationCritical:         0.95,
			ExhaustionHorizon:           hours(24),
			ExhaustionLookback:          hours(6),
			ExhaustionMinUtilization:    0.5,
			AllocationFailuresPerMinute: 1,
			DeclinesPerMinute:           10,
			NAKRatio:                    0.2,
			NAKMinRequestsPerMinute:     1,
			DropRatio:                   0.01,
			DropReasonsIgnored:          []string{"not_for_us"},
			DeclinedRatio:               0.05,
			LeaseReclamationBacklog:     100,
			HAHeartbeatDelay:            model.Duration(10 * time.Second),
			HAContactAgeFactor:          5,
			HAClockSkew:                 model.Duration(30 * time.Second),
			HAUnackedClients:            0,
			HAUnsentUpdates:             0,
			HAAbnormalStateTime:         minutes(10),
			BINDServfailRatio:           0.05,
			BINDMinQueriesPerMinute:     60,
			BINDRecursiveClientsLimit:   1000,
			BINDRecursiveClientsRatio:   0.8,
			BINDZoneExpiry:              hours(24),
			BINDSerialDriftTime:         minutes(30),
			StaleAfter:                  minutes(5),
			PollErrorRatio:              0.1,
			SeriesBudget:                100000,
		},
		Alertmanager: AlertmanagerConfig{
			GroupWait:      model.Duration(30 * time.Second),
			GroupInterval:  minutes(5),
			RepeatInterval: map[Severity]model.Duration{Critical: hours(1), Warning: hours(4), Info: hours(24)},
			InboxTokenFile: DefaultInboxTokenFile,
		},
	}
}
