/* The Docker Engine API subset: /v1.NN/..., /_ping, /version, /info.
 *
 * Enough of the Engine API for the docker CLI and docker-py to list,
 * create, start, stop, kill, wait for, inspect, exec in, read the logs and
 * stats of, and remove managed containers, to list the image store, and
 * to list, inspect, create, remove and prune networks.
 * Container ids are minirun's names (clients take any string as an id);
 * a unique prefix of a name is accepted too.  OCI containers, which some
 * other engine supervises, are not shown: Docker's clients could do little
 * with them.
 *
 * Here: the router and what every handler uses (answers, times); the
 * handlers are in docker-*.c by what they serve.  */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "http/docker-internal.h"
#include "http/server.h"
#include "managed/runconfig.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/json.h"

const char *
docker_query (const struct dreq *d, const char *key)
{
  return d->req->query (d->req->conn, key);
}

/* Docker reads a flag as false when empty, 0, no, false or none.  */
bool
docker_query_flag (const struct dreq *d, const char *key)
{
  const char *v = docker_query (d, key);

  if (v == NULL)
    return false;
  return !(*v == '\0' || strcmp (v, "0") == 0 || strcasecmp (v, "no") == 0
           || strcasecmp (v, "false") == 0 || strcasecmp (v, "none") == 0);
}

/* --- responses ------------------------------------------------------------ */

void
docker_fail (struct dreq *d, unsigned status, const char *fmt, ...)
{
  char msg[MR_ERROR_MSG_MAX];
  json_t *doc;
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  d->res->status = status;
  doc = json_pack ("{s:s}", "message", msg);
  d->res->body = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
  json_decref (doc);
  if (d->res->body == NULL)
    d->res->body = strdup ("{\"message\":\"out of memory\"}");
}

