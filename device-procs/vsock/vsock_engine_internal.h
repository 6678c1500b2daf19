/* What the engine's files share; not for the device glue. */
#ifndef CELLVM_VSOCK_ENGINE_INTERNAL_H
#define CELLVM_VSOCK_ENGINE_INTERNAL_H

#include "vsock_engine.h"

/* epoll tags: kind in the high half, connection index in the low. */
enum vsock_ev { VSOCK_EV_LISTEN = 1, VSOCK_EV_BROKER, VSOCK_EV_TIMER, VSOCK_EV_WAKE, VSOCK_EV_CONN };
#define VSOCK_EV(kind, idx) (((uint64_t)(kind) << 32) | (uint32_t)(idx))

#define VSOCK_FIRST_LOCAL_PORT (1u << 30) /* host-initiated connections' ports, as Firecracker's */
#define VSOCK_MAX_SLICE 64                /* iovec entries per socket read or write */

void vsock_count(struct vsock_engine *e, enum vsock_counter c, uint64_t n);
/* A protocol error: counted (also as a device error) and, the first
 * few times, logged. */
void vsock_protocol_error(struct vsock_engine *e, enum vsock_counter c, const char *what,
			  const struct vsock_hdr *h);
uint64_t vsock_now_ms(void);
void vsock_set_deadline(struct vsock_engine *e, struct vsock_conn *c, unsigned int ms);

/* Connections. */
uint32_t vsock_conn_credit(const struct vsock_conn *c);
/* Host data is waiting and the guest may take some. */
bool vsock_conn_data_ready(const struct vsock_conn *c);
bool vsock_conn_wants_rx(const struct vsock_conn *c);
/* Queues it for the rx path when it has something for the guest. */
void vsock_conn_kick_rx(struct vsock_engine *e, struct vsock_conn *c);
/* Arms its socket for what the connection now waits on. */
void vsock_conn_update_interest(struct vsock_engine *e, struct vsock_conn *c);
int vsock_conn_register(struct vsock_engine *e, struct vsock_conn *c);
/* Closes the socket and frees the slot. */
void vsock_conn_release(struct vsock_engine *e, struct vsock_conn *c);
/* Same, after queueing an RST for the guest when it knows the connection. */
void vsock_conn_reset(struct vsock_engine *e, struct vsock_conn *c, bool rst);
/* The connection is finished when the guest closed (or shut its sending
 * side while the host's ended) and everything reached the host: then it
 * is reset, and true is returned. */
bool vsock_conn_maybe_finish(struct vsock_engine *e, struct vsock_conn *c);
/* A guest connection's host socket is there: answer RESPONSE. */
void vsock_conn_connected(struct vsock_engine *e, struct vsock_conn *c, int fd);
/* Guest data for the host: straight to the socket when nothing waits
 * before it, the rest into the connection's buffer (the caller checked
 * the credit). 0, or -errno when the host socket failed. */
int vsock_conn_write(struct vsock_engine *e, struct vsock_conn *c, const struct iovec *iov,
		     unsigned int n, size_t off, uint32_t len);
/* Writes buffered guest data to the host socket. */
void vsock_conn_drain(struct vsock_engine *e, struct vsock_conn *c);
/* Owes the guest a credit update once enough was forwarded since the
 * last one it saw. */
void vsock_conn_maybe_credit(struct vsock_engine *e, struct vsock_conn *c);

/* Conn-less RST for the guest; dropped (and counted) when the queue is full. */
void vsock_queue_rst(struct vsock_engine *e, uint64_t src_cid, uint32_t src_port,
		     uint32_t dst_port);

/* Host-initiated handshake: reads the CONNECT line. */
void vsock_handshake_read(struct vsock_engine *e, struct vsock_conn *c);
/* "CONNECT <port>\n" (or "\r\n"): 0 and the port, or -EINVAL. */
int vsock_parse_connect(const char *line, size_t len, uint32_t *port);

#endif
