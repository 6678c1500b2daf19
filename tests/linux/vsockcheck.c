/* vsockcheck: the AF_VSOCK exerciser of the Linux test initramfs (built
 * static). Every result is one line "cellvm-linux: vsockcheck ..." written
 * at once to stdout (the host test waits on some of them).
 *
 *   vsockcheck g2h PORT BYTES SEED       one stream to the host's echo server
 *                                        on PORT: BYTES of pattern, then
 *                                        shutdown(SHUT_WR); every byte must
 *                                        come back, then "END len= sum=" and EOF
 *   vsockcheck multi PORT N BYTES SEED   N such streams at once (threads)
 *   vsockcheck serve PORT N              accept N host connections: read each
 *                                        to EOF (the host half-closes), answer
 *                                        "len=N sum=X" and 32 KiB of pattern
 *                                        (seed = len), close
 *   vsockcheck stuck PORT ECHO_PORT [listen]
 *                                        write to a host that never reads until
 *                                        writing blocks; then a g2h stream on
 *                                        ECHO_PORT must still work; then close.
 *                                        The host end is a listener on PORT, or
 *                                        with "listen" a host client that
 *                                        connects to our PORT
 *   vsockcheck flood PORT                an endless g2h stream, with progress
 *   vsockcheck bench PORT SECONDS        throughput to the host's sink on PORT
 *                                        and 1-byte ping-pong on PORT+1
 *
 * Streams carry vsock_pattern bytes (tests/linux/vsock_pattern.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vsock_pattern.h"

#define CHUNK (64u << 10)
#define IDLE_MS 20000          /* no progress for this long is a failure */
#define STUCK_MS 3000          /* no POLLOUT for this long: writing blocked */
#define STUCK_LIMIT (64u << 20)
#define REPLY_BYTES (32u << 10)

static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n = snprintf(line, sizeof(line), "cellvm-linux: vsockcheck ");

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line: lines of concurrent streams never mix. */
	if (write(1, line, (size_t)n) < 0)
		exit(3);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int vsock_connect(uint32_t port)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST, .svm_port = port };
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

struct stream {
	uint32_t port;
	uint64_t bytes, seed;
	bool endless;
	/* results */
	uint64_t sent, echoed, ms;
	char err[160];
};

/* Parses the echo server's trailer "END len=N sum=X\n" from buf. */
static bool trailer_ok(const char *buf, size_t n, uint64_t len, uint64_t sum, char *err, size_t errlen)
{
	char line[96];
	unsigned long long l, s;

	if (n == 0 || n >= sizeof(line) || buf[n - 1] != '\n') {
		snprintf(err, errlen, "trailer of %zu bytes", n);
		return false;
	}
	memcpy(line, buf, n);
	line[n] = '\0';
	if (sscanf(line, "END len=%llu sum=%llx", &l, &s) != 2 || l != len || s != sum) {
		snprintf(err, errlen, "trailer '%.*s' for len=%" PRIu64 " sum=%016" PRIx64, (int)n - 1,
			 line, len, sum);
		return false;
	}
	return true;
}

