/* The virtio-blk request parser on crafted descriptor layouts: every way
 * a guest may legally split a request, and the ways a hostile one may
 * get it wrong. */
#include <criterion/criterion.h>
#include <linux/virtio_blk.h>
#include <stdint.h>
#include <string.h>

#include "device-procs/blk/blk_req.h"

#define CAP 1024ull   /* sectors */

static const struct blk_req_limits rw = { .capacity = CAP, .read_only = false };
static const struct blk_req_limits ro = { .capacity = CAP, .read_only = true };

/* Per-test buffers (each Criterion test runs in its own process). */
static uint8_t hdr[64];
static uint8_t data[256 * 512];
static uint8_t status[4];
static struct blk_req req;

static void put_hdr(uint32_t type, uint64_t sector)
{
	struct virtio_blk_outhdr h = { .type = type, .ioprio = 0, .sector = sector };

	memcpy(hdr, &h, sizeof(h));
}

static void put_range(uint8_t *at, uint64_t sector, uint32_t num, uint32_t flags)
{
	struct virtio_blk_discard_write_zeroes r = {
		.sector = sector, .num_sectors = num, .flags = flags,
	};

	memcpy(at, &r, sizeof(r));
}

#define IOV(p, l) ((struct iovec){ .iov_base = (p), .iov_len = (l) })

static void parse(const struct iovec *iov, unsigned int n_out, unsigned int n_in,
		  const struct blk_req_limits *lim)
{
	memset(&req, 0xa5, sizeof(req));   /* the parser must not rely on zeroed input */
	blk_req_parse(&req, iov, n_out, n_in, lim);
}

Test(blk_req, plain_read)
{
	put_hdr(VIRTIO_BLK_T_IN, 8);
	struct iovec v[] = { IOV(hdr, 16), IOV(data, 4096), IOV(status, 1) };

	parse(v, 1, 2, &rw);
	cr_assert_eq(req.op, BLK_OP_READ);
	cr_assert(req.has_hdr);
	cr_assert_eq(req.sector, 8);
	cr_assert_eq(req.data_len, 4096);
	cr_assert_eq(req.n_iov, 1);
	cr_assert_eq(req.iov[0].iov_base, data);
	cr_assert_eq(req.status_ptr, status);
}

Test(blk_req, header_split_over_three_segments)
{
	put_hdr(VIRTIO_BLK_T_OUT, 0x123);
	struct iovec v[] = { IOV(hdr, 5), IOV(hdr + 5, 7), IOV(hdr + 12, 4), IOV(data, 512),
			     IOV(status, 1) };

	parse(v, 4, 1, &rw);
	cr_assert_eq(req.op, BLK_OP_WRITE);
	cr_assert_eq(req.sector, 0x123);
	cr_assert_eq(req.data_len, 512);
	cr_assert_eq(req.n_iov, 1);
	cr_assert_eq(req.iov[0].iov_base, data);
}

Test(blk_req, header_and_data_share_a_segment)
{
	uint8_t buf[16 + 1024];
	struct virtio_blk_outhdr h = { .type = VIRTIO_BLK_T_OUT, .sector = 2 };

	memcpy(buf, &h, sizeof(h));
	struct iovec v[] = { IOV(buf, sizeof(buf)), IOV(status, 1) };

	parse(v, 1, 1, &rw);
	cr_assert_eq(req.op, BLK_OP_WRITE);
	cr_assert_eq(req.n_iov, 1);
	cr_assert_eq(req.iov[0].iov_base, buf + 16);
	cr_assert_eq(req.iov[0].iov_len, 1024);
}

Test(blk_req, status_shares_the_last_data_segment)
{
	put_hdr(VIRTIO_BLK_T_IN, 0);
	struct iovec v[] = { IOV(hdr, 16), IOV(data, 512), IOV(data + 512, 513) };

	parse(v, 1, 2, &rw);
	cr_assert_eq(req.op, BLK_OP_READ);
	cr_assert_eq(req.data_len, 1024);
	cr_assert_eq(req.n_iov, 2);
	cr_assert_eq(req.iov[1].iov_len, 512);
	cr_assert_eq(req.status_ptr, data + 1024);
}

