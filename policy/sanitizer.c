/* Test builds run under ASan, UBSan and LSan. Their runtimes make
 * syscalls of their own when they report an error or, at exit, look for
 * leaks; without these a sanitizer finding would show up as SIGSYS
 * instead of a report. Release builds have none of this. */
#include <sys/prctl.h>

#include "rules.h"

#ifdef CELLVM_TEST_BUILD
static const struct policy_rule sanitizer[] = {
	ALLOW(sched_yield),    /* runtime spin locks */
	ALLOW(rt_sigaction),   /* the report path resets handlers before dying */
	ALLOW(sigaltstack),
	ALLOW(readlink),       /* the report names the binary (/proc/self/exe) */
	ALLOW(open),           /* /proc/self/maps for module names (raw open(2) in the */
	ALLOW(openat),         /* runtime); ENOENT inside a device's empty root */
	ALLOW(read),
	ALLOW(pread64),
	ALLOW(fstat),
	ALLOW(newfstatat),
	ALLOW(lseek),
	ALLOW(getdents),       /* LSan lists /proc/self/task */
	ALLOW(getdents64),
	ALLOW(getppid),
	ALLOW(madvise),        /* the allocator's own advice (DONTDUMP, NOHUGEPAGE, ...) */
	/* LSan stops the world: a tracer task in our address space
	 * ptrace-attaches every thread, then waits for it. */
	ALLOW(clone),
	ALLOW(ptrace),
	ALLOW(wait4),
	ALLOW(prctl),
	ALLOW(tgkill),
	ALLOW(kill),
	ALLOW(sched_getaffinity),
	ALLOW(getrlimit),
	ALLOW(prlimit64),
	ALLOW(uname),
};
const struct policy_table policy_sanitizer = POLICY_TABLE(sanitizer);
#else
const struct policy_table policy_sanitizer = { .rules = NULL, .n = 0 };
#endif
