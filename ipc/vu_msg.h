/* vhost-user messages (qemu docs/interop/vhost-user.rst): the wire format,
 * one table describing every request both roles use, and framing with
 * file descriptors over SCM_RIGHTS. Everything that arrives is checked
 * against the table before a handler sees it, so handlers can trust the
 * payload size and the number of fds. */
#ifndef CELLVM_VU_MSG_H
#define CELLVM_VU_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "vu_inflight.h"

/* Header flags. */
#define VHOST_USER_VERSION          0x1u
#define VHOST_USER_VERSION_MASK     0x3u
#define VHOST_USER_REPLY_MASK       (1u << 2)
#define VHOST_USER_NEED_REPLY_MASK  (1u << 3)

/* Feature bit 30 (reserved in virtio) announces protocol features. */
#define VHOST_USER_F_PROTOCOL_FEATURES 30

/* Protocol feature bits. Only the ones cellvm implements are offered. */
#define VHOST_USER_PROTOCOL_F_MQ            0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK     3
#define VHOST_USER_PROTOCOL_F_CONFIG        9
#define VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD 12
#define VHOST_USER_PROTOCOL_F_RESET_DEVICE  13

/* SET_VRING_KICK/CALL/ERR payload: ring index and the "no fd" flag. */
#define VHOST_USER_VRING_IDX_MASK   0xffu
#define VHOST_USER_VRING_NOFD_MASK  (1u << 8)

/* SET_VRING_ADDR flags: dirty logging of the used ring. */
#define VHOST_VRING_F_LOG 0

#define VU_MAX_MEM_REGIONS  8     /* without CONFIGURE_MEM_SLOTS */
#define VU_MAX_CONFIG_SIZE  256   /* what QEMU's frontend allows */
#define VU_MSG_MAX_FDS      8     /* SET_MEM_TABLE carries the most */

enum vu_request {
	VHOST_USER_NONE = 0,
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_SEND_RARP = 19,
	VHOST_USER_NET_SET_MTU = 20,
	VHOST_USER_SET_SLAVE_REQ_FD = 21,
	VHOST_USER_IOTLB_MSG = 22,
	VHOST_USER_SET_VRING_ENDIAN = 23,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_SET_CONFIG = 25,
	VHOST_USER_CREATE_CRYPTO_SESSION = 26,
	VHOST_USER_CLOSE_CRYPTO_SESSION = 27,
	VHOST_USER_POSTCOPY_ADVISE = 28,
	VHOST_USER_POSTCOPY_LISTEN = 29,
	VHOST_USER_POSTCOPY_END = 30,
	VHOST_USER_GET_INFLIGHT_FD = 31,
	VHOST_USER_SET_INFLIGHT_FD = 32,
	VHOST_USER_GPU_SET_SOCKET = 33,
	VHOST_USER_RESET_DEVICE = 34,
	VHOST_USER_VRING_KICK = 35,
	VHOST_USER_GET_MAX_MEM_SLOTS = 36,
	VHOST_USER_ADD_MEM_REG = 37,
	VHOST_USER_REM_MEM_REG = 38,
	VHOST_USER_SET_STATUS = 39,
	VHOST_USER_GET_STATUS = 40,
	VHOST_USER_MAX_REQUEST
};

/* Payload layouts; all fields are naturally aligned, so the in-memory
 * structs match the wire without packing. */
struct vu_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vu_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_uaddr;
	uint64_t used_uaddr;
	uint64_t avail_uaddr;
	uint64_t log_gaddr;
};

struct vu_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t user_addr;
	uint64_t mmap_offset;
};

struct vu_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vu_mem_region regions[VU_MAX_MEM_REGIONS];
};

#define VU_CONFIG_HDR_SIZE 12u
#define VU_CONFIG_F_WRITABLE  0u
#define VU_CONFIG_F_MIGRATION 1u

struct vu_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t data[VU_MAX_CONFIG_SIZE];
};

