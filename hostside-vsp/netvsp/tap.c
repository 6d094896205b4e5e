// SPDX-License-Identifier: GPL-2.0-only
/*
 * The backend: a Linux tap with a virtio-net header on each frame, one
 * queue (fd) per channel.  Checksum offload both ways and TSO from the
 * guest: the host's stack finishes or segments what we hand it.  Towards
 * the guest only checksum offload: frames arrive already segmented (a
 * receive section holds one frame) and nvsp.c finishes their checksums.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if.h>
#include <linux/if_tun.h>

#include "netvsp.h"

_Static_assert(sizeof(struct netvsp_vnet_hdr) == 10, "virtio_net_hdr");

int netvsp_tap_open(const char *name, int *fds, unsigned int n, char *err,
		    size_t err_len)
{
	unsigned int i;
	int e;

	for (i = 0; i < n; i++)
		fds[i] = -1;
	for (i = 0; i < n; i++) {
		struct ifreq ifr;
		int hdr = sizeof(struct netvsp_vnet_hdr);
		int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

		if (fd < 0) {
			e = -errno;
			snprintf(err, err_len, "cannot open /dev/net/tun: %s", strerror(errno));
			goto fail;
		}
		fds[i] = fd;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
		if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
			e = -errno;
			snprintf(err, err_len, "tap %s queue %u: TUNSETIFF: %s", name, i,
				 strerror(errno));
			goto fail;
		}
		if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
		    ioctl(fd, TUNSETOFFLOAD, (unsigned long)TUN_F_CSUM) < 0) {
			e = -errno;
			snprintf(err, err_len, "tap %s: vnet header / offloads: %s", name,
				 strerror(errno));
			goto fail;
		}
	}
	return 0;
fail:
	for (i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
	return e;
}

int netvsp_tap_set_mtu(const char *name, unsigned int mtu)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), e = 0;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFMTU, &ifr) == 0 && (unsigned int)ifr.ifr_mtu >= mtu)
		goto out;
	ifr.ifr_mtu = (int)mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
		e = -errno;
out:
	close(s);
	return e;
}