/* Takes doc (a new reference; NULL: out of memory).  */
void
docker_reply (struct dreq *d, unsigned status, json_t *doc)
{
  char *body = doc ? json_dumps (doc, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

  json_decref (doc);
  if (body == NULL)
    return docker_fail (d, 500, "out of memory");
  d->res->status = status;
  d->res->body = body;
}

/* 204 and 304: no body.  */
void
docker_reply_empty (struct dreq *d, unsigned status)
{
  d->res->status = status;
  d->res->static_body = "";
  d->res->static_len = 0;
  d->res->content_type = "text/plain; charset=utf-8";
}

bool
docker_container_exists (struct mr_api *api, const char *name)
{
  return mr_container_is_managed (api->ctx, name);
}

/* A library error as Docker's status: 404 for a container that is not
 * there, 409 for one in the wrong state or a name in use.  */
void
docker_fail_library (struct dreq *d, const char *name, const struct mr_error *err)
{
  unsigned status = 500;

  if (name && !docker_container_exists (d->api, name))
    return docker_fail (d, 404, "No such container: %s", name);
  switch (err->errnum)
    {
    case ENOENT:
    case EBUSY:
    case EEXIST:
    case ESRCH:
    case 0:
      status = name ? 409 : 500;
      break;
    case EINVAL:
      status = 400;
      break;
    default:
      break;
    }
  docker_fail (d, status, "%s", err->msg);
}

/* --- times ------------------------------------------------------------------ */

/* RFC 3339 in UTC ("2024-05-01T10:00:00.123456789Z") to seconds; 0 when
 * it is not one (or is Go's zero time).  */
int64_t
docker_parse_time (const char *s)
{
  struct tm tm = { 0 };
  const char *rest;
  time_t t;

  if (s == NULL || strncmp (s, "0001-", 5) == 0)
    return 0;
  rest = strptime (s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == NULL)
    return 0;
  t = timegm (&tm);
  return t < 0 ? 0 : (int64_t)t;
}

/* Go's units.HumanDuration, which docker ps prints.  */
void
docker_human_duration (int64_t secs, char *buf, size_t len)
{
  int64_t hours;

  if (secs < 1)
    snprintf (buf, len, "Less than a second");
  else if (secs == 1)
    snprintf (buf, len, "1 second");
  else if (secs < 60)
    snprintf (buf, len, "%lld seconds", (long long)secs);
  else if (secs / 60 == 1)
    snprintf (buf, len, "About a minute");
  else if (secs / 60 < 60)
    snprintf (buf, len, "%lld minutes", (long long)(secs / 60));
  else if ((hours = (secs + 1800) / 3600) == 1)
    snprintf (buf, len, "About an hour");
  else if (hours < 48)
    snprintf (buf, len, "%lld hours", (long long)hours);
  else if (hours < 24 * 7 * 2)
    snprintf (buf, len, "%lld days", (long long)(hours / 24));
  else if (hours < 24 * 30 * 2)
    snprintf (buf, len, "%lld weeks", (long long)(hours / 24 / 7));
  else if (hours < 24 * 365 * 2)
    snprintf (buf, len, "%lld months", (long long)(hours / 24 / 30));
  else
    snprintf (buf, len, "%lld years", (long long)(secs / 3600 / 24 / 365));
}

void
docker_rfc3339_now (char *buf, size_t len)
{
  struct timespec ts;
  struct tm tm;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  snprintf (buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
            tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

/* --- routing ---------------------------------------------------------------- */

static void
std_headers (struct mr_api_response *res, bool upgrade)
{
  mr_api_response_header (res, "Api-Version", API_VERSION);
  mr_api_response_header (res, "Ostype", "linux");
  if (!upgrade)
    {
      mr_api_response_header (res, "Docker-Experimental", "false");
      mr_api_response_header (res, "Server", "minirun/%s", mr_version ());
    }
}

static bool
method (struct dreq *d, const char *want)
{
  if (strcmp (d->req->method, want) == 0
      || (strcmp (want, "GET") == 0 && strcmp (d->req->method, "HEAD") == 0))
    return true;
  d->res->allow = want;
  docker_fail (d, 405, "method %s not allowed on '%s': use %s", d->req->method, d->req->path, want);
  return false;
}

/* /containers/{id}/... ; rest points after "/containers/".  */
static void
route_container (struct dreq *d, const char *rest)
{
  static const struct
  {
    const char *name;
    const char *method;
    enum action act;
  } acts[] = {
    { "start", "POST", ACT_START },     { "stop", "POST", ACT_STOP },
    { "restart", "POST", ACT_RESTART }, { "kill", "POST", ACT_KILL },
    { "pause", "POST", ACT_PAUSE },     { "unpause", "POST", ACT_UNPAUSE },
  };
  static const struct
  {
    const char *name;
    const char *method;
    void (*fn) (struct dreq *d, const char *name);
  } verbs[] = {
    { "json", "GET", docker_get_container }, { "wait", "POST", docker_post_wait },
    { "logs", "GET", docker_get_logs },      { "stats", "GET", docker_get_stats },
    { "top", "GET", docker_get_top },        { "exec", "POST", docker_post_exec_create },
  };
  const char *slash = strchr (rest, '/');
  cleanup_free char *id = strndup (rest, slash ? (size_t)(slash - rest) : strlen (rest));
  cleanup_free char *name = NULL;
  const char *verb = slash ? slash + 1 : "";

  if (id == NULL)
    return docker_fail (d, 500, "out of memory");
  if (*verb == '\0' && strcmp (d->req->method, "DELETE") != 0)
    return docker_fail (d, 404, "page not found");
  if (strcmp (verb, "attach") == 0 || strcmp (verb, "resize") == 0
      || strcmp (verb, "attach/ws") == 0)
    return docker_fail (
        d, 501,
        "attaching to a container is not supported by minirun serve: run it detached "
        "and read its logs");
  name = docker_resolve (d, id);
  if (name == NULL)
    return;
  if (*verb == '\0')
    return docker_change (d, ACT_DELETE, name);
  for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
    if (strcmp (verb, acts[i].name) == 0)
      {
        if (method (d, acts[i].method))
          docker_change (d, acts[i].act, name);
        return;
      }
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (strcmp (verb, verbs[i].name) == 0)
      {
        if (method (d, verbs[i].method))
          verbs[i].fn (d, name);
        return;
      }
  docker_fail (d, 404, "page not found");
}

/* /exec/{id}/... ; id points after "/exec/".  */
static void
route_exec (struct dreq *d, const char *id)
{
  const char *slash = strchr (id, '/');
  cleanup_free char *eid = slash ? strndup (id, (size_t)(slash - id)) : NULL;

  if (eid && strcmp (slash, "/start") == 0)
    {
      if (method (d, "POST"))
        docker_post_exec_start (d, eid);
    }
  else if (eid && strcmp (slash, "/json") == 0)
    {
      if (method (d, "GET"))
        docker_get_exec (d, eid);
    }
  else if (eid && strcmp (slash, "/resize") == 0)
    docker_fail (d, 501, "exec with a terminal is not supported by minirun serve");
  else
    docker_fail (d, 404, "page not found");
}

/* /images/... */
static void
route_image (struct dreq *d, const char *path)
{
  size_t len = strlen (path);

  if (strcmp (path, "/images/json") == 0)
    {
      if (method (d, "GET"))
        docker_get_images (d);
    }
  else if (len > 13 && strcmp (path + len - 5, "/json") == 0)
    {
      cleanup_free char *name = strndup (path + 8, len - 13);
      if (name == NULL)
        return docker_fail (d, 500, "out of memory");
      if (method (d, "GET"))
        docker_get_image (d, name);
    }
  else if (strcmp (path, "/images/create") == 0)
    docker_fail (d, 501,
                 "pulling images is not supported by minirun serve: add one with `minirun image "
                 "add NAME DIR`");
  else
    docker_fail (d, 404, "page not found");
}

/* /networks and /networks/... ; rest points after "/networks".  */
static void
route_network (struct dreq *d, const char *rest)
{
  const char *slash;

  if (*rest == '\0')
    {
      if (method (d, "GET"))
        docker_get_networks (d);
      return;
    }
  rest++;
  if (strcmp (rest, "create") == 0)
    {
      if (method (d, "POST"))
        docker_post_network_create (d);
      return;
    }
  if (strcmp (rest, "prune") == 0)
    {
      if (method (d, "POST"))
        docker_post_networks_prune (d);
      return;
    }
  slash = strchr (rest, '/');
  if (*rest == '\0' || slash == rest)
    return docker_fail (d, 404, "page not found");
  if (slash == NULL)
    {
      if (strcmp (d->req->method, "DELETE") == 0)
        docker_delete_network (d, rest);
      else if (method (d, "GET"))
        docker_get_network (d, rest);
      return;
    }
  if (strcmp (slash, "/connect") == 0 || strcmp (slash, "/disconnect") == 0)
    return docker_fail (d, 501,
                        "%s a container to a network is not supported by minirun serve: a "
                        "container's network is chosen when it is created (docker run "
                        "--network NAME)",
                        slash[1] == 'c' ? "connecting" : "disconnecting");
  docker_fail (d, 404, "page not found");
}

static void
route (struct dreq *d, const char *path)
{
  if (strcmp (path, "/_ping") == 0)
    {
      if (!method (d, "GET"))
        return;
      d->res->status = 200;
      d->res->static_body = "OK";
      d->res->static_len = 2;
      d->res->content_type = "text/plain; charset=utf-8";
      mr_api_response_header (d->res, "Cache-Control", "no-cache, no-store, must-revalidate");
      mr_api_response_header (d->res, "Pragma", "no-cache");
    }
  else if (strcmp (path, "/version") == 0)
    {
      if (method (d, "GET"))
        docker_get_version (d);
    }
  else if (strcmp (path, "/info") == 0)
    {
      if (method (d, "GET"))
        docker_get_info (d);
    }
  else if (strcmp (path, "/containers/json") == 0)
    {
      if (method (d, "GET"))
        docker_get_containers (d);
    }
  else if (strcmp (path, "/containers/create") == 0)
    {
      if (method (d, "POST"))
        docker_post_create (d);
    }
  else if (strncmp (path, "/containers/", 12) == 0)
    route_container (d, path + 12);
  else if (strncmp (path, "/exec/", 6) == 0)
    route_exec (d, path + 6);
  else if (strncmp (path, "/images/", 8) == 0)
    route_image (d, path);
  else if (strcmp (path, "/networks") == 0 || strncmp (path, "/networks/", 10) == 0)
    route_network (d, path + 9);
  else if (strcmp (path, "/events") == 0)
    {
      if (method (d, "GET"))
        docker_get_events (d);
    }
  else
    docker_fail (d, 404, "page not found");
}

static void
handle (struct mr_api *api, const struct mr_api_request *req, struct mr_api_response *res)
{
  struct dreq d = { .api = api, .req = req, .res = res, .minor = API_MAX_MINOR };
  const char *path = req->path;

  if (strncmp (path, "/v1.", 4) == 0)
    {
      const char *p = path + 4;
      char *end;
      long minor;

      errno = 0;
      minor = strtol (p, &end, 10);
      if (end == p || *end != '/' || errno || *p < '0' || *p > '9')
        {
          std_headers (res, false);
          return docker_fail (&d, 404, "page not found");
        }
      if (minor > API_MAX_MINOR)
        {
          std_headers (res, false);
          return docker_fail (
              &d, 400, "client version %d.%ld is too new. Maximum supported API version is %s",
              API_MAJOR, minor, API_VERSION);
        }
      if (minor < API_MIN_MINOR)
        {
          std_headers (res, false);
          return docker_fail (
              &d, 400,
              "client version %d.%ld is too old. Minimum supported API version is %s, "
              "please upgrade your client to a newer version",
              API_MAJOR, minor, API_MIN_VERSION);
        }
      d.minor = (int)minor;
      path = end;
    }
  route (&d, path);
  std_headers (res, res->upgrade != NULL);
}

/* Docker's error body: {"message": ...}.  */
static char *
error_body (unsigned status, const char *message)
{
  json_t *doc = json_pack ("{s:s}", "message", message);
  char *body = doc ? json_dumps (doc, JSON_COMPACT) : NULL;

  json_decref (doc);
  return body ? body : mr_api_error_body (status, message);
}

/* The cheap reads: ping, version, info, the lists, inspect.  */
static bool
runs_inline (const char *method, const char *path)
{
  static const char *const fixed[] = {
    "/_ping", "/version", "/info", "/containers/json", "/images/json", NULL,
  };
  const char *name, *slash;

  if (strncmp (path, "/v1.", 4) == 0 && (slash = strchr (path + 4, '/')) != NULL)
    path = slash;
  if (!mr_http_method_reads (method))
    return false;
  if (mr_http_path_in (path, fixed))
    return true;
  if (strncmp (path, "/containers/", 12) != 0)
    return false;
  name = path + 12;
  slash = strchr (name, '/');
  return slash != NULL && slash != name && strcmp (slash, "/json") == 0;
}

const struct mr_http_router mr_docker_router = {
  .handle = handle,
  .error_body = error_body,
  .runs_inline = runs_inline,
};
