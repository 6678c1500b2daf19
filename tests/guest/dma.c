/* Guest RAM for virtqueues and request buffers: a bump allocator over the
 * e820 RAM range just above the probe image. Addresses are physical as
 * well as virtual (identity map), which is what the rings need. Each
 * scenario resets its devices and then the allocator, so nothing a device
 * might still write to is handed out twice. */
#include "virtio.h"

static uint64_t dma_next, dma_end;
static bool dma_ready;

static void dma_init(void)
{
	uint64_t lo = ((uint64_t)_end + 4095) & ~4095ULL;
	uint64_t top = kinfo.map_top < 4 * GiB ? kinfo.map_top : 4 * GiB;

	if (lo < MiB)
		lo = MiB;
	dma_next = dma_end = lo;
	/* The range holding the end of the image, else the first one above it. */
	for (int pass = 0; pass < 2 && dma_end == lo; pass++) {
		for (int i = 0; i < e820_n; i++) {
			uint64_t s = e820[i].addr, e = e820[i].addr + e820[i].size;
			if (e820[i].type != 1 || e <= s)
				continue;
			if (pass == 0 ? (s <= lo && e > lo) : s > lo) {
				if (pass == 1)
					dma_next = (s + 4095) & ~4095ULL;
				dma_end = e < top ? e : top;
				break;
			}
		}
	}
	dma_ready = true;
}

void dma_reset(void)
{
	dma_ready = false;
}

uint64_t dma_left(void)
{
	if (!dma_ready)
		dma_init();
	return dma_end > dma_next ? dma_end - dma_next : 0;
}

void *dma_alloc(uint64_t size, uint64_t align)
{
	if (!dma_ready)
		dma_init();
	size = (size + 7) & ~7ULL;
	uint64_t a = (dma_next + align - 1) & ~(align - 1);
	if (a < dma_next || a + size < a || a + size > dma_end)
		return NULL;
	dma_next = a + size;
	/* Rings must start out zeroed (2.7); eight bytes at a time is plenty
	 * at native speed. */
	volatile uint64_t *p = phys(a);
	for (uint64_t i = 0; i < size / 8; i++)
		p[i] = 0;
	return phys(a);
}
