/* The one table of vhost-user requests, shared by the frontend and the
 * backend, and the shape checks derived from it. */
#include <errno.h>
#include <stddef.h>

#include "vu_msg.h"

#define REQ(id, nm, rq, rp, fd, always, impl) \
	[id] = { .name = nm, .req = rq, .reply = rp, .fds = fd, .has_reply = always, .implemented = impl }

static const struct vu_msg_info vu_msg_table[VHOST_USER_MAX_REQUEST] = {
	REQ(VHOST_USER_GET_FEATURES, "GET_FEATURES", VU_PL_NONE, VU_PL_U64, VU_FDS_NONE, true, true),
	REQ(VHOST_USER_SET_FEATURES, "SET_FEATURES", VU_PL_U64, VU_PL_NONE, VU_FDS_NONE, false, true),
	REQ(VHOST_USER_SET_OWNER, "SET_OWNER", VU_PL_NONE, VU_PL_NONE, VU_FDS_NONE, false, true),
	REQ(VHOST_USER_RESET_OWNER, "RESET_OWNER", VU_PL_NONE, VU_PL_NONE, VU_FDS_NONE, false, true),
	REQ(VHOST_USER_SET_MEM_TABLE, "SET_MEM_TABLE", VU_PL_MEM, VU_PL_NONE, VU_FDS_REGIONS, false, true),
	REQ(VHOST_USER_SET_LOG_BASE, "SET_LOG_BASE", VU_PL_OTHER, VU_PL_NONE, VU_FDS_NONE, false, false),
	REQ(VHOST_USER_SET_LOG_FD, "SET_LOG_FD", VU_PL_OTHER, VU_PL_NONE, VU_FDS_NONE, false, false),
	REQ(VHOST_USER_SET_VRING_NUM, "SET_VRING_NUM", VU_PL_STATE, VU_PL_NONE, VU_FDS_NONE, false, true),
	REQ(VHOST_USER_SET_VRING_ADDR, "SET_VRING_ADDR", VU_PL_ADDR, VU_PL_NONE, VU_FDS_NONE, false, true),
	REQ(VHOST_USER_SET_VRING_BASE, "SET_VRING_BASE", VU_PL_STATE, VU_PL_NONE, VU_FDS_NONE, false, true),
	REQ(VHOST_USER_GET_VRING_BASE, "GET_VRING_BASE", VU_PL_STATE, VU_PL_STATE, VU_FDS_NONE, true, true),
	REQ(VHOST_USER_SET_VRING_KICK, "SET_VRING_KICK", VU_PL_U64, VU_PL_NONE, VU_FDS_VRING, false, true),
	REQ(VHOST_USER_SET_VRING_CALL, "SET_VRING_CALL", VU_PL_U64, VU_PL_NONE, VU_FDS_VRING, false, true),
	REQ(VHOST_USER_SET_VRING_ERR, "SET_VRING_ERR", VU_PL_U64, VU_PL_NONE, VU_FDS_VRING, false, true),
	REQ(VHOST_USER_GET_PROTOCOL_FEATURES, "GET_PROTOCOL_FEATURES", VU_PL_NONE, VU_PL_U64, VU_FDS_NONE, true, true),
	REQ(VHOST_USER_SET_PROTOCOL_FEATURES, "SET_PROTOCOL_FEATURES", VU_PL_U64, VU_PL_NONE, VU_FDS_NONE, false, true),
	REQ(VHOST_USER_GET_QUEUE_NUM, "GET_QUEUE_NUM", VU_PL_NONE, VU_PL_U64, VU_FDS_NONE, true, true),
	REQ(VHOST_USER_SET_VRING_ENABLE, "SET_VRING_ENABLE", VU_PL_STATE, VU_PL_NONE, VU_FDS_NONE, false, true),
	REQ(VHOST_USER_SEND_RARP, "SEND_RARP", VU_PL_OTHER, VU_PL_NONE, VU_FDS_NONE, false, false),
	REQ(VHOST_USER_NET_SET_MTU, "NET_SET_MTU", VU_PL_OTHER, VU_PL_NONE, VU_FDS_NONE, false, false),
	REQ(VHOST_USER_SET_SLAVE_REQ_FD, "SET_SLAVE_REQ_FD", VU_PL_OTHER, VU_PL_NONE, VU_FDS_NONE, false, false),
	REQ(VHOST_USER_IOTLB_MSG, "IOTLB_MSG", VU_PL_OTHER, VU_PL_NONE, VU_FDS_NONE, true, false),
	REQ(VHOST_USER_SET_VRING_ENDIAN, "SET_VRING_ENDIAN", VU_PL_OTHER, VU_PL_NONE, VU_FDS_NONE, false, false),
	REQ(VHOST_USER_GET_CONFIG, "GET_CONFIG", VU_PL_CONFIG, VU_PL_CONFIG, VU_FDS_NONE, true, true),
	REQ(VHOST_USER_SET_CONFIG, "SET_CONFIG", VU_PL_CONFIG, VU_PL_NONE, VU_FDS_NONE, false, true),
	REQ(VHOST_USER_CREATE_CRYPTO_SESSION, "CREATE_CRYPTO_SESSION", VU_PL_OTHER, VU_PL_OTHER, VU_FDS_NONE, true, false),
	REQ(VHOST_USER_CLOSE_CRYPTO_SESSION, "CLOSE_CRYPTO_SESSION", VU_PL_OTHER, VU_PL_NONE, VU_FDS_NONE, false, false),
	REQ(VHOST_USER_POSTCOPY_ADVISE, "POSTCOPY_ADVISE", VU_PL_OTHER, VU_PL_OTHER, VU_FDS_NONE, true, false),
	REQ(VHOST_USER_POSTCOPY_LISTEN, "POSTCOPY_LISTEN", VU_PL_OTHER, VU_PL_NONE, VU_FDS_NONE, false, false),
	REQ(VHOST_USER_POSTCOPY_END, "POSTCOPY_END", VU_PL_OTHER, VU_PL_OTHER, VU_FDS_NONE, true, false),
	[VHOST_USER_GET_INFLIGHT_FD] = { .name = "GET_INFLIGHT_FD", .req = VU_PL_INFLIGHT,
					 .reply = VU_PL_INFLIGHT, .fds = VU_FDS_NONE,
					 .has_reply = true, .reply_fd = true, .implemented = true },
	REQ(VHOST_USER_SET_INFLIGHT_FD, "SET_INFLIGHT_FD", VU_PL_INFLIGHT, VU_PL_NONE, VU_FDS_ONE, false, true),
	REQ(VHOST_USER_GPU_SET_SOCKET, "GPU_SET_SOCKET", VU_PL_OTHER, VU_PL_NONE, VU_FDS_NONE, false, false),
	REQ(VHOST_USER_RESET_DEVICE, "RESET_DEVICE", VU_PL_NONE, VU_PL_NONE, VU_FDS_NONE, false, true),
	REQ(VHOST_USER_VRING_KICK, "VRING_KICK", VU_PL_OTHER, VU_PL_NONE, VU_FDS_NONE, false, false),
	REQ(VHOST_USER_GET_MAX_MEM_SLOTS, "GET_MAX_MEM_SLOTS", VU_PL_OTHER, VU_PL_U64, VU_FDS_NONE, true, false),
	REQ(VHOST_USER_ADD_MEM_REG, "ADD_MEM_REG", VU_PL_OTHER, VU_PL_NONE, VU_FDS_NONE, false, false),
	REQ(VHOST_USER_REM_MEM_REG, "REM_MEM_REG", VU_PL_OTHER, VU_PL_NONE, VU_FDS_NONE, false, false),
	REQ(VHOST_USER_SET_STATUS, "SET_STATUS", VU_PL_OTHER, VU_PL_NONE, VU_FDS_NONE, false, false),
	REQ(VHOST_USER_GET_STATUS, "GET_STATUS", VU_PL_OTHER, VU_PL_U64, VU_FDS_NONE, true, false),
};

