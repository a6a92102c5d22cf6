/* Shared by the Docker-compatible API's files (docker*.c); not seen by
 * the server.  */
#ifndef MR_HTTP_DOCKER_INTERNAL_H
#define MR_HTTP_DOCKER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "minirun.h"
#include "http/server.h"

#define API_MAJOR 1
#define API_MIN_MINOR 24
#define API_MAX_MINOR 47
#define API_VERSION "1.47"
#define API_MIN_VERSION "1.24"

#define ZERO_TIME "0001-01-01T00:00:00Z"

/* One request as the handlers see it.  */
struct dreq
{
  struct mr_api *api;
  const struct mr_api_request *req;
  struct mr_api_response *res;
  int minor; /* the API version asked for (1.minor) */
};

/* What docker_change does to a container.  */
enum action
{
  ACT_START,
  ACT_STOP,
  ACT_RESTART,
  ACT_KILL,
  ACT_PAUSE,
  ACT_UNPAUSE,
  ACT_DELETE,
};

/* A library call that blocks and calls back (logs, events, wait), run by
 * a worker thread that writes to a socket pair (docker-stream.c).  */
struct pipe_stream
{
  struct mr_api *api;
  int fds[2]; /* [0]: read by the response; [1]: written by the worker */
  pthread_t thread;
  bool started;
  volatile int stop;
  void (*work) (struct pipe_stream *ps);
  /* what the work needs */
  char *name;
  struct mr_logs_opts logs;
  bool want[3]; /* logs: the streams asked for */
  bool raw;     /* logs: no framing (a terminal's output) */
  char *since, *until;
  char **filters;
  int condition; /* wait */
};

/* docker.c: query parameters, answers, times */
const char *docker_query (const struct dreq *d, const char *key);
bool docker_query_flag (const struct dreq *d, const char *key);
void docker_fail (struct dreq *d, unsigned status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
void docker_reply (struct dreq *d, unsigned status, json_t *doc);
void docker_reply_empty (struct dreq *d, unsigned status);
bool docker_container_exists (struct mr_api *api, const char *name);
void docker_fail_library (struct dreq *d, const char *name, const struct mr_error *err);
int64_t docker_parse_time (const char *s);
void docker_human_duration (int64_t secs, char *buf, size_t len);
void docker_rfc3339_now (char *buf, size_t len);

/* The patterns of one filter key (name), compiled, with the limits of
 * their matching; error: a match that ran out of them.  */
struct docker_regex
{
  pcre2_code **codes;
  size_t n;
  pcre2_match_data *md;
  pcre2_match_context *mc;
  pcre2_compile_context *cc;
  int error;
};

/* docker-containers.c: lookup, shapes, filters, changes, wait */
const char *docker_jstr (const json_t *o, const char *key);
char *docker_resolve (struct dreq *d, const char *id);
json_t *docker_load_record (struct dreq *d, const char *name);
json_t *docker_parse_filters (struct dreq *d, const char *const *known);
/* The values of filter key as Docker's unanchored regular expressions;
   -1 after a 400 naming a bad one.  */
int docker_regex_compile (struct dreq *d, const json_t *filters, const char *key,
                          struct docker_regex *nr);
/* Whether one of the patterns matches s (none compiled: false).  */
bool docker_regex_any (struct docker_regex *nr, const char *s);
void docker_regex_free (struct docker_regex *nr);
void docker_get_containers (struct dreq *d);
void docker_get_container (struct dreq *d, const char *name);

/* docker-create.c */
char *docker_image_lookup (struct mr_api *api, const char *name);
void docker_post_create (struct dreq *d);

/* docker-containers.c */
void docker_change (struct dreq *d, enum action act, const char *name);

/* docker-stream.c: hijacked connections and worker streams */
int docker_send_all (int fd, const void *buf, size_t len);
int docker_send_frame (int fd, int stream, const char *data, size_t len);
void docker_pipe_free (void *data);
struct pipe_stream *docker_pipe_new (struct dreq *d, const char *name,
                                     void (*work) (struct pipe_stream *));
void docker_pipe_start (struct dreq *d, struct pipe_stream *ps, const char *content_type);

/* docker-logs.c */
void docker_get_logs (struct dreq *d, const char *name);

/* docker-containers.c */
bool docker_container_running (struct mr_api *api, const char *name);
void docker_pause_100ms (void);
void docker_post_wait (struct dreq *d, const char *name);

/* docker-system.c */
void docker_get_events (struct dreq *d);

/* docker-logs.c */
void docker_get_stats (struct dreq *d, const char *name);
void docker_get_top (struct dreq *d, const char *name);

/* docker-exec.c */
void docker_post_exec_create (struct dreq *d, const char *name);
void docker_post_exec_start (struct dreq *d, const char *id);
void docker_get_exec (struct dreq *d, const char *id);

/* docker-images.c */
void docker_get_images (struct dreq *d);
void docker_get_image (struct dreq *d, const char *name);

/* docker-networks.c */
void docker_get_networks (struct dreq *d);
void docker_get_network (struct dreq *d, const char *id);
void docker_post_network_create (struct dreq *d);
void docker_delete_network (struct dreq *d, const char *id);
void docker_post_networks_prune (struct dreq *d);

/* docker-system.c */
void docker_get_version (struct dreq *d);
void docker_get_info (struct dreq *d);

#endif
