package kea

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// status-get, read leniently: its shape changed across Kea versions (2.2:
// one relationship without server names; 2.4+: a list of relationships,
// server names, clock skew, system time, dhcp-state), and one unreadable
// relationship must not hide the others or the daemon's own status.

type daemonStatus struct {
	ha      []haStatus
	invalid int // high-availability entries that could not be read

	dhcpState   map[string]float64 // catalog.DHCPDisabledReasons -> value
	sockets     string
	mt          *bool
	uptime      *float64
	reload      *float64
	haSupported bool // status-get had a high-availability member
}

// haStatus is one relationship of status-get.
type haStatus struct {
	mode       string
	localName  string // Kea 2.4+
	localRole  string
	localState string
	scopes     []string
	systemTime time.Time // Kea 2.4+ local system-time, zero when absent
	remote     *haRemote // nil in passive-backup and on backup servers
}

type haRemote struct {
	name        string // Kea 2.4+
	role        string
	lastState   string
	age         *float64
	inTouch     *bool
	interrupted *bool
	unacked     *float64
	unackedLeft *float64
	connecting  *float64
	analyzed    *float64
	clockSkew   *float64 // Kea 2.4+
}

var errNoState = errors.New("relationship has no local state")

// parseStatus reads status-get's arguments.
func parseStatus(args json.RawMessage) (*daemonStatus, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(args, &top); err != nil {
		return nil, err
	}
	st := &daemonStatus{}
	st.mt = jsonBool(top["multi-threading-enabled"])
	st.uptime = jsonNum(top["uptime"])
	st.reload = jsonNum(top["reload"])
	if raw, ok := top["sockets"]; ok {
		var s struct {
			Status string `json:"status"`
		}
		if json.Unmarshal(raw, &s) == nil {
			st.sockets = s.Status
		}
	}
	if raw, ok := top["dhcp-state"]; ok {
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) == nil {
			st.dhcpState = map[string]float64{}
			for key, reason := range map[string]string{
				"disabled-by-user": "user", "disabled-by-db-connection": "db_connection",
				"disabled-by-local-command": "local_command", "disabled-by-remote-command": "remote_command",
				"globally-disabled": "global",
			} {
				if v, ok := flagValue(m[key]); ok {
					st.dhcpState[reason] = v
				}
			}
		}
	}
	raw, ok := top["high-availability"]
	if !ok {
		return st, nil
	}
	st.haSupported = true
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		// A single relationship as an object rather than a list.
		list = []json.RawMessage{raw}
	}
	for _, r := range list {
		hs, err := parseHAStatus(r)
		if err != nil {
			st.invalid++
			continue
		}
		st.ha = append(st.ha, hs)
	}
	return st, nil
}

// parseHAStatus reads one relationship: {"ha-mode", "ha-servers": {"local",
// "remote"}}, or the flat form with local and remote beside ha-mode.
func parseHAStatus(raw json.RawMessage) (haStatus, error) {
	var rel map[string]json.RawMessage
	if err := json.Unmarshal(raw, &rel); err != nil {
		return haStatus{}, err
	}
	var hs haStatus
	_ = json.Unmarshal(rel["ha-mode"], &hs.mode)
	servers := rel
	if s, ok := rel["ha-servers"]; ok {
		if err := json.Unmarshal(s, &servers); err != nil {
			return haStatus{}, err
		}
	}
	var local struct {
		Role       string   `json:"role"`
		State      *string  `json:"state"`
		Scopes     []string `json:"scopes"`
		ServerName string   `json:"server-name"`
		SystemTime string   `json:"system-time"`
	}
	lraw, ok := servers["local"]
	if !ok {
		return haStatus{}, errNoState
	}
	if err := json.Unmarshal(lraw, &local); err != nil {
		return haStatus{}, err
	}
	if local.State == nil || *local.State == "" {
		return haStatus{}, errNoState
	}
	hs.localRole, hs.localState, hs.scopes, hs.localName = local.Role, *local.State, local.Scopes, local.ServerName
	if t, err := time.Parse(time.DateTime, local.SystemTime); err == nil {
		hs.systemTime = t
	}
	if rraw, ok := servers["remote"]; ok {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(rraw, &m); err != nil {
			return haStatus{}, err
		}
		r := &haRemote{
			age: jsonNum(m["age"]), inTouch: jsonBool(m["in-touch"]), interrupted: jsonBool(m["communication-interrupted"]),
			unacked: jsonNum(m["unacked-clients"]), unackedLeft: jsonNum(m["unacked-clients-left"]),
			connecting: jsonNum(m["connecting-clients"]), analyzed: jsonNum(m["analyzed-packets"]),
			clockSkew: jsonNum(m["clock-skew"]),
		}
		_ = json.Unmarshal(m["server-name"], &r.name)
		_ = json.Unmarshal(m["role"], &r.role)
		_ = json.Unmarshal(m["last-state"], &r.lastState)
		hs.remote = r
	}
	return hs, nil
}

func jsonNum(raw json.RawMessage) *float64 {
	var v float64
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return nil
	}
	return &v
}

func jsonBool(raw json.RawMessage) *bool {
	var v bool
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return nil
	}
	return &v
}

// flagValue reads a dhcp-state member: a boolean (1/0) or a list of
// origins (its length).
func flagValue(raw json.RawMessage) (float64, bool) {
	if b := jsonBool(raw); b != nil {
		return boolf(*b), true
	}
	var list []json.RawMessage
	if len(raw) > 0 && json.Unmarshal(raw, &list) == nil {
		return float64(len(list)), true
	}
	return 0, false
}

// heartbeat is one ha-heartbeat reply.
type heartbeat struct {
	state   string
	unsent  *float64
	offset  *float64 // Kea's clock minus ddiscope's, seconds
	scopes  []string
	present bool
}

// parseHeartbeat reads ha-heartbeat's arguments; mid is ddiscope's time
// half-way through the exchange. Kea prints its time in whole seconds
// (RFC 1123), so half a second is added to center the truncation.
func parseHeartbeat(args json.RawMessage, mid time.Time) (heartbeat, error) {
	var a struct {
		State    *string  `json:"state"`
		DateTime string   `json:"date-time"`
		Scopes   []string `json:"scopes"`
		Unsent   *float64 `json:"unsent-update-count"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return heartbeat{}, err
	}
	if a.State == nil {
		return heartbeat{}, errors.New("ha-heartbeat reply has no state")
	}
	hb := heartbeat{state: *a.State, unsent: a.Unsent, scopes: a.Scopes, present: true}
	if t, err := http.ParseTime(a.DateTime); err == nil {
		off := t.Add(500 * time.Millisecond).Sub(mid).Seconds()
		hb.offset = &off
	}
	return hb, nil
}
