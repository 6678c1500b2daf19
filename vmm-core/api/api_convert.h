/* The core's info and metrics snapshots as protobuf messages, built with
 * malloc so a whole reply is freed with one free_unpacked call. */
#ifndef CELLVM_API_CONVERT_H
#define CELLVM_API_CONVERT_H

#include "api_backend.h"
#include "cellvm.pb-c.h"
#include "metrics.h"

/* NULL when out of memory. */
Cellvm__Info *api_info_to_msg(const struct vmm_info *info);
Cellvm__Metrics *api_metrics_to_msg(const struct metrics_snapshot *s);

#endif
