/* Command line of `cellvm`: parsed into a config, validated, no side
 * effects, so it can be unit-tested with hostile arguments. */
#ifndef CELLVM_CLI_H
#define CELLVM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum serial_mode { SERIAL_STDIO, SERIAL_FILE, SERIAL_NONE };

enum cli_action { CLI_RUN, CLI_HELP, CLI_VERSION };

enum dev_kind {
	DEV_DISK,       /* --disk: cellvm-blk started by the core */
	DEV_RNG,        /* --rng: cellvm-rng started by the core */
	DEV_VHOST_USER, /* --vhost-user: a backend someone else started */
};

#define CLI_MAX_DEVICES 16
#define CLI_PATH_MAX    4096
#define CLI_DISK_ID_MAX 20   /* virtio-blk GET_ID returns at most 20 bytes */

struct dev_spec {
	enum dev_kind kind;
	uint32_t virtio_id;          /* for DEV_VHOST_USER: from its TYPE */
	char path[CLI_PATH_MAX];     /* image file, or the backend's socket */
	char id[CLI_DISK_ID_MAX + 1];
	bool read_only;
};

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
	unsigned int ndevs;
	struct dev_spec devs[CLI_MAX_DEVICES];
};

#define CLI_DEFAULT_CMDLINE "console=ttyS0 reboot=k panic=1 pci=off"
#define CLI_DEFAULT_MEM_MIB 128
#define CLI_MIN_MEM_MIB     16
#define CLI_MAX_MEM_MIB     (1024ULL * 1024) /* 1 TiB */

/* Returns 0, or -EINVAL after writing a one-line reason into err. */
int cli_parse(int argc, char **argv, struct vm_config *cfg, char *err, size_t errlen);
const char *cli_usage(void);

#endif
