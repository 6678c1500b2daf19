/* The vsock device's connection engine, independent of the rings: the
 * device glue (vsock_dev.c) hands it every packet the guest puts on the
 * tx queue and asks it to fill rx buffers; the engine's own epoll set
 * (vsock_engine_fd) covers the host side: the listening socket, the
 * broker channel, every connection's socket and a timer.
 *
 * Flow control (virtio 1.2, 5.10.6.3): each connection advertises
 * buf_alloc bytes; guest data the host socket cannot take at once waits
 * in a per-connection buffer of that size, so a guest that respects the
 * credit never makes the device buffer more, and one that does not gets
 * RST. Host data is read straight into guest rx buffers, never more
 * than the guest's own credit allows, so a guest that stops reading
 * throttles its host writer through the socket, and nothing is buffered
 * on the host side at all. */
#ifndef CELLVM_VSOCK_ENGINE_H
#define CELLVM_VSOCK_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "dev_metrics.h"
#include "vsock_conn.h"
#include "vsock_connector.h"
#include "vsock_counters.h"
#include "vsock_pkt.h"

#define VSOCK_DEFAULT_MAX_CONNS  256
#define VSOCK_DEFAULT_BUF_ALLOC  (256u << 10)
#define VSOCK_HANDSHAKE_MS       5000  /* a host client has this long to send its CONNECT line */
#define VSOCK_REQUEST_MS         2000  /* the guest has this long to answer a REQUEST */
#define VSOCK_CLOSE_MS           10000 /* a closing connection has this long to flush to the host */

struct vsock_engine_cfg {
	uint64_t guest_cid;
	unsigned int max_conns;
	uint32_t buf_alloc;
	int listen_fd;                 /* listening socket at UDS_PATH, -1: none; the engine owns it */
	struct vsock_connector connector; /* broker_fd is the engine's too */
	struct dev_metrics *metrics;   /* the core's counters page, or NULL */
	unsigned int handshake_ms, request_ms, close_ms; /* 0: the defaults above */
	bool verbose;
};

struct vsock_rst {
	uint64_t src_cid;
	uint32_t src_port, dst_port;   /* host side, guest side */
};

struct vsock_engine {
	struct vsock_engine_cfg cfg;
	struct vsock_conn_table t;
	int epfd, timer_fd, wake_fd;
	bool timer_on, listen_paused;
	uint32_t next_port;
	/* Resets not tied to a live connection (it is gone, or never was). */
	struct vsock_rst *rsts;
	unsigned int rst_head, rst_len, rst_cap;
	uint64_t local_ctr[VSOCK_CTR_COUNT]; /* when there is no counters page */
	uint64_t *ctr;
	unsigned int logged;           /* protocol-error lines logged so far */
};

int vsock_engine_init(struct vsock_engine *e, const struct vsock_engine_cfg *cfg);
/* Closes every socket, the listening one and the broker channel too. */
void vsock_engine_fini(struct vsock_engine *e);

/* The fd to poll: readable when the host side has something. */
static inline int vsock_engine_fd(const struct vsock_engine *e)
{
	return e->epfd;
}

/* One packet from the guest's tx queue: the readable part of a chain. */
void vsock_engine_guest_pkt(struct vsock_engine *e, const struct iovec *iov, unsigned int n);

/* Something for the guest is waiting (an rx buffer would be used). */
bool vsock_engine_rx_pending(struct vsock_engine *e);
/* Fills one guest rx buffer (the writable part of a chain) with one
 * packet; returns its length, 0 when nothing was written (nothing
 * pending, or a buffer too small for a header). */
size_t vsock_engine_rx_fill(struct vsock_engine *e, const struct iovec *iov, unsigned int n);

/* Handles what the host side reported (non-blocking). */
void vsock_engine_host_events(struct vsock_engine *e);

/* Makes vsock_engine_fd readable once, to come back to work left over. */
void vsock_engine_wake(struct vsock_engine *e);

/* The driver reset the device: every connection is dropped without a
 * word to the guest (its sockets are gone already). */
void vsock_engine_reset(struct vsock_engine *e);

static inline uint64_t vsock_engine_counter(const struct vsock_engine *e, enum vsock_counter c)
{
	return __atomic_load_n(&e->ctr[c], __ATOMIC_RELAXED);
}

#endif
