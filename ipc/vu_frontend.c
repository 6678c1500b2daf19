/* vhost-user frontend: request/reply plumbing and one small function per
 * request. The backend is not trusted either: a reply must be for the
 * request just sent, carry the reply flag, the right size and no fds. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vu_frontend.h"
#include "vu_listen.h"

void vu_frontend_attach(struct vu_frontend *fe, int sock, int timeout_ms)
{
	memset(fe, 0, sizeof(*fe));
	fe->sock = sock;
	fe->timeout_ms = timeout_ms > 0 ? timeout_ms : VU_FRONTEND_DEFAULT_TIMEOUT_MS;
}

int vu_frontend_connect(struct vu_frontend *fe, const char *path, int timeout_ms)
{
	int fd = vu_connect_unix(path);

	if (fd < 0)
		return fd;
	vu_frontend_attach(fe, fd, timeout_ms);
	return 0;
}

void vu_frontend_close(struct vu_frontend *fe)
{
	if (fe->sock >= 0)
		close(fe->sock);
	fe->sock = -1;
	fe->dead = true;
}

static bool vu_frontend_reply_ack(const struct vu_frontend *fe)
{
	return fe->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK);
}

/* Sends m and, when an answer is due, reads it into reply (which may be m
 * itself). Returns 0, or -EIO for a REPLY_ACK failure, or the transport
 * error that left the connection unusable. */
static int vu_frontend_call(struct vu_frontend *fe, struct vu_msg *m, struct vu_msg *reply)
{
	const struct vu_msg_info *info = vu_msg_info(m->hdr.request);
	uint32_t request = m->hdr.request;
	bool ack = false;
	int r;

	if (fe->dead || fe->sock < 0)
		return -EPIPE;
	if (!info)
		return -EINVAL;
	if (!info->has_reply && vu_frontend_reply_ack(fe)) {
		m->hdr.flags |= VHOST_USER_NEED_REPLY_MASK;
		ack = true;
	}
	r = vu_msg_send(fe->sock, m, fe->timeout_ms);
	if (r < 0)
		goto dead;
	if (!info->has_reply && !ack)
		return 0;
	r = vu_msg_recv(fe->sock, reply, fe->timeout_ms);
	if (r < 0)
		goto dead;
	r = vu_msg_check_reply(reply, request);
	if (r < 0) {
		vu_msg_close_fds(reply);
		goto dead;
	}
	if (ack && reply->payload.u64 != 0)
		return -EIO;
	return 0;
dead:
	fe->dead = true;
	return r == -ECONNRESET ? -EPIPE : r;
}

static int vu_frontend_get_u64(struct vu_frontend *fe, uint32_t request, uint64_t *v)
{
	struct vu_msg m;
	int r;

	vu_msg_init(&m, request, 0);
	r = vu_frontend_call(fe, &m, &m);
	if (r == 0)
		*v = m.payload.u64;
	return r;
}

static int vu_frontend_set_u64(struct vu_frontend *fe, uint32_t request, uint64_t v)
{
	struct vu_msg m;

	vu_msg_init(&m, request, 0);
	m.hdr.size = sizeof(uint64_t);
	m.payload.u64 = v;
	return vu_frontend_call(fe, &m, &m);
}

static int vu_frontend_set_state(struct vu_frontend *fe, uint32_t request, unsigned int idx,
				 unsigned int num)
{
	struct vu_msg m;

	vu_msg_init(&m, request, 0);
	m.hdr.size = sizeof(struct vu_vring_state);
	m.payload.state.index = idx;
	m.payload.state.num = num;
	return vu_frontend_call(fe, &m, &m);
}

int vu_frontend_get_features(struct vu_frontend *fe, uint64_t *features)
{
	return vu_frontend_get_u64(fe, VHOST_USER_GET_FEATURES, features);
}

int vu_frontend_set_features(struct vu_frontend *fe, uint64_t features)
{
	return vu_frontend_set_u64(fe, VHOST_USER_SET_FEATURES, features);
}

int vu_frontend_set_owner(struct vu_frontend *fe)
{
	struct vu_msg m;

	vu_msg_init(&m, VHOST_USER_SET_OWNER, 0);
	return vu_frontend_call(fe, &m, &m);
}

int vu_frontend_get_protocol_features(struct vu_frontend *fe, uint64_t *pf)
{
	return vu_frontend_get_u64(fe, VHOST_USER_GET_PROTOCOL_FEATURES, pf);
}

