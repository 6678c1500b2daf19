#include "api_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *api_msg_new(const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m = malloc(d->sizeof_message);

	if (m)
		d->message_init(m);
	return m;
}

char *api_strdup(const char *s)
{
	return strdup(s ? s : "");
}

#define FAIL(...)                                   \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		return -EINVAL;                     \
	} while (0)

static int set_str(char *dst, size_t cap, const char *src, const char *what, char *err,
		   size_t errlen)
{
	if (vm_config_set_str(dst, cap, src ? src : "") < 0)
		FAIL("%s is longer than %zu bytes", what, cap - 1);
	return 0;
}

static struct dev_spec *add_dev(struct vm_config *c, char *err, size_t errlen)
{
	if (c->ndevs >= VM_MAX_DEVICES) {
		snprintf(err, errlen, "at most %d devices (drives, rng, vhost_user, vsock and nets together)",
			 VM_MAX_DEVICES);
		return NULL;
	}
	struct dev_spec *d = &c->devs[c->ndevs++];
	memset(d, 0, sizeof(*d));
	return d;
}

int api_config_from_msg(const Cellvm__Config *m, struct vm_config *out, char *err,
			size_t errlen)
{
	char what[64];
	int ret;

	vm_config_defaults(out);
	if (m->machine) {
		if (m->machine->vcpus)
			out->cpus = m->machine->vcpus;
		if (m->machine->mem_mib)
			out->mem_mib = m->machine->mem_mib;
	}
	if (m->boot_source) {
		const Cellvm__BootSource *b = m->boot_source;
		if ((ret = set_str(out->kernel, sizeof(out->kernel), b->kernel, "boot_source.kernel",
				   err, errlen)) < 0 ||
		    (ret = set_str(out->initrd, sizeof(out->initrd), b->initrd, "boot_source.initrd",
				   err, errlen)) < 0 ||
		    (ret = set_str(out->cmdline, sizeof(out->cmdline), b->cmdline,
				   "boot_source.cmdline", err, errlen)) < 0)
			return ret;
	}
	for (size_t i = 0; i < m->n_drives; i++) {
		const Cellvm__Drive *dr = m->drives[i];
		struct dev_spec *d = add_dev(out, err, errlen);
		if (!d)
			return -EINVAL;
		d->kind = DEV_DISK;
		d->read_only = dr->read_only;
		snprintf(what, sizeof(what), "drives[%zu].path", i);
		if ((ret = set_str(d->path, sizeof(d->path), dr->path, what, err, errlen)) < 0)
			return ret;
		snprintf(what, sizeof(what), "drives[%zu].id", i);
		if ((ret = set_str(d->id, sizeof(d->id), dr->id, what, err, errlen)) < 0)
			return ret;
		if (!d->path[0])
			FAIL("drives[%zu].path is required", i);
		if (vm_config_restart_parse(dr->restart, &d->restart) < 0)
			FAIL("drives[%zu].restart must be \"on-failure\" or \"never\"", i);
	}
	if (m->rng) {
		struct dev_spec *d = add_dev(out, err, errlen);
		if (!d)
			return -EINVAL;
		d->kind = DEV_RNG;
		if (vm_config_restart_parse(m->rng->restart, &d->restart) < 0)
			FAIL("rng.restart must be \"on-failure\" or \"never\"");
	}
	for (size_t i = 0; i < m->n_vhost_user; i++) {
		const Cellvm__VhostUser *vu = m->vhost_user[i];
		struct dev_spec *d = add_dev(out, err, errlen);
		if (!d)
			return -EINVAL;
		d->kind = DEV_VHOST_USER;
		d->virtio_id = vm_config_virtio_type(vu->type ? vu->type : "");
		if (!d->virtio_id)
			FAIL("vhost_user[%zu].type must be \"blk\" or \"rng\"", i);
		snprintf(what, sizeof(what), "vhost_user[%zu].socket", i);
		if ((ret = set_str(d->path, VM_SOCK_PATH_MAX + 1, vu->socket, what, err, errlen)) < 0)
			return ret;
		if (!d->path[0])
			FAIL("vhost_user[%zu].socket is required", i);
		/* Someone else's backend: reconnected to only when asked. */
		d->restart = DEV_RESTART_NEVER;
		if (vu->restart && vu->restart[0] &&
		    vm_config_restart_parse(vu->restart, &d->restart) < 0)
			FAIL("vhost_user[%zu].restart must be \"on-failure\" or \"never\"", i);
	}
	if (m->vsock) {
		struct dev_spec *d = add_dev(out, err, errlen);
		if (!d)
			return -EINVAL;
		d->kind = DEV_VSOCK;
		d->guest_cid = m->vsock->guest_cid;
		if ((ret = set_str(d->path, VM_VSOCK_PATH_MAX + 1, m->vsock->uds_path,
				   "vsock.uds_path", err, errlen)) < 0)
			return ret;
		if (!d->guest_cid)
			FAIL("vsock.guest_cid is required");
		if (!d->path[0])
			FAIL("vsock.uds_path is required");
		if (vm_config_restart_parse(m->vsock->restart, &d->restart) < 0)
			FAIL("vsock.restart must be \"on-failure\" or \"never\"");
	}
	for (size_t i = 0; i < m->n_nets; i++) {
		const Cellvm__Net *n = m->nets[i];
		struct dev_spec *d = add_dev(out, err, errlen);
		if (!d)
			return -EINVAL;
		d->kind = DEV_NET;
		snprintf(what, sizeof(what), "nets[%zu].tap", i);
		if ((ret = set_str(d->path, VM_NET_TAP_MAX + 1, n->tap, what, err, errlen)) < 0)
			return ret;
		if (!d->path[0])
			FAIL("nets[%zu].tap is required", i);
		if (n->mac && n->mac[0]) {
			if (vm_config_parse_mac(n->mac, d->mac) < 0)
				FAIL("nets[%zu].mac must look like 02:00:00:00:00:01", i);
			d->has_mac = true;
		}
		d->mtu = n->mtu;
		d->queues = n->queues;
		if (vm_config_restart_parse(n->restart, &d->restart) < 0)
			FAIL("nets[%zu].restart must be \"on-failure\" or \"never\"", i);
	}
	if (!out->kernel[0])
		FAIL("boot_source.kernel is required");
	return vm_config_check(out, err, errlen);
}

