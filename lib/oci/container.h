/* What container.c lends to the verbs that reach into a container's file
 * system (files.c) without exposing the state it is read from.  */
#ifndef MR_CONTAINER_H
#define MR_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "minirun.h"
#include "oci/spec.h"
#include "oci/state.h"

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

/* Opens the runtime state of container id (with lock: locked exclusively),
   reads it and works out its status.  *dirfd is the state directory.  */
int mr_container_load (struct mr_context *ctx, const char *id, bool lock, int *dirfd,
                       struct mr_state **st, enum mr_status *status, struct mr_error *err);

/* A managed container's init, as its monitor holds it.  */
struct mr_monitored
{
  pid_t pid;
  int pidfd;      /* -1 where the kernel has none */
  int pty_master; /* -1 without a terminal */
  char *cgroup_path;
};

/* For the monitor: creates and starts container id from bundle, the
   caller's fds 0-2 becoming its stdio (unless it has a terminal: then the
   pty master comes back), and returns without waiting; the caller is the
   init's parent and reaps it.  */
int mr_container_run_monitored (struct mr_context *ctx, const char *id, const char *bundle,
                                struct mr_monitored *out, struct mr_error *err);

/* Deletes the runtime state of id (as delete --force), leaving any managed
   record alone; a missing one is not an error.  */
int mr_container_delete_runtime (struct mr_context *ctx, const char *id, struct mr_error *err);

#endif
