/* The VM's cgroups: PARENT/ID under each cgroup v1 controller named by a
 * --cgroup setting, or under the cgroup v2 hierarchy (always created
 * there, so the VM can be accounted and killed as a unit). Mount points
 * come from /proc/self/mountinfo. */
#ifndef CELLVM_JAIL_CGROUP_H
#define CELLVM_JAIL_CGROUP_H

#include <stddef.h>
#include <sys/types.h>

#include "jail_args.h"
#include "jail_fs.h"

#define JAIL_CG_MAX_DIRS 16

struct jail_cgroups {
	char *dirs[JAIL_CG_MAX_DIRS];  /* the VM's cgroup directories */
	unsigned int n;
	struct jail_fs created;        /* what setup created, for undo */
};

/* Finds where the hierarchy holding ctrl (v1) or the v2 hierarchy
 * (ctrl ignored) is mounted, from a mountinfo text. 0 or -ENOENT. */
int jail_cgroup_find_mount(const char *mountinfo, int version, const char *ctrl, char *out,
			   size_t outlen);

/* Creates the cgroups and writes every setting; on failure removes what
 * it created and explains in err. */
int jail_cgroup_setup(const struct jail_cfg *cfg, struct jail_cgroups *cg, char *err,
		      size_t errlen);
/* Moves pid into every cgroup of cg. */
int jail_cgroup_attach(const struct jail_cgroups *cg, pid_t pid, char *err, size_t errlen);
/* Removes the created cgroups (they must be empty again). */
void jail_cgroup_undo(struct jail_cgroups *cg);
void jail_cgroup_free(struct jail_cgroups *cg);

/* --cleanup: removes PARENT/ID from every hierarchy of cfg's version.
 * -EBUSY (with err) while processes are still in one. */
int jail_cgroup_remove(const struct jail_cfg *cfg, char *err, size_t errlen);

#endif
