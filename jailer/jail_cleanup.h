/* --cleanup: what a control plane runs once the VM has ended. */
#ifndef CELLVM_JAIL_CLEANUP_H
#define CELLVM_JAIL_CLEANUP_H

#include <stddef.h>

#include "jail_args.h"

/* Removes the VM's cgroups, then BASE/EXEC-NAME/ID with everything in
 * it. Refuses (-EBUSY) while a process of the VM is still in one of its
 * cgroups. Symlinks are removed, never followed; other filesystems
 * mounted inside are left alone. */
int jail_cleanup(const struct jail_cfg *cfg, char *err, size_t errlen);

/* Removes a directory tree the same way (exposed for the tests). */
int jail_remove_tree(const char *dir);

#endif
