package web

import (
	"context"
	"net/http"

	"github.com/ddiscope/ddiscope/configui/keaview"
)

// One handler per Kea page; the routes are the rules.ConfigUI* patterns.

func (s *Server) server(w http.ResponseWriter, r *http.Request) {
	if k, l, ok := s.pageLabels(w, r); ok {
		s.keaPage(w, r, "server", "Server "+k.Name, k, l, func(ctx context.Context, v *keaview.View) (any, error) {
			return v.Server(ctx, k.Name)
		})
	}
}

func (s *Server) ha(w http.ResponseWriter, r *http.Request) {
	if k, l, ok := s.pageLabels(w, r); ok {
		s.keaPage(w, r, "ha", "High availability of "+k.Name, k, l, func(ctx context.Context, v *keaview.View) (any, error) {
			return v.HA(ctx, k.Name)
		})
	}
}

func (s *Server) subnet(w http.ResponseWriter, r *http.Request) {
	if k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id"); ok {
		// On a server with a configuration backend the page says where the
		// subnet comes from (its extra is "config file" or "config backend").
		var origin any
		if s.kea != nil {
			if o, err := s.subnetOrigins(r.Context(), k, l["daemon"]); err == nil && o != nil {
				origin = o[l["subnet_id"]]
			}
		}
		s.keaPage(w, r, "subnet", "Subnet "+l["subnet_id"]+" ("+l["daemon"]+") of "+k.Name, k, l, func(ctx context.Context, v *keaview.View) (any, error) {
			return v.Subnet(ctx, k.Name, l["daemon"], id(l, "subnet_id"))
		}, origin)
	}
}

func (s *Server) pool(w http.ResponseWriter, r *http.Request) {
	if k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id", "pool_id"); ok {
		s.keaPage(w, r, "pool", "Pool "+l["pool_id"]+" of subnet "+l["subnet_id"]+" ("+l["daemon"]+") of "+k.Name, k, l, func(ctx context.Context, v *keaview.View) (any, error) {
			return v.Pool(ctx, k.Name, l["daemon"], id(l, "subnet_id"), keaview.Addresses, id(l, "pool_id"))
		})
	}
}

func (s *Server) pdPool(w http.ResponseWriter, r *http.Request) {
	if k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id", "pool_id"); ok {
		s.keaPage(w, r, "pool", "Prefix delegation pool "+l["pool_id"]+" of subnet "+l["subnet_id"]+" of "+k.Name, k, l, func(ctx context.Context, v *keaview.View) (any, error) {
			return v.Pool(ctx, k.Name, l["daemon"], id(l, "subnet_id"), keaview.PD, id(l, "pool_id"))
		})
	}
}

func (s *Server) sharedNetwork(w http.ResponseWriter, r *http.Request) {
	if k, l, ok := s.pageLabels(w, r, "daemon", "shared_network"); ok {
		s.keaPage(w, r, "shared-network", "Shared network "+l["shared_network"]+" ("+l["daemon"]+") of "+k.Name, k, l, func(ctx context.Context, v *keaview.View) (any, error) {
			return v.SharedNetwork(ctx, k.Name, l["daemon"], l["shared_network"])
		})
	}
}
