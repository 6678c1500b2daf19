#include "blk_iov.h"

#include <errno.h>
#include <string.h>

uint64_t blk_iov_size(const struct iovec *iov, unsigned int n)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (iov[i].iov_len > UINT64_MAX - total)
			return UINT64_MAX;
		total += iov[i].iov_len;
	}
	return total;
}

/* Finds the segment holding byte `skip`; *seg_off gets the offset in it.
 * Returns n when skip is at or past the end. */
static unsigned int iov_locate(const struct iovec *iov, unsigned int n, uint64_t skip,
			       uint64_t *seg_off)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (skip < iov[i].iov_len)
			break;
		skip -= iov[i].iov_len;
	}
	*seg_off = skip;
	return i;
}

size_t blk_iov_to_buf(const struct iovec *iov, unsigned int n, uint64_t skip, void *dst,
		      size_t len)
{
	uint8_t *d = dst;
	size_t done = 0;
	uint64_t off;

	for (unsigned int i = iov_locate(iov, n, skip, &off); i < n && done < len; i++, off = 0) {
		size_t chunk = iov[i].iov_len - off;

		if (chunk > len - done)
			chunk = len - done;
		memcpy(d + done, (const uint8_t *)iov[i].iov_base + off, chunk);
		done += chunk;
	}
	return done;
}

size_t blk_iov_from_buf(const struct iovec *iov, unsigned int n, uint64_t skip, const void *src,
			size_t len)
{
	const uint8_t *s = src;
	size_t done = 0;
	uint64_t off;

	for (unsigned int i = iov_locate(iov, n, skip, &off); i < n && done < len; i++, off = 0) {
		size_t chunk = iov[i].iov_len - off;

		if (chunk > len - done)
			chunk = len - done;
		memcpy((uint8_t *)iov[i].iov_base + off, s + done, chunk);
		done += chunk;
	}
	return done;
}

int blk_iov_slice(const struct iovec *iov, unsigned int n, uint64_t skip, uint64_t len,
		  struct iovec *out, unsigned int max)
{
	unsigned int count = 0;
	uint64_t off;
	unsigned int i = iov_locate(iov, n, skip, &off);

	for (; i < n && len > 0; i++, off = 0) {
		uint64_t chunk = iov[i].iov_len - off;

		if (chunk == 0)
			continue;
		if (chunk > len)
			chunk = len;
		if (count == max)
			return -E2BIG;
		out[count].iov_base = (uint8_t *)iov[i].iov_base + off;
		out[count].iov_len = chunk;
		count++;
		len -= chunk;
	}
	if (len > 0)
		return -EINVAL;
	return (int)count;
}

uint8_t *blk_iov_byte(const struct iovec *iov, unsigned int n, uint64_t off)
{
	uint64_t seg_off;
	unsigned int i = iov_locate(iov, n, off, &seg_off);

	if (i == n)
		return NULL;
	return (uint8_t *)iov[i].iov_base + seg_off;
}

uint64_t blk_iov_advance(struct iovec **iov, unsigned int *n, uint64_t bytes)
{
	struct iovec *v = *iov;
	unsigned int left = *n;

	while (left > 0 && bytes >= v->iov_len) {
		bytes -= v->iov_len;
		v++;
		left--;
	}
	if (left > 0) {
		v->iov_base = (uint8_t *)v->iov_base + bytes;
		v->iov_len -= bytes;
		bytes = 0;
	}
	*iov = v;
	*n = left;
	return bytes;
}
