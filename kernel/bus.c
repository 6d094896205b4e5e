// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl_vmbus: the "vmbus" bus.  Offers become devices (named after their
 * instance GUID, with the sysfs attributes and the vmbus: modalias that
 * udev, modprobe and lsvmbus know), drivers bind by class GUID, rescinds
 * remove devices, and the ACPI VMBUS device starts and stops it all.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/acpi.h>
#include <linux/cpu.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include "enl_vmbus_priv.h"

LIST_HEAD(enl_channels);
/* Guards enl_channels, enl_relid_map updates and subchannel links. */
DEFINE_MUTEX(enl_channels_lock);
struct enl_vmbus_channel __rcu *enl_relid_map[VMBUS_MAX_RELID + 1];
static unsigned int enl_next_cpu;
static bool enl_probed;

static const enl_guid_t enl_zero_guid;

/* ---- events ---------------------------------------------------------- */

void enl_vmbus_on_event(unsigned int relid)
{
	struct enl_vmbus_channel *ch;

	if (relid == 0 || relid > VMBUS_MAX_RELID)
		return;
	rcu_read_lock();
	ch = rcu_dereference(enl_relid_map[relid]);
	if (ch) {
		ch->interrupts++;
		tasklet_schedule(&ch->tasklet);
	}
	rcu_read_unlock();
}

bool enl_vmbus_cpu_busy(unsigned int cpu)
{
	struct enl_vmbus_channel *ch;
	bool busy = false;

	mutex_lock(&enl_channels_lock);
	list_for_each_entry(ch, &enl_channels, node)
		if (ch->state != ENL_CHAN_OFFERED && ch->target_cpu == cpu)
			busy = true;
	mutex_unlock(&enl_channels_lock);
	return busy;
}

/* ---- device attributes ---------------------------------------------- */

static struct enl_vmbus_channel *dev_chan(struct device *dev)
{
	return to_enl_vmbus_device(dev)->channel;
}

static ssize_t id_show(struct device *dev, struct device_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_chan(dev)->relid);
}
static DEVICE_ATTR_RO(id);

static ssize_t state_show(struct device *dev, struct device_attribute *a, char *buf)
{
	/*
	 * hv_vmbus's numbers (enum vmbus_channel_state): 1 opening, 3 open,
	 * and 2 for a channel offered but not open (its "CHANNEL_OPEN_STATE",
	 * also while it closes).
	 */
	static const int map[] = {
		[ENL_CHAN_OFFERED] = 2,
		[ENL_CHAN_OPENING] = 1,
		[ENL_CHAN_OPEN] = 3,
		[ENL_CHAN_CLOSING] = 2,
	};

	return sysfs_emit(buf, "%d\n", map[READ_ONCE(dev_chan(dev)->state)]);
}
static DEVICE_ATTR_RO(state);

static ssize_t monitor_id_show(struct device *dev, struct device_attribute *a,
			       char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_chan(dev)->offer.monitorid);
}
static DEVICE_ATTR_RO(monitor_id);

static ssize_t class_id_show(struct device *dev, struct device_attribute *a,
			     char *buf)
{
	return sysfs_emit(buf, "{%pUl}\n", to_enl_vmbus_device(dev)->class_id.b);
}
static DEVICE_ATTR_RO(class_id);

static ssize_t device_id_show(struct device *dev, struct device_attribute *a,
			      char *buf)
{
	return sysfs_emit(buf, "{%pUl}\n", to_enl_vmbus_device(dev)->instance_id.b);
}
static DEVICE_ATTR_RO(device_id);

static ssize_t modalias_show(struct device *dev, struct device_attribute *a,
			     char *buf)
{
	return sysfs_emit(buf, "vmbus:%*phN\n", 16, to_enl_vmbus_device(dev)->class_id.b);
}
static DEVICE_ATTR_RO(modalias);

static ssize_t vendor_show(struct device *dev, struct device_attribute *a,
			   char *buf)
{
	return sysfs_emit(buf, "0x%x\n", 0x1414);	/* Microsoft's PCI id */
}
static DEVICE_ATTR_RO(vendor);

