/* Little-endian field stores and the byte checksum shared by the MP and
 * ACPI table writers. Tables are composed in byte arrays with explicit
 * offsets rather than packed structs: every field is stored bytewise, so
 * no access is ever unaligned and the layout is the one in the spec. */
#ifndef CELLVM_TABLES_BYTES_H
#define CELLVM_TABLES_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint8_t byte_sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

/* The value that makes the n bytes at p (including the checksum byte,
 * which must be zero when this is called) sum to 0 mod 256. */
static inline uint8_t checksum_fix(const uint8_t *p, size_t n)
{
	return (uint8_t)(0x100 - byte_sum(p, n));
}

#endif
