/* The disk of the block sections (blk: the probe's blkbench; linux-blk:
 * Linux's): one raw image in the workdir, served three ways, one column
 * each: cellvm --disk (cellvm-blk), QEMU's own virtio-blk-device, and QEMU's
 * vhost-user-blk with qemu-storage-daemon, which the bench starts before
 * each run of that column and stops after it. */
#ifndef CELLVM_BENCH_BLK_DISK_H
#define CELLVM_BENCH_BLK_DISK_H

#include "bench.h"

enum { COL_CELLVM, COL_QEMU, COL_QSD };

struct blk_disk {
	char image[256], sock[256], qsd[4096], cellvm_blk[4096];
	/* the storage daemon of the run in progress */
	struct peer peer;
	bool peer_up;
};

/* The three columns, those whose programs are missing marked; fills
 * qsd and cellvm_blk. */
void blk_disk_columns(struct bench_cfg *cfg, struct blk_disk *d);
/* The image (--blk-mib MiB, shared by the sections of one bench run) and
 * the daemon's socket path; 0 or -errno with err filled. */
int blk_disk_files(struct bench_cfg *cfg, struct blk_disk *d, char *err, size_t errlen);
/* Appends column col's disk options to a VMM command line. */
void blk_disk_argv(const struct bench_cfg *cfg, const struct blk_disk *d, unsigned int col,
		   struct argv_buf *a);
void blk_disk_qsd_argv(const struct blk_disk *d, struct argv_buf *a);
/* Run hooks' halves: start the daemon for COL_QSD (false with why
 * filled if it does not listen), and after the VMM ended stop it and wait
 * until the VMM's process group is gone (r->why filled if not). */
bool blk_disk_prepare(struct blk_disk *d, unsigned int col, char *why, size_t len);
void blk_disk_finish(struct blk_disk *d, struct vm_run *r);
/* "   image: ..." and the I/O settings of the three columns. */
void blk_disk_print(const struct bench_cfg *cfg, const struct blk_disk *d);

#endif