/* One echo stream, writing and reading at once through poll. */
static bool run_stream(struct stream *s)
{
	static __thread uint8_t wbuf[CHUNK], rbuf[CHUNK];
	char tail[96];
	size_t tail_len = 0;
	uint64_t sum = VSOCK_SUM_INIT, t0 = now_ms(), last = t0, next_report = 1u << 20;
	bool wr_done = false;
	int fd = vsock_connect(s->port);

	if (fd < 0) {
		snprintf(s->err, sizeof(s->err), "connect to port %u: %s", s->port, strerror(-fd));
		return false;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN | (wr_done ? 0 : POLLOUT) };
		int r = poll(&p, 1, 1000);
		if (r < 0 && errno != EINTR)
			break;
		if (now_ms() - last > IDLE_MS) {
			snprintf(s->err, sizeof(s->err), "no progress for %d s (sent %" PRIu64
				 ", echoed %" PRIu64 ")", IDLE_MS / 1000, s->sent, s->echoed);
			close(fd);
			return false;
		}
		if (!wr_done && (p.revents & POLLOUT)) {
			uint64_t left = s->endless ? CHUNK : s->bytes - s->sent;
			size_t n = left < CHUNK ? (size_t)left : CHUNK;
			vsock_pattern_fill(wbuf, n, s->seed, s->sent);
			ssize_t w = write(fd, wbuf, n);
			if (w > 0) {
				sum = vsock_sum(sum, wbuf, (size_t)w);
				s->sent += (uint64_t)w;
				last = now_ms();
			} else if (w < 0 && errno != EAGAIN) {
				snprintf(s->err, sizeof(s->err), "write: %s", strerror(errno));
				break;
			}
			if (!s->endless && s->sent == s->bytes) {
				shutdown(fd, SHUT_WR); /* the half-close: the echo goes on */
				wr_done = true;
			}
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(fd, rbuf, sizeof(rbuf));
			if (n < 0 && errno == EAGAIN)
				continue;
			if (n < 0) {
				snprintf(s->err, sizeof(s->err), "read: %s", strerror(errno));
				break;
			}
			if (n == 0) {
				s->ms = now_ms() - t0;
				close(fd);
				if (s->echoed != s->bytes) {
					snprintf(s->err, sizeof(s->err), "EOF after %" PRIu64 " of %" PRIu64
						 " echoed bytes", s->echoed, s->bytes);
					return false;
				}
				return trailer_ok(tail, tail_len, s->bytes, sum, s->err, sizeof(s->err));
			}
			last = now_ms();
			size_t data = (size_t)n;
			if (!s->endless && s->echoed + data > s->bytes)
				data = (size_t)(s->bytes - s->echoed);
			size_t bad = vsock_pattern_check(rbuf, data, s->seed, s->echoed);
			if (bad != data) {
				snprintf(s->err, sizeof(s->err), "echo differs at byte %" PRIu64,
					 s->echoed + bad);
				break;
			}
			s->echoed += data;
			if (s->endless && s->echoed >= next_report) {
				say("flood bytes=%" PRIu64, s->echoed);
				next_report += 1u << 20;
			}
			size_t rest = (size_t)n - data;
			if (rest > sizeof(tail) - tail_len) {
				snprintf(s->err, sizeof(s->err), "%zu bytes after the echo", rest);
				break;
			}
			memcpy(tail + tail_len, rbuf + data, rest);
			tail_len += rest;
		}
	}
	close(fd);
	if (!s->err[0])
		snprintf(s->err, sizeof(s->err), "poll: %s", strerror(errno));
	return false;
}

static int cmd_g2h(uint32_t port, uint64_t bytes, uint64_t seed)
{
	struct stream s = { .port = port, .bytes = bytes, .seed = seed };

	if (!run_stream(&s)) {
		say("g2h fail %s", s.err);
		return 1;
	}
	say("g2h ok bytes=%" PRIu64 " ms=%" PRIu64, s.echoed, s.ms);
	return 0;
}

static void *stream_thread(void *arg)
{
	struct stream *s = arg;
	return run_stream(s) ? NULL : s;
}

static int cmd_multi(uint32_t port, unsigned int n, uint64_t bytes, uint64_t seed)
{
	struct stream s[64];
	pthread_t t[64];
	unsigned int ok = 0;
	uint64_t t0 = now_ms(), total = 0;

	if (n == 0 || n > 64)
		return 2;
	for (unsigned int i = 0; i < n; i++) {
		s[i] = (struct stream){ .port = port, .bytes = bytes, .seed = seed + i };
		if (pthread_create(&t[i], NULL, stream_thread, &s[i]) != 0)
			return 1;
	}
	for (unsigned int i = 0; i < n; i++) {
		void *bad;
		pthread_join(t[i], &bad);
		if (bad)
			say("multi stream %u fail %s", i, s[i].err);
		else
			ok++;
		total += s[i].echoed;
	}
	if (ok != n) {
		say("multi fail streams=%u ok=%u", n, ok);
		return 1;
	}
	say("multi ok streams=%u bytes=%" PRIu64 " ms=%" PRIu64, n, total, now_ms() - t0);
	return 0;
}

