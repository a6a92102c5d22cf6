/* Parts of path.c that unit tests reach directly.  */
#ifndef MR_UTIL_PATH_INTERNAL_H
#define MR_UTIL_PATH_INTERNAL_H

#include <sys/types.h>

#include "minirun.h"

/* What mr_open_in_root does where openat2 is missing: a walk with
   O_NOFOLLOW on each component that expands symlinks itself, relative to
   the root, following at most 40 of them.  */
int mr_open_in_root_fallback (int rootfd, const char *path, int flags, mode_t mode,
                              struct mr_error *err);

#endif
