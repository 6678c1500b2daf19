/* Sample series and their summaries: median, p10/p90 (linear interpolation
 * between order statistics), min and max. */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void series_add(struct series *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		double *nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv) {
			perror("bench: realloc");
			exit(1);
		}
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
}

void series_free(struct series *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double quantile(const double *sorted, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t lo = (size_t)floor(pos);
	size_t hi = lo + 1 < n ? lo + 1 : lo;
	double frac = pos - (double)lo;
	return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

bool series_summary(const struct series *s, struct summary *out)
{
	memset(out, 0, sizeof(*out));
	if (s->n == 0)
		return false;
	double *v = malloc(s->n * sizeof(*v));
	if (!v) {
		perror("bench: malloc");
		exit(1);
	}
	memcpy(v, s->v, s->n * sizeof(*v));
	qsort(v, s->n, sizeof(*v), cmp_double);
	out->n = s->n;
	out->min = v[0];
	out->max = v[s->n - 1];
	out->median = quantile(v, s->n, 0.5);
	out->p10 = quantile(v, s->n, 0.1);
	out->p90 = quantile(v, s->n, 0.9);
	free(v);
	return true;
}
