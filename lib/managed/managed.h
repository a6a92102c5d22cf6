/* Managed containers: the persistent record under
 * <data dir>/containers/<name>/ that the verbs and the container's monitor
 * share.
 *
 *   record.json     what the container is: its options (Config,
 *                   HostConfig), image or rootfs, created; written once
 *   status.json     how it is: Status, ExitCode, OOMKilled, StartedAt,
 *                   FinishedAt, RestartCount, MonitorPid, StopRequested;
 *                   replaced atomically under the record's lock
 *   bundle/         the OCI bundle (config.json) the monitor runs
 *   rootfs/ upper/ work/   an image's overlay (or its private copy)
 *   etc/            hostname, hosts, resolv.conf bound into the container
 *   container.log   the CRI log the monitor writes, rotated by size
 *
 * The record's directory is its lock (flock), as a state directory is.  */
#ifndef MR_MANAGED_H
#define MR_MANAGED_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "minirun.h"

#define MR_RECORDS_DIR "containers"
#define MR_LOG_FILE "container.log"
/* A monitor's malloc keeps no per-thread cache: the chunks such a cache
   holds after the container started are never given back, and they pin
   most of an idle monitor's heap.  Given where the caller set no tunables
   of its own; the monitor takes it out of its environment again.  */
#define MR_MONITOR_TUNABLES "GLIBC_TUNABLES=glibc.malloc.tcache_count=0"

struct mr_managed
{
  char *name;
  char *dir;      /* absolute path of the record directory */
  int dirfd;      /* O_DIRECTORY, the lock */
  json_t *record; /* record.json */
  json_t *status; /* status.json */
};

/* true when name has a record: it is a managed container.  name was
   validated by the caller.  */
bool mr_managed_exists (struct mr_context *ctx, const char *name);

/* Opens the record of name ("container 'x' does not exist", errnum ENOENT)
   and reads it; with lock, holds the record's lock.  */
int mr_managed_open (struct mr_context *ctx, const char *name, bool lock, struct mr_managed *m,
                     struct mr_error *err);
void mr_managed_close (struct mr_managed *m);
int mr_managed_lock (struct mr_managed *m, bool lock, struct mr_error *err);
int mr_managed_read_status (struct mr_managed *m, struct mr_error *err);
int mr_managed_write_status (struct mr_managed *m, bool durable, struct mr_error *err);

/* true while the monitor recorded in the status still runs.  */
bool mr_managed_monitor_alive (const struct mr_managed *m);
/* A pidfd of the live monitor, or -1.  */
int mr_managed_monitor_pidfd (const struct mr_managed *m);

/* Mounts an image container's overlay again when it is missing (after a
   reboot).  */
int mr_managed_ensure_rootfs (struct mr_managed *m, struct mr_error *err);

/* The container's status as the verbs show it: "created", "running",
   "paused", "restarting" or "stopped", looking at the runtime state too.  */
const char *mr_managed_status (struct mr_context *ctx, const struct mr_managed *m, pid_t *pid);

/* The verbs of lib/minirun.h for a managed container (mr_container_new,
   start and start_attached, stop, restart, wait, inspect, logs), as there;
   lib/verbs.c calls them for a validated name that has a record.  */
int mr_managed_new (struct mr_context *ctx, const struct mr_run_config *cfg, char **name,
                    struct mr_error *err);
int mr_managed_start (struct mr_context *ctx, const char *name, const struct mr_attach *attach,
                      int *exit_status, struct mr_error *err);
int mr_managed_stop (struct mr_context *ctx, const char *name, int timeout, struct mr_error *err);
int mr_managed_restart (struct mr_context *ctx, const char *name, int timeout,
                        struct mr_error *err);
int mr_managed_wait (struct mr_context *ctx, const char *name, int *exit_code,
                     const volatile int *stop, struct mr_error *err);
int mr_managed_inspect (struct mr_context *ctx, const char *name, char **json,
                        struct mr_error *err);
/* inspect of an OCI container: its state in the same shape.  */
int mr_managed_inspect_oci (struct mr_context *ctx, const char *id, char **json,
                            struct mr_error *err);
int mr_managed_logs (struct mr_context *ctx, const char *name, const struct mr_logs_opts *opts,
                     int (*cb) (void *data, int stream, const char *text, size_t len), void *data,
                     struct mr_error *err);
/* delete of a managed container: record, logs, overlay.  monitor: the
   caller is the container's own monitor (--rm).  */
int mr_managed_remove (struct mr_context *ctx, const char *name, bool force, bool monitor,
                       struct mr_error *err);

/* Adds the managed containers to a list of runtime states (*list, with
   *count entries of *alloc): running ones get their managed fields, the
   others an entry of their own.  */
int mr_managed_list_merge (struct mr_context *ctx, struct mr_container_info **list, size_t *count,
                           size_t *alloc, struct mr_error *err);

struct mr_container_root;
/* mr_oci_root_open for a managed container: while it runs, that; else its
   root directory from the record (the overlay mounted again when needed),
   with lock, the record's lock held.  */
int mr_managed_root_open (struct mr_context *ctx, const char *name, bool lock,
                          struct mr_container_root *r, struct mr_error *err);

/* 1 with *name set (caller frees) when a managed container was made from
   image id, else 0.  */
int mr_managed_image_user (struct mr_context *ctx, const char *id, char **name);

/* Status helpers on a status object.  */
const char *mr_managed_str (json_t *o, const char *key);
long long mr_managed_int (json_t *o, const char *key);

/* port_range of minirun.conf: *set false when it names none.  */
int mr_managed_conf_port_range (struct mr_port_range *out, bool *set, struct mr_error *err);

/* The bridge network a record's container joins at start: NULL for
 * none, host and container:NAME, which make no endpoint of their own.  */
const char *mr_managed_network_of (json_t *record);
/* The container whose network namespace a record's container shares
 * (--network container:NAME), or NULL.  */
const char *mr_managed_network_peer (json_t *record);

/* Removes the container's network endpoint (veth, namespace, address,
 * ports, rules); nothing there is no error.  */
int mr_managed_net_release (struct mr_context *ctx, const char *name, struct mr_error *err);
/* Whether the container id still holds its endpoint (running, paused or
 * restarting); an mr_endpoint_alive_fn, with the context as data.  */
bool mr_managed_endpoint_alive (const char *id, void *ctx);

/* The names of the managed containers (caller frees each, then the
 * array).  */
int mr_managed_names (struct mr_context *ctx, char ***names, size_t *n, struct mr_error *err);

#endif
