#include "vu_device.h"
#include "vu_device_internal.h"
#include "log.h"
#include "virtq.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

/* Protocol features the core uses as a frontend. */
#define VU_DEVICE_PROTOCOL_FEATURES                                                      \
	((1ULL << VHOST_USER_PROTOCOL_F_MQ) | (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) | \
	 (1ULL << VHOST_USER_PROTOCOL_F_CONFIG) | (1ULL << VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD))

/* Transport features this virtio-mmio implementation cannot carry: packed
 * rings (34), notification data (38), per-queue reset (40), plus the
 * vhost-user-only bit 30 that means nothing to a guest. */
#define VU_DEVICE_HIDDEN_FEATURES \
	((1ULL << 30) | (1ULL << 34) | (1ULL << 38) | (1ULL << 40))

static uint32_t vu_device_config_len(uint32_t virtio_id)
{
	switch (virtio_id) {
	case VIRTIO_ID_BLOCK: return 60; /* struct virtio_blk_config up to write_zeroes */
	case VIRTIO_ID_VSOCK: return 8;  /* struct virtio_vsock_config: le64 guest_cid */
	case VIRTIO_ID_NET: return 12;   /* struct virtio_net_config up to mtu */
	default: return 0;
	}
}

static int vu_device_ioeventfd(struct vu_device *d, unsigned int q, bool assign)
{
	struct kvm_ioeventfd io = {
		.datamatch = q,
		.addr = d->mmio_base + VMMIO_QUEUE_NOTIFY,
		.len = 4,
		.fd = d->kick_fds[q],
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH | (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};
	return ioctl(d->vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

int vu_device_send_mem_table(struct vu_device *d)
{
	struct vu_frontend_region r[GUEST_MEM_MAX_REGIONS];

	for (unsigned int i = 0; i < d->mem->nr_regions; i++) {
		const struct guest_region *g = &d->mem->regions[i];
		r[i] = (struct vu_frontend_region){
			.gpa = g->gpa, .size = g->size, .user_addr = (uintptr_t)g->host,
			.mmap_offset = g->fd_offset, .fd = d->mem->fd,
		};
	}
	return vu_frontend_set_mem_table(&d->fe, r, d->mem->nr_regions);
}

int vu_device_start_queue(struct vu_device *d, unsigned int i, const struct virtio_mmio_queue *q,
			  unsigned int base)
{
	uint8_t *desc = guest_mem_ptr(d->mem, q->desc, VIRTQ_DESC_BYTES(q->num));
	uint8_t *avail = guest_mem_ptr(d->mem, q->driver, VIRTQ_AVAIL_BYTES(q->num));
	uint8_t *used = guest_mem_ptr(d->mem, q->device, VIRTQ_USED_BYTES(q->num));
	int ret;

	/* The guest chose these addresses: a ring outside RAM is its error,
	 * and the device refuses to start instead of sending the backend an
	 * address it would have to reject. */
	if (!desc || !avail || !used) {
		log_warn("%s: queue %u rings lie outside guest RAM", d->name, i);
		return -EFAULT;
	}
	if ((ret = vu_frontend_set_vring_num(&d->fe, i, q->num)) < 0 ||
	    (ret = vu_frontend_set_vring_base(&d->fe, i, base)) < 0 ||
	    (ret = vu_frontend_set_vring_addr(&d->fe, i, (uintptr_t)desc, (uintptr_t)avail,
					      (uintptr_t)used)) < 0 ||
	    (ret = vu_frontend_set_vring_call(&d->fe, i, d->irq_fd)) < 0 ||
	    (ret = vu_frontend_set_vring_kick(&d->fe, i, d->kick_fds[i])) < 0)
		return ret;
	if (d->backend_features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)) {
		if ((ret = vu_frontend_set_vring_enable(&d->fe, i, true)) < 0)
			return ret;
	}
	d->queue_started[i] = true;
	return 0;
}

static void vu_device_stop_queues(struct vu_device *d)
{
	for (unsigned int i = 0; i < d->num_queues; i++) {
		unsigned int base;
		if (!d->queue_started[i])
			continue;
		/* GET_VRING_BASE stops the ring in the backend (spec: "Ring
		 * states"); its answer is irrelevant after a reset. */
		if (!d->dead && vu_frontend_get_vring_base(&d->fe, i, &base) < 0)
			log_warn("%s: stopping queue %u failed", d->name, i);
		d->queue_started[i] = false;
	}
}

static int vu_device_activate(void *opaque, struct virtio_mmio *t)
{
	struct vu_device *d = opaque;
	uint64_t features = t->driver_features;
	int ret;

	if (d->dead)
		return -EPIPE;
	if (d->backend_features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES))
		features |= 1ULL << VHOST_USER_F_PROTOCOL_FEATURES;
	if ((ret = vu_frontend_set_features(&d->fe, features)) < 0 ||
	    (ret = vu_device_send_mem_table(d)) < 0 ||
	    (ret = vu_device_inflight_setup(d)) < 0)
		goto fail;
	d->acked_features = features;
	for (unsigned int i = 0; i < d->num_queues; i++) {
		if (t->queues[i].ready && (ret = vu_device_start_queue(d, i, &t->queues[i], 0)) < 0)
			goto fail;
	}
	d->activated = true;
	log_debug("%s: started", d->name);
	return 0;
fail:
	log_warn("%s: starting the backend failed: %s", d->name, strerror(-ret));
	vu_device_stop_queues(d);
	return ret;
}

static void vu_device_reset(void *opaque, struct virtio_mmio *t)
{
	struct vu_device *d = opaque;

	(void)t;
	vu_device_stop_queues(d);
	d->activated = false;
	/* A reset device starts from a fresh region (spec: the frontend
	 * gets a new one on reset). */
	vu_device_inflight_forget(d);
}

static void vu_device_config_write(void *opaque, struct virtio_mmio *t, uint32_t off, uint32_t len)
{
	struct vu_device *d = opaque;

	if (d->dead || !(d->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_CONFIG)))
		return;
	if (vu_frontend_set_config(&d->fe, off, t->config + off, len) < 0)
		log_warn("%s: SET_CONFIG failed", d->name);
}

