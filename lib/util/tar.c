#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/tar.h"

extern char **environ;

#define BLOCK 512
#define DATA_CHUNK (64 * 1024)
/* Bounds on what an archive makes us hold in memory at once.  */
#define MAX_PAX_SIZE (1024 * 1024)
#define MAX_LONG_NAME (64 * 1024)

struct header
{
  char name[100];
  char mode[8];
  char uid[8];
  char gid[8];
  char size[12];
  char mtime[12];
  char chksum[8];
  char typeflag;
  char linkname[100];
  char magic[6];
  char version[2];
  char uname[32];
  char gname[32];
  char devmajor[8];
  char devminor[8];
  char prefix[155];
  char pad[12];
};
_Static_assert(sizeof (struct header) == BLOCK, "a tar header is one block");

struct xattr
{
  char *name;
  char *value;
  size_t len;
};

/* What pax extended headers and GNU long names say about the next entry.  */
struct ext
{
  char *path;
  char *linkpath;
  bool has_size, has_uid, has_gid, has_mtime, has_major, has_minor;
  uint64_t size, uid, gid, major, minor;
  struct timespec mtime;
  struct xattr *xattrs;
  size_t nxattrs;
};

/* A directory whose final mode and time are set once everything inside it
   has been created.  */
struct dir_fixup
{
  char *path;
  mode_t mode;
  struct timespec mtime;
};

struct tar
{
  int fd;
  int rootfd;
  unsigned flags;
  unsigned long long offset; /* bytes of the stream read so far */
  char *buf;
  struct dir_fixup *dirs;
  size_t ndirs, dirs_alloc;
};

/* One member, with the extended headers applied.  */
struct entry
{
  const char *raw;  /* the name in the archive, for messages */
  const char *path; /* cleaned */
  const char *link;
  char type;
  mode_t mode;
  uid_t uid;
  gid_t gid;
  uint64_t size;
  struct timespec mtime;
  unsigned major, minor;
  const struct ext *ext;
};

/* --- small parsers -------------------------------------------------------- */

bool
mr_tar_xattr_allowed (const char *name)
{
  return strncmp (name, "user.", 5) == 0 || strncmp (name, "security.", 9) == 0;
}

enum mr_compression
mr_compression_detect (const void *buf, size_t len)
{
  const unsigned char *b = buf;

  if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b)
    return MR_COMPRESSION_GZIP;
  if (len >= 6
      && memcmp (b,
                 "\xfd"
                 "7zXZ\0",
                 6)
             == 0)
    return MR_COMPRESSION_XZ;
  if (len >= 4 && memcmp (b, "\x28\xb5\x2f\xfd", 4) == 0)
    return MR_COMPRESSION_ZSTD;
  if (len >= 3 && memcmp (b, "BZh", 3) == 0)
    return MR_COMPRESSION_BZIP2;
  return MR_COMPRESSION_NONE;
}

/* An octal field (space or NUL terminated, maybe space padded in front), or
   GNU's base-256 form for values that do not fit.  An empty field is 0.  */
static int
parse_numeric (const char *field, size_t len, uint64_t *out)
{
  const unsigned char *p = (const unsigned char *)field;
  uint64_t v = 0;
  size_t i = 0;

  if (p[0] & 0x80)
    {
      /* 0xff starts a negative number: never a valid size, id or time
         here.  */
      if (p[0] != 0x80)
        return -1;
      for (i = 1; i < len; i++)
        {
          if (v >> 56)
            return -1;
          v = (v << 8) | p[i];
        }
      *out = v;
      return 0;
    }
  while (i < len && p[i] == ' ')
    i++;
  for (; i < len && p[i] != ' ' && p[i] != '\0'; i++)
    {
      if (p[i] < '0' || p[i] > '7' || v > (UINT64_MAX >> 3))
        return -1;
      v = (v << 3) | (uint64_t)(p[i] - '0');
    }
  for (; i < len; i++)
    if (p[i] != ' ' && p[i] != '\0')
      return -1;
  *out = v;
  return 0;
}

static bool
is_zero_block (const unsigned char *b)
{
  for (size_t i = 0; i < BLOCK; i++)
    if (b[i])
      return false;
  return true;
}

bool
mr_tar_header_valid (const void *block)
{
  const struct header *h = block;
  const unsigned char *b = block;
  uint64_t want;
  uint64_t usum = 0;
  int64_t ssum = 0;

  if (parse_numeric (h->chksum, sizeof h->chksum, &want) < 0)
    return false;
  for (size_t i = 0; i < BLOCK; i++)
    {
      unsigned char c = (i >= offsetof (struct header, chksum)
                         && i < offsetof (struct header, chksum) + sizeof h->chksum)
                            ? ' '
                            : b[i];
      usum += c;
      ssum += (signed char)c;
    }
  /* Some old writers summed signed chars.  */
  return want == usum || (int64_t)want == ssum;
}

