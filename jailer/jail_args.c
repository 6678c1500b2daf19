#include "jail_args.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

const char *jail_usage(void)
{
	return "usage: cellvm-jailer --id ID --exec-file PATH --uid UID --gid GID [options] -- [CELLVM_ARGS]\n"
	       "       cellvm-jailer --cleanup --id ID --exec-file PATH [--chroot-base-dir DIR]\n"
	       "                     [--cgroup-version 1|2] [--parent-cgroup P]\n"
	       "\n"
	       "  --id ID                 VM id: 1-64 of A-Z a-z 0-9 -\n"
	       "  --exec-file PATH        the cellvm binary; the cellvm-* device programs next\n"
	       "                          to it and the libraries they all need go into the jail\n"
	       "  --uid UID, --gid GID    what the VM runs as\n"
	       "  --chroot-base-dir DIR   jails live in DIR/EXEC-NAME/ID/root (default " JAIL_DEFAULT_BASE ")\n"
	       "  --netns PATH            join this network namespace (e.g. /var/run/netns/NAME)\n"
	       "  --cgroup-version 1|2    cgroup hierarchy to use (default 1)\n"
	       "  --cgroup FILE=VALUE     write VALUE to FILE in the VM's cgroup (repeatable)\n"
	       "  --parent-cgroup P       the VM's cgroup is P/ID (default: EXEC-NAME)\n"
	       "  --resource-limit K=V    fsize, no-file (default 2048), nproc, core, memlock\n"
	       "  --copy FILE             copy FILE into the jail at the same path (relative paths\n"
	       "                          stay relative to the jail root), owned by UID:GID\n"
	       "  --daemonize             detach: new session, stdio on /dev/null\n"
	       "  --new-pid-ns            run the VM as PID 1 of a new PID namespace; the jailer\n"
	       "                          writes its host PID to ROOT/EXEC-NAME.pid and exits\n"
	       "  --cleanup               remove the jail and its cgroups once the VM has ended\n";
}

int jail_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > JAIL_ID_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)id[i]) && id[i] != '-')
			return -EINVAL;
	}
	return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT32_MAX - 1) /* (uid_t)-1 means "unchanged" to the kernel */
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_rlimit(const char *arg, struct jail_rlimit *r)
{
	static const struct { const char *name; int resource; } names[] = {
		{ "fsize", RLIMIT_FSIZE }, { "no-file", RLIMIT_NOFILE }, { "nproc", RLIMIT_NPROC },
		{ "core", RLIMIT_CORE }, { "memlock", RLIMIT_MEMLOCK },
	};
	const char *eq = strchr(arg, '=');
	char *end;

	if (!eq || !isdigit((unsigned char)eq[1]))
		return -EINVAL;
	errno = 0;
	r->value = strtoull(eq + 1, &end, 10);
	if (errno || *end)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i].name) == (size_t)(eq - arg) &&
		    strncmp(arg, names[i].name, (size_t)(eq - arg)) == 0) {
			r->resource = names[i].resource;
			return 0;
		}
	}
	return -EINVAL;
}

/* FILE=VALUE where FILE is one plain name "ctrl.something" (no path). */
static int parse_cgroup(char *arg, struct jail_cgroup_setting *c)
{
	char *eq = strchr(arg, '=');

	if (!eq || eq == arg)
		return -EINVAL;
	*eq = '\0';
	c->file = arg;
	c->value = eq + 1;
	const char *dot = strchr(c->file, '.');
	if (!dot || dot == c->file || !dot[1] || strchr(c->file, '/') || c->file[0] == '.')
		return -EINVAL;
	return 0;
}

#define FAIL(...)                                   \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		return -EINVAL;                     \
	} while (0)

