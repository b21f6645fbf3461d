#!/usr/bin/env bash
# IKEv2 interop: the real strongSwan client (charon with kernel-libipsec,
# tests/integration/ike_lib.sh) connects through the gateway's IKEv2
# responder in network namespaces made here:
#   client -- uplink [p2sgw-dataplane + p2sgw-control] vnet -- server
#
# --scenario rsa    RSA certificates, aes256gcm16-prfsha384-ecp384, ESP aes256gcm16
#            ecdsa  ECDSA certificates, aes256gcm16-prfsha256-ecp256, ESP aes256gcm16
#            cbc    RSA certificates, aes256-sha256-modp2048, ESP aes256-sha256
# Each: the client gets a VIP from the pool and the routes, pings the
# server, TCP both ways with sha256 compared, p2sgwctl lists the IKE SA,
# a clean disconnect leaves nothing installed; then the operator's
# `p2sgwctl disconnect` of a second connection (DELETE to the client).
#
# --scenario rekey: the client rekeys its CHILD SA every 4 s (with PFS,
# ecp256) and its IKE SA every 10 s while a ping runs every 50 ms and TCP
# moves 40 MB each way: at least two CHILD and one IKE rekey, no ping
# lost, transfers intact; then the client closes its CHILD SA and opens a
# new one on the same IKE SA; a clean disconnect afterwards.
#
# --scenario gwrekey: ike.child_lifetime = 10 s, ike.child_lifetime_kb =
# 256 MiB, ike.ike_lifetime = 30 s and a client that would not rekey for a
# day: the gateway rekeys the CHILD SA itself (PFS with ecp384) when the
# dataplane reports its soft lifetime (time, and volume during 200 MB
# each way) and deletes the old one, while a ping runs and TCP moves data;
# then it rekeys the IKE SA (it becomes its initiator) and the tunnel
# still carries TCP.
#
# --scenario frag: MTU 1280 between client and gateway and a client
# certificate sent with its intermediate CA: both IKE_AUTH messages are
# larger than the path MTU and go as RFC 7383 fragments both ways.
#
# --scenario cap: ike.max_connections = 2: two clients connect (each
# charon is then stopped without DELETE, the gateway keeps their SAs: no
# DPD in this run), a third is refused with NO_ADDITIONAL_SAS, and the
# first two are still established and installed.
#
# --scenario nat: the client sits behind a NAT (a namespace with nft
# masquerade; the test changes the mapping by giving it new ports and
# deleting the old conntrack entries): NAT detected for real, IKE floats
# to 4500, the CHILD SA is ESP in UDP to the NAT's port; then the NAT
# gives the client a new port in the middle of a ping: the dataplane
# reports the new mapping, the gateway sends there, pings keep coming
# back and a TCP transfer works.
#
# --scenario flood: 500 IKE_SA_INIT from another address of the client's
# namespace (tools/ike_flood.py), never completed: past 10 half-open SAs
# every new one must return our COOKIE, so the flood holds 10; the real
# client still connects (it returns the cookie). Then a flood that
# returns cookies is capped at 20 half-open SAs for its address.
#
# --scenario refused: a revoked client certificate and one from an unknown
# CA (AUTHENTICATION_FAILED), an IKE proposal outside the policy
# (NO_PROPOSAL_CHOSEN, with the offer in the gateway's log): each refused
# with the right notify and nothing installed in the dataplane.
#
# usage: ike_strongswan.sh --dataplane BIN --control BIN --ctl BIN
#                          --scenario NAME [--mb N]
# Needs root (exit 77 otherwise). Leaves nothing behind.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/ike_lib.sh"

DP_BIN="" CP_BIN="" CTL_BIN="" SCENARIO="" MB=5
while [ $# -gt 0 ]; do
	case $1 in
	--dataplane) DP_BIN=$2; shift 2 ;;
	--control) CP_BIN=$2; shift 2 ;;
	--ctl) CTL_BIN=$2; shift 2 ;;
	--scenario) SCENARIO=$2; shift 2 ;;
	--mb) MB=$2; shift 2 ;;
	*) echo "usage: $0 --dataplane BIN --control BIN --ctl BIN" \
		"--scenario rsa|ecdsa|cbc|rekey|gwrekey|frag|cap|nat|flood|refused [--mb N]" >&2; exit 2 ;;
	esac
