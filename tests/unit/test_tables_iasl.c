/* The ACPI tables as ACPICA sees them (the same code Linux runs): iasl
 * must disassemble each table, acpiexec must load them and build the
 * namespace, and our DSDT must be byte-identical to what iasl compiles
 * from the equivalent ASL. Skipped when acpica-tools is not installed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest_mem.h"
#include "layout.h"
#include "tables/tables.h"

#define NDEVS 3

static struct guest_mem gm;
#define DIR_TEMPLATE "/tmp/cellvm-iasl-XXXXXX"

static char dir[] = DIR_TEMPLATE;
static struct mmio_dev_desc devs[NDEVS];

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int have_tool(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* Runs a shell command inside the scratch directory. */
static int run(const char *cmd)
{
	char line[512];

	snprintf(line, sizeof(line), "cd %s && %s", dir, cmd);
	return system(line);
}

static void save(const char *name, const uint8_t *t)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(t, 1, le32(t + 4), f), le32(t + 4));
	cr_assert_eq(fclose(f), 0);
}

static char *slurp(const char *name, size_t *len)
{
	char path[128];
	char *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static unsigned int occurrences(const char *hay, const char *needle)
{
	unsigned int c = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		c++;
	return c;
}

/* Writes the tables and saves XSDT, FACP, APIC and DSDT as <sig>.dat. */
static void setup(void)
{
	if (!have_tool("iasl") || !have_tool("acpiexec"))
		cr_skip_test("acpica-tools (iasl, acpiexec) not installed");
	cr_assert_eq(guest_mem_create(&gm, 4 * MiB), 0);
	memcpy(dir, DIR_TEMPLATE, sizeof(dir));
	cr_assert_not_null(mkdtemp(dir));
	for (unsigned int i = 0; i < NDEVS; i++) {
		devs[i].addr = LAYOUT_VIRTIO_MMIO_BASE + i * LAYOUT_VIRTIO_MMIO_SIZE;
		devs[i].size = LAYOUT_VIRTIO_MMIO_SIZE;
		devs[i].irq = IRQ_VIRTIO_FIRST + i;
	}
	cr_assert_eq(acpi_write_tables(&gm, 2, devs, NDEVS), 0);

	const uint8_t *rsdp = guest_mem_ptr(&gm, LAYOUT_ACPI_RSDP_ADDR, 36);
	const uint8_t *xsdt = guest_mem_ptr(&gm, le32(rsdp + 24), 36);
	save("XSDT.dat", xsdt);
	for (uint32_t off = 36; off < le32(xsdt + 4); off += 8) {
		const uint8_t *t = guest_mem_ptr(&gm, le32(xsdt + off), 36);
		char name[16];

		snprintf(name, sizeof(name), "%.4s.dat", (const char *)t);
		save(name, t);
		if (!memcmp(t, "FACP", 4))
			save("DSDT.dat", guest_mem_ptr(&gm, le32(t + 40), 36));
	}
}

static void teardown(void)
{
	char cmd[128];

	if (strcmp(dir, DIR_TEMPLATE) != 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
		cr_assert_eq(system(cmd), 0);
	}
	if (gm.base)    /* not created when the test was skipped */
		guest_mem_destroy(&gm);
}

TestSuite(tables_iasl, .init = setup, .fini = teardown, .timeout = 60);

Test(tables_iasl, disassembles)
{
	static const char *tables[] = { "XSDT", "FACP", "APIC", "DSDT" };
	char *dsl;
	size_t len;

	for (unsigned int i = 0; i < 4; i++) {
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "iasl -d %s.dat >/dev/null 2>&1", tables[i]);
		cr_assert_eq(run(cmd), 0, "iasl -d %s", tables[i]);
	}
	dsl = slurp("DSDT.dsl", &len);
	cr_assert_eq(occurrences(dsl, "\"LNRO0005\""), NDEVS);
	cr_assert_eq(occurrences(dsl, "EisaId (\"PNP0501\")"), 1);
	cr_assert_eq(occurrences(dsl, "EisaId (\"PNP0303\")"), 1);
	cr_assert_eq(occurrences(dsl, "Memory32Fixed (ReadWrite,"), NDEVS);
	cr_assert_eq(occurrences(dsl, "Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive"),
		     NDEVS);
	cr_assert_geq(occurrences(dsl, "0xD0002000"), 1);
	free(dsl);

	dsl = slurp("FACP.dsl", &len);
	cr_assert_geq(occurrences(dsl, "Hardware Reduced (V5) : 1"), 1);
	cr_assert_eq(occurrences(dsl, "Incorrect"), 0, "checksum or length complaints");
	free(dsl);
	dsl = slurp("APIC.dsl", &len);
	cr_assert_eq(occurrences(dsl, "[Processor Local APIC]"), 2);
	cr_assert_eq(occurrences(dsl, "[I/O APIC]"), 1);
	cr_assert_eq(occurrences(dsl, "Incorrect"), 0);
	free(dsl);
}

