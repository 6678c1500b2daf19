/* cellvm-jailer: starts cellvm in a jail, the way Firecracker's jailer
 * starts Firecracker (same flags), or removes a jail (--cleanup). Runs as
 * root; what it execs never has a capability. */
#include "jail_args.h"
#include "jail_cleanup.h"
#include "jail_launch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_JAIL_USAGE 2

int main(int argc, char **argv)
{
	struct jail_cfg cfg;
	char err[1024];

	if (jail_args_parse(argc, argv, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "cellvm-jailer: %s\n%s", err, jail_usage());
		return EXIT_JAIL_USAGE;
	}
	if (cfg.help) {
		fputs(jail_usage(), stdout);
		return 0;
	}
	/* Nothing of the caller's may reach the VM: no fd beyond stdio, no
	 * environment variable. */
	if (close_range(3, ~0U, 0) < 0 || clearenv() != 0) {
		perror("cellvm-jailer: cleaning the inherited state");
		return 1;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "cellvm-jailer: must run as root\n");
		return 1;
	}
	err[0] = '\0';
	if (cfg.cleanup) {
		if (jail_cleanup(&cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "cellvm-jailer: --cleanup: %s\n", err);
			return 1;
		}
		return 0;
	}
	jail_launch(&cfg, err, sizeof(err));
	fprintf(stderr, "cellvm-jailer: %s\n", err[0] ? err : "launch failed");
	return 1;
}
