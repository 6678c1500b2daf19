#include "vmrun.h"
#include "tests/guest/blk_pattern.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *test_env(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

void vmrun_init(struct vmrun *r)
{
	memset(r, 0, sizeof(*r));
	r->pid = -1;
	r->in_fd = r->out_fd = r->err_fd = -1;
}

int vmrun_start(struct vmrun *r, char *const argv[])
{
	int in[2], out[2], err[2];

	vmrun_init(r);
	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return -errno;
	r->pid = fork();
	if (r->pid < 0)
		return -errno;
	if (r->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	r->in_fd = in[1];
	r->out_fd = out[0];
	r->err_fd = err[0];
	return 0;
}

static void buf_append(char **buf, size_t *len, size_t *cap, const char *d, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = (*cap ? *cap * 2 : 4096);
		while (ncap < *len + n + 1)
			ncap *= 2;
		*buf = realloc(*buf, ncap);
		*cap = ncap;
	}
	memcpy(*buf + *len, d, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* One round of reading; returns false when both pipes are at EOF. */
static bool vmrun_pump(struct vmrun *r, int timeout_ms)
{
	struct pollfd p[2] = { { .fd = r->out_fd, .events = POLLIN }, { .fd = r->err_fd, .events = POLLIN } };
	char buf[4096];

	if (r->out_fd < 0 && r->err_fd < 0)
		return false;
	if (poll(p, 2, timeout_ms) <= 0)
		return true;
	for (int i = 0; i < 2; i++) {
		if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		ssize_t n = read(p[i].fd, buf, sizeof(buf));
		if (n <= 0) {
			close(p[i].fd);
			if (i == 0)
				r->out_fd = -1;
			else
				r->err_fd = -1;
			continue;
		}
		if (i == 0)
			buf_append(&r->out, &r->out_len, &r->out_cap, buf, (size_t)n);
		else
			buf_append(&r->err, &r->err_len, &r->err_cap, buf, (size_t)n);
	}
	return true;
}

bool vmrun_wait_for(struct vmrun *r, const char *needle, int timeout_ms)
{
	long end = now_ms() + timeout_ms;

	for (;;) {
		if (r->out && strstr(r->out, needle))
			return true;
		long left = end - now_ms();
		if (left <= 0 || !vmrun_pump(r, left > 200 ? 200 : (int)left))
			return r->out && strstr(r->out, needle);
	}
}

static int vmrun_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int vmrun_wait_exit(struct vmrun *r, int timeout_ms)
{
	long end = now_ms() + timeout_ms;

	while (!r->exited) {
		pid_t w = waitpid(r->pid, &r->status, WNOHANG);
		if (w == r->pid) {
			r->exited = true;
			break;
		}
		if (now_ms() >= end) {
			kill(r->pid, SIGKILL);
			waitpid(r->pid, &r->status, 0);
			r->exited = true;
			while (vmrun_pump(r, 100))
				;
			return -1;
		}
		if (!vmrun_pump(r, 50))
			usleep(10000);
	}
	while (vmrun_pump(r, 100))
		;
	return vmrun_code(r->status);
}

int vmrun_write(struct vmrun *r, const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = write(r->in_fd, s, len);
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

void vmrun_signal(struct vmrun *r, int sig)
{
	if (!r->exited)
		kill(r->pid, sig);
}

void vmrun_free(struct vmrun *r)
{
	if (!r->exited && r->pid > 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
	}
	if (r->in_fd >= 0)
		close(r->in_fd);
	if (r->out_fd >= 0)
		close(r->out_fd);
	if (r->err_fd >= 0)
		close(r->err_fd);
	free(r->out);
	free(r->err);
	vmrun_init(r);
}

int test_mkdtemp(char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/cellvm-test-XXXXXX", test_env("TMPDIR", "/tmp"));
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return mkdtemp(buf) ? 0 : -errno;
}

static int rmtree_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void test_rmtree(const char *dir)
{
	if (dir && *dir)
		nftw(dir, rmtree_one, 16, FTW_DEPTH | FTW_PHYS);
}

bool test_which(const char *name, char *out, size_t len)
{
	const char *path = test_env("PATH", "/usr/local/bin:/usr/bin:/bin");

	while (*path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);
		int w = snprintf(out, len, "%.*s/%s", (int)n, path, name);
		if (n && w > 0 && (size_t)w < len && access(out, X_OK) == 0)
			return true;
		path += n + (end ? 1 : 0);
	}
	return false;
}

bool test_wait_path(const char *path, int timeout_ms)
{
	long end = now_ms() + timeout_ms;
	struct stat st;

	while (stat(path, &st) < 0) {
		if (now_ms() >= end)
			return false;
		usleep(10000);
	}
	return true;
}

static bool comm_is(pid_t pid, const char *name)
{
	char path[64], comm[64] = "";
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	return !strcmp(comm, name);
}

bool test_death_reported(const char *log, const char *dev, int sig)
{
	char a[96], b[96];

	snprintf(a, sizeof(a), "%s: device process was killed by signal %d", dev, sig);
	snprintf(b, sizeof(b), "%s: device backend process was killed by signal %d", dev, sig);
	return log && (strstr(log, a) || strstr(log, b));
}

unsigned int test_count(const char *hay, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = hay; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

pid_t test_child_named(pid_t parent, const char *name)
{
	char dir[64];
	pid_t found = -1;

	/* Children are listed per thread: the device processes are spawned
	 * from whichever thread of the core started them. */
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)parent);
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	while (found < 0 && (e = readdir(d))) {
		char path[PATH_MAX];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/children", dir, e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		int pid;
		while (found < 0 && fscanf(f, "%d", &pid) == 1)
			if (comm_is(pid, name))
				found = pid;
		fclose(f);
	}
	closedir(d);
	return found;
}

int test_make_image(const char *path, uint64_t bytes)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int r = ftruncate(fd, (off_t)bytes) < 0 ? -errno : 0;
	close(fd);
	return r;
}

