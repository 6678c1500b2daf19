/* Installing the filters for real, each in a child process: what a kind
 * allows goes through, anything else kills with SIGSYS. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy/policy.h"

enum action { ACT_WRITE, ACT_SOCKET, ACT_IOCTL_KVM_RUN, ACT_IOCTL_KVM_RUN_HIGH, ACT_IOCTL_TCGETS,
	      ACT_MMAP_RW, ACT_MMAP_EXEC, ACT_MPROTECT_EXEC, ACT_WAIT };

/* Runs in the child after the filter is in: raw syscalls only, then
 * _exit(0) if nothing killed us. */
static void act(enum action a, int fd)
{
	switch (a) {
	case ACT_WRITE:
		if (write(fd, "x", 1) != 1)
			_exit(2);
		break;
	case ACT_SOCKET:
		syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
		break;
	case ACT_IOCTL_KVM_RUN:
		syscall(SYS_ioctl, fd, KVM_RUN, 0);
		break;
	case ACT_IOCTL_KVM_RUN_HIGH:
		/* The kernel reads the request as 32 bits: so does the filter. */
		syscall(SYS_ioctl, fd, (1ULL << 32) | KVM_RUN, 0);
		break;
	case ACT_IOCTL_TCGETS:
		syscall(SYS_ioctl, fd, TCGETS, 0);
		break;
	case ACT_MMAP_RW:
	case ACT_MMAP_EXEC: {
		int prot = PROT_READ | (a == ACT_MMAP_EXEC ? PROT_EXEC : PROT_WRITE);
		if (syscall(SYS_mmap, NULL, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == -1)
			_exit(3);
		break;
	}
	case ACT_MPROTECT_EXEC: {
		static char page[4096] __attribute__((aligned(4096)));
		syscall(SYS_mprotect, page, sizeof(page), PROT_READ | PROT_EXEC);
		break;
	}
	case ACT_WAIT:
		syscall(SYS_poll, NULL, 0, 2000);
		break;
	}
	_exit(0);
}

/* Wait status of a child that installs kind in mode, then does a. */
static int run(enum policy_kind kind, enum policy_mode mode, enum action a, const char *hook)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (hook)
			setenv("CELLVM_TEST_SYSCALL", hook, 1);
		policy_set_mode(mode);
		if (policy_apply(kind) < 0)
			_exit(4);
		act(a, fd);
	}
	close(fd);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static bool killed_by_sigsys(int status)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
}

