#include "cli.h"
#include "layout.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cli_usage(void)
{
	return "usage: cellvm run --kernel PATH [machine options] [options]\n"
	       "       cellvm [run] --config-file FILE [options]\n"
	       "       cellvm --api-sock PATH [options]   (configure and start through the API)\n"
	       "       cellvm --help | --version\n"
	       "\n"
	       "machine options (with run):\n"
	       "  --kernel PATH        Linux bzImage or ELF vmlinux (PVH entry when present)\n"
	       "  --initrd PATH        initial ramdisk\n"
	       "  --cmdline STR        kernel command line (default: \"" VM_DEFAULT_CMDLINE "\")\n"
	       "  --mem MIB            guest RAM in MiB (default 128, 16..1048576)\n"
	       "  --cpus N             vCPUs (default 1, 1..32)\n"
	       "  --disk path=FILE[,ro][,id=NAME][,restart=on-failure|never]\n"
	       "                       virtio-blk disk served by cellvm-blk (repeatable)\n"
	       "  --rng[=restart=on-failure|never]\n"
	       "                       virtio-rng served by cellvm-rng\n"
	       "  --vhost-user TYPE,socket=PATH[,restart=on-failure|never]\n"
	       "                       connect a running vhost-user backend (TYPE: blk, rng)\n"
	       "  --vsock cid=N,uds=PATH[,restart=on-failure|never]\n"
	       "                       virtio-vsock served by cellvm-vsock: host clients connect to\n"
	       "                       PATH and send \"CONNECT <port>\\n\"; guest connections reach\n"
	       "                       PATH_<port>\n"
	       "  --net tap=NAME[,mac=MAC][,mtu=N][,queues=N][,restart=on-failure|never]\n"
	       "                       virtio-net on an existing tap, served by cellvm-net\n"
	       "                       (repeatable; queues: rx/tx pairs, 1..7)\n"
	       "\n"
	       "options:\n"
	       "  --config-file FILE   the machine as JSON (the API's Configure message)\n"
	       "  --api-sock PATH      serve the control API on this UNIX socket\n"
	       "  --id ID              VM id for logs and the API (1-64 of A-Z a-z 0-9 . _ -)\n"
	       "  --serial MODE        stdio (default), file:PATH or none\n"
	       "  --boot-timer         log the time when the guest writes to the boot timer\n"
	       "  --log-file PATH      write logs to a file or FIFO instead of stderr\n"
	       "  --log-level LEVEL    error, warn, info (default) or debug\n"
	       "  --verbose            same as --log-level debug\n"
	       "  --metrics-file PATH  append metrics as JSON lines to a file or FIFO\n"
	       "  --metrics-interval MS  how often (default 1000, 100..3600000)\n"
	       "  --seccomp MODE       kill (default): a syscall outside its thread's or device's\n"
	       "                       policy kills the process; log: allowed and logged by\n"
	       "                       the kernel (debugging); off: no filters\n"
	       "\n"
	       "exit status: 0 guest ended (i8042 reset or debug-exit 0), 1 VMM error,\n"
	       "2 usage, 3 triple fault, 4 KVM internal error, 5 stopped through the API,\n"
	       "64+v debug-exit value v, 128+signal when stopped by SIGINT/SIGTERM.\n";
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

/* restart=on-failure|never, a key every device the core starts takes:
 * 1 when [p, p+len) is that key (and d->restart set), 0 when it is some
 * other key, -EINVAL for a bad value. */
static int parse_restart_key(struct dev_spec *d, const char *p, size_t len)
{
	char val[16];

	if (len < 8 || strncmp(p, "restart=", 8) != 0)
		return 0;
	if (copy_str(val, sizeof(val), p + 8, len - 8) < 0 ||
	    vm_config_restart_parse(val, &d->restart) < 0)
		return -EINVAL;
	return 1;
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
					 VM_DISK_ID_MAX);
				return -EINVAL;
			}
		} else if (len == 2 && strncmp(p, "ro", 2) == 0) {
			d->read_only = true;
		} else if (parse_restart_key(d, p, len) != 1) {
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
	snprintf(err, errlen, "--disk takes path=FILE[,ro][,id=NAME][,restart=on-failure|never], not '%s'",
		 arg);
	return -EINVAL;
}

