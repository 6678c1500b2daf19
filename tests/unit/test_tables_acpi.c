/* ACPI tables: found from the RSDP the way an OS finds them, with every
 * signature, length and checksum checked, then the MADT and DSDT
 * contents. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "guest_mem.h"
#include "layout.h"
#include "tables/tables.h"

static struct guest_mem gm;

static void setup(void)
{
	cr_assert_eq(guest_mem_create(&gm, 4 * MiB), 0);
}

static void teardown(void)
{
	guest_mem_destroy(&gm);
}

TestSuite(tables_acpi, .init = setup, .fini = teardown);

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

struct acpi_view {
	const uint8_t *rsdp, *xsdt, *fadt, *madt, *dsdt;
};

/* A table at gpa: inside the BIOS area after LAYOUT_ACPI_TABLES, with
 * the given signature and a correct checksum over its length. */
static const uint8_t *sdt_at(uint64_t gpa, const char *sig)
{
	const uint8_t *t = guest_mem_ptr(&gm, gpa, 36);

	cr_assert_not_null(t);
	cr_assert_geq(gpa, LAYOUT_ACPI_TABLES, "%s placement", sig);
	cr_assert_eq(memcmp(t, sig, 4), 0, "signature %.4s want %s", (const char *)t, sig);
	uint32_t len = le32(t + 4);
	cr_assert_geq(len, 36);
	cr_assert_leq(gpa + len, LAYOUT_BIOS_END, "%s ends below 1 MiB", sig);
	cr_assert_eq(sum(t, len), 0, "%s checksum", sig);
	cr_assert_eq(memcmp(t + 10, "CELLVM", 6), 0, "%s OEM id", sig);
	return t;
}

static void acpi_parse(struct acpi_view *v)
{
	memset(v, 0, sizeof(*v));
	v->rsdp = guest_mem_ptr(&gm, LAYOUT_ACPI_RSDP_ADDR, 36);
	cr_assert_eq(LAYOUT_ACPI_RSDP_ADDR % 16, 0, "Linux scans on 16-byte boundaries");
	cr_assert_eq(memcmp(v->rsdp, "RSD PTR ", 8), 0);
	cr_assert_eq(sum(v->rsdp, 20), 0, "RSDP v1 checksum");
	cr_assert_eq(v->rsdp[15], 2, "RSDP revision");
	cr_assert_eq(le32(v->rsdp + 20), 36);
	cr_assert_eq(sum(v->rsdp, 36), 0, "RSDP extended checksum");

	v->xsdt = sdt_at(le64(v->rsdp + 24), "XSDT");
	uint32_t xlen = le32(v->xsdt + 4);
	cr_assert_eq((xlen - 36) % 8, 0);
	for (uint32_t off = 36; off < xlen; off += 8) {
		uint64_t gpa = le64(v->xsdt + off);
		const uint8_t *t = guest_mem_ptr(&gm, gpa, 4);

		cr_assert_not_null(t);
		if (!memcmp(t, "FACP", 4)) {
			cr_assert_null(v->fadt, "one FADT");
			v->fadt = sdt_at(gpa, "FACP");
		} else if (!memcmp(t, "APIC", 4)) {
			cr_assert_null(v->madt, "one MADT");
			v->madt = sdt_at(gpa, "APIC");
		} else {
			cr_assert_fail("unexpected table %.4s in XSDT", (const char *)t);
		}
	}
	cr_assert_not_null(v->fadt);
	cr_assert_not_null(v->madt);

	cr_assert_eq(le32(v->fadt + 4), 276, "ACPI 6 FADT length");
	cr_assert_eq(v->fadt[8], 6, "FADT revision");
	cr_assert_geq(v->fadt[131], 0, "minor version present");
	uint64_t dsdt = le64(v->fadt + 140);
	cr_assert_eq(le32(v->fadt + 40), dsdt, "DSDT and X_DSDT agree");
	v->dsdt = sdt_at(dsdt, "DSDT");
	cr_assert_geq(v->dsdt[8], 2, "DSDT revision: 64-bit integers");
}

Test(tables_acpi, fadt_is_hardware_reduced)
{
	struct acpi_view v;

	cr_assert_eq(acpi_write_tables(&gm, 1, NULL, 0), 0);
	acpi_parse(&v);
	uint32_t flags = le32(v.fadt + 112);
	uint16_t iapc = le16(v.fadt + 109);
	cr_assert_neq(flags & (1u << 20), 0, "HW_REDUCED_ACPI");
	cr_assert_neq(iapc & (1u << 1), 0, "the 8042 (keyboard for Ctrl-Alt-Del) is advertised");
	cr_assert_neq(iapc & (1u << 2), 0, "VGA not present");
	/* No fixed hardware in a hardware-reduced FADT. */
	cr_assert_eq(le32(v.fadt + 56), 0, "PM1a_EVT_BLK");
	cr_assert_eq(le32(v.fadt + 76), 0, "PM_TMR_BLK");
	cr_assert_eq(le16(v.fadt + 46), 0, "SCI_INT");
}

