/* Engine setup, the host side's event loop, timers, and the connection
 * life cycle the guest and host paths share. */
#include "vsock_engine_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define VSOCK_TICK_MS 100
#define VSOCK_LOG_MAX 20

uint64_t vsock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void vsock_count(struct vsock_engine *e, enum vsock_counter c, uint64_t n)
{
	dev_metrics_add(&e->ctr[c], n);
}

void vsock_protocol_error(struct vsock_engine *e, enum vsock_counter c, const char *what,
			  const struct vsock_hdr *h)
{
	vsock_count(e, c, 1);
	if (e->cfg.metrics)
		dev_metrics_add(&e->cfg.metrics->errors, 1);
	/* A guest can make these as fast as it likes: the counters tell the
	 * rest. */
	if (e->logged >= VSOCK_LOG_MAX)
		return;
	if (++e->logged == VSOCK_LOG_MAX)
		fprintf(stderr, "cellvm-vsock: %s (further protocol errors are only counted)\n",
			what);
	else if (h)
		fprintf(stderr, "cellvm-vsock: %s: op %u type %u %llu:%u -> %llu:%u len %u\n", what,
			h->op, h->type, (unsigned long long)h->src_cid, h->src_port,
			(unsigned long long)h->dst_cid, h->dst_port, h->len);
	else
		fprintf(stderr, "cellvm-vsock: %s\n", what);
}

static void vsock_timer_set(struct vsock_engine *e, bool on)
{
	struct itimerspec its = { 0 };

	if (on == e->timer_on)
		return;
	if (on) {
		its.it_value.tv_nsec = VSOCK_TICK_MS * 1000000L;
		its.it_interval = its.it_value;
	}
	if (timerfd_settime(e->timer_fd, 0, &its, NULL) == 0)
		e->timer_on = on;
}

void vsock_set_deadline(struct vsock_engine *e, struct vsock_conn *c, unsigned int ms)
{
	c->deadline_ms = ms ? vsock_now_ms() + ms : 0;
	if (ms)
		vsock_timer_set(e, true);
}

/* ---- connections ---- */

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

/* ---- host side ---- */

static void vsock_accept(struct vsock_engine *e)
{
	for (;;) {
		int fd = accept4(e->cfg.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* Level-triggered: stop listening until a slot frees
				 * up, or this would spin. */
				epoll_ctl(e->epfd, EPOLL_CTL_DEL, e->cfg.listen_fd, NULL);
				e->listen_paused = true;
			}
			return;
		}
		struct vsock_conn *c = vsock_conn_alloc(&e->t, VSOCK_CONN_HANDSHAKE);
		if (!c) {
			/* The client sees EOF at once rather than a hang. */
			vsock_count(e, VSOCK_CTR_CONN_LIMIT, 1);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->host_initiated = true;
		if (vsock_conn_register(e, c) < 0) {
			vsock_conn_release(e, c);
			continue;
		}
		vsock_set_deadline(e, c, e->cfg.handshake_ms);
	}
}

static void vsock_broker_replies(struct vsock_engine *e)
{
	uint64_t token;
	int fd, r;

	while ((r = vsock_connector_reply(&e->cfg.connector, &token, &fd)) == 1) {
		uint32_t idx = (uint32_t)(token >> 32), gen = (uint32_t)token;
		struct vsock_conn *c = idx < e->t.max ? &e->t.slots[idx] : NULL;
		if (!c || c->gen != gen || c->state != VSOCK_CONN_CONNECTING) {
			if (fd >= 0)
				close(fd); /* the guest gave up meanwhile */
			continue;
		}
		if (fd < 0) {
			vsock_count(e, VSOCK_CTR_CONNECT_FAILED, 1);
			vsock_conn_reset(e, c, true);
		} else {
			vsock_conn_connected(e, c, fd);
		}
	}
	if (r < 0) {
		fprintf(stderr, "cellvm-vsock: the connect channel to the core failed (%s): "
			"guest connections to the host are refused from now on\n", strerror(-r));
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, e->cfg.connector.broker_fd, NULL);
		close(e->cfg.connector.broker_fd);
		e->cfg.connector.broker_fd = -1;
		e->cfg.connector.uds_path = NULL;
		for (unsigned int i = 0; i < e->t.max; i++)
			if (e->t.slots[i].state == VSOCK_CONN_CONNECTING)
				vsock_conn_reset(e, &e->t.slots[i], true);
	}
}

static void vsock_tick(struct vsock_engine *e)
{
	uint64_t now = vsock_now_ms(), v;
	bool any = false;

	if (read(e->timer_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing expired yet */
	}
	for (unsigned int i = 0; i < e->t.max; i++) {
		struct vsock_conn *c = &e->t.slots[i];
		if (c->state == VSOCK_CONN_FREE || !c->deadline_ms)
			continue;
		if (c->deadline_ms > now) {
			any = true;
			continue;
		}
		if (c->state == VSOCK_CONN_HANDSHAKE) {
			vsock_count(e, VSOCK_CTR_HANDSHAKE_FAILED, 1);
			vsock_conn_release(e, c);
		} else {
			vsock_count(e, VSOCK_CTR_TIMEOUTS, 1);
			vsock_conn_reset(e, c, true);
		}
	}
	if (!any)
		vsock_timer_set(e, false);
}

static void vsock_conn_event(struct vsock_engine *e, struct vsock_conn *c, uint32_t events)
{
	c->armed = 0; /* one-shot: it fired */
	switch (c->state) {
	case VSOCK_CONN_HANDSHAKE:
		vsock_handshake_read(e, c);
		return;
	case VSOCK_CONN_ESTABLISHED:
	case VSOCK_CONN_CLOSING:
		if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->guest_no_rcv && !c->host_eof &&
		    c->state == VSOCK_CONN_ESTABLISHED) {
			c->host_readable = true;
			vsock_conn_kick_rx(e, c);
		}
		if (c->buf_len && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))) {
			vsock_conn_drain(e, c); /* may free c */
			return;
		}
		vsock_conn_update_interest(e, c);
		return;
	default:
		return; /* a hang-up before the guest answered: the deadline handles it */
	}
}

