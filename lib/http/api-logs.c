/* What the native API tells of a running container: logs, stats, top.  */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "http/api-internal.h"
#include "util/cleanup.h"

struct logs_collect
{
  json_t *lines;
  bool failed;
};

static json_t *
log_line_json (int stream, const char *text, size_t len)
{
  return json_pack ("{s:s, s:o}", "stream", stream == 2 ? "stderr" : "stdout", "line",
                    api_json_text (text, len));
}

static int
logs_collect_cb (void *data, int stream, const char *text, size_t len)
{
  struct logs_collect *c = data;

  if (json_array_append_new (c->lines, log_line_json (stream, text, len)) < 0)
    {
      c->failed = true;
      return -1;
    }
  return 0;
}

static int
logs_stream_cb (void *data, int stream, const char *text, size_t len)
{
  return api_pump_put_json (data, log_line_json (stream, text, len));
}

/* Without follow: the success envelope around an array of the lines, sent
   as they are read.  An error once the head is out (the log checked
   before) ends the body short.  */
static int
logs_array_cb (void *data, int stream, const char *text, size_t len)
{
  struct pump *p = data;
  cleanup_free char *line = NULL;
  json_t *v = log_line_json (stream, text, len);

  line = v ? json_dumps (v, JSON_COMPACT) : NULL;
  json_decref (v);
  if (line == NULL || (p->count++ > 0 && api_pump_put (p, ",", 1) < 0))
    return -1;
  return api_pump_put (p, line, strlen (line));
}

static void
run_logs_array (struct pump *p)
{
  static const char head[] = "{\"success\": true, \"data\": [";

  if (api_pump_put (p, head, sizeof head - 1) < 0)
    return;
  p->ret = mr_container_logs (p->api->ctx, p->name, &p->logs, logs_array_cb, p, &p->err);
  if (p->ret == 0)
    api_pump_put (p, "]}", 2);
}

static void
run_logs (struct pump *p)
{
  p->ret = mr_container_logs (p->api->ctx, p->name, &p->logs, logs_stream_cb, p, &p->err);
  if (p->ret < 0 && !p->stop)
    api_pump_put_json (p, json_pack ("{s:s}", "error", p->err.msg));
}

/* Lines as {"stream": "stdout" or "stderr", "line": TEXT with its newline}:
   an array in data, or with follow=true one a line (NDJSON) until the
   container has stopped and its log is read.  */
HANDLER (get_logs)
{
  const char *tail = req->query (req->conn, "tail");
  const char *since = req->query (req->conn, "since");
  struct mr_logs_opts o = { .size = sizeof o, .tail = -1, .since = since };
  struct logs_collect c = { 0 };
  struct mr_error err = { 0 };
  struct pump *p;
  bool follow;

  if (api_query_bool (req, res, "follow", &follow) < 0
      || api_query_bool (req, res, "timestamps", &o.timestamps) < 0)
    return;
  if (tail && strcmp (tail, "all") != 0)
    {
      char *end;
      errno = 0;
      o.tail = strtol (tail, &end, 10);
      if (*tail < '0' || *tail > '9' || *end || errno)
        return api_fail (res, 400, "invalid tail '%s': expected a number of lines or all", tail);
    }
  /* checked now, while an error can still be a status: an empty tail
     reads nothing */
  {
    struct mr_logs_opts check = o;
    check.tail = 0;
    if (mr_container_logs (api->ctx, name, &check, logs_collect_cb, &c, &err) < 0)
      return api_fail (res, err.errnum == 0 && api_container_exists (api, name) ? 400 : 404, "%s",
                       err.msg);
  }
  p = api_pump_new (api, name);
  if (p == NULL || (since && (p->since = strdup (since)) == NULL))
    {
      if (p)
        api_pump_free (p);
      return api_fail (res, 500, "out of memory");
    }
  p->logs = o;
  p->logs.since = p->since;
  p->logs.follow = follow;
  p->logs.stop = &p->stop;
  p->run = follow ? run_logs : run_logs_array;
  if (api_pump_start (p) < 0)
    {
      api_pump_free (p);
      return api_fail (res, 500, "cannot start a thread for the logs");
    }
  api_stream_response (res, p);
  /* a log of any size goes out through the stream's bounded buffer */
  if (!follow)
    res->content_type = "application/json";
}