struct madt_counts {
	unsigned int lapic, x2apic, ioapic, iso, nmi, other;
	uint8_t ioapic_id;
	uint32_t ioapic_addr, gsi_base;
};

static void madt_count(const uint8_t *madt, struct madt_counts *c)
{
	uint32_t len = le32(madt + 4);
	const uint8_t *p = madt + 44, *end = madt + len;

	memset(c, 0, sizeof(*c));
	cr_assert_eq(le32(madt + 36), LAYOUT_LAPIC_ADDR);
	while (p < end) {
		cr_assert_geq(p[1], 2);
		cr_assert_leq(p + p[1], end, "entry inside the table");
		switch (p[0]) {
		case 0:
			cr_assert_eq(p[1], 8);
			cr_assert_eq(p[2], c->lapic, "UIDs in order");
			cr_assert_eq(p[3], c->lapic, "APIC ids 0..n-1");
			cr_assert_eq(le32(p + 4) & 1, 1, "enabled");
			c->lapic++;
			break;
		case 1:
			cr_assert_eq(p[1], 12);
			c->ioapic++;
			c->ioapic_id = p[2];
			c->ioapic_addr = le32(p + 4);
			c->gsi_base = le32(p + 8);
			break;
		case 2:
			c->iso++;
			break;
		case 4:
			cr_assert_eq(p[1], 6);
			cr_assert_eq(p[5], 1, "NMI on LINT1");
			c->nmi++;
			break;
		case 9:
			c->x2apic++;
			break;
		default:
			c->other++;
		}
		p += p[1];
	}
	cr_assert_eq(p, end);
}

Test(tables_acpi, madt_per_cpu_count)
{
	for (unsigned int n = 1; n <= MAX_VCPUS; n++) {
		struct acpi_view v;
		struct madt_counts c;

		cr_assert_eq(acpi_write_tables(&gm, n, NULL, 0), 0, "ncpus %u", n);
		acpi_parse(&v);
		madt_count(v.madt, &c);
		cr_assert_eq(c.lapic, n);
		cr_assert_eq(c.x2apic, 0, "8-bit APIC ids suffice");
		cr_assert_eq(c.ioapic, 1);
		cr_assert_eq(c.ioapic_id, n, "same IOAPIC id as the MP table");
		cr_assert_eq(c.ioapic_addr, LAYOUT_IOAPIC_ADDR);
		cr_assert_eq(c.gsi_base, 0);
		cr_assert_eq(c.iso, 0, "identity ISA routing, like the MP table");
		cr_assert_eq(c.nmi, 1);
		cr_assert_eq(c.other, 0);
		cr_assert_eq(le32(v.madt + 4), 44 + 8 * n + 12 + 6);
	}
}

/* --- DSDT ------------------------------------------------------------- */

static size_t pkg_len(const uint8_t *p, size_t *nbytes)
{
	unsigned int n = (p[0] >> 6) + 1;
	size_t v = n == 1 ? (p[0] & 0x3f) : (p[0] & 0x0f);

	for (unsigned int i = 1; i < n; i++)
		v |= (size_t)p[i] << (4 + 8 * (i - 1));
	*nbytes = n;
	return v;
}

static const uint8_t *find(const uint8_t *hay, size_t hlen, const void *needle, size_t nlen)
{
	return memmem(hay, hlen, needle, nlen);
}

static unsigned int count(const uint8_t *hay, size_t hlen, const void *needle, size_t nlen)
{
	unsigned int c = 0;
	const uint8_t *p = hay, *end = hay + hlen;

	while ((p = find(p, (size_t)(end - p), needle, nlen))) {
		c++;
		p++;
	}
	return c;
}

/* The body is one Scope (\_SB_) holding Device()s whose package lengths
 * tile it exactly; returns the devices' names in order. */
static unsigned int dsdt_devices(const uint8_t *dsdt, char names[][5], unsigned int max,
				 const uint8_t **dev_start, const uint8_t **dev_end)
{
	uint32_t len = le32(dsdt + 4);
	const uint8_t *p = dsdt + 36, *end = dsdt + len;
	size_t nb, pl;
	unsigned int n = 0;

	cr_assert_eq(p[0], 0x10, "ScopeOp");
	pl = pkg_len(p + 1, &nb);
	cr_assert_eq(p + 1 + pl, end, "scope spans the table");
	p += 1 + nb;
	cr_assert_eq(memcmp(p, "\\_SB_", 5), 0);
	p += 5;
	while (p < end) {
		cr_assert_eq(p[0], 0x5b);
		cr_assert_eq(p[1], 0x82, "DeviceOp");
		pl = pkg_len(p + 2, &nb);
		cr_assert_leq(p + 2 + pl, end);
		cr_assert_lt(n, max);
		memcpy(names[n], p + 2 + nb, 4);
		names[n][4] = 0;
		dev_start[n] = p;
		dev_end[n] = p + 2 + pl;
		n++;
		p += 2 + pl;
	}
	cr_assert_eq(p, end);
	return n;
}

