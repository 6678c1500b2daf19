/* AML encoding (ACPI 6.x chapter 20): package lengths, name strings and
 * data objects. */
#include "aml.h"

#include <errno.h>
#include <string.h>

#define AML_ZERO_OP        0x00
#define AML_ONE_OP         0x01
#define AML_NAME_OP        0x08
#define AML_BYTE_PREFIX    0x0a
#define AML_WORD_PREFIX    0x0b
#define AML_DWORD_PREFIX   0x0c
#define AML_STRING_PREFIX  0x0d
#define AML_QWORD_PREFIX   0x0e
#define AML_SCOPE_OP       0x10
#define AML_BUFFER_OP      0x11
#define AML_DUAL_NAME      0x2e
#define AML_MULTI_NAME     0x2f
#define AML_EXT_PREFIX     0x5b
#define AML_DEVICE_OP      0x82    /* after AML_EXT_PREFIX */
#define AML_ROOT_CHAR      '\\'
#define AML_PARENT_CHAR    '^'

/* Largest value a 4-byte PkgLength can carry (28 bits). */
#define AML_PKG_MAX        ((1u << 28) - 1)

static void aml_fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

static int aml_room(struct aml *a, size_t n)
{
	if (a->err)
		return 0;
	if (n > a->cap - a->len) {
		aml_fail(a, -E2BIG);
		return 0;
	}
	return 1;
}

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	a->buf = buf;
	a->cap = cap;
	a->len = 0;
	a->err = 0;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (!aml_room(a, n))
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void aml_le(struct aml *a, uint64_t v, unsigned int n)
{
	uint8_t b[8];

	for (unsigned int i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	aml_bytes(a, b, n);
}

size_t aml_pkg_begin(struct aml *a)
{
	return a->len;
}

/* The length a PkgLength encodes includes the PkgLength bytes themselves,
 * so the encoding size must be chosen before the value is known: one
 * byte holds 6 bits, two to four bytes hold 4 + 8 * (n - 1) bits. */
void aml_pkg_end(struct aml *a, size_t mark)
{
	uint8_t enc[4];
	size_t body, total;
	unsigned int n;

	if (a->err)
		return;
	body = a->len - mark;
	if (body + 1 <= 0x3f)
		n = 1;
	else if (body + 2 <= 0xfff)
		n = 2;
	else if (body + 3 <= 0xfffff)
		n = 3;
	else if (body + 4 <= AML_PKG_MAX)
		n = 4;
	else {
		aml_fail(a, -E2BIG);
		return;
	}
	if (!aml_room(a, n))
		return;
	total = body + n;
	if (n == 1) {
		enc[0] = (uint8_t)total;
	} else {
		enc[0] = (uint8_t)(((n - 1) << 6) | (total & 0x0f));
		for (unsigned int i = 1; i < n; i++)
			enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	memmove(a->buf + mark + n, a->buf + mark, body);
	memcpy(a->buf + mark, enc, n);
	a->len += n;
}

static int aml_seg_char_ok(char c, int first)
{
	if (c == '_' || (c >= 'A' && c <= 'Z'))
		return 1;
	return !first && c >= '0' && c <= '9';
}

void aml_name(struct aml *a, const char *path)
{
	uint8_t segs[255][4];
	unsigned int nseg = 0;
	const char *p = path;

	while (*p == AML_ROOT_CHAR || *p == AML_PARENT_CHAR) {
		/* A root prefix may only come first, and not with parents. */
		if (*p == AML_ROOT_CHAR && p != path) {
			aml_fail(a, -EINVAL);
			return;
		}
		aml_byte(a, (uint8_t)*p++);
	}
	while (*p) {
		unsigned int n = 0;

		if (nseg == 255) {
			aml_fail(a, -EINVAL);
			return;
		}
		memset(segs[nseg], '_', 4);
		while (*p && *p != '.') {
			if (n == 4 || !aml_seg_char_ok(*p, n == 0)) {
				aml_fail(a, -EINVAL);
				return;
			}
			segs[nseg][n++] = (uint8_t)*p++;
		}
		if (n == 0) {
			aml_fail(a, -EINVAL);
			return;
		}
		nseg++;
		if (*p == '.' && !*++p) {
			aml_fail(a, -EINVAL);  /* trailing dot */
			return;
		}
	}
	if (nseg == 0) {
		aml_byte(a, 0);        /* NullName */
		return;
	}
	if (nseg == 2) {
		aml_byte(a, AML_DUAL_NAME);
	} else if (nseg > 2) {
		aml_byte(a, AML_MULTI_NAME);
		aml_byte(a, (uint8_t)nseg);
	}
	aml_bytes(a, segs, (size_t)nseg * 4);
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_le(a, v, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		aml_le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	for (const char *c = s; *c; c++) {
		if ((unsigned char)*c > 0x7f) {
			aml_fail(a, -EINVAL);
			return;
		}
	}
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

/* Three upper-case letters in 5 bits each (A = 1) and four hex digits,
 * stored so the bytes read in the id's own order. */
void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t letters = 0, digits = 0;

	if (strlen(id) != 7) {
		aml_fail(a, -EINVAL);
		return;
	}
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			aml_fail(a, -EINVAL);
			return;
		}
		letters = (letters << 5) | (uint32_t)(id[i] - 'A' + 1);
	}
	for (int i = 3; i < 7; i++) {
		char c = id[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else {
			aml_fail(a, -EINVAL);
			return;
		}
		digits = (digits << 4) | d;
	}
	aml_byte(a, AML_DWORD_PREFIX);
	aml_byte(a, (uint8_t)(letters >> 8));
	aml_byte(a, (uint8_t)letters);
	aml_byte(a, (uint8_t)(digits >> 8));
	aml_byte(a, (uint8_t)digits);
}

void aml_buffer(struct aml *a, const uint8_t *data, size_t n)
{
	size_t mark;

	aml_byte(a, AML_BUFFER_OP);
	mark = aml_pkg_begin(a);
	aml_integer(a, n);
	aml_bytes(a, data, n);
	aml_pkg_end(a, mark);
}

void aml_name_decl(struct aml *a, const char *path)
{
	aml_byte(a, AML_NAME_OP);
	aml_name(a, path);
}

size_t aml_scope_begin(struct aml *a, const char *path)
{
	size_t mark;

	aml_byte(a, AML_SCOPE_OP);
	mark = aml_pkg_begin(a);
	aml_name(a, path);
	return mark;
}

size_t aml_device_begin(struct aml *a, const char *path)
{
	size_t mark;

	aml_byte(a, AML_EXT_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	mark = aml_pkg_begin(a);
	aml_name(a, path);
	return mark;
}
