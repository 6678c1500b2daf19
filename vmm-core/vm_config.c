#include "vm_config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void vm_config_defaults(struct vm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->mem_mib = VM_DEFAULT_MEM_MIB;
	c->cpus = 1;
}

int vm_config_set_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

uint32_t vm_config_virtio_type(const char *name)
{
	if (strcmp(name, "blk") == 0)
		return 2;
	if (strcmp(name, "rng") == 0)
		return 4;
	return 0;
}

const char *vm_config_virtio_name(uint32_t virtio_id)
{
	switch (virtio_id) {
	case 2: return "blk";
	case 4: return "rng";
	default: return "?";
	}
}

int vm_config_parse_mac(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return -EINVAL;
	for (unsigned int i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		int v = 0;
		for (unsigned int k = 0; k < 2; k++) {
			char c = p[k];
			int h = c >= '0' && c <= '9'   ? c - '0'
				: c >= 'a' && c <= 'f' ? c - 'a' + 10
				: c >= 'A' && c <= 'F' ? c - 'A' + 10
						       : -1;
			if (h < 0)
				return -EINVAL;
			v = v * 16 + h;
		}
		if (i < 5 && p[2] != ':')
			return -EINVAL;
		mac[i] = (uint8_t)v;
	}
	return 0;
}

void vm_config_format_mac(const uint8_t mac[6], char out[VM_MAC_STR_LEN])
{
	snprintf(out, VM_MAC_STR_LEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
}

/* Control characters would let a configuration forge log lines or break
 * the guest's command line parsing; no legitimate path or id has them. */
static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

#define FAIL(...)                                   \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		return -EINVAL;                     \
	} while (0)

static int check_dev(const struct dev_spec *d, unsigned int i, char *err, size_t errlen)
{
	switch (d->kind) {
	case DEV_DISK:
		if (!d->path[0])
			FAIL("device %u: a drive needs a path", i);
		if (has_control(d->path) || has_control(d->id))
			FAIL("device %u: control characters in the drive's path or id", i);
		if (strlen(d->id) > VM_DISK_ID_MAX)
			FAIL("device %u: drive id is longer than %d bytes", i, VM_DISK_ID_MAX);
		return 0;
	case DEV_RNG:
		return 0;
	case DEV_VHOST_USER:
		if (d->virtio_id != 2 && d->virtio_id != 4)
			FAIL("device %u: vhost-user type must be blk or rng", i);
		if (!d->path[0])
			FAIL("device %u: a vhost-user device needs a socket", i);
		if (strlen(d->path) > VM_SOCK_PATH_MAX)
			FAIL("device %u: vhost-user socket path is longer than %d bytes", i,
			     VM_SOCK_PATH_MAX);
		if (has_control(d->path))
			FAIL("device %u: control characters in the socket path", i);
		return 0;
	case DEV_VSOCK:
		if (d->guest_cid < VM_VSOCK_MIN_CID || d->guest_cid > VM_VSOCK_MAX_CID)
			FAIL("device %u: vsock guest cid must be %u to %u, not %u", i, VM_VSOCK_MIN_CID,
			     VM_VSOCK_MAX_CID, d->guest_cid);
		if (!d->path[0] || strlen(d->path) > VM_VSOCK_PATH_MAX)
			FAIL("device %u: vsock uds path must be 1 to %d bytes", i, VM_VSOCK_PATH_MAX);
		if (has_control(d->path))
			FAIL("device %u: control characters in the vsock uds path", i);
		return 0;
	case DEV_NET:
		if (!d->path[0] || strlen(d->path) > VM_NET_TAP_MAX)
			FAIL("device %u: tap name must be 1 to %d bytes", i, VM_NET_TAP_MAX);
		if (has_control(d->path) || strchr(d->path, '/') || strchr(d->path, ' '))
			FAIL("device %u: the tap name '%s' is not an interface name", i, d->path);
		if (d->queues > VM_NET_MAX_QUEUES)
			FAIL("device %u: net queues must be 1 to %d, not %u", i, VM_NET_MAX_QUEUES,
			     d->queues);
		if (d->mtu && (d->mtu < VM_NET_MIN_MTU || d->mtu > VM_NET_MAX_MTU))
			FAIL("device %u: net mtu must be %d to %d, not %u", i, VM_NET_MIN_MTU,
			     VM_NET_MAX_MTU, d->mtu);
		if (d->has_mac && ((d->mac[0] & 1) || !(d->mac[0] | d->mac[1] | d->mac[2] |
							     d->mac[3] | d->mac[4] | d->mac[5])))
			FAIL("device %u: net mac must be a non-zero unicast address", i);
		return 0;
	default:
		FAIL("device %u: unknown kind", i);
	}
}

int vm_config_check(const struct vm_config *c, char *err, size_t errlen)
{
	if (!c->kernel[0])
		FAIL("a kernel is required");
	if (has_control(c->kernel) || has_control(c->initrd))
		FAIL("control characters in the kernel or initrd path");
	if (has_control(c->cmdline))
		FAIL("control characters in the kernel command line");
	if (c->cpus < 1 || c->cpus > MAX_VCPUS)
		FAIL("vcpus must be 1 to %d, not %u", MAX_VCPUS, c->cpus);
	if (c->mem_mib < VM_MIN_MEM_MIB || c->mem_mib > VM_MAX_MEM_MIB)
		FAIL("mem_mib must be %d to %llu, not %llu", VM_MIN_MEM_MIB,
		     (unsigned long long)VM_MAX_MEM_MIB, (unsigned long long)c->mem_mib);
	if (c->ndevs > VM_MAX_DEVICES)
		FAIL("at most %d devices", VM_MAX_DEVICES);
	unsigned int nvsock = 0;
	for (unsigned int i = 0; i < c->ndevs; i++) {
		int ret = check_dev(&c->devs[i], i, err, errlen);
		if (ret < 0)
			return ret;
		/* A guest has one cid: Linux drives a single vsock device. */
		if (c->devs[i].kind == DEV_VSOCK && ++nvsock > 1)
			FAIL("device %u: at most one vsock device", i);
	}
	return 0;
}
