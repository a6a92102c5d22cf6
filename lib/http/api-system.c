/* The native API about the server and the host: health, the document,
 * metrics, system info and stats, ports, events.  */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "http/api-internal.h"
#include "http/metrics.h"
#include "util/cleanup.h"
#include "util/json.h"

HANDLER (get_health)
{
  cleanup_free char *info = NULL;
  struct mr_error err = { 0 };
  struct timespec now;
  json_t *doc = NULL, *backend;
  json_t *data;

  (void)req;
  (void)name;
  /* the backend probed at start; probed again only while it failed, so
   * that a health check costs no file reads */
  if (api->cgroup_backend)
    backend = json_string (api->cgroup_backend);
  else
    {
      if (mr_system_info (api->ctx, &info, &err) < 0)
        return api_fail (res, 503, "%s", err.msg);
      doc = json_loads (info, 0, NULL);
      backend = json_incref (doc ? json_object_get (doc, "cgroup_backend") : NULL);
      json_decref (doc);
    }
  clock_gettime (CLOCK_MONOTONIC, &now);
  data = json_pack (
      "{s:s, s:s, s:I, s:o?}", "status", "ok", "version", mr_version (), "uptime",
      (json_int_t)(now.tv_sec - api->started.tv_sec - (now.tv_nsec < api->started.tv_nsec)),
      "cgroup_backend", backend);
  api_succeed (res, data);
}

HANDLER (get_openapi)
{
  (void)api;
  (void)req;
  (void)name;
  res->status = 200;
  res->static_body = mr_asset_openapi_yaml;
  res->static_len = mr_asset_openapi_yaml_len ();
  res->content_type = "application/yaml";
}

HANDLER (get_metrics)
{
  (void)req;
  (void)name;
  mr_api_metrics (api, res);
}

HANDLER (get_system_info)
{
  cleanup_free char *info = NULL;
  struct mr_error err = { 0 };

  (void)req;
  (void)name;
  if (mr_system_info (api->ctx, &info, &err) < 0)
    return api_fail (res, 503, "%s", err.msg);
  api_succeed_json (res, 200, info);
}

/* --- system stats ----------- */

struct sample
{
  char *name;
  struct mr_stats st;
};

struct sys_state
{
  struct mr_system_stats host;
  struct sample *prev;
  size_t n_prev;
};

static void
samples_free (struct sample *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (s[i].name);
  free (s);
}

/* A sample of every running (or paused) container.  */
static int
sample_all (struct mr_api *api, struct sample **out, size_t *n_out, struct mr_error *err)
{
  struct mr_container_info *list = NULL;
  struct sample *s;
  size_t n = 0, k = 0;

  *out = NULL;
  *n_out = 0;
  if (mr_api_list (api, &list, &n, err) < 0)
    return -1;
  s = calloc (n + 1, sizeof *s);
  if (s == NULL)
    {
      mr_container_info_free (list, n);
      return -1;
    }
  for (size_t i = 0; i < n; i++)
    {
      struct mr_error e = { 0 };
      if (list[i].status != MR_STATUS_RUNNING && list[i].status != MR_STATUS_PAUSED)
        continue;
      s[k].st.size = sizeof s[k].st;
      /* one that stopped since it was listed is left out */
      if (mr_container_stats (api->ctx, list[i].id, &s[k].st, &e) < 0)
        continue;
      s[k].name = list[i].id;
      list[i].id = NULL;
      k++;
    }
  mr_container_info_free (list, n);
  *out = s;
  *n_out = k;
  return 0;
}

static const struct mr_stats *
sample_find (const struct sample *s, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (s[i].name, name) == 0)
      return &s[i].st;
  return NULL;
}

/* {"time", "host", "containers": [...]}; cpu percentages against the
   previous call (the first call measures 200 ms).  503 status in *status on
   failure.  */
