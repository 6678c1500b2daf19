/* Replacing the root of a device process's private mount namespace by an
 * empty, read-only tmpfs. Needs CAP_SYS_ADMIN in the user namespace that
 * owns the mount namespace, which the process has as that namespace's
 * uid 0. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox_internal.h"

int sandbox_empty_root(void)
{
	int fsfd = -1, mfd = -1, ret = 0;

	/* Nothing we do below may propagate back to the parent's mounts
	 * (they are already slaves after the user namespace, this makes
	 * sure). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	/* A detached tmpfs with mode 0: even listing it is refused. */
	fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return -errno;
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "0", 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_SET_STRING, "nr_inodes", "1", 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		ret = -errno;
		goto out;
	}
	mfd = fsmount(fsfd, FSMOUNT_CLOEXEC,
		      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mfd < 0) {
		ret = -errno;
		goto out;
	}
	/* Stacked on "/", so no directory of the old tree is needed as a
	 * mount point; the mount fd is the only way into it. pivot_root(".",
	 * ".") puts the old root on top of the new one, where a lazy unmount
	 * takes it (and every host mount under it) away. */
	if (move_mount(mfd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0 || fchdir(mfd) < 0 ||
	    syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 ||
	    chdir("/") < 0)
		ret = -errno;
out:
	if (mfd >= 0)
		close(mfd);
	if (fsfd >= 0)
		close(fsfd);
	return ret;
}
