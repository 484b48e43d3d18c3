package rules

import "fmt"

// keaGroup alerts on Kea's DHCP service: daemons down, address space
// filling up, and the packet patterns that mean clients go without.
func keaGroup(c *Config) Group {
	t := c.Thresholds
	g := Group{Name: "kea"}
	for _, s := range addressSpaces() {
		g.Recordings = append(g.Recordings, s.recording(c))
		g.Alerts = append(g.Alerts, s.alerts(c)...)
	}
	g.Recordings = append(g.Recordings, Recording{
		Record: "kea:subnet_allocation_failures:rate5m",
		Expr: union(
			tag("rate("+c.sel("kea_dhcp4_subnet_allocation_failures_total")+"[5m])", "daemon", "dhcp4"),
			tag("rate("+c.sel("kea_dhcp6_subnet_allocation_failures_total")+"[5m])", "daemon", "dhcp6"),
		),
		Help: "Lease allocation failures a second in every subnet, DHCPv4 and DHCPv6 told apart by `daemon`.",
	})
	server := []string{"server", "daemon"}

	g.Alerts = append(g.Alerts,
		Alert{
			Name: "KeaDaemonDown", Severity: Critical, Component: ComponentKea,
			Expr:        c.sel("kea_daemon_up") + " == 0",
			For:         minutes(2),
			Summary:     "A Kea daemon does not answer.",
			Description: "Kea's " + label("daemon") + " on " + label("server") + " has not answered ddiscope for 2 minutes, although the way to it (Control Agent or socket) works.",
			Condition:   "`kea_daemon_up` is 0",
			Dashboard:   UIDKeaOverview,
			Identity:    server,
			Silences: []Silence{{
				Matchers: []string{`component=~"kea|ha"`, `alertname!="KeaDaemonDown"`}, Equal: server,
				Why: "a daemon that does not answer has no statistics or HA status: its other alerts would only repeat this one",
			}},
			Runbook: Runbook{
				Meaning:   "The Control Agent answers but forwards nothing to this daemon: the daemon is stopped, crashed or hung, or its control socket is gone.",
				Impact:    "If the daemon is down, its clients get no leases (an HA partner takes over after its failover delay).",
				Diagnosis: "`keactrl status`; `systemctl status kea-dhcp4-server` (or dhcp6, dhcp-ddns); the daemon's log. The Control Agent's reply names the cause: `No such file or directory` means a clean stop (socket removed), `Connection refused` a crash.",
				Fix:       "Start the daemon. If it exits at start, `kea-dhcp4 -t <config>` shows the configuration error; restore the last working configuration from the config editor's audit trail.",
			},
		},
		Alert{
			Name: "KeaDHCPServiceDisabled", Severity: Critical, Component: ComponentKea,
			Expr:        c.sel("kea_daemon_dhcp_disabled") + " > 0",
			For:         minutes(10),
			Summary:     "A running Kea daemon does not serve DHCP.",
			Description: "DHCP service of " + label("daemon") + " on " + label("server") + " has been disabled for 10 minutes (reason " + label("reason") + ").",
			Condition:   "`kea_daemon_dhcp_disabled` > 0 (Kea 2.4+)",
			Dashboard:   UIDKeaOverview,
			Identity:    []string{"server", "daemon", "reason"},
			Runbook: Runbook{
				Meaning:   "The daemon runs and answers commands but has DHCP disabled: by an operator (`dhcp-disable`, reason `user`), after losing its lease or host database (`db_connection`), or held by HA (`local_command`, `remote_command`) while it synchronises.",
				Impact:    "The daemon drops every client packet (`service_disabled` drops): without an HA partner serving, clients get no leases.",
				Diagnosis: "`status-get` shows `dhcp-state`; for `db_connection` the daemon's log and the database server; for HA reasons see the HA alerts of the server.",
				Fix:       "`dhcp-enable` after deliberate maintenance; restore the database (Kea reconnects per `on-fail`); let HA finish syncing or fix its partner.",
			},
		},
		Alert{
			Name: "KeaSocketsNotReady", Severity: Critical, Component: ComponentKea,
			Expr:        c.sel("kea_daemon_sockets_status", `status!="ready"`) + " == 1",
			For:         minutes(5),
			Summary:     "A Kea daemon could not open its DHCP sockets.",
			Description: "The DHCP sockets of " + label("daemon") + " on " + label("server") + " are " + label("status") + ".",
			Condition:   "`kea_daemon_sockets_status` not ready",
			Dashboard:   UIDKeaOverview,
			Remediation: ConfigUIServer,
			Identity:    []string{"server", "daemon", "status"},
			Runbook: Runbook{
				Meaning:   "Kea could not bind some of the interfaces in `interfaces-config`: it retries (`retrying`) or gave up (`failed`).",
				Impact:    "Clients on those interfaces get no answer.",
				Diagnosis: "`status-get` lists the socket errors; an interface missing or renamed, an address not yet configured at start, or another DHCP server holding port 67/547.",
				Fix:       "Fix `interfaces-config` in the config editor (interface names, `service-sockets-require-all`, `service-sockets-max-retries`), or the host's interfaces.",
			},
		},
		Alert{
			Name: "KeaAllocationFailures", Severity: Warning, Component: ComponentKea,
			Expr:        "kea:subnet_allocation_failures:rate5m * 60 > " + num(t.AllocationFailuresPerMinute),
			For:         minutes(10),
			Summary:     "Kea fails to allocate leases in a subnet.",
			Description: "{{ $value | humanize }} lease allocations a minute fail in subnet " + label("subnet") + " (" + label("daemon") + " subnet-id " + label("subnet_id") + ") on " + label("server") + ".",
			Condition:   fmt.Sprintf("more than %s allocation failures a minute in a subnet", num(t.AllocationFailuresPerMinute)),
			Dashboard:   UIDKeaSubnets,
			Remediation: ConfigUISubnet,
			Identity:    []string{"server", "daemon", "subnet_id"},
			Runbook: Runbook{
				Meaning:   "Kea's allocation engine found no address (or prefix) to give: the pools are exhausted, or client classes keep the client out of the pools that have room.",
				Impact:    "Clients go without a lease and without network.",
				Diagnosis: "`kea_dhcp4_subnet_allocation_failures_by_reason_total` tells the reason: `no_pools` and `subnet` mean exhaustion; `classes` means client-class restrictions; `shared_network` means the whole shared network is full. Check the utilisation alerts of the same subnet.",
				Fix:       "Widen or add pools, or correct the client-class of the pools, in the config editor.",
			},
		},
		Alert{
			Name: "KeaDeclineStorm", Severity: Warning, Component: ComponentKea,
			Expr: tag("sum without (type) (rate("+c.sel("kea_dhcp4_packets_received_by_type_total", `type="decline"`)+"[5m]))", "daemon", "dhcp4") + " * 60 > " + num(t.DeclinesPerMinute) + "\nor\n" +
				tag("sum without (type) (rate("+c.sel("kea_dhcp6_packets_received_by_type_total", `type="decline"`)+"[5m]))", "daemon", "dhcp6") + " * 60 > " + num(t.DeclinesPerMinute),
			For:         minutes(10),
			Summary:     "Clients decline many of the addresses Kea offers.",
			Description: label("server") + " (" + label("daemon") + ") receives {{ $value | humanize }} DECLINE messages a minute: clients find the addresses they were given already in use.",
			Condition:   fmt.Sprintf("more than %s DECLINEs a minute", num(t.DeclinesPerMinute)),
			Dashboard:   UIDKeaOverview,
			Remediation: ConfigUIServer,
			Identity:    server,
			Runbook: Runbook{
				Meaning:   "Clients run duplicate address detection on the addresses they get, find them in use and DECLINE them. Each declined address is withheld for `decline-probation-period` (24 h by default).",
				Impact:    "Each decline takes an address out of the pool for the probation period, so a storm exhausts pools; the clients retry and get other addresses, slowly.",
				Diagnosis: "Devices with static addresses inside a dynamic pool, a second DHCP server handing out the same range, or an HA pair that lost its lease synchronisation. `kea_dhcp4_subnet_addresses_declined` shows which subnets; Kea logs the declined addresses (`DHCP4_DECLINE_LEASE`).",
				Fix:       "Exclude the static addresses from the pools (reservations or a narrower pool) in the config editor, stop the rogue DHCP server, and consider a shorter `decline-probation-period`.",
			},
		},
		Alert{
			Name: "KeaNAKRateHigh", Severity: Warning, Component: ComponentKea,
			Expr: tag("sum without (type) (rate("+c.sel("kea_dhcp4_packets_sent_by_type_total", `type="nak"`)+"[10m]))\n/\n"+
				"sum without (type) (rate("+c.sel("kea_dhcp4_packets_received_by_type_total", `type="request"`)+"[10m]))", "daemon", "dhcp4") +
				" > " + num(t.NAKRatio) + "\nand on (job, instance, server)\n" +
				"sum without (type) (rate(" + c.sel("kea_dhcp4_packets_received_by_type_total", `type="request"`) + "[10m])) * 60 > " + num(t.NAKMinRequestsPerMinute),
			For:         minutes(15),
			Summary:     "Kea refuses many DHCPv4 requests with a NAK.",
			Description: label("server") + " answers {{ $value | humanizePercentage }} of DHCPREQUESTs with a DHCPNAK.",
			Condition:   fmt.Sprintf("NAKs / REQUESTs > %s (at more than %s REQUESTs a minute)", pct(t.NAKRatio), num(t.NAKMinRequestsPerMinute)),
			Dashboard:   UIDKeaOverview,
			Remediation: ConfigUIServer,
			Identity:    server,
			Runbook: Runbook{
				Meaning:   "Kea answers a large share of DHCPREQUESTs with DHCPNAK: the clients ask for addresses Kea will not give them.",
				Impact:    "Each NAKed client restarts from DISCOVER; roaming clients see a short outage. Many NAKs after a change mean the change moved or removed subnets that clients still hold leases in.",
				Diagnosis: "Kea logs the reason with each NAK (`DHCP4_PACKET_NAK_*`): a requested address outside any subnet the relay selects, a lease held by another client, or a subnet removed by a recent configuration change (see the config editor's audit trail).",
				Fix:       "Restore or correct the subnet and relay (giaddr) configuration in the config editor. NAKs that follow a deliberate renumbering fade as clients move; `authoritative` controls whether Kea NAKs unknown clients.",
			},
		},
		Alert{
			Name: "KeaPacketDropsHigh", Severity: Warning, Component: ComponentKea,
			Expr:        dropRatio(c, "dhcp4") + " > " + num(t.DropRatio) + "\nor\n" + dropRatio(c, "dhcp6") + " > " + num(t.DropRatio),
			For:         minutes(15),
			Summary:     "Kea drops many of the packets it receives.",
			Description: label("server") + " (" + label("daemon") + ") drops {{ $value | humanizePercentage }} of the packets it receives for reason " + label("reason") + ".",
			Condition:   fmt.Sprintf("drops of one reason / packets received > %s (ignoring %v)", pct(t.DropRatio), t.DropReasonsIgnored),
			Dashboard:   UIDKeaOverview,
			Remediation: ConfigUIServer,
			Identity:    []string{"server", "daemon", "reason"},
			Runbook: Runbook{
				Meaning:   "A share of the received packets is dropped for one reason. Before Kea 3.1 only `parse_failed` is reported per reason; from 3.1 every reason is.",
				Impact:    "Dropped clients retry, then go without a lease.",
				Diagnosis: "By reason: `parse_failed` and `rfc_violation`: broken clients or relays; `queue_full`: Kea cannot keep up (multi-threading, packet queue size, lease backend latency); `service_disabled`: DHCP is disabled (HA syncing, `dhcp-disable`); `limit_exceeded`: the rate-limiting hook; `admin_filtered`: a hook or class dropped them; `duplicate`: retransmissions; `processing_failed`: an internal error (Kea's log).",
				Fix:       "`queue_full`: enable multi-threading or raise the thread and queue sizes in the config editor; `limit_exceeded`: revise the limits; otherwise fix the clients or relays the packets come from.",
			},
		},
		Alert{
			Name: "KeaDeclinedAddressesHigh", Severity: Warning, Component: ComponentKea,
			Expr: tag(c.sel("kea_dhcp4_subnet_addresses_declined")+" / "+c.sel("kea_dhcp4_subnet_addresses"), "daemon", "dhcp4") + " > " + num(t.DeclinedRatio) + "\nor\n" +
				tag(c.sel("kea_dhcp6_subnet_addresses_declined")+" / "+c.sel("kea_dhcp6_subnet_addresses"), "daemon", "dhcp6") + " > " + num(t.DeclinedRatio),
			For:         minutes(30),
			Summary:     "Many addresses of a Kea subnet are declined and held in probation.",
			Description: "{{ $value | humanizePercentage }} of the addresses of subnet " + label("subnet") + " (" + label("daemon") + " subnet-id " + label("subnet_id") + ") on " + label("server") + " are declined and withheld in probation.",
			Condition:   fmt.Sprintf("declined addresses > %s of the subnet's pools", pct(t.DeclinedRatio)),
			Dashboard:   UIDKeaSubnets,
			Remediation: ConfigUISubnet,
			Identity:    []string{"server", "daemon", "subnet_id"},
			Runbook: Runbook{
				Meaning:   "Clients declined these addresses (they found them in use); Kea withholds each for `decline-probation-period` before reclaiming it.",
				Impact:    "The withheld addresses are lost to the pool until their probation ends: the subnet fills sooner than its leases say.",
				Diagnosis: "See `KeaDeclineStorm`: find the devices that hold the addresses without a lease (static addresses in a dynamic pool, a rogue DHCP server).",
				Fix:       "Remove the conflicting devices' addresses from the pools in the config editor; `lease4-del` releases a declined address early once the conflict is gone.",
			},
		},
		Alert{
			Name: "KeaLeaseReclamationBacklog", Severity: Warning, Component: ComponentKea,
			Expr: tag("sum without (within) ("+c.sel("kea_dhcp4_subnet_leases_expiring", `within="0"`)+")", "daemon", "dhcp4") + " > " + num(t.LeaseReclamationBacklog) + "\nor\n" +
				tag("sum without (type, within) ("+c.sel("kea_dhcp6_subnet_leases_expiring", `within="0"`)+")", "daemon", "dhcp6") + " > " + num(t.LeaseReclamationBacklog),
			For:         minutes(30),
			Summary:     "Expired Kea leases wait for reclamation.",
			Description: "{{ $value }} expired leases of subnet " + label("subnet") + " (" + label("daemon") + " subnet-id " + label("subnet_id") + ") on " + label("server") + " have not been reclaimed.",
			Condition:   fmt.Sprintf("more than %s expired, unreclaimed leases in a subnet (lease pass)", num(t.LeaseReclamationBacklog)),
			Dashboard:   UIDKeaSubnets,
			Remediation: ConfigUIServer,
			Identity:    []string{"server", "daemon", "subnet_id"},
			Runbook: Runbook{
				Meaning:   "ddiscope's lease pass finds leases past their valid lifetime still in the default state: Kea's periodic reclamation does not keep up or is switched off.",
				Impact:    "Kea's statistics count the expired leases as assigned, so utilisation alerts overstate; DNS removals and `lease4_expire` hooks are delayed.",
				Diagnosis: "`expired-leases-processing` in the configuration: `reclaim-timer-wait-time` 0 disables it; `max-reclaim-leases` and `max-reclaim-time` bound each cycle. The log shows `ALLOC_ENGINE_V4_LEASES_RECLAMATION_*`; `leases-reclaim` reclaims at once.",
				Fix:       "Raise `max-reclaim-leases` or `max-reclaim-time`, shorten `reclaim-timer-wait-time`, in the config editor; a slow lease database slows reclamation too.",
			},
		},
	)
	return g
}

// dropRatio is, per reason, the share of received packets a daemon drops,
// leaving out the reasons that are normal.
func dropRatio(c *Config, daemon string) string {
	var m []string
	if len(c.Thresholds.DropReasonsIgnored) > 0 {
		m = append(m, fmt.Sprintf("reason!~%q", regexAlt(c.Thresholds.DropReasonsIgnored)))
	}
	return tag("rate("+c.sel("kea_"+daemon+"_packets_dropped_by_reason_total", m...)+"[10m])\n/ ignoring (reason) group_left\n"+
		"rate("+c.sel("kea_"+daemon+"_packets_received_total")+"[10m])", "daemon", daemon)
}
