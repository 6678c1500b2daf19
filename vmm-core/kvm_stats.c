#include "kvm_stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

/* A sane upper bound on what a kernel describes, so a bad header cannot
 * make us allocate without limit. */
#define KVM_STATS_MAX_DESC 1024
#define KVM_STATS_MAX_NAME 256

static int read_exact(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int kvm_stats_open(struct kvm_stats *s, int kvm_obj_fd)
{
	struct kvm_stats_header h;
	uint8_t *descs = NULL;
	int ret;

	memset(s, 0, sizeof(*s));
	s->fd = ioctl(kvm_obj_fd, KVM_GET_STATS_FD, NULL);
	if (s->fd < 0) {
		s->fd = -1;
		return 0;
	}
	if ((ret = read_exact(s->fd, &h, sizeof(h), 0)) < 0)
		goto fail;
	if (h.num_desc == 0 || h.num_desc > KVM_STATS_MAX_DESC || h.name_size == 0 ||
	    h.name_size > KVM_STATS_MAX_NAME) {
		ret = -EPROTO;
		goto fail;
	}
	size_t dsize = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = malloc(dsize * h.num_desc);
	s->offsets = calloc(h.num_desc, sizeof(*s->offsets));
	s->names = calloc(h.num_desc, sizeof(*s->names));
	if (!descs || !s->offsets || !s->names) {
		ret = -ENOMEM;
		goto fail;
	}
	if ((ret = read_exact(s->fd, descs, dsize * h.num_desc, h.desc_offset)) < 0)
		goto fail;
	for (uint32_t i = 0; i < h.num_desc; i++) {
		const struct kvm_stats_desc *d = (const void *)(descs + i * dsize);
		uint32_t type = d->flags & KVM_STATS_TYPE_MASK;
		/* Histograms (size > 1) do not fit a name = value list. */
		if (d->size != 1 || (type != KVM_STATS_TYPE_CUMULATIVE &&
				     type != KVM_STATS_TYPE_INSTANT && type != KVM_STATS_TYPE_PEAK))
			continue;
		size_t end = (size_t)d->offset + sizeof(uint64_t);
		if (end > s->data_len)
			s->data_len = end;
		s->offsets[s->n] = d->offset;
		size_t nlen = strnlen(d->name, h.name_size);
		if (nlen >= KVM_STATS_NAME_MAX)
			nlen = KVM_STATS_NAME_MAX - 1;
		memcpy(s->names[s->n], d->name, nlen);
		s->names[s->n][nlen] = '\0';
		s->n++;
	}
	if (s->data_len > 64 * 1024) {
		ret = -EPROTO;
		goto fail;
	}
	s->data_offset = h.data_offset;
	free(descs);
	return 0;
fail:
	free(descs);
	kvm_stats_close(s);
	return ret;
}

void kvm_stats_close(struct kvm_stats *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->offsets);
	free(s->names);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

int kvm_stats_read(struct kvm_stats *s, struct kvm_stat_value *out, unsigned int max)
{
	unsigned int n = 0;
	uint8_t *block;
	int ret;

	if (s->fd < 0 || s->n == 0 || s->data_len == 0)
		return 0;
	/* A private copy: two readers (the API and the metrics timer) must
	 * not share the scratch buffer. */
	block = malloc(s->data_len);
	if (!block)
		return -ENOMEM;
	if ((ret = read_exact(s->fd, block, s->data_len, s->data_offset)) < 0) {
		free(block);
		return ret;
	}
	for (; n < s->n && n < max; n++) {
		memcpy(out[n].name, s->names[n], sizeof(out[n].name));
		memcpy(&out[n].value, block + s->offsets[n], sizeof(uint64_t));
	}
	free(block);
	return (int)n;
}