static ssize_t device_show(struct device *dev, struct device_attribute *a,
			   char *buf)
{
	return sysfs_emit(buf, "0x%x\n", 0);
}
static DEVICE_ATTR_RO(device);

static ssize_t numa_node_show(struct device *dev, struct device_attribute *a,
			      char *buf)
{
	return sysfs_emit(buf, "%d\n", dev_to_node(dev));
}
static DEVICE_ATTR_RO(numa_node);

static ssize_t channel_vp_mapping_show(struct device *dev,
				       struct device_attribute *a, char *buf)
{
	struct enl_vmbus_channel *ch = dev_chan(dev), *sc;
	int n;

	mutex_lock(&enl_channels_lock);
	n = sysfs_emit(buf, "%u:%u\n", ch->relid, ch->target_vp);
	list_for_each_entry(sc, &ch->sc_list, sc_node)
		if (!sc->released)
			n += sysfs_emit_at(buf, n, "%u:%u\n", sc->relid,
					   sc->target_vp);
	mutex_unlock(&enl_channels_lock);
	return n;
}
static DEVICE_ATTR_RO(channel_vp_mapping);

static struct attribute *enl_dev_attrs[] = {
	&dev_attr_id.attr,
	&dev_attr_state.attr,
	&dev_attr_monitor_id.attr,
	&dev_attr_class_id.attr,
	&dev_attr_device_id.attr,
	&dev_attr_modalias.attr,
	&dev_attr_vendor.attr,
	&dev_attr_device.attr,
	&dev_attr_numa_node.attr,
	&dev_attr_channel_vp_mapping.attr,
	NULL,
};
ATTRIBUTE_GROUPS(enl_dev);

/* ---- channels/<relid>/ ---------------------------------------------- */

struct enl_chan_attr {
	struct attribute attr;
	ssize_t (*show)(struct enl_vmbus_channel *ch, char *buf);
	ssize_t (*store)(struct enl_vmbus_channel *ch, const char *buf, size_t n);
};

#define to_enl_chan(k) container_of(k, struct enl_vmbus_channel, kobj)

static ssize_t enl_chan_attr_show(struct kobject *k, struct attribute *a, char *buf)
{
	struct enl_chan_attr *ca = container_of(a, struct enl_chan_attr, attr);

	return ca->show(to_enl_chan(k), buf);
}

static ssize_t enl_chan_attr_store(struct kobject *k, struct attribute *a,
				   const char *buf, size_t n)
{
	struct enl_chan_attr *ca = container_of(a, struct enl_chan_attr, attr);

	return ca->store ? ca->store(to_enl_chan(k), buf, n) : -EIO;
}

static const struct sysfs_ops enl_chan_sysfs_ops = {
	.show = enl_chan_attr_show,
	.store = enl_chan_attr_store,
};

#define ENL_CHAN_ATTR(_n)						\
	static struct enl_chan_attr chan_attr_##_n = {			\
		.attr = { .name = __stringify(_n), .mode = 0444 },	\
		.show = chan_##_n##_show,				\
	}

static ssize_t chan_cpu_show(struct enl_vmbus_channel *ch, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(ch->target_cpu));
}

/* writing a CPU number moves the channel's interrupts (MODIFYCHANNEL) */
static ssize_t chan_cpu_store(struct enl_vmbus_channel *ch, const char *buf,
			      size_t n)
{
	unsigned int cpu;
	int ret;

	ret = kstrtouint(buf, 10, &cpu);
	if (ret)
		return ret;
	cpus_read_lock();
	ret = enl_vmbus_set_target_cpu(ch, cpu);
	cpus_read_unlock();
	return ret ? ret : (ssize_t)n;
}

static struct enl_chan_attr chan_attr_cpu = {
	.attr = { .name = "cpu", .mode = 0644 },
	.show = chan_cpu_show,
	.store = chan_cpu_store,
};

static ssize_t chan_out_mask_show(struct enl_vmbus_channel *ch, char *buf)
{
	ssize_t n = -EINVAL;

	mutex_lock(&ch->lock);
	if (ch->state == ENL_CHAN_OPEN)
		n = sysfs_emit(buf, "%u\n", READ_ONCE(ch->out.hdr->interrupt_mask));
	mutex_unlock(&ch->lock);
	return n;
}
ENL_CHAN_ATTR(out_mask);

