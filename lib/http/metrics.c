/* GET /metrics: Prometheus text format 0.0.4.  Per container: cpu seconds,
 * memory, pids, network bytes (running and paused ones, from one stats
 * sample each) and state (every container); the server's uptime; the API's
 * request counts and latency histogram (server.c keeps them).  */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/metrics.h"
#include "util/cleanup.h"

struct text
{
  char *buf;
  size_t len;
  bool failed;
};

static void add (struct text *t, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
add (struct text *t, const char *fmt, ...)
{
  char *more = NULL;
  char *grown;
  va_list ap;
  int n;

  if (t->failed)
    return;
  va_start (ap, fmt);
  n = vasprintf (&more, fmt, ap);
  va_end (ap);
  if (n < 0)
    {
      t->failed = true;
      return;
    }
  grown = realloc (t->buf, t->len + (size_t)n + 1);
  if (grown == NULL)
    {
      free (more);
      t->failed = true;
      return;
    }
  memcpy (grown + t->len, more, (size_t)n + 1);
  free (more);
  t->buf = grown;
  t->len += (size_t)n;
}

/* A label value: backslash, double quote and newline escaped.  Names are
   [A-Za-z0-9_.-] already; this keeps the format right whatever they are.  */
static char *
label_value (const char *s)
{
  char *out = malloc (strlen (s) * 2 + 1);
  size_t o = 0;

  if (out == NULL)
    return NULL;
  for (; *s; s++)
    {
      if (*s == '\\' || *s == '"')
        out[o++] = '\\';
      if (*s == '\n')
        {
          out[o++] = '\\';
          out[o++] = 'n';
          continue;
        }
      out[o++] = *s;
    }
  out[o] = '\0';
  return out;
}

static const char *const states[] = { "created", "running", "paused", "restarting", "stopped" };

struct ctr
{
  char *label; /* escaped name */
  const char *state;
  bool sampled;
  struct mr_stats st;
};

static void
family (struct text *t, const char *name, const char *type, const char *help)
{
  add (t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
mr_api_metrics (struct mr_api *api, struct mr_api_response *res)
{
  struct mr_container_info *list = NULL;
  struct mr_error err = { 0 };
  struct text t = { 0 };
  struct ctr *c = NULL;
  struct timespec now;
  size_t n = 0;

  if (mr_api_list (api, &list, &n, &err) < 0)
    {
      res->status = 503;
      res->body = mr_api_error_body (503, err.msg);
      return;
    }
  c = calloc (n + 1, sizeof *c);
  if (c == NULL)
    t.failed = true;
  for (size_t i = 0; c && i < n; i++)
    {
      struct mr_error e = { 0 };

      c[i].label = label_value (list[i].id);
      if (c[i].label == NULL)
        t.failed = true;
      c[i].state
          = list[i].managed && list[i].state ? list[i].state : mr_status_name (list[i].status);
      c[i].st.size = sizeof c[i].st;
      if (list[i].status == MR_STATUS_RUNNING || list[i].status == MR_STATUS_PAUSED)
        c[i].sampled = mr_container_stats (api->ctx, list[i].id, &c[i].st, &e) == 0;
    }

  family (&t, "minirun_container_cpu_seconds_total", "counter",
          "CPU time the container's processes used.");
  for (size_t i = 0; c && i < n; i++)
    if (c[i].sampled)
      add (&t, "minirun_container_cpu_seconds_total{name=\"%s\"} %.9f\n", c[i].label,
           (double)c[i].st.cpu_usage_ns / 1e9);
  family (&t, "minirun_container_memory_bytes", "gauge",
          "Memory the container uses, less the inactive file cache.");
  for (size_t i = 0; c && i < n; i++)
    if (c[i].sampled)
      add (&t, "minirun_container_memory_bytes{name=\"%s\"} %llu\n", c[i].label,
           (unsigned long long)c[i].st.memory_usage);
  family (&t, "minirun_container_pids", "gauge", "Processes and threads in the container.");
  for (size_t i = 0; c && i < n; i++)
    if (c[i].sampled)
      add (&t, "minirun_container_pids{name=\"%s\"} %llu\n", c[i].label,
           (unsigned long long)c[i].st.pids);
  family (&t, "minirun_container_network_receive_bytes_total", "counter",
          "Bytes received on the container's interfaces but lo.");
  for (size_t i = 0; c && i < n; i++)
    if (c[i].sampled)
      add (&t, "minirun_container_network_receive_bytes_total{name=\"%s\"} %llu\n", c[i].label,
           (unsigned long long)c[i].st.net_rx);
  family (&t, "minirun_container_network_transmit_bytes_total", "counter",
          "Bytes sent on the container's interfaces but lo.");
  for (size_t i = 0; c && i < n; i++)
    if (c[i].sampled)
      add (&t, "minirun_container_network_transmit_bytes_total{name=\"%s\"} %llu\n", c[i].label,
           (unsigned long long)c[i].st.net_tx);
  family (&t, "minirun_container_state", "gauge",
          "1 for the state the container is in, 0 for the others.");
  for (size_t i = 0; c && i < n; i++)
    for (size_t s = 0; s < sizeof states / sizeof states[0]; s++)
      add (&t, "minirun_container_state{name=\"%s\",state=\"%s\"} %d\n", c[i].label, states[s],
           strcmp (states[s], c[i].state) == 0);

  clock_gettime (CLOCK_MONOTONIC, &now);
  family (&t, "minirun_uptime_seconds", "gauge", "Seconds since the server started.");
  add (&t, "minirun_uptime_seconds %.3f\n",
       (double)(now.tv_sec - api->started.tv_sec)
           + (double)(now.tv_nsec - api->started.tv_nsec) / 1e9);
  if (!t.failed && mr_http_stats_render (&api->stats, &t.buf, &t.len) < 0)
    t.failed = true;

  for (size_t i = 0; c && i < n; i++)
    free (c[i].label);
  free (c);
  mr_container_info_free (list, n);
  if (t.failed)
    {
      free (t.buf);
      res->status = 500;
      res->body = mr_api_error_body (500, "out of memory");
      return;
    }
  res->status = 200;
  res->body = t.buf;
  res->body_len = t.len;
  res->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
