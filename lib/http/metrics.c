/* GET /metrics: Prometheus text format.  */
#include "config.h"

#include "http/server.h"
