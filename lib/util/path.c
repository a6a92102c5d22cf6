#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#endif

#include "util/cleanup.h"
#include "util/error.h"
#include "util/path-internal.h"
#include "util/path.h"

#ifndef HAVE_LINUX_OPENAT2_H
struct open_how
{
  unsigned long long flags;
  unsigned long long mode;
  unsigned long long resolve;
};
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_IN_ROOT 0x10
#endif

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* The kernel's own limit on symlinks followed in one lookup.  */
#define MAX_SYMLINKS 40

/* Set once openat2 turned out to be missing, so the probe is not repeated
   for every open.  */
static bool openat2_missing;

static int
openat2_in_root (int rootfd, const char *path, int flags, mode_t mode)
{
  struct open_how how = {
    .flags = (unsigned long long)(flags | O_CLOEXEC),
    .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  int attempts = 0;
  long r;

  /* EAGAIN: a rename or mount raced with the lookup; the kernel asks for a
     retry instead of risking a wrong answer.  */
  do
    r = syscall (SYS_openat2, rootfd, path, &how, sizeof how);
  while (r < 0 && (errno == EINTR || (errno == EAGAIN && ++attempts < 16)));
  return (int)r;
}

/* The directories walked so far; fds[0] is the caller's root and is not
   ours to close.  ".." pops, so the walk can never climb above the root,
   whatever renames happen meanwhile.  */
struct dir_stack
{
  int *fds;
  size_t n;
  size_t alloc;
};

static void
dir_stack_release (struct dir_stack *s)
{
  for (size_t i = 1; i < s->n; i++)
    close (s->fds[i]);
  free (s->fds);
}

static int
dir_stack_push (struct dir_stack *s, int fd)
{
  if (s->n == s->alloc)
    {
      size_t nalloc = s->alloc ? s->alloc * 2 : 16;
      int *n = realloc (s->fds, nalloc * sizeof *n);
      if (n == NULL)
        {
          errno = ENOMEM;
          return -1;
        }
      s->fds = n;
      s->alloc = nalloc;
    }
  s->fds[s->n++] = fd;
  return 0;
}

static void
dir_stack_pop_to (struct dir_stack *s, size_t n)
{
  while (s->n > n)
    close (s->fds[--s->n]);
}

/* Replaces *rest by TARGET + "/" + *rest: the link's target is walked
   next, from the root when absolute, else from the link's directory.  A
   trailing slash after the link still asks for a directory.  */
static int
expand_link (int linkfd, struct dir_stack *stack, char **buf, char **rest, bool want_dir,
             int *links)
{
  char target[PATH_MAX];
  char *n;
  ssize_t len;

  if (++*links > MAX_SYMLINKS)
    {
      errno = ELOOP;
      return -1;
    }
  len = readlinkat (linkfd, "", target, sizeof target - 1);
  if (len < 0)
    return -1;
  if (len == 0)
    {
      errno = ENOENT;
      return -1;
    }
  target[len] = '\0';
  if (asprintf (&n, "%s%s%s", target, **rest || want_dir ? "/" : "", *rest) < 0)
    {
      errno = ENOMEM;
      return -1;
    }
  free (*buf);
  *buf = *rest = n;
  if (target[0] == '/')
    dir_stack_pop_to (stack, 1);
  return 0;
}

enum walk_mode
{
  WALK_OPEN,
  WALK_MKDIR,        /* every missing component becomes a directory */
  WALK_MKDIR_PARENT, /* every missing component but the last */
};

/* The component-by-component resolution: every component is opened with
   O_NOFOLLOW relative to the directory before it, and symlinks are
   expanded here, relative to the root, instead of by the kernel.  Missing
   directories are made with dir_mode as the mode asks; WALK_MKDIR returns
   an O_PATH fd of the last one.  Returns -1 with errno set.  */
static int
walk (int rootfd, const char *path, int flags, mode_t mode, mode_t dir_mode, enum walk_mode wmode)
{
  bool mkdirs = wmode == WALK_MKDIR;
  struct dir_stack stack = { 0 };
  cleanup_free char *buf = strdup (path);
  char *rest = buf;
  int links = 0;
  int ret = -1;

  if (buf == NULL || dir_stack_push (&stack, rootfd) < 0)
    {
      errno = ENOMEM;
      goto out;
    }

  for (;;)
    {
      char name[NAME_MAX + 1];
      int cur = stack.fds[stack.n - 1];
      cleanup_close int fd = -1;
      bool last, want_dir;
      struct stat st;
      size_t len;

      while (*rest == '/')
        rest++;
      if (*rest == '\0')
        break;
      len = strcspn (rest, "/");
      if (len > NAME_MAX)
        {
          errno = ENAMETOOLONG;
          goto out;
        }
      memcpy (name, rest, len);
      name[len] = '\0';
      want_dir = rest[len] == '/';
      rest += len;
      while (*rest == '/')
        rest++;
      last = *rest == '\0' && !mkdirs;

      if (strcmp (name, ".") == 0)
        continue;
      if (strcmp (name, "..") == 0)
        {
          if (stack.n > 1)
            dir_stack_pop_to (&stack, stack.n - 1);
          continue;
        }

      fd = openat (cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT && last && (flags & O_CREAT) && !want_dir)
        {
          ret = openat (cur, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
          goto out;
        }
      if (fd < 0 && errno == ENOENT && (mkdirs || (wmode == WALK_MKDIR_PARENT && !last)))
        {
          if (mkdirat (cur, name, dir_mode) < 0 && errno != EEXIST)
            goto out;
          fd = openat (cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        }
      if (fd < 0 || fstat (fd, &st) < 0)
        goto out;

      if (S_ISLNK (st.st_mode) && (!last || want_dir || !(flags & O_NOFOLLOW)))
        {
          if (last && (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
            {
              errno = EEXIST;
              goto out;
            }
          if (expand_link (fd, &stack, &buf, &rest, want_dir, &links) < 0)
            goto out;
          continue;
        }

      if (last)
        {
          if (want_dir && !S_ISDIR (st.st_mode))
            {
              errno = ENOTDIR;
              goto out;
            }
          /* O_NOFOLLOW: were the entry swapped for a symlink since fstat,
             the open fails instead of following it.  */
          ret = openat (cur, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
          goto out;
        }
      if (!S_ISDIR (st.st_mode))
        {
          errno = ENOTDIR;
          goto out;
        }
      if (dir_stack_push (&stack, fd) < 0)
        goto out;
      fd = -1;
    }

  /* The path ended on a directory ("", "/", "a/..", "a/" or mkdirs).  */
  if (mkdirs)
    ret = openat (stack.fds[stack.n - 1], ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  else
    ret = openat (stack.fds[stack.n - 1], ".", flags | O_CLOEXEC, mode);

out:
  {
    int saved = errno;
    dir_stack_release (&stack);
    errno = saved;
  }
  return ret;
}

int
mr_open_in_root_fallback (int rootfd, const char *path, int flags, mode_t mode,
                          struct mr_error *err)
{
  int fd = walk (rootfd, path, flags, mode, 0, WALK_OPEN);

  if (fd < 0)
    return mr_error_errno (err, errno, "open '%s'", path);
  return fd;
}

int
mr_open_in_root (int rootfd, const char *path, int flags, mode_t mode, struct mr_error *err)
{
  int fd = -1;

  if (*path == '\0')
    path = ".";
  if (!openat2_missing)
    {
      fd = openat2_in_root (rootfd, path, flags, mode);
      if (fd >= 0)
        return fd;
      if (errno != ENOSYS)
        return mr_error_errno (err, errno, "open '%s'", path);
      openat2_missing = true;
    }
  return mr_open_in_root_fallback (rootfd, path, flags, mode, err);
}

int
mr_mkdir_in_root (int rootfd, const char *path, mode_t mode, struct mr_error *err)
{
  int fd = -1;

  /* The common case, a directory that is already there, in one call.  */
  if (!openat2_missing)
    {
      fd = openat2_in_root (rootfd, *path ? path : ".", O_PATH | O_DIRECTORY, 0);
      if (fd >= 0)
        return fd;
      if (errno == ENOSYS)
        openat2_missing = true;
    }
  fd = walk (rootfd, path, 0, 0, mode, WALK_MKDIR);
  if (fd < 0)
    return mr_error_errno (err, errno, "mkdir '%s'", path);
  return fd;
}

int
mr_create_in_root (int rootfd, const char *path, int flags, mode_t mode, mode_t dir_mode,
                   struct mr_error *err)
{
  int fd = walk (rootfd, path, flags | O_CREAT, mode, dir_mode, WALK_MKDIR_PARENT);

  if (fd < 0)
    return mr_error_errno (err, errno, "create '%s'", path);
  return fd;
}

char *
mr_path_join (const char *a, const char *b)
{
  size_t la = a ? strlen (a) : 0, lb = b ? strlen (b) : 0;
  bool absolute = la ? a[0] == '/' : (lb && b[0] == '/');
  char *in = malloc (la + lb + 2);
  char *out = malloc (la + lb + 3);
  char *p;
  size_t n = 0;

  if (in == NULL || out == NULL)
    {
      free (in);
      free (out);
      return NULL;
    }
  memcpy (in, a ? a : "", la);
  in[la] = '/';
  memcpy (in + la + 1, b ? b : "", lb);
  in[la + lb + 1] = '\0';

  if (absolute)
    out[n++] = '/';
  p = in;
  while (*p)
    {
      size_t len;

      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      len = strcspn (p, "/");
      if (len == 1 && p[0] == '.')
        ;
      else if (len == 2 && p[0] == '.' && p[1] == '.')
        {
          /* Back to the previous separator, but never above the start.  */
          size_t floor = absolute ? 1 : 0;
          while (n > floor && out[n - 1] != '/')
            n--;
          if (n > floor)
            n--;
        }
      else
        {
          if (n > 0 && out[n - 1] != '/')
            out[n++] = '/';
          memcpy (out + n, p, len);
          n += len;
        }
      p += len;
    }
  if (n == 0)
    out[n++] = '.';
  out[n] = '\0';
  free (in);
  return out;
}

static bool
may_search (const struct stat *st, uid_t uid, gid_t gid)
{
  if (st->st_uid == uid)
    return st->st_mode & S_IXUSR;
  if (st->st_gid == gid)
    return st->st_mode & S_IXGRP;
  return st->st_mode & S_IXOTH;
}

static int
check_searchable (const char *dir, uid_t uid, gid_t gid, char *out, size_t outlen,
                  struct stat *st_out)
{
  struct stat st;

  if (stat (dir, &st) < 0)
    return -1;
  if (!S_ISDIR (st.st_mode) || may_search (&st, uid, gid))
    return 0;
  snprintf (out, outlen, "%s", dir);
  if (st_out)
    *st_out = st;
  return 1;
}

int
mr_path_unsearchable (const char *path, uid_t uid, gid_t gid, char *out, size_t outlen,
                      struct stat *st_out)
{
  char buf[PATH_MAX];
  size_t len = strlen (path);
  int r;

  if (path[0] != '/' || len >= sizeof buf)
    return -1;
  /* from "/" down, so that the answer is the highest one in the way */
  if ((r = check_searchable ("/", uid, gid, out, outlen, st_out)) != 0)
    return r;
  for (size_t i = 1; i <= len; i++)
    {
      if (i < len && path[i] != '/')
        continue;
      if (path[i - 1] == '/')
        continue;
      memcpy (buf, path, i);
      buf[i] = '\0';
      if ((r = check_searchable (buf, uid, gid, out, outlen, st_out)) != 0)
        return r;
    }
  return 0;
}
