/* A connection's life cycle and its guest -> host data, shared by the
 * guest path (vsock_guest.c), the host path (vsock_engine.c) and the rx
 * path (vsock_rx.c): readiness, one-shot socket interest, reset and
 * release, credit updates, writing and draining. */
#include "vsock_engine_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

uint32_t vsock_conn_credit(const struct vsock_conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

bool vsock_conn_data_ready(const struct vsock_conn *c)
{
	return c->state == VSOCK_CONN_ESTABLISHED && c->host_readable && !c->guest_no_rcv &&
	       !c->host_eof && vsock_conn_credit(c) > 0;
}

bool vsock_conn_wants_rx(const struct vsock_conn *c)
{
	return c->owe || vsock_conn_data_ready(c);
}

void vsock_conn_kick_rx(struct vsock_engine *e, struct vsock_conn *c)
{
	if (vsock_conn_wants_rx(c))
		vsock_conn_rxq_push(&e->t, c);
}

int vsock_conn_register(struct vsock_engine *e, struct vsock_conn *c)
{
	uint32_t ev = c->state == VSOCK_CONN_HANDSHAKE ? EPOLLIN : 0;
	struct epoll_event ee = { .events = ev | EPOLLONESHOT,
				  .data.u64 = VSOCK_EV(VSOCK_EV_CONN, vsock_conn_index(&e->t, c)) };

	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, c->fd, &ee) < 0)
		return -errno;
	c->registered = true;
	c->armed = ev;
	return 0;
}

/* Events are one-shot: a socket reports once and stays quiet until the
 * connection asks again. So a stream whose guest has no credit left, or
 * whose host reader is slow, costs nothing while it waits. A socket with
 * nothing to wait for is left disarmed (a hang-up would otherwise report
 * again and again). */
void vsock_conn_update_interest(struct vsock_engine *e, struct vsock_conn *c)
{
	uint32_t want = 0;

	if (c->fd < 0 || !c->registered)
		return;
	if (c->state == VSOCK_CONN_HANDSHAKE) {
		want = EPOLLIN;
	} else if (c->state == VSOCK_CONN_ESTABLISHED || c->state == VSOCK_CONN_CLOSING) {
		if (c->state == VSOCK_CONN_ESTABLISHED && !c->host_readable && !c->guest_no_rcv &&
		    !c->host_eof)
			want |= EPOLLIN;
		if (c->buf_len)
			want |= EPOLLOUT;
	}
	if (!(want & ~c->armed))
		return;
	struct epoll_event ee = { .events = want | EPOLLONESHOT,
				  .data.u64 = VSOCK_EV(VSOCK_EV_CONN, vsock_conn_index(&e->t, c)) };
	if (epoll_ctl(e->epfd, EPOLL_CTL_MOD, c->fd, &ee) == 0)
		c->armed = want;
}

void vsock_conn_release(struct vsock_engine *e, struct vsock_conn *c)
{
	if (c->fd >= 0) {
		if (c->registered)
			epoll_ctl(e->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	if (c->active)
		vsock_count(e, VSOCK_CTR_ACTIVE_CONNS, (uint64_t)-1);
	vsock_conn_free(&e->t, c);
	/* A slot is free again: accept what waited for one. */
	if (e->listen_paused && e->cfg.listen_fd >= 0) {
		struct epoll_event ee = { .events = EPOLLIN, .data.u64 = VSOCK_EV(VSOCK_EV_LISTEN, 0) };
		if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->cfg.listen_fd, &ee) == 0)
			e->listen_paused = false;
	}
}

void vsock_conn_reset(struct vsock_engine *e, struct vsock_conn *c, bool rst)
{
	/* The guest knows the connection once it asked for it or we sent our
	 * REQUEST; a host client still handshaking is unknown to it. */
	bool known = c->state != VSOCK_CONN_HANDSHAKE &&
		     !(c->state == VSOCK_CONN_REQUESTED && (c->owe & VSOCK_OWE_REQUEST));

	if (rst && known)
		vsock_queue_rst(e, VSOCK_HOST_CID, c->host_port, c->guest_port);
	vsock_conn_release(e, c);
}

bool vsock_conn_maybe_finish(struct vsock_engine *e, struct vsock_conn *c)
{
	bool done = c->state == VSOCK_CONN_CLOSING || (c->guest_no_send && c->host_eof);

	if (!done || c->buf_len)
		return false;
	vsock_conn_reset(e, c, true);
	return true;
}