static bool exited_ok(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

Test(policy_apply, every_kind_logs_and_frees_memory)
{
	for (unsigned int k = 0; k < POLICY_KIND_COUNT; k++) {
		cr_expect(exited_ok(run(k, POLICY_MODE_KILL, ACT_WRITE, NULL)), "%s: write",
			  policy_kind_name(k));
		cr_expect(exited_ok(run(k, POLICY_MODE_KILL, ACT_MMAP_RW, NULL)), "%s: mmap rw",
			  policy_kind_name(k));
	}
}

Test(policy_apply, every_kind_kills_a_forbidden_syscall)
{
	for (unsigned int k = 0; k < POLICY_KIND_COUNT; k++)
		cr_expect(killed_by_sigsys(run(k, POLICY_MODE_KILL, ACT_SOCKET, NULL)), "%s: socket",
			  policy_kind_name(k));
}

Test(policy_apply, no_kind_may_map_code)
{
	for (unsigned int k = 0; k < POLICY_KIND_COUNT; k++) {
		cr_expect(killed_by_sigsys(run(k, POLICY_MODE_KILL, ACT_MMAP_EXEC, NULL)),
			  "%s: mmap exec", policy_kind_name(k));
		cr_expect(killed_by_sigsys(run(k, POLICY_MODE_KILL, ACT_MPROTECT_EXEC, NULL)),
			  "%s: mprotect exec", policy_kind_name(k));
	}
}

Test(policy_apply, ioctl_requests_are_checked)
{
	/* KVM_RUN on /dev/null just fails with ENOTTY: the filter let it by. */
	cr_expect(exited_ok(run(POLICY_CORE_VCPU, POLICY_MODE_KILL, ACT_IOCTL_KVM_RUN, NULL)));
	cr_expect(exited_ok(run(POLICY_CORE_VCPU, POLICY_MODE_KILL, ACT_IOCTL_KVM_RUN_HIGH, NULL)));
	cr_expect(killed_by_sigsys(run(POLICY_CORE_VCPU, POLICY_MODE_KILL, ACT_IOCTL_TCGETS, NULL)));
	cr_expect(exited_ok(run(POLICY_CORE_MAIN, POLICY_MODE_KILL, ACT_IOCTL_TCGETS, NULL)));
	cr_expect(killed_by_sigsys(run(POLICY_CORE_MAIN, POLICY_MODE_KILL, ACT_IOCTL_KVM_RUN, NULL)));
	cr_expect(killed_by_sigsys(run(POLICY_CORE_API, POLICY_MODE_KILL, ACT_IOCTL_TCGETS, NULL)));
	for (unsigned int k = POLICY_DEV_BLK; k <= POLICY_DEV_RNG; k++) {
		cr_expect(killed_by_sigsys(run(k, POLICY_MODE_KILL, ACT_IOCTL_KVM_RUN, NULL)));
		cr_expect(killed_by_sigsys(run(k, POLICY_MODE_KILL, ACT_IOCTL_TCGETS, NULL)));
	}
}

Test(policy_apply, log_mode_lets_everything_through)
{
	for (unsigned int k = 0; k < POLICY_KIND_COUNT; k++)
		cr_expect(exited_ok(run(k, POLICY_MODE_LOG, ACT_SOCKET, NULL)), "%s",
			  policy_kind_name(k));
}

static void status_field(const char *name, char *out, size_t len)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	out[0] = '\0';
	if (n <= 0)
		return;
	buf[n] = '\0';
	char *p = strstr(buf, name);
	if (p && sscanf(p + strlen(name), " %63s", out) != 1)
		out[0] = '\0';
	(void)len;
}

Test(policy_apply, off_mode_installs_no_filter_but_sets_no_new_privs)
{
	pid_t pid = fork();
	if (pid == 0) {
		char seccomp[64], nnp[64];
		policy_set_mode(POLICY_MODE_OFF);
		if (policy_apply(POLICY_DEV_RNG) < 0)
			_exit(4);
		status_field("Seccomp:", seccomp, sizeof(seccomp));
		status_field("NoNewPrivs:", nnp, sizeof(nnp));
		_exit(strcmp(seccomp, "0") == 0 && strcmp(nnp, "1") == 0 ? 0 : 5);
	}
	int status;
	waitpid(pid, &status, 0);
	cr_assert(exited_ok(status), "status %#x", status);
}

Test(policy_apply, test_hook_kills_now_or_later)
{
	cr_expect(killed_by_sigsys(run(POLICY_DEV_RNG, POLICY_MODE_KILL, ACT_WRITE, "rng")));
	cr_expect(exited_ok(run(POLICY_DEV_RNG, POLICY_MODE_KILL, ACT_WRITE, "blk")));
	cr_expect(exited_ok(run(POLICY_DEV_RNG, POLICY_MODE_KILL, ACT_WRITE, "rngx")));
	/* @MS: the write goes through, the alarm's syscall kills later. */
	cr_expect(killed_by_sigsys(run(POLICY_DEV_RNG, POLICY_MODE_KILL, ACT_WAIT, "rng@50")));
}

static void *apply_rng(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)policy_apply(POLICY_DEV_RNG);
}

/* Thread kinds differ in the core: a filter binds its own thread only. */
Test(policy_apply, filters_are_per_thread)
{
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t;
		void *ret;
		policy_set_mode(POLICY_MODE_KILL);
		if (pthread_create(&t, NULL, apply_rng, NULL) != 0 || pthread_join(t, &ret) != 0 ||
		    ret != NULL)
			_exit(4);
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		_exit(s >= 0 ? 0 : 5);
	}
	int status;
	waitpid(pid, &status, 0);
	cr_assert(exited_ok(status), "status %#x", status);
}
