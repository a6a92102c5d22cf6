/* The native API: /api/v1/... and the same paths without the prefix.  One
 * table (ROUTES in api-internal.h) names every route with its handler; the
 * router, the 405 answers and mr_api_routes[] (which docs/api.yaml is
 * checked against) are all made from it.  Here: the router and what every
 * handler uses (answers, query parameters, request bodies); the handlers
 * are in api-*.c by what they serve.  */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "http/api-internal.h"
#include "http/server.h"
#include "util/cleanup.h"
#include "util/json.h"

#define API_PREFIX "/api/v1"

void
api_fail (struct mr_api_response *res, unsigned status, const char *fmt, ...)
{
  char msg[MR_ERROR_MSG_MAX];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  res->status = status;
  free (res->body);
  res->body = mr_api_error_body (status, msg);
}

/* Takes data (a new reference, or NULL for out of memory).  */
void
api_succeed_status (struct mr_api_response *res, unsigned status, json_t *data)
{
  json_t *doc;

  if (data == NULL)
    return api_fail (res, 500, "out of memory");
  doc = json_pack ("{s:b, s:o}", "success", 1, "data", data);
  res->body = doc ? json_dumps (doc, JSON_COMPACT | JSON_REAL_PRECISION (15)) : NULL;
  json_decref (doc);
  if (res->body == NULL)
    return api_fail (res, 500, "out of memory");
  res->status = status;
}

void
api_succeed (struct mr_api_response *res, json_t *data)
{
  api_succeed_status (res, 200, data);
}

/* A JSON document from the library becomes the data of the response.  */
void
api_succeed_json (struct mr_api_response *res, unsigned status, const char *text)
{
  json_error_t jerr;
  json_t *data = json_loads (text, JSON_DECODE_ANY, &jerr);

  if (data == NULL)
    return api_fail (res, 500, "the library returned invalid JSON: %s", jerr.text);
  api_succeed_status (res, status, data);
}

/* Whether container name exists: a library error about it is then about its
 * state, not its existence.  */
bool
api_container_exists (struct mr_api *api, const char *name)
{
  cleanup_free char *json = NULL;
  struct mr_error err = { 0 };

  return mr_container_inspect (api->ctx, name, &json, &err) == 0;
}

void
api_fail_library (struct mr_api *api, struct mr_api_response *res, const char *name,
                  const struct mr_error *err)
{
  unsigned status = 500;

  switch (err->errnum)
    {
    case ENOENT:
    case ESRCH:
      if (name)
        status = api_container_exists (api, name) ? 409 : 404;
      else
        status = err->errnum == ENOENT ? 404 : 500;
      break;
    case EBUSY:
    case EEXIST:
      status = 409;
      break;
    case EINVAL:
      status = 400;
      break;
    case 0:
      /* "it is not running" carries no errno */
      if (name)
        status = api_container_exists (api, name) ? 409 : 404;
      break;
    default:
      break;
    }
  api_fail (res, status, "%s", err->msg);
}

/* --- text for JSON --------------------------------------------------------- */

/* Bytes as a JSON string: what is not UTF-8 becomes U+FFFD, so that a
   process's binary output never makes the response fail.  */
