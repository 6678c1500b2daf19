/* What the seccomp filters of policy/ cost, measured directly with the
 * policy code cellvm uses (policy_apply() and the BPF generated at build
 * time): for every kind, forked children each time one policy_apply()
 * (no_new_privs + one seccomp(SET_MODE_FILTER) call, the kernel checking
 * and JIT-compiling the program) and a run of getpid() calls, which every
 * table allows, before and after it: the filter runs on every syscall. */
#include "bench.h"
#include "policy/policy_bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SYSCALLS 20000

struct child_result {
	int ret;                /* policy_apply()'s */
	int64_t install_ns;
	double base_ns, filtered_ns; /* per getpid() */
};

static double getpid_ns(void)
{
	int64_t t0 = mono_ns();
	for (int i = 0; i < SYSCALLS; i++)
		syscall(SYS_getpid);
	return (double)(mono_ns() - t0) / SYSCALLS;
}

/* In the forked child: never returns. */
static void measure(enum policy_kind kind, int fd)
{
	struct child_result r;

	getpid_ns(); /* warm the path up */
	r.base_ns = getpid_ns();
	int64_t t0 = mono_ns();
	r.ret = policy_apply(kind);
	r.install_ns = mono_ns() - t0;
	r.filtered_ns = getpid_ns();
	_exit(write(fd, &r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 1);
}

static int one(enum policy_kind kind, struct child_result *r, char *why, size_t len)
{
	int p[2], st = 0;

	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		measure(kind, p[1]);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		snprintf(why, len, "fork: %s", strerror(errno));
		return -1;
	}
	ssize_t n = read(p[0], r, sizeof(*r));
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(*r) || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(why, len, "the child %s", WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS
			 ? "was killed by its filter (SIGSYS)" : "failed");
		return -1;
	}
	if (r->ret < 0) {
		snprintf(why, len, "policy_apply: %s", strerror(-r->ret));
		return -1;
	}
	return 0;
}

static void jit_state(char *out, size_t len)
{
	FILE *f = fopen("/proc/sys/net/core/bpf_jit_enable", "re");
	int v = -1;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	snprintf(out, len, "%s", v < 0 ? "unknown" : v ? "on" : "off");
}

void seccomp_cost_report(unsigned int iterations)
{
	char jit[16];
	double total_us = 0;
	bool all = true;

	jit_state(jit, sizeof(jit));
	printf("   seccomp filters (policy/, kill mode): per kind, %u forked children each time one "
	       "policy_apply()\n   and %d getpid() calls before and after it; BPF JIT %s\n\n",
	       iterations, SYSCALLS, jit);
	printf("   %-10s %6s %11s %9s %9s   %21s\n", "kind", "insns", "install us", "p10",
	       "p90", "getpid ns: bare/filtered");
	for (int k = 0; k < POLICY_KIND_COUNT && !bench_interrupted; k++) {
		struct series inst = { 0 }, base = { 0 }, filt = { 0 };
		struct summary si, sb, sf;
		char why[128] = "";
		for (unsigned int i = 0; i < iterations && !bench_interrupted; i++) {
			struct child_result r;
			if (one((enum policy_kind)k, &r, why, sizeof(why)) < 0)
				break;
			series_add(&inst, (double)r.install_ns / 1e3);
			series_add(&base, r.base_ns);
			series_add(&filt, r.filtered_ns);
		}
		const char *name = policy_kind_name((enum policy_kind)k);
		unsigned int insns = policy_bpf[k][POLICY_MODE_KILL].len;
		if (why[0] || !series_summary(&inst, &si)) {
			printf("   %-10s %6u   FAILED: %s\n", name, insns, why[0] ? why : "no run");
			all = false;
		} else {
			series_summary(&base, &sb);
			series_summary(&filt, &sf);
			printf("   %-10s %6u %11.1f %9.1f %9.1f   %10.0f / %-10.0f\n", name, insns,
			       si.median, si.p10, si.p90, sb.median, sf.median);
			total_us += si.median;
		}
		series_free(&inst);
		series_free(&base);
		series_free(&filt);
	}
	if (all)
		printf("\n   a VM with 1 vCPU, blk and rng installs one filter of each kind: %.1f us "
		       "in all (sum of medians)\n", total_us);
}
