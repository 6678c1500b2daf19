/* Syscalls every kind needs just to run C code with glibc: no kind's
 * table repeats these. */
#include <signal.h>
#include <sys/mman.h>

#include "rules.h"

static const struct policy_rule base[] = {
	/* malloc and free: arenas and big chunks are mappings; never
	 * executable ones, so injected code cannot be made runnable. */
	ALLOW_IF(mmap, ARG_BITS_CLEAR(2, PROT_EXEC)),
	ALLOW_IF(mprotect, ARG_BITS_CLEAR(2, PROT_EXEC)), /* malloc grows non-main arenas */
	ALLOW(munmap),
	ALLOW(brk),                                       /* the main arena */
	ALLOW_IF(mremap, ARG_EQ(3, MREMAP_MAYMOVE)),      /* realloc of mapped chunks */
	/* free() returning memory, and glibc releasing a thread's stack. */
	ALLOW_IF(madvise, ARG_EQ(2, MADV_DONTNEED)),
	ALLOW(futex),          /* pthread mutexes, stdio locks, joins */
	ALLOW(write),          /* logs to stderr; eventfd signals */
	ALLOW(close),
	ALLOW(rt_sigreturn),   /* return from any signal handler */
	ALLOW(restart_syscall),/* a syscall interrupted by a stop/continue */
	ALLOW(rt_sigprocmask), /* glibc masks signals around abort() and thread exit */
	/* Fallbacks of the vDSO clocks (log timestamps, deadlines). */
	ALLOW(clock_gettime),
	ALLOW(gettimeofday),
	/* abort(): raise(SIGABRT) is tgkill(getpid(), gettid(), SIGABRT), so a
	 * failed assertion still ends with SIGABRT and not SIGSYS. */
	ALLOW(getpid),
	ALLOW(gettid),
	ALLOW_IF(tgkill, ARG_EQ(2, SIGABRT)),
	ALLOW(exit),           /* a thread ends */
	ALLOW(exit_group),     /* the process ends */
};

const struct policy_table policy_base = POLICY_TABLE(base);
