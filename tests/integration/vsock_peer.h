/* The host side of the vsock integration tests: servers listening at
 * UDS_PATH_<port> (what guest connections reach), a client that asks for
 * a guest port through UDS_PATH ("CONNECT <port>\n" / "OK <port>\n"),
 * and the device's counters from a metrics file. */
#ifndef CELLVM_TEST_VSOCK_PEER_H
#define CELLVM_TEST_VSOCK_PEER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum vsock_peer_mode {
	VSOCK_PEER_ECHO,  /* echoes every byte; after the client's EOF sends
			     "END len=N sum=X\n" (tests/linux/vsock_pattern.h sum) and closes */
	VSOCK_PEER_SINK,  /* discards; after EOF answers the byte count "N\n" */
	VSOCK_PEER_PONG,  /* echoes, nothing else (1-byte ping-pong) */
};

#define VSOCK_PEER_MAX_CONNS 32

struct vsock_peer {
	enum vsock_peer_mode mode;
	int lfd, stop_efd;
	pthread_t thread;
	bool running;
	char path[128];
	/* Counted by the server thread (relaxed atomics). */
	uint64_t conns, closed_ok, errors, bytes_in;
};

/* Listens at uds + "_<port>" and serves on a thread. 0 or -errno. */
int vsock_peer_start(struct vsock_peer *p, const char *uds, uint32_t port, enum vsock_peer_mode mode);
void vsock_peer_stop(struct vsock_peer *p);
static inline uint64_t vsock_peer_get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* A bare listener at uds + "_<port>" (the test accepts itself); fd or -errno. */
int vsock_listen_port(const char *uds, uint32_t port);

/* Connects to uds, asks for guest port `port` and reads the "OK <n>\n"
 * answer (byte by byte: nothing after it is consumed). Returns the fd
 * with *local = n, or -errno (-ECONNRESET: the device closed instead). */
int vsock_dial(const char *uds, uint32_t port, uint32_t *local, int timeout_ms);

/* The counter `name` of device `dev` ("vsock0") in the last line of a
 * --metrics-file (or a `cellctl --json metrics` reply); false when absent. */
bool vsock_metrics_counter(const char *metrics_path, const char *dev, const char *name, uint64_t *v);

#endif
