#include "vm_stop.h"

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

int vm_stop_init(struct vm_stop *s)
{
	atomic_init(&s->requested, false);
	atomic_init(&s->code, 0);
	s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return s->efd < 0 ? -errno : 0;
}

void vm_stop_destroy(struct vm_stop *s)
{
	if (s->efd >= 0)
		close(s->efd);
	s->efd = -1;
}

void vm_stop_request(struct vm_stop *s, int code)
{
	bool expected = false;
	uint64_t one = 1;

	/* The flag is claimed before the code is published, so a racing second
	 * request cannot overwrite the first reason. */
	if (atomic_compare_exchange_strong(&s->requested, &expected, true))
		atomic_store(&s->code, code);
	if (write(s->efd, &one, sizeof(one)) < 0) {
		/* EAGAIN means the counter is already non-zero: the loop is woken. */
	}
}
