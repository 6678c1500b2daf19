/* How cellvm-vsock reaches the host listener at UDS_PATH_<port> for a
 * guest connection: by itself when it runs unsandboxed (next to QEMU, by
 * hand), or by asking the core over the broker channel when it runs in
 * its sandbox, where it cannot call socket() (ipc/vsock_broker.h). Both
 * hand back a non-blocking connected stream socket. */
#ifndef CELLVM_VSOCK_CONNECTOR_H
#define CELLVM_VSOCK_CONNECTOR_H

#include <stdint.h>

struct vsock_connector {
	int broker_fd;            /* >= 0: ask the core through this SOCK_SEQPACKET */
	const char *uds_path;     /* otherwise: connect to uds_path + "_<port>" ourselves */
};

/* Starts a connection. Returns the connected fd (direct), -EINPROGRESS
 * when the answer will come on broker_fd with this token, or -errno
 * (nobody listening: -ECONNREFUSED or -ENOENT). */
int vsock_connector_start(const struct vsock_connector *c, uint32_t port, uint64_t token);

/* One answer from the broker: 1 with *token and *fd (>= 0, or -errno
 * when the connect failed), 0 when none is waiting, -errno when the
 * channel is broken (the core went away or sent garbage). */
int vsock_connector_reply(const struct vsock_connector *c, uint64_t *token, int *fd);

#endif