static const struct virtio_mmio_ops vu_device_mmio_ops = {
	.activate = vu_device_activate,
	.reset = vu_device_reset,
	.config_write = vu_device_config_write,
};

int vu_device_negotiate(struct vu_device *d, uint8_t *config, uint32_t *config_len)
{
	uint64_t pf = 0, nq = 1;
	int ret;

	if ((ret = vu_frontend_set_owner(&d->fe)) < 0 ||
	    (ret = vu_frontend_get_features(&d->fe, &d->backend_features)) < 0)
		return ret;
	if (d->backend_features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)) {
		if ((ret = vu_frontend_get_protocol_features(&d->fe, &pf)) < 0)
			return ret;
		d->protocol_features = pf & VU_DEVICE_PROTOCOL_FEATURES;
		if ((ret = vu_frontend_set_protocol_features(&d->fe, d->protocol_features)) < 0)
			return ret;
	}
	if ((d->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_MQ)) &&
	    (ret = vu_frontend_get_queue_num(&d->fe, &nq)) < 0)
		return ret;
	if (nq == 0 || nq > VIRTIO_MMIO_MAX_QUEUES) {
		log_error("%s: backend reports %llu queues", d->name, (unsigned long long)nq);
		return -EPROTO;
	}
	d->num_queues = (unsigned int)nq;
	/* A device type's config space must come from the backend; without
	 * the CONFIG protocol feature the guest would see zeros. */
	*config_len = vu_device_config_len(d->virtio_id);
	if (*config_len) {
		if (!(d->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_CONFIG))) {
			log_error("%s: backend lacks the CONFIG protocol feature", d->name);
			return -EPROTO;
		}
		if ((ret = vu_frontend_get_config(&d->fe, 0, config, *config_len)) < 0)
			return ret;
	}
	return 0;
}

