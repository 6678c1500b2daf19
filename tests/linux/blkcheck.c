/* blkcheck: the disk exerciser of the Linux test initramfs (built static).
 *
 *   blkcheck verify DEV SEED PASSES  write the whole disk with O_DIRECT from
 *                                    several threads in requests of 4-64 KiB,
 *                                    read it back in other sizes, compare;
 *                                    pass p writes seed SEED+p
 *   blkcheck mark DEV SEED           write the last 4 KiB through the page
 *                                    cache, no fsync (the reboot syncs it)
 *   blkcheck loop DEV                O_DIRECT 4 KiB reads until killed
 *   blkcheck bench DEV SECONDS       sequential and 4 KiB random throughput
 *   blkcheck drain TTY               wait until TTY (the console) has sent
 *                                    what was written to it: a reboot right
 *                                    after would cut off the last lines
 *
 * Contents are blk_pattern(offset, seed) words (tests/guest/blk_pattern.h),
 * so the host test recomputes the image it must find. One result line per
 * check on stdout; exit 0 when every check held. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../guest/blk_pattern.h"

#define BLOCK 4096u
#define MAX_CHUNK_BLOCKS 16u
#define THREADS 4u
#define MARK_SEED_DELTA 1000u

struct disk {
	int fd;
	uint64_t blocks;
};

struct job {
	const struct disk *d;
	unsigned thread;
	uint64_t seed;
	unsigned pass;
	int write;
	uint64_t requests;
	uint64_t mismatches;
	uint64_t first_bad;
	int err;
};

static uint64_t mix(uint64_t a, uint64_t b)
{
	return blk_pattern(a * 8, b);
}

static void fill(uint8_t *buf, uint64_t off, uint64_t len, uint64_t seed)
{
	for (uint64_t i = 0; i < len; i += 8) {
		uint64_t w = blk_pattern(off + i, seed);
		memcpy(buf + i, &w, 8);
	}
}

/* Offset of the first word of buf that is not the pattern, or UINT64_MAX. */
static uint64_t compare(const uint8_t *buf, uint64_t off, uint64_t len, uint64_t seed)
{
	for (uint64_t i = 0; i < len; i += 8) {
		uint64_t w;
		memcpy(&w, buf + i, 8);
		if (w != blk_pattern(off + i, seed))
			return off + i;
	}
	return UINT64_MAX;
}