Test(blk_req, status_alone_with_empty_segments_around)
{
	put_hdr(VIRTIO_BLK_T_IN, 0);
	struct iovec v[] = { IOV(hdr, 16), IOV(data, 0), IOV(data, 512), IOV(status, 1),
			     IOV(status + 1, 0) };

	parse(v, 1, 4, &rw);
	cr_assert_eq(req.op, BLK_OP_READ);
	cr_assert_eq(req.n_iov, 1, "empty segments are dropped");
	cr_assert_eq(req.status_ptr, status);
}

Test(blk_req, too_short_header)
{
	put_hdr(VIRTIO_BLK_T_IN, 0);
	struct iovec v[] = { IOV(hdr, 8), IOV(hdr + 8, 7), IOV(data, 512), IOV(status, 1) };

	parse(v, 2, 2, &rw);
	cr_assert_eq(req.op, BLK_OP_DONE);
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR);
	cr_assert_not(req.has_hdr);
	cr_assert_eq(req.status_ptr, status, "the error can still be reported");
}

Test(blk_req, no_readable_part_at_all)
{
	struct iovec v[] = { IOV(data, 512), IOV(status, 1) };

	parse(v, 0, 2, &rw);
	cr_assert_eq(req.op, BLK_OP_DONE);
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR);
}

Test(blk_req, missing_status)
{
	put_hdr(VIRTIO_BLK_T_OUT, 0);
	struct iovec v[] = { IOV(hdr, 16), IOV(data, 512) };

	parse(v, 2, 0, &rw);
	cr_assert_eq(req.op, BLK_OP_DONE);
	cr_assert_null(req.status_ptr);
	cr_assert_eq(blk_req_finish(&req, VIRTIO_BLK_S_IOERR, 0), 0, "nothing written, len 0");
}

Test(blk_req, only_empty_writable_segments_means_no_status)
{
	put_hdr(VIRTIO_BLK_T_FLUSH, 0);
	struct iovec v[] = { IOV(hdr, 16), IOV(status, 0) };

	parse(v, 1, 1, &rw);
	cr_assert_eq(req.op, BLK_OP_DONE);
	cr_assert_null(req.status_ptr);
}

Test(blk_req, sector_bounds)
{
	put_hdr(VIRTIO_BLK_T_IN, CAP - 1);
	struct iovec last[] = { IOV(hdr, 16), IOV(data, 512), IOV(status, 1) };
	struct iovec past[] = { IOV(hdr, 16), IOV(data, 1024), IOV(status, 1) };

	parse(last, 1, 2, &rw);
	cr_assert_eq(req.op, BLK_OP_READ, "the last sector is readable");
	parse(past, 1, 2, &rw);
	cr_assert_eq(req.op, BLK_OP_DONE, "a read running past the end is refused whole");
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR);

	put_hdr(VIRTIO_BLK_T_IN, CAP);
	parse(last, 1, 2, &rw);
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR);
	cr_assert_eq(req.op, BLK_OP_DONE);
}

Test(blk_req, sector_overflow)
{
	struct iovec v[] = { IOV(hdr, 16), IOV(data, 1024), IOV(status, 1) };
	const struct blk_req_limits huge = { .capacity = UINT64_MAX >> 9 };

	/* sector + sectors wraps around to something small */
	put_hdr(VIRTIO_BLK_T_IN, UINT64_MAX - 1);
	parse(v, 1, 2, &huge);
	cr_assert_eq(req.op, BLK_OP_DONE);
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR);
	/* sector << 9 would wrap */
	put_hdr(VIRTIO_BLK_T_IN, (UINT64_MAX >> 9) - 1);
	parse(v, 1, 2, &huge);
	cr_assert_eq(req.op, BLK_OP_DONE);
	put_hdr(VIRTIO_BLK_T_OUT, UINT64_MAX);
	parse(v, 2, 1, &rw);
	cr_assert_eq(req.op, BLK_OP_DONE);
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR);
}

