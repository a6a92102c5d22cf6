/* What Docker is told of a container: logs, stats, top.  */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "http/docker-internal.h"
#include "managed/runconfig.h"
#include "util/cleanup.h"
#include "util/json.h"

static int
logs_line (void *data, int stream, const char *text, size_t len)
{
  struct pipe_stream *ps = data;

  if (stream < 1 || stream > 2 || !ps->want[stream])
    return 0;
  if (ps->raw)
    return docker_send_all (ps->fds[1], text, len);
  return docker_send_frame (ps->fds[1], stream, text, len);
}

static void
logs_work (struct pipe_stream *ps)
{
  struct mr_error err = { 0 };

  ps->logs.stop = &ps->stop;
  if (mr_container_logs (ps->api->ctx, ps->name, &ps->logs, logs_line, ps, &err) < 0)
    {
      char line[MR_ERROR_MSG_MAX + 8];
      int n = snprintf (line, sizeof line, "error: %s\n", err.msg);
      if (ps->raw)
        docker_send_all (ps->fds[1], line, (size_t)n);
      else
        docker_send_frame (ps->fds[1], 2, line, (size_t)n);
    }
}

void
docker_get_logs (struct dreq *d, const char *name)
{
  cleanup_json json_t *rec = NULL;
  struct mr_error err = { 0 };
  struct pipe_stream *ps;
  const char *tail = docker_query (d, "tail");
  const char *since = docker_query (d, "since");
  const char *until = docker_query (d, "until");
  long n = -1;

  if (!docker_query_flag (d, "stdout") && !docker_query_flag (d, "stderr"))
    return docker_fail (d, 400, "Bad parameters: you must choose at least one stream");
  if (tail && *tail && strcmp (tail, "all") != 0)
    {
      char *end;
      errno = 0;
      n = strtol (tail, &end, 10);
      if (*end || errno || n < -1)
        return docker_fail (d, 400, "invalid tail '%s': expected a number or all", tail);
    }
  if (until && *until && strcmp (until, "0") != 0)
    return docker_fail (d, 400, "until is not supported for logs by minirun serve");
  if (since && (*since == '\0' || strcmp (since, "0") == 0))
    since = NULL;
  if (since)
    {
      /* checked here, so that a bad one is a 400 and not a broken stream */
      struct mr_logs_opts probe = { .size = sizeof probe, .tail = 0, .since = since };
      if (mr_container_logs (d->api->ctx, name, &probe, logs_line, NULL, &err) < 0)
        return docker_fail_library (d, name, &err);
    }
  rec = docker_load_record (d, name);
  if (rec == NULL)
    return;
  ps = docker_pipe_new (d, name, logs_work);
  if (ps == NULL || (since && (ps->since = strdup (since)) == NULL))
    {
      if (ps)
        docker_pipe_free (ps);
      return docker_fail (d, 500, "out of memory");
    }
  ps->want[1] = docker_query_flag (d, "stdout");
  ps->want[2] = docker_query_flag (d, "stderr");
  ps->raw = json_is_true (json_object_get (json_object_get (rec, "Config"), "Tty"));
  ps->logs = (struct mr_logs_opts){ .size = sizeof ps->logs,
                                    .follow = docker_query_flag (d, "follow"),
                                    .tail = n,
                                    .since = ps->since,
                                    .timestamps = docker_query_flag (d, "timestamps") };
  docker_pipe_start (d, ps,
                     ps->raw          ? "application/vnd.docker.raw-stream"
                     : d->minor >= 42 ? "application/vnd.docker.multiplexed-stream"
                                      : "application/vnd.docker.raw-stream");
}

/* --- stats ------------------------------------------------------------------ */

struct sample
{
  bool ok;
  struct mr_stats s;
  uint64_t system_ns;
  unsigned cpus;
  char read[48];
};

/* Samples the container and the host's CPU time together; sys keeps the
 * host sample between calls.  */
static int
take_sample (struct mr_api *api, const char *name, struct mr_system_stats *sys, struct sample *out,
             struct mr_error *err)
{
  long tick = sysconf (_SC_CLK_TCK);

