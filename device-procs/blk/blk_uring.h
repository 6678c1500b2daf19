/* The io_uring cellvm-blk does its disk I/O through. Submissions are
 * batched (the caller queues many, then submits once) and completions are
 * announced on an eventfd the vhost-user loop polls, so one thread keeps
 * many requests in flight without ever blocking on the disk. */
#ifndef CELLVM_BLK_URING_H
#define CELLVM_BLK_URING_H

#include <liburing.h>
#include <stdint.h>
#include <sys/uio.h>

struct blk_uring {
	struct io_uring ring;
	int event_fd;         /* readable when completions are waiting */
};

/* entries bounds the operations in flight at once; the caller never
 * has more outstanding than that, so the completion ring cannot overflow. */
int blk_uring_init(struct blk_uring *u, unsigned int entries);
void blk_uring_fini(struct blk_uring *u);

/* Queue one operation; `data` comes back with its completion. 0, or
 * -EBUSY when the submission ring is full even after submitting. The
 * iovecs must stay valid until the completion. */
int blk_uring_readv(struct blk_uring *u, int fd, const struct iovec *iov, unsigned int n,
		    uint64_t off, void *data);
int blk_uring_writev(struct blk_uring *u, int fd, const struct iovec *iov, unsigned int n,
		     uint64_t off, void *data);
int blk_uring_fdatasync(struct blk_uring *u, int fd, void *data);
int blk_uring_fallocate(struct blk_uring *u, int fd, int mode, uint64_t off, uint64_t len,
			void *data);

/* Hands the queued operations to the kernel. 0 or a negative errno. */
int blk_uring_submit(struct blk_uring *u);

/* Submits what is queued and sleeps until at least one completion is
 * waiting (used to drain a queue). */
int blk_uring_wait(struct blk_uring *u);

typedef void (*blk_uring_done_fn)(void *ctx, void *data, int res);

/* Resets the eventfd, then calls done(ctx, data, res) for each waiting
 * completion; done may queue new operations. Returns how many ran. */
unsigned int blk_uring_reap(struct blk_uring *u, blk_uring_done_fn done, void *ctx);

/* Makes the eventfd readable without a completion, so the loop comes
 * back to us (to resume work that was cut short for fairness). */
void blk_uring_poke(struct blk_uring *u);

#endif
