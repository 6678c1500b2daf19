/* VMM memory, counted as Firecracker's memory-overhead test does: all of
 * the VMM process's memory except its guest-RAM mapping(s). Totals come
 * from /proc/PID/smaps_rollup, the guest-RAM part from the /proc/PID/smaps
 * entries of the memfd that backs guest RAM ("/memfd:NAME (deleted)").
 * The VMM's descendants (device processes) are included: they belong to
 * the VMM's overhead, and whatever guest RAM they map is subtracted too. */
#include "bench.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TREE 64

static long kv_kb(const char *line, const char *key)
{
	size_t n = strlen(key);
	if (strncmp(line, key, n) != 0 || line[n] != ':')
		return -1;
	return strtol(line + n + 1, NULL, 10);
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "re")))
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* comm may contain spaces and parens */
	int ppid;
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

/* root first, then every descendant (by scanning /proc: this kernel may
 * lack /proc/PID/task/TID/children). */
size_t process_tree(pid_t root, pid_t *out, size_t max)
{
	pid_t pids[4096], ppids[4096];
	size_t npids = 0, n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;

	out[n++] = root;
	if (!d)
		return n;
	while ((e = readdir(d)) && npids < 4096) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid_t pid = (pid_t)atoi(e->d_name);
		pid_t pp = parent_of(pid);
		if (pp > 0) {
			pids[npids] = pid;
			ppids[npids++] = pp;
		}
	}
	closedir(d);
	for (size_t i = 0; i < n && n < max; i++)
		for (size_t j = 0; j < npids && n < max; j++)
			if (ppids[j] == out[i])
				out[n++] = pids[j];
	return n;
}

static bool is_guest_ram(const char *header, const char *const *names)
{
	int off = -1;

	/* "7f67a3200000-7f67ab200000 rw-s 00000000 00:01 2277   /memfd:NAME (deleted)" */
	sscanf(header, "%*x-%*x %*s %*x %*x:%*x %*u %n", &off);
	if (off < 0)
		return false;
	const char *path = header + off;
	while (*path == ' ')
		path++;
	if (strncmp(path, "/memfd:", 7) != 0)
		return false;
	path += 7;
	for (size_t i = 0; names[i]; i++) {
		size_t n = strlen(names[i]);
		if (strncmp(path, names[i], n) == 0 &&
		    (path[n] == '\0' || path[n] == '\n' || strcmp(path + n, " (deleted)\n") == 0 ||
		     strcmp(path + n, " (deleted)") == 0))
			return true;
	}
	return false;
}

static int read_smaps_guest(pid_t pid, const char *const *names, struct mem_sample *m)
{
	char path[64], line[1024];
	bool in_guest = false;
	long priv = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	if (!(f = fopen(path, "re")))
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		long v;
		if (isxdigit((unsigned char)line[0]) && !isupper((unsigned char)line[0])) {
			if (in_guest)
				m->guest_uss += priv;
			in_guest = is_guest_ram(line, names);
			priv = 0;
			if (in_guest)
				m->guest_maps++;
			continue;
		}
		if (!in_guest)
			continue;
		if ((v = kv_kb(line, "Rss")) >= 0)
			m->guest_rss += v;
		else if ((v = kv_kb(line, "Pss")) >= 0)
			m->guest_pss += v;
		else if ((v = kv_kb(line, "Private_Clean")) >= 0 ||
			 (v = kv_kb(line, "Private_Dirty")) >= 0)
			priv += v;
	}
	if (in_guest)
		m->guest_uss += priv;
	fclose(f);
	return 0;
}

static int read_rollup(pid_t pid, struct mem_sample *m)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	if (!(f = fopen(path, "re")))
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		long v;
		if ((v = kv_kb(line, "Rss")) >= 0)
			m->rss += v;
		else if ((v = kv_kb(line, "Pss")) >= 0)
			m->pss += v;
		else if ((v = kv_kb(line, "Pss_Anon")) >= 0)
			m->pss_anon += v;
		else if ((v = kv_kb(line, "Pss_File")) >= 0)
			m->pss_file += v;
		else if ((v = kv_kb(line, "Private_Clean")) >= 0 ||
			 (v = kv_kb(line, "Private_Dirty")) >= 0)
			m->uss += v;
	}
	fclose(f);
	return 0;
}

static void read_status(pid_t pid, struct mem_sample *m)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return;
	while (fgets(line, sizeof(line), f)) {
		long v;
		if ((v = kv_kb(line, "VmHWM")) >= 0)
			m->hwm += v;
		else if ((v = kv_kb(line, "Threads")) >= 0)
			m->nthreads += (unsigned int)v;
	}
	fclose(f);
}

/* Sum of the first schedstat field (ns on CPU) over the live threads. */
static void read_cpu(pid_t pid, struct mem_sample *m)
{
	char path[64], file[128];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(file, sizeof(file), "%s/%.16s/schedstat", path, e->d_name);
		FILE *f = fopen(file, "re");
		unsigned long long ns;
		if (!f)
			continue;
		if (fscanf(f, "%llu", &ns) == 1)
			m->cpu_ns += (int64_t)ns;
		fclose(f);
	}
	closedir(d);
}

int mem_sample_tree(pid_t root, const char *const *ram_memfds, struct mem_sample *out,
		    char *err, size_t errlen)
{
	pid_t tree[MAX_TREE];
	size_t n = process_tree(root, tree, MAX_TREE);
	int ret;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		if ((ret = read_rollup(tree[i], out)) < 0 ||
		    (ret = read_smaps_guest(tree[i], ram_memfds, out)) < 0) {
			if (i == 0) {
				snprintf(err, errlen, "cannot read /proc/%d/smaps*: %s", (int)tree[i],
					 strerror(-ret));
				return ret;
			}
			continue; /* a descendant that just went away */
		}
		read_status(tree[i], out);
		read_cpu(tree[i], out);
		out->nproc++;
	}
	if (out->guest_maps == 0) {
		snprintf(err, errlen, "no guest-RAM memfd mapping (/memfd:%s) in /proc/%d/smaps",
			 ram_memfds[0], (int)root);
		return -ENOENT;
	}
	return 0;
}
