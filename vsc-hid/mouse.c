// SPDX-License-Identifier: GPL-2.0-only
/*
 * The synthetic mouse as a HID low-level driver.  Probe: open the channel,
 * ask for SynthHID 2.0, take the device info (HID descriptor and report
 * descriptor, every length checked by include/enl/synthhid.c), acknowledge
 * it, then add a HID device whose reports come from the host's
 * INPUT_REPORT messages.  The HID core parses the descriptor and evdev
 * shows the device; a small HID driver of ours binds it, so nothing else
 * (hid-generic) has to be loaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/hid.h>
#include <linux/input.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include "enl_hid.h"

/* Mouse state; each step is taken once per probe, in this order. */
enum enl_mouse_state {
	ENL_MOUSE_WAIT_RESPONSE,	/* PROTOCOL_REQUEST sent */
	ENL_MOUSE_WAIT_INFO,		/* version approved */
	ENL_MOUSE_HAVE_INFO,		/* device info taken (or refused) */
	ENL_MOUSE_READY,		/* HID device added: reports go in */
	ENL_MOUSE_GONE,			/* being removed: drop everything */
};

struct enl_mouse {
	struct enl_vmbus_device *vdev;
	struct enl_vmbus_channel *ch;
	struct hid_device *hid;
	struct completion negotiated;	/* PROTOCOL_RESPONSE arrived */
	struct completion got_info;	/* INITIAL_DEVICE_INFO arrived */
	spinlock_t lock;		/* state, approved, info_err, rdesc */
	enum enl_mouse_state state;
	bool approved;
	int info_err;
	struct enl_synthhid_dev_info info;
	u8 *rdesc;			/* owned; rdesc_len bytes */
	u32 rdesc_len;
	/* the channel callback's alone */
	u8 pkt[ENL_SYNTHHID_MAX_PKT] __aligned(8);
	u8 report[ENL_SYNTHHID_MAX_REPORT];
	unsigned long dropped;
};

static void enl_mouse_info(struct enl_mouse *m, const struct enl_synthhid_msg *msg)
{
	struct enl_synthhid_devinfo d;
	u8 *copy = NULL;
	int err;

	err = enl_synthhid_parse_devinfo(msg, &d);
	if (err)
		dev_err(&m->vdev->dev, "device info refused (%u bytes): %d\n",
			msg->body_len, err);
	else
		copy = kmemdup(d.rdesc, d.rdesc_len, GFP_ATOMIC);
	if (!err && !copy)
		err = -ENOMEM;

	spin_lock(&m->lock);
	if (m->state != ENL_MOUSE_WAIT_INFO) {
		/* a second copy, or one before the version: not ours to use */
		spin_unlock(&m->lock);
		kfree(copy);
		dev_warn_ratelimited(&m->vdev->dev, "unexpected device info ignored\n");
		return;
	}
	m->info_err = err;
	if (!err) {
		m->info = d.info;
		m->rdesc = copy;
		m->rdesc_len = d.rdesc_len;
	}
	m->state = ENL_MOUSE_HAVE_INFO;
	spin_unlock(&m->lock);
	complete(&m->got_info);
}

static void enl_mouse_report(struct enl_mouse *m, const struct enl_synthhid_msg *msg)
{
	const u8 *r;
	u32 len;

	if (enl_synthhid_parse_report(msg, sizeof(m->report), &r, &len)) {
		dev_warn_ratelimited(&m->vdev->dev, "input report of %u bytes dropped\n",
				     msg->size);
		return;
	}
	/* the HID core may write into the buffer: hand it our copy */
	memcpy(m->report, r, len);
	spin_lock(&m->lock);
	if (m->state == ENL_MOUSE_READY)
		hid_input_report(m->hid, HID_INPUT_REPORT, m->report, len, 1);
	else
		m->dropped++;
	spin_unlock(&m->lock);
}

