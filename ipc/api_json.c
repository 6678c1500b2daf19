#include "api_json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 256

static void *field_ptr(const ProtobufCMessage *m, unsigned int offset)
{
	return (char *)m + offset;
}

static size_t field_elem_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return 8;
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
	default:
		return sizeof(ProtobufCMessage *);
	}
}

/* Whether a non-repeated field is present in m. */
static bool field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)field_ptr(m, f->quantifier_offset) == f->id;
	if (f->type == PROTOBUF_C_TYPE_MESSAGE)
		return *(ProtobufCMessage *const *)field_ptr(m, f->offset) != NULL;
	if (f->type == PROTOBUF_C_TYPE_STRING && *(char *const *)field_ptr(m, f->offset) == NULL)
		return false;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
	    f->type != PROTOBUF_C_TYPE_STRING)
		return *(const protobuf_c_boolean *)field_ptr(m, f->quantifier_offset);
	return true;
}

static struct json_object *value_to_json(const ProtobufCFieldDescriptor *f, const void *v)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_object_new_int(*(const int32_t *)v);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_object_new_int64(*(const uint32_t *)v);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return json_object_new_int64(*(const int64_t *)v);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return json_object_new_uint64(*(const uint64_t *)v);
	case PROTOBUF_C_TYPE_FLOAT:
		return json_object_new_double(*(const float *)v);
	case PROTOBUF_C_TYPE_DOUBLE:
		return json_object_new_double(*(const double *)v);
	case PROTOBUF_C_TYPE_BOOL:
		return json_object_new_boolean(*(const protobuf_c_boolean *)v);
	case PROTOBUF_C_TYPE_ENUM: {
		int32_t e = *(const int32_t *)v;
		const ProtobufCEnumValue *ev =
			protobuf_c_enum_descriptor_get_value(f->descriptor, e);
		return ev ? json_object_new_string(ev->name) : json_object_new_int(e);
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)v;
		return json_object_new_string(s ? s : "");
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		return api_json_from_msg(*(ProtobufCMessage *const *)v);
	case PROTOBUF_C_TYPE_BYTES:
	default:
		/* The API carries no bytes fields; show nothing rather than guess. */
		return NULL;
	}
}

