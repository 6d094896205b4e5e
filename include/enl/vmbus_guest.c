// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest-side VMBus control-plane logic; see vmbus_guest.h.  Pure: no
 * allocation, no shared memory, every length checked.
 */
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

/* only here: the kernel's own Hyper-V headers use the same names */
#include <enl/hv_tlfs.h>
#include <enl/vmbus_guest.h>

const u32 enl_vmbus_versions[ENL_VMBUS_NR_VERSIONS] = {
	VMBUS_VERSION_WIN10_V5_3,
	VMBUS_VERSION_WIN10_V5_2,
	VMBUS_VERSION_WIN10_V5_1,
	VMBUS_VERSION_WIN10_V5,
	VMBUS_VERSION_WIN10_V4_1,
	VMBUS_VERSION_WIN10,
	VMBUS_VERSION_WIN8_1,
	VMBUS_VERSION_WIN8,
};

u32 enl_vmbus_contact_conn_id(u32 version)
{
	return version >= VMBUS_VERSION_WIN10_V5 ?
	       VMBUS_MESSAGE_CONNECTION_ID_4 : VMBUS_MESSAGE_CONNECTION_ID;
}

u32 enl_vmbus_msg_conn_id(u32 version, u32 returned)
{
	if (version < VMBUS_VERSION_WIN10_V5)
		return VMBUS_MESSAGE_CONNECTION_ID;
	/* A host that leaves it 0 keeps talking on the contact connection. */
	return returned ? returned : VMBUS_MESSAGE_CONNECTION_ID_4;
}

int enl_vmbus_post_errno(u32 msgtype, u64 status)
{
	switch (status & 0xffff) {
	case HV_STATUS_SUCCESS:
		return 0;
	case HV_STATUS_INSUFFICIENT_BUFFERS:
		return -EAGAIN;
	case HV_STATUS_INVALID_CONNECTION_ID:
		/* an old host's answer to a 5.x contact on connection id 4 */
		if (msgtype == CHANNELMSG_INITIATE_CONTACT)
			return -ENXIO;
		return -EAGAIN;
	default:
		return -EIO;
	}
}

static bool enl_vmbus_known_version(u32 version)
{
	unsigned int i;

	for (i = 0; i < ENL_VMBUS_NR_VERSIONS; i++)
		if (enl_vmbus_versions[i] == version)
			return true;
	return false;
}

enum enl_vmbus_walk enl_vmbus_walk_step(u32 version, int result)
{
	if (!enl_vmbus_known_version(version))
		return ENL_WALK_GIVE_UP;
	switch (result) {
	case 0:
		return ENL_WALK_CONNECTED;
	case -EPROTONOSUPPORT:
		return ENL_WALK_OLDER;
	case -ENXIO:
		/*
		 * Only connection id 4 is missing on old hosts; without
		 * connection id 1 no version can be reached.
		 */
		if (enl_vmbus_contact_conn_id(version) != VMBUS_MESSAGE_CONNECTION_ID)
			return ENL_WALK_OLDER;
		return ENL_WALK_GIVE_UP;
	default:
		return ENL_WALK_GIVE_UP;
	}
}

void enl_vmbus_build_contact(struct vmbus_initiate_contact *m, u32 version,
			     u32 target_vp, u64 int_page, u64 mon1, u64 mon2)
{
	memset(m, 0, sizeof(*m));
	m->hdr.msgtype = CHANNELMSG_INITIATE_CONTACT;
	m->version_requested = version;
	m->target_vcpu = target_vp;
	if (version >= VMBUS_VERSION_WIN10_V5)
		m->msg_sint = 2;
	else
		m->interrupt_page = int_page;
	m->monitor_page1 = mon1;
	m->monitor_page2 = mon2;
}

bool enl_vmbus_offer_same_device(const struct vmbus_offer_channel *a,
				 const struct vmbus_offer_channel *b)
{
	return !memcmp(&a->if_type, &b->if_type, sizeof(a->if_type)) &&
	       !memcmp(&a->if_instance, &b->if_instance, sizeof(a->if_instance));
}

enum enl_vmbus_offer_kind
enl_vmbus_offer_kind(const struct vmbus_offer_channel *o,
		     const struct vmbus_offer_channel *primary)
{
	if (primary && !enl_vmbus_offer_same_device(o, primary))
		primary = NULL;
	if (!primary)
		return o->sub_channel_index ? ENL_OFFER_ORPHAN : ENL_OFFER_PRIMARY;
	return o->sub_channel_index ? ENL_OFFER_SUBCHANNEL : ENL_OFFER_DUPLICATE;
}

