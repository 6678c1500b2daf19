/* vhost-user backend: one handler per request. vu_backend_handle has
 * already checked the payload size and fd count against the message
 * table; handlers check the values. A handler returns 0 or a negative
 * errno; how an error reaches the frontend (REPLY_ACK, empty GET_CONFIG
 * reply, or a dropped connection) is decided in one place below. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_ring.h>

#include "vu_backend_internal.h"

typedef int (*vu_handler_fn)(struct vu_backend *be, struct vu_msg *m);

static void vu_reply_u64(struct vu_msg *m, uint64_t v)
{
	m->hdr.size = sizeof(uint64_t);
	m->payload.u64 = v;
}

static int vu_ring_index(const struct vu_backend *be, uint32_t idx)
{
	return idx < be->ops->num_queues ? 0 : -EINVAL;
}

static int vu_h_get_features(struct vu_backend *be, struct vu_msg *m)
{
	vu_reply_u64(m, vu_backend_features(be));
	return 0;
}

static int vu_h_set_features(struct vu_backend *be, struct vu_msg *m)
{
	uint64_t f = m->payload.u64;
	bool event_idx = f & (1ull << VIRTIO_RING_F_EVENT_IDX);

	if (f & ~vu_backend_features(be))
		return -EINVAL;
	be->acked_features = f;
	for (unsigned int i = 0; i < be->ops->num_queues; i++) {
		be->vrings[i].vq.event_idx = event_idx;
		/* Without protocol features there is no SET_VRING_ENABLE:
		 * rings start enabled. */
		if (!(f & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)))
			be->vrings[i].enabled = true;
	}
	return 0;
}

static int vu_h_set_owner(struct vu_backend *be, struct vu_msg *m)
{
	(void)m;
	be->owner_set = true;
	return 0;
}

/* Deprecated; the spec recommends ignoring it. */
static int vu_h_reset_owner(struct vu_backend *be, struct vu_msg *m)
{
	(void)be;
	(void)m;
	return 0;
}

static int vu_h_get_protocol_features(struct vu_backend *be, struct vu_msg *m)
{
	vu_reply_u64(m, vu_backend_protocol_features(be));
	return 0;
}

static int vu_h_set_protocol_features(struct vu_backend *be, struct vu_msg *m)
{
	if (m->payload.u64 & ~vu_backend_protocol_features(be))
		return -EINVAL;
	be->acked_protocol_features = m->payload.u64;
	return 0;
}

static int vu_h_get_queue_num(struct vu_backend *be, struct vu_msg *m)
{
	vu_reply_u64(m, be->ops->num_queues);
	return 0;
}

static int vu_h_set_mem_table(struct vu_backend *be, struct vu_msg *m)
{
	return vu_backend_set_mem_table(be, &m->payload.mem, m->fds, m->nfds);
}

static int vu_h_set_vring_num(struct vu_backend *be, struct vu_msg *m)
{
	uint32_t idx = m->payload.state.index, num = m->payload.state.num;
	struct vu_vring *vr;

	if (vu_ring_index(be, idx) < 0)
		return -EINVAL;
	vr = &be->vrings[idx];
	if (vr->started)
		return -EBUSY;
	if (num == 0 || num > VIRTQ_MAX_SIZE || (num & (num - 1)))
		return -EINVAL;
	if (vr->num != num) {
		/* The ring geometry changed: addresses must be set again. */
		vr->addr_set = false;
		memset(&vr->vq, 0, sizeof(vr->vq));
	}
	vr->num = (uint16_t)num;
	return 0;
}

static int vu_h_set_vring_base(struct vu_backend *be, struct vu_msg *m)
{
	uint32_t idx = m->payload.state.index, base = m->payload.state.num;
	struct vu_vring *vr;

	if (vu_ring_index(be, idx) < 0)
		return -EINVAL;
	vr = &be->vrings[idx];
	if (vr->started)
		return -EBUSY;
	/* Split rings only: the base is a plain 16-bit avail index. */
	if (base > UINT16_MAX)
		return -EINVAL;
	vr->base = (uint16_t)base;
	if (vr->addr_set) {
		vr->vq.last_avail = vr->base;
		vr->vq.broken = false;
	}
	return 0;
}

