/* The host end of the linux-vsock section: a sink on PORT (reads until
 * EOF, answers the byte count "N\n") and an echo on PORT + 1 (the guest's
 * 1-byte ping-pong), served by one thread of the bench. The same servers
 * listen as UNIX sockets at UDS_PATH_<port> (what cellvm-vsock forwards
 * guest connections to) or as AF_VSOCK sockets of the host (QEMU's
 * vhost-vsock kernel device), or as TCP sockets on a tap's address (the
 * linux-net section). */
#ifndef CELLVM_BENCH_VSOCK_SRV_H
#define CELLVM_BENCH_VSOCK_SRV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vsock_srv {
	int lfd[2];                 /* sink, echo */
	int stop_efd;
	pthread_t thread;
	bool running;
	uint64_t streams;           /* sink streams finished (relaxed atomic) */
};

/* Listens at base_<port> and base_<port + 1>. 0 or -errno. */
int vsock_srv_start_unix(struct vsock_srv *s, const char *base, uint32_t port);
/* Listens on the host's AF_VSOCK ports port and port + 1. 0 or -errno. */
int vsock_srv_start_vsock(struct vsock_srv *s, uint32_t port);
/* The same on TCP addr:port and port + 1 (the linux-net section). */
int vsock_srv_start_tcp(struct vsock_srv *s, const char *addr, uint32_t port);
void vsock_srv_stop(struct vsock_srv *s);
/* Whether /dev/vhost-vsock can be opened here (QEMU's vhost-vsock-device). */
bool vsock_vhost_available(char *why, size_t len);

#endif
