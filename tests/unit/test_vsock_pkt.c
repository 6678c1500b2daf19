/* cellvm-vsock's packet layer: the header's wire layout, the checks a
 * guest packet gets before any connection is looked at, byte views over
 * iovec arrays, and the host client's CONNECT line. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "device-procs/vsock/vsock_engine_internal.h"
#include "device-procs/vsock/vsock_pkt.h"

Test(vsock_pkt, header_round_trips_in_little_endian_at_the_spec_offsets)
{
	struct vsock_hdr h = { .src_cid = 0x1122334455667788ull, .dst_cid = 2, .src_port = 0xa1b2c3d4,
			       .dst_port = 5000, .len = 0x10203, .type = 1, .op = 5, .flags = 3,
			       .buf_alloc = 262144, .fwd_cnt = 0xdeadbeef };
	uint8_t w[VSOCK_HDR_LEN];
	struct vsock_hdr back;

	vsock_hdr_encode(w, &h);
	cr_assert_eq(w[0], 0x88);
	cr_assert_eq(w[7], 0x11);
	cr_assert_eq(w[8], 2);
	cr_assert_eq(w[16], 0xd4);
	cr_assert_eq(w[20], 5000 & 0xff);
	cr_assert_eq(w[24], 0x03);
	cr_assert_eq(w[26], 0x01);
	cr_assert_eq(w[28], 1);
	cr_assert_eq(w[30], 5);
	cr_assert_eq(w[32], 3);
	cr_assert_eq(w[38], 4); /* 262144 = 0x40000 */
	cr_assert_eq(w[43], 0xde);
	vsock_hdr_decode(&back, w);
	cr_assert_eq(back.src_cid, h.src_cid);
	cr_assert_eq(back.dst_cid, h.dst_cid);
	cr_assert_eq(back.src_port, h.src_port);
	cr_assert_eq(back.dst_port, h.dst_port);
	cr_assert_eq(back.len, h.len);
	cr_assert_eq(back.type, h.type);
	cr_assert_eq(back.op, h.op);
	cr_assert_eq(back.flags, h.flags);
	cr_assert_eq(back.buf_alloc, h.buf_alloc);
	cr_assert_eq(back.fwd_cnt, h.fwd_cnt);
}

static struct vsock_hdr good(void)
{
	return (struct vsock_hdr){ .src_cid = 3, .dst_cid = 2, .src_port = 1, .dst_port = 2,
				   .type = 1, .op = VSOCK_OP_RW, .len = 10 };
}

Test(vsock_pkt, checks_every_field_before_anything_else)
{
	struct vsock_hdr h = good();

	cr_assert_eq(vsock_pkt_check(&h, 54, 3), VSOCK_PKT_OK);
	cr_assert_eq(vsock_pkt_check(&h, 43, 3), VSOCK_PKT_SHORT);
	cr_assert_eq(vsock_pkt_check(&h, 53, 3), VSOCK_PKT_BAD_LEN, "len beyond the chain");
	cr_assert_eq(vsock_pkt_check(&h, 54, 4), VSOCK_PKT_BAD_SRC);
	h.src_cid = 3ull | 1ull << 32; /* the high half counts too */
	cr_assert_eq(vsock_pkt_check(&h, 54, 3), VSOCK_PKT_BAD_SRC);
	h = good();
	h.dst_cid = 1;
	cr_assert_eq(vsock_pkt_check(&h, 54, 3), VSOCK_PKT_BAD_DST);
	h = good();
	h.type = 2; /* seqpacket: not offered */
	cr_assert_eq(vsock_pkt_check(&h, 54, 3), VSOCK_PKT_BAD_TYPE);
	h = good();
	h.op = 0;
	cr_assert_eq(vsock_pkt_check(&h, 54, 3), VSOCK_PKT_BAD_OP);
	h.op = 8;
	cr_assert_eq(vsock_pkt_check(&h, 54, 3), VSOCK_PKT_BAD_OP);
	h.op = 0xffff;
	cr_assert_eq(vsock_pkt_check(&h, 54, 3), VSOCK_PKT_BAD_OP);
	h = good();
	h.op = VSOCK_OP_REQUEST; /* only RW carries payload */
	cr_assert_eq(vsock_pkt_check(&h, 54, 3), VSOCK_PKT_BAD_OP);
	h.len = 0;
	cr_assert_eq(vsock_pkt_check(&h, 44, 3), VSOCK_PKT_OK);
	h = good();
	h.len = VSOCK_MAX_PAYLOAD + 1;
	cr_assert_eq(vsock_pkt_check(&h, 1u << 20, 3), VSOCK_PKT_BAD_LEN);
	h.len = VSOCK_MAX_PAYLOAD;
	cr_assert_eq(vsock_pkt_check(&h, VSOCK_HDR_LEN + VSOCK_MAX_PAYLOAD, 3), VSOCK_PKT_OK);
	h.len = 0xffffffffu; /* no overflow in the length sum */
	cr_assert_eq(vsock_pkt_check(&h, 64, 3), VSOCK_PKT_BAD_LEN);
}

