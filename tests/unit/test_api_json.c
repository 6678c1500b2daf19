/* JSON <-> protobuf through the descriptors: what the config file and
 * cellctl --json rely on. */
#include <criterion/criterion.h>
#include <string.h>

#include "api_json.h"
#include "cellvm.pb-c.h"

static Cellvm__Config *to_config(const char *text, char *err)
{
	struct json_object *j = NULL;
	ProtobufCMessage *m = NULL;

	err[0] = '\0';
	if (api_json_parse(text, strlen(text), &j, err, 256) < 0)
		return NULL;
	int ret = api_json_to_msg(j, &cellvm__config__descriptor, &m, err, 256);
	json_object_put(j);
	return ret < 0 ? NULL : (Cellvm__Config *)m;
}

static void expect_error(const char *text, const char *needle)
{
	char err[256];
	Cellvm__Config *c = to_config(text, err);

	if (c)
		cellvm__config__free_unpacked(c, NULL);
	cr_assert_null(c, "accepted %s", text);
	cr_assert(strstr(err, needle), "error '%s' lacks '%s' for %s", err, needle, text);
}

Test(api_json, full_config)
{
	char err[256];
	Cellvm__Config *c = to_config(
		"{ \"machine\": { \"vcpus\": 2, \"mem_mib\": 256 },\n"
		"  \"boot_source\": { \"kernel\": \"/k\", \"initrd\": \"/i\", \"cmdline\": \"a=b\" },\n"
		"  \"drives\": [ { \"id\": \"root\", \"path\": \"/d\", \"read_only\": true },\n"
		"              { \"path\": \"/e\" } ],\n"
		"  \"rng\": {},\n"
		"  \"vhost_user\": [ { \"type\": \"blk\", \"socket\": \"/s\" } ] }",
		err);

	cr_assert_not_null(c, "%s", err);
	cr_assert_eq(c->machine->vcpus, 2);
	cr_assert_eq(c->machine->mem_mib, 256);
	cr_assert_str_eq(c->boot_source->kernel, "/k");
	cr_assert_str_eq(c->boot_source->initrd, "/i");
	cr_assert_str_eq(c->boot_source->cmdline, "a=b");
	cr_assert_eq(c->n_drives, 2);
	cr_assert_str_eq(c->drives[0]->id, "root");
	cr_assert(c->drives[0]->read_only);
	cr_assert_str_eq(c->drives[1]->path, "/e");
	cr_assert_str_eq(c->drives[1]->id, "", "absent strings are empty");
	cr_assert_not(c->drives[1]->read_only);
	cr_assert_not_null(c->rng);
	cr_assert_eq(c->n_vhost_user, 1);
	cr_assert_str_eq(c->vhost_user[0]->socket, "/s");
	cellvm__config__free_unpacked(c, NULL);
}

Test(api_json, round_trip_through_json)
{
	char err[256];
	Cellvm__Config *c = to_config("{\"machine\":{\"vcpus\":3,\"mem_mib\":18446744073709551615},"
				      "\"boot_source\":{\"kernel\":\"k \\\"q\\\" \\u00e9\"},"
				      "\"drives\":[{\"path\":\"p\"}]}",
				      err);
	cr_assert_not_null(c, "%s", err);
	cr_assert_eq(c->machine->mem_mib, UINT64_MAX, "all 64 bits survive");

	struct json_object *j = api_json_from_msg(&c->base);
	cr_assert_not_null(j);
	const char *text = json_object_to_json_string(j);
	Cellvm__Config *again = to_config(text, err);
	cr_assert_not_null(again, "%s: %s", err, text);
	cr_assert_eq(again->machine->vcpus, 3);
	cr_assert_eq(again->machine->mem_mib, UINT64_MAX);
	cr_assert_str_eq(again->boot_source->kernel, "k \"q\" \xc3\xa9");
	cr_assert_eq(again->n_drives, 1);
	cr_assert_null(again->rng, "an absent message stays absent");
	json_object_put(j);
	cellvm__config__free_unpacked(c, NULL);
	cellvm__config__free_unpacked(again, NULL);
}