static int vu_h_set_vring_addr(struct vu_backend *be, struct vu_msg *m)
{
	const struct vu_vring_addr *a = &m->payload.addr;
	bool event_idx = be->acked_features & (1ull << VIRTIO_RING_F_EVENT_IDX);
	struct vu_vring *vr;
	int r;

	if (vu_ring_index(be, a->index) < 0)
		return -EINVAL;
	vr = &be->vrings[a->index];
	/* No VHOST_F_LOG_ALL is offered, so dirty logging cannot be on. */
	if (a->flags != 0)
		return -EINVAL;
	if (vr->started)
		return -EBUSY;
	if (be->map.nr == 0 || vr->num == 0)
		return -EINVAL;
	r = virtq_init_uva(&vr->vq, &be->map, vr->num, a->desc_uaddr, a->avail_uaddr,
			   a->used_uaddr, event_idx);
	if (r < 0) {
		vr->addr_set = false;
		return r;
	}
	vr->vq.last_avail = vr->base;
	/* Resume where the used ring says we stopped (a restarted device
	 * must not reuse slots the driver has already seen). */
	vr->vq.used_idx = __atomic_load_n(&vr->vq.used->idx, __ATOMIC_ACQUIRE);
	vr->vq.signalled_used = vr->vq.used_idx;
	vr->desc_uva = a->desc_uaddr;
	vr->avail_uva = a->avail_uaddr;
	vr->used_uva = a->used_uaddr;
	vr->addr_set = true;
	return 0;
}

static int vu_h_get_vring_base(struct vu_backend *be, struct vu_msg *m)
{
	uint32_t idx = m->payload.state.index;
	struct vu_vring *vr;

	if (vu_ring_index(be, idx) < 0)
		return -EINVAL;
	vr = &be->vrings[idx];
	vu_backend_stop_ring(be, idx);
	if (vr->addr_set)
		vr->base = vr->vq.last_avail;
	m->payload.state.index = idx;
	m->payload.state.num = vr->base;
	m->hdr.size = sizeof(struct vu_vring_state);
	return 0;
}

/* Validates the u64 of SET_VRING_KICK/CALL/ERR; *fd is the fd taken from
 * the message (ownership moves to the caller) or -1 for "no fd". */
static int vu_vring_fd_arg(struct vu_backend *be, struct vu_msg *m, unsigned int *idx, int *fd)
{
	uint64_t v = m->payload.u64;

	if (v & ~(uint64_t)(VHOST_USER_VRING_IDX_MASK | VHOST_USER_VRING_NOFD_MASK))
		return -EINVAL;
	*idx = v & VHOST_USER_VRING_IDX_MASK;
	if (vu_ring_index(be, *idx) < 0)
		return -EINVAL;
	*fd = -1;
	if (m->nfds == 1) {
		*fd = m->fds[0];
		m->nfds = 0;
	}
	return 0;
}

static int vu_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int vu_h_set_vring_kick(struct vu_backend *be, struct vu_msg *m)
{
	unsigned int idx;
	struct vu_vring *vr;
	int fd, r;

	r = vu_vring_fd_arg(be, m, &idx, &fd);
	if (r < 0)
		return r;
	/* Polling mode (no kick fd) is not supported. */
	if (fd < 0)
		return -EOPNOTSUPP;
	vr = &be->vrings[idx];
	if (!vr->addr_set) {
		close(fd);
		return -EINVAL;
	}
	if (!vr->started && (r = vu_backend_inflight_start(be, idx)) < 0) {
		close(fd);
		return r;
	}
	r = vu_backend_watch_kick(be, idx, fd);
	if (r < 0) {
		/* The old kick fd is gone too: nothing can wake this ring, so
		 * stop it the usual way (the device drains it). */
		vu_backend_stop_ring(be, idx);
		return r;
	}
	vr->started = true;
	/* The driver may have queued buffers before the ring started. */
	vu_backend_run_ring(be, idx);
	return 0;
}

