// SPDX-License-Identifier: GPL-2.0-only
/*
 * The synthetic keyboard as a serio port of type 8042 XL, so the kernel's
 * atkbd decodes the host's set-1 scan codes exactly as on a PC.  Probe:
 * open the channel, ask for protocol 1.0, register the port; each EVENT
 * becomes the bytes an i8042 would deliver.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/module.h>
#include <linux/serio.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include "enl_hid.h"

struct enl_kbd {
	struct enl_vmbus_device *vdev;
	struct enl_vmbus_channel *ch;
	struct serio *serio;		/* freed by serio_unregister_port() */
	struct completion negotiated;
	spinlock_t lock;		/* started, answered, status */
	bool started;			/* serio open: bytes go to atkbd */
	bool answered;
	u32 status;
	/* the channel callback's alone */
	u8 pkt[ENL_SYNTHHID_MAX_PKT] __aligned(8);
};

static void enl_kbd_packet(struct enl_kbd *k, u32 len)
{
	struct enl_pkt pk;
	u32 type, info, status;
	u16 code;
	u8 bytes[2];
	unsigned int i, n;

	if (enl_pkt_parse(k->pkt, len, &pk) || pk.type != VMBUS_PKT_INBAND)
		return;
	if (enl_synthkbd_type(pk.payload, pk.payload_len, &type)) {
		dev_warn_ratelimited(&k->vdev->dev, "message of %u bytes dropped\n",
				     pk.payload_len);
		return;
	}
	switch (type) {
	case ENL_SYNTHKBD_PROTOCOL_RESPONSE:
		if (enl_synthkbd_parse_u32(pk.payload, pk.payload_len, &status)) {
			dev_warn_ratelimited(&k->vdev->dev, "short protocol response\n");
			return;
		}
		spin_lock(&k->lock);
		if (k->answered) {
			spin_unlock(&k->lock);
			return;
		}
		k->answered = true;
		k->status = status;
		spin_unlock(&k->lock);
		complete(&k->negotiated);
		break;
	case ENL_SYNTHKBD_EVENT:
		if (enl_synthkbd_parse_event(pk.payload, pk.payload_len, &code, &info)) {
			dev_warn_ratelimited(&k->vdev->dev, "bad key event dropped\n");
			return;
		}
		n = enl_synthkbd_event_bytes(code, info, bytes);
		spin_lock(&k->lock);
		if (k->started)
			for (i = 0; i < n; i++)
				serio_interrupt(k->serio, bytes[i], 0);
		spin_unlock(&k->lock);
		break;
	default:
		dev_warn_ratelimited(&k->vdev->dev, "message type %u ignored\n", type);
		break;
	}
}

static void enl_kbd_callback(struct enl_vmbus_channel *ch, void *ctx)
{
	struct enl_kbd *k = ctx;
	u32 len;
	int ret;

	while ((ret = enl_vmbus_recv(ch, k->pkt, sizeof(k->pkt), &len)) > 0)
		enl_kbd_packet(k, len);
	if (ret == -EMSGSIZE)
		enl_vmbus_chan_fail(ch, "keyboard packet larger than 4 KiB");
	enl_vmbus_recv_done(ch);
}

static int enl_kbd_start(struct serio *serio)
{
	struct enl_kbd *k = serio->port_data;

	spin_lock_bh(&k->lock);
	k->started = true;
	spin_unlock_bh(&k->lock);
	return 0;
}

static void enl_kbd_stop(struct serio *serio)
{
	struct enl_kbd *k = serio->port_data;

	spin_lock_bh(&k->lock);
	k->started = false;
	spin_unlock_bh(&k->lock);
}

int enl_hid_kbd_probe(struct enl_vmbus_device *vdev)
{
	struct enl_synthkbd_protocol_request req = {
		.type = cpu_to_le32(ENL_SYNTHKBD_PROTOCOL_REQUEST),
		.version = cpu_to_le32(ENL_SYNTHKBD_VERSION),
	};
	struct serio *serio;
	struct enl_kbd *k;
	int ret;

	k = kzalloc(sizeof(*k), GFP_KERNEL);
	serio = kzalloc(sizeof(*serio), GFP_KERNEL);
	if (!k || !serio) {
		ret = -ENOMEM;
		goto err_free;
	}
	k->vdev = vdev;
	k->ch = vdev->channel;
	k->serio = serio;
	spin_lock_init(&k->lock);
	init_completion(&k->negotiated);
	dev_set_drvdata(&vdev->dev, k);

	serio->id.type = SERIO_8042_XL;
	serio->port_data = k;
	serio->start = enl_kbd_start;
	serio->stop = enl_kbd_stop;
	serio->dev.parent = &vdev->dev;
	strscpy(serio->name, dev_name(&vdev->dev), sizeof(serio->name));
	strscpy(serio->phys, dev_name(&vdev->dev), sizeof(serio->phys));

	ret = enl_vmbus_open(k->ch, ENL_HID_KBD_RING, ENL_HID_KBD_RING, NULL, 0,
			     enl_kbd_callback, k);
	if (ret) {
		dev_err(&vdev->dev, "cannot open the keyboard channel (%d)\n", ret);
		goto err_free;
	}
	ret = enl_vmbus_send(k->ch, VMBUS_PKT_INBAND, 0, 0, &req, sizeof(req));
	if (ret)
		goto err_close;
	if (!wait_for_completion_timeout(&k->negotiated, ENL_HID_KBD_TIMEOUT)) {
		dev_err(&vdev->dev, "no answer to the keyboard protocol request\n");
		ret = -ETIMEDOUT;
		goto err_close;
	}
	if (!(k->status & ENL_SYNTHKBD_ACCEPTED)) {
		dev_err(&vdev->dev, "host refused keyboard protocol 1.0\n");
		ret = -ENODEV;
		goto err_close;
	}
	serio_register_port(serio);
	dev_info(&vdev->dev, "keyboard ready (relid %u)\n",
		 enl_vmbus_chan_relid(k->ch));
	return 0;

err_close:
	enl_vmbus_close(k->ch);
err_free:
	dev_set_drvdata(&vdev->dev, NULL);
	kfree(serio);
	kfree(k);
	return ret;
}

void enl_hid_kbd_remove(struct enl_vmbus_device *vdev)
{
	struct enl_kbd *k = dev_get_drvdata(&vdev->dev);

	/* stops the port first: events from here on are dropped */
	serio_unregister_port(k->serio);
	enl_vmbus_close(k->ch);
	dev_set_drvdata(&vdev->dev, NULL);
	kfree(k);
}
