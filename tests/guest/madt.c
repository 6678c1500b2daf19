/* Fallback when there is no MP table: the processors in the ACPI MADT,
 * found through the RSDP ("RSD PTR " on a 16-byte boundary in the EBDA's
 * first KiB or 0xe0000-0xfffff) and the XSDT or RSDT. */
#include "user.h"

static bool sum_ok(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s == 0;
}

static const uint8_t *find_rsdp(void)
{
	uint64_t ebda = (uint64_t)*(const uint16_t *)phys(0x40e) << 4;
	uint64_t ranges[2][2] = { { ebda, 1024 }, { 0xe0000, 0x20000 } };

	for (int r = 0; r < 2; r++) {
		if (r == 0 && (ebda < 0x80000 || ebda >= LAYOUT_LOW_RAM_END))
			continue;
		for (uint64_t a = ranges[r][0]; a + 20 <= ranges[r][0] + ranges[r][1]; a += 16) {
			const uint8_t *p = (const uint8_t *)a;
			if (!memcmp(p, "RSD PTR ", 8) && sum_ok(p, 20))
				return p;
		}
	}
	return NULL;
}

static const uint8_t *table(uint64_t addr, const char *sig)
{
	if (!addr || addr + 36 > kinfo.map_top)
		return NULL;
	const uint8_t *t = (const uint8_t *)addr;
	uint32_t len = *(const uint32_t *)(t + 4);
	if (memcmp(t, sig, 4) || len < 36 || addr + len > kinfo.map_top || !sum_ok(t, len))
		return NULL;
	return t;
}

static const uint8_t *find_madt(void)
{
	const uint8_t *rsdp = find_rsdp();
	if (!rsdp)
		return NULL;

	/* ACPI 2.0+ has an XSDT with 64-bit pointers; prefer it. */
	const uint8_t *sdt = NULL;
	unsigned ptr_size = 4;
	if (rsdp[15] >= 2 && sum_ok(rsdp, 36) && (sdt = table(*(const uint64_t *)(rsdp + 24), "XSDT")))
		ptr_size = 8;
	else
		sdt = table(*(const uint32_t *)(rsdp + 16), "RSDT");
	if (!sdt)
		return NULL;

	uint32_t len = *(const uint32_t *)(sdt + 4);
	for (uint32_t off = 36; off + ptr_size <= len; off += ptr_size) {
		uint64_t a = ptr_size == 8 ? *(const uint64_t *)(sdt + off) : *(const uint32_t *)(sdt + off);
		const uint8_t *t = table(a, "APIC");
		if (t)
			return t;
	}
	return NULL;
}

bool madt_find_cpus(struct cpu_list *out)
{
	const uint8_t *madt = find_madt();
	if (!madt)
		return false;

	uint32_t len = *(const uint32_t *)(madt + 4);
	out->n = 0;
	for (uint32_t off = 44; off + 2 <= len;) {
		const uint8_t *e = madt + off;
		if (e[1] < 2 || off + e[1] > len)
			break;
		uint32_t id = 0, flags = 0;
		bool cpu = false;
		if (e[0] == 0 && e[1] >= 8) { /* processor local APIC */
			id = e[3];
			flags = *(const uint32_t *)(e + 4);
			cpu = true;
		} else if (e[0] == 9 && e[1] >= 16) { /* x2APIC, usable here below 255 */
			id = *(const uint32_t *)(e + 4);
			flags = *(const uint32_t *)(e + 8);
			cpu = id < 255;
		}
		if (cpu && (flags & 1) && out->n < ASM_MAX_VCPUS)
			out->apic_id[out->n++] = id;
		off += e[1];
	}
	out->source = "madt";
	return out->n > 0;
}