static ssize_t chan_in_mask_show(struct enl_vmbus_channel *ch, char *buf)
{
	ssize_t n = -EINVAL;

	mutex_lock(&ch->lock);
	if (ch->state == ENL_CHAN_OPEN)
		n = sysfs_emit(buf, "%u\n", READ_ONCE(ch->in.hdr->interrupt_mask));
	mutex_unlock(&ch->lock);
	return n;
}
ENL_CHAN_ATTR(in_mask);

static ssize_t chan_read_avail_show(struct enl_vmbus_channel *ch, char *buf)
{
	u32 r, w;
	int ret;

	mutex_lock(&ch->lock);
	ret = enl_ring_avail(ch, false, &r, &w);
	mutex_unlock(&ch->lock);
	return ret ? -EINVAL : sysfs_emit(buf, "%u\n", r);
}
ENL_CHAN_ATTR(read_avail);

static ssize_t chan_write_avail_show(struct enl_vmbus_channel *ch, char *buf)
{
	u32 r, w;
	int ret;

	mutex_lock(&ch->lock);
	ret = enl_ring_avail(ch, true, &r, &w);
	mutex_unlock(&ch->lock);
	return ret ? -EINVAL : sysfs_emit(buf, "%u\n", w);
}
ENL_CHAN_ATTR(write_avail);

static ssize_t chan_events_show(struct enl_vmbus_channel *ch, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(ch->events_out));
}
ENL_CHAN_ATTR(events);

static ssize_t chan_interrupts_show(struct enl_vmbus_channel *ch, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(ch->interrupts));
}
ENL_CHAN_ATTR(interrupts);

static ssize_t chan_subchannel_id_show(struct enl_vmbus_channel *ch, char *buf)
{
	return sysfs_emit(buf, "%u\n", ch->subidx);
}
ENL_CHAN_ATTR(subchannel_id);

static ssize_t chan_monitor_id_show(struct enl_vmbus_channel *ch, char *buf)
{
	return sysfs_emit(buf, "%u\n", ch->offer.monitorid);
}
ENL_CHAN_ATTR(monitor_id);

static struct attribute *enl_chan_attrs[] = {
	&chan_attr_cpu.attr,
	&chan_attr_out_mask.attr,
	&chan_attr_in_mask.attr,
	&chan_attr_read_avail.attr,
	&chan_attr_write_avail.attr,
	&chan_attr_events.attr,
	&chan_attr_interrupts.attr,
	&chan_attr_subchannel_id.attr,
	&chan_attr_monitor_id.attr,
	NULL,
};
ATTRIBUTE_GROUPS(enl_chan);

static void enl_chan_kobj_release(struct kobject *k)
{
	kfree(to_enl_chan(k));
}

static const struct kobj_type enl_chan_ktype = {
	.sysfs_ops = &enl_chan_sysfs_ops,
	.release = enl_chan_kobj_release,
	.default_groups = enl_chan_groups,
};

int enl_chan_sysfs_add(struct enl_vmbus_channel *ch)
{
	struct enl_vmbus_device *d = ch->device;
	int ret;

	if (!d || !d->channels_kset)
		return -ENODEV;
	ch->kobj.kset = d->channels_kset;
	ret = kobject_init_and_add(&ch->kobj, &enl_chan_ktype, NULL, "%u",
				   ch->relid);
	if (ret) {
		/* kobject_put frees ch through the release */
		ch->kobj_added = true;
		return ret;
	}
	ch->kobj_added = true;
	mutex_lock(&enl_channels_lock);
	ch->kobj_shown = true;
	mutex_unlock(&enl_channels_lock);
	kobject_uevent(&ch->kobj, KOBJ_ADD);
	return 0;
}

/*
 * Take channels/<relid> out of sysfs (once: a second kobject_del would
 * drop the kset's reference twice); the struct stays until the put.
 */
static void enl_chan_sysfs_hide_locked(struct enl_vmbus_channel *ch)
{
	lockdep_assert_held(&enl_channels_lock);
	if (ch->kobj_shown)
		kobject_del(&ch->kobj);
	ch->kobj_shown = false;
}

