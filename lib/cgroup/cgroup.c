#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

/* The probed mode, 0 until probed.  Racing probes store the same value.  */
static int probed_mode;
static int override_mode;
static char *override_root;

void
mr_cgroup_set_override (enum mr_cgroup_mode mode, const char *v2_root)
{
  free (override_root);
  override_root = v2_root ? strdup (v2_root) : NULL;
  override_mode = (int)mode;
}

const char *
mr_cgroup_override_root (void)
{
  return override_root;
}

const char *
mr_cgroup_v2_root (void)
{
  return override_root ? override_root : MR_CGROUP_ROOT;
}

int
mr_cgroup_mode (enum mr_cgroup_mode *mode, struct mr_error *err)
{
  struct statfs sfs;
  int m;

  if (override_mode)
    {
      *mode = (enum mr_cgroup_mode)override_mode;
      return 0;
    }
  m = __atomic_load_n (&probed_mode, __ATOMIC_RELAXED);
  if (m == 0)
    {
      if (statfs (MR_CGROUP_ROOT, &sfs) < 0)
        return mr_error_errno (err, errno, "statfs '%s'", MR_CGROUP_ROOT);
      m = sfs.f_type == CGROUP2_SUPER_MAGIC ? MR_CGROUP_V2 : MR_CGROUP_V1;
      __atomic_store_n (&probed_mode, m, __ATOMIC_RELAXED);
    }
  *mode = (enum mr_cgroup_mode)m;
  return 0;
}

int
mr_cgroup_clean_path (const char *path, char **out, struct mr_error *err)
{
  size_t len = strlen (path);
  cleanup_free char *buf = malloc (len + 2);
  const char *p = path;
  size_t o = 0;

  if (buf == NULL)
    return mr_error_errno (err, ENOMEM, "cgroup path '%s'", path);
  while (*p)
    {
      const char *s;
      size_t n;

      while (*p == '/')
        p++;
      s = p;
      while (*p && *p != '/')
        p++;
      n = (size_t)(p - s);
      if (n == 0 || (n == 1 && s[0] == '.'))
        continue;
      if (n == 2 && s[0] == '.' && s[1] == '.')
        return mr_error_set (err, "cgroup path '%s': '..' is not allowed", path);
      buf[o++] = '/';
      memcpy (buf + o, s, n);
      o += n;
    }
  if (o == 0)
    buf[o++] = '/';
  buf[o] = '\0';
  *out = steal_pointer (&buf);
  return 0;
}

int
mr_cgroup_resolve_path (const char *cgroups_path, const char *own_cgroup, const char *name,
                        char **out, struct mr_error *err)
{
  cleanup_free char *raw = NULL;
  cleanup_free char *clean = NULL;

  if (cgroups_path && cgroups_path[0] == '/')
    raw = strdup (cgroups_path);
  else if (own_cgroup == NULL)
    return mr_error_set (err, "cgroup path: the runtime's own cgroup is unknown");
  else if (cgroups_path && cgroups_path[0])
    {
      if (mr_asprintf (err, &raw, "%s/%s", own_cgroup, cgroups_path) < 0)
        return -1;
    }
  else
    {
      if (name == NULL || name[0] == '\0')
        return mr_error_set (err, "cgroup path: no cgroupsPath and no container id");
      if (mr_asprintf (err, &raw, "%s/%s", own_cgroup, name) < 0)
        return -1;
    }
  if (raw == NULL)
    return mr_error_errno (err, ENOMEM, "cgroup path");
  if (mr_cgroup_clean_path (raw, &clean, err) < 0)
    return -1;
  if (strcmp (clean, "/") == 0)
    return mr_error_set (err, "cgroup path '%s' is the root cgroup", raw);
  *out = steal_pointer (&clean);
  return 0;
}

int
mr_cgroup_default_name (const char *state_root, const char *id, char **out, struct mr_error *err)
{
  char abs[PATH_MAX];
  const char *root = realpath (state_root, abs) ? abs : state_root;
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */

  for (const unsigned char *p = (const unsigned char *)root; *p; p++)
    {
      h ^= *p;
      h *= 1099511628211ULL;
    }
  return mr_asprintf (err, out, "minirun-%08" PRIx32 "-%s", (uint32_t)(h ^ (h >> 32)), id);
}

