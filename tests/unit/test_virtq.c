/* Split virtqueue walking on crafted rings: one guest_map region over a
 * heap buffer, the driver side written by hand. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "virtq.h"

#define GPA     0x10000ull
#define UVA     0x7f0000000000ull
#define MEMSZ   (256u * 1024u)
#define QN      8u
#define DESC    (GPA + 0x0000)
#define AVAIL   (GPA + 0x1000)
#define USED    (GPA + 0x2000)
#define DATA    (GPA + 0x4000)
#define ITAB    (GPA + 0x8000)

static uint8_t *mem;
static struct guest_map map;
static struct virtq vq;
static struct virtq_chain chain;

static void *hp(uint64_t gpa)
{
	return mem + (gpa - GPA);
}

static void setup(void)
{
	mem = aligned_alloc(4096, MEMSZ);
	cr_assert_not_null(mem);
	memset(mem, 0, MEMSZ);
	memset(&map, 0, sizeof(map));
	map.nr = 1;
	map.r[0].gpa = GPA;
	map.r[0].size = MEMSZ;
	map.r[0].user_addr = UVA;
	map.r[0].host = mem;
}

static void teardown(void)
{
	free(mem);
}

static void ring_init(bool event_idx)
{
	cr_assert_eq(virtq_init(&vq, &map, QN, DESC, AVAIL, USED, event_idx), 0);
}

static void set_desc_at(uint64_t table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
			uint16_t next)
{
	struct virtq_desc d = { .addr = addr, .len = len, .flags = flags, .next = next };

	memcpy(hp(table + 16u * i), &d, sizeof(d));
}

static void set_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	set_desc_at(DESC, i, addr, len, flags, next);
}

static struct virtq_avail *avail(void)
{
	return hp(AVAIL);
}

static struct virtq_used *used(void)
{
	return hp(USED);
}

/* Makes head available and bumps the avail index. */
static void offer(uint16_t head)
{
	struct virtq_avail *a = avail();

	a->ring[a->idx % QN] = head;
	a->idx++;
}

Test(virtq, init_checks_size_alignment_and_range, .init = setup, .fini = teardown)
{
	cr_assert_eq(virtq_init(&vq, &map, 0, DESC, AVAIL, USED, false), -EINVAL);
	cr_assert_eq(virtq_init(&vq, &map, 12, DESC, AVAIL, USED, false), -EINVAL);
	cr_assert_eq(virtq_init(&vq, &map, QN, DESC + 8, AVAIL, USED, false), -EINVAL);
	cr_assert_eq(virtq_init(&vq, &map, QN, DESC, AVAIL + 1, USED, false), -EINVAL);
	cr_assert_eq(virtq_init(&vq, &map, QN, DESC, AVAIL, USED + 2, false), -EINVAL);
	/* outside RAM, straddling its end, wrapping the address space */
	cr_assert_eq(virtq_init(&vq, &map, QN, 0x1000, AVAIL, USED, false), -EFAULT);
	cr_assert_eq(virtq_init(&vq, &map, QN, DESC, AVAIL, GPA + MEMSZ - 16, false), -EFAULT);
	cr_assert_eq(virtq_init(&vq, &map, QN, DESC, 0xfffffffffffffff0ull, USED, false), -EFAULT);
	/* 32768 entries need 512 KiB of descriptors: more than this RAM */
	cr_assert_eq(virtq_init(&vq, &map, 32768, DESC, AVAIL, USED, false), -EFAULT);
	cr_assert_eq(virtq_init(&vq, &map, QN, DESC, AVAIL, USED, false), 0);
	cr_assert_eq(vq.num, QN);
	cr_assert_eq(vq.desc, hp(DESC));
}

Test(virtq, init_uva_translates_frontend_addresses, .init = setup, .fini = teardown)
{
	cr_assert_eq(virtq_init_uva(&vq, &map, QN, UVA, UVA + 0x1000, UVA + 0x2000, false), 0);
	cr_assert_eq(vq.desc, (void *)mem);
	cr_assert_eq(vq.used, (void *)(mem + 0x2000));
	/* a guest-physical address is not a user address */
	cr_assert_eq(virtq_init_uva(&vq, &map, QN, DESC, AVAIL, USED, false), -EFAULT);
}

Test(virtq, empty_ring_pops_nothing, .init = setup, .fini = teardown)
{
	ring_init(false);
	cr_assert_eq(virtq_pop(&vq, &chain), 0);
	cr_assert_not(vq.broken);
}

