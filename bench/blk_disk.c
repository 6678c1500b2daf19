/* The block sections' disk: the image, the three ways it is served
 * (cellvm-blk; QEMU's virtio-blk-device with cache=writeback, buffered like
 * cellvm-blk, aio=io_uring like cellvm-blk, optionally in an iothread as
 * cellvm-blk has a process of its own; qemu-storage-daemon exporting it the
 * same way over vhost-user) and the daemon's life around each run. */
#include "blk_disk.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PEER_MS 10000 /* for qemu-storage-daemon to listen */

void blk_disk_columns(struct bench_cfg *cfg, struct blk_disk *d)
{
	columns_reset(cfg);
	column_add(cfg, "cellvm", VMM_CELLVM);
	column_add(cfg, "qemu", VMM_QEMU);
	column_add(cfg, "qemu+qsd", VMM_QEMU);
	snprintf(d->cellvm_blk, sizeof(d->cellvm_blk), "%s/cellvm-blk", cfg->bin_dir);
	if (access(d->cellvm_blk, X_OK) != 0)
		column_missing(&cfg->col[COL_CELLVM], "%s is missing (make all)", d->cellvm_blk);
	if (!find_in_path("qemu-storage-daemon", d->qsd, sizeof(d->qsd)))
		column_missing(&cfg->col[COL_QSD], "qemu-storage-daemon not found in PATH "
			       "(apt-get install qemu-system-x86 / qemu-utils)");
}

int blk_disk_files(struct bench_cfg *cfg, struct blk_disk *d, char *err, size_t errlen)
{
	/* One name: a second section of the same bench run reuses the image. */
	int ret = workdir_image(cfg, "blk.img", cfg->blk_mib, d->image, sizeof(d->image), err,
				errlen);
	if (ret < 0)
		return ret;
	ret = workdir_path(cfg, d->sock, sizeof(d->sock), "qsd.sock");
	if (ret < 0)
		snprintf(err, errlen, "socket path: %s", strerror(-ret));
	return ret;
}

void blk_disk_argv(const struct bench_cfg *cfg, const struct blk_disk *d, unsigned int col,
		   struct argv_buf *a)
{
	switch (col) {
	case COL_CELLVM:
		argv_add(a, "--disk");
		argv_addf(a, "path=%s", d->image);
		break;
	case COL_QEMU:
		if (cfg->blk_iothread) {
			argv_add(a, "-object");
			argv_add(a, "iothread,id=io0");
		}
		argv_add(a, "-drive");
		argv_addf(a, "file=%s,format=raw,if=none,id=d0,cache=writeback,aio=io_uring",
			  d->image);
		argv_add(a, "-device");
		argv_addf(a, "virtio-blk-device,drive=d0%s", cfg->blk_iothread ? ",iothread=io0" : "");
		break;
	case COL_QSD:
		argv_add(a, "-chardev");
		argv_addf(a, "socket,id=c0,path=%s", d->sock);
		argv_add(a, "-device");
		argv_add(a, "vhost-user-blk,chardev=c0");
		break;
	}
}

void blk_disk_qsd_argv(const struct blk_disk *d, struct argv_buf *a)
{
	argv_init(a);
	argv_add(a, d->qsd);
	argv_add(a, "--blockdev");
	argv_addf(a, "driver=file,node-name=file0,filename=%s,aio=io_uring,cache.direct=off",
		  d->image);
	argv_add(a, "--export");
	argv_addf(a, "type=vhost-user-blk,id=exp0,node-name=file0,addr.type=unix,addr.path=%s,"
		  "writable=on", d->sock);
}

bool blk_disk_prepare(struct blk_disk *d, unsigned int col, char *why, size_t len)
{
	struct argv_buf a;

	d->peer_up = false;
	if (col != COL_QSD)
		return true;
	blk_disk_qsd_argv(d, &a);
	if (peer_start(&d->peer, a.argv, d->sock, PEER_MS, why, len) < 0)
		return false;
	d->peer_up = true;
	return true;
}

void blk_disk_finish(struct blk_disk *d, struct vm_run *r)
{
	if (d->peer_up) {
		peer_stop(&d->peer, 3000);
		unlink(d->sock);
		d->peer_up = false;
	}
	/* The next run opens the same image: its lock holders must be gone. */
	if (r->pid > 0 && !group_wait_gone(r->pid, 3000) && !r->why[0])
		snprintf(r->why, sizeof(r->why), "processes of the VMM's group still alive 3 s "
			 "after it exited");
}

void blk_disk_print(const struct bench_cfg *cfg, const struct blk_disk *d)
{
	char fs[128];

	fs_describe(d->image, fs, sizeof(fs));
	printf("   image: %s, %u MiB raw, every block written once (allocated) when the bench "
	       "starts,\n   %s, reused by every run; all three open it buffered (page cache), "
	       "io_uring, flushes honoured\n", d->image, cfg->blk_mib, fs);
}