u32 enl_vmbus_host_msg_min_len(u32 type)
{
	switch (type) {
	case CHANNELMSG_OFFERCHANNEL:
		return sizeof(struct vmbus_offer_channel);
	case CHANNELMSG_RESCIND_CHANNELOFFER:
		return sizeof(struct vmbus_relid_msg);
	case CHANNELMSG_ALLOFFERS_DELIVERED:
	case CHANNELMSG_UNLOAD_RESPONSE:
		return sizeof(struct vmbus_msg_hdr);
	case CHANNELMSG_OPENCHANNEL_RESULT:
		return sizeof(struct vmbus_open_result);
	case CHANNELMSG_GPADL_CREATED:
		return sizeof(struct vmbus_gpadl_created);
	case CHANNELMSG_GPADL_TORNDOWN:
		return sizeof(struct vmbus_gpadl_torndown);
	case CHANNELMSG_VERSION_RESPONSE:
		/* msg_conn_id exists from 5.0 on: older hosts send 12 bytes */
		return offsetof(struct vmbus_version_response, msg_conn_id);
	case CHANNELMSG_MODIFYCHANNEL_RESPONSE:
		return sizeof(struct vmbus_modify_channel_response);
	default:
		return 0;
	}
}

int enl_vmbus_check_host_msg(const void *buf, u32 len)
{
	struct vmbus_msg_hdr h;
	u32 min;

	if (len < sizeof(h) || len > ENL_VMBUS_MSG_MAX)
		return -EPROTO;
	memcpy(&h, buf, sizeof(h));
	min = enl_vmbus_host_msg_min_len(h.msgtype);
	if (!min || len < min)
		return -EPROTO;
	return (int)h.msgtype;
}

u32 enl_gpadl_msg_count(u32 npages)
{
	if (npages <= VMBUS_GPADL_HEADER_PFNS)
		return 1;
	return 1 + (npages - VMBUS_GPADL_HEADER_PFNS + VMBUS_GPADL_BODY_PFNS - 1) /
		   VMBUS_GPADL_BODY_PFNS;
}

int enl_gpadl_build_msg(void *buf, u32 relid, u32 handle, u32 npages,
			enl_gpadl_pfn_fn pfn, void *ctx, u32 idx)
{
	u8 *p = buf;
	u32 first, n, i, off;
	u64 v;

	if (!npages || npages > ENL_GPADL_MAX_PAGES ||
	    idx >= enl_gpadl_msg_count(npages))
		return -EINVAL;
	if (idx == 0) {
		struct vmbus_gpadl_header h;
		struct vmbus_gpa_range r;

		memset(&h, 0, sizeof(h));
		h.hdr.msgtype = CHANNELMSG_GPADL_HEADER;
		h.child_relid = relid;
		h.gpadl = handle;
		/* the whole range data; the u16 wraps for big GPADLs */
		h.range_buflen = (u16)(sizeof(r) + (u64)npages * 8);
		h.rangecount = 1;
		r.byte_count = npages * 4096;
		r.byte_offset = 0;
		memcpy(p, &h, sizeof(h));
		memcpy(p + sizeof(h), &r, sizeof(r));
		off = sizeof(h) + sizeof(r);
		first = 0;
		n = npages < VMBUS_GPADL_HEADER_PFNS ? npages : VMBUS_GPADL_HEADER_PFNS;
	} else {
		struct vmbus_gpadl_body b;

		memset(&b, 0, sizeof(b));
		b.hdr.msgtype = CHANNELMSG_GPADL_BODY;
		b.msgnumber = idx;
		b.gpadl = handle;
		memcpy(p, &b, sizeof(b));
		off = sizeof(b);
		first = VMBUS_GPADL_HEADER_PFNS + (idx - 1) * VMBUS_GPADL_BODY_PFNS;
		n = npages - first;
		if (n > VMBUS_GPADL_BODY_PFNS)
			n = VMBUS_GPADL_BODY_PFNS;
	}
	for (i = 0; i < n; i++) {
		v = pfn(ctx, first + i);
		memcpy(p + off + i * 8, &v, 8);
	}
	return (int)(off + n * 8);
}
