/* cellvm benchmarks: shared types. One binary (build/bench/launch) runs a
 * table of sections (launch, mem, ... later blk, jailer, api); each section
 * boots the probe guest under every available VMM (cellvm, QEMU microvm),
 * interleaving the runs, and reports per-metric statistics side by side. */
#ifndef CELLVM_BENCH_H
#define CELLVM_BENCH_H

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

struct bench_cfg {
	const char *probe;          /* probe guest bzImage */
	unsigned int runs;          /* recorded runs per VMM and section */
	unsigned int warmup;        /* unrecorded runs per VMM before those */
	unsigned int mem_mib;
	unsigned int timeout_ms;    /* per VM run */
	unsigned int settle_ms;     /* mem: idle time before sampling */
	const char *qemu_machine;   /* -M value (memory-backend=mem is appended) */
	bool verbose;
	struct vmm vmm[VMM_COUNT];
};

void vmm_init(struct bench_cfg *cfg, const char *cellvm, const char *qemu);
/* Fills argv (NULL-terminated) to boot the probe with cmdline "probe=SCENARIOS".
 * Strings live in storage[] (at least 512 bytes). */
void vmm_argv(const struct bench_cfg *cfg, enum vmm_id id, const char *scenarios, char **argv,
	      size_t max, char *storage, size_t storage_len);
void vmm_print_command(const struct bench_cfg *cfg, enum vmm_id id, const char *scenarios);
bool vmm_available(const struct bench_cfg *cfg, enum vmm_id id);

/* ---- clock ---- */

int64_t mono_ns(void);
static inline double ns_to_ms(int64_t ns) { return (double)ns / 1e6; }

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
void child_close_fds(struct child *c);
/* Installs SIGINT/SIGTERM/SIGHUP handlers and an atexit hook that kill
 * every live child's process group, and ignores SIGPIPE. */
void spawn_setup_cleanup(void);
/* Runs argv, returns the first line of its stdout+stderr in out ("" on failure). */
int capture_first_line(char *const argv[], char *out, size_t len);

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
int vm_run_write(struct vm_run *r, const char *s);

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

/* ---- reports (report.c) ---- */

enum unit { UNIT_MS, UNIT_MIB };

struct metric {
	const char *label;
	enum unit unit;
	struct series s[VMM_COUNT];
	const char *na[VMM_COUNT];  /* why a VMM has no value for this metric */
	const char *target;         /* Firecracker's published target, or NULL */
	double target_max;          /* cellvm's median is compared with it (0 = none) */
	bool in_summary;
};

void report_section_header(const struct bench_cfg *cfg, const char *name, const char *what);
void report_metric(const struct bench_cfg *cfg, struct metric *m);
void report_failure(const struct bench_cfg *cfg, enum vmm_id id, unsigned int run,
		    const struct vm_run *r);
void report_summary(const struct bench_cfg *cfg);
void metric_free(struct metric *m);

/* ---- interleaved runs (interleave.c) ---- */

struct run_ctx {
	struct bench_cfg *cfg;
	enum vmm_id id;
	unsigned int run;           /* 1-based; warm-up runs are not recorded */
	bool warmup;
	void *section;              /* the section's own state */
};

struct section_result;

/* Per-VMM hooks of a section; ctx is a struct run_ctx *. */
struct run_hooks {
	const char *scenarios;      /* probe=... */
	vm_line_fn on_line;         /* optional, called with arg = struct run_ctx * */
	/* Called after a passing recorded run; returns false (and fills
	 * r->why) if the run's own measurements failed. */
	bool (*record)(struct run_ctx *rc, struct vm_run *r);
	void (*before)(struct run_ctx *rc); /* optional: reset per-run state */
};

/* Runs warm-up then recorded runs, alternating cellvm, qemu, cellvm, ... */
void run_interleaved(struct bench_cfg *cfg, const struct run_hooks *h, void *section,
		     struct section_result *res);

/* ---- sections ---- */

struct section_result {
	unsigned int runs_ok[VMM_COUNT], runs_failed[VMM_COUNT];
};

struct section {
	const char *name;
	const char *what;
	int (*run)(struct bench_cfg *cfg, struct section_result *res);
};

int section_launch(struct bench_cfg *cfg, struct section_result *res);
int section_mem(struct bench_cfg *cfg, struct section_result *res);

#endif
