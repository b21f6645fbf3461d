/* SPDX-License-Identifier: BSD-3-Clause
 * Init-time only: configures the exception TUN through ioctl and rtnetlink.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "host.h"

static int
iface_up(const char *ifname, uint16_t mtu)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_mtu = mtu;
	if (ioctl(fd, SIOCSIFMTU, &ifr) == 0 &&
	    ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rc;
}

static void
rta_put(struct nlmsghdr *nh, unsigned short type, const void *data,
	unsigned short len)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh +
					       NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Send one request and read its acknowledgement; "already there" is
 * success. */
static int
nl_request(int nl, const struct nlmsghdr *nh)
{
	char ack[256];
	struct nlmsghdr *rh = (struct nlmsghdr *)ack;
	ssize_t r;

	if (send(nl, nh, nh->nlmsg_len, 0) < 0)
		return -errno;
	r = recv(nl, ack, sizeof(ack), 0);
	if (r < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)))
		return -EIO;
	if (rh->nlmsg_type == NLMSG_ERROR) {
		int e = ((struct nlmsgerr *)NLMSG_DATA(rh))->error;

		if (e != 0 && e != -EEXIST)
			return e;
	}
	return 0;
}

/* RTM_NEWADDR; an address that is already there is fine. */
static int
addr_add(int nl, unsigned ifindex, uint32_t addr, uint8_t len, uint32_t seq)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
		char attrs[64];
	} req;
	uint32_t be = htonl(addr);

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
	req.nh.nlmsg_type = RTM_NEWADDR;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
			     NLM_F_REPLACE;
	req.nh.nlmsg_seq = seq;
	req.ifa.ifa_family = AF_INET;
	req.ifa.ifa_prefixlen = len;
	req.ifa.ifa_index = ifindex;
	rta_put(&req.nh, IFA_LOCAL, &be, sizeof(be));
	rta_put(&req.nh, IFA_ADDRESS, &be, sizeof(be));
	return nl_request(nl, &req.nh);
}

/* RTM_NEWROUTE: PREFIX/LEN via IFINDEX (the client pools). */
static int
route_add(int nl, unsigned ifindex, uint32_t prefix, uint8_t len, uint32_t seq)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		char attrs[64];
	} req;
	uint32_t be = htonl(prefix), oif = ifindex;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.rt));
	req.nh.nlmsg_type = RTM_NEWROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
			     NLM_F_REPLACE;
	req.nh.nlmsg_seq = seq;
	req.rt.rtm_family = AF_INET;
	req.rt.rtm_dst_len = len;
	req.rt.rtm_table = RT_TABLE_MAIN;
	req.rt.rtm_protocol = RTPROT_STATIC;
	req.rt.rtm_scope = RT_SCOPE_LINK;
	req.rt.rtm_type = RTN_UNICAST;
	rta_put(&req.nh, RTA_DST, &be, sizeof(be));
	rta_put(&req.nh, RTA_OIF, &oif, sizeof(oif));
	return nl_request(nl, &req.nh);
}

int
dp_host_iface_setup(const char *ifname, uint16_t mtu, const uint32_t *addrs,
		    const uint8_t *lens, unsigned n,
		    const struct p2sgw_prefix4 *routes, unsigned nroutes,
		    char *err, size_t errlen)
{
	unsigned ifindex = if_nametoindex(ifname), i;
	char path[128];
	FILE *f;
	int nl, rc = 0;

	if (ifindex == 0) {
		snprintf(err, errlen, "exception interface %s not found", ifname);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 ifname);
	f = fopen(path, "w");
	if (f != NULL) {
		fputs("1", f);
		fclose(f);
	}
	if (iface_up(ifname, mtu) != 0) {
		snprintf(err, errlen, "cannot bring %s up: %s", ifname, strerror(errno));
		return -1;
	}
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl < 0) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++)
		rc = addr_add(nl, ifindex, addrs[i], lens[i], i + 1);
	for (i = 0; i < nroutes && rc == 0; i++)
		rc = route_add(nl, ifindex, routes[i].addr, routes[i].len,
			       n + i + 1);
	close(nl);
	if (rc != 0) {
		snprintf(err, errlen, "cannot add addresses/routes to %s: %s", ifname,
			 strerror(-rc));
		return -1;
	}
	return 0;
}
