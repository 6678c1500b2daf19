/* Entering the jail: a private mount namespace whose root is the jail
 * directory, with a /proc that shows only the jail's processes. */
#ifndef CELLVM_JAIL_ROOT_H
#define CELLVM_JAIL_ROOT_H

#include <stddef.h>

/* Unshares the mount namespace, bind-mounts root onto itself (nosuid),
 * mounts /proc there and pivot_roots into it; the old root is detached.
 * The cwd is the new "/" afterwards. 0 or a negative errno; err says
 * which step failed.
 *
 * Why a /proc at all (Firecracker's jail has none): cellvm writes the
 * uid/gid maps of each device process's user namespace through
 * /proc/PID/, and reads its own and its devices' usage from there. It is
 * mounted with hidepid=invisible and subset=pid: only processes the VM's
 * uid may ptrace are listed, and none of /proc's system-wide files. */
int jail_root_enter(const char *root, char *err, size_t errlen);

#endif