done
case $SCENARIO in
rsa) GW=gw-rsa CLI=client-rsa CA=ca-rsa
     IKE_P=aes256gcm16-prfsha384-ecp384 ESP_P=aes256gcm16 WANT_ESP=aes256gcm16 ;;
ecdsa) GW=gw-ec CLI=client-ec CA=ca-ec
     IKE_P=aes256gcm16-prfsha256-ecp256 ESP_P=aes256gcm16 WANT_ESP=aes256gcm16 ;;
cbc) GW=gw-rsa CLI=client-rsa CA=ca-rsa
     IKE_P=aes256-sha256-modp2048 ESP_P=aes256-sha256 WANT_ESP=aes256-sha256 ;;
gwrekey) GW=gw-ec CLI=client-ec CA=ca-ec
     IKE_EXTRA="child_lifetime = 10; child_lifetime_kb = 262144; ike_lifetime = 30; dpd_delay = 2;"
     IKE_P=aes256gcm16-prfsha384-ecp384 ESP_P=aes256gcm16-ecp384 WANT_ESP=aes256gcm16 ;;
rekey) GW=gw-rsa CLI=client-rsa CA=ca-rsa
     IKE_P=aes256gcm16-prfsha256-ecp256 ESP_P=aes256gcm16-ecp256 WANT_ESP=aes256gcm16 ;;
refused) GW=gw-rsa CLI=client-rsa CA=ca-rsa
     IKE_P=aes256gcm16-prfsha384-ecp384 ESP_P=aes256gcm16 WANT_ESP=aes256gcm16 ;;
cap) GW=gw-rsa CLI=client-rsa CA=ca-rsa
     IKE_EXTRA="max_connections = 2; dpd_delay = 0;"
     IKE_P=aes256gcm16-prfsha256-ecp256 ESP_P=aes256gcm16 WANT_ESP=aes256gcm16 ;;
nat) GW=gw-rsa CLI=client-rsa CA=ca-rsa
     IKE_P=aes256gcm16-prfsha256-ecp256 ESP_P=aes256gcm16 WANT_ESP=aes256gcm16 ;;
flood) GW=gw-rsa CLI=client-rsa CA=ca-rsa
     IKE_EXTRA="cookie_threshold = 10; half_open_per_source = 20; half_open_timeout = 30;"
     IKE_P=aes256gcm16-prfsha256-ecp256 ESP_P=aes256gcm16 WANT_ESP=aes256gcm16 ;;
frag) GW=gw-rsa CLI=client-chain-full CA=ca-rsa UPLINK_MTU=1280
     IKE_P=aes256-sha256-modp2048 ESP_P=aes256gcm16 WANT_ESP=aes256gcm16 ;;
*) echo "unknown --scenario '$SCENARIO'" >&2; exit 2 ;;
esac

# A loaded machine may hold a packet for a second or two: give the
# client about 20 s of retransmissions before it gives up.
export IKE_RETRANSMIT_TRIES=${IKE_RETRANSMIT_TRIES:-4}

it_require_root
it_require_tools socat ip taskset ping ss sha256sum swanctl pki openssl nft \
	conntrack
for b in "$DP_BIN" "$CP_BIN" "$CTL_BIN"; do
	[ -x "$b" ] || it_fail "binary '$b' not found (build first)"
done
DP_BIN=$(realpath "$DP_BIN") CP_BIN=$(realpath "$CP_BIN") CTL_BIN=$(realpath "$CTL_BIN")
it_traps

NS_GW=p2ike-$SCENARIO-gw NS_CLI=p2ike-$SCENARIO-cli NS_SRV=p2ike-$SCENARIO-srv
it_mkwork
WORK=$IT_WORK
PKI=$WORK/pki
CFG=$WORK/gw.cfg
STATS=$WORK/stats.json
T_START=$(it_now)
FAILED=()
step() { it_step "$@"; }

abort() {
	echo "FAIL $1"
	FAILED+=("$1")
	for f in "$WORK"/dp.log "$WORK"/cp.log "$WORK"/charon-*.log; do
		[ -f "$f" ] && { echo "--- $(basename "$f")"; tail -n 25 "$f"; }
	done
	exit 1
}

ctl() { ip netns exec "$NS_GW" "$CTL_BIN" -c "$CFG" "$@"; }

