/* CPU time and memory of a process, from getrusage (the core) and
 * /proc/PID/stat and /proc/PID/smaps_rollup (device processes, which are
 * the core's children, so it may read them). The parsers take text so
 * they can be tested without a process. */
#ifndef CELLVM_PROC_STATS_H
#define CELLVM_PROC_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_usage {
	pid_t pid;
	uint64_t cpu_user_us;
	uint64_t cpu_sys_us;
	uint64_t rss_kib;
	uint64_t pss_kib;
};

/* pid 0 means this process. 0 or -errno (-ESRCH: it has gone). */
int proc_usage_read(pid_t pid, struct proc_usage *u);

/* utime and stime (fields 14 and 15, in clock ticks) of a /proc/PID/stat
 * line; the command name in parentheses may hold spaces and ')'. */
int proc_parse_stat(const char *text, uint64_t *utime, uint64_t *stime);
/* "Rss:" and "Pss:" of /proc/PID/smaps_rollup, in KiB. */
int proc_parse_smaps_rollup(const char *text, uint64_t *rss_kib, uint64_t *pss_kib);

#endif
