/* Resource descriptors (ACPI 6.x section 6.4) for _CRS buffers. Small
 * descriptors carry their length in the tag byte, large ones in a 16-bit
 * field after it. */
#include "aml.h"

#include <errno.h>

#define RES_IRQ_NOFLAGS  0x22   /* small, type 4, 2 data bytes */
#define RES_IO           0x47   /* small, type 8, 7 data bytes */
#define RES_END_TAG      0x79   /* small, type 0xf, 1 data byte */
#define RES_MEM32_FIXED  0x86   /* large */
#define RES_EXT_IRQ      0x89   /* large */

#define RES_IO_DECODE16  0x01
#define RES_MEM_RW       0x01
#define RES_IRQ_CONSUMER 0x01
#define RES_IRQ_EDGE     0x02
#define RES_IRQ_LOW      0x04

static void res_le16(struct aml *a, uint16_t v)
{
	aml_byte(a, (uint8_t)v);
	aml_byte(a, (uint8_t)(v >> 8));
}

static void res_le32(struct aml *a, uint32_t v)
{
	res_le16(a, (uint16_t)v);
	res_le16(a, (uint16_t)(v >> 16));
}

void aml_res_io16(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
	aml_byte(a, RES_IO);
	aml_byte(a, RES_IO_DECODE16);
	res_le16(a, min);
	res_le16(a, max);
	aml_byte(a, align);
	aml_byte(a, len);
}

/* The 2-byte form: edge-triggered, active high, exclusive (ISA style). */
void aml_res_irq_noflags(struct aml *a, unsigned int irq)
{
	if (irq > 15) {
		if (!a->err)
			a->err = -EINVAL;
		return;
	}
	aml_byte(a, RES_IRQ_NOFLAGS);
	res_le16(a, (uint16_t)(1u << irq));
}

void aml_res_mem32_fixed(struct aml *a, int writable, uint32_t base, uint32_t size)
{
	aml_byte(a, RES_MEM32_FIXED);
	res_le16(a, 9);
	aml_byte(a, writable ? RES_MEM_RW : 0);
	res_le32(a, base);
	res_le32(a, size);
}

void aml_res_ext_irq(struct aml *a, int edge, int active_high, uint32_t irq)
{
	aml_byte(a, RES_EXT_IRQ);
	res_le16(a, 6);         /* flags, count, one 32-bit interrupt */
	aml_byte(a, (uint8_t)(RES_IRQ_CONSUMER | (edge ? RES_IRQ_EDGE : 0) |
			      (active_high ? 0 : RES_IRQ_LOW)));
	aml_byte(a, 1);
	res_le32(a, irq);
}

/* Checksum 0 means "treat the template as correct" and is what every
 * compiler emits. */
void aml_res_end(struct aml *a)
{
	aml_byte(a, RES_END_TAG);
	aml_byte(a, 0);
}