# py EXPR: evaluate EXPR over the JSON reply of `p2sgwctl --json ARGS`.
ctl_json() {
	local expr=$1
	shift
	ctl --json "$@" | "$PY" -c "import json, sys
r = json.load(sys.stdin)
v = $expr
print(v)
sys.exit(0 if v else 1)"
}

write_config() {
	cat >"$CFG" <<EOF
gateway = { name = "p2sgw-ike-it"; sku = "VpnGw2"; generation = 2; };
dataplane = {
  lcores = "1";
  socket_mem = 256;
  file_prefix = "p2ike-$SCENARIO";
  eal_args = [ "--no-pci" ];
  stats_file = "$STATS";
  stats_interval = 1.0;
  ports = (
    { name = "uplink"; role = "uplink";
      device = "net_af_packet0,iface=gw-up,qpairs=1";
      address = "172.16.10.1/24"; mtu = ${UPLINK_MTU:-1500}; },
    { name = "vnet"; role = "vnet";
      device = "net_af_packet1,iface=gw-vn,qpairs=1";
      address = "10.10.0.1/24"; mtu = 1500; }
  );
  exception = { enabled = true; iface = "p2sgw0"; };
};
p2s = {
  tunnel_types = [ "ikev2" ];
  address_pool = [ "10.200.0.0/24" ];
  routes = [ "10.10.0.0/24" ];
  dns = [ "10.10.0.53" ];
};
auth = {
  root_cas = [ "$PKI/ca-rsa.pem", "$PKI/ca-ec.pem" ];
  revoked = [ "$(cat "$PKI/revoked.txt")" ];
  certificate = "$PKI/$GW.pem";
  private_key = "$PKI/$GW.key";
};
ike = {
  dpd_timeout = 6;
  ${IKE_EXTRA:-dpd_delay = 2;}
};
control = {
  socket = "$WORK/ctl.sock";
  channel = "/dev/hugepages/p2ike-$SCENARIO.chan";
  log_level = "info";
};
EOF
}

start_gateway() {
	it_topology "$NS_GW" "$NS_CLI" "$NS_SRV"
	if [ -n "${UPLINK_MTU:-}" ]; then
		ip -n "$NS_CLI" link set cli-eth0 mtu "$UPLINK_MTU"
		ip -n "$NS_GW" link set gw-up mtu "$UPLINK_MTU"
	fi
	bash "$HERE/ike_pki.sh" "$PKI" >"$WORK/pki.log" 2>&1 || \
		{ cat "$WORK/pki.log"; abort "ike_pki.sh failed"; }
	write_config
	ip netns exec "$NS_GW" "$DP_BIN" -c "$CFG" --check >"$WORK/check.log" 2>&1 || \
		{ cat "$WORK/check.log"; abort "--check rejects the generated config"; }
	it_bg DP "$NS_GW" 1 "$WORK/dp.log" "$DP_BIN" -c "$CFG"
	it_wait_line "$WORK/dp.log" '^p2sgw-dataplane: ready' 60 "$DP" || \
		abort "dataplane did not print 'p2sgw-dataplane: ready' within 60 s"
	it_bg CP "$NS_GW" 0 "$WORK/cp.log" "$CP_BIN" -c "$CFG"
	it_wait_line "$WORK/cp.log" 'IKEv2 on UDP 500/4500' 20 "$CP" || \
		abort "p2sgw-control did not start its IKEv2 responder"
	it_wait_line "$WORK/cp.log" 'attached to' 20 "$CP" || true
}

# connect NAME CERT KEY [IKE] [ESP]: start a client daemon and bring it up.
connect() {
	local name=$1 cert=$2 key=$3 ike=${4:-$IKE_P} esp=${5:-$ESP_P}
	ike_client_start "$NS_CLI" "$name" "$WORK" "$PKI/$cert" "$PKI/$key" \
		"$PKI/$CA.pem" "$ike" "$esp" gw.p2sgw.test || return 1
	ike_client_up "$NS_CLI" "$name" 20
}

vip_in_pool() {
	local vip
	vip=$(ike_client_vip "$NS_CLI" "$1") || { echo "no virtual IP"; return 1; }
	echo "VIP $vip"
	[[ "$vip" =~ ^10\.200\.0\.[0-9]+$ ]]
}

ike_listed() {
	ctl_json "[(s['identity'], s['vip'], s['esp_suite']) for s in r['ike_sas']
	     if s['state'] == 'established' and s['esp_suite'] == '$WANT_ESP'
	     and s['vip'].startswith('10.200.0.')]" ike
}

