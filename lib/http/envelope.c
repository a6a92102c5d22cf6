/* The error envelope of the native API.  The server answers in it too
 * where it speaks before any router (a bad URL, a body too large), so it
 * is not the native router's own.  */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/server.h"

static const char *
error_type (unsigned status)
{
  switch (status)
    {
    case 400:
      return "bad_request";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 401:
      return "unauthorized";
    case 413:
      return "payload_too_large";
    case 503:
      return "unavailable";
    default:
      return "internal_error";
    }
}

/* A body that cannot be built (out of memory) is sent as this.  */
static char *
fallback_body (void)
{
  return strdup ("{\"success\": false, \"error\": {\"message\": \"out of memory\", "
                 "\"code\": 500, \"type\": \"internal_error\"}}");
}

char *
mr_api_error_body (unsigned status, const char *message)
{
  json_t *doc;
  char *body;

  doc = json_pack ("{s:b, s:{s:s, s:i, s:s}}", "success", 0, "error", "message", message, "code",
                   (int)status, "type", error_type (status));
  body = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
  json_decref (doc);
  return body ? body : fallback_body ();
}