Test(virtq, simple_chain_readable_then_writable, .init = setup, .fini = teardown)
{
	ring_init(false);
	set_desc(3, DATA, 16, VIRTQ_DESC_F_NEXT, 5);
	set_desc(5, DATA + 0x100, 32, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA + 0x200, 512, VIRTQ_DESC_F_WRITE, 0);
	offer(3);
	cr_assert_eq(virtq_pop(&vq, &chain), 1);
	cr_assert_eq(chain.head, 3);
	cr_assert_eq(chain.n_out, 2);
	cr_assert_eq(chain.n_in, 1);
	cr_assert_eq(chain.out_len, 48);
	cr_assert_eq(chain.in_len, 512);
	cr_assert_eq(chain.iov[0].iov_base, hp(DATA));
	cr_assert_eq(chain.iov[1].iov_len, 32);
	cr_assert_eq(chain.iov[2].iov_base, hp(DATA + 0x200));
	cr_assert_eq(virtq_pop(&vq, &chain), 0);

	virtq_push(&vq, 3, 100);
	cr_assert_eq(used()->idx, 1);
	cr_assert_eq(used()->ring[0].id, 3);
	cr_assert_eq(used()->ring[0].len, 100);
}

Test(virtq, zero_length_buffer_is_allowed, .init = setup, .fini = teardown)
{
	ring_init(false);
	set_desc(0, DATA, 0, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &chain), 1);
	cr_assert_eq(chain.n_in, 1);
	cr_assert_eq(chain.in_len, 0);
}

