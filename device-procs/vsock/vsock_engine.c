/* Engine setup, the host side's event loop (listener, broker replies,
 * connection sockets, timer) and deadlines. */
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
