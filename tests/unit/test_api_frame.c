#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "api_frame.h"

static struct api_decoder dec;

static void setup(void)
{
	cr_assert_eq(api_decoder_init(&dec, 64), 0);
}

static void teardown(void)
{
	api_decoder_free(&dec);
}

TestSuite(api_frame, .init = setup, .fini = teardown);

Test(api_frame, header_is_little_endian)
{
	uint8_t h[API_FRAME_HDR_LEN];
	struct api_frame_hdr d;

	api_frame_hdr_encode(h, 0x01020304, 0x1122334455667788ULL);
	const uint8_t want[] = { 4, 3, 2, 1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 };
	cr_assert_arr_eq(h, want, sizeof(want));
	api_frame_hdr_decode(h, &d);
	cr_assert_eq(d.len, 0x01020304);
	cr_assert_eq(d.id, 0x1122334455667788ULL);
}

Test(api_frame, build_refuses_oversized_payloads)
{
	size_t len = 0;
	uint8_t *f = api_frame_build(7, (const uint8_t *)"abc", 3, &len);

	cr_assert_not_null(f);
	cr_assert_eq(len, API_FRAME_HDR_LEN + 3);
	cr_assert_eq(memcmp(f + API_FRAME_HDR_LEN, "abc", 3), 0);
	free(f);
	cr_assert_null(api_frame_build(7, NULL, API_FRAME_MAX + 1, &len));
}

Test(api_frame, frame_fed_byte_by_byte)
{
	size_t len = 0, used = 0;
	uint8_t *f = api_frame_build(9, (const uint8_t *)"hello", 5, &len);
	enum api_dec_event ev = API_DEC_NONE;

	for (size_t i = 0; i < len; i++) {
		cr_assert_eq(ev, API_DEC_NONE, "frame completed early at byte %zu", i);
		cr_assert_eq(i > 0, api_decoder_mid_frame(&dec));
		ev = api_decoder_feed(&dec, f + i, 1, &used);
		cr_assert_eq(used, 1);
	}
	cr_assert_eq(ev, API_DEC_FRAME);
	cr_assert_eq(dec.hdr.id, 9);
	cr_assert_eq(dec.hdr.len, 5);
	cr_assert_eq(memcmp(dec.buf, "hello", 5), 0);
	cr_assert_not(api_decoder_mid_frame(&dec));
	free(f);
}

Test(api_frame, two_frames_in_one_read_come_out_one_at_a_time)
{
	uint8_t buf[64];
	size_t used;

	api_frame_hdr_encode(buf, 2, 1);
	memcpy(buf + 12, "ab", 2);
	api_frame_hdr_encode(buf + 14, 0, 2); /* an empty payload is a frame too */
	cr_assert_eq(api_decoder_feed(&dec, buf, 26, &used), API_DEC_FRAME);
	cr_assert_eq(used, 14);
	cr_assert_eq(dec.hdr.id, 1);
	cr_assert_eq(api_decoder_feed(&dec, buf + 14, 12, &used), API_DEC_FRAME);
	cr_assert_eq(used, 12);
	cr_assert_eq(dec.hdr.id, 2);
	cr_assert_eq(dec.hdr.len, 0);
}

Test(api_frame, oversized_frame_is_reported_then_skipped)
{
	uint8_t buf[12 + 100 + 12 + 1];
	size_t used;

	api_frame_hdr_encode(buf, 100, 5);
	memset(buf + 12, 'x', 100);
	api_frame_hdr_encode(buf + 112, 1, 6);
	buf[124] = 'y';
	cr_assert_eq(api_decoder_feed(&dec, buf, sizeof(buf), &used), API_DEC_TOO_LARGE);
	cr_assert_eq(used, 12, "only the header is consumed with the event");
	cr_assert_eq(dec.hdr.id, 5);
	cr_assert_eq(dec.hdr.len, 100);
	cr_assert(api_decoder_mid_frame(&dec), "still skipping");
	/* The skipped payload arrives in pieces; the next frame still decodes. */
	cr_assert_eq(api_decoder_feed(&dec, buf + 12, 50, &used), API_DEC_NONE);
	cr_assert_eq(used, 50);
	cr_assert_eq(api_decoder_feed(&dec, buf + 62, sizeof(buf) - 62, &used), API_DEC_FRAME);
	cr_assert_eq(dec.hdr.id, 6);
	cr_assert_eq(dec.buf[0], 'y');
}

Test(api_frame, maximum_length_lengths)
{
	uint8_t h[12];
	size_t used;

	api_frame_hdr_encode(h, 64, 1);
	cr_assert_eq(api_decoder_feed(&dec, h, 12, &used), API_DEC_NONE, "64 is the limit here");
	api_decoder_free(&dec);
	cr_assert_eq(api_decoder_init(&dec, 64), 0);
	api_frame_hdr_encode(h, 0xffffffffu, 1);
	cr_assert_eq(api_decoder_feed(&dec, h, 12, &used), API_DEC_TOO_LARGE);
	cr_assert_eq(dec.skip, 0xffffffffu);
}

Test(api_frame, default_limit)
{
	struct api_decoder d;

	cr_assert_eq(api_decoder_init(&d, 0), 0);
	cr_assert_eq(d.max, API_FRAME_MAX);
	api_decoder_free(&d);
}
