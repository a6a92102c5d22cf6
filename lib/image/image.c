#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "context.h"
#include "image/image-internal.h"
#include "managed/managed.h"
#include "oci/state.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/tar.h"

/* The store, under <data_dir>/images:
 *
 *   refs.json           {"references": {"bb:latest": ID, ...}}: the only
 *                       place a reference lives, replaced atomically
 *   ID/image.json       Id, Created, Size, Source, Config
 *   ID/rootfs/          the root file system
 *   .tmp-ID/            an image being built or removed, flock'ed by the
 *                       process at work on it
 *   .lock               flock'ed around every change
 *
 * An add builds under .tmp-ID, renames it to ID and then points the
 * reference at it in refs.json: a reader sees the old image or the new one,
 * and a crash leaves only directories that no reference names, which the
 * next change removes.  */

#define ID_LEN 64
#define REFS_FILE "refs.json"
#define LOCK_FILE ".lock"
#define TMP_PREFIX ".tmp-"
#define NAME_TOTAL_MAX 255
#define TAG_MAX 128

/* --- references ----------------------------------------------------------- */

static bool
lower_alnum (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
alnum (char c)
{
  return lower_alnum (c) || (c >= 'A' && c <= 'Z');
}

static int
bad_char (const char *ref, char c, const char *where, const char *allowed, struct mr_error *err)
{
  if (c > 0x20 && c < 0x7f)
    return mr_error_set (err,
                         "invalid reference '%s': invalid character '%c' in the %s (allowed: %s)",
                         ref, c, where, allowed);
  return mr_error_set (err,
                       "invalid reference '%s': invalid character 0x%02x in the %s (allowed: %s)",
                       ref, (unsigned char)c, where, allowed);
}

/* [a-z0-9]+ joined by ".", "_", "__" or a run of "-".  */
static int
check_path_component (const char *ref, const char *c, size_t len, struct mr_error *err)
{
  size_t i = 0;

  if (len == 0)
    return mr_error_set (err,
                         "invalid reference '%s': empty path component (components are "
                         "separated by a single '/')",
                         ref);
  for (i = 0; i < len; i++)
    if (c[i] >= 'A' && c[i] <= 'Z')
      return mr_error_set (err, "invalid reference '%s': repository name must be lowercase", ref);
  for (i = 0; i < len; i++)
    if (!lower_alnum (c[i]) && c[i] != '.' && c[i] != '_' && c[i] != '-')
      return bad_char (ref, c[i], "repository name", "a-z, 0-9, '.', '_', '-' and '/'", err);
  if (!lower_alnum (c[0]) || !lower_alnum (c[len - 1]))
    return mr_error_set (err,
                         "invalid reference '%s': path component '%.*s' must start and end with "
                         "a lowercase letter or digit",
                         ref, (int)len, c);
  i = 0;
  while (i < len)
    {
      size_t j = i;
      bool dashes = true;

      if (lower_alnum (c[i]))
        {
          i++;
          continue;
        }
      while (j < len && !lower_alnum (c[j]))
        {
          if (c[j] != '-')
            dashes = false;
          j++;
        }
      if (!dashes && !(j - i == 1) && !(j - i == 2 && c[i] == '_' && c[i + 1] == '_'))
        return mr_error_set (err,
                             "invalid reference '%s': separator '%.*s' in path component '%.*s' "
                             "(letters and digits are separated by one '.', one or two '_', or "
                             "'-'s)",
                             ref, (int)(j - i), c + i, (int)len, c);
      i = j;
    }
  return 0;
}

/* host[:port], host being DNS-like components or a bracketed IPv6
   address.  */
static int
check_domain (const char *ref, const char *d, size_t len, struct mr_error *err)
{
  const char *end = d + len, *host = d, *host_end, *port = NULL;

  if (d[0] == '[')
    {
      const char *close = memchr (d, ']', len);

      if (close == NULL || close == d + 1)
        return mr_error_set (err, "invalid reference '%s': malformed IPv6 address in domain '%.*s'",
                             ref, (int)len, d);
      for (const char *p = d + 1; p < close; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')
              || *p == ':' || *p == '.'))
          return mr_error_set (err,
                               "invalid reference '%s': malformed IPv6 address in domain '%.*s'",
                               ref, (int)len, d);
      host_end = close + 1;
      if (host_end < end && *host_end != ':')
        return mr_error_set (err, "invalid reference '%s': malformed domain '%.*s'", ref, (int)len,
                             d);
    }
  else
    {
      const char *p;

      host_end = memchr (d, ':', len);
      if (host_end == NULL)
        host_end = end;
      p = host;
      while (p <= host_end)
        {
          const char *dot = memchr (p, '.', (size_t)(host_end - p));
          const char *ce = dot ? dot : host_end;

          if (ce == p)
            return mr_error_set (err, "invalid reference '%s': empty component in domain '%.*s'",
                                 ref, (int)(host_end - host), host);
          for (const char *q = p; q < ce; q++)
            if (!alnum (*q) && *q != '-')
              return bad_char (ref, *q, "domain", "letters, digits, '-' and '.'", err);
          if (*p == '-' || ce[-1] == '-')
            return mr_error_set (err,
                                 "invalid reference '%s': domain component '%.*s' must start and "
                                 "end with a letter or digit",
                                 ref, (int)(ce - p), p);
          p = ce + 1;
        }
    }
  if (host_end < end)
    {
      port = host_end + 1;
      if (port == end)
        return mr_error_set (err, "invalid reference '%s': empty port in domain '%.*s'", ref,
                             (int)len, d);
      for (const char *p = port; p < end; p++)
        if (*p < '0' || *p > '9')
          return mr_error_set (err, "invalid reference '%s': port '%.*s' must be a number", ref,
                               (int)(end - port), port);
    }
  return 0;
}

static int
check_tag (const char *ref, const char *tag, struct mr_error *err)
{
  size_t len = strlen (tag);

  if (len == 0)
    return mr_error_set (err, "invalid reference '%s': empty tag after ':'", ref);
  if (len > TAG_MAX)
    return mr_error_set (err, "invalid reference '%s': tag longer than %d characters", ref,
                         TAG_MAX);
  if (tag[0] == '.' || tag[0] == '-')
    return mr_error_set (err, "invalid reference '%s': tag '%s' must not start with '%c'", ref, tag,
                         tag[0]);
  for (size_t i = 0; i < len; i++)
    if (!alnum (tag[i]) && tag[i] != '_' && tag[i] != '.' && tag[i] != '-')
      return bad_char (ref, tag[i], "tag", "A-Z, a-z, 0-9, '_', '.' and '-'", err);
  return 0;
}

