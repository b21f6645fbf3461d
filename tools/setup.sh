#!/usr/bin/env bash
# Prepare a Debian 12 machine for building, running and testing p2sgw:
# install the Debian packages, reserve hugepages, and build into ./build.
# Idempotent; needs root. Used by tools/demo.sh, tools/test.sh and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(meson ninja-build pkg-config gcc clang llvm libclang-rt-14-dev
      libdpdk-dev dpdk libipsec-mb-dev libssl-dev libconfig-dev libpcap-dev
      libjson-c-dev python3-scapy python3-cryptography iproute2 iputils-ping
      nftables conntrack socat procps openssl
      strongswan-charon strongswan-swanctl strongswan-pki
      libcharon-extra-plugins libstrongswan-standard-plugins)

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: must run as root (apt-get, hugepages, network namespaces)" >&2
	exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# strongSwan (the tests' and the demo's IKEv2 client) comes with a
	# system service; keep it from starting a charon on the host.
	prc=/usr/sbin/policy-rc.d
	had_prc=0
	[ -e "$prc" ] && had_prc=1
	[ "$had_prc" = 1 ] || printf '#!/bin/sh\nexit 101\n' >"$prc"
	chmod +x "$prc"
	rc=0
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
	[ "$had_prc" = 1 ] || rm -f "$prc"
	[ $rc -eq 0 ] || exit $rc
fi

# Hugepages for the DPDK processes (2 MiB pages, 2 GiB in all).
want=${P2SGW_HUGEPAGES:-1024}
have=$(cat /proc/sys/vm/nr_hugepages)
if [ "$have" -lt "$want" ]; then
	echo "$want" > /proc/sys/vm/nr_hugepages
fi
mkdir -p /dev/hugepages
if ! mount | grep -q ' /dev/hugepages type hugetlbfs'; then
	mount -t hugetlbfs nodev /dev/hugepages
fi

if [ "${P2SGW_SKIP_BUILD:-0}" != 1 ]; then
	if [ ! -d build ]; then
		meson setup build -Dwerror=true >/dev/null
	fi
	ninja -C build >/dev/null
fi
