/* The disk image: a raw file or block device, opened by path or received
 * as an fd, with its size checked once at start. */
#ifndef CELLVM_BLK_IMAGE_H
#define CELLVM_BLK_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

struct blk_image {
	int fd;
	uint64_t size;       /* bytes, a multiple of 512 */
	uint64_t capacity;   /* 512-byte sectors */
	bool read_only;
	bool is_blockdev;
};

/* Opens PATH (read-only when read_only). Logs why and returns a negative
 * errno when it cannot be used. */
int blk_image_open(struct blk_image *img, const char *path, bool read_only);

/* Adopts an fd opened by someone else (the sandboxing parent); it must be
 * readable, and writable unless read_only. On success img owns fd. */
int blk_image_adopt_fd(struct blk_image *img, int fd, bool read_only);

void blk_image_close(struct blk_image *img);

#endif
