/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VSTOR: the synthetic SCSI controller's messages (storvsc <-> storvsp).
 * Little-endian, packed.  See shared/PROTOCOL-devices.md section 2.
 *
 * Every message is a 64-byte vstor packet: operation, flags, NTSTATUS, then
 * a 52-byte union (an SRB, the channel properties, a protocol version or a
 * subchannel count).  Control messages are inband packets; EXECUTE_SRB with
 * data is a GPA-direct packet with exactly one page range whose byte count
 * equals data_transfer_length.  The host answers each request with a full
 * 64-byte COMPLETE_IO packet carrying the request's transaction id (Linux
 * drops shorter completions and the command then waits forever).
 *
 * Init, all on the primary channel: BEGIN_INIT, QUERY_PROTOCOL_VERSION (one
 * per version, newest first, until status 0), QUERY_PROPERTIES, END_INIT,
 * then optionally CREATE_SUB_CHANNELS.  Host notices (ENUMERATE_BUS,
 * REMOVE_DEVICE) use transaction id 0.
 *
 * Protocol versions before Win8 (5.1) used a 36-byte SRB (no Win8 tail) and
 * an 18-byte sense buffer; Linux 6.1 and 6.12 offer 6.2, 6.0, 5.1 only.
 */
#ifndef ENL_VSTOR_H
#define ENL_VSTOR_H

#include <enl/types.h>

#ifdef __KERNEL__
#include <linux/errno.h>
#else
#include <errno.h>
#include <stdbool.h>
#endif

/* Class GUID of the synthetic SCSI controller (HV_SCSI_GUID). */
#define ENL_VSTOR_SCSI_GUID_STR	"ba6163d9-04a1-4d29-b605-72e2ffb1dc7f"
#define ENL_VSTOR_SCSI_GUID_BYTES \
	0xd9, 0x63, 0x61, 0xba, 0xa1, 0x04, 0x29, 0x4d, \
	0xb6, 0x05, 0x72, 0xe2, 0xff, 0xb1, 0xdc, 0x7f

/* ---- protocol versions (major << 8 | minor) --------------------------- */

#define ENL_VSTOR_VERSION(maj, min)	((u16)((maj) << 8 | (min)))
#define ENL_VSTOR_VER_WIN6	ENL_VSTOR_VERSION(2, 0)
#define ENL_VSTOR_VER_WIN7	ENL_VSTOR_VERSION(4, 2)
#define ENL_VSTOR_VER_WIN8	ENL_VSTOR_VERSION(5, 1)
#define ENL_VSTOR_VER_WIN8_1	ENL_VSTOR_VERSION(6, 0)
#define ENL_VSTOR_VER_WIN10	ENL_VSTOR_VERSION(6, 2)
/* The revision field of the version message; always 0. */
#define ENL_VSTOR_REVISION	0

/* ---- operations ------------------------------------------------------- */

enum enl_vstor_op {
	ENL_VSTOR_OP_COMPLETE_IO = 1,
	ENL_VSTOR_OP_REMOVE_DEVICE = 2,
	ENL_VSTOR_OP_EXECUTE_SRB = 3,
	ENL_VSTOR_OP_RESET_LUN = 4,
	ENL_VSTOR_OP_RESET_ADAPTER = 5,
	ENL_VSTOR_OP_RESET_BUS = 6,
	ENL_VSTOR_OP_BEGIN_INIT = 7,
	ENL_VSTOR_OP_END_INIT = 8,
	ENL_VSTOR_OP_QUERY_PROTOCOL_VERSION = 9,
	ENL_VSTOR_OP_QUERY_PROPERTIES = 10,
	ENL_VSTOR_OP_ENUMERATE_BUS = 11,
	ENL_VSTOR_OP_FCHBA_DATA = 12,
	ENL_VSTOR_OP_CREATE_SUB_CHANNELS = 13,
	ENL_VSTOR_OP_EVENT_NOTIFICATION = 14,	/* Linux ignores it */
};

/* vstor_packet.flags */
#define ENL_VSTOR_FLAG_REQUEST_COMPLETION	0x1u

