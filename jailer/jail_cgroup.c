#include "jail_cgroup.h"
#include "text_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MOUNTINFO_MAX (256 * 1024)

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* True when the comma-separated list holds word. */
static bool list_has(const char *list, size_t len, const char *word)
{
	size_t w = strlen(word);

	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && list[j] != ',')
			j++;
		if (j - i == w && strncmp(list + i, word, w) == 0)
			return true;
		i = j + 1;
	}
	return false;
}

struct mount_entry {
	char mnt[PATH_MAX];
	char fstype[32];
	const char *super;    /* superblock options: the v1 controllers */
	size_t super_len;
};

/* One mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...]
 * - FSTYPE SOURCE SUPEROPTS". */
static bool parse_mount_line(const char *line, size_t len, struct mount_entry *e)
{
	const char *sep = strstr(line, " - ");

	if (!sep || (size_t)(sep - line) >= len)
		return false;
	if (sscanf(line, "%*s %*s %*s %*s %4095s", e->mnt) != 1 ||
	    sscanf(sep + 3, "%31s", e->fstype) != 1)
		return false;
	const char *super = sep + 3;
	for (int f = 0; f < 2 && super; f++) {
		super = memchr(super, ' ', len - (size_t)(super - line));
		if (super)
			super++;
	}
	e->super = super;
	e->super_len = super ? len - (size_t)(super - line) : 0;
	return true;
}

static bool is_hierarchy(const struct mount_entry *e, int version, const char *ctrl)
{
	if (version == 2)
		return strcmp(e->fstype, "cgroup2") == 0;
	return strcmp(e->fstype, "cgroup") == 0 &&
	       (!ctrl[0] || (e->super && list_has(e->super, e->super_len, ctrl)));
}

int jail_cgroup_find_mount(const char *mountinfo, int version, const char *ctrl, char *out,
			   size_t outlen)
{
	struct mount_entry e;

	for (const char *line = mountinfo; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		if (parse_mount_line(line, len, &e) && is_hierarchy(&e, version, ctrl) &&
		    strlen(e.mnt) < outlen) {
			snprintf(out, outlen, "%s", e.mnt);
			return 0;
		}
		line = eol ? eol + 1 : NULL;
	}
	return -ENOENT;
}

static int read_mountinfo(char **text)
{
	*text = malloc(MOUNTINFO_MAX);
	if (!*text)
		return -ENOMEM;
	int ret = text_file_read("/proc/self/mountinfo", *text, MOUNTINFO_MAX);
	if (ret < 0) {
		free(*text);
		*text = NULL;
	}
	return ret < 0 ? ret : 0;
}

static void controller_of(const char *file, char *ctrl, size_t cap)
{
	size_t n = strcspn(file, ".");
	snprintf(ctrl, cap, "%.*s", (int)(n < cap ? n : cap - 1), file);
}

static int add_dir(struct jail_cgroups *cg, const char *dir)
{
	for (unsigned int i = 0; i < cg->n; i++)
		if (strcmp(cg->dirs[i], dir) == 0)
			return 0;
	if (cg->n == JAIL_CG_MAX_DIRS)
		return -E2BIG;
	return (cg->dirs[cg->n++] = strdup(dir)) ? 0 : -ENOMEM;
}

/* A new cpuset cgroup starts with no CPUs and no memory nodes, and a
 * process cannot join it until both are set: each level we made copies
 * its parent's. */
static int cpuset_inherit(const struct jail_fs *created, const char *mnt)
{
	char path[PATH_MAX], val[4096];
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

	for (unsigned int i = 0; i < created->n; i++) {
		const char *dir = created->created[i];
		if (strncmp(dir, mnt, strlen(mnt)) != 0)
			continue;
		for (size_t f = 0; f < 2; f++) {
			int ret = jail_path(path, sizeof(path), "%s/../%s", dir, files[f]);
			if (ret < 0 || (ret = text_file_read(path, val, sizeof(val))) < 0)
				return ret;
			if ((ret = jail_path(path, sizeof(path), "%s/%s", dir, files[f])) < 0 ||
			    (ret = write_file(path, val)) < 0)
				return ret;
		}
	}
	return 0;
}