int vu_frontend_set_protocol_features(struct vu_frontend *fe, uint64_t pf)
{
	int r;

	/* REPLY_ACK is not in force until the backend has seen this. */
	r = vu_frontend_set_u64(fe, VHOST_USER_SET_PROTOCOL_FEATURES, pf);
	if (r == 0)
		fe->protocol_features = pf;
	return r;
}

int vu_frontend_get_queue_num(struct vu_frontend *fe, uint64_t *num)
{
	return vu_frontend_get_u64(fe, VHOST_USER_GET_QUEUE_NUM, num);
}

int vu_frontend_set_mem_table(struct vu_frontend *fe, const struct vu_frontend_region *r,
			      unsigned int n)
{
	struct vu_msg m;

	if (n == 0 || n > VU_MAX_MEM_REGIONS)
		return -EINVAL;
	vu_msg_init(&m, VHOST_USER_SET_MEM_TABLE, 0);
	memset(&m.payload.mem, 0, sizeof(m.payload.mem));
	m.payload.mem.nregions = n;
	for (unsigned int i = 0; i < n; i++) {
		if (r[i].fd < 0)
			return -EBADF;
		m.payload.mem.regions[i] = (struct vu_mem_region){
			.gpa = r[i].gpa, .size = r[i].size,
			.user_addr = r[i].user_addr, .mmap_offset = r[i].mmap_offset,
		};
		m.fds[i] = r[i].fd;
	}
	m.nfds = n;
	m.hdr.size = VU_MEM_TABLE_HDR_SIZE + n * (uint32_t)sizeof(struct vu_mem_region);
	return vu_frontend_call(fe, &m, &m);
}

int vu_frontend_set_vring_num(struct vu_frontend *fe, unsigned int idx, unsigned int num)
{
	return vu_frontend_set_state(fe, VHOST_USER_SET_VRING_NUM, idx, num);
}

int vu_frontend_set_vring_addr(struct vu_frontend *fe, unsigned int idx, uint64_t desc,
			       uint64_t avail, uint64_t used)
{
	struct vu_msg m;

	vu_msg_init(&m, VHOST_USER_SET_VRING_ADDR, 0);
	m.hdr.size = sizeof(struct vu_vring_addr);
	m.payload.addr = (struct vu_vring_addr){
		.index = idx, .flags = 0,
		.desc_uaddr = desc, .used_uaddr = used, .avail_uaddr = avail, .log_gaddr = 0,
	};
	return vu_frontend_call(fe, &m, &m);
}

int vu_frontend_set_vring_base(struct vu_frontend *fe, unsigned int idx, unsigned int base)
{
	return vu_frontend_set_state(fe, VHOST_USER_SET_VRING_BASE, idx, base);
}

int vu_frontend_get_vring_base(struct vu_frontend *fe, unsigned int idx, unsigned int *base)
{
	struct vu_msg m;
	int r;

	vu_msg_init(&m, VHOST_USER_GET_VRING_BASE, 0);
	m.hdr.size = sizeof(struct vu_vring_state);
	m.payload.state.index = idx;
	m.payload.state.num = 0;
	r = vu_frontend_call(fe, &m, &m);
	if (r < 0)
		return r;
	if (m.payload.state.index != idx) {
		fe->dead = true;
		return -EBADMSG;
	}
	*base = m.payload.state.num;
	return 0;
}

static int vu_frontend_vring_fd(struct vu_frontend *fe, uint32_t request, unsigned int idx, int fd)
{
	struct vu_msg m;

	if (idx > VHOST_USER_VRING_IDX_MASK)
		return -EINVAL;
	vu_msg_init(&m, request, 0);
	m.hdr.size = sizeof(uint64_t);
	m.payload.u64 = idx;
	if (fd >= 0) {
		m.fds[0] = fd;
		m.nfds = 1;
	} else {
		m.payload.u64 |= VHOST_USER_VRING_NOFD_MASK;
	}
	return vu_frontend_call(fe, &m, &m);
}

int vu_frontend_set_vring_kick(struct vu_frontend *fe, unsigned int idx, int fd)
{
	return vu_frontend_vring_fd(fe, VHOST_USER_SET_VRING_KICK, idx, fd);
}

int vu_frontend_set_vring_call(struct vu_frontend *fe, unsigned int idx, int fd)
{
	return vu_frontend_vring_fd(fe, VHOST_USER_SET_VRING_CALL, idx, fd);
}

