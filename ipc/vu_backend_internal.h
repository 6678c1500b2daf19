/* Pieces of the vhost-user backend shared by its files; not for devices. */
#ifndef CELLVM_VU_BACKEND_INTERNAL_H
#define CELLVM_VU_BACKEND_INTERNAL_H

#include "vu_backend.h"
#include "vu_msg.h"

#define VU_DEFAULT_TIMEOUT_MS 5000

void vu_log(const struct vu_backend *be, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Protocol features this backend offers for its device. */
uint64_t vu_backend_protocol_features(const struct vu_backend *be);
uint64_t vu_backend_features(const struct vu_backend *be);

/* Handles one request (already read) and sends its reply if any. 0 to go
 * on, a negative errno to drop the connection. Closes every fd the
 * message carried that a handler did not keep. */
int vu_backend_handle(struct vu_backend *be, struct vu_msg *m);

/* Replaces the memory table from SET_MEM_TABLE; fds stay the caller's. */
int vu_backend_set_mem_table(struct vu_backend *be, const struct vu_mem_table *t,
			     const int *fds, unsigned int nfds);
void vu_backend_unmap(struct guest_map *map);

/* Ring plumbing used by the handlers. */
int vu_backend_watch_kick(struct vu_backend *be, unsigned int qidx, int fd);
void vu_backend_stop_ring(struct vu_backend *be, unsigned int qidx);
/* Lets the device finish every in-flight request (before an unmap). */
void vu_backend_drain_all(struct vu_backend *be);
void vu_backend_run_ring(struct vu_backend *be, unsigned int qidx);
bool vu_backend_any_started(const struct vu_backend *be);
void vu_backend_reset(struct vu_backend *be);

/* vu_backend_inflight.c: the two requests, the restore when a ring
 * starts (0, or -EBADMSG for a region that cannot be trusted) and
 * dropping everything (reset, end of session). */
int vu_backend_get_inflight_fd(struct vu_backend *be, struct vu_msg *m);
int vu_backend_set_inflight_fd(struct vu_backend *be, struct vu_msg *m);
int vu_backend_inflight_start(struct vu_backend *be, unsigned int qidx);
void vu_backend_inflight_drop(struct vu_backend *be);

#endif