void enl_chan_sysfs_del(struct enl_vmbus_channel *ch)
{
	kobject_put(&ch->kobj);
}

/* ---- bus type ------------------------------------------------------- */

#define to_enl_vmbus_driver(d) container_of(d, struct enl_vmbus_driver, driver)

static const struct enl_vmbus_device_id *
enl_match_id(const struct enl_vmbus_driver *drv, const enl_guid_t *class)
{
	const struct enl_vmbus_device_id *id = drv->id_table;

	for (; id && memcmp(&id->guid, &enl_zero_guid, sizeof(enl_zero_guid)); id++)
		if (!memcmp(&id->guid, class, sizeof(*class)))
			return id;
	return NULL;
}

static int enl_bus_match(struct device *dev, ENL_MATCH_DRV_CONST struct device_driver *drv)
{
	const struct enl_vmbus_driver *d = enl_container_of(drv, struct enl_vmbus_driver, driver);

	return !!enl_match_id(d, &to_enl_vmbus_device(dev)->class_id);
}

static int enl_bus_uevent(ENL_UEVENT_DEV_CONST struct device *dev,
			  struct kobj_uevent_env *env)
{
	const struct enl_vmbus_device *d = enl_container_of(dev, struct enl_vmbus_device, dev);

	return add_uevent_var(env, "MODALIAS=vmbus:%*phN", 16, d->class_id.b);
}

static int enl_bus_probe(struct device *dev)
{
	struct enl_vmbus_device *d = to_enl_vmbus_device(dev);
	struct enl_vmbus_driver *drv = to_enl_vmbus_driver(dev->driver);
	const struct enl_vmbus_device_id *id = enl_match_id(drv, &d->class_id);

	if (!id || !drv->probe)
		return -ENODEV;
	if (READ_ONCE(d->channel->rescinded))
		return -ENODEV;
	return drv->probe(d, id);
}

static void enl_bus_remove(struct device *dev)
{
	struct enl_vmbus_device *d = to_enl_vmbus_device(dev);
	struct enl_vmbus_driver *drv = to_enl_vmbus_driver(dev->driver);

	if (drv->remove)
		drv->remove(d);
	/* a driver that left its channel open */
	enl_vmbus_close(d->channel);
}

struct bus_type enl_vmbus_bus = {
	.name = "vmbus",
	.match = enl_bus_match,
	.uevent = enl_bus_uevent,
	.probe = enl_bus_probe,
	.remove = enl_bus_remove,
	.dev_groups = enl_dev_groups,
};

int __enl_vmbus_driver_register(struct enl_vmbus_driver *drv,
				struct module *owner, const char *mod_name)
{
	drv->driver.name = drv->name;
	drv->driver.owner = owner;
	drv->driver.mod_name = mod_name;
	drv->driver.bus = &enl_vmbus_bus;
	return driver_register(&drv->driver);
}
EXPORT_SYMBOL_GPL(__enl_vmbus_driver_register);

void enl_vmbus_driver_unregister(struct enl_vmbus_driver *drv)
{
	driver_unregister(&drv->driver);
}
EXPORT_SYMBOL_GPL(enl_vmbus_driver_unregister);

/* ---- offers and rescinds ------------------------------------------- */

static void enl_dev_release(struct device *dev)
{
	kfree(to_enl_vmbus_device(dev));
}

/* The primary channel of the device an offer names (class + instance). */
static struct enl_vmbus_channel *
enl_find_primary(const struct vmbus_offer_channel *o)
{
	struct enl_vmbus_channel *ch;

	lockdep_assert_held(&enl_channels_lock);
	list_for_each_entry(ch, &enl_channels, node)
		if (!ch->primary && enl_vmbus_offer_same_device(&ch->offer, o))
			return ch;
	return NULL;
}

static unsigned int enl_pick_cpu(void)
{
	unsigned int cpu;

	cpus_read_lock();
	cpu = cpumask_next(enl_next_cpu, cpu_online_mask);
	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first(cpu_online_mask);
	enl_next_cpu = cpu;
	cpus_read_unlock();
	return cpu;
}

