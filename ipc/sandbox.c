/* sandbox_enter(): see sandbox.h for the steps and why they come in this
 * order (fds and rlimits first, while nothing is locked yet; the root
 * before the capabilities it needs are gone; seccomp last). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sandbox.h"
#include "sandbox_internal.h"

#if defined(CELLVM_TEST_BUILD) && defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

/* Most fds a program may ask to keep. */
#define SANDBOX_MAX_KEEP 128

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Closes every fd above 2 that is not in keep. */
static int sandbox_close_fds(const int *keep, unsigned int n)
{
	int sorted[SANDBOX_MAX_KEEP];
	unsigned int from = 3;

	if (n > SANDBOX_MAX_KEEP)
		return -EINVAL;
	memcpy(sorted, keep, n * sizeof(int));
	qsort(sorted, n, sizeof(int), cmp_int);
	for (unsigned int i = 0; i < n; i++) {
		if (sorted[i] < (int)from)
			continue;
		if ((unsigned int)sorted[i] > from && close_range(from, (unsigned int)sorted[i] - 1, 0) < 0)
			return -errno;
		from = (unsigned int)sorted[i] + 1;
	}
	return close_range(from, ~0U, 0) < 0 ? -errno : 0;
}

static int set_limit(int resource, uint64_t value)
{
	struct rlimit rl = { .rlim_cur = value, .rlim_max = value };

	return setrlimit(resource, &rl) < 0 ? -errno : 0;
}

/* No RLIMIT_AS: the device maps all of guest RAM (up to 1 TiB) through
 * the memory table, and sanitizer builds reserve terabytes of shadow; its
 * memory is bounded by the cgroup the jailer puts the VM in instead. */
static int sandbox_limits(const struct sandbox_limits *lim)
{
	int ret;

	if ((ret = set_limit(RLIMIT_CORE, 0)) < 0 ||       /* a dump would hold guest memory */
	    (ret = set_limit(RLIMIT_MEMLOCK, 0)) < 0 ||    /* nothing to pin */
	    (ret = set_limit(RLIMIT_MSGQUEUE, 0)) < 0 ||
	    (ret = set_limit(RLIMIT_NOFILE, lim->max_fds ? lim->max_fds : SANDBOX_DEFAULT_FDS)) < 0 ||
	    (ret = set_limit(RLIMIT_FSIZE, lim->max_file_bytes)) < 0 ||
	    (ret = set_limit(RLIMIT_NPROC, lim->max_tasks ? lim->max_tasks : 1)) < 0)
		return ret;
	return 0;
}

/* The core hands us fresh namespaces with us as their uid 0; anything
 * else means the program was not started by cellvm. */
static bool sandbox_namespaces_ready(void)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t c = cap_get_proc();

	if (c) {
		cap_get_flag(c, CAP_SYS_ADMIN, CAP_EFFECTIVE, &v);
		cap_free(c);
	}
	return getpid() == 1 && v == CAP_SET;
}

#ifdef CELLVM_TEST_BUILD
/* CELLVM_TEST_OPEN=PATH: shows what opening a host path gives inside
 * the new root, before seccomp would kill the attempt. */
static void sandbox_test_open(const char *prog)
{
	const char *path = getenv("CELLVM_TEST_OPEN");

	if (!path)
		return;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	fprintf(stderr, "%s: sandbox test: open(%s): %s\n", prog, path,
		fd >= 0 ? "opened" : strerror(errno));
	if (fd >= 0)
		close(fd);
}
#endif

int sandbox_enter(const struct sandbox_opts *o, enum policy_kind kind,
		  const struct sandbox_limits *lim, const char *prog)
{
	const char *step;
	int ret = 0;

	if (o->namespaces) {
		step = "namespaces";
		if (!sandbox_namespaces_ready()) {
			ret = -EPERM;
			fprintf(stderr, "%s: --sandbox: not started by cellvm in fresh namespaces\n",
				prog);
			return ret;
		}
		step = "closing fds";
		if ((ret = sandbox_close_fds(lim->keep_fds, lim->n_keep)) < 0)
			goto fail;
#if defined(CELLVM_TEST_BUILD) && defined(__SANITIZE_ADDRESS__)
		/* LeakSanitizer reads /proc/PID/task, which the new root lacks,
		 * and the inherited /proc shows for another PID namespace: test
		 * builds check for leaks here, with a /proc of our own. */
		if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
			ret = -errno;
			step = "test build: mounting /proc for LeakSanitizer";
			goto fail;
		}
		__lsan_do_leak_check(); /* before RLIMIT_NPROC: its tracer is a task too */
#endif
		step = "rlimits";
		if ((ret = sandbox_limits(lim)) < 0)
			goto fail;
		step = "empty root";
		if ((ret = sandbox_empty_root()) < 0)
			goto fail;
#ifdef CELLVM_TEST_BUILD
		sandbox_test_open(prog);
#endif
	}
	step = "dumpable";
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		ret = -errno;
		goto fail;
	}
	step = "capabilities";
	if ((ret = policy_drop_caps()) < 0)
		goto fail;
	step = "seccomp";
	policy_set_mode(o->seccomp);
	if ((ret = policy_apply(kind)) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "%s: cannot enter the sandbox (%s): %s\n", prog, step, strerror(-ret));
	return ret;
}
