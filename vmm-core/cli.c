#include "cli.h"
#include "layout.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cli_usage(void)
{
	return "usage: cellvm run --kernel PATH [options]\n"
	       "       cellvm --help | --version\n"
	       "\n"
	       "run options:\n"
	       "  --kernel PATH        Linux bzImage or ELF vmlinux (PVH entry when present)\n"
	       "  --initrd PATH        initial ramdisk\n"
	       "  --cmdline STR        kernel command line (default: \"" CLI_DEFAULT_CMDLINE "\")\n"
	       "  --mem MIB            guest RAM in MiB (default 128, 16..1048576)\n"
	       "  --cpus N             vCPUs (default 1, 1..32)\n"
	       "  --serial MODE        stdio (default), file:PATH or none\n"
	       "  --boot-timer         log the time when the guest writes to the boot timer\n"
	       "  --disk path=FILE[,ro][,id=NAME]\n"
	       "                       virtio-blk disk served by cellvm-blk (repeatable)\n"
	       "  --rng                virtio-rng served by cellvm-rng\n"
	       "  --vhost-user TYPE,socket=PATH\n"
	       "                       connect a running vhost-user backend (TYPE: blk, rng)\n"
	       "  --verbose            debug logging\n"
	       "\n"
	       "exit status: 0 guest ended (i8042 reset or debug-exit 0), 1 VMM error,\n"
	       "2 usage, 3 triple fault, 4 KVM internal error, 64+v debug-exit value v,\n"
	       "128+signal when stopped by SIGINT/SIGTERM.\n";
}

static int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int copy_str(char *dst, size_t cap, const char *src, size_t len)
{
	if (len == 0 || len >= cap)
		return -EINVAL;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

/* path=FILE[,ro][,id=NAME] in any order; path is required. */
static int parse_disk(struct dev_spec *d, const char *arg, char *err, size_t errlen)
{
	const char *p = arg;

	memset(d, 0, sizeof(*d));
	d->kind = DEV_DISK;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > 5 && strncmp(p, "path=", 5) == 0) {
			if (copy_str(d->path, sizeof(d->path), p + 5, len - 5) < 0)
				goto bad;
		} else if (len > 3 && strncmp(p, "id=", 3) == 0) {
			if (copy_str(d->id, sizeof(d->id), p + 3, len - 3) < 0) {
				snprintf(err, errlen, "--disk id= takes 1 to %d characters",
					 CLI_DISK_ID_MAX);
				return -EINVAL;
			}
		} else if (len == 2 && strncmp(p, "ro", 2) == 0) {
			d->read_only = true;
		} else {
			goto bad;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	if (!d->path[0])
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "--disk takes path=FILE[,ro][,id=NAME], not '%s'", arg);
	return -EINVAL;
}

static int parse_vhost_user(struct dev_spec *d, const char *arg, char *err, size_t errlen)
{
	const char *comma = strchr(arg, ',');

	memset(d, 0, sizeof(*d));
	d->kind = DEV_VHOST_USER;
	if (!comma || strncmp(comma + 1, "socket=", 7) != 0)
		goto bad;
	size_t tlen = (size_t)(comma - arg);
	if (tlen == 3 && strncmp(arg, "blk", 3) == 0)
		d->virtio_id = 2;
	else if (tlen == 3 && strncmp(arg, "rng", 3) == 0)
		d->virtio_id = 4;
	else
		goto bad;
	const char *path = comma + 8;
	if (strchr(path, ',') || copy_str(d->path, sizeof(d->path), path, strlen(path)) < 0)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "--vhost-user takes TYPE,socket=PATH with TYPE blk or rng, not '%s'",
		 arg);
	return -EINVAL;
}

#define FAIL(...)                                   \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		return -EINVAL;                     \
	} while (0)

