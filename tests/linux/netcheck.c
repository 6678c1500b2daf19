/* netcheck: the virtio-net exerciser of the Linux test initramfs (built
 * static). Every result is one line "cellvm-linux: netcheck ..." written
 * at once to stdout.
 *
 *   netcheck up ADDR PREFIX PAIRS   the first interface that is not lo gets
 *                                   ADDR/PREFIX and goes up; with PAIRS > 1
 *                                   it uses that many queue pairs (ethtool's
 *                                   set-channels), whatever the CPU count
 *   netcheck ping HOST COUNT        ICMP echo requests to HOST, every reply
 *                                   checked (id, sequence, payload)
 *   netcheck tcp HOST PORT PAR SEED streams to the host's echo server: every
 *                                   size from 1 byte to 64 KiB, PAR at once;
 *                                   each sends its pattern, half-closes, reads
 *                                   the echo to EOF and compares; prints the
 *                                   length and FNV-1a sum of what it sent,
 *                                   then "streams ok|failed count= bytes="
 *   netcheck flood HOST PORT        an endless stream, with progress lines
 *   netcheck bench HOST PORT SECS   throughput to the host's sink on PORT (it
 *                                   answers the byte count after EOF) and
 *                                   1-byte ping-pong with its echo on PORT+1
 *
 * Streams carry vsock_pattern bytes (tests/linux/vsock_pattern.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vsock_pattern.h"

#define IDLE_MS 20000

static const size_t sizes[] = { 1, 2, 3, 7, 60, 100, 512, 1400, 1448, 1460, 1500, 1514, 2048,
				4096, 8192, 9000, 16384, 32768, 65535, 65536 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n = snprintf(line, sizeof(line), "cellvm-linux: netcheck ");

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(1, line, (size_t)n) < 0)
		_exit(3);
}

static int find_if(char *name)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int ret = -1;

	for (i = ifs; i && i->if_index; i++) {
		if (strcmp(i->if_name, "lo") != 0) {
			snprintf(name, IFNAMSIZ, "%s", i->if_name);
			ret = 0;
			break;
		}
	}
	if (ifs)
		if_freenameindex(ifs);
	return ret;
}

static int cmd_up(const char *addr, int prefix, int pairs)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	char name[IFNAMSIZ];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || find_if(name) < 0) {
		say("up failed: no interface");
		return 1;
	}
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (pairs > 1) {
		struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
		ifr.ifr_data = (void *)&ch;
		if (ioctl(fd, SIOCETHTOOL, &ifr) < 0) {
			say("up failed: ETHTOOL_GCHANNELS: %s", strerror(errno));
			return 1;
		}
		ch.cmd = ETHTOOL_SCHANNELS;
		ch.combined_count = (uint32_t)pairs;
		if (ioctl(fd, SIOCETHTOOL, &ifr) < 0) {
			say("up failed: ETHTOOL_SCHANNELS %d (max %u): %s", pairs, ch.max_combined,
			    strerror(errno));
			return 1;
		}
	}
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin->sin_addr);
	if (ioctl(fd, SIOCSIFADDR, &ifr) < 0) {
		say("up failed: SIOCSIFADDR: %s", strerror(errno));
		return 1;
	}
	sin->sin_addr.s_addr = htonl(prefix ? ~0u << (32 - prefix) : 0);
	if (ioctl(fd, SIOCSIFNETMASK, &ifr) < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		say("up failed: netmask: %s", strerror(errno));
		return 1;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) {
		say("up failed: SIOCSIFFLAGS: %s", strerror(errno));
		return 1;
	}
	uint8_t *m = (uint8_t *)ifr.ifr_hwaddr.sa_data;
	ioctl(fd, SIOCGIFHWADDR, &ifr);
	char mac[18];
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	ioctl(fd, SIOCGIFMTU, &ifr);
	int mtu = ifr.ifr_mtu;
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	ifr.ifr_data = (void *)&ch;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		ch.combined_count = 1;
	say("up if=%s mac=%s mtu=%d pairs=%u max=%u", name, mac, mtu, ch.combined_count,
	    ch.max_combined);
	close(fd);
	return 0;
}

static uint16_t icmp_sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

static int cmd_ping(const char *host, int count)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP), got = 0;
	uint16_t id = (uint16_t)getpid();

	inet_pton(AF_INET, host, &to.sin_addr);
	if (fd < 0) {
		say("ping failed: socket: %s", strerror(errno));
		return 1;
	}
	for (int seq = 1; seq <= count; seq++) {
		uint8_t pkt[8 + 56], in[1500];
		struct icmphdr *h = (struct icmphdr *)pkt;
		memset(pkt, 0, sizeof(pkt));
		h->type = ICMP_ECHO;
		h->un.echo.id = htons(id);
		h->un.echo.sequence = htons((uint16_t)seq);
		vsock_pattern_fill(pkt + 8, 56, (uint64_t)seq, 0);
		h->checksum = icmp_sum(pkt, sizeof(pkt));
		if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			say("ping failed: sendto: %s", strerror(errno));
			return 1;
		}
		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			if (poll(&p, 1, 5000) != 1)
				break;
			ssize_t n = recv(fd, in, sizeof(in), 0);
			if (n < 20)
				continue;
			size_t ihl = (size_t)(in[0] & 15) * 4;
			struct icmphdr *r = (struct icmphdr *)(in + ihl);
			if ((size_t)n < ihl + sizeof(pkt) || r->type != ICMP_ECHOREPLY ||
			    ntohs(r->un.echo.id) != id || ntohs(r->un.echo.sequence) != seq)
				continue;
			if (vsock_pattern_check(in + ihl + 8, 56, (uint64_t)seq, 0) == 56)
				got++;
			break;
		}
	}
	say("ping %s sent=%d got=%d", got == count ? "ok" : "failed", count, got);
	return got == count ? 0 : 1;
}

static int dial(const char *host, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, host, &sa.sin_addr);
	for (int i = 0; fd >= 0 && i < 50; i++) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		usleep(100000);
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

/* One stream: size bytes out, half-close, the echo back to EOF. */
static int one_stream(const char *host, int port, size_t size, uint64_t seed)
{
	static __thread uint8_t out[65536], in[65536 + 1];
	int fd = dial(host, port);
	size_t sent = 0, got = 0;

	if (fd < 0) {
		say("tcp stream size=%zu failed: connect: %s", size, strerror(errno));
		return 1;
	}
	vsock_pattern_fill(out, size, seed, 0);
	while (sent < size) {
		ssize_t n = send(fd, out + sent, size - sent, MSG_NOSIGNAL);
		if (n <= 0) {
			say("tcp stream size=%zu failed: send: %s", size, strerror(errno));
			return 1;
		}
		sent += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, IDLE_MS) != 1) {
			say("tcp stream size=%zu failed: no echo after %zu bytes", size, got);
			return 1;
		}
		ssize_t n = recv(fd, in + got, sizeof(in) - got, 0);
		if (n < 0) {
			say("tcp stream size=%zu failed: recv: %s", size, strerror(errno));
			return 1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > size)
			break;
	}
	close(fd);
	if (got != size || memcmp(in, out, size) != 0) {
		say("tcp stream size=%zu failed: echo of %zu bytes differs", size, got);
		return 1;
	}
	say("tcp stream size=%zu seed=%" PRIu64 " sum=%016" PRIx64, size, seed,
	    vsock_sum(VSOCK_SUM_INIT, out, size));
	return 0;
}

