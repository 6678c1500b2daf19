/* COM1 (8250/16550) for the probe: polled output under a lock shared by
 * all CPUs, interrupt-driven input into a small ring, and the debug-exit
 * port. Every port access is a VM exit, so output is one byte per exit
 * plus one status read. */
#include "kernel.h"

#define COM1 0x3f8
#define UART_DATA 0 /* THR / RBR; DLL with DLAB */
#define UART_IER  1 /* DLM with DLAB */
#define UART_FCR  2
#define UART_LCR  3
#define UART_MCR  4
#define UART_LSR  5
#define LSR_DR    0x01
#define LSR_THRE  0x20
#define IER_RDI   0x01
#define MCR_DTR   0x01
#define MCR_RTS   0x02
#define MCR_OUT2  0x08 /* gates the IRQ line on PC UARTs */

static volatile uint32_t print_lock;
/* Bytes the transmit FIFO can still take without another LSR read. */
static unsigned tx_room;

/* Bounded: a CPU that died holding the lock (fatal inside a print) must
 * not silence the others for ever. */
static void lock(void)
{
	for (unsigned i = 0; i < 1000000; i++) {
		if (!__atomic_exchange_n(&print_lock, 1, __ATOMIC_ACQUIRE))
			return;
		cpu_relax();
	}
}

static void unlock(void)
{
	__atomic_store_n(&print_lock, 0, __ATOMIC_RELEASE);
}

void serial_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, 0x80); /* DLAB: 115200 baud */
	outb(COM1 + UART_DATA, 1);
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, 0x03); /* 8N1 */
	outb(COM1 + UART_FCR, 0x07); /* 16-byte FIFOs on and cleared */
	outb(COM1 + UART_MCR, MCR_DTR | MCR_RTS);
}

/* THRE means the whole transmit FIFO is empty, so one status read buys
 * 16 bytes: half the VM exits of polling before every byte. A UART
 * without a FIFO that is always ready (cellvm's) is served as well. */
static void putc_raw(char c)
{
	if (!tx_room) {
		for (unsigned i = 0; i < 100000; i++)
			if (inb(COM1 + UART_LSR) & LSR_THRE)
				break;
		tx_room = 16;
	}
	tx_room--;
	outb(COM1 + UART_DATA, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
	lock();
	while (n--)
		putc_raw(*s++);
	unlock();
}

void serial_puts(const char *s)
{
	serial_write(s, strlen(s));
}

void serial_line_u(const char *a, uint64_t n, const char *b)
{
	char num[20];
	int i = sizeof(num);

	do {
		num[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	lock();
	while (*a)
		putc_raw(*a++);
	while (i < (int)sizeof(num))
		putc_raw(num[i++]);
	while (*b)
		putc_raw(*b++);
	unlock();
}

void kprintf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	serial_write(buf, (size_t)n);
}

void debug_exit(unsigned code)
{
	outb(PORT_DEBUG_EXIT, (uint8_t)code);
	/* Still here: no debug-exit device. Say so and stop. */
	serial_write("probe: debug-exit port did not stop the VM; halting\n", 52);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* Receive ring: written by serial_irq, read by serial_getc; both run in
 * ring 0 on the BSP with interrupts off, so no lock is needed. */
static uint8_t rx_buf[256];
static unsigned rx_head, rx_tail;

void serial_rx(bool on)
{
	if (on) {
		/* Drop whatever arrived before anyone asked. */
		for (int i = 0; i < 64 && (inb(COM1 + UART_LSR) & LSR_DR); i++)
			(void)inb(COM1 + UART_DATA);
		rx_head = rx_tail = 0;
		outb(COM1 + UART_FCR, 0x07); /* FIFO on and cleared, trigger at 1 byte */
		outb(COM1 + UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
		outb(COM1 + UART_IER, IER_RDI);
		ioapic_route(IRQ_SERIAL_COM1, VEC_SERIAL, kinfo.bsp_apic_id, false);
	} else {
		outb(COM1 + UART_IER, 0);
		outb(COM1 + UART_MCR, MCR_DTR | MCR_RTS);
		ioapic_route(IRQ_SERIAL_COM1, VEC_SERIAL, kinfo.bsp_apic_id, true);
	}
}

void serial_irq(void)
{
	/* Drain it all: the IOAPIC pin is edge-triggered, so bytes left in
	 * the FIFO would never raise another interrupt. */
	for (int i = 0; i < 64 && (inb(COM1 + UART_LSR) & LSR_DR); i++) {
		uint8_t c = inb(COM1 + UART_DATA);
		if (rx_head - rx_tail < sizeof(rx_buf))
			rx_buf[rx_head++ % sizeof(rx_buf)] = c;
	}
}

int serial_getc(void)
{
	if (rx_tail == rx_head)
		return -1;
	return rx_buf[rx_tail++ % sizeof(rx_buf)];
}
