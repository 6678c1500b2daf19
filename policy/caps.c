/* Dropping capabilities for good, with libcap. */
#include <errno.h>
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "policy.h"

/* With these locked, becoming uid 0 again or execve as uid 0 gives no
 * capabilities back, and nothing can be raised into the ambient set. */
#define LOCKED_SECUREBITS                                                  \
	(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |    \
	 SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |          \
	 SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

static int have_setpcap(void)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t cur = cap_get_proc();

	if (!cur)
		return -errno;
	int ret = cap_get_flag(cur, CAP_SETPCAP, CAP_EFFECTIVE, &v);
	cap_free(cur);
	return ret < 0 ? -errno : v == CAP_SET;
}

int policy_drop_caps(void)
{
	int ret = have_setpcap();

	if (ret < 0)
		return ret;
	/* The bounding set and the securebits need CAP_SETPCAP; a process
	 * without it has nothing to put there either (it can only ever gain
	 * capabilities as uid 0, and uid 0 processes have CAP_SETPCAP). */
	if (ret) {
		if (cap_set_secbits(LOCKED_SECUREBITS) < 0)
			return -errno;
		for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++) {
			if (cap_drop_bound(c) < 0 && errno != EINVAL)
				return -errno;
		}
	}
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() < 0)
		return -errno;
	cap_t none = cap_init();
	if (!none)
		return -errno;
	ret = cap_set_proc(none) < 0 ? -errno : 0;
	cap_free(none);
	if (ret < 0)
		return ret;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
}
