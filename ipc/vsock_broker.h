/* The connect channel between a sandboxed cellvm-vsock and the core.
 *
 * cellvm-vsock lives in an empty root and a network namespace of its own
 * and may not call socket() or connect(): it cannot reach the host
 * listeners at `UDS_PATH_<port>` that guest connections go to. So it asks
 * the core over a SOCK_SEQPACKET socketpair (one message per datagram):
 * a request names only a port number, the core builds the path from the
 * uds path it was configured with, connects (non-blocking) and answers
 * with the connected socket as SCM_RIGHTS, or with an errno. A compromised
 * device can thus reach `UDS_PATH_<u32>` and nothing else on the host,
 * and the core never sees a byte of the stream.
 *
 * Host-initiated connections need no help: the core binds the listening
 * socket at UDS_PATH before it spawns the device and hands it over, and
 * the device accepts on it itself. */
#ifndef CELLVM_VSOCK_BROKER_H
#define CELLVM_VSOCK_BROKER_H

#include <stdint.h>

#define VSOCK_BROKER_MAGIC 0x4b435356u /* "VSCK" */

struct vsock_broker_req {
	uint32_t magic;
	uint32_t port;     /* the host port: the core connects to UDS_PATH_<port> */
	uint64_t token;    /* echoed in the reply */
};

struct vsock_broker_rep {
	uint32_t magic;
	int32_t err;       /* 0: a connected stream socket comes as SCM_RIGHTS; else -errno */
	uint64_t token;
};

/* Longest uds path: "_4294967295" must still fit in sun_path (108 with
 * its NUL). */
#define VSOCK_UDS_PATH_MAX (107 - 11)

/* Connects to base + "_<port>": a non-blocking, close-on-exec stream
 * socket, or -errno (-ENOENT, -ECONNREFUSED: nobody listens there;
 * -EAGAIN: the listener's backlog is full). */
int vsock_uds_connect(const char *base, uint32_t port);

/* The core's side: answers every request waiting on chan (non-blocking)
 * by connecting to uds_path + "_<port>". Returns 0, or -errno when the
 * channel is closed or the device sent something that is not a request
 * (the caller then stops serving it). */
int vsock_broker_serve(int chan, const char *uds_path);

/* Serves chan until it closes (0), breaks (-errno) or stop_fd (-1: none)
 * becomes readable (0): the loop of the core's broker thread and of the
 * helper an unsandboxed cellvm-vsock forks for itself. */
int vsock_broker_run(int chan, int stop_fd, const char *uds_path);

#endif