static void check_dsdt(const uint8_t *dsdt, const struct mmio_dev_desc *devs, unsigned int ndevs)
{
	static char names[LAYOUT_VIRTIO_MMIO_MAX * 2][5];
	static const uint8_t *s[LAYOUT_VIRTIO_MMIO_MAX * 2], *e[LAYOUT_VIRTIO_MMIO_MAX * 2];
	static const uint8_t com1_hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01 };
	static const uint8_t com1_io[] = { 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08 };
	static const uint8_t com1_irq[] = { 0x22, 0x10, 0x00 };
	uint32_t len = le32(dsdt + 4);
	unsigned int n = dsdt_devices(dsdt, names, LAYOUT_VIRTIO_MMIO_MAX * 2, s, e);

	static const uint8_t kbd_hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x03, 0x03 };
	static const uint8_t kbd_io[] = { 0x47, 0x01, 0x60, 0x00, 0x60, 0x00, 0x01, 0x01,
					  0x47, 0x01, 0x64, 0x00, 0x64, 0x00, 0x01, 0x01 };
	static const uint8_t kbd_irq[] = { 0x22, 0x02, 0x00 };

	cr_assert_eq(n, ndevs + 2);
	cr_assert_str_eq(names[0], "COM1");
	cr_assert_str_eq(names[1], "PS2K");
	cr_assert_not_null(find(s[1], (size_t)(e[1] - s[1]), kbd_hid, sizeof(kbd_hid)));
	cr_assert_not_null(find(s[1], (size_t)(e[1] - s[1]), kbd_io, sizeof(kbd_io)));
	cr_assert_not_null(find(s[1], (size_t)(e[1] - s[1]), kbd_irq, sizeof(kbd_irq)));
	cr_assert_not_null(find(s[0], (size_t)(e[0] - s[0]), com1_hid, sizeof(com1_hid)));
	cr_assert_not_null(find(s[0], (size_t)(e[0] - s[0]), com1_io, sizeof(com1_io)));
	cr_assert_not_null(find(s[0], (size_t)(e[0] - s[0]), com1_irq, sizeof(com1_irq)));

	cr_assert_eq(count(dsdt, len, "LNRO0005", 8), ndevs, "one LNRO0005 per device");
	for (unsigned int i = 0; i < ndevs; i++) {
		const uint8_t *d = s[i + 2];
		size_t dl = (size_t)(e[i + 2] - d);
		uint8_t mem[12] = { 0x86, 0x09, 0x00, 0x01 };
		uint8_t irq[9] = { 0x89, 0x06, 0x00, 0x03, 0x01 };
		char want[5];

		snprintf(want, sizeof(want), "V%03X", i & 0xfff);
		cr_assert_str_eq(names[i + 2], want);
		cr_assert_eq(count(d, dl, "\x0dLNRO0005", 10), 1, "%s _HID", want);
		cr_assert_not_null(find(d, dl, "_CCA\x01", 5), "%s _CCA One", want);
		for (int b = 0; b < 4; b++) {
			mem[4 + b] = (uint8_t)(devs[i].addr >> (8 * b));
			mem[8 + b] = (uint8_t)(devs[i].size >> (8 * b));
			irq[5 + b] = (uint8_t)(devs[i].irq >> (8 * b));
		}
		cr_assert_not_null(find(d, dl, mem, sizeof(mem)), "%s Memory32Fixed", want);
		cr_assert_not_null(find(d, dl, irq, sizeof(irq)), "%s Interrupt", want);
	}
}

static void layout_devs(struct mmio_dev_desc *devs, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		devs[i].addr = LAYOUT_VIRTIO_MMIO_BASE + i * LAYOUT_VIRTIO_MMIO_SIZE;
		devs[i].size = LAYOUT_VIRTIO_MMIO_SIZE;
		devs[i].irq = IRQ_VIRTIO_FIRST + i;
	}
}

Test(tables_acpi, dsdt_no_devices)
{
	struct acpi_view v;

	cr_assert_eq(acpi_write_tables(&gm, 2, NULL, 0), 0);
	acpi_parse(&v);
	check_dsdt(v.dsdt, NULL, 0);
}

