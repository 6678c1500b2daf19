/* One vsock stream between a guest port and a host UNIX socket, and the
 * table that finds it by (guest port, host port). Slots are allocated
 * once (max_conns of them) and reused: a guest can make the device hold
 * at most max_conns connections, each with at most buf_alloc bytes of
 * guest data waiting for a slow host reader. */
#ifndef CELLVM_VSOCK_CONN_H
#define CELLVM_VSOCK_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

enum vsock_conn_state {
	VSOCK_CONN_FREE,
	VSOCK_CONN_HANDSHAKE,   /* host client accepted, its "CONNECT <port>\n" not read yet */
	VSOCK_CONN_REQUESTED,   /* REQUEST owed or sent to the guest, waiting for RESPONSE */
	VSOCK_CONN_CONNECTING,  /* guest REQUEST: the host listener is being connected to */
	VSOCK_CONN_ESTABLISHED,
	VSOCK_CONN_CLOSING,     /* the guest shut both ways: flushing to the host, then RST */
};

/* Control packets owed to the guest (any data packet also carries the
 * credit, so it settles a pending CREDIT_UPDATE). */
#define VSOCK_OWE_REQUEST  0x1u
#define VSOCK_OWE_RESPONSE 0x2u
#define VSOCK_OWE_CREDIT   0x4u

struct vsock_conn {
	enum vsock_conn_state state;
	uint32_t gen;            /* bumped when the slot is freed: stale broker replies miss */
	uint32_t guest_port;
	uint32_t host_port;      /* the listener's port (guest-initiated) or ours (host-initiated) */
	int fd;                  /* host socket, -1 while connecting */
	bool host_initiated;
	bool active;             /* counted in active_connections */
	uint32_t owe;            /* VSOCK_OWE_* */

	/* Shutdown state. */
	bool guest_no_rcv;       /* guest said SHUTDOWN RCV: stop reading the host */
	bool guest_no_send;      /* guest said SHUTDOWN SEND: shut the host's write side once flushed */
	bool host_eof;           /* host socket read EOF: no more data to the guest */
	bool host_wr_shut;       /* shutdown(SHUT_WR) done on the host socket */

	/* Guest -> host: what the guest sent (rx_cnt) and we wrote to the
	 * host socket (fwd_cnt); the difference waits in buf (a ring of
	 * buf_alloc bytes, allocated only while needed). */
	uint32_t rx_cnt, fwd_cnt;
	uint32_t fwd_told;       /* fwd_cnt as last sent to the guest */
	uint8_t *buf;
	uint32_t buf_head, buf_len;

	/* Host -> guest: bytes we put in guest buffers, and the guest's
	 * receive window as its packets last described it. */
	uint32_t tx_cnt;
	uint32_t peer_buf_alloc, peer_fwd_cnt;
	bool host_readable;      /* the socket reported data or EOF we have not consumed */

	uint32_t armed;          /* epoll events the fd is armed for (one-shot) */
	bool registered;         /* fd is in the epoll set */
	uint64_t deadline_ms;    /* handshake, REQUEST or close deadline; 0: none */

	/* Host-initiated handshake line. */
	char line[32];
	uint8_t line_len;

	/* Intrusive links: hash chain, and the queue of connections that owe
	 * the guest something (round robin). */
	int hash_next;
	int rxq_prev, rxq_next;
	bool in_rxq;
};

struct vsock_conn_table {
	struct vsock_conn *slots;
	unsigned int max, used;
	int *buckets;            /* hash heads, nbuckets a power of 2 */
	unsigned int nbuckets;
	int free_head;           /* free slots chained through hash_next */
	int rxq_head, rxq_tail;
};

int vsock_conn_table_init(struct vsock_conn_table *t, unsigned int max);
void vsock_conn_table_fini(struct vsock_conn_table *t);

/* A free slot, zeroed (fd -1), in state `state` but not yet in the hash;
 * NULL when all max are in use. */
struct vsock_conn *vsock_conn_alloc(struct vsock_conn_table *t, enum vsock_conn_state state);
/* Puts it in the hash under its ports; -EEXIST when the key is taken. */
int vsock_conn_hash_add(struct vsock_conn_table *t, struct vsock_conn *c);
/* Takes it off the hash and the rx queue, frees its buffer and slot (the
 * fd is the caller's business). */
void vsock_conn_free(struct vsock_conn_table *t, struct vsock_conn *c);
struct vsock_conn *vsock_conn_find(const struct vsock_conn_table *t, uint32_t guest_port,
				   uint32_t host_port);
static inline int vsock_conn_index(const struct vsock_conn_table *t, const struct vsock_conn *c)
{
	return (int)(c - t->slots);
}

/* The rx queue: connections that have a packet for the guest. */
void vsock_conn_rxq_push(struct vsock_conn_table *t, struct vsock_conn *c);
void vsock_conn_rxq_remove(struct vsock_conn_table *t, struct vsock_conn *c);
struct vsock_conn *vsock_conn_rxq_first(const struct vsock_conn_table *t);

/* Guest -> host buffer: appends len bytes (caller checked the room). */
int vsock_conn_buf_put(struct vsock_conn *c, uint32_t cap, const struct iovec *iov,
		       unsigned int n, size_t off, uint32_t len);

#endif
