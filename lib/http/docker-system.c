/* Docker's system calls: version, info, events.  */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/docker-internal.h"
#include "managed/runconfig.h"
#include "util/cleanup.h"
#include "util/json.h"

static int
event_line (void *data, const char *json_line, const struct mr_event *ev)
{
  struct pipe_stream *ps = data;
  cleanup_free char *text = NULL;
  json_t *attrs = json_object ();
  const char *image = NULL;
  json_t *doc;

  (void)json_line;
  for (size_t i = 0; ev->attributes && ev->attributes[i] && ev->attributes[i + 1]; i += 2)
    {
      json_object_set_new (attrs, ev->attributes[i], json_string (ev->attributes[i + 1]));
      if (strcmp (ev->attributes[i], "image") == 0)
        image = ev->attributes[i + 1];
    }
  if (json_object_get (attrs, "name") == NULL)
    json_object_set_new (attrs, "name", json_string (ev->id));
  doc = json_pack ("{s:s, s:s, s:s?, s:s, s:s, s:{s:s, s:o}, s:s, s:I, s:I}", "status", ev->action,
                   "id", ev->id, "from", image, "Type", ev->type, "Action", ev->action, "Actor",
                   "ID", ev->id, "Attributes", attrs, "scope", "local", "time",
                   (json_int_t)(ev->time_nano / 1000000000), "timeNano", (json_int_t)ev->time_nano);
  text = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
  json_decref (doc);
  if (text == NULL)
    return -1;
  if (docker_send_all (ps->fds[1], text, strlen (text)) < 0
      || docker_send_all (ps->fds[1], "\n", 1) < 0)
    return -1;
  return ps->stop ? -1 : 0;
}

static int
event_stop (void *data, const char *json_line, const struct mr_event *ev)
{
  (void)data;
  (void)json_line;
  (void)ev;
  return -1;
}

static void
events_work (struct pipe_stream *ps)
{
  struct mr_events_opts o = { .size = sizeof o,
                              .since = ps->since,
                              .until = ps->until,
                              .filters = (const char *const *)ps->filters,
                              .follow = true,
                              .stop = &ps->stop };
  struct mr_error err = { 0 };

  mr_events_read (ps->api->ctx, &o, event_line, ps, &err);
}

void
docker_get_events (struct dreq *d)
{
  static const char *const known[] = { "container", "event", "type", "image", NULL };
  cleanup_json json_t *filters = docker_parse_filters (d, known);
  const char *since = docker_query (d, "since");
  const char *until = docker_query (d, "until");
  struct mr_events_opts probe = { .size = sizeof probe };
  struct mr_error err = { 0 };
  struct pipe_stream *ps;
  const char *key;
  json_t *vals, *v;
  size_t n = 0, i;

  if (filters == NULL)
    return;
  ps = docker_pipe_new (d, NULL, events_work);
  if (ps == NULL)
    return docker_fail (d, 500, "out of memory");
  json_object_foreach (filters, key, vals) n += json_array_size (vals);
  ps->filters = calloc (n + 1, sizeof *ps->filters);
  if (ps->filters == NULL || (since && *since && (ps->since = strdup (since)) == NULL)
      || (until && *until && (ps->until = strdup (until)) == NULL))
    {
      docker_pipe_free (ps);
      return docker_fail (d, 500, "out of memory");
    }
  n = 0;
  json_object_foreach (filters, key, vals) json_array_foreach (vals, i, v)
  {
    if (asprintf (&ps->filters[n], "%s=%s", key, json_string_value (v)) < 0)
      {
        ps->filters[n] = NULL;
        docker_pipe_free (ps);
        return docker_fail (d, 500, "out of memory");
      }
    n++;
  }
  /* a bad since, until or filter is a 400 before the stream begins */
  probe.since = ps->since;
  probe.until = ps->until;
  probe.filters = (const char *const *)ps->filters;
  if (mr_events_read (d->api->ctx, &probe, event_stop, NULL, &err) < 0)
    {
      docker_pipe_free (ps);
      return docker_fail (d, 400, "%s", err.msg);
    }
  docker_pipe_start (d, ps, "application/json");
}

/* --- system ----------------------------------------------------------------- */

/* Go's names for machines, which Docker reports.  */
static const char *
go_arch (const char *arch)
{
  if (strcmp (arch, "x86_64") == 0)
    return "amd64";
  if (strcmp (arch, "aarch64") == 0)
    return "arm64";
  if (strcmp (arch, "i686") == 0 || strcmp (arch, "i386") == 0)
    return "386";
  return arch;
}

static json_t *
system_info (struct dreq *d)
{
  cleanup_free char *text = NULL;
  struct mr_error err = { 0 };
  json_t *info;

  if (mr_system_info (d->api->ctx, &text, &err) < 0)
    {
      docker_fail (d, 500, "%s", err.msg);
      return NULL;
    }
  info = json_loads (text, 0, NULL);
  if (info == NULL)
    docker_fail (d, 500, "system info: the library returned invalid JSON");
  return info;
}