/* NTSTATUS values the host puts in vstor_packet.status. */
#define ENL_VSTOR_STATUS_SUCCESS		0x00000000u
#define ENL_VSTOR_STATUS_UNSUCCESSFUL		0xC0000001u
#define ENL_VSTOR_STATUS_INVALID_PARAMETER	0xC000000Du
#define ENL_VSTOR_STATUS_REVISION_MISMATCH	0xC0000059u
#define ENL_VSTOR_STATUS_INVALID_DEVICE_STATE	0xC0000184u

/* Transaction ids Linux uses for its init and reset packets. */
#define ENL_VSTOR_TRANS_ID_INIT		(~(u64)0 - 2)
#define ENL_VSTOR_TRANS_ID_RESET	(~(u64)0 - 3)
/* Host-initiated notices (rescan) carry transaction id 0. */
#define ENL_VSTOR_TRANS_ID_NOTICE	0

/* ---- SCSI request block ---------------------------------------------- */

#define ENL_VSTOR_CDB_MAX		16u	/* STORVSC_MAX_CMD_LEN */
#define ENL_VSTOR_SENSE_SIZE		20u	/* Win8 and later */
#define ENL_VSTOR_SENSE_SIZE_PRE_WIN8	18u
/* The CDB / sense union is as large as the larger of the two. */
#define ENL_VSTOR_CDB_SENSE_UNION	20u

/* vmscsi_request.data_in */
enum enl_vstor_data_dir {
	ENL_VSTOR_DATA_WRITE = 0,	/* guest -> host (data out) */
	ENL_VSTOR_DATA_READ = 1,	/* host -> guest (data in) */
	ENL_VSTOR_DATA_NONE = 2,
};

/* vmscsi_request.srb_status: low 6 bits a code, plus two flag bits. */
#define ENL_SRB_STATUS_PENDING		0x00
#define ENL_SRB_STATUS_SUCCESS		0x01
#define ENL_SRB_STATUS_ABORTED		0x02
#define ENL_SRB_STATUS_ERROR		0x04
#define ENL_SRB_STATUS_INVALID_REQUEST	0x06
#define ENL_SRB_STATUS_TIMEOUT		0x09
#define ENL_SRB_STATUS_SELECTION_TIMEOUT 0x0A
#define ENL_SRB_STATUS_BUS_RESET	0x0E
#define ENL_SRB_STATUS_DATA_OVERRUN	0x12
#define ENL_SRB_STATUS_INVALID_LUN	0x20
#define ENL_SRB_STATUS_INTERNAL_ERROR	0x30
#define ENL_SRB_STATUS_QUEUE_FROZEN	0x40
#define ENL_SRB_STATUS_AUTOSENSE_VALID	0x80
#define ENL_SRB_STATUS_CODE(s)		((s) & 0x3F)

/* vmscsi_request.srb_flags (what Linux sets; the host need not act on them) */
#define ENL_SRB_FLAGS_QUEUE_ACTION_ENABLE	0x00000002u
#define ENL_SRB_FLAGS_DISABLE_SYNCH_TRANSFER	0x00000008u
#define ENL_SRB_FLAGS_DATA_IN			0x00000040u
#define ENL_SRB_FLAGS_DATA_OUT			0x00000080u
#define ENL_SRB_FLAGS_NO_QUEUE_FREEZE		0x00000100u

/* SAM status byte (vmscsi_request.scsi_status) */
#define ENL_SAM_STAT_GOOD		0x00
#define ENL_SAM_STAT_CHECK_CONDITION	0x02
#define ENL_SAM_STAT_BUSY		0x08

/*
 * The SRB.  The first 36 bytes are the pre-Win8 request; Win8 and later add
 * the 16-byte tail from 'reserve' on.  'length' is the size the guest uses
 * (52 from Linux).
 */