struct json_object *api_json_from_msg(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	for (unsigned int i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		struct json_object *v;

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)field_ptr(m, f->quantifier_offset);
			const char *arr = *(char *const *)field_ptr(m, f->offset);
			v = json_object_new_array_ext((int)n);
			for (size_t k = 0; v && k < n; k++) {
				struct json_object *e = value_to_json(f, arr + k * field_elem_size(f));
				if (!e || json_object_array_add(v, e) < 0) {
					json_object_put(e);
					json_object_put(v);
					v = NULL;
				}
			}
		} else {
			if (!field_present(m, f))
				continue;
			v = value_to_json(f, field_ptr(m, f->offset));
		}
		if (!v && f->type == PROTOBUF_C_TYPE_BYTES)
			continue;
		if (!v || json_object_object_add(o, f->name, v) < 0) {
			json_object_put(v);
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

int api_json_parse(const char *text, size_t len, struct json_object **out, char *err,
		   size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	int ret = 0;

	*out = NULL;
	if (!tok)
		return -ENOMEM;
	if (len > INT32_MAX) {
		snprintf(err, errlen, "document too large");
		json_tokener_free(tok);
		return -EINVAL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		snprintf(err, errlen, "unexpected end of the document");
		ret = -EINVAL;
	} else if (jerr != json_tokener_success) {
		unsigned int line = 1, col = 1;
		for (size_t i = 0; i < end && i < len; i++) {
			if (text[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		snprintf(err, errlen, "line %u column %u: %s", line, col,
			 json_tokener_error_desc(jerr));
		ret = -EINVAL;
	} else {
		/* Anything but whitespace after the value is a second document. */
		for (size_t i = end; i < len; i++) {
			if (text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\r') {
				snprintf(err, errlen, "unexpected text after the JSON value");
				ret = -EINVAL;
				break;
			}
		}
	}
	json_tokener_free(tok);
	if (ret < 0) {
		json_object_put(o);
		return ret;
	}
	*out = o;
	return 0;
}

struct conv {
	char *err;
	size_t errlen;
	char path[PATH_MAX_LEN];
};

#define CONV_FAIL(c, ...)                                           \
	do {                                                        \
		conv_error((c), __VA_ARGS__);                       \
		return -EINVAL;                                     \
	} while (0)

__attribute__((format(printf, 2, 3))) static void conv_error(struct conv *c, const char *fmt, ...)
{
	char what[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (c->path[0])
		snprintf(c->err, c->errlen, "%s: %s", c->path, what);
	else
		snprintf(c->err, c->errlen, "%s", what);
}

static const char *json_type_word(struct json_object *j)
{
	switch (json_object_get_type(j)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a fraction";
	case json_type_int: return "an integer";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	default: return "something else";
	}
}

static int msg_from_json(struct conv *c, struct json_object *j, const ProtobufCMessageDescriptor *d,
			 ProtobufCMessage **out);

static int int_from_json(struct conv *c, struct json_object *j, int64_t min, uint64_t max,
			 bool is_unsigned, void *dst, size_t size)
{
	if (!json_object_is_type(j, json_type_int))
		CONV_FAIL(c, "expected an integer, not %s", json_type_word(j));
	int64_t s = json_object_get_int64(j);
	if (is_unsigned) {
		if (s < 0)
			CONV_FAIL(c, "expected a non-negative integer");
		uint64_t u = json_object_get_uint64(j);
		if (u > max)
			CONV_FAIL(c, "%" PRIu64 " is too large (at most %" PRIu64 ")", u, max);
		if (size == 4) {
			uint32_t v = (uint32_t)u;
			memcpy(dst, &v, 4);
		} else {
			memcpy(dst, &u, 8);
		}
		return 0;
	}
	if (s < min || (s > 0 && (uint64_t)s > max))
		CONV_FAIL(c, "%" PRId64 " is out of range", s);
	if (size == 4) {
		int32_t v = (int32_t)s;
		memcpy(dst, &v, 4);
	} else {
		memcpy(dst, &s, 8);
	}
	return 0;
}

/* Converts one JSON value into the field's storage at dst (an element of a
 * repeated field or the field itself). Strings and messages are allocated
 * with malloc so protobuf_c_message_free_unpacked can free them. */
static int value_from_json(struct conv *c, const ProtobufCFieldDescriptor *f,
			   struct json_object *j, void *dst)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return int_from_json(c, j, INT32_MIN, INT32_MAX, false, dst, 4);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return int_from_json(c, j, 0, UINT32_MAX, true, dst, 4);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return int_from_json(c, j, INT64_MIN, INT64_MAX, false, dst, 8);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return int_from_json(c, j, 0, UINT64_MAX, true, dst, 8);
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE: {
		if (!json_object_is_type(j, json_type_double) && !json_object_is_type(j, json_type_int))
			CONV_FAIL(c, "expected a number, not %s", json_type_word(j));
		double v = json_object_get_double(j);
		if (f->type == PROTOBUF_C_TYPE_FLOAT) {
			float fv = (float)v;
			memcpy(dst, &fv, sizeof(fv));
		} else {
			memcpy(dst, &v, sizeof(v));
		}
		return 0;
	}
	case PROTOBUF_C_TYPE_BOOL: {
		if (!json_object_is_type(j, json_type_boolean))
			CONV_FAIL(c, "expected true or false, not %s", json_type_word(j));
		protobuf_c_boolean b = json_object_get_boolean(j) ? 1 : 0;
		memcpy(dst, &b, sizeof(b));
		return 0;
	}
	case PROTOBUF_C_TYPE_ENUM: {
		if (!json_object_is_type(j, json_type_string))
			CONV_FAIL(c, "expected a name, not %s", json_type_word(j));
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(
			f->descriptor, json_object_get_string(j));
		if (!ev)
			CONV_FAIL(c, "unknown value '%.64s'", json_object_get_string(j));
		int32_t v = ev->value;
		memcpy(dst, &v, 4);
		return 0;
	}
	case PROTOBUF_C_TYPE_STRING: {
		if (!json_object_is_type(j, json_type_string))
			CONV_FAIL(c, "expected a string, not %s", json_type_word(j));
		const char *s = json_object_get_string(j);
		size_t n = (size_t)json_object_get_string_len(j);
		if (strlen(s) != n)
			CONV_FAIL(c, "the string contains a NUL character");
		char *copy = strdup(s);
		if (!copy)
			return -ENOMEM;
		*(char **)dst = copy;
		return 0;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		ProtobufCMessage *sub = NULL;
		int ret = msg_from_json(c, j, f->descriptor, &sub);
		if (ret < 0)
			return ret;
		*(ProtobufCMessage **)dst = sub;
		return 0;
	}
	case PROTOBUF_C_TYPE_BYTES:
	default:
		CONV_FAIL(c, "this field cannot be given in JSON");
	}
}

static int repeated_from_json(struct conv *c, ProtobufCMessage *m,
			      const ProtobufCFieldDescriptor *f, struct json_object *j)
{
	size_t *count = field_ptr(m, f->quantifier_offset);
	void **arr = field_ptr(m, f->offset);
	size_t plen = strlen(c->path);
	int ret = 0;

	if (!json_object_is_type(j, json_type_array))
		CONV_FAIL(c, "expected an array, not %s", json_type_word(j));
	size_t n = json_object_array_length(j);
	if (n == 0)
		return 0;
	*arr = calloc(n, field_elem_size(f));
	if (!*arr)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		snprintf(c->path + plen, sizeof(c->path) - plen, "[%zu]", k);
		ret = value_from_json(c, f, json_object_array_get_idx(j, k),
				      (char *)*arr + k * field_elem_size(f));
		if (ret < 0)
			break;
		/* Counted only once stored, so a failure frees what exists. */
		*count = k + 1;
	}
	c->path[plen] = '\0';
	return ret;
}

static int field_from_json(struct conv *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
			   struct json_object *j)
{
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return repeated_from_json(c, m, f, j);
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		uint32_t *which = field_ptr(m, f->quantifier_offset);
		if (*which != 0 && *which != f->id)
			CONV_FAIL(c, "only one of the alternatives may be given");
		int ret = value_from_json(c, f, j, field_ptr(m, f->offset));
		if (ret == 0)
			*which = f->id;
		return ret;
	}
	void *dst = field_ptr(m, f->offset);
	/* A proto3 string starts out pointing at the shared default. */
	if (f->type == PROTOBUF_C_TYPE_STRING)
		*(char **)dst = NULL;
	int ret = value_from_json(c, f, j, dst);
	if (f->type == PROTOBUF_C_TYPE_STRING && ret < 0)
		*(const char **)dst = f->default_value ? f->default_value : NULL;
	if (ret == 0 && f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
	    f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
		*(protobuf_c_boolean *)field_ptr(m, f->quantifier_offset) = 1;
	return ret;
}

static int msg_from_json(struct conv *c, struct json_object *j, const ProtobufCMessageDescriptor *d,
			 ProtobufCMessage **out)
{
	size_t plen = strlen(c->path);
	ProtobufCMessage *m;
	int ret = 0;

	*out = NULL;
	if (!json_object_is_type(j, json_type_object))
		CONV_FAIL(c, "expected an object, not %s", json_type_word(j));
	m = malloc(d->sizeof_message);
	if (!m)
		return -ENOMEM;
	d->message_init(m);
	json_object_object_foreach(j, key, val) {
		snprintf(c->path + plen, sizeof(c->path) - plen, "%s%s", plen ? "." : "", key);
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field_by_name(d, key);
		if (!f) {
			c->path[plen] = '\0';
			conv_error(c, "unknown key '%.64s'", key);
			ret = -EINVAL;
			break;
		}
		if ((ret = field_from_json(c, m, f, val)) < 0)
			break;
	}
	if (ret < 0) {
		protobuf_c_message_free_unpacked(m, NULL);
		return ret;
	}
	c->path[plen] = '\0';
	*out = m;
	return 0;
}

int api_json_to_msg(struct json_object *j, const ProtobufCMessageDescriptor *d,
		    ProtobufCMessage **out, char *err, size_t errlen)
{
	struct conv c = { .err = err, .errlen = errlen };
	int ret = msg_from_json(&c, j, d, out);

	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	return ret;
}
