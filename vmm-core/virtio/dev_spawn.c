#include "dev_spawn.h"
#include "dev_ns.h"
#include "log.h"
#include "policy/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every namespace Linux has except time: the device shares nothing with
 * the host but its fds. */
#define DEV_SPAWN_NS_FLAGS                                                        \
	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | \
	 CLONE_NEWNET | CLONE_NEWCGROUP)

/* Fds the child needs are first moved at or above this, so that placing
 * the device's fds at 3, 4, ... never overwrites one of them. */
#define DEV_SPAWN_HIGH_FD 64

#define DEV_SPAWN_MAX_ENV 16

/* Everything the child needs, prepared before the clone: between clone
 * and exec the child of a multi-threaded process may only make raw
 * syscalls (no malloc, no locks). */
struct spawn_plan {
	int exe_fd;                          /* the program, O_PATH */
	char *argv[DEV_SPAWN_MAX_ARGS + 4];
	char *envp[DEV_SPAWN_MAX_ENV + 1];
	int src[1 + DEV_SPAWN_MAX_FDS];      /* become fds 3, 4, ... */
	unsigned int nsrc;
	int null_rd;                         /* read end of a pipe without writer: stdin */
	int log_wr;                          /* becomes stdout and stderr: the core reads the pipe */
	int sync_rd;                         /* the parent writes once the id maps are in */
	int status_wr;                       /* the child writes errno here if exec fails */
	int parent_fds[2];                   /* the parent's pipe ends: the child closes them */
};

/* Device programs are installed beside the core binary. */
static int dev_program_path(const char *program, char *out, size_t outlen)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return -errno;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	if ((size_t)snprintf(out, outlen, "%s/%s", self, program) >= outlen)
		return -ENAMETOOLONG;
	return access(out, X_OK) == 0 ? 0 : -errno;
}

/* Moves fd to DEV_SPAWN_HIGH_FD or above (close-on-exec); closes the old one. */
static int fd_high(int fd)
{
	if (fd < 0)
		return fd;
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, DEV_SPAWN_HIGH_FD);
	int ret = hi < 0 ? -errno : hi;
	close(fd);
	return ret;
}

/* The device gets no environment: nothing of the core's may leak into
 * it. Test builds pass the test hooks and sanitizer options on. */
static void plan_env(struct spawn_plan *sp)
{
	unsigned int n = 0;
#ifdef CELLVM_TEST_BUILD
	extern char **environ;
	static const char *const keep[] = { "CELLVM_TEST_", "ASAN_OPTIONS=", "UBSAN_OPTIONS=",
					    "LSAN_OPTIONS=" };
	for (char **e = environ; *e && n < DEV_SPAWN_MAX_ENV; e++) {
		for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++) {
			if (strncmp(*e, keep[k], strlen(keep[k])) == 0) {
				sp->envp[n++] = *e;
				break;
			}
		}
	}
#endif
	sp->envp[n] = NULL;
}

static void plan_close(struct spawn_plan *sp)
{
	int *fds[] = { &sp->exe_fd, &sp->null_rd, &sp->log_wr, &sp->sync_rd, &sp->status_wr };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	for (unsigned int i = 0; i < sp->nsrc; i++) {
		if (sp->src[i] >= 0)
			close(sp->src[i]);
	}
	sp->nsrc = 0;
}