Test(vsock_pkt, iov_views_cross_segment_borders)
{
	uint8_t a[3] = { 0 }, b[1] = { 0 }, c[5] = { 0 }, out[9];
	struct iovec iov[4] = { { a, 3 }, { NULL, 0 }, { b, 1 }, { c, 5 } };
	const uint8_t src[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct iovec slice[4];
	size_t got;

	cr_assert_eq(vsock_iov_len(iov, 4), 9);
	cr_assert_eq(iov_copy_to(iov, 4, 2, src, 9), 7, "cut at the end");
	cr_assert_eq(a[2], 1);
	cr_assert_eq(b[0], 2);
	cr_assert_eq(c[4], 7);
	memset(out, 0, sizeof(out));
	cr_assert_eq(iov_copy_from(out, iov, 4, 3, 6), 6);
	cr_assert_eq(out[0], 2);
	cr_assert_eq(out[5], 7);

	unsigned int k = vsock_iov_slice(slice, 4, iov, 4, 2, 5, &got);
	cr_assert_eq(k, 3);
	cr_assert_eq(got, 5);
	cr_assert_eq(slice[0].iov_base, a + 2);
	cr_assert_eq(slice[0].iov_len, 1);
	cr_assert_eq(slice[1].iov_base, b);
	cr_assert_eq(slice[2].iov_base, c);
	cr_assert_eq(slice[2].iov_len, 3);
	k = vsock_iov_slice(slice, 1, iov, 4, 0, 9, &got);
	cr_assert_eq(k, 1, "cut at max entries");
	cr_assert_eq(got, 3);
	k = vsock_iov_slice(slice, 4, iov, 4, 9, 5, &got);
	cr_assert_eq(k, 0, "past the end");
	cr_assert_eq(got, 0);
}

Test(vsock_pkt, connect_line)
{
	uint32_t port = 7;

	cr_assert_eq(vsock_parse_connect("CONNECT 52\n", 11, &port), 0);
	cr_assert_eq(port, 52);
	cr_assert_eq(vsock_parse_connect("CONNECT 4294967295\r\n", 20, &port), 0);
	cr_assert_eq(port, 4294967295u);
	static const char *const bad[] = {
		"CONNECT 4294967296\n", "CONNECT \n", "CONNECT 52", "connect 52\n", "CONNECT  52\n",
		"CONNECT 5 2\n", "CONNECT -1\n", "CONNECT 52 \n", "CONNECT 0x10\n", "\n",
		"CONNECT 00000000052\n", "OK 52\n", "CONNECT 52\r\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(vsock_parse_connect(bad[i], strlen(bad[i]), &port), -EINVAL, "'%s'",
			     bad[i]);
}