tunnel_live() {
	ctl_json "[t['name'] for t in r['tunnels'] if t['kind'] == 'ike'
	     and t['state'].lower() == 'live' and t.get('encap')]" tunnels
}

tcp_up() {
	local t
	it_make_file "$WORK/up.bin" "$MB"
	t=$(it_tcp_send "$NS_CLI" "$NS_SRV" 10.10.0.10 5001 "$WORK/up.bin" \
		"$WORK/up.rx" 120) || { echo "transfer failed or sha256 differs"; return 1; }
	echo "$MB MB in ${t}s"
}

tcp_down() {
	local t
	it_make_file "$WORK/down.bin" "$MB"
	t=$(it_tcp_fetch "$NS_CLI" "$NS_SRV" 10.10.0.10 5002 "$WORK/down.bin" \
		"$WORK/down.rx" 120) || { echo "transfer failed or sha256 differs"; return 1; }
	echo "$MB MB in ${t}s"
}

# nothing_installed: no IKE SA and no IKE tunnel left (waits up to 10 s).
nothing_installed() {
	local i
	for ((i = 0; i < 100; i++)); do
		if ctl_json "len(r['ike_sas']) == 0" ike >/dev/null 2>&1 &&
		   ctl_json "not [t for t in r['tunnels'] if t['kind'] == 'ike']" \
			tunnels >/dev/null 2>&1; then
			echo "no IKE SA, no IKE tunnel"
			return 0
		fi
		sleep 0.1
	done
	ctl --json ike
	ctl --json tunnels
	return 1
}

down() {
	ike_client_down "$NS_CLI" "$1" && nothing_installed
}

down_home() {
	ike_client_down "$NS_HOME" "$1" && nothing_installed
}

# refused_kept NAME CERT KEY NOTIFY: the connection fails with NOTIFY
# (other tunnels may stay installed).
refused_kept() {
	local name=$1 cert=$2 key=$3 notify=$4 out
	ike_client_start "$NS_CLI" "$name" "$WORK" "$PKI/$cert" "$PKI/$key" \
		"$PKI/$CA.pem" "$IKE_P" "$ESP_P" gw.p2sgw.test || return 1
	if out=$(ike_client_up "$NS_CLI" "$name" 15); then
		echo "connected, but should have been refused"
		return 1
	fi
	ike_client_stop "$NS_CLI" "$name"
	grep -q "received $notify notify" "$WORK/charon-$name.log" || \
		{ echo "no $notify from the gateway: $out"; return 1; }
	echo "$notify"
}

# refused NAME CERT KEY NOTIFY [IKE]: the connection fails with NOTIFY.
refused() {
	local name=$1 cert=$2 key=$3 notify=$4 ike=${5:-$IKE_P} out
	ike_client_start "$NS_CLI" "$name" "$WORK" "$PKI/$cert" "$PKI/$key" \
		"$PKI/$CA.pem" "$ike" "$ESP_P" gw.p2sgw.test || return 1
	if out=$(ike_client_up "$NS_CLI" "$name" 15); then
		echo "connected, but should have been refused"
		return 1
	fi
	ike_client_stop "$NS_CLI" "$name"
	grep -q "received $notify notify" "$WORK/charon-$name.log" || \
		{ echo "no $notify from the gateway: $out"; return 1; }
	echo "$notify"
	nothing_installed >/dev/null || { echo "something is installed"; return 1; }
}

operator_disconnect() {
	local id
	id=$(ctl_json "r['ike_sas'][0]['id']" ike) || { echo "no IKE SA"; return 1; }
	ctl disconnect "$id" >/dev/null || { echo "disconnect $id failed"; return 1; }
	nothing_installed || return 1
	# the client got our DELETE and closed its side
	for ((i = 0; i < 50; i++)); do
		grep -q 'received DELETE for IKE_SA' "$WORK/charon-$1.log" && \
			{ echo "client received DELETE"; return 0; }
		sleep 0.1
	done
	echo "the client saw no DELETE"
	return 1
}

no_proposal_logged() {
	grep -q 'NO_PROPOSAL_CHOSEN: the client offered IKE:' "$WORK/cp.log" || \
		{ echo "no NO_PROPOSAL_CHOSEN line in the log"; return 1; }
	grep 'NO_PROPOSAL_CHOSEN' "$WORK/cp.log" | tail -n 1 | sed 's/.*NO_PROPOSAL/NO_PROPOSAL/'
}