static void enl_send_relid_released(u32 relid)
{
	struct vmbus_relid_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.msgtype = CHANNELMSG_RELID_RELEASED;
	m.child_relid = relid;
	enl_post(&m, sizeof(m));
}

/*
 * Unhook a channel from the relid map (and, unless keep_lists, from the
 * lists), tell the host.  After it no interrupt reaches the channel.
 */
static void enl_chan_unmap(struct enl_vmbus_channel *ch, bool tell,
			   bool keep_lists)
{
	mutex_lock(&enl_channels_lock);
	if (rcu_access_pointer(enl_relid_map[ch->relid]) == ch)
		RCU_INIT_POINTER(enl_relid_map[ch->relid], NULL);
	if (!keep_lists) {
		list_del_init(&ch->node);
		list_del_init(&ch->sc_node);
	}
	mutex_unlock(&enl_channels_lock);
	synchronize_rcu();
	tasklet_kill(&ch->tasklet);
	/* the host waits for RELID_RELEASED only after a rescind */
	if (tell && READ_ONCE(ch->rescind_seen))
		enl_send_relid_released(ch->relid);
}

static void enl_chan_unmap_all(struct enl_vmbus_channel *ch, bool tell)
{
	enl_chan_unmap(ch, tell, false);
}

/*
 * A rescinded subchannel goes back to the host once nobody uses it: at
 * the rescind if it is closed, else when its driver closes it (or fails
 * to open it).  It stays on its primary's list, hidden, until the
 * primary is removed, so the driver's pointer stays good.
 */
void enl_sc_release(struct enl_vmbus_channel *sc)
{
	if (!sc->primary || !READ_ONCE(sc->rescind_seen) ||
	    xchg(&sc->released, true))
		return;
	mutex_lock(&enl_channels_lock);
	enl_chan_sysfs_hide_locked(sc);
	mutex_unlock(&enl_channels_lock);
	enl_chan_unmap(sc, true, true);
}

/* RESCIND, in the interrupt: stop sends and waits on that channel now. */
void enl_vmbus_rescind_early(u32 relid)
{
	struct enl_vmbus_channel *ch;

	if (relid == 0 || relid > VMBUS_MAX_RELID)
		return;
	rcu_read_lock();
	ch = rcu_dereference(enl_relid_map[relid]);
	if (ch) {
		WRITE_ONCE(ch->rescinded, true);
		enl_chan_abort_xacts(ch, -ENODEV);
	}
	rcu_read_unlock();
}

void enl_vmbus_handle_offer(const struct vmbus_offer_channel *o)
{
	struct enl_vmbus_channel *ch, *primary = NULL;
	enl_vmbus_subchannel_cb sc_cb = NULL;
	struct enl_vmbus_device *d;
	int ret;

	if (enl_vmbus_unloading)
		return;
	if (o->child_relid == 0 || o->child_relid > VMBUS_MAX_RELID) {
		enl_ratelimited("offer with bad relid %u dropped\n", o->child_relid);
		return;
	}
	ch = enl_chan_alloc(o);
	if (!ch)
		return;
	ch->target_cpu = enl_pick_cpu();
	ch->target_vp = enl_hv_vp_index(ch->target_cpu);

	mutex_lock(&enl_channels_lock);
	if (rcu_access_pointer(enl_relid_map[ch->relid])) {
		mutex_unlock(&enl_channels_lock);
		enl_ratelimited("offer of relid %u, which is in use, dropped\n",
				ch->relid);
		enl_chan_free(ch);
		return;
	}
	primary = enl_find_primary(o);
	switch (enl_vmbus_offer_kind(o, primary ? &primary->offer : NULL)) {
	case ENL_OFFER_PRIMARY:
		primary = NULL;
		break;
	case ENL_OFFER_SUBCHANNEL:
		ch->primary = primary;
		ch->device = primary->device;
		list_add_tail(&ch->sc_node, &primary->sc_list);
		sc_cb = primary->sc_cb;
		break;
	case ENL_OFFER_DUPLICATE:
		mutex_unlock(&enl_channels_lock);
		enl_ratelimited("second offer of device %pUl (relid %u) dropped\n",
				o->if_instance.b, ch->relid);
		enl_chan_free(ch);
		return;
	case ENL_OFFER_ORPHAN:
		mutex_unlock(&enl_channels_lock);
		enl_ratelimited("subchannel relid %u without a primary dropped\n",
				ch->relid);
		enl_chan_free(ch);
		return;
	}
	list_add_tail(&ch->node, &enl_channels);
	rcu_assign_pointer(enl_relid_map[ch->relid], ch);
	mutex_unlock(&enl_channels_lock);

	if (primary) {
		enl_chan_sysfs_add(ch);
		/* the driver opens it (or not); it is never a device */
		if (sc_cb)
			sc_cb(primary, ch);
		return;
	}

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		goto fail;
	d->class_id = o->if_type;
	d->instance_id = o->if_instance;
	d->channel = ch;
	ch->device = d;
	d->dev.bus = &enl_vmbus_bus;
	d->dev.release = enl_dev_release;
	dev_set_name(&d->dev, "%pUl", d->instance_id.b);
	ret = device_register(&d->dev);
	if (ret) {
		pr_err("relid %u: device_register failed (%d)\n", ch->relid, ret);
		put_device(&d->dev);
		ch->device = NULL;
		goto fail;
	}
	d->channels_kset = kset_create_and_add("channels", NULL, &d->dev.kobj);
	if (d->channels_kset)
		enl_chan_sysfs_add(ch);
	return;
fail:
	enl_chan_unmap_all(ch, false);
	enl_chan_free(ch);
}

