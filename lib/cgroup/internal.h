/* Shared between cgroup.c and the backends; not part of the public API.  */
#ifndef MR_CGROUP_INTERNAL_H
#define MR_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"

struct bpf_insn;

/* Where the cgroup2 hierarchy is mounted on a v2 host.  */
#define MR_CGROUP_ROOT "/sys/fs/cgroup"

struct mr_cgroup_ops
{
  /* Creates the directories and applies resources; on failure, removes
   * what it created.  */
  int (*create) (struct mr_cgroup *cg, const struct mr_spec_resources *r, struct mr_error *err);
  /* Finds an existing cgroup; sets cg->exists.  */
  int (*open) (struct mr_cgroup *cg, struct mr_error *err);
  int (*update) (struct mr_cgroup *cg, const struct mr_spec_resources *r, struct mr_error *err);
  int (*enter) (struct mr_cgroup *cg, pid_t pid, bool born_in_v2, struct mr_error *err);
  int (*freeze) (struct mr_cgroup *cg, bool frozen, struct mr_error *err);
  int (*is_frozen) (struct mr_cgroup *cg, bool *frozen, struct mr_error *err);
  int (*pids) (struct mr_cgroup *cg, pid_t **pids, size_t *n, struct mr_error *err);
  int (*kill) (struct mr_cgroup *cg, int sig, struct mr_error *err);
  int (*destroy) (struct mr_cgroup *cg, struct mr_error *err);
  int (*stats) (struct mr_cgroup *cg, struct mr_cgroup_stats *st, struct mr_error *err);
  /* Fills the objects of data (made by the caller, see mr_cgroup_stats_json).  */
  int (*stats_json) (struct mr_cgroup *cg, json_t *data, struct mr_error *err);
  void (*free) (struct mr_cgroup *cg);
};

struct mr_cgroup
{
  enum mr_cgroup_mode mode;
  char *path; /* relative to the hierarchy roots, starts with '/' */
  const struct mr_cgroup_ops *ops;
  bool exists;    /* false: opened on a cgroup that is gone; every operation is a no-op */
  char *v2_root;  /* cgroup2 mount point (v2, or the hybrid one in v1); NULL if none */
  char *v2_dir;   /* v2_root + path */
  int v2_fd;      /* O_DIRECTORY fd of v2_dir, or -1 */
  int v2_created; /* first level of the cgroup2 path that create made, 0: none */
  json_t *layout; /* per hierarchy path and levels made (see mr_cgroup_create_in), or NULL */
  bool uniform;   /* every hierarchy at path */
  void *data;     /* backend state */
};

/* The layout entry of the hierarchy with these controllers ("unified" for
 * the cgroup2 one): an entry whose key shares the first controller.  */
json_t *mr_cgroup_layout_entry (json_t *layout, const char *controllers);

extern const struct mr_cgroup_ops mr_cgroup_v1_ops;
extern const struct mr_cgroup_ops mr_cgroup_v2_ops;

/* Overrides probing: the mode, and where the cgroup2 hierarchy is mounted
 * (NULL: the default for the mode; "" in v1 mode: no hybrid cgroup2
 * directory).  mode 0 restores probing.  For tests, which need a v2
 * backend and a v1-only one on a hybrid host.  Not thread-safe.  */
void mr_cgroup_set_override (enum mr_cgroup_mode mode, const char *v2_root);
/* The cgroup2 mount point in effect for v2 mode.  */
const char *mr_cgroup_v2_root (void);
/* The overriding cgroup2 mount point, or NULL.  */
const char *mr_cgroup_override_root (void);

/* The path that /proc/self/cgroup content gives for the backend: the
 * "0::" line for v2; for v1 the memory controller's line, else the first
 * v1 line.  */
int mr_cgroup_parse_own_path (const char *content, enum mr_cgroup_mode mode, char **out,
                              struct mr_error *err);

/* Lexically cleans an absolute cgroup path: "//" and "." collapsed,
 * trailing '/' removed; ".." is rejected.  */
int mr_cgroup_clean_path (const char *path, char **out, struct mr_error *err);

/* runc's conversions from v1 values to v2 ones.  */
uint64_t mr_cgroup_shares_to_weight (uint64_t shares);
uint64_t mr_cgroup_blkio_to_io_weight (uint64_t weight);

/* An rdma.max line ("mlx5_0 hca_handle=2 hca_object=100") with the
 * limits that are set.  Returns the length, or -1 if it does not fit.  */
int mr_cgroup_rdma_line (const struct mr_spec_rdma *d, char *buf, size_t size);

/* "max" for UINT64_MAX-like values (v < 0), the number otherwise.  */
void mr_cgroup_format_limit (int64_t v, char *buf, size_t size);

/* A v1 devices.allow / devices.deny line ("c 1:3 rwm", "b *:* m", "a").
 * Returns the length, or -1 for a rule v1 cannot express.  */
int mr_cgroup_v1_device_rule (const struct mr_spec_device_rule *rule, char *buf, size_t size);

/* One write to devices.allow (allow) or devices.deny.  */
struct mr_cgroup_v1_dev_write
{
  bool allow;
  char line[96];
};

/* The writes that take a v1 devices cgroup whose devices.list reads
 * current (NULL: unknown) to the state the rules make, applied in order
 * from allow-all: only the exceptions that differ, so that a device
 * allowed before and after is never denied in between.  Caller frees
 * *writes.  */
