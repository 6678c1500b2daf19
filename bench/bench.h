/* cellvm benchmarks: shared types. One binary (build/bench/launch) runs a
 * table of sections (launch, mem, blk, api, jail, linux-boot, linux-blk); each runs its
 * columns (cellvm, QEMU microvm, QEMU with a storage daemon, cellvm under
 * the jailer...) interleaved and reports per-metric statistics side by
 * side, column 0 (always a cellvm) being the reference of every ratio. */
#ifndef CELLVM_BENCH_H
#define CELLVM_BENCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* ---- VMMs under test (vmm.c) ---- */

enum vmm_id { VMM_CELLVM, VMM_QEMU, VMM_COUNT };

struct vmm {
	const char *name;           /* "cellvm", "qemu" */
	const char *path;           /* binary; NULL when not available */
	char why_missing[256];      /* when path is NULL */
	char version[128];          /* first line of --version */
	int ok_exit;                /* exit status when the probe passed */
	bool has_boot_timer;        /* logs "Guest-boot-time = N us" on stderr */
	const char *const *ram_memfds; /* names of guest-RAM memfds ("/memfd:NAME") */
};

/* ---- columns: what one section compares (columns.c) ---- */

#define MAX_COLS 4

struct column {
	const char *name;           /* "cellvm", "qemu", "qemu+qsd", "cellvm+jailer" */
	enum vmm_id vmm;            /* the VMM binary it runs (exit status, memfds, boot timer) */
	char why_missing[256];      /* non-empty: this column is not run */
};

struct bench_cfg {
	const char *probe;          /* probe guest bzImage */
	unsigned int runs;          /* recorded runs per column and section */
	unsigned int warmup;        /* unrecorded runs per column before those */
	unsigned int mem_mib;
	unsigned int timeout_ms;    /* per VM run */
	unsigned int settle_ms;     /* mem: idle time before sampling */
	const char *qemu_machine;   /* -M value (memory-backend=mem is appended) */
	const char *bin_dir;        /* where cellvm's device programs and jailer are */
	const char *workdir;        /* temporary files (images, sockets, jails) */
	unsigned int blk_runs;      /* blk: recorded runs per column (0 = --runs) */
	unsigned int blk_ms;        /* blk: probe.bench.ms, per blkbench phase */
	unsigned int blk_mib;       /* blk: image size */
	bool blk_iothread;          /* blk: QEMU's built-in virtio-blk in an iothread */
	bool blk_irq;               /* blk: the guest sleeps on interrupts instead of polling */
	bool blk_pin;               /* blk: vCPU on the last CPU, everything else on CPU 0 */
	int blk_nice;               /* blk: nice value of the VMs and peers */
	unsigned int blk_max_wait;  /* blk: a run whose vCPU waited longer for a CPU (% of
				     * the window) is repeated; 0: never */
	unsigned int jail_uid, jail_gid;
	const char *linux_dir;      /* linux-*: vmlinuz, initramfs.cpio.gz (make linux) */
	unsigned int linux_runs;    /* linux-boot: recorded runs per column */
	unsigned int linux_blk_runs; /* linux-blk: recorded runs per column */
	unsigned int linux_seconds; /* linux-blk: cellvm.bench-seconds, per random phase */
	unsigned int linux_timeout_ms; /* linux-*: per VM run (a nested boot takes ~30 s) */
	bool verbose;
	struct vmm vmm[VMM_COUNT];
	/* the running section's columns */
	struct column col[MAX_COLS];
	unsigned int ncols;
};

void vmm_init(struct bench_cfg *cfg, const char *cellvm, const char *qemu);
bool vmm_available(const struct bench_cfg *cfg, enum vmm_id id);
/* The first executable `name` in $PATH, in out. */
bool find_in_path(const char *name, char *out, size_t len);

void columns_reset(struct bench_cfg *cfg);
/* Adds a column running vmm; it inherits the VMM's unavailability. */
struct column *column_add(struct bench_cfg *cfg, const char *name, enum vmm_id vmm);
__attribute__((format(printf, 2, 3))) void column_missing(struct column *c, const char *fmt, ...);
bool column_available(const struct bench_cfg *cfg, unsigned int col);
/* cellvm and qemu: the columns of launch and mem. */
void columns_default(struct bench_cfg *cfg);

/* ---- command lines (argv.c, vmm.c) ---- */

#define ARGV_MAX 96

struct argv_buf {
	char *argv[ARGV_MAX];       /* NULL-terminated */
	size_t n;
	char storage[8192];
	size_t used;
};

void argv_init(struct argv_buf *a);
void argv_add(struct argv_buf *a, const char *s);   /* copies s */
__attribute__((format(printf, 2, 3))) void argv_addf(struct argv_buf *a, const char *fmt, ...);
void argv_print(const char *label, const struct argv_buf *a);

