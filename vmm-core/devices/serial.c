#include "serial.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Register offsets and bits of the 16550A (National Semiconductor data
 * sheet); DLAB in LCR switches offsets 0 and 1 to the divisor latch. */
enum {
	UART_RBR_THR = 0, UART_IER = 1, UART_IIR_FCR = 2, UART_LCR = 3,
	UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7,
};
#define IER_RDI        0x01
#define IER_THRI       0x02
#define IIR_NO_INT     0x01
#define IIR_THRI       0x02
#define IIR_RDI        0x04
#define IIR_FIFO_ON    0xc0
#define LCR_DLAB       0x80
#define MCR_LOOP       0x10
#define LSR_DR         0x01
#define LSR_THRE       0x20
#define LSR_TEMT       0x40
#define FCR_FIFO_EN    0x01
#define FCR_CLEAR_RX   0x02
#define MSR_DCD_DSR_CTS 0xb0

void serial_init(struct serial *s, int out_fd, int irq_fd)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->out_fd = out_fd;
	s->irq_fd = irq_fd;
	s->lsr = LSR_THRE | LSR_TEMT;
	s->msr = MSR_DCD_DSR_CTS;
	s->dll = 0x0c; /* 9600 baud, what firmware leaves behind */
	s->lcr = 0x03;
}

void serial_destroy(struct serial *s)
{
	pthread_mutex_destroy(&s->lock);
}

static uint8_t serial_iir(const struct serial *s)
{
	uint8_t fifo = (s->fcr & FCR_FIFO_EN) ? IIR_FIFO_ON : 0;

	if ((s->ier & IER_RDI) && s->rx_len)
		return IIR_RDI | fifo;
	if ((s->ier & IER_THRI) && s->iir_thri_pending)
		return IIR_THRI | fifo;
	return IIR_NO_INT | fifo;
}

/* Called with the lock held after anything that can create an interrupt
 * condition. The IRQ is edge-triggered for ISA devices, so each new
 * condition gets its own pulse; the guest's handler then drains IIR. */
static void serial_kick_irq(struct serial *s)
{
	uint64_t one = 1;

	if (s->irq_fd < 0 || (serial_iir(s) & IIR_NO_INT))
		return;
	if (write(s->irq_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: a pulse is already pending, which is all we need. */
	}
}

static void serial_tx(struct serial *s, uint8_t byte)
{
	if (s->mcr & MCR_LOOP) {
		if (s->rx_len < SERIAL_RX_FIFO) {
			s->rx[(s->rx_head + s->rx_len) % SERIAL_RX_FIFO] = byte;
			s->rx_len++;
			s->lsr |= LSR_DR;
		}
		return;
	}
	if (s->out_fd < 0)
		return;
	for (;;) {
		ssize_t n = write(s->out_fd, &byte, 1);
		if (n == 1 || (n < 0 && errno != EINTR))
			return;
	}
}

static void serial_read(void *opaque, uint64_t off, uint8_t *data, unsigned int len)
{
	struct serial *s = opaque;
	uint8_t v = 0;

	pthread_mutex_lock(&s->lock);
	switch (off) {
	case UART_RBR_THR:
		if (s->lcr & LCR_DLAB) {
			v = s->dll;
		} else if (s->rx_len) {
			v = s->rx[s->rx_head];
			s->rx_head = (s->rx_head + 1) % SERIAL_RX_FIFO;
			if (--s->rx_len == 0)
				s->lsr &= (uint8_t)~LSR_DR;
		}
		break;
	case UART_IER:
		v = (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
		break;
	case UART_IIR_FCR:
		v = serial_iir(s);
		/* Reading IIR acknowledges a THR-empty interrupt (16550A behaviour). */
		if ((v & 0x0f) == IIR_THRI)
			s->iir_thri_pending = 0;
		break;
	case UART_LCR: v = s->lcr; break;
	case UART_MCR: v = s->mcr; break;
	case UART_LSR: v = s->lsr; break;
	case UART_MSR:
		v = (s->mcr & MCR_LOOP) ? (uint8_t)((s->mcr & 0x0f) << 4) : s->msr;
		break;
	case UART_SCR: v = s->scr; break;
	}
	pthread_mutex_unlock(&s->lock);
	memset(data, 0, len);
	data[0] = v;
}

static void serial_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int len)
{
	struct serial *s = opaque;
	uint8_t v = data[0];

	(void)len;
	pthread_mutex_lock(&s->lock);
	switch (off) {
	case UART_RBR_THR:
		if (s->lcr & LCR_DLAB) {
			s->dll = v;
			break;
		}
		serial_tx(s, v);
		/* Transmission is instantaneous, so THR is empty again at once. */
		s->iir_thri_pending = 1;
		serial_kick_irq(s);
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
			break;
		}
		/* Enabling THRI while THR is empty raises it immediately, which
		 * drivers rely on to start transmitting. */
		if (!(s->ier & IER_THRI) && (v & IER_THRI))
			s->iir_thri_pending = 1;
		s->ier = v & 0x0f;
		serial_kick_irq(s);
		break;
	case UART_IIR_FCR:
		s->fcr = v & 0xc9;
		if (v & FCR_CLEAR_RX) {
			s->rx_len = 0;
			s->lsr &= (uint8_t)~LSR_DR;
		}
		break;
	case UART_LCR: s->lcr = v; break;
	case UART_MCR: s->mcr = v & 0x1f; break;
	case UART_SCR: s->scr = v; break;
	default: break; /* LSR and MSR are read-only */
	}
	pthread_mutex_unlock(&s->lock);
}

const struct bus_ops serial_bus_ops = {
	.read = serial_read,
	.write = serial_write,
};

size_t serial_push_rx(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	while (n < len && s->rx_len < SERIAL_RX_FIFO) {
		s->rx[(s->rx_head + s->rx_len) % SERIAL_RX_FIFO] = buf[n++];
		s->rx_len++;
	}
	if (n) {
		s->lsr |= LSR_DR;
		serial_kick_irq(s);
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

size_t serial_rx_space(struct serial *s)
{
	size_t space;

	pthread_mutex_lock(&s->lock);
	space = SERIAL_RX_FIFO - s->rx_len;
	pthread_mutex_unlock(&s->lock);
	return space;
}