json_t *
api_json_text (const char *s, size_t len)
{
  cleanup_free char *out = NULL;
  json_t *j = json_stringn (s, len);
  size_t o = 0;

  if (j || len > SIZE_MAX / 3)
    return j;
  out = malloc (len * 3 + 1);
  if (out == NULL)
    return NULL;
  for (size_t i = 0; i < len;)
    {
      unsigned char c = (unsigned char)s[i];
      size_t n = c < 0x80             ? 1
                 : (c & 0xe0) == 0xc0 ? 2
                 : (c & 0xf0) == 0xe0 ? 3
                 : (c & 0xf8) == 0xf0 ? 4
                                      : 0;
      bool ok = n > 0 && i + n <= len && c != 0xc0 && c != 0xc1 && c <= 0xf4;

      for (size_t k = 1; ok && k < n; k++)
        ok = ((unsigned char)s[i + k] & 0xc0) == 0x80;
      /* overlong three-byte forms and UTF-16 surrogates */
      if (ok && n == 3)
        ok = !(c == 0xe0 && (unsigned char)s[i + 1] < 0xa0)
             && !(c == 0xed && (unsigned char)s[i + 1] >= 0xa0);
      if (ok && n == 4)
        ok = !(c == 0xf0 && (unsigned char)s[i + 1] < 0x90)
             && !(c == 0xf4 && (unsigned char)s[i + 1] >= 0x90);
      if (ok && !(n == 1 && c == 0))
        {
          memcpy (out + o, s + i, n);
          o += n;
          i += n;
        }
      else
        {
          memcpy (out + o, "\xef\xbf\xbd", 3);
          o += 3;
          i++;
        }
    }
  return json_stringn (out, o);
}

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* len bytes as base64 into out, which has room for (len + 2) / 3 * 4;
   returns the characters written.  */
size_t
api_base64_block (const unsigned char *in, size_t len, char *out)
{
  size_t o = 0;

  for (size_t i = 0; i < len; i += 3)
    {
      uint32_t v = (uint32_t)in[i] << 16;
      if (i + 1 < len)
        v |= (uint32_t)in[i + 1] << 8;
      if (i + 2 < len)
        v |= in[i + 2];
      out[o++] = b64_chars[(v >> 18) & 63];
      out[o++] = b64_chars[(v >> 12) & 63];
      out[o++] = i + 1 < len ? b64_chars[(v >> 6) & 63] : '=';
      out[o++] = i + 2 < len ? b64_chars[v & 63] : '=';
    }
  return o;
}

/* Standard base64 with padding; white space is not allowed.  */
int
api_base64_decode (const char *in, size_t len, unsigned char **out, size_t *out_len)
{
  unsigned char *buf;
  size_t o = 0;

  if (len % 4 != 0)
    return -1;
  buf = malloc (len / 4 * 3 + 1);
  if (buf == NULL)
    return -1;
  for (size_t i = 0; i < len; i += 4)
    {
      uint32_t v = 0;
      int pad = 0;

      for (size_t k = 0; k < 4; k++)
        {
          const char *p = in[i + k] ? strchr (b64_chars, in[i + k]) : NULL;
          if (in[i + k] == '=' && i + 4 == len && k >= 2 && (k == 3 || in[i + 3] == '='))
            {
              pad++;
              v <<= 6;
              continue;
            }
          if (p == NULL || pad > 0)
            {
              free (buf);
              return -1;
            }
          v = (v << 6) | (uint32_t)(p - b64_chars);
        }
      buf[o++] = (unsigned char)(v >> 16);
      if (pad < 2)
        buf[o++] = (unsigned char)(v >> 8);
      if (pad < 1)
        buf[o++] = (unsigned char)v;
    }
  *out = buf;
  *out_len = o;
  return 0;
}

/* --- query parameters ------------------------------------------------------ */

/* ?t=N: seconds before KILL; -1 when absent.  */
int
api_query_timeout (const struct mr_api_request *req, struct mr_api_response *res, int *timeout)
{
  const char *t = req->query (req->conn, "t");
  char *end;
  long n;

  *timeout = -1;
  if (t == NULL)
    return 0;
  errno = 0;
  n = strtol (t, &end, 10);
  if (*t < '0' || *t > '9' || *end != '\0' || errno != 0 || n > INT_MAX / 1000)
    {
      api_fail (res, 400, "invalid t '%s': expected seconds", t);
      return -1;
    }
  *timeout = (int)n;
  return 0;
}

int
api_query_bool (const struct mr_api_request *req, struct mr_api_response *res, const char *key,
                bool *out)
{
  const char *v = req->query (req->conn, key);

  *out = false;
  if (v == NULL || strcmp (v, "false") == 0 || strcmp (v, "0") == 0)
    return 0;
  if (strcmp (v, "true") == 0 || strcmp (v, "1") == 0 || *v == '\0')
    {
      *out = true;
      return 0;
    }
  api_fail (res, 400, "invalid %s '%s': expected true or false", key, v);
  return -1;
}

