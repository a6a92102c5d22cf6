/* The dashboard: one page, served from memory.  */
#include "config.h"

#include <string.h>

#include "http/server.h"

bool
mr_dashboard_path (const char *path)
{
  return strcmp (path, "/") == 0 || strcmp (path, "/index.html") == 0;
}

void
mr_dashboard_handle (struct mr_api *api, const struct mr_api_request *req,
                     struct mr_api_response *res)
{
  (void)api;
  (void)req;
  res->status = 200;
  res->static_body = mr_asset_dashboard_html;
  res->static_len = mr_asset_dashboard_html_len ();
  res->content_type = "text/html; charset=utf-8";
}
