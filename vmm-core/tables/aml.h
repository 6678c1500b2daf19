/* A small AML (ACPI Machine Language) byte emitter: just what a static
 * DSDT of devices with names, integers, strings and resource templates
 * needs, no methods or operation regions.
 *
 * Errors are sticky: the first write that does not fit (or an invalid
 * argument) sets err, and every later call does nothing, so a builder can
 * emit a whole table and check once at the end. */
#ifndef CELLVM_TABLES_AML_H
#define CELLVM_TABLES_AML_H

#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;        /* 0, -E2BIG (out of space) or -EINVAL (bad name/id) */
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);

void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *p, size_t n);

/* Opens a PkgLength-prefixed construct whose body follows; returns the
 * mark to pass to aml_pkg_end, which inserts the encoded length (it covers
 * its own bytes and the body) in front of the body. Marks nest. */
size_t aml_pkg_begin(struct aml *a);
void aml_pkg_end(struct aml *a, size_t mark);

/* NameString: optional leading '\' (root) or '^'s (parent), then segments
 * separated by '.', each 1..4 of [A-Z0-9_] (first not a digit), padded
 * with '_' to four characters. "" is the null name. */
void aml_name(struct aml *a, const char *path);

/* Smallest encoding of an integer: ZeroOp, OneOp, Byte/Word/DWord/QWord. */
void aml_integer(struct aml *a, uint64_t v);
/* String literal (ASCII 0x01..0x7f). */
void aml_string(struct aml *a, const char *s);
/* Compressed EISA id as a DWordConst, e.g. "PNP0501" -> 0x0105d041. */
void aml_eisaid(struct aml *a, const char *id);
/* Buffer (n) { bytes }. */
void aml_buffer(struct aml *a, const uint8_t *data, size_t n);

/* Name (path, <object the caller emits next>). */
void aml_name_decl(struct aml *a, const char *path);
/* Scope (path) { ... } and Device (path) { ... }: close with aml_pkg_end. */
size_t aml_scope_begin(struct aml *a, const char *path);
size_t aml_device_begin(struct aml *a, const char *path);

/* Resource template descriptors (ACPI 6.x section 6.4), appended as raw
 * bytes; wrap the result with aml_buffer after aml_res_end. */
void aml_res_io16(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len);
void aml_res_irq_noflags(struct aml *a, unsigned int irq);
void aml_res_mem32_fixed(struct aml *a, int writable, uint32_t base, uint32_t size);
/* Extended Interrupt: consumer, edge or level, active high or low,
 * exclusive; one interrupt number. */
void aml_res_ext_irq(struct aml *a, int edge, int active_high, uint32_t irq);
void aml_res_end(struct aml *a);

#endif
