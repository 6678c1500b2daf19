/* Ring-3 main: gathers what the scenarios need, runs the ones named by
 * probe=LIST on the command line, prints the summary and exits through
 * the debug-exit port (0 when everything passed, 1 otherwise). */
#include "user.h"

struct cpu_list cpus;

struct scenario {
	const char *name;
	bool (*run)(void);
};

static const struct scenario scenarios[] = {
	{ "hello", scenario_hello },
	{ "mem", scenario_mem },
	{ "smp", scenario_smp },
	{ "timer", scenario_timer },
	{ "serial", scenario_serial },
	{ "fault", scenario_fault },
	{ "progress", scenario_progress },
	{ "blk", scenario_blk },
	{ "blkro", scenario_blkro },
	{ "blkbench", scenario_blkbench },
	{ "blkstorm", scenario_blkstorm },
	{ "rng", scenario_rng },
	{ "rngstorm", scenario_rngstorm },
	{ "needsreset", scenario_needsreset },
	{ "vsock", scenario_vsock },
	{ "net", scenario_net },
};
static const char demo[] = "hello,mem,smp,timer";

static int passed, failed;

static bool name_is(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && !memcmp(s, name, n);
}

static void run_one(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (name_is(name, n, scenarios[i].name)) {
			if (scenarios[i].run())
				passed++;
			else
				failed++;
			return;
		}
	}
	char shown[65];
	if (n > 64)
		n = 64;
	memcpy(shown, name, n);
	shown[n] = '\0';
	uprintf("PROBE %s fail reason=unknown\n", shown);
	failed++;
}

/* Runs a comma-separated list; "demo" expands in place. */
static void run_list(const char *s, size_t len, bool nested)
{
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && s[j] != ',')
			j++;
		if (j > i) {
			if (!nested && name_is(s + i, j - i, "demo"))
				run_list(demo, sizeof(demo) - 1, true);
			else
				run_one(s + i, j - i);
		}
		i = j + 1;
	}
}

/* Which firmware table lists the CPUs: the MP table first, as Linux
 * does; "probe.tables=madt" (or =mptable) restricts it to one, so a VMM
 * can test each of its tables. */
static void find_cpus(void)
{
	size_t len = 0;
	const char *only = cmdline_word("probe.tables=", &len);
	bool mp = !only || (len == 7 && !strncmp(only, "mptable", 7));
	bool madt = !only || (len == 4 && !strncmp(only, "madt", 4));

	if (!(mp && mptable_find_cpus(&cpus)) && !(madt && madt_find_cpus(&cpus))) {
		cpus.n = 0;
		cpus.source = "none";
	}
}

void user_main(void)
{
	uint64_t t_user = rdtsc();

	bootinfo_copy();
	clock_init();
	find_cpus();
	uprintf("probe: ring-0 setup %lu us, boot_params 0x%lx, tsc %lu MHz (%s), %s pages, map 0x%lx, "
		"%d e820 entries, %d cpus in %s, bsp apic %u\n",
		tsc_us(t_user - kinfo.tsc_kmain), kinfo.boot_params, tsc_hz / 1000000, tsc_source,
		kinfo.has_1g_pages ? "1G" : "2M", kinfo.map_top, e820_n, cpus.n, cpus.source,
		kinfo.bsp_apic_id);
	uprintf("PROBE ready\n");

	size_t len = 0;
	const char *list = cmdline_word("probe=", &len);
	if (!list) {
		list = "hello";
		len = 5;
	}
	run_list(list, len, false);

	uprintf("PROBE done passed=%d failed=%d\n", passed, failed);
	uexit(failed ? 1 : 0);
}