uint8_t *test_read_file(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	uint8_t *buf = fstat(fd, &st) == 0 ? malloc((size_t)st.st_size + 1) : NULL;
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0) {
			free(buf);
			buf = NULL;
			if (n == 0)
				errno = EIO;
		} else {
			got += (size_t)n;
		}
	}
	close(fd);
	*len = got;
	return buf;
}

bool test_check_pattern_range(const uint8_t *buf, size_t from, size_t to, uint64_t seed,
			      char *msg, size_t msglen)
{
	for (size_t off = from; off + 8 <= to; off += 8) {
		uint64_t got, want = blk_pattern(off, seed);
		memcpy(&got, buf + off, 8);
		if (got != want) {
			snprintf(msg, msglen,
				 "byte offset %zu (sector %zu) holds 0x%016" PRIx64
				 ", the pattern with seed %" PRIu64 " is 0x%016" PRIx64,
				 off, off / 512, got, seed, want);
			return false;
		}
	}
	return true;
}

bool test_check_pattern(const char *path, uint64_t seed, char *msg, size_t msglen)
{
	size_t len;
	char why[256];
	uint8_t *buf = test_read_file(path, &len);

	if (!buf) {
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		return false;
	}
	bool ok = test_check_pattern_range(buf, 0, len, seed, why, sizeof(why));
	free(buf);
	if (!ok) {
		snprintf(msg, msglen, "%s: %s", path, why);
		return false;
	}
	if (len % 8) {
		snprintf(msg, msglen, "%s: %zu bytes, not whole words", path, len);
		return false;
	}
	return true;
}

bool probe_line_n(const char *text, const char *prefix, int n, char *line, size_t size)
{
	size_t plen = strlen(prefix);

	for (const char *p = text; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len && p[len - 1] == '\r')
			len--;
		if (len >= plen && !strncmp(p, prefix, plen) && n-- == 0) {
			if (len >= size)
				len = size - 1;
			memcpy(line, p, len);
			line[len] = '\0';
			return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

bool probe_line(const char *text, const char *prefix, char *line, size_t size)
{
	return probe_line_n(text, prefix, 0, line, size);
}

bool probe_key_u64(const char *line, const char *key, uint64_t *v)
{
	char pat[64];
	snprintf(pat, sizeof(pat), " %s=", key);
	const char *p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	char *end;
	errno = 0;
	*v = strtoull(p, &end, 0);
	return errno == 0 && end != p && (*end == ' ' || *end == '\0');
}

bool probe_key_str(const char *line, const char *key, char *out, size_t size)
{
	char pat[64];
	snprintf(pat, sizeof(pat), " %s=\"", key);
	const char *p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	const char *q = strchr(p, '"');
	if (!q || (size_t)(q - p) >= size)
		return false;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	return true;
}
