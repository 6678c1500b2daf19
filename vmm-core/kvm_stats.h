/* KVM's own per-vCPU counters through KVM_GET_STATS_FD (binary stats):
 * exits, halts, injected interrupts... as the kernel counts them. The
 * descriptors are read once at open; reading the values is one pread. */
#ifndef CELLVM_KVM_STATS_H
#define CELLVM_KVM_STATS_H

#include <stddef.h>
#include <stdint.h>

#define KVM_STATS_NAME_MAX 48

struct kvm_stat_value {
	char name[KVM_STATS_NAME_MAX];
	uint64_t value;
};

struct kvm_stats {
	int fd;                  /* -1 when the kernel has no binary stats */
	unsigned int n;          /* single-value stats kept */
	uint32_t *offsets;       /* of each kept stat inside the data block */
	char (*names)[KVM_STATS_NAME_MAX];
	uint32_t data_offset;
	size_t data_len;         /* bytes of the data block that hold them */
};

/* Opens the stats of a vCPU (or VM) fd. A kernel without binary stats is
 * not an error: s->fd stays -1 and reads return 0 values. */
int kvm_stats_open(struct kvm_stats *s, int kvm_obj_fd);
void kvm_stats_close(struct kvm_stats *s);
/* Fills up to max values; returns how many, or -errno. Safe to call from
 * any thread while the fd is open (pread does not move a file offset). */
int kvm_stats_read(struct kvm_stats *s, struct kvm_stat_value *out, unsigned int max);

#endif