Test(blk_req, write_on_read_only_device)
{
	put_hdr(VIRTIO_BLK_T_OUT, 0);
	struct iovec v[] = { IOV(hdr, 16), IOV(data, 512), IOV(status, 1) };

	parse(v, 2, 1, &ro);
	cr_assert_eq(req.op, BLK_OP_DONE);
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR);

	put_hdr(VIRTIO_BLK_T_IN, 0);
	parse(v, 1, 2, &ro);
	cr_assert_eq(req.op, BLK_OP_READ, "reads still work");

	put_hdr(VIRTIO_BLK_T_FLUSH, 0);
	struct iovec f[] = { IOV(hdr, 16), IOV(status, 1) };
	parse(f, 1, 1, &ro);
	cr_assert_eq(req.op, BLK_OP_DONE);
	cr_assert_eq(req.status, VIRTIO_BLK_S_OK, "nothing to flush");
}

Test(blk_req, unaligned_lengths)
{
	struct iovec r[] = { IOV(hdr, 16), IOV(data, 511), IOV(status, 1) };
	struct iovec w[] = { IOV(hdr, 16), IOV(data, 513), IOV(status, 1) };

	put_hdr(VIRTIO_BLK_T_IN, 0);
	parse(r, 1, 2, &rw);
	cr_assert_eq(req.op, BLK_OP_DONE);
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR);
	put_hdr(VIRTIO_BLK_T_OUT, 0);
	parse(w, 2, 1, &rw);
	cr_assert_eq(req.op, BLK_OP_DONE);
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR);
}

Test(blk_req, zero_length_read_is_a_no_op)
{
	put_hdr(VIRTIO_BLK_T_IN, CAP);
	struct iovec v[] = { IOV(hdr, 16), IOV(status, 1) };

	parse(v, 1, 1, &rw);
	cr_assert_eq(req.op, BLK_OP_DONE);
	cr_assert_eq(req.status, VIRTIO_BLK_S_OK);
}

Test(blk_req, segment_limit)
{
	static struct iovec v[BLK_SEG_MAX + 3];

	put_hdr(VIRTIO_BLK_T_IN, 0);
	v[0] = IOV(hdr, 16);
	for (unsigned int i = 0; i < BLK_SEG_MAX + 1; i++)
		v[1 + i] = IOV(data + (i % 256) * 512, 512);
	v[BLK_SEG_MAX + 2] = IOV(status, 1);

	parse(v, 1, BLK_SEG_MAX + 2, &rw);
	cr_assert_eq(req.op, BLK_OP_DONE, "seg_max + 1 data segments");
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR);

	v[BLK_SEG_MAX + 1] = IOV(status, 1);
	parse(v, 1, BLK_SEG_MAX + 1, &rw);
	cr_assert_eq(req.op, BLK_OP_READ, "exactly seg_max data segments");
	cr_assert_eq(req.n_iov, BLK_SEG_MAX);
}

Test(blk_req, oversized_transfer)
{
	const struct blk_req_limits big = { .capacity = 1ull << 40 };
	/* The parser never touches data bytes, so a huge length is safe here. */
	struct iovec v[] = { IOV(hdr, 16), IOV(data, (size_t)BLK_DATA_MAX + 512), IOV(status, 1) };

	put_hdr(VIRTIO_BLK_T_IN, 0);
	parse(v, 1, 2, &big);
	cr_assert_eq(req.op, BLK_OP_DONE);
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR);
}