  memset (out, 0, sizeof *out);
  out->s.size = sizeof out->s;
  if (mr_system_stats (api->ctx, sys, err) < 0)
    return -1;
  docker_rfc3339_now (out->read, sizeof out->read);
  out->system_ns = sys->cpu_total * (1000000000ULL / (uint64_t)(tick > 0 ? tick : 100));
  out->cpus = sys->cpus;
  if (mr_container_stats (api->ctx, name, &out->s, err) < 0)
    return -1;
  out->ok = true;
  return 0;
}

static json_t *
cpu_json (const struct sample *s)
{
  return json_pack ("{s:{s:I, s:I, s:I}, s:I, s:i, s:{s:i, s:i, s:i}}", "cpu_usage", "total_usage",
                    (json_int_t)(s->ok ? s->s.cpu_usage_ns : 0), "usage_in_kernelmode",
                    (json_int_t)0, "usage_in_usermode", (json_int_t)0, "system_cpu_usage",
                    (json_int_t)(s->ok ? s->system_ns : 0), "online_cpus",
                    (int)(s->ok ? s->cpus : 0), "throttling_data", "periods", 0,
                    "throttled_periods", 0, "throttled_time", 0);
}

static char *
stats_text (const char *name, const struct sample *pre, const struct sample *cur)
{
  json_t *doc, *blk;
  char *text;

  blk = json_pack ("[{s:i, s:i, s:s, s:I}, {s:i, s:i, s:s, s:I}]", "major", 0, "minor", 0, "op",
                   "read", "value", (json_int_t)cur->s.block_read, "major", 0, "minor", 0, "op",
                   "write", "value", (json_int_t)cur->s.block_write);
  doc = json_pack (
      "{s:s, s:s, s:s, s:s, s:{s:I, s:I}, s:{s:o}, s:i, s:{}, s:o, s:o, s:{s:I, s:I, s:I, s:{}}}",
      "name", "/", "id", name, "read", cur->ok ? cur->read : ZERO_TIME, "preread",
      pre->ok ? pre->read : ZERO_TIME, "pids_stats", "current", (json_int_t)cur->s.pids, "limit",
      (json_int_t)cur->s.pids_limit, "blkio_stats", "io_service_bytes_recursive",
      cur->ok ? blk : json_null (), "num_procs", 0, "storage_stats", "cpu_stats", cpu_json (cur),
      "precpu_stats", cpu_json (pre), "memory_stats", "usage", (json_int_t)cur->s.memory_usage,
      "limit", (json_int_t)cur->s.memory_limit, "failcnt", (json_int_t)cur->s.oom_kills, "stats");
  if (!cur->ok)
    json_decref (blk);
  if (doc == NULL)
    return NULL;
  /* "/name" */
  json_object_set_new (doc, "name", json_sprintf ("/%s", name));
  if (cur->s.net_rx || cur->s.net_tx)
    json_object_set_new (doc, "networks",
                         json_pack ("{s:{s:I, s:I, s:i, s:i, s:i, s:i, s:i, s:i}}", "eth0",
                                    "rx_bytes", (json_int_t)cur->s.net_rx, "tx_bytes",
                                    (json_int_t)cur->s.net_tx, "rx_packets", 0, "tx_packets", 0,
                                    "rx_errors", 0, "tx_errors", 0, "rx_dropped", 0, "tx_dropped",
                                    0));
  text = json_dumps (doc, JSON_COMPACT);
  json_decref (doc);
  return text;
}

struct stats_stream
{
  struct mr_api *api;
  char *name;
  struct mr_system_stats sys;
  struct sample prev;
  unsigned sent;
  char *pending; /* what did not fit in the last read */
  size_t pending_len, pending_off;
};

static ssize_t
stats_read (void *data, char *buf, size_t max)
{
  struct stats_stream *st = data;
  struct mr_error err = { 0 };
  struct sample cur;
  size_t n;

  if (st->pending == NULL)
    {
      if (atomic_load (&st->api->stopping))
        return -1;
      if (st->sent > 0)
        for (int i = 0; i < 10 && !atomic_load (&st->api->stopping); i++)
          docker_pause_100ms ();
      if (take_sample (st->api, st->name, &st->sys, &cur, &err) < 0)
        return -1; /* stopped or gone: the stream ends */
      st->pending = stats_text (st->name, &st->prev, &cur);
      if (st->pending == NULL)
        return -1;
      st->pending_len = strlen (st->pending);
      st->pending[st->pending_len++] = '\n'; /* over the NUL */
      st->pending_off = 0;
      st->prev = cur;
      st->sent++;
    }
  n = st->pending_len - st->pending_off;
  if (n > max)
    n = max;
  memcpy (buf, st->pending + st->pending_off, n);
  st->pending_off += n;
  if (st->pending_off == st->pending_len)
    {
      free (st->pending);
      st->pending = NULL;
    }
  return (ssize_t)n;
}

