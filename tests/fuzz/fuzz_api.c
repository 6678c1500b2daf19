/* libFuzzer target for the control API's server side: arbitrary bytes go
 * through the frame decoder exactly as a client's stream would (split
 * into reads at points the input chooses), every complete frame through
 * the request handler against a fake VMM, and every reply is checked to
 * be a well-formed frame carrying a decodable Reply. `make fuzz` runs it.
 *
 * Input layout: byte 0 picks the read size (1..256), the rest is the
 * stream. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_conn.h"
#include "api_frame.h"
#include "cellvm.pb-c.h"
#include "tests/unit/test_api_fake.h"

static struct fake_vmm fake;

/* Every reply frame the connection queued must parse. */
static void check_replies(const struct api_conn *c)
{
	size_t off = c->out_off;

	while (off < c->out_len) {
		struct api_frame_hdr h;
		if (c->out_len - off < API_FRAME_HDR_LEN)
			abort();
		api_frame_hdr_decode(c->out + off, &h);
		off += API_FRAME_HDR_LEN;
		if (h.len > c->out_len - off || h.len > API_FRAME_MAX)
			abort();
		Cellvm__Reply *r = cellvm__reply__unpack(NULL, h.len, c->out + off);
		if (!r || r->version != 1)
			abort();
		cellvm__reply__free_unpacked(r, NULL);
		off += h.len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_backend b;
	struct api_conn c;

	if (size < 1)
		return 0;
	size_t chunk = (size_t)data[0] + 1;
	data++;
	size--;
	fake_vmm_init(&fake, &b);
	if (api_conn_open(&c, -1) < 0)
		return 0;
	long now = 1;
	while (size) {
		size_t n = size < chunk ? size : chunk;
		if (!api_conn_consume(&c, &b, data, n, now++))
			break;
		data += n;
		size -= n;
		check_replies(&c);
		c.out_off = c.out_len = 0; /* "sent" */
	}
	api_conn_close(&c);
	return 0;
}
