/* Child processes: each VMM runs in its own process group with
 * PDEATHSIG=SIGKILL, so a VMM and anything it forks dies with the bench,
 * whether the bench returns, exits, is interrupted or killed. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LIVE 16

/* Process groups of children not yet reaped; read by the signal handler. */
static volatile sig_atomic_t live[MAX_LIVE];

int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void live_add(pid_t pid)
{
	for (int i = 0; i < MAX_LIVE; i++)
		if (live[i] == 0) {
			live[i] = pid;
			return;
		}
}

static void live_del(pid_t pid)
{
	for (int i = 0; i < MAX_LIVE; i++)
		if (live[i] == pid)
			live[i] = 0;
}

static void kill_live(void)
{
	for (int i = 0; i < MAX_LIVE; i++)
		if (live[i] > 0)
			kill(-(pid_t)live[i], SIGKILL);
}

volatile sig_atomic_t bench_interrupted;
static int child_nice;

void spawn_set_nice(int nice)
{
	child_nice = nice;
}

/* The first signal ends the runs (their VMMs die, the loops see the flag)
 * so the bench still removes its files and jails; SA_RESETHAND makes a
 * second one fatal at once. */
static void on_stop_signal(int sig)
{
	(void)sig;
	bench_interrupted = 1;
	kill_live();
}

static void at_exit(void)
{
	kill_live();
	workdir_remove();
}

void spawn_setup_cleanup(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal, .sa_flags = SA_RESETHAND };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	atexit(at_exit);
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !bench_interrupted)
		;
}

static int64_t left_ms(int64_t deadline)
{
	int64_t left = (deadline - mono_ns()) / 1000000;
	return left > 0 ? left : 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void child_close_fds(struct child *c)
{
	close_fd(&c->in_fd);
	close_fd(&c->out_fd);
	close_fd(&c->err_fd);
	close_fd(&c->pidfd);
}

/* In the forked child: never returns. */
static void exec_child(char *const argv[], pid_t parent, int in, int out, int err)
{
	sigset_t none;

	if (child_nice) {
		/* The scheduler weighs sessions (autogroups) against each other
		 * before it looks at nice values, so a nice VM in the bench's
		 * session would still share the CPU evenly with every busy
		 * session of the host: a session of its own gets the nice value.
		 * setsid() also makes it a process-group leader. */
		if (setsid() < 0)
			setpgid(0, 0);
		int fd = open("/proc/self/autogroup", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			dprintf(fd, "%d", child_nice);
			close(fd);
		}
		setpriority(PRIO_PROCESS, 0, child_nice);
	} else {
		setpgid(0, 0);
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	execv(argv[0], argv);
	dprintf(2, "bench: cannot execute %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int child_spawn(struct child *c, char *const argv[], char *err, size_t errlen)
{
	int in[2], out[2], errp[2];
	pid_t parent = getpid();
	int saved;

	*c = (struct child){ .pid = -1, .pidfd = -1, .in_fd = -1, .out_fd = -1, .err_fd = -1 };
	if (pipe2(in, O_CLOEXEC) < 0)
		goto fail_nopipe;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]), close(in[1]);
		goto fail_nopipe;
	}
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		goto fail_nopipe;
	}

	c->t_spawn_ns = mono_ns();
	pid_t pid = fork();
	if (pid == 0)
		exec_child(argv, parent, in[0], out[1], errp[1]);
	saved = errno;
	close(in[0]), close(out[1]), close(errp[1]);
	if (pid < 0) {
		close(in[1]), close(out[0]), close(errp[0]);
		snprintf(err, errlen, "fork: %s", strerror(saved));
		return -saved;
	}
	setpgid(pid, pid); /* also done by the child; whichever runs first wins */
	live_add(pid);
	c->pid = pid;
	c->in_fd = in[1];
	c->out_fd = out[0];
	c->err_fd = errp[0];
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(c->err_fd, F_SETFL, O_NONBLOCK);
	fcntl(c->in_fd, F_SETFL, O_NONBLOCK);
	return 0;

fail_nopipe:
	saved = errno;
	snprintf(err, errlen, "pipe: %s", strerror(saved));
	return -saved;
}

void child_kill_group(const struct child *c)
{
	if (c->pid > 0)
		kill(-c->pid, SIGKILL);
}

