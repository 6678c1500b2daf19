/* serial: interrupt-driven UART receive through IOAPIC pin 4. Collects
 * one line (up to 200 bytes) within ten seconds and echoes it. */
#include "user.h"

#define MAX_BYTES   200
#define WAIT_US     10000000
#define WAKE_COUNT  625000 /* LAPIC timer as a wake-up: ~10 ms */

bool scenario_serial(void)
{
	char got[MAX_BYTES + 1];
	size_t n = 0;
	bool line = false;

	ucall(SYS_SERIAL_RX, 1, 0, 0);
	uprintf("PROBE serial waiting\n");

	/* Sleep between bytes, woken by the UART or the timer; if the timer
	 * does not tick, spin instead so the deadline still holds. */
	uint64_t t0 = rdtsc(), deadline = t0 + us_tsc(WAIT_US), ticks0 = timer_ticks;
	ucall(SYS_TIMER, WAKE_COUNT, 1, 0);
	while (timer_ticks == ticks0 && rdtsc() - t0 < us_tsc(100000))
		cpu_relax();
	bool can_sleep = timer_ticks != ticks0;
	while (!line && n < MAX_BYTES && (int64_t)(rdtsc() - deadline) < 0) {
		long c = ucall(SYS_SERIAL_GETC, 0, 0, 0);
		if (c >= 0) {
			if (c == '\n')
				line = true;
			else if (c != '\r')
				got[n++] = (char)c;
			continue;
		}
		if (can_sleep)
			ucall(SYS_HLT, 0, 0, 0);
		else
			cpu_relax();
	}
	ucall(SYS_TIMER, 0, 0, 0);
	ucall(SYS_SERIAL_RX, 0, 0, 0);
	got[n] = '\0';

	if (!line && n < MAX_BYTES) {
		uprintf("PROBE serial fail reason=timeout bytes=%zu\n", n);
		return false;
	}
	/* Control bytes would break the one-line format. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)got[i] < 0x20 || (unsigned char)got[i] >= 0x7f)
			got[i] = '?';
	uprintf("PROBE serial ok bytes=%zu echo=%s\n", n, got);
	return true;
}