const struct vu_msg_info *vu_msg_info(uint32_t request)
{
	if (request >= VHOST_USER_MAX_REQUEST || !vu_msg_table[request].name)
		return NULL;
	return &vu_msg_table[request];
}

const char *vu_msg_name(uint32_t request)
{
	const struct vu_msg_info *info = vu_msg_info(request);

	return info ? info->name : "UNKNOWN";
}

uint32_t vu_msg_payload_size(enum vu_payload kind, const struct vu_msg *m)
{
	switch (kind) {
	case VU_PL_NONE:
		return 0;
	case VU_PL_U64:
		return sizeof(uint64_t);
	case VU_PL_STATE:
		return sizeof(struct vu_vring_state);
	case VU_PL_ADDR:
		return sizeof(struct vu_vring_addr);
	case VU_PL_MEM:
		/* Only nregions is trusted to be in range here: the caller
		 * checked that the header part arrived. */
		if (m->payload.mem.nregions > VU_MAX_MEM_REGIONS)
			return UINT32_MAX;
		return VU_MEM_TABLE_HDR_SIZE + m->payload.mem.nregions * (uint32_t)sizeof(struct vu_mem_region);
	case VU_PL_CONFIG:
		if (m->payload.config.size > VU_MAX_CONFIG_SIZE)
			return UINT32_MAX;
		return VU_CONFIG_HDR_SIZE + m->payload.config.size;
	case VU_PL_INFLIGHT:
		return VU_INFLIGHT_PAYLOAD_SIZE;
	case VU_PL_OTHER:
		break;
	}
	return UINT32_MAX;
}