#define VU_MEM_TABLE_HDR_SIZE 8u
/* The largest payload a cellvm peer accepts: the bigger of a full memory
 * table and a full config access. Anything larger is hostile. */
#define VU_MSG_MAX_PAYLOAD (sizeof(struct vu_config) > sizeof(struct vu_mem_table) ? \
			    sizeof(struct vu_config) : sizeof(struct vu_mem_table))

struct vu_msg_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
};
#define VU_MSG_HDR_SIZE 12u

struct vu_msg {
	struct vu_msg_hdr hdr;
	union {
		uint64_t u64;
		struct vu_vring_state state;
		struct vu_vring_addr addr;
		struct vu_mem_table mem;
		struct vu_config config;
		struct vu_inflight_payload inflight;
		uint8_t raw[VU_MSG_MAX_PAYLOAD];
	} payload;
	int fds[VU_MSG_MAX_FDS];
	unsigned int nfds;
};

/* What a payload is, for size checks and logs. */
enum vu_payload {
	VU_PL_NONE,     /* size 0 */
	VU_PL_U64,
	VU_PL_STATE,
	VU_PL_ADDR,
	VU_PL_MEM,      /* 8 + nregions * 32 */
	VU_PL_CONFIG,   /* 12 + config.size */
	VU_PL_INFLIGHT, /* 24: the inflight description (vu_inflight.h) */
	VU_PL_OTHER,    /* defined by the spec but not implemented here */
};

/* How many fds a request carries. */
enum vu_fds {
	VU_FDS_NONE,
	VU_FDS_VRING,   /* one, unless VHOST_USER_VRING_NOFD_MASK is set */
	VU_FDS_REGIONS, /* one per memory region */
	VU_FDS_ONE,     /* exactly one (SET_INFLIGHT_FD) */
};

struct vu_msg_info {
	const char *name;
	enum vu_payload req;    /* request payload */
	enum vu_payload reply;  /* reply payload; VU_PL_NONE: only a REPLY_ACK u64 */
	enum vu_fds fds;
	bool has_reply;         /* always answered, whatever need_reply says */
	bool reply_fd;          /* the reply carries one fd (GET_INFLIGHT_FD) */
	bool implemented;       /* cellvm handles it (both roles) */
};

/* The table entry for a request id, or NULL for an id the spec does not
 * define. */
const struct vu_msg_info *vu_msg_info(uint32_t request);
const char *vu_msg_name(uint32_t request);

/* Checks a received request against the table: payload size for its kind,
 * fd count. 0, or -EINVAL/-EBADMSG with the reason left to the caller. */
int vu_msg_check_request(const struct vu_msg *m);
/* Same for a reply to request `request`. */
int vu_msg_check_reply(const struct vu_msg *m, uint32_t request);

/* Payload size a kind needs; for MEM and CONFIG it depends on the
 * payload (nregions, config.size). */
uint32_t vu_msg_payload_size(enum vu_payload kind, const struct vu_msg *m);

/* Reads one message: the header, then its payload. Waits up to timeout_ms
 * for each part (-1: forever). fds that come with it land in m->fds
 * (close-on-exec). 0 on success, -ECONNRESET when the peer closed the
 * connection before a header, -ETIMEDOUT, -EMSGSIZE for a payload bigger
 * than VU_MSG_MAX_PAYLOAD, -EPROTO for a bad version or too many fds,
 * -EIO for a peer that closes mid-message. On error no fd stays open. */
int vu_msg_recv(int sock, struct vu_msg *m, int timeout_ms);

/* Writes m->hdr, m->hdr.size payload bytes and m->fds. */
int vu_msg_send(int sock, const struct vu_msg *m, int timeout_ms);

/* Closes the fds a message holds. */
void vu_msg_close_fds(struct vu_msg *m);

/* Prepares a message with no payload and no fds. */
void vu_msg_init(struct vu_msg *m, uint32_t request, uint32_t flags);

#endif
