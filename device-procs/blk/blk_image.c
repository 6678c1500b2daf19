#include "blk_image.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blk_log.h"
#include "blk_req.h"

/* Two writers on one image corrupt it silently; a lock makes the second
 * VM fail at start instead. Filesystems without flock support only get
 * a warning, since refusing them would refuse the image outright. */
static int image_lock(int fd, bool read_only, const char *what)
{
	if (flock(fd, (read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK) {
		blk_log("%s is in use by another process (locked)", what);
		return -EBUSY;
	}
	blk_log("warning: cannot lock %s: %s", what, strerror(errno));
	return 0;
}

static int image_setup(struct blk_image *img, int fd, bool read_only, const char *what)
{
	struct stat st;
	uint64_t size;
	int r;

	if (fstat(fd, &st) < 0) {
		r = -errno;
		blk_log("cannot stat %s: %s", what, strerror(errno));
		return r;
	}
	if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
			r = -errno;
			blk_log("cannot get the size of block device %s: %s", what,
				strerror(errno));
			return r;
		}
	} else {
		blk_log("%s is neither a regular file nor a block device", what);
		return -EINVAL;
	}
	if (size % BLK_SECTOR_SIZE != 0) {
		blk_log("%s is %llu bytes, not a multiple of %u: refusing it (pad or resize "
			"the image)", what, (unsigned long long)size, BLK_SECTOR_SIZE);
		return -EINVAL;
	}
	r = image_lock(fd, read_only, what);
	if (r < 0)
		return r;
	if (size == 0)
		blk_log("warning: %s is empty: the guest sees a 0-sector disk", what);
	img->fd = fd;
	img->size = size;
	img->capacity = size >> BLK_SECTOR_SHIFT;
	img->read_only = read_only;
	img->is_blockdev = S_ISBLK(st.st_mode);
	return 0;
}

int blk_image_open(struct blk_image *img, const char *path, bool read_only)
{
	int fd, r;

	img->fd = -1;
	fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		blk_log("cannot open image %s%s: %s", path, read_only ? " read-only" : "",
			strerror(errno));
		return r;
	}
	r = image_setup(img, fd, read_only, path);
	if (r < 0)
		close(fd);
	return r;
}

int blk_image_adopt_fd(struct blk_image *img, int fd, bool read_only)
{
	char what[32];
	int fl;

	img->fd = -1;
	snprintf(what, sizeof(what), "image fd %d", fd);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0) {
		blk_log("%s is not open: %s", what, strerror(errno));
		return -EBADF;
	}
	if ((fl & O_ACCMODE) == O_WRONLY) {
		blk_log("%s is write-only; it must be readable", what);
		return -EBADF;
	}
	/* Positioned writes on an O_APPEND fd land at the end of the file. */
	if (fl & O_APPEND) {
		blk_log("%s is open with O_APPEND; writes would go to the wrong place", what);
		return -EINVAL;
	}
	if (!read_only && (fl & O_ACCMODE) != O_RDWR) {
		blk_log("%s is open read-only; pass --ro to serve it read-only", what);
		return -EBADF;
	}
	/* Must not leak into anything this process might exec later. */
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		int r = -errno;

		blk_log("cannot set close-on-exec on %s: %s", what, strerror(-r));
		return r;
	}
	return image_setup(img, fd, read_only, what);
}

void blk_image_close(struct blk_image *img)
{
	if (img->fd >= 0)
		close(img->fd);
	img->fd = -1;
}
