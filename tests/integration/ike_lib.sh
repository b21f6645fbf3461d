# shellcheck shell=bash
# strongSwan IKEv2 client harness for the interop tests (sourced after lib.sh).
#
# Each client is one charon daemon with a private configuration, running in
# a network namespace of the caller's. Checked with strongSwan 5.9.8
# (Debian 12: strongswan-charon, strongswan-swanctl,
# libstrongswan-standard-plugins for the openssl plugin, and
# libcharon-extra-plugins for kernel-libipsec).
#
# Contract (NS: a namespace the caller made; NAME: [A-Za-z0-9_-]+, unique per
# script; at most one client daemon per namespace, since each binds UDP 500
# and 4500 and owns routing table 220 there):
#
#   ike_client_start NS NAME WORKDIR CERT KEY CACERT [IKE_PROP] [ESP_PROP] [REMOTE_ID]
#       Starts charon in NS and loads one connection NAME (child NAME) that
#       initiates nothing yet. CERT: PEM file, the client certificate first,
#       any further certificates in it (intermediate CAs) are loaded as CA
#       certificates and sent along; KEY: PEM private key (PKCS#8, PKCS#1 or
#       SEC1); CACERT: PEM file of the CA certificate(s) that the gateway's
#       certificate chains to. IKE_PROP default aes256gcm16-prfsha384-ecp384,
#       ESP_PROP default aes256gcm16, REMOTE_ID default gw.p2sgw.test (the
#       gateway must authenticate with a certificate holding that identity).
#       Environment knobs, read at start:
#         IKE_REMOTE_ADDR   gateway address            [172.16.10.1]
#         IKE_REMOTE_TS     child's remote_ts          [10.10.0.0/24]
#         IKE_LOCAL_ID      client identity (IDi)      [the certificate's subject DN]
#         IKE_CONN_EXTRA    extra swanctl.conf lines for the connection section
#         IKE_CHILD_EXTRA   extra swanctl.conf lines for the child section
#         IKE_RETRANSMIT_TRIES / IKE_RETRANSMIT_TIMEOUT  [2 / 1.0 s: gives up
#                           after about 6 s without answer]
#       Files: WORKDIR/charon-NAME.log (ike 2, cfg/knl/net/enc 1),
#       WORKDIR/ike-NAME/ (strongswan.conf, swanctl/, run/charon.pid,
#       charon.vici). Registers the daemon's pid in IT_PIDS. Call it directly,
#       not in $(...): it records NAME in shell variables. Returns non-zero
#       (and prints the log's tail) if the daemon or the loading fails.
#   ike_client_up NS NAME TIMEOUT
#       Initiates child NAME (and so the IKE_SA); success when within TIMEOUT
#       seconds the IKE_SA is ESTABLISHED and the CHILD_SA INSTALLED (the
#       virtual IP and the routes are in place then). Fails at once if an
#       IKE_SA of NAME exists. On failure prints the most telling line of the
#       exchange (e.g. "[IKE] received AUTHENTICATION_FAILED notify error",
#       "[IKE] received NO_PROPOSAL_CHOSEN notify error", "[IKE] giving up
#       after 2 retransmits") and "swanctl rc=N, SA state: IKE CHILD" (e.g.
#       "ESTABLISHED -" when only the CHILD_SA was refused), then removes
#       what is left of the IKE_SA (not with IKE_KEEP_FAILED=1) and returns
#       1. swanctl's full output: WORKDIR/ike-NAME/initiate.out.
#   ike_client_down NS NAME
#       Deletes the IKE_SA (DELETE exchange, waits up to 10 s); success when
#       no SA of NAME is left.
#   ike_client_vip NS NAME
#       Prints the virtual IPv4 address(es) assigned by the gateway, one a
#       line; returns 1 if there is none.
#   ike_client_sas NS NAME [swanctl options]
#       Prints `swanctl --list-sas` of the daemon (add --raw for one line per
#       IKE_SA with state=, local-vips=[...], child-sas {... state= ...}).
#   ike_client_stop NS NAME
#       Stops the daemon (SIGTERM, 5 s, SIGKILL); frees UDP 500/4500 in NS.
#   ike_swanctl NAME ARGS...
#       Runs swanctl against NAME's daemon (its vici socket and config dir).
#   ike_daemon_start NS NAME WORKDIR
#       The lower half of ike_client_start: the daemon alone, with an empty
#       WORKDIR/ike-NAME/swanctl/ to fill and load with `ike_swanctl NAME
#       --load-all` (how ike_harness_selftest.sh makes its responder).
#       IKE_PLUGINS replaces the crypto/credential plugins [nonce openssl kdf
#       pem x509], IKE_PLUGINS_EXTRA adds some (e.g. revocation).
#   IKE_CHARON: the daemon [/usr/lib/ipsec/charon (strongswan-charon), else
#       /usr/sbin/charon-systemd, which works the same here].
#
# How it is isolated: STRONGSWAN_CONF points charon and swanctl at the
# generated strongswan.conf, SWANCTL_DIR at the private swanctl directory;
# the vici socket is a unix:// path in WORKDIR. charon 5.9.8 has its pid
# file compiled in (/var/run/charon.pid, and refuses to start while it
# exists; strongswan.conf has no piddir), so every daemon runs in a mount
# namespace of its own (unshare -m) with WORKDIR/ike-NAME/run bound over
# /run. Several daemons in different namespaces run side by side.
#
# Quirks seen with strongSwan 5.9.8 (Debian 5.9.8-5+deb12u6) here:
#   - No ESP in the kernel: kernel-libipsec does ESP in userspace through a
#     TUN device (ipsecN, MTU 1400), ESP-in-UDP only, hence encap = yes: NAT
#     is faked from IKE_SA_INIT on, IKE_AUTH and ESP use UDP 4500.
#   - kernel-libipsec must be listed before kernel-netlink: the other way
#     round the XFRM backend is used, the kernel cannot install the SAs, and
#     the CHILD_SA fails (NO_PROPOSAL_CHOSEN from a strongSwan responder).
#     kernel-netlink then only does addresses and routes: the virtual IP is
#     put on ipsecN (/32), the route to remote_ts goes into table 220 via
#     ipsecN with the VIP as source, and charon adds `ip rule ... lookup 220`.
#     A responder on kernel-libipsec routes the VIP/32 the same way, with a
#     source address of its own inside local_ts (it needs one).
#   - Minimal plugin list: nonce openssl kdf pem x509 + kernel-libipsec
#     kernel-netlink socket-default vici. kdf is needed by 5.9.8 for the
#     IKE key derivation (without it: "KDF_PRF with PRF_HMAC_SHA2_384 not
#     supported"); openssl (libstrongswan-standard-plugins) brings AES-GCM,
#     ECP/MODP DH, RSA, ECDSA, HMAC and the RNG; random, pkcs1, pkcs8,
#     pubkey and constraints are not needed. swanctl itself: pem openssl x509.
#   - send_cert = always (a connection option, not a local one): by default
#     charon sends its certificate only when asked by a CERTREQ.
#   - swanctl takes one certificate per file, so a chain file is split:
#     leaf to x509/, the others to x509ca/; charon then sends the
#     intermediate as a second CERT payload.
#   - `swanctl --initiate --timeout T` exits 0 once the CHILD_SA is up and
#     1 on failure; on timeout it detaches ("not established after Tms")
#     and the IKE_SA stays CONNECTING until it gives up.
#   - A charon that cannot bind UDP 500/4500 keeps running without sockets;
#     ike_daemon_start checks the log for that.