/* Docker's rule: the first of several components is a domain when it has
   a '.' or a ':', is "localhost", or has uppercase letters.  */
static bool
is_domain (const char *c, size_t len)
{
  if (len == 9 && memcmp (c, "localhost", 9) == 0)
    return true;
  for (size_t i = 0; i < len; i++)
    if (c[i] == '.' || c[i] == ':' || c[i] == '[' || (c[i] >= 'A' && c[i] <= 'Z'))
      return true;
  return false;
}

int
mr_image_ref_parse (const char *ref, char **name_out, char **tag_out, struct mr_error *err)
{
  const char *slash, *colon, *p, *end;
  cleanup_free char *name = NULL;
  cleanup_free char *tag = NULL;
  size_t name_len;

  if (ref == NULL || *ref == '\0')
    return mr_error_set (err, "invalid reference '': the name is empty");
  if (strchr (ref, '@'))
    return mr_error_set (err,
                         "invalid reference '%s': digests ('@sha256:...') are not supported, "
                         "use NAME[:TAG]",
                         ref);
  slash = strrchr (ref, '/');
  colon = strrchr (ref, ':');
  if (colon && (slash == NULL || colon > slash))
    {
      name_len = (size_t)(colon - ref);
      tag = strdup (colon + 1);
    }
  else
    {
      name_len = strlen (ref);
      tag = strdup ("latest");
    }
  if (tag == NULL)
    return mr_error_errno (err, ENOMEM, "reference '%s'", ref);
  if (name_len == 0)
    return mr_error_set (err, "invalid reference '%s': the name is empty", ref);
  if (name_len > NAME_TOTAL_MAX)
    return mr_error_set (err, "invalid reference '%.64s...': name longer than %d characters", ref,
                         NAME_TOTAL_MAX);
  if (check_tag (ref, tag, err) < 0)
    return -1;

  p = ref;
  end = ref + name_len;
  slash = memchr (p, '/', name_len);
  if (slash && is_domain (p, (size_t)(slash - p)))
    {
      if (check_domain (ref, p, (size_t)(slash - p), err) < 0)
        return -1;
      p = slash + 1;
    }
  for (;;)
    {
      const char *s = memchr (p, '/', (size_t)(end - p));
      const char *ce = s ? s : end;

      if (check_path_component (ref, p, (size_t)(ce - p), err) < 0)
        return -1;
      if (s == NULL)
        break;
      p = s + 1;
    }
  name = strndup (ref, name_len);
  if (name == NULL)
    return mr_error_errno (err, ENOMEM, "reference '%s'", ref);
  if (name_out)
    *name_out = steal_pointer (&name);
  if (tag_out)
    *tag_out = steal_pointer (&tag);
  return 0;
}

/* NAME:TAG, the form a reference is stored under.  */
static int
canonical_ref (const char *ref, char **out, struct mr_error *err)
{
  cleanup_free char *name = NULL;
  cleanup_free char *tag = NULL;

  if (mr_image_ref_parse (ref, &name, &tag, err) < 0)
    return -1;
  return mr_asprintf (err, out, "%s:%s", name, tag);
}

static bool
id_valid (const char *id)
{
  size_t i;

  for (i = 0; id[i]; i++)
    if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
      return false;
  return i == ID_LEN;
}

/* --- inode map ------------------------------------------------------------ */

/* (device, inode) -> where the first name of a multiply linked file went,
   relative to the destination root: hard links stay hard links in a copy,
   and a file is counted once in a size.  */
struct inode_slot
{
  dev_t dev;
  ino_t ino;
  char *path;
  bool used;
};

struct inode_map
{
  struct inode_slot *slots;
  size_t n, cap;
};

static size_t
inode_hash (dev_t dev, ino_t ino, size_t cap)
{
  uint64_t h = ((uint64_t)dev * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)ino * 0xc2b2ae3d27d4eb4fULL);

  h ^= h >> 31;
  return (size_t)h & (cap - 1);
}

static struct inode_slot *
inode_map_find (struct inode_map *m, dev_t dev, ino_t ino)
{
  if (m->cap == 0)
    return NULL;
  for (size_t i = inode_hash (dev, ino, m->cap);; i = (i + 1) & (m->cap - 1))
    {
      struct inode_slot *s = &m->slots[i];

      if (!s->used)
        return NULL;
      if (s->dev == dev && s->ino == ino)
        return s;
    }
}

static int
inode_map_put (struct inode_map *m, dev_t dev, ino_t ino, const char *path)
{
  struct inode_slot *s;
  size_t i;

  if ((m->n + 1) * 2 > m->cap)
    {
      size_t ncap = m->cap ? m->cap * 2 : 256;
      struct inode_slot *n = calloc (ncap, sizeof *n);

      if (n == NULL)
        return -1;
      for (size_t k = 0; k < m->cap; k++)
        if (m->slots[k].used)
          {
            for (i = inode_hash (m->slots[k].dev, m->slots[k].ino, ncap); n[i].used;
                 i = (i + 1) & (ncap - 1))
              ;
            n[i] = m->slots[k];
          }
      free (m->slots);
      m->slots = n;
      m->cap = ncap;
    }
  for (i = inode_hash (dev, ino, m->cap); m->slots[i].used; i = (i + 1) & (m->cap - 1))
    ;
  s = &m->slots[i];
  s->path = path ? strdup (path) : NULL;
  if (path && s->path == NULL)
    return -1;
  s->dev = dev;
  s->ino = ino;
  s->used = true;
  m->n++;
  return 0;
}

static void
inode_map_free (struct inode_map *m)
{
  for (size_t i = 0; i < m->cap; i++)
    free (m->slots[i].path);
  free (m->slots);
  memset (m, 0, sizeof *m);
}

/* --- trees ---------------------------------------------------------------- */

