#include "jail_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int jail_path(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int record(struct jail_fs *fs, const char *path, bool is_dir)
{
	if (fs->n == JAIL_FS_MAX_UNDO)
		return -E2BIG;
	if (!(fs->created[fs->n] = strdup(path)))
		return -ENOMEM;
	fs->is_dir[fs->n++] = is_dir;
	return 0;
}

int jail_fs_mkdirs(struct jail_fs *fs, const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, mode) == 0) {
			/* mkdir applies the umask: set exactly what was asked. */
			int ret = chmod(buf, mode) < 0 ? -errno : record(fs, buf, true);
			if (ret < 0)
				return ret;
		} else if (errno != EEXIST) {
			return -errno;
		} else {
			struct stat st;
			if (lstat(buf, &st) < 0)
				return -errno;
			if (!S_ISDIR(st.st_mode))
				return -ENOTDIR;
		}
		*p = c;
		if (c == '\0')
			return 0;
	}
}

static int parent_dirs(struct jail_fs *fs, const char *dst)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", dst);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return jail_fs_mkdirs(fs, dir, 0755);
}

static int copy_fd(int in, int out)
{
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return -errno;
		break;
	}
	/* Filesystems copy_file_range cannot span: plain reads and writes. */
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0)
			return -errno;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0)
				return -errno;
			off += w;
		}
	}
}

static int copy_file(struct jail_fs *fs, const char *src, const char *dst, mode_t mode, uid_t uid,
		     gid_t gid)
{
	int in = -1, out = -1, ret;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0) {
		ret = -errno;
		close(in);
		return ret;
	}
	if ((ret = record(fs, dst, false)) < 0)
		goto out;
	if ((ret = copy_fd(in, out)) < 0)
		goto out;
	if (fchown(out, uid, gid) < 0 || fchmod(out, mode) < 0)
		ret = -errno;
out:
	close(in);
	close(out);
	return ret;
}

int jail_fs_place(struct jail_fs *fs, const char *src, const char *dst)
{
	struct stat st;
	int ret;

	if (stat(src, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((ret = parent_dirs(fs, dst)) < 0)
		return ret;
	/* A link to a file its owner could still change would let that user
	 * change what the jail runs. */
	if (st.st_uid == 0 && !(st.st_mode & (S_IWGRP | S_IWOTH))) {
		if (linkat(AT_FDCWD, src, AT_FDCWD, dst, AT_SYMLINK_FOLLOW) == 0)
			return record(fs, dst, false);
		if (errno != EXDEV && errno != EPERM && errno != EMLINK)
			return -errno;
	}
	return copy_file(fs, src, dst, st.st_mode & 0755, 0, 0);
}

int jail_fs_copy_owned(struct jail_fs *fs, const char *src, const char *dst, uid_t uid, gid_t gid)
{
	struct stat st;
	int ret;

	if (stat(src, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((ret = parent_dirs(fs, dst)) < 0)
		return ret;
	return copy_file(fs, src, dst, 0600, uid, gid);
}

int jail_fs_mknod(struct jail_fs *fs, const char *path, unsigned int major, unsigned int minor,
		  uid_t uid, gid_t gid)
{
	int ret;

	if ((ret = parent_dirs(fs, path)) < 0)
		return ret;
	if (mknod(path, S_IFCHR | 0600, makedev(major, minor)) < 0)
		return -errno;
	if ((ret = record(fs, path, false)) < 0)
		return ret;
	if (chown(path, uid, gid) < 0 || chmod(path, 0600) < 0)
		return -errno;
	return 0;
}

void jail_fs_undo(struct jail_fs *fs)
{
	while (fs->n > 0) {
		fs->n--;
		if (fs->is_dir[fs->n])
			rmdir(fs->created[fs->n]);
		else
			unlink(fs->created[fs->n]);
		free(fs->created[fs->n]);
	}
}

void jail_fs_forget(struct jail_fs *fs)
{
	while (fs->n > 0)
		free(fs->created[--fs->n]);
}
