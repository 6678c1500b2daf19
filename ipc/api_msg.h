/* Helpers around the generated protobuf-c code of the control API: names
 * for statuses and states, and packing a message into a frame. */
#ifndef CELLVM_API_MSG_H
#define CELLVM_API_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "cellvm.pb-c.h"

/* Short lower-case names ("wrong state", "running") for people; unknown
 * values give "unknown". */
const char *api_status_name(Cellvm__Status s);
const char *api_state_name(Cellvm__VmState s);

/* Packs m into a malloc'd frame with the given request id. NULL when out of
 * memory or the packed message exceeds the frame limit. */
uint8_t *api_msg_frame(const ProtobufCMessage *m, uint64_t id, size_t *frame_len);

#endif