# ping_during SECONDS: ping every 50 ms in the background into ping.out.
ping_during() {
	ip netns exec "$NS_CLI" ping -n -D -O -i 0.05 -W 1 -w "$1" 10.10.0.10 \
		>"$WORK/ping.out" 2>&1 &
	PING_PID=$!
	IT_PIDS+=("$PING_PID")
}

ping_no_loss() {
	wait "$PING_PID"
	local tx rx
	tx=$(sed -n 's/^\([0-9]\+\) packets transmitted.*/\1/p' "$WORK/ping.out")
	rx=$(sed -n 's/.* \([0-9]\+\) received.*/\1/p' "$WORK/ping.out")
	echo "$rx of $tx replies"
	[ -n "$tx" ] && [ "$tx" -gt 100 ] && [ "$rx" = "$tx" ]
}

gw_rekeys_counted() {
	ctl_json "(r['ike']['gw_child_rekeys'], r['ike']['gw_rekey_failed'],
	     r['ike']['soft_lifetime'])
v = v if v[0] >= 2 and v[1] == 0 and v[2] >= 2 else None" ike
}

# The gateway's IKE SA rekey, at 85-95% of ike.ike_lifetime (30 s).
gw_ike_rekeyed() {
	local i
	for ((i = 0; i < 300; i++)); do
		if ctl_json "(r['ike']['gw_ike_rekeys'] >= 1 and
		     r['ike']['gw_ike_rekey_failed'] == 0)" ike >/dev/null 2>&1; then
			ctl_json "(r['ike']['gw_ike_rekeys'], r['ike']['established'])" ike
			return 0
		fi
		sleep 0.1
	done
	ctl_json "(r['ike']['gw_ike_rekeys'], r['ike']['gw_ike_rekey_failed'])" ike
	return 1
}

client_saw_ike_rekey() {
	grep -q 'rekeyed between' "$WORK/charon-c1.log" &&
	echo "the client took the gateway's IKE SA rekey"
}

client_answered_rekey() {
	grep -q 'parsed CREATE_CHILD_SA request' "$WORK/charon-c1.log" &&
	grep -q 'received DELETE for ESP CHILD_SA' "$WORK/charon-c1.log" &&
	echo "the client answered our CREATE_CHILD_SA and our DELETE"
}

rekeys_counted() {
	ctl_json "(r['ike']['child_rekeys'], r['ike']['ike_rekeys'])
v = v if v[0] >= 2 and v[1] >= 1 else None" ike
}

# The client closes its CHILD SA and opens a new one on the same IKE SA.
child_again() {
	ike_swanctl c1 --terminate --child c1 --timeout 10 >/dev/null || return 1
	ctl_json "(len([t for t in r['tunnels'] if t['kind'] == 'ike']) == 0)" \
		tunnels >/dev/null || { echo "the CHILD SA stayed installed"; return 1; }
	ike_swanctl c1 --initiate --child c1 --timeout 10 >/dev/null || return 1
	ctl_json "(r['ike']['new_children'], r['ike']['established'])
v = v if v == (1, 1) else None" ike || return 1
	it_ping_some "$NS_CLI" 10.10.0.10 >/dev/null
}

client_saw_rekeys() {
	local c i
	c=$(grep -c 'CHILD_SA c1{[0-9]*} established' "$WORK/charon-c1.log")
	i=$(grep -c 'IKE_SA c1\[[0-9]*\] rekeyed\|rekeyed between' "$WORK/charon-c1.log")
	echo "client: $c CHILD SAs established, $i IKE rekeys"
	[ "$c" -ge 3 ]
}

connect_and_kill() {
	connect "$1" "$CLI.pem" "$CLI.key" || return 1
	sleep 3		# idle longer than dpd_delay: a liveness check answered
	ctl_json "r['ike']['dpd_answered'] >= 1" ike >/dev/null || \
		{ echo "no liveness check answered"; return 1; }
	kill -KILL "${IKE_PID[$1]}"
	echo "charon $1 killed"
}

