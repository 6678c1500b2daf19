#include "blk_req.h"

#include <endian.h>
#include <linux/virtio_blk.h>
#include <string.h>

#include "blk_iov.h"

_Static_assert(sizeof(struct virtio_blk_outhdr) == BLK_HDR_BYTES, "virtio-blk header size");
_Static_assert(sizeof(struct virtio_blk_discard_write_zeroes) == BLK_DWZ_BYTES,
	       "virtio-blk range size");
_Static_assert(BLK_ID_BYTES == VIRTIO_BLK_ID_BYTES, "virtio-blk id size");

static void req_answer(struct blk_req *req, uint8_t status)
{
	req->op = BLK_OP_DONE;
	req->status = status;
}

/* [sector, sector + sectors) inside the disk, without overflowing. */
static bool range_ok(uint64_t sector, uint64_t sectors, uint64_t capacity)
{
	return sector <= capacity && sectors <= capacity - sector;
}

/* READ and WRITE: the data is `len` bytes starting `skip` bytes into segs. */
static void parse_data(struct blk_req *req, const struct iovec *segs, unsigned int n,
		       uint64_t skip, uint64_t len, const struct blk_req_limits *lim, enum blk_op op)
{
	int nr;

	if (len % BLK_SECTOR_SIZE != 0 || len > BLK_DATA_MAX ||
	    !range_ok(req->sector, len >> BLK_SECTOR_SHIFT, lim->capacity)) {
		req_answer(req, VIRTIO_BLK_S_IOERR);
		return;
	}
	if (len == 0) {
		req_answer(req, VIRTIO_BLK_S_OK);
		return;
	}
	nr = blk_iov_slice(segs, n, skip, len, req->iov, BLK_SEG_MAX);
	if (nr < 0) {
		req_answer(req, VIRTIO_BLK_S_IOERR);
		return;
	}
	req->n_iov = (unsigned int)nr;
	req->data_len = len;
	req->op = op;
}

/* DISCARD and WRITE_ZEROES: a list of ranges follows the header. The
 * list is copied out of guest memory so it is checked and used as one
 * snapshot, whatever the guest writes there meanwhile. */
static void parse_ranges(struct blk_req *req, const struct iovec *out, unsigned int n_out,
			 uint64_t out_len, const struct blk_req_limits *lim, bool discard)
{
	uint64_t payload = out_len - BLK_HDR_BYTES;
	unsigned int count;

	if (lim->read_only || payload == 0 || payload % BLK_DWZ_BYTES != 0 ||
	    payload / BLK_DWZ_BYTES > BLK_DWZ_SEG_MAX) {
		req_answer(req, VIRTIO_BLK_S_IOERR);
		return;
	}
	count = (unsigned int)(payload / BLK_DWZ_BYTES);
	for (unsigned int i = 0; i < count; i++) {
		struct virtio_blk_discard_write_zeroes raw;
		struct blk_dwz_range *r = &req->ranges[i];
		uint32_t flags;

		blk_iov_to_buf(out, n_out, BLK_HDR_BYTES + (uint64_t)i * BLK_DWZ_BYTES, &raw,
			       sizeof(raw));
		flags = le32toh(raw.flags);
		/* Unknown flags, or unmap on a discard, are UNSUPP (5.2.6.2). */
		if ((flags & ~(uint32_t)VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) != 0 ||
		    (discard && (flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))) {
			req_answer(req, VIRTIO_BLK_S_UNSUPP);
			return;
		}
		r->sector = le64toh(raw.sector);
		r->num_sectors = le32toh(raw.num_sectors);
		r->unmap = flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
		if (r->num_sectors > BLK_DWZ_SECTORS_MAX ||
		    !range_ok(r->sector, r->num_sectors, lim->capacity)) {
			req_answer(req, VIRTIO_BLK_S_IOERR);
			return;
		}
	}
	req->n_ranges = count;
	req->op = discard ? BLK_OP_DISCARD : BLK_OP_WRITE_ZEROES;
}

void blk_req_parse(struct blk_req *req, const struct iovec *iov, unsigned int n_out,
		   unsigned int n_in, const struct blk_req_limits *lim)
{
	const struct iovec *in = iov + n_out;
	uint64_t out_len = blk_iov_size(iov, n_out);
	uint64_t in_len = blk_iov_size(in, n_in);
	struct virtio_blk_outhdr hdr;

	req->has_hdr = false;
	req->type = 0;
	req->sector = 0;
	req->status_ptr = NULL;
	req->data_len = 0;
	req->n_iov = 0;
	req->n_ranges = 0;
	req_answer(req, VIRTIO_BLK_S_IOERR);

	/* The status is the last device-writable byte, wherever the guest
	 * put the descriptor boundaries; without one there is no answer. */
	if (in_len == 0)
		return;
	req->status_ptr = blk_iov_byte(in, n_in, in_len - 1);
	if (out_len < BLK_HDR_BYTES)
		return;
	blk_iov_to_buf(iov, n_out, 0, &hdr, sizeof(hdr));
	req->has_hdr = true;
	req->type = le32toh(hdr.type);
	req->sector = le64toh(hdr.sector);

	switch (req->type) {
	case VIRTIO_BLK_T_IN:
		parse_data(req, in, n_in, 0, in_len - 1, lim, BLK_OP_READ);
		break;
	case VIRTIO_BLK_T_OUT:
		/* A read-only device must not write anything (5.2.6.2). */
		if (lim->read_only)
			return;
		parse_data(req, iov, n_out, BLK_HDR_BYTES, out_len - BLK_HDR_BYTES, lim,
			   BLK_OP_WRITE);
		break;
	case VIRTIO_BLK_T_FLUSH:
		/* Nothing of ours can be dirty on a read-only image. */
		if (lim->read_only)
			req_answer(req, VIRTIO_BLK_S_OK);
		else
			req->op = BLK_OP_FLUSH;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		uint64_t len = in_len - 1 < BLK_ID_BYTES ? in_len - 1 : BLK_ID_BYTES;
		int nr;

		if (len == 0)
			return;
		nr = blk_iov_slice(in, n_in, 0, len, req->iov, BLK_SEG_MAX);
		if (nr < 0)
			return;
		req->n_iov = (unsigned int)nr;
		req->data_len = len;
		req->op = BLK_OP_GET_ID;
		break;
	}
	case VIRTIO_BLK_T_DISCARD:
		parse_ranges(req, iov, n_out, out_len, lim, true);
		break;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		parse_ranges(req, iov, n_out, out_len, lim, false);
		break;
	default:
		req_answer(req, VIRTIO_BLK_S_UNSUPP);
		break;
	}
}

uint32_t blk_req_fill_id(const struct blk_req *req, const char *id)
{
	char padded[BLK_ID_BYTES];

	/* NUL-padded, and not terminated when it is exactly 20 bytes long. */
	memset(padded, 0, sizeof(padded));
	memcpy(padded, id, strnlen(id, sizeof(padded)));
	return (uint32_t)blk_iov_from_buf(req->iov, req->n_iov, 0, padded, req->data_len);
}

uint32_t blk_req_finish(struct blk_req *req, uint8_t status, uint32_t data_written)
{
	if (!req->status_ptr)
		return 0;
	*req->status_ptr = status;
	return data_written + 1;
}