int
mr_tar_clean_path (const char *path, char **out, struct mr_error *err)
{
  size_t len = strlen (path), n = 0;
  cleanup_free char *o = malloc (len + 1);
  const char *p = path;

  if (o == NULL)
    return mr_error_errno (err, ENOMEM, "path '%s'", path);
  while (*p)
    {
      size_t l;

      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      l = strcspn (p, "/");
      if (l == 2 && p[0] == '.' && p[1] == '.')
        return mr_error_set (err, "path '%s' has a '..' component", path);
      if (!(l == 1 && p[0] == '.'))
        {
          if (n)
            o[n++] = '/';
          memcpy (o + n, p, l);
          n += l;
        }
      p += l;
    }
  o[n] = '\0';
  if (n >= PATH_MAX)
    return mr_error_errno (err, ENAMETOOLONG, "path '%.64s...'", path);
  *out = steal_pointer (&o);
  return 0;
}

/* Strict decimal, as pax records hold it.  */
static int
parse_decimal (const char *s, uint64_t *out)
{
  uint64_t v = 0;

  if (*s == '\0')
    return -1;
  for (; *s; s++)
    {
      if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
        return -1;
      v = v * 10 + (uint64_t)(*s - '0');
    }
  *out = v;
  return 0;
}

/* "1700000000" or "1700000000.123456789".  */
static int
parse_pax_time (const char *s, struct timespec *ts)
{
  cleanup_free char *sec = strdup (s);
  char *dot;
  uint64_t v;
  long nsec = 0;

  if (sec == NULL)
    return -1;
  dot = strchr (sec, '.');
  if (dot)
    {
      const char *f = dot + 1;
      int digits = 0;

      *dot = '\0';
      for (; *f; f++)
        {
          if (*f < '0' || *f > '9')
            return -1;
          if (digits++ < 9)
            nsec = nsec * 10 + (*f - '0');
        }
      for (; digits < 9; digits++)
        nsec *= 10;
    }
  if (parse_decimal (sec, &v) < 0 || v > INT64_MAX)
    return -1;
  ts->tv_sec = (time_t)v;
  ts->tv_nsec = nsec;
  return 0;
}

static void
ext_reset (struct ext *e)
{
  free (e->path);
  free (e->linkpath);
  for (size_t i = 0; i < e->nxattrs; i++)
    {
      free (e->xattrs[i].name);
      free (e->xattrs[i].value);
    }
  free (e->xattrs);
  memset (e, 0, sizeof *e);
}

static int
ext_add_xattr (struct ext *e, const char *name, const char *value, size_t len)
{
  struct xattr *n = realloc (e->xattrs, (e->nxattrs + 1) * sizeof *n);

  if (n == NULL)
    return -1;
  e->xattrs = n;
  n = &e->xattrs[e->nxattrs];
  n->name = strdup (name);
  n->value = malloc (len ? len : 1);
  if (n->name == NULL || n->value == NULL)
    {
      free (n->name);
      free (n->value);
      return -1;
    }
  memcpy (n->value, value, len);
  n->len = len;
  e->nxattrs++;
  return 0;
}

static int
pax_string (char **field, const char *value, size_t vlen, const char *key, struct mr_error *err)
{
  if (strlen (value) != vlen)
    return mr_error_set (err, "pax header: '%s' holds a NUL byte", key);
  free (*field);
  *field = NULL;
  /* An empty value cancels the keyword: the ustar field applies.  */
  if (vlen == 0)
    return 0;
  *field = strdup (value);
  if (*field == NULL)
    return mr_error_errno (err, ENOMEM, "pax header");
  return 0;
}

static int
pax_number (bool *has, uint64_t *field, const char *value, const char *key, struct mr_error *err)
{
  if (parse_decimal (value, field) < 0)
    return mr_error_set (err, "pax header: invalid %s '%s'", key, value);
  *has = true;
  return 0;
}

