/* SPDX-License-Identifier: BSD-3-Clause
 * IKEv2 on the wire (RFC 7296 section 3, RFC 3948, RFC 7427): every
 * header, every size and every number the responder uses, in one place.
 * Multi-byte fields are big-endian; the structs are only ever copied
 * out of a buffer after its length was checked (never cast in place).
 */
#ifndef CP_IKEV2_WIRE_H
#define CP_IKEV2_WIRE_H

#include <stdint.h>

enum {
	IKE_PORT = 500,
	IKE_NATT_PORT = 4500,
	IKE_NON_ESP_MARKER_LEN = 4,	/* zero bytes before IKE on 4500 */

	IKE_HDR_LEN = 28,
	IKE_GEN_HDR_LEN = 4,		/* generic payload header */
	IKE_VERSION = 0x20,		/* major 2, minor 0 */
	IKE_MAX_MSG = 65535,		/* the length field's limit */
	IKE_MAX_UDP = 65535 - 8 - 20,

	/* header flags */
	IKE_FLAG_INITIATOR = 0x08,
	IKE_FLAG_VERSION = 0x10,
	IKE_FLAG_RESPONSE = 0x20,
	IKE_CRITICAL = 0x80,		/* in the generic header's 2nd byte */

	/* payload sizes (fixed part after the generic header) */
	IKE_PROP_HDR_LEN = 8,
	IKE_XFORM_HDR_LEN = 8,
	IKE_ATTR_TV_LEN = 4,
	IKE_KE_FIXED = 4,
	IKE_ID_FIXED = 4,
	IKE_AUTH_FIXED = 4,
	IKE_CERT_FIXED = 1,
	IKE_N_FIXED = 4,
	IKE_D_FIXED = 4,
	IKE_TS_FIXED = 4,
	IKE_TS4_LEN = 16,		/* one IPv4 address-range selector */
	IKE_TS6_LEN = 40,
	IKE_CP_FIXED = 4,
	IKE_CP_ATTR_HDR = 4,
	IKE_NONCE_MIN = 16,
	IKE_NONCE_MAX = 256,
	IKE_NONCE_LEN = 32,		/* ours */
	IKE_SPI_LEN = 8,
	IKE_ESP_SPI_LEN = 4,
	IKE_NATD_LEN = 20,		/* SHA-1 */
	IKE_CERTREQ_HASH_LEN = 20,

	IKE_MAX_PAYLOADS = 64,		/* in one message, inner included */
	IKE_MAX_PROPOSALS = 32,
	IKE_MAX_XFORMS = 64,		/* in one proposal */
	IKE_MAX_TS = 16,		/* parsed per TS payload */
};

enum ike_exchange {
	IKE_SA_INIT = 34,
	IKE_AUTH = 35,
	IKE_CREATE_CHILD_SA = 36,
	IKE_INFORMATIONAL = 37,
};

enum ike_payload_type {
	IKE_PL_NONE = 0,
	IKE_PL_SA = 33,
	IKE_PL_KE = 34,
	IKE_PL_IDI = 35,
	IKE_PL_IDR = 36,
	IKE_PL_CERT = 37,
	IKE_PL_CERTREQ = 38,
	IKE_PL_AUTH = 39,
	IKE_PL_NONCE = 40,
	IKE_PL_NOTIFY = 41,
	IKE_PL_DELETE = 42,
	IKE_PL_VENDOR = 43,
	IKE_PL_TSI = 44,
	IKE_PL_TSR = 45,
	IKE_PL_SK = 46,
	IKE_PL_CP = 47,
	IKE_PL_EAP = 48,
	IKE_PL_SKF = 53,		/* RFC 7383 */
};

enum ike_proto {
	IKE_PROTO_IKE = 1,
	IKE_PROTO_AH = 2,
	IKE_PROTO_ESP = 3,
};

enum ike_xform_type {
	IKE_XF_ENCR = 1,
	IKE_XF_PRF = 2,
	IKE_XF_INTEG = 3,
	IKE_XF_DH = 4,
	IKE_XF_ESN = 5,
	IKE_XF_TYPES = 6,
};

