/* Published ports and addresses of managed containers (ports.c): what
 * their live endpoints hold.  */
#ifndef MR_MANAGED_PORTS_H
#define MR_MANAGED_PORTS_H

#include <jansson.h>

#include "minirun.h"

/* info's ports, for a container of record in status (one endpoint file
   read for a bridged one that runs, nothing for the rest).  */
void mr_managed_ports_fill (struct mr_context *ctx, const char *name, json_t *record,
                            const char *status, struct mr_container_info *info);

/* mr_container_net for a managed container of record in status.  */
int mr_managed_net (struct mr_context *ctx, const char *name, json_t *record, const char *status,
                    struct mr_container_net *out, struct mr_error *err);

/* Sets doc's NetworkSettings as docker inspect shows them: Bridge, Ports,
   IPAddress, IPPrefixLen, Gateway, MacAddress, Networks.  */
int mr_managed_net_settings (struct mr_context *ctx, const char *name, json_t *record,
                             const char *status, json_t *doc, struct mr_error *err);

#endif
