/* vhost-user backend main loop: one epoll set over the frontend socket,
 * the stop fd, every started ring's kick fd and the device's optional
 * extra fd. Single-threaded: a device's callbacks run on this loop. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "vu_backend_internal.h"

enum vu_ev { VU_EV_SOCK = 1, VU_EV_STOP, VU_EV_EXTRA, VU_EV_KICK };

#define VU_EV(type, idx) (((uint64_t)(type) << 32) | (uint32_t)(idx))

void vu_log(const struct vu_backend *be, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One write per line keeps lines whole when processes share stderr. */
	fprintf(stderr, "cellvm-%s: %s\n", be->ops && be->ops->name ? be->ops->name : "vu", buf);
}

uint64_t vu_backend_features(const struct vu_backend *be)
{
	return be->ops->features | (1ull << VHOST_USER_F_PROTOCOL_FEATURES);
}

uint64_t vu_backend_protocol_features(const struct vu_backend *be)
{
	uint64_t implemented = (1ull << VHOST_USER_PROTOCOL_F_MQ) |
			       (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
			       (1ull << VHOST_USER_PROTOCOL_F_CONFIG) |
			       (1ull << VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD) |
			       (1ull << VHOST_USER_PROTOCOL_F_RESET_DEVICE);
	uint64_t pf = (1ull << VHOST_USER_PROTOCOL_F_MQ) |
		      (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
		      (1ull << VHOST_USER_PROTOCOL_F_RESET_DEVICE);

	if (be->ops->get_config)
		pf |= 1ull << VHOST_USER_PROTOCOL_F_CONFIG;
	return pf | (be->ops->protocol_features & implemented);
}

static int vu_epoll_add(struct vu_backend *be, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	if (epoll_ctl(be->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return 0;
}

bool vu_backend_any_started(const struct vu_backend *be)
{
	for (unsigned int i = 0; i < be->ops->num_queues; i++)
		if (be->vrings[i].started)
			return true;
	return false;
}

static void vu_drop_kick(struct vu_backend *be, struct vu_vring *vr)
{
	if (vr->kick_fd < 0)
		return;
	epoll_ctl(be->epoll_fd, EPOLL_CTL_DEL, vr->kick_fd, NULL);
	close(vr->kick_fd);
	vr->kick_fd = -1;
}

/* Takes ownership of fd. Kick fds are made non-blocking: a read must never
 * stall the loop, whatever the frontend passed (QEMU's and cellvm's
 * eventfds are non-blocking already). */
int vu_backend_watch_kick(struct vu_backend *be, unsigned int qidx, int fd)
{
	struct vu_vring *vr = &be->vrings[qidx];
	int fl, r;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	vu_drop_kick(be, vr);
	r = vu_epoll_add(be, fd, VU_EV(VU_EV_KICK, qidx));
	if (r < 0) {
		close(fd);
		return r;
	}
	vr->kick_fd = fd;
	return 0;
}

void vu_backend_drain_all(struct vu_backend *be)
{
	if (be->may_have_inflight && be->ops->queue_stop)
		be->ops->queue_stop(be->dev, be, -1);
	be->may_have_inflight = false;
}

void vu_backend_run_ring(struct vu_backend *be, unsigned int qidx)
{
	struct vu_vring *vr = &be->vrings[qidx];

	if (vr->started && vr->enabled && vr->addr_set && !vr->vq.broken) {
		be->may_have_inflight = true;
		be->ops->queue_ready(be->dev, be, qidx);
	}
}

/* GET_VRING_BASE: the device finishes in-flight work, then the kick fd is
 * dropped; addresses and indices stay so the ring can be restarted. */
void vu_backend_stop_ring(struct vu_backend *be, unsigned int qidx)
{
	struct vu_vring *vr = &be->vrings[qidx];

	if (vr->started && be->ops->queue_stop)
		be->ops->queue_stop(be->dev, be, (int)qidx);
	vr->started = false;
	vu_drop_kick(be, vr);
}

static void vu_vring_close(struct vu_backend *be, struct vu_vring *vr)
{
	vu_drop_kick(be, vr);
	if (vr->call_fd >= 0)
		close(vr->call_fd);
	if (vr->err_fd >= 0)
		close(vr->err_fd);
	memset(vr, 0, sizeof(*vr));
	vr->kick_fd = vr->call_fd = vr->err_fd = -1;
}

/* RESET_DEVICE and the end of a session: back to the state of a fresh
 * connection, except for what belongs to the connection itself (owner,
 * protocol features). */
void vu_backend_reset(struct vu_backend *be)
{
	vu_backend_drain_all(be);
	for (unsigned int i = 0; i < VU_MAX_QUEUES; i++)
		vu_vring_close(be, &be->vrings[i]);
	/* A reset device starts over: the frontend asks for a fresh region. */
	vu_backend_inflight_drop(be);
	vu_backend_unmap(&be->map);
	be->acked_features = 0;
	be->needs_reset = false;
}

static void vu_eventfd_signal(int fd)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is saturated: the peer is already woken. */
	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return;
}

void vu_queue_notify(struct vu_backend *be, unsigned int qidx)
{
	struct vu_vring *vr;

	if (qidx >= be->ops->num_queues)
		return;
	vr = &be->vrings[qidx];
	if (!vr->addr_set || vr->call_fd < 0)
		return;
	if (virtq_should_notify(&vr->vq))
		vu_eventfd_signal(vr->call_fd);
}

void vu_backend_set_broken(struct vu_backend *be, unsigned int qidx)
{
	struct vu_vring *vr;

	if (qidx >= be->ops->num_queues)
		return;
	vr = &be->vrings[qidx];
	if (!vr->vq.broken)
		vu_log(be, "queue %u: malformed ring, stopped until reset", qidx);
	vr->vq.broken = true;
	be->needs_reset = true;
	if (vr->err_fd >= 0)
		vu_eventfd_signal(vr->err_fd);
}

static void vu_backend_kick(struct vu_backend *be, unsigned int qidx, uint32_t events)
{
	struct vu_vring *vr = &be->vrings[qidx];
	uint64_t count;
	ssize_t n;

	if (qidx >= be->ops->num_queues || vr->kick_fd < 0)
		return;
	n = read(vr->kick_fd, &count, sizeof(count));
	/* EOF or a hangup means the frontend passed something that is not an
	 * eventfd (e.g. a pipe whose writer closed): it would stay readable
	 * and spin the loop, so stop watching it. */
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) ||
	    (events & (EPOLLHUP | EPOLLERR))) {
		vu_log(be, "queue %u: kick fd unusable, ignoring it", qidx);
		vu_backend_stop_ring(be, qidx);
		return;
	}
	vu_backend_run_ring(be, qidx);
}

/* 1 when the frontend closed the connection, 0 to go on, <0 to drop it. */
static int vu_backend_sock_ready(struct vu_backend *be)
{
	struct vu_msg m;
	int r;

	r = vu_msg_recv(be->sock, &m, be->opts.msg_timeout_ms);
	if (r == -ECONNRESET)
		return 1;
	if (r < 0) {
		vu_log(be, "bad message from frontend: %s", strerror(-r));
		return r;
	}
	return vu_backend_handle(be, &m);
}

static int vu_backend_loop(struct vu_backend *be)
{
	for (;;) {
		struct epoll_event ev[8];
		int n = epoll_wait(be->epoll_fd, ev, 8, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			uint32_t idx = (uint32_t)ev[i].data.u64;
			int r;

			switch ((enum vu_ev)(ev[i].data.u64 >> 32)) {
			case VU_EV_STOP:
				if (be->opts.verbose)
					vu_log(be, "stop requested");
				return 0;
			case VU_EV_SOCK:
				r = vu_backend_sock_ready(be);
				if (r == 1) {
					if (be->opts.verbose)
						vu_log(be, "frontend disconnected");
					return 0;
				}
				if (r < 0)
					return r;
				break;
			case VU_EV_KICK:
				vu_backend_kick(be, idx, ev[i].events);
				break;
			case VU_EV_EXTRA:
				be->ops->extra_ready(be->dev, be);
				break;
			}
		}
	}
}

int vu_backend_serve_opts(int sock, int stop_fd, const struct vu_device_ops *ops, void *dev,
			  const struct vu_backend_opts *opts)
{
	struct vu_backend *be;
	int r;

	if (!ops || !ops->queue_ready || ops->num_queues == 0 || ops->num_queues > VU_MAX_QUEUES ||
	    sock < 0)
		return -EINVAL;
	be = calloc(1, sizeof(*be));
	if (!be)
		return -ENOMEM;
	be->sock = sock;
	be->ops = ops;
	be->dev = dev;
	if (opts)
		be->opts = *opts;
	if (be->opts.msg_timeout_ms <= 0)
		be->opts.msg_timeout_ms = VU_DEFAULT_TIMEOUT_MS;
	for (unsigned int i = 0; i < VU_MAX_QUEUES; i++)
		be->vrings[i].kick_fd = be->vrings[i].call_fd = be->vrings[i].err_fd = -1;
	be->inflight.fd = -1;
	be->reply_fd = -1;
	be->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (be->epoll_fd < 0) {
		r = -errno;
		free(be);
		return r;
	}
	r = vu_epoll_add(be, sock, VU_EV(VU_EV_SOCK, 0));
	if (r == 0 && stop_fd >= 0)
		r = vu_epoll_add(be, stop_fd, VU_EV(VU_EV_STOP, 0));
	if (r == 0 && ops->extra_fd && ops->extra_ready) {
		int efd = ops->extra_fd(dev);
		if (efd >= 0)
			r = vu_epoll_add(be, efd, VU_EV(VU_EV_EXTRA, 0));
	}
	if (r == 0)
		r = vu_backend_loop(be);
	if (r < 0)
		vu_log(be, "vhost-user session ended: %s", strerror(-r));
	vu_backend_reset(be);
	close(be->epoll_fd);
	free(be);
	return r;
}

int vu_backend_serve(int sock, int stop_fd, const struct vu_device_ops *ops, void *dev)
{
	return vu_backend_serve_opts(sock, stop_fd, ops, dev, NULL);
}
