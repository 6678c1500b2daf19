/* CPU time of a process, split into its main thread, its vCPU threads and
 * the rest. The total is the kernel's process CPU clock, which also counts
 * threads that ended (io_uring workers, QEMU's thread pool); the split uses
 * /proc/PID/task/TID/schedstat (ns on CPU) of the live threads, the same
 * clock per thread, whose second field (time spent runnable but waiting
 * for a CPU) tells whether a vCPU was disturbed. vCPU threads are found by
 * name: cellvm names them "cellvm-vcpuN", QEMU "CPU N/KVM" (with
 * debug-threads=on). Also: pinning a process's threads to CPUs. */
#include "bench.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t cpu_process_ns(pid_t pid)
{
	clockid_t clk;
	struct timespec ts;

	if (clock_getcpuclockid(pid, &clk) != 0 || clock_gettime(clk, &ts) < 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool is_vcpu(const char *comm)
{
	unsigned int n;
	char tail[8];

	if (strncmp(comm, "cellvm-vcpu", 11) == 0)
		return true;
	return sscanf(comm, "CPU %u/%7s", &n, tail) == 2 && strcmp(tail, "KVM") == 0;
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int cpu_sample(pid_t pid, struct cpu_sample *out)
{
	char path[96], buf[128];
	struct dirent *e;
	DIR *d;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return -errno;
	while ((e = readdir(d))) {
		char comm[64];
		unsigned long long ns, wait;
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/comm", (int)pid, e->d_name);
		if (read_line(path, comm, sizeof(comm)) < 0)
			continue; /* it just ended */
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/schedstat", (int)pid, e->d_name);
		/* "on-CPU ns, runqueue-wait ns, timeslices" */
		if (read_line(path, buf, sizeof(buf)) < 0 || sscanf(buf, "%llu %llu", &ns, &wait) != 2)
			continue;
		out->threads++;
		if ((pid_t)strtol(e->d_name, NULL, 10) == pid) {
			out->main_ns = (int64_t)ns;
		} else if (is_vcpu(comm)) {
			out->vcpu_ns += (int64_t)ns;
			out->vcpu_wait_ns += (int64_t)wait;
			out->vcpus++;
		}
	}
	closedir(d);
	/* Read last: thread times only grow, so the total covers what was read
	 * above, give or take the tick by which a running thread's time lags. */
	out->total_ns = cpu_process_ns(pid);
	return out->total_ns < 0 ? -ESRCH : 0;
}

/* Pins every thread of pid: vCPU threads (by name) to vcpu_cpu, the rest
 * to other_cpu (other_cpu for all when vcpu_cpu < 0). Threads created
 * later (io_uring workers) inherit their creator's mask. */
int cpu_pin(pid_t pid, int vcpu_cpu, int other_cpu)
{
	char path[96], comm[64];
	struct dirent *e;
	DIR *d;
	int ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return -errno;
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/comm", (int)pid, e->d_name);
		if (read_line(path, comm, sizeof(comm)) < 0)
			continue;
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(vcpu_cpu >= 0 && is_vcpu(comm) ? vcpu_cpu : other_cpu, &set);
		if (sched_setaffinity((pid_t)strtol(e->d_name, NULL, 10), sizeof(set), &set) < 0 &&
		    errno != ESRCH)
			ret = -errno;
	}
	closedir(d);
	return ret;
}
