/* The user namespace of a device process: which host uid/gid its uid 0
 * stands for, and writing that mapping from the core. */
#ifndef CELLVM_DEV_NS_H
#define CELLVM_DEV_NS_H

#include <stdbool.h>
#include <sys/types.h>

/* A core that may map any id (root, e.g. a plain `cellvm run` as root)
 * gives its devices nobody:nogroup; an unprivileged core (always so under
 * the jailer) can only map its own uid and gid, which is what Linux lets
 * any process do in a user namespace it created. */
#define DEV_NS_NOBODY 65534

struct dev_ns_ids {
	uid_t uid;
	gid_t gid;
	bool privileged;  /* the child may and should drop supplementary groups */
};

/* Decides the ids for devices spawned by this process now. */
int dev_ns_choose(struct dev_ns_ids *ids);

/* Writes /proc/PID/{setgroups,gid_map,uid_map} for a child just cloned
 * into a new user namespace: its uid 0 and gid 0 become ids. When the
 * privileged mapping is refused, ids falls back to our own (and says so). */
int dev_ns_write_maps(pid_t pid, struct dev_ns_ids *ids);

#endif
