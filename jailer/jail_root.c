#include "jail_root.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STEP(what, call)                                                          \
	do {                                                                      \
		if ((call) < 0) {                                                 \
			int e_ = errno;                                           \
			snprintf(err, errlen, "%s: %s", (what), strerror(e_));    \
			return -e_;                                               \
		}                                                                 \
	} while (0)

int jail_root_enter(const char *root, char *err, size_t errlen)
{
	STEP("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS));
	/* Host mounts may still reach us (slave), nothing of ours reaches
	 * the host. */
	STEP("making / a slave mount", mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL));
	STEP("bind-mounting the jail root", mount(root, root, NULL, MS_BIND, NULL));
	/* Device nodes must work (the base dir may be nodev), set-uid bits
	 * must not. */
	STEP("remounting the jail root nosuid",
	     mount(NULL, root, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID, NULL));
	STEP("chdir to the jail root", chdir(root));
	if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "hidepid=invisible,subset=pid") < 0) {
		/* Kernels before 5.8 know neither option's new form. */
		STEP("mounting /proc", mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
					     "hidepid=2"));
	}
	STEP("pivot_root", syscall(SYS_pivot_root, ".", "."));
	STEP("detaching the old root", umount2(".", MNT_DETACH));
	STEP("chdir /", chdir("/"));
	return 0;
}