int jail_args_parse(int argc, char *const *argv, struct jail_cfg *cfg, char *err, size_t errlen)
{
	enum { O_ID = 256, O_EXEC, O_UID, O_GID, O_BASE, O_NETNS, O_CGV, O_CG, O_PARENT, O_RL,
	       O_DAEMON, O_PIDNS, O_CLEANUP, O_COPY, O_HELP };
	static const struct option opts[] = {
		{ "id", required_argument, NULL, O_ID },
		{ "exec-file", required_argument, NULL, O_EXEC },
		{ "uid", required_argument, NULL, O_UID },
		{ "gid", required_argument, NULL, O_GID },
		{ "chroot-base-dir", required_argument, NULL, O_BASE },
		{ "netns", required_argument, NULL, O_NETNS },
		{ "cgroup-version", required_argument, NULL, O_CGV },
		{ "cgroup", required_argument, NULL, O_CG },
		{ "parent-cgroup", required_argument, NULL, O_PARENT },
		{ "resource-limit", required_argument, NULL, O_RL },
		{ "daemonize", no_argument, NULL, O_DAEMON },
		{ "new-pid-ns", no_argument, NULL, O_PIDNS },
		{ "cleanup", no_argument, NULL, O_CLEANUP },
		{ "copy", required_argument, NULL, O_COPY },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	bool have_uid = false, have_gid = false;
	uint32_t v;

	memset(cfg, 0, sizeof(*cfg));
	cfg->base_dir = JAIL_DEFAULT_BASE;
	cfg->cgroup_version = 1;
	err[0] = '\0';
	optind = 0; /* repeatable parsing (tests) */
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, "+:", opts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case O_ID: cfg->id = optarg; break;
		case O_EXEC: cfg->exec_file = optarg; break;
		case O_UID:
			if (parse_u32(optarg, &v) < 0)
				FAIL("--uid takes a number, not '%s'", optarg);
			cfg->uid = v;
			have_uid = true;
			break;
		case O_GID:
			if (parse_u32(optarg, &v) < 0)
				FAIL("--gid takes a number, not '%s'", optarg);
			cfg->gid = v;
			have_gid = true;
			break;
		case O_BASE:
			if (optarg[0] != '/')
				FAIL("--chroot-base-dir must be an absolute path, not '%s'", optarg);
			cfg->base_dir = optarg;
			break;
		case O_NETNS: cfg->netns = optarg; break;
		case O_CGV:
			if (strcmp(optarg, "1") && strcmp(optarg, "2"))
				FAIL("--cgroup-version takes 1 or 2, not '%s'", optarg);
			cfg->cgroup_version = optarg[0] - '0';
			break;
		case O_CG:
			if (cfg->ncgroups == JAIL_MAX_CGROUPS)
				FAIL("at most %d --cgroup settings", JAIL_MAX_CGROUPS);
			if (parse_cgroup(optarg, &cfg->cgroups[cfg->ncgroups]) < 0)
				FAIL("--cgroup takes CONTROLLER.FILE=VALUE, not '%s'", optarg);
			cfg->ncgroups++;
			break;
		case O_PARENT:
			if (!optarg[0] || optarg[0] == '/' || strstr(optarg, ".."))
				FAIL("--parent-cgroup takes a relative cgroup path without '..', not '%s'",
				     optarg);
			cfg->parent_cgroup = optarg;
			break;
		case O_RL:
			if (cfg->nrlimits == JAIL_MAX_RLIMITS)
				FAIL("at most %d --resource-limit settings", JAIL_MAX_RLIMITS);
			if (parse_rlimit(optarg, &cfg->rlimits[cfg->nrlimits]) < 0)
				FAIL("--resource-limit takes fsize, no-file, nproc, core or memlock "
				     "=NUMBER, not '%s'", optarg);
			cfg->nrlimits++;
			break;
		case O_DAEMON: cfg->daemonize = true; break;
		case O_PIDNS: cfg->new_pid_ns = true; break;
		case O_CLEANUP: cfg->cleanup = true; break;
		case O_COPY:
			if (cfg->ncopies == JAIL_MAX_COPIES)
				FAIL("at most %d --copy files", JAIL_MAX_COPIES);
			if (!optarg[0] || strstr(optarg, ".."))
				FAIL("--copy takes a file path without '..', not '%s'", optarg);
			cfg->copies[cfg->ncopies++] = optarg;
			break;
		case O_HELP: cfg->help = true; return 0;
		case ':': FAIL("option '%s' needs a value", argv[optind - 1]);
		default: FAIL("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0)
		FAIL("unexpected argument '%s' (cellvm's arguments go after --)", argv[optind]);
	cfg->exec_args = argv + optind;
	cfg->nexec_args = argc - optind;

	if (!cfg->id)
		FAIL("--id is required");
	if (jail_id_valid(cfg->id) < 0)
		FAIL("--id must be 1 to %d characters of A-Z a-z 0-9 and '-', not '%s'", JAIL_ID_MAX,
		     cfg->id);
	if (!cfg->exec_file || !cfg->exec_file[0])
		FAIL("--exec-file is required");
	const char *slash = strrchr(cfg->exec_file, '/');
	const char *name = slash ? slash + 1 : cfg->exec_file;
	if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strlen(name) >= sizeof(cfg->exec_name))
		FAIL("--exec-file '%s' names no file", cfg->exec_file);
	snprintf(cfg->exec_name, sizeof(cfg->exec_name), "%s", name);
	if (!cfg->parent_cgroup)
		cfg->parent_cgroup = cfg->exec_name;
	if (!cfg->cleanup && (!have_uid || !have_gid))
		FAIL("--uid and --gid are required");
	return 0;
}
