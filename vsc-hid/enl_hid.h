/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * enl_hid: the synthetic mouse (a HID low-level driver: the HID core and
 * evdev do the rest) and the synthetic keyboard (a serio port that atkbd
 * decodes, as on a PC).  hid_main.c binds both classes and hands each
 * device to its half.
 */
#ifndef ENL_HID_H
#define ENL_HID_H

#include <linux/types.h>
#include <enl/guid.h>
#include <enl/synthhid_msg.h>
#include "enl_vmbus.h"

/* Ring sizes, header page included: what the stock drivers allocate. */
#define ENL_HID_MOUSE_RING	(10 * PAGE_SIZE)
#define ENL_HID_KBD_RING	(10 * PAGE_SIZE)

/* How long the host has to answer, as the stock drivers wait. */
#define ENL_HID_MOUSE_TIMEOUT	(5 * HZ)
#define ENL_HID_KBD_TIMEOUT	(10 * HZ)

int enl_hid_mouse_probe(struct enl_vmbus_device *vdev);
void enl_hid_mouse_remove(struct enl_vmbus_device *vdev);
int enl_hid_mouse_register(void);
void enl_hid_mouse_unregister(void);

int enl_hid_kbd_probe(struct enl_vmbus_device *vdev);
void enl_hid_kbd_remove(struct enl_vmbus_device *vdev);

#endif
