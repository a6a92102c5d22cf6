#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

int
mr_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;

  while (len > 0)
    {
      ssize_t r = write (fd, p, len);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      p += r;
      len -= (size_t)r;
    }
  return 0;
}

int
mr_read_file_at (int dirfd, const char *path, char **out, size_t *len, struct mr_error *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  size_t size = 0, alloc = 0;

  fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return mr_error_errno (err, errno, "open '%s'", path);
  for (;;)
    {
      ssize_t r;
      if (alloc - size < 4096)
        {
          size_t nalloc = alloc ? alloc * 2 : 8192;
          char *n = realloc (buf, nalloc + 1);
          if (n == NULL)
            return mr_error_errno (err, ENOMEM, "read '%s'", path);
          buf = n;
          alloc = nalloc;
        }
      r = read (fd, buf + size, alloc - size);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return mr_error_errno (err, errno, "read '%s'", path);
        }
      if (r == 0)
        break;
      size += (size_t)r;
    }
  buf[size] = '\0';
  if (len)
    *len = size;
  *out = steal_pointer (&buf);
  return 0;
}

int
mr_read_file (const char *path, char **out, size_t *len, struct mr_error *err)
{
  return mr_read_file_at (AT_FDCWD, path, out, len, err);
}

int
mr_write_file_at (int dirfd, const char *path, const char *data, size_t len, struct mr_error *err)
{
  cleanup_close int fd = openat (dirfd, path, O_WRONLY | O_CLOEXEC);

  if (fd < 0)
    return mr_error_errno (err, errno, "open '%s'", path);
  if (mr_write_all (fd, data, len) < 0)
    return mr_error_errno (err, errno, "write '%.*s' to '%s'", (int)(len > 64 ? 64 : len), data,
                           path);
  return 0;
}

int
mr_write_file (const char *path, const char *data, size_t len, struct mr_error *err)
{
  return mr_write_file_at (AT_FDCWD, path, data, len, err);
}

int
mr_write_file_atomic_at (int dirfd, const char *name, const char *data, size_t len, mode_t mode,
                         unsigned flags, struct mr_error *err)
{
  char tmp[256];
  cleanup_close int fd = -1;

  if ((size_t)snprintf (tmp, sizeof tmp, ".%s.tmp%d", name, (int)getpid ()) >= sizeof tmp)
    return mr_error_set (err, "file name '%s' too long", name);
  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    return mr_error_errno (err, errno, "create '%s'", tmp);
  if (mr_write_all (fd, data, len) < 0 || ((flags & MR_WRITE_DURABLE) && fsync (fd) < 0))
    {
      int e = errno;
      unlinkat (dirfd, tmp, 0);
      return mr_error_errno (err, e, "write '%s'", name);
    }
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    {
      int e = errno;
      unlinkat (dirfd, tmp, 0);
      return mr_error_errno (err, e, "rename '%s' to '%s'", tmp, name);
    }
  return 0;
}

int
mr_copy_symlink_at (int srcdir, const char *name, int dstdir, size_t size, const char *path,
                    struct mr_error *err)
{
  cleanup_free char *target = malloc (size + 2);
  ssize_t len;

  if (target == NULL)
    return mr_error_errno (err, ENOMEM, "read link '%s'", path);
  /* one byte more than lstat said: a link that grew meanwhile is seen */
  len = readlinkat (srcdir, name, target, size + 1);
  if (len < 0)
    return mr_error_errno (err, errno, "read link '%s'", path);
  if ((size_t)len > size)
    return mr_error_set (err, "read link '%s': it changed while being copied", path);
  target[len] = '\0';
  if (symlinkat (target, dstdir, name) < 0)
    return mr_error_errno (err, errno, "symlink '%s'", path);
  return 0;
}

int
mr_mkdir_p (const char *path, mode_t mode, struct mr_error *err)
{
  cleanup_free char *copy = strdup (path);
  char *p;

  if (copy == NULL)
    return mr_error_errno (err, ENOMEM, "mkdir '%s'", path);
  for (p = copy + 1; *p; p++)
    {
      if (*p != '/')
        continue;
      *p = '\0';
      if (mkdir (copy, mode) < 0 && errno != EEXIST)
        return mr_error_errno (err, errno, "mkdir '%s'", copy);
      *p = '/';
    }
  if (mkdir (copy, mode) < 0 && errno != EEXIST)
    return mr_error_errno (err, errno, "mkdir '%s'", copy);
  return 0;
}

int
mr_asprintf (struct mr_error *err, char **out, const char *fmt, ...)
{
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = vasprintf (out, fmt, ap);
  va_end (ap);
  if (r < 0)
    {
      *out = NULL;
      return mr_error_errno (err, ENOMEM, "out of memory");
    }
  return 0;
}

int
mr_inotify_drain (int ifd)
{
  char buf[4096] __attribute__ ((aligned (__alignof__(struct inotify_event))));
  int gone = 0;

  for (;;)
    {
      ssize_t n = read (ifd, buf, sizeof buf);

      if (n <= 0)
        return gone;
      for (char *p = buf; p < buf + n;)
        {
          const struct inotify_event *ev = (const struct inotify_event *)p;

          if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
            gone = 1;
          p += sizeof *ev + ev->len;
        }
    }
}

int
mr_wait_readable (int fd, int timeout_ms)
{
  struct pollfd p = { .fd = fd, .events = POLLIN };
  struct timespec t0, t;
  int left = timeout_ms;

  clock_gettime (CLOCK_MONOTONIC, &t0);
  for (;;)
    {
      int r = poll (&p, 1, left);
      if (r > 0)
        return 1;
      if (r == 0)
        return 0;
      if (errno != EINTR)
        return -1;
      if (timeout_ms >= 0)
        {
          clock_gettime (CLOCK_MONOTONIC, &t);
          left = timeout_ms
                 - (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
          if (left < 0)
            left = 0;
        }
    }
}
