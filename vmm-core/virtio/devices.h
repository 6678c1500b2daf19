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
#include "vu_device.h"

struct virtio_devices {
	unsigned int n;
	struct vu_device dev[VM_MAX_DEVICES];
	/* The counters page each device process keeps, NULL when none. */
	const struct dev_metrics *metrics[VM_MAX_DEVICES];
};

/* Starts or connects every device of cfg and puts it on the MMIO bus. */
int virtio_devices_create(struct virtio_devices *vd, struct vm *vm, const struct vm_config *cfg);
void virtio_devices_destroy(struct virtio_devices *vd);

/* Appends " virtio_mmio.device=4K@0x...:IRQ" per device. -E2BIG if cap is
 * too small. */
int virtio_devices_cmdline(const struct virtio_devices *vd, char *buf, size_t cap);
/* Fills desc[0..n) for the ACPI tables; returns n. */
unsigned int virtio_devices_describe(const struct virtio_devices *vd, struct mmio_dev_desc *desc);

/* Two pollfds per device (socket hang-up, process exit) for the main loop;
 * returns how many were written (at most 2 * n). */
unsigned int virtio_devices_pollfds(const struct virtio_devices *vd, struct pollfd *pfd);
/* Handles what poll reported for those pollfds. */
void virtio_devices_poll_result(struct virtio_devices *vd, const struct pollfd *pfd);

#endif
