/* Installing a kind's filter on the calling thread. */
#include <errno.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy_bpf.h"

#ifdef CELLVM_TEST_BUILD
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#endif

/* Written once by main before any thread starts, read-only afterwards. */
static enum policy_mode policy_mode = POLICY_MODE_KILL;

void policy_set_mode(enum policy_mode mode)
{
	policy_mode = mode;
}

enum policy_mode policy_get_mode(void)
{
	return policy_mode;
}

#ifdef CELLVM_TEST_BUILD
/* A syscall no kind allows: a test sees SIGSYS, never a side effect (in
 * log mode the socket is created and closed again). */
static void test_forbidden_syscall(void)
{
	long fd = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	if (fd >= 0)
		close((int)fd);
}

static void test_alarm(int sig)
{
	(void)sig;
	test_forbidden_syscall();
}

/* CELLVM_TEST_SYSCALL=KIND[@MS]: returns the delay in ms, 0 for "now",
 * -1 when the variable does not name this kind. */
static long test_hook_delay(enum policy_kind kind)
{
	const char *v = getenv("CELLVM_TEST_SYSCALL");
	const char *name = policy_kind_name(kind);
	size_t n = strlen(name);

	if (!v || strncmp(v, name, n) != 0)
		return -1;
	if (v[n] == '\0')
		return 0;
	if (v[n] != '@')
		return -1;
	return strtol(v + n + 1, NULL, 10);
}

/* Armed before the filter goes in: setitimer and sigaction are not in
 * every table. */
static void test_hook_arm(long delay_ms)
{
	struct itimerval it = { .it_value = { .tv_sec = delay_ms / 1000,
					      .tv_usec = (delay_ms % 1000) * 1000 } };
	struct sigaction sa = { .sa_handler = test_alarm };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}
#endif

int policy_apply(enum policy_kind kind)
{
	if ((unsigned int)kind >= POLICY_KIND_COUNT)
		return -EINVAL;
	/* no_new_privs holds in every mode: nothing may gain privileges
	 * through execve later, filter or not. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (policy_mode == POLICY_MODE_OFF)
		return 0;
#ifdef CELLVM_TEST_BUILD
	long delay = test_hook_delay(kind);
	if (delay > 0)
		test_hook_arm(delay);
#endif
	const struct policy_bpf *b = &policy_bpf[kind][policy_mode];
	struct sock_fprog prog = { .len = b->len, .filter = (struct sock_filter *)b->insns };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return -errno;
#ifdef CELLVM_TEST_BUILD
	if (delay == 0)
		test_forbidden_syscall();
#endif
	return 0;
}