static int pio(int fd, int write, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = write ? pwrite(fd, (char *)buf + done, len - done, (off_t)(off + done))
				  : pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

/* Chunks tile the disk; chunk k belongs to thread k % THREADS. Their sizes
 * depend on the pass and on reading or writing, so reads cross the
 * boundaries of the writes that filled them. */
static void *verify_worker(void *arg)
{
	struct job *j = arg;
	uint8_t *buf = NULL;
	if (posix_memalign((void **)&buf, BLOCK, MAX_CHUNK_BLOCKS * BLOCK)) {
		j->err = -ENOMEM;
		return NULL;
	}
	uint64_t salt = j->pass * 2 + (unsigned)j->write;
	uint64_t blk = 0;
	j->first_bad = UINT64_MAX;
	for (uint64_t k = 0; blk < j->d->blocks; k++) {
		uint64_t n = 1 + mix(k, salt) % MAX_CHUNK_BLOCKS;
		if (n > j->d->blocks - blk)
			n = j->d->blocks - blk;
		if (k % THREADS == j->thread) {
			uint64_t off = blk * BLOCK, len = n * BLOCK;
			if (j->write)
				fill(buf, off, len, j->seed);
			int rc = pio(j->d->fd, j->write, buf, len, off);
			if (rc) {
				j->err = rc;
				break;
			}
			j->requests++;
			if (!j->write) {
				uint64_t bad = compare(buf, off, len, j->seed);
				if (bad != UINT64_MAX) {
					j->mismatches++;
					if (bad < j->first_bad)
						j->first_bad = bad;
				}
			}
		}
		blk += n;
	}
	free(buf);
	return NULL;
}

static int run_pass(const struct disk *d, uint64_t seed, unsigned pass, int write,
		    uint64_t *requests, uint64_t *mismatches, uint64_t *first_bad)
{
	struct job jobs[THREADS];
	pthread_t th[THREADS];
	int err = 0;
	for (unsigned t = 0; t < THREADS; t++) {
		jobs[t] = (struct job){ .d = d, .thread = t, .seed = seed, .pass = pass, .write = write };
		if (pthread_create(&th[t], NULL, verify_worker, &jobs[t]))
			return -EAGAIN;
	}
	for (unsigned t = 0; t < THREADS; t++) {
		pthread_join(th[t], NULL);
		*requests += jobs[t].requests;
		*mismatches += jobs[t].mismatches;
		if (jobs[t].first_bad < *first_bad)
			*first_bad = jobs[t].first_bad;
		if (jobs[t].err && !err)
			err = jobs[t].err;
	}
	return err;
}

static int disk_open(struct disk *d, const char *path, int flags)
{
	d->fd = open(path, flags);
	if (d->fd < 0) {
		printf("blkcheck FAIL open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	uint64_t bytes = 0;
	if (ioctl(d->fd, BLKGETSIZE64, &bytes) < 0 || bytes < BLOCK) {
		printf("blkcheck FAIL %s: no size\n", path);
		close(d->fd);
		return -EINVAL;
	}
	d->blocks = bytes / BLOCK;
	return 0;
}

static int cmd_verify(const char *path, uint64_t seed, unsigned passes)
{
	struct disk d;
	if (disk_open(&d, path, O_RDWR | O_DIRECT))
		return 1;
	uint64_t writes = 0, reads = 0, mismatches = 0, first_bad = UINT64_MAX;
	int rc = 0;
	for (unsigned p = 0; p < passes && !rc && !mismatches; p++) {
		rc = run_pass(&d, seed + p, p, 1, &writes, &mismatches, &first_bad);
		if (!rc)
			rc = run_pass(&d, seed + p, p, 0, &reads, &mismatches, &first_bad);
	}
	close(d.fd);
	if (rc || mismatches) {
		printf("blkcheck FAIL writes=%" PRIu64 " reads=%" PRIu64 " mismatches=%" PRIu64
		       " first-bad=%" PRIu64 " error=%s\n",
		       writes, reads, mismatches, first_bad, rc ? strerror(-rc) : "none");
		return 1;
	}
	printf("blkcheck ok writes=%" PRIu64 " reads=%" PRIu64 " bytes=%" PRIu64
	       " final-seed=%" PRIu64 "\n",
	       writes, reads, d.blocks * BLOCK, seed + passes - 1);
	return 0;
}

static int cmd_mark(const char *path, uint64_t seed)
{
	struct disk d;
	if (disk_open(&d, path, O_RDWR))
		return 1;
	uint8_t buf[BLOCK];
	uint64_t off = (d.blocks - 1) * BLOCK;
	fill(buf, off, BLOCK, seed + MARK_SEED_DELTA);
	int rc = pio(d.fd, 1, buf, BLOCK, off);
	close(d.fd);
	if (rc) {
		printf("blkcheck FAIL mark: %s\n", strerror(-rc));
		return 1;
	}
	printf("blkcheck mark offset=%" PRIu64 " seed=%" PRIu64 "\n", off, seed + MARK_SEED_DELTA);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_loop(const char *path)
{
	struct disk d;
	if (disk_open(&d, path, O_RDONLY | O_DIRECT))
		return 1;
	uint8_t *buf = NULL;
	if (posix_memalign((void **)&buf, BLOCK, BLOCK))
		return 1;
	uint64_t ok = 0, errors = 0;
	for (uint64_t i = 0;; i++) {
		int rc = pio(d.fd, 0, buf, BLOCK, (mix(i, 7) % d.blocks) * BLOCK);
		if (rc) {
			errors++;
			printf("blkloop error %s count=%" PRIu64 "\n", strerror(-rc), errors);
			usleep(100000);
		} else if (++ok % 200 == 0) {
			printf("blkloop ok %" PRIu64 "\n", ok);
		}
	}
}

struct bench_job {
	const struct disk *d;
	unsigned thread;
	int write;
	double until;
	uint64_t ops;
	int err;
};

static void *bench_worker(void *arg)
{
	struct bench_job *j = arg;
	uint8_t *buf = NULL;
	if (posix_memalign((void **)&buf, BLOCK, BLOCK)) {
		j->err = -ENOMEM;
		return NULL;
	}
	memset(buf, 0x5a, BLOCK);
	for (uint64_t i = 0; now_s() < j->until; i++) {
		uint64_t off = (mix(i, j->thread + 100) % j->d->blocks) * BLOCK;
		int rc = pio(j->d->fd, j->write, buf, BLOCK, off);
		if (rc) {
			j->err = rc;
			break;
		}
		j->ops++;
	}
	free(buf);
	return NULL;
}

static int bench_random(const struct disk *d, int write, unsigned threads, double seconds)
{
	struct bench_job jobs[THREADS];
	pthread_t th[THREADS];
	double t0 = now_s();
	for (unsigned t = 0; t < threads; t++) {
		jobs[t] = (struct bench_job){ .d = d, .thread = t, .write = write, .until = t0 + seconds };
		if (pthread_create(&th[t], NULL, bench_worker, &jobs[t]))
			return -EAGAIN;
	}
	uint64_t ops = 0;
	int err = 0;
	for (unsigned t = 0; t < threads; t++) {
		pthread_join(th[t], NULL);
		ops += jobs[t].ops;
		if (jobs[t].err)
			err = jobs[t].err;
	}
	double dt = now_s() - t0;
	printf("blkbench rand%s-4k-qd%u iops=%.0f ops=%" PRIu64 "%s%s\n", write ? "write" : "read",
	       threads, (double)ops / dt, ops, err ? " error=" : "", err ? strerror(-err) : "");
	return err;
}

static int bench_seq(const struct disk *d, int write)
{
	const size_t chunk = 1u << 20;
	uint8_t *buf = NULL;
	if (posix_memalign((void **)&buf, BLOCK, chunk))
		return -ENOMEM;
	memset(buf, 0xa5, chunk);
	uint64_t bytes = d->blocks * BLOCK / chunk * chunk;
	double t0 = now_s();
	int rc = 0;
	for (uint64_t off = 0; off < bytes && !rc; off += chunk)
		rc = pio(d->fd, write, buf, chunk, off);
	double dt = now_s() - t0;
	free(buf);
	printf("blkbench seq%s-1m mbps=%.1f bytes=%" PRIu64 "%s%s\n", write ? "write" : "read",
	       (double)bytes / dt / 1e6, bytes, rc ? " error=" : "", rc ? strerror(-rc) : "");
	return rc;
}

static int cmd_bench(const char *path, double seconds)
{
	struct disk d;
	if (disk_open(&d, path, O_RDWR | O_DIRECT))
		return 1;
	int rc = bench_seq(&d, 1);
	rc = rc ? rc : bench_seq(&d, 0);
	rc = rc ? rc : bench_random(&d, 0, 1, seconds);
	rc = rc ? rc : bench_random(&d, 0, THREADS, seconds);
	rc = rc ? rc : bench_random(&d, 1, 1, seconds);
	rc = rc ? rc : bench_random(&d, 1, THREADS, seconds);
	close(d.fd);
	return rc ? 1 : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: blkcheck verify DEV SEED PASSES | mark DEV SEED | loop DEV |"
			" bench DEV SECONDS | drain TTY\n");
	return 2;
}

/* A UART that paces its output at the line rate (QEMU's 16550 does) may
 * still hold a few hundred bytes of the tty's buffer when init reboots. */
static int cmd_drain(const char *tty)
{
	int fd = open(tty, O_WRONLY | O_NOCTTY | O_CLOEXEC);

	if (fd < 0 || tcdrain(fd) < 0) {
		fprintf(stderr, "blkcheck: drain %s: %s\n", tty, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	/* Lines go through a pipe to the console; each must arrive whole and
	 * at once, and loop mode never exits to flush. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		return usage();
	const char *cmd = argv[1], *dev = argv[2];
	if (!strcmp(cmd, "verify") && argc == 5) {
		unsigned passes = (unsigned)strtoul(argv[4], NULL, 10);
		if (passes < 1 || passes > 100)
			return usage();
		return cmd_verify(dev, strtoull(argv[3], NULL, 10), passes);
	}
	if (!strcmp(cmd, "mark") && argc == 4)
		return cmd_mark(dev, strtoull(argv[3], NULL, 10));
	if (!strcmp(cmd, "loop") && argc == 3)
		return cmd_loop(dev);
	if (!strcmp(cmd, "drain") && argc == 3)
		return cmd_drain(dev);
	if (!strcmp(cmd, "bench") && argc == 4) {
		double s = strtod(argv[3], NULL);
		if (!(s > 0 && s <= 600))
			return usage();
		return cmd_bench(dev, s);
	}
	return usage();
}
