#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux/dev.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/path.h"

struct dev_node
{
  const char *rel;       /* below the directory it is made in */
  const char *path;      /* in the container, for messages */
  const char *host_path; /* bound from the host in a user namespace */
  char type;
  unsigned major;
  unsigned minor;
  mode_t mode;
  uid_t uid; /* (uid_t) -1: leave as created */
  gid_t gid;
};

static const struct dev_node default_devices[] = {
  { "null", "/dev/null", "/dev/null", 'c', 1, 3, 0666, (uid_t)-1, (gid_t)-1 },
  { "zero", "/dev/zero", "/dev/zero", 'c', 1, 5, 0666, (uid_t)-1, (gid_t)-1 },
  { "full", "/dev/full", "/dev/full", 'c', 1, 7, 0666, (uid_t)-1, (gid_t)-1 },
  { "random", "/dev/random", "/dev/random", 'c', 1, 8, 0666, (uid_t)-1, (gid_t)-1 },
  { "urandom", "/dev/urandom", "/dev/urandom", 'c', 1, 9, 0666, (uid_t)-1, (gid_t)-1 },
  { "tty", "/dev/tty", "/dev/tty", 'c', 5, 0, 0666, (uid_t)-1, (gid_t)-1 },
};

static const struct
{
  const char *name;
  const char *target;
} default_links[] = {
  { "fd", "/proc/self/fd" },
  { "stdin", "/proc/self/fd/0" },
  { "stdout", "/proc/self/fd/1" },
  { "stderr", "/proc/self/fd/2" },
};

static mode_t
node_type (char type)
{
  switch (type)
    {
    case 'b':
      return S_IFBLK;
    case 'p':
      return S_IFIFO;
    case 'c':
    case 'u':
      return S_IFCHR;
    default:
      return 0;
    }
}

/* Whether path is a host node of the type and number of node.  */
static bool
host_node_matches (const char *path, const struct dev_node *node)
{
  struct stat st;

  return stat (path, &st) == 0 && (st.st_mode & S_IFMT) == node_type (node->type)
         && major (st.st_rdev) == node->major && minor (st.st_rdev) == node->minor;
}

/* A node below the host's directory dirfd (dir, for the name) of the type
   and number of node, into out.  A few levels deep: /dev/dri/card0,
   /dev/snd/pcmC0D0p, /dev/net/tun.  */
