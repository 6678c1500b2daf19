/* DSDT: the devices a guest cannot discover by probing. COM1 (so the
 * 8250 driver binds it through PNP with its real IRQ), the i8042 keyboard
 * controller (PNP0303: on a hardware-reduced machine Linux has no legacy
 * PIC, so IRQ 1 exists for its i8042 driver only through this
 * description; without it the driver fails to probe and a graceful
 * shutdown's Ctrl-Alt-Del never reaches init) and every
 * virtio-mmio window as "LNRO0005", the id Linux's virtio_mmio driver
 * matches in ACPI; distro kernels built without
 * VIRTIO_MMIO_CMDLINE_DEVICES find virtio-mmio devices no other way. */
#include "acpi_internal.h"
#include "aml.h"
#include "layout.h"

#include <errno.h>
#include <stdio.h>

#define DSDT_REVISION 2   /* 64-bit AML integers */

static void dsdt_com1(struct aml *a)
{
	uint8_t res[32];
	struct aml r;
	size_t dev;

	aml_init(&r, res, sizeof(res));
	aml_res_io16(&r, PORT_COM1, PORT_COM1, 1, 8);
	aml_res_irq_noflags(&r, IRQ_SERIAL_COM1);
	aml_res_end(&r);
	if (r.err) {
		a->err = a->err ? a->err : r.err;
		return;
	}

	dev = aml_device_begin(a, "COM1");
	aml_name_decl(a, "_HID");
	aml_eisaid(a, "PNP0501");
	aml_name_decl(a, "_UID");
	aml_integer(a, 0);
	aml_name_decl(a, "_CRS");
	aml_buffer(a, res, r.len);
	aml_pkg_end(a, dev);
}

static void dsdt_i8042(struct aml *a)
{
	uint8_t res[32];
	struct aml r;
	size_t dev;

	aml_init(&r, res, sizeof(res));
	/* Data port first, then command/status: the order Linux's PNP
	 * probe of the controller expects. */
	aml_res_io16(&r, PORT_I8042_DATA, PORT_I8042_DATA, 1, 1);
	aml_res_io16(&r, PORT_I8042_CMD, PORT_I8042_CMD, 1, 1);
	aml_res_irq_noflags(&r, IRQ_I8042_KBD);
	aml_res_end(&r);
	if (r.err) {
		a->err = a->err ? a->err : r.err;
		return;
	}

	dev = aml_device_begin(a, "PS2K");
	aml_name_decl(a, "_HID");
	aml_eisaid(a, "PNP0303");
	aml_name_decl(a, "_CRS");
	aml_buffer(a, res, r.len);
	aml_pkg_end(a, dev);
}

static void dsdt_virtio_mmio(struct aml *a, unsigned int idx, const struct mmio_dev_desc *d)
{
	uint8_t res[32];
	char name[8];
	struct aml r;
	size_t dev;

	aml_init(&r, res, sizeof(res));
	aml_res_mem32_fixed(&r, 1, (uint32_t)d->addr, d->size);
	aml_res_ext_irq(&r, 1, 1, d->irq);
	aml_res_end(&r);
	if (r.err) {
		a->err = a->err ? a->err : r.err;
		return;
	}

	/* V000..VFFF: a NameSeg holds four characters. */
	snprintf(name, sizeof(name), "V%03X", idx & 0xfff);
	dev = aml_device_begin(a, name);
	aml_name_decl(a, "_HID");
	aml_string(a, "LNRO0005");
	aml_name_decl(a, "_UID");
	aml_integer(a, idx);
	/* Cache-coherent DMA: the device processes share guest RAM. */
	aml_name_decl(a, "_CCA");
	aml_integer(a, 1);
	aml_name_decl(a, "_CRS");
	aml_buffer(a, res, r.len);
	aml_pkg_end(a, dev);
}

long acpi_dsdt_build(uint8_t *t, size_t cap, const struct mmio_dev_desc *devs,
		     unsigned int ndevs)
{
	struct aml a;
	size_t sb;

	if (cap < ACPI_SDT_HEADER_SIZE)
		return -E2BIG;
	aml_init(&a, t + ACPI_SDT_HEADER_SIZE, cap - ACPI_SDT_HEADER_SIZE);
	sb = aml_scope_begin(&a, "\\_SB");
	dsdt_com1(&a);
	dsdt_i8042(&a);
	for (unsigned int i = 0; i < ndevs; i++)
		dsdt_virtio_mmio(&a, i, &devs[i]);
	aml_pkg_end(&a, sb);
	if (a.err)
		return a.err;
	if (a.len > UINT32_MAX - ACPI_SDT_HEADER_SIZE)
		return -E2BIG;

	acpi_sdt_header(t, "DSDT", (uint32_t)(ACPI_SDT_HEADER_SIZE + a.len), DSDT_REVISION);
	acpi_sdt_finish(t);
	return (long)(ACPI_SDT_HEADER_SIZE + a.len);
}
