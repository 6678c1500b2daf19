#include "legacy.h"
#include "exit_codes.h"
#include "log.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

/* Controller commands (port 0x64), from the 8042 data sheet as PC
 * firmware and Linux's i8042 driver use them. */
#define CMD_READ_CTR       0x20
#define CMD_WRITE_CTR      0x60
#define CMD_AUX_DISABLE    0xa7
#define CMD_AUX_ENABLE     0xa8
#define CMD_AUX_TEST       0xa9
#define CMD_SELF_TEST      0xaa
#define CMD_KBD_TEST       0xab
#define CMD_KBD_DISABLE    0xad
#define CMD_KBD_ENABLE     0xae
#define CMD_READ_OUTPUT    0xd0
#define CMD_WRITE_OUTPUT   0xd1
#define CMD_WRITE_KBD_BUF  0xd2
#define CMD_WRITE_AUX_BUF  0xd3
#define CMD_WRITE_AUX      0xd4

/* Status register bits. */
#define STS_OBF            0x01  /* a byte waits in the output buffer */
#define STS_SYS            0x04  /* self test passed */
#define STS_CMD            0x08  /* the last write went to port 0x64 */
#define STS_UNLOCKED       0x10  /* keyboard not inhibited */

/* Configuration byte (CTR) bits. */
#define CTR_KBD_INT        0x01
#define CTR_SYS            0x04
#define CTR_XLATE          0x40

/* Keyboard commands (written to port 0x60) and replies. */
#define KBD_SET_LEDS       0xed
#define KBD_ECHO           0xee
#define KBD_SCANCODE_SET   0xf0
#define KBD_GET_ID         0xf2
#define KBD_TYPEMATIC      0xf3
#define KBD_RESET          0xff
#define KBD_ACK            0xfa
#define KBD_SELF_TEST_OK   0xaa

#define OUTPUT_PORT_RESET  0x01  /* output port bit 0 low = CPU reset */
#define OUTPUT_PORT_A20    0x02

/* Ctrl-Alt-Del pressed and released. Scan code set 2 is what the keyboard
 * sends; with CTR_XLATE set (what firmware leaves and Linux keeps) the
 * controller hands the guest set 1 instead, so both are kept here. */
static const uint8_t cad_set1[] = { 0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d };
static const uint8_t cad_set2[] = { 0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0, 0x71, 0xf0, 0x11,
				    0xf0, 0x14 };

void i8042_init(struct i8042 *k, struct vm_stop *stop, int irq_fd)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->lock, NULL);
	k->stop = stop;
	k->irq_fd = irq_fd;
	k->ctr = CTR_KBD_INT | CTR_SYS | CTR_XLATE;
}

void i8042_destroy(struct i8042 *k)
{
	pthread_mutex_destroy(&k->lock);
}

/* IRQ 1 is edge-triggered: one pulse per byte that reaches the output
 * buffer; the guest's handler reads it, and the next byte pulses again. */
