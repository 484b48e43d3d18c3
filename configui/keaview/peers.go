package keaview

import (
	"context"
	"fmt"
	"slices"

	"github.com/ddiscope/ddiscope/internal/keactl"
)

// PeerTarget is a configured server that a change must reach.
type PeerTarget struct {
	Name    string
	Client  *keactl.Client
	Service string // the "service" for the daemon: "" when reached directly
}

// ChangePeers returns the servers a change to server's daemon must reach:
// the server itself and every HA partner of that daemon, in configuration
// order, so that a pair is never left with two configurations. A partner
// the editor has no target for is an error naming it: changing one peer
// alone would split the pair.
func (v *View) ChangePeers(ctx context.Context, server, daemon string) ([]PeerTarget, error) {
	if _, _, err := v.daemon(ctx, server, daemon); err != nil {
		return nil, err
	}
	// Partners are named from every server's configuration.
	ov := v.Overview(ctx)
	names := []string{server}
	for _, s := range ov.Servers {
		if s.Name != server {
			continue
		}
		if s.Err != nil {
			return nil, s.Err
		}
		for _, d := range s.Daemons {
			if d.Name != daemon {
				continue
			}
			if d.Err != nil {
				return nil, d.Err
			}
			for _, rel := range d.HA {
				for _, p := range rel.Peers {
					if p.Name == rel.ThisServer {
						continue
					}
					if p.Target == "" {
						return nil, fmt.Errorf("server %q is in an HA relationship with %q (%s), which is not in the editor's configuration: add it, so that both peers are changed together", server, p.Name, p.URL)
					}
					if !slices.Contains(names, p.Target) {
						names = append(names, p.Target)
					}
				}
			}
		}
	}
	slices.SortFunc(names, func(a, b string) int { return slices.Index(v.order, a) - slices.Index(v.order, b) })
	out := make([]PeerTarget, 0, len(names))
	for _, n := range names {
		t, err := v.target(n)
		if err != nil {
			return nil, err
		}
		if err := v.detect(ctx, t); err != nil {
			return nil, err
		}
		t.mu.Lock()
		_, has := t.daemons[daemon]
		svc := t.service(daemon)
		t.mu.Unlock()
		if !has {
			return nil, fmt.Errorf("HA partner %q has no %s daemon", n, daemon)
		}
		out = append(out, PeerTarget{Name: n, Client: t.client, Service: svc})
	}
	return out, nil
}
