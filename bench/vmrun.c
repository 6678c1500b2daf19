/* One VM run: spawn the VMM, timestamp every line of its serial console
 * (stdout) and log (stderr) as it arrives, notice its exit through a pidfd,
 * and kill it (its whole process group) on timeout or abort. */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINE_MAX_LEN 1024
#define DRAIN_MS     1000   /* after exit or kill: how long to wait for pipe EOF */

struct line_buf {
	char buf[LINE_MAX_LEN];
	size_t len;
	int64_t t_start;        /* 0 while no byte of the current line arrived */
};

static void tail_add(struct vm_run *r, const char *prefix, const char *text)
{
	size_t need = strlen(prefix) + strlen(text) + 1;
	if (need >= sizeof(r->tail))
		return;
	if (r->tail_len + need >= sizeof(r->tail)) {
		/* drop the oldest lines */
		size_t drop = r->tail_len + need - sizeof(r->tail) + 1;
		char *nl = memchr(r->tail + drop, '\n', r->tail_len - drop);
		drop = nl ? (size_t)(nl + 1 - r->tail) : r->tail_len;
		memmove(r->tail, r->tail + drop, r->tail_len - drop);
		r->tail_len -= drop;
	}
	r->tail_len += (size_t)snprintf(r->tail + r->tail_len, sizeof(r->tail) - r->tail_len,
					"%s%s\n", prefix, text);
}

/* "... cellvm... INFO: Guest-boot-time =  16934 us 16 ms,   1248 CPU us 1 CPU ms". The log
 * line's own time stamp format is cellvm's business (it changed once); the
 * bench times the line's arrival on its stderr pipe, as it does serial bytes. */
static void parse_boot_timer(struct vm_run *r, const char *line, int64_t arrival)
{
	const char *p = strstr(line, "Guest-boot-time =");
	char *end;

	if (!p || r->bt_seen)
		return;
	p += strlen("Guest-boot-time =");
	long long us = strtoll(p, &end, 10);
	if (end == p)
		return;
	const char *c = strstr(end, "ms,");
	if (!c)
		return;
	long long cpu = strtoll(c + 3, &end, 10);
	if (end == c + 3)
		return;
	r->bt_seen = true;
	r->bt_us = us;
	r->bt_cpu_us = cpu;
	r->t_bt_line = arrival;
}

static void probe_line(struct vm_run *r, const struct vm_line *l)
{
	const char *t = l->text;

	if (!r->t_first_line && (strncmp(t, "probe:", 6) == 0 || strncmp(t, "PROBE ", 6) == 0))
		r->t_first_line = l->t_start_ns;
	if (!r->ready_seen && strcmp(t, "PROBE ready") == 0) {
		r->ready_seen = true;
		r->t_ready = l->t_start_ns;
	}
	if (strncmp(t, "PROBE done ", 11) == 0) {
		r->done_seen = true;
		r->t_done = l->t_start_ns;
		r->done_ok = strstr(t, " failed=0") != NULL;
	}
}

static int deliver(struct vm_run *r, int stream, struct line_buf *lb, int64_t now,
		   vm_line_fn fn, void *arg)
{
	struct vm_line l = { .stream = stream, .text = lb->buf, .t_start_ns = lb->t_start,
			     .t_end_ns = now };

	while (lb->len > 0 && lb->buf[lb->len - 1] == '\r')
		lb->len--;
	lb->buf[lb->len] = '\0';
	tail_add(r, stream == STREAM_OUT ? "  | " : "  ! ", lb->buf);
	if (stream == STREAM_OUT)
		probe_line(r, &l);
	else
		parse_boot_timer(r, lb->buf, lb->t_start);
	int ret = fn ? fn(r, &l, arg) : 0;
	lb->len = 0;
	lb->t_start = 0;
	return ret;
}

/* Reads what is there; returns 0, 1 at EOF, or < 0 when the callback aborts. */
static int pump(struct vm_run *r, int *fd, int stream, struct line_buf *lb, int64_t now,
		vm_line_fn fn, void *arg)
{
	char buf[4096];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : 1;
	if (n == 0) {
		if (lb->len > 0 && deliver(r, stream, lb, now, fn, arg) < 0)
			return -1;
		return 1;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (!lb->t_start)
			lb->t_start = now;
		if (buf[i] == '\n') {
			if (deliver(r, stream, lb, now, fn, arg) < 0)
				return -1;
			continue;
		}
		if (lb->len < LINE_MAX_LEN - 1)
			lb->buf[lb->len++] = buf[i];
	}
	return 0;
}

