/* What it takes to start a device process again: its program, its
 * arguments and (duplicates of) the fds it was given — the disk image, the
 * vsock listening socket and broker end, the metrics page — so a
 * restarted device serves the very same files, never a path looked up
 * again. */
#ifndef CELLVM_DEV_RESPAWN_H
#define CELLVM_DEV_RESPAWN_H

#include <stdbool.h>

#include "dev_spawn.h"

#define DEV_RESPAWN_ARG_MAX 64

struct dev_respawn {
	char program[32];
	char args[DEV_SPAWN_MAX_ARGS][DEV_RESPAWN_ARG_MAX];
	unsigned int nargs;
	int fds[DEV_SPAWN_MAX_FDS];
	unsigned int nfds;
	bool kept;                /* false: the device cannot be respawned */
};

void dev_respawn_init(struct dev_respawn *k);
/* Spawns like dev_spawn and, when that worked, keeps a copy of everything
 * for dev_respawn_spawn. A copy that fails (no fds left) only makes the
 * device unrestartable, it does not fail the spawn. */
int dev_respawn_first(struct dev_respawn *k, struct dev_proc *p, const char *program,
		      const char *const *args, const int *fds, unsigned int nfds);
int dev_respawn_spawn(const struct dev_respawn *k, struct dev_proc *p);
void dev_respawn_release(struct dev_respawn *k);

#endif