/* v2: a controller must be enabled in every ancestor's subtree_control. */
static int v2_enable(const char *mnt, const char *parent, const char *ctrl)
{
	char path[PATH_MAX], cur[PATH_MAX], plus[64];
	int ret;

	snprintf(plus, sizeof(plus), "+%s", ctrl);
	snprintf(cur, sizeof(cur), "%s", mnt);
	for (const char *p = parent;;) {
		char have[1024];
		if ((ret = jail_path(path, sizeof(path), "%s/cgroup.subtree_control", cur)) < 0 ||
		    (ret = text_file_read(path, have, sizeof(have))) < 0)
			return ret;
		if (!list_has(have, strcspn(have, "\n"), ctrl)) {
			/* The file separates with spaces, list_has with commas. */
			for (char *c = have; *c; c++)
				if (*c == ' ')
					*c = ',';
			if (!list_has(have, strcspn(have, "\n"), ctrl) &&
			    (ret = write_file(path, plus)) < 0)
				return ret;
		}
		if (!*p)
			return 0;
		size_t n = strcspn(p, "/");
		size_t l = strlen(cur);
		snprintf(cur + l, sizeof(cur) - l, "/%.*s", (int)n, p);
		p += n;
		while (*p == '/')
			p++;
	}
}

static int setup_one(const struct jail_cfg *cfg, struct jail_cgroups *cg, const char *mountinfo,
		     const char *ctrl, char *err, size_t errlen)
{
	char mnt[PATH_MAX], dir[PATH_MAX], path[PATH_MAX];
	int ret;

	if (jail_cgroup_find_mount(mountinfo, cfg->cgroup_version, ctrl, mnt, sizeof(mnt)) < 0) {
		if (cfg->cgroup_version == 2)
			snprintf(err, errlen, "no cgroup v2 hierarchy is mounted");
		else
			snprintf(err, errlen, "no cgroup v1 hierarchy has the '%s' controller", ctrl);
		return -ENOENT;
	}
	if (cfg->cgroup_version == 2 && ctrl[0]) {
		char have[1024];
		if ((ret = jail_path(path, sizeof(path), "%s/cgroup.controllers", mnt)) < 0 ||
		    (ret = text_file_read(path, have, sizeof(have))) < 0)
			return ret;
		for (char *c = have; *c; c++)
			if (*c == ' ')
				*c = ',';
		if (!list_has(have, strcspn(have, "\n"), ctrl)) {
			have[strcspn(have, "\n")] = '\0';
			snprintf(err, errlen, "the cgroup v2 hierarchy at %s has no '%s' controller "
				 "(it has: %s)", mnt, ctrl, have[0] ? have : "none");
			return -ENOENT;
		}
		if ((ret = v2_enable(mnt, cfg->parent_cgroup, ctrl)) < 0) {
			snprintf(err, errlen, "cannot enable the '%s' controller under %s: %s", ctrl,
				 mnt, strerror(-ret));
			return ret;
		}
	}
	if ((ret = jail_path(dir, sizeof(dir), "%s/%s/%s", mnt, cfg->parent_cgroup, cfg->id)) < 0)
		return ret;
	for (unsigned int i = 0; i < cg->n; i++)
		if (strcmp(cg->dirs[i], dir) == 0)
			return 0; /* co-mounted controllers share one directory */
	if (access(dir, F_OK) == 0) {
		snprintf(err, errlen, "cgroup %s already exists: a VM with this id runs, or its "
			 "jail was not cleaned up (--cleanup)", dir);
		return -EEXIST;
	}
	if ((ret = jail_fs_mkdirs(&cg->created, dir, 0755)) < 0) {
		snprintf(err, errlen, "cannot create cgroup %s: %s", dir, strerror(-ret));
		return ret;
	}
	if (cfg->cgroup_version == 1 && strcmp(ctrl, "cpuset") == 0 &&
	    (ret = cpuset_inherit(&cg->created, mnt)) < 0) {
		snprintf(err, errlen, "cannot set up cpuset cgroup %s: %s", dir, strerror(-ret));
		return ret;
	}
	return add_dir(cg, dir);
}