/* Records "LEN KEY=VALUE\n", LEN counting the whole record.  */
static int
parse_pax (char *data, size_t len, struct ext *e, struct mr_error *err)
{
  size_t pos = 0;

  while (pos < len)
    {
      char *rec = data + pos, *key, *eq, *value;
      size_t avail = len - pos, reclen = 0, i = 0, vlen;

      /* Writers pad the header's data with NULs.  */
      if (rec[0] == '\0')
        break;
      while (i < avail && rec[i] >= '0' && rec[i] <= '9')
        {
          reclen = reclen * 10 + (size_t)(rec[i] - '0');
          if (reclen > avail)
            return mr_error_set (err, "pax header: record longer than the header");
          i++;
        }
      if (i == 0 || i >= avail || rec[i] != ' ' || reclen <= i + 2 || rec[reclen - 1] != '\n')
        return mr_error_set (err, "pax header: malformed record at byte %zu", pos);
      key = rec + i + 1;
      eq = memchr (key, '=', (size_t)(rec + reclen - 1 - key));
      if (eq == NULL)
        return mr_error_set (err, "pax header: malformed record at byte %zu", pos);
      *eq = '\0';
      value = eq + 1;
      vlen = (size_t)(rec + reclen - 1 - value);
      value[vlen] = '\0';

      if (strcmp (key, "path") == 0)
        {
          if (pax_string (&e->path, value, vlen, key, err) < 0)
            return -1;
        }
      else if (strcmp (key, "linkpath") == 0)
        {
          if (pax_string (&e->linkpath, value, vlen, key, err) < 0)
            return -1;
        }
      else if (strcmp (key, "size") == 0)
        {
          if (pax_number (&e->has_size, &e->size, value, key, err) < 0)
            return -1;
        }
      else if (strcmp (key, "uid") == 0)
        {
          if (pax_number (&e->has_uid, &e->uid, value, key, err) < 0)
            return -1;
        }
      else if (strcmp (key, "gid") == 0)
        {
          if (pax_number (&e->has_gid, &e->gid, value, key, err) < 0)
            return -1;
        }
      else if (strcmp (key, "SCHILY.devmajor") == 0)
        {
          if (pax_number (&e->has_major, &e->major, value, key, err) < 0)
            return -1;
        }
      else if (strcmp (key, "SCHILY.devminor") == 0)
        {
          if (pax_number (&e->has_minor, &e->minor, value, key, err) < 0)
            return -1;
        }
      else if (strcmp (key, "mtime") == 0)
        {
          if (parse_pax_time (value, &e->mtime) < 0)
            return mr_error_set (err, "pax header: invalid mtime '%s'", value);
          e->has_mtime = true;
        }
      else if (strncmp (key, "SCHILY.xattr.", 13) == 0 && key[13] != '\0')
        {
          if (ext_add_xattr (e, key + 13, value, vlen) < 0)
            return mr_error_errno (err, ENOMEM, "pax header");
        }
      else if (strncmp (key, "GNU.sparse.", 11) == 0)
        return mr_error_set (err, "sparse files are not supported");
      /* Anything else (atime, ctime, uname, gname, comment, charset...)
         does not change what is created.  */
      pos += reclen;
    }
  return 0;
}

/* --- reading the stream --------------------------------------------------- */

/* Reads len bytes; fewer only at the end of the input.  */
static ssize_t
read_full (int fd, void *buf, size_t len)
{
  size_t got = 0;

  while (got < len)
    {
      ssize_t r = read (fd, (char *)buf + got, len - got);

      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      if (r == 0)
        break;
      got += (size_t)r;
    }
  return (ssize_t)got;
}

static int
read_exact (struct tar *t, void *buf, size_t len, struct mr_error *err)
{
  ssize_t r = read_full (t->fd, buf, len);

  if (r < 0)
    return mr_error_errno (err, errno, "read archive");
  t->offset += (size_t)r;
  if ((size_t)r < len)
    return mr_error_set (err, "unexpected end of archive at byte %llu", t->offset);
  return 0;
}

static uint64_t
padding (uint64_t size)
{
  return (BLOCK - size % BLOCK) % BLOCK;
}

static int
skip_bytes (struct tar *t, uint64_t n, struct mr_error *err)
{
  while (n > 0)
    {
      size_t chunk = n > DATA_CHUNK ? DATA_CHUNK : (size_t)n;

      if (read_exact (t, t->buf, chunk, err) < 0)
        return -1;
      n -= chunk;
    }
  return 0;
}

static int
skip_data (struct tar *t, uint64_t size, struct mr_error *err)
{
  if (size > UINT64_MAX - BLOCK)
    return mr_error_set (err, "entry size %llu is too large", (unsigned long long)size);
  return skip_bytes (t, size + padding (size), err);
}

/* The data of an extended header or long name, NUL-terminated.  */
static int
read_blob (struct tar *t, uint64_t size, uint64_t max, char **out, struct mr_error *err)
{
  cleanup_free char *data = NULL;

  if (size > max)
    return mr_error_set (err, "extended header of %llu bytes at byte %llu is too large",
                         (unsigned long long)size, t->offset);
  data = malloc ((size_t)size + 1);
  if (data == NULL)
    return mr_error_errno (err, ENOMEM, "read archive");
  if (read_exact (t, data, (size_t)size, err) < 0 || skip_bytes (t, padding (size), err) < 0)
    return -1;
  data[size] = '\0';
  *out = steal_pointer (&data);
  return 0;
}

/* --- creating entries ----------------------------------------------------- */

/* The directory that holds path, resolved and made inside the root; *leaf
   points at the last component.  */
