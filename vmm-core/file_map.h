/* Read-only mapping of an input file (kernel, initrd) with a size cap. */
#ifndef CELLVM_FILE_MAP_H
#define CELLVM_FILE_MAP_H

#include <stddef.h>
#include <stdint.h>

struct file_map {
	const uint8_t *data;
	size_t len;
};

/* -ENOENT, -EACCES... from open; -EINVAL for a non-regular or empty file,
 * -EFBIG above max_len. */
int file_map_open(struct file_map *fm, const char *path, size_t max_len);
void file_map_close(struct file_map *fm);

#endif
