/* The VM's virtio devices: started from the command line, each given a
 * virtio-mmio window and an IRQ, announced to the guest on its command
 * line and in the ACPI DSDT, and watched for backend death. */
#ifndef CELLVM_VIRTIO_DEVICES_H
#define CELLVM_VIRTIO_DEVICES_H

#include <poll.h>
#include <stddef.h>

#include "dev_metrics.h"
#include "dev_respawn.h"
#include "dev_zygote.h"
#include "restart_budget.h"
#include "vm_config.h"
#include "tables/tables.h"
#include "vm.h"
#include "vsock_host.h"
#include "vu_device.h"

struct virtio_devices {
	unsigned int n;
	struct vu_device dev[VM_MAX_DEVICES];
	/* The counters page each device process keeps, NULL when none. */
	const struct dev_metrics *metrics[VM_MAX_DEVICES];
	/* The vsock device's listening socket and connect broker, or NULL. */
	struct vsock_host *vsock;
	/* Restart (dev_restart.c): how to start each device again, its
	 * policy and budget; stopping: the VM is going down, nothing is
	 * restarted (set by the main loop). */
	struct dev_respawn respawn[VM_MAX_DEVICES];
	enum dev_restart restart[VM_MAX_DEVICES];
	struct restart_budget budget[VM_MAX_DEVICES];
	uint64_t requests_at_start[VM_MAX_DEVICES]; /* metrics page count when it last started */
	/* An external backend with restart=on-failure: its socket, connected
	 * to again (else ""). */
	char reconnect[VM_MAX_DEVICES][VM_SOCK_PATH_MAX + 1];
	struct dev_zygote zygote;   /* started when some device may be restarted */
	bool stopping;
};

/* Starts or connects every device of cfg and puts it on the MMIO bus. */
int virtio_devices_create(struct virtio_devices *vd, struct vm *vm, const struct vm_config *cfg);
void virtio_devices_destroy(struct virtio_devices *vd);

/* Appends " virtio_mmio.device=4K@0x...:IRQ" per device. -E2BIG if cap is
 * too small. */
int virtio_devices_cmdline(const struct virtio_devices *vd, char *buf, size_t cap);
/* Fills desc[0..n) for the ACPI tables; returns n. */
unsigned int virtio_devices_describe(const struct virtio_devices *vd, struct mmio_dev_desc *desc);

/* Pollfds per device for the main loop: socket hang-up, process exit, the
 * process's output. */
#define VIRTIO_DEVICES_POLLFDS 3

/* Fills VIRTIO_DEVICES_POLLFDS pollfds per device; returns how many. */
unsigned int virtio_devices_pollfds(struct virtio_devices *vd, struct pollfd *pfd);
/* The longest the main loop may sleep for the devices' sake (a device log
 * held back by its rate limit, dropped lines to report); -1: no limit. */
int virtio_devices_poll_timeout(struct virtio_devices *vd);
/* Handles what poll reported for those pollfds. */
void virtio_devices_poll_result(struct virtio_devices *vd, const struct pollfd *pfd);

/* dev_restart.c: device i's process ended (wait status, -1 if unknown)
 * or hung up; restarts it when its policy and budget allow, else the
 * guest sees NEEDS_RESET. */
void virtio_device_died(struct virtio_devices *vd, unsigned int i, int status, const char *why);
/* "signal 9", "exit 3" for a wait status; "" for -1. */
void dev_exit_status_str(int status, char *buf, size_t len);

#endif