Test(virtq, indirect_table, .init = setup, .fini = teardown)
{
	ring_init(false);
	set_desc_at(ITAB, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 2);
	set_desc_at(ITAB, 2, DATA + 0x100, 64, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc_at(ITAB, 1, DATA + 0x200, 1, VIRTQ_DESC_F_WRITE, 0);
	set_desc(4, ITAB, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(4);
	cr_assert_eq(virtq_pop(&vq, &chain), 1);
	cr_assert_eq(chain.head, 4);
	cr_assert_eq(chain.n_out, 1);
	cr_assert_eq(chain.n_in, 2);
	cr_assert_eq(chain.in_len, 65);
	cr_assert_eq(chain.iov[2].iov_base, hp(DATA + 0x200));
}

Test(virtq, indirect_table_may_be_unaligned_and_end_a_direct_chain, .init = setup, .fini = teardown)
{
	ring_init(false);
	set_desc_at(ITAB + 3, 0, DATA + 0x100, 8, VIRTQ_DESC_F_WRITE, 0);
	set_desc(0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, ITAB + 3, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &chain), 1);
	cr_assert_eq(chain.n_out, 1);
	cr_assert_eq(chain.n_in, 1);
	cr_assert_eq(chain.iov[1].iov_base, hp(DATA + 0x100));
}

/* Every malformation: -EIO, the queue is broken and stays broken. */
static void expect_broken(void)
{
	cr_assert_eq(virtq_pop(&vq, &chain), -EIO);
	cr_assert(vq.broken);
	cr_assert_eq(virtq_pop(&vq, &chain), -EIO);
	/* a broken queue publishes nothing */
	virtq_push(&vq, 0, 1);
	cr_assert_eq(used()->idx, 0);
	cr_assert_not(virtq_should_notify(&vq));
}

Test(virtq, writable_before_readable_is_broken, .init = setup, .fini = teardown)
{
	ring_init(false);
	set_desc(0, DATA, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA + 0x100, 16, 0, 0);
	offer(0);
	expect_broken();
}

Test(virtq, descriptor_loop_is_broken, .init = setup, .fini = teardown)
{
	ring_init(false);
	set_desc(0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA, 16, VIRTQ_DESC_F_NEXT, 2);
	set_desc(2, DATA, 16, VIRTQ_DESC_F_NEXT, 0);
	offer(0);
	expect_broken();
}

Test(virtq, self_loop_is_broken, .init = setup, .fini = teardown)
{
	ring_init(false);
	set_desc(6, DATA, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 6);
	offer(6);
	expect_broken();
}

Test(virtq, next_out_of_range_is_broken, .init = setup, .fini = teardown)
{
	ring_init(false);
	set_desc(0, DATA, 16, VIRTQ_DESC_F_NEXT, QN);
	offer(0);
	expect_broken();
}

Test(virtq, head_out_of_range_is_broken, .init = setup, .fini = teardown)
{
	ring_init(false);
	offer(QN);
	expect_broken();
}

Test(virtq, avail_index_too_far_ahead_is_broken, .init = setup, .fini = teardown)
{
	ring_init(false);
	set_desc(0, DATA, 16, VIRTQ_DESC_F_WRITE, 0);
	avail()->idx = QN + 1;
	expect_broken();
}

Test(virtq, buffer_outside_memory_is_broken, .init = setup, .fini = teardown)
{
	ring_init(false);
	set_desc(0, GPA + MEMSZ - 8, 16, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	expect_broken();
}

Test(virtq, buffer_wrapping_address_space_is_broken, .init = setup, .fini = teardown)
{
	ring_init(false);
	set_desc(0, UINT64_MAX - 4, 64, 0, 0);
	offer(0);
	expect_broken();
}

Test(virtq, indirect_bad_length_is_broken, .init = setup, .fini = teardown)
{
	ring_init(false);
	set_desc(0, ITAB, 24, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();
}

Test(virtq, indirect_zero_length_is_broken, .init = setup, .fini = teardown)
{
	ring_init(false);
	set_desc(0, ITAB, 0, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();
}

Test(virtq, nested_indirect_is_broken, .init = setup, .fini = teardown)
{
	ring_init(false);
	set_desc_at(ITAB, 0, ITAB + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc_at(ITAB + 0x100, 0, DATA, 16, VIRTQ_DESC_F_WRITE, 0);
	set_desc(0, ITAB, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();
}

Test(virtq, indirect_with_next_is_broken, .init = setup, .fini = teardown)
{
	ring_init(false);
	set_desc_at(ITAB, 0, DATA, 16, VIRTQ_DESC_F_WRITE, 0);
	set_desc(0, ITAB, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA, 16, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	expect_broken();
}

Test(virtq, indirect_table_outside_memory_is_broken, .init = setup, .fini = teardown)
{
	ring_init(false);
	set_desc(0, GPA + MEMSZ - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();
}

Test(virtq, indirect_loop_is_broken, .init = setup, .fini = teardown)
{
	ring_init(false);
	set_desc_at(ITAB, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc_at(ITAB, 1, DATA, 16, VIRTQ_DESC_F_NEXT, 0);
	set_desc(0, ITAB, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();
}

Test(virtq, indirect_next_beyond_table_is_broken, .init = setup, .fini = teardown)
{
	ring_init(false);
	/* entry 2 exists in memory but the table is only 2 long */
	set_desc_at(ITAB, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 2);
	set_desc_at(ITAB, 2, DATA, 16, 0, 0);
	set_desc(0, ITAB, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();
}

static void indirect_chain_of(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		set_desc_at(ITAB, (uint16_t)i, DATA, 1, VIRTQ_DESC_F_WRITE |
			    (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0), (uint16_t)(i + 1));
	set_desc(0, ITAB, n * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
}

Test(virtq, chain_of_max_segments_is_fine, .init = setup, .fini = teardown)
{
	ring_init(false);
	indirect_chain_of(VIRTQ_MAX_CHAIN_IOV);
	cr_assert_eq(virtq_pop(&vq, &chain), 1);
	cr_assert_eq(chain.n_in, VIRTQ_MAX_CHAIN_IOV);
}

Test(virtq, chain_longer_than_max_segments_is_broken, .init = setup, .fini = teardown)
{
	ring_init(false);
	indirect_chain_of(VIRTQ_MAX_CHAIN_IOV + 1);
	expect_broken();
}

/* The 16-bit indices wrap: last_avail 65534 → 1, used 65534 → 1. */
Test(virtq, indices_wrap_around, .init = setup, .fini = teardown)
{
	ring_init(false);
	vq.last_avail = 65534;
	vq.used_idx = 65534;
	used()->idx = 65534;
	avail()->idx = 65534;
	for (uint16_t i = 0; i < 3; i++) {
		set_desc(i, DATA + 0x100u * i, 8, VIRTQ_DESC_F_WRITE, 0);
		offer(i);
	}
	cr_assert_eq(avail()->idx, 1);
	for (uint16_t i = 0; i < 3; i++) {
		cr_assert_eq(virtq_pop(&vq, &chain), 1);
		cr_assert_eq(chain.head, i);
		virtq_push(&vq, chain.head, 8);
	}
	cr_assert_eq(virtq_pop(&vq, &chain), 0);
	cr_assert_eq(vq.last_avail, 1);
	cr_assert_eq(used()->idx, 1);
	/* 65534 % 8 = 6: the elements went to slots 6, 7, 0 */
	cr_assert_eq(used()->ring[6].id, 0);
	cr_assert_eq(used()->ring[7].id, 1);
	cr_assert_eq(used()->ring[0].id, 2);
}

Test(virtq, no_interrupt_flag_without_event_idx, .init = setup, .fini = teardown)
{
	ring_init(false);
	virtq_push(&vq, 0, 0);
	cr_assert(virtq_should_notify(&vq));
	/* nothing new since the last notification */
	cr_assert_not(virtq_should_notify(&vq));
	avail()->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	virtq_push(&vq, 0, 0);
	cr_assert_not(virtq_should_notify(&vq));
	avail()->flags = 0;
	virtq_push(&vq, 0, 0);
	cr_assert(virtq_should_notify(&vq));
}

static uint16_t *used_event(void)
{
	return &avail()->ring[QN];
}

static uint16_t avail_event(void)
{
	uint16_t v;

	memcpy(&v, &used()->ring[QN], sizeof(v));
	return v;
}

Test(virtq, event_idx_notify_decisions, .init = setup, .fini = teardown)
{
	ring_init(true);
	/* flags are ignored with EVENT_IDX */
	avail()->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	virtq_push(&vq, 0, 0);                 /* used 1 */
	cr_assert(virtq_should_notify(&vq));   /* first time: always */
	*used_event() = 3;                     /* wake me when used passes 3 */
	virtq_push(&vq, 0, 0);                 /* used 2 */
	cr_assert_not(virtq_should_notify(&vq));
	virtq_push(&vq, 0, 0);                 /* used 3 */
	cr_assert_not(virtq_should_notify(&vq));
	virtq_push(&vq, 0, 0);                 /* used 4: crossed 3 */
	cr_assert(virtq_should_notify(&vq));
	virtq_push(&vq, 0, 0);                 /* used 5 */
	cr_assert_not(virtq_should_notify(&vq));
	/* a batch that jumps over the event index still notifies once */
	*used_event() = 6;
	for (int i = 0; i < 4; i++)
		virtq_push(&vq, 0, 0);         /* used 9 */
	cr_assert(virtq_should_notify(&vq));
}

Test(virtq, event_idx_across_wrap, .init = setup, .fini = teardown)
{
	ring_init(true);
	vq.used_idx = 65533;
	vq.signalled_used = 65533;
	vq.signalled_used_valid = true;
	*used_event() = 65535;
	virtq_push(&vq, 0, 0);                 /* 65534 */
	cr_assert_not(virtq_should_notify(&vq));
	virtq_push(&vq, 0, 0);                 /* 65535 */
	virtq_push(&vq, 0, 0);                 /* 0: crossed 65535 */
	cr_assert(virtq_should_notify(&vq));
	*used_event() = 0;
	virtq_push(&vq, 0, 0);                 /* 1: crossed 0 */
	cr_assert(virtq_should_notify(&vq));
}

Test(virtq, enable_notify_publishes_avail_event, .init = setup, .fini = teardown)
{
	ring_init(true);
	set_desc(0, DATA, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	cr_assert(virtq_enable_notify(&vq));   /* work is pending */
	cr_assert_eq(avail_event(), 0);
	cr_assert_eq(virtq_pop(&vq, &chain), 1);
	cr_assert_not(virtq_enable_notify(&vq));
	cr_assert_eq(avail_event(), 1);
}

Test(virtq, enable_notify_without_event_idx, .init = setup, .fini = teardown)
{
	ring_init(false);
	cr_assert_not(virtq_enable_notify(&vq));
	offer(0);
	cr_assert(virtq_enable_notify(&vq));
	cr_assert_eq(used()->flags, 0);
}

Test(virtq, disable_notify, .init = setup, .fini = teardown)
{
	ring_init(false);
	virtq_disable_notify(&vq);
	cr_assert_eq(used()->flags, VIRTQ_USED_F_NO_NOTIFY);
	cr_assert_not(virtq_enable_notify(&vq));
	cr_assert_eq(used()->flags, 0);

	/* EVENT_IDX: avail_event stays where the last enable put it; the
	 * driver has passed it, so it does not kick again */
	ring_init(true);
	set_desc(0, DATA, 8, VIRTQ_DESC_F_WRITE, 0);
	cr_assert_not(virtq_enable_notify(&vq));
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &chain), 1);
	virtq_disable_notify(&vq);
	cr_assert_eq(avail_event(), 0);
	cr_assert_eq(used()->flags, 0);
}
