#include "iov_copy.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static size_t iov_copy(const struct iovec *iov, unsigned int n, size_t off, uint8_t *buf,
		       size_t len, bool to_iov)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;
		if (off >= l) {
			off -= l;
			continue;
		}
		size_t take = l - off < len - done ? l - off : len - done;
		uint8_t *seg = (uint8_t *)iov[i].iov_base + off;
		if (to_iov)
			memcpy(seg, buf + done, take);
		else
			memcpy(buf + done, seg, take);
		done += take;
		off = 0;
	}
	return done;
}

size_t iov_copy_from(void *dst, const struct iovec *iov, unsigned int n, size_t off, size_t len)
{
	return iov_copy(iov, n, off, dst, len, false);
}

size_t iov_copy_to(const struct iovec *iov, unsigned int n, size_t off, const void *src,
		   size_t len)
{
	/* Only read through the pointer in this direction. */
	return iov_copy(iov, n, off, (uint8_t *)(uintptr_t)src, len, true);
}
