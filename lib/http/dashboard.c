/* The dashboard: one page, served from memory.  It is served without a
 * token (it has no data of its own); its script asks for one when the API
 * answers 401.  */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "http/server.h"

/* The page's script and style are inline; everything it fetches is the
 * API of the same origin.  */
#define DASHBOARD_CSP                                                                              \
  "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "      \
  "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "                \
  "frame-ancestors 'none'"

static void
handle (struct mr_api *api, const struct mr_api_request *req, struct mr_api_response *res)
{
  char msg[128];

  (void)api;
  if (strcmp (req->method, "GET") != 0 && strcmp (req->method, "HEAD") != 0)
    {
      snprintf (msg, sizeof msg, "method %.16s not allowed on '%.32s': use GET or HEAD",
                req->method, req->path);
      res->status = 405;
      res->allow = "GET, HEAD";
      res->body = mr_api_error_body (405, msg);
      return;
    }
  /* browsers ask for it on their own: no icon, and no 404 in the log */
  if (strcmp (req->path, "/favicon.ico") == 0)
    {
      res->status = 204;
      res->static_body = "";
      res->static_len = 0;
      res->content_type = "image/x-icon";
      mr_api_response_header (res, "Cache-Control", "max-age=86400");
      return;
    }
  res->status = 200;
  res->static_body = mr_asset_dashboard_html;
  res->static_len = mr_asset_dashboard_html_len ();
  res->content_type = "text/html; charset=utf-8";
  mr_api_response_header (res, "Cache-Control", "no-cache");
  mr_api_response_header (res, "Content-Security-Policy", "%s", DASHBOARD_CSP);
  mr_api_response_header (res, "X-Content-Type-Options", "nosniff");
  mr_api_response_header (res, "X-Frame-Options", "DENY");
  mr_api_response_header (res, "Referrer-Policy", "no-referrer");
}

/* Every request of the page (GET or HEAD, from memory) is cheap.  */
static bool
runs_inline (const char *method, const char *path)
{
  (void)path;
  return mr_http_method_reads (method);
}

const struct mr_http_router mr_dashboard_router = {
  .handle = handle,
  .error_body = mr_api_error_body,
  .runs_inline = runs_inline,
  .no_auth = true,
};
