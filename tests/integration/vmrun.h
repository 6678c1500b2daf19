/* Runs a VMM process for an integration test: stdin/stdout through pipes,
 * stderr to a log, output captured so the test can wait for a line. */
#ifndef CELLVM_TEST_VMRUN_H
#define CELLVM_TEST_VMRUN_H

#include <stdbool.h>
#include <stddef.h>
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
void vmrun_free(struct vmrun *r);

/* Environment lookups with a default. */
const char *test_env(const char *name, const char *dflt);

#endif