struct enl_vmscsi_request {
	u16 length;
	u8 srb_status;
	u8 scsi_status;
	u8 port_number;		/* the guest's host number: ignored */
	u8 path_id;
	u8 target_id;
	u8 lun;
	u8 cdb_length;
	u8 sense_info_length;	/* request: buffer size; reply: valid bytes */
	u8 data_in;		/* enum enl_vstor_data_dir */
	u8 reserved;
	u32 data_transfer_length; /* request: buffer; reply: bytes moved */
	union {
		u8 cdb[ENL_VSTOR_CDB_MAX];
		u8 sense_data[ENL_VSTOR_CDB_SENSE_UNION];
	};
	/* Win8 extension */
	u16 reserve;
	u8 queue_tag;
	u8 queue_action;
	u32 srb_flags;
	u32 time_out_value;
	u32 queue_sort_key;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_vmscsi_request, 52);
ENL_OFFSET_ASSERT(struct enl_vmscsi_request, srb_status, 2);
ENL_OFFSET_ASSERT(struct enl_vmscsi_request, path_id, 5);
ENL_OFFSET_ASSERT(struct enl_vmscsi_request, lun, 7);
ENL_OFFSET_ASSERT(struct enl_vmscsi_request, cdb_length, 8);
ENL_OFFSET_ASSERT(struct enl_vmscsi_request, data_in, 10);
ENL_OFFSET_ASSERT(struct enl_vmscsi_request, data_transfer_length, 12);
ENL_OFFSET_ASSERT(struct enl_vmscsi_request, cdb, 16);
ENL_OFFSET_ASSERT(struct enl_vmscsi_request, reserve, 36);
ENL_OFFSET_ASSERT(struct enl_vmscsi_request, srb_flags, 40);
ENL_OFFSET_ASSERT(struct enl_vmscsi_request, queue_sort_key, 48);

#define ENL_VMSCSI_SIZE			52u	/* Win8 and later */
#define ENL_VMSCSI_SIZE_PRE_WIN8	36u
ENL_STATIC_ASSERT(offsetof(struct enl_vmscsi_request, reserve) ==
		  ENL_VMSCSI_SIZE_PRE_WIN8, "pre-Win8 SRB ends where the tail starts");

/* QUERY_PROPERTIES reply body. */
#define ENL_VSTOR_PROP_MULTI_CHANNEL	0x1u

struct enl_vstor_channel_properties {
	u32 reserved;
	u16 max_channel_cnt;	/* subchannels the host will create */
	u16 reserved1;
	u32 flags;		/* ENL_VSTOR_PROP_* */
	u32 max_transfer_bytes;	/* multiple of 4096, non-zero */
	u64 reserved2;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_vstor_channel_properties, 24);
ENL_OFFSET_ASSERT(struct enl_vstor_channel_properties, max_channel_cnt, 4);
ENL_OFFSET_ASSERT(struct enl_vstor_channel_properties, flags, 8);
ENL_OFFSET_ASSERT(struct enl_vstor_channel_properties, max_transfer_bytes, 12);

/* QUERY_PROTOCOL_VERSION request body. */
struct enl_vstor_protocol_version {
	u16 major_minor;	/* ENL_VSTOR_VERSION() */
	u16 revision;		/* ENL_VSTOR_REVISION */
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_vstor_protocol_version, 4);

/* FCHBA_DATA reply (FC class only; listed for completeness). */
struct enl_vstor_fc_wwn {
	u8 primary_active;
	u8 reserved1[3];
	u8 primary_port_wwn[8];
	u8 primary_node_wwn[8];
	u8 secondary_port_wwn[8];
	u8 secondary_node_wwn[8];
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_vstor_fc_wwn, 36);

struct enl_vstor_packet {
	u32 operation;		/* enum enl_vstor_op */
	u32 flags;		/* ENL_VSTOR_FLAG_* */
	u32 status;		/* NTSTATUS, host -> guest */
	union {
		struct enl_vmscsi_request srb;
		struct enl_vstor_channel_properties props;
		struct enl_vstor_protocol_version version;
		struct enl_vstor_fc_wwn wwn;
		u16 sub_channel_count;	/* CREATE_SUB_CHANNELS */
		u8 buffer[ENL_VMSCSI_SIZE];
	};
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_vstor_packet, 64);
ENL_OFFSET_ASSERT(struct enl_vstor_packet, srb, 12);
ENL_OFFSET_ASSERT(struct enl_vstor_packet, props, 12);
ENL_OFFSET_ASSERT(struct enl_vstor_packet, sub_channel_count, 12);

