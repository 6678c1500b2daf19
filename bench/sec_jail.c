/* Section "jail": what cellvm-jailer adds to a launch. The same VM (probe,
 * a small blk disk, rng) is started directly and through the jailer:
 *   cellvm          cellvm run ... --disk path=IMG --rng           (as root)
 *   cellvm+jailer   cellvm-jailer --id ID --exec-file cellvm --uid U --gid G
 *                   --chroot-base-dir DIR -- run ... (paths inside the jail)
 * The kernel and a copy of the disk are put into the jail root before the
 * clock starts, as a control plane stages them for Firecracker's jailer;
 * everything else (programs, libraries, device nodes, namespaces,
 * pivot_root, uid drop) is the jailer's work and inside the timings. The
 * jailer execs cellvm in place (no --new-pid-ns, no --daemonize), so the
 * spawned pid is the VM. Memory is sampled like the mem section: the core
 * and its device processes, guest RAM excluded. After the runs, the cost
 * of the seccomp filters themselves (seccomp_cost.c). */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { COL_DIRECT, COL_JAILED };
enum { M_BT, M_READY, M_CPU_READY, M_PSS, M_USS, M_COUNT };

#define DISK_MIB      4
#define SECCOMP_ITERS 40

struct jail {
	struct metric m[M_COUNT];
	char cellvm[PATH_MAX], jailer[PATH_MAX], disk[256], base[256];
	char id[64];
	unsigned int seq;
	/* this run */
	bool ready_cpu_ok, sampled;
	int sample_ret;
	int64_t ready_cpu_ns;
	struct mem_sample s;
	char err[256];
};

static const char *probe_in_jail = "/probe.bzImage", *disk_in_jail = "/disk.img";

static void vm_args(const struct bench_cfg *cfg, const char *kernel, const char *disk,
		    struct argv_buf *a)
{
	argv_add(a, "run");
	argv_add(a, "--kernel"); argv_add(a, kernel);
	argv_add(a, "--mem"); argv_addf(a, "%u", cfg->mem_mib);
	argv_add(a, "--cpus"); argv_add(a, "1");
	argv_add(a, "--boot-timer");
	argv_add(a, "--cmdline"); argv_add(a, "probe=serial");
	argv_add(a, "--disk"); argv_addf(a, "path=%s", disk);
	argv_add(a, "--rng");
}

static void build_argv(const struct bench_cfg *cfg, const struct jail *j, unsigned int col,
		       const char *id, struct argv_buf *a)
{
	argv_init(a);
	if (col == COL_DIRECT) {
		argv_add(a, j->cellvm);
		vm_args(cfg, cfg->probe, j->disk, a);
		return;
	}
	argv_add(a, j->jailer);
	argv_add(a, "--id"); argv_add(a, id);
	argv_add(a, "--exec-file"); argv_add(a, j->cellvm);
	argv_add(a, "--uid"); argv_addf(a, "%u", cfg->jail_uid);
	argv_add(a, "--gid"); argv_addf(a, "%u", cfg->jail_gid);
	argv_add(a, "--chroot-base-dir"); argv_add(a, j->base);
	argv_add(a, "--");
	vm_args(cfg, probe_in_jail, disk_in_jail, a);
}

static void hook_argv(struct run_ctx *rc, struct argv_buf *a)
{
	struct jail *j = rc->section;
	build_argv(rc->cfg, j, rc->col, j->id, a);
}

static int copy_file(const char *src, const char *dst, uid_t uid, gid_t gid)
{
	char buf[65536];
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, ret = 0;

	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		ret = -errno;
		close(in);
		return ret;
	}
	for (ssize_t n; (n = read(in, buf, sizeof(buf))) != 0;) {
		if (n < 0 || write(out, buf, (size_t)n) != n) {
			ret = errno ? -errno : -EIO;
			break;
		}
	}
	if (!ret && fchown(out, uid, gid) < 0)
		ret = -errno;
	close(in);
	if (close(out) < 0 && !ret)
		ret = -errno;
	return ret;
}

