/* Finds the processors in the Intel MP table (MP spec 1.4): floating
 * pointer "_MP_" in the EBDA's first KiB, the last KiB below 640 KiB, or
 * the BIOS ROM area; then the "PCMP" configuration table's processor
 * entries. Runs in ring 3 (a 64 KiB scan is nothing there). */
#include "user.h"

static bool checksum_ok(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;
	while (n--)
		sum += *p++;
	return sum == 0;
}

static const uint8_t *scan(uint64_t start, uint64_t len)
{
	for (uint64_t a = start; a + 16 <= start + len; a += 16) {
		const uint8_t *p = (const uint8_t *)a;
		if (p[0] == '_' && p[1] == 'M' && p[2] == 'P' && p[3] == '_' && p[8] == 1 &&
		    checksum_ok(p, 16))
			return p;
	}
	return NULL;
}

static const uint8_t *find_floating(void)
{
	uint64_t ebda = (uint64_t)*(const uint16_t *)phys(0x40e) << 4;
	const uint8_t *p = NULL;

	if (ebda >= 0x80000 && ebda < LAYOUT_LOW_RAM_END)
		p = scan(ebda, 1024);
	if (!p)
		p = scan(LAYOUT_EBDA_START, LAYOUT_LOW_RAM_END - LAYOUT_EBDA_START);
	if (!p)
		p = scan(0xf0000, 0x10000);
	return p;
}

bool mptable_find_cpus(struct cpu_list *out)
{
	const uint8_t *fp = find_floating();
	if (!fp)
		return false;
	uint32_t cfg_addr = *(const uint32_t *)(fp + 4);
	if (!cfg_addr || cfg_addr >= kinfo.map_top)
		return false; /* a "default configuration" table: not used by VMMs */

	const uint8_t *cfg = (const uint8_t *)(uint64_t)cfg_addr;
	uint16_t len = *(const uint16_t *)(cfg + 4);
	uint16_t count = *(const uint16_t *)(cfg + 0x22);
	if (memcmp(cfg, "PCMP", 4) || len < 0x2c || !checksum_ok(cfg, len))
		return false;

	const uint8_t *e = cfg + 0x2c, *end = cfg + len;
	out->n = 0;
	for (unsigned i = 0; i < count && e < end; i++) {
		if (e[0] == 0) { /* processor: 20 bytes */
			if ((e[3] & 1) && out->n < ASM_MAX_VCPUS)
				out->apic_id[out->n++] = e[1];
			e += 20;
		} else if (e[0] <= 4) {
			e += 8; /* bus, I/O APIC, I/O and local interrupt entries */
		} else {
			break;
		}
	}
	out->source = "mptable";
	return out->n > 0;
}
