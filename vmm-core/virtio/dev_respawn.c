#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dev_respawn.h"
#include "log.h"

void dev_respawn_init(struct dev_respawn *k)
{
	memset(k, 0, sizeof(*k));
	for (unsigned int i = 0; i < DEV_SPAWN_MAX_FDS; i++)
		k->fds[i] = -1;
}

static int dev_respawn_keep(struct dev_respawn *k, const char *program, const char *const *args,
			    const int *fds, unsigned int nfds)
{
	if (nfds > DEV_SPAWN_MAX_FDS ||
	    snprintf(k->program, sizeof(k->program), "%s", program) >= (int)sizeof(k->program))
		return -E2BIG;
	for (k->nargs = 0; args && args[k->nargs]; k->nargs++) {
		if (k->nargs == DEV_SPAWN_MAX_ARGS ||
		    snprintf(k->args[k->nargs], DEV_RESPAWN_ARG_MAX, "%s", args[k->nargs]) >=
			    DEV_RESPAWN_ARG_MAX)
			return -E2BIG;
	}
	for (k->nfds = 0; k->nfds < nfds; k->nfds++) {
		k->fds[k->nfds] = fcntl(fds[k->nfds], F_DUPFD_CLOEXEC, 0);
		if (k->fds[k->nfds] < 0)
			return -errno;
	}
	k->kept = true;
	return 0;
}

int dev_respawn_first(struct dev_respawn *k, struct dev_proc *p, const char *program,
		      const char *const *args, const int *fds, unsigned int nfds)
{
	int ret = dev_spawn(p, program, args, fds, nfds);

	if (ret == 0 && dev_respawn_keep(k, program, args, fds, nfds) < 0) {
		log_warn("%s: cannot keep what a restart needs; it will not be restarted", program);
		dev_respawn_release(k);
	}
	return ret;
}

int dev_respawn_spawn(const struct dev_respawn *k, struct dev_proc *p)
{
	const char *args[DEV_SPAWN_MAX_ARGS + 1];

	if (!k->kept)
		return -ENOTSUP;
	for (unsigned int i = 0; i < k->nargs; i++)
		args[i] = k->args[i];
	args[k->nargs] = NULL;
	return dev_spawn(p, k->program, args, k->fds, k->nfds);
}

void dev_respawn_release(struct dev_respawn *k)
{
	for (unsigned int i = 0; i < DEV_SPAWN_MAX_FDS; i++) {
		if (k->fds[i] >= 0)
			close(k->fds[i]);
	}
	dev_respawn_init(k);
}