int mr_cgroup_v1_devices_diff (const char *current, const struct mr_spec_device_rule *rules,
                               size_t n, struct mr_cgroup_v1_dev_write **writes, size_t *n_writes,
                               struct mr_error *err);

/* Compiles device rules into a BPF_PROG_TYPE_CGROUP_DEVICE program: rules
 * apply in order, a later one overriding an earlier one for the access
 * bits (r, w, m) it names, from an initial state that allows everything.
 * Caller frees *insns.  */
int mr_cgroup_ebpf_compile (const struct mr_spec_device_rule *rules, size_t n,
                            struct bpf_insn **insns, size_t *n_insns, struct mr_error *err);

/* Loads the program and attaches it to the cgroup2 directory fd, replacing
 * any device program attached there before.  */
int mr_cgroup_ebpf_attach (int cgroup_fd, const struct bpf_insn *insns, size_t n_insns,
                           struct mr_error *err);

/* cgroup2 operations shared by the v2 backend and the hybrid directory of
 * the v1 one; dirfd is a cgroup2 directory.  */
bool mr_cgroup2_has_file (int dirfd, const char *name);
int mr_cgroup2_freeze (int dirfd, const char *dir, bool frozen, struct mr_error *err);
int mr_cgroup2_is_frozen (int dirfd, bool *frozen, struct mr_error *err);

/* Appends every pid in cgroup.procs of dirfd and of its descendants.  */
int mr_cgroup_read_pids_tree (int dirfd, const char *dir, pid_t **pids, size_t *n, size_t *alloc,
                              struct mr_error *err);

/* Sends sig to every process of the tree at dirfd, again and again until
 * no new pid shows up.  */
int mr_cgroup_kill_tree (int dirfd, const char *dir, int sig, struct mr_error *err);

/* Removes the directory dir (absolute) and its sub-cgroups depth first,
 * retrying while the kernel says EBUSY until deadline_ns (CLOCK_MONOTONIC).
 * A missing directory is fine.  */
int mr_cgroup_rmdir_tree (const char *dir, uint64_t deadline_ns, struct mr_error *err);

/* Creates dir below root level by level (root must exist); *first_created
 * is the index of the first level created, counting from 1 for the first
 * component of path, or 0 if none was.  When init_cpuset is set, every
 * level whose cpuset.cpus or cpuset.mems is empty gets the nearest
 * ancestor's values (from the top down).  */
int mr_cgroup_mkdir_levels (const char *root, const char *path, bool init_cpuset,
                            int *first_created, struct mr_error *err);

/* Removes the levels of path below root that mkdir_levels created,
 * deepest first; errors are ignored.  */
void mr_cgroup_rmdir_levels (const char *root, const char *path, int first_created);
/* The same once the cgroup at path itself is gone: only the levels above.  */
void mr_cgroup_rmdir_parent_levels (const char *root, const char *path, int first_created);

uint64_t mr_cgroup_now_ns (void);
/* Sleeps for a step of a polling loop: 1ms, growing to 10ms.  */
void mr_cgroup_poll_sleep (unsigned *step);

/* Sets key of o to v when v is not 0 (runc's omitempty).  */
void mr_cgroup_json_u64 (json_t *o, const char *key, uint64_t v);

/* An object of every "key value" line of content (memory.stat, cpu.stat).  */
json_t *mr_cgroup_keyed_json (const char *content);

/* Appends {"major","minor","op","value"} entries for "MAJ:MIN Op N" lines
 * (v1 blkio files) to array.  */
void mr_cgroup_blkio_entries (const char *content, json_t *array);

/* Reads "key value" lines and returns the value of key, or fails.  */
int mr_cgroup_parse_keyed (const char *content, const char *key, uint64_t *out);

/* Reads a file of dirfd into a buffer; ENOENT gives *out NULL and 0.  */
int mr_cgroup_read_at (int dirfd, const char *name, char **out, struct mr_error *err);

/* Parses a decimal number or "max" (UINT64_MAX), ignoring trailing space.  */
int mr_cgroup_parse_u64 (const char *s, uint64_t *out);

/* Whether the comma-separated list of len bytes has item.  */
bool mr_cgroup_list_has (const char *list, size_t len, const char *item);

/* The cgroup mounts of a v1 (or hybrid) host, as /proc/self/mountinfo
 * shows them: one entry per hierarchy.  */
struct mr_cgroup_v1_hierarchy
{
  char *mountpoint;
  char *root;        /* the hierarchy's directory that is mounted there */
  char *controllers; /* "cpu,cpuacct", "memory", "name=systemd" */
};

struct mr_cgroup_v1_mounts
{
  struct mr_cgroup_v1_hierarchy *h;
  size_t n;
  char *unified; /* a cgroup2 mount point, or NULL */
  char *unified_root;
};

int mr_cgroup_v1_parse_mountinfo (const char *content, struct mr_cgroup_v1_mounts **out,
                                  struct mr_error *err);
void mr_cgroup_v1_mounts_free (struct mr_cgroup_v1_mounts *m);
/* The hierarchy that has the controller, or NULL.  */
const struct mr_cgroup_v1_hierarchy *mr_cgroup_v1_find (const struct mr_cgroup_v1_mounts *m,
                                                        const char *controller);

#endif