/* The child, between clone3 and exec. Raw syscalls only. */
static __attribute__((noreturn)) void dev_child(const struct spawn_plan *sp)
{
	uint64_t no_signals = 0;
	char how = 0;
	int err;

	/* Our copies of the parent's ends would keep it from seeing EOF. */
	syscall(SYS_close, sp->parent_fds[0]);
	syscall(SYS_close, sp->parent_fds[1]);
	/* Until the parent has written our id maps we are nobody here. */
	if (syscall(SYS_read, sp->sync_rd, &how, 1) != 1)
		syscall(SYS_exit_group, 126);
	if (how == 'p' && syscall(SYS_setgroups, 0, NULL) < 0)
		goto fail;
	/* Become uid/gid 0 of the namespace: execve then grants the program
	 * every capability inside it, which it needs to pivot_root, and which
	 * mean nothing outside it. */
	if (syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setresuid, 0, 0, 0) < 0)
		goto fail;
	if (syscall(SYS_dup2, sp->log_wr, 2) < 0 || syscall(SYS_dup2, sp->log_wr, 1) < 0 ||
	    syscall(SYS_dup2, sp->null_rd, 0) < 0)
		goto fail;
	for (unsigned int i = 0; i < sp->nsrc; i++) {
		if (syscall(SYS_dup2, sp->src[i], 3 + (int)i) < 0)
			goto fail;
	}
	/* Anything else the core has open is gone at exec; the status pipe
	 * stays usable until then. */
	if (syscall(SYS_close_range, 3 + sp->nsrc, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		goto fail;
	/* A device must not outlive the core that serves its guest. */
	if (syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		goto fail;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &no_signals, NULL, sizeof(no_signals));
	syscall(SYS_execveat, sp->exe_fd, "", sp->argv, sp->envp, AT_EMPTY_PATH);
fail:
	err = errno;
	syscall(SYS_write, sp->status_wr, &err, sizeof(err));
	syscall(SYS_exit_group, 127);
	__builtin_unreachable();
}

static int plan_fds(struct spawn_plan *sp, const char *path, int child_sock, const int *extra_fds,
		    unsigned int n_extra, int *sync_wr, int *status_rd, int *log_rd)
{
	int pfd[2];

	sp->exe_fd = fd_high(open(path, O_PATH | O_CLOEXEC));
	if (sp->exe_fd < 0)
		return sp->exe_fd == -1 ? -errno : sp->exe_fd;
	sp->src[sp->nsrc] = fcntl(child_sock, F_DUPFD_CLOEXEC, DEV_SPAWN_HIGH_FD);
	if (sp->src[sp->nsrc++] < 0)
		return -errno;
	for (unsigned int i = 0; i < n_extra; i++) {
		sp->src[sp->nsrc] = fcntl(extra_fds[i], F_DUPFD_CLOEXEC, DEV_SPAWN_HIGH_FD);
		if (sp->src[sp->nsrc++] < 0)
			return -errno;
	}
	/* The device's output goes through the core's logger (dev_log.h),
	 * never straight to a log file the device could write anything into.
	 * Both ends are non-blocking: the core's main loop must never wait on
	 * a device, and a device whose pipe is full because it logs too fast
	 * loses lines rather than stalling its guest's I/O. */
	if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	*log_rd = pfd[0];
	if ((sp->log_wr = fd_high(pfd[1])) < 0)
		return sp->log_wr;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	close(pfd[1]); /* no writer: the device's stdin reads EOF */
	if ((sp->null_rd = fd_high(pfd[0])) < 0)
		return sp->null_rd;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	*sync_wr = pfd[1];
	if ((sp->sync_rd = fd_high(pfd[0])) < 0)
		return sp->sync_rd;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	*status_rd = pfd[0];
	if ((sp->status_wr = fd_high(pfd[1])) < 0)
		return sp->status_wr;
	return 0;
}

/* Lets the child go on once its id maps are written, and waits for its
 * exec: EOF on the status pipe means the exec happened. */
static int release_child(pid_t pid, struct dev_ns_ids *ids, int *sync_wr, int status_rd)
{
	int ret = dev_ns_write_maps(pid, ids);
	int err = 0;

	if (ret < 0) {
		log_error("cannot map the device's user namespace to %u:%u: %s", ids->uid, ids->gid,
			  strerror(-ret));
	} else if (write(*sync_wr, ids->privileged ? "p" : "u", 1) != 1) {
		ret = -errno;
	}
	close(*sync_wr); /* a child still waiting now reads EOF and exits */
	*sync_wr = -1;
	if (ret < 0)
		return ret;
	ssize_t n;
	do {
		n = read(status_rd, &err, sizeof(err));
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(err))
		return -err;
	return n == 0 ? 0 : -EIO;
}

static int dev_spawn_flags(struct dev_proc *p, const char *program, const char *const *args,
			   const int *extra_fds, unsigned int n_extra, uint64_t extra_flags)
{
	struct spawn_plan sp = { .exe_fd = -1, .null_rd = -1, .log_wr = -1, .sync_rd = -1,
				 .status_wr = -1 };
	struct dev_ns_ids ids;
	char path[PATH_MAX], seccomp_arg[32];
	int sv[2] = { -1, -1 }, sync_wr = -1, status_rd = -1, log_rd = -1, pidfd = -1;
	unsigned int argc = 0;
	int ret;

	p->pid = -1;
	p->pidfd = -1;
	p->sock = -1;
	p->log_fd = -1;
	snprintf(p->program, sizeof(p->program), "%s", program);
	if (n_extra > DEV_SPAWN_MAX_FDS)
		return -EINVAL;
	if ((ret = dev_program_path(program, path, sizeof(path))) < 0) {
		log_error("device program %s not found next to cellvm: %s", program, strerror(-ret));
		return ret;
	}
	if ((ret = dev_ns_choose(&ids)) < 0)
		return ret;
	snprintf(seccomp_arg, sizeof(seccomp_arg), "--seccomp=%s",
		 policy_mode_name(policy_get_mode()));
	sp.argv[argc++] = (char *)program;
	sp.argv[argc++] = "--sandbox";
	sp.argv[argc++] = seccomp_arg;
	for (unsigned int i = 0; args && args[i]; i++) {
		if (i == DEV_SPAWN_MAX_ARGS)
			return -E2BIG;
		sp.argv[argc++] = (char *)args[i];
	}
	sp.argv[argc] = NULL;
	plan_env(&sp);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if ((ret = plan_fds(&sp, path, sv[1], extra_fds, n_extra, &sync_wr, &status_rd, &log_rd)) < 0)
		goto out;
	sp.parent_fds[0] = sync_wr;
	sp.parent_fds[1] = status_rd;

	struct clone_args ca = {
		.flags = DEV_SPAWN_NS_FLAGS | CLONE_PIDFD | extra_flags,
		.pidfd = (uint64_t)(uintptr_t)&pidfd,
		/* With CLONE_PARENT the kernel takes our own exit signal
		 * (SIGCHLD to the core) and refuses any other. */
		.exit_signal = (extra_flags & CLONE_PARENT) ? 0 : SIGCHLD,
	};
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		dev_child(&sp);
	if (pid < 0) {
		ret = -errno;
		log_error("cannot create the sandbox namespaces for %s: %s%s", program,
			  strerror(errno),
			  errno == EPERM || errno == ENOSPC
				  ? " (this host does not let this user create user namespaces; "
				    "see README.md, Sandboxing)"
				  : "");
		goto out;
	}
	p->pid = (pid_t)pid;
	p->pidfd = pidfd;
	plan_close(&sp); /* the child's ends: only the child may hold them now */
	ret = release_child(p->pid, &ids, &sync_wr, status_rd);
	if (ret < 0) {
		log_error("cannot start %s in its sandbox: %s", program, strerror(-ret));
		waitpid(p->pid, NULL, 0);
		close(p->pidfd);
		p->pid = -1;
		p->pidfd = -1;
		goto out;
	}
	p->sock = sv[0];
	sv[0] = -1;
	p->log_fd = log_rd;
	log_rd = -1;
out:
	plan_close(&sp);
	if (sync_wr >= 0)
		close(sync_wr);
	if (status_rd >= 0)
		close(status_rd);
	if (log_rd >= 0)
		close(log_rd);
	if (sv[0] >= 0)
		close(sv[0]);
	close(sv[1]);
	return ret;
}

int dev_spawn(struct dev_proc *p, const char *program, const char *const *args,
	      const int *extra_fds, unsigned int n_extra)
{
	return dev_spawn_flags(p, program, args, extra_fds, n_extra, 0);
}

int dev_spawn_for_parent(struct dev_proc *p, const char *program, const char *const *args,
			 const int *extra_fds, unsigned int n_extra)
{
	return dev_spawn_flags(p, program, args, extra_fds, n_extra, CLONE_PARENT);
}

int dev_reap(struct dev_proc *p)
{
	int status;

	if (p->pid <= 0)
		return -1;
	if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
		p->pid = -1;
		return status;
	}
	return -1;
}

/* By pidfd, so a recycled pid can never be hit, and so the main thread's
 * seccomp filter needs no kill(2). */
static void dev_signal(const struct dev_proc *p, int sig)
{
	if (p->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0);
}

void dev_stop(struct dev_proc *p, int timeout_ms)
{
	if (p->pid > 0) {
		dev_signal(p, SIGTERM);
		if (p->pidfd >= 0) {
			struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };
			poll(&pfd, 1, timeout_ms);
		}
		if (dev_reap(p) < 0 && p->pid > 0) {
			dev_signal(p, SIGKILL);
			waitpid(p->pid, NULL, 0);
		}
		p->pid = -1;
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->sock >= 0)
		close(p->sock);
	if (p->log_fd >= 0)
		close(p->log_fd);
	p->pidfd = p->sock = p->log_fd = -1;
}