int child_reap(struct child *c, struct rusage *ru)
{
	int status = 0;

	if (c->pid <= 0)
		return -1;
	while (wait4(c->pid, &status, 0, ru) < 0) {
		if (errno != EINTR) {
			status = -1;
			break;
		}
	}
	live_del(c->pid);
	c->pid = -1;
	return status;
}

bool child_exited_within(struct child *c, unsigned int ms)
{
	int64_t deadline = mono_ns() + (int64_t)ms * 1000000;

	if (c->pid <= 0)
		return false;
	for (;;) {
		siginfo_t si = { 0 };
		if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == c->pid)
			return true;
		if (mono_ns() >= deadline)
			return false;
		if (c->pidfd >= 0) {
			struct pollfd p = { .fd = c->pidfd, .events = POLLIN };
			int left = (int)((deadline - mono_ns()) / 1000000) + 1;
			poll(&p, 1, left > 0 ? left : 1);
		} else {
			sleep_ms(1);
		}
	}
}

int child_wait_ms(struct child *c, unsigned int ms, struct rusage *ru)
{
	return child_exited_within(c, ms) ? child_reap(c, ru) : -1;
}

bool group_wait_gone(pid_t pgid, unsigned int ms)
{
	int64_t deadline = mono_ns() + (int64_t)ms * 1000000;

	while (kill(-pgid, 0) == 0) {
		if (mono_ns() >= deadline)
			return false;
		kill(-pgid, SIGKILL);
		sleep_ms(2);
	}
	return true;
}

int run_command(char *const argv[], unsigned int timeout_ms, char *out, size_t len)
{
	struct child c;
	char err[128];
	size_t n = 0;
	int64_t deadline;

	if (len)
		out[0] = '\0';
	if (child_spawn(&c, argv, err, sizeof(err)) < 0) {
		snprintf(out, len, "%s", err);
		return -1;
	}
	close_fd(&c.in_fd);
	deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	while (c.out_fd >= 0 || c.err_fd >= 0) {
		int64_t left = (deadline - mono_ns()) / 1000000;
		if (left <= 0)
			break;
		struct pollfd p[2] = { { .fd = c.out_fd, .events = POLLIN },
				       { .fd = c.err_fd, .events = POLLIN } };
		if (poll(p, 2, (int)left) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			int *fd = i ? &c.err_fd : &c.out_fd;
			char buf[512];
			if (*fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = read(*fd, buf, sizeof(buf));
			if (r > 0) {
				size_t k = (size_t)r < len - n - 1 ? (size_t)r : len - n - 1;
				if (len && k) {
					memcpy(out + n, buf, k);
					n += k;
					out[n] = '\0';
				}
			} else if (r == 0 || errno != EAGAIN) {
				close_fd(fd);
			}
		}
	}
	int st = child_wait_ms(&c, (unsigned int)(left_ms(deadline)), NULL);
	if (st == -1) {
		child_kill_group(&c);
		child_reap(&c, NULL);
	}
	child_close_fds(&c);
	return st;
}

int capture_first_line(char *const argv[], char *out, size_t len)
{
	struct child c;
	char err[128], buf[512];
	size_t n = 0;
	int64_t deadline;

	out[0] = '\0';
	if (child_spawn(&c, argv, err, sizeof(err)) < 0)
		return -1;
	close_fd(&c.in_fd);
	deadline = mono_ns() + 5 * 1000000000LL;
	while (n < sizeof(buf) - 1 && (c.out_fd >= 0 || c.err_fd >= 0) && !memchr(buf, '\n', n)) {
		int64_t left = (deadline - mono_ns()) / 1000000;
		if (left <= 0)
			break;
		struct pollfd p[2] = { { .fd = c.out_fd, .events = POLLIN },
				       { .fd = c.err_fd, .events = POLLIN } };
		if (poll(p, 2, (int)left) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			int *fd = i ? &c.err_fd : &c.out_fd;
			if (*fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = read(*fd, buf + n, sizeof(buf) - 1 - n);
			if (r > 0)
				n += (size_t)r;
			else if (r == 0 || errno != EAGAIN)
				close_fd(fd);
		}
	}
	child_kill_group(&c);
	child_reap(&c, NULL);
	child_close_fds(&c);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(out, len, "%s", buf);
	return 0;
}