static int mkdirs(const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

/* Jailed runs: a fresh id and a staged root (kernel linked or copied,
 * disk copied, copies handed to the VM's uid). */
static bool prepare(struct run_ctx *rc, char *why, size_t len)
{
	struct jail *j = rc->section;
	char root[512], dst[PATH_MAX];
	int ret;

	if (rc->col != COL_JAILED)
		return true;
	snprintf(j->id, sizeof(j->id), "bench-%d-%u", (int)getpid(), ++j->seq);
	snprintf(root, sizeof(root), "%s/cellvm/%s/root", j->base, j->id);
	if ((ret = mkdirs(root)) < 0) {
		snprintf(why, len, "cannot create %s: %s", root, strerror(-ret));
		return false;
	}
	snprintf(dst, sizeof(dst), "%s%s", root, probe_in_jail);
	/* A copy (across filesystems, as from the nested host's 9p share to
	 * its /tmp) is 0600: the VM's uid must own it to read it. */
	if (link(rc->cfg->probe, dst) < 0 &&
	    copy_file(rc->cfg->probe, dst, rc->cfg->jail_uid, rc->cfg->jail_gid) < 0) {
		snprintf(why, len, "cannot put %s into %s: %s", rc->cfg->probe, root,
			 strerror(errno));
		return false;
	}
	snprintf(dst, sizeof(dst), "%s%s", root, disk_in_jail);
	if ((ret = copy_file(j->disk, dst, rc->cfg->jail_uid, rc->cfg->jail_gid)) < 0) {
		snprintf(why, len, "cannot copy %s into %s: %s", j->disk, root, strerror(-ret));
		return false;
	}
	return true;
}

static bool jail_cleanup(const struct jail *j, const char *id, char *why, size_t len)
{
	char out[512];
	char *argv[] = { (char *)j->jailer, "--cleanup", "--id", (char *)id, "--exec-file",
			 (char *)j->cellvm, "--chroot-base-dir", (char *)j->base, NULL };
	int st = run_command(argv, 10000, out, sizeof(out));

	if (st == 0)
		return true;
	snprintf(why, len, "cellvm-jailer --cleanup --id %s failed (status 0x%x): %.100s", id,
		 (unsigned int)st, out);
	return false;
}

static void finish(struct run_ctx *rc, struct vm_run *r)
{
	struct jail *j = rc->section;
	char why[sizeof(r->why)];

	if (r->pid > 0)
		group_wait_gone(r->pid, 3000);
	if (rc->col == COL_JAILED && !jail_cleanup(j, j->id, why, sizeof(why)) && !r->why[0])
		snprintf(r->why, sizeof(r->why), "%s", why);
}

static void before(struct run_ctx *rc)
{
	struct jail *j = rc->section;
	j->ready_cpu_ok = j->sampled = false;
	j->sample_ret = 0;
	j->err[0] = '\0';
}

static int on_line(struct vm_run *r, const struct vm_line *l, void *arg)
{
	struct run_ctx *rc = arg;
	struct jail *j = rc->section;

	if (l->stream != STREAM_OUT)
		return 0;
	if (!j->ready_cpu_ok && strcmp(l->text, "PROBE ready") == 0) {
		j->ready_cpu_ns = cpu_process_ns(r->c.pid);
		j->ready_cpu_ok = j->ready_cpu_ns >= 0;
	} else if (!j->sampled && strcmp(l->text, "PROBE serial waiting") == 0) {
		j->sampled = true;
		sleep_ms(rc->cfg->settle_ms);
		j->sample_ret = mem_sample_tree(r->c.pid, rc->cfg->vmm[VMM_CELLVM].ram_memfds,
						&j->s, j->err, sizeof(j->err));
		return vm_run_write(r, "bench\n") < 0 ? -1 : 0;
	}
	return 0;
}

static bool record(struct run_ctx *rc, struct vm_run *r)
{
	struct jail *j = rc->section;
	unsigned int c = rc->col;

	if (!j->sampled || j->sample_ret < 0 || !j->ready_cpu_ok) {
		snprintf(r->why, sizeof(r->why), "%s",
			 j->err[0] ? j->err : "no \"PROBE serial waiting\" line or no CPU clock");
		return false;
	}
	/* core + cellvm-blk + cellvm-rng */
	if (j->s.nproc != 3) {
		snprintf(r->why, sizeof(r->why), "%u processes in the VM's tree, expected 3 "
			 "(core, blk, rng)", j->s.nproc);
		return false;
	}
	series_add(&j->m[M_BT].s[c], ns_to_ms(r->t_bt_line - r->t_spawn));
	series_add(&j->m[M_READY].s[c], ns_to_ms(r->t_ready - r->t_spawn));
	series_add(&j->m[M_CPU_READY].s[c], ns_to_ms(j->ready_cpu_ns));
	series_add(&j->m[M_PSS].s[c], (double)(j->s.pss - j->s.guest_pss) / 1024.0);
	series_add(&j->m[M_USS].s[c], (double)(j->s.uss - j->s.guest_uss) / 1024.0);
	return true;
}

static void check_columns(struct bench_cfg *cfg, struct jail *j)
{
	static const char *const devs[] = { "cellvm-blk", "cellvm-rng" };
	char path[PATH_MAX];

	if (!realpath(cfg->vmm[VMM_CELLVM].path, j->cellvm))
		snprintf(j->cellvm, sizeof(j->cellvm), "%s", cfg->vmm[VMM_CELLVM].path);
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", cfg->bin_dir, devs[i]);
		if (access(path, X_OK) != 0)
			for (unsigned int c = 0; c < cfg->ncols; c++)
				column_missing(&cfg->col[c], "%s is missing (make all)", path);
	}
	snprintf(path, sizeof(path), "%s/cellvm-jailer", cfg->bin_dir);
	if (!realpath(path, j->jailer) || access(j->jailer, X_OK) != 0)
		column_missing(&cfg->col[COL_JAILED], "not available: %s is missing", path);
	else if (geteuid() != 0)
		column_missing(&cfg->col[COL_JAILED], "the jailer needs root");
}

