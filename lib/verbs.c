/* The public verbs of lib/minirun.h.  Each validates the name it is given
 * once, finds what kind of container it names, and calls either the managed
 * layer (lib/managed/) or the OCI core (lib/oci/container.c); nothing below
 * asks again.  A managed container's runtime state is an OCI container's,
 * so the verbs that act on a running process go to the core for both.  */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "managed/files.h"
#include "managed/managed.h"
#include "managed/ports.h"
#include "managed/stats.h"
#include "oci/container.h"
#include "util/error.h"

enum kind
{
  KIND_NONE,    /* nothing by that name (the core says so) */
  KIND_OCI,     /* a runtime state directory, no record */
  KIND_MANAGED, /* a record (and a runtime state while it runs) */
};

static int
resolve (struct mr_context *ctx, const char *id, enum kind *kind, struct mr_error *err)
{
  if (mr_id_validate (id, err) < 0)
    return -1;
  if (mr_managed_exists (ctx, id))
    *kind = KIND_MANAGED;
  else if (mr_oci_exists (ctx, id))
    *kind = KIND_OCI;
  else
    *kind = KIND_NONE;
  return 0;
}

/* What the core did for id: a managed container that does not run has no
 * runtime state, and "does not exist" would be wrong for it.  */
static int
core_done (struct mr_context *ctx, const char *id, enum kind kind, int r, struct mr_error *err)
{
  if (r < 0 && kind == KIND_MANAGED && err->errnum == ENOENT && !mr_oci_exists (ctx, id))
    {
      mr_error_set (err, "container '%s' is not running", id);
      err->errnum = ENOENT;
    }
  return r;
}

static int
name_in_use (const char *id, struct mr_error *err)
{
  mr_error_set (err, "container '%s' already exists (a managed container)", id);
  err->errnum = EEXIST;
  return -1;
}

static int
no_such_container (const char *id, struct mr_error *err)
{
  mr_error_set (err, "container '%s' does not exist", id);
  err->errnum = ENOENT;
  return -1;
}

/* --- OCI lifecycle -------------------------------------------------------- */

int
mr_container_create (struct mr_context *ctx, const char *id, const struct mr_create_opts *opts,
                     struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  if (kind == KIND_MANAGED)
    return name_in_use (id, err);
  return mr_oci_create (ctx, id, opts, err);
}

int
mr_container_run (struct mr_context *ctx, const char *id, const struct mr_create_opts *opts,
                  int *exit_status, struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  if (kind == KIND_MANAGED)
    return name_in_use (id, err);
  return mr_oci_run (ctx, id, opts, exit_status, err);
}

int
mr_container_start (struct mr_context *ctx, const char *id, struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  if (kind == KIND_MANAGED)
    return mr_managed_start (ctx, id, NULL, NULL, err);
  return mr_oci_start (ctx, id, err);
}

int
mr_container_delete (struct mr_context *ctx, const char *id, const struct mr_delete_opts *opts,
                     struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  if (kind == KIND_MANAGED)
    return mr_managed_remove (ctx, id, opts->force, false, err);
  return mr_oci_delete (ctx, id, opts, err);
}

/* --- a running container, either kind ------------------------------------- */

int
mr_container_state (struct mr_context *ctx, const char *id, char **json, struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  return core_done (ctx, id, kind, mr_oci_state (ctx, id, json, err), err);
}

int
mr_container_kill (struct mr_context *ctx, const char *id, const struct mr_kill_opts *opts,
                   struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  return core_done (ctx, id, kind, mr_oci_kill (ctx, id, opts, err), err);
}

int
mr_container_ps (struct mr_context *ctx, const char *id, pid_t **pids, size_t *n,
                 struct mr_error *err)
{
  enum kind kind;

  *pids = NULL;
  *n = 0;
  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  return core_done (ctx, id, kind, mr_oci_ps (ctx, id, pids, n, err), err);
}

int
mr_container_top (struct mr_context *ctx, const char *id, struct mr_process_info **list, size_t *n,
                  struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  return core_done (ctx, id, kind, mr_oci_top (ctx, id, list, n, err), err);
}

int
mr_container_ps_run (struct mr_context *ctx, const char *id, const char *const *args, size_t n_args,
                     char **out, struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  return core_done (ctx, id, kind, mr_oci_ps_run (ctx, id, args, n_args, out, err), err);
}

