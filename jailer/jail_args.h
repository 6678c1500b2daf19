/* cellvm-jailer's command line, flag-compatible with Firecracker's jailer
 * (plus --copy and --cleanup), parsed and validated without side
 * effects so it can be unit-tested with hostile input. */
#ifndef CELLVM_JAIL_ARGS_H
#define CELLVM_JAIL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define JAIL_ID_MAX        64
#define JAIL_MAX_CGROUPS   32
#define JAIL_MAX_RLIMITS   8
#define JAIL_MAX_COPIES    16
#define JAIL_DEFAULT_BASE  "/srv/jailer"
#define JAIL_DEFAULT_NOFILE 2048  /* Firecracker's default for no-file */

struct jail_cgroup_setting {
	const char *file;     /* "pids.max": the controller is the part before the first '.' */
	const char *value;
};

struct jail_rlimit {
	int resource;         /* RLIMIT_* */
	uint64_t value;
};

struct jail_cfg {
	const char *id;
	const char *exec_file;
	char exec_name[256];  /* basename of exec_file */
	uid_t uid;
	gid_t gid;
	const char *base_dir;     /* --chroot-base-dir */
	const char *netns;        /* --netns PATH, or NULL */
	int cgroup_version;       /* 1 or 2 */
	struct jail_cgroup_setting cgroups[JAIL_MAX_CGROUPS];
	unsigned int ncgroups;
	const char *parent_cgroup;    /* default: exec_name */
	struct jail_rlimit rlimits[JAIL_MAX_RLIMITS];
	unsigned int nrlimits;
	const char *copies[JAIL_MAX_COPIES]; /* --copy FILE */
	unsigned int ncopies;
	bool daemonize;
	bool new_pid_ns;
	bool cleanup;             /* --cleanup: remove the jail and its cgroups */
	char *const *exec_args;   /* after "--": for the exec file */
	int nexec_args;
	bool help;
};

/* 0 when id is 1..64 characters of A-Z a-z 0-9 and '-'. */
int jail_id_valid(const char *id);

/* Parses argv; on error returns -EINVAL with a one-line reason in err.
 * Strings point into argv. Checks only the syntax: files, namespaces and
 * cgroups are checked by the steps that use them. */
int jail_args_parse(int argc, char *const *argv, struct jail_cfg *cfg, char *err, size_t errlen);

const char *jail_usage(void);

#endif