static int cmd_tcp(const char *host, int port, int par, uint64_t seed)
{
	int failed = 0;
	size_t bytes = 0;

	for (size_t i = 0; i < NSIZES; i++)
		bytes += sizes[i];
	/* par workers, each going through every size with its own seeds. */
	for (int w = 0; w < par; w++) {
		pid_t pid = fork();
		if (pid == 0) {
			int bad = 0;
			for (size_t i = 0; i < NSIZES; i++)
				bad |= one_stream(host, port, sizes[(i + (size_t)w) % NSIZES],
						  seed + (uint64_t)w * 1000 + i);
			_exit(bad);
		}
		if (pid < 0)
			failed = 1;
	}
	int st;
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			failed = 1;
	say("streams %s count=%zu bytes=%zu", failed ? "failed" : "ok", (size_t)par * NSIZES,
	    (size_t)par * bytes);
	return failed;
}

static int cmd_flood(const char *host, int port)
{
	static uint8_t buf[65536];
	int fd = dial(host, port);
	uint64_t total = 0, next = 0;

	if (fd < 0) {
		say("flood failed: connect");
		return 1;
	}
	vsock_pattern_fill(buf, sizeof(buf), 1, 0);
	for (;;) {
		ssize_t n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
		if (n <= 0) {
			say("flood ended bytes=%" PRIu64 ": %s", total, strerror(errno));
			return 0;
		}
		total += (uint64_t)n;
		if (total >= next) {
			say("flood bytes=%" PRIu64, total);
			next = total + (1u << 20);
		}
	}
}

