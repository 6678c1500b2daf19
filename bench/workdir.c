/* The bench's temporary files: one private directory (mkdtemp) holding the
 * disk images, sockets and jails of every section, removed at exit. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void workdir_remove(void)
{
	if (dir[0]) {
		/* Physical walk, never into a mount a jail might have left. */
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
		dir[0] = '\0';
	}
}

static int workdir_create(struct bench_cfg *cfg)
{
	const char *base = cfg->workdir;

	if (dir[0])
		return 0;
	if (!base || !*base)
		base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	/* Short: UNIX socket paths live in here (108 bytes at most). */
	if ((size_t)snprintf(dir, sizeof(dir), "%s/cellvm-bench.XXXXXX", base) >= 100) {
		dir[0] = '\0';
		return -ENAMETOOLONG;
	}
	if (!mkdtemp(dir)) {
		int e = errno;
		dir[0] = '\0';
		return -e;
	}
	/* The jailed VM (another uid) must reach its jail below this. */
	chmod(dir, 0711);
	return 0;
}

int workdir_path(struct bench_cfg *cfg, char *out, size_t len, const char *name)
{
	int ret = workdir_create(cfg);
	if (ret < 0)
		return ret;
	if ((size_t)snprintf(out, len, "%s/%s", dir, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int workdir_image(struct bench_cfg *cfg, const char *name, unsigned int mib, char *out,
		  size_t len, char *err, size_t errlen)
{
	static char block[1 << 20];
	int ret = workdir_path(cfg, out, len, name);

	if (ret < 0) {
		snprintf(err, errlen, "cannot create a directory under %s: %s",
			 cfg->workdir ? cfg->workdir : "$TMPDIR or /tmp", strerror(-ret));
		return ret;
	}
	if (access(out, F_OK) == 0)
		return 0; /* made earlier in this run: every section reuses it */
	int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", out, strerror(errno));
		return ret;
	}
	/* Written, not fallocate()d: unwritten extents would make the first
	 * reads free and the first writes convert extents. */
	memset(block, 0, sizeof(block));
	for (unsigned int i = 0; i < mib; i++) {
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block)) {
			ret = errno ? -errno : -EIO;
			snprintf(err, errlen, "writing %s: %s", out, strerror(-ret));
			close(fd);
			unlink(out);
			return ret;
		}
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		ret = -errno;
		snprintf(err, errlen, "fsync %s: %s", out, strerror(errno));
		unlink(out);
		return ret;
	}
	return 0;
}

void fs_describe(const char *path, char *out, size_t len)
{
	struct stat st;
	struct mntent *m;
	FILE *f;

	snprintf(out, len, "?");
	if (stat(path, &st) < 0 || !(f = setmntent("/proc/self/mounts", "re")))
		return;
	/* The last mount with this device wins (later mounts hide earlier). */
	while ((m = getmntent(f))) {
		struct stat ms;
		if (stat(m->mnt_dir, &ms) == 0 && ms.st_dev == st.st_dev)
			snprintf(out, len, "%s on %s", m->mnt_type, m->mnt_fsname);
	}
	endmntent(f);
}
