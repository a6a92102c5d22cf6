/* The OCI core: the lifecycle of a container from its bundle and its
 * runtime state directory.  Each mr_oci_* call takes an id that the verb
 * above it validated; the core knows nothing of managed containers, which
 * are built on it (lib/managed/), and lib/verbs.c picks which one a public
 * verb goes to.  */
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
   mr_oci_root_close, as the verbs that change a container do.  */
int mr_oci_root_open (struct mr_context *ctx, const char *id, bool lock,
                      struct mr_container_root *r, struct mr_error *err);
void mr_oci_root_close (struct mr_container_root *r);

/* Opens the runtime state of container id (with lock: locked exclusively),
   reads it and works out its status.  *dirfd is the state directory.  */
int mr_oci_load (struct mr_context *ctx, const char *id, bool lock, int *dirfd,
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
int mr_oci_run_monitored (struct mr_context *ctx, const char *id, const char *bundle,
                          struct mr_monitored *out, struct mr_error *err);

/* Deletes the runtime state of id (as delete --force), leaving any managed
   record alone; a missing one is not an error.  */
int mr_oci_delete_runtime (struct mr_context *ctx, const char *id, struct mr_error *err);

/* true when the root holds an entry named id: a runtime state directory (or
   the data directory, whose name is taken).  */
bool mr_oci_exists (struct mr_context *ctx, const char *id);
/* The status of id now, as mr_oci_load works it out.  */
int mr_oci_status (struct mr_context *ctx, const char *id, enum mr_status *status,
                   struct mr_error *err);
/* Signals id's init with sig, waits for it up to timeout seconds, then
   kills everything in it.  A container that does not run is stopped.  */
int mr_oci_stop (struct mr_context *ctx, const char *id, int sig, int timeout,
                 struct mr_error *err);

/* The verbs of lib/minirun.h, for a validated id of an OCI container (or of
   a managed one's runtime state); as there.  */
int mr_oci_create (struct mr_context *ctx, const char *id, const struct mr_create_opts *opts,
                   struct mr_error *err);
int mr_oci_start (struct mr_context *ctx, const char *id, struct mr_error *err);
int mr_oci_run (struct mr_context *ctx, const char *id, const struct mr_create_opts *opts,
                int *exit_status, struct mr_error *err);
int mr_oci_state (struct mr_context *ctx, const char *id, char **json, struct mr_error *err);
int mr_oci_kill (struct mr_context *ctx, const char *id, const struct mr_kill_opts *opts,
                 struct mr_error *err);
int mr_oci_delete (struct mr_context *ctx, const char *id, const struct mr_delete_opts *opts,
                   struct mr_error *err);
/* The runtime states only, unsorted.  */
int mr_oci_list (struct mr_context *ctx, struct mr_container_info **list, size_t *n,
                 struct mr_error *err);
int mr_oci_ps (struct mr_context *ctx, const char *id, pid_t **pids, size_t *n,
               struct mr_error *err);
int mr_oci_top (struct mr_context *ctx, const char *id, struct mr_process_info **list, size_t *n,
                struct mr_error *err);
int mr_oci_ps_run (struct mr_context *ctx, const char *id, const char *const *args,
                   size_t n_args, char **out, struct mr_error *err);
int mr_oci_events (struct mr_context *ctx, const char *id,
                   const struct mr_container_events_opts *opts,
                   int (*cb) (void *data, const char *json_line), void *data,
                   struct mr_error *err);
int mr_oci_pause (struct mr_context *ctx, const char *id, struct mr_error *err);
int mr_oci_resume (struct mr_context *ctx, const char *id, struct mr_error *err);
int mr_oci_exec (struct mr_context *ctx, const char *id, const struct mr_exec_opts *opts,
                 int *exit_status, struct mr_error *err);
int mr_oci_exec_capture (struct mr_context *ctx, const char *id, const struct mr_exec_opts *opts,
                         const struct mr_exec_capture_opts *copts, struct mr_exec_result *res,
                         struct mr_error *err);
int mr_oci_update (struct mr_context *ctx, const char *id, const struct mr_update_opts *o,
                   struct mr_error *err);

#endif