static uint64_t now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static int cmd_bench(const char *host, int port, unsigned int seconds)
{
	static uint8_t buf[65536];
	uint64_t bytes = 0, t0, dt, rounds = 0;
	int fd = dial(host, port), one = 1;

	if (fd < 0) {
		say("bench fail connect");
		return 1;
	}
	memset(buf, 0x5a, sizeof(buf));
	say("bench start"); /* the host samples CPU times from here */
	t0 = now_us();
	while ((dt = now_us() - t0) < seconds * 1000000ull) {
		ssize_t w = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
		if (w <= 0) {
			say("bench fail send: %s", strerror(errno));
			return 1;
		}
		bytes += (uint64_t)w;
	}
	shutdown(fd, SHUT_WR);
	char ack[64] = "";
	ssize_t n = recv(fd, ack, sizeof(ack) - 1, 0);
	close(fd);
	if (n <= 0 || strtoull(ack, NULL, 10) != bytes) {
		say("bench fail sink counted '%s', sent %" PRIu64, n > 0 ? ack : "", bytes);
		return 1;
	}
	fd = dial(host, port + 1);
	if (fd < 0) {
		say("bench fail connect pingpong");
		return 1;
	}
	setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof(one));
	uint64_t p0 = now_us();
	while (now_us() - p0 < seconds * 1000000ull) {
		char c = 'p';
		if (send(fd, &c, 1, 0) != 1 || recv(fd, &c, 1, 0) != 1) {
			say("bench fail pingpong after %" PRIu64, rounds);
			return 1;
		}
		rounds++;
	}
	uint64_t pt = now_us() - p0;
	close(fd);
	say("bench ok mbs=%.1f bytes=%" PRIu64 " ms=%" PRIu64 " rtt_us=%.1f rounds=%" PRIu64,
	    (double)bytes / (double)dt, bytes, dt / 1000, rounds ? (double)pt / (double)rounds : 0.0,
	    rounds);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "bench") == 0)
		return cmd_bench(argv[2], atoi(argv[3]), (unsigned int)atoi(argv[4]));
	if (argc == 5 && strcmp(argv[1], "up") == 0)
		return cmd_up(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 4 && strcmp(argv[1], "ping") == 0)
		return cmd_ping(argv[2], atoi(argv[3]));
	if (argc == 6 && strcmp(argv[1], "tcp") == 0)
		return cmd_tcp(argv[2], atoi(argv[3]), atoi(argv[4]), strtoull(argv[5], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "flood") == 0)
		return cmd_flood(argv[2], atoi(argv[3]));
	say("usage: netcheck up ADDR PREFIX PAIRS | ping HOST N | tcp HOST PORT PAR SEED | "
	    "flood HOST PORT | bench HOST PORT SECS");
	return 2;
}