Test(blk_req, unknown_types_are_unsupported)
{
	static const uint32_t types[] = { 2, 3, 5, 10, VIRTIO_BLK_T_SECURE_ERASE, 99,
					  VIRTIO_BLK_T_BARRIER };
	struct iovec v[] = { IOV(hdr, 16), IOV(data, 512), IOV(status, 1) };

	for (unsigned int i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		put_hdr(types[i], 0);
		parse(v, 1, 2, &rw);
		cr_assert_eq(req.op, BLK_OP_DONE, "type %u", types[i]);
		cr_assert_eq(req.status, VIRTIO_BLK_S_UNSUPP, "type %u", types[i]);
	}
}

Test(blk_req, flush)
{
	put_hdr(VIRTIO_BLK_T_FLUSH, 0);
	struct iovec v[] = { IOV(hdr, 16), IOV(status, 1) };

	parse(v, 1, 1, &rw);
	cr_assert_eq(req.op, BLK_OP_FLUSH);
	cr_assert_eq(blk_req_finish(&req, VIRTIO_BLK_S_OK, 0), 1);
	cr_assert_eq(status[0], VIRTIO_BLK_S_OK);
}

Test(blk_req, get_id)
{
	uint8_t id[BLK_ID_BYTES];

	put_hdr(VIRTIO_BLK_T_GET_ID, 0);
	memset(id, 0xff, sizeof(id));
	struct iovec v[] = { IOV(hdr, 16), IOV(id, 7), IOV(id + 7, 13), IOV(status, 1) };

	parse(v, 1, 3, &rw);
	cr_assert_eq(req.op, BLK_OP_GET_ID);
	cr_assert_eq(blk_req_fill_id(&req, "disk0"), BLK_ID_BYTES);
	cr_assert_eq(memcmp(id, "disk0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", BLK_ID_BYTES), 0,
		     "NUL padded across the segment boundary");
	cr_assert_eq(blk_req_fill_id(&req, "abcdefghijklmnopqrst"), BLK_ID_BYTES);
	cr_assert_eq(memcmp(id, "abcdefghijklmnopqrst", BLK_ID_BYTES), 0, "20 bytes, no NUL");
	cr_assert_eq(blk_req_finish(&req, VIRTIO_BLK_S_OK, BLK_ID_BYTES), BLK_ID_BYTES + 1);
}

Test(blk_req, get_id_short_buffer)
{
	uint8_t id[8];

	put_hdr(VIRTIO_BLK_T_GET_ID, 0);
	struct iovec v[] = { IOV(hdr, 16), IOV(id, sizeof(id)), IOV(status, 1) };

	parse(v, 1, 2, &rw);
	cr_assert_eq(req.op, BLK_OP_GET_ID);
	cr_assert_eq(blk_req_fill_id(&req, "a-long-device-name"), sizeof(id));
	cr_assert_eq(memcmp(id, "a-long-d", sizeof(id)), 0);
}

Test(blk_req, discard_ranges)
{
	uint8_t buf[16 + 3 * 16];

	put_hdr(VIRTIO_BLK_T_DISCARD, 0);
	memcpy(buf, hdr, 16);
	put_range(buf + 16, 0, 8, 0);
	put_range(buf + 32, 100, 0, 0);
	put_range(buf + 48, CAP - 8, 8, 0);
	/* ranges split at an odd place, as a guest may */
	struct iovec v[] = { IOV(buf, 21), IOV(buf + 21, sizeof(buf) - 21), IOV(status, 1) };

	parse(v, 2, 1, &rw);
	cr_assert_eq(req.op, BLK_OP_DISCARD);
	cr_assert_eq(req.n_ranges, 3);
	cr_assert_eq(req.ranges[0].sector, 0);
	cr_assert_eq(req.ranges[0].num_sectors, 8);
	cr_assert_eq(req.ranges[1].sector, 100);
	cr_assert_eq(req.ranges[1].num_sectors, 0);
	cr_assert_eq(req.ranges[2].sector, CAP - 8);
	cr_assert_not(req.ranges[2].unmap);
}