/* --- request bodies -------------------------------------------------------- */

/* The body as a JSON object; *doc NULL with an empty body when allow_empty.  */
int
api_body_object (const struct mr_api_request *req, struct mr_api_response *res, bool allow_empty,
                 json_t **doc)
{
  json_error_t e;

  *doc = NULL;
  if (req->body == NULL || req->body_len == 0)
    {
      if (allow_empty)
        return 0;
      api_fail (res, 400, "a JSON object is expected as the request body");
      return -1;
    }
  *doc = json_loadb (req->body, req->body_len, 0, &e);
  if (*doc == NULL)
    {
      api_fail (res, 400, "invalid JSON body: %s (line %d, column %d)", e.text, e.line, e.column);
      return -1;
    }
  if (!json_is_object (*doc))
    {
      json_decref (*doc);
      *doc = NULL;
      api_fail (res, 400, "the request body must be a JSON object");
      return -1;
    }
  return 0;
}

/* Every key of doc must be one of known (NULL-terminated).  */
int
api_check_fields (const json_t *doc, const char *const *known, struct mr_api_response *res)
{
  const char *key;
  json_t *v;

  json_object_foreach ((json_t *)doc, key, v)
  {
    size_t i;
    for (i = 0; known[i]; i++)
      if (strcmp (known[i], key) == 0)
        break;
    if (known[i] == NULL)
      {
        api_fail (res, 400, "unknown field '%s'", key);
        return -1;
      }
  }
  return 0;
}

int
api_bad_type (struct mr_api_response *res, const char *field, const char *want)
{
  api_fail (res, 400, "invalid field '%s': expected %s", field, want);
  return -1;
}

/* A string field; absent or null leaves *out NULL.  */
int
api_field_string (const json_t *doc, const char *key, const char **out, struct mr_api_response *res)
{
  json_t *v = json_object_get (doc, key);

  *out = NULL;
  if (v == NULL || json_is_null (v))
    return 0;
  if (!json_is_string (v))
    return api_bad_type (res, key, "a string");
  if (strlen (json_string_value (v)) != json_string_length (v))
    return api_bad_type (res, key, "a string without NUL characters");
  *out = json_string_value (v);
  return 0;
}

/* An integer field in [min, max]; absent or null: *set false.  */
int
api_field_int (const json_t *doc, const char *key, json_int_t min, json_int_t max, json_int_t *out,
               bool *set, struct mr_api_response *res)
{
  json_t *v = json_object_get (doc, key);

  *set = false;
  if (v == NULL || json_is_null (v))
    return 0;
  if (!json_is_integer (v))
    return api_bad_type (res, key, "an integer");
  *out = json_integer_value (v);
  if (*out < min || *out > max)
    {
      api_fail (res, 400, "invalid field '%s': %" JSON_INTEGER_FORMAT " is out of range", key,
                *out);
      return -1;
    }
  *set = true;
  return 0;
}

int
api_field_bool (const json_t *doc, const char *key, bool *out, struct mr_api_response *res)
{
  json_t *v = json_object_get (doc, key);

  *out = false;
  if (v == NULL || json_is_null (v))
    return 0;
  if (!json_is_boolean (v))
    return api_bad_type (res, key, "true or false");
  *out = json_is_true (v);
  return 0;
}

void
api_strv_clear (struct strv *s)
{
  for (size_t i = 0; i < s->n; i++)
    free (s->v[i]);
  free (s->v);
  s->v = NULL;
  s->n = 0;
}

/* Takes str.  */
int
api_strv_add (struct strv *s, char *str)
{
  char **nv;

  if (str == NULL)
    return -1;
  nv = realloc (s->v, (s->n + 2) * sizeof *nv);
  if (nv == NULL)
    {
      free (str);
      return -1;
    }
  s->v = nv;
  s->v[s->n++] = str;
  s->v[s->n] = NULL;
  return 0;
}

