/* The Linux sections' state, shared by their run hooks (sec_linux.c) and
 * their command lines, console parsing and setup report (linux_cmd.c).
 * Both boot Debian's kernel and the busybox initramfs of `make linux`
 * with one command line under every VMM; the initramfs's test script says
 * what happened in "cellvm-linux: ..." lines on the serial console. */
#ifndef CELLVM_BENCH_LINUX_H
#define CELLVM_BENCH_LINUX_H

#include "blk_disk.h"

/* The machine of the hand-tested command lines (README's "This machine"):
 * 2 vCPUs on a hardware KVM host, 1 in the nested one, where an L2 with 2
 * vCPUs hangs in ~1 boot in 4-8 under QEMU as under cellvm (README). */
#define LINUX_MEM_MIB 256
static inline unsigned int linux_cpus(void) { return kvm_host_nested() ? 1 : 2; }

/* tests/linux/blkcheck.c's bench phases, in the order it runs them. */
enum { LB_SEQW, LB_SEQR, LB_RR1, LB_RR4, LB_RW1, LB_RW4, LB_COUNT };

struct linux_files {
	char kernel[4096], initrd[4096];
	char version[128];          /* kernel-version from make linux, or "" */
};

/* What one run's console said; times are arrivals (CLOCK_MONOTONIC, ns),
 * 0 while not seen. */
struct linux_run {
	int64_t t_console;          /* the kernel's first printk line */
	int64_t t_init;             /* "cellvm-linux: init ok" (sysinit's first line) */
	double guest_init_ms;       /* printk clock at "Run /init as init process", < 0: none */
	bool done_seen;             /* "cellvm-linux: done" (the test script's last line) */
	double res[LB_COUNT];
	bool have[LB_COUNT];
	char fail[200];             /* a line saying something went wrong */
};

struct linux_sec {
	struct linux_files f;
	char cmdline[256];
	struct blk_disk *disk;      /* linux-blk: the columns' disk; NULL: linux-boot */
	struct metric *m;           /* the section's metrics */
	struct linux_run lr;        /* the run in progress */
};

/* vmlinuz and initramfs.cpio.gz in --linux-dir; 0 or -errno, err says
 * which is missing. */
int linux_files_find(const struct bench_cfg *cfg, struct linux_files *f, char *err,
		     size_t errlen);
/* The kernel command line for cellvm.test=test (and bench seconds). */
void linux_cmdline(const struct bench_cfg *cfg, const char *test, char *out, size_t len);
/* Column col's command line: the VMM booting the kernel, the disk's
 * options appended when s->disk is set. */
void linux_argv(const struct bench_cfg *cfg, const struct linux_sec *s, unsigned int col,
		struct argv_buf *a);
void linux_line(struct linux_run *lr, const struct vm_line *l);
/* The VMM exited 0 (the guest rebooted) after init ok and done, with no
 * failure line; r->why filled if not. */
bool linux_run_passed(const struct linux_run *lr, struct vm_run *r);
/* The guest, the command line and the commands each column runs. */
void linux_print_setup(const struct bench_cfg *cfg, const struct linux_sec *s);
/* The blkbench name of phase i ("seqwrite-1m"...). */
const char *linux_blk_phase(unsigned int i);

#endif
