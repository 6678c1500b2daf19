#include "vmrun.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *test_env(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

int vmrun_start(struct vmrun *r, char *const argv[])
{
	int in[2], out[2], err[2];

	memset(r, 0, sizeof(*r));
	r->in_fd = r->out_fd = r->err_fd = -1;
	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return -errno;
	r->pid = fork();
	if (r->pid < 0)
		return -errno;
	if (r->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	r->in_fd = in[1];
	r->out_fd = out[0];
	r->err_fd = err[0];
	return 0;
}

static void buf_append(char **buf, size_t *len, size_t *cap, const char *d, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = (*cap ? *cap * 2 : 4096);
		while (ncap < *len + n + 1)
			ncap *= 2;
		*buf = realloc(*buf, ncap);
		*cap = ncap;
	}
	memcpy(*buf + *len, d, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* One round of reading; returns false when both pipes are at EOF. */
static bool vmrun_pump(struct vmrun *r, int timeout_ms)
{
	struct pollfd p[2] = { { .fd = r->out_fd, .events = POLLIN }, { .fd = r->err_fd, .events = POLLIN } };
	char buf[4096];

	if (r->out_fd < 0 && r->err_fd < 0)
		return false;
	if (poll(p, 2, timeout_ms) <= 0)
		return true;
	for (int i = 0; i < 2; i++) {
		if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		ssize_t n = read(p[i].fd, buf, sizeof(buf));
		if (n <= 0) {
			close(p[i].fd);
			if (i == 0)
				r->out_fd = -1;
			else
				r->err_fd = -1;
			continue;
		}
		if (i == 0)
			buf_append(&r->out, &r->out_len, &r->out_cap, buf, (size_t)n);
		else
			buf_append(&r->err, &r->err_len, &r->err_cap, buf, (size_t)n);
	}
	return true;
}

bool vmrun_wait_for(struct vmrun *r, const char *needle, int timeout_ms)
{
	long end = now_ms() + timeout_ms;

	for (;;) {
		if (r->out && strstr(r->out, needle))
			return true;
		long left = end - now_ms();
		if (left <= 0 || !vmrun_pump(r, left > 200 ? 200 : (int)left))
			return r->out && strstr(r->out, needle);
	}
}

static int vmrun_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int vmrun_wait_exit(struct vmrun *r, int timeout_ms)
{
	long end = now_ms() + timeout_ms;

	while (!r->exited) {
		pid_t w = waitpid(r->pid, &r->status, WNOHANG);
		if (w == r->pid) {
			r->exited = true;
			break;
		}
		if (now_ms() >= end) {
			kill(r->pid, SIGKILL);
			waitpid(r->pid, &r->status, 0);
			r->exited = true;
			while (vmrun_pump(r, 100))
				;
			return -1;
		}
		if (!vmrun_pump(r, 50))
			usleep(10000);
	}
	while (vmrun_pump(r, 100))
		;
	return vmrun_code(r->status);
}

int vmrun_write(struct vmrun *r, const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = write(r->in_fd, s, len);
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

void vmrun_signal(struct vmrun *r, int sig)
{
	if (!r->exited)
		kill(r->pid, sig);
}

void vmrun_free(struct vmrun *r)
{
	if (!r->exited && r->pid > 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
	}
	if (r->in_fd >= 0)
		close(r->in_fd);
	if (r->out_fd >= 0)
		close(r->out_fd);
	if (r->err_fd >= 0)
		close(r->err_fd);
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}
