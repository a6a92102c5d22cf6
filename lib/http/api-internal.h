/* Shared by the native API's files (api*.c); not seen by the server.  */
#ifndef MR_HTTP_API_INTERNAL_H
#define MR_HTTP_API_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "minirun.h"
#include "http/server.h"

/* Strings made for a call (NULL-terminated), freed together.  */
struct strv
{
  char **v;
  size_t n;
};

/* A library call that delivers through a callback and blocks (logs and
   events that follow) runs in a thread of its own, the producer, and
   appends to buf; the connection's thread reads from it.  stop ends the
   producer: set when the client is gone (stream_free) or the server
   stops.  */
struct pump
{
  struct mr_api *api;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  char *buf;
  size_t len, cap;
  bool done;
  volatile int stop;
  pthread_t thread;
  /* the producer's call and what it needs */
  void (*run) (struct pump *p);
  char *name;
  struct mr_logs_opts logs;
  struct mr_events_opts events;
  struct strv filters;
  char *since, *until;
  int exit_code;
  struct mr_error err;
  int ret;
  size_t count; /* values put in an array so far */
};

/* A stream made of lines that a tick function makes, one each interval:
   stats.  The first line comes at once.  */
struct ticker
{
  struct mr_api *api;
  char *pending;
  size_t len, off;
  struct timespec next; /* CLOCK_MONOTONIC */
  bool first;
  /* 0: *line made (or NULL: nothing this time); -1: the end */
  int (*tick) (struct ticker *t, char **line);
  void (*free) (struct ticker *t);
  void *priv;
};

/* A route's handler; name is the {name} segment, validated, or NULL.  */
#define HANDLER(f)                                                                                 \
  void api_##f (struct mr_api *api, const struct mr_api_request *req, const char *name,            \
                struct mr_api_response *res)

/* Every route: method, pattern ({name} is one path segment, a container's
   name or id, or a network's name), handler.  */
#define ROUTES(X)                                                                                  \
  X ("GET", "/health", get_health)                                                                 \
  X ("GET", "/metrics", get_metrics)                                                               \
  X ("GET", "/openapi.yaml", get_openapi)                                                          \
  X ("GET", "/system/info", get_system_info)                                                       \
  X ("GET", "/system/stats", get_system_stats)                                                     \
  X ("GET", "/ports", get_ports)                                                                   \
  X ("GET", "/events", get_events)                                                                 \
  X ("GET", "/containers", get_containers)                                                         \
  X ("POST", "/containers", post_containers)                                                       \
  X ("GET", "/containers/{name}", get_container)                                                   \
  X ("DELETE", "/containers/{name}", delete_container)                                             \
  X ("POST", "/containers/{name}/start", post_start)                                               \
  X ("POST", "/containers/{name}/stop", post_stop)                                                 \
  X ("POST", "/containers/{name}/restart", post_restart)                                           \
  X ("POST", "/containers/{name}/kill", post_kill)                                                 \
  X ("POST", "/containers/{name}/pause", post_pause)                                               \
  X ("POST", "/containers/{name}/resume", post_resume)                                             \
  X ("POST", "/containers/{name}/wait", post_wait)                                                 \
  X ("POST", "/containers/{name}/exec", post_exec)                                                 \
  X ("GET", "/containers/{name}/logs", get_logs)                                                   \
  X ("GET", "/containers/{name}/stats", get_stats)                                                 \
  X ("GET", "/containers/{name}/top", get_top)                                                     \
  X ("GET", "/containers/{name}/files", get_file)                                                  \
  X ("POST", "/containers/{name}/files", post_file)                                                \
  X ("POST", "/containers/{name}/users", post_user)                                                \
  X ("GET", "/networks", get_networks)                                                             \
  X ("POST", "/networks", post_networks)                                                           \
  X ("POST", "/networks/prune", post_networks_prune)                                               \
  X ("GET", "/networks/{name}", get_network)                                                       \
  X ("DELETE", "/networks/{name}", delete_network)

/* every handler, declared from the table */
#define ROUTE_DECLARE(m, p, f) HANDLER (f);
ROUTES (ROUTE_DECLARE)
#undef ROUTE_DECLARE

/* api.c: answers, JSON text, query parameters, request bodies */
void api_fail (struct mr_api_response *res, unsigned status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
void api_succeed_status (struct mr_api_response *res, unsigned status, json_t *data);
void api_succeed (struct mr_api_response *res, json_t *data);
void api_succeed_json (struct mr_api_response *res, unsigned status, const char *text);
bool api_container_exists (struct mr_api *api, const char *name);
void api_fail_library (struct mr_api *api, struct mr_api_response *res, const char *name,
                       const struct mr_error *err);
json_t *api_json_text (const char *s, size_t len);
size_t api_base64_block (const unsigned char *in, size_t len, char *out);
int api_base64_decode (const char *in, size_t len, unsigned char **out, size_t *out_len);
int api_query_timeout (const struct mr_api_request *req, struct mr_api_response *res, int *timeout);
int api_query_bool (const struct mr_api_request *req, struct mr_api_response *res, const char *key,
                    bool *out);
int api_body_object (const struct mr_api_request *req, struct mr_api_response *res,
                     bool allow_empty, json_t **doc);
int api_check_fields (const json_t *doc, const char *const *known, struct mr_api_response *res);
int api_bad_type (struct mr_api_response *res, const char *field, const char *want);
int api_field_string (const json_t *doc, const char *key, const char **out,
                      struct mr_api_response *res);
int api_field_int (const json_t *doc, const char *key, json_int_t min, json_int_t max,
                   json_int_t *out, bool *set, struct mr_api_response *res);
int api_field_bool (const json_t *doc, const char *key, bool *out, struct mr_api_response *res);
void api_strv_clear (struct strv *s);
int api_strv_add (struct strv *s, char *str);
const char *const *api_strv_get (const struct strv *s);
int api_field_strings (const json_t *doc, const char *key, bool shell, struct strv *out,
                       struct mr_api_response *res);
int api_field_pairs (const json_t *doc, const char *key, bool array_too, struct strv *out,
                     struct mr_api_response *res);
int api_field_user (const json_t *doc, char **out, struct mr_api_response *res);

/* api-ports.c: the "ports" of a create body, an array of docker -p specs
   or an object of host side to container port, as -p specs in out, each
   checked; -1 with msg naming the field and the entry.  */
int api_ports_parse (const json_t *v, struct strv *out, char *msg, size_t len);

/* api-networks.c: a create body, {"name", "subnet", "gateway",
   "internal"}, as the options of mr_network_create (pointing into doc);
   -1 after a 400 that names the field.  */
int api_network_body (const json_t *doc, const char **name, struct mr_network_create_opts *opts,
                      struct mr_api_response *res);

/* api-stream.c */
void api_pump_free (struct pump *p);
struct pump *api_pump_new (struct mr_api *api, const char *name);
int api_pump_put (struct pump *p, const char *data, size_t len);
int api_pump_put_json (struct pump *p, json_t *v);
int api_pump_start (struct pump *p);
void api_stream_response (struct mr_api_response *res, struct pump *p);
void api_pump_run_sync (struct pump *p, const struct mr_api_request *req);
ssize_t api_ticker_read (void *data, char *buf, size_t max);
void api_ticker_end (void *data);
void api_now_rfc3339 (char *buf, size_t len);
char *api_json_line (json_t *v);

#endif
