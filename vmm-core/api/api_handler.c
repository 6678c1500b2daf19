#include "api_handler.h"
#include "api_config.h"
#include "api_convert.h"
#include "api_frame.h"
#include "api_msg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_MAX 512

static Cellvm__Status status_of(enum api_rc rc)
{
	switch (rc) {
	case API_RC_OK: return CELLVM__STATUS__STATUS_OK;
	case API_RC_INVALID: return CELLVM__STATUS__STATUS_INVALID_ARGUMENT;
	case API_RC_WRONG_STATE: return CELLVM__STATUS__STATUS_WRONG_STATE;
	case API_RC_FAILED:
	default: return CELLVM__STATUS__STATUS_FAILED;
	}
}

static void count(struct api_counters *c, unsigned long *field)
{
	if (c)
		__atomic_fetch_add(field, 1, __ATOMIC_RELAXED);
}

/* Packs and frees reply. */
static uint8_t *finish(struct api_counters *c, Cellvm__Reply *reply, uint64_t id,
		       size_t *frame_len)
{
	uint8_t *f;

	if (c && reply->status != CELLVM__STATUS__STATUS_OK)
		count(c, &c->errors);
	f = api_msg_frame(&reply->base, id, frame_len);
	if (!f && reply->body_case != CELLVM__REPLY__BODY__NOT_SET) {
		/* Too large to send (cannot happen with the limits in place) or
		 * out of memory: try again without the body. */
		Cellvm__Reply bare = CELLVM__REPLY__INIT;
		bare.version = API_PROTOCOL_VERSION;
		bare.status = CELLVM__STATUS__STATUS_FAILED;
		bare.message = (char *)"the reply could not be built";
		f = api_msg_frame(&bare.base, id, frame_len);
	}
	cellvm__reply__free_unpacked(reply, NULL);
	return f;
}

static Cellvm__Reply *new_reply(Cellvm__Status st, const char *msg)
{
	Cellvm__Reply *r = api_msg_new(&cellvm__reply__descriptor);

	if (!r)
		return NULL;
	r->version = API_PROTOCOL_VERSION;
	r->status = st;
	r->message = api_strdup(msg);
	if (!r->message) {
		cellvm__reply__free_unpacked(r, NULL);
		return NULL;
	}
	return r;
}

uint8_t *api_error_frame(struct api_counters *counters, uint64_t id, Cellvm__Status status,
			 const char *msg, size_t *frame_len)
{
	Cellvm__Reply *r = new_reply(status, msg);

	if (!r)
		return NULL;
	return finish(counters, r, id, frame_len);
}

static Cellvm__Reply *do_configure(const struct api_backend *b, const Cellvm__Config *m)
{
	char msg[MSG_MAX] = "";
	struct vm_config *cfg = malloc(sizeof(*cfg));
	Cellvm__Reply *r;

	if (!cfg)
		return new_reply(CELLVM__STATUS__STATUS_FAILED, "out of memory");
	int ret = api_config_from_msg(m, cfg, msg, sizeof(msg));
	if (ret < 0) {
		free(cfg);
		return new_reply(ret == -ENOMEM ? CELLVM__STATUS__STATUS_FAILED :
						  CELLVM__STATUS__STATUS_INVALID_ARGUMENT,
				 msg[0] ? msg : "out of memory");
	}
	enum api_rc rc = b->ops->configure(b->ctx, cfg, msg, sizeof(msg));
	free(cfg);
	r = new_reply(status_of(rc), msg);
	return r;
}

static Cellvm__Reply *do_info(const struct api_backend *b)
{
	struct vmm_info *info = calloc(1, sizeof(*info));
	Cellvm__Reply *r;

	if (!info)
		return new_reply(CELLVM__STATUS__STATUS_FAILED, "out of memory");
	enum api_rc rc = b->ops->info(b->ctx, info);
	if (rc != API_RC_OK) {
		free(info);
		return new_reply(status_of(rc), "no information available");
	}
	r = new_reply(CELLVM__STATUS__STATUS_OK, vmm_state_name(info->state));
	if (r) {
		r->info = api_info_to_msg(info);
		if (r->info) {
			r->body_case = CELLVM__REPLY__BODY_INFO;
		} else {
			cellvm__reply__free_unpacked(r, NULL);
			r = new_reply(CELLVM__STATUS__STATUS_FAILED, "out of memory");
		}
	}
	free(info);
	return r;
}

