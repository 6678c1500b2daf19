#include "dev_metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct dev_metrics *dev_metrics_attach(int fd)
{
	struct stat st;
	struct dev_metrics *m;

	if (fstat(fd, &st) < 0 || st.st_size != DEV_METRICS_SIZE)
		return NULL;
	m = mmap(NULL, DEV_METRICS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (m->magic != DEV_METRICS_MAGIC || m->version != DEV_METRICS_VERSION) {
		munmap(m, DEV_METRICS_SIZE);
		return NULL;
	}
	__atomic_store_n(&m->attached, 1, __ATOMIC_RELEASE);
	return m;
}

struct dev_metrics *dev_metrics_adopt(int fd, const char *prog)
{
	struct dev_metrics *m;

	if (fd < 0)
		return NULL;
	m = dev_metrics_attach(fd);
	if (!m)
		fprintf(stderr, "%s: --metrics-fd %d is not a counters page; keeping no counters\n",
			prog, fd);
	close(fd);
	return m;
}

int dev_metrics_create(const struct dev_metrics **page)
{
	struct dev_metrics *m;
	int fd, ret;

	fd = memfd_create("cellvm-dev-metrics", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, DEV_METRICS_SIZE) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	/* Writable once to stamp the header, then only read. */
	m = mmap(NULL, DEV_METRICS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		ret = -errno;
		close(fd);
		return ret;
	}
	m->magic = DEV_METRICS_MAGIC;
	m->version = DEV_METRICS_VERSION;
	mprotect(m, DEV_METRICS_SIZE, PROT_READ);
	*page = m;
	return fd;
}

void dev_metrics_unmap(const struct dev_metrics *page)
{
	if (page)
		munmap((void *)page, DEV_METRICS_SIZE);
}
