// SPDX-License-Identifier: GPL-2.0-only
/*
 * NVSP message checks, both ends.  Pure: no allocation, every read checked
 * against the given length, so enl_netvsc, enl-netvsp, the unit tests and
 * the fuzzer run the same checks.
 */
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

#include <enl/nvsp_msg.h>

/* One row per type: its name and the body bytes it needs. */
struct nvsp_type_row {
	u32 type;
	u8 body_min;
	const char *name;
};

static const struct nvsp_type_row nvsp_types[] = {
	{ ENL_NVSP_MSG_INIT, sizeof(struct enl_nvsp_init), "INIT" },
	{ ENL_NVSP_MSG_INIT_COMPLETE, sizeof(struct enl_nvsp_init_complete),
	  "INIT_COMPLETE" },
	{ ENL_NVSP_MSG1_SEND_NDIS_VER, sizeof(struct enl_nvsp_ndis_ver),
	  "SEND_NDIS_VER" },
	{ ENL_NVSP_MSG1_SEND_RECV_BUF, sizeof(struct enl_nvsp_send_buf),
	  "SEND_RECV_BUF" },
	{ ENL_NVSP_MSG1_SEND_RECV_BUF_COMPLETE,
	  sizeof(struct enl_nvsp_recv_buf_complete), "SEND_RECV_BUF_COMPLETE" },
	{ ENL_NVSP_MSG1_REVOKE_RECV_BUF, sizeof(struct enl_nvsp_revoke_buf),
	  "REVOKE_RECV_BUF" },
	{ ENL_NVSP_MSG1_SEND_SEND_BUF, sizeof(struct enl_nvsp_send_buf),
	  "SEND_SEND_BUF" },
	{ ENL_NVSP_MSG1_SEND_SEND_BUF_COMPLETE,
	  sizeof(struct enl_nvsp_send_buf_complete), "SEND_SEND_BUF_COMPLETE" },
	{ ENL_NVSP_MSG1_REVOKE_SEND_BUF, sizeof(struct enl_nvsp_revoke_buf),
	  "REVOKE_SEND_BUF" },
	{ ENL_NVSP_MSG1_SEND_RNDIS_PKT, sizeof(struct enl_nvsp_rndis_pkt),
	  "SEND_RNDIS_PKT" },
	{ ENL_NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE,
	  sizeof(struct enl_nvsp_rndis_pkt_complete), "SEND_RNDIS_PKT_COMPLETE" },
	{ ENL_NVSP_MSG2_SEND_NDIS_CONFIG, sizeof(struct enl_nvsp_ndis_config),
	  "SEND_NDIS_CONFIG" },
	{ ENL_NVSP_MSG4_SEND_VF_ASSOCIATION,
	  sizeof(struct enl_nvsp_vf_association), "SEND_VF_ASSOCIATION" },
	{ ENL_NVSP_MSG4_SWITCH_DATA_PATH,
	  sizeof(struct enl_nvsp_switch_data_path), "SWITCH_DATA_PATH" },
	{ ENL_NVSP_MSG5_SUBCHANNEL, sizeof(struct enl_nvsp_subchannel_req),
	  "SUBCHANNEL" },
	{ ENL_NVSP_MSG5_SEND_INDIRECTION_TABLE,
	  sizeof(struct enl_nvsp_indirection_table), "SEND_INDIRECTION_TABLE" },
};

static const struct nvsp_type_row *nvsp_row(u32 type)
{
	unsigned int i;

	for (i = 0; i < ENL_ARRAY_SIZE(nvsp_types); i++)
		if (nvsp_types[i].type == type)
			return &nvsp_types[i];
	return NULL;
}

int enl_nvsp_body_min(u32 type)
{
	const struct nvsp_type_row *r = nvsp_row(type);

	return r ? r->body_min : -1;
}

const char *enl_nvsp_msg_name(u32 type)
{
	const struct nvsp_type_row *r = nvsp_row(type);

	return r ? r->name : "?";
}

int enl_nvsp_parse(const void *payload, u32 len, struct enl_nvsp_msg *out)
{
	int need;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(u32))
		return -EMSGSIZE;
	memcpy(out, payload, len < sizeof(*out) ? len : sizeof(*out));
	need = enl_nvsp_body_min(out->type);
	if (need < 0)
		return -EPROTO;
	if (len - sizeof(u32) < (u32)need)
		return -EMSGSIZE;
	return 0;
}
