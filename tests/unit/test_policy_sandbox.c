/* ipc/sandbox: the device side. sandbox_enter runs for real in a child
 * placed in fresh namespaces the way dev_spawn places device programs. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

Test(policy_sandbox, args_are_taken_out)
{
	char *argv[] = { "cellvm-rng", "--sandbox", "--fd", "3", "--seccomp=log", "-v", NULL };
	int argc = 6;
	struct sandbox_opts o;

	cr_assert_eq(sandbox_parse_args(&argc, argv, &o, "t"), 0);
	cr_assert_eq(argc, 4);
	cr_assert_str_eq(argv[1], "--fd");
	cr_assert_str_eq(argv[2], "3");
	cr_assert_str_eq(argv[3], "-v");
	cr_assert_null(argv[4]);
	cr_assert(o.namespaces);
	cr_assert_eq(o.seccomp, POLICY_MODE_LOG);
}

Test(policy_sandbox, defaults_and_double_dash)
{
	char *argv[] = { "p", "--", "--sandbox", NULL };
	int argc = 3;
	struct sandbox_opts o;

	cr_assert_eq(sandbox_parse_args(&argc, argv, &o, "t"), 0);
	cr_assert_eq(argc, 3);
	cr_assert(!o.namespaces);
	cr_assert_eq(o.seccomp, POLICY_MODE_KILL);
}

Test(policy_sandbox, bad_seccomp_mode_is_refused)
{
	char *argv[] = { "p", "--seccomp=trap", NULL };
	int argc = 2;
	struct sandbox_opts o;

	cr_assert_eq(sandbox_parse_args(&argc, argv, &o, "t"), -EINVAL);
}

Test(policy_sandbox, without_namespaces_it_refuses_to_pretend)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct sandbox_opts o = { .namespaces = true, .seccomp = POLICY_MODE_KILL };
		struct sandbox_limits lim = { 0 };
		/* Not PID 1 of a fresh namespace: --sandbox must fail. */
		_exit(sandbox_enter(&o, POLICY_DEV_RNG, &lim, "t") == -EPERM ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok ? 0 : -1;
}

/* PID 1 of fresh namespaces, as dev_spawn leaves a device program. */
static int in_sandbox(int keep)
{
	struct sandbox_opts o = { .namespaces = true, .seccomp = POLICY_MODE_KILL };
	struct sandbox_limits lim = { .keep_fds = &keep, .n_keep = 1 };
	struct rlimit rl;
	int other = open("/dev/null", O_RDONLY); /* not kept: must be closed */

	if (other < 0 || sandbox_enter(&o, POLICY_DEV_RNG, &lim, "t") < 0)
		return 10;
	if (write(keep, "k", 1) != 1)
		return 11;
	if (write(other, "o", 1) != -1 || errno != EBADF)
		return 12;
	/* The root is an empty tmpfs nobody may even search; host paths are
	 * gone (test builds allow open() for the sanitizers; the release
	 * filter kills it outright). */
	if (open("/etc/passwd", O_RDONLY | O_CLOEXEC) != -1 || (errno != EACCES && errno != ENOENT))
		return 13;
	if (open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC) != -1 || errno != EACCES)
		return 14;
	if (getrlimit(RLIMIT_NPROC, &rl) < 0 || rl.rlim_max != 1)
		return 15;
	if (getrlimit(RLIMIT_CORE, &rl) < 0 || rl.rlim_max != 0)
		return 16;
	return 0;
}

Test(policy_sandbox, enter_closes_fds_empties_the_root_and_limits)
{
	int pfd[2];
	cr_assert_eq(pipe(pfd), 0);
	pid_t pid = fork();
	if (pid == 0) {
		char map[32], gmap[32];
		/* Our ids as the parent namespace sees them: inside, before the
		 * maps exist, they read as the overflow ids. */
		snprintf(map, sizeof(map), "0 %d 1\n", (int)geteuid());
		snprintf(gmap, sizeof(gmap), "0 %d 1\n", (int)getegid());
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) < 0)
			_exit(20);
		if (write_file("/proc/self/setgroups", "deny") < 0 ||
		    write_file("/proc/self/uid_map", map) < 0)
			_exit(21);
		if (write_file("/proc/self/gid_map", gmap) < 0)
			_exit(22);
		pid_t inner = fork();
		if (inner == 0)
			_exit(in_sandbox(pfd[1]));
		int st;
		if (inner < 0 || waitpid(inner, &st, 0) != inner)
			_exit(23);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st));
	}
	close(pfd[1]);
	int status;
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d",
		  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	char c = 0;
	cr_assert_eq(read(pfd[0], &c, 1), 1);
	cr_assert_eq(c, 'k');
	close(pfd[0]);
}
