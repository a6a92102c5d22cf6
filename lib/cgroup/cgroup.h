/* cgroups: one interface, two backends (v1 and v2), chosen by probing.  */
#ifndef MR_CGROUP_H
#define MR_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "minirun.h"
#include "oci/spec.h"

enum mr_cgroup_mode
{
  MR_CGROUP_V1 = 1, /* legacy or hybrid: controllers under /sys/fs/cgroup/<ctrl> */
  MR_CGROUP_V2 = 2, /* unified: /sys/fs/cgroup is cgroup2 */
};

/* Probes the host once (statfs of /sys/fs/cgroup) and caches the answer.  */
int mr_cgroup_mode (enum mr_cgroup_mode *mode, struct mr_error *err);

/* The cgroup path a container gets, relative to the hierarchy root, always
 * starting with '/': an absolute linux.cgroupsPath is used as it is; a
 * relative one is taken relative to the cgroup the runtime runs in
 * (own_cgroup, as read from /proc/self/cgroup); none gives
 * <own_cgroup>/<name>.  Rejects paths with ".." components.  */
int mr_cgroup_resolve_path (const char *cgroups_path, const char *own_cgroup, const char *name,
                            char **out, struct mr_error *err);

/* The cgroup name of a container without linux.cgroupsPath:
 * "minirun-<8 hex digits of a hash of the absolute state root>-<id>", so
 * that runtimes with different --root never share a cgroup.  */
int mr_cgroup_default_name (const char *state_root, const char *id, char **out,
                            struct mr_error *err);

/* Where the container's cgroup goes in each hierarchy, from the content of
 * /proc/self/cgroup: a relative (or no) cgroupsPath is taken below the
 * runtime's own cgroup of each v1 hierarchy and of the cgroup2 one, as
 * runc does.  *primary is the path of the hierarchy that
 * mr_cgroup_own_path picks; *layout an object {"<controllers>" or
 * "unified": {"path": P}} that mr_cgroup_create_in and mr_cgroup_open_in
 * take (and state.json keeps).  */
int mr_cgroup_parse_layout (const char *proc_self_cgroup, enum mr_cgroup_mode mode,
                            const char *cgroups_path, const char *name, char **primary,
                            json_t **layout, struct mr_error *err);
/* The same for this process.  */
int mr_cgroup_resolve_layout (const char *cgroups_path, const char *name, char **primary,
                              json_t **layout, struct mr_error *err);

/* The runtime's own cgroup path for the hierarchy that matters to the
 * backend (v2: the "0::" line; v1: the memory controller's line, else the
 * first one).  */
int mr_cgroup_own_path (char **out, struct mr_error *err);

struct mr_cgroup;

/* Creates the cgroup (every v1 controller that is mounted, plus the cgroup2
 * mount at /sys/fs/cgroup/unified when present; or the v2 cgroup with the
 * controllers the limits need enabled in the parents), then applies
 * resources (may be NULL).  A limit the host cannot enforce is an error.
 * On failure nothing is left behind.  */
int mr_cgroup_create (const char *path, const struct mr_spec_resources *resources,
                      struct mr_cgroup **out, struct mr_error *err);
/* With a layout (may be NULL): each hierarchy's own path.  Afterwards the
 * handle's layout (mr_cgroup_layout) also says which levels of each path
 * create made, so that destroy removes those parents again (when empty).  */
int mr_cgroup_create_in (const char *path, json_t *layout,
                         const struct mr_spec_resources *resources, struct mr_cgroup **out,
                         struct mr_error *err);

/* Opens an existing cgroup (for state, kill, pause, delete, update); a
 * cgroup that no longer exists is not an error: the handle still works and
 * operations on it are no-ops, except mr_cgroup_enter, which fails so that
 * no process runs unconfined.  */
int mr_cgroup_open (const char *path, struct mr_cgroup **out, struct mr_error *err);
/* With the layout that state.json kept (may be NULL).  */
int mr_cgroup_open_in (const char *path, json_t *layout, struct mr_cgroup **out,
                       struct mr_error *err);

/* The handle's layout (borrowed), NULL when it has none.  */
json_t *mr_cgroup_layout (const struct mr_cgroup *cg);
/* Whether every hierarchy has the cgroup at mr_cgroup_path.  */
bool mr_cgroup_same_path_everywhere (const struct mr_cgroup *cg);

void mr_cgroup_free (struct mr_cgroup *cg);

const char *mr_cgroup_path (const struct mr_cgroup *cg);