/* The fixed part (nregions, config header) must have arrived before the
 * variable size can be computed from it. */
static int vu_msg_check_size(enum vu_payload kind, const struct vu_msg *m)
{
	uint32_t need;

	if (kind == VU_PL_MEM && m->hdr.size < VU_MEM_TABLE_HDR_SIZE)
		return -EBADMSG;
	if (kind == VU_PL_CONFIG && m->hdr.size < VU_CONFIG_HDR_SIZE)
		return -EBADMSG;
	need = vu_msg_payload_size(kind, m);
	if (need == UINT32_MAX || m->hdr.size != need)
		return -EBADMSG;
	return 0;
}

int vu_msg_check_request(const struct vu_msg *m)
{
	const struct vu_msg_info *info = vu_msg_info(m->hdr.request);
	unsigned int want_fds = 0;
	int r;

	if (!info || !info->implemented)
		return -EOPNOTSUPP;
	if (m->hdr.flags & VHOST_USER_REPLY_MASK)
		return -EBADMSG;
	r = vu_msg_check_size(info->req, m);
	if (r < 0)
		return r;
	switch (info->fds) {
	case VU_FDS_NONE:
		want_fds = 0;
		break;
	case VU_FDS_VRING:
		want_fds = (m->payload.u64 & VHOST_USER_VRING_NOFD_MASK) ? 0 : 1;
		break;
	case VU_FDS_REGIONS:
		want_fds = m->payload.mem.nregions;
		break;
	case VU_FDS_ONE:
		want_fds = 1;
		break;
	}
	if (m->nfds != want_fds)
		return -EBADMSG;
	return 0;
}

int vu_msg_check_reply(const struct vu_msg *m, uint32_t request)
{
	const struct vu_msg_info *info = vu_msg_info(request);
	enum vu_payload kind;

	if (m->hdr.request != request || !(m->hdr.flags & VHOST_USER_REPLY_MASK))
		return -EBADMSG;
	if (m->nfds != ((info && info->reply_fd) ? 1u : 0u))
		return -EBADMSG;
	/* A request without a reply of its own (or one unknown to us) is
	 * acknowledged with a u64 (REPLY_ACK); GET_CONFIG signals failure
	 * with an empty payload. */
	kind = (info && info->has_reply) ? info->reply : VU_PL_U64;
	if (kind == VU_PL_CONFIG && m->hdr.size == 0)
		return 0;
	return vu_msg_check_size(kind, m);
}

void vu_msg_init(struct vu_msg *m, uint32_t request, uint32_t flags)
{
	m->hdr.request = request;
	m->hdr.flags = VHOST_USER_VERSION | flags;
	m->hdr.size = 0;
	m->nfds = 0;
}