static void enl_mouse_packet(struct enl_mouse *m, u32 len)
{
	struct enl_synthhid_msg msg;
	struct enl_pkt pk;
	bool approved;
	u32 version;
	int err;

	if (enl_pkt_parse(m->pkt, len, &pk) || pk.type != VMBUS_PKT_INBAND)
		return;		/* completions: we asked for none */
	err = enl_synthhid_parse(pk.payload, pk.payload_len, &msg);
	if (err) {
		dev_warn_ratelimited(&m->vdev->dev, "bad message (%u bytes): %d\n",
				     pk.payload_len, err);
		return;
	}
	switch (msg.type) {
	case ENL_SYNTHHID_PROTOCOL_RESPONSE:
		if (enl_synthhid_parse_response(&msg, &version, &approved)) {
			dev_warn_ratelimited(&m->vdev->dev, "short protocol response\n");
			return;
		}
		spin_lock(&m->lock);
		if (m->state != ENL_MOUSE_WAIT_RESPONSE) {
			spin_unlock(&m->lock);
			return;
		}
		m->approved = approved && version == ENL_SYNTHHID_VERSION;
		if (m->approved)
			m->state = ENL_MOUSE_WAIT_INFO;
		spin_unlock(&m->lock);
		complete(&m->negotiated);
		break;
	case ENL_SYNTHHID_INITIAL_DEVICE_INFO:
		enl_mouse_info(m, &msg);
		break;
	case ENL_SYNTHHID_INPUT_REPORT:
		enl_mouse_report(m, &msg);
		break;
	default:
		dev_warn_ratelimited(&m->vdev->dev, "message type %u ignored\n", msg.type);
		break;
	}
}

static void enl_mouse_callback(struct enl_vmbus_channel *ch, void *ctx)
{
	struct enl_mouse *m = ctx;
	u32 len;
	int ret;

	while ((ret = enl_vmbus_recv(ch, m->pkt, sizeof(m->pkt), &len)) > 0)
		enl_mouse_packet(m, len);
	if (ret == -EMSGSIZE)
		enl_vmbus_chan_fail(ch, "mouse packet larger than 4 KiB");
	enl_vmbus_recv_done(ch);
}

/* ---- HID low-level driver -------------------------------------------- */

static int enl_mouse_ll_parse(struct hid_device *hid)
{
	struct enl_mouse *m = hid->driver_data;

	return hid_parse_report(hid, m->rdesc, m->rdesc_len);
}

static int enl_mouse_ll_start(struct hid_device *hid)
{
	return 0;
}

static void enl_mouse_ll_stop(struct hid_device *hid)
{
}

static int enl_mouse_ll_open(struct hid_device *hid)
{
	return 0;
}

static void enl_mouse_ll_close(struct hid_device *hid)
{
}

/* The host offers no feature or output reports. */
static int enl_mouse_ll_raw_request(struct hid_device *hid, unsigned char reportnum,
				    __u8 *buf, size_t len, unsigned char rtype,
				    int reqtype)
{
	return -EIO;
}

/* not const: 6.1's hid_device.ll_driver is a plain pointer */
static struct hid_ll_driver enl_mouse_ll_driver = {
	.parse = enl_mouse_ll_parse,
	.start = enl_mouse_ll_start,
	.stop = enl_mouse_ll_stop,
	.open = enl_mouse_ll_open,
	.close = enl_mouse_ll_close,
	.raw_request = enl_mouse_ll_raw_request,
};

static const struct hid_device_id enl_mouse_hid_ids[] = {
	{ HID_DEVICE(BUS_VIRTUAL, HID_GROUP_ANY, ENL_SYNTHHID_VENDOR,
		     ENL_SYNTHHID_PRODUCT) },
	{ }
};

/* No probe: the HID core's default parses and connects hid-input. */
static struct hid_driver enl_mouse_hid_driver = {
	.name = "enl_hid_mouse",
	.id_table = enl_mouse_hid_ids,
};

int enl_hid_mouse_register(void)
{
	return hid_register_driver(&enl_mouse_hid_driver);
}

void enl_hid_mouse_unregister(void)
{
	hid_unregister_driver(&enl_mouse_hid_driver);
}

/* ---- VMBus device ---------------------------------------------------- */