/* --- stats, top ---------- */

struct ctr_ticker
{
  char *name;
  struct mr_stats prev;
};

static int
sample_pair (struct mr_api *api, const char *name, struct mr_stats *prev, char **json,
             struct mr_error *err)
{
  struct mr_stats cur = { .size = sizeof cur };

  if (mr_container_stats (api->ctx, name, &cur, err) < 0)
    return -1;
  if (mr_stats_json (name, prev, &cur, json, err) < 0)
    return -1;
  *prev = cur;
  return 0;
}

static int
ctr_tick (struct ticker *t, char **line)
{
  struct ctr_ticker *c = t->priv;
  cleanup_free char *js = NULL;
  struct mr_error err = { 0 };

  /* a container that stopped ends its stream */
  if (sample_pair (t->api, c->name, &c->prev, &js, &err) < 0)
    return -1;
  *line = api_json_line (json_loads (js, 0, NULL));
  return *line ? 0 : -1;
}

static void
ctr_ticker_free (struct ticker *t)
{
  struct ctr_ticker *c = t->priv;

  if (c)
    free (c->name);
  free (c);
}

/* mr_stats_json's object; the first measures cpu over 200 ms, and with
   stream=true one follows a second (NDJSON) while the container runs.  */
HANDLER (get_stats)
{
  struct mr_stats prev = { .size = sizeof prev };
  struct timespec pause = { .tv_nsec = 200 * 1000000L };
  cleanup_free char *js = NULL;
  struct mr_error err = { 0 };
  struct ctr_ticker *c;
  struct ticker *t;
  bool stream;

  if (api_query_bool (req, res, "stream", &stream) < 0)
    return;
  if (mr_container_stats (api->ctx, name, &prev, &err) < 0)
    return api_fail_library (api, res, name, &err);
  nanosleep (&pause, NULL);
  if (sample_pair (api, name, &prev, &js, &err) < 0)
    return api_fail_library (api, res, name, &err);
  if (!stream)
    return api_succeed_json (res, 200, js);
  t = calloc (1, sizeof *t);
  c = calloc (1, sizeof *c);
  if (t == NULL || c == NULL || (c->name = strdup (name)) == NULL
      || (t->pending = api_json_line (json_loads (js, 0, NULL))) == NULL)
    {
      free (t);
      if (c)
        free (c->name);
      free (c);
      return api_fail (res, 500, "out of memory");
    }
  c->prev = prev;
  t->api = api;
  t->priv = c;
  t->len = strlen (t->pending);
  t->tick = ctr_tick;
  t->free = ctr_ticker_free;
  clock_gettime (CLOCK_MONOTONIC, &t->next);
  t->next.tv_sec += 1;
  res->status = 200;
  res->content_type = "application/x-ndjson";
  res->stream_read = api_ticker_read;
  res->stream_free = api_ticker_end;
  res->stream_data = t;
}

HANDLER (get_top)
{
  struct mr_process_info *list = NULL;
  struct mr_error err = { 0 };
  json_t *out;
  size_t n = 0;

  (void)req;
  if (mr_container_top (api->ctx, name, &list, &n, &err) < 0)
    return api_fail_library (api, res, name, &err);
  out = json_array ();
  for (size_t i = 0; out && i < n; i++)
    {
      char state[2] = { list[i].state, '\0' };
      if (json_array_append_new (
              out, json_pack ("{s:i, s:i, s:I, s:s, s:I, s:o}", "pid", (int)list[i].pid, "ppid",
                              (int)list[i].ppid, "uid", (json_int_t)list[i].uid, "state", state,
                              "start_time", (json_int_t)list[i].start_time, "cmd",
                              api_json_text (list[i].cmd ? list[i].cmd : "",
                                             list[i].cmd ? strlen (list[i].cmd) : 0)))
          < 0)
        {
          json_decref (out);
          out = NULL;
        }
    }
  mr_process_info_free (list, n);
  api_succeed (res, out);
}
