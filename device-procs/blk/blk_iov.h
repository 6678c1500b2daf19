/* Byte-level views of a descriptor chain's iovecs. A guest may split a
 * request's header, data and status across descriptors in any layout, so
 * the request code works on byte offsets and never on segment boundaries. */
#ifndef CELLVM_BLK_IOV_H
#define CELLVM_BLK_IOV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Total bytes in iov[0..n). Saturates at UINT64_MAX instead of wrapping. */
uint64_t blk_iov_size(const struct iovec *iov, unsigned int n);

/* Copies up to len bytes starting `skip` bytes into iov[0..n) to dst;
 * returns how many were copied (less than len when the iovecs end). */
size_t blk_iov_to_buf(const struct iovec *iov, unsigned int n, uint64_t skip, void *dst,
		      size_t len);

/* Copies len bytes from src into iov[0..n) starting `skip` bytes in;
 * returns how many were copied. */
size_t blk_iov_from_buf(const struct iovec *iov, unsigned int n, uint64_t skip, const void *src,
			size_t len);

/* Describes bytes [skip, skip+len) of iov[0..n) as a new iovec array in
 * out[0..max), dropping empty segments. Returns the number of segments,
 * -E2BIG when more than max would be needed, -EINVAL when the range does
 * not lie inside the iovecs. */
int blk_iov_slice(const struct iovec *iov, unsigned int n, uint64_t skip, uint64_t len,
		  struct iovec *out, unsigned int max);

/* Host pointer to byte `off` of iov[0..n), or NULL when off is past the end. */
uint8_t *blk_iov_byte(const struct iovec *iov, unsigned int n, uint64_t off);

/* Consumes `bytes` from the front of the array (*iov, *n) (after a short
 * read or write): whole segments are skipped and the first remaining one
 * is trimmed in place. Returns the bytes that could not be consumed
 * because the array ended (0 in the normal case). */
uint64_t blk_iov_advance(struct iovec **iov, unsigned int *n, uint64_t bytes);

#endif