static int
open_parent (struct tar *t, const char *path, const char **leaf, struct mr_error *err)
{
  const char *slash = strrchr (path, '/');
  cleanup_free char *parent = NULL;

  if (slash == NULL)
    {
      *leaf = path;
      return mr_mkdir_in_root (t->rootfd, "", 0755, err);
    }
  *leaf = slash + 1;
  parent = strndup (path, (size_t)(slash - path));
  if (parent == NULL)
    return mr_error_errno (err, ENOMEM, "mkdir");
  return mr_mkdir_in_root (t->rootfd, parent, 0755, err);
}

/* Clears the way for a new entry at leaf: what is there is removed, never
   followed; a directory stays when a directory comes (the two merge).
   Returns 1 when an existing directory was kept, 0, or -1 (errno).  */
static int
make_room (int parentfd, const char *leaf, bool dir)
{
  struct stat st;

  if (fstatat (parentfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : -1;
  if (S_ISDIR (st.st_mode))
    {
      if (dir)
        return 1;
      return unlinkat (parentfd, leaf, AT_REMOVEDIR);
    }
  return unlinkat (parentfd, leaf, 0);
}

static void
set_xattrs (struct tar *t, int fd, const struct entry *e)
{
  if (!(t->flags & MR_TAR_XATTRS))
    return;
  /* Best effort: the file system may not take them, nor our privileges
     (security.*, trusted.*).  */
  for (size_t i = 0; i < e->ext->nxattrs; i++)
    if (mr_tar_xattr_allowed (e->ext->xattrs[i].name))
      (void)fsetxattr (fd, e->ext->xattrs[i].name, e->ext->xattrs[i].value, e->ext->xattrs[i].len,
                       0);
}

/* Owner before mode: chown clears the set-id bits.  */
static int
set_owner_mode (struct tar *t, int fd, const struct entry *e, mode_t mode)
{
  /* EINVAL: an id our user namespace does not map; the entry keeps ours.  */
  if ((t->flags & MR_TAR_SAME_OWNER) && fchown (fd, e->uid, e->gid) < 0 && errno != EINVAL)
    return -1;
  return fchmod (fd, mode);
}

static int
extract_file (struct tar *t, int parentfd, const char *leaf, const struct entry *e,
              struct mr_error *err)
{
  struct timespec ts[2] = { e->mtime, e->mtime };
  cleanup_close int fd = -1;
  uint64_t left = e->size;

  if (make_room (parentfd, leaf, false) < 0)
    return mr_error_errno (err, errno, "archive entry '%s': replace", e->raw);
  fd = openat (parentfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return mr_error_errno (err, errno, "archive entry '%s': create", e->raw);
  while (left > 0)
    {
      size_t chunk = left > DATA_CHUNK ? DATA_CHUNK : (size_t)left;

      if (read_exact (t, t->buf, chunk, err) < 0)
        return mr_error_prefix (err, "archive entry '%s'", e->raw);
      if (mr_write_all (fd, t->buf, chunk) < 0)
        return mr_error_errno (err, errno, "archive entry '%s': write", e->raw);
      left -= chunk;
    }
  if (skip_bytes (t, padding (e->size), err) < 0)
    return mr_error_prefix (err, "archive entry '%s'", e->raw);
  if (set_owner_mode (t, fd, e, e->mode) < 0)
    return mr_error_errno (err, errno, "archive entry '%s': set owner and mode", e->raw);
  set_xattrs (t, fd, e);
  if (futimens (fd, ts) < 0)
    return mr_error_errno (err, errno, "archive entry '%s': set times", e->raw);
  return 0;
}

static int
add_fixup (struct tar *t, const char *path, mode_t mode, struct timespec mtime)
{
  if (t->ndirs == t->dirs_alloc)
    {
      size_t n = t->dirs_alloc ? t->dirs_alloc * 2 : 64;
      struct dir_fixup *d = realloc (t->dirs, n * sizeof *d);

      if (d == NULL)
        return -1;
      t->dirs = d;
      t->dirs_alloc = n;
    }
  t->dirs[t->ndirs].path = strdup (path);
  if (t->dirs[t->ndirs].path == NULL)
    return -1;
  t->dirs[t->ndirs].mode = mode;
  t->dirs[t->ndirs].mtime = mtime;
  t->ndirs++;
  return 0;
}

static int
extract_dir (struct tar *t, int parentfd, const char *leaf, const struct entry *e,
             struct mr_error *err)
{
  cleanup_close int fd = -1;
  int r;

  if (*e->path == '\0')
    fd = openat (t->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  else
    {
      r = make_room (parentfd, leaf, true);
      if (r < 0)
        return mr_error_errno (err, errno, "archive entry '%s': replace", e->raw);
      if (r == 0 && mkdirat (parentfd, leaf, 0700) < 0)
        return mr_error_errno (err, errno, "archive entry '%s': mkdir", e->raw);
      fd = openat (parentfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
  if (fd < 0)
    return mr_error_errno (err, errno, "archive entry '%s': open", e->raw);
  /* Until the end, a directory stays writable and searchable for us, so
     that what the archive puts inside can be created.  */
  if (set_owner_mode (t, fd, e, e->mode | S_IRWXU) < 0)
    return mr_error_errno (err, errno, "archive entry '%s': set owner and mode", e->raw);
  set_xattrs (t, fd, e);
  if (add_fixup (t, e->path, e->mode, e->mtime) < 0)
    return mr_error_errno (err, ENOMEM, "archive entry '%s'", e->raw);
  return 0;
}

static int
set_attrs_at (struct tar *t, int parentfd, const char *leaf, const struct entry *e, bool chmod)
{
  struct timespec ts[2] = { e->mtime, e->mtime };

  if ((t->flags & MR_TAR_SAME_OWNER)
      && fchownat (parentfd, leaf, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL)
    return -1;
  /* Follows a symlink, but leaf is the node just made here, by us.  */
  if (chmod && fchmodat (parentfd, leaf, e->mode, 0) < 0)
    return -1;
  return utimensat (parentfd, leaf, ts, AT_SYMLINK_NOFOLLOW);
}

static int
extract_symlink (struct tar *t, int parentfd, const char *leaf, const struct entry *e,
                 struct mr_error *err)
{
  if (*e->link == '\0')
    return mr_error_set (err, "archive entry '%s': symlink with an empty target", e->raw);
  if (make_room (parentfd, leaf, false) < 0)
    return mr_error_errno (err, errno, "archive entry '%s': replace", e->raw);
  if (symlinkat (e->link, parentfd, leaf) < 0)
    return mr_error_errno (err, errno, "archive entry '%s': symlink", e->raw);
  if (set_attrs_at (t, parentfd, leaf, e, false) < 0)
    return mr_error_errno (err, errno, "archive entry '%s': set owner and times", e->raw);
  return 0;
}

static int
extract_node (struct tar *t, int parentfd, const char *leaf, const struct entry *e,
              struct mr_error *err)
{
  mode_t fmt = e->type == '3' ? S_IFCHR : e->type == '4' ? S_IFBLK : S_IFIFO;

  if (fmt != S_IFIFO && !(t->flags & MR_TAR_DEVICES))
    return 0;
  if (make_room (parentfd, leaf, false) < 0)
    return mr_error_errno (err, errno, "archive entry '%s': replace", e->raw);
  if (mknodat (parentfd, leaf, fmt | 0600, makedev (e->major, e->minor)) < 0)
    {
      /* Not allowed to make devices (a user namespace): a container gets
         its /dev from the runtime anyway.  */
      if (fmt != S_IFIFO && errno == EPERM)
        return 0;
      return mr_error_errno (err, errno, "archive entry '%s': mknod", e->raw);
    }
  if (set_attrs_at (t, parentfd, leaf, e, true) < 0)
    return mr_error_errno (err, errno, "archive entry '%s': set owner, mode and times", e->raw);
  return 0;
}

static int
extract_hardlink (struct tar *t, int parentfd, const char *leaf, const struct entry *e,
                  struct mr_error *err)
{
  cleanup_free char *target = NULL;
  cleanup_close int tparentfd = -1;
  const char *tleaf, *slash;
  struct stat tst, st;

  if (mr_tar_clean_path (e->link, &target, err) < 0)
    return mr_error_set (err,
                         "archive entry '%s': hard link target '%s' has a '..' component "
                         "(a link must point inside the archive)",
                         e->raw, e->link);
  if (*target == '\0')
    return mr_error_set (err, "archive entry '%s': hard link to the top directory", e->raw);
  if (strcmp (target, e->path) == 0)
    return 0;
  slash = strrchr (target, '/');
  if (slash)
    {
      cleanup_free char *tparent = strndup (target, (size_t)(slash - target));

      if (tparent == NULL)
        return mr_error_errno (err, ENOMEM, "archive entry '%s'", e->raw);
      tleaf = slash + 1;
      tparentfd = mr_open_in_root (t->rootfd, tparent, O_PATH | O_DIRECTORY, 0, err);
    }
  else
    {
      tleaf = target;
      tparentfd = mr_open_in_root (t->rootfd, ".", O_PATH | O_DIRECTORY, 0, err);
    }
  if (tparentfd < 0)
    return mr_error_prefix (err, "archive entry '%s': hard link target '%s'", e->raw, e->link);
  if (fstatat (tparentfd, tleaf, &tst, AT_SYMLINK_NOFOLLOW) < 0)
    return mr_error_errno (err, errno, "archive entry '%s': hard link target '%s'", e->raw,
                           e->link);
  /* Already the same file (reached through a symlink): nothing to do.  */
  if (fstatat (parentfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == tst.st_dev
      && st.st_ino == tst.st_ino)
    return 0;
  if (make_room (parentfd, leaf, false) < 0)
    return mr_error_errno (err, errno, "archive entry '%s': replace", e->raw);
  /* No AT_SYMLINK_FOLLOW: a symlink target is linked itself, never what it
     points to.  */
  if (linkat (tparentfd, tleaf, parentfd, leaf, 0) < 0)
    return mr_error_errno (err, errno, "archive entry '%s': hard link to '%s'", e->raw, e->link);
  return 0;
}

static int
extract_entry (struct tar *t, const struct entry *e, struct mr_error *err)
{
  cleanup_close int parentfd = -1;
  const char *leaf = "";

  if (*e->path == '\0' && e->type != '5')
    return mr_error_set (err, "archive entry '%s': not a directory, but names the top directory",
                         e->raw);
  if (*e->path)
    {
      parentfd = open_parent (t, e->path, &leaf, err);
      if (parentfd < 0)
        return mr_error_prefix (err, "archive entry '%s'", e->raw);
    }
  switch (e->type)
    {
    case '5':
      return extract_dir (t, parentfd, leaf, e, err);
    case '1':
      return extract_hardlink (t, parentfd, leaf, e, err);
    case '2':
      return extract_symlink (t, parentfd, leaf, e, err);
    case '3':
    case '4':
    case '6':
      return extract_node (t, parentfd, leaf, e, err);
    default:
      return extract_file (t, parentfd, leaf, e, err);
    }
}

static int
apply_fixups (struct tar *t, struct mr_error *err)
{
  /* Last first: a directory's time is set after its subdirectories'.  */
  for (size_t i = t->ndirs; i-- > 0;)
    {
      struct dir_fixup *d = &t->dirs[i];
      struct timespec ts[2] = { d->mtime, d->mtime };
      struct mr_error ignored = { 0 };
      cleanup_close int fd = -1;

      fd = mr_open_in_root (t->rootfd, d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, &ignored);
      /* A later entry replaced it.  */
      if (fd < 0)
        continue;
      if (fchmod (fd, d->mode) < 0 || futimens (fd, ts) < 0)
        return mr_error_errno (err, errno, "archive entry '%s': set mode and times", d->path);
    }
  return 0;
}

/* --- the archive ---------------------------------------------------------- */

static char *
header_name (const struct header *h)
{
  char name[sizeof h->name + 1], prefix[sizeof h->prefix + 1];
  char *out;

  memcpy (name, h->name, sizeof h->name);
  name[sizeof h->name] = '\0';
  /* The prefix field exists in POSIX ustar only; GNU keeps other data
     there.  */
  if (memcmp (h->magic, "ustar\0", 6) == 0 && h->prefix[0])
    {
      memcpy (prefix, h->prefix, sizeof h->prefix);
      prefix[sizeof h->prefix] = '\0';
      if (asprintf (&out, "%s/%s", prefix, name) < 0)
        return NULL;
      return out;
    }
  return strdup (name);
}

static int
do_member (struct tar *t, const struct header *h, uint64_t size, struct ext *x,
           struct mr_error *err)
{
  cleanup_free char *hname = NULL;
  cleanup_free char *hlink = NULL;
  cleanup_free char *path = NULL;
  struct entry e = { .type = h->typeflag, .size = size, .ext = x };
  uint64_t mode, uid, gid, mtime, major, minor;

  hname = header_name (h);
  hlink = strndup (h->linkname, sizeof h->linkname);
  if (hname == NULL || hlink == NULL)
    return mr_error_errno (err, ENOMEM, "read archive");
  e.raw = x->path ? x->path : hname;
  e.link = x->linkpath ? x->linkpath : hlink;

  if (parse_numeric (h->mode, sizeof h->mode, &mode) < 0
      || parse_numeric (h->uid, sizeof h->uid, &uid) < 0
      || parse_numeric (h->gid, sizeof h->gid, &gid) < 0
      || parse_numeric (h->mtime, sizeof h->mtime, &mtime) < 0
      || parse_numeric (h->devmajor, sizeof h->devmajor, &major) < 0
      || parse_numeric (h->devminor, sizeof h->devminor, &minor) < 0)
    return mr_error_set (err, "archive entry '%s': invalid numeric field in its header", e.raw);
  if (x->has_uid)
    uid = x->uid;
  if (x->has_gid)
    gid = x->gid;
  if (x->has_major)
    major = x->major;
  if (x->has_minor)
    minor = x->minor;
  if (uid > UINT32_MAX - 1 || gid > UINT32_MAX - 1 || major > UINT32_MAX || minor > UINT32_MAX
      || mtime > INT64_MAX)
    return mr_error_set (err, "archive entry '%s': id or time out of range", e.raw);
  e.mode = (mode_t)(mode & 07777);
  e.uid = (uid_t)uid;
  e.gid = (gid_t)gid;
  e.major = (unsigned)major;
  e.minor = (unsigned)minor;
  e.mtime.tv_sec = (time_t)mtime;
  if (x->has_mtime)
    e.mtime = x->mtime;

  switch (e.type)
    {
    case '0':
    case '\0':
    case '7':
      /* Old archives mark directories with a trailing slash only.  */
      if (*e.raw && e.raw[strlen (e.raw) - 1] == '/')
        {
          e.type = '5';
          if (skip_data (t, size, err) < 0)
            return -1;
        }
      break;
    case 'D': /* GNU dumpdir: a directory and a list of its names */
      e.type = '5';
      if (skip_data (t, size, err) < 0)
        return -1;
      break;
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
      /* No data follows these, whatever the size field says.  */
      break;
    case 'V': /* a volume label, not a file */
      return skip_data (t, size, err);
    case 'S':
      return mr_error_set (err, "archive entry '%s': sparse files are not supported", e.raw);
    default:
      if (h->typeflag >= 0x20 && h->typeflag < 0x7f)
        return mr_error_set (err, "archive entry '%s': unsupported entry type '%c'", e.raw,
                             h->typeflag);
      return mr_error_set (err, "archive entry '%s': unsupported entry type 0x%02x", e.raw,
                           (unsigned char)h->typeflag);
    }

  if (mr_tar_clean_path (e.raw, &path, err) < 0)
    return mr_error_set (err, "archive entry '%s': a '..' component is not allowed", e.raw);
  e.path = path;
  return extract_entry (t, &e, err);
}

static int
do_header (struct tar *t, const struct header *h, struct ext *x, struct mr_error *err)
{
  uint64_t size;
  char *blob = NULL;
  int r;

  if (parse_numeric (h->size, sizeof h->size, &size) < 0)
    return mr_error_set (err, "invalid size field in the header at byte %llu", t->offset - BLOCK);
  switch (h->typeflag)
    {
    case 'x':
      if (read_blob (t, size, MAX_PAX_SIZE, &blob, err) < 0)
        return -1;
      r = parse_pax (blob, (size_t)size, x, err);
      free (blob);
      return r;
    case 'g':
      /* Global pax headers set defaults for names and times that the
         members' own headers carry anyway.  */
      return skip_data (t, size, err);
    case 'L':
    case 'K':
      if (read_blob (t, size, MAX_LONG_NAME, &blob, err) < 0)
        return -1;
      if (h->typeflag == 'L')
        {
          free (x->path);
          x->path = blob;
        }
      else
        {
          free (x->linkpath);
          x->linkpath = blob;
        }
      return 0;
    default:
      r = do_member (t, h, x->has_size ? x->size : size, x, err);
      ext_reset (x);
      return r;
    }
}

int
mr_tar_extract (int fd, int rootfd, unsigned flags, struct mr_error *err)
{
  struct tar t = { .fd = fd, .rootfd = rootfd, .flags = flags };
  struct ext x = { 0 };
  unsigned char block[BLOCK];
  int ret = -1;

  t.buf = malloc (DATA_CHUNK);
  if (t.buf == NULL)
    return mr_error_errno (err, ENOMEM, "read archive");
  for (;;)
    {
      ssize_t r = read_full (fd, block, BLOCK);

      if (r < 0)
        {
          mr_error_errno (err, errno, "read archive");
          goto out;
        }
      if (r == 0 && t.offset == 0)
        {
          mr_error_set (err, "the archive is empty");
          goto out;
        }
      if (r == 0 && (x.path || x.linkpath || x.has_size))
        {
          mr_error_set (err, "unexpected end of archive after an extended header");
          goto out;
        }
      /* Writers end with two zero blocks; an archive cut right after an
         entry is accepted as GNU tar accepts it.  */
      if (r == 0)
        break;
      if (r < BLOCK)
        {
          mr_error_set (err, "unexpected end of archive at byte %llu", t.offset + (size_t)r);
          goto out;
        }
      t.offset += BLOCK;
      if (is_zero_block (block))
        break;
      if (!mr_tar_header_valid (block))
        {
          mr_error_set (err,
                        "not a tar archive, or a corrupted one: bad header checksum at byte %llu",
                        t.offset - BLOCK);
          goto out;
        }
      if (do_header (&t, (const struct header *)block, &x, err) < 0)
        goto out;
    }
  ret = apply_fixups (&t, err);
out:
  ext_reset (&x);
  for (size_t i = 0; i < t.ndirs; i++)
    free (t.dirs[i].path);
  free (t.dirs);
  free (t.buf);
  return ret;
}

/* --- compressed archives -------------------------------------------------- */

static const struct
{
  const char *tool;
  const char *package;
} decompressors[] = {
  [MR_COMPRESSION_GZIP] = { "gzip", "gzip" },
  [MR_COMPRESSION_XZ] = { "xz", "xz-utils" },
  [MR_COMPRESSION_ZSTD] = { "zstd", "zstd" },
  [MR_COMPRESSION_BZIP2] = { "bzip2", "bzip2" },
};

/* Runs "TOOL -dc" with infd as its input and errfd as its error output;
 *outfd reads what it writes.  */
static int
spawn_decompressor (enum mr_compression c, int infd, int errfd, pid_t *pid, int *outfd,
                    struct mr_error *err)
{
  const char *tool = decompressors[c].tool;
  char *argv[] = { (char *)tool, (char *)"-dc", NULL };
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t none, dfl;
  int p[2], r;

  if (pipe2 (p, O_CLOEXEC) < 0)
    return mr_error_errno (err, errno, "pipe");
  sigemptyset (&none);
  sigfillset (&dfl);
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, infd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2 (&fa, p[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2 (&fa, errfd, STDERR_FILENO);
  posix_spawnattr_init (&attr);
  posix_spawnattr_setsigmask (&attr, &none);
  /* A caller that ignores SIGPIPE must not make the tool spin on EPIPE
     when we stop reading early, nor pass on what else it ignores.  */
  posix_spawnattr_setsigdefault (&attr, &dfl);
  posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  r = posix_spawnp (pid, tool, &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  posix_spawnattr_destroy (&attr);
  close (p[1]);
  if (r != 0)
    {
      close (p[0]);
      if (r == ENOENT)
        return mr_error_set (
            err, "'%s' is needed to unpack a %s-compressed archive: install the %s package", tool,
            tool, decompressors[c].package);
      return mr_error_errno (err, r, "run '%s'", tool);
    }
  *outfd = p[0];
  return 0;
}

/* The first line the tool wrote on its error output.  */
static void
first_error_line (int errfd, char *buf, size_t size)
{
  ssize_t n = pread (errfd, buf, size - 1, 0);
  char *line = buf;

  if (n < 0)
    n = 0;
  buf[n] = '\0';
  /* gzip starts with a newline when its output breaks mid-line.  */
  line += strspn (line, "\n");
  line[strcspn (line, "\n")] = '\0';
  memmove (buf, line, strlen (line) + 1);
}

int
mr_tar_extract_file (int fd, const char *name, int rootfd, unsigned flags, struct mr_error *err)
{
  unsigned char head[BLOCK];
  enum mr_compression c;
  cleanup_close int errfd = -1;
  cleanup_close int outfd = -1;
  char msg[256];
  ssize_t n = 0;
  pid_t pid;
  int status = 0, ret;

  while (n < BLOCK)
    {
      ssize_t r = pread (fd, head + n, BLOCK - (size_t)n, n);

      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return mr_error_errno (err, errno, "read '%s'", name);
      if (r == 0)
        break;
      n += r;
    }
  if (n == 0)
    return mr_error_set (err, "'%s' is empty", name);
  /* A plain archive first: a member's name could start like a magic.  */
  if (n == BLOCK && (is_zero_block (head) || mr_tar_header_valid (head)))
    {
      if (lseek (fd, 0, SEEK_SET) < 0)
        return mr_error_errno (err, errno, "seek '%s'", name);
      return mr_tar_extract (fd, rootfd, flags, err);
    }
  c = mr_compression_detect (head, (size_t)n);
  if (c == MR_COMPRESSION_NONE)
    return mr_error_set (err,
                         "'%s' is not a tar archive (plain, or compressed with gzip, xz, zstd "
                         "or bzip2)",
                         name);
  if (lseek (fd, 0, SEEK_SET) < 0)
    return mr_error_errno (err, errno, "seek '%s'", name);
  errfd = memfd_create ("decompressor-errors", MFD_CLOEXEC);
  if (errfd < 0)
    return mr_error_errno (err, errno, "memfd_create");
  if (spawn_decompressor (c, fd, errfd, &pid, &outfd, err) < 0)
    return -1;

  ret = mr_tar_extract (outfd, rootfd, flags, err);
  if (ret == 0)
    {
      /* What follows the end-of-archive blocks (record padding), so that
         the tool ends normally and its status means something.  */
      char buf[4096];

      for (;;)
        {
          ssize_t r = read (outfd, buf, sizeof buf);

          if (r > 0 || (r < 0 && errno == EINTR))
            continue;
          break;
        }
    }
  close (steal_fd (&outfd));
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      {
        /* SIGCHLD ignored by the caller: the child was reaped for us, its
           status is lost; the archive's own checks still stand.  */
        status = 0;
        break;
      }
  if (WIFSIGNALED (status) && WTERMSIG (status) == SIGPIPE && ret < 0)
    return ret;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      /* The tool's complaint (a corrupted stream) is the root cause of
         whatever the reader then saw.  */
      first_error_line (errfd, msg, sizeof msg);
      if (WIFSIGNALED (status))
        return mr_error_set (err, "'%s -dc' killed by signal %d%s%s", decompressors[c].tool,
                             WTERMSIG (status), *msg ? ": " : "", msg);
      return mr_error_set (err, "'%s -dc' failed with exit status %d%s%s", decompressors[c].tool,
                           WEXITSTATUS (status), *msg ? ": " : "", msg);
    }
  return ret;
}
