#include "vcpu_gate.h"

#include <errno.h>
#include <time.h>

int vcpu_gate_init(struct vcpu_gate *g)
{
	pthread_condattr_t ca;
	int ret;

	g->closed = false;
	g->active = g->parked = 0;
	atomic_init(&g->pause, false);
	if ((ret = pthread_mutex_init(&g->lock, NULL)) != 0)
		return -ret;
	/* Timed waits on the monotonic clock: a wall-clock step must not
	 * make a pause give up early or hang. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	ret = pthread_cond_init(&g->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (ret != 0) {
		pthread_mutex_destroy(&g->lock);
		return -ret;
	}
	return 0;
}

void vcpu_gate_destroy(struct vcpu_gate *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
}

void vcpu_gate_enter(struct vcpu_gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->active++;
	pthread_mutex_unlock(&g->lock);
}

void vcpu_gate_leave(struct vcpu_gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->active--;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

void vcpu_gate_park(struct vcpu_gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->parked++;
	pthread_cond_broadcast(&g->cond);
	while (atomic_load(&g->pause) && !g->closed)
		pthread_cond_wait(&g->cond, &g->lock);
	g->parked--;
	pthread_mutex_unlock(&g->lock);
}

void vcpu_gate_request(struct vcpu_gate *g)
{
	pthread_mutex_lock(&g->lock);
	atomic_store_explicit(&g->pause, true, memory_order_seq_cst);
	pthread_mutex_unlock(&g->lock);
}

int vcpu_gate_wait_parked(struct vcpu_gate *g, int timeout_ms)
{
	struct timespec end;
	int ret = 0;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&g->lock);
	while (!g->closed && g->parked < g->active && ret == 0)
		ret = pthread_cond_timedwait(&g->cond, &g->lock, &end);
	if (g->closed)
		ret = -ECANCELED;
	else if (g->parked >= g->active)
		ret = 0;
	else
		ret = -ETIMEDOUT;
	pthread_mutex_unlock(&g->lock);
	return ret;
}

void vcpu_gate_resume(struct vcpu_gate *g)
{
	pthread_mutex_lock(&g->lock);
	atomic_store(&g->pause, false);
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

void vcpu_gate_close(struct vcpu_gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->closed = true;
	atomic_store(&g->pause, false);
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}
