/* The API's Config message and the core's struct vm_config, both ways.
 * Configure requests and the config file go through api_config_from_msg,
 * so both accept exactly the same machines (vm_config_check decides). */
#ifndef CELLVM_API_CONFIG_H
#define CELLVM_API_CONFIG_H

#include <stddef.h>

#include "cellvm.pb-c.h"
#include "vm_config.h"

/* 0, -EINVAL with a reason naming the field, or -ENOMEM. */
int api_config_from_msg(const Cellvm__Config *m, struct vm_config *out, char *err,
			size_t errlen);

/* A malloc'd message, freed with cellvm__config__free_unpacked(m, NULL);
 * NULL when out of memory. */
Cellvm__Config *api_config_to_msg(const struct vm_config *c);

/* malloc + init for any API message, so whole replies can be built and
 * freed with protobuf_c_message_free_unpacked(m, NULL). */
void *api_msg_new(const ProtobufCMessageDescriptor *d);
/* strdup that treats NULL as "". */
char *api_strdup(const char *s);

#endif