#define ENL_VSTOR_HDR_SIZE		12u
#define ENL_VSTOR_PACKET_SIZE		64u
#define ENL_VSTOR_PACKET_SIZE_PRE_WIN8	(ENL_VSTOR_HDR_SIZE + ENL_VMSCSI_SIZE_PRE_WIN8)
/* Descriptor (16) + packet: the largest inband packet either side sends. */
#define ENL_VSTOR_MAX_INBAND_PKT	80u

/*
 * Limits.  Linux allows path 0..7, target 0..1, LUN 0..254; enl-storvsp
 * serves path 0, target 0, LUNs 0..63.  max_transfer_bytes as OpenVMM
 * reports it; Linux derives max_sectors and sg_tablesize from it.
 */
#define ENL_VSTOR_MAX_PATHS		8u
#define ENL_VSTOR_MAX_TARGETS		2u
#define ENL_VSTOR_MAX_LUNS		64u
#define ENL_VSTOR_MAX_TRANSFER		0x40000u
#define ENL_VSTOR_MAX_SUBCHANNELS	64u
/* Pages one GPA range may span at ENL_VSTOR_MAX_TRANSFER (+1 for offset). */
#define ENL_VSTOR_MAX_PFNS		(ENL_VSTOR_MAX_TRANSFER / 4096u + 1u)

ENL_STATIC_ASSERT(ENL_VSTOR_MAX_TRANSFER % 4096u == 0,
		  "max_transfer_bytes is a multiple of the page size");
ENL_STATIC_ASSERT(ENL_VSTOR_SENSE_SIZE <= ENL_VSTOR_CDB_SENSE_UNION,
		  "sense fits the union");

/* ---- per-version facts --------------------------------------------------- */

/* Versions the host accepts, newest first. */
static inline bool enl_vstor_version_supported(u16 v)
{
	return v == ENL_VSTOR_VER_WIN10 || v == ENL_VSTOR_VER_WIN8_1 ||
	       v == ENL_VSTOR_VER_WIN8;
}

/* SRB bytes the guest sends and expects back for a negotiated version. */
static inline u32 enl_vstor_srb_size(u16 v)
{
	return v >= ENL_VSTOR_VER_WIN8 ? ENL_VMSCSI_SIZE : ENL_VMSCSI_SIZE_PRE_WIN8;
}

static inline u32 enl_vstor_sense_size(u16 v)
{
	return v >= ENL_VSTOR_VER_WIN8 ? ENL_VSTOR_SENSE_SIZE
				       : ENL_VSTOR_SENSE_SIZE_PRE_WIN8;
}

/* Multichannel exists from Win8 on. */
static inline bool enl_vstor_version_multichannel(u16 v)
{
	return v >= ENL_VSTOR_VER_WIN8;
}

/* ---- checks shared by both ends (include/enl/vstor.c) ------------------ */

/*
 * Copy a received VSTOR payload into *out (zero-filled to 64 bytes) and
 * check that it is long enough for its operation at this protocol version
 * (version 0: not negotiated yet, 64-byte packets required only for
 * EXECUTE_SRB as Linux sends).  0, -EMSGSIZE (too short for the header or
 * its body).  Longer payloads are accepted and cut at 64 bytes.
 */
int enl_vstor_parse(const void *payload, u32 len, u16 version,
		    struct enl_vstor_packet *out);

/*
 * Check an SRB from the guest: cdb_length 1..16, data_in one of the three
 * directions, sense_info_length no larger than the version's sense size,
 * and data_transfer_length == range_len (the GPA range's byte count; 0 for
 * an inband packet), 0 for DATA_NONE.  0 or -EINVAL.
 */
int enl_vstor_check_srb(const struct enl_vmscsi_request *srb, u16 version,
			u32 range_len);

/* Fill a completion for req: COMPLETE_IO, status, the rest zero. */
void enl_vstor_completion(struct enl_vstor_packet *out, u32 status);

/* The srb_status a completion carries, as a short name (logs, tests). */
const char *enl_vstor_srb_status_name(u8 srb_status);

#endif