static int vu_replace_fd(int *slot, int fd)
{
	int r = 0;

	if (fd >= 0) {
		/* A notifier write must never block the loop. */
		r = vu_set_nonblock(fd);
		if (r < 0) {
			close(fd);
			return r;
		}
	}
	if (*slot >= 0)
		close(*slot);
	*slot = fd;
	return 0;
}

static int vu_h_set_vring_call(struct vu_backend *be, struct vu_msg *m)
{
	unsigned int idx;
	int fd, r;

	r = vu_vring_fd_arg(be, m, &idx, &fd);
	if (r < 0)
		return r;
	return vu_replace_fd(&be->vrings[idx].call_fd, fd);
}

static int vu_h_set_vring_err(struct vu_backend *be, struct vu_msg *m)
{
	unsigned int idx;
	int fd, r;

	r = vu_vring_fd_arg(be, m, &idx, &fd);
	if (r < 0)
		return r;
	return vu_replace_fd(&be->vrings[idx].err_fd, fd);
}

static int vu_h_set_vring_enable(struct vu_backend *be, struct vu_msg *m)
{
	uint32_t idx = m->payload.state.index, on = m->payload.state.num;

	if (vu_ring_index(be, idx) < 0 || on > 1)
		return -EINVAL;
	be->vrings[idx].enabled = on;
	if (on)
		vu_backend_run_ring(be, idx);
	return 0;
}

static bool vu_has_pf(const struct vu_backend *be, unsigned int bit)
{
	return be->acked_protocol_features & (1ull << bit);
}

/* Errors become an empty reply, which is how the spec says GET_CONFIG
 * fails. */
static int vu_h_get_config(struct vu_backend *be, struct vu_msg *m)
{
	struct vu_config *c = &m->payload.config;
	int r = -EOPNOTSUPP;

	if (be->ops->get_config && vu_has_pf(be, VHOST_USER_PROTOCOL_F_CONFIG) &&
	    c->flags <= VU_CONFIG_F_MIGRATION) {
		memset(c->data, 0, sizeof(c->data));
		r = be->ops->get_config(be->dev, c->offset, c->data, c->size);
	}
	if (r < 0) {
		vu_log(be, "GET_CONFIG offset %u size %u refused: %s", c->offset, c->size, strerror(-r));
		m->hdr.size = 0;
	}
	return 0;
}

static int vu_h_set_config(struct vu_backend *be, struct vu_msg *m)
{
	const struct vu_config *c = &m->payload.config;

	if (!be->ops->set_config || !vu_has_pf(be, VHOST_USER_PROTOCOL_F_CONFIG))
		return -EOPNOTSUPP;
	if (c->flags > VU_CONFIG_F_MIGRATION)
		return -EINVAL;
	return be->ops->set_config(be->dev, c->offset, c->data, c->size, c->flags);
}

static int vu_h_reset_device(struct vu_backend *be, struct vu_msg *m)
{
	(void)m;
	vu_backend_reset(be);
	return 0;
}