enum {
	IKE_ATTR_KEY_LENGTH = 14,
	IKE_ATTR_TV = 0x8000,		/* attribute format bit */
	IKE_ESN_NO = 0,
	IKE_ESN_YES = 1,
	IKE_PROP_LAST = 0,
	IKE_PROP_MORE = 2,
	IKE_XFORM_LAST = 0,
	IKE_XFORM_MORE = 3,
};

enum ike_notify {
	/* errors */
	IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	IKE_N_INVALID_IKE_SPI = 4,
	IKE_N_INVALID_MAJOR_VERSION = 5,
	IKE_N_INVALID_SYNTAX = 7,
	IKE_N_INVALID_MESSAGE_ID = 9,
	IKE_N_INVALID_SPI = 11,
	IKE_N_NO_PROPOSAL_CHOSEN = 14,
	IKE_N_INVALID_KE_PAYLOAD = 17,
	IKE_N_AUTHENTICATION_FAILED = 24,
	IKE_N_SINGLE_PAIR_REQUIRED = 34,
	IKE_N_NO_ADDITIONAL_SAS = 35,
	IKE_N_INTERNAL_ADDRESS_FAILURE = 36,
	IKE_N_FAILED_CP_REQUIRED = 37,
	IKE_N_TS_UNACCEPTABLE = 38,
	IKE_N_INVALID_SELECTORS = 39,
	IKE_N_TEMPORARY_FAILURE = 43,
	IKE_N_CHILD_SA_NOT_FOUND = 44,
	IKE_N_ERROR_MAX = 16383,	/* below: errors, above: status */
	/* status */
	IKE_N_INITIAL_CONTACT = 16384,
	IKE_N_SET_WINDOW_SIZE = 16385,
	IKE_N_ADDITIONAL_TS_POSSIBLE = 16386,
	IKE_N_IPCOMP_SUPPORTED = 16387,
	IKE_N_NAT_DETECTION_SOURCE_IP = 16388,
	IKE_N_NAT_DETECTION_DESTINATION_IP = 16389,
	IKE_N_COOKIE = 16390,
	IKE_N_USE_TRANSPORT_MODE = 16391,
	IKE_N_HTTP_CERT_LOOKUP_SUPPORTED = 16392,
	IKE_N_REKEY_SA = 16393,
	IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	IKE_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
	IKE_N_MOBIKE_SUPPORTED = 16396,
	IKE_N_EAP_ONLY_AUTHENTICATION = 16417,
	IKE_N_IKEV2_FRAGMENTATION_SUPPORTED = 16430,
	IKE_N_SIGNATURE_HASH_ALGORITHMS = 16431,
};

enum {
	IKE_CERT_X509_SIG = 4,		/* CERT / CERTREQ encoding */

	IKE_TS_IPV4_ADDR_RANGE = 7,
	IKE_TS_IPV6_ADDR_RANGE = 8,

	IKE_CFG_REQUEST = 1,
	IKE_CFG_REPLY = 2,
	IKE_CFG_SET = 3,
	IKE_CFG_ACK = 4,
	IKE_CFG_ATTR_TYPE_MASK = 0x7fff,
	IKE_CFG_IP4_ADDRESS = 1,
	IKE_CFG_IP4_NETMASK = 2,
	IKE_CFG_IP4_DNS = 3,
	IKE_CFG_IP4_NBNS = 4,
	IKE_CFG_IP4_DHCP = 6,
	IKE_CFG_APP_VERSION = 7,
	IKE_CFG_IP6_ADDRESS = 8,
	IKE_CFG_IP6_DNS = 10,
	IKE_CFG_IP4_SUBNET = 13,
	IKE_CFG_SUPPORTED_ATTRIBUTES = 14,
};

/* The fixed header (RFC 7296 3.1). */
struct ike_hdr {
	uint8_t spi_i[IKE_SPI_LEN];
	uint8_t spi_r[IKE_SPI_LEN];
	uint8_t next;
	uint8_t version;
	uint8_t exchange;
	uint8_t flags;
	uint32_t msgid;			/* host order once parsed */
	uint32_t length;
};

static inline uint16_t
ike_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
ike_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static inline void
ike_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
ike_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif /* CP_IKEV2_WIRE_H */