static void i8042_irq(struct i8042 *k)
{
	uint64_t one = 1;

	if (k->irq_fd < 0 || !(k->ctr & CTR_KBD_INT))
		return;
	if (write(k->irq_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: a pulse is already pending. */
	}
}

/* Called with the lock held. */
static int i8042_queue(struct i8042 *k, const uint8_t *bytes, size_t n)
{
	if (n > I8042_QUEUE_LEN - k->len)
		return -ENOSPC;
	bool was_empty = k->len == 0;
	for (size_t i = 0; i < n; i++)
		k->queue[(k->head + k->len++) % I8042_QUEUE_LEN] = bytes[i];
	if (was_empty && n)
		i8042_irq(k);
	return 0;
}

static void i8042_queue1(struct i8042 *k, uint8_t b)
{
	i8042_queue(k, &b, 1);
}

static void i8042_reset_cpu(struct i8042 *k)
{
	log_info("guest reset through the i8042: stopping the VM");
	vm_stop_request(k->stop, EXIT_GUEST_OK);
}

/* A byte written to port 0x60 with no controller command pending goes to
 * the keyboard, which acknowledges everything it is sent. */
static void i8042_kbd_write(struct i8042 *k, uint8_t b)
{
	if (k->kbd_arg_for) {
		uint8_t cmd = k->kbd_arg_for;
		k->kbd_arg_for = 0;
		i8042_queue1(k, KBD_ACK);
		if (cmd == KBD_SCANCODE_SET && b == 0)
			i8042_queue1(k, 0x02); /* the set in use */
		return;
	}
	switch (b) {
	case KBD_SET_LEDS:
	case KBD_TYPEMATIC:
	case KBD_SCANCODE_SET:
		k->kbd_arg_for = b;
		i8042_queue1(k, KBD_ACK);
		break;
	case KBD_ECHO:
		i8042_queue1(k, KBD_ECHO);
		break;
	case KBD_GET_ID:
		i8042_queue(k, (const uint8_t[]){ KBD_ACK, 0xab, 0x83 }, 3);
		break;
	case KBD_RESET:
		i8042_queue(k, (const uint8_t[]){ KBD_ACK, KBD_SELF_TEST_OK }, 2);
		break;
	default:
		i8042_queue1(k, KBD_ACK);
		break;
	}
}

static void i8042_data_write(struct i8042 *k, uint8_t b)
{
	uint8_t cmd = k->pending_cmd;

	k->pending_cmd = 0;
	switch (cmd) {
	case CMD_WRITE_CTR:
		k->ctr = b;
		break;
	case CMD_WRITE_OUTPUT:
		if (!(b & OUTPUT_PORT_RESET))
			i8042_reset_cpu(k);
		break;
	case CMD_WRITE_KBD_BUF:
		i8042_queue1(k, b);
		break;
	case CMD_WRITE_AUX_BUF:
	case CMD_WRITE_AUX:
		break; /* there is no mouse */
	default:
		i8042_kbd_write(k, b);
		break;
	}
}

static void i8042_command(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case CMD_READ_CTR:
		i8042_queue1(k, k->ctr);
		break;
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUTPUT:
	case CMD_WRITE_KBD_BUF:
	case CMD_WRITE_AUX_BUF:
	case CMD_WRITE_AUX:
		k->pending_cmd = cmd;
		break;
	case CMD_SELF_TEST:
		i8042_queue1(k, 0x55);
		break;
	case CMD_KBD_TEST:
		i8042_queue1(k, 0x00);
		break;
	case CMD_AUX_TEST:
		/* "Clock line stuck low": drivers conclude there is no AUX port. */
		i8042_queue1(k, 0x01);
		break;
	case CMD_READ_OUTPUT:
		i8042_queue1(k, OUTPUT_PORT_RESET | OUTPUT_PORT_A20);
		break;
	case CMD_KBD_DISABLE:
	case CMD_KBD_ENABLE:
	case CMD_AUX_DISABLE:
	case CMD_AUX_ENABLE:
		break;
	default:
		/* 0xf0-0xff pulse output port lines low for each clear bit of
		 * the low nibble; bit 0 is the CPU reset line (0xfe, the reset
		 * Linux uses with reboot=k). */
		if ((cmd & 0xf0) == 0xf0 && !(cmd & OUTPUT_PORT_RESET))
			i8042_reset_cpu(k);
		break;
	}
}

/* Port 0x60 is data, 0x64 is command/status; the bus range starts at 0x60
 * and spans 5 ports, 0x61..0x63 belong to others and read as zero here. */
static void i8042_read(void *opaque, uint64_t off, uint8_t *data, unsigned int len)
{
	struct i8042 *k = opaque;

	memset(data, 0, len);
	pthread_mutex_lock(&k->lock);
	if (off == 4) {
		data[0] = STS_SYS | STS_UNLOCKED | k->last_write_cmd | (k->len ? STS_OBF : 0);
	} else if (off == 0) {
		/* An empty buffer reads as whatever was last in it. */
		if (k->len) {
			k->last_out = k->queue[k->head];
			k->head = (k->head + 1) % I8042_QUEUE_LEN;
			k->len--;
			if (k->len)
				i8042_irq(k);
		}
		data[0] = k->last_out;
	}
	pthread_mutex_unlock(&k->lock);
}

static void i8042_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int len)
{
	struct i8042 *k = opaque;

	(void)len;
	pthread_mutex_lock(&k->lock);
	if (off == 4) {
		k->last_write_cmd = STS_CMD;
		i8042_command(k, data[0]);
	} else if (off == 0) {
		k->last_write_cmd = 0;
		i8042_data_write(k, data[0]);
	}
	pthread_mutex_unlock(&k->lock);
}

const struct bus_ops i8042_bus_ops = {
	.read = i8042_read,
	.write = i8042_write,
};

int i8042_send_ctrl_alt_del(struct i8042 *k)
{
	int ret;

	pthread_mutex_lock(&k->lock);
	if (k->ctr & CTR_XLATE)
		ret = i8042_queue(k, cad_set1, sizeof(cad_set1));
	else
		ret = i8042_queue(k, cad_set2, sizeof(cad_set2));
	pthread_mutex_unlock(&k->lock);
	return ret;
}