static int parse_vhost_user(struct dev_spec *d, const char *arg, char *err, size_t errlen)
{
	const char *comma = strchr(arg, ',');
	char type[8];

	memset(d, 0, sizeof(*d));
	d->kind = DEV_VHOST_USER;
	if (!comma || strncmp(comma + 1, "socket=", 7) != 0)
		goto bad;
	size_t tlen = (size_t)(comma - arg);
	if (copy_str(type, sizeof(type), arg, tlen) < 0 ||
	    (d->virtio_id = vm_config_virtio_type(type)) == 0)
		goto bad;
	const char *path = comma + 8;
	const char *opt = strchr(path, ',');
	size_t plen = opt ? (size_t)(opt - path) : strlen(path);
	if (copy_str(d->path, sizeof(d->path), path, plen) < 0)
		goto bad;
	/* Someone else's backend: never restarted unless asked, and then
	 * only reconnected to (README.md, "Device restart"). */
	d->restart = DEV_RESTART_NEVER;
	if (opt && parse_restart_key(d, opt + 1, strlen(opt + 1)) != 1)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "--vhost-user takes TYPE,socket=PATH[,restart=on-failure|never] with "
		 "TYPE blk or rng, not '%s'", arg);
	return -EINVAL;
}

/* cid=N,uds=PATH in either order; both required. */
static int parse_vsock(struct dev_spec *d, const char *arg, char *err, size_t errlen)
{
	const char *p = arg;
	uint64_t cid = 0;
	char num[16];

	memset(d, 0, sizeof(*d));
	d->kind = DEV_VSOCK;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > 4 && strncmp(p, "cid=", 4) == 0) {
			if (copy_str(num, sizeof(num), p + 4, len - 4) < 0 ||
			    parse_uint(num, VM_VSOCK_MIN_CID, VM_VSOCK_MAX_CID, &cid) < 0) {
				snprintf(err, errlen, "--vsock cid= takes %u to %u", VM_VSOCK_MIN_CID,
					 VM_VSOCK_MAX_CID);
				return -EINVAL;
			}
			d->guest_cid = (uint32_t)cid;
		} else if (len > 4 && strncmp(p, "uds=", 4) == 0) {
			if (copy_str(d->path, VM_VSOCK_PATH_MAX + 1, p + 4, len - 4) < 0) {
				snprintf(err, errlen, "--vsock uds= takes a path of 1 to %d bytes",
					 VM_VSOCK_PATH_MAX);
				return -EINVAL;
			}
		} else if (parse_restart_key(d, p, len) != 1) {
			goto bad;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	if (!d->guest_cid || !d->path[0])
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "--vsock takes cid=N,uds=PATH[,restart=on-failure|never], not '%s'", arg);
	return -EINVAL;
}

/* tap=NAME[,mac=MAC][,mtu=N][,queues=N][,restart=...] in any order; tap is required.
 * Ranges are vm_config_check's. */
static int parse_net(struct dev_spec *d, const char *arg, char *err, size_t errlen)
{
	const char *p = arg;
	uint64_t v;
	char num[16];

	memset(d, 0, sizeof(*d));
	d->kind = DEV_NET;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > 4 && strncmp(p, "tap=", 4) == 0) {
			if (copy_str(d->path, VM_NET_TAP_MAX + 1, p + 4, len - 4) < 0) {
				snprintf(err, errlen, "--net tap= takes a name of 1 to %d bytes",
					 VM_NET_TAP_MAX);
				return -EINVAL;
			}
		} else if (len > 4 && strncmp(p, "mac=", 4) == 0) {
			char mac[24];
			if (copy_str(mac, sizeof(mac), p + 4, len - 4) < 0 ||
			    vm_config_parse_mac(mac, d->mac) < 0 || (d->mac[0] & 1)) {
				snprintf(err, errlen, "--net mac= takes a unicast address like "
						      "02:00:00:00:00:01");
				return -EINVAL;
			}
			d->has_mac = true;
		} else if (len > 4 && strncmp(p, "mtu=", 4) == 0) {
			if (copy_str(num, sizeof(num), p + 4, len - 4) < 0 ||
			    parse_uint(num, VM_NET_MIN_MTU, VM_NET_MAX_MTU, &v) < 0) {
				snprintf(err, errlen, "--net mtu= takes %d to %d", VM_NET_MIN_MTU,
					 VM_NET_MAX_MTU);
				return -EINVAL;
			}
			d->mtu = (uint32_t)v;
		} else if (len > 7 && strncmp(p, "queues=", 7) == 0) {
			if (copy_str(num, sizeof(num), p + 7, len - 7) < 0 ||
			    parse_uint(num, 1, VM_NET_MAX_QUEUES, &v) < 0) {
				snprintf(err, errlen, "--net queues= takes 1 to %d", VM_NET_MAX_QUEUES);
				return -EINVAL;
			}
			d->queues = (uint32_t)v;
		} else if (parse_restart_key(d, p, len) != 1) {
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
	snprintf(err, errlen, "--net takes tap=NAME[,mac=MAC][,mtu=N][,queues=N][,restart=on-failure|never], not '%s'", arg);
	return -EINVAL;
}

