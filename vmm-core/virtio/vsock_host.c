#include "vsock_host.h"
#include "log.h"
#include "thread_kind.h"
#include "unix_listen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* Host clients waiting for the device to accept. */
#define VSOCK_LISTEN_BACKLOG 128

int vsock_host_open(struct vsock_host *h, const char *uds_path, int *listen_fd, int *dev_chan)
{
	char err[256];
	int sv[2], fd;

	memset(h, 0, sizeof(*h));
	h->chan = h->stop_efd = -1;
	*listen_fd = *dev_chan = -1;
	snprintf(h->uds_path, sizeof(h->uds_path), "%s", uds_path);
	fd = unix_listen_owner(uds_path, VSOCK_LISTEN_BACKLOG, &h->listen_ino, err, sizeof(err));
	if (fd < 0) {
		log_error("vsock: %s", err);
		return fd;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    (h->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		int ret = -errno;
		log_error("vsock: broker channel: %s", strerror(errno));
		close(fd);
		vsock_host_close(h);
		return ret;
	}
	h->chan = sv[0];
	*dev_chan = sv[1];
	*listen_fd = fd;
	return 0;
}

static void *vsock_host_thread(void *arg)
{
	struct vsock_host *h = arg;
	int r;

	if (thread_kind_enter(THREAD_CORE_VSOCK, 0) < 0)
		return NULL;
	r = vsock_broker_run(h->chan, h->stop_efd, h->uds_path);
	if (r < 0)
		log_warn("vsock: connect broker stopped: %s", strerror(-r));
	return NULL;
}

int vsock_host_start(struct vsock_host *h)
{
	int ret = pthread_create(&h->thread, NULL, vsock_host_thread, h);

	if (ret) {
		log_error("vsock: cannot start the broker thread: %s", strerror(ret));
		return -ret;
	}
	h->running = true;
	return 0;
}

void vsock_host_close(struct vsock_host *h)
{
	uint64_t one = 1;

	if (h->running) {
		if (write(h->stop_efd, &one, sizeof(one)) < 0)
			log_warn("vsock: cannot stop the broker thread: %s", strerror(errno));
		pthread_join(h->thread, NULL);
		h->running = false;
	}
	if (h->chan >= 0)
		close(h->chan);
	if (h->stop_efd >= 0)
		close(h->stop_efd);
	h->chan = h->stop_efd = -1;
	unix_listen_remove(h->uds_path, h->listen_ino);
	h->listen_ino = 0;
}