/* Remove one primary's device, then its subchannels, then itself. */
static void enl_remove_primary(struct enl_vmbus_channel *ch, bool tell)
{
	struct enl_vmbus_channel *sc, *tmp;
	struct enl_vmbus_device *d = ch->device;
	LIST_HEAD(scs);

	if (d) {
		/* channels/ goes first: its entries outlive the directory */
		mutex_lock(&enl_channels_lock);
		enl_chan_sysfs_hide_locked(ch);
		list_for_each_entry(sc, &ch->sc_list, sc_node)
			enl_chan_sysfs_hide_locked(sc);
		mutex_unlock(&enl_channels_lock);
		if (d->channels_kset)
			kset_unregister(d->channels_kset);
		d->channels_kset = NULL;
		device_unregister(&d->dev);	/* the driver's remove closes */
	}
	/* closes the subchannels first, then the primary, as hv_vmbus does */
	enl_vmbus_close(ch);
	mutex_lock(&enl_channels_lock);
	list_splice_init(&ch->sc_list, &scs);
	mutex_unlock(&enl_channels_lock);
	list_for_each_entry_safe(sc, tmp, &scs, sc_node) {
		if (tell)
			enl_vmbus_close(sc);	/* releases a rescinded one */
		else
			enl_chan_force_close(sc);
		if (!sc->released)
			enl_chan_unmap(sc, tell, true);
		mutex_lock(&enl_channels_lock);
		list_del_init(&sc->node);
		list_del_init(&sc->sc_node);
		mutex_unlock(&enl_channels_lock);
		enl_chan_free(sc);
	}
	enl_chan_unmap_all(ch, tell);
	enl_chan_free(ch);
}

void enl_vmbus_handle_rescind(u32 relid)
{
	struct enl_vmbus_channel *ch;
	bool open;

	if (relid == 0 || relid > VMBUS_MAX_RELID)
		return;
	mutex_lock(&enl_channels_lock);
	ch = rcu_dereference_protected(enl_relid_map[relid],
				       lockdep_is_held(&enl_channels_lock));
	if (ch) {
		WRITE_ONCE(ch->rescinded, true);
		WRITE_ONCE(ch->rescind_seen, true);
	}
	mutex_unlock(&enl_channels_lock);
	if (!ch) {
		/*
		 * Nothing of ours uses it (a subchannel whose primary went
		 * first, a dropped offer): give it back all the same, or the
		 * host waits for it forever.
		 */
		enl_ratelimited("rescind of unknown relid %u\n", relid);
		enl_send_relid_released(relid);
		return;
	}
	pr_info("relid %u rescinded\n", relid);
	enl_chan_abort_xacts(ch, -ENODEV);
	if (!ch->primary) {
		enl_remove_primary(ch, true);
		return;
	}
	/*
	 * A subchannel belongs to its driver, which may be using it right
	 * now: sends and waits fail with -ENODEV from here on; the driver
	 * closes it (the stock hv_vmbus leaves that to the driver too) and
	 * the relid goes back then.  One nobody opened goes back at once.
	 */
	mutex_lock(&ch->lock);
	open = ch->state != ENL_CHAN_OFFERED;
	mutex_unlock(&ch->lock);
	if (!open)
		enl_sc_release(ch);
}

