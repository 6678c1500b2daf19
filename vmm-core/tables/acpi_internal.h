/* Pieces of acpi_write_tables: each builder composes one table into a
 * host buffer and returns its length, or a negative errno (-E2BIG when it
 * does not fit in cap). The caller places the tables and fills in the
 * addresses between them. */
#ifndef CELLVM_TABLES_ACPI_INTERNAL_H
#define CELLVM_TABLES_ACPI_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "tables.h"

#define ACPI_SDT_HEADER_SIZE 36
#define ACPI_RSDP_SIZE       36
#define ACPI_FADT_SIZE       276   /* ACPI 6.0 and later */

/* Writes a System Description Table header; the checksum is left zero
 * for acpi_sdt_finish, which must run after the body is complete. */
void acpi_sdt_header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev);
void acpi_sdt_finish(uint8_t *t);

void acpi_rsdp_build(uint8_t *t, uint64_t xsdt_gpa);
long acpi_xsdt_build(uint8_t *t, size_t cap, const uint64_t *entries, unsigned int n);
long acpi_fadt_build(uint8_t *t, size_t cap, uint64_t dsdt_gpa);
long acpi_madt_build(uint8_t *t, size_t cap, unsigned int ncpus);
long acpi_dsdt_build(uint8_t *t, size_t cap, const struct mmio_dev_desc *devs,
		     unsigned int ndevs);

#endif