void vsock_conn_connected(struct vsock_engine *e, struct vsock_conn *c, int fd)
{
	c->fd = fd;
	c->state = VSOCK_CONN_ESTABLISHED;
	c->deadline_ms = 0;
	c->active = true;
	vsock_count(e, VSOCK_CTR_ACTIVE_CONNS, 1);
	vsock_count(e, VSOCK_CTR_G2H_CONNS, 1);
	if (vsock_conn_register(e, c) < 0) {
		vsock_conn_reset(e, c, true);
		return;
	}
	c->owe |= VSOCK_OWE_RESPONSE;
	vsock_conn_kick_rx(e, c);
	vsock_conn_update_interest(e, c);
}

void vsock_conn_maybe_credit(struct vsock_engine *e, struct vsock_conn *c)
{
	/* A quarter of the window: the guest always sees at least three
	 * quarters of what it may send, and one update covers many packets. */
	if (c->fwd_cnt - c->fwd_told >= e->cfg.buf_alloc / 4) {
		c->owe |= VSOCK_OWE_CREDIT;
		vsock_conn_kick_rx(e, c);
	}
}

/* Host sockets are always sockets: sendmsg, so a reader that went away
 * is EPIPE for this connection rather than SIGPIPE for the process. */
static ssize_t vsock_host_send(int fd, struct iovec *iov, unsigned int n)
{
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = n };

	return sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void vsock_forwarded(struct vsock_engine *e, struct vsock_conn *c, size_t n)
{
	c->fwd_cnt += (uint32_t)n;
	vsock_count(e, VSOCK_CTR_G2H_BYTES, n);
	if (e->cfg.metrics)
		dev_metrics_add(&e->cfg.metrics->write_bytes, n);
}

void vsock_conn_drain(struct vsock_engine *e, struct vsock_conn *c)
{
	uint32_t cap = e->cfg.buf_alloc;

	while (c->buf_len) {
		uint32_t first = cap - c->buf_head < c->buf_len ? cap - c->buf_head : c->buf_len;
		struct iovec iov[2] = { { c->buf + c->buf_head, first },
					{ c->buf, c->buf_len - first } };
		ssize_t w = vsock_host_send(c->fd, iov, c->buf_len > first ? 2 : 1);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			vsock_conn_reset(e, c, true); /* the host reader is gone */
			return;
		}
		c->buf_head = (c->buf_head + (uint32_t)w) % cap;
		c->buf_len -= (uint32_t)w;
		vsock_forwarded(e, c, (size_t)w);
	}
	if (c->buf_len == 0) {
		free(c->buf);
		c->buf = NULL;
		c->buf_head = 0;
		if (c->guest_no_send && !c->host_wr_shut) {
			shutdown(c->fd, SHUT_WR);
			c->host_wr_shut = true;
		}
		if (vsock_conn_maybe_finish(e, c))
			return;
	}
	vsock_conn_maybe_credit(e, c);
	vsock_conn_update_interest(e, c);
}

int vsock_conn_write(struct vsock_engine *e, struct vsock_conn *c, const struct iovec *iov,
		     unsigned int n, size_t off, uint32_t len)
{
	if (c->buf_len == 0) {
		struct iovec slice[VSOCK_MAX_SLICE];
		size_t got;
		unsigned int k = vsock_iov_slice(slice, VSOCK_MAX_SLICE, iov, n, off, len, &got);
		ssize_t w = k ? vsock_host_send(c->fd, slice, k) : 0;
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -errno;
			w = 0;
		}
		vsock_forwarded(e, c, (size_t)w);
		off += (size_t)w;
		len -= (uint32_t)w;
	}
	if (len) {
		int r = vsock_conn_buf_put(c, e->cfg.buf_alloc, iov, n, off, len);
		if (r < 0)
			return r;
	}
	return 0;
}

void vsock_queue_rst(struct vsock_engine *e, uint64_t src_cid, uint32_t src_port,
		     uint32_t dst_port)
{
	if (e->rst_len == e->rst_cap) {
		vsock_count(e, VSOCK_CTR_RX_DROPPED, 1);
		return;
	}
	e->rsts[(e->rst_head + e->rst_len) % e->rst_cap] =
		(struct vsock_rst){ .src_cid = src_cid, .src_port = src_port, .dst_port = dst_port };
	e->rst_len++;
}