/* An O_DIRECTORY fd of the cgroup2 directory (v2 cgroup, or the hybrid
 * unified one), usable with clone3's CLONE_INTO_CGROUP; -1 when none.  The
 * handle owns it.  */
int mr_cgroup_clone_fd (const struct mr_cgroup *cg);

/* Moves pid into the cgroup (every hierarchy).  When the process was born
 * into the cgroup2 directory with CLONE_INTO_CGROUP, pass born_in_v2 so only
 * the v1 controllers are written.  */
int mr_cgroup_enter (struct mr_cgroup *cg, pid_t pid, bool born_in_v2, struct mr_error *err);

/* A process can move itself into a v1 hierarchy by writing "0" to the
 * hierarchy's "tasks" file; the kernel then skips the global threadgroup
 * lock that writing a pid to cgroup.procs takes for writing, which waits
 * for an RCU grace period (milliseconds, more on a loaded host) each time.
 * For a process about to be made, single-threaded:
 * mr_cgroup_self_join_open opens those files (false where there is no v1
 * hierarchy or one does not open: mr_cgroup_enter then does it all); the
 * new process calls mr_cgroup_self_join before anything else; the parent
 * calls mr_cgroup_self_join_close (joined: the process was made) and then
 * mr_cgroup_enter, which only does what is left (the hybrid cgroup2
 * directory, unless born there).  mr_cgroup_self_join_complete: whether
 * the new process is then in every hierarchy without mr_cgroup_enter.  */
bool mr_cgroup_self_join_open (struct mr_cgroup *cg);
int mr_cgroup_self_join (struct mr_cgroup *cg, struct mr_error *err);
void mr_cgroup_self_join_close (struct mr_cgroup *cg, bool joined);
bool mr_cgroup_self_join_complete (const struct mr_cgroup *cg, bool born_in_v2);

/* Moves pid into the cgroup in the one cgroup v1 hierarchy that has
 * controller; an error on a v2 host and for a controller not mounted.  */
int mr_cgroup_enter_controller (struct mr_cgroup *cg, const char *controller, pid_t pid,
                                struct mr_error *err);

/* Applies (more) resources to an existing cgroup (update).  */
int mr_cgroup_update (struct mr_cgroup *cg, const struct mr_spec_resources *resources,
                      struct mr_error *err);

/* Freezes or thaws every process in the cgroup, and waits until the
 * kernel reports the new state.  */
int mr_cgroup_freeze (struct mr_cgroup *cg, bool frozen, struct mr_error *err);
/* true when frozen.  */
int mr_cgroup_is_frozen (struct mr_cgroup *cg, bool *frozen, struct mr_error *err);

/* Every pid in the cgroup and its descendants (caller frees).  */
int mr_cgroup_pids (struct mr_cgroup *cg, pid_t **pids, size_t *n, struct mr_error *err);

/* Sends sig to every process in the cgroup (SIGKILL through cgroup.kill
 * where the kernel has it).  Frozen processes are thawed so that the
 * signal is delivered.  */
int mr_cgroup_kill (struct mr_cgroup *cg, int sig, struct mr_error *err);

/* Removes the cgroup from every hierarchy, killing what is left in it and
 * retrying while the kernel reports EBUSY.  A cgroup that is already gone is
 * not an error.  */
int mr_cgroup_destroy (struct mr_cgroup *cg, struct mr_error *err);

struct mr_cgroup_stats
{
  uint64_t cpu_usage_ns;
  uint64_t memory_usage;
  uint64_t memory_limit; /* UINT64_MAX: unlimited */
  uint64_t pids_current;
  uint64_t pids_limit; /* UINT64_MAX: unlimited */
  uint64_t blkio_read_bytes;
  uint64_t blkio_write_bytes;
  uint64_t oom_kills;
  /* memory.stat inactive_file (v1: total_inactive_file, which counts the
   * descendants too): page cache the kernel reclaims first, which docker
   * stats leaves out of the usage it shows.  */
  uint64_t memory_inactive_file;
};
int mr_cgroup_stats (struct mr_cgroup *cg, struct mr_cgroup_stats *st, struct mr_error *err);

/* The "data" object of runc's stats event (runc events): cpu (usage total,
 * percpu, kernel, user; throttling), memory (cache, usage, swap, raw
 * memory.stat), pids, blkio (ioServiceBytesRecursive, ioServicedRecursive),
 * hugetlb, with runc's names; values the host does not have are left
 * out, as runc leaves zeros out.  */
int mr_cgroup_stats_json (struct mr_cgroup *cg, json_t **data, struct mr_error *err);

#endif