static json_t *
system_sample (struct mr_api *api, struct sys_state *ss, unsigned *status, struct mr_error *err)
{
  struct sample *cur = NULL;
  size_t n_cur = 0;
  cleanup_free char *host = NULL;
  cleanup_json json_t *list = json_array ();
  json_t *host_json;
  char when[40];

  *status = 500;
  if (list == NULL)
    return NULL;
  if (ss->host.cpu_total == 0)
    {
      /* the first call: mr_system_stats waits 200 ms between its two
         samples, and the containers are sampled around that wait */
      samples_free (ss->prev, ss->n_prev);
      ss->prev = NULL;
      ss->n_prev = 0;
      if (sample_all (api, &ss->prev, &ss->n_prev, err) < 0)
        return NULL;
    }
  ss->host.size = sizeof ss->host;
  if (mr_system_stats (api->ctx, &ss->host, err) < 0)
    {
      *status = 503;
      return NULL;
    }
  api_now_rfc3339 (when, sizeof when);
  if (sample_all (api, &cur, &n_cur, err) < 0)
    return NULL;
  for (size_t i = 0; i < n_cur; i++)
    {
      cleanup_free char *js = NULL;
      json_t *o;
      if (mr_stats_json (cur[i].name, sample_find (ss->prev, ss->n_prev, cur[i].name), &cur[i].st,
                         &js, err)
          < 0)
        {
          samples_free (cur, n_cur);
          return NULL;
        }
      o = json_loads (js, 0, NULL);
      if (o == NULL || json_array_append_new (list, o) < 0)
        {
          samples_free (cur, n_cur);
          return NULL;
        }
    }
  samples_free (ss->prev, ss->n_prev);
  ss->prev = cur;
  ss->n_prev = n_cur;
  if (mr_system_stats_json (&ss->host, &host, err) < 0)
    return NULL;
  host_json = json_loads (host, 0, NULL);
  if (host_json == NULL)
    return NULL;
  return json_pack ("{s:s, s:o, s:O}", "time", when, "host", host_json, "containers", list);
}

static int
system_tick (struct ticker *t, char **line)
{
  struct mr_error err = { 0 };
  unsigned status;
  json_t *v = system_sample (t->api, t->priv, &status, &err);

  /* a failed sample ends the stream: its reader sees the end */
  if (v == NULL)
    return -1;
  *line = api_json_line (v);
  return *line ? 0 : -1;
}

static void
system_ticker_free (struct ticker *t)
{
  struct sys_state *ss = t->priv;

  if (ss)
    samples_free (ss->prev, ss->n_prev);
  free (ss);
}

HANDLER (get_system_stats)
{
  struct sys_state ss = { 0 };
  struct mr_error err = { 0 };
  struct ticker *t;
  unsigned status;
  bool stream;
  json_t *v;

  (void)name;
  if (api_query_bool (req, res, "stream", &stream) < 0)
    return;
  /* the first object is made here, so that a failure is an error status */
  v = system_sample (api, &ss, &status, &err);
  if (v == NULL)
    {
      samples_free (ss.prev, ss.n_prev);
      return api_fail (res, status, "system stats: %s", err.msg[0] ? err.msg : "out of memory");
    }
  if (!stream)
    {
      samples_free (ss.prev, ss.n_prev);
      return api_succeed (res, v);
    }
  t = calloc (1, sizeof *t);
  if (t == NULL || (t->priv = malloc (sizeof ss)) == NULL
      || (t->pending = api_json_line (v)) == NULL)
    {
      if (t)
        free (t->priv);
      free (t);
      samples_free (ss.prev, ss.n_prev);
      return api_fail (res, 500, "out of memory");
    }
  memcpy (t->priv, &ss, sizeof ss);
  t->api = api;
  t->len = strlen (t->pending);
  t->tick = system_tick;
  t->free = system_ticker_free;
  clock_gettime (CLOCK_MONOTONIC, &t->next);
  t->next.tv_sec += 1;
  res->status = 200;
  res->content_type = "application/x-ndjson";
  res->stream_read = api_ticker_read;
  res->stream_free = api_ticker_end;
  res->stream_data = t;
}

/* --- ports ---------- */

/* Every published port in use, from the containers' live endpoints:
   container, container_port ("80/tcp"), host_ip, host_port (a string, as
   docker's HostPort), state, and the same as numbers and names a client
   need not split: protocol, host_address, private_port, public_port.
   Beside data: the automatic range and its free parts.  */
