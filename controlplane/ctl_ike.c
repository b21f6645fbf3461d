/* SPDX-License-Identifier: BSD-3-Clause
 * Control socket commands of the IKEv2 responder: "ike" lists the IKE
 * SAs with their counters; "disconnect" deletes a client's IKE SA (a
 * DELETE to the client, its CHILD SA out of the dataplane) and falls
 * back to removing a tunnel of that name.
 */
#include <string.h>

#include "ctl.h"
#include "ike.h"
#include "jw.h"
#include "log.h"

int
ctl_cmd_ike(struct ctl_req *req)
{
	struct jw w = { 0 };

	if (ctl_keys(req, NULL) != 0)
		return CTL_ERROR;
	if (req->cp->ike == NULL)
		return ctl_fail(req, "the IKEv2 responder is off (p2s.tunnel_types"
				" without ikev2, or no auth.certificate)");
	jw_obj(&w, NULL);
	jw_bool(&w, "ok", true);
	ike_show_stats(req->cp->ike, &w);
	ike_show(req->cp->ike, &w);
	jw_end_obj(&w);
	req->text = jw_finish(&w);
	return CTL_REPLY;
}

int
ctl_cmd_disconnect(struct ctl_req *req)
{
	static const char *const keys[] = { "name", NULL };
	const char *name = NULL;
	char err[128];

	if (ctl_keys(req, keys) != 0 ||
	    ctl_get_str(req, "name", true, &name) != 0)
		return CTL_ERROR;
	if (req->cp->ike != NULL &&
	    ike_disconnect(req->cp->ike, name, err, sizeof(err)) == 0) {
		log_info("control socket: disconnecting IKE SA %s", name);
		json_object_object_add(req->out, "name",
				       json_object_new_string(name));
		json_object_object_add(req->out, "state",
				       json_object_new_string("deleting"));
		return CTL_REPLY;
	}
	return ctl_cmd_sa_del(req);
}
