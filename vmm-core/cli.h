/* Command line of `cellvm`: parsed into a config, validated, no side
 * effects, so it can be unit-tested with hostile arguments. */
#ifndef CELLVM_CLI_H
#define CELLVM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum serial_mode { SERIAL_STDIO, SERIAL_FILE, SERIAL_NONE };

enum cli_action { CLI_RUN, CLI_HELP, CLI_VERSION };

struct vm_config {
	enum cli_action action;
	const char *kernel;
	const char *initrd;
	const char *cmdline;     /* NULL: the default command line */
	uint64_t mem_mib;
	unsigned int cpus;
	enum serial_mode serial;
	const char *serial_path; /* for SERIAL_FILE, points into argv */
	bool boot_timer;
	bool verbose;
};

#define CLI_DEFAULT_CMDLINE "console=ttyS0 reboot=k panic=1 pci=off"
#define CLI_DEFAULT_MEM_MIB 128
#define CLI_MIN_MEM_MIB     16
#define CLI_MAX_MEM_MIB     (1024ULL * 1024) /* 1 TiB */

/* Returns 0, or -EINVAL after writing a one-line reason into err. */
int cli_parse(int argc, char **argv, struct vm_config *cfg, char *err, size_t errlen);
const char *cli_usage(void);

#endif