IKE_CHARON=${IKE_CHARON:-}
IKE_PLUGINS_DEFAULT="nonce openssl kdf pem x509"
declare -gA IKE_DIR=() IKE_PID=() IKE_LOG=() IKE_NS=()

_ike_find_charon() {
	[ -n "$IKE_CHARON" ] && return 0
	local c
	for c in /usr/lib/ipsec/charon /usr/libexec/ipsec/charon /usr/sbin/charon-systemd; do
		[ -x "$c" ] && { IKE_CHARON=$c; return 0; }
	done
	echo "no charon daemon found (apt-get install strongswan-charon)" >&2
	return 1
}

ike_swanctl() {
	local name=$1
	shift
	[ -n "${IKE_DIR[$name]:-}" ] || { echo "ike: unknown client '$name'" >&2; return 2; }
	STRONGSWAN_CONF=${IKE_DIR[$name]}/strongswan.conf \
		SWANCTL_DIR=${IKE_DIR[$name]}/swanctl \
		swanctl "$@" --uri "unix://${IKE_DIR[$name]}/charon.vici"
}

_ike_log_tail() {
	local name=$1
	echo "--- tail of ${IKE_LOG[$name]}"
	tail -n "${2:-15}" "${IKE_LOG[$name]}" 2>/dev/null
}