static const vu_handler_fn vu_handlers[VHOST_USER_MAX_REQUEST] = {
	[VHOST_USER_GET_FEATURES] = vu_h_get_features,
	[VHOST_USER_SET_FEATURES] = vu_h_set_features,
	[VHOST_USER_SET_OWNER] = vu_h_set_owner,
	[VHOST_USER_RESET_OWNER] = vu_h_reset_owner,
	[VHOST_USER_SET_MEM_TABLE] = vu_h_set_mem_table,
	[VHOST_USER_SET_VRING_NUM] = vu_h_set_vring_num,
	[VHOST_USER_SET_VRING_ADDR] = vu_h_set_vring_addr,
	[VHOST_USER_SET_VRING_BASE] = vu_h_set_vring_base,
	[VHOST_USER_GET_VRING_BASE] = vu_h_get_vring_base,
	[VHOST_USER_SET_VRING_KICK] = vu_h_set_vring_kick,
	[VHOST_USER_SET_VRING_CALL] = vu_h_set_vring_call,
	[VHOST_USER_SET_VRING_ERR] = vu_h_set_vring_err,
	[VHOST_USER_GET_PROTOCOL_FEATURES] = vu_h_get_protocol_features,
	[VHOST_USER_SET_PROTOCOL_FEATURES] = vu_h_set_protocol_features,
	[VHOST_USER_GET_QUEUE_NUM] = vu_h_get_queue_num,
	[VHOST_USER_SET_VRING_ENABLE] = vu_h_set_vring_enable,
	[VHOST_USER_GET_CONFIG] = vu_h_get_config,
	[VHOST_USER_SET_CONFIG] = vu_h_set_config,
	[VHOST_USER_RESET_DEVICE] = vu_h_reset_device,
	[VHOST_USER_GET_INFLIGHT_FD] = vu_backend_get_inflight_fd,
	[VHOST_USER_SET_INFLIGHT_FD] = vu_backend_set_inflight_fd,
};

static void vu_trace(const struct vu_backend *be, const struct vu_msg *m)
{
	const struct vu_msg_info *info = vu_msg_info(m->hdr.request);
	char arg[64] = "";

	if (info && m->hdr.size) {
		switch (info->req) {
		case VU_PL_U64:
			snprintf(arg, sizeof(arg), " 0x%llx", (unsigned long long)m->payload.u64);
			break;
		case VU_PL_STATE:
			snprintf(arg, sizeof(arg), " index %u num %u", m->payload.state.index,
				 m->payload.state.num);
			break;
		case VU_PL_ADDR:
			snprintf(arg, sizeof(arg), " index %u", m->payload.addr.index);
			break;
		case VU_PL_MEM:
			snprintf(arg, sizeof(arg), " %u regions", m->payload.mem.nregions);
			break;
		case VU_PL_CONFIG:
			snprintf(arg, sizeof(arg), " offset %u size %u", m->payload.config.offset,
				 m->payload.config.size);
			break;
		default:
			break;
		}
	}
	vu_log(be, "<- %s (%u)%s%s, %u bytes, %u fds", vu_msg_name(m->hdr.request), m->hdr.request,
	       arg, (m->hdr.flags & VHOST_USER_NEED_REPLY_MASK) ? " need_reply" : "", m->hdr.size,
	       m->nfds);
}

int vu_backend_handle(struct vu_backend *be, struct vu_msg *m)
{
	const struct vu_msg_info *info = vu_msg_info(m->hdr.request);
	bool need_reply = m->hdr.flags & VHOST_USER_NEED_REPLY_MASK;
	uint32_t request = m->hdr.request;
	int r, sr;

	if (be->opts.verbose)
		vu_trace(be, m);
	r = vu_msg_check_request(m);
	if (r == 0)
		r = vu_handlers[request] ? vu_handlers[request](be, m) : -EOPNOTSUPP;
	vu_msg_close_fds(m);
	if (r < 0)
		vu_log(be, "%s (%u) rejected: %s", vu_msg_name(request), request, strerror(-r));
	if (be->reply_fd >= 0) {
		/* A reply's fd (GET_INFLIGHT_FD) goes out once, then is ours
		 * no more. */
		m->fds[0] = be->reply_fd;
		m->nfds = 1;
		be->reply_fd = -1;
	}

	m->hdr.request = request;
	m->hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
	if (info && info->has_reply) {
		/* The frontend waits for this reply: one that cannot be
		 * produced ends the session rather than desync it. */
		if (r < 0)
			return r;
	} else if (need_reply) {
		/* REPLY_ACK: zero for success, non-zero for failure. */
		vu_reply_u64(m, r < 0 ? (uint64_t)-r : 0);
		r = 0;
	} else {
		return r;
	}
	sr = vu_msg_send(be->sock, m, be->opts.msg_timeout_ms);
	vu_msg_close_fds(m);
	if (sr < 0)
		vu_log(be, "reply to %s failed: %s", vu_msg_name(request), strerror(-sr));
	return sr;
}
