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

#define FAIL(...)                                   \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		return -EINVAL;                     \
	} while (0)

int cli_parse(int argc, char **argv, struct vm_config *cfg, char *err, size_t errlen)
{
	enum { OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_MEM, OPT_CPUS, OPT_SERIAL,
	       OPT_BOOT_TIMER, OPT_VERBOSE, OPT_HELP, OPT_VERSION };
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "initrd", required_argument, NULL, OPT_INITRD },
		{ "cmdline", required_argument, NULL, OPT_CMDLINE },
		{ "mem", required_argument, NULL, OPT_MEM },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "serial", required_argument, NULL, OPT_SERIAL },
		{ "boot-timer", no_argument, NULL, OPT_BOOT_TIMER },
		{ "verbose", no_argument, NULL, OPT_VERBOSE },
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
