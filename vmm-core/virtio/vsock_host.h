/* The host side of a vsock device, as far as the core is concerned
 * (README.md, "vsock"): the listening socket at the uds path, bound here
 * before the device is spawned and handed to it (the device accepts host
 * clients itself), and the broker thread that connects guest connections
 * to UDS_PATH_<port> on the device's request and passes the socket back.
 * The core never reads or writes stream data. */
#ifndef CELLVM_VSOCK_HOST_H
#define CELLVM_VSOCK_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vsock_broker.h"

struct vsock_host {
	char uds_path[VSOCK_UDS_PATH_MAX + 1];
	uint64_t listen_ino;     /* of the socket file we bound, to remove only ours */
	int chan;                /* our end of the broker channel */
	int stop_efd;
	pthread_t thread;
	bool running;
};

/* Binds uds_path and creates the broker channel; *listen_fd and
 * *dev_chan are for the device (the caller closes its copies once the
 * device has them). 0 or -errno (logged). */
int vsock_host_open(struct vsock_host *h, const char *uds_path, int *listen_fd, int *dev_chan);
/* Starts the broker thread (kind core-vsock). */
int vsock_host_start(struct vsock_host *h);
/* Stops the thread, closes the channel and removes the socket file. */
void vsock_host_close(struct vsock_host *h);

#endif
