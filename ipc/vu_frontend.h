/* A vhost-user frontend (the core's side of a device process). Calls are
 * synchronous: each sends one request and, when the request has a reply
 * or REPLY_ACK is negotiated, waits for it with a deadline, so a dead or
 * stuck backend costs a timeout, never a hang. After a timeout or a
 * malformed reply the connection is out of step and every later call
 * fails with -EPIPE: the caller should tear the device down. */
#ifndef CELLVM_VU_FRONTEND_H
#define CELLVM_VU_FRONTEND_H

#include <stdbool.h>
#include <stdint.h>

#include "vu_msg.h"

#define VU_FRONTEND_DEFAULT_TIMEOUT_MS 5000

struct vu_frontend {
	int sock;
	int timeout_ms;
	uint64_t protocol_features; /* acked by set_protocol_features */
	bool dead;                  /* out of step with the backend */
};

/* Attaches to a connected socket (ownership moves to fe); timeout_ms <= 0
 * picks the default. */
void vu_frontend_attach(struct vu_frontend *fe, int sock, int timeout_ms);
/* Connects to a backend listening on a UNIX socket path. */
int vu_frontend_connect(struct vu_frontend *fe, const char *path, int timeout_ms);
void vu_frontend_close(struct vu_frontend *fe);

int vu_frontend_get_features(struct vu_frontend *fe, uint64_t *features);
int vu_frontend_set_features(struct vu_frontend *fe, uint64_t features);
int vu_frontend_set_owner(struct vu_frontend *fe);
int vu_frontend_get_protocol_features(struct vu_frontend *fe, uint64_t *pf);
/* Also turns on REPLY_ACK handling for later calls when pf has it. */
int vu_frontend_set_protocol_features(struct vu_frontend *fe, uint64_t pf);
int vu_frontend_get_queue_num(struct vu_frontend *fe, uint64_t *num);

struct vu_frontend_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t user_addr;   /* the frontend's mapping: ring addresses use it */
	uint64_t mmap_offset; /* offset of gpa inside fd */
	int fd;               /* stays the caller's */
};
int vu_frontend_set_mem_table(struct vu_frontend *fe, const struct vu_frontend_region *r,
			      unsigned int n);

int vu_frontend_set_vring_num(struct vu_frontend *fe, unsigned int idx, unsigned int num);
/* Ring addresses are frontend virtual addresses. */
int vu_frontend_set_vring_addr(struct vu_frontend *fe, unsigned int idx, uint64_t desc,
			       uint64_t avail, uint64_t used);
int vu_frontend_set_vring_base(struct vu_frontend *fe, unsigned int idx, unsigned int base);
int vu_frontend_get_vring_base(struct vu_frontend *fe, unsigned int idx, unsigned int *base);
/* fd < 0 sends the "no fd" flag. The fd stays the caller's. */
int vu_frontend_set_vring_kick(struct vu_frontend *fe, unsigned int idx, int fd);
int vu_frontend_set_vring_call(struct vu_frontend *fe, unsigned int idx, int fd);
int vu_frontend_set_vring_err(struct vu_frontend *fe, unsigned int idx, int fd);
int vu_frontend_set_vring_enable(struct vu_frontend *fe, unsigned int idx, bool enable);

/* len <= VU_MAX_CONFIG_SIZE. get_config fails with -EIO when the backend
 * answers with the empty payload that means "refused". */
int vu_frontend_get_config(struct vu_frontend *fe, uint32_t offset, void *buf, uint32_t len);
int vu_frontend_set_config(struct vu_frontend *fe, uint32_t offset, const void *buf, uint32_t len);
int vu_frontend_reset_device(struct vu_frontend *fe);

/* INFLIGHT_SHMFD: asks the backend for a tracking region for num_queues
 * rings of queue_size; on success *fd (the caller's now) and *desc describe
 * it. A reply that does not match the request, or an fd that is not a
 * regular file as large as claimed, is -EBADMSG. */
int vu_frontend_get_inflight_fd(struct vu_frontend *fe, uint16_t num_queues, uint16_t queue_size,
				struct vu_inflight_payload *desc, int *fd);
/* Hands a region (kept from an earlier backend) to this one; fd stays
 * the caller's. */
int vu_frontend_set_inflight_fd(struct vu_frontend *fe, const struct vu_inflight_payload *desc,
				int fd);

#endif
