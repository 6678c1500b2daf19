/* Starting cellvm's own device programs: each gets one end of a fresh
 * socketpair as its vhost-user connection and, as fds, the files it
 * serves; it inherits nothing else. */
#ifndef CELLVM_DEV_SPAWN_H
#define CELLVM_DEV_SPAWN_H

#include <sys/types.h>

#define DEV_SPAWN_MAX_FDS  4
#define DEV_SPAWN_MAX_ARGS 16

struct dev_proc {
	pid_t pid;
	int pidfd;   /* readable when the process ends */
	int sock;    /* our end of the vhost-user socketpair */
};

/* Runs `program` (looked up next to the cellvm binary) with args. In the
 * child the socket is fd 3 and extra_fds[i] becomes fd 4 + i; args may
 * refer to them by number. Returns 0 or a negative errno. */
int dev_spawn(struct dev_proc *p, const char *program, const char *const *args,
	      const int *extra_fds, unsigned int n_extra);

/* Reaps the process if it has ended; returns its wait status or -1. */
int dev_reap(struct dev_proc *p);
/* SIGTERM, then waits up to timeout_ms before SIGKILL; closes the fds. */
void dev_stop(struct dev_proc *p, int timeout_ms);

#endif
