/* Host-initiated connections: a client of UDS_PATH first writes
 * "CONNECT <port>\n"; once the guest accepts, it reads "OK <our port>\n"
 * and the socket is the stream. Nothing after the newline is consumed
 * here: a client may send data at once, and it waits in the socket
 * until the stream is up. */
#include "vsock_engine_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int vsock_parse_connect(const char *line, size_t len, uint32_t *port)
{
	static const char cmd[] = "CONNECT ";
	size_t i = sizeof(cmd) - 1;
	uint64_t v = 0;

	if (len < i + 2 || memcmp(line, cmd, i) != 0 || line[len - 1] != '\n')
		return -EINVAL;
	len--;
	if (line[len - 1] == '\r')
		len--;
	if (i == len || len - i > 10)
		return -EINVAL;
	for (; i < len; i++) {
		if (line[i] < '0' || line[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(line[i] - '0');
	}
	if (v > UINT32_MAX)
		return -EINVAL;
	*port = (uint32_t)v;
	return 0;
}

/* A port of ours for the host end, unused with this guest port. */
static int vsock_local_port(struct vsock_engine *e, uint32_t guest_port, uint32_t *out)
{
	for (unsigned int tries = 0; tries <= e->t.max; tries++) {
		uint32_t p = e->next_port++;
		if (e->next_port == 0)
			e->next_port = VSOCK_FIRST_LOCAL_PORT;
		if (!vsock_conn_find(&e->t, guest_port, p)) {
			*out = p;
			return 0;
		}
	}
	return -EADDRINUSE;
}

static void vsock_handshake_fail(struct vsock_engine *e, struct vsock_conn *c)
{
	vsock_count(e, VSOCK_CTR_HANDSHAKE_FAILED, 1);
	vsock_conn_release(e, c);
}

void vsock_handshake_read(struct vsock_engine *e, struct vsock_conn *c)
{
	size_t room = sizeof(c->line) - c->line_len;
	char peek[sizeof(c->line)];
	uint32_t port, local;

	ssize_t r = recv(c->fd, peek, room, MSG_PEEK | MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
		vsock_conn_update_interest(e, c);
		return;
	}
	if (r <= 0) {
		vsock_handshake_fail(e, c);
		return;
	}
	char *nl = memchr(peek, '\n', (size_t)r);
	size_t take = nl ? (size_t)(nl - peek) + 1 : (size_t)r;
	if (recv(c->fd, c->line + c->line_len, take, MSG_DONTWAIT) != (ssize_t)take) {
		vsock_handshake_fail(e, c);
		return;
	}
	c->line_len = (uint8_t)(c->line_len + take);
	if (!nl) {
		if (c->line_len == sizeof(c->line))
			vsock_handshake_fail(e, c); /* no command is that long */
		else
			vsock_conn_update_interest(e, c);
		return;
	}
	if (vsock_parse_connect(c->line, c->line_len, &port) < 0 ||
	    vsock_local_port(e, port, &local) < 0) {
		vsock_handshake_fail(e, c);
		return;
	}
	c->guest_port = port;
	c->host_port = local;
	c->state = VSOCK_CONN_REQUESTED;
	vsock_conn_hash_add(&e->t, c); /* the port was chosen to be free */
	c->owe |= VSOCK_OWE_REQUEST;
	/* Restarted when the REQUEST goes out; this one covers a guest that
	 * posts no rx buffer. */
	vsock_set_deadline(e, c, e->cfg.request_ms);
	vsock_conn_kick_rx(e, c);
}