static int write_settings(const struct jail_cfg *cfg, const char *mountinfo, char *err, size_t errlen)
{
	char ctrl[64], mnt[PATH_MAX], path[PATH_MAX];
	int ret;

	for (unsigned int i = 0; i < cfg->ncgroups; i++) {
		const struct jail_cgroup_setting *s = &cfg->cgroups[i];
		controller_of(s->file, ctrl, sizeof(ctrl));
		if (jail_cgroup_find_mount(mountinfo, cfg->cgroup_version, ctrl, mnt, sizeof(mnt)) < 0)
			return -ENOENT;
		if (jail_path(path, sizeof(path), "%s/%s/%s/%s", mnt, cfg->parent_cgroup, cfg->id,
			      s->file) < 0 || access(path, F_OK) < 0) {
			snprintf(err, errlen, "unknown cgroup file '%s' (no %s)", s->file, path);
			return -ENOENT;
		}
		if ((ret = write_file(path, s->value)) < 0) {
			snprintf(err, errlen, "cannot write '%s' to %s: %s", s->value, path,
				 strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int jail_cgroup_setup(const struct jail_cfg *cfg, struct jail_cgroups *cg, char *err,
		      size_t errlen)
{
	char *mountinfo = NULL, ctrl[64];
	int ret;

	memset(cg, 0, sizeof(*cg));
	if ((ret = read_mountinfo(&mountinfo)) < 0) {
		snprintf(err, errlen, "cannot read /proc/self/mountinfo: %s", strerror(-ret));
		return ret;
	}
	/* v2 gets the VM's cgroup even without settings. */
	if (cfg->cgroup_version == 2 && (ret = setup_one(cfg, cg, mountinfo, "", err, errlen)) < 0)
		goto fail;
	for (unsigned int i = 0; i < cfg->ncgroups; i++) {
		controller_of(cfg->cgroups[i].file, ctrl, sizeof(ctrl));
		if ((ret = setup_one(cfg, cg, mountinfo, ctrl, err, errlen)) < 0)
			goto fail;
	}
	if ((ret = write_settings(cfg, mountinfo, err, errlen)) < 0)
		goto fail;
	free(mountinfo);
	return 0;
fail:
	free(mountinfo);
	jail_cgroup_undo(cg);
	return ret;
}

int jail_cgroup_attach(const struct jail_cgroups *cg, pid_t pid, char *err, size_t errlen)
{
	char path[PATH_MAX], num[32];
	int ret;

	snprintf(num, sizeof(num), "%d", (int)pid);
	for (unsigned int i = 0; i < cg->n; i++) {
		if ((ret = jail_path(path, sizeof(path), "%s/cgroup.procs", cg->dirs[i])) < 0 ||
		    (ret = write_file(path, num)) < 0) {
			snprintf(err, errlen, "cannot move the VM into cgroup %s: %s", cg->dirs[i],
				 strerror(-ret));
			return ret;
		}
	}
	return 0;
}

void jail_cgroup_undo(struct jail_cgroups *cg)
{
	jail_fs_undo(&cg->created);
	jail_cgroup_free(cg);
}

void jail_cgroup_free(struct jail_cgroups *cg)
{
	jail_fs_forget(&cg->created);
	for (unsigned int i = 0; i < cg->n; i++)
		free(cg->dirs[i]);
	cg->n = 0;
}

int jail_cgroup_remove(const struct jail_cfg *cfg, char *err, size_t errlen)
{
	char *mountinfo = NULL, dir[PATH_MAX];
	struct mount_entry e;
	int ret = read_mountinfo(&mountinfo);

	if (ret < 0)
		return ret;
	/* Every hierarchy of that version may hold a PARENT/ID: the settings
	 * that named the controllers are not known any more. */
	for (const char *line = mountinfo; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		if (parse_mount_line(line, len, &e) && is_hierarchy(&e, cfg->cgroup_version, "")) {
			if (jail_path(dir, sizeof(dir), "%s/%s/%s", e.mnt, cfg->parent_cgroup,
				      cfg->id) == 0 && rmdir(dir) < 0 && errno != ENOENT && ret == 0) {
				ret = -errno;
				snprintf(err, errlen, "cannot remove cgroup %s: %s%s", dir,
					 strerror(errno), errno == EBUSY ? " (the VM still runs)" : "");
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	free(mountinfo);
	return ret;
}
