/* The HTTP side of `minirun serve`.  server.c owns the listeners, TLS,
 * authentication and libmicrohttpd; it hands each request, body read, to
 * the router its path is mounted on (mr_http_mounts[], routes.c), which
 * turns it into one response.  The routers call the public API
 * (minirun.h) and nothing below it.

 * Threads: a few server threads (libmicrohttpd, epoll) read and write
 * every connection.  Requests that only read state cheaply (each router's
 * runs_inline() lists them: health, the lists, inspect, info) are answered on
 * those threads; every other request runs its handler on a thread of its
 * own while its connection is parked, so a handler or a stream's reader
 * may block.  Those threads are bounded (mr_serve_opts.max_requests): past
 * the bound requests wait in a short queue, past the queue they get 503.
 * Calls that change containers take mr_api.lock.  */
#ifndef MR_HTTP_SERVER_H
#define MR_HTTP_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "minirun.h"
#include "http/serve.h"

/* Request counts and latencies, for /metrics.  */
#define MR_HTTP_METHODS 5 /* GET POST DELETE HEAD other */
#define MR_HTTP_CODES 16  /* see mr_http_code_index() */
#define MR_HTTP_BUCKETS 12

struct mr_http_stats
{
  atomic_ulong requests[MR_HTTP_METHODS][MR_HTTP_CODES];
  atomic_ulong buckets[MR_HTTP_BUCKETS]; /* cumulative counts are made when rendered */
  atomic_ulong count;
  atomic_ulong sum_us; /* total microseconds */
  /* the handler slots (server.c): held, waited for, refused */
  atomic_uint handlers_running;
  atomic_uint handlers_queued;
  atomic_ulong handlers_refused;
};

struct mr_api_snapshot;

struct mr_api
{
  struct mr_context *ctx;
  /* The library's calls that change containers fork and wait for children;
   * they run one at a time.  */
  pthread_mutex_t lock;
  struct timespec started; /* CLOCK_MONOTONIC */
  /* Set when the server stops: streams end at their next wake-up.  */
  atomic_bool stopping;
  struct mr_http_stats stats;
  /* Access-Control-Allow-Origin for the responses; NULL: none.  */
  const char *cors_origin;
  /* Whether clients must show a token (some listener is TCP without
   * --insecure-no-auth); the dashboard then asks for it.  */
  bool auth;
  /* The cgroup backend, probed once at start (for /health).  */
  char *cgroup_backend;
  /* The container list cache (cache.c): moved on every change.  */
  atomic_ulong generation;
  /* The list as last read, published whole: requests take a reference
   * without a lock.  The lock and the condition are for the reads only.  */
  _Atomic (struct mr_api_snapshot *) cache_snap;
  atomic_uint cache_taking; /* requests between loading cache_snap and its ref */
  pthread_mutex_t cache_lock;
  pthread_cond_t cache_read; /* a read of the list ended */
  bool cache_reading;
  /* the watcher (cache.c), which reads the list again when its age is up;
   * NULL: the request that finds it old does */
  _Atomic (void *) cache_watcher;
  atomic_bool cache_asked; /* the watcher was asked and has not read yet */
};

struct mr_api_request
{
  const char *method;
  const char *path; /* without the query string, percent-decoded */
  /* A query parameter's or a header's value; NULL when absent.  */
  const char *(*query) (void *conn, const char *key);
  const char *(*header) (void *conn, const char *name);
  void *conn;
  /* The body, read whole (at most the server's limit), NUL-terminated;
   * NULL and 0 when there is none.  */
  const char *body;
  size_t body_len;
  const char *client; /* "unix" or "ADDRESS:PORT", for messages */
  /* The connection's descriptor, only to see whether the client hung up
   * (mr_api_client_gone); -1 where unknown.  */
  int fd;
};

/* Whether the client of req has gone away (its connection was closed or
 * shut down for writing): a handler that blocks asks this now and then, and
 * gives up once it is true.  */
bool mr_api_client_gone (const struct mr_api_request *req);

#define MR_API_MAX_HEADERS 6

/* One of: a body (JSON unless content_type says otherwise), a static body,
 * a stream, or an upgrade.  */
struct mr_api_response
{
  unsigned status;
  char *body;              /* owned: freed by the server */
  size_t body_len;         /* 0: strlen (body) */
  const void *static_body; /* not freed; used when body is NULL */
  size_t static_len;
  /* When set, called with static_cls once static_body is sent (a shared
   * buffer's reference).  */
  void (*static_release) (void *cls);
  void *static_cls;
  const char *content_type; /* NULL: application/json */
  const char *allow;        /* for 405: the methods the path takes */
  /* Extra headers; values owned (see mr_api_response_header).  */
  const char *header_names[MR_API_MAX_HEADERS];
  char *header_values[MR_API_MAX_HEADERS];
  unsigned n_headers;

