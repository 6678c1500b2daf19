#include "jail_cleanup.h"
#include "jail_cgroup.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int jail_remove_tree(const char *dir)
{
	if (access(dir, F_OK) < 0)
		return errno == ENOENT ? 0 : -errno;
	/* Depth first, not following symlinks, not crossing into mounts. */
	if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0)
		return errno ? -errno : -EIO;
	return 0;
}

int jail_cleanup(const struct jail_cfg *cfg, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int ret;

	/* The cgroups first: an empty cgroup proves the VM is gone. */
	if ((ret = jail_cgroup_remove(cfg, err, errlen)) < 0)
		return ret;
	if (jail_path(dir, sizeof(dir), "%s/%s/%s", cfg->base_dir, cfg->exec_name, cfg->id) < 0) {
		snprintf(err, errlen, "the jail path is too long");
		return -ENAMETOOLONG;
	}
	if ((ret = jail_remove_tree(dir)) < 0) {
		snprintf(err, errlen, "cannot remove %s: %s", dir, strerror(-ret));
		return ret;
	}
	return 0;
}
