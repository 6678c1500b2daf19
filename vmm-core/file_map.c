#include "file_map.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int file_map_open(struct file_map *fm, const char *path, size_t max_len)
{
	struct stat st;
	int ret = 0;
	int fd;

	fm->data = NULL;
	fm->len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		ret = -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > max_len) {
		ret = -EFBIG;
		goto out;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		goto out;
	}
	fm->data = p;
	fm->len = (size_t)st.st_size;
out:
	close(fd);
	return ret;
}

void file_map_close(struct file_map *fm)
{
	if (fm->data)
		munmap((void *)fm->data, fm->len);
	fm->data = NULL;
	fm->len = 0;
}