  /* A stream of unknown length (sent chunked).  read is called from the
   * request's own thread again and again: it returns bytes written to buf
   * (at most max), 0 when nothing came within about a second (it is called
   * again; it must wait, not spin), or -1 at the end.  It should end soon
   * after api->stopping is set.  free is called once, at the end or when
   * the client went away.  The connection has no idle timeout.  */
  ssize_t (*stream_read) (void *data, char *buf, size_t max);
  void (*stream_free) (void *data);
  void *stream_data;

  /* Status 101: the connection is handed over (Docker's hijacked exec and
   * attach).  upgrade runs in a thread of its own with the raw connection
   * fd, which it must not close; data is then freed with stream_free.
   * Only where the request asked for it (Upgrade header).  */
  void (*upgrade) (void *data, int fd);
};

/* A native route: "GET", "/containers/{name}/logs".  */
struct mr_api_route
{
  const char *method;
  const char *pattern;
};

/* Every native route (under /api/v1), ending with { NULL, NULL }: the
 * router's own table, which docs/api.yaml is checked against.  */
extern const struct mr_api_route mr_api_routes[];

/* An API the server serves.  server.c knows these and nothing else of
 * what it serves; each router file defines one.  */
struct mr_http_router
{
  /* Turns the request into one response; never fails: an error is an
   * error response.  */
  void (*handle) (struct mr_api *api, const struct mr_api_request *req,
                  struct mr_api_response *res);
  /* An error body in the API's own format, for the answers the server
   * makes itself before or instead of handle (401, 503); caller frees.  */
  char *(*error_body) (unsigned status, const char *message);
  /* Whether the request only reads state, cheaply: it is answered on the
   * server's own threads.  NULL: never.  */
  bool (*runs_inline) (const char *method, const char *path);
  /* Whether the request runs even when every handler slot is taken.
   * NULL: never.  */
  bool (*exempt) (const char *method, const char *path);
  /* Served without a token (the dashboard asks for one itself).  */
  bool no_auth;
};

enum mr_http_match
{
  MR_HTTP_EXACT,  /* the path is path */
  MR_HTTP_PREFIX, /* the path starts with path ("" matches every path) */
};

/* A mount point: the requests whose path matches go to router.  */
struct mr_http_mount
{
  const char *path;
  enum mr_http_match match;
  const struct mr_http_router *router;
};

/* Every mount point (routes.c), tried in order, the first match wins;
 * the last one matches every path; ends with { NULL }.  A new API is a
 * router in a file of its own and its rows here.  */
extern const struct mr_http_mount mr_http_mounts[];

/* The router of path (never NULL).  */
const struct mr_http_router *mr_http_router_for (const char *path);

/* For the routers' runs_inline: whether method only reads (GET, HEAD),
 * and whether path is one of paths (NULL-terminated).  */
bool mr_http_method_reads (const char *method);
bool mr_http_path_in (const char *path, const char *const *paths);

/* The native API (api.c: /api/v1/... and unprefixed aliases), the
 * Docker-compatible subset (docker.c: /v1.NN/..., /_ping, ...) and the
 * web page at / (dashboard.c).  */
extern const struct mr_http_router mr_api_router;
extern const struct mr_http_router mr_docker_router;
extern const struct mr_http_router mr_dashboard_router;

/* The container list (cache.c), at most a second old and never older than
 * the last change: a copy (mr_container_info_free), or, as res's body, the
 * whole success envelope of GET /containers, shared and not copied.  */
int mr_api_list (struct mr_api *api, struct mr_container_info **list, size_t *n,
                 struct mr_error *err);
int mr_api_list_respond (struct mr_api *api, struct mr_api_response *res, struct mr_error *err);
/* Marks the list stale: after a change the watcher cannot see.  */
void mr_api_changed (struct mr_api *api);
/* The watcher of the state and record directories; stop frees the cache.  */
void *mr_api_watch_start (struct mr_api *api);
void mr_api_watch_stop (struct mr_api *api, void *watcher);

/* An error envelope with the given status and message (caller frees):
 * the native API's (envelope.c), which the server uses for the answers it
 * makes itself whatever the path.  */
char *mr_api_error_body (unsigned status, const char *message);

/* Adds a response header (the value is formatted and owned by res);
 * false when out of room or memory.  */
bool mr_api_response_header (struct mr_api_response *res, const char *name, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* The request counts and latency histogram in Prometheus text format,
 * appended to *buf (realloc'd); -1 when out of memory.  */
int mr_http_stats_render (const struct mr_http_stats *st, char **buf, size_t *len);

/* Runs fn (arg) on a detached thread; 0 or an errno value.  */
int mr_http_start_detached (void *(*fn) (void *), void *arg);

/* Files built into the library (lib/http/assets.S).  */
extern const char mr_asset_openapi_yaml[];
extern const char mr_asset_dashboard_html[];
size_t mr_asset_openapi_yaml_len (void);
size_t mr_asset_dashboard_html_len (void);

#endif
