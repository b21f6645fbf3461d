/* SPDX-License-Identifier: BSD-3-Clause
 * ESP on the wire: RFC 4303 (ESP), RFC 4106 (AES-GCM in ESP), RFC 3602
 * (AES-CBC), RFC 3948 (UDP encapsulation). Every size the ESP code uses is
 * named here.
 *
 *   [outer IPv4][UDP 4500]?[SPI][seq][IV][payload][pad][padlen][nh][ICV]
 *                          '------ esp_hdr -----'
 */
#ifndef P2SGW_ESP_WIRE_H
#define P2SGW_ESP_WIRE_H

#include <stdint.h>

#include <rte_byteorder.h>

struct esp_hdr_wire {
	rte_be32_t spi;
	rte_be32_t seq;
} __attribute__((packed));

struct esp_tail_wire {
	uint8_t pad_len;
	uint8_t next_proto;
} __attribute__((packed));

enum {
	ESP_HDR_LEN = sizeof(struct esp_hdr_wire),	/* 8 */
	ESP_TAIL_LEN = sizeof(struct esp_tail_wire),	/* 2 */
	ESP_MAX_IV_LEN = 16,
	ESP_MAX_ICV_LEN = 16,
	ESP_MAX_PAD = 255,
	ESP_AAD_LEN = 8,		/* SPI || seq */
	ESP_AAD_ESN_LEN = 12,		/* SPI || seq_hi || seq_lo (RFC 4106 s5) */
	ESP_SEQ_HI_LEN = 4,		/* ESN high bits, authenticated not sent */
	ESP_SPI_MIN = 256,		/* 1..255 reserved (RFC 4303 s2.1) */

	IPPROTO_ESP_NUM = 50,
	ESP_NEXT_IPV4 = 4,
	ESP_NEXT_IPV6 = 41,
	ESP_NEXT_DUMMY = 59,		/* RFC 4303 s2.6: discard */

	NATT_PORT = 4500,		/* RFC 3948 */
	IKE_PORT = 500,
	NATT_NON_ESP_MARKER_LEN = 4,	/* zero SPI: IKE on port 4500 */
	NATT_KEEPALIVE_LEN = 1,		/* a single 0xff byte */
	NATT_KEEPALIVE_BYTE = 0xff,
	UDP_HDR_LEN = 8,
	IPV4_HDR_LEN = 20,
	ETH_HDR_LEN = 14,

	/* Worst-case outer overhead, for MTU checks: IPv4 + UDP + ESP hdr +
	 * CBC IV + (block-1) pad + trailer + ICV. */
	ESP_MAX_OVERHEAD = IPV4_HDR_LEN + UDP_HDR_LEN + ESP_HDR_LEN +
			   ESP_MAX_IV_LEN + 15 + ESP_TAIL_LEN + ESP_MAX_ICV_LEN,
};

/* Largest 32-bit sequence number we send before the SA is exhausted: RFC
 * 4303 s3.3.3 says a counter must not cycle; the SA needs a rekey first. */
#define ESP_SEQ32_LAST UINT32_MAX
#define ESP_SEQ64_LAST UINT64_MAX

#endif /* P2SGW_ESP_WIRE_H */