static void parse_one_range(uint32_t type, uint64_t sector, uint32_t num, uint32_t flags,
			    const struct blk_req_limits *lim)
{
	static uint8_t buf[32];

	put_hdr(type, 0);
	memcpy(buf, hdr, 16);
	put_range(buf + 16, sector, num, flags);
	struct iovec v[] = { IOV(buf, 32), IOV(status, 1) };
	parse(v, 1, 1, lim);
}

Test(blk_req, discard_range_checks)
{
	parse_one_range(VIRTIO_BLK_T_DISCARD, 0, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP, &rw);
	cr_assert_eq(req.status, VIRTIO_BLK_S_UNSUPP, "unmap on a discard");
	parse_one_range(VIRTIO_BLK_T_DISCARD, 0, 8, 2, &rw);
	cr_assert_eq(req.status, VIRTIO_BLK_S_UNSUPP, "unknown flag");
	parse_one_range(VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0x80000001u, &rw);
	cr_assert_eq(req.status, VIRTIO_BLK_S_UNSUPP, "unknown flag next to unmap");
	parse_one_range(VIRTIO_BLK_T_DISCARD, CAP - 7, 8, 0, &rw);
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR, "past the end");
	parse_one_range(VIRTIO_BLK_T_DISCARD, UINT64_MAX - 2, 8, 0, &rw);
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR, "wrapping range");
	parse_one_range(VIRTIO_BLK_T_WRITE_ZEROES, 0, BLK_DWZ_SECTORS_MAX + 1, 0,
			&(struct blk_req_limits){ .capacity = 1ull << 40 });
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR, "over max_write_zeroes_sectors");
	parse_one_range(VIRTIO_BLK_T_DISCARD, 0, 8, 0, &ro);
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR, "read-only device");
	parse_one_range(VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0, &ro);
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR, "read-only device");
	cr_assert_eq(req.op, BLK_OP_DONE);

	parse_one_range(VIRTIO_BLK_T_WRITE_ZEROES, 16, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP, &rw);
	cr_assert_eq(req.op, BLK_OP_WRITE_ZEROES);
	cr_assert(req.ranges[0].unmap);
}

Test(blk_req, discard_payload_shapes)
{
	static uint8_t buf[16 + (BLK_DWZ_SEG_MAX + 1) * 16];

	put_hdr(VIRTIO_BLK_T_DISCARD, 0);
	memcpy(buf, hdr, 16);
	for (unsigned int i = 0; i <= BLK_DWZ_SEG_MAX; i++)
		put_range(buf + 16 + i * 16, i, 1, 0);

	struct iovec none[] = { IOV(buf, 16), IOV(status, 1) };
	parse(none, 1, 1, &rw);
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR, "no range at all");
	struct iovec partial[] = { IOV(buf, 16 + 12), IOV(status, 1) };
	parse(partial, 1, 1, &rw);
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR, "a truncated range");
	struct iovec too_many[] = { IOV(buf, sizeof(buf)), IOV(status, 1) };
	parse(too_many, 1, 1, &rw);
	cr_assert_eq(req.status, VIRTIO_BLK_S_IOERR, "more than max_discard_seg");
	struct iovec max[] = { IOV(buf, sizeof(buf) - 16), IOV(status, 1) };
	parse(max, 1, 1, &rw);
	cr_assert_eq(req.op, BLK_OP_DISCARD);
	cr_assert_eq(req.n_ranges, BLK_DWZ_SEG_MAX);
}

Test(blk_req, finish_reports_written_bytes)
{
	put_hdr(VIRTIO_BLK_T_IN, 0);
	struct iovec v[] = { IOV(hdr, 16), IOV(data, 1024), IOV(status, 1) };

	parse(v, 1, 2, &rw);
	status[0] = 0xee;
	cr_assert_eq(blk_req_finish(&req, VIRTIO_BLK_S_OK, 1024), 1025);
	cr_assert_eq(status[0], VIRTIO_BLK_S_OK);
	cr_assert_eq(blk_req_finish(&req, VIRTIO_BLK_S_IOERR, 0), 1);
	cr_assert_eq(status[0], VIRTIO_BLK_S_IOERR);
}