ike_daemon_start() {
	local ns=$1 name=$2 work=$3 dir i n
	_ike_find_charon || return 1
	[[ "$name" =~ ^[A-Za-z0-9_-]+$ ]] || { echo "ike: bad name '$name'" >&2; return 2; }
	for n in "${!IKE_NS[@]}"; do
		[ "${IKE_NS[$n]}" = "$ns" ] && [ -n "${IKE_PID[$n]:-}" ] &&
			kill -0 "${IKE_PID[$n]}" 2>/dev/null && {
			echo "ike: '$n' still runs in $ns (ike_client_stop it first)"; return 1; }
	done
	work=$(cd "$work" && pwd) || return 1
	dir=$work/ike-$name
	rm -rf "$dir"
	mkdir -p "$dir/run" "$dir/swanctl"/{conf.d,x509,x509ca,x509ocsp,x509aa,x509ac,x509crl,pubkey,private,rsa,ecdsa,bliss,pkcs8,pkcs12} || return 1
	chmod 700 "$dir/swanctl/private"
	[ ${#dir} -lt 95 ] || { echo "ike: '$dir' too long for a unix socket" >&2; return 1; }
	IKE_DIR[$name]=$dir
	IKE_LOG[$name]=$work/charon-$name.log
	rm -f "${IKE_LOG[$name]}"
	cat >"$dir/strongswan.conf" <<EOF
# $name: private charon configuration (tests/integration/ike_lib.sh)
charon {
	load_modular = no
	load = ${IKE_PLUGINS:-$IKE_PLUGINS_DEFAULT} ${IKE_PLUGINS_EXTRA:-} kernel-libipsec kernel-netlink socket-default vici
	port = 500
	port_nat_t = 4500
	retransmit_tries = ${IKE_RETRANSMIT_TRIES:-2}
	retransmit_timeout = ${IKE_RETRANSMIT_TIMEOUT:-1.0}
	retransmit_base = 1.8
	install_routes = yes
	install_virtual_ip = yes
	plugins {
		vici {
			socket = unix://$dir/charon.vici
		}
	}
	syslog {
		identifier = charon-$name
	}
	filelog {
		main {
			path = ${IKE_LOG[$name]}
			time_format = %H:%M:%S
			time_add_ms = yes
			ike_name = yes
			append = no
			flush_line = yes
			default = 1
			ike = 2
			cfg = 1
			knl = 1
			net = 1
			enc = 1
		}
	}
}
swanctl {
	load = ${IKE_SWANCTL_PLUGINS:-pem openssl x509}
}
EOF
	# shellcheck disable=SC2016 # $1/$2 are the inner shell's arguments
	ip netns exec "$ns" env STRONGSWAN_CONF="$dir/strongswan.conf" \
		unshare -m --propagation private \
		sh -c 'mount --bind "$1" /run && exec "$2"' sh "$dir/run" "$IKE_CHARON" \
		>"$dir/charon.out" 2>&1 &
	IKE_PID[$name]=$!
	IKE_NS[$name]=$ns
	IT_PIDS+=("$!")
	for ((i = 0; i < 100; i++)); do
		if ! kill -0 "${IKE_PID[$name]}" 2>/dev/null; then
			echo "ike: charon '$name' exited at start"
			cat "$dir/charon.out"
			_ike_log_tail "$name"
			return 1
		fi
		if [ -S "$dir/charon.vici" ] && ike_swanctl "$name" --stats >/dev/null 2>&1; then
			# charon goes on without its IKE sockets (e.g. port 500 taken).
			grep -q 'could not create any sockets' "${IKE_LOG[$name]}" || return 0
			echo "ike: charon '$name' could not bind UDP 500/4500 in $ns"
			break
		fi
		sleep 0.1
	done
	[ $i -lt 100 ] || echo "ike: charon '$name' did not answer on vici within 10 s"
	_ike_log_tail "$name"
	ike_client_stop "$ns" "$name"
	return 1
}

# _ike_split_pem FILE OUTPREFIX: one file per certificate, OUTPREFIX-N.pem
# (N from 0); prints how many.
_ike_split_pem() {
	awk -v p="$2" '
		/-----BEGIN CERTIFICATE-----/ { f = sprintf("%s-%d.pem", p, n++); inside = 1 }
		inside { print > f }
		/-----END CERTIFICATE-----/ { inside = 0; close(f) }
		END { print n + 0 }' "$1"
}

ike_client_start() {
	local ns=$1 name=$2 work=$3 cert=$4 key=$5 cacert=$6
	local ike=${7:-aes256gcm16-prfsha384-ecp384} esp=${8:-aes256gcm16}
	local rid=${9:-gw.p2sgw.test} dir n i local_id=""
	[ $# -ge 6 ] || { echo "usage: ike_client_start NS NAME WORKDIR CERT KEY CACERT" \
		"[IKE_PROP] [ESP_PROP] [REMOTE_ID]" >&2; return 2; }
	for i in "$cert" "$key" "$cacert"; do
		[ -r "$i" ] || { echo "ike: cannot read '$i'"; return 1; }
	done
	ike_daemon_start "$ns" "$name" "$work" || return 1
	dir=${IKE_DIR[$name]}/swanctl

	n=$(_ike_split_pem "$cert" "$dir/x509ca/chain")
	[ "$n" -ge 1 ] || { echo "ike: no certificate in '$cert'"; ike_client_stop "$ns" "$name"; return 1; }
	mv "$dir/x509ca/chain-0.pem" "$dir/x509/client.pem"
	n=$(_ike_split_pem "$cacert" "$dir/x509ca/ca")
	[ "$n" -ge 1 ] || { echo "ike: no certificate in '$cacert'"; ike_client_stop "$ns" "$name"; return 1; }
	install -m 600 "$key" "$dir/private/client.key"
	[ -n "${IKE_LOCAL_ID:-}" ] && local_id="id = $IKE_LOCAL_ID"

	cat >"$dir/swanctl.conf" <<EOF
connections {
	$name {
		version = 2
		remote_addrs = ${IKE_REMOTE_ADDR:-172.16.10.1}
		vips = 0.0.0.0
		encap = yes
		mobike = no
		send_cert = always
		proposals = $ike
		dpd_delay = 0
		rekey_time = 24h
		reauth_time = 0
		over_time = 1h
		local {
			auth = pubkey
			certs = client.pem
			$local_id
		}
		remote {
			auth = pubkey
			id = $rid
		}
		children {
			$name {
				mode = tunnel
				remote_ts = ${IKE_REMOTE_TS:-10.10.0.0/24}
				esp_proposals = $esp
				start_action = none
				dpd_action = clear
				close_action = none
				rekey_time = 24h
				rekey_bytes = 0
				rekey_packets = 0
${IKE_CHILD_EXTRA:-}
			}
		}
${IKE_CONN_EXTRA:-}
	}
}
EOF
	ike_swanctl "$name" --load-all --noprompt >"${IKE_DIR[$name]}/load.out" 2>&1 || {
		echo "ike: swanctl --load-all failed for '$name'"
		cat "${IKE_DIR[$name]}/load.out"
		_ike_log_tail "$name"
		ike_client_stop "$ns" "$name"
		return 1
	}
}

# _ike_state NAME: "IKE_STATE CHILD_STATE" of connection NAME ("- -" if none).
_ike_state() {
	ike_swanctl "$1" --list-sas --ike "$1" --raw 2>/dev/null | awk '
		{
			s = "-"; c = "-"
			if (match($0, /state=[A-Z_]+/)) s = substr($0, RSTART + 6, RLENGTH - 6)
			if (match($0, /child-sas \{.*state=[A-Z_]+/)) {
				t = substr($0, RSTART, RLENGTH)
				match(t, /state=[A-Z_]+$/); c = substr(t, RSTART + 6, RLENGTH - 6)
			}
			if (s != "-") { print s, c; found = 1; exit }
		}
		END { if (!found) print "- -" }'
}

ike_client_up() {
	local ns=$1 name=$2 tmo=${3:-20} out rc st
	[ -n "${IKE_DIR[$name]:-}" ] || { echo "ike: unknown client '$name'"; return 2; }
	out=${IKE_DIR[$name]}/initiate.out
	st=$(_ike_state "$name")
	[ "$st" = "- -" ] || { echo "an IKE_SA of '$name' exists already ($st)"; return 1; }
	ip netns exec "$ns" timeout $((tmo + 5)) env \
		STRONGSWAN_CONF="${IKE_DIR[$name]}/strongswan.conf" \
		SWANCTL_DIR="${IKE_DIR[$name]}/swanctl" \
		swanctl --initiate --child "$name" --ike "$name" --timeout "$tmo" \
		--uri "unix://${IKE_DIR[$name]}/charon.vici" >"$out" 2>&1
	rc=$?
	st=$(_ike_state "$name")
	if [ $rc -eq 0 ] && [ "$st" = "ESTABLISHED INSTALLED" ]; then
		return 0
	fi
	# The most telling line: a notify error, else any failure, else the last.
	grep -m1 -E 'received [A-Z_]+ notify error|NO_PROPOSAL|AUTH.*fail|constraint check failed|no trusted|giving up' "$out" ||
		grep -m1 -iE 'fail|error|timed? ?out' "$out" || tail -n 1 "$out"
	echo "swanctl rc=$rc, SA state: $st"
	# Leave no half-made IKE_SA behind, so that the next attempt starts afresh.
	[ "$st" = "- -" ] || [ "${IKE_KEEP_FAILED:-0}" = 1 ] ||
		ike_swanctl "$name" --terminate --ike "$name" --force --timeout 2 >/dev/null 2>&1
	return 1
}

ike_client_down() {
	local ns=$1 name=$2 i
	[ -n "${IKE_DIR[$name]:-}" ] || { echo "ike: unknown client '$name'"; return 2; }
	ike_swanctl "$name" --terminate --ike "$name" --timeout 10 \
		>"${IKE_DIR[$name]}/terminate.out" 2>&1
	for ((i = 0; i < 50; i++)); do
		[ "$(_ike_state "$name")" = "- -" ] && return 0
		sleep 0.1
	done
	echo "IKE_SA '$name' still there: $(_ike_state "$name")"
	return 1
}

ike_client_vip() {
	local ns=$1 name=$2 v
	[ -n "${IKE_DIR[$name]:-}" ] || { echo "ike: unknown client '$name'" >&2; return 2; }
	v=$(ike_swanctl "$name" --list-sas --ike "$name" --raw 2>/dev/null | \
		grep -o 'local-vips=\[[^]]*\]' | head -n 1 | sed 's/^local-vips=\[//; s/\]$//')
	[ -n "$v" ] || return 1
	tr ' ' '\n' <<<"$v" | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$'
}

ike_client_sas() {
	local ns=$1 name=$2
	shift 2
	ike_swanctl "$name" --list-sas "$@"
}

ike_client_stop() {
	local ns=$1 name=$2
	[ -n "${IKE_PID[$name]:-}" ] || return 0
	it_stop_pid "${IKE_PID[$name]}" 5
	unset "IKE_PID[$name]" "IKE_NS[$name]"
}
