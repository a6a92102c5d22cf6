/* libminirun: public API of the minirun container runtime.
 *
 * Every fallible call takes a struct mr_error * as its last argument and
 * returns a negative value on failure, with the error filled in.  The library
 * never prints and never exits.  Option structs start with a `size` field that
 * callers set to sizeof the struct, so that fields can be added later.  */
#ifndef MINIRUN_H
#define MINIRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C"
{
#endif

#define MR_ERROR_MSG_MAX 1024

  struct mr_error
  {
    int errnum;                 /* errno of the root cause, or 0 */
    char msg[MR_ERROR_MSG_MAX]; /* "create 'web': mount proc on '/proc': Permission denied" */
  };

  /* Clears an error so that it can be reused.  */
  void mr_error_clear (struct mr_error *err);

  const char *mr_version (void);

  /* A context holds the state directory and global settings.  */
  struct mr_context;

  struct mr_context_opts
  {
    size_t size;
    const char *root; /* state directory; NULL: /run/minirun, or $XDG_RUNTIME_DIR/minirun */
    bool systemd_cgroup;
    bool rootless;
    /* Non-fatal problems (a failing poststart hook, say) are reported here;
     * NULL: dropped.  */
    void (*warn) (void *data, const char *msg);
    void *warn_data;
    /* The minirun binary that monitors managed containers (it runs its
     * internal "monitor" verb); NULL: the installed one.  */
    const char *monitor_path;
  };

  int mr_context_new (const struct mr_context_opts *opts, struct mr_context **out,
                      struct mr_error *err);
  void mr_context_free (struct mr_context *ctx);
  const char *mr_context_root (const struct mr_context *ctx);
  /* Where persistent records live (images, managed containers):
   * /var/lib/minirun, or <root>/data when the context has an explicit root,
   * so that instances with different roots never share records.  */
  const char *mr_context_data_dir (const struct mr_context *ctx);

  /* The largest pids limit the kernel takes (its PID_MAX_LIMIT).  */
#define MR_PIDS_LIMIT_MAX 4194304

  /* Container ids and names: [A-Za-z0-9][A-Za-z0-9_.-]{0,127}.  */
  int mr_id_validate (const char *id, struct mr_error *err);

  /* Parses "KILL", "SIGKILL", "sigkill", "9", "RTMIN+3".  Returns 0 or -1.  */
  int mr_signal_parse (const char *s, int *signo);
  /* "SIGKILL" for 9; NULL when unknown.  */
  const char *mr_signal_name (int signo);

  /* Parses a size: "1048576", "64m", "64M", "64MiB", "1.5g", "512k", "1t"
   * (powers of 1024, as Docker reads -m).  Returns 0 or -1.  */
  int mr_size_parse (const char *s, int64_t *bytes);

  enum mr_status
  {
    MR_STATUS_CREATING = 0,
    MR_STATUS_CREATED,
    MR_STATUS_RUNNING,
    MR_STATUS_PAUSED,
    MR_STATUS_STOPPED,
  };
  const char *mr_status_name (enum mr_status s);

  struct mr_create_opts
  {
    size_t size;
    const char *bundle;         /* NULL: current directory */
    const char *pid_file;       /* written before create returns */
    const char *console_socket; /* unix socket that receives the pty master */
    int preserve_fds;           /* fds 3 .. 3+N-1 passed to the container */
    bool no_pivot;              /* MS_MOVE + chroot instead of pivot_root */
    bool no_new_keyring;
    /* run only */
    bool detach;
    bool keep; /* do not delete the container when it exits */
  };

  int mr_container_create (struct mr_context *ctx, const char *id,
                           const struct mr_create_opts *opts, struct mr_error *err);
  int mr_container_start (struct mr_context *ctx, const char *id, struct mr_error *err);
  /* create + start; when not detached, waits and stores the container's exit
   * status in *exit_status (128+N for a signal) and deletes it unless keep.  */
  int mr_container_run (struct mr_context *ctx, const char *id, const struct mr_create_opts *opts,
                        int *exit_status, struct mr_error *err);

  /* The OCI state of a container as a JSON document (caller frees).  */
  int mr_container_state (struct mr_context *ctx, const char *id, char **json,
                          struct mr_error *err);

  struct mr_kill_opts
  {
    size_t size;
    int signal;
    bool all;         /* every process in the container's cgroup */
    bool signal_zero; /* signal 0: only check that the container runs */
  };
  int mr_container_kill (struct mr_context *ctx, const char *id, const struct mr_kill_opts *opts,
                         struct mr_error *err);

  struct mr_delete_opts
  {
    size_t size;
    bool force; /* kill a running container first */
  };
  int mr_container_delete (struct mr_context *ctx, const char *id,
                           const struct mr_delete_opts *opts, struct mr_error *err);

  struct mr_container_info
  {
    char *id;
    pid_t pid; /* 0 when stopped */
    enum mr_status status;
    char *bundle;
    char *created; /* RFC 3339 */
    char *owner;
    bool managed;      /* a managed container (else an OCI one) */
    char *state;       /* managed: "created", "running", "paused", "restarting", "stopped" */
    char *image;       /* managed: the image, or the rootfs directory */
    char *command;     /* managed: the command, arguments joined by spaces */
    int exit_code;     /* managed and stopped: its last exit code */
    char *finished;    /* managed and stopped: RFC 3339, or NULL */
    char *rootfs;      /* the root filesystem directory, or NULL */
    char *annotations; /* the config's annotations as a JSON object, or NULL for none */
    /* managed, running on a bridge network: its published ports, the host
     * ports really taken (NULL and 0 otherwise) */
    struct mr_port_binding *ports;
    size_t n_ports;
  };
  /* A published port in use: what `docker port` shows.  */
  struct mr_port_binding
  {
    char container[129]; /* the container's name */
    char proto[4];       /* "tcp" or "udp" */
    char host_ip[16];    /* "0.0.0.0": every address of the host */
    uint16_t host_port;  /* the port taken on the host (an automatic one too) */
    uint16_t container_port;
  };

  int mr_container_list (struct mr_context *ctx, struct mr_container_info **list, size_t *n,
                         struct mr_error *err);
  void mr_container_info_free (struct mr_container_info *list, size_t n);
  /* A list (or a part of one) as runc's `list --format json` prints it, with
   * managed, state, image, command, exitCode and finished added for managed
   * containers (caller frees).  */
  int mr_container_info_json (const struct mr_container_info *list, size_t n, char **json,
                              struct mr_error *err);
  /* The list as runc's `list --format json` prints it (caller frees).  */
  int mr_container_list_json (struct mr_context *ctx, char **json, struct mr_error *err);

  /* Processes in the container's cgroup, host pids.  */
  int mr_container_ps (struct mr_context *ctx, const char *id, pid_t **pids, size_t *n,
                       struct mr_error *err);

  struct mr_process_info
  {
    pid_t pid;
    pid_t ppid;
    uid_t uid;
    char state;          /* R, S, D, Z, T ... */
    uint64_t start_time; /* seconds since the epoch */
    char *cmd;           /* command line, spaces between arguments */
  };
  /* The processes of a container with details, for a `ps` table.  */
  int mr_container_top (struct mr_context *ctx, const char *id, struct mr_process_info **list,
                        size_t *n, struct mr_error *err);
  void mr_process_info_free (struct mr_process_info *list, size_t n);
  /* As runc's ps: runs ps(1) with args (NULL or none: "-ef") and keeps its
   * header line and the lines whose PID column is a process of the
   * container (caller frees *out).  errnum ENOENT when there is no ps.  */
  int mr_container_ps_run (struct mr_context *ctx, const char *id, const char *const *args,
                           size_t n_args, char **out, struct mr_error *err);

  /* runc's events ID: a stats event, {"type":"stats","id":ID,"data":{cpu,
   * memory, pids, blkio, hugetlb, ...}} (runc's names), every interval_ms
   * (0: 5 s), and {"type":"oom","id":ID} when the kernel kills a process of
   * the container for want of memory; each one line of JSON passed to cb.
   * stats_once: one stats event at once, then return.  Returns 0 when the
   * container stops, *stop becomes non-zero, or cb returns < 0.  */
  struct mr_container_events_opts
  {
    size_t size;
    unsigned interval_ms;
    bool stats_once;
    volatile int *stop; /* may be NULL */
  };
  int mr_container_events (struct mr_context *ctx, const char *id,
                           const struct mr_container_events_opts *opts,
                           int (*cb) (void *data, const char *json_line), void *data,
                           struct mr_error *err);

  int mr_container_pause (struct mr_context *ctx, const char *id, struct mr_error *err);
  int mr_container_resume (struct mr_context *ctx, const char *id, struct mr_error *err);

  struct mr_exec_opts
  {
    size_t size;
    const char *process_path; /* an OCI process.json; overrides the fields below */
    const char *const *args;  /* NULL-terminated */
    const char *const *env;   /* NULL-terminated K=V, added to the container's env */
    const char *cwd;
    bool user_set;
    uid_t uid;
    gid_t gid;
    bool gid_set;
    const char *const *caps; /* NULL-terminated, added to the container's caps */
    bool no_new_privs;
    bool tty;
    const char *console_socket;
    bool detach;
    const char *pid_file;
    int preserve_fds;
    /* The process's standard input, output and error: descriptors of the
     * caller that become its 0, 1 and 2 (-1: /dev/null), set up in the new
     * process only, so the caller's own 0-2 are never touched.  With a
     * terminal (and no console socket), what is copied to and from it is
     * stdio[0] and stdio[1] instead.  Unset: the process inherits the
     * caller's 0, 1 and 2, as with runc.  */
    bool stdio_set;
    int stdio[3];
    /* Groups added to the process's additionalGids (runc's -g).  */
    const gid_t *additional_gids;
    size_t n_additional_gids;
    /* Exec into a paused container too: the process runs once it is
     * resumed.  Without it, a paused container refuses the exec.  */
    bool ignore_paused;
    /* NULL-terminated: "PATH" (every hierarchy) or "CTRL[,CTRL...]:PATH"
     * (those cgroup v1 controllers only), sub-cgroups of the container's
     * that the process joins instead of the container's own (runc's
     * --cgroup).  They must exist.  */
    const char *const *cgroups;
  };
  /* When not detached, waits and stores the process's exit status.  */
  int mr_container_exec (struct mr_context *ctx, const char *id, const struct mr_exec_opts *opts,
                         int *exit_status, struct mr_error *err);
  /* "UID" or "UID:GID", numbers only (names would have to be looked up in
   * the container's /etc/passwd, which the caller must not trust): sets
   * opts' uid, gid, user_set and gid_set.  Returns 0 or -1.  */
  int mr_exec_user_parse (const char *s, struct mr_exec_opts *opts);

  struct mr_update_opts
  {
    size_t size;
    const char *resources_json; /* an OCI linux.resources object, or NULL */
    /* the per-resource flags; MR_UPDATE_UNSET (or NULL) means unset; -1
       means unlimited for memory, memory_swap, memory_reservation,
       cpu_quota, cpu_rt_runtime and pids_limit */
    int64_t memory;
    int64_t memory_swap;
    int64_t memory_reservation;
    int64_t cpu_quota;
    int64_t cpu_period;
    int64_t cpu_shares;
    int64_t pids_limit;
    const char *cpuset_cpus;
    const char *cpuset_mems;
    int64_t blkio_weight;
    int64_t cpu_rt_period;
    int64_t cpu_rt_runtime;
  };
#define MR_UPDATE_UNSET INT64_MIN
  /* Sets every int64 field of opts to MR_UPDATE_UNSET and the rest to
     NULL.  */
  void mr_update_opts_init (struct mr_update_opts *opts);
  int mr_container_update (struct mr_context *ctx, const char *id,
                           const struct mr_update_opts *opts, struct mr_error *err);

  /* Copying files between the host and a container, as `docker cp` does.
   * The container side is resolved inside the container's root (that of its
   * init while it runs, mounts included; else its rootfs directory): no
   * symlink or ".." in the container can lead outside it.  Symlinks are copied
   * as symlinks; modes and times are kept.  Without archive, what lands in the
   * container belongs to its root and what lands on the host to the caller,
   * and set-user-id and set-group-id bits are dropped.  opts may be NULL.  */
  struct mr_cp_opts
  {
    size_t size;
    bool archive;     /* keep uids and gids (as the container sees them) */
    bool follow_link; /* a symlink given as the source is followed */
  };
  int mr_container_copy_to (struct mr_context *ctx, const char *id, const char *host_src,
                            const char *ctr_dst, const struct mr_cp_opts *opts,
                            struct mr_error *err);
  int mr_container_copy_from (struct mr_context *ctx, const char *id, const char *ctr_src,
                              const char *host_dst, const struct mr_cp_opts *opts,
                              struct mr_error *err);

  /* One regular file of the container, resolved as cp resolves its side
   * (symlinks are followed, but only inside the container's root), read
   * whole into *data (NUL-terminated; caller frees) with its permission
   * bits in *mode (may be NULL).  Not a regular file: errnum EISDIR for a
   * directory, else EINVAL; more than max bytes: EFBIG.  */
  int mr_container_file_read (struct mr_context *ctx, const char *id, const char *path, size_t max,
                              char **data, size_t *len, mode_t *mode, struct mr_error *err);
  /* The same file opened for reading instead (*fd: O_RDONLY, close-on-exec;
   * the caller closes it), with its size when opened in *size and its
   * permission bits in *mode (either may be NULL), for a caller that reads
   * it in blocks.  */
  int mr_container_file_open (struct mr_context *ctx, const char *id, const char *path, size_t max,
                              int *fd, uint64_t *size, mode_t *mode, struct mr_error *err);
  /* Writes len bytes as the regular file path of the container (its
   * directory must exist), owned by the container's root, with mode's
   * permission bits (set-id bits dropped, as cp drops them).  An existing
   * entry of that name (a symlink too) is replaced, never written through;
   * a directory is refused with errnum EISDIR.  */
  int mr_container_file_write (struct mr_context *ctx, const char *id, const char *path,
                               const void *data, size_t len, mode_t mode, struct mr_error *err);

  /* Adds a user to the container's /etc/passwd, a group of the same name to
   * /etc/group (unless gid names an existing group), and locked entries to
   * /etc/shadow and /etc/gshadow where they exist; creates the home
   * directory.  */
  struct mr_useradd_opts
  {
    size_t size;
    const char *name; /* [a-z_][a-z0-9_-]{0,31}, optionally ending in '$' */
    bool uid_set;
    uid_t uid; /* unset: the lowest free uid >= 1000 */
    bool gid_set;
    gid_t gid;         /* unset: the uid */
    const char *shell; /* NULL: /bin/sh */
    const char *home;  /* NULL: /home/NAME */
    bool no_create_home;
  };
  int mr_container_useradd (struct mr_context *ctx, const char *id,
                            const struct mr_useradd_opts *opts, struct mr_error *err);

  /* --- Managed containers --------------------------------------------------
   * Containers that minirun supervises itself, for people, scripts and serve:
   * minirun writes the bundle under <data dir>/containers/<name>/, and a
   * monitor process (the minirun binary, an internal applet) is the parent of
   * the container's init: it writes the log, records exit status, exit time
   * and OOM kills, applies the restart policy, and outlives whoever started
   * it.  The OCI verbs (state, kill, exec, ps, pause, resume, update) work on
   * a running managed container under its name.  */

  /* What `minirun run --rootfs DIR ...` takes, in the Docker spelling.  Every
   * string list is NULL-terminated and may be NULL.  */
  struct mr_run_config
  {
    size_t size;
    const char *name;             /* NULL: generated ("adjective_noun") */
    const char *rootfs;           /* a directory used as the container's root */
    const char *image;            /* or an image of the store (its own overlay) */
    const char *const *args;      /* NULL: the image's Cmd, else /bin/sh */
    const char *const *env;       /* K=V (a bare K takes the caller's value) */
    const char *const *env_files; /* files of K=V lines, '#' comments */
    const char *workdir;          /* NULL: "/" (or the image's) */
    const char *user;             /* "UID[:GID]"; NULL: 0:0 */
    const char *hostname;         /* NULL: the first 12 characters of the id */
    int64_t memory;               /* bytes; -1: unlimited */
    int64_t memory_swap;          /* memory + swap, bytes; -1 unset, 0: unlimited */
    double cpus;                  /* 0: unlimited; 0.5 = half a CPU */
    int64_t cpu_shares;           /* -1: unset */
    const char *cpuset_cpus;      /* NULL: unset */
    int64_t pids_limit;           /* -1: unset, 0: unlimited; at most MR_PIDS_LIMIT_MAX */
    bool read_only;               /* read-only root file system */
    const char *const *volumes;   /* "HOST:CTR[:ro|rw]" */
    const char *const *tmpfs;     /* "PATH[:mount options]" */
    const char *const *cap_add;   /* "NET_ADMIN", "CAP_NET_ADMIN", "ALL" */
    const char *const *cap_drop;
    const char *const *ulimits; /* "nofile=1024[:2048]" */
    bool auto_remove;           /* --rm: removed once it exits */
    const char *restart;        /* "no", "on-failure[:N]", "always", "unless-stopped" */
    const char *stop_signal;    /* NULL: SIGTERM */
    int stop_timeout;           /* seconds; -1: 10 */
    const char *const *labels;  /* K=V */
    bool tty;                   /* a terminal for the container */
    bool interactive;           /* keep stdin open (attached runs) */
    int64_t log_max_size;       /* rotate the log at this size; -1: 10 MiB, 0: never */
    int log_max_files;          /* rotated logs kept; -1: 3 */
    /* "seccomp=unconfined", "seccomp=PROFILE.json" (Docker's or OCI's
     * format), "no-new-privileges[=true|false]" ('=' or ':'); NULL: the
     * default seccomp profile, no-new-privileges off */
    const char *const *security_opt;
    bool privileged; /* every capability and host device, no seccomp, no masked paths */
    /* "none" (loopback only; the default), "host", "bridge" (the default
     * network, "minirun"), or the name of a network; NULL: "none", or
     * "bridge" when ports are published */
    const char *network;
    /* published ports, as docker's -p: "[IP:][HOSTPORT:]CTRPORT[/tcp|/udp]" */
    const char *const *publish;
    /* docker's --dns: IPv4 or IPv6 addresses, the only nameservers of the
     * container's /etc/resolv.conf (the host's search and options kept);
     * NULL or empty: the host's.  Refused with "host" and "container:" */
    const char *const *dns;
  };

  /* Sets every int64 field of cfg to -1, stop_timeout to -1, the rest to
   * zero, and size.  */
  void mr_run_config_init (struct mr_run_config *cfg);

  /* Applies one log option as docker's --log-opt spells it: "max-size=SIZE"
   * or "max-file=N" (1 to 100, the file being written included).  */
  int mr_run_config_log_opt (struct mr_run_config *cfg, const char *opt, struct mr_error *err);

  /* Creates a managed container from cfg: checks every option, writes the
   * record and the bundle (its OCI config.json), prepares the root (the
   * image's own overlay or copy).  Nothing runs yet: mr_container_start does
   * that.  *name receives the name (caller frees; may be NULL).  A name in
   * use is an error with errnum EEXIST.  */
  int mr_container_new (struct mr_context *ctx, const struct mr_run_config *cfg, char **name,
                        struct mr_error *err);

  /* true when id names a managed container (of this context's data dir).  */
  bool mr_container_is_managed (struct mr_context *ctx, const char *id);

  /* Where an attached start sends the container's output and takes its input:
   * the caller's descriptors, duplicated by the monitor.  -1: none.  With a
   * terminal, in_fd and out_fd are normally the caller's terminal (already in
   * raw mode), and err_fd is unused.  */
  struct mr_attach
  {
    size_t size;
    int in_fd;
    int out_fd;
    int err_fd;
    /* While waiting, a signal interrupting the call (install handlers without
     * SA_RESTART) that left a signal number here has it sent to the
     * container, and the variable reset to 0 (docker's --sig-proxy); a
     * nonzero *winch makes the container's terminal take the size of out_fd's
     * again.  Both may be NULL.  */
    volatile int *forward_signal;
    volatile int *winch;
  };

  /* mr_container_start on a managed container starts its monitor (a created
   * or stopped one; a stopped one runs again from its saved config).  This
   * variant also streams the container's stdio to the caller's descriptors
   * and, when exit_status is not NULL, waits for the container to exit (not
   * for restarts) and stores its exit code.  When the caller goes away, the
   * container runs on.  */
  int mr_container_start_attached (struct mr_context *ctx, const char *name,
                                   const struct mr_attach *attach, int *exit_status,
                                   struct mr_error *err);

  /* Sends the stop signal (managed: the container's --stop-signal), waits up
   * to timeout seconds (-1: the container's --stop-timeout, 10 for OCI
   * containers), then SIGKILL.  A managed container then is not restarted by
   * its policy.  Stopping a stopped container is not an error.  */
  int mr_container_stop (struct mr_context *ctx, const char *name, int timeout,
                         struct mr_error *err);
  /* Stop (when running), then start.  Managed containers only.  */
  int mr_container_restart (struct mr_context *ctx, const char *name, int timeout,
                            struct mr_error *err);

  /* Blocks until the managed container is not running (an exit after which
   * its policy restarts it counts) and stores its exit code (128+N for a
   * signal).  A container that is already stopped returns its last exit code
   * at once.  stop (may be NULL): returns -1 with errnum EINTR soon after
   * *stop becomes nonzero.  */
  int mr_container_wait (struct mr_context *ctx, const char *name, int *exit_code,
                         const volatile int *stop, struct mr_error *err);

  /* The full record of a container as a JSON object (caller frees): Id, Name,
   * Managed, Created, Image, ImageId, ImageRootfs, Rootfs, RootfsMode
   * ("dir", "overlay" or "copy"), Bundle, LogPath, LogMaxSize, LogMaxFiles,
   * MonitorPid, RestartCount, State {Status, Running, Paused, Restarting,
   * Pid, ExitCode, OOMKilled, StartedAt, FinishedAt, Error, RestartCount},
   * Config {Cmd, Env, WorkingDir, User, Hostname, Tty, OpenStdin, Labels,
   * StopSignal, StopTimeout}, HostConfig {Memory, MemorySwap, NanoCpus,
   * CpuShares, CpusetCpus, PidsLimit, ReadonlyRootfs, Binds, Tmpfs, CapAdd,
   * CapDrop, Ulimits, AutoRemove, RestartPolicy {Name, MaximumRetryCount},
   * SecurityOpt, Privileged, NetworkMode, PortBindings}, Security {Seccomp
   * ("default", "unconfined" or the profile's path), NoNewPrivileges,
   * Privileged, Capabilities}, NetworkSettings {Bridge, IPAddress,
   * IPPrefixLen, Gateway, Ports {"80/tcp": [{HostIp, HostPort}]}, Networks
   * {NAME: {NetworkID, Name, EndpointID, IPAddress, IPPrefixLen, Gateway}}}:
   * what its live endpoint holds (empty while it does not run).
   * OCI containers get Id, Name, Managed (false), State {Status, Running,
   * Paused, Pid}, Created, Bundle and Oci (their OCI state).  */
  int mr_container_inspect (struct mr_context *ctx, const char *name, char **json,
                            struct mr_error *err);

  /* --- Published ports and addresses --------------------------------------
   * What a managed container on a bridge network has while it runs, read
   * from its endpoint (<data dir>/networks/NET/endpoints/NAME.json): the
   * address it got and the host ports it really holds.  A container that
   * does not run has none, as with docker.  */
  struct mr_container_net
  {
    size_t size;
    char *network;    /* NULL: on no network now (stopped, or none or host) */
    char ip[16];      /* "10.77.0.2" */
    unsigned prefix;  /* 24 */
    char gateway[16]; /* "10.77.0.1" */
    char *bridge;     /* the bridge's link name */
    struct mr_port_binding *ports;
    size_t n_ports;
  };
  /* Fills out (set its size first) for container name.  An OCI container,
   * or a managed one that does not run, is no error: out->network stays
   * NULL and there are no ports.  Free with mr_container_net_clear.  */
  int mr_container_net (struct mr_context *ctx, const char *name, struct mr_container_net *out,
                        struct mr_error *err);
  void mr_container_net_clear (struct mr_container_net *net);

  /* Every published port of every container of the data directory, sorted
   * by host port (caller frees the array).  */
  int mr_ports_list (struct mr_context *ctx, struct mr_port_binding **list, size_t *n,
                     struct mr_error *err);

  /* The automatic range: a published port without a host port gets the
   * first free one of it.  These are its default; port_range = LOW-HIGH
   * in minirun.conf, or mr_context_set_port_range, sets another.  */
#define MR_PORTS_AUTO_FIRST 8000
#define MR_PORTS_AUTO_LAST 9000
  struct mr_port_range
  {
    uint16_t first;
    uint16_t last;
  };
  /* "LOW-HIGH", 1 <= LOW <= HIGH <= 65535, into *out; the message names s
   * and what is wrong.  */
  int mr_port_range_parse (const char *s, struct mr_port_range *out, struct mr_error *err);
  /* The automatic range of the bridged containers ctx creates from now on,
   * in place of minirun.conf's (serve's --port-range); each records it for
   * all of its starts.  */
  int mr_context_set_port_range (struct mr_context *ctx, const struct mr_port_range *range,
                                 struct mr_error *err);
  /* The automatic range of the containers ctx creates: the one set with
   * mr_context_set_port_range, else port_range of minirun.conf
   * (MINIRUN_CONFIG, else /etc/minirun/minirun.conf), else the default.  */
  int mr_ports_auto_range (struct mr_context *ctx, struct mr_port_range *out, struct mr_error *err);
  /* The parts of range that none of used holds (by host port, whatever
   * the protocol or address), in order (caller frees; *n may be 0).  */
  int mr_ports_free_ranges (const struct mr_port_range *range, const struct mr_port_binding *used,
                            size_t n_used, struct mr_port_range **out, size_t *n,
                            struct mr_error *err);

  /* "80/tcp -> 0.0.0.0:8080" (docker port's line) into buf.  */
  void mr_port_binding_format (const struct mr_port_binding *b, bool with_private, char *buf,
                               size_t len);

  struct mr_logs_opts
  {
    size_t size;
    bool follow;              /* wait for new lines until the container stops */
    long tail;                /* -1: all */
    const char *since;        /* as mr_log_parse_since takes it; NULL: all */
    bool timestamps;          /* text starts with the line's RFC 3339 time and a space */
    const volatile int *stop; /* follow returns soon after *stop is nonzero */
  };
  /* Calls cb for each log line of a managed container; stream is 1 (stdout)
   * or 2 (stderr); text holds len bytes and its newline when the line had
   * one.  cb returns < 0 to stop.  */
  int mr_container_logs (struct mr_context *ctx, const char *name, const struct mr_logs_opts *opts,
                         int (*cb) (void *data, int stream, const char *text, size_t len),
                         void *data, struct mr_error *err);

  /* --- Statistics ------------------------------------------------------------
   * What `docker stats` shows, read from the same files: the container's
   * cgroup (v1 or v2) and the network namespace of its init.  */

  /* One sample of a running container's resource use.  Set size to sizeof
   * the struct; the call fills the fields that fit in it.  */
  struct mr_stats
  {
    size_t size;
    uint64_t time_ns;      /* CLOCK_MONOTONIC when the sample was taken */
    uint64_t cpu_usage_ns; /* CPU time the container's processes used */
    uint64_t memory_usage; /* bytes, less the inactive file cache */
    uint64_t memory_limit; /* bytes; the host's memory when unlimited */
    uint64_t pids;         /* processes and threads */
    uint64_t pids_limit;   /* 0: unlimited */
    uint64_t block_read;   /* bytes read from and written to block devices */
    uint64_t block_write;
    uint64_t net_rx; /* bytes, every interface of the netns but lo; 0 when */
    uint64_t net_tx; /* the container shares the caller's network namespace */
    uint64_t oom_kills;
  };

  /* Samples container id, which must be running or paused: another status
   * is an error "container 'x' is not running" with errnum ESRCH.  */
  int mr_container_stats (struct mr_context *ctx, const char *id, struct mr_stats *out,
                          struct mr_error *err);

  /* CPU use between two samples of one container (b the later one), as
   * docker shows it: 100 is one CPU busy all the time, 250 two and a half.
   * 0 when b is not later than a.  */
  double mr_stats_cpu_percent (const struct mr_stats *a, const struct mr_stats *b);

  /* memory_usage as a percentage of memory_limit.  */
  double mr_stats_memory_percent (const struct mr_stats *s);

  /* One JSON object for a sample (caller frees): name, id, cpu_percent
   * (against prev; 0 when prev is NULL), memory_usage, memory_limit,
   * memory_percent, net_rx, net_tx, block_read, block_write, pids.  */
  int mr_stats_json (const char *name, const struct mr_stats *prev, const struct mr_stats *cur,
                     char **json, struct mr_error *err);

  /* A byte count as docker prints it: binary with four significant digits
   * ("1.5MiB", "64MiB"; for memory), else decimal with three ("12.3kB",
   * "0B"; for network and block I/O).  */
  void mr_size_format (uint64_t bytes, bool binary, char *buf, size_t len);

  /* The host at a glance.  Set size, and zero the rest before the first
   * call.  Host CPU use needs two samples of /proc/stat: a call whose
   * cpu_total is 0 takes both, 200 ms apart; a call with the struct of the
   * previous call measures from that call's sample at once, so that a
   * display refreshed every few seconds never sleeps for it.  */
  struct mr_system_stats
  {
    size_t size;
    uint64_t cpu_busy;    /* the /proc/stat sample (clock ticks), kept for */
    uint64_t cpu_total;   /* the next call */
    double cpu_percent;   /* of the whole machine: 100 is every CPU busy */
    unsigned cpus;        /* online */
    uint64_t memory_used; /* bytes: MemTotal - MemAvailable */
    uint64_t memory_total;
    double load[3];      /* 1, 5 and 15 minutes */
    unsigned containers; /* every container of the context, by status: */
    unsigned containers_running;
    unsigned containers_paused;
    unsigned containers_stopped;
    unsigned containers_created; /* created and still being created */
  };
  int mr_system_stats (struct mr_context *ctx, struct mr_system_stats *out, struct mr_error *err);
  /* The same as a JSON object (caller frees): cpu_percent, cpus,
   * memory_used, memory_total, memory_percent, load_average [1, 5, 15],
   * containers, containers_running, containers_paused, containers_stopped,
   * containers_created.  */
  int mr_system_stats_json (const struct mr_system_stats *s, char **json, struct mr_error *err);

  /* What minirun runs on, as a JSON object (caller frees): version,
   * kernel_release, kernel_version, os, architecture, cpus, memory_total,
   * cgroup_version (1 or 2), cgroup_backend ("v1 (hybrid, cgroup2 at
   * /sys/fs/cgroup/unified)"), state_root, data_dir, libseccomp_version,
   * jansson_version, security {seccomp, user_namespaces, pidfd, clone3}:
   * whether the kernel offers each.  */
  int mr_system_info (struct mr_context *ctx, char **json, struct mr_error *err);
  /* The same as "Key: value" lines (caller frees).  */
  int mr_system_info_text (struct mr_context *ctx, char **text, struct mr_error *err);

  /* --- Exec with captured output ---------------------------------------------
   * When the command cannot be run at all, mr_container_exec and
   * mr_container_exec_capture fail and set *exit_status (res->exit_code) as a
   * shell (and docker) would: 127 when it was not found, 126 when the process
   * failed before it could run it (not executable, no such working directory,
   * ...).  Every other failure sets -1.  */

  struct mr_exec_capture_opts
  {
    size_t size;
    const char *input; /* written to the process's stdin, then EOF; NULL: /dev/null */
    size_t input_len;
    size_t max_output; /* bytes kept per stream; 0: 1 MiB.  The rest is read and dropped */
    int timeout;       /* seconds; <= 0: none.  Then the process gets SIGKILL */
    /* Asked about every 100 ms while the process runs (NULL: never): once it
     * returns true the process gets SIGKILL, and the call fails with errnum
     * ECANCELED when it has exited.  For a caller whose own client may go
     * away, such as a server whose connection hung up.  */
    bool (*cancel) (void *data);
    void *cancel_data;
  };

  struct mr_exec_result
  {
    size_t size;       /* set by the caller: sizeof (struct mr_exec_result) */
    int exit_code;     /* 128+N when signal N killed it */
    bool timed_out;    /* killed because the timeout passed */
    char *stdout_data; /* stdout_len bytes and a NUL (the data may hold NULs too) */
    size_t stdout_len;
    bool stdout_truncated; /* it wrote more than max_output */
    char *stderr_data;
    size_t stderr_len;
    bool stderr_truncated;
  };

  /* Runs a process in container id as mr_container_exec does (opts' tty and
   * detach must be unset; its stdio fields are ignored) and returns once it
   * has exited, with its output in res (free with mr_exec_result_clear).
   * What a process it left in the background writes after that is not
   * waited for.  Fit for a threaded caller: no signal handler, the caller's
   * descriptors 0-2 are left alone, and only its own child is waited for.
   * copts may be NULL.  res->size must be set; mr_exec_result_clear is due
   * after a failure too.  */
  int mr_container_exec_capture (struct mr_context *ctx, const char *id,
                                 const struct mr_exec_opts *opts,
                                 const struct mr_exec_capture_opts *copts,
                                 struct mr_exec_result *res, struct mr_error *err);
  /* Frees the buffers and clears res, keeping its size.  */
  void mr_exec_result_clear (struct mr_exec_result *res);

  /* Events: what happened to which container, and when, as `docker events`
   * shows it.  The lifecycle verbs append them to <data dir>/events.log, one
   * JSON object a line: {"time", "timeNano", "type": "container", "action",
   * "id", "attributes": {string values}}; the file is rotated at 1 MiB, one
   * old file kept.  */
  struct mr_event
  {
    int64_t time_nano;  /* nanoseconds since the epoch */
    const char *time;   /* the same, RFC 3339 in UTC with nanoseconds */
    const char *type;   /* "container" */
    const char *action; /* create start exec die oom kill stop restart pause
                           resume delete */
    const char *id;     /* the container's id or name */
    /* key, value, key, value, ..., NULL, sorted by key: "exitCode", "signal",
       "image", "name" ...  */
    const char *const *attributes;
  };

  struct mr_events_opts
  {
    size_t size;
    /* As mr_container_logs' since takes them: RFC 3339, a date, a unix time,
     * or a duration before now ("10m").  since NULL: every stored event, or
     * with follow only those to come.  until NULL: no end; with follow, the
     * read returns once until has passed.  */
    const char *since;
    const char *until;
    /* NULL-terminated "KEY=VALUE": container=ID (or its name attribute),
     * event=ACTION, type=container, image=REF.  Filters with the same key
     * match when any matches, different keys when all do.  */
    const char *const *filters;
    bool follow;              /* after the stored events, wait for new ones */
    const volatile int *stop; /* follow returns soon after *stop is nonzero */
  };

  /* Calls cb for each event wanted, oldest first: json_line is the event as
   * stored (one line, without its newline), ev its fields; both live until
   * cb returns.  cb returns < 0 to stop: mr_events_read then returns 0.  Lines
   * that are not events are skipped.  A bad since, until or filter is an error
   * that names it.  */
  int mr_events_read (struct mr_context *ctx, const struct mr_events_opts *opts,
                      int (*cb) (void *data, const char *json_line, const struct mr_event *ev),
                      void *data, struct mr_error *err);

  /* The monitor of a managed container: what the minirun binary's internal
   * "monitor" verb runs (mr_container_start spawns it; nothing else should).
   * The calling process forks: in it the call returns 1 at once, and it
   * should exit; the child monitors the container until it stops for good,
   * then returns 0.  control_fd: a SOCK_SEQPACKET socket to the starter
   * (-1: none); in/out/err_fd: the attached caller's stdio (-1: none).  */
  struct mr_monitor_opts
  {
    size_t size;
    int control_fd;
    int in_fd;
    int out_fd;
    int err_fd;
    bool report_exit; /* send the exit code over control_fd */
  };
  int mr_monitor_run (struct mr_context *ctx, const char *name, const struct mr_monitor_opts *opts,
                      struct mr_error *err);

  /* A default config.json, as `runc spec` writes it (caller frees).  */
  int mr_spec_generate (bool rootless, char **json, struct mr_error *err);
  /* The OCI features document (caller frees).  */
  int mr_features (char **json, struct mr_error *err);

  /* Images: root file systems kept under <data dir>/images, named by Docker
   * style references NAME[:TAG] ("bb", "bb:latest", "localhost/app:1",
   * "registry.example.com:5000/a/b:tag"; the tag defaults to "latest").  */
  struct mr_image_info
  {
    char *reference;      /* "bb:latest": NAME:TAG */
    char *name;           /* "bb" */
    char *tag;            /* "latest" */
    char *id;             /* 64 hex digits */
    char *created;        /* RFC 3339, UTC */
    int64_t created_unix; /* the same, in seconds since the epoch */
    uint64_t size;        /* bytes of file content */
    char *rootfs;         /* the root file system directory in the store */
    char *source;         /* the directory or archive it was added from */
  };

  /* Splits and checks a reference: NAME is [DOMAIN[:PORT]/]COMPONENT[/...],
   * components [a-z0-9]+ joined by '.', '_', '__' or '-'s, TAG
   * [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, "latest" when absent; digests are
   * refused.  The error names the rule broken.  name or tag may be NULL;
   * caller frees.  */
  int mr_image_ref_parse (const char *ref, char **name, char **tag, struct mr_error *err);
  /* Adds (or atomically replaces) the image ref from source: a directory,
   * copied (files hard-linked when on the store's file system, so they must
   * not be changed in place afterwards), or a tar archive, plain or
   * compressed with gzip, xz, zstd or bzip2, unpacked so that nothing can
   * land outside the image.  *out (when out is not NULL): the new image,
   * free with mr_image_info_free (*out, 1).  */
  int mr_image_add (struct mr_context *ctx, const char *ref, const char *source,
                    struct mr_image_info **out, struct mr_error *err);
  /* Every image, sorted by reference.  */
  int mr_image_list (struct mr_context *ctx, struct mr_image_info **list, size_t *n,
                     struct mr_error *err);
  void mr_image_info_free (struct mr_image_info *list, size_t n);
  /* The same as a JSON array of what mr_image_inspect prints (caller frees).  */
  int mr_image_list_json (struct mr_context *ctx, char **json, struct mr_error *err);
  /* Removes the image and its files; an unknown reference is an error with
   * errnum ENOENT: "image 'x:latest' not found".  */
  int mr_image_remove (struct mr_context *ctx, const char *ref, struct mr_error *err);
  /* The image's metadata as a JSON object: Id, Reference, Name, Tag,
   * Created, Size, Source, Config (Env, Cmd, WorkingDir, User when known),
   * RootFS (caller frees).  */
  int mr_image_inspect (struct mr_context *ctx, const char *ref, char **json, struct mr_error *err);
  /* The image's root file system directory (caller frees); to be used
   * read-only, as the lower layer of a container's own.  */
  int mr_image_rootfs (struct mr_context *ctx, const char *ref, char **path, struct mr_error *err);

  /* Networks: bridges that managed containers join with --network NAME,
   * kept under <data dir>/networks.  The default one, "minirun" (what
   * "bridge" names), is made on first use and cannot be removed.  A
   * network's bridge exists while a container is on it.  */
  struct mr_network_create_opts
  {
    size_t size;
    const char *subnet;  /* "10.99.0.0/24", prefix 8 to 30; NULL: the first free /20
                            of 10.77.0.0-10.87.255.255 */
    const char *gateway; /* inside subnet; NULL: its first address */
    bool internal;       /* no traffic to or from outside the network */
  };

  struct mr_network_info
  {
    char *name;
    char *id;      /* 64 hex digits */
    char *subnet;  /* "10.77.0.0/20" */
    char *gateway; /* "10.77.0.1" */
    char *bridge;  /* the link's name */
    char *created; /* RFC 3339, UTC */
    bool internal;
    size_t containers; /* endpoints: the containers on it now */
  };

  /* Makes the record of network name (no link yet).  Refused: a name that is
   * not a valid id, "none", "host", "bridge", "default", "container:...",
   * an existing name (errnum EEXIST), a subnet with host bits or a prefix
   * outside 8-30, one that overlaps another network or a route of the host
   * (errnum EADDRINUSE; the error names it), a gateway outside the subnet
   * or equal to its network or broadcast address.  */
  int mr_network_create (struct mr_context *ctx, const char *name,
                         const struct mr_network_create_opts *opts, struct mr_error *err);
  /* Every network, sorted by name; the default one is among them (made when
   * missing).  */
  int mr_network_list (struct mr_context *ctx, struct mr_network_info **list, size_t *n,
                       struct mr_error *err);
  void mr_network_info_free (struct mr_network_info *list, size_t n);
  /* The same as a JSON array of what mr_network_inspect prints (caller
   * frees).  */
  int mr_network_list_json (struct mr_context *ctx, char **json, struct mr_error *err);
  /* The network as docker network inspect shows one: Name, Id, Created,
   * Scope, Driver ("bridge"), EnableIPv6, IPAM {Driver, Options, Config
   * [{Subnet, Gateway}]}, Internal, Attachable, Ingress, Containers {NAME:
   * {Name, IPv4Address "10.77.0.2/20", IPv6Address ""}}, Options
   * {"com.docker.network.bridge.name": BRIDGE}, Labels (caller frees).  An
   * unknown name: errnum ENOENT, "network 'x' not found".  */
  int mr_network_inspect (struct mr_context *ctx, const char *name, char **json,
                          struct mr_error *err);
  /* Removes a network: its bridge when there, its record, its rules.
   * Endpoints whose containers are gone are released first.  Refused for
   * the default network, and while a container uses it, running or not
   * (errnum EBUSY; the error names them).  */
  int mr_network_remove (struct mr_context *ctx, const char *name, struct mr_error *err);
  /* The containers that keep mr_network_remove from removing network name,
   * as it counts them: those whose records name it, running or not, else
   * those with an endpoint on it once the endpoints of containers gone are
   * released.  *users: NULL-terminated, sorted, empty when none (caller
   * frees each, then the array).  An unknown name: errnum ENOENT.  */
  int mr_network_users (struct mr_context *ctx, const char *name, char ***users,
                        struct mr_error *err);
  /* Removes every network but the default one that no container uses; the
   * names removed go to *removed (NULL-terminated, sorted; caller frees each,
   * then the array).  */
  int mr_network_prune (struct mr_context *ctx, char ***removed, struct mr_error *err);

#ifdef __cplusplus
}
#endif

#endif
