#include "linux_guest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmrun.h"

#define MARK_BYTES 4096u

static int find_one(char *out, const char *dir, const char *name, char *msg, size_t msglen)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/linux/%s", dir, name);
	if (!realpath(path, out)) {
		snprintf(msg, msglen, "%s: %s (make linux fetches it)", path, strerror(errno));
		return -ENOENT;
	}
	return 0;
}

int linux_guest_find(struct linux_guest *g, char *msg, size_t msglen)
{
	const char *dir = test_env("BUILD", "build");
	int r = find_one(g->bzimage, dir, "vmlinuz", msg, msglen);
	if (!r)
		r = find_one(g->vmlinux, dir, "vmlinux", msg, msglen);
	if (!r)
		r = find_one(g->initrd, dir, "initramfs.cpio.gz", msg, msglen);
	return r;
}

bool linux_line(const char *text, const char *what, char *line, size_t size)
{
	char prefix[128];
	char full[1024];

	snprintf(prefix, sizeof(prefix), LINUX_SAYS "%s", what);
	if (!probe_line(text ? text : "", prefix, full, sizeof(full)))
		return false;
	snprintf(line, size, "%s", full + strlen(LINUX_SAYS));
	return true;
}

unsigned int linux_count(const char *text, const char *what)
{
	char prefix[128], line[1024];
	unsigned int n = 0;

	snprintf(prefix, sizeof(prefix), LINUX_SAYS "%s", what);
	while (text && probe_line_n(text, prefix, (int)n, line, sizeof(line)))
		n++;
	return n;
}

unsigned int linux_last_tick(const char *text)
{
	static const char tick[] = LINUX_SAYS "tick ";
	unsigned int last = 0;

	for (const char *p = text; p && (p = strstr(p, tick)); p++) {
		unsigned long v = strtoul(p + strlen(tick), NULL, 10);
		if (v > last && v < 1000000)
			last = (unsigned int)v;
	}
	return last;
}

bool linux_check_image(const char *path, uint64_t final_seed, uint64_t mark_seed, char *msg,
		       size_t msglen)
{
	size_t len;
	char why[256];
	uint8_t *buf = test_read_file(path, &len);

	if (!buf) {
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		return false;
	}
	bool ok = len >= MARK_BYTES && len % MARK_BYTES == 0;
	if (!ok)
		snprintf(why, sizeof(why), "%zu bytes, not whole 4 KiB blocks", len);
	if (ok && !test_check_pattern_range(buf, 0, len - MARK_BYTES, final_seed, why, sizeof(why)))
		ok = false;
	if (ok && !test_check_pattern_range(buf, len - MARK_BYTES, len, mark_seed, why, sizeof(why))) {
		/* The marker went through the page cache: only reboot's sync
		 * wrote it, so losing it means the flush at reboot was lost. */
		size_t l = strlen(why);
		snprintf(why + l, sizeof(why) - l, " (the marker block written before reboot)");
		ok = false;
	}
	free(buf);
	if (!ok)
		snprintf(msg, msglen, "%s: %s", path, why);
	return ok;
}

int linux_test_cpus(void)
{
	const char *h = getenv("CELLVM_KVM_HOST");

	if (h && strcmp(h, "nested") == 0 && !getenv("CELLVM_TEST_LINUX_SMP"))
		return 1;
	return 2;
}

const char *linux_test_cpus_str(void)
{
	return linux_test_cpus() == 1 ? "1" : "2";
}
