/* JSON for the control API's protobuf messages, through json-c and the
 * protobuf-c descriptors: keys are the .proto field names, so a JSON
 * document and a message map one-to-one without a hand-written table that
 * could drift from the schema. Used for `cellvm --config-file` (JSON ->
 * Config), `cellctl --json` and the metrics file (message -> JSON). */
#ifndef CELLVM_API_JSON_H
#define CELLVM_API_JSON_H

#include <stddef.h>

#include <json-c/json.h>
#include <protobuf-c/protobuf-c.h>

/* Every field a message has: scalars always (proto3 has no absence),
 * sub-messages when set, repeated fields as arrays, oneofs only the member
 * that is set, enums by name. NULL when out of memory. */
struct json_object *api_json_from_msg(const ProtobufCMessage *m);

/* Strict JSON text -> object. Errors name the line and column. */
int api_json_parse(const char *text, size_t len, struct json_object **out, char *err,
		   size_t errlen);

/* Builds a message of type d from a JSON object. Unknown keys, wrong
 * types, out-of-range numbers, strings with NUL bytes and unknown enum
 * names are errors naming the key's path ("drives[1].read_only"). The
 * result is freed with protobuf_c_message_free_unpacked(m, NULL). */
int api_json_to_msg(struct json_object *j, const ProtobufCMessageDescriptor *d,
		    ProtobufCMessage **out, char *err, size_t errlen);

#endif
