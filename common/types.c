/* SPDX-License-Identifier: BSD-3-Clause */
#include "p2sgw_types.h"

const char *
p2sgw_suite_name(enum p2sgw_suite s)
{
	switch (s) {
	case P2SGW_SUITE_AES256GCM16:
		return "aes256gcm16";
	case P2SGW_SUITE_AES256CBC_SHA256:
		return "aes256-sha256";
	case P2SGW_SUITE_AES256CBC_SHA1:
		return "aes256-sha1";
	default:
		return "unknown";
	}
}
