/* Process exit codes of `cellvm run`. Documented in README.md; control
 * planes and tests rely on them, so values never change meaning. */
#ifndef CELLVM_EXIT_CODES_H
#define CELLVM_EXIT_CODES_H

enum cellvm_exit {
	EXIT_GUEST_OK        = 0,  /* guest reset via i8042 / debug-exit value 0 */
	EXIT_VMM_ERROR       = 1,  /* cellvm could not set up or run the VM */
	EXIT_USAGE           = 2,  /* bad command line or config file */
	EXIT_TRIPLE_FAULT    = 3,  /* KVM_EXIT_SHUTDOWN: the guest triple-faulted */
	EXIT_KVM_INTERNAL    = 4,  /* KVM could not run or emulate the guest */
	EXIT_API_STOPPED     = 5,  /* stopped through the API: kill, or a shutdown the guest
				    * did not finish in time */
	EXIT_DEBUG_BASE      = 64, /* + value (1..63) written to the debug-exit port */
	EXIT_SIGNAL_BASE     = 128,/* + signal number for SIGINT / SIGTERM */
};

/* A debug-exit value v becomes 0 for v == 0, else 64 + min(v, 63). */
static inline int exit_code_from_debug(unsigned int v)
{
	v &= 0xff;
	if (v == 0)
		return EXIT_GUEST_OK;
	return EXIT_DEBUG_BASE + (int)(v > 63 ? 63 : v);
}

#endif