Test(tables_acpi, dsdt_devices)
{
	struct mmio_dev_desc devs[LAYOUT_VIRTIO_MMIO_MAX];

	layout_devs(devs, LAYOUT_VIRTIO_MMIO_MAX);
	for (unsigned int n = 1; n <= LAYOUT_VIRTIO_MMIO_MAX; n++) {
		struct acpi_view v;

		cr_assert_eq(acpi_write_tables(&gm, 2, devs, n), 0, "%u devices", n);
		acpi_parse(&v);
		check_dsdt(v.dsdt, devs, n);
	}
}

Test(tables_acpi, dsdt_odd_values)
{
	/* An address with every byte distinct and the highest pin. */
	struct mmio_dev_desc devs[2] = {
		{ .addr = 0xfedcb000, .size = 0x200, .irq = IOAPIC_PINS - 1 },
		{ .addr = 0xd0001000, .size = 0x1000, .irq = 5 },
	};
	struct acpi_view v;

	cr_assert_eq(acpi_write_tables(&gm, 3, devs, 2), 0);
	acpi_parse(&v);
	check_dsdt(v.dsdt, devs, 2);
}

Test(tables_acpi, rejects_bad_input)
{
	static struct mmio_dev_desc many[4097];
	struct mmio_dev_desc devs[1];
	uint8_t zero[64] = { 0 }, now[64];

	layout_devs(devs, 1);
	cr_assert_eq(acpi_write_tables(&gm, 0, NULL, 0), -EINVAL);
	cr_assert_eq(acpi_write_tables(&gm, MAX_VCPUS + 1, NULL, 0), -EINVAL);
	cr_assert_eq(acpi_write_tables(&gm, 1, NULL, 1), -EINVAL);
	devs[0].irq = IOAPIC_PINS;
	cr_assert_eq(acpi_write_tables(&gm, 1, devs, 1), -EINVAL);
	layout_devs(devs, 1);
	devs[0].size = 0;
	cr_assert_eq(acpi_write_tables(&gm, 1, devs, 1), -EINVAL);
	layout_devs(devs, 1);
	devs[0].addr = 0xfffff000;
	devs[0].size = 0x2000;
	cr_assert_eq(acpi_write_tables(&gm, 1, devs, 1), -EINVAL, "window crosses 4 GiB");
	devs[0].addr = 1ULL << 32;
	devs[0].size = 0x1000;
	cr_assert_eq(acpi_write_tables(&gm, 1, devs, 1), -EINVAL, "window above 4 GiB");

	/* Device names run out at 4096; long before that the DSDT outgrows
	 * the BIOS area. */
	for (unsigned int i = 0; i < 4097; i++) {
		many[i].addr = LAYOUT_VIRTIO_MMIO_BASE + i * 0x200ULL;
		many[i].size = 0x200;
		many[i].irq = IRQ_VIRTIO_FIRST + i % (IOAPIC_PINS - IRQ_VIRTIO_FIRST);
	}
	cr_assert_eq(acpi_write_tables(&gm, 1, many, 4097), -EINVAL);
	cr_assert_eq(acpi_write_tables(&gm, MAX_VCPUS, many, 4096), -E2BIG);

	cr_assert_eq(guest_mem_read(&gm, LAYOUT_ACPI_RSDP_ADDR, now, sizeof(now)), 0);
	cr_assert_eq(memcmp(now, zero, sizeof(now)), 0, "nothing written on error");
}

Test(tables_acpi, most_devices_that_fit)
{
	static struct mmio_dev_desc many[4096];
	unsigned int lo = 1, hi = 4096;

	for (unsigned int i = 0; i < 4096; i++) {
		many[i].addr = LAYOUT_VIRTIO_MMIO_BASE + i * 0x200ULL;
		many[i].size = 0x200;
		many[i].irq = IRQ_VIRTIO_FIRST;
	}
	/* Binary search for the limit; the largest count must produce valid
	 * tables that end at or below LAYOUT_BIOS_END (sdt_at checks). */
	while (lo < hi) {
		unsigned int mid = (lo + hi + 1) / 2;
		int r = acpi_write_tables(&gm, MAX_VCPUS, many, mid);

		cr_assert(r == 0 || r == -E2BIG, "r %d", r);
		if (r == 0)
			lo = mid;
		else
			hi = mid - 1;
	}
	struct acpi_view v;
	cr_assert_eq(acpi_write_tables(&gm, MAX_VCPUS, many, lo), 0);
	acpi_parse(&v);
	cr_assert_eq(count(v.dsdt, le32(v.dsdt + 4), "LNRO0005", 8), lo);
	cr_assert_gt(lo, 1000, "limit %u", lo);
	cr_log_info("DSDT holds at most %u virtio-mmio devices", lo);
}