/* Reads everything until EOF with a deadline; 0 or -errno. */
static int read_all(int fd, uint64_t *len, uint64_t *sum)
{
	static uint8_t buf[CHUNK];

	*len = 0;
	*sum = VSOCK_SUM_INIT;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, IDLE_MS) != 1)
			return -ETIMEDOUT;
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		*sum = vsock_sum(*sum, buf, (size_t)n);
		*len += (uint64_t)n;
	}
}

static int write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int cmd_serve(uint32_t port, unsigned int n)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port };
	static uint8_t reply[REPLY_BYTES];
	int lfd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unsigned int ok = 0;

	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0) {
		say("serve fail listen: %s", strerror(errno));
		return 1;
	}
	say("listening port=%u", port);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t len, sum;
		char line[80];
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), r;

		if (fd < 0) {
			say("serve fail accept: %s", strerror(errno));
			return 1;
		}
		if ((r = read_all(fd, &len, &sum)) < 0) {
			say("serve fail conn %u read: %s", i, strerror(-r));
			close(fd);
			continue;
		}
		/* The host's half-close came through as EOF; our side still sends. */
		int l = snprintf(line, sizeof(line), "len=%" PRIu64 " sum=%016" PRIx64 "\n", len, sum);
		vsock_pattern_fill(reply, sizeof(reply), len, 0);
		if (write_all(fd, line, (size_t)l) < 0 || write_all(fd, reply, sizeof(reply)) < 0) {
			say("serve fail conn %u write: %s", i, strerror(errno));
			close(fd);
			continue;
		}
		close(fd);
		say("serve conn %u len=%" PRIu64, i, len);
		ok++;
	}
	close(lfd);
	say("serve %s conns=%u", ok == n ? "ok" : "fail", ok);
	return ok == n ? 0 : 1;
}

/* Listens on port and accepts one host client; fd or -errno. */
static int accept_one(uint32_t port)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port };
	int lfd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0), fd;

	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0)
		return -errno;
	say("stuck listening port=%u", port);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	fd = fd < 0 ? -errno : fd;
	close(lfd);
	return fd;
}

static int cmd_stuck(uint32_t port, uint32_t echo_port, bool listen_mode)
{
	static uint8_t buf[4096];
	uint64_t written = 0;
	int fd = listen_mode ? accept_one(port) : vsock_connect(port);

	if (fd < 0) {
		say("stuck fail %s: %s", listen_mode ? "accept" : "connect", strerror(-fd));
		return 1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int r = poll(&p, 1, STUCK_MS);
		if (r == 0)
			break; /* blocked: the host reads nothing, the device holds no more */
		if (r < 0 || (p.revents & (POLLERR | POLLHUP))) {
			say("stuck fail poll after %" PRIu64 " bytes", written);
			return 1;
		}
		vsock_pattern_fill(buf, sizeof(buf), 9, written);
		ssize_t w = write(fd, buf, sizeof(buf));
		if (w < 0 && errno != EAGAIN) {
			say("stuck fail write: %s", strerror(errno));
			return 1;
		}
		if (w > 0)
			written += (uint64_t)w;
		if (written > STUCK_LIMIT) {
			say("stuck fail never-blocked bytes=%" PRIu64, written);
			return 1;
		}
	}
	say("stuck blocked bytes=%" PRIu64, written);
	/* The stuck stream holds only its own credit: another one flows. */
	struct stream s = { .port = echo_port, .bytes = 256u << 10, .seed = 10 };
	bool other = run_stream(&s);
	if (!other)
		say("stuck other stream fail %s", s.err);
	close(fd); /* what the device still holds reaches the host first */
	say("stuck %s bytes=%" PRIu64 " other=%s", other ? "ok" : "fail", written, other ? "ok" : "fail");
	return other ? 0 : 1;
}

