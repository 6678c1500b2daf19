#include "jail_launch.h"
#include "jail_cgroup.h"
#include "jail_elf.h"
#include "jail_fs.h"
#include "jail_root.h"
#include "policy/policy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define JAIL_MAX_PROGRAMS 16
#define JAIL_MAX_EXEC_ARGS 256

struct jail_plan {
	char root[PATH_MAX];                    /* BASE/EXEC-NAME/ID/root on the host */
	char *programs[JAIL_MAX_PROGRAMS];      /* the exec file, then device programs */
	unsigned int nprograms;
	struct jail_elf_deps deps;              /* their interpreter and libraries */
	int netns_fd;
	int null_fd;                            /* /dev/null for --daemonize */
	struct jail_fs fs;
	struct jail_cgroups cg;
};

static void plan_free(struct jail_plan *p)
{
	for (unsigned int i = 0; i < p->nprograms; i++)
		free(p->programs[i]);
	p->nprograms = 0;
	jail_elf_deps_free(&p->deps);
	if (p->netns_fd >= 0)
		close(p->netns_fd);
	if (p->null_fd >= 0)
		close(p->null_fd);
	p->netns_fd = p->null_fd = -1;
}

static int add_program(struct jail_plan *p, const char *path)
{
	if (p->nprograms == JAIL_MAX_PROGRAMS)
		return -E2BIG;
	return (p->programs[p->nprograms++] = strdup(path)) ? 0 : -ENOMEM;
}

/* The exec file and the cellvm-* programs beside it. */
static int find_programs(const struct jail_cfg *cfg, struct jail_plan *p, char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct stat st;
	int ret;

	if (stat(cfg->exec_file, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "--exec-file %s: %s", cfg->exec_file, strerror(errno));
		return ret;
	}
	if (!S_ISREG(st.st_mode) || access(cfg->exec_file, X_OK) < 0) {
		snprintf(err, errlen, "--exec-file %s: not an executable file", cfg->exec_file);
		return -ENOEXEC;
	}
	if ((ret = add_program(p, cfg->exec_file)) < 0)
		return ret;
	snprintf(dir, sizeof(dir), "%s", cfg->exec_file);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	for (struct dirent *e; (e = readdir(d));) {
		if (strncmp(e->d_name, JAIL_DEVICE_PREFIX, strlen(JAIL_DEVICE_PREFIX)) != 0 ||
		    strcmp(e->d_name, JAIL_SELF_NAME) == 0 || strcmp(e->d_name, cfg->exec_name) == 0)
			continue;
		if (jail_path(path, sizeof(path), "%s/%s", dir, e->d_name) < 0 || stat(path, &st) < 0 || !S_ISREG(st.st_mode) || access(path, X_OK) < 0)
			continue;
		if ((ret = add_program(p, path)) < 0)
			break;
	}
	closedir(d);
	for (unsigned int i = 0; i < p->nprograms && ret >= 0; i++)
		ret = jail_elf_deps_add(&p->deps, p->programs[i], err, errlen);
	return ret < 0 ? ret : 0;
}

static int open_netns(const char *path, char *err, size_t errlen)
{
	struct statfs sfs;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int ret = -errno;
		snprintf(err, errlen, "--netns %s: %s", path, strerror(errno));
		return ret;
	}
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != NSFS_MAGIC) {
		close(fd);
		snprintf(err, errlen, "--netns %s: not a namespace file", path);
		return -EINVAL;
	}
	return fd;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* Files into the jail: programs at its root, their libraries and --copy
 * files at the paths they are found by. */