static Cellvm__Reply *do_metrics(const struct api_backend *b)
{
	struct metrics_snapshot *s = calloc(1, sizeof(*s));
	Cellvm__Reply *r;

	if (!s)
		return new_reply(CELLVM__STATUS__STATUS_FAILED, "out of memory");
	enum api_rc rc = b->ops->metrics(b->ctx, s);
	if (rc != API_RC_OK) {
		free(s);
		return new_reply(status_of(rc), "no metrics available");
	}
	r = new_reply(CELLVM__STATUS__STATUS_OK, "");
	if (r) {
		r->metrics = api_metrics_to_msg(s);
		if (r->metrics) {
			r->body_case = CELLVM__REPLY__BODY_METRICS;
		} else {
			cellvm__reply__free_unpacked(r, NULL);
			r = new_reply(CELLVM__STATUS__STATUS_FAILED, "out of memory");
		}
	}
	free(s);
	return r;
}

typedef enum api_rc (*simple_op)(void *ctx, char *msg, size_t len);

static Cellvm__Reply *do_simple(const struct api_backend *b, simple_op op)
{
	char msg[MSG_MAX] = "";
	enum api_rc rc = op(b->ctx, msg, sizeof(msg));

	return new_reply(status_of(rc), msg);
}

static Cellvm__Reply *do_shutdown(const struct api_backend *b, const Cellvm__ShutdownRequest *s)
{
	char msg[MSG_MAX] = "";
	unsigned int ms = s->timeout_ms ? s->timeout_ms : API_SHUTDOWN_DEFAULT_MS;

	if (ms > API_SHUTDOWN_MAX_MS) {
		snprintf(msg, sizeof(msg), "timeout_ms must be at most %u", API_SHUTDOWN_MAX_MS);
		return new_reply(CELLVM__STATUS__STATUS_INVALID_ARGUMENT, msg);
	}
	enum api_rc rc = b->ops->shutdown(b->ctx, ms, msg, sizeof(msg));
	return new_reply(status_of(rc), msg);
}

static Cellvm__Reply *dispatch(const struct api_backend *b, const Cellvm__Request *req)
{
	char msg[MSG_MAX];

	if (req->version != API_PROTOCOL_VERSION) {
		snprintf(msg, sizeof(msg),
			 "protocol version %u is not supported; this server speaks version %u",
			 req->version, API_PROTOCOL_VERSION);
		return new_reply(CELLVM__STATUS__STATUS_UNSUPPORTED_VERSION, msg);
	}
	switch (req->body_case) {
	case CELLVM__REQUEST__BODY_CONFIGURE:
		return do_configure(b, req->configure);
	case CELLVM__REQUEST__BODY_START:
		return do_simple(b, b->ops->start);
	case CELLVM__REQUEST__BODY_PAUSE:
		return do_simple(b, b->ops->pause);
	case CELLVM__REQUEST__BODY_RESUME:
		return do_simple(b, b->ops->resume);
	case CELLVM__REQUEST__BODY_SHUTDOWN:
		return do_shutdown(b, req->shutdown);
	case CELLVM__REQUEST__BODY_KILL:
		return do_simple(b, b->ops->kill);
	case CELLVM__REQUEST__BODY_INFO:
		return do_info(b);
	case CELLVM__REQUEST__BODY_METRICS:
		return do_metrics(b);
	case CELLVM__REQUEST__BODY__NOT_SET:
	default:
		/* A newer client's request lands in the unknown fields. */
		if (req->base.n_unknown_fields)
			snprintf(msg, sizeof(msg), "unknown request type (field %u)",
				 req->base.unknown_fields[0].tag);
		else
			snprintf(msg, sizeof(msg), "the request names no operation");
		return new_reply(CELLVM__STATUS__STATUS_UNKNOWN_REQUEST, msg);
	}
}

uint8_t *api_handle_frame(const struct api_backend *b, uint64_t id, const uint8_t *payload,
			  size_t len, size_t *frame_len)
{
	Cellvm__Request *req;
	Cellvm__Reply *reply;

	if (b->counters)
		count(b->counters, &b->counters->requests);
	req = cellvm__request__unpack(NULL, len, payload);
	if (!req)
		reply = new_reply(CELLVM__STATUS__STATUS_BAD_FRAME,
				  "the payload is not a valid cellvm.Request message");
	else
		reply = dispatch(b, req);
	if (req)
		cellvm__request__free_unpacked(req, NULL);
	if (!reply)
		return NULL;
	return finish(b->counters, reply, id, frame_len);
}