# within dpd_delay + dpd_timeout (2 + 6 s) and some slack
dpd_removed() {
	local i
	for ((i = 0; i < 150; i++)); do
		if ctl_json "(r['ike']['dpd_dead'] >= 1 and r['ike']['pool_used'] == 0
	     and len(r['ike_sas']) == 0)" ike >/dev/null 2>&1; then
			nothing_installed
			return
		fi
		sleep 0.1
	done
	ctl --json ike
	return 1
}

flood() {
	ip netns exec "$NS_CLI" "$PY" "$HERE/../../tools/ike_flood.py" \
		--src 172.16.10.3 --dst 172.16.10.1 "$@"
}

flood_held() {
	local out
	out=$(flood --count 500 --rate 2000) || { echo "$out"; return 1; }
	echo "$out"
	ctl_json "(r['ike']['half_open'], r['ike']['cookies_sent'])
v = v if v[0] <= 10 and v[1] >= 400 else None" ike
}

flood_capped() {
	local out
	out=$(flood --count 100 --rate 1000 --echo-cookie) || { echo "$out"; return 1; }
	echo "$out"
	ctl_json "(r['ike']['half_open'], r['ike']['half_open_refused'],
	     r['ike']['cookies_ok'])
v = v if v[0] <= 31 and v[1] >= 50 and v[2] >= 20 else None" ike
}

# nat_map P500 P4500: the NAT namespace (the client namespace, 172.16.10.2
# outside) masquerades the home client 192.168.77.2, its UDP 500 and 4500
# as those ports (nft masquerade with connection tracking), and forgets
# the mappings it had (conntrack -D), so that the client's next packet
# gets the new one, as when a NAT's mapping times out or the box restarts.
nat_map() {
	ip netns exec "$NS_CLI" nft -f - <<EOF || return 1
table ip p2nat
delete table ip p2nat
table ip p2nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 192.168.77.2 udp sport 500 masquerade to :$1
		ip saddr 192.168.77.2 udp sport 4500 masquerade to :$2
		ip saddr 192.168.77.2 masquerade
	}
}
EOF
	ip netns exec "$NS_CLI" conntrack -D -s 192.168.77.2 >/dev/null 2>&1
	return 0
}

nat_topology() {
	NS_HOME=p2ike-nat-home
	it_netns "$NS_HOME"
	it_veth "$NS_HOME" home-eth0 "$NS_CLI" nat-in
	ip -n "$NS_HOME" addr add 192.168.77.2/24 dev home-eth0
	ip -n "$NS_HOME" route add default via 192.168.77.1
	ip -n "$NS_CLI" addr add 192.168.77.1/24 dev nat-in
	ip netns exec "$NS_CLI" sysctl -qw net.ipv4.ip_forward=1
	it_tx_csum_off "$NS_HOME" home-eth0
	nat_map 30500 34500
}

connect_home() {
	ike_client_start "$NS_HOME" "$1" "$WORK" "$PKI/$CLI.pem" "$PKI/$CLI.key" \
		"$PKI/$CA.pem" "$IKE_P" "$ESP_P" gw.p2sgw.test || return 1
	ike_client_up "$NS_HOME" "$1" 20
}

tunnel_port() {
	ctl_json "[t['encap']['sport'] for t in r['tunnels'] if t['kind'] == 'ike'
	     and t['encap'] and t['encap']['sport'] == $1]" tunnels
}

nat_seen() {
	ctl_json "[(s['nat'], s['peer_port']) for s in r['ike_sas']
	     if s['nat'] and s['peer_port'] == 34500]" ike
}

remap_during_ping() {
	ip netns exec "$NS_HOME" ping -n -D -O -i 0.05 -W 1 -w 8 10.10.0.10 \
		>"$WORK/ping.out" 2>&1 &
	PING_PID=$!
	IT_PIDS+=("$PING_PID")
	sleep 2
	nat_map 31500 35500 || return 1
	wait "$PING_PID"
	local tx rx
	tx=$(sed -n 's/^\([0-9]\+\) packets transmitted.*/\1/p' "$WORK/ping.out")
	rx=$(sed -n 's/.* \([0-9]\+\) received.*/\1/p' "$WORK/ping.out")
	echo "$rx of $tx replies across the new mapping"
	# the gateway needs one authentic packet from the new port
	[ -n "$tx" ] && [ "$tx" -gt 100 ] && [ "$rx" -ge $((tx - 3)) ]
}

