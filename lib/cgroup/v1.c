#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

#define FREEZE_TIMEOUT_NS (5ULL * 1000000000ULL)
#define DESTROY_TIMEOUT_NS (1ULL * 1000000000ULL)

/* v1 reports "no limit" as the largest page-aligned value; anything this
 * big is no limit.  */
#define V1_UNLIMITED (1ULL << 62)

/* Mount table.  */

/* mountinfo escapes space, tab, newline and backslash as \ooo.  */
static char *
unescape (const char *s, size_t len)
{
  char *out = malloc (len + 1);
  size_t i, o = 0;

  if (out == NULL)
    return NULL;
  for (i = 0; i < len; i++)
    {
      if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0'
          && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7')
        {
          out[o++] = (char)(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
          i += 3;
        }
      else
        out[o++] = s[i];
    }
  out[o] = '\0';
  return out;
}

/* Super block options of cgroup v1 that are no controller.  */
static bool
is_flag (const char *opt, size_t n)
{
  static const char *const flags[] = { "rw",
                                       "ro",
                                       "xattr",
                                       "noprefix",
                                       "clone_children",
                                       "cpuset_v2_mode",
                                       "favordynmods",
                                       "nofavordynmods" };
  size_t i;

  for (i = 0; i < sizeof flags / sizeof flags[0]; i++)
    if (strlen (flags[i]) == n && memcmp (opt, flags[i], n) == 0)
      return true;
  /* release_agent=, but not name=.  */
  return memchr (opt, '=', n) != NULL && !(n > 5 && memcmp (opt, "name=", 5) == 0);
}

/* The controllers of a cgroup v1 super block's options.  */
static char *
controllers_of (const char *opts, size_t len)
{
  char *out = malloc (len + 1);
  const char *end = opts + len;
  size_t o = 0;

  if (out == NULL)
    return NULL;
  while (opts < end)
    {
      const char *c = memchr (opts, ',', (size_t)(end - opts));
      size_t n = c ? (size_t)(c - opts) : (size_t)(end - opts);
      if (n > 0 && !is_flag (opts, n))
        {
          if (o)
            out[o++] = ',';
          memcpy (out + o, opts, n);
          o += n;
        }
      opts += n + 1;
    }
  out[o] = '\0';
  return out;
}

static bool
under_sys_fs_cgroup (const char *mnt)
{
  return strncmp (mnt, MR_CGROUP_ROOT "/", sizeof MR_CGROUP_ROOT) == 0;
}

void
mr_cgroup_v1_mounts_free (struct mr_cgroup_v1_mounts *m)
{
  size_t i;

  if (m == NULL)
    return;
  for (i = 0; i < m->n; i++)
    {
      free (m->h[i].mountpoint);
      free (m->h[i].root);
      free (m->h[i].controllers);
    }
  free (m->h);
  free (m->unified);
  free (m->unified_root);
  free (m);
}

#define MAX_FIELDS 32

int
mr_cgroup_v1_parse_mountinfo (const char *content, struct mr_cgroup_v1_mounts **out,
                              struct mr_error *err)
{
  struct mr_cgroup_v1_mounts *m = calloc (1, sizeof *m);
  /* The device of each hierarchy, to see the same one mounted twice.  */
  cleanup_free char **devs = NULL;
  size_t alloc = 0, n_devs = 0, i;
  const char *line = content;
  int ret = -1;

  if (m == NULL)
    return mr_error_errno (err, ENOMEM, "mountinfo");
  while (line && *line)
    {
      const char *eol = strchr (line, '\n');
      const char *end = eol ? eol : line + strlen (line);
      const char *f[MAX_FIELDS];
      size_t fl[MAX_FIELDS];
      size_t nf = 0, sep = 0;
      const char *p = line;
      bool v2;

      while (p < end && nf < MAX_FIELDS)
        {
          const char *s = p;
          while (p < end && *p != ' ')
            p++;
          f[nf] = s;
          fl[nf] = (size_t)(p - s);
          if (sep == 0 && nf >= 6 && fl[nf] == 1 && s[0] == '-')
            sep = nf;
          nf++;
          while (p < end && *p == ' ')
            p++;
        }
      line = eol ? eol + 1 : NULL;
      if (sep == 0 || nf < sep + 4)
        continue;
      v2 = fl[sep + 1] == 7 && memcmp (f[sep + 1], "cgroup2", 7) == 0;
      if (!v2 && !(fl[sep + 1] == 6 && memcmp (f[sep + 1], "cgroup", 6) == 0))
        continue;

      if (v2)
        {
          char *mnt = unescape (f[4], fl[4]);
          char *root = unescape (f[3], fl[3]);
          if (mnt == NULL || root == NULL)
            {
              free (mnt);
              free (root);
              goto nomem;
            }
          if (m->unified == NULL
              || (!under_sys_fs_cgroup (m->unified) && under_sys_fs_cgroup (mnt)))
            {
              free (m->unified);
              free (m->unified_root);
              m->unified = mnt;
              m->unified_root = root;
            }
          else
            {
              free (mnt);
              free (root);
            }
          continue;
        }

      for (i = 0; i < m->n; i++)
        if (strlen (devs[i]) == fl[2] && memcmp (devs[i], f[2], fl[2]) == 0)
          break;
      if (i < m->n)
        {
          /* Seen already: keep the mount in the usual place.  */
          char *mnt, *root;

          if (under_sys_fs_cgroup (m->h[i].mountpoint))
            continue;
          mnt = unescape (f[4], fl[4]);
          root = unescape (f[3], fl[3]);
          if (mnt == NULL || root == NULL || !under_sys_fs_cgroup (mnt))
            {
              free (mnt);
              free (root);
              if (mnt == NULL || root == NULL)
                goto nomem;
              continue;
            }
          free (m->h[i].mountpoint);
          free (m->h[i].root);
          m->h[i].mountpoint = mnt;
          m->h[i].root = root;
          continue;
        }
      if (m->n == alloc)
        {
          size_t na = alloc ? alloc * 2 : 16;
          struct mr_cgroup_v1_hierarchy *nh = realloc (m->h, na * sizeof *nh);
          char **nd;
          if (nh == NULL)
            goto nomem;
          m->h = nh;
          nd = realloc (devs, na * sizeof *nd);
          if (nd == NULL)
            goto nomem;
          devs = nd;
          alloc = na;
        }
      devs[n_devs++] = strndup (f[2], fl[2]);
      m->h[m->n].mountpoint = unescape (f[4], fl[4]);
      m->h[m->n].root = unescape (f[3], fl[3]);
      m->h[m->n].controllers = controllers_of (f[sep + 3], fl[sep + 3]);
      m->n++;
      if (devs[m->n - 1] == NULL || m->h[m->n - 1].mountpoint == NULL || m->h[m->n - 1].root == NULL
          || m->h[m->n - 1].controllers == NULL)
        goto nomem;
    }
  *out = m;
  m = NULL;
  ret = 0;
  goto out;

nomem:
  mr_error_errno (err, ENOMEM, "mountinfo");
out:
  for (i = 0; i < n_devs; i++)
    free (devs[i]);
  mr_cgroup_v1_mounts_free (m);
  return ret;
}

const struct mr_cgroup_v1_hierarchy *
mr_cgroup_v1_find (const struct mr_cgroup_v1_mounts *m, const char *controller)
{
  size_t i;

  for (i = 0; i < m->n; i++)
    if (mr_cgroup_list_has (m->h[i].controllers, strlen (m->h[i].controllers), controller))
      return &m->h[i];
  return NULL;
}

/* Read once per process: container start is a hot path.  */
static struct mr_cgroup_v1_mounts *mounts_cache;

static int
get_mounts (const struct mr_cgroup_v1_mounts **out, struct mr_error *err)
{
  struct mr_cgroup_v1_mounts *m = __atomic_load_n (&mounts_cache, __ATOMIC_ACQUIRE);
  struct mr_cgroup_v1_mounts *expected = NULL;
  cleanup_free char *content = NULL;

  if (m == NULL)
    {
      if (mr_read_file ("/proc/self/mountinfo", &content, NULL, err) < 0)
        return -1;
      if (mr_cgroup_v1_parse_mountinfo (content, &m, err) < 0)
        return -1;
      if (!__atomic_compare_exchange_n (&mounts_cache, &expected, m, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
        {
          mr_cgroup_v1_mounts_free (m);
          m = expected;
        }
    }
  *out = m;
  return 0;
}

/* The handle.  */

struct v1_data
{
  const struct mr_cgroup_v1_mounts *m;
  char **dirs;       /* per hierarchy: mount point + the cgroup's path in it */
  char **paths;      /* per hierarchy: the cgroup's path from the hierarchy's root */
  const char **rels; /* per hierarchy: the cgroup's path below the mount point */
  char *unified_path;
  int *created; /* per hierarchy: first level mkdir created, 0 if none */
  const char *unified_rel;
  int *join_fds;      /* per hierarchy: its "tasks" file, for a new process to join by itself */
  bool join_prepared; /* join_fds are all open */
  bool self_joined;   /* the last process made joined the hierarchies by itself */
};

/* The cgroup's path below a mount of the hierarchy's directory root:
 * paths from /proc/self/cgroup include that root.  */
static const char *
below_root (const char *root, const char *path)
{
  size_t rl = strlen (root);

  if (rl <= 1 || strncmp (path, root, rl) != 0 || (path[rl] != '/' && path[rl] != '\0'))
    return path;
  return path + rl;
}

static void
close_join_fds (struct v1_data *d)
{
  if (d->join_fds == NULL)
    return;
  for (size_t i = 0; i < d->m->n; i++)
    if (d->join_fds[i] >= 0)
      {
        close (d->join_fds[i]);
        d->join_fds[i] = -1;
      }
}

static void
v1_free (struct mr_cgroup *cg)
{
  struct v1_data *d = cg->data;
  size_t i;

  if (d == NULL)
    return;
  close_join_fds (d);
  free (d->join_fds);
  for (i = 0; i < d->m->n; i++)
    {
      if (d->dirs)
        free (d->dirs[i]);
      if (d->paths)
        free (d->paths[i]);
    }
  free (d->dirs);
  free (d->paths);
  free (d->unified_path);
  free (d->rels);
  free (d->created);
  free (d);
  cg->data = NULL;
}

/* The cgroup's path in the hierarchy with these controllers (its own in
 * the layout, else the handle's path), and the first level of it that
 * create made.  */
static int
layout_path (struct mr_cgroup *cg, const char *controllers, char **path, int *created,
             struct mr_error *err)
{
  json_t *e = mr_cgroup_layout_entry (cg->layout, controllers);
  const char *p = e ? json_string_value (json_object_get (e, "path")) : NULL;
  json_t *c = e ? json_object_get (e, "created") : NULL;

  *created = json_is_integer (c) ? (int)json_integer_value (c) : 0;
  if (p == NULL)
    p = cg->path;
  if (mr_cgroup_clean_path (p, path, err) < 0)
    return -1;
  if (strcmp (*path, "/") == 0)
    return mr_error_set (err, "cgroup path '%s' is the root cgroup", p);
  return 0;
}

/* The layout of what create made: each hierarchy's path and first level
 * made, for destroy to remove those again.  */
static int
record_layout (struct mr_cgroup *cg, struct mr_error *err)
{
  struct v1_data *d = cg->data;
  json_t *l = json_object ();
  size_t i;

  if (l == NULL)
    return mr_error_errno (err, ENOMEM, "cgroup '%s'", cg->path);
  for (i = 0; i < d->m->n; i++)
    if (json_object_set_new (l, d->m->h[i].controllers,
                             json_pack ("{s:s,s:i}", "path", d->paths[i], "created", d->created[i]))
        < 0)
      goto nomem;
  if (d->unified_path
      && json_object_set_new (
             l, "unified",
             json_pack ("{s:s,s:i}", "path", d->unified_path, "created", cg->v2_created))
             < 0)
    goto nomem;
  json_decref (cg->layout);
  cg->layout = l;
  return 0;

nomem:
  json_decref (l);
  return mr_error_errno (err, ENOMEM, "cgroup '%s'", cg->path);
}

static int
v1_setup (struct mr_cgroup *cg, struct mr_error *err)
{
  const struct mr_cgroup_v1_mounts *m;
  const char *unified, *unified_root;
  struct v1_data *d;
  size_t i;

  if (get_mounts (&m, err) < 0)
    return -1;
  if (m->n == 0)
    return mr_error_set (err, "cgroup '%s': no cgroup v1 hierarchy is mounted", cg->path);
  d = calloc (1, sizeof *d);
  if (d == NULL)
    return mr_error_errno (err, ENOMEM, "cgroup '%s'", cg->path);
  cg->data = d;
  d->m = m;
  d->dirs = calloc (m->n, sizeof *d->dirs);
  d->paths = calloc (m->n, sizeof *d->paths);
  d->rels = calloc (m->n, sizeof *d->rels);
  d->created = calloc (m->n, sizeof *d->created);
  if (d->dirs == NULL || d->paths == NULL || d->rels == NULL || d->created == NULL)
    return mr_error_errno (err, ENOMEM, "cgroup '%s'", cg->path);
  for (i = 0; i < m->n; i++)
    {
      if (layout_path (cg, m->h[i].controllers, &d->paths[i], &d->created[i], err) < 0)
        return -1;
      d->rels[i] = below_root (m->h[i].root, d->paths[i]);
      if (d->rels[i][0] == '\0')
        return mr_error_set (err, "cgroup '%s' is the root of the hierarchy mounted on '%s'",
                             cg->path, m->h[i].mountpoint);
      if (mr_asprintf (err, &d->dirs[i], "%s%s", m->h[i].mountpoint, d->rels[i]) < 0)
        return -1;
    }
  unified = m->unified;
  unified_root = m->unified_root;
  if (mr_cgroup_override_root ())
    {
      unified = mr_cgroup_override_root ()[0] ? mr_cgroup_override_root () : NULL;
      unified_root = "/";
    }
  if (unified)
    {
      if (layout_path (cg, "unified", &d->unified_path, &cg->v2_created, err) < 0)
        return -1;
      d->unified_rel = below_root (unified_root, d->unified_path);
      if (d->unified_rel[0] == '\0')
        return mr_error_set (err, "cgroup '%s' is the root of the hierarchy mounted on '%s'",
                             cg->path, unified);
      cg->v2_root = strdup (unified);
      if (cg->v2_root == NULL)
        return mr_error_errno (err, ENOMEM, "cgroup '%s'", cg->path);
      if (mr_asprintf (err, &cg->v2_dir, "%s%s", unified, d->unified_rel) < 0)
        return -1;
    }
  return 0;
}

static const char *
dir_of (struct mr_cgroup *cg, const char *controller)
{
  struct v1_data *d = cg->data;
  const struct mr_cgroup_v1_hierarchy *h = mr_cgroup_v1_find (d->m, controller);

  return h ? d->dirs[h - d->m->h] : NULL;
}

static bool
has_file (const char *dir, const char *name)
{
  char path[PATH_MAX];

  snprintf (path, sizeof path, "%s/%s", dir, name);
  return access (path, F_OK) == 0;
}

static int
write_file (const char *dir, const char *name, const char *value, struct mr_error *err)
{
  char path[PATH_MAX];

  if ((size_t)snprintf (path, sizeof path, "%s/%s", dir, name) >= sizeof path)
    return mr_error_set (err, "cgroup '%s': path too long", dir);
  return mr_write_file (path, value, strlen (value), err);
}

static int
read_file (const char *dir, const char *name, char **out, struct mr_error *err)
{
  char path[PATH_MAX];

  *out = NULL;
  if ((size_t)snprintf (path, sizeof path, "%s/%s", dir, name) >= sizeof path)
    return mr_error_set (err, "cgroup '%s': path too long", dir);
  return mr_cgroup_read_at (AT_FDCWD, path, out, err);
}

static int
missing (const char *file, const char *controller, struct mr_error *err)
{
  return mr_error_set (err, "%s: the %s controller is not mounted", file, controller);
}

/* Limits.  Zero means "not set" for the values that runc treats that way;
 * values that only lift a limit are skipped where the controller is not
 * mounted.  */

static int
apply_memory (struct mr_cgroup *cg, const struct mr_spec_memory *m, struct mr_error *err)
{
  const char *dir = dir_of (cg, "memory");
  bool has_limit = m->limit_set && m->limit != 0;
  bool has_swap = m->swap_set && m->swap != 0;
  char limit[32], swap[32], buf[32];

  if (dir == NULL)
    {
      if ((has_limit && m->limit > 0) || (m->reservation_set && m->reservation > 0)
          || (has_swap && m->swap > 0) || m->swappiness_set
          || (m->disable_oom_killer_set && m->disable_oom_killer)
          || (m->kernel_tcp_set && m->kernel_tcp > 0))
        return missing ("memory.limit_in_bytes", "memory", err);
      return 0;
    }
  snprintf (limit, sizeof limit, "%" PRId64, m->limit < 0 ? (int64_t)-1 : m->limit);
  snprintf (swap, sizeof swap, "%" PRId64, m->swap < 0 ? (int64_t)-1 : m->swap);
  if (has_swap && !has_file (dir, "memory.memsw.limit_in_bytes"))
    {
      /* As runc: lifting the limit, or memory+swap equal to memory (no
       * swap on top), is not refused for want of swap accounting.  */
      if (m->swap > 0 && !(has_limit && m->swap == m->limit))
        return mr_error_set (err, "memory swap limit: the kernel has no swap accounting");
      has_swap = false;
    }
  if (has_limit && has_swap)
    {
      /* memory+swap may never be below memory: raise memsw first, lower
       * it last.  */
      cleanup_free char *cur = NULL;
      uint64_t v = UINT64_MAX;
      bool raise;

      if (read_file (dir, "memory.limit_in_bytes", &cur, err) < 0)
        return -1;
      if (cur)
        mr_cgroup_parse_u64 (cur, &v);
      raise = m->swap < 0 || v < (uint64_t)m->swap;
      if (raise)
        {
          if (write_file (dir, "memory.memsw.limit_in_bytes", swap, err) < 0
              || write_file (dir, "memory.limit_in_bytes", limit, err) < 0)
            return -1;
        }
      else if (write_file (dir, "memory.limit_in_bytes", limit, err) < 0
               || write_file (dir, "memory.memsw.limit_in_bytes", swap, err) < 0)
        return -1;
    }
  else if (has_limit)
    {
      /* Lifting the memory limit lifts memory+swap too, or the kernel
       * refuses a memory limit above it.  */
      if (m->limit < 0 && has_file (dir, "memory.memsw.limit_in_bytes")
          && write_file (dir, "memory.memsw.limit_in_bytes", "-1", err) < 0)
        return -1;
      if (write_file (dir, "memory.limit_in_bytes", limit, err) < 0)
        return -1;
    }
  else if (has_swap && write_file (dir, "memory.memsw.limit_in_bytes", swap, err) < 0)
    return -1;
  if (m->reservation_set && m->reservation != 0)
    {
      snprintf (buf, sizeof buf, "%" PRId64, m->reservation < 0 ? (int64_t)-1 : m->reservation);
      if (write_file (dir, "memory.soft_limit_in_bytes", buf, err) < 0)
        return -1;
    }
  if (m->swappiness_set)
    {
      snprintf (buf, sizeof buf, "%" PRIu64, m->swappiness);
      if (write_file (dir, "memory.swappiness", buf, err) < 0)
        return -1;
    }
  if (m->disable_oom_killer_set
      && write_file (dir, "memory.oom_control", m->disable_oom_killer ? "1" : "0", err) < 0)
    return -1;
  if (m->kernel_tcp_set && m->kernel_tcp != 0)
    {
      /* Kernels since 5.16 or built without kmem accounting lack it.  */
      if (!has_file (dir, "memory.kmem.tcp.limit_in_bytes"))
        return mr_error_set (err, "memory.kmem.tcp.limit_in_bytes: the kernel has no TCP "
                                  "memory accounting for cgroups (linux.resources.memory."
                                  "kernelTCP)");
      snprintf (buf, sizeof buf, "%" PRId64, m->kernel_tcp < 0 ? (int64_t)-1 : m->kernel_tcp);
      if (write_file (dir, "memory.kmem.tcp.limit_in_bytes", buf, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_cpu (struct mr_cgroup *cg, const struct mr_spec_cpu *c, struct mr_error *err)
{
  const char *dir = dir_of (cg, "cpu");
  bool shares = c->shares_set && c->shares != 0;
  bool quota = c->quota_set && c->quota != 0;
  bool period = c->period_set && c->period != 0;
  bool rt_runtime = c->realtime_runtime_set && c->realtime_runtime != 0;
  bool rt_period = c->realtime_period_set && c->realtime_period != 0;
  char buf[32], qbuf[32];

  if (dir == NULL)
    {
      if (shares || (quota && c->quota > 0) || period)
        return missing (shares ? "cpu.shares" : "cpu.cfs_quota_us", "cpu", err);
      if (rt_runtime || rt_period)
        return missing ("cpu.rt_runtime_us", "cpu", err);
      return 0;
    }
  if (shares)
    {
      snprintf (buf, sizeof buf, "%" PRIu64, c->shares);
      if (write_file (dir, "cpu.shares", buf, err) < 0)
        return -1;
    }
  snprintf (qbuf, sizeof qbuf, "%" PRId64, c->quota < 0 ? (int64_t)-1 : c->quota);
  if (period)
    {
      snprintf (buf, sizeof buf, "%" PRIu64, c->period);
      if (write_file (dir, "cpu.cfs_period_us", buf, err) < 0)
        {
          /* A shorter period can make the current quota invalid: set the
           * new quota first and try again.  */
          if (!quota || err == NULL || err->errnum != EINVAL)
            return -1;
          if (write_file (dir, "cpu.cfs_quota_us", qbuf, err) < 0
              || write_file (dir, "cpu.cfs_period_us", buf, err) < 0)
            return -1;
        }
    }
  if (quota && write_file (dir, "cpu.cfs_quota_us", qbuf, err) < 0)
    return -1;
  if ((rt_runtime || rt_period) && !has_file (dir, "cpu.rt_runtime_us"))
    return mr_error_set (err, "cpu realtime: the kernel has no realtime group scheduling");
  if (rt_period)
    {
      snprintf (buf, sizeof buf, "%" PRIu64, c->realtime_period);
      if (write_file (dir, "cpu.rt_period_us", buf, err) < 0)
        return -1;
    }
  if (rt_runtime)
    {
      snprintf (buf, sizeof buf, "%" PRId64, c->realtime_runtime);
      if (write_file (dir, "cpu.rt_runtime_us", buf, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_cpuset (struct mr_cgroup *cg, const struct mr_spec_cpu *c, struct mr_error *err)
{
  const char *dir;
  bool cpus = c->cpus && c->cpus[0], mems = c->mems && c->mems[0];

  if (!cpus && !mems)
    return 0;
  dir = dir_of (cg, "cpuset");
  if (dir == NULL)
    return missing (cpus ? "cpuset.cpus" : "cpuset.mems", "cpuset", err);
  if (cpus && write_file (dir, "cpuset.cpus", c->cpus, err) < 0)
    return -1;
  if (mems && write_file (dir, "cpuset.mems", c->mems, err) < 0)
    return -1;
  return 0;
}

int
mr_cgroup_v1_device_rule (const struct mr_spec_device_rule *rule, char *buf, size_t size)
{
  char major[24], minor[24];
  const char *access = rule->access[0] ? rule->access : "rwm";
  const char *p;
  char type = rule->type == 'u' ? 'c' : rule->type;
  int n;

  if (type == 'a')
    n = snprintf (buf, size, "a");
  else
    {
      if (type != 'c' && type != 'b')
        return -1;
      if (rule->major < -1 || rule->minor < -1)
        return -1;
      for (p = access; *p; p++)
        if (*p != 'r' && *p != 'w' && *p != 'm')
          return -1;
      if (rule->major < 0)
        snprintf (major, sizeof major, "*");
      else
        snprintf (major, sizeof major, "%" PRId64, rule->major);
      if (rule->minor < 0)
        snprintf (minor, sizeof minor, "*");
      else
        snprintf (minor, sizeof minor, "%" PRId64, rule->minor);
      n = snprintf (buf, size, "%c %s:%s %s", type, major, minor, access);
    }
  if (n < 0 || (size_t)n >= size)
    return -1;
  return n;
}

/* The devices controller's state as v1 keeps it: a default (allow or
   deny everything) and exceptions to it, each an exact type and major:minor
   (-1: "*") with access bits.  The kernel merges an allow or deny into the
   exception of the same type and numbers only, which is what this models,
   as runc's devices emulator does.  */
#define DEV_R 1u
#define DEV_W 2u
#define DEV_M 4u

struct dev_exc
{
  char type;
  int64_t major, minor;
  unsigned acc;
};

struct dev_state
{
  bool default_allow;
  size_t n, cap;
  struct dev_exc *e;
};

static unsigned
dev_access_bits (const char *s)
{
  unsigned a = 0;

  if (s == NULL || *s == '\0')
    return DEV_R | DEV_W | DEV_M;
  for (; *s; s++)
    a |= *s == 'r' ? DEV_R : *s == 'w' ? DEV_W : *s == 'm' ? DEV_M : 0;
  return a;
}

static int
dev_state_change (struct dev_state *st, bool allow, char type, int64_t major, int64_t minor,
                  unsigned acc)
{
  struct dev_exc *x = NULL;

  if (type == 'a')
    {
      st->default_allow = allow;
      st->n = 0;
      return 0;
    }
  for (size_t i = 0; i < st->n; i++)
    if (st->e[i].type == type && st->e[i].major == major && st->e[i].minor == minor)
      x = &st->e[i];
  /* a rule of the default's kind takes its bits out of an exception */
  if (allow == st->default_allow)
    {
      if (x && (x->acc &= ~acc) == 0)
        *x = st->e[--st->n];
      return 0;
    }
  if (x)
    {
      x->acc |= acc;
      return 0;
    }
  if (st->n == st->cap)
    {
      size_t cap = st->cap ? st->cap * 2 : 16;
      struct dev_exc *e = realloc (st->e, cap * sizeof *e);
      if (e == NULL)
        return -1;
      st->e = e;
      st->cap = cap;
    }
  st->e[st->n++] = (struct dev_exc){ type, major, minor, acc };
  return 0;
}

static void
dev_access_string (unsigned acc, char *buf)
{
  char *p = buf;

  if (acc & DEV_R)
    *p++ = 'r';
  if (acc & DEV_W)
    *p++ = 'w';
  if (acc & DEV_M)
    *p++ = 'm';
  *p = '\0';
}

static int
dev_line (const struct dev_exc *x, unsigned acc, char *buf, size_t size)
{
  struct mr_spec_device_rule r = { .type = x->type, .major = x->major, .minor = x->minor };

  dev_access_string (acc, r.access);
  return mr_cgroup_v1_device_rule (&r, buf, size);
}

static int
add_write (struct mr_cgroup_v1_dev_write **w, size_t *n, bool allow, const char *line)
{
  struct mr_cgroup_v1_dev_write *nw = realloc (*w, (*n + 1) * sizeof *nw);

  if (nw == NULL)
    return -1;
  *w = nw;
  nw[*n].allow = allow;
  snprintf (nw[*n].line, sizeof nw[*n].line, "%s", line);
  (*n)++;
  return 0;
}

/* devices.list: "a *:* rwm" while everything is allowed, else one allowed
   exception a line ("c 1:3 rwm", "b *:* m").  */
static int
dev_state_parse (const char *list, struct dev_state *st)
{
  const char *line = list;

  st->default_allow = false;
  st->n = 0;
  while (line && *line)
    {
      char type, maj[24], min[24], acc[8];
      const char *nl = strchr (line, '\n');

      if (sscanf (line, "%c %23[0-9*]:%23[0-9*] %7[rwm]", &type, maj, min, acc) == 4)
        {
          if (type == 'a')
            {
              st->default_allow = true;
              st->n = 0;
              return 0;
            }
          if (dev_state_change (st, true, type, maj[0] == '*' ? -1 : strtoll (maj, NULL, 10),
                                min[0] == '*' ? -1 : strtoll (min, NULL, 10), dev_access_bits (acc))
              < 0)
            return -1;
        }
      line = nl ? nl + 1 : NULL;
    }
  return 0;
}

int
mr_cgroup_v1_devices_diff (const char *current, const struct mr_spec_device_rule *rules, size_t n,
                           struct mr_cgroup_v1_dev_write **writes, size_t *n_writes,
                           struct mr_error *err)
{
  struct dev_state want = { 0 }, have = { 0 };
  char line[96];
  int r = -1;

  *writes = NULL;
  *n_writes = 0;
  /* Rules apply in order from a state that allows everything, as they
     always have here; the runtime's own list starts with a deny-all.  */
  want.default_allow = true;
  for (size_t i = 0; i < n; i++)
    {
      char type = rules[i].type == 'u' ? 'c' : rules[i].type;
      if (mr_cgroup_v1_device_rule (&rules[i], line, sizeof line) < 0)
        {
          mr_error_set (err, "device rule %zu: not valid for the devices controller", i);
          goto out;
        }
      if (dev_state_change (&want, rules[i].allow, type, rules[i].major, rules[i].minor,
                            dev_access_bits (rules[i].access))
          < 0)
        goto oom;
    }
  if (current == NULL || dev_state_parse (current, &have) < 0)
    have.default_allow = true;

  /* The exceptions of an allow-all state are not listed, so going to one
     means starting it over; nothing is lost to the container on the way.  */
  if (want.default_allow)
    {
      if (add_write (writes, n_writes, true, "a") < 0)
        goto oom;
      for (size_t i = 0; i < want.n; i++)
        if (dev_line (&want.e[i], want.e[i].acc, line, sizeof line) < 0
            || add_write (writes, n_writes, false, line) < 0)
          goto oom;
      r = 0;
      goto out;
    }
  /* From allow-all, a deny-all first: the container is not running yet
     unless an update asks for it.  From a list, only what differs: the
     allowed devices the container keeps are never denied on the way.  */
  if (have.default_allow)
    {
      if (add_write (writes, n_writes, false, "a") < 0)
        goto oom;
      have.default_allow = false;
      have.n = 0;
    }
  for (size_t i = 0; i < want.n; i++)
    {
      unsigned cur = 0;
      for (size_t j = 0; j < have.n; j++)
        if (have.e[j].type == want.e[i].type && have.e[j].major == want.e[i].major
            && have.e[j].minor == want.e[i].minor)
          cur = have.e[j].acc;
      if ((want.e[i].acc & ~cur) != 0
          && (dev_line (&want.e[i], want.e[i].acc & ~cur, line, sizeof line) < 0
              || add_write (writes, n_writes, true, line) < 0))
        goto oom;
    }
  for (size_t j = 0; j < have.n; j++)
    {
      unsigned keep = 0;
      for (size_t i = 0; i < want.n; i++)
        if (have.e[j].type == want.e[i].type && have.e[j].major == want.e[i].major
            && have.e[j].minor == want.e[i].minor)
          keep = want.e[i].acc;
      if ((have.e[j].acc & ~keep) != 0
          && (dev_line (&have.e[j], have.e[j].acc & ~keep, line, sizeof line) < 0
              || add_write (writes, n_writes, false, line) < 0))
        goto oom;
    }
  r = 0;
  goto out;

oom:
  mr_error_errno (err, ENOMEM, "device rules");
out:
  free (want.e);
  free (have.e);
  if (r < 0)
    {
      free (*writes);
      *writes = NULL;
      *n_writes = 0;
    }
  return r;
}

static int
apply_devices (struct mr_cgroup *cg, const struct mr_spec_resources *r, struct mr_error *err)
{
  cleanup_free struct mr_cgroup_v1_dev_write *w = NULL;
  cleanup_free char *current = NULL;
  struct mr_error ignored = { 0 };
  const char *dir;
  size_t n = 0;

  if (r->n_devices == 0)
    return 0;
  dir = dir_of (cg, "devices");
  if (dir == NULL)
    return missing ("devices.allow", "devices", err);
  /* An unreadable list is taken as allow-all: everything is set over.  */
  if (read_file (dir, "devices.list", &current, &ignored) < 0)
    current = NULL;
  if (mr_cgroup_v1_devices_diff (current, r->devices, r->n_devices, &w, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (write_file (dir, w[i].allow ? "devices.allow" : "devices.deny", w[i].line, err) < 0)
      return -1;
  return 0;
}

static bool
any_throttle (const struct mr_spec_resources *r, bool limits_only)
{
  for (size_t k = 0; k < MR_BLKIO_THROTTLE_N; k++)
    for (size_t i = 0; i < r->n_blkio_throttle[k]; i++)
      if (!limits_only || r->blkio_throttle[k][i].rate != 0)
        return true;
  return false;
}

/* The first of two files that the kernel has: cfq's and bfq's names.  */
static const char *
either_file (const char *dir, const char *a, const char *b)
{
  if (has_file (dir, a))
    return a;
  if (b && has_file (dir, b))
    return b;
  return NULL;
}

static int
no_weight (const char *file, bool leaf, struct mr_error *err)
{
  if (leaf)
    return mr_error_set (err, "%s: the kernel has no blkio leaf weight (no cfq scheduler)", file);
  return mr_error_set (err, "%s: the kernel has no blkio weight (no bfq or cfq scheduler)", file);
}

static int
apply_blkio_weights (const char *dir, const struct mr_spec_resources *r, struct mr_error *err)
{
  bool weight_set = r->blkio_weight_set && r->blkio_weight != 0;
  bool leaf_set = r->blkio_leaf_weight_set && r->blkio_leaf_weight != 0;
  const char *weight = NULL, *weight_dev = NULL, *leaf = NULL, *leaf_dev = NULL;
  bool dev_weights = false, dev_leaf_weights = false;
  char buf[64];
  size_t i;

  for (i = 0; i < r->n_blkio_weight_devices; i++)
    {
      dev_weights |= r->blkio_weight_devices[i].weight != 0;
      dev_leaf_weights |= r->blkio_weight_devices[i].leaf_weight != 0;
    }
  /* Every file is checked before the first write.  Leaf weights were
   * cfq's alone.  */
  if (weight_set && (weight = either_file (dir, "blkio.weight", "blkio.bfq.weight")) == NULL)
    return no_weight ("blkio.weight", false, err);
  if (dev_weights
      && (weight_dev = either_file (dir, "blkio.weight_device", "blkio.bfq.weight_device")) == NULL)
    return no_weight ("blkio.weight_device", false, err);
  if (leaf_set && (leaf = either_file (dir, "blkio.leaf_weight", NULL)) == NULL)
    return no_weight ("blkio.leaf_weight", true, err);
  if (dev_leaf_weights && (leaf_dev = either_file (dir, "blkio.leaf_weight_device", NULL)) == NULL)
    return no_weight ("blkio.leaf_weight_device", true, err);
  if (weight_set)
    {
      snprintf (buf, sizeof buf, "%u", (unsigned)r->blkio_weight);
      if (write_file (dir, weight, buf, err) < 0)
        return -1;
    }
  if (leaf_set)
    {
      snprintf (buf, sizeof buf, "%u", (unsigned)r->blkio_leaf_weight);
      if (write_file (dir, leaf, buf, err) < 0)
        return -1;
    }
  for (i = 0; i < r->n_blkio_weight_devices; i++)
    {
      const struct mr_spec_blkio_weight_device *d = &r->blkio_weight_devices[i];

      if (d->weight != 0)
        {
          snprintf (buf, sizeof buf, "%" PRIu32 ":%" PRIu32 " %u", d->major, d->minor,
                    (unsigned)d->weight);
          if (write_file (dir, weight_dev, buf, err) < 0)
            return mr_error_prefix (err, "blkio weight for device %" PRIu32 ":%" PRIu32, d->major,
                                    d->minor);
        }
      if (d->leaf_weight != 0)
        {
          snprintf (buf, sizeof buf, "%" PRIu32 ":%" PRIu32 " %u", d->major, d->minor,
                    (unsigned)d->leaf_weight);
          if (write_file (dir, leaf_dev, buf, err) < 0)
            return mr_error_prefix (err, "blkio leaf weight for device %" PRIu32 ":%" PRIu32,
                                    d->major, d->minor);
        }
    }
  return 0;
}

static const char *const throttle_files[MR_BLKIO_THROTTLE_N]
    = { "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
        "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device" };

static int
apply_blkio (struct mr_cgroup *cg, const struct mr_spec_resources *r, struct mr_error *err)
{
  bool weights = (r->blkio_weight_set && r->blkio_weight != 0)
                 || (r->blkio_leaf_weight_set && r->blkio_leaf_weight != 0)
                 || r->n_blkio_weight_devices > 0;
  const char *dir;
  char buf[64];
  size_t k, i;

  if (!weights && !any_throttle (r, false))
    return 0;
  dir = dir_of (cg, "blkio");
  if (dir == NULL)
    {
      /* Rates of 0 only lift limits.  */
      if (!weights && !any_throttle (r, true))
        return 0;
      return missing (weights ? "blkio.weight" : "blkio.throttle.read_bps_device", "blkio", err);
    }
  if (weights && apply_blkio_weights (dir, r, err) < 0)
    return -1;
  for (k = 0; k < MR_BLKIO_THROTTLE_N; k++)
    {
      if (r->n_blkio_throttle[k] == 0)
        continue;
      if (!has_file (dir, throttle_files[k]))
        return mr_error_set (err, "%s: the kernel has no block io throttling", throttle_files[k]);
      for (i = 0; i < r->n_blkio_throttle[k]; i++)
        {
          const struct mr_spec_blkio_rate *d = &r->blkio_throttle[k][i];

          snprintf (buf, sizeof buf, "%" PRIu32 ":%" PRIu32 " %" PRIu64, d->major, d->minor,
                    d->rate);
          if (write_file (dir, throttle_files[k], buf, err) < 0)
            return mr_error_prefix (err, "%s for device %" PRIu32 ":%" PRIu32, throttle_files[k],
                                    d->major, d->minor);
        }
    }
  return 0;
}

static int
apply_hugetlb (struct mr_cgroup *cg, const struct mr_spec_resources *r, struct mr_error *err)
{
  const char *dir;
  char file[64], buf[32];
  size_t i;

  if (r->n_hugepage_limits == 0)
    return 0;
  dir = dir_of (cg, "hugetlb");
  if (dir == NULL)
    return mr_error_set (err, "hugetlb limit for %s pages: the hugetlb controller is not mounted",
                         r->hugepage_limits[0].page_size);
  for (i = 0; i < r->n_hugepage_limits; i++)
    {
      const struct mr_spec_hugepage_limit *h = &r->hugepage_limits[i];

      snprintf (buf, sizeof buf, "%" PRIu64, h->limit);
      snprintf (file, sizeof file, "hugetlb.%s.limit_in_bytes", h->page_size);
      if (!has_file (dir, file))
        return mr_error_set (err, "hugetlb limit for %s pages: the kernel has no %s huge pages",
                             h->page_size, h->page_size);
      if (write_file (dir, file, buf, err) < 0)
        return mr_error_prefix (err, "hugetlb limit for %s pages", h->page_size);
      /* Reservations count too, where the kernel accounts them: a mapping
       * then fails at mmap time rather than at the first fault.  */
      snprintf (file, sizeof file, "hugetlb.%s.rsvd.limit_in_bytes", h->page_size);
      if (has_file (dir, file) && write_file (dir, file, buf, err) < 0)
        return mr_error_prefix (err, "hugetlb reservation limit for %s pages", h->page_size);
    }
  return 0;
}

static int
apply_network (struct mr_cgroup *cg, const struct mr_spec_resources *r, struct mr_error *err)
{
  const char *dir;
  char buf[64];
  size_t i;

  if (r->net_class_id_set)
    {
      dir = dir_of (cg, "net_cls");
      if (dir == NULL)
        {
          /* A class id of 0 is none.  */
          if (r->net_class_id != 0)
            return missing ("net_cls.classid", "net_cls", err);
        }
      else
        {
          snprintf (buf, sizeof buf, "%" PRIu32, r->net_class_id);
          if (write_file (dir, "net_cls.classid", buf, err) < 0)
            return -1;
        }
    }
  if (r->n_net_priorities == 0)
    return 0;
  dir = dir_of (cg, "net_prio");
  if (dir == NULL)
    return missing ("net_prio.ifpriomap", "net_prio", err);
  for (i = 0; i < r->n_net_priorities; i++)
    {
      const struct mr_spec_net_priority *np = &r->net_priorities[i];

      snprintf (buf, sizeof buf, "%s %" PRIu32, np->name, np->priority);
      if (write_file (dir, "net_prio.ifpriomap", buf, err) < 0)
        return mr_error_prefix (err, "network priority of '%s'", np->name);
    }
  return 0;
}

static int
apply_rdma (struct mr_cgroup *cg, const struct mr_spec_resources *r, struct mr_error *err)
{
  const char *dir = NULL;
  char buf[128];
  size_t i;

  for (i = 0; i < r->n_rdma; i++)
    {
      const struct mr_spec_rdma *d = &r->rdma[i];

      if (!d->hca_handles_set && !d->hca_objects_set)
        continue;
      if (dir == NULL)
        {
          dir = dir_of (cg, "rdma");
          if (dir == NULL)
            return missing ("rdma.max", "rdma", err);
        }
      if (mr_cgroup_rdma_line (d, buf, sizeof buf) < 0)
        return mr_error_set (err, "rdma device name '%s' is too long", d->device);
      if (write_file (dir, "rdma.max", buf, err) < 0)
        return mr_error_prefix (err, "rdma limit of '%s'", d->device);
    }
  return 0;
}

static int
apply (struct mr_cgroup *cg, const struct mr_spec_resources *r, struct mr_error *err)
{
  char buf[32];

  if (r == NULL)
    return 0;
  if (r->n_unified > 0)
    return mr_error_set (err, "linux.resources.unified requires cgroup v2");
  if (apply_memory (cg, &r->memory, err) < 0 || apply_cpu (cg, &r->cpu, err) < 0
      || apply_cpuset (cg, &r->cpu, err) < 0)
    return -1;
  if (r->pids_limit_set)
    {
      const char *dir = dir_of (cg, "pids");

      if (dir == NULL && r->pids_limit > 0)
        return missing ("pids.max", "pids", err);
      mr_cgroup_format_limit (r->pids_limit > 0 ? r->pids_limit : -1, buf, sizeof buf);
      if (dir && write_file (dir, "pids.max", buf, err) < 0)
        return -1;
    }
  if (apply_blkio (cg, r, err) < 0 || apply_hugetlb (cg, r, err) < 0
      || apply_network (cg, r, err) < 0 || apply_rdma (cg, r, err) < 0)
    return -1;
  return apply_devices (cg, r, err);
}

/* Operations.  */

static void
undo_create (struct mr_cgroup *cg)
{
  struct v1_data *d = cg->data;
  size_t i;

  if (cg->v2_fd >= 0)
    close (cg->v2_fd);
  cg->v2_fd = -1;
  for (i = 0; i < d->m->n; i++)
    mr_cgroup_rmdir_levels (d->m->h[i].mountpoint, d->rels[i], d->created[i]);
  if (cg->v2_root)
    mr_cgroup_rmdir_levels (cg->v2_root, d->unified_rel, cg->v2_created);
}

static int refuse_frozen (struct mr_cgroup *cg, struct mr_error *err);

static int
v1_create (struct mr_cgroup *cg, const struct mr_spec_resources *r, struct mr_error *err)
{
  struct v1_data *d;
  size_t i;

  if (v1_setup (cg, err) < 0)
    return -1;
  d = cg->data;
  if (r && r->n_unified > 0)
    return mr_error_set (err, "linux.resources.unified requires cgroup v2");
  for (i = 0; i < d->m->n; i++)
    {
      bool cpuset
          = mr_cgroup_list_has (d->m->h[i].controllers, strlen (d->m->h[i].controllers), "cpuset");
      if (mr_cgroup_mkdir_levels (d->m->h[i].mountpoint, d->rels[i], cpuset, &d->created[i], err)
          < 0)
        goto fail;
    }
  if (cg->v2_root)
    {
      if (mr_cgroup_mkdir_levels (cg->v2_root, d->unified_rel, false, &cg->v2_created, err) < 0)
        goto fail;
      cg->v2_fd = open (cg->v2_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (cg->v2_fd < 0)
        {
          mr_error_errno (err, errno, "open cgroup '%s'", cg->v2_dir);
          goto fail;
        }
    }
  if (refuse_frozen (cg, err) < 0 || apply (cg, r, err) < 0 || record_layout (cg, err) < 0)
    goto fail;
  return 0;

fail:
  undo_create (cg);
  return -1;
}

static int
v1_open (struct mr_cgroup *cg, struct mr_error *err)
{
  struct v1_data *d;
  size_t i;

  if (v1_setup (cg, err) < 0)
    return -1;
  d = cg->data;
  cg->exists = false;
  if (cg->v2_dir)
    {
      cg->v2_fd = open (cg->v2_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (cg->v2_fd < 0 && errno != ENOENT)
        return mr_error_errno (err, errno, "open cgroup '%s'", cg->v2_dir);
      cg->exists = cg->v2_fd >= 0;
    }
  for (i = 0; i < d->m->n && !cg->exists; i++)
    cg->exists = access (d->dirs[i], F_OK) == 0;
  return 0;
}

static int
v1_update (struct mr_cgroup *cg, const struct mr_spec_resources *r, struct mr_error *err)
{
  return apply (cg, r, err);
}

static int
v1_enter (struct mr_cgroup *cg, pid_t pid, bool born_in_v2, struct mr_error *err)
{
  struct v1_data *d = cg->data;
  char buf[32];
  size_t i;

  bool joined = d->self_joined;

  d->self_joined = false;
  snprintf (buf, sizeof buf, "%d", (int)pid);
  for (i = 0; i < d->m->n && !joined; i++)
    if (write_file (d->dirs[i], "cgroup.procs", buf, err) < 0)
      return mr_error_prefix (err, "join cgroup '%s'", d->dirs[i]);
  if (cg->v2_fd >= 0 && !born_in_v2
      && mr_write_file_at (cg->v2_fd, "cgroup.procs", buf, strlen (buf), err) < 0)
    return mr_error_prefix (err, "join cgroup '%s'", cg->v2_dir);
  return 0;
}

bool
mr_cgroup_self_join_open (struct mr_cgroup *cg)
{
  struct v1_data *d = cg->data;
  size_t i;

  if (cg->mode != MR_CGROUP_V1 || d == NULL || !cg->exists || d->m->n == 0)
    return false;
  d->self_joined = false;
  if (d->join_fds == NULL)
    {
      d->join_fds = malloc (d->m->n * sizeof *d->join_fds);
      if (d->join_fds == NULL)
        return false;
      for (i = 0; i < d->m->n; i++)
        d->join_fds[i] = -1;
    }
  for (i = 0; i < d->m->n; i++)
    {
      char path[PATH_MAX];

      if ((size_t)snprintf (path, sizeof path, "%s/tasks", d->dirs[i]) >= sizeof path)
        break;
      d->join_fds[i] = open (path, O_WRONLY | O_CLOEXEC);
      if (d->join_fds[i] < 0)
        break;
    }
  if (i < d->m->n)
    {
      /* mr_cgroup_enter then writes the pid and reports what is wrong */
      close_join_fds (d);
      return false;
    }
  d->join_prepared = true;
  return true;
}

int
mr_cgroup_self_join (struct mr_cgroup *cg, struct mr_error *err)
{
  struct v1_data *d = cg->data;

  if (cg->mode != MR_CGROUP_V1 || d == NULL || !d->join_prepared)
    return 0;
  for (size_t i = 0; i < d->m->n; i++)
    {
      if (d->join_fds[i] < 0)
        continue;
      /* "0": the calling thread, the only one there is */
      if (write (d->join_fds[i], "0", 1) < 0)
        return mr_error_errno (err, errno, "join cgroup '%s'", d->dirs[i]);
      close (d->join_fds[i]);
      d->join_fds[i] = -1;
    }
  return 0;
}

void
mr_cgroup_self_join_close (struct mr_cgroup *cg, bool joined)
{
  struct v1_data *d = cg->data;

  if (cg->mode != MR_CGROUP_V1 || d == NULL)
    return;
  d->self_joined = joined && d->join_prepared;
  d->join_prepared = false;
  close_join_fds (d);
}

bool
mr_cgroup_self_join_complete (const struct mr_cgroup *cg, bool born_in_v2)
{
  const struct v1_data *d = cg->data;

  if (cg->mode != MR_CGROUP_V1)
    return born_in_v2;
  if (cg->v2_fd >= 0 && !born_in_v2)
    return false;
  return d == NULL || d->m->n == 0 || d->join_prepared;
}

int
mr_cgroup_enter_controller (struct mr_cgroup *cg, const char *controller, pid_t pid,
                            struct mr_error *err)
{
  struct v1_data *d = cg->data;
  const struct mr_cgroup_v1_hierarchy *h;
  char buf[32];

  if (cg->mode != MR_CGROUP_V1 || d == NULL)
    return mr_error_errno (err, EINVAL,
                           "cgroup '%s': cgroup v2 has no per-controller cgroups (controller '%s')",
                           cg->path, controller);
  h = mr_cgroup_v1_find (d->m, controller);
  if (h == NULL)
    return mr_error_errno (err, ENOENT, "cgroup '%s': no hierarchy has the controller '%s'",
                           cg->path, controller);
  snprintf (buf, sizeof buf, "%d", (int)pid);
  if (write_file (d->dirs[h - d->m->h], "cgroup.procs", buf, err) < 0)
    return mr_error_prefix (err, "join cgroup '%s'", d->dirs[h - d->m->h]);
  return 0;
}

static int
freezer_state (const char *dir, char *state, size_t size, struct mr_error *err)
{
  cleanup_free char *content = NULL;

  state[0] = '\0';
  if (read_file (dir, "freezer.state", &content, err) < 0)
    return -1;
  if (content)
    snprintf (state, size, "%.*s", (int)strcspn (content, "\n"), content);
  return 0;
}

static int
freezer_set (const char *dir, bool frozen, struct mr_error *err)
{
  const char *want = frozen ? "FROZEN" : "THAWED";
  uint64_t deadline = mr_cgroup_now_ns () + FREEZE_TIMEOUT_NS;
  unsigned step = 0;
  char state[32];

  for (;;)
    {
      /* Writing FROZEN again retries the tasks that did not freeze yet.  */
      if (write_file (dir, "freezer.state", want, err) < 0)
        return -1;
      if (freezer_state (dir, state, sizeof state, err) < 0)
        return -1;
      if (strcmp (state, want) == 0 || state[0] == '\0')
        return 0;
      if (mr_cgroup_now_ns () >= deadline)
        break;
      mr_cgroup_poll_sleep (&step);
    }
  if (frozen)
    write_file (dir, "freezer.state", "THAWED", NULL);
  return mr_error_set (err, "%s cgroup '%s': timed out waiting for the kernel",
                       frozen ? "freeze" : "thaw", dir);
}

/* Where the v1 freezer controller is mounted, it is the freezer: that is
 * the state engines and other runtimes read (freezer.state), and on a
 * hybrid host it is what pauses the container for them.  The cgroup2
 * freezer of the hybrid directory is used only without it; thawing thaws
 * both, whichever froze.  */
static int
v1_freeze (struct mr_cgroup *cg, bool frozen, struct mr_error *err)
{
  const char *freezer = dir_of (cg, "freezer");
  bool v2_frozen = false;

  if (freezer)
    {
      if (freezer_set (freezer, frozen, err) < 0)
        return -1;
      if (frozen)
        return 0;
      if (mr_cgroup2_is_frozen (cg->v2_fd, &v2_frozen, err) < 0)
        return -1;
      if (!v2_frozen)
        return 0;
      return mr_cgroup2_freeze (cg->v2_fd, cg->v2_dir, false, err);
    }
  if (!mr_cgroup2_has_file (cg->v2_fd, "cgroup.freeze"))
    return mr_error_set (err,
                         "%s cgroup '%s': no freezer (no freezer controller mounted, no "
                         "cgroup.freeze)",
                         frozen ? "freeze" : "thaw", cg->path);
  return mr_cgroup2_freeze (cg->v2_fd, cg->v2_dir, frozen, err);
}

static int
v1_is_frozen (struct mr_cgroup *cg, bool *frozen, struct mr_error *err)
{
  const char *freezer = dir_of (cg, "freezer");
  char state[32];

  *frozen = false;
  if (freezer)
    {
      if (freezer_state (freezer, state, sizeof state, err) < 0)
        return -1;
      /* FREEZING: some tasks are, which is no running container either.  */
      *frozen = strcmp (state, "FROZEN") == 0 || strcmp (state, "FREEZING") == 0;
      if (*frozen)
        return 0;
    }
  return mr_cgroup2_is_frozen (cg->v2_fd, frozen, err);
}

/* A process that joins a frozen cgroup freezes at once: create would wait
 * for it for ever.  */
static int
refuse_frozen (struct mr_cgroup *cg, struct mr_error *err)
{
  bool frozen = false;

  if (v1_is_frozen (cg, &frozen, err) < 0)
    return -1;
  if (frozen)
    return mr_error_set (err, "cgroup '%s' is frozen: thaw it first", cg->path);
  return 0;
}

/* The hierarchy to list processes from: every process joins them all,
 * the pids or memory one are the usual ones.  */
static int
procs_fd (struct mr_cgroup *cg, const char **shown, struct mr_error *err)
{
  struct v1_data *d = cg->data;
  const char *dir = dir_of (cg, "pids");
  int fd;

  if (dir == NULL)
    dir = dir_of (cg, "memory");
  if (dir == NULL && cg->v2_fd >= 0)
    {
      *shown = cg->v2_dir;
      fd = fcntl (cg->v2_fd, F_DUPFD_CLOEXEC, 3);
      return fd < 0 ? mr_error_errno (err, errno, "cgroup '%s'", cg->v2_dir) : fd;
    }
  if (dir == NULL)
    dir = d->dirs[0];
  *shown = dir;
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return -2;
      return mr_error_errno (err, errno, "open cgroup '%s'", dir);
    }
  return fd;
}

static int
v1_pids (struct mr_cgroup *cg, pid_t **pids, size_t *n, struct mr_error *err)
{
  cleanup_close int fd = -1;
  const char *shown = NULL;
  size_t alloc = 0;

  fd = procs_fd (cg, &shown, err);
  if (fd == -2)
    return 0;
  if (fd < 0)
    return -1;
  if (mr_cgroup_read_pids_tree (fd, shown, pids, n, &alloc, err) < 0)
    {
      free (*pids);
      *pids = NULL;
      *n = 0;
      return -1;
    }
  return 0;
}

static int
pid_cmp (const void *a, const void *b)
{
  pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
  return (x > y) - (x < y);
}

/* Every pid in the cgroup's tree of every hierarchy, sorted, each once: a
 * process can be in a sub-cgroup of one hierarchy only (moved there from
 * outside the container), and it keeps that hierarchy's directory busy
 * all the same.  */
static int
all_pids (struct mr_cgroup *cg, pid_t **pids, size_t *n, struct mr_error *err)
{
  struct v1_data *d = cg->data;
  size_t alloc = 0, i, o;

  *pids = NULL;
  *n = 0;
  for (i = 0; i <= d->m->n; i++)
    {
      cleanup_close int fd = -1;
      const char *dir = i < d->m->n ? d->dirs[i] : cg->v2_dir;

      if (dir == NULL)
        continue;
      fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0)
        {
          if (errno == ENOENT)
            continue;
          return mr_error_errno (err, errno, "open cgroup '%s'", dir);
        }
      if (mr_cgroup_read_pids_tree (fd, dir, pids, n, &alloc, err) < 0)
        return -1;
    }
  if (*n == 0)
    return 0;
  qsort (*pids, *n, sizeof **pids, pid_cmp);
  for (i = 1, o = 1; i < *n; i++)
    if ((*pids)[i] != (*pids)[o - 1])
      (*pids)[o++] = (*pids)[i];
  *n = o;
  return 0;
}

/* Signals every process of every hierarchy's tree, going round until a
 * pass finds nobody new (a process may fork meanwhile).  */
static int
signal_every_hierarchy (struct mr_cgroup *cg, int sig, struct mr_error *err)
{
  cleanup_free pid_t *done = NULL;
  size_t n_done = 0;
  int round;

  for (round = 0; round < 100; round++)
    {
      cleanup_free pid_t *pids = NULL;
      size_t n = 0, i, fresh = 0;
      pid_t *nd;

      if (all_pids (cg, &pids, &n, err) < 0)
        return -1;
      for (i = 0; i < n; i++)
        {
          if (n_done && bsearch (&pids[i], done, n_done, sizeof *done, pid_cmp) != NULL)
            continue;
          if (kill (pids[i], sig) < 0 && errno != ESRCH)
            return mr_error_errno (err, errno, "kill %d in cgroup '%s'", (int)pids[i], cg->path);
          pids[fresh++] = pids[i];
        }
      if (fresh == 0)
        return 0;
      nd = realloc (done, (n_done + fresh) * sizeof *nd);
      if (nd == NULL)
        return mr_error_errno (err, ENOMEM, "kill processes in cgroup '%s'", cg->path);
      done = nd;
      memcpy (done + n_done, pids, fresh * sizeof *pids);
      n_done += fresh;
      qsort (done, n_done, sizeof *done, pid_cmp);
    }
  return mr_error_set (err, "kill processes in cgroup '%s': they keep forking", cg->path);
}

static int
signal_all (struct mr_cgroup *cg, int sig, struct mr_error *err)
{

  if (sig == SIGKILL && mr_cgroup2_has_file (cg->v2_fd, "cgroup.kill"))
    {
      struct mr_error e = { 0 };

      if (mr_write_file_at (cg->v2_fd, "cgroup.kill", "1", 1, &e) < 0 && e.errnum != ENOENT
          && e.errnum != ENODEV)
        {
          if (err)
            *err = e;
          return mr_error_prefix (err, "cgroup '%s'", cg->v2_dir);
        }
    }
  /* Also for processes that joined the v1 hierarchies only.  */
  return signal_every_hierarchy (cg, sig, err);
}

static int
v1_kill (struct mr_cgroup *cg, int sig, struct mr_error *err)
{
  bool frozen = false;

  if (v1_is_frozen (cg, &frozen, err) < 0 || signal_all (cg, sig, err) < 0)
    return -1;
  if (frozen)
    return v1_freeze (cg, false, err);
  return 0;
}

/* rmdir of every hierarchy's directory (and the hybrid cgroup2 one);
 * whether all of them are gone now.  */
static bool
rmdir_every_hierarchy (struct mr_cgroup *cg)
{
  struct v1_data *d = cg->data;
  bool all = true;

  for (size_t i = 0; i < d->m->n; i++)
    if (rmdir (d->dirs[i]) < 0 && errno != ENOENT)
      all = false;
  if (cg->v2_dir && rmdir (cg->v2_dir) < 0 && errno != ENOENT)
    all = false;
  return all;
}

static int
v1_destroy (struct mr_cgroup *cg, struct mr_error *err)
{
  struct v1_data *d = cg->data;
  uint64_t deadline = mr_cgroup_now_ns () + DESTROY_TIMEOUT_NS;
  int ret = 0;
  size_t i;

  /* Usually whatever was in it is gone and nothing is below it: one
     rmdir per hierarchy, which only an empty cgroup without children
     allows, does it.  Else kill, and remove the trees.  */
  if (rmdir_every_hierarchy (cg))
    {
      /* and the parents create made, those that are empty now */
      for (i = 0; i < d->m->n; i++)
        if (d->created[i] > 0)
          mr_cgroup_rmdir_parent_levels (d->m->h[i].mountpoint, d->rels[i], d->created[i]);
      if (cg->v2_fd >= 0)
        close (cg->v2_fd);
      cg->v2_fd = -1;
      if (cg->v2_dir && cg->v2_created > 0)
        mr_cgroup_rmdir_parent_levels (cg->v2_root, d->unified_rel, cg->v2_created);
      return 0;
    }
  if (v1_kill (cg, SIGKILL, err) < 0)
    return -1;
  for (i = 0; i < d->m->n; i++)
    {
      if (mr_cgroup_rmdir_tree (d->dirs[i], deadline, ret < 0 ? NULL : err) < 0)
        ret = -1;
      else if (d->created[i] > 0)
        mr_cgroup_rmdir_parent_levels (d->m->h[i].mountpoint, d->rels[i], d->created[i]);
    }
  if (cg->v2_fd >= 0)
    close (cg->v2_fd);
  cg->v2_fd = -1;
  if (cg->v2_dir && mr_cgroup_rmdir_tree (cg->v2_dir, deadline, ret < 0 ? NULL : err) < 0)
    ret = -1;
  else if (cg->v2_dir && cg->v2_created > 0)
    mr_cgroup_rmdir_parent_levels (cg->v2_root, d->unified_rel, cg->v2_created);
  return ret;
}

static void
read_u64 (const char *dir, const char *name, uint64_t *out)
{
  cleanup_free char *content = NULL;
  uint64_t v;

  if (dir && read_file (dir, name, &content, NULL) == 0 && content
      && mr_cgroup_parse_u64 (content, &v) == 0)
    *out = v;
}

static void
read_blkio (const char *dir, uint64_t *rbytes, uint64_t *wbytes)
{
  cleanup_free char *content = NULL;
  char *line;

  if (dir == NULL)
    return;
  if (read_file (dir, "blkio.throttle.io_service_bytes_recursive", &content, NULL) < 0
      || content == NULL)
    {
      free (content);
      content = NULL;
      if (read_file (dir, "blkio.throttle.io_service_bytes", &content, NULL) < 0 || content == NULL)
        return;
    }
  /* "MAJ:MIN Read N" lines, then "Total N".  */
  for (line = content; line && *line;)
    {
      char *sp = strchr (line, ' ');
      char *eol = strchr (line, '\n');

      if (sp && (eol == NULL || sp < eol))
        {
          if (strncmp (sp + 1, "Read ", 5) == 0)
            *rbytes += strtoull (sp + 6, NULL, 10);
          else if (strncmp (sp + 1, "Write ", 6) == 0)
            *wbytes += strtoull (sp + 7, NULL, 10);
        }
      line = eol ? eol + 1 : NULL;
    }
}

static int
v1_stats (struct mr_cgroup *cg, struct mr_cgroup_stats *st, struct mr_error *err)
{
  const char *memory = dir_of (cg, "memory");
  const char *pids = dir_of (cg, "pids");
  cleanup_free char *oom = NULL;
  cleanup_free char *mstat = NULL;

  read_u64 (dir_of (cg, "cpuacct"), "cpuacct.usage", &st->cpu_usage_ns);
  read_u64 (memory, "memory.usage_in_bytes", &st->memory_usage);
  read_u64 (memory, "memory.limit_in_bytes", &st->memory_limit);
  if (st->memory_limit >= V1_UNLIMITED)
    st->memory_limit = UINT64_MAX;
  if (memory && read_file (memory, "memory.oom_control", &oom, NULL) == 0 && oom)
    mr_cgroup_parse_keyed (oom, "oom_kill", &st->oom_kills);
  /* The total_ key covers the sub-cgroups, as usage_in_bytes does.  */
  if (memory && read_file (memory, "memory.stat", &mstat, NULL) == 0 && mstat)
    mr_cgroup_parse_keyed (mstat, "total_inactive_file", &st->memory_inactive_file);
  read_u64 (pids, "pids.current", &st->pids_current);
  read_u64 (pids, "pids.max", &st->pids_limit);
  read_blkio (dir_of (cg, "blkio"), &st->blkio_read_bytes, &st->blkio_write_bytes);
  return 0;
}

/* "N N N" of cpuacct.usage_percpu* as an array.  */
static json_t *
number_list (const char *dir, const char *name)
{
  cleanup_free char *content = NULL;
  json_t *a;
  char *p, *end;

  if (dir == NULL || read_file (dir, name, &content, NULL) < 0 || content == NULL)
    return NULL;
  a = json_array ();
  for (p = content; a; p = end)
    {
      unsigned long long v = strtoull (p, &end, 10);
      if (end == p)
        break;
      json_array_append_new (a, json_integer ((json_int_t)v));
    }
  return a;
}

/* usage, max, failcnt and limit of a memory counter ("memory", "memory.memsw",
 * "memory.kmem", "memory.kmem.tcp"), as runc's MemoryData.  */
static json_t *
memory_data (const char *dir, const char *prefix)
{
  static const char *const files[][2] = { { "usage_in_bytes", "usage" },
                                          { "max_usage_in_bytes", "max" },
                                          { "failcnt", "failcnt" },
                                          { "limit_in_bytes", "limit" } };
  json_t *o = json_object ();
  char name[64];

  for (size_t i = 0; o && i < 4; i++)
    {
      uint64_t v = 0;

      snprintf (name, sizeof name, "%s.%s", prefix, files[i][0]);
      if (!has_file (dir, name))
        continue;
      read_u64 (dir, name, &v);
      /* failcnt and limit are always there, as in runc */
      if (i >= 2)
        json_object_set_new (o, files[i][1],
                             json_integer ((json_int_t)(v > INT64_MAX ? INT64_MAX : v)));
      else
        mr_cgroup_json_u64 (o, files[i][1], v);
    }
  return o;
}

static int
v1_stats_json (struct mr_cgroup *cg, json_t *data, struct mr_error *err)
{
  const char *acct = dir_of (cg, "cpuacct"), *cpu = dir_of (cg, "cpu");
  const char *memory = dir_of (cg, "memory"), *pids = dir_of (cg, "pids");
  const char *blkio = dir_of (cg, "blkio"), *hugetlb = dir_of (cg, "hugetlb");
  json_t *usage = json_object_get (json_object_get (data, "cpu"), "usage");
  json_t *thr = json_object_get (json_object_get (data, "cpu"), "throttling");
  json_t *mem = json_object_get (data, "memory");
  json_t *pd = json_object_get (data, "pids");
  json_t *bd = json_object_get (data, "blkio");
  cleanup_free char *content = NULL;
  uint64_t v = 0;
  json_t *a;

  (void)err;
  if (acct)
    {
      long tck = sysconf (_SC_CLK_TCK);
      uint64_t ticks = 0;

      read_u64 (acct, "cpuacct.usage", &v);
      mr_cgroup_json_u64 (usage, "total", v);
      if ((a = number_list (acct, "cpuacct.usage_percpu")))
        json_object_set_new (usage, "percpu", a);
      if ((a = number_list (acct, "cpuacct.usage_percpu_sys")))
        json_object_set_new (usage, "percpu_kernel", a);
      if ((a = number_list (acct, "cpuacct.usage_percpu_user")))
        json_object_set_new (usage, "percpu_user", a);
      if (tck > 0 && read_file (acct, "cpuacct.stat", &content, NULL) == 0 && content)
        {
          if (mr_cgroup_parse_keyed (content, "system", &ticks) == 0)
            mr_cgroup_json_u64 (usage, "kernel", ticks * (1000000000ULL / (uint64_t)tck));
          if (mr_cgroup_parse_keyed (content, "user", &ticks) == 0)
            mr_cgroup_json_u64 (usage, "user", ticks * (1000000000ULL / (uint64_t)tck));
        }
      free (content);
      content = NULL;
    }
  if (cpu && read_file (cpu, "cpu.stat", &content, NULL) == 0 && content)
    {
      if (mr_cgroup_parse_keyed (content, "nr_periods", &v) == 0)
        mr_cgroup_json_u64 (thr, "periods", v);
      if (mr_cgroup_parse_keyed (content, "nr_throttled", &v) == 0)
        mr_cgroup_json_u64 (thr, "throttled_periods", v);
      if (mr_cgroup_parse_keyed (content, "throttled_time", &v) == 0)
        mr_cgroup_json_u64 (thr, "throttled_time", v);
    }
  free (content);
  content = NULL;
  if (memory)
    {
      json_object_set_new (mem, "usage", memory_data (memory, "memory"));
      if (has_file (memory, "memory.memsw.usage_in_bytes"))
        json_object_set_new (mem, "swap", memory_data (memory, "memory.memsw"));
      if (has_file (memory, "memory.kmem.usage_in_bytes"))
        json_object_set_new (mem, "kernel", memory_data (memory, "memory.kmem"));
      if (has_file (memory, "memory.kmem.tcp.usage_in_bytes"))
        json_object_set_new (mem, "kernelTCP", memory_data (memory, "memory.kmem.tcp"));
      if (read_file (memory, "memory.stat", &content, NULL) == 0 && content)
        {
          json_t *raw = mr_cgroup_keyed_json (content);
          mr_cgroup_json_u64 (mem, "cache",
                              (uint64_t)json_integer_value (json_object_get (raw, "cache")));
          if (raw)
            json_object_set_new (mem, "raw", raw);
        }
      free (content);
      content = NULL;
    }
  if (pids)
    {
      v = 0;
      read_u64 (pids, "pids.current", &v);
      json_object_set_new (pd, "current", json_integer ((json_int_t)v));
      v = 0;
      read_u64 (pids, "pids.max", &v);
      if (v != UINT64_MAX)
        mr_cgroup_json_u64 (pd, "limit", v);
    }
  if (blkio)
    {
      static const char *const files[][3]
          = { { "blkio.io_service_bytes_recursive", "blkio.throttle.io_service_bytes_recursive",
                "ioServiceBytesRecursive" },
              { "blkio.io_serviced_recursive", "blkio.throttle.io_serviced_recursive",
                "ioServicedRecursive" } };
      for (size_t i = 0; i < 2; i++)
        {
          const char *f = has_file (blkio, files[i][0]) ? files[i][0] : files[i][1];
          if (read_file (blkio, f, &content, NULL) == 0 && content && (a = json_array ()))
            {
              mr_cgroup_blkio_entries (content, a);
              json_object_set_new (bd, files[i][2], a);
            }
          free (content);
          content = NULL;
        }
    }
  if (hugetlb)
    {
      cleanup_closedir DIR *dir = opendir (hugetlb);
      struct dirent *de;

      while (dir && (de = readdir (dir)))
        {
          char size[32], name[96];
          uint64_t u = 0, m = 0, f = 0;

          if (sscanf (de->d_name, "hugetlb.%31[^.].usage_in_bytes", size) != 1
              || strcmp (de->d_name + strlen ("hugetlb.") + strlen (size), ".usage_in_bytes") != 0)
            continue;
          read_u64 (hugetlb, de->d_name, &u);
          snprintf (name, sizeof name, "hugetlb.%s.max_usage_in_bytes", size);
          read_u64 (hugetlb, name, &m);
          snprintf (name, sizeof name, "hugetlb.%s.failcnt", size);
          read_u64 (hugetlb, name, &f);
          json_object_set_new (json_object_get (data, "hugetlb"), size,
                               json_pack ("{s:I,s:I,s:I}", "usage", (json_int_t)u, "max",
                                          (json_int_t)m, "failcnt", (json_int_t)f));
        }
    }
  return 0;
}

const struct mr_cgroup_ops mr_cgroup_v1_ops = {
  .create = v1_create,
  .open = v1_open,
  .update = v1_update,
  .enter = v1_enter,
  .freeze = v1_freeze,
  .is_frozen = v1_is_frozen,
  .pids = v1_pids,
  .kill = v1_kill,
  .destroy = v1_destroy,
  .stats = v1_stats,
  .stats_json = v1_stats_json,
  .free = v1_free,
};
