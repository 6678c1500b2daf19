/* Command line of `cellvm`: parsed into options, validated, no side
 * effects, so it can be unit-tested with hostile arguments.
 *
 *   cellvm run --kernel PATH [machine options] [process options]
 *   cellvm run --config-file FILE [process options]
 *   cellvm --config-file FILE [process options]   (same: boots at once)
 *   cellvm --api-sock PATH [process options]      (waits for the API)
 */
#ifndef CELLVM_CLI_H
#define CELLVM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "policy/policy.h"
#include "vm_config.h"

enum serial_mode { SERIAL_STDIO, SERIAL_FILE, SERIAL_NONE };

enum cli_action {
	CLI_RUN,     /* boot at once: machine from the options or --config-file */
	CLI_SERVE,   /* no machine yet: serve the API and wait for configure + start */
	CLI_HELP,
	CLI_VERSION,
};

#define CLI_ID_MAX 64
#define CLI_DEFAULT_METRICS_INTERVAL_MS 1000

struct cli_opts {
	enum cli_action action;
	struct vm_config vm;      /* the machine, when given as options */
	bool have_vm;             /* vm is filled from the command line */
	const char *config_file;  /* points into argv, like every string here */
	const char *api_sock;
	const char *id;           /* NULL: "anonymous" */
	const char *log_file;
	enum log_level log_level;
	const char *metrics_file;
	unsigned int metrics_interval_ms;
	enum serial_mode serial;
	const char *serial_path;  /* for SERIAL_FILE */
	bool boot_timer;
	enum policy_mode seccomp; /* --seccomp: kill (default), log or off */
};

/* Returns 0, or -EINVAL after writing a one-line reason into err. */
int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen);
const char *cli_usage(void);

#endif
