/* Packets from the guest (the tx queue). Every protocol error answers
 * with RST for the connection it names (and closes it), except for a
 * packet claiming another source cid, which gets no answer at all, and
 * an RST, which is never answered. */
#include "vsock_engine_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Resets the connection the packet names, or answers it with a reset. */
static void vsock_refuse(struct vsock_engine *e, const struct vsock_hdr *h, struct vsock_conn *c)
{
	if (c)
		vsock_conn_reset(e, c, true);
	else if (h->op != VSOCK_OP_RST)
		vsock_queue_rst(e, VSOCK_HOST_CID, h->dst_port, h->src_port);
}

/* The guest's view of its receive window, from any packet of the
 * connection. A fwd_cnt may only move forward, and never past what we
 * sent: anything else is a credit violation. */
static bool vsock_peer_credit(struct vsock_engine *e, struct vsock_conn *c,
			      const struct vsock_hdr *h)
{
	uint32_t unacked = c->tx_cnt - c->peer_fwd_cnt;
	uint32_t advance = h->fwd_cnt - c->peer_fwd_cnt;

	if (advance > unacked) {
		vsock_protocol_error(e, VSOCK_CTR_CREDIT_VIOLATION, "fwd_cnt beyond what was sent", h);
		vsock_conn_reset(e, c, true);
		return false;
	}
	bool was_blocked = vsock_conn_credit(c) == 0;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->peer_buf_alloc = h->buf_alloc;
	if (was_blocked && vsock_conn_credit(c) > 0) {
		vsock_conn_kick_rx(e, c);
		vsock_conn_update_interest(e, c);
	}
	return true;
}

/* A new connection's window: our byte count starts at the guest's
 * fwd_cnt, whatever it is, so a driver that does not start at zero
 * still gets its whole buf_alloc. */
static void vsock_peer_credit_start(struct vsock_conn *c, const struct vsock_hdr *h)
{
	c->tx_cnt = c->peer_fwd_cnt = h->fwd_cnt;
	c->peer_buf_alloc = h->buf_alloc;
}

static void vsock_op_request(struct vsock_engine *e, const struct vsock_hdr *h, struct vsock_conn *c)
{
	int fd;

	if (c) {
		vsock_protocol_error(e, VSOCK_CTR_BAD_OP, "REQUEST for a connection that exists", h);
		vsock_conn_reset(e, c, true);
		return;
	}
	c = vsock_conn_alloc(&e->t, VSOCK_CONN_CONNECTING);
	if (!c) {
		vsock_count(e, VSOCK_CTR_CONN_LIMIT, 1);
		vsock_queue_rst(e, VSOCK_HOST_CID, h->dst_port, h->src_port);
		return;
	}
	c->guest_port = h->src_port;
	c->host_port = h->dst_port;
	vsock_conn_hash_add(&e->t, c); /* cannot collide: looked up above */
	vsock_peer_credit_start(c, h);
	uint64_t token = (uint64_t)vsock_conn_index(&e->t, c) << 32 | c->gen;
	fd = vsock_connector_start(&e->cfg.connector, h->dst_port, token);
	if (fd >= 0) {
		vsock_conn_connected(e, c, fd);
	} else if (fd == -EINPROGRESS) {
		/* The core answers at once; the deadline covers a core that
		 * never does. */
		vsock_set_deadline(e, c, e->cfg.request_ms);
	} else {
		vsock_count(e, VSOCK_CTR_CONNECT_FAILED, 1);
		if (e->cfg.verbose)
			fprintf(stderr, "cellvm-vsock: guest port %u -> host port %u: %s\n",
				h->src_port, h->dst_port, strerror(-fd));
		vsock_conn_reset(e, c, true);
	}
}

/* The guest accepted a host client's connection: tell the client. */
static void vsock_op_response(struct vsock_engine *e, const struct vsock_hdr *h, struct vsock_conn *c)
{
	char ok[24];

	if (!c || c->state != VSOCK_CONN_REQUESTED || (c->owe & VSOCK_OWE_REQUEST)) {
		vsock_protocol_error(e, VSOCK_CTR_BAD_OP, "RESPONSE without a REQUEST", h);
		vsock_refuse(e, h, c);
		return;
	}
	vsock_peer_credit_start(c, h);
	int len = snprintf(ok, sizeof(ok), "OK %u\n", c->host_port);
	/* A fresh socket's buffer always takes these few bytes; if not, the
	 * client is gone. */
	if (send(c->fd, ok, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL) != len) {
		vsock_conn_reset(e, c, true);
		return;
	}
	c->state = VSOCK_CONN_ESTABLISHED;
	c->deadline_ms = 0;
	c->active = true;
	vsock_count(e, VSOCK_CTR_ACTIVE_CONNS, 1);
	vsock_count(e, VSOCK_CTR_H2G_CONNS, 1);
	vsock_conn_update_interest(e, c);
}

