#include "vsock_conn.h"
#include "vsock_pkt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static unsigned int hash_of(const struct vsock_conn_table *t, uint32_t gp, uint32_t hp)
{
	uint32_t h = gp * 0x9e3779b1u ^ (hp + 0x7f4a7c15u) * 0x85ebca6bu;
	return (h ^ h >> 15) & (t->nbuckets - 1);
}

int vsock_conn_table_init(struct vsock_conn_table *t, unsigned int max)
{
	memset(t, 0, sizeof(*t));
	if (max == 0)
		return -EINVAL;
	t->nbuckets = 16;
	while (t->nbuckets < 2 * max)
		t->nbuckets *= 2;
	t->slots = calloc(max, sizeof(*t->slots));
	t->buckets = malloc(t->nbuckets * sizeof(*t->buckets));
	if (!t->slots || !t->buckets) {
		vsock_conn_table_fini(t);
		return -ENOMEM;
	}
	t->max = max;
	for (unsigned int i = 0; i < t->nbuckets; i++)
		t->buckets[i] = -1;
	for (unsigned int i = 0; i < max; i++) {
		t->slots[i].fd = -1;
		t->slots[i].hash_next = i + 1 < max ? (int)i + 1 : -1;
	}
	t->free_head = 0;
	t->rxq_head = t->rxq_tail = -1;
	return 0;
}

void vsock_conn_table_fini(struct vsock_conn_table *t)
{
	if (t->slots)
		for (unsigned int i = 0; i < t->max; i++)
			free(t->slots[i].buf);
	free(t->slots);
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

struct vsock_conn *vsock_conn_alloc(struct vsock_conn_table *t, enum vsock_conn_state state)
{
	struct vsock_conn *c;
	uint32_t gen;

	if (t->free_head < 0)
		return NULL;
	c = &t->slots[t->free_head];
	t->free_head = c->hash_next;
	gen = c->gen;
	memset(c, 0, sizeof(*c));
	c->gen = gen;
	c->state = state;
	c->fd = -1;
	c->hash_next = c->rxq_prev = c->rxq_next = -1;
	t->used++;
	return c;
}

struct vsock_conn *vsock_conn_find(const struct vsock_conn_table *t, uint32_t guest_port,
				   uint32_t host_port)
{
	for (int i = t->buckets[hash_of(t, guest_port, host_port)]; i >= 0; i = t->slots[i].hash_next) {
		struct vsock_conn *c = &t->slots[i];
		if (c->guest_port == guest_port && c->host_port == host_port)
			return c;
	}
	return NULL;
}

int vsock_conn_hash_add(struct vsock_conn_table *t, struct vsock_conn *c)
{
	unsigned int b = hash_of(t, c->guest_port, c->host_port);

	if (vsock_conn_find(t, c->guest_port, c->host_port))
		return -EEXIST;
	c->hash_next = t->buckets[b];
	t->buckets[b] = vsock_conn_index(t, c);
	return 0;
}

static void hash_remove(struct vsock_conn_table *t, struct vsock_conn *c)
{
	int idx = vsock_conn_index(t, c);
	int *p = &t->buckets[hash_of(t, c->guest_port, c->host_port)];

	while (*p >= 0 && *p != idx)
		p = &t->slots[*p].hash_next;
	if (*p == idx)
		*p = c->hash_next;
	c->hash_next = -1;
}

void vsock_conn_free(struct vsock_conn_table *t, struct vsock_conn *c)
{
	/* Handshaking connections have no ports yet and are in no chain. */
	if (c->state != VSOCK_CONN_HANDSHAKE)
		hash_remove(t, c);
	vsock_conn_rxq_remove(t, c);
	free(c->buf);
	c->buf = NULL;
	c->state = VSOCK_CONN_FREE;
	c->gen++;
	c->hash_next = t->free_head;
	t->free_head = vsock_conn_index(t, c);
	t->used--;
}

void vsock_conn_rxq_push(struct vsock_conn_table *t, struct vsock_conn *c)
{
	int idx = vsock_conn_index(t, c);

	if (c->in_rxq)
		return;
	c->in_rxq = true;
	c->rxq_next = -1;
	c->rxq_prev = t->rxq_tail;
	if (t->rxq_tail >= 0)
		t->slots[t->rxq_tail].rxq_next = idx;
	else
		t->rxq_head = idx;
	t->rxq_tail = idx;
}

void vsock_conn_rxq_remove(struct vsock_conn_table *t, struct vsock_conn *c)
{
	if (!c->in_rxq)
		return;
	if (c->rxq_prev >= 0)
		t->slots[c->rxq_prev].rxq_next = c->rxq_next;
	else
		t->rxq_head = c->rxq_next;
	if (c->rxq_next >= 0)
		t->slots[c->rxq_next].rxq_prev = c->rxq_prev;
	else
		t->rxq_tail = c->rxq_prev;
	c->in_rxq = false;
	c->rxq_prev = c->rxq_next = -1;
}

struct vsock_conn *vsock_conn_rxq_first(const struct vsock_conn_table *t)
{
	return t->rxq_head >= 0 ? &t->slots[t->rxq_head] : NULL;
}

int vsock_conn_buf_put(struct vsock_conn *c, uint32_t cap, const struct iovec *iov,
		       unsigned int n, size_t off, uint32_t len)
{
	if (len > cap - c->buf_len)
		return -ENOBUFS;
	if (!c->buf && !(c->buf = malloc(cap)))
		return -ENOMEM;
	uint32_t tail = (c->buf_head + c->buf_len) % cap;
	uint32_t first = cap - tail < len ? cap - tail : len;
	iov_copy_from(c->buf + tail, iov, n, off, first);
	iov_copy_from(c->buf, iov, n, off + first, len - first);
	c->buf_len += len;
	return 0;
}
