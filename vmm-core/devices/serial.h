/* 8250/16550A UART as COM1. TX goes to an output fd, RX comes from the
 * host (stdin) through serial_push_rx. Interrupts are pulses on an eventfd
 * bound to the IRQ with KVM_IRQFD, so any thread can raise them. */
#ifndef CELLVM_SERIAL_H
#define CELLVM_SERIAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"

#define SERIAL_RX_FIFO 64

struct serial {
	pthread_mutex_t lock;
	int out_fd;         /* -1 discards output */
	int irq_fd;         /* eventfd registered as irqfd, -1 for none */
	uint8_t ier, iir_thri_pending, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
	uint8_t rx[SERIAL_RX_FIFO];
	unsigned int rx_head, rx_len;
};

extern const struct bus_ops serial_bus_ops;

void serial_init(struct serial *s, int out_fd, int irq_fd);
void serial_destroy(struct serial *s);
/* Queues up to len host bytes for the guest; returns how many fit. Bytes
 * that do not fit stay with the caller, so nothing typed is dropped. */
size_t serial_push_rx(struct serial *s, const uint8_t *buf, size_t len);
/* Free space in the RX FIFO, for the caller's flow control. */
size_t serial_rx_space(struct serial *s);

#endif
