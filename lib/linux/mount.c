#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/creds.h"
#include "linux/dev.h"
#include "linux/mount-internal.h"
#include "linux/mount.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/path.h"

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

#define PROPAGATION_FLAGS (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)
/* Flags that mean an operation, not a property of the new mount.  */
#define OPERATION_FLAGS (MS_BIND | MS_REC | MS_REMOUNT | MS_MOVE | PROPAGATION_FLAGS)
#define LOCKABLE_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)

#define DEFAULT_DEVPTS_DATA "newinstance,ptmxmode=0666,mode=0620"
#define CGROUP_ROOT "/sys/fs/cgroup"

/* /proc/self/fd/N names the very object an fd holds: a mount made through
   it cannot be redirected by a symlink swapped in after the lookup.  */
#define FD_PATH_MAX 32

static const char *
fd_path (char buf[FD_PATH_MAX], int fd)
{
  snprintf (buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
  return buf;
}

/* The new mount API (Linux 5.2, mount_setattr 5.12), through syscall(2):
   callers fall back where the kernel answers ENOSYS.  */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif

static int
sys_open_tree (int dfd, const char *path, unsigned int flags)
{
#ifdef SYS_open_tree
  return (int)syscall (SYS_open_tree, dfd, path, flags);
#else
  errno = ENOSYS;
  return -1;
#endif
}

static int
sys_move_mount (int from_dfd, const char *from, int to_dfd, const char *to, unsigned int flags)
{
#ifdef SYS_move_mount
  return (int)syscall (SYS_move_mount, from_dfd, from, to_dfd, to, flags);
#else
  errno = ENOSYS;
  return -1;
#endif
}

static int
sys_mount_setattr (int dfd, const char *path, unsigned int flags, struct mount_attr *attr)
{
#ifdef SYS_mount_setattr
  return (int)syscall (SYS_mount_setattr, dfd, path, flags, attr, sizeof *attr);
#else
  errno = ENOSYS;
  return -1;
#endif
}

/* --- pure helpers ---------------------------------------------------------- */

bool
mr_mount_is_bind (const struct mr_spec_mount *m)
{
  return m->type == NULL || strcmp (m->type, "bind") == 0 || strcmp (m->type, "rbind") == 0
         || (m->flags & MS_BIND);
}

unsigned long
mr_mount_flags_from_statfs (unsigned long f_flags)
{
  unsigned long r = 0;

  if (f_flags & ST_RDONLY)
    r |= MS_RDONLY;
  if (f_flags & ST_NOSUID)
    r |= MS_NOSUID;
  if (f_flags & ST_NODEV)
    r |= MS_NODEV;
  if (f_flags & ST_NOEXEC)
    r |= MS_NOEXEC;
  return r;
}

static bool
option_is (const char *opt, size_t len, const char *key)
{
  size_t klen = strlen (key);

  return len >= klen && strncmp (opt, key, klen) == 0 && (len == klen || opt[klen] == '=');
}

bool
mr_mount_data_has (const char *data, const char *key)
{
  const char *p = data;

  while (p && *p)
    {
      size_t len = strcspn (p, ",");
      if (option_is (p, len, key))
        return true;
      p += len;
      if (*p == ',')
        p++;
    }
  return false;
}

char *
mr_mount_data_without (const char *data, const char *key)
{
  char *out = malloc (strlen (data ? data : "") + 1);
  const char *p = data;
  size_t n = 0;

  if (out == NULL)
    return NULL;
  while (p && *p)
    {
      size_t len = strcspn (p, ",");
      if (len > 0 && !option_is (p, len, key))
        {
          if (n > 0)
            out[n++] = ',';
          memcpy (out + n, p, len);
          n += len;
        }
      p += len;
      if (*p == ',')
        p++;
    }
  out[n] = '\0';
  return out;
}

static void
unescape_octal (char *s)
{
  char *w = s;

  for (char *r = s; *r;)
    {
      if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0'
          && r[3] <= '7')
        {
          *w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
          r += 4;
        }
      else
        *w++ = *r++;
    }
  *w = '\0';
}

static int
parse_int (const char *s, int *out)
{
  char *end;
  long v;

  errno = 0;
  v = strtol (s, &end, 10);
  if (errno || end == s || *end || v < 0 || v > 0x7fffffff)
    return -1;
  *out = (int)v;
  return 0;
}

int
mr_mountinfo_parse_line (char *line, struct mr_mountinfo *out)
{
  char *fields[6];
  char *save = NULL, *tok;
  size_t i;

  memset (out, 0, sizeof *out);
  line[strcspn (line, "\n")] = '\0';
  for (i = 0; i < 6; i++)
    {
      fields[i] = strtok_r (i == 0 ? line : NULL, " ", &save);
      if (fields[i] == NULL)
        return -1;
    }
  /* Optional fields up to the "-" separator.  */
  for (;;)
    {
      tok = strtok_r (NULL, " ", &save);
      if (tok == NULL)
        return -1;
      if (strcmp (tok, "-") == 0)
        break;
      if (strncmp (tok, "shared:", 7) == 0)
        out->shared = true;
    }
  out->fstype = strtok_r (NULL, " ", &save);
  out->source = strtok_r (NULL, " ", &save);
  out->super_options = strtok_r (NULL, " ", &save);
  if (out->fstype == NULL || out->source == NULL || out->super_options == NULL)
    return -1;
  if (parse_int (fields[0], &out->id) < 0 || parse_int (fields[1], &out->parent) < 0)
    return -1;
  out->root = fields[3];
  out->mountpoint = fields[4];
  out->options = fields[5];
  unescape_octal (out->root);
  unescape_octal (out->mountpoint);
  unescape_octal (out->source);
  return 0;
}

char *
mr_cgroup1_controllers (const char *super_options)
{
  static const char *const not_controllers[] = { "rw",
                                                 "ro",
                                                 "noprefix",
                                                 "xattr",
                                                 "clone_children",
                                                 "cpuset_v2_mode",
                                                 "favordynmods",
                                                 "nofavordynmods",
                                                 "none",
                                                 NULL };
  char *out = malloc (strlen (super_options) + 1);
  const char *p = super_options;
  size_t n = 0;

  if (out == NULL)
    return NULL;
  while (*p)
    {
      size_t len = strcspn (p, ",");
      bool keep = len > 0 && !option_is (p, len, "release_agent");

      for (size_t i = 0; keep && not_controllers[i]; i++)
        if (len == strlen (not_controllers[i]) && strncmp (p, not_controllers[i], len) == 0)
          keep = false;
      if (keep)
        {
          if (n > 0)
            out[n++] = ',';
          memcpy (out + n, p, len);
          n += len;
        }
      p += len;
      if (*p == ',')
        p++;
    }
  out[n] = '\0';
  return out;
}