int section_jail(struct bench_cfg *cfg, struct section_result *res)
{
	static struct jail j = {
		.m = {
			[M_BT] = { .label = "spawn -> guest 1st instruction (boot-timer write)",
				   .unit = UNIT_MS },
			[M_READY] = { .label = "spawn -> \"PROBE ready\"", .unit = UNIT_MS,
				      .in_summary = true },
			[M_CPU_READY] = { .label = "CPU of the spawned process until \"PROBE ready\"",
					  .unit = UNIT_MS, .in_summary = true },
			[M_PSS] = { .label = "overhead: PSS - guest RAM (core + blk + rng)",
				    .unit = UNIT_MIB, .in_summary = true,
				    .target = "<= 5 MiB VMM overhead", .target_max = 5 },
			[M_USS] = { .label = "overhead: USS - guest RAM (core + blk + rng)",
				    .unit = UNIT_MIB },
		},
	};
	char err[256];

	columns_reset(cfg);
	column_add(cfg, "cellvm", VMM_CELLVM);
	column_add(cfg, "cellvm+jailer", VMM_CELLVM);
	check_columns(cfg, &j);
	report_section_header(cfg, "jail", "the same VM (probe=serial, blk + rng) started "
			      "directly and through cellvm-jailer", cfg->runs);
	if (!column_available(cfg, COL_JAILED)) {
		printf("   the jailer is not available: section skipped\n");
		res->skipped = true;
		return 0;
	}
	if (workdir_image(cfg, "jail-disk.img", DISK_MIB, j.disk, sizeof(j.disk), err,
			  sizeof(err)) < 0 ||
	    workdir_path(cfg, j.base, sizeof(j.base), "jails") < 0 || mkdirs(j.base) < 0) {
		printf("   NOT RUN: %s\n", err[0] ? err : "cannot create the jail base directory");
		return -1;
	}
	printf("   jailed: uid %u, gid %u, jails under %s, no cgroup settings, no --new-pid-ns;\n"
	       "   kernel hard-linked and a %u MiB disk copied into the jail root before the "
	       "clock starts;\n   memory sampled %u ms after \"PROBE serial waiting\"\n",
	       cfg->jail_uid, cfg->jail_gid, j.base, DISK_MIB, cfg->settle_ms);
	printf("   commands:\n");
	for (unsigned int c = 0; c < cfg->ncols; c++) {
		struct argv_buf a;
		build_argv(cfg, &j, c, "bench-PID-N", &a);
		argv_print(cfg->col[c].name, &a);
	}
	struct run_hooks h = { .on_line = on_line, .record = record, .before = before,
			       .argv = hook_argv, .prepare = prepare, .finish = finish };
	run_interleaved(cfg, &h, &j, res);
	for (int i = 0; i < M_COUNT; i++) {
		report_metric(cfg, &j.m[i]);
		metric_free(&j.m[i]);
	}
	if (!bench_interrupted)
		seccomp_cost_report(SECCOMP_ITERS);
	return 0;
}