int vu_device_init(struct vu_device *d, const char *name, uint32_t virtio_id, int vm_fd,
		   const struct guest_mem *mem, uint64_t mmio_base, unsigned int irq, int sock,
		   const struct dev_proc *proc)
{
	uint8_t config[VIRTIO_MMIO_CONFIG_MAX] = { 0 };
	uint32_t config_len = 0;
	int ret;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->virtio_id = virtio_id;
	d->vm_fd = vm_fd;
	d->mem = mem;
	d->mmio_base = mmio_base;
	d->irq = irq;
	d->irq_fd = -1;
	d->inflight_fd = -1;
	atomic_store(&d->last_exit_status, -1);
	for (unsigned int i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		d->kick_fds[i] = -1;
	d->proc = proc ? *proc : (struct dev_proc){ .pid = -1, .pidfd = -1, .sock = -1,
						    .log_fd = -1 };
	dev_log_init(&d->log, name, d->proc.program, d->proc.log_fd);
	d->proc.log_fd = -1;
	vu_frontend_attach(&d->fe, sock, 0);

	ret = vu_device_negotiate(d, config, &config_len);
	/* What the device said while starting goes in order with the core's
	 * setup lines (the main loop reads it only once the VM runs); a device
	 * that gave up (say, a locked image) said why before it closed the
	 * socket, and that goes before the core's complaint. */
	dev_log_drain(&d->log);
	if (ret < 0) {
		log_error("%s: vhost-user negotiation failed: %s", name, strerror(-ret));
		goto fail;
	}
	d->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->irq_fd < 0) {
		ret = -errno;
		goto fail;
	}
	struct kvm_irqfd irqfd = { .fd = (uint32_t)d->irq_fd, .gsi = irq };
	if (ioctl(vm_fd, KVM_IRQFD, &irqfd) < 0) {
		ret = -errno;
		log_error("%s: KVM_IRQFD: %s", name, strerror(errno));
		goto fail;
	}
	for (unsigned int i = 0; i < d->num_queues; i++) {
		d->kick_fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->kick_fds[i] < 0) {
			ret = -errno;
			goto fail;
		}
		if ((ret = vu_device_ioeventfd(d, i, true)) < 0) {
			close(d->kick_fds[i]);
			d->kick_fds[i] = -1;
			log_error("%s: KVM_IOEVENTFD: %s", name, strerror(-ret));
			goto fail;
		}
	}
	virtio_mmio_init(&d->transport, virtio_id,
			 d->backend_features & ~VU_DEVICE_HIDDEN_FEATURES, d->num_queues,
			 VU_DEVICE_QUEUE_MAX, config, config_len, d->irq_fd, &vu_device_mmio_ops, d);
	d->transport_ready = true;
	return 0;
fail:
	vu_device_destroy(d);
	return ret;
}

void vu_device_destroy(struct vu_device *d)
{
	for (unsigned int i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++) {
		if (d->kick_fds[i] < 0)
			continue;
		vu_device_ioeventfd(d, i, false);
		close(d->kick_fds[i]);
		d->kick_fds[i] = -1;
	}
	if (d->irq_fd >= 0) {
		struct kvm_irqfd irqfd = { .fd = (uint32_t)d->irq_fd, .gsi = d->irq,
					   .flags = KVM_IRQFD_FLAG_DEASSIGN };
		ioctl(d->vm_fd, KVM_IRQFD, &irqfd);
		close(d->irq_fd);
		d->irq_fd = -1;
	}
	vu_device_inflight_forget(d);
	if (d->transport_ready)
		virtio_mmio_destroy(&d->transport);
	d->transport_ready = false;
	vu_frontend_close(&d->fe);
	/* The socket went with the frontend; the process is stopped here,
	 * then what it wrote until its end (its exit summary) is logged. */
	d->proc.sock = -1;
	dev_stop(&d->proc, 1000);
	dev_log_close(&d->log);
}

void vu_device_backend_gone(struct vu_device *d)
{
	atomic_store(&d->dead, true);
}

void vu_device_backend_died(struct vu_device *d, const char *why)
{
	/* A device a failed restart left gone still needs its NEEDS_RESET;
	 * one the guest was told about needs nothing more. */
	atomic_store(&d->dead, true);
	if (d->guest_told)
		return;
	d->guest_told = true;
	log_error("%s: device backend %s; the guest sees NEEDS_RESET, the VM keeps running",
		  d->name, why);
	virtio_mmio_set_needs_reset(&d->transport);
}