static int populate(const struct jail_cfg *cfg, struct jail_plan *p, char *err, size_t errlen)
{
	char dst[PATH_MAX];
	int ret;

	for (unsigned int i = 0; i < p->nprograms; i++) {
		const char *name = i == 0 ? cfg->exec_name : base_name(p->programs[i]);
		if ((ret = jail_path(dst, sizeof(dst), "%s/%s", p->root, name)) < 0 ||
		    (ret = jail_fs_place(&p->fs, p->programs[i], dst)) < 0) {
			snprintf(err, errlen, "cannot put %s into the jail: %s", p->programs[i],
				 strerror(-ret));
			return ret;
		}
	}
	for (size_t i = 0; i < p->deps.n; i++) {
		if ((ret = jail_path(dst, sizeof(dst), "%s%s", p->root, p->deps.paths[i])) < 0 ||
		    (ret = jail_fs_place(&p->fs, p->deps.paths[i], dst)) < 0) {
			snprintf(err, errlen, "cannot put %s into the jail: %s", p->deps.paths[i],
				 strerror(-ret));
			return ret;
		}
	}
	for (unsigned int i = 0; i < cfg->ncopies; i++) {
		const char *src = cfg->copies[i];
		if ((ret = jail_path(dst, sizeof(dst), "%s%s%s", p->root, src[0] == '/' ? "" : "/",
				     src)) < 0 ||
		    (ret = jail_fs_copy_owned(&p->fs, src, dst, cfg->uid, cfg->gid)) < 0) {
			snprintf(err, errlen, "--copy %s: %s", src, strerror(-ret));
			return ret;
		}
	}
	static const struct { const char *path; unsigned int major, minor; } nodes[] = {
		{ "dev/kvm", 10, 232 }, { "dev/net/tun", 10, 200 }, { "dev/urandom", 1, 9 },
	};
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		if ((ret = jail_path(dst, sizeof(dst), "%s/%s", p->root, nodes[i].path)) < 0 ||
		    (ret = jail_fs_mknod(&p->fs, dst, nodes[i].major, nodes[i].minor, cfg->uid,
					 cfg->gid)) < 0) {
			snprintf(err, errlen, "cannot create %s: %s", dst, strerror(-ret));
			return ret;
		}
	}
	if ((ret = jail_path(dst, sizeof(dst), "%s/proc", p->root)) < 0 ||
	    (ret = jail_fs_mkdirs(&p->fs, dst, 0555)) < 0)
		return ret;
	/* The VM may create files in its root (API socket, serial log). */
	if (chown(p->root, cfg->uid, cfg->gid) < 0 || chmod(p->root, 0700) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot hand %s to %u:%u: %s", p->root, cfg->uid, cfg->gid,
			 strerror(errno));
		return ret;
	}
	return 0;
}

static int set_limits(const struct jail_cfg *cfg)
{
	struct rlimit rl = { JAIL_DEFAULT_NOFILE, JAIL_DEFAULT_NOFILE };

	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	for (unsigned int i = 0; i < cfg->nrlimits; i++) {
		rl.rlim_cur = rl.rlim_max = cfg->rlimits[i].value;
		if (setrlimit(cfg->rlimits[i].resource, &rl) < 0)
			return -errno;
	}
	return 0;
}

/* uid/gid for good. The bounding set goes first (while we may), so the
 * exec'd program can never hold a capability, even as uid 0. */
static int drop_to(uid_t uid, gid_t gid)
{
	for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++) {
		if (cap_drop_bound(c) < 0 && errno != EINVAL)
			return -errno;
	}
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -errno;
	return policy_drop_caps();
}

/* --new-pid-ns: the VM becomes PID 1 of a new namespace; we report its
 * host PID and leave. Returns in the child only. */
