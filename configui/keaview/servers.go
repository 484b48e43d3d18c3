package keaview

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ddiscope/ddiscope/internal/keactl"
)

// statusReply is status-get's arguments, read leniently: the shape grew
// from Kea 2.2 (one relationship, no server names) to 2.4+ (names, more
// fields), and an odd field must not hide the rest.
type statusReply struct {
	Pid            *int64 `json:"pid"`
	Reload         *int64 `json:"reload"`
	Uptime         *int64 `json:"uptime"`
	MultiThreading *bool  `json:"multi-threading-enabled"`
	HA             []struct {
		Mode    string `json:"ha-mode"`
		Servers struct {
			Local struct {
				Name   string   `json:"server-name"` // Kea 2.4+
				Role   string   `json:"role"`
				State  string   `json:"state"`
				Scopes []string `json:"scopes"`
			} `json:"local"`
			Remote *struct {
				Name        string   `json:"server-name"` // Kea 2.4+
				Role        string   `json:"role"`
				LastState   string   `json:"last-state"`
				LastScopes  []string `json:"last-scopes"`
				Age         *float64 `json:"age"`
				InTouch     *bool    `json:"in-touch"`
				Interrupted *bool    `json:"communication-interrupted"`
				Unacked     *int64   `json:"unacked-clients"`
				UnackedLeft *int64   `json:"unacked-clients-left"`
				Connecting  *int64   `json:"connecting-clients"`
			} `json:"remote"`
		} `json:"ha-servers"`
	} `json:"high-availability"`
}

func (v *View) status(ctx context.Context, t *target, svc string) (*statusReply, error) {
	resp, err := t.client.Call(ctx, "status-get", svc, nil)
	if err != nil {
		return nil, err
	}
	var st statusReply
	if err := json.Unmarshal(resp.Arguments, &st); err != nil {
		return nil, &keactl.Error{Target: t.name, Command: "status-get", Service: svc, Reason: keactl.ReasonMalformed, Err: err}
	}
	return &st, nil
}

// Overview reads every server at once: daemons, versions, HA state. A
// server that fails is listed with its error beside the others.
func (v *View) Overview(ctx context.Context) Overview {
	servers := make([]Server, len(v.order))
	var wg sync.WaitGroup
	for i, name := range v.order {
		wg.Go(func() { servers[i] = v.server(ctx, v.targets[name]) })
	}
	wg.Wait()
	return Overview{Servers: servers, Pairs: pairs(servers)}
}

// Server reads one server: its daemons, versions and HA state, live.
func (v *View) Server(ctx context.Context, name string) (Server, error) {
	t, err := v.target(name)
	if err != nil {
		return Server{}, err
	}
	s := v.server(ctx, t)
	// Name the partners among the other servers: that needs their HA
	// configuration, which is cached; a server that cannot be read is left out.
	others := []Server{s}
	for _, n := range v.order {
		if n == name {
			continue
		}
		if o, ok := v.cachedHA(v.targets[n]); ok {
			others = append(others, o)
		}
	}
	pairs(others)
	return s, nil
}

// HA is the HA page of a server: every relationship of every daemon, with
// status-get read live.
func (v *View) HA(ctx context.Context, name string) ([]HARelationship, error) {
	s, err := v.Server(ctx, name)
	if err != nil {
		return nil, err
	}
	if s.Err != nil {
		return nil, s.Err
	}
	var rels []HARelationship
	for _, d := range s.Daemons {
		rels = append(rels, d.HA...)
	}
	return rels, nil
}

// server reads one target's daemons concurrently.
func (v *View) server(ctx context.Context, t *target) Server {
	s := Server{Name: t.name}
	if err := v.detect(ctx, t); err != nil {
		s.Err = err
		return s
	}
	t.mu.Lock()
	s.Transport = t.transport
	names := slices.Clone(t.names)
	t.mu.Unlock()
	var wg sync.WaitGroup
	if s.Transport == "control-agent" {
		wg.Go(func() {
			if resp, err := t.client.Call(ctx, "version-get", "", nil); err == nil {
				s.AgentVersion = resp.Text
			}
		})
	}
	s.Daemons = make([]Daemon, len(names))
	for i, d := range names {
		wg.Go(func() { s.Daemons[i] = v.daemonInfo(ctx, t, d) })
	}
	wg.Wait()
	return s
}

func (v *View) daemonInfo(ctx context.Context, t *target, daemon string) Daemon {
	d := Daemon{Name: daemon}
	_, dc, err := v.daemon(ctx, t.name, daemon)
	if err == nil {
		var cfg *daemonConfig
		if cfg, err = v.config(ctx, t, daemon, dc); err == nil {
			d.Subnets, d.SharedNetworks, d.Pools, d.ConfigHash = len(cfg.subnets), len(cfg.shared), cfg.pools, cfg.hash
			d.HA = haFromConfig(t.name, daemon, cfg)
		}
	}
	if err != nil {
		d.Err = err
		return d
	}
	if d.Version, err = v.version(ctx, t, daemon, dc); err != nil {
		d.Err = err
		return d
	}
	st, err := v.status(ctx, t, t.service(daemon))
	if err != nil {
		d.Err = err
		for i := range d.HA {
			d.HA[i].StatusErr = err
		}
		return d
	}
	d.Up = true
	d.MultiThreading = st.MultiThreading
	if st.Uptime != nil {
		d.Uptime = time.Duration(*st.Uptime) * time.Second
	}
	if st.Reload != nil {
		d.SinceReload = time.Duration(*st.Reload) * time.Second
	}
	applyHAStatus(d.HA, st)
	return d
}

