/* policy_drop_caps: nothing left in any set, and no way back. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy/policy.h"

static int field_is(const char *status, const char *name, const char *want)
{
	const char *p = strstr(status, name);
	char val[64];

	return p && sscanf(p + strlen(name), " %63s", val) == 1 && strcmp(val, want) == 0;
}

Test(policy_caps, every_set_is_empty_afterwards)
{
	pid_t pid = fork();
	if (pid == 0) {
		char buf[4096];
		if (policy_drop_caps() < 0)
			_exit(2);
		int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		if (n <= 0)
			_exit(3);
		buf[n] = '\0';
		const char *zero = "0000000000000000";
		int ok = field_is(buf, "CapEff:", zero) && field_is(buf, "CapPrm:", zero) &&
			 field_is(buf, "CapInh:", zero) && field_is(buf, "CapAmb:", zero) &&
			 field_is(buf, "NoNewPrivs:", "1");
		/* Run as root, the bounding set goes too. */
		if (geteuid() == 0)
			ok = ok && field_is(buf, "CapBnd:", zero);
		/* And nothing comes back: raising one must fail. */
		cap_t c = cap_get_proc();
		cap_value_t admin = CAP_SYS_ADMIN;
		cap_set_flag(c, CAP_EFFECTIVE, 1, &admin, CAP_SET);
		ok = ok && cap_set_proc(c) < 0;
		cap_free(c);
		_exit(ok ? 0 : 4);
	}
	int status;
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
}