static void
stats_free (void *data)
{
  struct stats_stream *st = data;

  free (st->pending);
  free (st->name);
  free (st);
}

void
docker_get_stats (struct dreq *d, const char *name)
{
  const char *stream = docker_query (d, "stream");
  bool streaming = stream == NULL || docker_query_flag (d, "stream");
  struct mr_system_stats sys = { .size = sizeof sys };
  struct sample pre = { 0 }, cur = { 0 };
  struct mr_error err = { 0 };
  char *text;

  if (!docker_container_running (d->api, name))
    {
      /* Docker answers a stopped container with zeros */
      if (!docker_container_exists (d->api, name))
        return docker_fail (d, 404, "No such container: %s", name);
      cur.s.size = sizeof cur.s;
      text = stats_text (name, &pre, &cur);
      if (text == NULL)
        return docker_fail (d, 500, "out of memory");
      d->res->status = 200;
      d->res->body = text;
      return;
    }
  if (streaming)
    {
      struct stats_stream *st = calloc (1, sizeof *st);
      if (st == NULL || (st->name = strdup (name)) == NULL)
        {
          free (st);
          return docker_fail (d, 500, "out of memory");
        }
      st->api = d->api;
      st->sys.size = sizeof st->sys;
      d->res->status = 200;
      d->res->stream_read = stats_read;
      d->res->stream_free = stats_free;
      d->res->stream_data = st;
      return;
    }
  /* one object: with precpu_stats from a sample a moment before, unless
   * one-shot */
  if (!docker_query_flag (d, "one-shot"))
    {
      if (take_sample (d->api, name, &sys, &pre, &err) < 0)
        return docker_fail_library (d, name, &err);
      for (int i = 0; i < 5; i++)
        docker_pause_100ms ();
    }
  if (take_sample (d->api, name, &sys, &cur, &err) < 0)
    return docker_fail_library (d, name, &err);
  text = stats_text (name, &pre, &cur);
  if (text == NULL)
    return docker_fail (d, 500, "out of memory");
  d->res->status = 200;
  d->res->body = text;
}

/* --- top -------------------------------------------------------------------- */

void
docker_get_top (struct dreq *d, const char *name)
{
  const char *ps_args = docker_query (d, "ps_args");
  struct mr_process_info *list = NULL;
  struct mr_error err = { 0 };
  json_t *procs;
  size_t n = 0;

  if (ps_args && *ps_args && strcmp (ps_args, "-ef") != 0)
    return docker_fail (
        d, 400, "ps_args '%s' are not supported: minirun lists the processes itself", ps_args);
  if (!docker_container_running (d->api, name))
    return docker_fail (d, 409, "container %s is not running", name);
  if (mr_container_top (d->api->ctx, name, &list, &n, &err) < 0)
    return docker_fail_library (d, name, &err);
  procs = json_array ();
  for (size_t i = 0; i < n; i++)
    {
      char stime[16] = "?";
      char state[2] = { list[i].state ? list[i].state : '?', 0 };
      time_t t = (time_t)list[i].start_time;
      struct tm tm;
      if (t && localtime_r (&t, &tm))
        strftime (stime, sizeof stime, "%H:%M", &tm);
      json_array_append_new (procs, json_pack ("[o, o, o, s, s, s]",
                                               json_sprintf ("%u", (unsigned)list[i].uid),
                                               json_sprintf ("%d", (int)list[i].pid),
                                               json_sprintf ("%d", (int)list[i].ppid), state, stime,
                                               list[i].cmd ? list[i].cmd : ""));
    }
  mr_process_info_free (list, n);
  docker_reply (d, 200,
                json_pack ("{s:[s, s, s, s, s, s], s:o}", "Titles", "UID", "PID", "PPID", "STAT",
                           "STIME", "CMD", "Processes", procs));
}
