/* Reading words and numbers from the kernel command line (ring 3). */
#include "user.h"

const char *cmdline_word(const char *key, size_t *len)
{
	const char *found = NULL;
	size_t klen = strlen(key);
	for (const char *p = cmdline; *p;) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - w) >= klen && !strncmp(w, key, klen)) {
			found = w + klen;
			*len = (size_t)(p - found);
		}
	}
	return found;
}

const char *parse_num(const char *s, const char *end, uint64_t *v, bool suffix, bool *ok)
{
	uint64_t base = 10, n = 0;
	const char *start;

	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	start = s;
	for (; s < end; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		if (n > (UINT64_MAX - d) / base) {
			*ok = false;
			return s;
		}
		n = n * base + d;
	}
	*ok = s > start;
	if (*ok && suffix && s < end) {
		unsigned shift = 0;
		switch (*s) {
		case 'K': case 'k': shift = 10; break;
		case 'M': case 'm': shift = 20; break;
		case 'G': case 'g': shift = 30; break;
		}
		if (shift) {
			if (n > (UINT64_MAX >> shift))
				*ok = false;
			n <<= shift;
			s++;
		}
	}
	*v = n;
	return s;
}

uint64_t cmdline_u64(const char *key, uint64_t dflt)
{
	size_t len = 0;
	const char *w = cmdline_word(key, &len);
	uint64_t v;
	bool ok;

	if (!w)
		return dflt;
	/* The whole value must be the number; anything else keeps the
	 * default rather than half-reading a typo. */
	if (parse_num(w, w + len, &v, false, &ok) != w + len || !ok) {
		uprintf("probe: ignoring %s: not a number\n", key);
		return dflt;
	}
	return v;
}