/* The VMM boots the probe (1 vCPU, --mem) with command line `cmdline`.
 * virtio: QEMU gets what the probe needs to find virtio-mmio devices
 * (acpi=off, modern transport) and a shared memfd; cellvm needs nothing.
 * Device options are appended by the caller. */
void vmm_argv(const struct bench_cfg *cfg, enum vmm_id id, const char *cmdline, bool virtio,
	      struct argv_buf *a);

/* What a VMM boots, for guests other than the probe's defaults. */
struct guest {
	const char *kernel, *initrd; /* initrd may be NULL */
	const char *cmdline;
	unsigned int cpus, mem_mib;
	bool probe;                 /* the probe: it ends through the debug-exit port, cellvm
				     * gets its boot timer; otherwise (Linux) a reboot ends
				     * the VM and exits 0 */
	bool virtio;                /* devices follow (modern transport, shared guest RAM) */
};

void vmm_argv_guest(const struct bench_cfg *cfg, enum vmm_id id, const struct guest *g,
		    struct argv_buf *a);

/* Where the bench runs, from CELLVM_KVM_HOST (scripts/with-kvm.sh): for
 * people, and whether it is the nested host. */
const char *kvm_host_kind(void);
bool kvm_host_nested(void);

/* ---- clock ---- */

int64_t mono_ns(void);
static inline double ns_to_ms(int64_t ns) { return (double)ns / 1e6; }
/* user + system time of a wait4 rusage */
static inline double rusage_cpu_ms(const struct rusage *ru)
{
	return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1e3 +
	       (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e3;
}
void sleep_ms(unsigned int ms);

/* ---- child processes (spawn.c) ---- */

struct child {
	pid_t pid;
	int pidfd;                  /* -1 if pidfd_open is unavailable */
	int in_fd, out_fd, err_fd;  /* our ends of its stdin, stdout, stderr */
	int64_t t_spawn_ns;         /* CLOCK_MONOTONIC just before fork() */
};

/* Starts argv[0] in its own process group with pipes on 0, 1, 2 and
 * PDEATHSIG=SIGKILL. Returns 0 or -errno (message in err). */
int child_spawn(struct child *c, char *const argv[], char *err, size_t errlen);
/* SIGKILL to the child's whole process group (safe after it exited, before reaping). */
void child_kill_group(const struct child *c);
/* Waits for the child and forgets it; returns its wait status. */
int child_reap(struct child *c, struct rusage *ru);
/* Waits up to ms for the child to exit, without reaping it (its process
 * group cannot be reused until it is reaped). */
bool child_exited_within(struct child *c, unsigned int ms);
/* Waits up to ms for the child to exit; its wait status, or -1 (still running). */
int child_wait_ms(struct child *c, unsigned int ms, struct rusage *ru);
void child_close_fds(struct child *c);
/* Waits up to ms until no process of group pgid is left (killed device
 * processes release their image locks only once they are gone). */
bool group_wait_gone(pid_t pgid, unsigned int ms);
/* Installs SIGINT/SIGTERM/SIGHUP handlers (the first one kills every live
 * child's process group and sets bench_interrupted, so the runs end and the
 * bench cleans up; a second one kills the bench), an atexit hook that kills
 * live children and removes the temporary directory, and ignores SIGPIPE. */
void spawn_setup_cleanup(void);
extern volatile sig_atomic_t bench_interrupted;
/* The nice value of children spawned from now on (0: the bench's own). */
void spawn_set_nice(int nice);
/* Runs argv, returns the first line of its stdout+stderr in out ("" on failure). */
int capture_first_line(char *const argv[], char *out, size_t len);
/* Runs argv to its end (at most timeout_ms), its output in out; wait status or -1. */
int run_command(char *const argv[], unsigned int timeout_ms, char *out, size_t len);

/* ---- temporary files (workdir.c) ---- */

/* Creates the bench's private directory (under --workdir, default $TMPDIR
 * or /tmp) on first use; removed with everything in it at exit. */
int workdir_path(struct bench_cfg *cfg, char *out, size_t len, const char *name);
/* A raw image of `mib` MiB, every block written (allocated, in the page
 * cache), at workdir/name. */
int workdir_image(struct bench_cfg *cfg, const char *name, unsigned int mib, char *out,
		  size_t len, char *err, size_t errlen);
/* Removes the directory and everything in it; at exit (the sections have
 * stopped their peers and cleaned their jails by then). */
void workdir_remove(void);
/* "ext4 on /dev/vda" for the filesystem holding path. */
void fs_describe(const char *path, char *out, size_t len);

/* ---- peer processes: backends a VMM connects to (peer.c) ---- */

struct peer {
	struct child c;
	char out[2048];             /* what it printed (stdout and stderr) */
	size_t out_len;
};

/* Starts argv and waits until it listens on the UNIX socket sock (or
 * exits, or timeout_ms pass); 0, or -1 with err filled. */
int peer_start(struct peer *p, char *const argv[], const char *sock, unsigned int timeout_ms,
	       char *err, size_t errlen);
/* SIGTERM, then SIGKILL after timeout_ms; its wait status (-1: killed). */
int peer_stop(struct peer *p, unsigned int timeout_ms);
/* Whether a socket is listening at path (/proc/net/unix). */
bool unix_listening(const char *path);

/* ---- one VM run (vmrun.c) ---- */

enum { STREAM_OUT, STREAM_ERR };

struct vm_line {
	int stream;
	const char *text;           /* without the newline */
	int64_t t_start_ns;         /* read that delivered its first byte */
	int64_t t_end_ns;           /* read that delivered its newline */
};

struct vm_run;
/* Called for every complete line; return < 0 to abort the run (killed). */
typedef int (*vm_line_fn)(struct vm_run *r, const struct vm_line *l, void *arg);

struct vm_run {
	struct child c;
	pid_t pid;                  /* the VMM's pid and process group, kept after reaping */
	int64_t t_spawn, t_first_line, t_ready, t_done, t_exit; /* ns, 0 = not seen */
	bool exited, timed_out, aborted, ready_seen, done_seen, done_ok;
	int status;                 /* wait status */
	struct rusage ru;
	/* cellvm's boot timer line */
	bool bt_seen;
	int64_t bt_us, bt_cpu_us;   /* as logged: since cellvm's main() */
	int64_t t_bt_line;          /* arrival of that line on our stderr pipe */
	char tail[3072];            /* last output lines, for diagnostics */
	size_t tail_len;
	char why[256];              /* failure reason, "" if it passed */
};

int vm_run(struct vm_run *r, char *const argv[], unsigned int timeout_ms, vm_line_fn fn,
	   void *arg);
/* Checks exit status and probe lines; fills r->why and returns false on failure. */
bool vm_run_passed(struct vm_run *r, const struct vmm *v);
/* Only the end: not timed out, aborted or killed, and exit status ok_exit. */
bool vm_run_ended(struct vm_run *r, int ok_exit);
int vm_run_write(struct vm_run *r, const char *s);
/* The number after " key=" in a console line ("PROBE blkbench ok rr_qd1_iops=N",
 * "cellvm-linux: blkbench seqread-1m mbps=X"); false when absent. */
bool line_key_u64(const char *line, const char *key, uint64_t *v);
bool line_key_double(const char *line, const char *key, double *v);

/* ---- statistics (stats.c) ---- */

struct series {
	double *v;
	size_t n, cap;
};

struct summary {
	size_t n;
	double median, p10, p90, min, max;
};

void series_add(struct series *s, double v);
void series_free(struct series *s);
bool series_summary(const struct series *s, struct summary *out);

/* ---- process memory (pss.c) ---- */

struct mem_sample {
	unsigned int nproc, nthreads;
	/* sums over the VMM process and its descendants, KiB */
	long rss, pss, pss_anon, pss_file, uss, hwm;
	long guest_rss, guest_pss, guest_uss; /* guest-RAM memfd mappings only */
	unsigned int guest_maps;
	int64_t cpu_ns;             /* on-CPU time so far (schedstat of live threads) */
};

int mem_sample_tree(pid_t root, const char *const *ram_memfds, struct mem_sample *out,
		    char *err, size_t errlen);
/* root first, then every descendant; returns how many. */
size_t process_tree(pid_t root, pid_t *out, size_t max);

/* ---- process CPU time (cpu.c) ---- */

/* CPU time of one process, split by thread kind. total is the kernel's
 * process CPU clock (ns; includes threads that already ended, e.g. io_uring
 * workers); main and vcpu are the live threads' schedstat run times. */
struct cpu_sample {
	int64_t total_ns, main_ns, vcpu_ns;
	int64_t vcpu_wait_ns;       /* vCPU threads runnable but not running */
	unsigned int threads, vcpus;
};

int cpu_sample(pid_t pid, struct cpu_sample *out);
/* Pins every thread of pid: vCPU threads to vcpu_cpu, the others to
 * other_cpu (all to other_cpu when vcpu_cpu < 0). 0 or -errno. */
int cpu_pin(pid_t pid, int vcpu_cpu, int other_cpu);
/* The process's CPU clock alone (ns), or -1. */
int64_t cpu_process_ns(pid_t pid);

/* ---- reports (report.c) ---- */

enum unit { UNIT_MS, UNIT_MIB, UNIT_IOPS, UNIT_MBS, UNIT_US, UNIT_NS, UNIT_PER_REQ, UNIT_PCT };

struct metric {
	const char *label;
	enum unit unit;
	struct series s[MAX_COLS];  /* per column of the section */
	const char *na[MAX_COLS];   /* why a column has no value for this metric */
	const char *target;         /* Firecracker's published target, or NULL */
	double target_max;          /* cellvm's median is compared with it (0 = none) */
	bool in_summary;
};

void report_section_header(const struct bench_cfg *cfg, const char *name, const char *what,
			   unsigned int runs);
void report_metric(const struct bench_cfg *cfg, struct metric *m);
/* One line per metric of m[0..n): each column's median and p90 and the
 * ratios, the section's figures at a glance (after its report_metric()s). */
void report_table(const struct bench_cfg *cfg, struct metric *m, size_t n);
void report_failure(const struct bench_cfg *cfg, unsigned int col, unsigned int run,
		    const struct vm_run *r);
void report_summary(void);
void metric_free(struct metric *m);
const char *unit_name(enum unit u);

/* ---- interleaved runs (interleave.c) ---- */

struct run_ctx {
	struct bench_cfg *cfg;
	unsigned int col;           /* the column (index into cfg->col) */
	enum vmm_id id;             /* its VMM */
	unsigned int run;           /* 1-based; warm-up runs are not recorded */
	bool warmup;
	bool last_attempt;          /* record may not discard this run */
	bool discard;               /* set by record: not counted, run it again */
	bool repeat;                /* failed in the nested host: run it again */
	unsigned int nested_try;    /* how many times it did so already */
	void *section;              /* the section's own state */
};

struct section_result;

/* Per-column hooks of a section; ctx is a struct run_ctx *. */
struct run_hooks {
	const char *scenarios;      /* probe=... (the default command line) */
	vm_line_fn on_line;         /* optional, called with arg = struct run_ctx * */
	/* Called after a passing recorded run; returns false (and fills
	 * r->why) if the run's own measurements failed. */
	bool (*record)(struct run_ctx *rc, struct vm_run *r);
	void (*before)(struct run_ctx *rc); /* optional: reset per-run state */
	/* optional: the VMM's command line (default: vmm_argv, probe=scenarios) */
	void (*argv)(struct run_ctx *rc, struct argv_buf *a);
	/* optional: before the VMM starts (peer processes, files); false with
	 * why filled fails the run without starting it */
	bool (*prepare)(struct run_ctx *rc, char *why, size_t len);
	/* optional: after the VMM ended, whenever prepare succeeded; may fill
	 * r->why to fail the run */
	void (*finish)(struct run_ctx *rc, struct vm_run *r);
	/* optional: whether the run passed, r->why filled if not (default:
	 * vm_run_passed, the probe's lines and exit status) */
	bool (*passed)(struct run_ctx *rc, struct vm_run *r);
	unsigned int runs;          /* recorded runs per column (0 = cfg->runs) */
	unsigned int retries;       /* extra attempts for a run record discards */
	unsigned int timeout_ms;    /* per VM run (0 = cfg->timeout_ms) */
};

/* Runs warm-up then recorded runs, alternating the columns. */
void run_interleaved(struct bench_cfg *cfg, const struct run_hooks *h, void *section,
		     struct section_result *res);

/* ---- sections ---- */

struct section_result {
	unsigned int runs_ok[MAX_COLS], runs_failed[MAX_COLS];
	unsigned int discarded[MAX_COLS]; /* runs record discarded and repeated */
	/* Failed runs repeated because the nested host's emulated SVM, not the
	 * VMM, is the likely culprit there (README, "This machine"). */
	unsigned int nested_repeats[MAX_COLS];
	bool skipped;               /* nothing to run (e.g. a missing program) */
};

struct section {
	const char *name;
	const char *what;
	int (*run)(struct bench_cfg *cfg, struct section_result *res);
};

int section_launch(struct bench_cfg *cfg, struct section_result *res);
int section_mem(struct bench_cfg *cfg, struct section_result *res);
int section_blk(struct bench_cfg *cfg, struct section_result *res);
int section_api(struct bench_cfg *cfg, struct section_result *res);
int section_jail(struct bench_cfg *cfg, struct section_result *res);
int section_linux_boot(struct bench_cfg *cfg, struct section_result *res);
int section_linux_blk(struct bench_cfg *cfg, struct section_result *res);
int section_linux_vsock(struct bench_cfg *cfg, struct section_result *res);
int section_restart(struct bench_cfg *cfg, struct section_result *res);
int section_linux_net(struct bench_cfg *cfg, struct section_result *res);

/* ---- seccomp filter cost (seccomp_cost.c) ---- */

/* Prints, per policy kind, the filter size, the time to install it and the
 * added cost per allowed syscall, measured in forked children. */
void seccomp_cost_report(unsigned int iterations);

#endif
