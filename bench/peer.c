/* Peer processes: vhost-user backends started by the bench (e.g.
 * qemu-storage-daemon) before the VMM that connects to them. A peer is
 * ready when its socket is listening, seen in /proc/net/unix so the bench
 * never connects itself (a backend may serve only its first client). */
#include "bench.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* __SO_ACCEPTCON in the Flags column: the socket is listening. */
#define UNIX_FLAG_LISTENING 0x10000UL

bool unix_listening(const char *path)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen("/proc/net/unix", "re");

	if (!f)
		return false;
	/* "Num RefCount Protocol Flags Type St Inode Path" */
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long flags;
		int off = -1;
		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %*s %n", &flags, &off) != 1 || off < 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		found = (flags & UNIX_FLAG_LISTENING) && strcmp(line + off, path) == 0;
	}
	fclose(f);
	return found;
}

/* Keeps what the peer printed; its pipes must not fill up either. */
static void drain(struct peer *p)
{
	int *fds[2] = { &p->c.out_fd, &p->c.err_fd };

	for (int i = 0; i < 2; i++) {
		char buf[1024];
		ssize_t n;
		while (*fds[i] >= 0 && (n = read(*fds[i], buf, sizeof(buf))) != 0) {
			if (n < 0) {
				if (errno != EAGAIN && errno != EINTR) {
					close(*fds[i]);
					*fds[i] = -1;
				}
				break;
			}
			size_t k = (size_t)n < sizeof(p->out) - 1 - p->out_len
					   ? (size_t)n : sizeof(p->out) - 1 - p->out_len;
			memcpy(p->out + p->out_len, buf, k);
			p->out_len += k;
			p->out[p->out_len] = '\0';
		}
		if (n == 0 && *fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	}
}

int peer_start(struct peer *p, char *const argv[], const char *sock, unsigned int timeout_ms,
	       char *err, size_t errlen)
{
	int64_t deadline;

	memset(p, 0, sizeof(*p));
	unlink(sock);
	if (child_spawn(&p->c, argv, err, errlen) < 0) {
		p->c.pid = -1;
		return -1;
	}
	deadline = p->c.t_spawn_ns + (int64_t)timeout_ms * 1000000;
	while (!unix_listening(sock)) {
		drain(p);
		if (child_exited_within(&p->c, 1)) {
			int st = peer_stop(p, 0);
			snprintf(err, errlen, "%s exited (status 0x%x) before listening on %s: %.*s",
				 argv[0], (unsigned int)st, sock, 300, p->out);
			return -1;
		}
		if (mono_ns() >= deadline || bench_interrupted) {
			snprintf(err, errlen, "%s: no socket listening at %s after %u ms: %.*s",
				 argv[0], sock, timeout_ms, 300, p->out);
			peer_stop(p, 0);
			return -1;
		}
	}
	return 0;
}

int peer_stop(struct peer *p, unsigned int timeout_ms)
{
	bool exited;

	if (p->c.pid <= 0)
		return -1;
	drain(p);
	if (timeout_ms)
		kill(p->c.pid, SIGTERM);
	exited = child_exited_within(&p->c, timeout_ms);
	/* Before reaping: anything it left in its group goes too. */
	child_kill_group(&p->c);
	int st = child_reap(&p->c, NULL);
	drain(p);
	child_close_fds(&p->c);
	return exited ? st : -1;
}
