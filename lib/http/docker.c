/* The Docker Engine API subset: /v1.NN/..., /_ping, /version, /info.  */
#include "config.h"

#include <string.h>

#include "http/server.h"

bool
mr_docker_path (const char *path)
{
  return strncmp (path, "/v1.", 4) == 0 || strcmp (path, "/_ping") == 0
         || strcmp (path, "/version") == 0 || strcmp (path, "/info") == 0;
}

void
mr_docker_handle (struct mr_api *api, const struct mr_api_request *req, struct mr_api_response *res)
{
  (void)api;
  (void)req;
  res->status = 404;
  res->body = strdup ("{\"message\": \"page not found\"}");
}
