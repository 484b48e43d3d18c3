package dashboards

// Series recorded by the rules (rules.Build), which the dashboards read
// rather than repeat the expression, as the alerts do. A test fails when
// the rules stop recording one of them.
// TODO(rules): export these names from package rules.
const (
	// Utilisation 0..1 of every subnet, pool and shared network, DHCPv4
	// addresses and DHCPv6 addresses and prefixes alike, told apart by the
	// labels daemon and lease_type.
	recordedSubnet  = "kea:subnet_utilization:ratio"
	recordedPool    = "kea:pool_utilization:ratio"
	recordedNetwork = "kea:shared_network_utilization:ratio"
	// Allocation failures a second per subnet over 5 minutes, as the
	// KeaAllocationFailures alert reads them.
	recordedAllocFailures = "kea:subnet_allocation_failures:rate5m"
)
