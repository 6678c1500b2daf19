/* The counters page between the core and a device process: the core
 * creates and seals it, a child attaches to it as a device would and
 * counts, the core reads what it counted. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dev_metrics.h"

Test(dev_metrics, a_device_process_counts_and_the_core_reads)
{
	const struct dev_metrics *page = NULL;
	int fd = dev_metrics_create(&page);

	cr_assert_geq(fd, 0);
	cr_assert_eq(page->attached, 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct dev_metrics *m = dev_metrics_attach(fd);
		if (!m)
			_exit(1);
		for (int i = 0; i < 1000; i++) {
			dev_metrics_add(&m->requests, 1);
			dev_metrics_add(&m->read_bytes, 512);
		}
		dev_metrics_add(&m->write_bytes, 4096);
		dev_metrics_add(&m->errors, 2);
		_exit(0);
	}
	int ws;
	waitpid(pid, &ws, 0);
	cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "the device could not attach");
	cr_assert_eq(page->attached, 1);
	cr_assert_eq(dev_metrics_get(&page->requests), 1000);
	cr_assert_eq(dev_metrics_get(&page->read_bytes), 512000);
	cr_assert_eq(dev_metrics_get(&page->write_bytes), 4096);
	cr_assert_eq(dev_metrics_get(&page->errors), 2);
	dev_metrics_unmap(page);
	close(fd);
}

Test(dev_metrics, the_page_cannot_be_resized_or_resealed)
{
	const struct dev_metrics *page = NULL;
	int fd = dev_metrics_create(&page);

	cr_assert_geq(fd, 0);
	cr_assert_lt(ftruncate(fd, 0), 0, "shrinking would SIGBUS the core's reads");
	cr_assert_lt(ftruncate(fd, 2 * DEV_METRICS_SIZE), 0);
	cr_assert_lt(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0, "sealed against new seals too");
	cr_assert_eq(mprotect((void *)page, DEV_METRICS_SIZE, PROT_READ), 0);
	dev_metrics_unmap(page);
	close(fd);
}

Test(dev_metrics, attach_refuses_anything_else)
{
	int fd = memfd_create("not-metrics", MFD_CLOEXEC);

	cr_assert_null(dev_metrics_attach(fd), "empty file");
	cr_assert_eq(ftruncate(fd, DEV_METRICS_SIZE), 0);
	cr_assert_null(dev_metrics_attach(fd), "no magic");
	cr_assert_null(dev_metrics_attach(-1));
	close(fd);
}

/* --metrics-fd as a device program takes it: the fd is closed either way
 * (a sandboxed device keeps no fd it does not use), the page stays. */
Test(dev_metrics, adopt_maps_the_page_and_closes_the_fd)
{
	const struct dev_metrics *page = NULL;
	int fd = dev_metrics_create(&page);

	cr_assert_geq(fd, 0);
	struct dev_metrics *m = dev_metrics_adopt(fd, "test");
	cr_assert_not_null(m);
	cr_assert_eq(fcntl(fd, F_GETFD), -1, "the fd is closed");
	dev_metrics_add(&m->requests, 3);
	cr_assert_eq(dev_metrics_get(&page->requests), 3, "still the core's page");
	cr_assert_eq(page->attached, 1);
	munmap(m, DEV_METRICS_SIZE);
	dev_metrics_unmap(page);

	cr_assert_null(dev_metrics_adopt(-1, "test"), "no --metrics-fd given");
	fd = memfd_create("not-metrics", MFD_CLOEXEC);
	cr_assert_null(dev_metrics_adopt(fd, "test"));
	cr_assert_eq(fcntl(fd, F_GETFD), -1, "closed even when refused");
}
