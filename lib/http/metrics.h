/* GET /metrics, in Prometheus text format (metrics.c).  */
#ifndef MR_HTTP_METRICS_H
#define MR_HTTP_METRICS_H

#include "http/server.h"

void mr_api_metrics (struct mr_api *api, struct mr_api_response *res);

#endif