int
mr_container_events (struct mr_context *ctx, const char *id,
                     const struct mr_container_events_opts *opts,
                     int (*cb) (void *data, const char *json_line), void *data,
                     struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  return core_done (ctx, id, kind, mr_oci_events (ctx, id, opts, cb, data, err), err);
}

int
mr_container_pause (struct mr_context *ctx, const char *id, struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  return core_done (ctx, id, kind, mr_oci_pause (ctx, id, err), err);
}

int
mr_container_resume (struct mr_context *ctx, const char *id, struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  return core_done (ctx, id, kind, mr_oci_resume (ctx, id, err), err);
}

int
mr_container_exec (struct mr_context *ctx, const char *id, const struct mr_exec_opts *opts,
                   int *exit_status, struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  return core_done (ctx, id, kind, mr_oci_exec (ctx, id, opts, exit_status, err), err);
}

int
mr_container_exec_capture (struct mr_context *ctx, const char *id, const struct mr_exec_opts *opts,
                           const struct mr_exec_capture_opts *copts, struct mr_exec_result *res,
                           struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  return core_done (ctx, id, kind, mr_oci_exec_capture (ctx, id, opts, copts, res, err), err);
}

int
mr_container_update (struct mr_context *ctx, const char *id, const struct mr_update_opts *opts,
                     struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  return core_done (ctx, id, kind, mr_oci_update (ctx, id, opts, err), err);
}

int
mr_container_stats (struct mr_context *ctx, const char *id, struct mr_stats *out,
                    struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  return core_done (ctx, id, kind, mr_stats_container (ctx, id, out, err), err);
}

int
mr_container_stop (struct mr_context *ctx, const char *name, int timeout, struct mr_error *err)
{
  enum mr_status status;
  enum kind kind;

  if (resolve (ctx, name, &kind, err) < 0)
    return -1;
  if (kind == KIND_MANAGED)
    return mr_managed_stop (ctx, name, timeout, err);
  /* an OCI container: the engine's own supervisor sees the exit */
  if (mr_oci_status (ctx, name, &status, err) < 0)
    return -1;
  return mr_oci_stop (ctx, name, SIGTERM, timeout < 0 ? 10 : timeout, err);
}

/* --- listing -------------------------------------------------------------- */

static int
id_cmp (const void *a, const void *b)
{
  return strcmp (((const struct mr_container_info *)a)->id,
                 ((const struct mr_container_info *)b)->id);
}

int
mr_container_list (struct mr_context *ctx, struct mr_container_info **list, size_t *n,
                   struct mr_error *err)
{
  struct mr_container_info *out;
  size_t count, alloc;

  if (mr_oci_list (ctx, &out, &count, err) < 0)
    return -1;
  alloc = count;
  /* a running managed container is in both: one entry, with its record's
     fields */
  if (mr_managed_list_merge (ctx, &out, &count, &alloc, err) < 0)
    {
      mr_container_info_free (out, count);
      return -1;
    }
  if (count > 1)
    qsort (out, count, sizeof *out, id_cmp);
  *list = out;
  *n = count;
  return 0;
}

int
mr_container_list_json (struct mr_context *ctx, char **json, struct mr_error *err)
{
  struct mr_container_info *list;
  size_t n;
  int r;

  if (mr_container_list (ctx, &list, &n, err) < 0)
    return -1;
  r = mr_container_info_json (list, n, json, err);
  mr_container_info_free (list, n);
  return r;
}

int
mr_system_stats (struct mr_context *ctx, struct mr_system_stats *out, struct mr_error *err)
{
  struct mr_container_info *list;
  size_t n;
  int r;

  if (mr_container_list (ctx, &list, &n, err) < 0)
    return mr_error_prefix (err, "system stats");
  r = mr_stats_system (list, n, out, err);
  mr_container_info_free (list, n);
  return r;
}

/* --- managed containers --------------------------------------------------- */

bool
mr_container_is_managed (struct mr_context *ctx, const char *id)
{
  struct mr_error e = { 0 };

  return mr_id_validate (id, &e) == 0 && mr_managed_exists (ctx, id);
}

int
mr_container_new (struct mr_context *ctx, const struct mr_run_config *cfg, char **name,
                  struct mr_error *err)
{
  /* a new name: mr_managed_new validates it with the rest of cfg */
  return mr_managed_new (ctx, cfg, name, err);
}

int
mr_container_start_attached (struct mr_context *ctx, const char *name,
                             const struct mr_attach *attach, int *exit_status, struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, name, &kind, err) < 0)
    return -1;
  if (kind != KIND_MANAGED)
    {
      mr_error_set (err, "container '%s' is not a managed container", name);
      err->errnum = ENOENT;
      return -1;
    }
  return mr_managed_start (ctx, name, attach, exit_status, err);
}

