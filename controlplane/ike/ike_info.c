/* SPDX-License-Identifier: BSD-3-Clause
 * INFORMATIONAL (RFC 7296 1.4): DELETE of the IKE SA or of the CHILD SA
 * from the client, empty requests (liveness), our own DELETE when the
 * operator disconnects a client, and the answer to it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp.h"
#include "dpchan.h"
#include "ike_int.h"
#include "log.h"
#include "tunnels.h"

static void
remove_child(struct ike *x, struct ike_sa *sa)
{
	char err[TM_FAIL_LEN];

	if (!sa->child.present)
		return;
	if (tm_del(x->cp->tm, sa->child.name, NULL, err, sizeof(err)) < 0)
		SA_LOG(CP_LOG_WARNING, sa, "CHILD SA %s: %s", sa->child.name, err);
	sa->child.present = false;
	if (x->cp->dpc != NULL)
		dpchan_kick(x->cp->dpc);
}

void
ike_info_request(struct ike *x, struct ike_sa *sa, struct ike_msg *m)
{
	bool del_ike = false, del_child = false, del_old = false, del_red = false;
	struct ike_out in;
	const char *why;

	for (unsigned i = 0; i < m->n; i++) {
		struct ike_del d;

		if (m->pl[i].type != IKE_PL_DELETE || !m->pl[i].inner)
			continue;
		if (ike_dec_delete(&m->pl[i], &d, &why) < 0) {
			SA_LOG(CP_LOG_INFO, sa, "malformed Delete: %s", why);
			ike_respond_error(x, sa, m, IKE_N_INVALID_SYNTAX);
			return;
		}
		if (d.proto == IKE_PROTO_IKE)
			del_ike = true;
		for (unsigned j = 0; d.proto == IKE_PROTO_ESP && j < d.n_spi; j++) {
			uint32_t spi = ike_get32(d.spis + 4 * j);

			if (sa->child.present && spi == sa->child.spi_out)
				del_child = true;
			/* the SA a rekey replaced: it leaves the dataplane
			 * by itself; answer with our half of it */
			else if (spi != 0 && spi == sa->child.old_spi_out)
				del_old = true;
			/* the client's SA that lost a rekey collision */
			else if (spi != 0 && spi == sa->child.red_spi_out)
				del_red = true;
		}
	}
	ike_out_chain(&in, x->ibuf, sizeof(x->ibuf));
	if (del_ike || sa->state == IKE_S_DELETING) {
		ike_send_sk(x, sa, IKE_INFORMATIONAL, m->hdr.msgid, true, &in);
		if (del_ike)
			x->st.deleted_by_peer++;
		ike_sa_destroy(x, sa, del_ike ? "DELETE from the client" :
			       "deleted by both sides");
		return;
	}
	if (del_old) {
		ike_out_delete(&in, IKE_PROTO_ESP, sa->child.old_spi_in);
		sa->child.old_spi_in = sa->child.old_spi_out = 0;
	}
	if (del_red) {
		ike_out_delete(&in, IKE_PROTO_ESP, sa->child.red_spi_in);
		sa->child.red_spi_in = sa->child.red_spi_out = 0;
	}
	if (del_child) {
		ike_out_delete(&in, IKE_PROTO_ESP, sa->child.spi_in);
		SA_LOG(CP_LOG_INFO, sa, "client deleted CHILD SA %s",
		       sa->child.name);
		remove_child(x, sa);
	}
	ike_send_sk(x, sa, IKE_INFORMATIONAL, m->hdr.msgid, true, &in);
}

void
ike_dpd_start(struct ike *x, struct ike_sa *sa)
{
	struct ike_out in;

	ike_out_chain(&in, x->ibuf, sizeof(x->ibuf));
	if (ike_send_sk(x, sa, IKE_INFORMATIONAL, sa->my_next++, false, &in) < 0)
		return;
	x->st.dpd_sent++;
	sa->dpd_start_ns = sa->req_start_ns;
	SA_LOG(CP_LOG_DEBUG, sa, "idle: liveness check");
}

void
ike_info_response(struct ike *x, struct ike_sa *sa, struct ike_msg *m)
{
	(void)m;
	free(sa->req);
	sa->req = NULL;
	sa->req_len = 0;
	loop_timer_stop(x->loop, &sa->timer);
	if (sa->dpd_start_ns != 0) {
		x->st.dpd_answered++;
		sa->dpd_start_ns = 0;
	}
	if (sa->state == IKE_S_DELETING)
		ike_sa_destroy(x, sa, "client acknowledged our DELETE");
}

void
ike_delete_start(struct ike *x, struct ike_sa *sa, const char *why)
{
	if (sa->state == IKE_S_DELETING)
		return;
	if (sa->state == IKE_S_HALF_OPEN) {
		ike_sa_destroy(x, sa, why);
		return;
	}
	SA_LOG(CP_LOG_NOTICE, sa, "deleting the IKE SA of '%s': %s",
	       sa->identity, why);
	remove_child(x, sa);
	ike_sa_state(sa, IKE_S_DELETING, why);
	if (sa->req != NULL) {
		/* the client would ignore a second request in flight */
		sa->delete_queued = true;
		return;
	}
	ike_delete_send(x, sa, why);
}

void
ike_delete_send(struct ike *x, struct ike_sa *sa, const char *why)
{
	struct ike_out in;

	sa->delete_queued = false;
	ike_out_chain(&in, x->ibuf, sizeof(x->ibuf));
	if (ike_out_delete(&in, IKE_PROTO_IKE, 0) < 0 ||
	    ike_send_sk(x, sa, IKE_INFORMATIONAL, sa->my_next++, false, &in) < 0)
		ike_sa_destroy(x, sa, why);
}