/* The default goes out as "" (absent in JSON), so configurations written
 * before the field existed read back unchanged. */
static const char *restart_str(const struct dev_spec *d)
{
	return d->restart == DEV_RESTART_ON_FAILURE ? "" : vm_config_restart_name(d->restart);
}

static int add_drive(Cellvm__Config *m, const struct dev_spec *d)
{
	Cellvm__Drive *dr = api_msg_new(&cellvm__drive__descriptor);

	if (!dr)
		return -ENOMEM;
	m->drives[m->n_drives++] = dr;
	dr->path = api_strdup(d->path);
	dr->id = api_strdup(d->id);
	dr->read_only = d->read_only;
	dr->restart = api_strdup(restart_str(d));
	return dr->path && dr->id && dr->restart ? 0 : -ENOMEM;
}

static int add_vhost_user(Cellvm__Config *m, const struct dev_spec *d)
{
	Cellvm__VhostUser *vu = api_msg_new(&cellvm__vhost_user__descriptor);

	if (!vu)
		return -ENOMEM;
	m->vhost_user[m->n_vhost_user++] = vu;
	vu->type = api_strdup(vm_config_virtio_name(d->virtio_id));
	vu->socket = api_strdup(d->path);
	vu->restart = api_strdup(d->restart == DEV_RESTART_ON_FAILURE ? "on-failure" : "");
	return vu->type && vu->socket && vu->restart ? 0 : -ENOMEM;
}

static int add_vsock(Cellvm__Config *m, const struct dev_spec *d)
{
	if (m->vsock)
		return 0; /* vm_config_check allows one */
	if (!(m->vsock = api_msg_new(&cellvm__vsock__descriptor)))
		return -ENOMEM;
	m->vsock->guest_cid = d->guest_cid;
	m->vsock->uds_path = api_strdup(d->path);
	m->vsock->restart = api_strdup(restart_str(d));
	return m->vsock->uds_path && m->vsock->restart ? 0 : -ENOMEM;
}

static int add_net(Cellvm__Config *m, const struct dev_spec *d)
{
	Cellvm__Net *n = api_msg_new(&cellvm__net__descriptor);
	char mac[VM_MAC_STR_LEN] = "";

	if (!n)
		return -ENOMEM;
	m->nets[m->n_nets++] = n;
	if (d->has_mac)
		vm_config_format_mac(d->mac, mac);
	n->tap = api_strdup(d->path);
	n->mac = api_strdup(mac);
	n->mtu = d->mtu;
	n->queues = d->queues;
	n->restart = api_strdup(restart_str(d));
	return n->tap && n->mac && n->restart ? 0 : -ENOMEM;
}

Cellvm__Config *api_config_to_msg(const struct vm_config *c)
{
	Cellvm__Config *m = api_msg_new(&cellvm__config__descriptor);
	int ret = 0;

	if (!m)
		return NULL;
	m->machine = api_msg_new(&cellvm__machine_config__descriptor);
	m->boot_source = api_msg_new(&cellvm__boot_source__descriptor);
	if (c->ndevs) {
		m->drives = calloc(c->ndevs, sizeof(*m->drives));
		m->vhost_user = calloc(c->ndevs, sizeof(*m->vhost_user));
		m->nets = calloc(c->ndevs, sizeof(*m->nets));
	}
	if (!m->machine || !m->boot_source ||
	    (c->ndevs && (!m->drives || !m->vhost_user || !m->nets)))
		goto fail;
	m->machine->vcpus = c->cpus;
	m->machine->mem_mib = c->mem_mib;
	m->boot_source->kernel = api_strdup(c->kernel);
	m->boot_source->initrd = api_strdup(c->initrd);
	m->boot_source->cmdline = api_strdup(c->cmdline);
	if (!m->boot_source->kernel || !m->boot_source->initrd || !m->boot_source->cmdline)
		goto fail;
	for (unsigned int i = 0; i < c->ndevs && ret == 0; i++) {
		const struct dev_spec *d = &c->devs[i];
		switch (d->kind) {
		case DEV_DISK:
			ret = add_drive(m, d);
			break;
		case DEV_RNG:
			if (!m->rng && !(m->rng = api_msg_new(&cellvm__rng__descriptor)))
				ret = -ENOMEM;
			else if (!(m->rng->restart = api_strdup(restart_str(d))))
				ret = -ENOMEM;
			break;
		case DEV_VSOCK:
			ret = add_vsock(m, d);
			break;
		case DEV_NET:
			ret = add_net(m, d);
			break;
		case DEV_VHOST_USER:
		default:
			ret = add_vhost_user(m, d);
			break;
		}
	}
	if (ret < 0)
		goto fail;
	/* Arrays were sized for every device; drop the ones left empty. */
	if (!m->n_drives) {
		free(m->drives);
		m->drives = NULL;
	}
	if (!m->n_vhost_user) {
		free(m->vhost_user);
		m->vhost_user = NULL;
	}
	if (!m->n_nets) {
		free(m->nets);
		m->nets = NULL;
	}
	return m;
fail:
	cellvm__config__free_unpacked(m, NULL);
	return NULL;
}
