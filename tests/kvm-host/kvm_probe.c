/* kvm-probe: exits 0 when this host can run cellvm natively (/dev/kvm
 * opens, speaks API 12 and creates a VM with an in-kernel irqchip), else
 * prints why on stderr and exits 1. Opening the device is not enough: a
 * node can exist without a working module behind it, or refuse VMs. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int kvm_probe(const char *path)
{
	int kvm = -1, vm = -1, rc = -1;

	kvm = open(path, O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
		goto out;
	}
	int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		fprintf(stderr, "%s: KVM API version %d, need %d\n", path, api, KVM_API_VERSION);
		goto out;
	}
	do
		vm = ioctl(kvm, KVM_CREATE_VM, 0);
	while (vm < 0 && errno == EINTR);
	if (vm < 0) {
		fprintf(stderr, "%s: KVM_CREATE_VM: %s\n", path, strerror(errno));
		goto out;
	}
	if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0) {
		fprintf(stderr, "%s: no in-kernel irqchip (KVM_CAP_IRQCHIP)\n", path);
		goto out;
	}
	rc = 0;
out:
	if (vm >= 0)
		close(vm);
	if (kvm >= 0)
		close(kvm);
	return rc;
}

int main(int argc, char **argv)
{
	return kvm_probe(argc > 1 ? argv[1] : "/dev/kvm") == 0 ? 0 : 1;
}
