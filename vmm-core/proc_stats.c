#include "proc_stats.h"
#include "text_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int proc_parse_stat(const char *text, uint64_t *utime, uint64_t *stime)
{
	/* The name is the only field that can contain spaces; it ends at the
	 * last ')'. Field 3 (state) follows it. */
	const char *p = strrchr(text, ')');
	unsigned long long u, s;

	if (!p)
		return -EINVAL;
	/* state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
	 * cmajflt utime stime */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &u, &s) != 2)
		return -EINVAL;
	*utime = u;
	*stime = s;
	return 0;
}

int proc_parse_smaps_rollup(const char *text, uint64_t *rss_kib, uint64_t *pss_kib)
{
	bool have_rss = false, have_pss = false;

	const char *line = text;
	while (line && *line) {
		unsigned long long v;
		if (!have_rss && sscanf(line, "Rss: %llu kB", &v) == 1) {
			*rss_kib = v;
			have_rss = true;
		} else if (!have_pss && sscanf(line, "Pss: %llu kB", &v) == 1) {
			*pss_kib = v;
			have_pss = true;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return have_rss && have_pss ? 0 : -EINVAL;
}

/* An empty file means the process is gone (procfs shows it that way). */
static int read_text(const char *path, char *buf, size_t cap)
{
	int n = text_file_read(path, buf, cap);

	if (n < 0)
		return n;
	return n ? 0 : -ESRCH;
}

int proc_usage_read(pid_t pid, struct proc_usage *u)
{
	char path[64], buf[2048];
	int ret;

	memset(u, 0, sizeof(*u));
	u->pid = pid ? pid : getpid();
	if (pid == 0) {
		struct rusage ru;
		if (getrusage(RUSAGE_SELF, &ru) < 0)
			return -errno;
		u->cpu_user_us = (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec;
		u->cpu_sys_us = (uint64_t)ru.ru_stime.tv_sec * 1000000 + (uint64_t)ru.ru_stime.tv_usec;
		snprintf(path, sizeof(path), "/proc/self/smaps_rollup");
	} else {
		uint64_t ut, st;
		long hz = sysconf(_SC_CLK_TCK);
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if ((ret = read_text(path, buf, sizeof(buf))) < 0)
			return ret;
		if ((ret = proc_parse_stat(buf, &ut, &st)) < 0)
			return ret;
		if (hz <= 0)
			hz = 100;
		u->cpu_user_us = ut * 1000000 / (uint64_t)hz;
		u->cpu_sys_us = st * 1000000 / (uint64_t)hz;
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	}
	if ((ret = read_text(path, buf, sizeof(buf))) < 0)
		return ret;
	return proc_parse_smaps_rollup(buf, &u->rss_kib, &u->pss_kib);
}
