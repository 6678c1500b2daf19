#include "vsock_connector.h"
#include "vsock_broker.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int vsock_connector_start(const struct vsock_connector *c, uint32_t port, uint64_t token)
{
	struct vsock_broker_req req = { .magic = VSOCK_BROKER_MAGIC, .port = port, .token = token };

	if (c->broker_fd < 0)
		return c->uds_path ? vsock_uds_connect(c->uds_path, port) : -ENOTCONN;
	/* A full channel means the core is behind: that connection fails
	 * rather than the device waiting. */
	if (send(c->broker_fd, &req, sizeof(req), MSG_DONTWAIT | MSG_NOSIGNAL) != sizeof(req))
		return errno == EAGAIN ? -EAGAIN : -EPIPE;
	return -EINPROGRESS;
}

int vsock_connector_reply(const struct vsock_connector *c, uint64_t *token, int *fd)
{
	struct vsock_broker_rep rep;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	int got_fd = -1;
	ssize_t n;

	if (c->broker_fd < 0)
		return 0;
	n = recvmsg(c->broker_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -EPIPE;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)) && got_fd < 0)
			memcpy(&got_fd, CMSG_DATA(cm), sizeof(int));
	}
	if (n != sizeof(rep) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    rep.magic != VSOCK_BROKER_MAGIC || (rep.err == 0) != (got_fd >= 0) || rep.err > 0) {
		if (got_fd >= 0)
			close(got_fd);
		return -EPROTO;
	}
	*token = rep.token;
	if (got_fd >= 0) {
		int fl = fcntl(got_fd, F_GETFL);
		if (fl < 0 || fcntl(got_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
			int e = -errno;
			close(got_fd);
			*fd = e;
			return 1;
		}
	}
	*fd = got_fd >= 0 ? got_fd : rep.err;
	return 1;
}
