#include "api_msg.h"
#include "api_frame.h"

#include <stdlib.h>

const char *api_status_name(Cellvm__Status s)
{
	switch (s) {
	case CELLVM__STATUS__STATUS_OK: return "ok";
	case CELLVM__STATUS__STATUS_BAD_FRAME: return "bad frame";
	case CELLVM__STATUS__STATUS_FRAME_TOO_LARGE: return "frame too large";
	case CELLVM__STATUS__STATUS_UNSUPPORTED_VERSION: return "unsupported version";
	case CELLVM__STATUS__STATUS_UNKNOWN_REQUEST: return "unknown request";
	case CELLVM__STATUS__STATUS_INVALID_ARGUMENT: return "invalid argument";
	case CELLVM__STATUS__STATUS_WRONG_STATE: return "wrong state";
	case CELLVM__STATUS__STATUS_FAILED: return "failed";
	case CELLVM__STATUS__STATUS_BUSY: return "busy";
	default: return "unknown";
	}
}

const char *api_state_name(Cellvm__VmState s)
{
	switch (s) {
	case CELLVM__VM_STATE__STATE_NOT_CONFIGURED: return "not configured";
	case CELLVM__VM_STATE__STATE_CONFIGURED: return "configured";
	case CELLVM__VM_STATE__STATE_STARTING: return "starting";
	case CELLVM__VM_STATE__STATE_RUNNING: return "running";
	case CELLVM__VM_STATE__STATE_PAUSED: return "paused";
	case CELLVM__VM_STATE__STATE_STOPPING: return "stopping";
	default: return "unknown";
	}
}

uint8_t *api_msg_frame(const ProtobufCMessage *m, uint64_t id, size_t *frame_len)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *f;

	if (len > API_FRAME_MAX)
		return NULL;
	f = malloc(API_FRAME_HDR_LEN + len);
	if (!f)
		return NULL;
	api_frame_hdr_encode(f, (uint32_t)len, id);
	protobuf_c_message_pack(m, f + API_FRAME_HDR_LEN);
	*frame_len = API_FRAME_HDR_LEN + len;
	return f;
}