static bool has_exited(struct vm_run *r, const struct pollfd *pidp)
{
	if (r->c.pidfd >= 0)
		return pidp->revents & POLLIN;
	siginfo_t si = { 0 };
	return waitid(P_PID, (id_t)r->c.pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == r->c.pid;
}

int vm_run(struct vm_run *r, char *const argv[], unsigned int timeout_ms, vm_line_fn fn,
	   void *arg)
{
	struct line_buf lout = { .len = 0 }, lerr = { .len = 0 };
	char err[256];
	int ret;

	memset(r, 0, sizeof(*r));
	if ((ret = child_spawn(&r->c, argv, err, sizeof(err))) < 0) {
		snprintf(r->why, sizeof(r->why), "%s", err);
		r->c.pid = -1;
		return ret;
	}
	r->t_spawn = r->c.t_spawn_ns;
	r->pid = r->c.pid;
	int64_t deadline = r->t_spawn + (int64_t)timeout_ms * 1000000;

	while (!r->exited || r->c.out_fd >= 0 || r->c.err_fd >= 0) {
		struct pollfd p[3] = {
			{ .fd = r->c.out_fd, .events = POLLIN },
			{ .fd = r->c.err_fd, .events = POLLIN },
			{ .fd = r->exited ? -1 : r->c.pidfd, .events = POLLIN },
		};
		int64_t left_ms = (deadline - mono_ns() + 999999) / 1000000;
		if (left_ms < 0)
			left_ms = 0;
		if (r->c.pidfd < 0 && !r->exited && left_ms > 1)
			left_ms = 1; /* no pidfd: look for the exit every millisecond */
		int n = poll(p, 3, (int)left_ms);
		int64_t now = mono_ns();
		if (n < 0 && errno != EINTR) {
			snprintf(r->why, sizeof(r->why), "poll: %s", strerror(errno));
			break;
		}
		if (n > 0) {
			for (int i = 0; i < 2; i++) {
				int *fd = i ? &r->c.err_fd : &r->c.out_fd;
				if (*fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
					continue;
				int pr = pump(r, fd, i ? STREAM_ERR : STREAM_OUT,
					      i ? &lerr : &lout, now, fn, arg);
				if (pr != 0) {
					close(*fd);
					*fd = -1;
				}
				if (pr < 0 && !r->aborted) {
					r->aborted = true;
					child_kill_group(&r->c);
					deadline = now + DRAIN_MS * 1000000LL;
				}
			}
		}
		if (!r->exited && has_exited(r, &p[2])) {
			r->exited = true;
			r->t_exit = now;
			/* Stragglers in its process group (device processes...). The
			 * VMM is a zombie until reaped, so its pgid cannot be reused. */
			child_kill_group(&r->c);
			deadline = now + DRAIN_MS * 1000000LL;
		}
		if (now >= deadline) {
			if (r->exited || r->timed_out || r->aborted)
				break; /* drained as long as we wait */
			r->timed_out = true;
			child_kill_group(&r->c);
			deadline = now + DRAIN_MS * 1000000LL;
		}
	}
	if (!r->exited)
		child_kill_group(&r->c);
	r->status = child_reap(&r->c, &r->ru);
	if (!r->exited)
		r->t_exit = mono_ns();
	child_close_fds(&r->c);
	return 0;
}

static const char *key_value(const char *line, const char *key)
{
	char pat[48];
	snprintf(pat, sizeof(pat), " %s=", key);
	const char *p = strstr(line, pat);
	return p ? p + strlen(pat) : NULL;
}

bool line_key_u64(const char *line, const char *key, uint64_t *v)
{
	const char *p = key_value(line, key);
	char *end;
	if (!p)
		return false;
	*v = strtoull(p, &end, 10);
	return end != p;
}

bool line_key_double(const char *line, const char *key, double *v)
{
	const char *p = key_value(line, key);
	char *end;
	if (!p)
		return false;
	*v = strtod(p, &end);
	return end != p;
}

int vm_run_write(struct vm_run *r, const char *s)
{
	size_t len = strlen(s);
	ssize_t n = write(r->c.in_fd, s, len);
	return n == (ssize_t)len ? 0 : -1;
}

bool vm_run_ended(struct vm_run *r, int ok_exit)
{
	int st = r->status;

	if (r->why[0])
		return false;
	if (r->timed_out)
		snprintf(r->why, sizeof(r->why), "timed out (killed)");
	else if (r->aborted)
		snprintf(r->why, sizeof(r->why), "aborted by the benchmark (killed)");
	else if (st == -1)
		snprintf(r->why, sizeof(r->why), "wait4 failed");
	else if (WIFSIGNALED(st))
		snprintf(r->why, sizeof(r->why), "killed by signal %d", WTERMSIG(st));
	else if (WEXITSTATUS(st) != ok_exit)
		snprintf(r->why, sizeof(r->why), "exit status %d (expected %d)", WEXITSTATUS(st),
			 ok_exit);
	return r->why[0] == '\0';
}

bool vm_run_passed(struct vm_run *r, const struct vmm *v)
{
	if (!vm_run_ended(r, v->ok_exit))
		return false;
	if (!r->ready_seen)
		snprintf(r->why, sizeof(r->why), "no \"PROBE ready\" line");
	else if (!r->done_seen || !r->done_ok)
		snprintf(r->why, sizeof(r->why), "probe did not report \"PROBE done ... failed=0\"");
	else if (v->has_boot_timer && !r->bt_seen)
		snprintf(r->why, sizeof(r->why), "no Guest-boot-time line on stderr");
	return r->why[0] == '\0';
}
