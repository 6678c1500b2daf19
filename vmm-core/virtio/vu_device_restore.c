/* A restarted device process brought back to where its predecessor was
 * (README.md, "Device restart"). The guest keeps its rings, its kick
 * ioeventfds and its irqfd: the new backend gets the same eventfds, so
 * KVM's registrations never change and the guest sees only a delay. What
 * the old process had taken from the rings and not finished is in the
 * inflight region the core kept; the new one submits it again. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "virtq.h"
#include "vu_device_internal.h"

void vu_device_inflight_forget(struct vu_device *d)
{
	if (d->inflight_fd >= 0)
		close(d->inflight_fd);
	d->inflight_fd = -1;
	memset(&d->inflight, 0, sizeof(d->inflight));
}

int vu_device_inflight_setup(struct vu_device *d)
{
	int ret;

	if (!(d->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD)))
		return 0;
	if (d->inflight_fd < 0) {
		ret = vu_frontend_get_inflight_fd(&d->fe, (uint16_t)d->num_queues,
						  VU_DEVICE_QUEUE_MAX, &d->inflight, &d->inflight_fd);
		if (ret < 0) {
			log_warn("%s: GET_INFLIGHT_FD failed: %s", d->name, strerror(-ret));
			return ret;
		}
	}
	/* Also after GET, as QEMU does: some backends only start tracking
	 * once the region comes back to them. */
	ret = vu_frontend_set_inflight_fd(&d->fe, &d->inflight, d->inflight_fd);
	if (ret < 0)
		log_warn("%s: SET_INFLIGHT_FD failed: %s", d->name, strerror(-ret));
	return ret;
}

/* The new process must be the same device: same features, protocol
 * features and queue count, or the guest's negotiation no longer holds. */
static int vu_device_renegotiate(struct vu_device *d)
{
	uint64_t features, pf = 0, nq = 1;
	int ret;

	if ((ret = vu_frontend_set_owner(&d->fe)) < 0 ||
	    (ret = vu_frontend_get_features(&d->fe, &features)) < 0)
		return ret;
	if (features != d->backend_features) {
		log_error("%s: restarted backend offers features 0x%llx, not 0x%llx", d->name,
			  (unsigned long long)features, (unsigned long long)d->backend_features);
		return -EPROTO;
	}
	if (features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)) {
		if ((ret = vu_frontend_get_protocol_features(&d->fe, &pf)) < 0)
			return ret;
		if ((pf & d->protocol_features) != d->protocol_features) {
			log_error("%s: restarted backend lacks protocol features 0x%llx", d->name,
				  (unsigned long long)(d->protocol_features & ~pf));
			return -EPROTO;
		}
		if ((ret = vu_frontend_set_protocol_features(&d->fe, d->protocol_features)) < 0)
			return ret;
	}
	if ((d->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_MQ)) &&
	    (ret = vu_frontend_get_queue_num(&d->fe, &nq)) < 0)
		return ret;
	if (nq != d->num_queues) {
		log_error("%s: restarted backend reports %llu queues, not %u", d->name,
			  (unsigned long long)nq, d->num_queues);
		return -EPROTO;
	}
	return 0;
}

/* Where a backend without inflight tracking resumes: what the guest has
 * seen used (QEMU does the same when GET_VRING_BASE cannot be asked of a
 * dead backend). A backend with the region computes it itself. */
static unsigned int vu_device_used_idx(struct vu_device *d, const struct virtio_mmio_queue *q)
{
	struct virtq_used *used = guest_mem_ptr(d->mem, q->device, VIRTQ_USED_BYTES(q->num));

	return used ? __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) : 0;
}

static int vu_device_replay(struct vu_device *d)
{
	struct virtio_mmio *t = &d->transport;
	int ret;

	if ((ret = vu_device_renegotiate(d)) < 0)
		return ret;
	if (!d->activated)
		return 0; /* the driver has not started it: DRIVER_OK will */
	if ((ret = vu_frontend_set_features(&d->fe, d->acked_features)) < 0 ||
	    (ret = vu_device_send_mem_table(d)) < 0 ||
	    (ret = vu_device_inflight_setup(d)) < 0)
		return ret;
	for (unsigned int i = 0; i < d->num_queues; i++) {
		if (!d->queue_started[i])
			continue;
		ret = vu_device_start_queue(d, i, &t->queues[i], vu_device_used_idx(d, &t->queues[i]));
		if (ret < 0)
			return ret;
	}
	return 0;
}

int vu_device_restore(struct vu_device *d, int sock, const struct dev_proc *proc)
{
	int ret;

	pthread_mutex_lock(&d->transport.lock);
	vu_frontend_close(&d->fe);
	vu_frontend_attach(&d->fe, sock, 0);
	d->proc = *proc;
	dev_log_init(&d->log, d->name, d->proc.program, d->proc.log_fd);
	d->proc.log_fd = -1;
	ret = vu_device_replay(d);
	if (ret == 0)
		atomic_store(&d->dead, false);
	pthread_mutex_unlock(&d->transport.lock);
	dev_log_drain(&d->log);
	return ret;
}
