/* Both ends of the vsock connect channel share the wire format; see
 * vsock_broker.h. */
#include "vsock_broker.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int vsock_uds_connect(const char *base, uint32_t port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	r = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", base, port);
	if (r < 0 || (size_t)r >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A UNIX stream connect never goes in progress: it succeeds at once
	 * or fails, so nobody ever waits on a slow listener here. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int broker_reply(int chan, uint64_t token, int fd)
{
	struct vsock_broker_rep rep = { .magic = VSOCK_BROKER_MAGIC, .err = fd < 0 ? fd : 0,
					.token = token };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	/* Blocking: the device reads its replies promptly, and a device
	 * that stops reading only stalls its own broker. */
	return sendmsg(chan, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(rep) ? 0 : -errno;
}

int vsock_broker_serve(int chan, const char *uds_path)
{
	for (;;) {
		struct vsock_broker_req req;
		ssize_t n = recv(chan, &req, sizeof(req), MSG_DONTWAIT | MSG_TRUNC);
		int fd, r;

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		if (n == 0)
			return -EPIPE;
		/* MSG_TRUNC reports the datagram's real size: anything but one
		 * request is a device not speaking the protocol. */
		if (n != sizeof(req) || req.magic != VSOCK_BROKER_MAGIC)
			return -EPROTO;
		fd = vsock_uds_connect(uds_path, req.port);
		r = broker_reply(chan, req.token, fd);
		if (fd >= 0)
			close(fd);
		if (r < 0)
			return r;
	}
}

int vsock_broker_run(int chan, int stop_fd, const char *uds_path)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = chan, .events = POLLIN },
				       { .fd = stop_fd, .events = POLLIN } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[1].revents)
			return 0;
		if (p[0].revents & POLLIN) {
			int r = vsock_broker_serve(chan, uds_path);
			if (r == -EPIPE)
				return 0; /* the device is gone */
			if (r < 0)
				return r;
		} else if (p[0].revents) {
			return 0; /* hang-up */
		}
	}
}
