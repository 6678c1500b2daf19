#include "net_tap.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>

static int tap_attach(const char *name, unsigned int queues)
{
	struct ifreq ifr = { 0 };
	int hdr = NET_TAP_VNET_HDR_LEN;
	int fd, ret;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		log_error("net: cannot open /dev/net/tun: %s", strerror(errno));
		return ret;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (queues > 1 ? IFF_MULTI_QUEUE : 0);
	memcpy(ifr.ifr_name, name, strnlen(name, IFNAMSIZ - 1));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		if (errno == EBUSY)
			log_error("net: tap '%s' is busy: another process has it open", name);
		else if (errno == EINVAL)
			log_error("net: '%s' is not a tap%s (TUNSETIFF: %s)", name,
				  queues > 1 ? " made with multi_queue" : " without multi_queue",
				  strerror(EINVAL));
		else
			log_error("net: cannot attach to tap '%s': %s", name, strerror(errno));
		goto fail;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		ret = -errno;
		log_error("net: tap '%s': TUNSETVNETHDRSZ: %s", name, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return ret;
}

int net_tap_open(const char *name, unsigned int queues, int *fds)
{
	unsigned int i;
	int ret;

	/* TUNSETIFF would create a missing tap (given CAP_NET_ADMIN), and a
	 * tap nobody configured is never what was meant. */
	if (if_nametoindex(name) == 0) {
		log_error("net: no interface '%s' (create the tap first: ip tuntap add "
			  "dev %s mode tap%s)", name, name, queues > 1 ? " multi_queue" : "");
		return -ENODEV;
	}
	for (i = 0; i < queues; i++) {
		if ((ret = tap_attach(name, queues)) < 0)
			goto fail;
		fds[i] = ret;
	}
	return 0;
fail:
	while (i--)
		close(fds[i]);
	return ret;
}

void net_tap_default_mac(const char *name, uint8_t mac[6])
{
	uint32_t h = 2166136261u;

	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	mac[0] = 0x02;
	mac[1] = 0xc7;
	mac[2] = (uint8_t)(h >> 24);
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}
