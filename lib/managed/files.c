/* cp and useradd: the verbs that reach into a container's file system.
 *
 * The container side starts from an fd of the container's root
 * (container.h).  Paths given by the user are resolved under it with
 * mr_open_in_root, and trees are walked from there with openat and
 * O_NOFOLLOW, so nothing the container keeps in its file system (a symlink
 * to /etc, "..", a rename while the walk goes on) leads to a host file.
 * Nothing already in a destination directory is opened for writing: a file
 * is written as a temporary next to it and renamed into place, so that an
 * entry of that name (a symlink, a device node) is replaced, never written
 * through.  The same holds on the host side, whose paths are the caller's
 * own and resolved as usual.  */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "oci/container.h"
#include "context.h"
#include "managed/files.h"
#include "managed/managed.h"
#include "oci/spec.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/path.h"

/* Each level of a tree being copied holds two fds: a limit keeps a hostile
   tree from exhausting them.  */
#define MAX_DEPTH 256

/* /etc/passwd and friends larger than this are not something to load.  */
#define MAX_DB_SIZE (16 << 20)

/* Below this, uids and gids belong to the system.  */
#define FIRST_USER_ID 1000
#define LAST_USER_ID 60000

/* --- id mappings --------------------------------------------------------- */

struct idmap
{
  struct mr_spec_idmap *m;
  size_t n; /* 0: the container uses the host's ids */
};

static bool
id_to_host (const struct idmap *map, uint32_t id, uint32_t *out)
{
  if (map->n == 0)
    {
      *out = id;
      return true;
    }
  for (size_t i = 0; i < map->n; i++)
    if (id >= map->m[i].container_id && id - map->m[i].container_id < map->m[i].size)
      {
        *out = map->m[i].host_id + (id - map->m[i].container_id);
        return true;
      }
  return false;
}

static bool
id_from_host (const struct idmap *map, uint32_t id, uint32_t *out)
{
  if (map->n == 0)
    {
      *out = id;
      return true;
    }
  for (size_t i = 0; i < map->n; i++)
    if (id >= map->m[i].host_id && id - map->m[i].host_id < map->m[i].size)
      {
        *out = map->m[i].container_id + (id - map->m[i].host_id);
        return true;
      }
  return false;
}

/* /proc/<pid>/uid_map as the host sees it: "inside outside count" lines.  */
static int
read_proc_idmap (int procfd, const char *file, struct idmap *map, struct mr_error *err)
{
  cleanup_free char *text = NULL;
  char *line, *save = NULL;
  size_t len;

  if (mr_read_file_at (procfd, file, &text, &len, err) < 0)
    return -1;
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      struct mr_spec_idmap e;
      struct mr_spec_idmap *n;

      if (sscanf (line, "%" SCNu32 " %" SCNu32 " %" SCNu32, &e.container_id, &e.host_id, &e.size)
          != 3)
        return mr_error_set (err, "%s: cannot parse '%s'", file, line);
      n = realloc (map->m, (map->n + 1) * sizeof *n);
      if (n == NULL)
        return mr_error_errno (err, ENOMEM, "%s", file);
      map->m = n;
      map->m[map->n++] = e;
    }
  return 0;
}

static int
copy_idmap (const struct mr_spec_idmap *m, size_t n, struct idmap *map, struct mr_error *err)
{
  if (n == 0)
    return 0;
  map->m = calloc (n, sizeof *m);
  if (map->m == NULL)
    return mr_error_errno (err, ENOMEM, "id mappings");
  memcpy (map->m, m, n * sizeof *m);
  map->n = n;
  return 0;
}

/* The container's id mappings: init's own while it runs (whatever
   namespace it joined), else those of its config.  */
static int
load_idmaps (const struct mr_container_root *r, struct idmap *uids, struct idmap *gids,
             struct mr_error *err)
{
  if (r->procfd >= 0)
    return read_proc_idmap (r->procfd, "uid_map", uids, err) < 0
                   || read_proc_idmap (r->procfd, "gid_map", gids, err) < 0
               ? -1
               : 0;
  if (r->spec)
    return copy_idmap (r->spec->linux.uid_mappings, r->spec->linux.n_uid_mappings, uids, err) < 0
                   || copy_idmap (r->spec->linux.gid_mappings, r->spec->linux.n_gid_mappings, gids,
                                  err)
                          < 0
               ? -1
               : 0;
  return 0;
}

/* --- small file helpers -------------------------------------------------- */

/* Opens what an O_PATH fd stands for, for reading or listing: the same
   inode, without a second lookup that a rename could redirect.  */
static int
reopen (int fd, int flags)
{
  char path[64];

  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  return open (path, flags | O_CLOEXEC | O_NOCTTY);
}