int cli_parse(int argc, char **argv, struct vm_config *cfg, char *err, size_t errlen)
{
	enum { OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_MEM, OPT_CPUS, OPT_SERIAL,
	       OPT_BOOT_TIMER, OPT_VERBOSE, OPT_HELP, OPT_VERSION, OPT_DISK, OPT_RNG,
	       OPT_VHOST_USER };
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "initrd", required_argument, NULL, OPT_INITRD },
		{ "cmdline", required_argument, NULL, OPT_CMDLINE },
		{ "mem", required_argument, NULL, OPT_MEM },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "serial", required_argument, NULL, OPT_SERIAL },
		{ "boot-timer", no_argument, NULL, OPT_BOOT_TIMER },
		{ "verbose", no_argument, NULL, OPT_VERBOSE },
		{ "disk", required_argument, NULL, OPT_DISK },
		{ "rng", no_argument, NULL, OPT_RNG },
		{ "vhost-user", required_argument, NULL, OPT_VHOST_USER },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int first = 1;

	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_mib = CLI_DEFAULT_MEM_MIB;
	cfg->cpus = 1;
	cfg->serial = SERIAL_STDIO;
	if (err && errlen)
		err[0] = '\0';

	if (argc < 2)
		FAIL("no command given");
	if (strcmp(argv[1], "run") == 0) {
		cfg->action = CLI_RUN;
		first = 2;
	} else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cfg->action = CLI_HELP;
		return 0;
	} else if (strcmp(argv[1], "--version") == 0) {
		cfg->action = CLI_VERSION;
		return 0;
	} else {
		FAIL("unknown command '%s'", argv[1]);
	}

	/* getopt keeps its position in globals; reset so parsing is repeatable
	 * (tests call this many times). optind 0 also re-initialises glibc. */
	optind = 0;
	opterr = 0;
	int sub_argc = argc - first + 1;
	char **sub_argv = argv + first - 1;
	for (;;) {
		int c = getopt_long(sub_argc, sub_argv, "+:", opts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case OPT_KERNEL: cfg->kernel = optarg; break;
		case OPT_INITRD: cfg->initrd = optarg; break;
		case OPT_CMDLINE:
			if (strlen(optarg) >= LAYOUT_CMDLINE_MAX)
				FAIL("--cmdline is longer than %llu bytes",
				     (unsigned long long)LAYOUT_CMDLINE_MAX - 1);
			cfg->cmdline = optarg;
			break;
		case OPT_MEM:
			if (parse_uint(optarg, CLI_MIN_MEM_MIB, CLI_MAX_MEM_MIB, &v) < 0)
				FAIL("--mem takes a whole number of MiB from %d to %llu, not '%s'",
				     CLI_MIN_MEM_MIB, (unsigned long long)CLI_MAX_MEM_MIB, optarg);
			cfg->mem_mib = v;
			break;
		case OPT_CPUS:
			if (parse_uint(optarg, 1, MAX_VCPUS, &v) < 0)
				FAIL("--cpus takes a number from 1 to %d, not '%s'", MAX_VCPUS, optarg);
			cfg->cpus = (unsigned int)v;
			break;
		case OPT_SERIAL:
			if (strcmp(optarg, "stdio") == 0) {
				cfg->serial = SERIAL_STDIO;
			} else if (strcmp(optarg, "none") == 0) {
				cfg->serial = SERIAL_NONE;
			} else if (strncmp(optarg, "file:", 5) == 0 && optarg[5]) {
				cfg->serial = SERIAL_FILE;
				cfg->serial_path = optarg + 5;
			} else {
				FAIL("--serial takes stdio, none or file:PATH, not '%s'", optarg);
			}
			break;
		case OPT_BOOT_TIMER: cfg->boot_timer = true; break;
		case OPT_VERBOSE: cfg->verbose = true; break;
		case OPT_DISK:
		case OPT_RNG:
		case OPT_VHOST_USER:
			if (cfg->ndevs == CLI_MAX_DEVICES)
				FAIL("at most %d devices", CLI_MAX_DEVICES);
			struct dev_spec *d = &cfg->devs[cfg->ndevs];
			if (c == OPT_DISK && parse_disk(d, optarg, err, errlen) < 0)
				return -EINVAL;
			if (c == OPT_VHOST_USER && parse_vhost_user(d, optarg, err, errlen) < 0)
				return -EINVAL;
			if (c == OPT_RNG) {
				memset(d, 0, sizeof(*d));
				d->kind = DEV_RNG;
			}
			cfg->ndevs++;
			break;
		case OPT_HELP: cfg->action = CLI_HELP; return 0;
		case OPT_VERSION: cfg->action = CLI_VERSION; return 0;
		case ':':
			FAIL("option '%s' needs a value", sub_argv[optind - 1]);
		default:
			FAIL("unknown option '%s'", sub_argv[optind - 1]);
		}
	}
	if (optind < sub_argc)
		FAIL("unexpected argument '%s'", sub_argv[optind]);
	if (!cfg->kernel)
		FAIL("--kernel is required");
	return 0;
}