Test(api_json, enums_and_oneofs_by_name)
{
	Cellvm__Reply r = CELLVM__REPLY__INIT;
	Cellvm__Info info = CELLVM__INFO__INIT;

	info.state = CELLVM__VM_STATE__STATE_PAUSED;
	r.status = CELLVM__STATUS__STATUS_WRONG_STATE;
	r.message = (char *)"m";
	r.body_case = CELLVM__REPLY__BODY_INFO;
	r.info = &info;
	struct json_object *j = api_json_from_msg(&r.base);
	const char *s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
	cr_assert(strstr(s, "\"status\":\"STATUS_WRONG_STATE\""), "%s", s);
	cr_assert(strstr(s, "\"state\":\"STATE_PAUSED\""), "%s", s);
	cr_assert(strstr(s, "\"info\":{"), "%s", s);
	cr_assert_null(strstr(s, "\"metrics\""), "only the oneof member that is set: %s", s);
	json_object_put(j);
}

Test(api_json, request_oneof_from_json)
{
	struct json_object *j = NULL;
	ProtobufCMessage *m = NULL;
	char err[256];
	const char *text = "{\"version\":1,\"start\":{}}";

	cr_assert_eq(api_json_parse(text, strlen(text), &j, err, sizeof(err)), 0);
	cr_assert_eq(api_json_to_msg(j, &cellvm__request__descriptor, &m, err, sizeof(err)), 0, "%s",
		     err);
	Cellvm__Request *req = (Cellvm__Request *)m;
	cr_assert_eq(req->body_case, CELLVM__REQUEST__BODY_START);
	protobuf_c_message_free_unpacked(m, NULL);
	json_object_put(j);

	text = "{\"version\":1,\"start\":{},\"pause\":{}}";
	cr_assert_eq(api_json_parse(text, strlen(text), &j, err, sizeof(err)), 0);
	cr_assert_lt(api_json_to_msg(j, &cellvm__request__descriptor, &m, err, sizeof(err)), 0);
	cr_assert(strstr(err, "only one"), "%s", err);
	json_object_put(j);
}

Test(api_json, errors_name_the_key)
{
	expect_error("{\"machine\":{\"cpus\":1}}", "machine: unknown key 'cpus'");
	expect_error("{\"machine\":{\"vcpus\":\"1\"}}", "machine.vcpus: expected an integer, not a string");
	expect_error("{\"machine\":{\"vcpus\":1.5}}", "machine.vcpus: expected an integer");
	expect_error("{\"machine\":{\"vcpus\":-1}}", "machine.vcpus: expected a non-negative");
	expect_error("{\"machine\":{\"vcpus\":4294967296}}", "machine.vcpus: 4294967296 is too large");
	expect_error("{\"machine\":[]}", "machine: expected an object, not an array");
	expect_error("{\"drives\":{}}", "drives: expected an array");
	expect_error("{\"drives\":[{\"path\":\"a\"},{\"read_only\":\"yes\"}]}",
		     "drives[1].read_only: expected true or false");
	expect_error("{\"boot_source\":{\"kernel\":\"a\\u0000b\"}}", "NUL");
	expect_error("{\"boot_source\":{\"kernel\":null}}", "expected a string, not null");
	expect_error("[]", "expected an object");
	expect_error("{\"rng\":true}", "rng: expected an object");
}

Test(api_json, syntax_errors_have_a_position)
{
	expect_error("{\n  \"machine\": {\n    \"vcpus\": 2,\n  }\n}", "line 4");
	expect_error("{\"machine\":", "unexpected end");
	expect_error("{} {}", "line 1 column 4");
	expect_error("", "unexpected end");
	expect_error("{\"a\" 1}", "line 1");
}
