/* virtio-mmio transport, driver side (virtio 1.2, 4.2): finding devices
 * on the command line, the status/feature handshake of 3.1.1, config
 * space reads, and bounded waiting. All in ring 3: an MMIO exit from ring
 * 3 costs more than from ring 0 here, but a trip into (emulated) ring 0
 * costs more still. */
#include "virtio.h"

#define CMDLINE_KEY   "virtio_mmio.device="
#define RESET_WAIT_US 1000000
/* Interrupt mode halts at once by default: spinning would keep the vCPU
 * thread on the CPU that KVM's irqfd injection (a kworker) and the device
 * process need, and delay the very interrupt being waited for.
 * probe.virtio.spin_us= trades that for latency. */
#define SPIN_US       0
/* Longest single sleep: wakes the caller to check its deadline. */
#define SLEEP_US      10000

struct vdev vdevs[VIRTIO_MAX];
int vdev_count;
static int usable;
static bool discovered;

uint32_t vdev_read(const struct vdev *d, unsigned off)
{
	return *(volatile uint32_t *)phys(d->base + off);
}

void vdev_write(const struct vdev *d, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)phys(d->base + off) = v;
}

const char *vdev_type_name(uint32_t device_id)
{
	switch (device_id) {
	case 0: return "none";
	case 1: return "net";
	case VIRTIO_ID_BLOCK: return "blk";
	case 3: return "console";
	case VIRTIO_ID_RNG: return "rng";
	case 19: return "vsock";
	default: return "other";
	}
}

/* <size>@<base>:<irq>[:<platform id>], as Linux's virtio_mmio parses it. */
static const char *parse_device(const char *w, const char *end, struct vdev *d)
{
	uint64_t irq, id;
	bool ok;
	const char *p = parse_num(w, end, &d->size, true, &ok);

	if (!ok || p == end || *p != '@')
		return "bad-size";
	p = parse_num(p + 1, end, &d->base, false, &ok);
	if (!ok || p == end || *p != ':')
		return "bad-base";
	p = parse_num(p + 1, end, &irq, false, &ok);
	if (!ok)
		return "bad-irq";
	if (p < end && *p == ':') {
		p = parse_num(p + 1, end, &id, false, &ok);
		if (!ok)
			return "bad-id";
	}
	if (p != end)
		return "trailing-junk";
	/* The window must hold the registers and some config space, lie in
	 * the 32-bit hole's identity map, and name a pin the IOAPIC has. */
	if (d->size < VM_CONFIG + 0x40 || (d->base & 3) || d->base < MiB ||
	    d->base + d->size > 4 * GiB || d->base + d->size < d->base)
		return "bad-window";
	if (irq >= IOAPIC_PINS || irq == IRQ_SERIAL_COM1)
		return "bad-irq";
	d->irq = (unsigned)irq;
	return NULL;
}

static void probe_device(struct vdev *d)
{
	uint32_t magic = vdev_read(d, VM_MAGIC);
	const char *note = "";

	d->version = vdev_read(d, VM_VERSION);
	d->device_id = vdev_read(d, VM_DEVICE_ID);
	d->vendor = vdev_read(d, VM_VENDOR_ID);
	if (magic != VM_MAGIC_VALUE) {
		note = " (no virtio magic: ignored)";
		d->device_id = 0;
	} else if (d->version != 2) {
		note = d->version == 1 ? " (legacy interface: ignored)" : " (unknown version: ignored)";
	} else if (d->device_id == 0) {
		note = " (empty slot)";
	} else if (ucall(SYS_VIRTIO_IRQ, d->index, (long)d->base, d->irq) != 0) {
		note = " (interrupt routing refused: ignored)";
		d->device_id = 0;
	} else {
		usable++;
	}
	uprintf("probe: virtio %u at 0x%lx irq %u: %s (id %u) version %u vendor 0x%x%s\n", d->index,
		d->base, d->irq, vdev_type_name(d->device_id), d->device_id, d->version, d->vendor,
		note);
}

int virtio_discover(void)
{
	if (discovered)
		return usable;
	discovered = true;
	size_t klen = strlen(CMDLINE_KEY);
	for (const char *p = cmdline; *p;) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - w) <= klen || strncmp(w, CMDLINE_KEY, klen))
			continue;
		if (vdev_count == VIRTIO_MAX) {
			uprintf("probe: virtio: more than %d devices, ignoring the rest\n", VIRTIO_MAX);
			break;
		}
		struct vdev *d = &vdevs[vdev_count];
		memset(d, 0, sizeof(*d));
		d->index = (unsigned)vdev_count;
		const char *bad = parse_device(w + klen, p, d);
		if (bad) {
			uprintf("probe: virtio: ignoring entry %d: %s\n", vdev_count, bad);
			continue;
		}
		vdev_count++;
		probe_device(d);
	}
	return usable;
}

struct vdev *vdev_find(uint32_t device_id, int n)
{
	virtio_discover();
	for (int i = 0; i < vdev_count; i++) {
		struct vdev *d = &vdevs[i];
		if (d->version == 2 && d->device_id == device_id && n-- == 0)
			return d;
	}
	return NULL;
}

bool vdev_reset(struct vdev *d)
{
	uint64_t end = rdtsc() + us_tsc(RESET_WAIT_US);

	vdev_write(d, VM_STATUS, 0);
	while (vdev_read(d, VM_STATUS) != 0) {
		if ((int64_t)(rdtsc() - end) > 0)
			return false;
		cpu_relax();
	}
	return true;
}

