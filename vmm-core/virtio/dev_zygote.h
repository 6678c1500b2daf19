/* The core's spawner: a process forked from the core before its main
 * thread's seccomp filter goes on (the filter allows no clone or exec, and
 * a device started by a filtered thread would inherit that filter too).
 * Restarting a device asks it to start the program again; it does so with
 * CLONE_PARENT, so the device is the core's child as if the core had
 * started it, and sends back the device's socket, pidfd and log pipe.
 * It holds no fd of the core's but its channel and stdio, and dies with
 * the core (PR_SET_PDEATHSIG). */
#ifndef CELLVM_DEV_ZYGOTE_H
#define CELLVM_DEV_ZYGOTE_H

#include <sys/types.h>

#include "dev_respawn.h"

struct dev_zygote {
	pid_t pid;   /* -1: not running */
	int sock;    /* SOCK_SEQPACKET channel */
};

void dev_zygote_init(struct dev_zygote *z);
int dev_zygote_start(struct dev_zygote *z);
/* Starts k's program again in a fresh sandbox; p as from dev_spawn. */
int dev_zygote_spawn(struct dev_zygote *z, const struct dev_respawn *k, struct dev_proc *p);
void dev_zygote_stop(struct dev_zygote *z);

#endif