int
mr_container_restart (struct mr_context *ctx, const char *name, int timeout, struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, name, &kind, err) < 0)
    return -1;
  if (kind != KIND_MANAGED)
    return mr_error_set (err,
                         "cannot restart container '%s': only managed containers can be "
                         "restarted (an OCI container's engine restarts it)",
                         name);
  return mr_managed_restart (ctx, name, timeout, err);
}

int
mr_container_wait (struct mr_context *ctx, const char *name, int *exit_code,
                   const volatile int *stop, struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, name, &kind, err) < 0)
    return -1;
  if (kind == KIND_NONE)
    return no_such_container (name, err);
  if (kind == KIND_OCI)
    return mr_error_set (err,
                         "cannot wait for container '%s': it is not a managed container (its "
                         "engine reports its exit)",
                         name);
  return mr_managed_wait (ctx, name, exit_code, stop, err);
}

int
mr_container_inspect (struct mr_context *ctx, const char *name, char **json, struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, name, &kind, err) < 0)
    return -1;
  if (kind == KIND_MANAGED)
    return mr_managed_inspect (ctx, name, json, err);
  return mr_managed_inspect_oci (ctx, name, json, err);
}

int
mr_container_net (struct mr_context *ctx, const char *name, struct mr_container_net *out,
                  struct mr_error *err)
{
  struct mr_managed m;
  enum kind kind;
  int r;

  *out = (struct mr_container_net){ .size = out->size };
  if (resolve (ctx, name, &kind, err) < 0)
    return -1;
  if (kind == KIND_NONE)
    return no_such_container (name, err);
  /* the engine that runs an OCI container owns its network */
  if (kind == KIND_OCI)
    return 0;
  if (mr_managed_open (ctx, name, false, &m, err) < 0)
    return -1;
  r = mr_managed_net (ctx, name, m.record, mr_managed_status (ctx, &m, NULL), out, err);
  mr_managed_close (&m);
  return r;
}

int
mr_container_logs (struct mr_context *ctx, const char *name, const struct mr_logs_opts *opts,
                   int (*cb) (void *data, int stream, const char *text, size_t len), void *data,
                   struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, name, &kind, err) < 0)
    return -1;
  if (kind == KIND_NONE)
    return no_such_container (name, err);
  if (kind == KIND_OCI)
    return mr_error_set (err,
                         "container '%s' has no log: it is an OCI container, whose engine keeps "
                         "its output",
                         name);
  return mr_managed_logs (ctx, name, opts, cb, data, err);
}

/* --- files in a container ------------------------------------------------- */

int
mr_container_copy_to (struct mr_context *ctx, const char *id, const char *host_src,
                      const char *ctr_dst, const struct mr_cp_opts *opts, struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  return mr_files_copy_to (ctx, id, kind == KIND_MANAGED, host_src, ctr_dst, opts, err);
}

int
mr_container_copy_from (struct mr_context *ctx, const char *id, const char *ctr_src,
                        const char *host_dst, const struct mr_cp_opts *opts, struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  return mr_files_copy_from (ctx, id, kind == KIND_MANAGED, ctr_src, host_dst, opts, err);
}

int
mr_container_file_open (struct mr_context *ctx, const char *id, const char *path, size_t max,
                        int *fd, uint64_t *size, mode_t *mode, struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  return mr_files_open (ctx, id, kind == KIND_MANAGED, path, max, fd, size, mode, err);
}

int
mr_container_file_read (struct mr_context *ctx, const char *id, const char *path, size_t max,
                        char **data, size_t *len, mode_t *mode, struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  return mr_files_read (ctx, id, kind == KIND_MANAGED, path, max, data, len, mode, err);
}

int
mr_container_file_write (struct mr_context *ctx, const char *id, const char *path, const void *data,
                         size_t len, mode_t mode, struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  return mr_files_write (ctx, id, kind == KIND_MANAGED, path, data, len, mode, err);
}

int
mr_container_useradd (struct mr_context *ctx, const char *id, const struct mr_useradd_opts *opts,
                      struct mr_error *err)
{
  enum kind kind;

  if (resolve (ctx, id, &kind, err) < 0)
    return -1;
  return mr_files_useradd (ctx, id, kind == KIND_MANAGED, opts, err);
}