void
docker_get_version (struct dreq *d)
{
  cleanup_json json_t *info = system_info (d);
  const char *arch, *kernel;

  if (info == NULL)
    return;
  arch = go_arch (docker_jstr (info, "architecture"));
  kernel = docker_jstr (info, "kernel_release");
  docker_reply (
      d, 200,
      json_pack ("{s:{s:s}, s:[{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s}}], s:s, s:s, s:s, "
                 "s:s, s:s, s:s, s:s, s:s, s:s}",
                 "Platform", "Name", "minirun", "Components", "Name", "Engine", "Version",
                 mr_version (), "Details", "ApiVersion", API_VERSION, "MinAPIVersion",
                 API_MIN_VERSION, "Os", "linux", "Arch", arch, "KernelVersion", kernel,
                 "Experimental", "false", "Version", mr_version (), "ApiVersion", API_VERSION,
                 "MinAPIVersion", API_MIN_VERSION, "GitCommit", "", "GoVersion", "", "Os", "linux",
                 "Arch", arch, "KernelVersion", kernel, "BuildTime", ""));
}

void
docker_get_info (struct dreq *d)
{
  cleanup_json json_t *info = system_info (d);
  struct mr_container_info *list = NULL;
  struct mr_image_info *images = NULL;
  struct mr_error err = { 0 };
  size_t n = 0, n_images = 0;
  unsigned counts[4] = { 0 }; /* all, running, paused, stopped */
  char host[256] = "";
  char now[48];
  json_t *doc, *sec;

  if (info == NULL)
    return;
  if (mr_api_list (d->api, &list, &n, &err) == 0)
    {
      for (size_t i = 0; i < n; i++)
        {
          const char *st = list[i].state ? list[i].state : "";
          if (!list[i].managed)
            continue;
          counts[0]++;
          if (strcmp (st, "running") == 0 || strcmp (st, "restarting") == 0)
            counts[1]++;
          else if (strcmp (st, "paused") == 0)
            counts[2]++;
          else
            counts[3]++;
        }
      mr_container_info_free (list, n);
    }
  mr_error_clear (&err);
  if (mr_image_list (d->api->ctx, &images, &n_images, &err) == 0)
    mr_image_info_free (images, n_images);
  gethostname (host, sizeof host - 1);
  docker_rfc3339_now (now, sizeof now);
  sec = json_array ();
  if (json_is_true (json_object_get (json_object_get (info, "security"), "seccomp")))
    json_array_append_new (sec, json_string ("name=seccomp,profile=builtin"));
  doc = json_pack (
      "{s:s, s:i, s:i, s:i, s:i, s:i, s:s, s:[], s:{s:[], s:[], s:n, s:[]}, s:b, s:b, s:b, "
      "s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, "
      "s:O?, s:O?, s:s, s:s, s:[], s:b, s:s, s:{s:{s:s}}, s:s, s:{s:s, s:s, s:s, s:b, s:s}, "
      "s:b, s:s, s:o, s:[]}",
      "ID", "", "Containers", counts[0], "ContainersRunning", counts[1], "ContainersPaused",
      counts[2], "ContainersStopped", counts[3], "Images", (int)n_images, "Driver", "overlay",
      "DriverStatus", "Plugins", "Volume", "Network", "Authorization", "Log", "MemoryLimit", 1,
      "SwapLimit", 1, "CpuCfsPeriod", 1, "CpuCfsQuota", 1, "CPUShares", 1, "CPUSet", 1, "PidsLimit",
      1, "Debug", 0, "NFd", 0, "NGoroutines", 0, "SystemTime", now, "LoggingDriver", "json-file",
      "CgroupDriver", "cgroupfs", "CgroupVersion",
      json_integer_value (json_object_get (info, "cgroup_version")) == 2 ? "2" : "1",
      "NEventsListener", 0, "KernelVersion", docker_jstr (info, "kernel_release"),
      "OperatingSystem", docker_jstr (info, "os"), "OSType", "linux", "Architecture",
      docker_jstr (info, "architecture"), "IndexServerAddress", "", "NCPU",
      json_object_get (info, "cpus"), "MemTotal", json_object_get (info, "memory_total"),
      "DockerRootDir", docker_jstr (info, "data_dir"), "Name", host, "Labels", "ExperimentalBuild",
      0, "ServerVersion", mr_version (), "Runtimes", "minirun", "path", "minirun", "DefaultRuntime",
      "minirun", "Swarm", "NodeID", "", "NodeAddr", "", "LocalNodeState", "inactive",
      "ControlAvailable", 0, "Error", "", "LiveRestoreEnabled", 1, "Isolation", "",
      "SecurityOptions", sec, "Warnings");
  docker_reply (d, 200, doc);
}