# connect_leave NAME: connect, then stop the daemon without DELETE.
connect_leave() {
	connect "$1" "$CLI.pem" "$CLI.key" || return 1
	kill -KILL "${IKE_PID[$1]}"
	wait "${IKE_PID[$1]}" 2>/dev/null
	echo "connected, then charon $1 stopped"
}

two_untouched() {
	ctl_json "(len([s for s in r['ike_sas'] if s['state'] == 'established']),
	     r['ike']['cap_refused'])
v = v if v == (2, 1) else None" ike || return 1
	ctl_json "len([t for t in r['tunnels'] if t['kind'] == 'ike' and
	     t['state'].lower() == 'live']) == 2" tunnels
}

fragments_counted() {
	ctl_json "(r['ike']['frag_msgs_rx'], r['ike']['frag_msgs_tx'])
v = v if v[0] >= 1 and v[1] >= 1 else None" ike
}

echo "ike_strongswan: scenario=$SCENARIO ike=$IKE_P esp=$ESP_P"
start_gateway
if [ "$SCENARIO" = gwrekey ]; then
	step "connect ($IKE_P, ESP $ESP_P)" connect c1 "$CLI.pem" "$CLI.key" || \
		abort "the strongSwan client did not connect"
	step "ping through the tunnel to 10.10.0.10" it_ping_some "$NS_CLI" 10.10.0.10
	# the ping spans the time-based rekey (8.5-9.5 s); TCP at full rate
	# after it, whose volume makes more (a full-rate transfer next to a
	# ping loses an echo now and then in the client's userspace ESP)
	ping_during 12
	step "no ping lost across our rekey" ping_no_loss
	MB=200
	step "TCP client -> server across our rekeys" tcp_up
	step "TCP server -> client across our rekeys" tcp_down
	step "the dataplane asked, the gateway rekeyed the CHILD SA" gw_rekeys_counted
	step "the client took part" client_answered_rekey
	step "the gateway rekeys the IKE SA at ike.ike_lifetime" gw_ike_rekeyed
	step "the client took our IKE SA rekey" client_saw_ike_rekey
	MB=20
	step "TCP client -> server on the IKE SA we made" tcp_up
	step "client disconnects: nothing left installed" down c1
elif [ "$SCENARIO" = cap ]; then
	step "first client" connect_leave c1
	step "second client" connect_leave c2
	step "a third over ike.max_connections = 2 -> NO_ADDITIONAL_SAS" \
		refused_kept c3 "$CLI.pem" "$CLI.key" NO_ADDITIONAL_SAS
	step "the first two are untouched" two_untouched
elif [ "$SCENARIO" = nat ]; then
	nat_topology
	step "connect from behind the NAT" connect_home c1 || \
		abort "the strongSwan client did not connect through the NAT"
	step "NAT detected, IKE on the NAT's port 34500" nat_seen
	step "the CHILD SA is ESP in UDP to the NAT's port 34500" tunnel_port 34500
	[ "${IKE_IT_HOLD:-0}" != 0 ] && { echo "holding: $WORK"; sleep "$IKE_IT_HOLD"; }
	step "ping through the tunnel" it_ping_some "$NS_HOME" 10.10.0.10
	step "the NAT mapping changes during a ping: few lost" remap_during_ping
	step "the tunnel follows to port 35500" tunnel_port 35500
	step "TCP after the move" it_tcp_send "$NS_HOME" "$NS_SRV" 10.10.0.10 5003 \
		"$PKI/ca-rsa.pem" "$WORK/nat.rx" 30
	step "client disconnects: nothing left installed" down_home c1
elif [ "$SCENARIO" = flood ]; then
	ip -n "$NS_CLI" addr add 172.16.10.3/24 dev cli-eth0
	step "500 IKE_SA_INIT: at most 10 half-open, the rest get a COOKIE" flood_held
	step "the real client connects through the cookie exchange" \
		connect c1 "$CLI.pem" "$CLI.key"
	step "ping through the tunnel to 10.10.0.10" it_ping_some "$NS_CLI" 10.10.0.10
	step "a flood that returns cookies: 20 half-open for its address" flood_capped
	step "the client still works" it_ping_some "$NS_CLI" 10.10.0.10
	step "client disconnects" ike_client_down "$NS_CLI" c1
