/* Little-endian field access in images and guest structures. memcpy
 * keeps unaligned header fields legal C (and UBSan quiet); the host is
 * x86_64, so no byte swapping is needed. */
#ifndef CELLVM_BOOT_BYTES_H
#define CELLVM_BOOT_BYTES_H

#include <stdint.h>
#include <string.h>

static inline uint16_t le16_get(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t le32_get(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t le64_get(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void le16_put(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void le32_put(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void le64_put(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static inline uint64_t align_up64(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
static inline uint64_t align_down64(uint64_t v, uint64_t a) { return v & ~(a - 1); }

#endif