static int cmd_flood(uint32_t port)
{
	struct stream s = { .port = port, .endless = true, .seed = 11 };

	say("flood started");
	run_stream(&s);
	say("flood ended bytes=%" PRIu64 " %s", s.echoed, s.err);
	return 0;
}

/* bench: one stream of SECONDS to the host's sink on PORT (it discards,
 * then answers the byte count), then 1-byte ping-pong on PORT + 1. */
static int cmd_bench(uint32_t port, unsigned int seconds)
{
	static uint8_t buf[CHUNK];
	uint64_t bytes = 0, t0, dt;
	int fd = vsock_connect(port);

	if (fd < 0) {
		say("bench fail connect: %s", strerror(-fd));
		return 1;
	}
	memset(buf, 0x5a, sizeof(buf));
	say("bench start"); /* the host samples CPU times from here */
	t0 = now_ms();
	while ((dt = now_ms() - t0) < seconds * 1000ull) {
		ssize_t w = write(fd, buf, sizeof(buf));
		if (w <= 0) {
			say("bench fail write: %s", strerror(errno));
			return 1;
		}
		bytes += (uint64_t)w;
	}
	shutdown(fd, SHUT_WR);
	char ack[64] = "";
	ssize_t n = read(fd, ack, sizeof(ack) - 1);
	close(fd);
	if (n <= 0 || strtoull(ack, NULL, 10) != bytes) {
		say("bench fail sink counted '%s', sent %" PRIu64, n > 0 ? ack : "", bytes);
		return 1;
	}
	fd = vsock_connect(port + 1);
	if (fd < 0) {
		say("bench fail connect pingpong: %s", strerror(-fd));
		return 1;
	}
	uint64_t rounds = 0;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = now_ms();
	while (now_ms() - t0 < seconds * 1000ull) {
		char c = 'p';
		if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1) {
			say("bench fail pingpong after %" PRIu64, rounds);
			return 1;
		}
		rounds++;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	close(fd);
	double us = ((double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3);
	say("bench ok mbs=%.1f bytes=%" PRIu64 " ms=%" PRIu64 " rtt_us=%.1f rounds=%" PRIu64,
	    (double)bytes / ((double)dt * 1e3), bytes, dt, rounds ? us / (double)rounds : 0.0, rounds);
	return 0;
}

static uint64_t num(const char *s)
{
	return strtoull(s, NULL, 0);
}

int main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "g2h") == 0)
		return cmd_g2h((uint32_t)num(argv[2]), num(argv[3]), num(argv[4]));
	if (argc >= 6 && strcmp(argv[1], "multi") == 0)
		return cmd_multi((uint32_t)num(argv[2]), (unsigned int)num(argv[3]), num(argv[4]),
				 num(argv[5]));
	if (argc >= 4 && strcmp(argv[1], "serve") == 0)
		return cmd_serve((uint32_t)num(argv[2]), (unsigned int)num(argv[3]));
	if (argc >= 4 && strcmp(argv[1], "stuck") == 0)
		return cmd_stuck((uint32_t)num(argv[2]), (uint32_t)num(argv[3]),
				 argc >= 5 && strcmp(argv[4], "listen") == 0);
	if (argc >= 3 && strcmp(argv[1], "flood") == 0)
		return cmd_flood((uint32_t)num(argv[2]));
	if (argc >= 4 && strcmp(argv[1], "bench") == 0)
		return cmd_bench((uint32_t)num(argv[2]), (unsigned int)num(argv[3]));
	fprintf(stderr, "usage: vsockcheck g2h|multi|serve|stuck|flood|bench ...\n");
	return 2;
}
