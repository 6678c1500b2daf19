/* What `make test` hands the integration tests: the cellvm binary, the
 * directory of its device programs, and the probe guest image. */
#ifndef CELLVM_TEST_ENV_H
#define CELLVM_TEST_ENV_H

struct env {
	const char *cellvm, *bin_dir, *probe;
};

/* Skips the calling test when the variables are missing (a test binary run
 * by hand), fails it when they name files that are not there. */
struct env test_env_need(void);

#endif
