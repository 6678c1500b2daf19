/* progress: prints "PROBE progress n=K ms=T" about every 100 ms for
 * probe.progress.ms= milliseconds (default 2000), then
 * "PROBE progress ok n=K ms=T". A host pausing the VM sees the count stop
 * and go on after a resume. The guest's TSC keeps running while the VM is
 * paused, so the count, not the time, shows that the guest stood still. */
#include "user.h"

#define PROGRESS_PERIOD_US 100000
#define PROGRESS_DEFAULT_MS 2000

/* The last "probe.progress.ms=N" word, in decimal. */
static uint64_t progress_ms(void)
{
	static const char key[] = "probe.progress.ms=";
	const size_t klen = sizeof(key) - 1;
	uint64_t ms = PROGRESS_DEFAULT_MS;

	for (const char *p = cmdline; *p;) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - w) <= klen || strncmp(w, key, klen))
			continue;
		uint64_t v = 0;
		const char *d = w + klen;
		while (d < p && *d >= '0' && *d <= '9')
			v = v * 10 + (uint64_t)(*d++ - '0');
		if (d == p)
			ms = v;
	}
	return ms;
}

bool scenario_progress(void)
{
	uint64_t t0 = rdtsc(), end = t0 + us_tsc(progress_ms() * 1000), next = t0, n = 0;

	for (;;) {
		uint64_t now = rdtsc();
		if ((int64_t)(now - end) >= 0)
			break;
		if ((int64_t)(now - next) >= 0) {
			n++;
			uprintf("PROBE progress n=%lu ms=%lu\n", n, tsc_us(now - t0) / 1000);
			next = now + us_tsc(PROGRESS_PERIOD_US);
		}
		cpu_relax();
	}
	uprintf("PROBE progress ok n=%lu ms=%lu\n", n, tsc_us(rdtsc() - t0) / 1000);
	return true;
}