static int
layout_add (json_t *layout, const char *key, size_t key_len, const char *path, struct mr_error *err)
{
  cleanup_free char *k = strndup (key, key_len);
  json_t *e = json_pack ("{s:s}", "path", path);

  if (k == NULL || e == NULL || json_object_set_new (layout, k, e) < 0)
    return mr_error_errno (err, ENOMEM, "cgroup layout");
  return 0;
}

int
mr_cgroup_parse_layout (const char *content, enum mr_cgroup_mode mode, const char *cgroups_path,
                        const char *name, char **primary, json_t **layout, struct mr_error *err)
{
  cleanup_free char *own = NULL;
  json_t *l = NULL;
  const char *line;

  *layout = NULL;
  if (mr_cgroup_parse_own_path (content, mode, &own, err) < 0
      || mr_cgroup_resolve_path (cgroups_path, own, name, primary, err) < 0)
    return -1;
  l = json_object ();
  if (l == NULL)
    return mr_error_errno (err, ENOMEM, "cgroup layout");
  for (line = content; line && *line;)
    {
      const char *eol = strchr (line, '\n');
      const char *end = eol ? eol : line + strlen (line);
      const char *c1 = memchr (line, ':', (size_t)(end - line));
      const char *c2 = c1 ? memchr (c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;

      if (c2 && c2[1] == '/')
        {
          cleanup_free char *self = strndup (c2 + 1, (size_t)(end - c2 - 1));
          cleanup_free char *path = NULL;
          bool unified = c2 == c1 + 1;

          if (self == NULL)
            goto nomem;
          /* v2: the cgroup2 hierarchy is the only one.  */
          if ((mode == MR_CGROUP_V1 || unified)
              && (mr_cgroup_resolve_path (cgroups_path, self, name, &path, err) < 0
                  || layout_add (l, unified ? "unified" : c1 + 1,
                                 unified ? strlen ("unified") : (size_t)(c2 - c1 - 1), path, err)
                         < 0))
            goto fail;
        }
      line = eol ? eol + 1 : NULL;
    }
  *layout = l;
  return 0;

nomem:
  mr_error_errno (err, ENOMEM, "cgroup layout");
fail:
  json_decref (l);
  free (*primary);
  *primary = NULL;
  return -1;
}

int
mr_cgroup_resolve_layout (const char *cgroups_path, const char *name, char **primary,
                          json_t **layout, struct mr_error *err)
{
  cleanup_free char *content = NULL;
  enum mr_cgroup_mode mode;

  if (mr_cgroup_mode (&mode, err) < 0)
    return -1;
  if (mr_read_file ("/proc/self/cgroup", &content, NULL, err) < 0)
    return -1;
  return mr_cgroup_parse_layout (content, mode, cgroups_path, name, primary, layout, err);
}

json_t *
mr_cgroup_layout_entry (json_t *layout, const char *controllers)
{
  size_t first = strcspn (controllers, ",");
  cleanup_free char *want = strndup (controllers, first);
  const char *key;
  json_t *v;

  if (layout == NULL || want == NULL)
    return NULL;
  json_object_foreach (layout, key,
                       v) if (json_is_object (v)
                              && mr_cgroup_list_has (key, strlen (key), want)) return v;
  return NULL;
}

/* Whether the comma-separated list has the item.  */
bool
mr_cgroup_list_has (const char *list, size_t len, const char *item)
{
  size_t il = strlen (item);
  const char *end = list + len;

  while (list < end)
    {
      const char *c = memchr (list, ',', (size_t)(end - list));
      size_t n = c ? (size_t)(c - list) : (size_t)(end - list);
      if (n == il && memcmp (list, item, n) == 0)
        return true;
      list += n + 1;
    }
  return false;
}

int
mr_cgroup_parse_own_path (const char *content, enum mr_cgroup_mode mode, char **out,
                          struct mr_error *err)
{
  const char *first_v1 = NULL, *unified = NULL, *memory = NULL;
  size_t first_v1_len = 0, unified_len = 0, memory_len = 0;
  const char *line = content;
  const char *found;
  size_t found_len;

  while (line && *line)
    {
      const char *eol = strchr (line, '\n');
      const char *end = eol ? eol : line + strlen (line);
      const char *c1 = memchr (line, ':', (size_t)(end - line));
      const char *c2 = c1 ? memchr (c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;

      if (c2)
        {
          const char *ctrl = c1 + 1;
          size_t ctrl_len = (size_t)(c2 - ctrl);
          const char *path = c2 + 1;
          size_t path_len = (size_t)(end - path);

          if (ctrl_len == 0 && c1 - line == 1 && line[0] == '0')
            {
              unified = path;
              unified_len = path_len;
            }
          else if (ctrl_len > 0)
            {
              if (first_v1 == NULL)
                {
                  first_v1 = path;
                  first_v1_len = path_len;
                }
              if (memory == NULL && mr_cgroup_list_has (ctrl, ctrl_len, "memory"))
                {
                  memory = path;
                  memory_len = path_len;
                }
            }
        }
      line = eol ? eol + 1 : NULL;
    }

  if (mode == MR_CGROUP_V2)
    {
      found = unified;
      found_len = unified_len;
    }
  else if (memory)
    {
      found = memory;
      found_len = memory_len;
    }
  else if (first_v1)
    {
      found = first_v1;
      found_len = first_v1_len;
    }
  else
    {
      found = unified;
      found_len = unified_len;
    }
  if (found == NULL || found_len == 0 || found[0] != '/')
    return mr_error_set (err, "/proc/self/cgroup: no %s entry",
                         mode == MR_CGROUP_V2 ? "cgroup v2" : "cgroup v1");
  *out = strndup (found, found_len);
  if (*out == NULL)
    return mr_error_errno (err, ENOMEM, "/proc/self/cgroup");
  return 0;
}

int
mr_cgroup_own_path (char **out, struct mr_error *err)
{
  cleanup_free char *content = NULL;
  enum mr_cgroup_mode mode;

  if (mr_cgroup_mode (&mode, err) < 0)
    return -1;
  if (mr_read_file ("/proc/self/cgroup", &content, NULL, err) < 0)
    return -1;
  return mr_cgroup_parse_own_path (content, mode, out, err);
}

uint64_t
mr_cgroup_shares_to_weight (uint64_t shares)
{
  /* cpu.shares spans [2, 262144], cpu.weight [1, 10000]: map linearly.  */
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t
mr_cgroup_blkio_to_io_weight (uint64_t weight)
{
  /* blkio.weight spans [10, 1000], io.weight [1, 10000].  */
  if (weight == 0)
    return 0;
  if (weight < 10)
    weight = 10;
  if (weight > 1000)
    weight = 1000;
  return 1 + ((weight - 10) * 9999) / 990;
}

void
mr_cgroup_format_limit (int64_t v, char *buf, size_t size)
{
  if (v < 0)
    snprintf (buf, size, "max");
  else
    snprintf (buf, size, "%" PRId64, v);
}

int
mr_cgroup_rdma_line (const struct mr_spec_rdma *d, char *buf, size_t size)
{
  size_t n;
  int r = snprintf (buf, size, "%s", d->device);

  if (r < 0 || (size_t)r >= size)
    return -1;
  n = (size_t)r;
  if (d->hca_handles_set)
    {
      r = snprintf (buf + n, size - n, " hca_handle=%" PRIu32, d->hca_handles);
      if (r < 0 || (size_t)r >= size - n)
        return -1;
      n += (size_t)r;
    }
  if (d->hca_objects_set)
    {
      r = snprintf (buf + n, size - n, " hca_object=%" PRIu32, d->hca_objects);
      if (r < 0 || (size_t)r >= size - n)
        return -1;
      n += (size_t)r;
    }
  return (int)n;
}

int
mr_cgroup_parse_u64 (const char *s, uint64_t *out)
{
  char *end;
  unsigned long long v;

  while (*s == ' ' || *s == '\t')
    s++;
  if (strncmp (s, "max", 3) == 0)
    {
      *out = UINT64_MAX;
      return 0;
    }
  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  v = strtoull (s, &end, 10);
  if (errno != 0)
    return -1;
  if (*end != '\0' && *end != '\n' && *end != ' ')
    return -1;
  *out = v;
  return 0;
}

int
mr_cgroup_parse_keyed (const char *content, const char *key, uint64_t *out)
{
  size_t kl = strlen (key);
  const char *p = content;

  while (p && *p)
    {
      if (strncmp (p, key, kl) == 0 && p[kl] == ' ')
        return mr_cgroup_parse_u64 (p + kl + 1, out);
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  return -1;
}

int
mr_cgroup_read_at (int dirfd, const char *name, char **out, struct mr_error *err)
{
  *out = NULL;
  if (mr_read_file_at (dirfd, name, out, NULL, err) < 0)
    {
      if (err && (err->errnum == ENOENT || err->errnum == ENODEV))
        {
          mr_error_clear (err);
          return 0;
        }
      return -1;
    }
  return 0;
}

uint64_t
mr_cgroup_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void
mr_cgroup_poll_sleep (unsigned *step)
{
  unsigned ms = *step < 4 ? 1u << *step : 10;
  struct timespec ts = { 0, (long)ms * 1000000L };

  (*step)++;
  nanosleep (&ts, NULL);
}

/* Appends the pids listed in cgroup.procs of dirfd.  */
static int
read_procs (int dirfd, const char *dir, pid_t **pids, size_t *n, size_t *alloc,
            struct mr_error *err)
{
  cleanup_free char *content = NULL;
  char *p, *end;

  if (mr_cgroup_read_at (dirfd, "cgroup.procs", &content, err) < 0)
    return mr_error_prefix (err, "cgroup '%s'", dir);
  for (p = content; p && *p; p = end)
    {
      long v;

      errno = 0;
      v = strtol (p, &end, 10);
      if (end == p)
        break;
      if (*end == '\n')
        end++;
      if (v <= 0)
        continue;
      if (*n == *alloc)
        {
          size_t na = *alloc ? *alloc * 2 : 16;
          pid_t *np = realloc (*pids, na * sizeof *np);
          if (np == NULL)
            return mr_error_errno (err, ENOMEM, "cgroup '%s'", dir);
          *pids = np;
          *alloc = na;
        }
      (*pids)[(*n)++] = (pid_t)v;
    }
  return 0;
}

int
mr_cgroup_read_pids_tree (int dirfd, const char *dir, pid_t **pids, size_t *n, size_t *alloc,
                          struct mr_error *err)
{
  cleanup_closedir DIR *d = NULL;
  struct dirent *de;
  int fd;

  if (read_procs (dirfd, dir, pids, n, alloc, err) < 0)
    return -1;
  fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : mr_error_errno (err, errno, "open '%s'", dir);
  d = fdopendir (fd);
  if (d == NULL)
    {
      int e = errno;
      close (fd);
      return mr_error_errno (err, e, "open '%s'", dir);
    }
  while ((de = readdir (d)))
    {
      cleanup_close int sub = -1;

      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      sub = openat (dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (sub < 0)
        {
          if (errno == ENOENT)
            continue;
          return mr_error_errno (err, errno, "open '%s/%s'", dir, de->d_name);
        }
      if (mr_cgroup_read_pids_tree (sub, dir, pids, n, alloc, err) < 0)
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

int
mr_cgroup_kill_tree (int dirfd, const char *dir, int sig, struct mr_error *err)
{
  cleanup_free pid_t *done = NULL;
  size_t n_done = 0, alloc_done = 0;
  int round;

  /* A process may fork while we signal its siblings: go round until a
   * pass finds nobody new.  */
  for (round = 0; round < 100; round++)
    {
      cleanup_free pid_t *pids = NULL;
      size_t n = 0, alloc = 0, i, fresh = 0;

      if (mr_cgroup_read_pids_tree (dirfd, dir, &pids, &n, &alloc, err) < 0)
        return -1;
      for (i = 0; i < n; i++)
        {
          if (n_done && bsearch (&pids[i], done, n_done, sizeof *done, pid_cmp) != NULL)
            continue;
          if (kill (pids[i], sig) < 0 && errno != ESRCH)
            return mr_error_errno (err, errno, "kill %d in cgroup '%s'", (int)pids[i], dir);
          pids[fresh++] = pids[i];
        }
      if (fresh == 0)
        return 0;
      if (n_done + fresh > alloc_done)
        {
          size_t na = (n_done + fresh) * 2;
          pid_t *nd = realloc (done, na * sizeof *nd);
          if (nd == NULL)
            return mr_error_errno (err, ENOMEM, "kill processes in cgroup '%s'", dir);
          done = nd;
          alloc_done = na;
        }
      memcpy (done + n_done, pids, fresh * sizeof *pids);
      n_done += fresh;
      qsort (done, n_done, sizeof *done, pid_cmp);
    }
  return mr_error_set (err, "kill processes in cgroup '%s': they keep forking", dir);
}

/* rmdir that waits while the cgroup still has (dying) processes.  */
static int
rmdir_retry (int dirfd, const char *name, const char *shown, uint64_t deadline_ns,
             struct mr_error *err)
{
  unsigned step = 0;

  for (;;)
    {
      if (unlinkat (dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY && errno != ENOTEMPTY && errno != EINTR)
        return mr_error_errno (err, errno, "remove cgroup '%s'", shown);
      if (mr_cgroup_now_ns () >= deadline_ns)
        return mr_error_errno (err, errno, "remove cgroup '%s'", shown);
      mr_cgroup_poll_sleep (&step);
    }
}

static int
rmdir_children (int fd, const char *shown, uint64_t deadline_ns, int depth, struct mr_error *err)
{
  cleanup_closedir DIR *d = NULL;
  struct dirent *de;
  int dfd;

  if (depth > 64)
    return mr_error_set (err, "remove cgroup '%s': too deep", shown);
  dfd = openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return mr_error_errno (err, errno, "open '%s'", shown);
  d = fdopendir (dfd);
  if (d == NULL)
    {
      int e = errno;
      close (dfd);
      return mr_error_errno (err, e, "open '%s'", shown);
    }
  while ((de = readdir (d)))
    {
      cleanup_close int sub = -1;

      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      sub = openat (fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (sub < 0)
        {
          if (errno == ENOENT)
            continue;
          return mr_error_errno (err, errno, "open '%s/%s'", shown, de->d_name);
        }
      if (rmdir_children (sub, shown, deadline_ns, depth + 1, err) < 0)
        return -1;
      if (rmdir_retry (fd, de->d_name, shown, deadline_ns, err) < 0)
        return -1;
    }
  return 0;
}

int
mr_cgroup_rmdir_tree (const char *dir, uint64_t deadline_ns, struct mr_error *err)
{
  cleanup_close int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    return errno == ENOENT ? 0 : mr_error_errno (err, errno, "open '%s'", dir);
  if (rmdir_children (fd, dir, deadline_ns, 0, err) < 0)
    return -1;
  return rmdir_retry (AT_FDCWD, dir, dir, deadline_ns, err);
}

/* A new v1 cpuset cgroup starts with empty cpuset.cpus and cpuset.mems,
 * where no task may join: it gets the values of its nearest ancestor (up
 * to the hierarchy's mount point, root) that has them; a parent that
 * someone made without them has none.  */
static int
copy_parent_file (const char *root, const char *dir, const char *name, struct mr_error *err)
{
  char path[PATH_MAX];
  size_t rl = strlen (root);
  size_t len = 0;
  char *slash;

  if ((size_t)snprintf (path, sizeof path, "%s", dir) >= sizeof path)
    return mr_error_set (err, "cgroup '%s': path too long", dir);
  while ((slash = strrchr (path, '/')) != NULL && (size_t)(slash - path) >= rl)
    {
      cleanup_free char *value = NULL;
      char file[PATH_MAX];

      *slash = '\0';
      if ((size_t)snprintf (file, sizeof file, "%s/%s", path, name) >= sizeof file)
        return mr_error_set (err, "cgroup '%s': path too long", dir);
      if (mr_read_file (file, &value, &len, err) < 0)
        return -1;
      while (len > 0 && (value[len - 1] == '\n' || value[len - 1] == ' '))
        len--;
      if (len == 0)
        continue;
      if ((size_t)snprintf (file, sizeof file, "%s/%s", dir, name) >= sizeof file)
        return mr_error_set (err, "cgroup '%s': path too long", dir);
      return mr_write_file (file, value, len, err);
    }
  return 0;
}

static bool
empty_file (const char *dir, const char *name)
{
  char file[PATH_MAX];
  cleanup_free char *value = NULL;
  size_t len = 0;

  if ((size_t)snprintf (file, sizeof file, "%s/%s", dir, name) >= sizeof file
      || mr_read_file (file, &value, &len, NULL) < 0)
    return false;
  while (len > 0 && (value[len - 1] == '\n' || value[len - 1] == ' '))
    len--;
  return len == 0;
}

/* Every level of full below root, from the top down, gets the cpuset
 * values it lacks from its nearest ancestor: a task can only join a cpuset
 * with cpus and mems, and a cgroup's values must be within its parent's,
 * so a parent that someone else made without them is filled too, as runc
 * does.  */
static int
fill_cpuset_levels (const char *root, char *full, struct mr_error *err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  char *p = full + strlen (root);

  while (*p)
    {
      char *next = strchr (p + 1, '/');

      if (next)
        *next = '\0';
      for (size_t i = 0; i < 2; i++)
        if (empty_file (full, files[i]) && copy_parent_file (root, full, files[i], err) < 0)
          {
            if (next)
              *next = '/';
            return -1;
          }
      if (next == NULL)
        break;
      *next = '/';
      p = next;
    }
  return 0;
}

int
mr_cgroup_mkdir_levels (const char *root, const char *path, bool init_cpuset, int *first_created,
                        struct mr_error *err)
{
  cleanup_free char *full = NULL;
  size_t rl = strlen (root);
  int level = 0;
  char *p;

  *first_created = 0;
  if (mr_asprintf (err, &full, "%s%s", root, path) < 0)
    return -1;
  /* Usually only the last level is missing: one mkdir then.  */
  if (mkdir (full, 0755) == 0)
    {
      for (p = full + rl; *p; p++)
        if (*p == '/')
          level++;
      *first_created = level;
      goto done;
    }
  if (errno == EEXIST)
    goto done;
  if (errno != ENOENT)
    return mr_error_errno (err, errno, "create cgroup '%s'", full);
  for (p = full + rl; *p;)
    {
      char *next = strchr (p + 1, '/');
      char saved = 0;

      if (next)
        {
          saved = *next;
          *next = '\0';
        }
      level++;
      if (mkdir (full, 0755) == 0)
        {
          if (*first_created == 0)
            *first_created = level;
        }
      else if (errno != EEXIST)
        {
          mr_error_errno (err, errno, "create cgroup '%s'", full);
          goto fail;
        }
      if (next == NULL)
        break;
      *next = saved;
      p = next;
    }

done:
  if (init_cpuset && fill_cpuset_levels (root, full, err) < 0)
    goto fail;
  return 0;

fail:
  mr_cgroup_rmdir_levels (root, path, *first_created);
  *first_created = 0;
  return -1;
}

void
mr_cgroup_rmdir_levels (const char *root, const char *path, int first_created)
{
  cleanup_free char *full = NULL;
  size_t rl = strlen (root);
  int levels = 0;
  const char *p;

  if (first_created <= 0 || asprintf (&full, "%s%s", root, path) < 0)
    return;
  for (p = path; *p; p++)
    if (*p == '/')
      levels++;
  for (; levels >= first_created; levels--)
    {
      char *slash;

      rmdir (full);
      slash = strrchr (full + rl, '/');
      if (slash == NULL)
        break;
      *slash = '\0';
    }
}

/* mr_cgroup_rmdir_levels once the cgroup itself is gone: only the
 * parents that create made, without a second rmdir of the cgroup.  */
void
mr_cgroup_rmdir_parent_levels (const char *root, const char *path, int first_created)
{
  cleanup_free char *parent = NULL;
  const char *slash = strrchr (path, '/');

  if (first_created <= 0 || slash == NULL || slash == path)
    return;
  parent = strndup (path, (size_t)(slash - path));
  if (parent)
    mr_cgroup_rmdir_levels (root, parent, first_created);
}

/* Dispatch.  */

static int
handle_new (const char *path, struct mr_cgroup **out, struct mr_error *err)
{
  struct mr_cgroup *cg;
  enum mr_cgroup_mode mode;
  char *clean = NULL;

  if (mr_cgroup_mode (&mode, err) < 0)
    return -1;
  if (path == NULL || path[0] != '/')
    return mr_error_set (err, "cgroup path '%s' is not absolute", path ? path : "");
  if (mr_cgroup_clean_path (path, &clean, err) < 0)
    return -1;
  if (strcmp (clean, "/") == 0)
    {
      free (clean);
      return mr_error_set (err, "cgroup path '%s' is the root cgroup", path);
    }
  cg = calloc (1, sizeof *cg);
  if (cg == NULL)
    {
      free (clean);
      return mr_error_errno (err, ENOMEM, "cgroup '%s'", path);
    }
  cg->mode = mode;
  cg->path = clean;
  cg->v2_fd = -1;
  cg->ops = mode == MR_CGROUP_V2 ? &mr_cgroup_v2_ops : &mr_cgroup_v1_ops;
  *out = cg;
  return 0;
}

static int
set_layout (struct mr_cgroup *cg, json_t *layout, struct mr_error *err)
{
  const char *key;
  json_t *v;

  cg->uniform = true;
  if (layout == NULL)
    return 0;
  if (!json_is_object (layout))
    return mr_error_set (err, "cgroup '%s': the layout is not an object", cg->path);
  cg->layout = json_deep_copy (layout);
  if (cg->layout == NULL)
    return mr_error_errno (err, ENOMEM, "cgroup '%s'", cg->path);
  json_object_foreach (cg->layout, key, v)
  {
    const char *p = json_string_value (json_object_get (v, "path"));
    cleanup_free char *clean = NULL;

    if (p == NULL)
      continue;
    /* state.json is ours, but a path from it still must not climb.  */
    if (p[0] != '/' || mr_cgroup_clean_path (p, &clean, err) < 0)
      return mr_error_set (err, "cgroup '%s': bad path '%s' for '%s'", cg->path, p, key);
    if (strcmp (clean, cg->path) != 0)
      cg->uniform = false;
  }
  return 0;
}

int
mr_cgroup_create (const char *path, const struct mr_spec_resources *resources,
                  struct mr_cgroup **out, struct mr_error *err)
{
  return mr_cgroup_create_in (path, NULL, resources, out, err);
}

int
mr_cgroup_create_in (const char *path, json_t *layout, const struct mr_spec_resources *resources,
                     struct mr_cgroup **out, struct mr_error *err)
{
  struct mr_cgroup *cg = NULL;

  if (handle_new (path, &cg, err) < 0)
    return -1;
  if (set_layout (cg, layout, err) < 0 || cg->ops->create (cg, resources, err) < 0)
    {
      mr_cgroup_free (cg);
      return -1;
    }
  cg->exists = true;
  *out = cg;
  return 0;
}

int
mr_cgroup_open (const char *path, struct mr_cgroup **out, struct mr_error *err)
{
  return mr_cgroup_open_in (path, NULL, out, err);
}

int
mr_cgroup_open_in (const char *path, json_t *layout, struct mr_cgroup **out, struct mr_error *err)
{
  struct mr_cgroup *cg = NULL;

  if (handle_new (path, &cg, err) < 0)
    return -1;
  if (set_layout (cg, layout, err) < 0 || cg->ops->open (cg, err) < 0)
    {
      mr_cgroup_free (cg);
      return -1;
    }
  *out = cg;
  return 0;
}

void
mr_cgroup_free (struct mr_cgroup *cg)
{
  if (cg == NULL)
    return;
  if (cg->ops && cg->ops->free)
    cg->ops->free (cg);
  if (cg->v2_fd >= 0)
    close (cg->v2_fd);
  free (cg->v2_root);
  free (cg->v2_dir);
  free (cg->path);
  json_decref (cg->layout);
  free (cg);
}

json_t *
mr_cgroup_layout (const struct mr_cgroup *cg)
{
  return cg->layout;
}

bool
mr_cgroup_same_path_everywhere (const struct mr_cgroup *cg)
{
  return cg->uniform;
}

const char *
mr_cgroup_path (const struct mr_cgroup *cg)
{
  return cg->path;
}

int
mr_cgroup_clone_fd (const struct mr_cgroup *cg)
{
  return cg->v2_fd;
}

int
mr_cgroup_enter (struct mr_cgroup *cg, pid_t pid, bool born_in_v2, struct mr_error *err)
{
  /* A process must never end up unconfined because its cgroup is gone.  */
  if (!cg->exists)
    return mr_error_errno (err, ENOENT, "join cgroup '%s'", cg->path);
  return cg->ops->enter (cg, pid, born_in_v2, err);
}

int
mr_cgroup_update (struct mr_cgroup *cg, const struct mr_spec_resources *resources,
                  struct mr_error *err)
{
  if (!cg->exists || resources == NULL)
    return 0;
  return cg->ops->update (cg, resources, err);
}

int
mr_cgroup_freeze (struct mr_cgroup *cg, bool frozen, struct mr_error *err)
{
  if (!cg->exists)
    return 0;
  return cg->ops->freeze (cg, frozen, err);
}

int
mr_cgroup_is_frozen (struct mr_cgroup *cg, bool *frozen, struct mr_error *err)
{
  *frozen = false;
  if (!cg->exists)
    return 0;
  return cg->ops->is_frozen (cg, frozen, err);
}

int
mr_cgroup_pids (struct mr_cgroup *cg, pid_t **pids, size_t *n, struct mr_error *err)
{
  *pids = NULL;
  *n = 0;
  if (!cg->exists)
    return 0;
  return cg->ops->pids (cg, pids, n, err);
}

int
mr_cgroup_kill (struct mr_cgroup *cg, int sig, struct mr_error *err)
{
  if (!cg->exists)
    return 0;
  return cg->ops->kill (cg, sig, err);
}

int
mr_cgroup_destroy (struct mr_cgroup *cg, struct mr_error *err)
{
  if (!cg->exists)
    return 0;
  if (cg->ops->destroy (cg, err) < 0)
    return -1;
  cg->exists = false;
  return 0;
}

int
mr_cgroup_stats (struct mr_cgroup *cg, struct mr_cgroup_stats *st, struct mr_error *err)
{
  memset (st, 0, sizeof *st);
  st->memory_limit = UINT64_MAX;
  st->pids_limit = UINT64_MAX;
  if (!cg->exists)
    return 0;
  return cg->ops->stats (cg, st, err);
}

void
mr_cgroup_json_u64 (json_t *o, const char *key, uint64_t v)
{
  if (v != 0)
    json_object_set_new (o, key, json_integer ((json_int_t)(v > INT64_MAX ? INT64_MAX : v)));
}

json_t *
mr_cgroup_keyed_json (const char *content)
{
  json_t *o = json_object ();
  const char *p = content;

  while (o && p && *p)
    {
      const char *eol = strchr (p, '\n');
      const char *sp = memchr (p, ' ', eol ? (size_t)(eol - p) : strlen (p));
      uint64_t v;

      if (sp && sp > p && mr_cgroup_parse_u64 (sp + 1, &v) == 0)
        {
          cleanup_free char *k = strndup (p, (size_t)(sp - p));
          if (k)
            json_object_set_new (o, k, json_integer ((json_int_t)(v > INT64_MAX ? INT64_MAX : v)));
        }
      p = eol ? eol + 1 : NULL;
    }
  return o;
}

void
mr_cgroup_blkio_entries (const char *content, json_t *array)
{
  const char *p = content;

  while (p && *p)
    {
      const char *eol = strchr (p, '\n');
      unsigned major, minor;
      char op[16];
      unsigned long long v;

      if (sscanf (p, "%u:%u %15s %llu", &major, &minor, op, &v) == 4)
        {
          json_t *e = json_pack ("{s:i,s:s}", "major", (int)major, "op", op);
          if (e)
            {
              mr_cgroup_json_u64 (e, "minor", minor);
              mr_cgroup_json_u64 (e, "value", v);
              json_array_append_new (array, e);
            }
        }
      p = eol ? eol + 1 : NULL;
    }
}

int
mr_cgroup_stats_json (struct mr_cgroup *cg, json_t **data, struct mr_error *err)
{
  json_t *d
      = json_pack ("{s:{s:{},s:{}},s:{},s:{},s:{},s:{},s:{},s:n}", "cpu", "usage", "throttling",
                   "memory", "pids", "blkio", "hugetlb", "intel_rdt", "network_interfaces");

  if (d == NULL)
    return mr_error_errno (err, ENOMEM, "stats of cgroup '%s'", cg->path);
  if (cg->exists && cg->ops->stats_json (cg, d, err) < 0)
    {
      json_decref (d);
      return -1;
    }
  *data = d;
  return 0;
}
