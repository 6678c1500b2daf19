/* Starting cellvm's own device programs, each in a sandbox of its own:
 * fresh user, mount, PID, IPC, UTS, network and cgroup namespaces, as the
 * uid 0 of its user namespace, which stands for an unprivileged host uid
 * (dev_ns.h). It gets one end of a fresh socketpair as its vhost-user
 * connection and, as fds, the files it serves; it inherits nothing else,
 * not even the core's environment. The program finishes its sandbox
 * itself once set up (ipc/sandbox.h): it is told so by --sandbox and
 * --seccomp=MODE, which come first in its arguments. */
#ifndef CELLVM_DEV_SPAWN_H
#define CELLVM_DEV_SPAWN_H

#include <sys/types.h>

#define DEV_SPAWN_MAX_FDS  8  /* cellvm-net: a tap fd per queue pair and the counters */
#define DEV_SPAWN_MAX_ARGS 16

struct dev_proc {
	pid_t pid;
	int pidfd;   /* readable when the process ends */
	int sock;    /* our end of the vhost-user socketpair */
	int log_fd;  /* read end of the pipe that is its stdout and stderr (dev_log.h) */
	char program[32]; /* "cellvm-blk": how its lines are tagged in the core's log */
};

/* Runs `program` (looked up next to the cellvm binary) with args. In the
 * child the socket is fd 3 and extra_fds[i] becomes fd 4 + i; args may
 * refer to them by number. stdin reads EOF; stdout and stderr are the
 * write end of a pipe whose read end is p->log_fd (non-blocking, close-
 * on-exec), for the core to relay into its log.
 * Returns 0 once the program has been exec'd, or a negative errno
 * (-EPERM/-ENOSPC when the host allows no user namespace). */
int dev_spawn(struct dev_proc *p, const char *program, const char *const *args,
	      const int *extra_fds, unsigned int n_extra);

/* Same, but the process becomes a child of our parent (CLONE_PARENT): how
 * the core's spawner process (dev_zygote.h) starts a device the core then
 * reaps as its own. */
int dev_spawn_for_parent(struct dev_proc *p, const char *program, const char *const *args,
			 const int *extra_fds, unsigned int n_extra);

/* Reaps the process if it has ended; returns its wait status or -1. */
int dev_reap(struct dev_proc *p);
/* SIGTERM, then waits up to timeout_ms before SIGKILL; closes the fds
 * (log_fd too, unless a relay has taken it over and set it to -1). */
void dev_stop(struct dev_proc *p, int timeout_ms);

#endif
