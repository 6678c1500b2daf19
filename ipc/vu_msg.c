/* vhost-user framing over a UNIX stream socket. A message is a 12-byte
 * header and a payload; fds ride as SCM_RIGHTS on the header's bytes.
 * Reads and writes never block past the caller's timeout (MSG_DONTWAIT
 * after poll), so a stalled peer cannot hang either side. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vu_msg.h"

#define VU_FLAGS_KNOWN (VHOST_USER_VERSION_MASK | VHOST_USER_REPLY_MASK | VHOST_USER_NEED_REPLY_MASK)

static int vu_wait(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int r = poll(&p, 1, timeout_ms);
		if (r > 0)
			return 0; /* POLLHUP/POLLERR: the read or write says what */
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

void vu_msg_close_fds(struct vu_msg *m)
{
	for (unsigned int i = 0; i < m->nfds; i++)
		close(m->fds[i]);
	m->nfds = 0;
}

/* Keeps what fits in m->fds; anything else is closed at once so a peer
 * cannot make us leak descriptors. Returns -EPROTO if something did not
 * fit or the kernel had to truncate. */
static int vu_msg_take_fds(struct vu_msg *m, struct msghdr *mh)
{
	int r = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		const unsigned char *p = CMSG_DATA(c);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, p + i * sizeof(int), sizeof(int));
			if (m->nfds < VU_MSG_MAX_FDS) {
				m->fds[m->nfds++] = fd;
			} else {
				close(fd);
				r = -EPROTO;
			}
		}
	}
	if (mh->msg_flags & MSG_CTRUNC)
		r = -EPROTO;
	return r;
}

/* Reads exactly len bytes into buf, collecting any fds on the way. */
static int vu_msg_read(int sock, struct vu_msg *m, void *buf, size_t len, int timeout_ms, bool first)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VU_MSG_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	size_t got = 0;

	while (got < len) {
		struct iovec iov = { .iov_base = (char *)buf + got, .iov_len = len - got };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		int r = vu_wait(sock, POLLIN, timeout_ms);
		if (r < 0)
			return r;
		ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		r = vu_msg_take_fds(m, &mh);
		if (r < 0)
			return r;
		if (n == 0)
			return (first && got == 0) ? -ECONNRESET : -EIO;
		got += (size_t)n;
	}
	return 0;
}

int vu_msg_recv(int sock, struct vu_msg *m, int timeout_ms)
{
	int r;

	m->nfds = 0;
	r = vu_msg_read(sock, m, &m->hdr, VU_MSG_HDR_SIZE, timeout_ms, true);
	if (r < 0)
		goto fail;
	if ((m->hdr.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION ||
	    (m->hdr.flags & ~VU_FLAGS_KNOWN)) {
		r = -EPROTO;
		goto fail;
	}
	/* Too big to be any message we know: the stream cannot be resynced
	 * without trusting the peer's size, so the caller drops it. */
	if (m->hdr.size > VU_MSG_MAX_PAYLOAD) {
		r = -EMSGSIZE;
		goto fail;
	}
	memset(&m->payload, 0, sizeof(m->payload));
	r = vu_msg_read(sock, m, &m->payload, m->hdr.size, timeout_ms, false);
	if (r < 0)
		goto fail;
	return 0;
fail:
	vu_msg_close_fds(m);
	return r;
}

int vu_msg_send(int sock, const struct vu_msg *m, int timeout_ms)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VU_MSG_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	size_t total, sent = 0;

	if (m->hdr.size > VU_MSG_MAX_PAYLOAD || m->nfds > VU_MSG_MAX_FDS)
		return -EINVAL;
	total = VU_MSG_HDR_SIZE + m->hdr.size;
	while (sent < total) {
		struct iovec iov[2];
		int niov = 0;
		if (sent < VU_MSG_HDR_SIZE) {
			iov[niov].iov_base = (char *)&m->hdr + sent;
			iov[niov++].iov_len = VU_MSG_HDR_SIZE - sent;
			if (m->hdr.size) {
				iov[niov].iov_base = (void *)&m->payload;
				iov[niov++].iov_len = m->hdr.size;
			}
		} else {
			size_t off = sent - VU_MSG_HDR_SIZE;
			iov[niov].iov_base = (char *)&m->payload + off;
			iov[niov++].iov_len = m->hdr.size - off;
		}
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)niov };
		/* The fds go with the first byte, exactly once. */
		if (sent == 0 && m->nfds) {
			memset(ctl.buf, 0, sizeof(ctl.buf));
			mh.msg_control = ctl.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * m->nfds);
			struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * m->nfds);
			memcpy(CMSG_DATA(c), m->fds, sizeof(int) * m->nfds);
		}
		int r = vu_wait(sock, POLLOUT, timeout_ms);
		if (r < 0)
			return r;
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		sent += (size_t)n;
	}
	return 0;
}