char *
mr_cgroup_self_path (const char *proc_self_cgroup, const char *controllers)
{
  const char *line = proc_self_cgroup;
  size_t clen = strlen (controllers);

  while (line && *line)
    {
      const char *eol = strchr (line, '\n');
      const char *c1 = memchr (line, ':', eol ? (size_t)(eol - line) : strlen (line));
      const char *end = eol ? eol : line + strlen (line);
      const char *c2 = c1 ? memchr (c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;

      if (c2 && (size_t)(c2 - c1 - 1) == clen && strncmp (c1 + 1, controllers, clen) == 0)
        return strndup (c2 + 1, (size_t)(end - c2 - 1));
      line = eol ? eol + 1 : NULL;
    }
  return NULL;
}

/* --- tmpcopyup ---------------------------------------------------------------- */

static int
copy_attrs_fd (int fd, const struct stat *st)
{
  struct timespec ts[2] = { st->st_atim, st->st_mtim };

  /* EINVAL: an id the user namespace does not map; the copy keeps ours.  */
  if (fchown (fd, st->st_uid, st->st_gid) < 0 && errno != EINVAL)
    return -1;
  /* After chown, which drops set-id bits.  */
  if (fchmod (fd, st->st_mode & 07777) < 0)
    return -1;
  return futimens (fd, ts);
}

static int
copy_attrs_at (int dirfd, const char *name, const struct stat *st)
{
  struct timespec ts[2] = { st->st_atim, st->st_mtim };

  if (fchownat (dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL)
    return -1;
  if (!S_ISLNK (st->st_mode) && fchmodat (dirfd, name, st->st_mode & 07777, 0) < 0)
    return -1;
  return utimensat (dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
}

static int
copy_data (int in, int out)
{
  cleanup_free char *buf = malloc (65536);

  if (buf == NULL)
    {
      errno = ENOMEM;
      return -1;
    }
  for (;;)
    {
      ssize_t r = read (in, buf, 65536);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      if (r == 0)
        return 0;
      if (mr_write_all (out, buf, (size_t)r) < 0)
        return -1;
    }
}

static int copy_dir (int srcfd, int dstfd, const char *rel, struct mr_error *err);

static int
copy_entry (int srcfd, int dstfd, const char *name, const char *rel, struct mr_error *err)
{
  cleanup_free char *path = NULL;
  cleanup_close int s = -1;
  cleanup_close int d = -1;
  struct stat st;

  if (mr_asprintf (err, &path, "%s%s%s", rel, *rel ? "/" : "", name) < 0)
    return -1;
  if (fstatat (srcfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return mr_error_errno (err, errno, "stat '%s'", path);

  switch (st.st_mode & S_IFMT)
    {
    case S_IFDIR:
      s = openat (srcfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (s < 0)
        return mr_error_errno (err, errno, "open '%s'", path);
      if (mkdirat (dstfd, name, 0700) < 0 && errno != EEXIST)
        return mr_error_errno (err, errno, "mkdir '%s'", path);
      d = openat (dstfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (d < 0)
        return mr_error_errno (err, errno, "open '%s'", path);
      if (copy_dir (s, d, path, err) < 0)
        return -1;
      if (copy_attrs_fd (d, &st) < 0)
        return mr_error_errno (err, errno, "set attributes of '%s'", path);
      return 0;

    case S_IFREG:
      s = openat (srcfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
      if (s < 0)
        return mr_error_errno (err, errno, "open '%s'", path);
      d = openat (dstfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (d < 0)
        return mr_error_errno (err, errno, "create '%s'", path);
      if (copy_data (s, d) < 0)
        return mr_error_errno (err, errno, "copy '%s'", path);
      if (copy_attrs_fd (d, &st) < 0)
        return mr_error_errno (err, errno, "set attributes of '%s'", path);
      return 0;

    case S_IFLNK:
      if (mr_copy_symlink_at (srcfd, name, dstfd, (size_t)st.st_size, path, err) < 0)
        return -1;
      break;

    case S_IFIFO:
    case S_IFCHR:
    case S_IFBLK:
      if (mknodat (dstfd, name, st.st_mode & (S_IFMT | 07777), st.st_rdev) < 0)
        return mr_error_errno (err, errno, "mknod '%s'", path);
      break;

    default:
      /* A socket is only meaningful bound by a live process.  */
      return 0;
    }
  if (copy_attrs_at (dstfd, name, &st) < 0)
    return mr_error_errno (err, errno, "set attributes of '%s'", path);
  return 0;
}

static int
copy_dir (int srcfd, int dstfd, const char *rel, struct mr_error *err)
{
  cleanup_closedir DIR *dir = NULL;
  struct dirent *de;
  int fd;

  fd = openat (srcfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return mr_error_errno (err, errno, "open '%s'", *rel ? rel : ".");
  dir = fdopendir (fd);
  if (dir == NULL)
    {
      close (fd);
      return mr_error_errno (err, errno, "open '%s'", *rel ? rel : ".");
    }
  for (;;)
    {
      errno = 0;
      de = readdir (dir);
      if (de == NULL)
        break;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (copy_entry (srcfd, dstfd, de->d_name, rel, err) < 0)
        return -1;
    }
  if (errno)
    return mr_error_errno (err, errno, "read directory '%s'", *rel ? rel : ".");
  return 0;
}

int
mr_copy_tree (int srcfd, int dstfd, struct mr_error *err)
{
  return copy_dir (srcfd, dstfd, "", err);
}

/* --- mounting ------------------------------------------------------------- */

/* The mount now on top of dest: the fd a target was opened as before the
   mount still names what the mount covers.  */
static int
reopen (int rootfd, const char *dest, struct mr_error *err)
{
  return mr_open_in_root (rootfd, dest, O_PATH, 0, err);
}

static int
set_propagation (int fd, const char *dest, unsigned long propagation, struct mr_error *err)
{
  char p[FD_PATH_MAX];

  if (propagation == 0)
    return 0;
  if (mount (NULL, fd_path (p, fd), NULL, propagation, NULL) < 0)
    return mr_error_errno (err, errno, "set propagation of '%s'", dest);
  return 0;
}

/* A bind mount starts with the flags of its source; changing them takes a
   remount.  It is read-write unless flags ask for read-only, whatever the
   source was; nosuid, nodev and noexec of the source stay unless cleared.
   A user namespace may not drop the flags a more privileged one locked
   (EPERM): then those of the source are kept, except one the spec clears
   explicitly, which is an error.  fd is the mount, target the path to
   reach it.  */
static int
remount_bind (int fd, const char *target, const char *dest, unsigned long flags,
              unsigned long clear, struct mr_error *err)
{
  unsigned long have, want, other;
  struct statfs sfs;

  if (fstatfs (fd, &sfs) < 0)
    return mr_error_errno (err, errno, "statfs '%s'", dest);
  have = mr_mount_flags_from_statfs (sfs.f_flags);
  want = ((flags & LOCKABLE_FLAGS) | (have & ~MS_RDONLY)) & ~clear;
  other = flags & ~(LOCKABLE_FLAGS | OPERATION_FLAGS) & ~clear;
  if (want == have && other == 0)
    return 0;
  if (mount (NULL, target, NULL, MS_BIND | MS_REMOUNT | want | other, NULL) == 0)
    return 0;
  if (errno == EPERM && (have & ~want & ~clear) != 0
      && mount (NULL, target, NULL, MS_BIND | MS_REMOUNT | want | (have & ~clear) | other, NULL)
             == 0)
    return 0;
  if (errno == EPERM && (have & clear & LOCKABLE_FLAGS))
    return mr_error_errno (
        err, errno,
        "remount '%s': its source's %s%s%s%sflags are locked by a more "
        "privileged mount namespace and cannot be cleared",
        dest, (have & clear & MS_RDONLY) ? "ro " : "", (have & clear & MS_NOSUID) ? "nosuid " : "",
        (have & clear & MS_NODEV) ? "nodev " : "", (have & clear & MS_NOEXEC) ? "noexec " : "");
  return mr_error_errno (err, errno, "remount '%s'", dest);
}

/* rro, rnosuid, ... and the read-only of an "rbind,ro": applied to every
   mount of the tree at dest.  */
static int
set_recursive_attrs (int rootfd, const struct mr_spec_mount *m, const char *dest,
                     struct mr_error *err)
{
  struct mount_attr attr = { .attr_set = m->attr_set, .attr_clr = m->attr_clr };
  bool rbind_ro = mr_mount_is_bind (m) && (m->flags & MS_REC) && (m->flags & MS_RDONLY);
  cleanup_close int fd = -1;

  if (rbind_ro && !(attr.attr_clr & MOUNT_ATTR_RDONLY))
    attr.attr_set |= MOUNT_ATTR_RDONLY;
  if (attr.attr_set == 0 && attr.attr_clr == 0)
    return 0;
  fd = reopen (rootfd, dest, err);
  if (fd < 0)
    return mr_error_prefix (err, "mount on '%s'", dest);
  if (sys_mount_setattr (fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) == 0)
    return 0;
  /* "rbind,ro" before recursive attributes existed: the top mount only.  */
  if ((errno == ENOSYS || errno == EINVAL) && rbind_ro && m->attr_set == 0 && m->attr_clr == 0)
    return 0;
  if (errno == ENOSYS)
    return mr_error_errno (err, errno,
                           "mount on '%s': recursive mount options need mount_setattr "
                           "(Linux 5.12)",
                           dest);
  return mr_error_errno (err, errno, "set recursive mount options of '%s'", dest);
}

static int
bind_onto (int rootfd, const char *dest, const char *source, int targetfd, unsigned long flags,
           unsigned long clear, unsigned long propagation, struct mr_error *err)
{
  cleanup_close int fd = -1;
  char p[FD_PATH_MAX];

  if (mount (source, fd_path (p, targetfd), NULL, MS_BIND | (flags & MS_REC), NULL) < 0)
    return mr_error_errno (err, errno, "bind mount '%s' on '%s'", source, dest);
  fd = reopen (rootfd, dest, err);
  if (fd < 0)
    return mr_error_prefix (err, "bind mount '%s' on '%s'", source, dest);
  if (remount_bind (fd, fd_path (p, fd), dest, flags, clear, err) < 0)
    return -1;
  return set_propagation (fd, dest, propagation, err);
}

/* The target of a bind mount of a file: the entry already there, whatever
   it is (the mount reports a mismatch), or a new empty file, where a
   dangling symlink points if there is one (/etc/resolv.conf often is).  */
static int
file_target (int rootfd, const char *dest, struct mr_error *err)
{
  int fd = mr_open_in_root (rootfd, dest, O_PATH, 0, err);

  if (fd >= 0 || errno != ENOENT)
    return fd;
  return mr_create_in_root (rootfd, dest, O_WRONLY | O_NOCTTY | O_NONBLOCK, 0644, 0755, err);
}

/* The host uid that root of the container's user namespace is.  */
static long
mapped_root (const struct mr_spec *spec)
{
  for (size_t i = 0; i < spec->linux.n_uid_mappings; i++)
    if (spec->linux.uid_mappings[i].container_id == 0)
      return spec->linux.uid_mappings[i].host_id;
  return -1;
}

/* In a user namespace the mount point an image lacks is made by the
   namespace's root, which may not write there: the message says what
   to do.  Returns -1.  */
static int
mountpoint_hint (const struct mr_rootfs_opts *opts, struct mr_error *err)
{
  size_t len = strlen (err->msg);
  long uid = mapped_root (opts->spec);

  if (opts->userns && uid >= 0 && (err->errnum == EACCES || err->errnum == EPERM))
    snprintf (err->msg + len, sizeof err->msg - len,
              " (the user namespace's root, host uid %ld, may not create it: make the mount "
              "point in the rootfs, or let that uid write to its parent)",
              uid);
  return -1;
}

static int
bind_source_error (const struct mr_rootfs_opts *opts, const struct mr_spec_mount *m,
                   const char *dest, int e, struct mr_error *err)
{
  long uid = mapped_root (opts->spec);

  if (opts->userns && (e == EACCES || e == EPERM))
    {
      if (uid >= 0)
        return mr_error_errno (
            err, e,
            "bind mount '%s' on '%s': the source is not reachable by the user namespace's "
            "root (host uid %ld): let that uid search every directory above it and read it "
            "(chmod o+x, or chown to the mapped ids)",
            m->source, dest, uid);
      return mr_error_errno (err, e,
                             "bind mount '%s' on '%s': the source is not reachable by the user "
                             "namespace's root: make it and the directories above it "
                             "accessible to the mapped ids",
                             m->source, dest);
    }
  return mr_error_errno (err, e, "bind mount '%s' on '%s'", m->source, dest);
}

static int
mount_bind_spec (const struct mr_rootfs_opts *opts, int rootfd, const struct mr_spec_mount *m,
                 int srcfd, const char *dest, struct mr_error *err)
{
  cleanup_close int targetfd = -1;
  cleanup_close int fd = -1;
  unsigned long flags = m->flags | MS_BIND;
  bool from_fd = false;
  char p[FD_PATH_MAX];
  struct stat st;

  if (m->source == NULL)
    return mr_error_set (err, "bind mount on '%s': no source", dest);
  if (m->type && strcmp (m->type, "rbind") == 0)
    flags |= MS_REC;
  /* The path first: it sees what earlier mounts put there.  What the
     namespace's root may not reach, the runtime opened for it, and made
     the id-mapped mounts.  */
  if (m->idmap)
    {
      if (srcfd < 0 || fstat (srcfd, &st) < 0)
        return mr_error_set (err, "id-mapped mount of '%s' on '%s': not prepared", m->source, dest);
      from_fd = true;
    }
  else if (stat (m->source, &st) < 0)
    {
      int e = errno;
      if (srcfd < 0 || fstat (srcfd, &st) < 0)
        return bind_source_error (opts, m, dest, e, err);
      from_fd = true;
    }
  if (S_ISDIR (st.st_mode))
    targetfd = mr_mkdir_in_root (rootfd, dest, 0755, err);
  else
    targetfd = file_target (rootfd, dest, err);
  if (targetfd < 0)
    {
      mountpoint_hint (opts, err);
      return mr_error_prefix (err, "bind mount '%s' on '%s'", m->source, dest);
    }
  /* a source the namespace may see but not bind (a tree with mounts
     locked below it): the runtime's clone again */
  if (!from_fd
      && mount (m->source, fd_path (p, targetfd), NULL, MS_BIND | (flags & MS_REC), NULL) < 0)
    {
      if (srcfd < 0 || (errno != EINVAL && errno != EPERM && errno != EACCES))
        return bind_source_error (opts, m, dest, errno, err);
      from_fd = true;
    }
  if (from_fd
      && sys_move_mount (srcfd, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)
             < 0)
    return mr_error_errno (err, errno, "bind mount '%s' on '%s'", m->source, dest);
  fd = reopen (rootfd, dest, err);
  if (fd < 0)
    return mr_error_prefix (err, "bind mount '%s' on '%s'", m->source, dest);
  if (remount_bind (fd, fd_path (p, fd), dest, flags, m->clear_flags, err) < 0)
    return -1;
  return set_propagation (fd, dest, m->propagation, err);
}

/* A user namespace with these mappings, held by an fd: a child made in it
   waits until its maps are written and the namespace is opened.  */
static int
idmap_userns (const struct mr_spec_idmap *uids, size_t n_uids, const struct mr_spec_idmap *gids,
              size_t n_gids, struct mr_error *err)
{
  char path[64];
  int pipefd[2];
  int fd = -1;
  pid_t pid;

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return mr_error_errno (err, errno, "pipe");
  pid = (pid_t)syscall (SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL,
                        NULL);
  if (pid == 0)
    {
      char c;
      close (pipefd[1]);
      while (read (pipefd[0], &c, 1) < 0 && errno == EINTR)
        ;
      _exit (0);
    }
  close (pipefd[0]);
  if (pid < 0)
    {
      close (pipefd[1]);
      return mr_error_errno (err, errno, "create a user namespace for an id-mapped mount");
    }
  snprintf (path, sizeof path, "/proc/%d/ns/user", (int)pid);
  if (mr_idmap_write (pid, "uid_map", uids, n_uids, err) == 0
      && mr_idmap_write (pid, "gid_map", gids, n_gids, err) == 0)
    {
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        mr_error_errno (err, errno, "open '%s'", path);
    }
  close (pipefd[1]);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return fd;
}

static int
open_idmapped (const struct mr_spec *spec, const struct mr_spec_mount *m, unsigned int flags,
               struct mr_error *err)
{
  const struct mr_spec_idmap *uids = m->uid_mappings, *gids = m->gid_mappings;
  size_t n_uids = m->n_uid_mappings, n_gids = m->n_gid_mappings;
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };
  cleanup_close int userns = -1;
  cleanup_close int fd = -1;

  if (n_uids == 0)
    {
      uids = spec->linux.uid_mappings;
      n_uids = spec->linux.n_uid_mappings;
      gids = spec->linux.gid_mappings;
      n_gids = spec->linux.n_gid_mappings;
    }
  if (n_uids == 0 || n_gids == 0)
    return mr_error_set (err,
                         "id-mapped mount of '%s' on '%s': no mappings (give the mount's "
                         "uidMappings and gidMappings, or the container's)",
                         m->source, m->destination);
  fd = sys_open_tree (AT_FDCWD, m->source, flags);
  if (fd < 0 && errno == ENOSYS)
    return mr_error_errno (err, errno, "id-mapped mount of '%s': it needs Linux 5.12", m->source);
  if (fd < 0)
    return mr_error_errno (err, errno, "id-mapped mount of '%s' on '%s'", m->source,
                           m->destination);
  userns = idmap_userns (uids, n_uids, gids, n_gids, err);
  if (userns < 0)
    return mr_error_prefix (err, "id-mapped mount of '%s' on '%s'", m->source, m->destination);
  attr.userns_fd = (uint64_t)userns;
  if (sys_mount_setattr (fd, "", AT_EMPTY_PATH | (m->idmap_recursive ? AT_RECURSIVE : 0), &attr)
      < 0)
    {
      int e = errno;
      if (e == EINVAL || e == EOPNOTSUPP)
        return mr_error_errno (err, e,
                               "id-mapped mount of '%s' on '%s': its file system does not "
                               "support id-mapped mounts (or the mount is id-mapped already)",
                               m->source, m->destination);
      if (e == ENOSYS)
        return mr_error_errno (err, e, "id-mapped mount of '%s': it needs Linux 5.12", m->source);
      return mr_error_errno (err, e, "id-mapped mount of '%s' on '%s'", m->source, m->destination);
    }
  return steal_fd (&fd);
}

int
mr_rootfs_open_sources (const struct mr_spec *spec, int *fds, struct mr_error *err)
{
  bool have_open_tree = true;

  for (size_t i = 0; i < spec->n_mounts; i++)
    fds[i] = -1;
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      const struct mr_spec_mount *m = &spec->mounts[i];
      unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;

      if (!mr_mount_is_bind (m) || m->source == NULL)
        continue;
      if ((m->type && strcmp (m->type, "rbind") == 0) || (m->flags & MS_REC))
        flags |= AT_RECURSIVE;
      if (m->idmap)
        fds[i] = open_idmapped (spec, m, flags, err);
      else if (have_open_tree)
        fds[i] = sys_open_tree (AT_FDCWD, m->source, flags);
      if (fds[i] >= 0)
        continue;
      if (m->idmap)
        {
          for (size_t j = 0; j < i; j++)
            if (fds[j] >= 0)
              close (fds[j]);
          return -1;
        }
      if (errno == ENOSYS)
        have_open_tree = false;
    }
  return 0;
}

/* Fills the new tmpfs with what the image had at its place; the tmpfs
   root takes the image directory's owner and mode unless the options
   say otherwise.  */
static int
copy_up (int imagefd, int mountfd, const char *dest, const char *data, struct mr_error *err)
{
  cleanup_close int dirfd = openat (mountfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat st;

  if (dirfd < 0 || fstat (imagefd, &st) < 0)
    return mr_error_errno (err, errno, "tmpcopyup '%s'", dest);
  if (mr_copy_tree (imagefd, dirfd, err) < 0)
    return mr_error_prefix (err, "tmpcopyup '%s'", dest);
  if (!mr_mount_data_has (data, "uid") && !mr_mount_data_has (data, "gid")
      && fchown (dirfd, st.st_uid, st.st_gid) < 0 && errno != EINVAL)
    return mr_error_errno (err, errno, "tmpcopyup '%s'", dest);
  if (!mr_mount_data_has (data, "mode") && fchmod (dirfd, st.st_mode & 07777) < 0)
    return mr_error_errno (err, errno, "tmpcopyup '%s'", dest);
  return 0;
}

static int
mount_fs (const struct mr_rootfs_opts *opts, int rootfd, const struct mr_spec_mount *m,
          const char *dest, struct mr_error *err)
{
  const char *type = m->type;
  const char *source = m->source ? m->source : type;
  const char *data = m->data;
  unsigned long flags = m->flags & ~OPERATION_FLAGS;
  bool tmpfs = strcmp (type, "tmpfs") == 0;
  bool copyup = m->tmpcopyup && tmpfs;
  bool sysfs = strcmp (type, "sysfs") == 0, mqueue = strcmp (type, "mqueue") == 0;
  cleanup_free char *data_nogid = NULL;
  cleanup_free char *data_mode = NULL;
  cleanup_close int targetfd = -1;
  cleanup_close int imagefd = -1;
  cleanup_close int fd = -1;
  char p[FD_PATH_MAX];
  int r;

  if (strcmp (type, "devpts") == 0 && (data == NULL || *data == '\0'))
    data = DEFAULT_DEVPTS_DATA;
  /* A tmpfs over a directory of the image keeps that directory's mode
     unless the options say otherwise; over a new one it has tmpfs's
     own 1777.  */
  if (strcmp (type, "tmpfs") == 0 && !mr_mount_data_has (data, "mode"))
    {
      cleanup_close int dfd = mr_open_in_root (rootfd, dest, O_PATH, 0, err);
      struct stat st;

      if (dfd >= 0 && fstat (dfd, &st) == 0 && S_ISDIR (st.st_mode))
        {
          if (mr_asprintf (err, &data_mode, "mode=%04o%s%s", (unsigned)(st.st_mode & 07777),
                           data && *data ? "," : "", data ? data : "")
              < 0)
            return -1;
          data = data_mode;
        }
    }
  targetfd = mr_mkdir_in_root (rootfd, dest, 0755, err);
  if (targetfd < 0)
    {
      mountpoint_hint (opts, err);
      return mr_error_prefix (err, "mount '%s' on '%s'", type, dest);
    }
  if (copyup)
    {
      /* Opened before the mount hides it.  */
      imagefd = openat (targetfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (imagefd < 0)
        return mr_error_errno (err, errno, "tmpcopyup '%s'", dest);
    }

  /* A read-only tmpfs is filled first (the image's content, the devices
     of /dev, the mount points of later mounts), and made read-only at the
     end of mr_rootfs_prepare.  */
  r = mount (source, fd_path (p, targetfd), type, tmpfs ? flags & ~MS_RDONLY : flags, data);
  if (r < 0 && errno == EINVAL && strcmp (type, "devpts") == 0 && mr_mount_data_has (data, "gid"))
    {
      /* The tty group (gid=5) may not be mapped in a user namespace.  */
      data_nogid = mr_mount_data_without (data, "gid");
      if (data_nogid == NULL)
        return mr_error_errno (err, ENOMEM, "mount '%s' on '%s'", type, dest);
      r = mount (source, p, type, flags, data_nogid);
    }
  if (r < 0 && errno == EPERM && opts->userns && (sysfs || mqueue))
    /* Without its own network (IPC) namespace a user namespace may not
       mount sysfs (mqueue): the host's is shown instead, as runc does.  */
    return bind_onto (rootfd, dest, sysfs ? "/sys" : "/dev/mqueue", targetfd,
                      MS_BIND | MS_REC | flags, m->clear_flags, m->propagation, err);
  if (r < 0)
    return mr_error_errno (err, errno, "mount '%s' on '%s'", type, dest);

  if (!copyup && m->propagation == 0)
    return 0;
  fd = reopen (rootfd, dest, err);
  if (fd < 0)
    return mr_error_prefix (err, "mount '%s' on '%s'", type, dest);
  if (copyup)
    {
      if (copy_up (imagefd, fd, dest, data, err) < 0)
        return -1;
    }
  return set_propagation (fd, dest, m->propagation, err);
}

static int
mount_cgroup2 (const struct mr_rootfs_opts *opts, int rootfd, const struct mr_spec_mount *m,
               const char *dest, struct mr_error *err)
{
  unsigned long flags = m->flags & ~OPERATION_FLAGS;
  cleanup_free char *source = NULL;
  cleanup_close int targetfd = -1;
  cleanup_close int fd = -1;
  char p[FD_PATH_MAX];

  targetfd = mr_mkdir_in_root (rootfd, dest, 0755, err);
  if (targetfd < 0)
    return mr_error_prefix (err, "mount 'cgroup' on '%s'", dest);
  if (mount ("cgroup2", fd_path (p, targetfd), "cgroup2", flags, m->data) == 0)
    {
      if (m->propagation == 0)
        return 0;
      fd = reopen (rootfd, dest, err);
      if (fd < 0)
        return mr_error_prefix (err, "mount 'cgroup' on '%s'", dest);
      return set_propagation (fd, dest, m->propagation, err);
    }
  if (errno != EPERM && errno != EBUSY)
    return mr_error_errno (err, errno, "mount 'cgroup' on '%s'", dest);

  /* A user namespace that kept the host's cgroup namespace may not mount
     cgroup2: the host's tree is shown instead, only the container's part
     of it where a cgroup namespace was asked for.  */
  if (opts->new_cgroupns && opts->cgroup_path)
    source = mr_path_join (CGROUP_ROOT, opts->cgroup_path);
  else
    source = strdup (CGROUP_ROOT);
  if (source == NULL)
    return mr_error_errno (err, ENOMEM, "mount 'cgroup' on '%s'", dest);
  return bind_onto (rootfd, dest, source, targetfd, MS_BIND | MS_REC | flags, m->clear_flags,
                    m->propagation, err);
}

/* One v1 hierarchy (or the hybrid cgroup2 one) in the cgroup tmpfs, under
   the base name of its host mount point: a new mount in a cgroup
   namespace, else a bind of the container's cgroup in it.  */
static int
mount_cgroup1_hierarchy (const struct mr_rootfs_opts *opts, int rootfd, int tmpfd, const char *dest,
                         const struct mr_mountinfo *mi, const char *self, unsigned long flags,
                         unsigned long clear, struct mr_error *err)
{
  const char *name = strrchr (mi->mountpoint, '/') + 1;
  bool v2 = strcmp (mi->fstype, "cgroup2") == 0;
  cleanup_free char *controllers = v2 ? strdup ("") : mr_cgroup1_controllers (mi->super_options);
  cleanup_free char *cpath = mr_path_join (dest, name);
  cleanup_free char *cgpath = NULL;
  cleanup_free char *source = NULL;
  cleanup_close int fd = -1;
  cleanup_close int nfd = -1;
  char p[FD_PATH_MAX];
  const char *rel;

  if (controllers == NULL || cpath == NULL)
    return mr_error_errno (err, ENOMEM, "mount 'cgroup' on '%s'", dest);
  if (mkdirat (tmpfd, name, 0755) < 0 && errno != EEXIST)
    return mr_error_errno (err, errno, "mkdir '%s'", cpath);
  fd = openat (tmpfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return mr_error_errno (err, errno, "open '%s'", cpath);

  if (opts->new_cgroupns)
    {
      if (mount (mi->fstype, fd_path (p, fd), mi->fstype, flags & ~MS_RDONLY,
                 v2 ? NULL : controllers)
          < 0)
        return mr_error_errno (err, errno, "mount '%s' on '%s'", mi->fstype, cpath);
      nfd = reopen (rootfd, cpath, err);
      if (nfd < 0)
        return -1;
      if (remount_bind (nfd, fd_path (p, nfd), cpath, flags, clear, err) < 0)
        return -1;
    }
  else
    {
      if (opts->cgroup_path)
        cgpath = strdup (opts->cgroup_path);
      else if (self)
        cgpath = mr_cgroup_self_path (self, controllers);
      if (cgpath == NULL)
        return 0;
      /* Paths in /proc/self/cgroup are from the hierarchy's root, the
         host's mount may show only a part of it.  */
      rel = cgpath;
      if (strcmp (mi->root, "/") != 0 && strncmp (cgpath, mi->root, strlen (mi->root)) == 0)
        rel += strlen (mi->root);
      source = mr_path_join (mi->mountpoint, rel);
      if (source == NULL)
        return mr_error_errno (err, ENOMEM, "mount 'cgroup' on '%s'", dest);
      /* A hierarchy where the container has no cgroup stays empty.  */
      if (access (source, F_OK) < 0 && errno == ENOENT)
        return 0;
      if (bind_onto (rootfd, cpath, source, fd, MS_BIND | flags, clear, 0, err) < 0)
        return -1;
    }

  /* Co-mounted controllers ("cpu,cpuacct") are reachable by each name.  */
  if (strchr (name, ','))
    {
      cleanup_free char *names = strdup (name);
      char *save = NULL;

      if (names == NULL)
        return mr_error_errno (err, ENOMEM, "mount 'cgroup' on '%s'", dest);
      for (char *t = strtok_r (names, ",", &save); t; t = strtok_r (NULL, ",", &save))
        if (symlinkat (name, tmpfd, t) < 0 && errno != EEXIST)
          return mr_error_errno (err, errno, "symlink '%s/%s'", dest, t);
    }
  return 0;
}

static int
mount_cgroup1 (const struct mr_rootfs_opts *opts, int rootfd, const struct mr_spec_mount *m,
               const char *dest, struct mr_error *err)
{
  unsigned long flags = m->flags & ~OPERATION_FLAGS;
  cleanup_free char *mountinfo = NULL;
  cleanup_free char *self = NULL;
  cleanup_close int targetfd = -1;
  cleanup_close int tmpfd = -1;
  char p[FD_PATH_MAX];
  char *save = NULL;

  targetfd = mr_mkdir_in_root (rootfd, dest, 0755, err);
  if (targetfd < 0)
    return mr_error_prefix (err, "mount 'cgroup' on '%s'", dest);
  if (mount ("tmpfs", fd_path (p, targetfd), "tmpfs", flags & ~MS_RDONLY, "mode=755") < 0)
    return mr_error_errno (err, errno, "mount 'cgroup' on '%s'", dest);
  tmpfd = reopen (rootfd, dest, err);
  if (tmpfd < 0)
    return mr_error_prefix (err, "mount 'cgroup' on '%s'", dest);
  if (mr_read_file ("/proc/self/mountinfo", &mountinfo, NULL, err) < 0)
    return mr_error_prefix (err, "mount 'cgroup' on '%s'", dest);
  if (!opts->new_cgroupns && opts->cgroup_path == NULL
      && mr_read_file ("/proc/self/cgroup", &self, NULL, err) < 0)
    return mr_error_prefix (err, "mount 'cgroup' on '%s'", dest);

  for (char *line = strtok_r (mountinfo, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      struct mr_mountinfo mi;
      const char *name;

      if (mr_mountinfo_parse_line (line, &mi) < 0)
        continue;
      if (strcmp (mi.fstype, "cgroup") != 0 && strcmp (mi.fstype, "cgroup2") != 0)
        continue;
      if (strncmp (mi.mountpoint, CGROUP_ROOT "/", sizeof CGROUP_ROOT) != 0)
        continue;
      name = mi.mountpoint + sizeof CGROUP_ROOT;
      if (*name == '\0' || strchr (name, '/') || strcmp (name, ".") == 0
          || strcmp (name, "..") == 0)
        continue;
      if (mount_cgroup1_hierarchy (opts, rootfd, tmpfd, dest, &mi, self, flags, m->clear_flags, err)
          < 0)
        return -1;
    }

  if (remount_bind (tmpfd, fd_path (p, tmpfd), dest, flags, m->clear_flags, err) < 0)
    return -1;
  return set_propagation (tmpfd, dest, m->propagation, err);
}

static int
mount_cgroup (const struct mr_rootfs_opts *opts, int rootfd, const struct mr_spec_mount *m,
              const char *dest, struct mr_error *err)
{
  struct statfs sfs;

  if (statfs (CGROUP_ROOT, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    return mount_cgroup2 (opts, rootfd, m, dest, err);
  return mount_cgroup1 (opts, rootfd, m, dest, err);
}

static int
mount_spec (const struct mr_rootfs_opts *opts, int rootfd, size_t i, struct mr_error *err)
{
  const struct mr_spec_mount *m = &opts->spec->mounts[i];
  cleanup_free char *dest = mr_path_join ("/", m->destination);
  int r;

  if (dest == NULL)
    return mr_error_errno (err, ENOMEM, "mount on '%s'", m->destination);
  if (strcmp (dest, "/") == 0)
    return mr_error_set (err, "mount '%s' on '/': the root cannot be a mount destination",
                         m->type ? m->type : "bind");
  if (mr_mount_is_bind (m))
    r = mount_bind_spec (opts, rootfd, m, opts->source_fds ? opts->source_fds[i] : -1, dest, err);
  else if (strcmp (m->type, "cgroup") == 0)
    r = mount_cgroup (opts, rootfd, m, dest, err);
  else
    r = mount_fs (opts, rootfd, m, dest, err);
  if (r < 0)
    return -1;
  return set_recursive_attrs (rootfd, m, dest, err);
}

/* The mount that holds path, from mountinfo: the longest mount point
   that is path or a parent of it, the last listed (the top one) among
   equals.  */
static int
find_mount_of (const char *path, char **mountpoint, bool *shared, struct mr_error *err)
{
  cleanup_free char *mountinfo = NULL;
  size_t best = 0;
  char *save = NULL;

  *mountpoint = NULL;
  if (mr_read_file ("/proc/self/mountinfo", &mountinfo, NULL, err) < 0)
    return -1;
  for (char *line = strtok_r (mountinfo, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      struct mr_mountinfo mi;
      size_t len;

      if (mr_mountinfo_parse_line (line, &mi) < 0)
        continue;
      len = strlen (mi.mountpoint);
      if (strcmp (mi.mountpoint, "/") == 0)
        len = 0;
      else if (strncmp (path, mi.mountpoint, len) != 0 || (path[len] != '/' && path[len] != '\0'))
        continue;
      if (len < best)
        continue;
      free (*mountpoint);
      *mountpoint = strdup (mi.mountpoint);
      if (*mountpoint == NULL)
        return mr_error_errno (err, ENOMEM, "read mountinfo");
      *shared = mi.shared;
      best = len;
    }
  if (*mountpoint == NULL)
    return mr_error_set (err, "no mount holds '%s'", path);
  return 0;
}

static int
mount_default_dev (int rootfd, struct mr_error *err)
{
  cleanup_close int fd = mr_mkdir_in_root (rootfd, "/dev", 0755, err);
  char p[FD_PATH_MAX];

  if (fd < 0)
    return mr_error_prefix (err, "mount 'tmpfs' on '/dev'");
  if (mount ("tmpfs", fd_path (p, fd), "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k")
      < 0)
    return mr_error_errno (err, errno, "mount 'tmpfs' on '/dev'");
  return 0;
}

static bool
is_dev (const char *destination)
{
  cleanup_free char *d = mr_path_join ("/", destination);

  return d && strcmp (d, "/dev") == 0;
}

int
mr_rootfs_prepare (const struct mr_rootfs_opts *opts, struct mr_error *err)
{
  const struct mr_spec *spec = opts->spec;
  const struct mr_spec_mount *devm = NULL;
  unsigned long propagation = spec->linux.rootfs_propagation;
  cleanup_free char *rootfs = NULL;
  cleanup_free char *parent = NULL;
  cleanup_close int rootfd = -1;
  bool shared = false;
  size_t i;

  rootfs = realpath (opts->rootfs, NULL);
  if (rootfs == NULL && opts->userns && (errno == EACCES || errno == EPERM)
      && mapped_root (spec) >= 0)
    return mr_error_errno (err, errno,
                           "rootfs '%s': the user namespace's root (host uid %ld) cannot reach "
                           "it: let that uid search every directory above it",
                           opts->rootfs, mapped_root (spec));
  if (rootfs == NULL)
    return mr_error_errno (err, errno, "rootfs '%s'", opts->rootfs);

  /* Nothing done from here on may reach the host's mount namespace.  An
     unbindable root comes at the end (mr_rootfs_finalize): before, the
     rootfs and the bind sources must still be bindable.  */
  if (propagation == 0 || (propagation & MS_UNBINDABLE))
    propagation = MS_SLAVE | MS_REC;
  if (mount (NULL, "/", NULL, MS_REC | propagation, NULL) < 0)
    return mr_error_errno (err, errno, "set propagation of '/'");

  /* pivot_root refuses a new root whose parent mount is shared; only
     shared propagation asked for above can have left one so.  */
  if ((propagation & MS_SHARED) && find_mount_of (rootfs, &parent, &shared, err) < 0)
    return mr_error_prefix (err, "rootfs '%s'", rootfs);
  if (shared && mount (NULL, parent, NULL, MS_PRIVATE, NULL) < 0)
    return mr_error_errno (err, errno, "make '%s' private", parent);
  if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return mr_error_errno (err, errno, "bind mount '%s' on itself", rootfs);
  rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return mr_error_errno (err, errno, "open '%s'", rootfs);

  for (i = 0; i < spec->n_mounts; i++)
    if (is_dev (spec->mounts[i].destination))
      devm = &spec->mounts[i];
  /* Mounted first: the spec's mounts below /dev go on top of it.  */
  if (devm == NULL && mount_default_dev (rootfd, err) < 0)
    return -1;

  for (i = 0; i < spec->n_mounts; i++)
    if (mount_spec (opts, rootfd, i, err) < 0)
      return -1;

  /* A /dev bound from the host has its devices already.  */
  if (devm == NULL || !mr_mount_is_bind (devm))
    {
      cleanup_close int devfd = mr_open_in_root (rootfd, "/dev", O_PATH | O_DIRECTORY, 0, err);
      if (devfd < 0)
        return -1;
      if (mr_dev_populate (rootfd, devfd, "/dev", spec, opts->userns, err) < 0)
        return -1;
    }

  /* Last, once everything below them is in place.  */
  for (i = 0; i < spec->n_mounts; i++)
    {
      const struct mr_spec_mount *m = &spec->mounts[i];
      cleanup_free char *dest = NULL;
      cleanup_close int fd = -1;
      char p[FD_PATH_MAX];

      if (mr_mount_is_bind (m) || strcmp (m->type, "tmpfs") != 0 || !(m->flags & MS_RDONLY))
        continue;
      dest = mr_path_join ("/", m->destination);
      if (dest == NULL)
        return mr_error_errno (err, ENOMEM, "remount '%s'", m->destination);
      fd = reopen (rootfd, dest, err);
      if (fd < 0)
        return mr_error_prefix (err, "make '%s' read-only", dest);
      if (remount_bind (fd, fd_path (p, fd), dest, m->flags & ~OPERATION_FLAGS, m->clear_flags, err)
          < 0)
        return -1;
    }
  return 0;
}

int
mr_rootfs_check_inherited (const struct mr_spec *spec, bool no_pivot, struct mr_error *err)
{
  static const char hint[] = "(add {\"type\": \"mount\"} to linux.namespaces)";
  const char *what = NULL;

  if (mr_spec_find_namespace (spec, CLONE_NEWNS) != NULL)
    return 0;
  if (spec->n_mounts > 0)
    what = "mounts";
  else if (spec->linux.n_masked_paths > 0)
    what = "linux.maskedPaths";
  else if (spec->linux.n_readonly_paths > 0)
    what = "linux.readonlyPaths";
  else if (spec->root_readonly)
    what = "root.readonly";
  else if (spec->linux.rootfs_propagation)
    what = "linux.rootfsPropagation";
  else if (spec->linux.n_devices > 0)
    what = "linux.devices";
  if (what)
    return mr_error_set (err,
                         "config.json: %s: needs a mount namespace of the container's own: "
                         "without one the container shares the host's, where no mount is "
                         "made %s",
                         what, hint);
  if (no_pivot)
    return mr_error_set (err,
                         "--no-pivot needs a mount namespace of the container's own: without "
                         "one the container is only chroot'ed into its root %s",
                         hint);
  return 0;
}

int
mr_rootfs_chroot (const char *rootfs, struct mr_error *err)
{
  if (chdir (rootfs) < 0)
    return mr_error_errno (err, errno, "chdir '%s'", rootfs);
  if (chroot (".") < 0)
    return mr_error_errno (err, errno, "chroot '%s'", rootfs);
  if (chdir ("/") < 0)
    return mr_error_errno (err, errno, "chdir '/'");
  return 0;
}

/* Without pivot_root the host's mounts stay in the namespace, below the
   chroot.  A full proc or sysfs among them would let the container mount
   a new one (the kernel allows that where one is fully visible in the
   namespace), masked paths and all undone: each is detached, or covered
   where it cannot be.  */
static int
hide_host_proc_sys (const char *path, struct mr_error *err)
{
  cleanup_free char *rootfs = realpath (path, NULL);
  cleanup_free char *mountinfo = NULL;
  char *save = NULL;
  size_t rlen;

  if (rootfs == NULL)
    return mr_error_errno (err, errno, "rootfs '%s'", path);
  rlen = strlen (rootfs);
  if (mr_read_file ("/proc/self/mountinfo", &mountinfo, NULL, err) < 0)
    return -1;
  for (char *line = strtok_r (mountinfo, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      struct mr_mountinfo mi;

      if (mr_mountinfo_parse_line (line, &mi) < 0)
        continue;
      if (strcmp (mi.root, "/") != 0
          || (strcmp (mi.fstype, "proc") != 0 && strcmp (mi.fstype, "sysfs") != 0))
        continue;
      if (strncmp (mi.mountpoint, rootfs, rlen) == 0
          && (mi.mountpoint[rlen] == '/' || mi.mountpoint[rlen] == '\0'))
        continue;
      /* slave first: the unmount must not reach the host */
      if (mount (NULL, mi.mountpoint, NULL, MS_SLAVE | MS_REC, NULL) < 0)
        {
          if (errno == ENOENT || errno == EINVAL)
            continue; /* under one detached already */
          return mr_error_errno (err, errno, "make '%s' a slave", mi.mountpoint);
        }
      if (umount2 (mi.mountpoint, MNT_DETACH) == 0)
        continue;
      if (errno != EINVAL && errno != EPERM)
        return mr_error_errno (err, errno, "unmount the host's '%s'", mi.mountpoint);
      if (mount ("tmpfs", mi.mountpoint, "tmpfs", MS_RDONLY, "size=0") < 0)
        return mr_error_errno (err, errno, "cover the host's '%s'", mi.mountpoint);
    }
  return 0;
}

int
mr_rootfs_pivot (const char *rootfs, bool no_pivot, struct mr_error *err)
{
  cleanup_close int oldroot = -1;
  cleanup_close int newroot = -1;

  if (no_pivot)
    {
      if (hide_host_proc_sys (rootfs, err) < 0)
        return -1;
      if (chdir (rootfs) < 0)
        return mr_error_errno (err, errno, "chdir '%s'", rootfs);
      if (mount (rootfs, "/", NULL, MS_MOVE, NULL) < 0)
        return mr_error_errno (err, errno, "move '%s' to '/'", rootfs);
      if (chroot (".") < 0)
        return mr_error_errno (err, errno, "chroot '%s'", rootfs);
      if (chdir ("/") < 0)
        return mr_error_errno (err, errno, "chdir '/'");
      return 0;
    }

  oldroot = open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (oldroot < 0)
    return mr_error_errno (err, errno, "open '/'");
  newroot = open (rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (newroot < 0)
    return mr_error_errno (err, errno, "open '%s'", rootfs);
  if (fchdir (newroot) < 0)
    return mr_error_errno (err, errno, "chdir '%s'", rootfs);
  /* new_root and put_old the same: the old root ends up stacked under the
     new one, and no directory for it is needed in the image.  */
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return mr_error_errno (err, errno, "pivot_root '%s'", rootfs);
  if (fchdir (oldroot) < 0)
    return mr_error_errno (err, errno, "chdir to the old root");
  /* Slave first, so that the unmount cannot propagate to the host.  */
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return mr_error_errno (err, errno, "make the old root a slave");
  if (umount2 (".", MNT_DETACH) < 0)
    return mr_error_errno (err, errno, "unmount the old root");
  if (chdir ("/") < 0)
    return mr_error_errno (err, errno, "chdir '/'");
  return 0;
}

/* After pivot_root /proc is the container's own; without one, plain paths
   are used, which cannot leave the new root either.  */
static const char *
target_of (char buf[FD_PATH_MAX], int fd, const char *path, bool have_proc)
{
  return have_proc ? fd_path (buf, fd) : path;
}

static int
mask_path (int rootfd, const char *path, bool have_proc, struct mr_error *err)
{
  cleanup_close int fd = -1;
  char p[FD_PATH_MAX];
  struct stat st;
  int r;

  fd = mr_open_in_root (rootfd, path, O_PATH, 0, err);
  if (fd < 0)
    return errno == ENOENT || errno == ENOTDIR ? 0 : mr_error_prefix (err, "mask '%s'", path);
  if (fstat (fd, &st) < 0)
    return mr_error_errno (err, errno, "mask '%s'", path);
  if (S_ISDIR (st.st_mode))
    r = mount ("tmpfs", target_of (p, fd, path, have_proc), "tmpfs", MS_RDONLY, NULL);
  else
    {
      /* The container's /dev/null: what its image or a bind put there
         must be the null device, or a mask would show that file.  */
      char np[FD_PATH_MAX];
      cleanup_close int nullfd = mr_open_in_root (rootfd, "/dev/null", O_PATH, 0, err);
      struct stat nst;

      if (nullfd < 0)
        return mr_error_prefix (err, "mask '%s'", path);
      if (fstat (nullfd, &nst) < 0)
        return mr_error_errno (err, errno, "mask '%s'", path);
      if (!S_ISCHR (nst.st_mode) || major (nst.st_rdev) != 1 || minor (nst.st_rdev) != 3)
        return mr_error_set (err, "mask '%s': the container's /dev/null is not the null device",
                             path);
      r = mount (target_of (np, nullfd, "/dev/null", have_proc), target_of (p, fd, path, have_proc),
                 NULL, MS_BIND, NULL);
    }
  if (r < 0)
    return mr_error_errno (err, errno, "mask '%s'", path);
  return 0;
}

static int
readonly_path (int rootfd, const char *path, bool have_proc, struct mr_error *err)
{
  cleanup_close int fd = -1;
  cleanup_close int nfd = -1;
  char p[FD_PATH_MAX];
  const char *target;

  fd = mr_open_in_root (rootfd, path, O_PATH, 0, err);
  if (fd < 0)
    return errno == ENOENT || errno == ENOTDIR ? 0
                                               : mr_error_prefix (err, "make '%s' read-only", path);
  target = target_of (p, fd, path, have_proc);
  if (mount (target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
    return mr_error_errno (err, errno, "make '%s' read-only", path);
  nfd = reopen (rootfd, path, err);
  if (nfd < 0)
    return mr_error_prefix (err, "make '%s' read-only", path);
  if (remount_bind (nfd, target_of (p, nfd, path, have_proc), path, MS_RDONLY, 0, err) < 0)
    return mr_error_prefix (err, "make '%s' read-only", path);
  return 0;
}

int
mr_rootfs_finalize (const struct mr_rootfs_opts *opts, struct mr_error *err)
{
  const struct mr_spec *spec = opts->spec;
  cleanup_close int rootfd = -1;
  bool have_proc;
  size_t i;

  rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return mr_error_errno (err, errno, "open '/'");
  have_proc = access ("/proc/self/fd", F_OK) == 0;

  for (i = 0; i < spec->linux.n_masked_paths; i++)
    if (mask_path (rootfd, spec->linux.masked_paths[i], have_proc, err) < 0)
      return -1;
  for (i = 0; i < spec->linux.n_readonly_paths; i++)
    if (readonly_path (rootfd, spec->linux.readonly_paths[i], have_proc, err) < 0)
      return -1;
  if (spec->root_readonly && remount_bind (rootfd, "/", "/", MS_RDONLY, 0, err) < 0)
    return mr_error_prefix (err, "make the root read-only");
  if (spec->linux.rootfs_propagation
      && mount (NULL, "/", NULL, spec->linux.rootfs_propagation, NULL) < 0)
    return mr_error_errno (err, errno, "set propagation of '/'");
  return 0;
}