// cachedHA is a server's HA configuration from the cache alone, to name
// partners without asking Kea.
func (v *View) cachedHA(t *target) (Server, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.detected {
		return Server{}, false
	}
	s := Server{Name: t.name}
	for _, name := range t.names {
		dc := t.daemons[name]
		dc.mu.Lock()
		cfg := dc.cfg
		dc.mu.Unlock()
		if cfg != nil {
			s.Daemons = append(s.Daemons, Daemon{Name: name, HA: haFromConfig(t.name, name, cfg)})
		}
	}
	return s, true
}

func haFromConfig(server, daemon string, cfg *daemonConfig) []HARelationship {
	var rels []HARelationship
	for _, h := range cfg.ha {
		r := HARelationship{Server: server, Daemon: daemon, Mode: h.Mode, ThisServer: h.ThisServerName, key: h.key()}
		for _, p := range h.Peers {
			r.Peers = append(r.Peers, HAPeer{Name: p.Name, URL: p.URL, Role: p.Role, AutoFailover: p.AutoFailover})
			if p.Name == h.ThisServerName {
				r.Role = p.Role
			}
		}
		rels = append(rels, r)
	}
	return rels
}

// applyHAStatus fills the live state into the configured relationships:
// by server name on Kea 2.4+, by position on 2.2 (which names nobody; both
// lists follow the hook's configuration order).
func applyHAStatus(rels []HARelationship, st *statusReply) {
	for i := range rels {
		r := &rels[i]
		idx := -1
		for j, h := range st.HA {
			if h.Servers.Local.Name != "" && h.Servers.Local.Name == r.ThisServer {
				idx = j
			}
		}
		if idx < 0 && i < len(st.HA) && st.HA[i].Servers.Local.Name == "" {
			idx = i
		}
		if idx < 0 {
			r.StatusErr = fmt.Errorf("status-get has no state for HA relationship of %q", r.ThisServer)
			continue
		}
		h := st.HA[idx]
		r.State, r.Scopes = h.Servers.Local.State, h.Servers.Local.Scopes
		if h.Servers.Local.Role != "" {
			r.Role = h.Servers.Local.Role
		}
		if rem := h.Servers.Remote; rem != nil {
			r.Partner, r.PartnerRole, r.PartnerState, r.PartnerScopes = rem.Name, rem.Role, rem.LastState, rem.LastScopes
			r.CommunicationInterrupted, r.InTouch = rem.Interrupted, rem.InTouch
			r.UnackedClients, r.UnackedClientsLeft, r.ConnectingClients = rem.Unacked, rem.UnackedLeft, rem.Connecting
			if rem.Age != nil {
				age := seconds(*rem.Age)
				r.Age = &age
			}
		}
		if r.Partner == "" {
			r.Partner = partnerByRole(r)
		}
	}
}

// partnerByRole names the partner on Kea 2.2: the peer with the remote's
// role, or the only other non-backup peer.
func partnerByRole(r *HARelationship) string {
	var other []string
	for _, p := range r.Peers {
		if p.Name == r.ThisServer || p.Role == "backup" {
			continue
		}
		if r.PartnerRole != "" && p.Role == r.PartnerRole {
			return p.Name
		}
		other = append(other, p.Name)
	}
	if len(other) == 1 {
		return other[0]
	}
	return ""
}

// pairs groups the relationships of all servers by their peer list and
// names, on each, which configured server each peer and the partner are.
func pairs(servers []Server) []HAPair {
	byKey := map[string]*HAPair{}
	var keys []string
	who := map[string]string{} // key + "\x00" + HA name -> server
	for _, s := range servers {
		for _, d := range s.Daemons {
			for _, r := range d.HA {
				p := byKey[r.key]
				if p == nil {
					p = &HAPair{Mode: r.Mode}
					byKey[r.key] = p
					keys = append(keys, r.key)
				}
				p.Members = append(p.Members, r)
				who[r.key+"\x00"+r.ThisServer] = s.Name
			}
		}
	}
	for si := range servers {
		for di := range servers[si].Daemons {
			for ri := range servers[si].Daemons[di].HA {
				r := &servers[si].Daemons[di].HA[ri]
				r.PartnerTarget = who[r.key+"\x00"+r.Partner]
				for pi := range r.Peers {
					r.Peers[pi].Target = who[r.key+"\x00"+r.Peers[pi].Name]
				}
			}
		}
	}
	slices.Sort(keys)
	out := make([]HAPair, 0, len(keys))
	for _, k := range keys {
		p := byKey[k]
		for mi := range p.Members {
			m := &p.Members[mi]
			m.PartnerTarget = who[k+"\x00"+m.Partner]
			for pi := range m.Peers {
				m.Peers[pi] = HAPeer{Name: m.Peers[pi].Name, URL: m.Peers[pi].URL, Role: m.Peers[pi].Role,
					AutoFailover: m.Peers[pi].AutoFailover, Target: who[k+"\x00"+m.Peers[pi].Name]}
			}
		}
		slices.SortFunc(p.Members, func(a, b HARelationship) int { return cmp.Compare(a.ThisServer, b.ThisServer) })
		out = append(out, *p)
	}
	return out
}
