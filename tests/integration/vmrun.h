/* Runs a VMM process for an integration test: stdin/stdout through pipes,
 * stderr to a log, output captured so the test can wait for a line. */
#ifndef CELLVM_TEST_VMRUN_H
#define CELLVM_TEST_VMRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct vmrun {
	pid_t pid;
	int in_fd;        /* write end of the child's stdin, -1 once closed */
	int out_fd;       /* read end of the child's stdout */
	int err_fd;       /* read end of the child's stderr */
	char *out;        /* everything read from stdout, NUL-terminated */
	size_t out_len, out_cap;
	char *err;        /* everything read from stderr */
	size_t err_len, err_cap;
	int status;       /* wait status once exited */
	bool exited;
};

/* A struct that owns nothing (pid and fds -1): safe to vmrun_free, so a
 * test's cleanup can run whether or not the process was ever started. */
void vmrun_init(struct vmrun *r);
/* argv[0] is a path. Returns 0 or -errno. */
int vmrun_start(struct vmrun *r, char *const argv[]);
/* Reads output until `needle` appears in stdout or timeout_ms passes, or
 * the process exits. True when found. */
bool vmrun_wait_for(struct vmrun *r, const char *needle, int timeout_ms);
/* Waits for exit (reading output) up to timeout_ms; kills it after that.
 * Returns the exit code, 128+signal when killed by one, -1 on timeout. */
int vmrun_wait_exit(struct vmrun *r, int timeout_ms);
int vmrun_write(struct vmrun *r, const char *s);
void vmrun_signal(struct vmrun *r, int sig);
/* Kills a process still running, closes, frees; leaves r as vmrun_init. */
void vmrun_free(struct vmrun *r);

/* Environment lookups with a default. */
const char *test_env(const char *name, const char *dflt);

/* ---- helpers for tests with devices and peers ---- */

/* Creates a fresh directory $TMPDIR/cellvm-test-XXXXXX (TMPDIR default
 * /tmp) into buf. 0 or -errno. */
int test_mkdtemp(char *buf, size_t len);
/* Removes dir and everything below it; quiet about what is already gone. */
void test_rmtree(const char *dir);
/* The first executable called name in $PATH, into out; false if none. */
bool test_which(const char *name, char *out, size_t len);
/* Waits until path exists; false after timeout_ms. */
bool test_wait_path(const char *path, int timeout_ms);
/* A child process of parent (any of its threads' children, from
 * /proc/PID/task/TID/children) whose comm is name; -1 if none. */
pid_t test_child_named(pid_t parent, const char *name);
/* Whether the core's log reports device dev (e.g. "net0") killed by sig:
 * "dev: device process was killed by signal N" when it saw the exit
 * first, "dev: device backend process was killed by signal N; ..." when
 * it saw the hang-up first. */
bool test_death_reported(const char *log, const char *dev, int sig);
/* How many times needle occurs in hay (not overlapping; 0 for NULL hay). */
unsigned int test_count(const char *hay, const char *needle);

/* Disk images. A sparse file of `bytes` bytes: 0 or -errno. */
int test_make_image(const char *path, uint64_t bytes);
/* The whole file (malloc'ed, caller frees) or NULL with errno. */
uint8_t *test_read_file(const char *path, size_t *len);
/* Whether the file holds exactly what the probe's blk scenario writes with
 * seed (tests/guest/blk_pattern.h); if not, why into msg. */
bool test_check_pattern(const char *path, uint64_t seed, char *msg, size_t msglen);
/* The same for bytes [from, to) of buf (from a multiple of 8). */
bool test_check_pattern_range(const uint8_t *buf, size_t from, size_t to, uint64_t seed,
			      char *msg, size_t msglen);

/* Reading "PROBE name ok key=value ..." lines. The first line of text that
 * starts with prefix, without its line end, into line; false if none. */
bool probe_line(const char *text, const char *prefix, char *line, size_t size);
/* The nth (0-based) such line. */
bool probe_line_n(const char *text, const char *prefix, int n, char *line, size_t size);
/* The decimal or 0x-hex number after " key=" in line. */
bool probe_key_u64(const char *line, const char *key, uint64_t *v);
/* The string after " key=\"" up to the closing quote (no unescaping). */
bool probe_key_str(const char *line, const char *key, char *out, size_t size);

#endif
