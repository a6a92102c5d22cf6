/* OCI runtime-spec 1.x config.json (Linux) as a typed struct: parsed and
 * validated once, then read by every other part of the library.  */
#ifndef MR_SPEC_H
#define MR_SPEC_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "minirun.h"

/* GNU C predefines `linux' as 1; the spec's "linux" object is a field name
 * here, and code tests for Linux with __linux__.  */
#undef linux

struct mr_spec_user
{
  uid_t uid;
  gid_t gid;
  bool umask_set;
  mode_t umask;
  gid_t *additional_gids;
  size_t n_additional_gids;
};

struct mr_spec_rlimit
{
  int resource; /* RLIMIT_* */
  uint64_t soft;
  uint64_t hard;
};

/* Capability sets as bit masks indexed by capability number.  */
struct mr_spec_caps
{
  uint64_t bounding;
  uint64_t effective;
  uint64_t inheritable;
  uint64_t permitted;
  uint64_t ambient;
  char *unknown; /* names not known here, space-separated (skipped); NULL: none */
};

struct mr_spec_process
{
  bool terminal;
  unsigned console_height;
  unsigned console_width;
  struct mr_spec_user user;
  char **args; /* NULL-terminated */
  size_t n_args;
  char **env; /* NULL-terminated */
  size_t n_env;
  char *cwd;
  bool caps_set; /* false: the process keeps no capability changes */
  struct mr_spec_caps caps;
  struct mr_spec_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  bool oom_score_adj_set;
  int oom_score_adj;
  char *apparmor_profile;
  char *selinux_label;
  /* runtime-spec 1.2 */
  bool scheduler_set; /* process.scheduler: sched_setattr(2) */
  int sched_policy;   /* SCHED_* */
  int sched_nice;
  uint32_t sched_priority;
  uint64_t sched_flags; /* SCHED_FLAG_* */
  uint64_t sched_runtime, sched_deadline, sched_period;
  bool ioprio_set;      /* process.ioPriority: ioprio_set(2) */
  int ioprio_class;     /* IOPRIO_CLASS_RT 1, BE 2, IDLE 3 */
  int ioprio_level;     /* 0..7 */
  bool personality_set; /* process.personality: personality(2) */
  unsigned long personality;
  char *cpu_affinity_initial; /* process.execCPUAffinity, cpu lists ("0-3,7") */
  char *cpu_affinity_final;
};

struct mr_spec_idmap
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

/* Parses a cpu list ("0-3,7") into set; -1 when malformed or out of the
 * set's range.  No heap: safe in a forked child.  */
int mr_cpu_list_parse (const char *list, cpu_set_t *set);

struct mr_spec_mount
{
  char *destination;
  char *source;              /* may be NULL (tmpfs, proc, ...) */
  char *type;                /* may be NULL for bind mounts */
  unsigned long flags;       /* MS_* to set (MS_BIND, MS_REC, MS_RDONLY, ...) */
  unsigned long clear_flags; /* MS_* explicitly cleared (rw, suid, dev, exec, ...) */
  unsigned long propagation; /* MS_PRIVATE, MS_SLAVE, ... with MS_REC; 0 if none */
  char *data;                /* options the kernel takes as a string, comma separated */
  bool tmpcopyup;            /* copy the image's directory content into the tmpfs */
  /* rro, rnosuid, ...: MOUNT_ATTR_* set and cleared on the whole tree
     (mount_setattr with AT_RECURSIVE); attr_clr holds MOUNT_ATTR__ATIME
     when an atime mode is set.  */
  unsigned int attr_set;
  unsigned int attr_clr;
  /* An id-mapped mount ("idmap", "ridmap", or mappings given): files show
     their owners through these mappings; none given: the container's.  */
  bool idmap;
  bool idmap_recursive;
  struct mr_spec_idmap *uid_mappings;
  size_t n_uid_mappings;
  struct mr_spec_idmap *gid_mappings;
  size_t n_gid_mappings;
};

struct mr_spec_namespace
{
  int type;   /* CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUTS,
                 CLONE_NEWUSER, CLONE_NEWCGROUP, CLONE_NEWTIME */
  char *path; /* join this namespace instead of creating one; NULL: new */
};

struct mr_spec_device
{
  char type; /* 'c', 'b', 'u' (same as 'c'), 'p' */
  char *path;
  int64_t major;
  int64_t minor;
  bool file_mode_set;
  mode_t file_mode;
  bool uid_set;
  uid_t uid;
  bool gid_set;
  gid_t gid;
};

/* linux.resources.devices entry.  */
struct mr_spec_device_rule
{
  bool allow;
  char type;      /* 'a', 'c', 'b' */
  int64_t major;  /* -1: any */
  int64_t minor;  /* -1: any */
  char access[4]; /* subset of "rwm", NUL-terminated */
};

