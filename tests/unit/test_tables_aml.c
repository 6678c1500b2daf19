/* AML emitter encodings, checked against the byte sequences of ACPI 6.x
 * chapter 20 (and what iasl emits for the same ASL). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "tables/aml.h"

#define expect(a, ...) do { \
		static const uint8_t want_[] = { __VA_ARGS__ }; \
		cr_assert_eq((a)->err, 0, "err %d", (a)->err); \
		cr_assert_eq((a)->len, sizeof(want_), "len %zu want %zu", (a)->len, sizeof(want_)); \
		cr_assert_eq(memcmp((a)->buf, want_, sizeof(want_)), 0, "bytes differ"); \
	} while (0)

static uint8_t buf[0x20000];

Test(tables_aml, integers)
{
	struct aml a;

	aml_init(&a, buf, sizeof(buf));
	aml_integer(&a, 0);
	aml_integer(&a, 1);
	aml_integer(&a, 2);
	aml_integer(&a, 0x100);
	aml_integer(&a, 0x12345678);
	aml_integer(&a, 0x100000000ULL);
	expect(&a, 0x00, 0x01, 0x0a, 0x02, 0x0b, 0x00, 0x01, 0x0c, 0x78, 0x56, 0x34, 0x12,
	       0x0e, 0, 0, 0, 0, 1, 0, 0, 0);
}

Test(tables_aml, names)
{
	struct aml a;

	aml_init(&a, buf, sizeof(buf));
	aml_name(&a, "\\_SB");
	aml_name(&a, "V0");
	aml_name(&a, "\\_SB.PCI0");
	aml_name(&a, "^^A.B.C");
	aml_name(&a, "");
	expect(&a, '\\', '_', 'S', 'B', '_', 'V', '0', '_', '_',
	       '\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
	       '^', '^', 0x2f, 3, 'A', '_', '_', '_', 'B', '_', '_', '_', 'C', '_', '_', '_',
	       0x00);
}

Test(tables_aml, bad_names_and_ids)
{
	static const char *bad[] = { "ABCDE", "a", "1ABC", "A..B", "A.", "_SB\\", "A-B" };
	struct aml a;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_init(&a, buf, sizeof(buf));
		aml_name(&a, bad[i]);
		cr_assert_eq(a.err, -EINVAL, "%s", bad[i]);
	}
	aml_init(&a, buf, sizeof(buf));
	aml_eisaid(&a, "PNP050G");
	cr_assert_eq(a.err, -EINVAL);
	aml_init(&a, buf, sizeof(buf));
	aml_eisaid(&a, "pnp0501");
	cr_assert_eq(a.err, -EINVAL);
	aml_init(&a, buf, sizeof(buf));
	aml_res_irq_noflags(&a, 16);
	cr_assert_eq(a.err, -EINVAL);
}

Test(tables_aml, string_and_eisaid)
{
	struct aml a;

	aml_init(&a, buf, sizeof(buf));
	aml_string(&a, "LNRO0005");
	aml_eisaid(&a, "PNP0501");
	expect(&a, 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00,
	       0x0c, 0x41, 0xd0, 0x05, 0x01);
}

/* PkgLength boundaries: 63 is the largest one-byte length, 4095 the
 * largest two-byte one; the encoded length includes its own bytes. */
static void pkg_of(struct aml *a, size_t body)
{
	size_t m;

	aml_init(a, buf, sizeof(buf));
	m = aml_pkg_begin(a);
	for (size_t i = 0; i < body; i++)
		aml_byte(a, (uint8_t)i);
	aml_pkg_end(a, m);
	cr_assert_eq(a->err, 0);
}

Test(tables_aml, pkg_length)
{
	struct aml a;

	pkg_of(&a, 0);
	cr_assert_eq(a.len, 1);
	cr_assert_eq(buf[0], 1);

	pkg_of(&a, 62);
	cr_assert_eq(a.len, 63);
	cr_assert_eq(buf[0], 63);
	cr_assert_eq(buf[1], 0, "body moved behind the length");
	cr_assert_eq(buf[62], 61);

	pkg_of(&a, 63);     /* 64 with one byte is too long: two bytes, 65 */
	cr_assert_eq(a.len, 65);
	cr_assert_eq(buf[0], 0x40 | (65 & 0xf));
	cr_assert_eq(buf[1], 65 >> 4);
	cr_assert_eq(buf[2], 0);

	pkg_of(&a, 4093);
	cr_assert_eq(a.len, 4095);
	cr_assert_eq(buf[0], 0x40 | 0xf);
	cr_assert_eq(buf[1], 0xff);

	pkg_of(&a, 4094);   /* three bytes: 4097 */
	cr_assert_eq(a.len, 4097);
	cr_assert_eq(buf[0], 0x80 | (4097 & 0xf));
	cr_assert_eq(buf[1], (4097 >> 4) & 0xff);
	cr_assert_eq(buf[2], 4097 >> 12);
	cr_assert_eq(buf[3], 0);
}

Test(tables_aml, device_with_resources)
{
	uint8_t res[32];
	struct aml a, r;
	size_t dev;

	aml_init(&r, res, sizeof(res));
	aml_res_mem32_fixed(&r, 1, 0xd0000000, 0x1000);
	aml_res_ext_irq(&r, 1, 1, 5);
	aml_res_end(&r);
	aml_init(&a, buf, sizeof(buf));
	dev = aml_device_begin(&a, "V000");
	aml_name_decl(&a, "_CRS");
	aml_buffer(&a, res, r.len);
	aml_pkg_end(&a, dev);
	/* iasl output for Device (V000) { Name (_CRS, ResourceTemplate () {
	 * Memory32Fixed (ReadWrite, 0xD0000000, 0x1000)
	 * Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { 5 } }) } */
	expect(&a, 0x5b, 0x82, 0x25, 'V', '0', '0', '0',
	       0x08, '_', 'C', 'R', 'S', 0x11, 0x1a, 0x0a, 0x17,
	       0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x10, 0x00, 0x00,
	       0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00,
	       0x79, 0x00);
}

Test(tables_aml, overflow_is_sticky)
{
	uint8_t small[8];
	struct aml a;
	size_t m;

	aml_init(&a, small, sizeof(small));
	m = aml_scope_begin(&a, "\\_SB");
	aml_string(&a, "too long for eight bytes");
	cr_assert_eq(a.err, -E2BIG);
	aml_integer(&a, 7);
	aml_pkg_end(&a, m);
	cr_assert_eq(a.err, -E2BIG);
	cr_assert_leq(a.len, sizeof(small));

	/* A length byte that no longer fits is an overflow too. */
	aml_init(&a, small, sizeof(small));
	m = aml_pkg_begin(&a);
	aml_bytes(&a, "12345678", 8);
	aml_pkg_end(&a, m);
	cr_assert_eq(a.err, -E2BIG);
}
