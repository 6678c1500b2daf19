#include <criterion/criterion.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/serial.h"

struct fixture {
	struct serial s;
	int out[2];
	int irq;
};

static void setup(struct fixture *f)
{
	cr_assert_eq(pipe2(f->out, O_NONBLOCK), 0);
	f->irq = eventfd(0, EFD_NONBLOCK);
	cr_assert_geq(f->irq, 0);
	serial_init(&f->s, f->out[1], f->irq);
}

static void teardown(struct fixture *f)
{
	serial_destroy(&f->s);
	close(f->out[0]);
	close(f->out[1]);
	close(f->irq);
}

static void wr(struct fixture *f, unsigned int off, uint8_t v)
{
	serial_bus_ops.write(&f->s, off, &v, 1);
}

static uint8_t rd(struct fixture *f, unsigned int off)
{
	uint8_t v;
	serial_bus_ops.read(&f->s, off, &v, 1);
	return v;
}

/* Number of interrupt pulses since the last call. */
static uint64_t pulses(struct fixture *f)
{
	uint64_t n = 0;
	if (read(f->irq, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

Test(serial, transmits_bytes_to_output)
{
	struct fixture f;
	char buf[8] = { 0 };

	setup(&f);
	wr(&f, 0, 'h');
	wr(&f, 0, 'i');
	cr_assert_eq(read(f.out[0], buf, sizeof(buf)), 2);
	cr_assert_str_eq(buf, "hi");
	cr_assert(rd(&f, 5) & 0x20, "THR empty after transmit");
	cr_assert_eq(pulses(&f), 0, "no interrupt while IER is 0");
	teardown(&f);
}

Test(serial, thr_empty_interrupt_raised_and_acked_by_iir)
{
	struct fixture f;

	setup(&f);
	wr(&f, 1, 0x02); /* IER: THRI */
	cr_assert_eq(pulses(&f), 1, "enabling THRI with THR empty interrupts at once");
	cr_assert_eq(rd(&f, 2) & 0x0f, 0x02);
	cr_assert_eq(rd(&f, 2) & 0x0f, 0x01, "reading IIR acknowledged THRI");
	wr(&f, 0, 'x');
	cr_assert_eq(pulses(&f), 1);
	cr_assert_eq(rd(&f, 2) & 0x0f, 0x02);
	teardown(&f);
}

Test(serial, receive_path_and_flow_control)
{
	struct fixture f;
	uint8_t data[SERIAL_RX_FIFO + 10];

	setup(&f);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	cr_assert_eq(rd(&f, 5) & 0x01, 0, "no data yet");
	wr(&f, 1, 0x01); /* IER: RDI */
	cr_assert_eq(serial_push_rx(&f.s, data, sizeof(data)), SERIAL_RX_FIFO,
		     "only what fits is taken");
	cr_assert_eq(serial_rx_space(&f.s), 0);
	cr_assert_eq(pulses(&f), 1);
	cr_assert_eq(rd(&f, 2) & 0x0f, 0x04, "IIR reports received data");
	for (unsigned int i = 0; i < SERIAL_RX_FIFO; i++) {
		cr_assert(rd(&f, 5) & 0x01);
		cr_assert_eq(rd(&f, 0), (uint8_t)i, "bytes arrive in order");
	}
	cr_assert_eq(rd(&f, 5) & 0x01, 0);
	cr_assert_eq(rd(&f, 2) & 0x0f, 0x01);
	cr_assert_eq(serial_rx_space(&f.s), SERIAL_RX_FIFO);
	teardown(&f);
}

Test(serial, divisor_latch_does_not_transmit)
{
	struct fixture f;
	char c;

	setup(&f);
	wr(&f, 3, 0x83); /* DLAB */
	wr(&f, 0, 0x01);
	wr(&f, 1, 0x00);
	cr_assert_eq(rd(&f, 0), 0x01);
	cr_assert_eq(read(f.out[0], &c, 1), -1, "divisor write is not output");
	wr(&f, 3, 0x03);
	cr_assert_eq(rd(&f, 1), 0, "IER untouched by the divisor write");
	teardown(&f);
}

Test(serial, loopback_feeds_receiver)
{
	struct fixture f;
	char c;

	setup(&f);
	wr(&f, 4, 0x10); /* MCR: loop */
	wr(&f, 0, 'z');
	cr_assert_eq(read(f.out[0], &c, 1), -1, "loopback bytes do not leave the UART");
	cr_assert_eq(rd(&f, 0), 'z');
	teardown(&f);
}

Test(serial, no_output_fd_discards)
{
	struct serial s;
	uint8_t v = 'q';

	serial_init(&s, -1, -1);
	serial_bus_ops.write(&s, 0, &v, 1);
	serial_bus_ops.write(&s, 1, &(uint8_t){ 0x03 }, 1);
	serial_bus_ops.read(&s, 5, &v, 1);
	cr_assert(v & 0x20);
	serial_destroy(&s);
}