Test(tables_iasl, acpiexec_loads_namespace)
{
	char *out;
	size_t len;

	cr_assert_eq(run("acpiexec -b 'namespace' FACP.dat APIC.dat DSDT.dat "
			 "> exec.log 2>&1"), 0);
	out = slurp("exec.log", &len);
	cr_assert_eq(occurrences(out, "Error"), 0, "%s", out);
	cr_assert_eq(occurrences(out, "Warning"), 0, "%s", out);
	cr_assert_eq(occurrences(out, "LNRO0005"), NDEVS);
	cr_assert_eq(occurrences(out, "COM1 Device"), 1);
	cr_assert_eq(occurrences(out, "PS2K Device"), 1);
	cr_assert_eq(occurrences(out, "V002 Device"), 1);
	free(out);
}

/* iasl -on keeps \_SB as written instead of shortening it to _SB_,
 * which is what we emit; the header (compiler id, checksum) differs. */
Test(tables_iasl, dsdt_matches_iasl)
{
	char path[128], *ours, *ref;
	size_t ours_len, ref_len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/ref.asl", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "DefinitionBlock (\"\", \"DSDT\", 2, \"CELLVM\", \"CELLVM  \", 1)\n{\n"
		   "Scope (\\_SB) {\n"
		   "Device (COM1) {\n"
		   "  Name (_HID, EisaId (\"PNP0501\"))\n  Name (_UID, Zero)\n"
		   "  Name (_CRS, ResourceTemplate () {\n"
		   "    IO (Decode16, 0x3F8, 0x3F8, 0x01, 0x08)\n    IRQNoFlags () {4}\n  })\n}\n"
		   "Device (PS2K) {\n"
		   "  Name (_HID, EisaId (\"PNP0303\"))\n"
		   "  Name (_CRS, ResourceTemplate () {\n"
		   "    IO (Decode16, 0x60, 0x60, 0x01, 0x01)\n"
		   "    IO (Decode16, 0x64, 0x64, 0x01, 0x01)\n    IRQNoFlags () {1}\n  })\n}\n");
	for (unsigned int i = 0; i < NDEVS; i++)
		fprintf(f, "Device (V%03X) {\n"
			   "  Name (_HID, \"LNRO0005\")\n  Name (_UID, %u)\n  Name (_CCA, One)\n"
			   "  Name (_CRS, ResourceTemplate () {\n"
			   "    Memory32Fixed (ReadWrite, 0x%llx, 0x%x)\n"
			   "    Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { %u }\n"
			   "  })\n}\n",
			i, i, (unsigned long long)devs[i].addr, devs[i].size, devs[i].irq);
	fprintf(f, "}\n}\n");
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(run("iasl -on -p ref ref.asl >/dev/null 2>&1"), 0);

	ours = slurp("DSDT.dat", &ours_len);
	ref = slurp("ref.aml", &ref_len);
	cr_assert_eq(ours_len, ref_len);
	cr_assert_eq(memcmp(ours + 36, ref + 36, ours_len - 36), 0, "AML bodies differ");
	free(ours);
	free(ref);
}
