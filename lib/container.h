/* What container.c lends to the verbs that reach into a container's file
 * system (files.c) without exposing the state it is read from.  */
#ifndef MR_CONTAINER_H
#define MR_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "minirun.h"
#include "spec.h"

struct mr_container_root
{
  /* The root as the container's processes see it, O_PATH | O_DIRECTORY:
     /proc/<init>/root while init lives (its mounts included), else the
     rootfs directory.  Resolve paths under it with mr_open_in_root.  */
  int fd;
  /* /proc/<init> of that same process while it lives (uid_map, gid_map),
     else -1.  */
  int procfd;
  /* The container's state directory, locked, when the caller asked for the
     lock; else -1.  */
  int lockfd;
  /* The container's config when init is gone and the container has a user
     namespace of its own: where the id mappings come from then.  Else
     NULL.  */
  struct mr_spec *spec;
};

/* Fills r for container id.  A container that is still being created has no
   root yet and is refused.  lock: hold the container's lock until
   mr_container_root_close, as the verbs that change a container do.  */
int mr_container_root_open (struct mr_context *ctx, const char *id, bool lock,
                            struct mr_container_root *r, struct mr_error *err);
void mr_container_root_close (struct mr_container_root *r);

#endif