const char *const *
api_strv_get (const struct strv *s)
{
  return (const char *const *)s->v;
}

static int
oom (struct mr_api_response *res)
{
  api_fail (res, 500, "out of memory");
  return -1;
}

/* An array of strings (each checked), or with shell a string run by
   "sh -c".  */
int
api_field_strings (const json_t *doc, const char *key, bool shell, struct strv *out,
                   struct mr_api_response *res)
{
  const char *want = shell ? "an array of strings or a string" : "an array of strings";
  json_t *v = json_object_get (doc, key);
  size_t i;
  json_t *item;

  if (v == NULL || json_is_null (v))
    return 0;
  if (shell && json_is_string (v))
    {
      if (strlen (json_string_value (v)) != json_string_length (v))
        return api_bad_type (res, key, "a string without NUL characters");
      if (api_strv_add (out, strdup ("sh")) < 0 || api_strv_add (out, strdup ("-c")) < 0
          || api_strv_add (out, strdup (json_string_value (v))) < 0)
        return oom (res);
      return 0;
    }
  if (!json_is_array (v))
    return api_bad_type (res, key, want);
  json_array_foreach (v, i, item)
  {
    if (!json_is_string (item) || strlen (json_string_value (item)) != json_string_length (item))
      {
        api_fail (res, 400, "invalid field '%s': item %zu is not a string", key, i);
        return -1;
      }
    if (api_strv_add (out, strdup (json_string_value (item))) < 0)
      return oom (res);
  }
  return 0;
}

/* "K=V" strings from an array of them or from an object of string values
   (env, labels).  A bare "K" is refused: the CLI gives it the caller's
   value, and the server's environment is none of a client's business.  */
int
api_field_pairs (const json_t *doc, const char *key, bool array_too, struct strv *out,
                 struct mr_api_response *res)
{
  json_t *v = json_object_get (doc, key);
  const char *k;
  json_t *item;

  if (v == NULL || json_is_null (v))
    return 0;
  if (array_too && json_is_array (v))
    {
      if (api_field_strings (doc, key, false, out, res) < 0)
        return -1;
      for (size_t i = 0; i < out->n; i++)
        if (out->v[i][0] == '=' || strchr (out->v[i], '=') == NULL)
          {
            api_fail (res, 400, "invalid field '%s': item %zu is not of the form KEY=VALUE", key,
                      i);
            return -1;
          }
      return 0;
    }
  if (!json_is_object (v))
    return api_bad_type (res, key,
                         array_too ? "an object of strings or an array of \"KEY=VALUE\""
                                   : "an object of strings");
  json_object_foreach (v, k, item)
  {
    char *pair;
    if (!json_is_string (item) || strlen (json_string_value (item)) != json_string_length (item))
      {
        api_fail (res, 400, "invalid field '%s': the value of '%s' is not a string", key, k);
        return -1;
      }
    if (*k == '\0' || strchr (k, '=') != NULL)
      {
        api_fail (res, 400, "invalid field '%s': invalid name '%s'", key, k);
        return -1;
      }
    if (asprintf (&pair, "%s=%s", k, json_string_value (item)) < 0)
      return oom (res);
    if (api_strv_add (out, pair) < 0)
      return oom (res);
  }
  return 0;
}

/* user: "UID[:GID]" or a number.  */
int
api_field_user (const json_t *doc, char **out, struct mr_api_response *res)
{
  json_t *v = json_object_get (doc, "user");

  *out = NULL;
  if (v == NULL || json_is_null (v))
    return 0;
  if (json_is_integer (v))
    {
      if (json_integer_value (v) < 0 || json_integer_value (v) >= UINT_MAX)
        return api_bad_type (res, "user", "a uid from 0 to 4294967294");
      if (asprintf (out, "%" JSON_INTEGER_FORMAT, json_integer_value (v)) < 0)
        {
          *out = NULL;
          return oom (res);
        }
      return 0;
    }
  if (!json_is_string (v))
    return api_bad_type (res, "user", "\"UID[:GID]\" or a number");
  *out = strdup (json_string_value (v));
  return *out ? 0 : oom (res);
}

