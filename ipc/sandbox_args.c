/* The two sandbox options every device program accepts. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

int sandbox_parse_args(int *argc, char **argv, struct sandbox_opts *o, const char *prog)
{
	int out = 1;

	o->namespaces = false;
	o->seccomp = POLICY_MODE_KILL;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			/* Everything after "--" belongs to the program. */
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (strcmp(a, "--sandbox") == 0) {
			o->namespaces = true;
		} else if (strncmp(a, "--seccomp=", 10) == 0) {
			if (policy_mode_parse(a + 10, &o->seccomp) < 0) {
				fprintf(stderr, "%s: --seccomp takes kill, log or off, not '%s'\n", prog,
					a + 10);
				return -EINVAL;
			}
		} else {
			argv[out++] = argv[i];
		}
	}
	argv[out] = NULL;
	*argc = out;
	return 0;
}
