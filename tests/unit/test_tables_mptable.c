/* MP table: parsed back from guest memory the way Linux's mpparse reads it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "guest_mem.h"
#include "layout.h"
#include "tables/tables.h"

static struct guest_mem gm;

static void setup(void)
{
	cr_assert_eq(guest_mem_create(&gm, 2 * MiB), 0);
}

static void teardown(void)
{
	guest_mem_destroy(&gm);
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16; }

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

struct mp_view {
	const uint8_t *mpf, *mpc;
	unsigned int cpus, bsp, buses, ioapics, intsrc, lintsrc;
	uint8_t ioapic_id, ioapic_ver;
	uint32_t ioapic_addr;
	uint8_t irq_pin[32];    /* ISA irq -> pin, 0xff when absent */
	uint8_t cpu_flags[64];
};

/* Checks the framing and tallies the entries. */
static void mp_parse(struct mp_view *v)
{
	memset(v, 0, sizeof(*v));
	memset(v->irq_pin, 0xff, sizeof(v->irq_pin));
	v->mpf = guest_mem_ptr(&gm, LAYOUT_EBDA_START, 16);
	cr_assert_not_null(v->mpf);
	cr_assert_eq(memcmp(v->mpf, "_MP_", 4), 0);
	cr_assert_eq(v->mpf[8], 1, "floating pointer length is in 16-byte units");
	cr_assert_eq(v->mpf[9], 4, "spec revision 1.4");
	cr_assert_eq(sum(v->mpf, 16), 0, "floating pointer checksum");
	cr_assert_eq(v->mpf[11], 0, "not a default configuration");

	uint32_t gpa = le32(v->mpf + 4);
	cr_assert_geq(gpa, LAYOUT_EBDA_START + 16);
	v->mpc = guest_mem_ptr(&gm, gpa, 44);
	cr_assert_not_null(v->mpc);
	cr_assert_eq(memcmp(v->mpc, "PCMP", 4), 0);
	uint16_t len = le16(v->mpc + 4);
	cr_assert_leq(gpa + len, LAYOUT_LOW_RAM_END, "table ends before 640 KiB");
	cr_assert_eq(sum(v->mpc, len), 0, "config table checksum");
	cr_assert_eq(v->mpc[6], 4);
	cr_assert_eq(le32(v->mpc + 36), LAYOUT_LAPIC_ADDR);

	unsigned int count = le16(v->mpc + 34), seen = 0;
	const uint8_t *p = v->mpc + 44, *end = v->mpc + len;
	while (p < end) {
		seen++;
		switch (p[0]) {
		case 0:
			cr_assert_leq(p + 20, end);
			cr_assert_lt(p[1], 64);
			cr_assert_eq(p[1], v->cpus, "APIC ids are 0..n-1 in order");
			v->cpu_flags[v->cpus++] = p[3];
			if (p[3] & 2)
				v->bsp++;
			cr_assert_neq(le32(p + 8) & (1u << 9), 0, "APIC feature flag");
			p += 20;
			break;
		case 1:
			cr_assert_eq(memcmp(p + 2, "ISA   ", 6), 0);
			v->buses++;
			p += 8;
			break;
		case 2:
			v->ioapics++;
			v->ioapic_id = p[1];
			v->ioapic_ver = p[2];
			cr_assert_eq(p[3] & 1, 1, "IOAPIC enabled");
			v->ioapic_addr = le32(p + 4);
			p += 8;
			break;
		case 3:
			cr_assert_eq(p[1], 0, "INT type");
			cr_assert_lt(p[5], 32);
			cr_assert_eq(v->irq_pin[p[5]], 0xff, "irq %u listed once", p[5]);
			v->irq_pin[p[5]] = p[7];
			v->intsrc++;
			p += 8;
			break;
		case 4:
			if (p[1] == 3)
				cr_assert_eq(p[7], 0, "ExtINT on LINT0");
			else
				cr_assert(p[1] == 1 && p[7] == 1, "NMI on LINT1");
			v->lintsrc++;
			p += 8;
			break;
		default:
			cr_assert_fail("unknown MP entry type %u", p[0]);
		}
	}
	cr_assert_eq(p, end, "entries fill the table exactly");
	cr_assert_eq(seen, count, "entry count");
}

TestSuite(tables_mp, .init = setup, .fini = teardown);

Test(tables_mp, one_cpu)
{
	struct mp_view v;

	cr_assert_eq(mptable_write(&gm, 1), 0);
	mp_parse(&v);
	cr_assert_eq(v.cpus, 1);
	cr_assert_eq(v.bsp, 1);
	cr_assert_eq(v.cpu_flags[0], 3, "enabled BSP");
	cr_assert_eq(v.ioapic_id, 1);
}

Test(tables_mp, cpus_ioapic_and_routing)
{
	static const unsigned int counts[] = { 2, 4, 17, MAX_VCPUS };

	for (unsigned int c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		unsigned int n = counts[c];
		struct mp_view v;

		cr_assert_eq(mptable_write(&gm, n), 0, "ncpus %u", n);
		mp_parse(&v);
		cr_assert_eq(v.cpus, n);
		cr_assert_eq(v.bsp, 1, "exactly one BSP");
		cr_assert_eq(v.cpu_flags[0] & 2, 2, "BSP is APIC id 0");
		for (unsigned int i = 0; i < n; i++)
			cr_assert_eq(v.cpu_flags[i] & 1, 1, "cpu %u enabled", i);
		cr_assert_eq(v.buses, 1);
		cr_assert_eq(v.ioapics, 1);
		cr_assert_eq(v.ioapic_id, n, "IOAPIC id follows the CPUs");
		cr_assert_eq(v.ioapic_ver, 0x11);
		cr_assert_eq(v.ioapic_addr, LAYOUT_IOAPIC_ADDR);
		cr_assert_eq(v.lintsrc, 2);
		for (unsigned int irq = 0; irq < IOAPIC_PINS; irq++)
			cr_assert_eq(v.irq_pin[irq], irq, "irq %u -> pin %u", irq, irq);
		cr_assert_eq(v.intsrc, IOAPIC_PINS);
	}
}

Test(tables_mp, rejects_bad_cpu_counts)
{
	uint8_t before[16], after[16];

	cr_assert_eq(guest_mem_read(&gm, LAYOUT_EBDA_START, before, 16), 0);
	cr_assert_eq(mptable_write(&gm, 0), -EINVAL);
	cr_assert_eq(mptable_write(&gm, MAX_VCPUS + 1), -EINVAL);
	cr_assert_eq(mptable_write(&gm, 255), -EINVAL);
	cr_assert_eq(mptable_write(&gm, ~0u), -EINVAL);
	cr_assert_eq(guest_mem_read(&gm, LAYOUT_EBDA_START, after, 16), 0);
	cr_assert_eq(memcmp(before, after, 16), 0, "nothing written on error");
}
