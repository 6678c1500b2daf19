/* Opening and checking the disk image. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "device-procs/blk/blk_image.h"

static char path[] = "/tmp/test-blk-image-XXXXXX";

static int make_image(off_t size)
{
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, size), 0);
	return fd;
}

static void cleanup(void)
{
	unlink(path);
}

Test(blk_image, opens_and_sizes, .fini = cleanup)
{
	struct blk_image img;

	close(make_image(1 << 20));
	cr_assert_eq(blk_image_open(&img, path, false), 0);
	cr_assert_eq(img.size, 1 << 20);
	cr_assert_eq(img.capacity, 2048);
	cr_assert_not(img.read_only);
	cr_assert_not(img.is_blockdev);
	blk_image_close(&img);
}

Test(blk_image, refuses_odd_sizes, .fini = cleanup)
{
	struct blk_image img;

	close(make_image(1000));
	cr_assert_eq(blk_image_open(&img, path, false), -EINVAL);
	cr_assert_eq(img.fd, -1);
}

Test(blk_image, refuses_missing_files)
{
	struct blk_image img;

	cr_assert_eq(blk_image_open(&img, "/nonexistent/cellvm.img", true), -ENOENT);
}

Test(blk_image, refuses_directories)
{
	struct blk_image img;

	cr_assert_eq(blk_image_open(&img, "/tmp", true), -EINVAL);
}

Test(blk_image, adopts_fds, .fini = cleanup)
{
	struct blk_image img;
	int fd;

	close(make_image(4096));
	fd = open(path, O_RDONLY);
	cr_assert_eq(blk_image_adopt_fd(&img, fd, false), -EBADF, "read-only fd, writable use");
	cr_assert_eq(blk_image_adopt_fd(&img, fd, true), 0);
	cr_assert_eq(img.capacity, 8);
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	blk_image_close(&img);
	cr_assert_eq(blk_image_adopt_fd(&img, 1000, true), -EBADF, "not open");
	fd = open(path, O_RDWR | O_APPEND);
	cr_assert_eq(blk_image_adopt_fd(&img, fd, false), -EINVAL, "O_APPEND");
	close(fd);
}

Test(blk_image, second_writer_is_refused, .fini = cleanup)
{
	struct blk_image a, b;

	close(make_image(4096));
	cr_assert_eq(blk_image_open(&a, path, false), 0);
	cr_assert_eq(blk_image_open(&b, path, false), -EBUSY);
	cr_assert_eq(blk_image_open(&b, path, true), -EBUSY);
	blk_image_close(&a);
	cr_assert_eq(blk_image_open(&a, path, true), 0);
	cr_assert_eq(blk_image_open(&b, path, true), 0, "readers share");
	blk_image_close(&a);
	blk_image_close(&b);
}