/* --- the router ------------------------------------------------------------ */

#define ROUTE_ENTRY(m, p, f) { m, p },
#define ROUTE_HANDLER(m, p, f) api_##f,

const struct mr_api_route mr_api_routes[] = { ROUTES (ROUTE_ENTRY){ NULL, NULL } };

typedef void handler_fn (struct mr_api *api, const struct mr_api_request *req, const char *name,
                         struct mr_api_response *res);

static handler_fn *const handlers[] = { ROUTES (ROUTE_HANDLER) };

/* Whether path matches pattern; *name, *name_len: the {name} segment.  */
static bool
route_match (const char *pattern, const char *path, const char **name, size_t *name_len)
{
  *name = NULL;
  *name_len = 0;
  while (*pattern && *path)
    {
      if (strncmp (pattern, "{name}", 6) == 0)
        {
          size_t n = strcspn (path, "/");
          if (n == 0)
            return false;
          *name = path;
          *name_len = n;
          path += n;
          pattern += 6;
          continue;
        }
      if (*pattern != *path)
        return false;
      pattern++;
      path++;
    }
  return *pattern == '\0' && *path == '\0';
}

/* The path as the routes see it: /api/v1 is a prefix.  */
static const char *
unprefixed (const char *path)
{
  size_t plen = strlen (API_PREFIX);

  return strncmp (path, API_PREFIX, plen) == 0 && path[plen] == '/' ? path + plen : path;
}

static void
handle (struct mr_api *api, const struct mr_api_request *req, struct mr_api_response *res)
{
  /* the Allow header of a 405 outlives this call until the response is
     made, in this same thread */
  static __thread char allow[64];
  const char *method = strcmp (req->method, "HEAD") == 0 ? "GET" : req->method;
  const char *path = unprefixed (req->path);
  bool known_path = false;

  allow[0] = '\0';
  for (size_t i = 0; mr_api_routes[i].method; i++)
    {
      const char *seg;
      size_t seg_len;
      cleanup_free char *name = NULL;
      struct mr_error err = { 0 };

      if (!route_match (mr_api_routes[i].pattern, path, &seg, &seg_len))
        continue;
      if (strcmp (mr_api_routes[i].method, method) != 0)
        {
          size_t used = strlen (allow);
          snprintf (allow + used, sizeof allow - used, "%s%s", used ? ", " : "",
                    mr_api_routes[i].method);
          known_path = true;
          continue;
        }
      if (seg)
        {
          name = strndup (seg, seg_len);
          if (name == NULL)
            return api_fail (res, 500, "out of memory");
          if (mr_id_validate (name, &err) < 0)
            return api_fail (res, 400, "%s", err.msg);
        }
      return handlers[i](api, req, name, res);
    }
  if (known_path)
    {
      res->allow = allow;
      return api_fail (res, 405, "method %s not allowed on '%s': use %s", req->method, req->path,
                       allow);
    }
  api_fail (res, 404, "no route for '%s'", req->path);
}

/* The cheap reads: health, the list (cached), one container, the document,
 * the ports, the host.  */
static bool
runs_inline (const char *method, const char *path)
{
  static const char *const fixed[] = {
    "/health", "/containers", "/openapi.yaml", "/ports", "/system/info", NULL,
  };
  const char *name;

  path = unprefixed (path);
  if (!mr_http_method_reads (method))
    return false;
  if (mr_http_path_in (path, fixed))
    return true;
  if (strncmp (path, "/containers/", 12) != 0)
    return false;
  name = path + 12;
  return *name != '\0' && strchr (name, '/') == NULL;
}

/* /metrics answers while every slot is taken: that is when it is read.  */
static bool
exempt (const char *method, const char *path)
{
  return strcmp (method, "GET") == 0 && strcmp (unprefixed (path), "/metrics") == 0;
}

const struct mr_http_router mr_api_router = {
  .handle = handle,
  .error_body = mr_api_error_body,
  .runs_inline = runs_inline,
  .exempt = exempt,
};
