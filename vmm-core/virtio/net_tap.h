/* The core's side of a --net device: it opens the tap (the device program
 * never opens anything) and picks the MAC address when none was given. */
#ifndef CELLVM_NET_TAP_H
#define CELLVM_NET_TAP_H

#include <stdint.h>

/* Size of the virtio-net header (virtio 1.x: struct virtio_net_hdr_v1,
 * num_buffers included), set on the tap with TUNSETVNETHDRSZ so frames
 * move between tap and guest with their header as is. */
#define NET_TAP_VNET_HDR_LEN 12

/* Opens `queues` fds on the existing tap `name` (IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR, IFF_MULTI_QUEUE when queues > 1), non-blocking and
 * close-on-exec, with the 12-byte header. 0 and fds[0..queues), or a
 * negative errno after logging why: -ENODEV no such interface, -EBUSY
 * another process has it (or it is multi-queue and we asked for one
 * queue, or the reverse: -EINVAL), -EPERM not ours to attach. */
int net_tap_open(const char *name, unsigned int queues, int *fds);

/* The default MAC for a tap: 02:c7 (locally administered, unicast) then
 * the 32-bit FNV-1a hash of the tap's name, so a VM restarted on the
 * same tap keeps its address and two taps get different ones. */
void net_tap_default_mac(const char *name, uint8_t mac[6]);

#endif