struct mr_spec_memory
{
  bool limit_set;
  int64_t limit; /* -1: unlimited */
  bool reservation_set;
  int64_t reservation;
  bool swap_set;
  int64_t swap; /* memory+swap, as in the spec; -1: unlimited */
  bool swappiness_set;
  uint64_t swappiness;
  bool disable_oom_killer_set;
  bool disable_oom_killer;
  bool kernel_tcp_set;
  int64_t kernel_tcp; /* kernelTCP: v1 memory.kmem.tcp.limit_in_bytes; -1: unlimited */
};

struct mr_spec_cpu
{
  bool shares_set;
  uint64_t shares;
  bool quota_set;
  int64_t quota; /* -1: unlimited */
  bool period_set;
  uint64_t period;
  bool realtime_runtime_set;
  int64_t realtime_runtime;
  bool realtime_period_set;
  uint64_t realtime_period;
  char *cpus; /* cpuset, NULL if unset */
  char *mems;
};

struct mr_spec_kv
{
  char *key;
  char *value;
};

/* linux.resources.hugepageLimits entry.  */
struct mr_spec_hugepage_limit
{
  char *page_size; /* "2MB", "1GB", "64KB": as the kernel names its files */
  uint64_t limit;  /* bytes */
};

/* linux.resources.blockIO.weightDevice entry; a weight of 0 is not set.  */
struct mr_spec_blkio_weight_device
{
  uint32_t major;
  uint32_t minor;
  uint16_t weight;
  uint16_t leaf_weight;
};

/* linux.resources.blockIO.throttle*Device entry.  */
struct mr_spec_blkio_rate
{
  uint32_t major;
  uint32_t minor;
  uint64_t rate; /* bytes or operations per second; 0: no limit */
};

/* The throttle lists of linux.resources.blockIO, in this order.  */
enum mr_spec_blkio_throttle
{
  MR_BLKIO_READ_BPS = 0, /* throttleReadBpsDevice */
  MR_BLKIO_WRITE_BPS,    /* throttleWriteBpsDevice */
  MR_BLKIO_READ_IOPS,    /* throttleReadIOPSDevice */
  MR_BLKIO_WRITE_IOPS,   /* throttleWriteIOPSDevice */
  MR_BLKIO_THROTTLE_N,
};

/* linux.resources.network.priorities entry.  */
struct mr_spec_net_priority
{
  char *name; /* interface name */
  uint32_t priority;
};

/* linux.resources.rdma entry.  */
struct mr_spec_rdma
{
  char *device;
  bool hca_handles_set;
  uint32_t hca_handles;
  bool hca_objects_set;
  uint32_t hca_objects;
};

struct mr_spec_resources
{
  struct mr_spec_device_rule *devices;
  size_t n_devices;
  struct mr_spec_memory memory;
  struct mr_spec_cpu cpu;
  bool pids_limit_set;
  int64_t pids_limit; /* -1 or 0: unlimited */
  bool blkio_weight_set;
  uint16_t blkio_weight;
  bool blkio_leaf_weight_set;
  uint16_t blkio_leaf_weight;
  struct mr_spec_blkio_weight_device *blkio_weight_devices;
  size_t n_blkio_weight_devices;
  struct mr_spec_blkio_rate *blkio_throttle[MR_BLKIO_THROTTLE_N];
  size_t n_blkio_throttle[MR_BLKIO_THROTTLE_N];
  struct mr_spec_hugepage_limit *hugepage_limits;
  size_t n_hugepage_limits;
  bool net_class_id_set;
  uint32_t net_class_id; /* 0: none */
  struct mr_spec_net_priority *net_priorities;
  size_t n_net_priorities;
  struct mr_spec_rdma *rdma;
  size_t n_rdma;
  struct mr_spec_kv *unified; /* linux.resources.unified (cgroup v2 files) */
  size_t n_unified;
};

enum mr_seccomp_action
{
  MR_SECCOMP_KILL = 0, /* SCMP_ACT_KILL == kill thread */
  MR_SECCOMP_KILL_PROCESS,
  MR_SECCOMP_KILL_THREAD,
  MR_SECCOMP_TRAP,
  MR_SECCOMP_ERRNO,
  MR_SECCOMP_TRACE,
  MR_SECCOMP_ALLOW,
  MR_SECCOMP_LOG,
  MR_SECCOMP_NOTIFY,
};

enum mr_seccomp_op
{
  MR_SECCOMP_OP_NE = 0,
  MR_SECCOMP_OP_LT,
  MR_SECCOMP_OP_LE,
  MR_SECCOMP_OP_EQ,
  MR_SECCOMP_OP_GE,
  MR_SECCOMP_OP_GT,
  MR_SECCOMP_OP_MASKED_EQ,
};

struct mr_spec_seccomp_arg
{
  unsigned index;
  uint64_t value;
  uint64_t value_two;
  enum mr_seccomp_op op;
};

