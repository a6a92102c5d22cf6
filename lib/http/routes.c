/* Where each API is mounted: the only place that names them all.  */
#include "config.h"

#include <string.h>

#include "http/server.h"

/* Docker's clients put the API version first (/v1.NN/...) but for the few
 * paths they ask before they know it.  The native API takes the rest,
 * under /api/v1 or not.  */
const struct mr_http_mount mr_http_mounts[] = {
  { "/", MR_HTTP_EXACT, &mr_dashboard_router },
  { "/index.html", MR_HTTP_EXACT, &mr_dashboard_router },
  { "/favicon.ico", MR_HTTP_EXACT, &mr_dashboard_router },
  { "/v1.", MR_HTTP_PREFIX, &mr_docker_router },
  { "/_ping", MR_HTTP_EXACT, &mr_docker_router },
  { "/version", MR_HTTP_EXACT, &mr_docker_router },
  { "/info", MR_HTTP_EXACT, &mr_docker_router },
  { "", MR_HTTP_PREFIX, &mr_api_router },
  { NULL, MR_HTTP_EXACT, NULL },
};

const struct mr_http_router *
mr_http_router_for (const char *path)
{
  const struct mr_http_mount *m;

  for (m = mr_http_mounts; m->path; m++)
    if (m->match == MR_HTTP_EXACT ? strcmp (path, m->path) == 0
                                  : strncmp (path, m->path, strlen (m->path)) == 0)
      return m->router;
  /* the table ends with a catch-all; this is for a table without one */
  return m[-1].router;
}

bool
mr_http_method_reads (const char *method)
{
  return strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0;
}

bool
mr_http_path_in (const char *path, const char *const *paths)
{
  for (; *paths; paths++)
    if (strcmp (path, *paths) == 0)
      return true;
  return false;
}