static void vsock_op_shutdown(struct vsock_engine *e, const struct vsock_hdr *h, struct vsock_conn *c)
{
	if (!c || (c->state != VSOCK_CONN_ESTABLISHED && c->state != VSOCK_CONN_CLOSING)) {
		vsock_protocol_error(e, VSOCK_CTR_BAD_OP, "SHUTDOWN on no established connection", h);
		vsock_refuse(e, h, c);
		return;
	}
	if (!vsock_peer_credit(e, c, h))
		return;
	if (h->flags & VSOCK_SHUTDOWN_RCV)
		c->guest_no_rcv = true;
	if (h->flags & VSOCK_SHUTDOWN_SEND)
		c->guest_no_send = true;
	if (c->guest_no_rcv && c->guest_no_send && c->state != VSOCK_CONN_CLOSING) {
		/* The guest closed: what it sent still goes to the host, then
		 * the host socket closes and the guest gets its RST. */
		c->state = VSOCK_CONN_CLOSING;
		vsock_set_deadline(e, c, e->cfg.close_ms);
	}
	if (c->guest_no_send && c->buf_len == 0 && !c->host_wr_shut) {
		shutdown(c->fd, SHUT_WR);
		c->host_wr_shut = true;
	}
	if (vsock_conn_maybe_finish(e, c))
		return;
	vsock_conn_update_interest(e, c);
}

static void vsock_op_rw(struct vsock_engine *e, const struct vsock_hdr *h, struct vsock_conn *c,
			const struct iovec *iov, unsigned int n)
{
	if (!c || c->state != VSOCK_CONN_ESTABLISHED || c->guest_no_send) {
		vsock_protocol_error(e, VSOCK_CTR_BAD_OP, "data on no open connection", h);
		vsock_refuse(e, h, c);
		return;
	}
	if (!vsock_peer_credit(e, c, h))
		return;
	if (h->len == 0)
		return;
	/* What waits in our buffer plus this may not exceed the window we
	 * advertised. */
	if (h->len > e->cfg.buf_alloc - c->buf_len) {
		vsock_protocol_error(e, VSOCK_CTR_CREDIT_VIOLATION, "data beyond the credit", h);
		vsock_conn_reset(e, c, true);
		return;
	}
	c->rx_cnt += h->len;
	if (vsock_conn_write(e, c, iov, n, VSOCK_HDR_LEN, h->len) < 0) {
		vsock_conn_reset(e, c, true); /* the host side is gone */
		return;
	}
	vsock_conn_maybe_credit(e, c);
	vsock_conn_update_interest(e, c);
}

void vsock_engine_guest_pkt(struct vsock_engine *e, const struct iovec *iov, unsigned int n)
{
	uint8_t wire[VSOCK_HDR_LEN];
	struct vsock_hdr h;
	size_t total = vsock_iov_len(iov, n);

	vsock_count(e, VSOCK_CTR_G2H_PACKETS, 1);
	if (e->cfg.metrics)
		dev_metrics_add(&e->cfg.metrics->requests, 1);
	if (total < VSOCK_HDR_LEN) {
		vsock_protocol_error(e, VSOCK_CTR_BAD_HEADER, "tx buffer shorter than a header", NULL);
		return;
	}
	iov_copy_from(wire, iov, n, 0, VSOCK_HDR_LEN);
	vsock_hdr_decode(&h, wire);

	switch (vsock_pkt_check(&h, total, e->cfg.guest_cid)) {
	case VSOCK_PKT_OK:
		break;
	case VSOCK_PKT_SHORT:
		return;
	case VSOCK_PKT_BAD_SRC:
		vsock_protocol_error(e, VSOCK_CTR_BAD_CID, "packet from another cid", &h);
		return;
	case VSOCK_PKT_BAD_DST:
		vsock_protocol_error(e, VSOCK_CTR_BAD_CID, "packet for a cid that is not the host", &h);
		/* "No such peer", from the peer the guest tried to reach. */
		if (h.op != VSOCK_OP_RST)
			vsock_queue_rst(e, h.dst_cid, h.dst_port, h.src_port);
		return;
	case VSOCK_PKT_BAD_TYPE:
	case VSOCK_PKT_BAD_OP:
		vsock_protocol_error(e, VSOCK_CTR_BAD_OP, "unknown op or type", &h);
		vsock_refuse(e, &h, vsock_conn_find(&e->t, h.src_port, h.dst_port));
		return;
	case VSOCK_PKT_BAD_LEN:
		vsock_protocol_error(e, VSOCK_CTR_BAD_LENGTH, "payload length beyond the buffer or 64 KiB", &h);
		vsock_refuse(e, &h, vsock_conn_find(&e->t, h.src_port, h.dst_port));
		return;
	}

	struct vsock_conn *c = vsock_conn_find(&e->t, h.src_port, h.dst_port);
	switch (h.op) {
	case VSOCK_OP_REQUEST:
		vsock_op_request(e, &h, c);
		break;
	case VSOCK_OP_RESPONSE:
		vsock_op_response(e, &h, c);
		break;
	case VSOCK_OP_RST:
		vsock_count(e, VSOCK_CTR_G2H_RESETS, 1);
		if (c)
			vsock_conn_reset(e, c, false);
		break;
	case VSOCK_OP_SHUTDOWN:
		vsock_op_shutdown(e, &h, c);
		break;
	case VSOCK_OP_RW:
		vsock_op_rw(e, &h, c, iov, n);
		break;
	case VSOCK_OP_CREDIT_UPDATE:
	case VSOCK_OP_CREDIT_REQUEST:
		/* For a connection that is gone this is normal (the guest had
		 * not seen our RST yet): it gets another. */
		if (!c) {
			vsock_queue_rst(e, VSOCK_HOST_CID, h.dst_port, h.src_port);
			break;
		}
		if (!vsock_peer_credit(e, c, &h))
			break;
		if (h.op == VSOCK_OP_CREDIT_REQUEST) {
			c->owe |= VSOCK_OWE_CREDIT;
			vsock_conn_kick_rx(e, c);
		}
		break;
	default:
		break; /* vsock_pkt_check let no other op through */
	}
}
