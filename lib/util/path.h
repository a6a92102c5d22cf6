/* Opening paths inside a container root that the container may have
 * changed: resolved relative to a directory fd, never through a symlink that
 * leaves the root, never through /proc magic links.  */
#ifndef MR_UTIL_PATH_H
#define MR_UTIL_PATH_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "minirun.h"

/* openat2 (rootfd, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) with a
 * careful component-by-component fallback where openat2 is missing.
 * Returns the fd or -1 with err set.  */
int mr_open_in_root (int rootfd, const char *path, int flags, mode_t mode, struct mr_error *err);

/* Creates every missing directory of path inside the root (like mkdir -p,
 * with the same resolution rules) and returns an O_PATH|O_DIRECTORY fd of
 * the last one, or -1.  */
int mr_mkdir_in_root (int rootfd, const char *path, mode_t mode, struct mr_error *err);

/* Opens path with flags | O_CREAT, first creating (with dir_mode) every
 * missing directory on the way, those a dangling symlink leads to
 * included, all inside the root.  Returns the fd or -1.  */
int mr_create_in_root (int rootfd, const char *path, int flags, mode_t mode, mode_t dir_mode,
                       struct mr_error *err);

/* Joins and lexically cleans "a" + "/" + "b" ("//", ".", ".." removed,
 * never climbing above "/").  Caller frees.  */
char *mr_path_join (const char *a, const char *b);

/* The first directory on the way to path (path itself included when it is
 * a directory) that uid:gid may not search, by its mode bits: what a user
 * namespace's root, some other host id, meets on a host path.  Copies it to
 * out and returns 1, returns 0 when every one is searchable, -1 when path
 * cannot be examined.  */
int mr_path_unsearchable (const char *path, uid_t uid, gid_t gid, char *out, size_t outlen,
                          struct stat *st_out);

#endif
