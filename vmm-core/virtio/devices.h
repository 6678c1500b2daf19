/* The VM's virtio devices: started from the command line, each given a
 * virtio-mmio window and an IRQ, announced to the guest on its command
 * line and in the ACPI DSDT, and watched for backend death. */
#ifndef CELLVM_VIRTIO_DEVICES_H
#define CELLVM_VIRTIO_DEVICES_H

#include <poll.h>
#include <stddef.h>

#include "dev_metrics.h"
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

#endif
