/* vhost-user backend: GET_INFLIGHT_FD / SET_INFLIGHT_FD and the restore of
 * a ring from the region when it starts. The region is the one thing that
 * outlives a crashed device process (the frontend holds its fd): whatever
 * it says is checked before a head is taken from it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vu_backend_internal.h"

static bool vu_inflight_negotiated(const struct vu_backend *be)
{
	return be->acked_protocol_features & (1ull << VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD);
}

void vu_backend_inflight_drop(struct vu_backend *be)
{
	for (unsigned int i = 0; i < VU_MAX_QUEUES; i++) {
		struct virtq *vq = &be->vrings[i].vq;
		vq->inflight = NULL;
		vq->resubmit = NULL;
		vq->resubmit_n = vq->resubmit_pos = 0;
		free(be->resubmit[i]);
		be->resubmit[i] = NULL;
	}
	vu_inflight_unmap(&be->inflight);
}

/* The region is only swapped while no ring runs: a running ring's virtq
 * points into it. */
static int vu_inflight_replace(struct vu_backend *be, const struct vu_inflight_region *r)
{
	vu_backend_inflight_drop(be);
	be->inflight = *r;
	return 0;
}

int vu_backend_get_inflight_fd(struct vu_backend *be, struct vu_msg *m)
{
	struct vu_inflight_payload *p = &m->payload.inflight;
	struct vu_inflight_region r;
	int fd, ret;

	if (!vu_inflight_negotiated(be))
		return -EOPNOTSUPP;
	if (vu_backend_any_started(be))
		return -EBUSY;
	ret = vu_inflight_alloc(&r, p->num_queues, p->queue_size, be->ops->num_queues);
	if (ret < 0) {
		vu_log(be, "GET_INFLIGHT_FD for %u queues of %u refused", p->num_queues,
		       p->queue_size);
		return ret;
	}
	fd = fcntl(r.fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		vu_inflight_unmap(&r);
		return ret;
	}
	vu_inflight_replace(be, &r);
	p->mmap_size = r.mmap_size;
	p->mmap_offset = 0;
	m->hdr.size = VU_INFLIGHT_PAYLOAD_SIZE;
	be->reply_fd = fd;
	return 0;
}

int vu_backend_set_inflight_fd(struct vu_backend *be, struct vu_msg *m)
{
	struct vu_inflight_region r;
	char why[80] = "";
	int ret;

	if (!vu_inflight_negotiated(be))
		return -EOPNOTSUPP;
	if (vu_backend_any_started(be))
		return -EBUSY;
	ret = vu_inflight_map(&r, m->fds[0], &m->payload.inflight, be->ops->num_queues, why,
			      sizeof(why));
	if (ret < 0) {
		vu_log(be, "SET_INFLIGHT_FD refused: %s", why);
		return ret;
	}
	m->nfds = 0; /* the region keeps the fd */
	return vu_inflight_replace(be, &r);
}

int vu_backend_inflight_start(struct vu_backend *be, unsigned int qidx)
{
	struct vu_vring *vr = &be->vrings[qidx];
	struct vu_inflight_queue *q = vu_inflight_queue(&be->inflight, qidx);
	struct vu_inflight_resume res;
	uint16_t used;
	int ret;

	vr->vq.inflight = NULL;
	vr->vq.resubmit = NULL;
	vr->vq.resubmit_n = vr->vq.resubmit_pos = 0;
	if (!q)
		return 0;
	if (vr->num > be->inflight.queue_size) {
		/* QEMU sizes the region by its queue-size property while its
		 * virtio-mmio lets the guest pick rings up to 1024: serve the
		 * ring, untracked, rather than fail the device; the region's
		 * entries are not followed (a restart cannot replay this ring). */
		vu_log(be, "queue %u: ring of %u entries, inflight region holds %u: not tracked, a "
		       "restarted device cannot replay it", qidx, vr->num, be->inflight.queue_size);
		return 0;
	}
	free(be->resubmit[qidx]);
	be->resubmit[qidx] = malloc(vr->num * sizeof(uint16_t));
	if (!be->resubmit[qidx])
		return -ENOMEM;
	used = __atomic_load_n(&vr->vq.used->idx, __ATOMIC_ACQUIRE);
	ret = vu_inflight_recover(q, be->inflight.queue_size, vr->num, used, be->resubmit[qidx],
				  &res);
	if (ret < 0) {
		vu_log(be, "queue %u: inflight region inconsistent (heads out of range or a broken "
		       "batch list): refused", qidx);
		return ret;
	}
	/* Every head taken is either in the used ring or still marked. */
	vr->vq.last_avail = res.last_avail;
	vr->vq.used_idx = used;
	vr->vq.signalled_used = used;
	vr->vq.inflight = q;
	vr->vq.inflight_counter = res.counter;
	vr->vq.resubmit = be->resubmit[qidx];
	vr->vq.resubmit_n = res.n;
	vr->vq.resubmit_pos = 0;
	if (res.n)
		vu_log(be, "queue %u: resubmitting %u in-flight request%s, resuming at avail %u",
		       qidx, res.n, res.n == 1 ? "" : "s", res.last_avail);
	return 0;
}
