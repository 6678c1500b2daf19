#include "unix_listen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int claim_path(const char *path, const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "'%s' exists and is not a socket", path);
		return -EEXIST;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	int e = errno;
	close(fd);
	if (r == 0) {
		snprintf(err, errlen, "another process is serving '%s'", path);
		return -EADDRINUSE;
	}
	if (e != ECONNREFUSED) {
		snprintf(err, errlen, "cannot check '%s': %s", path, strerror(e));
		return -e;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int unix_listen_owner(const char *path, int backlog, uint64_t *ino, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, ret;

	*ino = 0;
	err[0] = '\0';
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path '%s' is too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((ret = claim_path(path, &sa, err, errlen)) < 0)
		goto fail;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ret = -errno;
		goto fail;
	}
	/* Only our user may connect. */
	old = umask(0077);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old);
	if (ret == 0 && lstat(path, &st) == 0)
		*ino = st.st_ino;
	if (ret == 0 && listen(fd, backlog) < 0)
		ret = -errno;
	if (ret < 0) {
		unix_listen_remove(path, *ino);
		*ino = 0;
		close(fd);
		goto fail;
	}
	return fd;
fail:
	if (!err[0])
		snprintf(err, errlen, "cannot listen on '%s': %s", path, strerror(-ret));
	return ret;
}

void unix_listen_remove(const char *path, uint64_t ino)
{
	struct stat st;

	if (ino && lstat(path, &st) == 0 && st.st_ino == ino)
		unlink(path);
}
