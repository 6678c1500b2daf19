/* Byte views of iovec arrays (a descriptor chain gathered by virtq_pop):
 * copies between a flat buffer and bytes [off, off + len) of iov[0..n).
 * Both return how many bytes were copied, fewer when the array ends. */
#ifndef CELLVM_IOV_COPY_H
#define CELLVM_IOV_COPY_H

#include <stddef.h>
#include <sys/uio.h>

size_t iov_copy_from(void *dst, const struct iovec *iov, unsigned int n, size_t off, size_t len);
size_t iov_copy_to(const struct iovec *iov, unsigned int n, size_t off, const void *src,
		   size_t len);

#endif
