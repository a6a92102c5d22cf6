/* Small file helpers.  All fds are O_CLOEXEC.  */
#ifndef MR_UTIL_FS_H
#define MR_UTIL_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "minirun.h"

/* Reads a whole file (NUL-terminated; len may be NULL).  */
int mr_read_file_at (int dirfd, const char *path, char **out, size_t *len, struct mr_error *err);
int mr_read_file (const char *path, char **out, size_t *len, struct mr_error *err);

/* Writes to an existing file (cgroup, proc and sys files): no create, no truncate.  */
int mr_write_file_at (int dirfd, const char *path, const char *data, size_t len,
                      struct mr_error *err);
int mr_write_file (const char *path, const char *data, size_t len, struct mr_error *err);

enum
{
  /* fsync before the rename: the new content survives a power loss, not only
     a crash of the writer */
  MR_WRITE_DURABLE = 1 << 0,
};

/* Creates or replaces a file: write to a temporary, rename (readers see the
 * old or the new content, never a part).  flags: MR_WRITE_*.  */
int mr_write_file_atomic_at (int dirfd, const char *name, const char *data, size_t len, mode_t mode,
                             unsigned flags, struct mr_error *err);

/* Recreates the symlink name of srcdir in dstdir (size: its st_size);
 * path names it in errors.  */
int mr_copy_symlink_at (int srcdir, const char *name, int dstdir, size_t size, const char *path,
                        struct mr_error *err);

/* mkdir -p; existing directories are fine.  */
int mr_mkdir_p (const char *path, mode_t mode, struct mr_error *err);

/* Writes all of buf, retrying on EINTR and short writes.  Returns 0 or -1 (errno).  */
int mr_write_all (int fd, const void *buf, size_t len);

/* Empties the queue of a non-blocking inotify descriptor; 1 when a watched
 * directory itself went away (deleted, moved, or its watch dropped).  */
int mr_inotify_drain (int ifd);

/* Waits up to timeout_ms (-1: for ever) for fd to be readable, through
 * signals: 1 when it is, 0 on timeout, -1 on error.  */
int mr_wait_readable (int fd, int timeout_ms);

/* asprintf that reports ENOMEM as an error.  */
int mr_asprintf (struct mr_error *err, char **out, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

#endif