HANDLER (get_ports)
{
  struct mr_container_info *list = NULL;
  struct mr_port_binding *ports = NULL;
  struct mr_port_range *free_r = NULL;
  struct mr_port_range range;
  struct mr_error err = { 0 };
  json_t *out, *ranges, *doc;
  size_t n = 0, n_ports = 0, n_free = 0;
  unsigned free_count = 0;

  (void)req;
  (void)name;
  if (mr_ports_auto_range (api->ctx, &range, &err) < 0
      || mr_ports_list (api->ctx, &ports, &n_ports, &err) < 0
      || mr_ports_free_ranges (&range, ports, n_ports, &free_r, &n_free, &err) < 0)
    {
      free (ports);
      return api_fail_library (api, res, NULL, &err);
    }
  if (mr_api_list (api, &list, &n, &err) < 0)
    {
      free (ports);
      free (free_r);
      return api_fail_library (api, res, NULL, &err);
    }
  out = json_array ();
  ranges = json_array ();
  for (size_t i = 0; out && i < n_ports; i++)
    {
      const struct mr_port_binding *b = &ports[i];
      const char *state = "";
      char key[16], hp[8];

      for (size_t j = 0; j < n; j++)
        if (strcmp (list[j].id, b->container) == 0)
          state = list[j].state ? list[j].state : mr_status_name (list[j].status);
      snprintf (key, sizeof key, "%u/%s", b->container_port, b->proto);
      snprintf (hp, sizeof hp, "%u", b->host_port);
      json_array_append_new (out,
                             json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i}",
                                        "container", b->container, "container_port", key, "host_ip",
                                        b->host_ip, "host_port", hp, "state", state, "protocol",
                                        b->proto, "host_address", b->host_ip, "private_port",
                                        (int)b->container_port, "public_port", (int)b->host_port));
    }
  for (size_t i = 0; ranges && i < n_free; i++)
    {
      free_count += free_r[i].last - free_r[i].first + 1u;
      json_array_append_new (ranges, json_pack ("{s:i, s:i}", "first", (int)free_r[i].first, "last",
                                                (int)free_r[i].last));
    }
  mr_container_info_free (list, n);
  free (ports);
  free (free_r);
  doc = json_pack ("{s:b, s:o?, s:{s:i, s:i}, s:o?, s:i}", "success", 1, "data", out, "auto_range",
                   "first", (int)range.first, "last", (int)range.last, "free", ranges, "free_count",
                   (int)free_count);
  res->body = doc && out && ranges ? json_dumps (doc, JSON_COMPACT) : NULL;
  json_decref (doc);
  if (res->body == NULL)
    return api_fail (res, 500, "out of memory");
  res->status = 200;
}

/* --- events ---------- */

static int
event_cb (void *data, const char *line, const struct mr_event *ev)
{
  struct pump *p = data;

  (void)ev;
  if (api_pump_put (p, line, strlen (line)) < 0 || api_pump_put (p, "\n", 1) < 0)
    return -1;
  return 0;
}

static void
run_events (struct pump *p)
{
  p->ret = mr_events_read (p->api->ctx, &p->events, event_cb, p, &p->err);
  if (p->ret < 0)
    api_pump_put_json (p, json_pack ("{s:s}", "error", p->err.msg));
}

static int
stop_at_once (void *data, const char *line, const struct mr_event *ev)
{
  (void)data;
  (void)line;
  (void)ev;
  return -1;
}

/* ?filter=KEY=VALUE[,KEY=VALUE...] (container, event, type, image).  */
HANDLER (get_events)
{
  const char *since = req->query (req->conn, "since");
  const char *until = req->query (req->conn, "until");
  const char *filter = req->query (req->conn, "filter");
  struct mr_error err = { 0 };
  struct pump *p = api_pump_new (api, NULL);
  bool follow = true;

  (void)name;
  if (p == NULL)
    return api_fail (res, 500, "out of memory");
  if (filter && *filter)
    {
      cleanup_free char *copy = strdup (filter);
      char *save = NULL;
      if (copy == NULL)
        {
          api_pump_free (p);
          return api_fail (res, 500, "out of memory");
        }
      for (char *f = strtok_r (copy, ",", &save); f; f = strtok_r (NULL, ",", &save))
        if (api_strv_add (&p->filters, strdup (f)) < 0)
          {
            api_pump_free (p);
            return api_fail (res, 500, "out of memory");
          }
    }
  if ((since && (p->since = strdup (since)) == NULL)
      || (until && (p->until = strdup (until)) == NULL))
    {
      api_pump_free (p);
      return api_fail (res, 500, "out of memory");
    }
  p->events = (struct mr_events_opts){ .size = sizeof p->events,
                                       .since = p->since,
                                       .until = p->until,
                                       .filters = api_strv_get (&p->filters),
                                       .follow = false,
                                       .stop = &p->stop };
  /* the arguments are checked now, while an error can still be a status */
  if (mr_events_read (api->ctx, &p->events, stop_at_once, NULL, &err) < 0)
    {
      api_pump_free (p);
      return api_fail (res, 400, "%s", err.msg);
    }
  if (api_query_bool (req, res, "follow", &follow) < 0)
    {
      api_pump_free (p);
      return;
    }
  if (req->query (req->conn, "follow") == NULL)
    follow = true;
  p->events.follow = follow;
  p->run = run_events;
  if (api_pump_start (p) < 0)
    {
      api_pump_free (p);
      return api_fail (res, 500, "cannot start a thread for the events");
    }
  api_stream_response (res, p);
}