elif [ "$SCENARIO" = frag ]; then
	step "connect with a certificate chain at MTU 1280" \
		connect c1 "$CLI.pem" client-chain.key || \
		abort "the strongSwan client did not connect"
	step "IKE_AUTH went as fragments both ways" fragments_counted
	step "the client reassembled our fragments" \
		grep -q 'received fragment #1 of' "$WORK/charon-c1.log"
	step "ping through the tunnel to 10.10.0.10" it_ping_some "$NS_CLI" 10.10.0.10
	step "TCP client -> server" tcp_up
	step "client disconnects: nothing left installed" down c1
elif [ "$SCENARIO" = rekey ]; then
	export IKE_CHILD_EXTRA=$'\t\t\t\trekey_time = 4s\n\t\t\t\tlife_time = 60s\n\t\t\t\trand_time = 0'
	export IKE_CONN_EXTRA=$'\t\trekey_time = 10s\n\t\tover_time = 60s\n\t\trand_time = 0'
	step "connect ($IKE_P, ESP $ESP_P)" connect c1 "$CLI.pem" "$CLI.key" || \
		abort "the strongSwan client did not connect"
	# the first packet may wait for ARP at the gateway: warm up first
	step "ping through the tunnel to 10.10.0.10" it_ping_some "$NS_CLI" 10.10.0.10
	ping_during 14
	MB=40
	sleep 3
	step "TCP client -> server across rekeys" tcp_up
	sleep 3
	step "TCP server -> client across rekeys" tcp_down
	step "no ping lost across the rekeys" ping_no_loss
	step "the gateway counted CHILD and IKE rekeys" rekeys_counted
	step "the client rekeyed" client_saw_rekeys
	step "a new CHILD SA after the client closed its own" child_again
	step "client disconnects: nothing left installed" down c1
elif [ "$SCENARIO" = refused ]; then
	step "revoked client certificate -> AUTHENTICATION_FAILED" \
		refused revoked client-revoked.pem client-revoked.key AUTHENTICATION_FAILED
	step "certificate from an unknown CA -> AUTHENTICATION_FAILED" \
		refused unknown client-unknown.pem client-unknown.key AUTHENTICATION_FAILED
	step "IKE proposal outside the policy -> NO_PROPOSAL_CHOSEN" \
		refused weak client-rsa.pem client-rsa.key NO_PROPOSAL_CHOSEN \
		aes128-sha1-modp1024
	step "the client's offer is in the log" no_proposal_logged
	step "a valid client still connects" connect good "$CLI.pem" "$CLI.key"
	step "and disconnects cleanly" down good
else
	step "connect ($IKE_P, ESP $ESP_P)" connect c1 "$CLI.pem" "$CLI.key" || \
		abort "the strongSwan client did not connect"
	step "virtual IP from the pool" vip_in_pool c1
	if [ "${IKE_IT_HOLD:-0}" != 0 ]; then
		# debugging: keep everything up (namespaces $NS_GW, $NS_CLI,
		# $NS_SRV; logs in $WORK) for IKE_IT_HOLD seconds
		echo "holding for ${IKE_IT_HOLD}s: work dir $WORK"
		sleep "$IKE_IT_HOLD"
	fi
	step "p2sgwctl ike lists the IKE SA" ike_listed
	step "the CHILD SA is live in the dataplane (ESP in UDP)" tunnel_live
	step "ping through the tunnel to 10.10.0.10" it_ping_some "$NS_CLI" 10.10.0.10
	step "TCP client -> server" tcp_up
	step "TCP server -> client" tcp_down
	step "client disconnects: nothing left installed" down c1
	ike_client_stop "$NS_CLI" c1
	step "reconnect" connect c2 "$CLI.pem" "$CLI.key"
	step "p2sgwctl disconnect: DELETE to the client, nothing installed" \
		operator_disconnect c2
	ike_client_stop "$NS_CLI" c2
	step "reconnect, then the client dies without DELETE" connect_and_kill c3
	step "DPD: the dead client is removed, its address back in the pool" \
		dpd_removed
fi

echo "ike_strongswan: scenario=$SCENARIO total $(it_elapsed "$T_START")s"
if [ ${#FAILED[@]} -gt 0 ]; then
	for f in "$WORK"/cp.log "$WORK"/charon-*.log; do
		[ -f "$f" ] && { echo "--- $(basename "$f") (last 30 lines)"; tail -n 30 "$f"; }
	done
	echo "FAILED: ${FAILED[*]}"
	exit 1
fi
exit 0
