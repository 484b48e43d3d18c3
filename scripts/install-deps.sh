#!/usr/bin/env bash
# Installs the Debian packages the tests and the demo run for real.
# Package installs must start no daemon: the tests start their own.
set -euo pipefail
pkgs=(kea-dhcp4-server kea-dhcp6-server kea-ctrl-agent kea-admin kea-common iproute2 make
	bind9 bind9-utils bind9-dnsutils prometheus prometheus-alertmanager
	postgresql postgresql-client chromium
	xz-utils) # unpacks the Kea 3.0.4 bundle (../shared/kea) the tests run beside Debian's Kea
need=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
((${#need[@]})) || exit 0
echo "installing ${need[*]}"
added_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && added_policy=1
fi
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
if [ "$added_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
