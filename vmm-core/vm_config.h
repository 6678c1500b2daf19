/* The machine a VM is built from. The command line, the config file and
 * the API's Configure request all produce one of these, and
 * vm_config_check is the one place its limits are enforced, so every way
 * in accepts exactly the same machines. It owns its strings and can be
 * copied with plain assignment. */
#ifndef CELLVM_VM_CONFIG_H
#define CELLVM_VM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"

enum dev_kind {
	DEV_DISK,       /* --disk: cellvm-blk started by the core */
	DEV_RNG,        /* --rng: cellvm-rng started by the core */
	DEV_VHOST_USER, /* --vhost-user: a backend someone else started */
	DEV_VSOCK,      /* --vsock: cellvm-vsock started by the core */
	DEV_NET,        /* --net: cellvm-net on a tap the core opens */
};

/* What the core does when a device process dies (README.md, "Device
 * restart"); zero is the default. */
enum dev_restart {
	DEV_RESTART_ON_FAILURE, /* respawn and restore, within the budget */
	DEV_RESTART_NEVER,      /* NEEDS_RESET at once */
};

#define VM_MAX_DEVICES  16
#define VM_PATH_MAX     4096
#define VM_DISK_ID_MAX  20   /* virtio-blk GET_ID returns at most 20 bytes */
#define VM_SOCK_PATH_MAX 107 /* sun_path less its NUL */
#define VM_VSOCK_MIN_CID 3u  /* 0-2 are the hypervisor, local and host */
#define VM_VSOCK_MAX_CID 0xfffffffeu /* 0xffffffff is VMADDR_CID_ANY */
#define VM_VSOCK_PATH_MAX 96 /* room for "_<port>" in sun_path */
#define VM_NET_TAP_MAX   15  /* IFNAMSIZ less its NUL */
#define VM_NET_MAX_QUEUES 7  /* rx+tx pairs and a control queue fit 16 virtio-mmio queues */
#define VM_NET_MIN_MTU   68
#define VM_NET_MAX_MTU   65535
#define VM_NET_DEFAULT_MTU 1500

#define VM_DEFAULT_CMDLINE "console=ttyS0 reboot=k panic=1 pci=off"
#define VM_DEFAULT_MEM_MIB 128
#define VM_MIN_MEM_MIB     16
#define VM_MAX_MEM_MIB     (1024ULL * 1024) /* 1 TiB */

struct dev_spec {
	enum dev_kind kind;
	uint32_t virtio_id;          /* for DEV_VHOST_USER: from its TYPE */
	char path[VM_PATH_MAX];      /* image file, the backend's socket, or the vsock uds path */
	char id[VM_DISK_ID_MAX + 1];
	bool read_only;
	uint32_t guest_cid;          /* DEV_VSOCK */
	enum dev_restart restart;    /* devices the core starts; DEV_VHOST_USER: never */
	/* DEV_NET: path holds the tap's name. */
	uint8_t mac[6];
	bool has_mac;                /* false: derived from the tap name (net_tap.h) */
	uint32_t mtu;                /* 0: VM_NET_DEFAULT_MTU */
	uint32_t queues;             /* rx/tx queue pairs; 0: 1 */
};

struct vm_config {
	char kernel[VM_PATH_MAX];
	char initrd[VM_PATH_MAX];           /* "" for none */
	char cmdline[LAYOUT_CMDLINE_MAX];   /* "" for VM_DEFAULT_CMDLINE */
	uint64_t mem_mib;
	unsigned int cpus;
	unsigned int ndevs;
	struct dev_spec devs[VM_MAX_DEVICES];
};

void vm_config_defaults(struct vm_config *c);

/* 0, or -EINVAL after writing a one-line reason naming the field. */
int vm_config_check(const struct vm_config *c, char *err, size_t errlen);

/* Copies src into a fixed buffer; -ENAMETOOLONG if it does not fit. */
int vm_config_set_str(char *dst, size_t cap, const char *src);

/* "blk" -> 2, "rng" -> 4, else 0; and back ("?" for unknown ids). */
uint32_t vm_config_virtio_type(const char *name);
const char *vm_config_virtio_name(uint32_t virtio_id);

/* "on-failure" / "never" (and "" for the default, as the API's proto3
 * strings arrive) -> the policy; -EINVAL for anything else. */
int vm_config_restart_parse(const char *s, enum dev_restart *out);
const char *vm_config_restart_name(enum dev_restart r);
/* "02:00:00:00:00:01" <-> 6 bytes; parse: 0 or -EINVAL. */
#define VM_MAC_STR_LEN 18
int vm_config_parse_mac(const char *s, uint8_t mac[6]);
void vm_config_format_mac(const uint8_t mac[6], char out[VM_MAC_STR_LEN]);

#endif