static bool valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CLI_ID_MAX)
		return false;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int parse_level(const char *s, enum log_level *out)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

#define FAIL(...)                                   \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		return -EINVAL;                     \
	} while (0)

static void cli_defaults(struct cli_opts *o)
{
	memset(o, 0, sizeof(*o));
	vm_config_defaults(&o->vm);
	o->serial = SERIAL_STDIO;
	o->log_level = LOG_INFO;
	o->metrics_interval_ms = CLI_DEFAULT_METRICS_INTERVAL_MS;
}

int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen)
{
	enum { OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_MEM, OPT_CPUS, OPT_SERIAL,
	       OPT_BOOT_TIMER, OPT_VERBOSE, OPT_HELP, OPT_VERSION, OPT_DISK, OPT_RNG,
	       OPT_VHOST_USER, OPT_CONFIG_FILE, OPT_API_SOCK, OPT_ID, OPT_LOG_FILE,
	       OPT_LOG_LEVEL, OPT_METRICS_FILE, OPT_METRICS_INTERVAL, OPT_SECCOMP, OPT_VSOCK, OPT_NET };
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
		{ "rng", optional_argument, NULL, OPT_RNG },
		{ "vhost-user", required_argument, NULL, OPT_VHOST_USER },
		{ "vsock", required_argument, NULL, OPT_VSOCK },
		{ "net", required_argument, NULL, OPT_NET },
		{ "config-file", required_argument, NULL, OPT_CONFIG_FILE },
		{ "api-sock", required_argument, NULL, OPT_API_SOCK },
		{ "id", required_argument, NULL, OPT_ID },
		{ "log-file", required_argument, NULL, OPT_LOG_FILE },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
		{ "metrics-interval", required_argument, NULL, OPT_METRICS_INTERVAL },
		{ "seccomp", required_argument, NULL, OPT_SECCOMP },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char *machine_opt = NULL; /* the first machine option seen */
	uint64_t v;
	int first = 1;

	cli_defaults(o);
	if (err && errlen)
		err[0] = '\0';

	if (argc < 2)
		FAIL("no command given");
	if (strcmp(argv[1], "run") == 0) {
		o->action = CLI_RUN;
		first = 2;
	} else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		o->action = CLI_HELP;
		return 0;
	} else if (strcmp(argv[1], "--version") == 0) {
		o->action = CLI_VERSION;
		return 0;
	} else if (argv[1][0] == '-') {
		o->action = CLI_SERVE;
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
		bool machine = c == OPT_KERNEL || c == OPT_INITRD || c == OPT_CMDLINE ||
			       c == OPT_MEM || c == OPT_CPUS || c == OPT_DISK || c == OPT_RNG ||
			       c == OPT_VHOST_USER || c == OPT_VSOCK || c == OPT_NET;
		for (const struct option *p = opts; machine && !machine_opt && p->name; p++)
			if (p->val == c)
				machine_opt = p->name;
		switch (c) {
		case OPT_KERNEL:
			if (vm_config_set_str(o->vm.kernel, sizeof(o->vm.kernel), optarg) < 0)
				FAIL("--kernel path is too long");
			break;
		case OPT_INITRD:
			if (vm_config_set_str(o->vm.initrd, sizeof(o->vm.initrd), optarg) < 0)
				FAIL("--initrd path is too long");
			break;
		case OPT_CMDLINE:
			if (vm_config_set_str(o->vm.cmdline, sizeof(o->vm.cmdline), optarg) < 0)
				FAIL("--cmdline is longer than %llu bytes",
				     (unsigned long long)LAYOUT_CMDLINE_MAX - 1);
			break;
		case OPT_MEM:
			if (parse_uint(optarg, VM_MIN_MEM_MIB, VM_MAX_MEM_MIB, &v) < 0)
				FAIL("--mem takes a whole number of MiB from %d to %llu, not '%s'",
				     VM_MIN_MEM_MIB, (unsigned long long)VM_MAX_MEM_MIB, optarg);
			o->vm.mem_mib = v;
			break;
		case OPT_CPUS:
			if (parse_uint(optarg, 1, MAX_VCPUS, &v) < 0)
				FAIL("--cpus takes a number from 1 to %d, not '%s'", MAX_VCPUS, optarg);
			o->vm.cpus = (unsigned int)v;
			break;
		case OPT_SERIAL:
			if (strcmp(optarg, "stdio") == 0) {
				o->serial = SERIAL_STDIO;
			} else if (strcmp(optarg, "none") == 0) {
				o->serial = SERIAL_NONE;
			} else if (strncmp(optarg, "file:", 5) == 0 && optarg[5]) {
				o->serial = SERIAL_FILE;
				o->serial_path = optarg + 5;
			} else {
				FAIL("--serial takes stdio, none or file:PATH, not '%s'", optarg);
			}
			break;
		case OPT_BOOT_TIMER: o->boot_timer = true; break;
		case OPT_VERBOSE: o->log_level = LOG_DEBUG; break;
		case OPT_DISK:
		case OPT_RNG:
		case OPT_VHOST_USER:
		case OPT_VSOCK:
		case OPT_NET: {
			if (o->vm.ndevs == VM_MAX_DEVICES)
				FAIL("at most %d devices", VM_MAX_DEVICES);
			struct dev_spec *d = &o->vm.devs[o->vm.ndevs];
			if (c == OPT_DISK && parse_disk(d, optarg, err, errlen) < 0)
				return -EINVAL;
			if (c == OPT_VHOST_USER && parse_vhost_user(d, optarg, err, errlen) < 0)
				return -EINVAL;
			if (c == OPT_VSOCK && parse_vsock(d, optarg, err, errlen) < 0)
				return -EINVAL;
			if (c == OPT_NET && parse_net(d, optarg, err, errlen) < 0)
				return -EINVAL;
			if (c == OPT_RNG) {
				memset(d, 0, sizeof(*d));
				d->kind = DEV_RNG;
				if (optarg && parse_restart_key(d, optarg, strlen(optarg)) != 1)
					FAIL("--rng takes nothing or =restart=on-failure|never, not '%s'",
					     optarg);
			}
			o->vm.ndevs++;
			break;
		}
		case OPT_CONFIG_FILE: o->config_file = optarg; break;
		case OPT_API_SOCK:
			if (!optarg[0] || strlen(optarg) > VM_SOCK_PATH_MAX)
				FAIL("--api-sock takes a path of 1 to %d bytes", VM_SOCK_PATH_MAX);
			o->api_sock = optarg;
			break;
		case OPT_ID:
			if (!valid_id(optarg))
				FAIL("--id takes 1 to %d characters of A-Z a-z 0-9 . _ -, not '%s'",
				     CLI_ID_MAX, optarg);
			o->id = optarg;
			break;
		case OPT_LOG_FILE:
			if (!optarg[0])
				FAIL("--log-file needs a path");
			o->log_file = optarg;
			break;
		case OPT_LOG_LEVEL:
			if (parse_level(optarg, &o->log_level) < 0)
				FAIL("--log-level takes error, warn, info or debug, not '%s'", optarg);
			break;
		case OPT_METRICS_FILE:
			if (!optarg[0])
				FAIL("--metrics-file needs a path");
			o->metrics_file = optarg;
			break;
		case OPT_METRICS_INTERVAL:
			if (parse_uint(optarg, 100, 3600000, &v) < 0)
				FAIL("--metrics-interval takes 100 to 3600000 ms, not '%s'", optarg);
			o->metrics_interval_ms = (unsigned int)v;
			break;
		case OPT_SECCOMP:
			if (policy_mode_parse(optarg, &o->seccomp) < 0)
				FAIL("--seccomp takes kill, log or off, not '%s'", optarg);
			break;
		case OPT_HELP: o->action = CLI_HELP; return 0;
		case OPT_VERSION: o->action = CLI_VERSION; return 0;
		case ':':
			FAIL("option '%s' needs a value", sub_argv[optind - 1]);
		default:
			FAIL("unknown option '%s'", sub_argv[optind - 1]);
		}
	}
	if (optind < sub_argc)
		FAIL("unexpected argument '%s'", sub_argv[optind]);

	if (o->config_file && machine_opt)
		FAIL("--%s cannot be combined with --config-file: the file describes the whole machine",
		     machine_opt);
	if (o->action == CLI_SERVE) {
		if (machine_opt)
			FAIL("--%s needs the run command: cellvm run --kernel PATH ...", machine_opt);
		if (o->config_file)
			o->action = CLI_RUN;
		else if (!o->api_sock)
			FAIL("nothing to do: give run --kernel PATH, --config-file FILE or --api-sock PATH");
		return 0;
	}
	if (!o->config_file) {
		if (!o->vm.kernel[0])
			FAIL("--kernel is required");
		o->have_vm = true;
	}
	return 0;
}
