package catalog

// Configuration review: checks ddiscope runs on each configuration it reads
// (config-get, only when the configuration changed) and on the facts it
// already has (the statistics' subnets, the HA peers' configurations). Each
// finding is a series of ddiscope_config_finding; docs/config-review.md and
// the runbooks (one alert per check) say why each matters and how to fix it.

// ConfigCheck is one check: the value of the check label, the severity
// label of its findings, and what its subject names.
type ConfigCheck struct {
	Name     string
	Severity string // critical, warning or info, as the alert's
	// Subject is the kind of object the subject label names: "subnet",
	// "pool", "reservation", "shared-network" (each subject then starts with
	// "subnet <id> " or "shared-network <name>") or "server".
	Subject string
	Title   string // one line, for tables and the dashboard
}

// Check names, the values of the check label.
const (
	CheckSubnetOverlap          = "subnet-overlap"
	CheckHASubnetOverlap        = "ha-subnet-overlap"
	CheckPoolOutsideSubnet      = "pool-outside-subnet"
	CheckPoolOverlap            = "pool-overlap"
	CheckReservationOutside     = "reservation-outside-subnet"
	CheckReservationInPool      = "reservation-in-pool"
	CheckPoolReserved           = "pool-exhausted-by-reservations"
	CheckSubnetWithoutPools     = "subnet-without-pools"
	CheckSharedNetworkOneSubnet = "shared-network-single-subnet"
	CheckSubnetNotConfigured    = "subnet-missing-from-config"
	CheckHASubnetsDiffer        = "ha-subnets-differ"
	CheckHookMissing            = "hook-missing"
	CheckCredentialsNoTLS       = "credentials-without-tls"
	CheckSampleCount            = "statistic-sample-count"
	CheckV6CounterOverflow      = "v6-pool-counter-overflow"
)

// ConfigChecks are every check, in the order docs list them.
var ConfigChecks = []ConfigCheck{
	{CheckSubnetOverlap, "warning", "subnet", "Subnets of one server overlap"},
	{CheckHASubnetOverlap, "critical", "subnet", "A subnet overlaps a different subnet on the HA peer"},
	{CheckPoolOutsideSubnet, "critical", "pool", "An address pool lies outside its subnet"},
	{CheckPoolOverlap, "critical", "pool", "Pools overlap"},
	{CheckReservationOutside, "warning", "reservation", "A reservation lies outside its subnet"},
	{CheckReservationInPool, "critical", "reservation", "A reservation lies inside a pool while out-of-pool reservations are configured"},
	{CheckPoolReserved, "warning", "pool", "Reservations take every address of a pool"},
	{CheckSubnetWithoutPools, "warning", "subnet", "A subnet has no pool"},
	{CheckSharedNetworkOneSubnet, "info", "shared-network", "A shared network has one subnet or none"},
	{CheckSubnetNotConfigured, "warning", "subnet", "Kea reports statistics of a subnet its configuration lacks"},
	{CheckHASubnetsDiffer, "critical", "subnet", "HA peers define a subnet or its pools differently"},
	{CheckHookMissing, "critical", "server", "A hook library another one needs is not loaded"},
	{CheckCredentialsNoTLS, "warning", "server", "Credentials are sent over HTTP without TLS"},
	{CheckSampleCount, "info", "server", "statistic-default-sample-count left at 20 on a large configuration"},
	{CheckV6CounterOverflow, "info", "subnet", "An IPv6 pool is too large for the Kea version's statistics"},
}

// ConfigCheckByName returns the check of that name.
func ConfigCheckByName(name string) (ConfigCheck, bool) {
	for _, c := range ConfigChecks {
		if c.Name == name {
			return c, true
		}
	}
	return ConfigCheck{}, false
}

// MaxFindingsPerCheck bounds the series of one check on one daemon: a
// configuration of 10,000 subnets without pools must not make 10,000
// series. What is cut is counted in ddiscope_config_findings_omitted.
const MaxFindingsPerCheck = 20

// Review returns the metrics of the configuration review.
func Review() []*Metric {
	const d = "ddiscope"
	return []*Metric{
		withExtra(derived(d, ScopeDaemon, Gauge, "ddiscope_config_finding", "", "Always 1: a mistake in the daemon's configuration that the check found, the subject naming the subnet, pool, reservation, shared network or setting (at most 20 per check; see ddiscope_config_findings_omitted). Checks run when ddiscope reads a changed configuration; docs/config-review.md describes each.", "configuration review of config-get, the statistics' subnets and the HA peers' configurations"), "check", "severity", "subject"),
		withExtra(derived(d, ScopeDaemon, Gauge, "ddiscope_config_findings_omitted", "", "Findings of the check beyond the 20 exported as ddiscope_config_finding series; 0 when none were cut. Present for every check that ran on the daemon.", "count of findings past the per-check bound"), "check"),
	}
}