void vsock_engine_host_events(struct vsock_engine *e)
{
	struct epoll_event ev[64];
	int n = epoll_wait(e->epfd, ev, 64, 0);

	for (int i = 0; i < n; i++) {
		uint32_t idx = (uint32_t)ev[i].data.u64;
		uint64_t v;

		switch ((enum vsock_ev)(ev[i].data.u64 >> 32)) {
		case VSOCK_EV_LISTEN:
			vsock_accept(e);
			break;
		case VSOCK_EV_BROKER:
			vsock_broker_replies(e);
			break;
		case VSOCK_EV_TIMER:
			vsock_tick(e);
			break;
		case VSOCK_EV_WAKE:
			if (read(e->wake_fd, &v, sizeof(v)) < 0) {
				/* already drained */
			}
			break;
		case VSOCK_EV_CONN:
			/* A connection freed earlier in this batch no longer
			 * has its fd in the set, and a new one in its slot got
			 * no event yet: both show as a state with no fd armed. */
			if (idx < e->t.max && e->t.slots[idx].state != VSOCK_CONN_FREE &&
			    e->t.slots[idx].fd >= 0)
				vsock_conn_event(e, &e->t.slots[idx], ev[i].events);
			break;
		}
	}
}

void vsock_engine_wake(struct vsock_engine *e)
{
	uint64_t one = 1;

	if (write(e->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: already pending */
	}
}

void vsock_engine_reset(struct vsock_engine *e)
{
	for (unsigned int i = 0; i < e->t.max; i++)
		if (e->t.slots[i].state != VSOCK_CONN_FREE)
			vsock_conn_release(e, &e->t.slots[i]);
	e->rst_head = e->rst_len = 0;
}

/* ---- setup ---- */

static int vsock_epoll_add(struct vsock_engine *e, int fd, enum vsock_ev kind)
{
	struct epoll_event ee = { .events = EPOLLIN, .data.u64 = VSOCK_EV(kind, 0) };

	return epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ee) < 0 ? -errno : 0;
}

int vsock_engine_init(struct vsock_engine *e, const struct vsock_engine_cfg *cfg)
{
	int r;

	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	e->epfd = e->timer_fd = e->wake_fd = -1;
	if (!e->cfg.max_conns)
		e->cfg.max_conns = VSOCK_DEFAULT_MAX_CONNS;
	if (!e->cfg.buf_alloc)
		e->cfg.buf_alloc = VSOCK_DEFAULT_BUF_ALLOC;
	if (!e->cfg.handshake_ms)
		e->cfg.handshake_ms = VSOCK_HANDSHAKE_MS;
	if (!e->cfg.request_ms)
		e->cfg.request_ms = VSOCK_REQUEST_MS;
	if (!e->cfg.close_ms)
		e->cfg.close_ms = VSOCK_CLOSE_MS;
	e->ctr = e->cfg.metrics ? e->cfg.metrics->extra : e->local_ctr;
	e->next_port = VSOCK_FIRST_LOCAL_PORT;
	/* Every connection can owe one reset at once, plus room for answers
	 * to packets that match none. */
	e->rst_cap = e->cfg.max_conns + 64;
	e->rsts = calloc(e->rst_cap, sizeof(*e->rsts));
	if (!e->rsts || (r = vsock_conn_table_init(&e->t, e->cfg.max_conns)) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	e->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	e->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (e->epfd < 0 || e->timer_fd < 0 || e->wake_fd < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = vsock_epoll_add(e, e->timer_fd, VSOCK_EV_TIMER)) < 0 ||
	    (r = vsock_epoll_add(e, e->wake_fd, VSOCK_EV_WAKE)) < 0)
		goto fail;
	if (e->cfg.listen_fd >= 0 && (r = vsock_epoll_add(e, e->cfg.listen_fd, VSOCK_EV_LISTEN)) < 0)
		goto fail;
	if (e->cfg.connector.broker_fd >= 0 &&
	    (r = vsock_epoll_add(e, e->cfg.connector.broker_fd, VSOCK_EV_BROKER)) < 0)
		goto fail;
	return 0;
fail:
	vsock_engine_fini(e);
	return r;
}

void vsock_engine_fini(struct vsock_engine *e)
{
	if (e->t.slots)
		vsock_engine_reset(e);
	vsock_conn_table_fini(&e->t);
	free(e->rsts);
	e->rsts = NULL;
	int *fds[] = { &e->epfd, &e->timer_fd, &e->wake_fd, &e->cfg.listen_fd,
		       &e->cfg.connector.broker_fd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}
