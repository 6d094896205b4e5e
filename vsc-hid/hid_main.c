// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl_hid: one VMBus driver for the synthetic mouse and keyboard classes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include "enl_hid.h"

enum { ENL_HID_MOUSE, ENL_HID_KBD };

static int enl_hid_probe(struct enl_vmbus_device *vdev,
			 const struct enl_vmbus_device_id *id)
{
	if (id->driver_data == ENL_HID_MOUSE)
		return enl_hid_mouse_probe(vdev);
	return enl_hid_kbd_probe(vdev);
}

static void enl_hid_remove(struct enl_vmbus_device *vdev)
{
	static const enl_guid_t mouse = ENL_GUID_MOUSE;

	if (!memcmp(&vdev->class_id, &mouse, sizeof(mouse)))
		enl_hid_mouse_remove(vdev);
	else
		enl_hid_kbd_remove(vdev);
}

static const struct enl_vmbus_device_id enl_hid_ids[] = {
	{ .guid = ENL_GUID_MOUSE, .driver_data = ENL_HID_MOUSE },
	{ .guid = ENL_GUID_KEYBOARD, .driver_data = ENL_HID_KBD },
	{ }
};

static struct enl_vmbus_driver enl_hid_driver = {
	.name = "enl_hid",
	.id_table = enl_hid_ids,
	.probe = enl_hid_probe,
	.remove = enl_hid_remove,
};

static int __init enl_hid_init(void)
{
	int ret;

	/* the HID driver first: a mouse probed next binds to it at once */
	ret = enl_hid_mouse_register();
	if (ret)
		return ret;
	ret = enl_vmbus_driver_register(&enl_hid_driver);
	if (ret)
		enl_hid_mouse_unregister();
	return ret;
}

static void __exit enl_hid_exit(void)
{
	enl_vmbus_driver_unregister(&enl_hid_driver);
	enl_hid_mouse_unregister();
}

module_init(enl_hid_init);
module_exit(enl_hid_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("enlighten synthetic mouse (HID) and keyboard (serio)");
/* modalias vmbus:<class GUID bytes in hex>, for udev and modprobe */
MODULE_ALIAS("vmbus:9eb6a8cf4a5bc04cb98b8ba1a1f3f95a");
MODULE_ALIAS("vmbus:6dad12f9172bea48bd65f927a61c7684");
