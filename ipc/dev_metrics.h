/* Counters a device process keeps for the core: one page of shared memory
 * per device. The core creates it (a sealed 4 KiB memfd), maps it
 * read-only, and hands the fd to the device at spawn (`--metrics-fd N`);
 * the device maps it writable and bumps the counters with relaxed atomic
 * adds -- no syscall, no message, nothing on the data path but an add.
 *
 * The core only ever reads numbers from the page, so a compromised device
 * can at worst report wrong counts; the seals keep it from shrinking the
 * file under the core's mapping (which would turn a read into SIGBUS). */
#ifndef CELLVM_DEV_METRICS_H
#define CELLVM_DEV_METRICS_H

#include <stdint.h>

#define DEV_METRICS_MAGIC   0x4d564c43u /* "CLVM" */
#define DEV_METRICS_VERSION 1u
#define DEV_METRICS_SIZE    4096u
#define DEV_METRICS_EXTRA   32

struct dev_metrics {
	uint32_t magic;        /* written by the core before the device starts */
	uint32_t version;
	uint32_t attached;     /* set to 1 by a device that keeps the counters */
	uint32_t reserved;
	uint64_t requests;     /* requests completed (any outcome) */
	uint64_t read_bytes;   /* bytes read for the guest (disk reads, entropy) */
	uint64_t write_bytes;  /* bytes written for the guest (disk writes) */
	uint64_t errors;       /* requests completed with an error status */
	/* Counters of the device's own kind, named by the core from a table
	 * per device type (vsock_counters.h); zero when unused. */
	uint64_t extra[DEV_METRICS_EXTRA];
};

/* Device side: maps the page the core passed as fd and marks it attached.
 * Returns NULL (and the device simply keeps no counters) when fd is not
 * a page from the core. */
struct dev_metrics *dev_metrics_attach(int fd);

/* Device side, for a --metrics-fd N option: attaches to fd and closes it
 * either way (the mapping outlives the fd, and a sandboxed device should
 * hold no fd it has no use for). fd < 0: no page was given, NULL. When fd
 * is not a counters page, says so on stderr as prog and returns NULL. */
struct dev_metrics *dev_metrics_adopt(int fd, const char *prog);

static inline void dev_metrics_add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* Core side: creates the sealed page; returns the fd and maps it
 * read-only at *page, or -errno. */
int dev_metrics_create(const struct dev_metrics **page);
void dev_metrics_unmap(const struct dev_metrics *page);

static inline uint64_t dev_metrics_get(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

#endif
