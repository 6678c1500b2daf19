#include "api_client.h"
#include "api_msg.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define API_CLIENT_TIMEOUT_MS 10000

int api_client_connect(struct api_client *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->next_id = 1;
	c->timeout_ms = API_CLIENT_TIMEOUT_MS;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((ret = api_decoder_init(&c->dec, 0)) < 0)
		return ret;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		ret = -errno;
		goto fail;
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		goto fail;
	}
	return 0;
fail:
	api_client_close(c);
	return ret;
}

void api_client_close(struct api_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	api_decoder_free(&c->dec);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short events, long deadline)
{
	for (;;) {
		long left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = events };
		if (left < 0)
			return -ETIMEDOUT;
		int n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n > 0)
			return 0;
	}
}

int api_client_send(struct api_client *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	long deadline = now_ms() + c->timeout_ms;

	while (len) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			int ret = wait_fd(c->fd, POLLOUT, deadline);
			if (ret < 0)
				return ret;
			continue;
		}
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int api_client_recv(struct api_client *c, uint64_t *id, Cellvm__Reply **reply)
{
	long deadline = now_ms() + c->timeout_ms;
	uint8_t buf[4096];

	*reply = NULL;
	for (;;) {
		int ret = wait_fd(c->fd, POLLIN, deadline);
		if (ret < 0)
			return ret;
		/* One byte at a time would be simpler but slow; peek instead so
		 * bytes of a following frame stay in the socket. */
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		size_t used = 0;
		enum api_dec_event ev = api_decoder_feed(&c->dec, buf, (size_t)n, &used);
		if (recv(c->fd, buf, used, MSG_DONTWAIT) != (ssize_t)used)
			return -EIO;
		if (ev == API_DEC_TOO_LARGE)
			return -EMSGSIZE;
		if (ev != API_DEC_FRAME)
			continue;
		*id = c->dec.hdr.id;
		*reply = cellvm__reply__unpack(NULL, c->dec.hdr.len, c->dec.buf);
		return *reply ? 0 : -EPROTO;
	}
}

int api_client_call(struct api_client *c, Cellvm__Request *req, Cellvm__Reply **reply)
{
	uint64_t id = c->next_id++, got = 0;
	size_t len;
	uint8_t *frame;
	int ret;

	*reply = NULL;
	if (req->version == 0)
		req->version = API_PROTOCOL_VERSION;
	frame = api_msg_frame(&req->base, id, &len);
	if (!frame)
		return -EMSGSIZE;
	ret = api_client_send(c, frame, len);
	free(frame);
	if (ret < 0)
		return ret;
	if ((ret = api_client_recv(c, &got, reply)) < 0)
		return ret;
	if (got != id) {
		cellvm__reply__free_unpacked(*reply, NULL);
		*reply = NULL;
		return -EPROTO;
	}
	return 0;
}