void enl_vmbus_remove_all(void)
{
	struct enl_vmbus_channel *ch;

	for (;;) {
		mutex_lock(&enl_channels_lock);
		ch = NULL;
		if (!list_empty(&enl_channels)) {
			ch = list_first_entry(&enl_channels, struct enl_vmbus_channel, node);
			if (ch->primary)
				ch = ch->primary;
		}
		mutex_unlock(&enl_channels_lock);
		if (!ch)
			break;
		enl_remove_primary(ch, true);
	}
}

/* ---- the ACPI VMBUS device ----------------------------------------- */

static int enl_vmbus_probe(struct platform_device *pdev)
{
	int ret;

	enl_vmbus_unloading = false;
	ret = enl_hv_synic_start();
	if (ret)
		return ret;
	ret = enl_vmbus_connect();
	if (ret)
		goto fail;
	ret = enl_vmbus_request_offers();
	if (ret)
		goto fail_unload;
	enl_probed = true;
	return 0;
fail_unload:
	enl_vmbus_disconnect();
fail:
	enl_vmbus_unloading = true;
	enl_hv_synic_stop();
	return ret;
}

static void enl_vmbus_remove(struct platform_device *pdev)
{
	/* new offers are ignored from here on */
	enl_vmbus_unloading = true;
	flush_workqueue(enl_vmbus_wq);
	enl_vmbus_remove_all();
	enl_vmbus_disconnect();
	flush_workqueue(enl_vmbus_wq);
	/* anything the host offered in between */
	enl_vmbus_remove_all();
	enl_hv_synic_stop();
	enl_probed = false;
}

static const struct acpi_device_id enl_vmbus_acpi_ids[] = {
	{ "VMBUS", 0 },
	{ "VMBus", 0 },
	{ "", 0 },
};
MODULE_DEVICE_TABLE(acpi, enl_vmbus_acpi_ids);

static struct platform_driver enl_vmbus_platform = {
	.probe = enl_vmbus_probe,
	.remove_new = enl_vmbus_remove,
	.driver = {
		.name = "enl_vmbus",
		.acpi_match_table = enl_vmbus_acpi_ids,
		.probe_type = PROBE_FORCE_SYNCHRONOUS,
	},
};

static int __init enl_vmbus_init(void)
{
	int ret;

	ret = enl_hv_check_platform();
	if (ret)
		return ret;
	/* fails with -EEXIST when the in-tree hv_vmbus owns "vmbus" */
	ret = bus_register(&enl_vmbus_bus);
	if (ret) {
		pr_err("cannot register bus \"vmbus\" (%d): is hv_vmbus loaded?\n", ret);
		return ret;
	}
	enl_vmbus_wq = alloc_ordered_workqueue("enl_vmbus", 0);
	if (!enl_vmbus_wq) {
		ret = -ENOMEM;
		goto fail_bus;
	}
	ret = platform_driver_register(&enl_vmbus_platform);
	if (ret)
		goto fail_wq;
	if (!enl_probed) {
		pr_err("no VMBus device, or the host did not answer\n");
		ret = -ENODEV;
		goto fail_drv;
	}
	return 0;
fail_drv:
	platform_driver_unregister(&enl_vmbus_platform);
fail_wq:
	destroy_workqueue(enl_vmbus_wq);
fail_bus:
	bus_unregister(&enl_vmbus_bus);
	return ret;
}

static void __exit enl_vmbus_exit(void)
{
	platform_driver_unregister(&enl_vmbus_platform);
	destroy_workqueue(enl_vmbus_wq);
	bus_unregister(&enl_vmbus_bus);
}

module_init(enl_vmbus_init);
module_exit(enl_vmbus_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("enlighten VMBus bus driver");