static int enl_mouse_negotiate(struct enl_mouse *m)
{
	struct {
		struct enl_synthhid_pipe_hdr pipe;
		struct enl_synthhid_ack ack;
	} __packed ack = { };
	u8 req[ENL_SYNTHHID_BODY_OFF + 4];
	u32 version = cpu_to_le32(ENL_SYNTHHID_VERSION);
	int ret;

	ret = enl_synthhid_build(req, sizeof(req), ENL_SYNTHHID_PROTOCOL_REQUEST,
				 &version, sizeof(version));
	if (ret < 0)
		return ret;
	ret = enl_vmbus_send(m->ch, VMBUS_PKT_INBAND, 0, 0, req, ret);
	if (ret)
		return ret;
	if (!wait_for_completion_timeout(&m->negotiated, ENL_HID_MOUSE_TIMEOUT)) {
		dev_err(&m->vdev->dev, "no answer to the protocol request\n");
		return -ETIMEDOUT;
	}
	if (!m->approved) {
		dev_err(&m->vdev->dev, "host refused SynthHID 2.0\n");
		return -ENODEV;
	}
	if (!wait_for_completion_timeout(&m->got_info, ENL_HID_MOUSE_TIMEOUT)) {
		dev_err(&m->vdev->dev, "no device info from the host\n");
		return -ETIMEDOUT;
	}
	if (m->info_err)
		return m->info_err;

	ack.pipe.type = cpu_to_le32(ENL_SYNTHHID_PIPE_DATA);
	ack.pipe.size = cpu_to_le32(sizeof(ack.ack));
	ack.ack.hdr.type = cpu_to_le32(ENL_SYNTHHID_DEVICE_INFO_ACK);
	ack.ack.hdr.size = cpu_to_le32(1);
	return enl_vmbus_send(m->ch, VMBUS_PKT_INBAND, 0, 0, &ack, sizeof(ack));
}

int enl_hid_mouse_probe(struct enl_vmbus_device *vdev)
{
	struct hid_device *hid;
	struct enl_mouse *m;
	int ret;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->vdev = vdev;
	m->ch = vdev->channel;
	m->state = ENL_MOUSE_WAIT_RESPONSE;
	spin_lock_init(&m->lock);
	init_completion(&m->negotiated);
	init_completion(&m->got_info);
	dev_set_drvdata(&vdev->dev, m);

	ret = enl_vmbus_open(m->ch, ENL_HID_MOUSE_RING, ENL_HID_MOUSE_RING,
			     NULL, 0, enl_mouse_callback, m);
	if (ret) {
		dev_err(&vdev->dev, "cannot open the mouse channel (%d)\n", ret);
		goto err_free;
	}
	ret = enl_mouse_negotiate(m);
	if (ret)
		goto err_close;

	hid = hid_allocate_device();
	if (IS_ERR(hid)) {
		ret = PTR_ERR(hid);
		goto err_close;
	}
	hid->ll_driver = &enl_mouse_ll_driver;
	hid->dev.parent = &vdev->dev;
	hid->bus = BUS_VIRTUAL;
	hid->vendor = le16_to_cpu(m->info.vendor);
	hid->product = le16_to_cpu(m->info.product);
	hid->version = le16_to_cpu(m->info.version);
	hid->driver_data = m;
	strscpy(hid->name, "Microsoft Vmbus HID-compliant Mouse", sizeof(hid->name));
	strscpy(hid->phys, dev_name(&vdev->dev), sizeof(hid->phys));
	m->hid = hid;

	ret = hid_add_device(hid);
	if (ret) {
		dev_err(&vdev->dev, "HID device not added (%d)\n", ret);
		goto err_hid;
	}
	spin_lock_bh(&m->lock);
	m->state = ENL_MOUSE_READY;
	spin_unlock_bh(&m->lock);
	dev_info(&vdev->dev, "mouse ready (%u-byte report descriptor, relid %u)\n",
		 m->rdesc_len, enl_vmbus_chan_relid(m->ch));
	return 0;

err_hid:
	hid_destroy_device(hid);
err_close:
	spin_lock_bh(&m->lock);
	m->state = ENL_MOUSE_GONE;
	spin_unlock_bh(&m->lock);
	enl_vmbus_close(m->ch);
err_free:
	dev_set_drvdata(&vdev->dev, NULL);
	kfree(m->rdesc);
	kfree(m);
	return ret;
}

void enl_hid_mouse_remove(struct enl_vmbus_device *vdev)
{
	struct enl_mouse *m = dev_get_drvdata(&vdev->dev);

	/* no report reaches the HID device from here on */
	spin_lock_bh(&m->lock);
	m->state = ENL_MOUSE_GONE;
	spin_unlock_bh(&m->lock);
	enl_vmbus_close(m->ch);
	hid_destroy_device(m->hid);
	dev_set_drvdata(&vdev->dev, NULL);
	kfree(m->rdesc);
	kfree(m);
}