static void vdev_fail(struct vdev *d)
{
	vdev_write(d, VM_STATUS, vdev_read(d, VM_STATUS) | VS_FAILED);
}

uint64_t virtio_ring_features_wanted(void)
{
	uint64_t f = 0;
	if (cmdline_u64("probe.virtio.event_idx=", 1))
		f |= VFBIT(VF_EVENT_IDX);
	if (cmdline_u64("probe.virtio.indirect=", 1))
		f |= VFBIT(VF_INDIRECT_DESC);
	return f;
}

int vdev_negotiate(struct vdev *d, uint64_t wanted, const char **why)
{
	if (!vdev_reset(d)) {
		*why = "reset-timeout";
		return -1;
	}
	vdev_write(d, VM_STATUS, VS_ACKNOWLEDGE);
	vdev_write(d, VM_STATUS, VS_ACKNOWLEDGE | VS_DRIVER);

	vdev_write(d, VM_DEVICE_FEAT_SEL, 0);
	uint64_t lo = vdev_read(d, VM_DEVICE_FEATURES);
	vdev_write(d, VM_DEVICE_FEAT_SEL, 1);
	uint64_t hi = vdev_read(d, VM_DEVICE_FEATURES);
	d->offered = lo | hi << 32;
	if (!(d->offered & VFBIT(VF_VERSION_1))) {
		/* A version 2 transport without VERSION_1 is a contradiction. */
		vdev_fail(d);
		*why = "no-VERSION_1";
		return -1;
	}
	d->features = d->offered & (wanted | VFBIT(VF_VERSION_1));
	vdev_write(d, VM_DRIVER_FEAT_SEL, 0);
	vdev_write(d, VM_DRIVER_FEATURES, (uint32_t)d->features);
	vdev_write(d, VM_DRIVER_FEAT_SEL, 1);
	vdev_write(d, VM_DRIVER_FEATURES, (uint32_t)(d->features >> 32));

	vdev_write(d, VM_STATUS, VS_ACKNOWLEDGE | VS_DRIVER | VS_FEATURES_OK);
	uint32_t st = vdev_read(d, VM_STATUS);
	if (!(st & VS_FEATURES_OK)) {
		vdev_fail(d);
		*why = "features-refused";
		return -1;
	}
	return 0;
}

int vdev_driver_ok(struct vdev *d, const char **why)
{
	vdev_write(d, VM_STATUS, VS_ACKNOWLEDGE | VS_DRIVER | VS_FEATURES_OK | VS_DRIVER_OK);
	uint32_t st = vdev_read(d, VM_STATUS);
	if (st & VS_NEEDS_RESET) {
		*why = "needs-reset-at-start";
		return -1;
	}
	if (!(st & VS_DRIVER_OK)) {
		*why = "driver-ok-refused";
		return -1;
	}
	return 0;
}

uint64_t vdev_config(const struct vdev *d, unsigned off, unsigned len)
{
	uint64_t v = 0;

	/* 64-bit fields are two 32-bit reads (4.2.2.2), so a change between
	 * them is only caught by the generation counter. */
	for (int tries = 0; tries < 100; tries++) {
		uint32_t gen = vdev_read(d, VM_CONFIG_GEN);
		v = vdev_read(d, VM_CONFIG + off);
		if (len == 8)
			v |= (uint64_t)vdev_read(d, VM_CONFIG + off + 4) << 32;
		if (vdev_read(d, VM_CONFIG_GEN) == gen)
			break;
	}
	return v;
}

/* Whether the LAPIC timer ticks (a 50 us one-shot within 100 ms): only
 * then may waits halt, each bounded by a one-shot timer in SYS_WAIT. */
static bool wake_timer_works(void)
{
	static int state; /* 0 unknown, 1 works, -1 does not */

	if (!state) {
		uint64_t t = timer_ticks, end = rdtsc() + us_tsc(100000);
		ucall(SYS_TIMER, 3125, 0, 0);
		while (timer_ticks == t && (int64_t)(rdtsc() - end) < 0)
			cpu_relax();
		ucall(SYS_TIMER, 0, 0, 0);
		state = timer_ticks != t ? 1 : -1;
		if (state < 0)
			uprintf("probe: the LAPIC timer does not tick: virtio waits spin instead of halting\n");
	}
	return state > 0;
}

void vwait_begin(struct vwaiter *w, bool irq)
{
	memset(w, 0, sizeof(*w));
	w->irq = irq;
	w->seen = virtio_irq_total;
	w->can_sleep = irq && wake_timer_works();
	w->spin_us = cmdline_u64("probe.virtio.spin_us=", SPIN_US);
}

void vwait_once(struct vwaiter *w)
{
	if (!w->irq) {
		cpu_relax();
		return;
	}
	if (w->spin_us) {
		uint64_t end = rdtsc() + us_tsc(w->spin_us);
		while (virtio_irq_total == w->seen && (int64_t)(rdtsc() - end) < 0)
			cpu_relax();
	}
	if (virtio_irq_total == w->seen) {
		if (w->can_sleep) {
			ucall(SYS_WAIT, (long)&virtio_irq_total, (long)w->seen, SLEEP_US);
			w->sleeps++;
		} else {
			cpu_relax();
		}
	}
	if (virtio_irq_total != w->seen)
		w->wakeups_by_irq++;
	w->seen = virtio_irq_total;
}

void vwait_end(struct vwaiter *w)
{
	w->irq = false;
}