int vu_frontend_set_vring_err(struct vu_frontend *fe, unsigned int idx, int fd)
{
	return vu_frontend_vring_fd(fe, VHOST_USER_SET_VRING_ERR, idx, fd);
}

int vu_frontend_set_vring_enable(struct vu_frontend *fe, unsigned int idx, bool enable)
{
	return vu_frontend_set_state(fe, VHOST_USER_SET_VRING_ENABLE, idx, enable);
}

int vu_frontend_get_config(struct vu_frontend *fe, uint32_t offset, void *buf, uint32_t len)
{
	struct vu_msg m;
	int r;

	if (len == 0 || len > VU_MAX_CONFIG_SIZE)
		return -EINVAL;
	vu_msg_init(&m, VHOST_USER_GET_CONFIG, 0);
	memset(&m.payload.config, 0, sizeof(m.payload.config));
	m.payload.config.offset = offset;
	m.payload.config.size = len;
	m.payload.config.flags = VU_CONFIG_F_WRITABLE;
	m.hdr.size = VU_CONFIG_HDR_SIZE + len;
	r = vu_frontend_call(fe, &m, &m);
	if (r < 0)
		return r;
	if (m.hdr.size == 0)
		return -EIO;
	/* The reply must describe the range that was asked for. */
	if (m.payload.config.offset != offset || m.payload.config.size != len) {
		fe->dead = true;
		return -EBADMSG;
	}
	memcpy(buf, m.payload.config.data, len);
	return 0;
}

int vu_frontend_set_config(struct vu_frontend *fe, uint32_t offset, const void *buf, uint32_t len)
{
	struct vu_msg m;

	if (len == 0 || len > VU_MAX_CONFIG_SIZE)
		return -EINVAL;
	vu_msg_init(&m, VHOST_USER_SET_CONFIG, 0);
	memset(&m.payload.config, 0, sizeof(m.payload.config));
	m.payload.config.offset = offset;
	m.payload.config.size = len;
	m.payload.config.flags = VU_CONFIG_F_WRITABLE;
	memcpy(m.payload.config.data, buf, len);
	m.hdr.size = VU_CONFIG_HDR_SIZE + len;
	return vu_frontend_call(fe, &m, &m);
}

int vu_frontend_reset_device(struct vu_frontend *fe)
{
	struct vu_msg m;

	vu_msg_init(&m, VHOST_USER_RESET_DEVICE, 0);
	return vu_frontend_call(fe, &m, &m);
}

int vu_frontend_get_inflight_fd(struct vu_frontend *fe, uint16_t num_queues, uint16_t queue_size,
				struct vu_inflight_payload *desc, int *fd)
{
	struct vu_msg m;
	struct stat st;
	int r;

	*fd = -1;
	vu_msg_init(&m, VHOST_USER_GET_INFLIGHT_FD, 0);
	m.hdr.size = VU_INFLIGHT_PAYLOAD_SIZE;
	m.payload.inflight = (struct vu_inflight_payload){ .num_queues = num_queues,
							   .queue_size = queue_size };
	r = vu_frontend_call(fe, &m, &m);
	if (r < 0)
		return r;
	/* The frontend only keeps the region for the next backend, but what
	 * it hands on must at least be what it claims to be. */
	if (m.payload.inflight.num_queues != num_queues ||
	    m.payload.inflight.queue_size != queue_size || m.payload.inflight.mmap_size == 0 ||
	    fstat(m.fds[0], &st) < 0 || !S_ISREG(st.st_mode) ||
	    m.payload.inflight.mmap_offset > (uint64_t)st.st_size ||
	    (uint64_t)st.st_size - m.payload.inflight.mmap_offset < m.payload.inflight.mmap_size) {
		vu_msg_close_fds(&m);
		return -EBADMSG;
	}
	*desc = m.payload.inflight;
	*fd = m.fds[0];
	return 0;
}

int vu_frontend_set_inflight_fd(struct vu_frontend *fe, const struct vu_inflight_payload *desc,
				int fd)
{
	struct vu_msg m;

	if (fd < 0)
		return -EBADF;
	vu_msg_init(&m, VHOST_USER_SET_INFLIGHT_FD, 0);
	m.hdr.size = VU_INFLIGHT_PAYLOAD_SIZE;
	m.payload.inflight = *desc;
	m.fds[0] = fd;
	m.nfds = 1;
	return vu_frontend_call(fe, &m, &m);
}