static void
temp_name (char *buf, size_t size)
{
  static unsigned counter;
  uint64_t r;

  if (getrandom (&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
    r = ((uint64_t)getpid () << 32) ^ (uint64_t)time (NULL) ^ counter++;
  snprintf (buf, size, ".minirun-%016" PRIx64, r);
}

/* A new file of a name no one else has in dir, mode 0600.  */
static int
create_temp (int dir, char *name, size_t size)
{
  for (int i = 0; i < 100; i++)
    {
      int fd;

      temp_name (name, size);
      fd = openat (dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd >= 0 || errno != EEXIST)
        return fd;
    }
  errno = EEXIST;
  return -1;
}

static int
copy_data (int in, int out)
{
  bool range = true;
  char buf[65536];

  for (;;)
    {
      ssize_t n;

      if (range)
        {
          n = copy_file_range (in, NULL, out, NULL, 1 << 30, 0);
          if (n > 0)
            continue;
          if (n == 0)
            return 0;
          if (errno == EINTR)
            continue;
          if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP
              && errno != EPERM)
            return -1;
          /* the offsets moved with what was copied: go on from there */
          range = false;
        }
      n = read (in, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        return 0;
      if (mr_write_all (out, buf, (size_t)n) < 0)
        return -1;
    }
}

/* Splits a path into its directory and last component; trailing slashes
   do not count.  "/" gives "/" and ".".  Caller frees both.  */
static int
split_path (const char *path, char **dir, char **base, struct mr_error *err)
{
  cleanup_free char *copy = strdup (path);
  size_t len;
  char *slash;

  *dir = *base = NULL;
  if (copy == NULL)
    return mr_error_errno (err, ENOMEM, "'%s'", path);
  len = strlen (copy);
  while (len > 1 && copy[len - 1] == '/')
    copy[--len] = '\0';
  slash = strrchr (copy, '/');
  if (slash == NULL)
    {
      *dir = strdup (".");
      *base = strdup (copy);
    }
  else if (slash == copy && copy[1] == '\0')
    {
      *dir = strdup ("/");
      *base = strdup (".");
    }
  else
    {
      *base = strdup (slash + 1);
      *slash = '\0';
      *dir = strdup (slash == copy ? "/" : copy);
    }
  if (*dir == NULL || *base == NULL)
    {
      free (*dir);
      free (*base);
      *dir = *base = NULL;
      return mr_error_errno (err, ENOMEM, "'%s'", path);
    }
  return 0;
}

static bool
ends_with (const char *s, const char *suffix)
{
  size_t a = strlen (s), b = strlen (suffix);
  return a >= b && strcmp (s + a - b, suffix) == 0;
}

/* "/." or "." at the end of a source: its contents, not itself.  */
static bool
names_contents (const char *path)
{
  return strcmp (path, ".") == 0 || ends_with (path, "/.");
}

static char *
join_display (const char *a, const char *b)
{
  char *s;
  if (asprintf (&s, "%s%s%s", a, ends_with (a, "/") ? "" : "/", b) < 0)
    return NULL;
  return s;
}

/* --- the copy ------------------------------------------------------------ */

enum owner_mode
{
  OWNER_CALLER,    /* whatever creating the entry gives it */
  OWNER_FIXED,     /* fixed_uid:fixed_gid (host ids) */
  OWNER_TO_HOST,   /* the source's ids, as container ids made host ids */
  OWNER_FROM_HOST, /* the source's host ids, as container ids */
};

struct copy
{
  struct mr_context *ctx;
  enum owner_mode owner;
  bool keep_setid;
  uid_t fixed_uid;
  gid_t fixed_gid;
  struct idmap uids, gids;
  /* the destination directory: a source that contains it would be copied
     into itself without end */
  bool top_set;
  dev_t top_dev;
  ino_t top_ino;
  size_t skipped;
  char *first_skipped;
};

static void
copy_clear (struct copy *c)
{
  free (c->uids.m);
  free (c->gids.m);
  free (c->first_skipped);
}

/* The owner an entry copied from one with stat *st gets; false: leave it.  */
static bool
owner_for (const struct copy *c, const struct stat *st, uid_t *uid, gid_t *gid)
{
  uint32_t u, g;

  switch (c->owner)
    {
    case OWNER_CALLER:
      return false;
    case OWNER_FIXED:
      break;
    case OWNER_TO_HOST:
      if (id_to_host (&c->uids, st->st_uid, &u) && id_to_host (&c->gids, st->st_gid, &g))
        {
          *uid = u;
          *gid = g;
          return true;
        }
      /* an id the container cannot name: as without --archive */
      break;
    case OWNER_FROM_HOST:
      *uid = id_from_host (&c->uids, st->st_uid, &u) ? u : st->st_uid;
      *gid = id_from_host (&c->gids, st->st_gid, &g) ? g : st->st_gid;
      return true;
    }
  *uid = c->fixed_uid;
  *gid = c->fixed_gid;
  return true;
}

static mode_t
mode_for (const struct copy *c, const struct stat *st)
{
  mode_t m = st->st_mode & 07777;
  if (!c->keep_setid && !S_ISDIR (st->st_mode))
    m &= ~(mode_t)(S_ISUID | S_ISGID);
  return m;
}

/* Owner, mode and times of an entry just made, through an fd of it.  */
static int
set_meta (const struct copy *c, int fd, const struct stat *st, const char *dpath,
          struct mr_error *err)
{
  struct timespec ts[2] = { st->st_atim, st->st_mtim };
  uid_t uid;
  gid_t gid;

  /* before chmod: chown clears the set-id bits */
  if (owner_for (c, st, &uid, &gid) && fchown (fd, uid, gid) < 0)
    return mr_error_errno (err, errno, "chown '%s' to %u:%u", dpath, (unsigned)uid, (unsigned)gid);
  if (fchmod (fd, mode_for (c, st)) < 0)
    return mr_error_errno (err, errno, "chmod '%s'", dpath);
  if (futimens (fd, ts) < 0)
    return mr_error_errno (err, errno, "set the times of '%s'", dpath);
  return 0;
}

/* Renames tmp over name in dir, or removes tmp.  */
static int
rename_into_place (int dir, const char *tmp, const char *name, const char *dpath,
                   struct mr_error *err)
{
  if (renameat (dir, tmp, dir, name) == 0)
    return 0;
  mr_error_errno (err, errno, "replace '%s'", dpath);
  unlinkat (dir, tmp, 0);
  return -1;
}

static int
copy_file (struct copy *c, int src, const struct stat *st, int ddir, const char *name,
           const char *spath, const char *dpath, struct mr_error *err)
{
  cleanup_close int in = reopen (src, O_RDONLY);
  cleanup_close int out = -1;
  struct stat old;
  char tmp[64];

  if (in < 0)
    return mr_error_errno (err, errno, "open '%s'", spath);
  if (fstatat (ddir, name, &old, AT_SYMLINK_NOFOLLOW) == 0 && old.st_dev == st->st_dev
      && old.st_ino == st->st_ino)
    return mr_error_set (err, "'%s' and '%s' are the same file", spath, dpath);
  out = create_temp (ddir, tmp, sizeof tmp);
  if (out < 0)
    return mr_error_errno (err, errno, "create a file next to '%s'", dpath);
  if (copy_data (in, out) < 0)
    {
      mr_error_errno (err, errno, "copy '%s' to '%s'", spath, dpath);
      unlinkat (ddir, tmp, 0);
      return -1;
    }
  if (set_meta (c, out, st, dpath, err) < 0)
    {
      unlinkat (ddir, tmp, 0);
      return -1;
    }
  return rename_into_place (ddir, tmp, name, dpath, err);
}

static int
copy_symlink (struct copy *c, int src, const struct stat *st, int ddir, const char *name,
              const char *spath, const char *dpath, struct mr_error *err)
{
  struct timespec ts[2] = { st->st_atim, st->st_mtim };
  char target[PATH_MAX];
  char tmp[64];
  ssize_t len;
  uid_t uid;
  gid_t gid;
  int i;

  len = readlinkat (src, "", target, sizeof target);
  if (len < 0)
    return mr_error_errno (err, errno, "read symbolic link '%s'", spath);
  if ((size_t)len >= sizeof target)
    return mr_error_errno (err, ENAMETOOLONG, "read symbolic link '%s'", spath);
  target[len] = '\0';
  for (i = 0; i < 100; i++)
    {
      temp_name (tmp, sizeof tmp);
      if (symlinkat (target, ddir, tmp) == 0)
        break;
      if (errno != EEXIST)
        return mr_error_errno (err, errno, "create symbolic link '%s'", dpath);
    }
  if (i == 100)
    return mr_error_errno (err, EEXIST, "create symbolic link '%s'", dpath);
  if (owner_for (c, st, &uid, &gid) && fchownat (ddir, tmp, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    {
      mr_error_errno (err, errno, "chown '%s' to %u:%u", dpath, (unsigned)uid, (unsigned)gid);
      unlinkat (ddir, tmp, 0);
      return -1;
    }
  /* the times of a symlink are not worth failing the copy for */
  utimensat (ddir, tmp, ts, AT_SYMLINK_NOFOLLOW);
  return rename_into_place (ddir, tmp, name, dpath, err);
}

/* Kernel file systems (proc, sysfs, cgroup...) of a running container are
   copied as empty directories: their files describe the host as much as
   the container, some block when read, and they are no part of its
   files.  */
static bool
is_kernel_fs (int fd)
{
  struct statfs sfs;

  if (fstatfs (fd, &sfs) < 0)
    return false;
  switch ((unsigned long)sfs.f_type)
    {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case DEVPTS_SUPER_MAGIC:
    case DEBUGFS_MAGIC:
    case TRACEFS_MAGIC:
    case SECURITYFS_MAGIC:
    case BPF_FS_MAGIC:
    case SELINUX_MAGIC:
    case EFIVARFS_MAGIC:
      return true;
    default:
      return false;
    }
}

static int copy_entry (struct copy *c, int src, const struct stat *st, int ddir, const char *name,
                       const char *spath, const char *dpath, int depth, struct mr_error *err);

/* Copies what the directory src holds into the directory ddir.  */
static int
copy_children (struct copy *c, int src, int ddir, const char *spath, const char *dpath, int depth,
               struct mr_error *err)
{
  cleanup_closedir DIR *d = NULL;
  struct dirent *de;
  int fd;

  if (is_kernel_fs (src))
    return 0;
  fd = reopen (src, O_RDONLY | O_DIRECTORY);
  if (fd < 0)
    return mr_error_errno (err, errno, "open directory '%s'", spath);
  d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return mr_error_errno (err, errno, "open directory '%s'", spath);
    }
  for (;;)
    {
      cleanup_close int child = -1;
      cleanup_free char *sp = NULL;
      cleanup_free char *dp = NULL;
      struct stat st;

      errno = 0;
      de = readdir (d);
      if (de == NULL)
        {
          if (errno != 0)
            return mr_error_errno (err, errno, "read directory '%s'", spath);
          return 0;
        }
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      sp = join_display (spath, de->d_name);
      dp = join_display (dpath, de->d_name);
      if (sp == NULL || dp == NULL)
        return mr_error_errno (err, ENOMEM, "copy '%s'", spath);
      child = openat (dirfd (d), de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (child < 0 && errno == ENOENT)
        continue; /* removed since readdir saw it */
      if (child < 0 || fstat (child, &st) < 0)
        return mr_error_errno (err, errno, "open '%s'", sp);
      if (copy_entry (c, child, &st, ddir, de->d_name, sp, dp, depth + 1, err) < 0)
        return -1;
    }
}

static int
copy_dir (struct copy *c, int src, const struct stat *st, int ddir, const char *name,
          const char *spath, const char *dpath, int depth, struct mr_error *err)
{
  cleanup_close int dfd = -1;
  struct stat old;
  bool created = false;

  if (depth > MAX_DEPTH)
    return mr_error_set (err, "'%s': directories nested more than %d deep", spath, MAX_DEPTH);
  if (c->top_set && st->st_dev == c->top_dev && st->st_ino == c->top_ino)
    return mr_error_set (err, "cannot copy '%s' into itself", spath);
  if (fstatat (ddir, name, &old, AT_SYMLINK_NOFOLLOW) == 0)
    {
      if (old.st_dev == st->st_dev && old.st_ino == st->st_ino)
        return mr_error_set (err, "cannot copy '%s' onto itself", spath);
      /* a directory merges; anything else makes room */
      if (!S_ISDIR (old.st_mode) && unlinkat (ddir, name, 0) < 0)
        return mr_error_errno (err, errno, "replace '%s'", dpath);
      created = !S_ISDIR (old.st_mode);
    }
  else if (errno == ENOENT)
    created = true;
  else
    return mr_error_errno (err, errno, "'%s'", dpath);
  if (created && mkdirat (ddir, name, 0700) < 0)
    return mr_error_errno (err, errno, "create directory '%s'", dpath);
  dfd = openat (ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return mr_error_errno (err, errno, "open directory '%s'", dpath);
  if (!c->top_set)
    {
      struct stat top;
      if (fstat (dfd, &top) < 0)
        return mr_error_errno (err, errno, "'%s'", dpath);
      c->top_set = true;
      c->top_dev = top.st_dev;
      c->top_ino = top.st_ino;
    }
  if (copy_children (c, src, dfd, spath, dpath, depth, err) < 0)
    return -1;
  /* last: copying the contents changed the times, and a directory without
     write permission could not have been filled */
  if (created)
    return set_meta (c, dfd, st, dpath, err);
  return 0;
}

static int
copy_entry (struct copy *c, int src, const struct stat *st, int ddir, const char *name,
            const char *spath, const char *dpath, int depth, struct mr_error *err)
{
  switch (st->st_mode & S_IFMT)
    {
    case S_IFDIR:
      return copy_dir (c, src, st, ddir, name, spath, dpath, depth, err);
    case S_IFREG:
      return copy_file (c, src, st, ddir, name, spath, dpath, err);
    case S_IFLNK:
      return copy_symlink (c, src, st, ddir, name, spath, dpath, err);
    default:
      /* Device nodes made from what a container holds would hand its
         choice of host devices to whoever can reach the copy.  */
      if (c->skipped++ == 0)
        c->first_skipped = strdup (spath);
      return 0;
    }
}

/* The source: an O_PATH fd of the entry itself.  */
struct source
{
  int fd;
  struct stat st;
  char *base;    /* the name a copy gets; NULL for a root directory */
  bool contents; /* "DIR/.": what the directory holds */
  const char *display;
};

/* The destination: the directory the path leads to when it is one, else
   the directory to hold the new entry and its name.  */
struct destination
{
  int dir;
  int parent;
  char *name;
  bool exists;      /* as something other than a directory */
  bool must_be_dir; /* written with a trailing slash */
  const char *display;
};

static void
source_clear (struct source *s)
{
  if (s->fd >= 0)
    close (s->fd);
  free (s->base);
}

static void
destination_clear (struct destination *d)
{
  if (d->dir >= 0)
    close (d->dir);
  if (d->parent >= 0)
    close (d->parent);
  free (d->name);
}

static int
source_base (struct source *s, const char *cleaned, struct mr_error *err)
{
  cleanup_free char *dir = NULL;

  if (split_path (cleaned, &dir, &s->base, err) < 0)
    return -1;
  if (strcmp (s->base, ".") == 0 || strcmp (s->base, "/") == 0)
    {
      free (s->base);
      s->base = NULL;
    }
  return 0;
}

static int
host_source (const char *path, bool follow, struct source *s, struct mr_error *err)
{
  s->contents = names_contents (path);
  follow = follow || s->contents || ends_with (path, "/");
  s->fd = open (path, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
  if (s->fd < 0 || fstat (s->fd, &s->st) < 0)
    return mr_error_errno (err, errno, "'%s'", path);
  if (!s->contents && (strcmp (path, "..") == 0 || ends_with (path, "/..")))
    {
      /* the name the directory really has */
      cleanup_free char *real = realpath (path, NULL);
      if (real == NULL)
        return mr_error_errno (err, errno, "'%s'", path);
      return source_base (s, real, err);
    }
  return source_base (s, path, err);
}

static int
container_source (int rootfd, const char *path, bool follow, struct source *s, struct mr_error *err)
{
  cleanup_free char *cleaned = mr_path_join ("/", path);

  if (cleaned == NULL)
    return mr_error_errno (err, ENOMEM, "'%s'", s->display);
  s->contents = names_contents (path);
  follow = follow || s->contents || ends_with (path, "/");
  s->fd = mr_open_in_root (rootfd, cleaned, O_PATH | (follow ? 0 : O_NOFOLLOW), 0, err);
  if (s->fd < 0)
    return mr_error_errno (err, err->errnum, "'%s'", s->display);
  if (fstat (s->fd, &s->st) < 0)
    return mr_error_errno (err, errno, "'%s'", s->display);
  return source_base (s, cleaned, err);
}

static int
host_destination (const char *path, struct destination *d, struct mr_error *err)
{
  cleanup_free char *dir = NULL;
  struct stat st;

  d->must_be_dir = ends_with (path, "/") || names_contents (path);
  if (stat (path, &st) == 0)
    {
      if (S_ISDIR (st.st_mode))
        {
          d->dir = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
          if (d->dir < 0)
            return mr_error_errno (err, errno, "open '%s'", path);
          return 0;
        }
      d->exists = true;
    }
  else if (errno != ENOENT)
    return mr_error_errno (err, errno, "'%s'", path);
  if (split_path (path, &dir, &d->name, err) < 0)
    return -1;
  d->parent = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (d->parent < 0)
    return mr_error_errno (err, errno, "'%s'", dir);
  return 0;
}

static int
container_destination (int rootfd, const char *path, struct destination *d, struct mr_error *err)
{
  cleanup_free char *cleaned = mr_path_join ("/", path);
  cleanup_free char *dir = NULL;
  struct mr_error e = { 0 };

  if (cleaned == NULL)
    return mr_error_errno (err, ENOMEM, "'%s'", d->display);
  d->must_be_dir = ends_with (path, "/") || names_contents (path);
  d->dir = mr_open_in_root (rootfd, cleaned, O_PATH | O_DIRECTORY, 0, &e);
  if (d->dir >= 0)
    return 0;
  if (e.errnum == ENOTDIR)
    d->exists = true;
  else if (e.errnum != ENOENT)
    return mr_error_errno (err, e.errnum, "'%s'", d->display);
  if (split_path (cleaned, &dir, &d->name, err) < 0)
    return -1;
  d->parent = mr_open_in_root (rootfd, dir, O_PATH | O_DIRECTORY, 0, &e);
  if (d->parent < 0)
    return mr_error_errno (err, e.errnum, "'%s'", d->display);
  return 0;
}

static int
set_top (struct copy *c, int fd, struct mr_error *err)
{
  struct stat st;

  if (fstat (fd, &st) < 0)
    return mr_error_errno (err, errno, "stat");
  c->top_set = true;
  c->top_dev = st.st_dev;
  c->top_ino = st.st_ino;
  return 0;
}

/* docker cp's rules: a source directory goes into an existing directory,
   or becomes the destination when that does not exist.  */
static int
run_copy (struct copy *c, const struct source *s, const struct destination *d, struct mr_error *err)
{
  bool src_dir = S_ISDIR (s->st.st_mode);
  mode_t type = s->st.st_mode & S_IFMT;
  int r = -1;

  if (type != S_IFDIR && type != S_IFREG && type != S_IFLNK)
    return mr_error_set (err, "'%s' is not a file, directory or symbolic link", s->display);
  if (s->contents && !src_dir)
    return mr_error_set (err, "'%s' is not a directory", s->display);
  if (d->dir >= 0)
    {
      if (src_dir && (s->contents || s->base == NULL))
        {
          if (set_top (c, d->dir, err) < 0)
            return -1;
          if (c->top_dev == s->st.st_dev && c->top_ino == s->st.st_ino)
            return mr_error_set (err, "cannot copy '%s' into itself", s->display);
          r = copy_children (c, s->fd, d->dir, s->display, d->display, 0, err);
        }
      else
        {
          cleanup_free char *dp = join_display (d->display, s->base);
          if (dp == NULL)
            return mr_error_errno (err, ENOMEM, "'%s'", d->display);
          r = copy_entry (c, s->fd, &s->st, d->dir, s->base, s->display, dp, 0, err);
        }
    }
  else if (d->must_be_dir)
    return mr_error_set (
        err, d->exists ? "'%s' is not a directory" : "directory '%s' does not exist", d->display);
  else if (d->exists && src_dir)
    return mr_error_set (err, "cannot copy directory '%s' onto '%s', which is not a directory",
                         s->display, d->display);
  else
    r = copy_entry (c, s->fd, &s->st, d->parent, d->name, s->display, d->display, 0, err);
  if (r == 0 && c->skipped > 0)
    mr_context_warn (c->ctx, "cp: skipped %zu special file%s (devices, fifos, sockets): '%s'%s",
                     c->skipped, c->skipped == 1 ? "" : "s",
                     c->first_skipped ? c->first_skipped : "?",
                     c->skipped > 1 ? " and others" : "");
  return r;
}

static void
get_cp_opts (const struct mr_cp_opts *in, struct mr_cp_opts *out)
{
  memset (out, 0, sizeof *out);
  if (in)
    memcpy (out, in, in->size < sizeof *out ? in->size : sizeof *out);
}

static int
container_root_ids (const struct copy *c, uid_t *uid, gid_t *gid, struct mr_error *err)
{
  uint32_t u, g;

  if (!id_to_host (&c->uids, 0, &u) || !id_to_host (&c->gids, 0, &g))
    return mr_error_set (err, "the container's root has no id on the host");
  *uid = u;
  *gid = g;
  return 0;
}

/* A managed container's root is its record's while it does not run.  */
static int
root_open (struct mr_context *ctx, const char *id, bool managed, bool lock,
           struct mr_container_root *r, struct mr_error *err)
{
  if (managed)
    return mr_managed_root_open (ctx, id, lock, r, err);
  return mr_oci_root_open (ctx, id, lock, r, err);
}

int
mr_files_copy_to (struct mr_context *ctx, const char *id, bool managed, const char *host_src,
                  const char *ctr_dst, const struct mr_cp_opts *opts, struct mr_error *err)
{
  struct mr_container_root r;
  struct copy c = { .ctx = ctx };
  struct source s = { .fd = -1, .display = host_src };
  struct destination d = { .dir = -1, .parent = -1 };
  cleanup_free char *dst_display = NULL;
  struct mr_cp_opts o;
  int ret = -1;

  get_cp_opts (opts, &o);
  if (root_open (ctx, id, managed, false, &r, err) < 0)
    return -1;
  if (mr_asprintf (err, &dst_display, "%s:%s", id, ctr_dst) < 0)
    goto out;
  d.display = dst_display;
  c.owner = o.archive ? OWNER_TO_HOST : OWNER_FIXED;
  c.keep_setid = o.archive;
  if (load_idmaps (&r, &c.uids, &c.gids, err) < 0
      || container_root_ids (&c, &c.fixed_uid, &c.fixed_gid, err) < 0
      || host_source (host_src, o.follow_link, &s, err) < 0
      || container_destination (r.fd, ctr_dst, &d, err) < 0)
    goto out;
  ret = run_copy (&c, &s, &d, err);
out:
  if (ret < 0)
    mr_error_prefix (err, "cp to container '%s'", id);
  source_clear (&s);
  destination_clear (&d);
  copy_clear (&c);
  mr_oci_root_close (&r);
  return ret;
}

int
mr_files_copy_from (struct mr_context *ctx, const char *id, bool managed, const char *ctr_src,
                    const char *host_dst, const struct mr_cp_opts *opts, struct mr_error *err)
{
  struct mr_container_root r;
  struct copy c = { .ctx = ctx };
  struct source s = { .fd = -1 };
  struct destination d = { .dir = -1, .parent = -1, .display = host_dst };
  cleanup_free char *src_display = NULL;
  struct mr_cp_opts o;
  int ret = -1;

  get_cp_opts (opts, &o);
  if (root_open (ctx, id, managed, false, &r, err) < 0)
    return -1;
  if (mr_asprintf (err, &src_display, "%s:%s", id, ctr_src) < 0)
    goto out;
  s.display = src_display;
  c.owner = o.archive ? OWNER_FROM_HOST : OWNER_CALLER;
  c.keep_setid = o.archive;
  if (load_idmaps (&r, &c.uids, &c.gids, err) < 0
      || container_source (r.fd, ctr_src, o.follow_link, &s, err) < 0
      || host_destination (host_dst, &d, err) < 0)
    goto out;
  ret = run_copy (&c, &s, &d, err);
out:
  if (ret < 0)
    mr_error_prefix (err, "cp from container '%s'", id);
  source_clear (&s);
  destination_clear (&d);
  copy_clear (&c);
  mr_oci_root_close (&r);
  return ret;
}

/* --- single files, in memory ---------------------------------------------- */

int
mr_files_open (struct mr_context *ctx, const char *id, bool managed, const char *path,
               size_t max, int *fd_out, uint64_t *size, mode_t *mode, struct mr_error *err)
{
  struct mr_container_root r;
  cleanup_free char *cleaned = NULL;
  cleanup_close int pfd = -1;
  cleanup_close int fd = -1;
  struct stat st;
  int ret = -1;

  *fd_out = -1;
  if (root_open (ctx, id, managed, false, &r, err) < 0)
    return -1;
  cleaned = mr_path_join ("/", path);
  if (cleaned == NULL)
    {
      mr_error_errno (err, ENOMEM, "'%s'", path);
      goto out;
    }
  /* O_PATH first: opening a fifo or a device to read it could block or act */
  pfd = mr_open_in_root (r.fd, cleaned, O_PATH, 0, err);
  if (pfd < 0)
    {
      mr_error_errno (err, err->errnum, "'%s'", path);
      goto out;
    }
  if (fstat (pfd, &st) < 0)
    {
      mr_error_errno (err, errno, "'%s'", path);
      goto out;
    }
  if (!S_ISREG (st.st_mode))
    {
      mr_error_errno (err, S_ISDIR (st.st_mode) ? EISDIR : EINVAL, "'%s' is not a regular file",
                      path);
      goto out;
    }
  if ((uint64_t)st.st_size > max)
    {
      mr_error_errno (err, EFBIG, "'%s' is larger than %zu bytes", path, max);
      goto out;
    }
  fd = reopen (pfd, O_RDONLY);
  if (fd < 0)
    {
      mr_error_errno (err, errno, "open '%s'", path);
      goto out;
    }
  *fd_out = steal_fd (&fd);
  if (size)
    *size = (uint64_t)st.st_size;
  if (mode)
    *mode = st.st_mode & 07777;
  ret = 0;
out:
  if (ret < 0)
    mr_error_prefix (err, "read file of container '%s'", id);
  mr_oci_root_close (&r);
  return ret;
}

int
mr_files_read (struct mr_context *ctx, const char *id, bool managed, const char *path,
               size_t max, char **data, size_t *len, mode_t *mode, struct mr_error *err)
{
  cleanup_free char *buf = NULL;
  cleanup_close int fd = -1;
  size_t got = 0;

  *data = NULL;
  *len = 0;
  if (mr_files_open (ctx, id, managed, path, max, &fd, NULL, mode, err) < 0)
    return -1;
  buf = malloc (max + 1);
  if (buf == NULL)
    {
      mr_error_errno (err, ENOMEM, "'%s'", path);
      return mr_error_prefix (err, "read file of container '%s'", id);
    }
  /* the file may grow while it is read: max bounds what is kept */
  for (;;)
    {
      ssize_t n = read (fd, buf + got, max + 1 - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          mr_error_errno (err, errno, "read '%s'", path);
          return mr_error_prefix (err, "read file of container '%s'", id);
        }
      if (n == 0)
        break;
      got += (size_t)n;
      if (got > max)
        {
          mr_error_errno (err, EFBIG, "'%s' is larger than %zu bytes", path, max);
          return mr_error_prefix (err, "read file of container '%s'", id);
        }
    }
  buf[got] = '\0';
  *data = steal_pointer (&buf);
  *len = got;
  return 0;
}

int
mr_files_write (struct mr_context *ctx, const char *id, bool managed, const char *path,
                const void *data, size_t len, mode_t mode, struct mr_error *err)
{
  struct mr_container_root r;
  struct copy c = { .ctx = ctx, .owner = OWNER_FIXED };
  struct destination d = { .dir = -1, .parent = -1, .display = path };
  cleanup_close int out = -1;
  char tmp[64];
  int ret = -1;

  if (root_open (ctx, id, managed, false, &r, err) < 0)
    return -1;
  if (load_idmaps (&r, &c.uids, &c.gids, err) < 0
      || container_root_ids (&c, &c.fixed_uid, &c.fixed_gid, err) < 0
      || container_destination (r.fd, path, &d, err) < 0)
    goto out;
  if (d.dir >= 0 || d.must_be_dir)
    {
      mr_error_errno (err, EISDIR, "'%s' names a directory, not a file", path);
      goto out;
    }
  out = create_temp (d.parent, tmp, sizeof tmp);
  if (out < 0)
    {
      mr_error_errno (err, errno, "create a file next to '%s'", path);
      goto out;
    }
  if (mr_write_all (out, data, len) < 0)
    mr_error_errno (err, errno, "write '%s'", path);
  /* before chmod: chown clears the set-id bits */
  else if (fchown (out, c.fixed_uid, c.fixed_gid) < 0)
    mr_error_errno (err, errno, "chown '%s'", path);
  else if (fchmod (out, mode & 0777) < 0)
    mr_error_errno (err, errno, "chmod '%s'", path);
  else
    {
      ret = rename_into_place (d.parent, tmp, d.name, path, err);
      goto out;
    }
  unlinkat (d.parent, tmp, 0);
out:
  if (ret < 0)
    mr_error_prefix (err, "write file of container '%s'", id);
  destination_clear (&d);
  copy_clear (&c);
  mr_oci_root_close (&r);
  return ret;
}

/* --- useradd ------------------------------------------------------------- */

/* One of /etc/passwd, /etc/group, /etc/shadow, /etc/gshadow.  */
struct db
{
  const char *name;
  bool exists;
  struct stat st;
  char *data;
  size_t len;
};

static int
db_read (int etc, struct db *f, struct mr_error *err)
{
  cleanup_close int fd = openat (etc, f->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  cleanup_close int in = -1;
  size_t cap = 0;

  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0 || fstat (fd, &f->st) < 0)
    return mr_error_errno (err, errno, "open '/etc/%s'", f->name);
  if (!S_ISREG (f->st.st_mode))
    return mr_error_set (err, "'/etc/%s' is not a regular file", f->name);
  in = reopen (fd, O_RDONLY);
  if (in < 0)
    return mr_error_errno (err, errno, "open '/etc/%s'", f->name);
  f->exists = true;
  for (;;)
    {
      ssize_t n;

      if (cap - f->len < 4096)
        {
          char *p;
          if (cap >= MAX_DB_SIZE)
            return mr_error_set (err, "'/etc/%s' is larger than %d bytes", f->name, MAX_DB_SIZE);
          cap = cap ? cap * 2 : 8192;
          p = realloc (f->data, cap + 1);
          if (p == NULL)
            return mr_error_errno (err, ENOMEM, "read '/etc/%s'", f->name);
          f->data = p;
        }
      n = read (in, f->data + f->len, cap - f->len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return mr_error_errno (err, errno, "read '/etc/%s'", f->name);
      if (n == 0)
        break;
      f->len += (size_t)n;
    }
  f->data[f->len] = '\0';
  return 0;
}

/* Writes the old content and line as a new file renamed over the old one,
   with its mode and owner (new files: mode, root_uid:root_gid).  */
static int
db_append (int etc, const struct db *f, const char *line, mode_t mode, uid_t root_uid,
           gid_t root_gid, struct mr_error *err)
{
  cleanup_close int out = -1;
  char tmp[64];
  bool newline = f->len > 0 && f->data[f->len - 1] != '\n';

  out = create_temp (etc, tmp, sizeof tmp);
  if (out < 0)
    return mr_error_errno (err, errno, "create a file in '/etc'");
  if ((f->len && mr_write_all (out, f->data, f->len) < 0)
      || (newline && mr_write_all (out, "\n", 1) < 0)
      || mr_write_all (out, line, strlen (line)) < 0)
    {
      mr_error_errno (err, errno, "write '/etc/%s'", f->name);
      goto fail;
    }
  if (fchown (out, f->exists ? f->st.st_uid : root_uid, f->exists ? f->st.st_gid : root_gid) < 0
      || fchmod (out, f->exists ? f->st.st_mode & 07777 : mode) < 0)
    {
      mr_error_errno (err, errno, "set the owner and mode of '/etc/%s'", f->name);
      goto fail;
    }
  if (fsync (out) < 0)
    {
      mr_error_errno (err, errno, "write '/etc/%s'", f->name);
      goto fail;
    }
  if (renameat (etc, tmp, etc, f->name) < 0)
    {
      mr_error_errno (err, errno, "replace '/etc/%s'", f->name);
      goto fail;
    }
  return 0;
fail:
  unlinkat (etc, tmp, 0);
  return -1;
}

/* Calls fn for each entry of a colon-separated file: its first field and
   the number in its third (uid or gid; false when not a number).  Stops
   when fn returns true, and returns that.  */
static bool
db_find (const struct db *f,
         bool (*fn) (const char *name, size_t nlen, bool has_id, uint32_t id, void *data),
         void *data)
{
  const char *p = f->data, *end = f->data + f->len;

  if (!f->exists)
    return false;
  while (p < end)
    {
      const char *eol = memchr (p, '\n', (size_t)(end - p));
      const char *c1, *c2, *c3;
      bool has_id = false;
      uint32_t id = 0;

      if (eol == NULL)
        eol = end;
      c1 = memchr (p, ':', (size_t)(eol - p));
      c2 = c1 ? memchr (c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
      c3 = c2 ? memchr (c2 + 1, ':', (size_t)(eol - c2 - 1)) : NULL;
      if (c2)
        {
          const char *q = c2 + 1, *qe = c3 ? c3 : eol;
          uint64_t v = 0;
          has_id = q < qe;
          for (; q < qe && has_id; q++)
            {
              has_id = *q >= '0' && *q <= '9' && v <= UINT32_MAX;
              v = v * 10 + (uint64_t)(*q - '0');
            }
          has_id = has_id && v <= UINT32_MAX;
          id = (uint32_t)v;
        }
      if (c1 && fn (p, (size_t)(c1 - p), has_id, id, data))
        return true;
      p = eol + 1;
    }
  return false;
}

struct lookup
{
  const char *name; /* match this name, or */
  bool by_id;       /* this id */
  uint32_t id;
  /* the entry found */
  char found[64];
  bool has_id;
  uint32_t found_id;
};

static bool
lookup_match (const char *name, size_t nlen, bool has_id, uint32_t id, void *data)
{
  struct lookup *l = data;

  if (l->by_id ? !(has_id && id == l->id)
               : !(strlen (l->name) == nlen && memcmp (name, l->name, nlen) == 0))
    return false;
  snprintf (l->found, sizeof l->found, "%.*s", (int)(nlen < 63 ? nlen : 63), name);
  l->has_id = has_id;
  l->found_id = id;
  return true;
}

static bool
db_has_name (const struct db *f, const char *name, struct lookup *l)
{
  memset (l, 0, sizeof *l);
  l->name = name;
  return db_find (f, lookup_match, l);
}

static bool
db_has_id (const struct db *f, uint32_t id, struct lookup *l)
{
  memset (l, 0, sizeof *l);
  l->by_id = true;
  l->id = id;
  return db_find (f, lookup_match, l);
}

struct id_set
{
  uint32_t *ids;
  size_t n;
  bool failed;
};

static bool
collect_id (const char *name, size_t nlen, bool has_id, uint32_t id, void *data)
{
  struct id_set *s = data;
  uint32_t *n;

  if (!has_id || id < FIRST_USER_ID || id > LAST_USER_ID)
    return false;
  n = realloc (s->ids, (s->n + 1) * sizeof *n);
  if (n == NULL)
    {
      s->failed = true;
      return true;
    }
  s->ids = n;
  s->ids[s->n++] = id;
  return false;
}

static int
cmp_u32 (const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static bool
id_set_has (const struct id_set *s, uint32_t id)
{
  return s->n && bsearch (&id, s->ids, s->n, sizeof id, cmp_u32) != NULL;
}

/* The lowest id from FIRST_USER_ID on that neither passwd nor (when the
   group is made with it) group uses.  */
static int
next_free_id (const struct db *passwd, const struct db *group, bool need_gid, uint32_t *out,
              struct mr_error *err)
{
  struct id_set users = { 0 }, groups = { 0 };
  int r = -1;

  db_find (passwd, collect_id, &users);
  if (need_gid)
    db_find (group, collect_id, &groups);
  if (users.failed || groups.failed)
    {
      mr_error_errno (err, ENOMEM, "uids");
      goto out;
    }
  if (users.n)
    qsort (users.ids, users.n, sizeof *users.ids, cmp_u32);
  if (groups.n)
    qsort (groups.ids, groups.n, sizeof *groups.ids, cmp_u32);
  for (uint32_t id = FIRST_USER_ID; id <= LAST_USER_ID; id++)
    if (!id_set_has (&users, id) && !id_set_has (&groups, id))
      {
        *out = id;
        r = 0;
        goto out;
      }
  mr_error_set (err, "no free uid between %d and %d", FIRST_USER_ID, LAST_USER_ID);
out:
  free (users.ids);
  free (groups.ids);
  return r;
}

static int
validate_user_name (const char *name, struct mr_error *err)
{
  size_t len = name ? strlen (name) : 0;

  if (len == 0)
    return mr_error_set (err, "no user name given");
  if (name[len - 1] == '$')
    len--;
  if (len == 0 || len > 32 || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
    goto bad;
  for (size_t i = 1; i < len; i++)
    if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '_'
          || name[i] == '-'))
      goto bad;
  return 0;
bad:
  return mr_error_set (err,
                       "invalid user name '%s': expected [a-z_][a-z0-9_-]{0,31}, optionally "
                       "ending in '$'",
                       name);
}

/* A field of a passwd line: an absolute path without what would break the
   line apart.  */
static int
validate_field (const char *what, const char *value, struct mr_error *err)
{
  if (value[0] != '/')
    return mr_error_set (err, "invalid %s '%s': expected an absolute path", what, value);
  for (const char *p = value; *p; p++)
    if (*p == ':' || (unsigned char)*p < 0x20 || *p == 0x7f)
      return mr_error_set (err, "invalid %s '%s': it may not hold ':' or control characters", what,
                           value);
  return 0;
}

/* Every missing directory above path, made as the container's root would
   make them; returns an O_PATH fd of the last.  */
static int
make_parents (int rootfd, const char *path, uid_t root_uid, gid_t root_gid, struct mr_error *err)
{
  cleanup_free char *prefix = strdup (path);
  int fd = -1;

  if (prefix == NULL)
    return mr_error_errno (err, ENOMEM, "'%s'", path);
  for (char *p = prefix + 1;; p++)
    {
      struct mr_error e = { 0 };
      char saved = *p;

      if (*p != '/' && *p != '\0')
        continue;
      *p = '\0';
      if (fd >= 0)
        close (fd);
      fd = mr_open_in_root (rootfd, prefix, O_PATH | O_DIRECTORY, 0, &e);
      if (fd < 0 && e.errnum == ENOENT)
        {
          fd = mr_mkdir_in_root (rootfd, prefix, 0755, err);
          if (fd < 0)
            return -1;
          if (fchownat (fd, "", root_uid, root_gid, AT_EMPTY_PATH) < 0)
            {
              mr_error_errno (err, errno, "chown '%s'", prefix);
              close (fd);
              return -1;
            }
        }
      else if (fd < 0)
        {
          *err = e;
          return -1;
        }
      if (saved == '\0')
        return fd;
      *p = saved;
    }
}

static int
make_home (struct mr_context *ctx, int rootfd, const char *home, uid_t uid, gid_t gid,
           struct copy *c, struct mr_error *err)
{
  cleanup_free char *cleaned = mr_path_join ("/", home);
  cleanup_free char *dir = NULL;
  cleanup_free char *name = NULL;
  cleanup_close int parent = -1;
  cleanup_close int hfd = -1;
  cleanup_close int skel = -1;
  struct mr_error e = { 0 };

  if (cleaned == NULL)
    return mr_error_errno (err, ENOMEM, "'%s'", home);
  if (split_path (cleaned, &dir, &name, err) < 0)
    return -1;
  if (strcmp (name, ".") == 0)
    return 0; /* "/": there already */
  if (strcmp (dir, "/") == 0)
    parent = mr_open_in_root (rootfd, "/", O_PATH | O_DIRECTORY, 0, err);
  else
    parent = make_parents (rootfd, dir, c->fixed_uid, c->fixed_gid, err);
  if (parent < 0)
    return -1;
  if (mkdirat (parent, name, 0700) < 0)
    {
      if (errno == EEXIST)
        {
          mr_context_warn (ctx, "useradd: home directory '%s' already exists: left as it is",
                           cleaned);
          return 0;
        }
      return mr_error_errno (err, errno, "create '%s'", cleaned);
    }
  hfd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (hfd < 0)
    return mr_error_errno (err, errno, "open '%s'", cleaned);
  if (fchown (hfd, uid, gid) < 0 || fchmod (hfd, 0700) < 0)
    return mr_error_errno (err, errno, "set the owner and mode of '%s'", cleaned);
  /* what every new user starts with, the user's own */
  skel = mr_open_in_root (rootfd, "/etc/skel", O_PATH | O_DIRECTORY, 0, &e);
  if (skel < 0)
    return 0;
  c->owner = OWNER_FIXED;
  c->fixed_uid = uid;
  c->fixed_gid = gid;
  if (set_top (c, hfd, err) < 0)
    return -1;
  return copy_children (c, skel, hfd, "/etc/skel", cleaned, 0, err);
}

static void
db_clear (struct db *f)
{
  free (f->data);
  f->data = NULL;
}

struct useradd
{
  struct mr_useradd_opts o;
  struct db passwd, group, shadow, gshadow;
  bool new_group;
  uint32_t uid, gid;
};

/* The ids, and whether a new group comes with the user; refuses what
   exists already.  */
/* A name or id in use: errnum EEXIST, without strerror's words.  */
static int taken (struct mr_error *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static int
taken (struct mr_error *err, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (err->msg, sizeof err->msg, fmt, ap);
  va_end (ap);
  err->errnum = EEXIST;
  return -1;
}

static int
useradd_choose_ids (struct useradd *u, struct mr_error *err)
{
  const char *name = u->o.name;
  struct lookup l;

  if (db_has_name (&u->passwd, name, &l) || db_has_name (&u->shadow, name, &l))
    return taken (err, "user '%s' already exists", name);
  if (u->o.uid_set && u->o.uid == (uid_t)-1)
    return mr_error_set (err, "invalid uid %u", (unsigned)u->o.uid);
  if (u->o.gid_set && u->o.gid == (gid_t)-1)
    return mr_error_set (err, "invalid gid %u", (unsigned)u->o.gid);
  if (u->o.uid_set && db_has_id (&u->passwd, u->o.uid, &l))
    return taken (err, "uid %u is already used by user '%s'", (unsigned)u->o.uid, l.found);
  if (db_has_name (&u->group, name, &l))
    {
      /* the user's own group may exist already: then --gid names it */
      if (!u->o.gid_set || !l.has_id || l.found_id != u->o.gid)
        return taken (err, "group '%s' already exists (give its gid with --gid to use it)", name);
    }
  if (u->o.uid_set)
    u->uid = u->o.uid;
  else if (next_free_id (&u->passwd, &u->group, !u->o.gid_set, &u->uid, err) < 0)
    return -1;
  u->gid = u->o.gid_set ? u->o.gid : u->uid;
  if (db_has_id (&u->group, u->gid, &l))
    {
      /* an existing group given with --gid is the user's primary group */
      if (!u->o.gid_set)
        return mr_error_set (err, "gid %u is already used by group '%s' (give --gid)",
                             (unsigned)u->gid, l.found);
      u->new_group = false;
    }
  else
    u->new_group = true;
  return 0;
}

static int
useradd_write (struct useradd *u, int etc, uid_t root_uid, gid_t root_gid, struct mr_error *err)
{
  cleanup_free char *pw = NULL;
  cleanup_free char *gr = NULL;
  cleanup_free char *sp = NULL;
  cleanup_free char *gs = NULL;
  const char *name = u->o.name;
  struct lookup l;

  if (mr_asprintf (err, &pw, "%s:x:%" PRIu32 ":%" PRIu32 "::%s:%s\n", name, u->uid, u->gid,
                   u->o.home, u->o.shell)
          < 0
      || mr_asprintf (err, &gr, "%s:x:%" PRIu32 ":\n", name, u->gid) < 0
      || mr_asprintf (err, &sp, "%s:!:%ld:0:99999:7:::\n", name, (long)(time (NULL) / 86400)) < 0
      || mr_asprintf (err, &gs, "%s:!::\n", name) < 0)
    return -1;
  /* groups first: a user never names a group that is not there */
  if (u->new_group)
    {
      if (db_append (etc, &u->group, gr, 0644, root_uid, root_gid, err) < 0)
        return -1;
      if (u->gshadow.exists && !db_has_name (&u->gshadow, name, &l)
          && db_append (etc, &u->gshadow, gs, 0640, root_uid, root_gid, err) < 0)
        return -1;
    }
  if (db_append (etc, &u->passwd, pw, 0644, root_uid, root_gid, err) < 0)
    return -1;
  if (u->shadow.exists && db_append (etc, &u->shadow, sp, 0640, root_uid, root_gid, err) < 0)
    return -1;
  return 0;
}

int
mr_files_useradd (struct mr_context *ctx, const char *id, bool managed,
                  const struct mr_useradd_opts *opts, struct mr_error *err)
{
  struct useradd u = {
    .passwd = { .name = "passwd" },
    .group = { .name = "group" },
    .shadow = { .name = "shadow" },
    .gshadow = { .name = "gshadow" },
  };
  struct mr_container_root r = { .fd = -1, .procfd = -1, .lockfd = -1 };
  struct copy c = { .ctx = ctx };
  cleanup_free char *home = NULL;
  cleanup_close int etc = -1;
  uint32_t host_uid = 0, host_gid = 0;
  int ret = -1;

  if (opts)
    memcpy (&u.o, opts, opts->size < sizeof u.o ? opts->size : sizeof u.o);
  if (validate_user_name (u.o.name, err) < 0)
    goto out;
  if (u.o.home == NULL)
    {
      if (mr_asprintf (err, &home, "/home/%s", u.o.name) < 0)
        goto out;
      u.o.home = home;
    }
  if (u.o.shell == NULL)
    u.o.shell = "/bin/sh";
  if (validate_field ("home directory", u.o.home, err) < 0
      || validate_field ("shell", u.o.shell, err) < 0)
    goto out;
  if (root_open (ctx, id, managed, true, &r, err) < 0)
    goto out;
  if (load_idmaps (&r, &c.uids, &c.gids, err) < 0
      || container_root_ids (&c, &c.fixed_uid, &c.fixed_gid, err) < 0)
    goto out;
  etc = mr_open_in_root (r.fd, "/etc", O_PATH | O_DIRECTORY, 0, err);
  if (etc < 0)
    goto out;
  if (db_read (etc, &u.passwd, err) < 0 || db_read (etc, &u.group, err) < 0
      || db_read (etc, &u.shadow, err) < 0 || db_read (etc, &u.gshadow, err) < 0)
    goto out;
  if (useradd_choose_ids (&u, err) < 0)
    goto out;
  /* checked before any file changes: the home directory needs host ids */
  if (!u.o.no_create_home
      && (!id_to_host (&c.uids, u.uid, &host_uid) || !id_to_host (&c.gids, u.gid, &host_gid)))
    {
      mr_error_set (err,
                    "uid %" PRIu32 " or gid %" PRIu32 " has no id on the host (outside the "
                    "container's user namespace mappings)",
                    u.uid, u.gid);
      goto out;
    }
  if (useradd_write (&u, etc, c.fixed_uid, c.fixed_gid, err) < 0)
    goto out;
  if (!u.o.no_create_home && make_home (ctx, r.fd, u.o.home, host_uid, host_gid, &c, err) < 0)
    {
      mr_error_prefix (err, "user added, but its home directory");
      goto out;
    }
  ret = 0;
out:
  if (ret < 0)
    mr_error_prefix (err, "useradd '%s' in container '%s'", u.o.name ? u.o.name : "", id);
  db_clear (&u.passwd);
  db_clear (&u.group);
  db_clear (&u.shadow);
  db_clear (&u.gshadow);
  copy_clear (&c);
  mr_oci_root_close (&r);
  return ret;
}