struct mr_spec_seccomp_syscall
{
  char **names; /* NULL-terminated */
  size_t n_names;
  enum mr_seccomp_action action;
  bool errno_ret_set;
  unsigned errno_ret; /* for ERRNO (default EPERM) and TRACE */
  struct mr_spec_seccomp_arg *args;
  size_t n_args;
};

struct mr_spec_seccomp
{
  enum mr_seccomp_action default_action;
  bool default_errno_ret_set;
  unsigned default_errno_ret;
  char **architectures; /* "SCMP_ARCH_X86_64", ... NULL-terminated */
  size_t n_architectures;
  char **flags; /* "SECCOMP_FILTER_FLAG_LOG", ... NULL-terminated */
  size_t n_flags;
  char *listener_path;     /* the agent's unix socket, for SCMP_ACT_NOTIFY */
  char *listener_metadata; /* passed to the agent as it is; NULL: none */
  struct mr_spec_seccomp_syscall *syscalls;
  size_t n_syscalls;
};

struct mr_spec_hook
{
  char *path;
  char **args; /* NULL-terminated, may be NULL */
  char **env;  /* NULL-terminated, may be NULL */
  int timeout; /* seconds; 0: none */
};

struct mr_spec_hooks
{
  struct mr_spec_hook *prestart;
  size_t n_prestart;
  struct mr_spec_hook *create_runtime;
  size_t n_create_runtime;
  struct mr_spec_hook *create_container;
  size_t n_create_container;
  struct mr_spec_hook *start_container;
  size_t n_start_container;
  struct mr_spec_hook *poststart;
  size_t n_poststart;
  struct mr_spec_hook *poststop;
  size_t n_poststop;
};

struct mr_spec_linux
{
  struct mr_spec_namespace *namespaces;
  size_t n_namespaces;
  struct mr_spec_idmap *uid_mappings;
  size_t n_uid_mappings;
  struct mr_spec_idmap *gid_mappings;
  size_t n_gid_mappings;
  struct mr_spec_kv *sysctl;
  size_t n_sysctl;
  struct mr_spec_resources *resources; /* NULL if absent */
  char *cgroups_path;                  /* NULL if absent */
  struct mr_spec_device *devices;
  size_t n_devices;
  struct mr_spec_seccomp *seccomp;  /* NULL if absent */
  unsigned long rootfs_propagation; /* MS_* | MS_REC; 0: default (rslave, as runc) */
  char **masked_paths;              /* NULL-terminated, may be NULL */
  size_t n_masked_paths;
  char **readonly_paths;
  size_t n_readonly_paths;
  char *mount_label;
  /* linux.timeOffsets of a new time namespace (runtime-spec 1.2) */
  bool time_offsets_set;
  int64_t boottime_secs, monotonic_secs;
  uint32_t boottime_nsecs, monotonic_nsecs;
};

struct mr_spec
{
  char *oci_version;
  bool has_process;
  struct mr_spec_process process;
  char *root_path; /* as written: relative to the bundle or absolute */
  bool root_readonly;
  char *hostname;
  char *domainname;
  struct mr_spec_mount *mounts;
  size_t n_mounts;
  struct mr_spec_hooks hooks;
  struct mr_spec_kv *annotations;
  size_t n_annotations;
  struct mr_spec_linux linux;
};

/* Parses a config.json document; `name` prefixes every error message
 * ("config.json: process.rlimits[2].type: unknown rlimit 'RLIMIT_TEST'").  */
int mr_spec_parse (const char *name, const char *json, size_t len, struct mr_spec **out,
                   struct mr_error *err);
/* Reads and parses a file; messages are prefixed with its base name.  */
int mr_spec_load_file (const char *path, struct mr_spec **out, struct mr_error *err);
void mr_spec_free (struct mr_spec *spec);

/* Parses a process object alone (exec --process FILE).  */
int mr_spec_process_parse (const char *name, const char *json, size_t len,
                           struct mr_spec_process *out, struct mr_error *err);
void mr_spec_process_clear (struct mr_spec_process *p);

/* Parses a linux.resources object alone (update --resources FILE).  */
int mr_spec_resources_parse (const char *name, const char *json, size_t len,
                             struct mr_spec_resources **out, struct mr_error *err);
void mr_spec_resources_free (struct mr_spec_resources *r);

/* Capability name ("CAP_SYS_ADMIN") to number, or -1.  */
int mr_spec_cap_from_name (const char *name);
/* "CAP_CHOWN" for 0; NULL when unknown.  */
const char *mr_spec_cap_name (int cap);
/* Rlimit name ("RLIMIT_NOFILE") to RLIMIT_*, or -1.  */
int mr_spec_rlimit_from_name (const char *name);
/* Namespace type name ("pid", "network", ...) to CLONE_NEW*, or -1.  */
int mr_spec_namespace_from_name (const char *name);
/* The namespace of a type, or NULL.  */
const struct mr_spec_namespace *mr_spec_find_namespace (const struct mr_spec *spec, int type);

#endif
