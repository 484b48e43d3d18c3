package rules

import (
	"fmt"
	"time"
)

// haNormalStates are the HA states a healthy server stays in; partner-down
// has its own alert.
const haNormalStates = "load-balancing|hot-standby|backup|passive-backup"

// haGroup alerts on Kea's High Availability hook (libdhcp_ha): states,
// the partner as this server sees it, and the facts ddiscope derives across
// the two peers (kea_ha_pair_*), which need both peers polled.
func haGroup(c *Config) Group {
	t := c.Thresholds
	rel := []string{"server", "daemon", "relationship"}
	partner := append(rel[:3:3], "partner")
	pair := append(rel[:3:3], "peer_server")
	on := "on (job, instance, server, daemon, relationship, partner)"
	who := label("server") + " (" + label("daemon") + ", relationship " + label("relationship") + ")"
	maxAge := float64(time.Duration(t.HAHeartbeatDelay).Seconds()) * t.HAContactAgeFactor
	alert := func(a Alert) Alert {
		a.Component, a.Dashboard = ComponentHA, UIDKeaHA
		return a
	}
	statusGet := "`status-get` on the server shows `high-availability[].ha-servers` (local state, remote `last-state`, `age`, `communication-interrupted`, `unacked-clients`); Kea logs every state change (`HA_STATE_TRANSITION`)."

	return Group{Name: "kea-ha", Alerts: []Alert{
		alert(Alert{
			Name: "KeaHANotNormal", Severity: Warning,
			Expr:        c.sel("kea_ha_state", fmt.Sprintf("state!~%q", haNormalStates+"|partner-down")) + " == 1",
			For:         t.HAAbnormalStateTime,
			Summary:     "A Kea HA server has been out of its normal state for too long.",
			Description: who + " has been in HA state " + label("state") + " for more than " + durText(t.HAAbnormalStateTime) + ".",
			Condition:   fmt.Sprintf("HA state not %s (nor partner-down) for %s", haNormalStates, durText(t.HAAbnormalStateTime)),
			Identity:    append(rel[:3:3], "state"),
			Runbook: Runbook{
				Meaning:   "The server stays in a transitional or failure state: `waiting`, `syncing` and `ready` belong to start-up and should pass within a minute or two; `communication-recovery` means it cannot reach its partner; `terminated` means HA gave up (clock skew above 60 s, or incompatible states); `in-maintenance` and `partner-in-maintenance` were asked for by an operator.",
				Impact:    "While not in its normal state the server may not answer its share of clients; in `terminated` the pair no longer coordinates at all.",
				Diagnosis: statusGet + " A server stuck in `syncing` cannot fetch leases from its partner (lease_cmds hook, the partner's URL or its access).",
				Fix:       "`waiting`/`syncing`: fix the partner or the connection between them. `terminated`: fix the clocks, then `ha-reset` or restart both servers. Maintenance: `ha-maintenance-cancel`.",
			},
		}),
		alert(Alert{
			Name: "KeaHAPartnerDown", Severity: Warning,
			Expr:        c.sel("kea_ha_state", `state="partner-down"`) + " == 1",
			For:         minutes(1),
			Summary:     "A Kea HA server has taken over from its partner.",
			Description: who + " is in partner-down: it serves every client of the relationship alone.",
			Condition:   "HA state partner-down",
			Identity:    rel,
			Supersedes:  []string{"KeaHANotNormal", "KeaHAStateMismatch", "KeaHACommunicationInterrupted", "KeaHAPartnerContactStale", "KeaHAUnackedClients", "KeaHAUnsentUpdatesGrowing"},
			Runbook: Runbook{
				Meaning:   "This server decided its partner is down (it stopped answering heartbeats, and enough clients went unanswered) and took over all scopes.",
				Impact:    "Clients are served, without redundancy. The partner's lease database falls behind and is re-synchronised when it returns.",
				Diagnosis: "Look at the partner: `KeaDaemonDown` or `DdiscopeTargetDown` for it, its log, the network between the peers. " + statusGet,
				Fix:       "Bring the partner back; it goes `waiting` → `syncing` → `ready` and the pair returns to its normal state by itself.",
			},
		}),
		alert(Alert{
			Name: "KeaHASplitBrain", Severity: Critical,
			Expr:        c.sel("kea_ha_pair_split_brain") + " == 1",
			For:         minutes(2),
			Summary:     "Both Kea HA peers serve the same clients.",
			Description: who + " and its peer " + label("peer_server") + " both serve an HA scope: they may hand the same address to two clients.",
			Condition:   "`kea_ha_pair_split_brain` is 1 (both peers serve a scope)",
			Identity:    pair,
			Supersedes:  []string{"KeaHAPartnerDown"},
			Runbook: Runbook{
				Meaning:   "ddiscope polls both peers and sees each serving a common scope, typically both in `partner-down` after they lost sight of each other while both kept running.",
				Impact:    "Duplicate addresses: two clients can get the same lease, one from each server. Their lease databases diverge.",
				Diagnosis: "The two peers cannot reach each other but ddiscope reaches both: a network partition between them, a firewall on the HA port, or a frozen HA listener (Kea 2.2 after a `config-test` with multi-threading off: `kea_daemon_multi_threading_enabled` 0). " + statusGet,
				Fix:       "Restore the connection between the peers. If one peer's HA is frozen, `config-reload` or restart it. The peers re-synchronise; check for duplicate leases (`lease4-get-all` on both) afterwards.",
			},
		}),
		alert(Alert{
			Name: "KeaHAStateMismatch", Severity: Warning,
			Expr:        c.sel("kea_ha_pair_state_mismatch") + " == 1",
			For:         t.HAAbnormalStateTime,
			Summary:     "The two Kea HA peers are in different states.",
			Description: who + " and its peer " + label("peer_server") + " have been in different HA states for more than " + durText(t.HAAbnormalStateTime) + ".",
			Condition:   fmt.Sprintf("peers in different HA states for %s", durText(t.HAAbnormalStateTime)),
			Identity:    pair,
			Runbook: Runbook{
				Meaning:   "In load-balancing and hot-standby both peers share the normal state. Different states for long mean one of them is stuck or sees the other wrongly.",
				Impact:    "Depends on the states: one peer may serve no clients, or both may serve some scopes.",
				Diagnosis: "`kea_ha_state` of both servers; `kea_ha_pair_partner_view_stale` says whether one server's picture of the other is frozen. " + statusGet,
				Fix:       "Fix whichever peer is not in the normal state (see `KeaHANotNormal`); a frozen peer needs `config-reload` or a restart.",
			},
		}),
		alert(Alert{
			Name: "KeaHACommunicationInterrupted", Severity: Warning,
			Expr:        c.sel("kea_ha_partner_communication_interrupted") + " == 1",
			For:         minutes(2),
			Summary:     "A Kea HA server cannot reach its partner.",
			Description: who + " has not reached its partner " + label("partner") + " for longer than max-response-delay.",
			Condition:   "`kea_ha_partner_communication_interrupted` is 1",
			Identity:    partner,
			Runbook: Runbook{
				Meaning:   "Heartbeats or lease updates to the partner fail. The server watches the partner's clients and goes `partner-down` once too many go unanswered.",
				Impact:    "Lease updates are not replicated; a failover may follow.",
				Diagnosis: "The partner's health, the network and firewall between the peers (the HA URL and port in the HA configuration). " + statusGet,
				Fix:       "Restore the partner or the path to it.",
			},
		}),
		alert(Alert{
			Name: "KeaHAPartnerContactStale", Severity: Critical,
			Expr: c.sel("kea_ha_partner_age_seconds") + " > " + num(maxAge) + "\nunless " + on + "\n" +
				c.sel("kea_ha_partner_communication_interrupted") + " == 1",
			For:         minutes(1),
			Summary:     "A Kea HA server has not heard from its partner for far longer than the heartbeat delay, yet reports no interruption.",
			Description: who + " last exchanged with its partner " + label("partner") + " {{ $value | humanizeDuration }} ago (heartbeat-delay " + durText(t.HAHeartbeatDelay) + "), while communication-interrupted stays false: its HA service is likely frozen.",
			Condition:   fmt.Sprintf("partner contact age > %s × heartbeat-delay (%s) while communication-interrupted is 0", num(t.HAContactAgeFactor), durText(t.HAHeartbeatDelay)),
			Identity:    partner,
			Runbook: Runbook{
				Meaning:   "The remote `age` in `status-get` keeps growing though the server still claims to be in touch. Seen with Kea 2.2: a `config-test` whose configuration has multi-threading off turns it off on the running server and freezes its HA listener and client; the server keeps reporting its old state, its partner goes `partner-down`.",
				Impact:    "The frozen server may still OFFER addresses but not ACK them; its partner serves alone. Clients see delays and failed requests.",
				Diagnosis: "`kea_daemon_multi_threading_enabled` of the server (0 after the bug); `status-get` on the server: `multi-threading-enabled`, remote `age`. Connections to its HA port time out.",
				Fix:       "`config-reload` (or restart) the frozen server. In the config editor, always `config-test` the full running configuration, never a fragment.",
			},
		}),
		alert(Alert{
			Name: "KeaHAUnackedClients", Severity: Warning,
			Expr:        c.sel("kea_ha_partner_unacked_clients") + " > " + num(t.HAUnackedClients),
			For:         minutes(1),
			Summary:     "Clients of a Kea HA partner go unanswered.",
			Description: who + " sees {{ $value }} clients that its partner " + label("partner") + " has not answered.",
			Condition:   fmt.Sprintf("`kea_ha_partner_unacked_clients` > %s", num(t.HAUnackedClients)),
			Identity:    partner,
			Runbook: Runbook{
				Meaning:   "While communication is interrupted the server counts the partner's clients that keep retrying unanswered (`secs` above `max-ack-delay`). At `max-unacked-clients` it goes `partner-down`.",
				Impact:    "Those clients have no lease yet.",
				Diagnosis: "The partner is up for ddiscope but not serving DHCP: its sockets (`kea_daemon_sockets_status`), DHCP disabled (`kea_daemon_dhcp_disabled`), or a frozen HA service. " + statusGet,
				Fix:       "Fix the partner's DHCP service; lowering `max-unacked-clients` makes failover quicker.",
			},
		}),
		alert(Alert{
			Name: "KeaHAClockSkew", Severity: Warning,
			Expr:        "abs(" + c.sel("kea_ha_pair_clock_skew_seconds") + ") > " + secs(t.HAClockSkew),
			For:         minutes(5),
			Summary:     "The clocks of two Kea HA peers differ.",
			Description: "The clocks of " + who + " and its peer " + label("peer_server") + " differ by {{ $value | humanizeDuration }}.",
			Condition:   fmt.Sprintf("|clock skew| > %s", durText(t.HAClockSkew)),
			Identity:    pair,
			Runbook: Runbook{
				Meaning:   "Kea compares the peers' clocks at each heartbeat: it warns above 30 s and terminates HA above 60 s.",
				Impact:    "Lease expiry times disagree between the peers; above 60 s the pair stops coordinating (`terminated`).",
				Diagnosis: "`chronyc tracking` or `timedatectl` on both servers.",
				Fix:       "Fix time synchronisation on the servers. After `terminated`, restart both servers or send `ha-reset`.",
			},
		}),
		alert(Alert{
			Name: "KeaHAUnsentUpdatesGrowing", Severity: Warning,
			Expr:        "increase(" + c.sel("kea_ha_unsent_updates_total") + "[15m]) > " + num(t.HAUnsentUpdates),
			For:         minutes(15),
			Summary:     "A Kea HA server cannot send its lease updates to its partner.",
			Description: who + " failed to send {{ $value | humanize }} lease updates to its partner in the last 15 minutes.",
			Condition:   fmt.Sprintf("unsent lease updates grow by more than %s in 15 minutes", num(t.HAUnsentUpdates)),
			Identity:    rel,
			Runbook: Runbook{
				Meaning:   "Lease updates to the partner fail and are counted as unsent (ha-heartbeat `unsent-update-count`).",
				Impact:    "The partner's lease database falls behind: after a failover it may hand out addresses already leased.",
				Diagnosis: "The partner's lease backend and its `lease_cmds` hook; the partner's log for rejected updates. " + statusGet,
				Fix:       "Fix the partner's lease backend or connectivity; a full re-sync happens when the partner restarts.",
			},
		}),
		alert(Alert{
			Name: "KeaHAConfigDrift", Severity: Warning,
			Expr:        c.sel("kea_ha_pair_config_drift") + " == 1",
			For:         minutes(15),
			Summary:     "The configuration of two Kea HA peers differs.",
			Description: "The " + label("part") + " configuration of " + who + " differs from its peer " + label("peer_server") + "'s.",
			Condition:   "`kea_ha_pair_config_drift` is 1 (part=subnets or part=ha)",
			Remediation: ConfigUIHA,
			Identity:    append(pair[:4:4], "part"),
			Runbook: Runbook{
				Meaning:   "ddiscope fingerprints the subnets (`part=subnets`: ids, prefixes, pools, client classes) and the HA parameters (`part=ha`) of each peer; they differ.",
				Impact:    "After a failover the partner serves different pools or subnets: clients are NAKed or get addresses the other peer does not know.",
				Diagnosis: "`config-get` on both peers and a diff of their `subnet4`/`subnet6` and HA hook parameters; the config editor's audit trail shows which change reached only one peer.",
				Fix:       "Apply the configuration to both peers from the config editor's HA page (it applies to every peer and rolls back on failure).",
			},
		}),
	}}
}
