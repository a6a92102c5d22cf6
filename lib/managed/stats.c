#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/magic.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "oci/container.h"
#include "oci/state.h"
#include "managed/stats.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/error.h"
#include "util/fs.h"

/* Between the two /proc/stat samples of a call that has no earlier one.  */
#define HOST_CPU_SAMPLE_NS (200 * 1000 * 1000L)

#define HYBRID_UNIFIED "/sys/fs/cgroup/unified"

/* --- parsers ---------------------------------------------------------------- */

static const char *
skip_blanks (const char *p)
{
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

/* A decimal number at *p, which moves past it; false when there is none.  */
static bool
next_u64 (const char **p, uint64_t *out)
{
  const char *s = skip_blanks (*p);
  uint64_t v = 0;

  if (*s < '0' || *s > '9')
    return false;
  for (; *s >= '0' && *s <= '9'; s++)
    v = v * 10 + (uint64_t)(*s - '0');
  *p = s;
  *out = v;
  return true;
}

static const char *
next_line (const char *p)
{
  p = strchr (p, '\n');
  return p ? p + 1 : NULL;
}

int
mr_stats_parse_net_dev (const char *content, uint64_t *rx, uint64_t *tx)
{
  const char *line = content;
  uint64_t srx = 0, stx = 0;

  /* Two header lines, the second naming the columns.  */
  line = line ? next_line (line) : NULL;
  if (line == NULL || strstr (line, "face") == NULL)
    return -1;
  for (line = next_line (line); line && *line; line = next_line (line))
    {
      const char *name = skip_blanks (line), *colon = strchr (name, ':');
      const char *eol = strchr (name, '\n');
      const char *p;
      uint64_t v[9];
      size_t len;

      if (*name == '\n')
        continue;
      if (colon == NULL || (eol && colon > eol) || colon == name)
        return -1;
      len = (size_t)(colon - name);
      p = colon + 1;
      /* receive: bytes packets errs drop fifo frame compressed multicast;
         then transmit: bytes ...  */
      for (size_t i = 0; i < 9; i++)
        if (!next_u64 (&p, &v[i]))
          return -1;
      if (len == 2 && strncmp (name, "lo", 2) == 0)
        continue;
      srx += v[0];
      stx += v[8];
    }
  *rx = srx;
  *tx = stx;
  return 0;
}

int
mr_stats_parse_proc_stat (const char *content, uint64_t *busy, uint64_t *total)
{
  const char *line;

  for (line = content; line && *line; line = next_line (line))
    {
      const char *p = line + 3;
      uint64_t v, sum = 0, idle = 0;
      size_t n;

      if (strncmp (line, "cpu ", 4) != 0)
        continue;
      /* user nice system idle iowait irq softirq steal; guest and
         guest_nice are already counted in user and nice.  */
      for (n = 0; n < 8 && next_u64 (&p, &v); n++)
        {
          sum += v;
          if (n == 3 || n == 4)
            idle += v;
        }
      if (n < 4)
        return -1;
      *total = sum;
      *busy = sum - idle;
      return 0;
    }
  return -1;
}

int
mr_stats_parse_meminfo (const char *content, uint64_t *total, uint64_t *available)
{
  uint64_t mem_total = 0, mem_avail = 0, fallback = 0;
  bool have_total = false, have_avail = false;
  const char *line;

  for (line = content; line && *line; line = next_line (line))
    {
      static const char *const keys[]
          = { "MemTotal:", "MemAvailable:", "MemFree:", "Buffers:", "Cached:" };
      const char *p;
      uint64_t v;
      size_t k;

      for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (strncmp (line, keys[k], strlen (keys[k])) == 0)
          break;
      if (k == sizeof keys / sizeof keys[0])
        continue;
      p = line + strlen (keys[k]);
      if (!next_u64 (&p, &v))
        return -1;
      p = skip_blanks (p);
      if (strncmp (p, "kB", 2) == 0)
        v *= 1024;
      if (k == 0)
        {
          mem_total = v;
          have_total = true;
        }
      else if (k == 1)
        {
          mem_avail = v;
          have_avail = true;
        }
      else
        fallback += v;
    }
  if (!have_total)
    return -1;
  *total = mem_total;
  if (available)
    /* Kernels before 3.14 have no MemAvailable: what is free or cache.  */
    *available = have_avail ? mem_avail : fallback;
  return 0;
}

/* A non-negative decimal fraction such as "0.05", independent of the
 * locale.  */
static bool
next_decimal (const char **p, double *out)
{
  const char *s = skip_blanks (*p);
  double v = 0, scale = 1;
  bool digits = false;

  for (; *s >= '0' && *s <= '9'; s++, digits = true)
    v = v * 10 + (*s - '0');
  if (*s == '.')
    for (s++; *s >= '0' && *s <= '9'; s++, digits = true)
      {
        scale /= 10;
        v += (*s - '0') * scale;
      }
  if (!digits)
    return false;
  *p = s;
  *out = v;
  return true;
}

int
mr_stats_parse_loadavg (const char *content, double load[3])
{
  const char *p = content;
  double v[3];

  for (int i = 0; i < 3; i++)
    if (p == NULL || !next_decimal (&p, &v[i]) || (*p != ' ' && *p != '\t'))
      return -1;
  memcpy (load, v, sizeof v);
  return 0;
}

int
mr_stats_parse_os_release (const char *content, char **pretty, struct mr_error *err)
{
  static const char key[] = "PRETTY_NAME=";
  const char *line;

  for (line = content; line && *line; line = next_line (line))
    {
      const char *p = line + strlen (key);
      cleanup_free char *v = NULL;
      size_t n = 0;

      if (strncmp (line, key, strlen (key)) != 0)
        continue;
      v = malloc (strcspn (p, "\n") + 1);
      if (v == NULL)
        return mr_error_errno (err, ENOMEM, "os-release");
      if (*p == '"' || *p == '\'')
        {
          /* Shell quoting: a backslash escapes \ " $ ` inside double
             quotes only.  */
          char q = *p++;

          for (; *p && *p != '\n' && *p != q; p++)
            {
              if (q == '"' && *p == '\\' && p[1] && strchr ("\\\"$`", p[1]))
                p++;
              v[n++] = *p;
            }
          if (*p != q)
            return mr_error_set (err, "os-release: unterminated quote in PRETTY_NAME");
        }
      else
        {
          for (; *p && *p != '\n'; p++)
            v[n++] = *p;
          while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        }
      v[n] = '\0';
      *pretty = steal_pointer (&v);
      return 0;
    }
  return mr_error_errno (err, ENOENT, "os-release: no PRETTY_NAME");
}

double
mr_stats_host_cpu_percent (uint64_t busy0, uint64_t total0, uint64_t busy1, uint64_t total1)
{
  double busy;

  if (total1 <= total0 || busy1 < busy0)
    return 0;
  busy = (double)(busy1 - busy0) * 100.0 / (double)(total1 - total0);
  return busy > 100.0 ? 100.0 : busy;
}

uint64_t
mr_stats_memory_usage (uint64_t usage, uint64_t inactive_file)
{
  return inactive_file < usage ? usage - inactive_file : usage;
}

uint64_t
mr_stats_memory_limit (uint64_t cgroup_limit, uint64_t host_total)
{
  if (host_total > 0 && cgroup_limit > host_total)
    return host_total;
  return cgroup_limit;
}

/* --- containers ------------------------------------------------------------- */

static uint64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int
host_memory (uint64_t *total, uint64_t *available, struct mr_error *err)
{
  cleanup_free char *content = NULL;

  if (mr_read_file ("/proc/meminfo", &content, NULL, err) < 0)
    return -1;
  if (mr_stats_parse_meminfo (content, total, available) < 0)
    return mr_error_set (err, "/proc/meminfo: no MemTotal");
  return 0;
}

static int
not_running (const char *id, struct mr_error *err)
{
  mr_error_set (err, "container '%s' is not running", id);
  err->errnum = ESRCH;
  return -1;
}

/* true when procfd's process is in the caller's network namespace: its
 * counters would be the host's, not the container's.  */
static bool
same_netns (int procfd)
{
  struct stat a, b;

  return fstatat (procfd, "ns/net", &a, 0) == 0 && stat ("/proc/self/ns/net", &b) == 0
         && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static int
net_stats (const char *id, int procfd, uint64_t *rx, uint64_t *tx, struct mr_error *err)
{
  cleanup_free char *content = NULL;

  if (same_netns (procfd))
    return 0;
  if (mr_read_file_at (procfd, "net/dev", &content, NULL, err) < 0)
    {
      if (err->errnum == ESRCH || err->errnum == ENOENT)
        return not_running (id, err);
      return mr_error_prefix (err, "stats '%s'", id);
    }
  if (mr_stats_parse_net_dev (content, rx, tx) < 0)
    return mr_error_set (err, "stats '%s': unexpected content in /proc/<pid>/net/dev", id);
  return 0;
}

static int
sample (struct mr_context *ctx, const char *id, struct mr_stats *s, struct mr_error *err)
{
  struct mr_cgroup_stats cs;
  struct mr_cgroup *cg = NULL;
  struct mr_state *st = NULL;
  cleanup_close int dirfd = -1;
  cleanup_close int procfd = -1;
  enum mr_status status;
  uint64_t host_total = 0;
  char proc[64];
  int ret = -1;

  if (mr_oci_load (ctx, id, false, &dirfd, &st, &status, err) < 0)
    return -1;
  if (status != MR_STATUS_RUNNING && status != MR_STATUS_PAUSED)
    {
      not_running (id, err);
      goto out;
    }
  /* Held open, the directory keeps naming this process even if the pid
     is reused before we read it.  */
  snprintf (proc, sizeof proc, "/proc/%d", (int)st->pid);
  procfd = open (proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (procfd < 0 || !mr_state_pid_alive (st))
    {
      not_running (id, err);
      goto out;
    }
  if (st->cgroup_path && mr_cgroup_open_in (st->cgroup_path, st->cgroup_layout, &cg, err) < 0)
    {
      mr_error_prefix (err, "stats '%s'", id);
      goto out;
    }
  s->time_ns = now_ns ();
  if (cg)
    {
      if (mr_cgroup_stats (cg, &cs, err) < 0)
        {
          mr_error_prefix (err, "stats '%s'", id);
          goto out;
        }
    }
  else
    {
      memset (&cs, 0, sizeof cs);
      cs.memory_limit = UINT64_MAX;
      cs.pids_limit = UINT64_MAX;
    }
  if (host_memory (&host_total, NULL, err) < 0
      || net_stats (id, procfd, &s->net_rx, &s->net_tx, err) < 0)
    goto out;
  s->cpu_usage_ns = cs.cpu_usage_ns;
  s->memory_usage = mr_stats_memory_usage (cs.memory_usage, cs.memory_inactive_file);
  s->memory_limit = mr_stats_memory_limit (cs.memory_limit, host_total);
  s->pids = cs.pids_current;
  s->pids_limit = cs.pids_limit == UINT64_MAX ? 0 : cs.pids_limit;
  s->block_read = cs.blkio_read_bytes;
  s->block_write = cs.blkio_write_bytes;
  s->oom_kills = cs.oom_kills;
  ret = 0;
out:
  if (cg)
    mr_cgroup_free (cg);
  mr_state_free (st);
  return ret;
}

/* Copies the fields of src that fit in the caller's struct of size bytes,
 * past its size field.  */
static void
copy_sized (void *dst, const void *src, size_t size, size_t full, size_t first)
{
  size_t n = size < full ? size : full;

  if (n > first)
    memcpy ((char *)dst + first, (const char *)src + first, n - first);
}

int
mr_stats_container (struct mr_context *ctx, const char *id, struct mr_stats *out,
                    struct mr_error *err)
{
  struct mr_stats s = { .size = sizeof s };

  if (out == NULL || out->size < offsetof (struct mr_stats, time_ns))
    return mr_error_set (err, "stats '%s': the result struct has no size", id);
  if (sample (ctx, id, &s, err) < 0)
    return -1;
  copy_sized (out, &s, out->size, sizeof s, offsetof (struct mr_stats, time_ns));
  return 0;
}

double
mr_stats_cpu_percent (const struct mr_stats *a, const struct mr_stats *b)
{
  if (b->time_ns <= a->time_ns || b->cpu_usage_ns < a->cpu_usage_ns)
    return 0;
  return (double)(b->cpu_usage_ns - a->cpu_usage_ns) * 100.0 / (double)(b->time_ns - a->time_ns);
}

double
mr_stats_memory_percent (const struct mr_stats *s)
{
  if (s->memory_limit == 0)
    return 0;
  return (double)s->memory_usage * 100.0 / (double)s->memory_limit;
}

/* Two decimals, as the tables show them, so that JSON readers see the same
 * numbers.  */
static double
round2 (double v)
{
  return (double)(long long)(v * 100.0 + 0.5) / 100.0;
}

static int
dump_json (json_t *o, char **json, const char *what, struct mr_error *err)
{
  if (o == NULL
      || (*json = json_dumps (o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION (15)))
             == NULL)
    return mr_error_errno (err, ENOMEM, "%s", what);
  return 0;
}

int
mr_stats_json (const char *name, const struct mr_stats *prev, const struct mr_stats *cur,
               char **json, struct mr_error *err)
{
  cleanup_json json_t *o = NULL;

  o = json_pack ("{s:s, s:s, s:f, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I}", "name", name, "id",
                 name, "cpu_percent", prev ? round2 (mr_stats_cpu_percent (prev, cur)) : 0.0,
                 "memory_usage", (json_int_t)cur->memory_usage, "memory_limit",
                 (json_int_t)cur->memory_limit, "memory_percent",
                 round2 (mr_stats_memory_percent (cur)), "net_rx", (json_int_t)cur->net_rx,
                 "net_tx", (json_int_t)cur->net_tx, "block_read", (json_int_t)cur->block_read,
                 "block_write", (json_int_t)cur->block_write, "pids", (json_int_t)cur->pids);
  return dump_json (o, json, "stats", err);
}

void
mr_size_format (uint64_t bytes, bool binary, char *buf, size_t len)
{
  static const char *const bin[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
  static const char *const dec[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
  const char *const *units = binary ? bin : dec;
  double base = binary ? 1024.0 : 1000.0, v = (double)bytes;
  /* docker divides while v >= base; with three digits that prints 999.7kB
     as "1e+03kB", which is shown here as "1MB".  */
  double next = binary ? base : 999.5;
  size_t u = 0;

  while (v >= next && u + 1 < 7)
    {
      v /= base;
      u++;
    }
  snprintf (buf, len, binary ? "%.4g%s" : "%.3g%s", v, units[u]);
}

/* --- the host --------------------------------------------------------------- */

static int
host_cpu_sample (uint64_t *busy, uint64_t *total, struct mr_error *err)
{
  cleanup_free char *content = NULL;

  if (mr_read_file ("/proc/stat", &content, NULL, err) < 0)
    return -1;
  if (mr_stats_parse_proc_stat (content, busy, total) < 0)
    return mr_error_set (err, "/proc/stat: no cpu line");
  return 0;
}

static void
count_containers (const struct mr_container_info *list, size_t n, struct mr_system_stats *s)
{
  s->containers = (unsigned)n;
  for (size_t i = 0; i < n; i++)
    switch (list[i].status)
      {
      case MR_STATUS_RUNNING:
        s->containers_running++;
        break;
      case MR_STATUS_PAUSED:
        s->containers_paused++;
        break;
      case MR_STATUS_STOPPED:
        s->containers_stopped++;
        break;
      case MR_STATUS_CREATING:
      case MR_STATUS_CREATED:
        s->containers_created++;
        break;
      }
}

int
mr_stats_system (const struct mr_container_info *list, size_t n,
                 struct mr_system_stats *out, struct mr_error *err)
{
  const size_t first = offsetof (struct mr_system_stats, cpu_busy);
  struct mr_system_stats s = { .size = sizeof s };
  cleanup_free char *loadavg = NULL;
  uint64_t busy0 = 0, total0 = 0, available = 0;
  long cpus;

  if (out == NULL || out->size < first)
    return mr_error_set (err, "system stats: the result struct has no size");
  if (out->size >= offsetof (struct mr_system_stats, cpu_percent))
    {
      busy0 = out->cpu_busy;
      total0 = out->cpu_total;
    }
  if (total0 == 0)
    {
      struct timespec ts = { 0, HOST_CPU_SAMPLE_NS };

      if (host_cpu_sample (&busy0, &total0, err) < 0)
        return -1;
      while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
        ;
    }
  if (host_cpu_sample (&s.cpu_busy, &s.cpu_total, err) < 0)
    return -1;
  s.cpu_percent = mr_stats_host_cpu_percent (busy0, total0, s.cpu_busy, s.cpu_total);
  cpus = sysconf (_SC_NPROCESSORS_ONLN);
  s.cpus = cpus > 0 ? (unsigned)cpus : 1;
  if (host_memory (&s.memory_total, &available, err) < 0)
    return -1;
  s.memory_used = available < s.memory_total ? s.memory_total - available : 0;
  if (mr_read_file ("/proc/loadavg", &loadavg, NULL, err) < 0)
    return -1;
  if (mr_stats_parse_loadavg (loadavg, s.load) < 0)
    return mr_error_set (err, "/proc/loadavg: unexpected content");
  count_containers (list, n, &s);
  copy_sized (out, &s, out->size, sizeof s, first);
  return 0;
}

int
mr_system_stats_json (const struct mr_system_stats *s, char **json, struct mr_error *err)
{
  cleanup_json json_t *o = NULL;
  double mem_pct = s->memory_total ? (double)s->memory_used * 100.0 / (double)s->memory_total : 0;

  o = json_pack ("{s:f, s:i, s:I, s:I, s:f, s:[f,f,f], s:i, s:i, s:i, s:i, s:i}", "cpu_percent",
                 round2 (s->cpu_percent), "cpus", (int)s->cpus, "memory_used",
                 (json_int_t)s->memory_used, "memory_total", (json_int_t)s->memory_total,
                 "memory_percent", round2 (mem_pct), "load_average", round2 (s->load[0]),
                 round2 (s->load[1]), round2 (s->load[2]), "containers", (int)s->containers,
                 "containers_running", (int)s->containers_running, "containers_paused",
                 (int)s->containers_paused, "containers_stopped", (int)s->containers_stopped,
                 "containers_created", (int)s->containers_created);
  return dump_json (o, json, "system stats", err);
}

static char *
os_name (void)
{
  static const char *const paths[] = { "/etc/os-release", "/usr/lib/os-release" };
  struct mr_error e = { 0 };

  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
    {
      cleanup_free char *content = NULL;
      char *pretty = NULL;

      if (mr_read_file (paths[i], &content, NULL, &e) < 0)
        continue;
      if (mr_stats_parse_os_release (content, &pretty, &e) == 0)
        return pretty;
      break;
    }
  /* The default that os-release(5) gives PRETTY_NAME.  */
  return strdup ("Linux");
}

static int
cgroup_backend (int *version, char **backend, struct mr_error *err)
{
  enum mr_cgroup_mode mode;
  struct statfs sfs;

  if (mr_cgroup_mode (&mode, err) < 0)
    return -1;
  if (mode == MR_CGROUP_V2)
    {
      cleanup_free char *ctrl = NULL;
      struct mr_error e = { 0 };
      size_t n;

      *version = 2;
      if (mr_read_file ("/sys/fs/cgroup/cgroup.controllers", &ctrl, NULL, &e) < 0)
        return mr_asprintf (err, backend, "v2 (unified at /sys/fs/cgroup)");
      n = strcspn (ctrl, "\n");
      return mr_asprintf (err, backend, "v2 (unified at /sys/fs/cgroup, controllers: %.*s)", (int)n,
                          n ? ctrl : "none");
    }
  *version = 1;
  if (statfs (HYBRID_UNIFIED, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    return mr_asprintf (err, backend, "v1 (hybrid, cgroup2 at %s)", HYBRID_UNIFIED);
  return mr_asprintf (err, backend, "v1 (legacy)");
}

static bool
has_seccomp (void)
{
#ifdef SYS_seccomp
  uint32_t action = SECCOMP_RET_ERRNO;

  /* Filters are there, not only strict mode.  */
  return syscall (SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
#else
  return prctl (PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
#endif
}

static bool
has_user_namespaces (void)
{
  cleanup_free char *content = NULL;
  struct mr_error e = { 0 };

  return mr_read_file ("/proc/sys/user/max_user_namespaces", &content, NULL, &e) == 0
         && strtoul (content, NULL, 10) > 0;
}

static bool
has_pidfd (void)
{
#ifdef SYS_pidfd_open
  int fd = (int)syscall (SYS_pidfd_open, getpid (), 0);

  if (fd >= 0)
    close (fd);
  return fd >= 0;
#else
  return false;
#endif
}

static bool
has_clone3 (void)
{
#ifdef SYS_clone3
  /* A size below the first version of struct clone_args is refused with
     EINVAL before anything is created; a kernel (or a seccomp profile)
     without clone3 says ENOSYS.  */
  return syscall (SYS_clone3, NULL, 0) < 0 && errno != ENOSYS;
#else
  return false;
#endif
}

static json_t *
info_object (struct mr_context *ctx, struct mr_error *err)
{
  const struct scmp_version *sv = seccomp_version ();
  cleanup_free char *backend = NULL;
  cleanup_free char *os = NULL;
  cleanup_free char *seccomp = NULL;
  uint64_t mem_total = 0;
  struct utsname u;
  int cgroup_version;
  long cpus = sysconf (_SC_NPROCESSORS_ONLN);
  json_t *o;

  if (uname (&u) < 0)
    {
      mr_error_errno (err, errno, "uname");
      return NULL;
    }
  if (host_memory (&mem_total, NULL, err) < 0
      || cgroup_backend (&cgroup_version, &backend, err) < 0)
    return NULL;
  os = os_name ();
  if (sv && mr_asprintf (err, &seccomp, "%u.%u.%u", sv->major, sv->minor, sv->micro) < 0)
    return NULL;
  o = json_pack ("{s:s, s:s, s:s, s:s?, s:s, s:i, s:I, s:i, s:s, s:s, s:s, s:s?, s:s, "
                 "s:{s:b, s:b, s:b, s:b}}",
                 "version", mr_version (), "kernel_release", u.release, "kernel_version", u.version,
                 "os", os, "architecture", u.machine, "cpus", (int)(cpus > 0 ? cpus : 1),
                 "memory_total", (json_int_t)mem_total, "cgroup_version", cgroup_version,
                 "cgroup_backend", backend, "state_root", mr_context_root (ctx), "data_dir",
                 mr_context_data_dir (ctx), "libseccomp_version", seccomp, "jansson_version",
                 jansson_version_str (), "security", "seccomp", (int)has_seccomp (),
                 "user_namespaces", (int)has_user_namespaces (), "pidfd", (int)has_pidfd (),
                 "clone3", (int)has_clone3 ());
  if (o == NULL)
    mr_error_errno (err, ENOMEM, "system info");
  return o;
}

int
mr_system_info (struct mr_context *ctx, char **json, struct mr_error *err)
{
  cleanup_json json_t *o = info_object (ctx, err);

  if (o == NULL)
    return -1;
  return dump_json (o, json, "system info", err);
}

/* The labels of the text form, in the order of the JSON object.  */
static const struct
{
  const char *key;
  const char *label;
} info_labels[] = {
  { "version", "Version" },
  { "kernel_release", "Kernel Release" },
  { "kernel_version", "Kernel Version" },
  { "os", "Operating System" },
  { "architecture", "Architecture" },
  { "cpus", "CPUs" },
  { "memory_total", "Total Memory" },
  { "cgroup_version", "Cgroup Version" },
  { "cgroup_backend", "Cgroup Backend" },
  { "state_root", "State Root" },
  { "data_dir", "Data Dir" },
  { "libseccomp_version", "libseccomp Version" },
  { "jansson_version", "Jansson Version" },
  { "security", "Security Features" },
};

static void
print_value (FILE *f, const char *key, json_t *v)
{
  if (strcmp (key, "memory_total") == 0)
    {
      char buf[32];

      mr_size_format ((uint64_t)json_integer_value (v), true, buf, sizeof buf);
      fputs (buf, f);
    }
  else if (json_is_integer (v))
    fprintf (f, "%lld", (long long)json_integer_value (v));
  else if (json_is_string (v))
    fputs (json_string_value (v), f);
  else if (json_is_object (v))
    {
      const char *k;
      json_t *b;
      bool any = false;

      json_object_foreach (v, k, b) if (json_is_true (b))
      {
        fprintf (f, "%s%s", any ? ", " : "",
                 strcmp (k, "user_namespaces") == 0 ? "user namespaces" : k);
        any = true;
      }
      if (!any)
        fputs ("none", f);
    }
}

int
mr_system_info_text (struct mr_context *ctx, char **text, struct mr_error *err)
{
  cleanup_json json_t *o = info_object (ctx, err);
  cleanup_free char *buf = NULL;
  size_t len = 0;
  FILE *f;

  if (o == NULL)
    return -1;
  f = open_memstream (&buf, &len);
  if (f == NULL)
    return mr_error_errno (err, errno, "system info");
  for (size_t i = 0; i < sizeof info_labels / sizeof info_labels[0]; i++)
    {
      json_t *v = json_object_get (o, info_labels[i].key);

      if (v == NULL)
        continue;
      fprintf (f, "%s: ", info_labels[i].label);
      print_value (f, info_labels[i].key, v);
      fputc ('\n', f);
    }
  if (fclose (f) != 0)
    return mr_error_errno (err, ENOMEM, "system info");
  *text = steal_pointer (&buf);
  return 0;
}