static int
open_dir_at (int dirfd, const char *name)
{
  return openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* readdir over a directory fd, leaving the fd itself to the caller.  */
static DIR *
dir_stream (int fd)
{
  int dup = openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d;

  if (dup < 0)
    return NULL;
  d = fdopendir (dup);
  if (d == NULL)
    close (dup);
  return d;
}

static bool
is_dot (const char *name)
{
  return strcmp (name, ".") == 0 || strcmp (name, "..") == 0;
}

static bool
is_mount_root (int dirfd, const char *name, const struct stat *parent)
{
  struct stat st;

#ifdef STATX_ATTR_MOUNT_ROOT
  struct statx stx;

  if (statx (dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) == 0
      && (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
      && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
    return true;
#endif
  return fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev != parent->st_dev;
}

static int
empty_dir (int fd, const char *what, struct mr_error *err)
{
  for (int pass = 0; pass < 2; pass++)
    {
      cleanup_closedir DIR *d = dir_stream (fd);
      struct dirent *de;
      bool any = false;

      if (d == NULL)
        return mr_error_errno (err, errno, "remove '%s': open", what);
      for (;;)
        {
          errno = 0;
          de = readdir (d);
          if (de == NULL)
            break;
          if (is_dot (de->d_name))
            continue;
          any = true;
          if (mr_remove_tree_at (fd, de->d_name, what, err) < 0)
            return -1;
        }
      if (errno)
        return mr_error_errno (err, errno, "remove '%s': read directory", what);
      if (!any)
        break;
    }
  return 0;
}

/* Removes name and everything below it, never following a symlink and
   never into a mount point: what is mounted there is not ours.  */
int
mr_remove_tree_at (int dirfd, const char *name, const char *what, struct mr_error *err)
{
  cleanup_close int fd = -1;
  struct stat parent, st;

  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : mr_error_errno (err, errno, "remove '%s'", what);
  if (!S_ISDIR (st.st_mode))
    {
      if (unlinkat (dirfd, name, 0) < 0 && errno != ENOENT)
        return mr_error_errno (err, errno, "remove '%s': unlink '%s'", what, name);
      return 0;
    }
  if (fstat (dirfd, &parent) < 0)
    return mr_error_errno (err, errno, "remove '%s'", what);
  if (is_mount_root (dirfd, name, &parent))
    return mr_error_set (err, "remove '%s': '%s' is a mount point", what, name);
  fd = open_dir_at (dirfd, name);
  if (fd < 0 && errno == EACCES && fchmodat (dirfd, name, 0700, 0) == 0)
    fd = open_dir_at (dirfd, name);
  if (fd < 0)
    return errno == ENOENT ? 0 : mr_error_errno (err, errno, "remove '%s': open '%s'", what, name);
  /* Without root, a directory needs our write permission to be emptied.  */
  if ((st.st_mode & S_IRWXU) != S_IRWXU)
    (void)fchmod (fd, st.st_mode | S_IRWXU);
  if (empty_dir (fd, what, err) < 0)
    return -1;
  if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return mr_error_errno (err, errno, "remove '%s': rmdir '%s'", what, name);
  return 0;
}

/* Bytes of file content below dirfd: regular files (each inode once) and
   symlinks.  */
static int
tree_size (int dirfd, struct inode_map *seen, uint64_t *size, struct mr_error *err)
{
  cleanup_closedir DIR *d = dir_stream (dirfd);
  struct dirent *de;

  if (d == NULL)
    return mr_error_errno (err, errno, "measure image");
  for (;;)
    {
      struct stat st;

      errno = 0;
      de = readdir (d);
      if (de == NULL)
        break;
      if (is_dot (de->d_name))
        continue;
      if (fstatat (dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return mr_error_errno (err, errno, "measure image: stat '%s'", de->d_name);
      if (S_ISDIR (st.st_mode))
        {
          cleanup_close int fd = open_dir_at (dirfd, de->d_name);

          if (fd < 0)
            return mr_error_errno (err, errno, "measure image: open '%s'", de->d_name);
          if (tree_size (fd, seen, size, err) < 0)
            return -1;
        }
      else if (S_ISREG (st.st_mode))
        {
          if (st.st_nlink > 1)
            {
              if (inode_map_find (seen, st.st_dev, st.st_ino))
                continue;
              if (inode_map_put (seen, st.st_dev, st.st_ino, NULL) < 0)
                return mr_error_errno (err, ENOMEM, "measure image");
            }
          *size += (uint64_t)st.st_size;
        }
      else if (S_ISLNK (st.st_mode))
        *size += (uint64_t)st.st_size;
    }
  if (errno)
    return mr_error_errno (err, errno, "measure image: read directory");
  return 0;
}

/* --- copying a directory -------------------------------------------------- */

struct copier
{
  int dstroot;
  bool link;       /* hard-link regular files: same file system as the store */
  bool root;       /* owners and device nodes */
  dev_t dev;       /* the source's file system; mount points are not crossed */
  dev_t store_dev; /* the store itself, when it lies inside the source */
  ino_t store_ino;
  struct inode_map inodes;
};

static void
copy_xattrs (int src, int dst)
{
  char list[4096], value[4096];
  ssize_t len = flistxattr (src, list, sizeof list);

  /* Best effort: the destination may not take them, nor our privileges.  */
  for (ssize_t off = 0; len > 0 && off < len; off += (ssize_t)strlen (list + off) + 1)
    {
      ssize_t v;

      if (!mr_tar_xattr_allowed (list + off))
        continue;
      v = fgetxattr (src, list + off, value, sizeof value);
      if (v >= 0)
        (void)fsetxattr (dst, list + off, value, (size_t)v, 0);
    }
}

static int
set_attrs_fd (const struct copier *c, int fd, const struct stat *st)
{
  struct timespec ts[2] = { st->st_atim, st->st_mtim };

  /* EINVAL: an id our user namespace does not map.  */
  if (c->root && fchown (fd, st->st_uid, st->st_gid) < 0 && errno != EINVAL)
    return -1;
  /* After chown, which clears the set-id bits.  */
  if (fchmod (fd, st->st_mode & 07777) < 0)
    return -1;
  return futimens (fd, ts);
}

static int
set_attrs_at (const struct copier *c, int dirfd, const char *name, const struct stat *st)
{
  struct timespec ts[2] = { st->st_atim, st->st_mtim };

  if (c->root && fchownat (dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0
      && errno != EINVAL)
    return -1;
  /* Follows a symlink, but name is the node just made here, by us.  */
  if (!S_ISLNK (st->st_mode) && fchmodat (dirfd, name, st->st_mode & 07777, 0) < 0)
    return -1;
  return utimensat (dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
}

static int
copy_data (int in, int out)
{
  char buf[65536];
  bool cfr = true;

  for (;;)
    {
      ssize_t r;

      if (cfr)
        {
          r = copy_file_range (in, NULL, out, NULL, 1 << 30, 0);
          if (r < 0
              && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
            {
              cfr = false;
              continue;
            }
        }
      else
        r = read (in, buf, sizeof buf);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      if (r == 0)
        return 0;
      if (!cfr && mr_write_all (out, buf, (size_t)r) < 0)
        return -1;
    }
}

static int copy_dir (struct copier *c, int srcfd, int dstfd, const char *rel, struct mr_error *err);

static int
copy_file (struct copier *c, int srcdir, int dstdir, const char *name, const char *path,
           const struct stat *st, struct mr_error *err)
{
  cleanup_close int s = -1;
  cleanup_close int d = -1;

  if (c->link)
    {
      if (linkat (srcdir, name, dstdir, name, 0) == 0)
        return 0;
      /* Another file system after all (a mount inside the source): copy
         from now on.  Not allowed to link this one (fs.protected_hardlinks,
         link count): copy it.  */
      if (errno == EXDEV)
        c->link = false;
      else if (errno != EPERM && errno != EMLINK && errno != EACCES)
        return mr_error_errno (err, errno, "link '%s'", path);
    }
  if (st->st_nlink > 1)
    {
      struct inode_slot *first = inode_map_find (&c->inodes, st->st_dev, st->st_ino);

      if (first && linkat (c->dstroot, first->path, dstdir, name, 0) == 0)
        return 0;
    }
  s = openat (srcdir, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    return mr_error_errno (err, errno, "open '%s'", path);
  d = openat (dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (d < 0)
    return mr_error_errno (err, errno, "create '%s'", path);
  if (copy_data (s, d) < 0)
    return mr_error_errno (err, errno, "copy '%s'", path);
  copy_xattrs (s, d);
  if (set_attrs_fd (c, d, st) < 0)
    return mr_error_errno (err, errno, "set attributes of '%s'", path);
  if (st->st_nlink > 1 && inode_map_put (&c->inodes, st->st_dev, st->st_ino, path) < 0)
    return mr_error_errno (err, ENOMEM, "copy '%s'", path);
  return 0;
}

static int
copy_subdir (struct copier *c, int srcdir, int dstdir, const char *name, const char *path,
             const struct stat *st, struct mr_error *err)
{
  cleanup_close int s = -1;
  cleanup_close int d = -1;

  /* The store inside the source: not copied into itself.  */
  if (st->st_dev == c->store_dev && st->st_ino == c->store_ino)
    return 0;
  if (mkdirat (dstdir, name, 0700) < 0)
    return mr_error_errno (err, errno, "mkdir '%s'", path);
  s = open_dir_at (srcdir, name);
  if (s < 0)
    return mr_error_errno (err, errno, "open '%s'", path);
  d = open_dir_at (dstdir, name);
  if (d < 0)
    return mr_error_errno (err, errno, "open '%s'", path);
  /* A mount point becomes an empty directory, as with cp -x.  */
  if (st->st_dev == c->dev && copy_dir (c, s, d, path, err) < 0)
    return -1;
  copy_xattrs (s, d);
  if (set_attrs_fd (c, d, st) < 0)
    return mr_error_errno (err, errno, "set attributes of '%s'", path);
  return 0;
}

static int
copy_entry (struct copier *c, int srcdir, int dstdir, const char *name, const char *rel,
            struct mr_error *err)
{
  cleanup_free char *path = NULL;
  struct stat st;

  if (mr_asprintf (err, &path, "%s%s%s", rel, *rel ? "/" : "", name) < 0)
    return -1;
  if (fstatat (srcdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return mr_error_errno (err, errno, "stat '%s'", path);

  switch (st.st_mode & S_IFMT)
    {
    case S_IFDIR:
      return copy_subdir (c, srcdir, dstdir, name, path, &st, err);

    case S_IFREG:
      return copy_file (c, srcdir, dstdir, name, path, &st, err);

    case S_IFLNK:
      if (mr_copy_symlink_at (srcdir, name, dstdir, (size_t)st.st_size, path, err) < 0)
        return -1;
      break;

    case S_IFCHR:
    case S_IFBLK:
      if (!c->root)
        return 0;
      if (mknodat (dstdir, name, st.st_mode & (S_IFMT | 07777), st.st_rdev) < 0)
        {
          /* Not allowed to make devices (a user namespace): a container
             gets its /dev from the runtime anyway.  */
          if (errno == EPERM)
            return 0;
          return mr_error_errno (err, errno, "mknod '%s'", path);
        }
      break;

    case S_IFIFO:
      if (mknodat (dstdir, name, S_IFIFO | 0600, 0) < 0)
        return mr_error_errno (err, errno, "mkfifo '%s'", path);
      break;

    default:
      /* A socket only means something bound by a live process.  */
      return 0;
    }
  if (set_attrs_at (c, dstdir, name, &st) < 0)
    return mr_error_errno (err, errno, "set attributes of '%s'", path);
  return 0;
}

static int
copy_dir (struct copier *c, int srcfd, int dstfd, const char *rel, struct mr_error *err)
{
  cleanup_closedir DIR *d = dir_stream (srcfd);
  struct dirent *de;

  if (d == NULL)
    return mr_error_errno (err, errno, "open '%s'", *rel ? rel : ".");
  for (;;)
    {
      errno = 0;
      de = readdir (d);
      if (de == NULL)
        break;
      if (is_dot (de->d_name))
        continue;
      if (copy_entry (c, srcfd, dstfd, de->d_name, rel, err) < 0)
        return -1;
    }
  if (errno)
    return mr_error_errno (err, errno, "read directory '%s'", *rel ? rel : ".");
  return 0;
}

int
mr_image_copy_tree (int srcfd, int dstfd, bool link, int skipfd, struct mr_error *err)
{
  struct copier c = { .dstroot = dstfd, .link = link, .root = geteuid () == 0 };
  struct stat st, skip;
  int ret;

  if (fstat (srcfd, &st) < 0)
    return mr_error_errno (err, errno, "stat source");
  c.dev = st.st_dev;
  if (skipfd >= 0 && fstat (skipfd, &skip) == 0)
    {
      c.store_dev = skip.st_dev;
      c.store_ino = skip.st_ino;
    }
  ret = copy_dir (&c, srcfd, dstfd, "", err);
  if (ret == 0)
    {
      copy_xattrs (srcfd, dstfd);
      if (set_attrs_fd (&c, dstfd, &st) < 0)
        ret = mr_error_errno (err, errno, "set attributes of the top directory");
    }
  inode_map_free (&c.inodes);
  return ret;
}

/* --- the store ------------------------------------------------------------ */

struct store
{
  char *dir;
  int dirfd;
  int lockfd;
};

static void
store_close (struct store *s)
{
  free (s->dir);
  if (s->dirfd >= 0)
    close (s->dirfd);
  if (s->lockfd >= 0)
    close (s->lockfd);
  s->dir = NULL;
  s->dirfd = s->lockfd = -1;
}
#define cleanup_store __attribute__ ((cleanup (store_close)))

/* Opens <data_dir>/images; when create is false and the store was never
   made, succeeds with dirfd -1 (an empty store).  */
static int
store_open (struct mr_context *ctx, bool create, struct store *s, struct mr_error *err)
{
  s->dirfd = s->lockfd = -1;
  if (mr_asprintf (err, &s->dir, "%s/images", mr_context_data_dir (ctx)) < 0)
    return -1;
  if (create && mr_mkdir_p (s->dir, 0700, err) < 0)
    return mr_error_prefix (err, "image store");
  s->dirfd = open (s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->dirfd < 0 && errno == ENOENT && !create)
    return 0;
  if (s->dirfd < 0)
    return mr_error_errno (err, errno, "open image store '%s'", s->dir);
  return 0;
}

static int
store_lock (struct store *s, bool exclusive, struct mr_error *err)
{
  int flags = (exclusive ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW;

  s->lockfd = openat (s->dirfd, LOCK_FILE, flags, 0600);
  if (s->lockfd < 0)
    {
      /* Never changed: nothing to wait for.  */
      if (!exclusive && errno == ENOENT)
        return 0;
      return mr_error_errno (err, errno, "lock image store '%s'", s->dir);
    }
  while (flock (s->lockfd, exclusive ? LOCK_EX : LOCK_SH) < 0)
    if (errno != EINTR)
      return mr_error_errno (err, errno, "lock image store '%s'", s->dir);
  return 0;
}

static void
store_unlock (struct store *s)
{
  if (s->lockfd >= 0)
    close (s->lockfd);
  s->lockfd = -1;
}

/* refs.json, or an empty one; *refs points into *doc.  */
static int
refs_read (struct store *s, json_t **doc, json_t **refs, struct mr_error *err)
{
  cleanup_free char *text = NULL;
  json_error_t jerr;
  const char *key;
  json_t *v;

  *doc = NULL;
  if (s->dirfd < 0 || mr_read_file_at (s->dirfd, REFS_FILE, &text, NULL, err) < 0)
    {
      if (s->dirfd >= 0 && err->errnum != ENOENT)
        return mr_error_prefix (err, "image store '%s'", s->dir);
      mr_error_clear (err);
      *doc = json_pack ("{s:{}}", "references");
    }
  else
    *doc = json_loads (text, 0, &jerr);
  if (*doc == NULL)
    return mr_error_set (err, "image store '%s': %s is corrupted: %s", s->dir, REFS_FILE,
                         text ? jerr.text : "out of memory");
  *refs = json_object_get (*doc, "references");
  if (!json_is_object (*refs))
    {
      json_decref (*doc);
      *doc = NULL;
      return mr_error_set (err, "image store '%s': %s has no \"references\" object", s->dir,
                           REFS_FILE);
    }
  json_object_foreach (*refs, key, v) if (!json_is_string (v) || !id_valid (json_string_value (v)))
  {
    json_decref (*doc);
    *doc = NULL;
    return mr_error_set (err, "image store '%s': %s: invalid image id for '%s'", s->dir, REFS_FILE,
                         key);
  }
  return 0;
}

static int
refs_write (struct store *s, json_t *doc, struct mr_error *err)
{
  cleanup_free char *text = json_dumps (doc, JSON_INDENT (2) | JSON_SORT_KEYS);

  if (text == NULL)
    return mr_error_errno (err, ENOMEM, "image store");
  if (mr_write_file_atomic_at (s->dirfd, REFS_FILE, text, strlen (text), 0600, MR_WRITE_DURABLE,
                               err)
      < 0)
    return mr_error_prefix (err, "image store '%s'", s->dir);
  /* The renames before it, and its own.  */
  (void)fsync (s->dirfd);
  return 0;
}

static bool
id_referenced (json_t *refs, const char *id)
{
  const char *key;
  json_t *v;

  json_object_foreach (refs, key, v) if (strcmp (json_string_value (v), id) == 0) return true;
  return false;
}

/* Renames the image directory id to a temporary name held with a lock, so
   that it can be removed after the store is unlocked.  Returns the fd that
   holds the lock, or -1.  */
static int
retire (struct store *s, const char *id, char *tmpname, size_t size, struct mr_error *err)
{
  int fd;

  snprintf (tmpname, size, TMP_PREFIX "%s", id);
  if (renameat (s->dirfd, id, s->dirfd, tmpname) < 0)
    return mr_error_errno (err, errno, "image store: rename '%s'", id);
  fd = openat (s->dirfd, tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return mr_error_errno (err, errno, "image store: open '%s'", tmpname);
  if (flock (fd, LOCK_EX | LOCK_NB) < 0)
    {
      close (fd);
      return mr_error_errno (err, errno, "image store: lock '%s'", tmpname);
    }
  return fd;
}

/* Removes what a crash or a failed removal left: temporary directories no
   live process holds, and image directories no reference names.  Runs with
   the store locked; problems are warnings, never a reason to fail.  */
static void
store_gc (struct mr_context *ctx, struct store *s, json_t *refs)
{
  cleanup_closedir DIR *d = dir_stream (s->dirfd);
  struct dirent *de;

  if (d == NULL)
    return;
  while ((de = readdir (d)) != NULL)
    {
      struct mr_error e = { 0 };
      const char *name = de->d_name;

      if (strncmp (name, TMP_PREFIX, strlen (TMP_PREFIX)) == 0)
        {
          cleanup_close int fd = open_dir_at (s->dirfd, name);

          if (fd < 0 || flock (fd, LOCK_EX | LOCK_NB) < 0)
            continue;
          if (mr_remove_tree_at (s->dirfd, name, name, &e) < 0)
            mr_context_warn (ctx, "image store '%s': %s", s->dir, e.msg);
        }
      else if (id_valid (name) && !id_referenced (refs, name))
        {
          if (mr_remove_tree_at (s->dirfd, name, name, &e) < 0)
            mr_context_warn (ctx, "image store '%s': %s", s->dir, e.msg);
        }
      else if (strncmp (name, "." REFS_FILE ".tmp", strlen ("." REFS_FILE ".tmp")) == 0)
        (void)unlinkat (s->dirfd, name, 0);
    }
}

/* --- image documents ------------------------------------------------------ */

static void
split_ref (const char *canon, char **name, char **tag)
{
  const char *colon = strrchr (canon, ':');

  *name = strndup (canon, (size_t)(colon - canon));
  *tag = strdup (colon + 1);
}

/* The metadata of image id as the reference ref shows it, with RootFS.  */
static json_t *
image_doc (struct store *s, const char *ref, const char *id, struct mr_error *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *text = NULL;
  cleanup_free char *rootfs = NULL;
  cleanup_free char *name = NULL;
  cleanup_free char *tag = NULL;
  cleanup_json json_t *stored = NULL;
  json_t *o, *v;
  json_error_t jerr;
  const char *key;

  if (mr_asprintf (err, &path, "%s/image.json", id) < 0
      || mr_asprintf (err, &rootfs, "%s/%s/rootfs", s->dir, id) < 0)
    return NULL;
  if (mr_read_file_at (s->dirfd, path, &text, NULL, err) < 0)
    {
      mr_error_prefix (err, "image '%s'", ref);
      return NULL;
    }
  stored = json_loads (text, 0, &jerr);
  if (!json_is_object (stored))
    {
      mr_error_set (err, "image '%s': %s/%s is corrupted", ref, s->dir, path);
      return NULL;
    }
  split_ref (ref, &name, &tag);
  o = json_object ();
  if (o == NULL || name == NULL || tag == NULL)
    {
      json_decref (o);
      mr_error_errno (err, ENOMEM, "image '%s'", ref);
      return NULL;
    }
  json_object_set_new (o, "Id", json_string (id));
  json_object_set_new (o, "Reference", json_string (ref));
  json_object_set_new (o, "Name", json_string (name));
  json_object_set_new (o, "Tag", json_string (tag));
  json_object_foreach (stored, key, v) if (strcmp (key, "Id") != 0) json_object_set (o, key, v);
  if (!json_is_object (json_object_get (o, "Config")))
    json_object_set_new (o, "Config", json_object ());
  json_object_set_new (o, "RootFS", json_string (rootfs));
  return o;
}

static int64_t
parse_created (const char *s)
{
  struct tm tm = { 0 };

  if (s == NULL || strptime (s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
    return 0;
  return (int64_t)timegm (&tm);
}

static char *
dup_or_empty (const char *s)
{
  return strdup (s ? s : "");
}

static int
info_from_doc (json_t *o, struct mr_image_info *info, struct mr_error *err)
{
  json_t *size = json_object_get (o, "Size");
  const char *created = json_string_value (json_object_get (o, "Created"));

  info->reference = dup_or_empty (json_string_value (json_object_get (o, "Reference")));
  info->name = dup_or_empty (json_string_value (json_object_get (o, "Name")));
  info->tag = dup_or_empty (json_string_value (json_object_get (o, "Tag")));
  info->id = dup_or_empty (json_string_value (json_object_get (o, "Id")));
  info->created = dup_or_empty (created);
  info->source = dup_or_empty (json_string_value (json_object_get (o, "Source")));
  info->rootfs = dup_or_empty (json_string_value (json_object_get (o, "RootFS")));
  info->created_unix = parse_created (created);
  info->size = json_is_integer (size) && json_integer_value (size) > 0
                   ? (uint64_t)json_integer_value (size)
                   : 0;
  if (!info->reference || !info->name || !info->tag || !info->id || !info->created || !info->source
      || !info->rootfs)
    return mr_error_errno (err, ENOMEM, "image");
  return 0;
}

static void
info_clear (struct mr_image_info *info)
{
  free (info->reference);
  free (info->name);
  free (info->tag);
  free (info->id);
  free (info->created);
  free (info->source);
  free (info->rootfs);
  memset (info, 0, sizeof *info);
}

void
mr_image_info_free (struct mr_image_info *list, size_t n)
{
  if (list == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    info_clear (&list[i]);
  free (list);
}

static int
not_found (const char *canon, struct mr_error *err)
{
  mr_error_set (err, "image '%s' not found", canon);
  err->errnum = ENOENT;
  return -1;
}

/* The store opened and read-locked, and the id that ref names.  */
static int
lookup (struct mr_context *ctx, const char *ref, struct store *s, char **canon, char **id,
        struct mr_error *err)
{
  cleanup_json json_t *doc = NULL;
  json_t *refs, *v;

  if (canonical_ref (ref, canon, err) < 0)
    return -1;
  if (store_open (ctx, false, s, err) < 0)
    return -1;
  if (s->dirfd < 0)
    return not_found (*canon, err);
  if (store_lock (s, false, err) < 0 || refs_read (s, &doc, &refs, err) < 0)
    return -1;
  v = json_object_get (refs, *canon);
  if (v == NULL)
    return not_found (*canon, err);
  *id = strdup (json_string_value (v));
  if (*id == NULL)
    return mr_error_errno (err, ENOMEM, "image '%s'", *canon);
  return 0;
}

/* --- the public calls ----------------------------------------------------- */

static int
random_id (char *id, struct mr_error *err)
{
  unsigned char raw[ID_LEN / 2];
  size_t got = 0;

  while (got < sizeof raw)
    {
      ssize_t r = getrandom (raw + got, sizeof raw - got, 0);

      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return mr_error_errno (err, errno, "getrandom");
      got += (size_t)r;
    }
  for (size_t i = 0; i < sizeof raw; i++)
    snprintf (id + 2 * i, 3, "%02x", raw[i]);
  return 0;
}

/* Fills the new image's directory: rootfs/ from the source, image.json.  */
static int
build (struct store *s, int tmpfd, const char *id, int srcfd, const struct stat *srcst,
       const char *source, const char *abs_source, struct mr_error *err)
{
  cleanup_close int rootfd = -1;
  cleanup_free char *text = NULL;
  struct inode_map seen = { 0 };
  struct stat store_st;
  uint64_t size = 0;
  char created[64];
  json_t *meta;
  int r;

  if (mkdirat (tmpfd, "rootfs", 0700) < 0)
    return mr_error_errno (err, errno, "mkdir rootfs");
  rootfd = open_dir_at (tmpfd, "rootfs");
  if (rootfd < 0 || fchmod (rootfd, 0755) < 0)
    return mr_error_errno (err, errno, "open rootfs");
  if (S_ISDIR (srcst->st_mode))
    {
      bool same_fs = fstat (s->dirfd, &store_st) == 0 && store_st.st_dev == srcst->st_dev;

      if (mr_image_copy_tree (srcfd, rootfd, same_fs, s->dirfd, err) < 0)
        return mr_error_prefix (err, "copy '%s'", source);
    }
  else
    {
      unsigned flags = MR_TAR_XATTRS;

      if (geteuid () == 0)
        flags |= MR_TAR_SAME_OWNER | MR_TAR_DEVICES;
      if (mr_tar_extract_file (srcfd, source, rootfd, flags, err) < 0)
        return mr_error_prefix (err, "unpack '%s'", source);
    }
  r = tree_size (rootfd, &seen, &size, err);
  inode_map_free (&seen);
  if (r < 0)
    return -1;

  mr_time_rfc3339 (created, sizeof created);
  meta = json_pack ("{s:s, s:s, s:I, s:s, s:{}}", "Id", id, "Created", created, "Size",
                    (json_int_t)size, "Source", abs_source, "Config");
  if (meta)
    text = json_dumps (meta, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  json_decref (meta);
  if (text == NULL)
    return mr_error_errno (err, ENOMEM, "image metadata");
  if (mr_write_file_atomic_at (tmpfd, "image.json", text, strlen (text), 0600, 0, err) < 0)
    return -1;
  /* The files must be on disk before a reference names them.  */
  if (syncfs (tmpfd) < 0)
    return mr_error_errno (err, errno, "sync image");
  return 0;
}

/* Gives the built image its reference.  The directory's lock goes once
   its name is final, and what add returns is read while the store is still
   locked: a concurrent add may replace the image right after.  */
static int
add_commit (struct mr_context *ctx, struct store *s, const char *canon, const char *id,
            const char *tmpname, int *tmpfd, json_t **added, int *oldfd, char *oldname,
            size_t oldsize, struct mr_error *err)
{
  cleanup_json json_t *doc = NULL;
  cleanup_free char *old = NULL;
  json_t *refs, *v;

  if (store_lock (s, true, err) < 0 || refs_read (s, &doc, &refs, err) < 0)
    return -1;
  v = json_object_get (refs, canon);
  if (v)
    old = strdup (json_string_value (v));
  if (renameat (s->dirfd, tmpname, s->dirfd, id) < 0)
    return mr_error_errno (err, errno, "image store: rename '%s' to '%s'", tmpname, id);
  if (json_object_set_new (refs, canon, json_string (id)) < 0 || refs_write (s, doc, err) < 0)
    {
      /* Back to a name that no reader looks at, still ours to remove.  */
      (void)renameat (s->dirfd, id, s->dirfd, tmpname);
      return err->msg[0] ? -1 : mr_error_errno (err, ENOMEM, "image store");
    }
  close (steal_fd (tmpfd));
  if (added)
    {
      struct mr_error e = { 0 };

      /* The image is in place: not being able to describe it is a warning.  */
      *added = image_doc (s, canon, id, &e);
      if (*added == NULL)
        mr_context_warn (ctx, "%s", e.msg);
    }
  if (old && strcmp (old, id) != 0 && !id_referenced (refs, old))
    {
      struct mr_error e = { 0 };

      *oldfd = retire (s, old, oldname, oldsize, &e);
      /* The reference already moved: the old directory is garbage that
         the next change collects.  */
      if (*oldfd < 0)
        mr_context_warn (ctx, "%s", e.msg);
    }
  return 0;
}

int
mr_image_add (struct mr_context *ctx, const char *ref, const char *source,
              struct mr_image_info **out, struct mr_error *err)
{
  cleanup_store struct store s = { .dirfd = -1, .lockfd = -1 };
  cleanup_free char *canon = NULL;
  cleanup_free char *abs_source = NULL;
  cleanup_close int srcfd = -1;
  cleanup_close int tmpfd = -1;
  cleanup_close int oldfd = -1;
  cleanup_json json_t *doc = NULL;
  cleanup_json json_t *added = NULL;
  char id[ID_LEN + 1], tmpname[sizeof TMP_PREFIX + ID_LEN], oldname[sizeof TMP_PREFIX + ID_LEN];
  json_t *refs;
  struct stat st;

  if (canonical_ref (ref, &canon, err) < 0)
    return -1;
  if (source == NULL || *source == '\0')
    return mr_error_set (err, "add image '%s': no source directory or archive", canon);
  /* O_NONBLOCK: a fifo given by mistake must not hang the open.  */
  srcfd = open (source, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (srcfd < 0 || fstat (srcfd, &st) < 0)
    return mr_error_errno (err, errno, "add image '%s': open '%s'", canon, source);
  if (!S_ISDIR (st.st_mode) && !S_ISREG (st.st_mode))
    return mr_error_set (err, "add image '%s': '%s' is neither a directory nor a tar archive",
                         canon, source);
  abs_source = realpath (source, NULL);
  if (abs_source == NULL)
    return mr_error_errno (err, errno, "add image '%s': resolve '%s'", canon, source);
  if (random_id (id, err) < 0)
    return mr_error_prefix (err, "add image '%s'", canon);
  snprintf (tmpname, sizeof tmpname, TMP_PREFIX "%s", id);

  if (store_open (ctx, true, &s, err) < 0 || store_lock (&s, true, err) < 0
      || refs_read (&s, &doc, &refs, err) < 0)
    return mr_error_prefix (err, "add image '%s'", canon);
  store_gc (ctx, &s, refs);
  if (mkdirat (s.dirfd, tmpname, 0700) < 0)
    return mr_error_errno (err, errno, "add image '%s': mkdir '%s/%s'", canon, s.dir, tmpname);
  tmpfd = open_dir_at (s.dirfd, tmpname);
  if (tmpfd < 0 || flock (tmpfd, LOCK_EX | LOCK_NB) < 0)
    {
      mr_error_errno (err, errno, "add image '%s': open '%s/%s'", canon, s.dir, tmpname);
      (void)unlinkat (s.dirfd, tmpname, AT_REMOVEDIR);
      return -1;
    }
  /* The copy may take long: other changes to the store go on meanwhile,
     and the lock on the directory keeps its collection away.  */
  store_unlock (&s);

  if (build (&s, tmpfd, id, srcfd, &st, source, abs_source, err) < 0
      || add_commit (ctx, &s, canon, id, tmpname, &tmpfd, out ? &added : NULL, &oldfd, oldname,
                     sizeof oldname, err)
             < 0)
    {
      struct mr_error e = { 0 };

      store_unlock (&s);
      mr_error_prefix (err, "add image '%s'", canon);
      if (mr_remove_tree_at (s.dirfd, tmpname, tmpname, &e) < 0)
        mr_context_warn (ctx, "%s", e.msg);
      return -1;
    }
  store_unlock (&s);
  if (oldfd >= 0)
    {
      struct mr_error e = { 0 };

      if (mr_remove_tree_at (s.dirfd, oldname, oldname, &e) < 0)
        mr_context_warn (ctx, "image store '%s': %s", s.dir, e.msg);
    }

  if (out)
    {
      *out = calloc (1, sizeof **out);
      if (*out == NULL)
        return mr_error_errno (err, ENOMEM, "add image '%s'", canon);
      if (added == NULL || info_from_doc (added, *out, err) < 0)
        {
          mr_image_info_free (*out, 1);
          *out = NULL;
          if (added == NULL)
            return mr_error_set (
                err, "add image '%s': the image was added, but reading it back failed", canon);
          return mr_error_prefix (err, "add image '%s'", canon);
        }
    }
  return 0;
}

static int
cmp_keys (const void *a, const void *b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* Every image's document, sorted by reference.  */
static int
list_docs (struct mr_context *ctx, json_t **out, struct mr_error *err)
{
  cleanup_store struct store s = { .dirfd = -1, .lockfd = -1 };
  cleanup_json json_t *doc = NULL;
  cleanup_json json_t *arr = json_array ();
  cleanup_free const char **keys = NULL;
  json_t *refs, *v;
  const char *key;
  size_t n = 0;

  if (arr == NULL)
    return mr_error_errno (err, ENOMEM, "list images");
  if (store_open (ctx, false, &s, err) < 0)
    return -1;
  if (s.dirfd >= 0)
    {
      if (store_lock (&s, false, err) < 0 || refs_read (&s, &doc, &refs, err) < 0)
        return -1;
      keys = calloc (json_object_size (refs) + 1, sizeof *keys);
      if (keys == NULL)
        return mr_error_errno (err, ENOMEM, "list images");
      json_object_foreach (refs, key, v) keys[n++] = key;
      qsort (keys, n, sizeof *keys, cmp_keys);
      for (size_t i = 0; i < n; i++)
        {
          struct mr_error e = { 0 };
          json_t *o
              = image_doc (&s, keys[i], json_string_value (json_object_get (refs, keys[i])), &e);

          /* One broken image must not hide the others.  */
          if (o == NULL)
            {
              mr_context_warn (ctx, "%s", e.msg);
              continue;
            }
          json_array_append_new (arr, o);
        }
    }
  *out = steal_pointer (&arr);
  return 0;
}

int
mr_image_list (struct mr_context *ctx, struct mr_image_info **list, size_t *n, struct mr_error *err)
{
  cleanup_json json_t *arr = NULL;
  struct mr_image_info *out;
  size_t i;

  if (list_docs (ctx, &arr, err) < 0)
    return -1;
  out = calloc (json_array_size (arr) + 1, sizeof *out);
  if (out == NULL)
    return mr_error_errno (err, ENOMEM, "list images");
  for (i = 0; i < json_array_size (arr); i++)
    if (info_from_doc (json_array_get (arr, i), &out[i], err) < 0)
      {
        mr_image_info_free (out, i + 1);
        return -1;
      }
  *list = out;
  *n = i;
  return 0;
}

int
mr_image_list_json (struct mr_context *ctx, char **json, struct mr_error *err)
{
  cleanup_json json_t *arr = NULL;

  if (list_docs (ctx, &arr, err) < 0)
    return -1;
  *json = json_dumps (arr, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  if (*json == NULL)
    return mr_error_errno (err, ENOMEM, "list images");
  return 0;
}

int
mr_image_inspect (struct mr_context *ctx, const char *ref, char **json, struct mr_error *err)
{
  cleanup_store struct store s = { .dirfd = -1, .lockfd = -1 };
  cleanup_free char *canon = NULL;
  cleanup_free char *id = NULL;
  cleanup_json json_t *o = NULL;

  if (lookup (ctx, ref, &s, &canon, &id, err) < 0)
    return -1;
  o = image_doc (&s, canon, id, err);
  if (o == NULL)
    return -1;
  *json = json_dumps (o, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  if (*json == NULL)
    return mr_error_errno (err, ENOMEM, "inspect image '%s'", canon);
  return 0;
}

int
mr_image_rootfs (struct mr_context *ctx, const char *ref, char **path, struct mr_error *err)
{
  cleanup_store struct store s = { .dirfd = -1, .lockfd = -1 };
  cleanup_free char *canon = NULL;
  cleanup_free char *id = NULL;

  if (lookup (ctx, ref, &s, &canon, &id, err) < 0)
    return -1;
  return mr_asprintf (err, path, "%s/%s/rootfs", s.dir, id);
}

/* Another reference than ref names image id.  */
static bool
other_ref_to (json_t *refs, const char *ref, const char *id)
{
  const char *k;
  json_t *v;

  json_object_foreach (refs, k, v) if (strcmp (k, ref) != 0 && json_is_string (v)
                                       && strcmp (json_string_value (v), id) == 0) return true;
  return false;
}

int
mr_image_remove (struct mr_context *ctx, const char *ref, struct mr_error *err)
{
  cleanup_store struct store s = { .dirfd = -1, .lockfd = -1 };
  cleanup_free char *canon = NULL;
  cleanup_free char *id = NULL;
  cleanup_close int oldfd = -1;
  cleanup_json json_t *doc = NULL;
  char oldname[sizeof TMP_PREFIX + ID_LEN];
  json_t *refs, *v;

  if (canonical_ref (ref, &canon, err) < 0)
    return -1;
  if (store_open (ctx, false, &s, err) < 0)
    return -1;
  if (s.dirfd < 0)
    return not_found (canon, err);
  if (store_lock (&s, true, err) < 0 || refs_read (&s, &doc, &refs, err) < 0)
    return mr_error_prefix (err, "remove image '%s'", canon);
  v = json_object_get (refs, canon);
  if (v == NULL)
    return not_found (canon, err);
  id = strdup (json_string_value (v));
  if (id == NULL)
    return mr_error_errno (err, ENOMEM, "remove image '%s'", canon);
  if (!other_ref_to (refs, canon, id))
    {
      cleanup_free char *user = NULL;
      if (mr_managed_image_user (ctx, id, &user) > 0)
        {
          mr_error_set (err,
                        "cannot remove image '%s': container '%s' uses it (remove the "
                        "container first)",
                        canon, user);
          err->errnum = EBUSY;
          return -1;
        }
    }
  if (json_object_del (refs, canon) < 0)
    return mr_error_errno (err, ENOMEM, "remove image '%s'", canon);
  if (refs_write (&s, doc, err) < 0)
    return mr_error_prefix (err, "remove image '%s'", canon);
  if (!id_referenced (refs, id))
    {
      struct mr_error e = { 0 };

      oldfd = retire (&s, id, oldname, sizeof oldname, &e);
      if (oldfd < 0)
        mr_context_warn (ctx, "%s", e.msg);
    }
  store_gc (ctx, &s, refs);
  store_unlock (&s);
  if (oldfd >= 0)
    {
      struct mr_error e = { 0 };

      /* The reference is gone already; what stays behind is collected by
         the next change.  */
      if (mr_remove_tree_at (s.dirfd, oldname, oldname, &e) < 0)
        mr_context_warn (ctx, "image store '%s': %s", s.dir, e.msg);
    }
  return 0;
}
