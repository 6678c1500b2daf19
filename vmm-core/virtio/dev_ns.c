#include "dev_ns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

static bool have_cap(cap_t c, cap_value_t v)
{
	cap_flag_value_t f = CAP_CLEAR;

	return cap_get_flag(c, v, CAP_EFFECTIVE, &f) == 0 && f == CAP_SET;
}

int dev_ns_choose(struct dev_ns_ids *ids)
{
	cap_t c = cap_get_proc();

	if (!c)
		return -errno;
	ids->privileged = have_cap(c, CAP_SETUID) && have_cap(c, CAP_SETGID);
	cap_free(c);
	ids->uid = ids->privileged ? DEV_NS_NOBODY : geteuid();
	ids->gid = ids->privileged ? DEV_NS_NOBODY : getegid();
	return 0;
}

static int write_proc(pid_t pid, const char *file, const char *text)
{
	char path[64];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != strlen(text))
		ret = -EIO;
	close(fd);
	return ret;
}

static int write_map(pid_t pid, const char *file, unsigned int id)
{
	char map[32];

	snprintf(map, sizeof(map), "0 %u 1\n", id);
	return write_proc(pid, file, map);
}

int dev_ns_write_maps(pid_t pid, struct dev_ns_ids *ids)
{
	int ret;

	/* A root that does not own the id space (a container's, say) may not
	 * be able to map nobody: it falls back to its own ids, as any
	 * unprivileged process does. gid_map comes first, so a refusal there
	 * leaves both maps unwritten. */
	if (ids->privileged) {
		if (write_map(pid, "gid_map", ids->gid) == 0)
			return write_map(pid, "uid_map", ids->uid);
		ids->privileged = false;
		ids->uid = geteuid();
		ids->gid = getegid();
	}
	/* Without CAP_SETGID over our own namespace, Linux accepts a gid map
	 * only once setgroups(2) is disabled for the child for good. */
	if ((ret = write_proc(pid, "setgroups", "deny")) < 0 ||
	    (ret = write_map(pid, "gid_map", ids->gid)) < 0)
		return ret;
	return write_map(pid, "uid_map", ids->uid);
}