static int new_pid_ns(const struct jail_plan *p, const struct jail_cfg *cfg)
{
	if (unshare(CLONE_NEWPID) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		return 0;
	char path[PATH_MAX];
	FILE *f = jail_path(path, sizeof(path), "%s/%s.pid", p->root, cfg->exec_name) < 0
			  ? NULL : fopen(path, "we");
	int ok = f && fprintf(f, "%d\n", (int)pid) > 0;
	if (f && fclose(f) != 0)
		ok = 0;
	_exit(ok ? 0 : 1);
}

static int exec_vm(const struct jail_cfg *cfg)
{
	char *argv[JAIL_MAX_EXEC_ARGS + 4];
	char *const envp[] = { NULL };
	char path[PATH_MAX];
	bool has_id = false;
	int n = 0;

	if (cfg->nexec_args > JAIL_MAX_EXEC_ARGS)
		return -E2BIG;
	argv[n++] = (char *)cfg->exec_name;
	for (int i = 0; i < cfg->nexec_args; i++) {
		has_id |= strcmp(cfg->exec_args[i], "--id") == 0 ||
			  strncmp(cfg->exec_args[i], "--id=", 5) == 0;
		argv[n++] = cfg->exec_args[i];
	}
	/* Like Firecracker's jailer: the VM learns its id. */
	if (!has_id) {
		argv[n++] = "--id";
		argv[n++] = (char *)cfg->id;
	}
	argv[n] = NULL;
	if (jail_path(path, sizeof(path), "/%s", cfg->exec_name) < 0)
		return -ENAMETOOLONG;
	execve(path, argv, envp);
	return -errno;
}

int jail_launch(const struct jail_cfg *cfg, char *err, size_t errlen)
{
	struct jail_plan p = { .netns_fd = -1, .null_fd = -1 };
	char dir[PATH_MAX];
	int ret;

	if (jail_path(p.root, sizeof(p.root), "%s/%s/%s/root", cfg->base_dir, cfg->exec_name,
		      cfg->id) < 0) {
		snprintf(err, errlen, "the jail path is too long");
		return -ENAMETOOLONG;
	}
	/* Everything that only reads comes first: bad input leaves no trace. */
	if ((ret = find_programs(cfg, &p, err, errlen)) < 0)
		goto out;
	if (cfg->netns && (ret = p.netns_fd = open_netns(cfg->netns, err, errlen)) < 0)
		goto out;
	if (cfg->daemonize && (ret = p.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		ret = -errno;
		goto out;
	}
	if (jail_path(dir, sizeof(dir), "%s/%s", p.root, cfg->exec_name) < 0 || access(dir, F_OK) == 0) {
		snprintf(err, errlen, "%s exists: a VM with this id runs, or its jail was not "
			 "cleaned up (--cleanup)", dir);
		ret = -EEXIST;
		goto out;
	}
	if ((ret = jail_cgroup_setup(cfg, &p.cg, err, errlen)) < 0)
		goto out;
	if ((ret = jail_fs_mkdirs(&p.fs, p.root, 0700)) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", p.root, strerror(-ret));
		goto undo;
	}
	if ((ret = populate(cfg, &p, err, errlen)) < 0)
		goto undo;
	if (p.netns_fd >= 0 && setns(p.netns_fd, CLONE_NEWNET) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot join --netns %s: %s", cfg->netns, strerror(errno));
		goto undo;
	}
	if ((ret = jail_cgroup_attach(&p.cg, getpid(), err, errlen)) < 0)
		goto undo;
	/* From here on a failure leaves the jail to --cleanup: this process
	 * sits in its cgroups. */
	jail_fs_forget(&p.fs);
	jail_cgroup_free(&p.cg);
	if (cfg->new_pid_ns && (ret = new_pid_ns(&p, cfg)) < 0) {
		snprintf(err, errlen, "cannot create a PID namespace: %s", strerror(-ret));
		goto out;
	}
	if ((ret = jail_root_enter(p.root, err, errlen)) < 0)
		goto out;
	if ((ret = set_limits(cfg)) < 0) {
		snprintf(err, errlen, "cannot set the resource limits: %s", strerror(-ret));
		goto out;
	}
	if (cfg->daemonize) {
		if (setsid() < 0 || dup2(p.null_fd, 0) < 0 || dup2(p.null_fd, 1) < 0 ||
		    dup2(p.null_fd, 2) < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot daemonize: %s", strerror(errno));
			goto out;
		}
	}
	plan_free(&p);
	if ((ret = drop_to(cfg->uid, cfg->gid)) < 0) {
		snprintf(err, errlen, "cannot become %u:%u: %s", cfg->uid, cfg->gid, strerror(-ret));
		return ret;
	}
	ret = exec_vm(cfg);
	snprintf(err, errlen, "cannot exec /%s in the jail: %s", cfg->exec_name, strerror(-ret));
	return ret;
undo:
	jail_fs_undo(&p.fs);
	jail_cgroup_undo(&p.cg);
out:
	jail_fs_forget(&p.fs);
	jail_cgroup_free(&p.cg);
	plan_free(&p);
	return ret;
}
