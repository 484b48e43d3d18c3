#!/usr/bin/env bash
# make demo: install Debian's Kea if missing, then run ddiscope against a
# real Kea with DHCP traffic (internal/demo). Needs root (network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
exec go test -tags demo -count=1 -timeout 0 -v -run TestDemo ./internal/demo/