static bool
find_host_node (int dirfd, const char *dir, const struct dev_node *node, int depth, char *out,
                size_t size)
{
  cleanup_closedir DIR *d = NULL;
  struct dirent *e;
  int fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return false;
    }
  while ((e = readdir (d)) != NULL)
    {
      struct stat st;

      if (e->d_name[0] == '.')
        continue;
      if (fstatat (dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if ((st.st_mode & S_IFMT) == node_type (node->type) && major (st.st_rdev) == node->major
          && minor (st.st_rdev) == node->minor)
        {
          if ((size_t)snprintf (out, size, "%s/%s", dir, e->d_name) >= size)
            continue;
          return true;
        }
      if (S_ISDIR (st.st_mode) && depth > 0 && strcmp (e->d_name, "fd") != 0)
        {
          char sub[PATH_MAX];
          cleanup_close int subfd = -1;

          if ((size_t)snprintf (sub, sizeof sub, "%s/%s", dir, e->d_name) >= sizeof sub)
            continue;
          subfd = openat (dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (subfd >= 0 && find_host_node (subfd, sub, node, depth - 1, out, size))
            return true;
        }
    }
  return false;
}

/* In a user namespace mknod of a device is refused: the host's node is
   bind-mounted onto an empty file instead, the one at the same path when
   it is that device, else one of the same type and number in the host's
   /dev.  The node stays the host's, owner and mode included: a chown
   through the bind mount would change the host's node.  An entry already
   there is left alone, as a node made by an earlier entry of the same
   path.  */
static int
bind_host_node (int dirfd, const char *name, const struct dev_node *node, struct mr_error *err)
{
  cleanup_close int fd = -1;
  const char *source = node->host_path;
  char found[PATH_MAX], target[64];

  if (!host_node_matches (source, node))
    {
      cleanup_close int hostdev = open ("/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

      if (hostdev < 0 || !find_host_node (hostdev, "/dev", node, 3, found, sizeof found))
        return mr_error_set (err,
                             "device '%s': in a user namespace devices are bound from the "
                             "host, which has no %s device %u:%u at '%s' or in /dev",
                             node->path, node->type == 'b' ? "block" : "character", node->major,
                             node->minor, source);
      source = found;
    }
  fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      if (errno == EEXIST)
        return 0;
      return mr_error_errno (err, errno, "create '%s'", node->path);
    }
  snprintf (target, sizeof target, "/proc/self/fd/%d", fd);
  if (mount (source, target, NULL, MS_BIND, NULL) < 0)
    return mr_error_errno (err, errno, "bind mount '%s' on '%s'", source, node->path);
  return 0;
}

/* Makes node below basefd, creating its parent directories (0755) as runc
   does, each resolved inside basefd.  */
static int
create_node (int basefd, const struct dev_node *node, bool userns, struct mr_error *err)
{
  cleanup_close int parentfd = -1;
  const char *slash = strrchr (node->rel, '/');
  const char *name = node->rel;
  int dirfd = basefd;
  mode_t type = node_type (node->type);

  if (type == 0)
    return mr_error_set (err, "device '%s': unknown type '%c'", node->path, node->type);
  if (slash)
    {
      cleanup_free char *dir = strndup (node->rel, (size_t)(slash - node->rel));
      if (dir == NULL)
        return mr_error_errno (err, ENOMEM, "device '%s'", node->path);
      parentfd = mr_mkdir_in_root (basefd, dir, 0755, err);
      if (parentfd < 0)
        return mr_error_prefix (err, "device '%s'", node->path);
      dirfd = parentfd;
      name = slash + 1;
    }
  if (*name == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return mr_error_set (err, "device '%s': not a file name", node->path);

  if (userns && type != S_IFIFO)
    return bind_host_node (dirfd, name, node, err);

  if (mknodat (dirfd, name, type | (node->mode & 07777), makedev (node->major, node->minor)) < 0)
    {
      if (errno == EEXIST)
        return 0;
      return mr_error_errno (err, errno, "mknod '%s'", node->path);
    }
  if ((node->uid != (uid_t)-1 || node->gid != (gid_t)-1)
      && fchownat (dirfd, name, node->uid, node->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return mr_error_errno (err, errno, "chown '%s'", node->path);
  return 0;
}

/* linux.devices paths are anywhere in the rootfs (runc makes /dev/x and
   /opt/x alike), so they are made relative to the root.  */
static int
spec_device_node (const struct mr_spec_device *d, struct dev_node *node, struct mr_error *err)
{
  const char *rel = d->path;

  if (rel == NULL || rel[0] != '/')
    return mr_error_set (err, "device '%s': path is not absolute", rel ? rel : "");
  while (*rel == '/')
    rel++;
  if (d->major < 0 || d->minor < 0 || d->major > 0xfff || d->minor > 0xfffff)
    return mr_error_set (err, "device '%s': invalid number %lld:%lld", d->path, (long long)d->major,
                         (long long)d->minor);
  node->rel = rel;
  node->path = d->path;
  node->host_path = d->path;
  node->type = d->type;
  node->major = (unsigned)d->major;
  node->minor = (unsigned)d->minor;
  node->mode = d->file_mode_set ? d->file_mode : 0666;
  node->uid = d->uid_set ? d->uid : (uid_t)-1;
  node->gid = d->gid_set ? d->gid : (gid_t)-1;
  return 0;
}

static int
populate (int rootfd, int devfd, const char *dev_path, const struct mr_spec *spec, bool userns,
          struct mr_error *err)
{
  size_t i;

  if (mkdirat (devfd, "pts", 0755) < 0 && errno != EEXIST)
    return mr_error_errno (err, errno, "mkdir '%s/pts'", dev_path);
  if (mkdirat (devfd, "shm", 01777) < 0 && errno != EEXIST)
    return mr_error_errno (err, errno, "mkdir '%s/shm'", dev_path);

  for (i = 0; i < sizeof default_devices / sizeof default_devices[0]; i++)
    if (create_node (devfd, &default_devices[i], userns, err) < 0)
      return -1;

  for (i = 0; spec && i < spec->linux.n_devices; i++)
    {
      struct dev_node node;
      if (spec_device_node (&spec->linux.devices[i], &node, err) < 0)
        return -1;
      if (create_node (rootfd, &node, userns, err) < 0)
        return -1;
    }

  /* ptmx must be the one of the container's devpts instance, whatever the
     image or linux.devices put there.  */
  if (unlinkat (devfd, "ptmx", 0) < 0 && errno != ENOENT)
    return mr_error_errno (err, errno, "remove '%s/ptmx'", dev_path);
  if (symlinkat ("pts/ptmx", devfd, "ptmx") < 0)
    return mr_error_errno (err, errno, "symlink '%s/ptmx'", dev_path);

  for (i = 0; i < sizeof default_links / sizeof default_links[0]; i++)
    if (symlinkat (default_links[i].target, devfd, default_links[i].name) < 0 && errno != EEXIST)
      return mr_error_errno (err, errno, "symlink '%s/%s'", dev_path, default_links[i].name);
  return 0;
}

int
mr_dev_populate (int rootfd, int devfd, const char *dev_path, const struct mr_spec *spec,
                 bool userns, struct mr_error *err)
{
  /* Device modes are exact, not filtered by whatever umask the runtime
     was started with.  */
  mode_t old = umask (0);
  int r = populate (rootfd, devfd, dev_path ? dev_path : "/dev", spec, userns, err);

  umask (old);
  return r;
}
