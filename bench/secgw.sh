#!/usr/bin/env bash
# Build DPDK's ipsec-secgw example (Debian's dpdk-doc) against the
# installed DPDK, in a directory of the caller's, for bench/run's
# comparison rows. The source is copied there and built there only.
#
# usage: bench/secgw.sh DIR      prints the path of the binary
#
# Two changes to the example, both to what it asks of its ports: it asks
# for the RX checksum offload whatever they offer, and net_memif offers
# none, so it refuses to start: the requested RX (and TX) offloads are
# masked with what the device can do. And it sets the ports' MTU to its
# --mtu, which is also the largest packet it sends: net_memif reports a
# 1,500-byte maximum (it carries bigger frames all the same), so the
# port's MTU is capped at the device's maximum while --mtu 2000 lets an
# ESP packet of a 1,500-byte inner packet out.
set -euo pipefail
export LC_ALL=C

SRC=/usr/share/dpdk/examples/ipsec-secgw
DIR=${1:?usage: bench/secgw.sh DIR}
if [ ! -f "$SRC/ipsec-secgw.c" ]; then
	echo "secgw.sh: $SRC missing (Debian package dpdk-doc)" >&2
	exit 1
fi
mkdir -p "$DIR"
rm -rf "$DIR/ipsec-secgw"
cp -r "$SRC" "$DIR/ipsec-secgw"
cd "$DIR/ipsec-secgw"

# patch WHAT ANCHOR SED CHECK: ANCHOR (a fixed string) must be in
# ipsec-secgw.c exactly once; SED edits it; CHECK must then be found.
patch() {
	local what=$1 anchor=$2 expr=$3 check=$4 n
	n=$(grep -c -F "$anchor" ipsec-secgw.c || true)
	if [ "$n" != 1 ]; then
		echo "secgw.sh: ipsec-secgw.c changed: '$anchor' found $n times" >&2
		exit 1
	fi
	sed -i "$expr" ipsec-secgw.c
	grep -q -F "$check" ipsec-secgw.c ||
		{ echo "secgw.sh: the $what patch did not apply" >&2; exit 1; }
}

patch offload 'local_port_conf.txmode.offloads |= req_tx_offloads;' \
	"s/^\(\t*\)local_port_conf.txmode.offloads |= req_tx_offloads;/&\n\1\/* bench: only what the device offers (net_memif: no checksums) *\/\n\1local_port_conf.rxmode.offloads \&= dev_info.rx_offload_capa;\n\1local_port_conf.txmode.offloads \&= dev_info.tx_offload_capa;/" \
	'rxmode.offloads &= dev_info.rx_offload_capa'
patch MTU 'local_port_conf.rxmode.mtu = mtu_size;' \
	's/^\(\t*\)local_port_conf.rxmode.mtu = mtu_size;/\1local_port_conf.rxmode.mtu = RTE_MIN(mtu_size, dev_info.max_rx_pktlen - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN);/' \
	'RTE_MIN(mtu_size, dev_info.max_rx_pktlen - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN)'

if ! make -j"$(nproc)" >make.log 2>&1; then
	tail -20 make.log >&2
	echo "secgw.sh: build failed (log: $DIR/ipsec-secgw/make.log)" >&2
	exit 1
fi
echo "$DIR/ipsec-secgw/build/ipsec-secgw"
