#include "dev_spawn.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

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

int dev_spawn(struct dev_proc *p, const char *program, const char *const *args,
	      const int *extra_fds, unsigned int n_extra)
{
	posix_spawn_file_actions_t fa;
	char path[PATH_MAX];
	char *argv[DEV_SPAWN_MAX_ARGS + 2];
	int sv[2] = { -1, -1 };
	unsigned int argc = 0;
	int ret;

	p->pid = -1;
	p->pidfd = -1;
	p->sock = -1;
	if (n_extra > DEV_SPAWN_MAX_FDS)
		return -EINVAL;
	if ((ret = dev_program_path(program, path, sizeof(path))) < 0) {
		log_error("device program %s not found next to cellvm: %s", program, strerror(-ret));
		return ret;
	}
	argv[argc++] = (char *)program;
	for (; args && *args && argc <= DEV_SPAWN_MAX_ARGS; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	/* The child's fds 3.. are filled in order, so every source must sit
	 * above that range first or an early dup2 would overwrite a later
	 * source. dup2 clears O_CLOEXEC on its target: exactly the fds named
	 * here survive the exec. */
	int src[1 + DEV_SPAWN_MAX_FDS];
	unsigned int nsrc = 0;
	ret = 0;
	src[nsrc] = fcntl(sv[1], F_DUPFD_CLOEXEC, 64);
	if (src[nsrc++] < 0)
		ret = -errno;
	for (unsigned int i = 0; i < n_extra && !ret; i++) {
		src[nsrc] = fcntl(extra_fds[i], F_DUPFD_CLOEXEC, 64);
		if (src[nsrc++] < 0)
			ret = -errno;
	}
	if (!ret) {
		posix_spawn_file_actions_init(&fa);
		for (unsigned int i = 0; i < nsrc; i++)
			posix_spawn_file_actions_adddup2(&fa, src[i], 3 + (int)i);
		ret = -posix_spawn(&p->pid, path, &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	for (unsigned int i = 0; i < nsrc; i++)
		if (src[i] >= 0)
			close(src[i]);
	close(sv[1]);
	if (ret < 0) {
		close(sv[0]);
		p->pid = -1;
		return ret;
	}
	p->sock = sv[0];
	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	if (p->pidfd < 0)
		log_warn("pidfd_open for %s: %s (death will be seen as a hang-up only)", program,
			 strerror(errno));
	return 0;
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

void dev_stop(struct dev_proc *p, int timeout_ms)
{
	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		if (p->pidfd >= 0) {
			struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };
			poll(&pfd, 1, timeout_ms);
		}
		if (dev_reap(p) < 0 && p->pid > 0) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, NULL, 0);
		}
		p->pid = -1;
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->sock >= 0)
		close(p->sock);
	p->pidfd = p->sock = -1;
}
