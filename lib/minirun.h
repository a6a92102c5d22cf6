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
extern "C" {
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
};

int mr_context_new (const struct mr_context_opts *opts, struct mr_context **out,
                    struct mr_error *err);
void mr_context_free (struct mr_context *ctx);
const char *mr_context_root (const struct mr_context *ctx);
/* Where persistent records live (images, managed containers):
 * /var/lib/minirun, or <root>/data when the context has an explicit root,
 * so that instances with different roots never share records.  */
const char *mr_context_data_dir (const struct mr_context *ctx);

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
  bool all; /* every process in the container's cgroup */
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
};
int mr_container_list (struct mr_context *ctx, struct mr_container_info **list, size_t *n,
                       struct mr_error *err);
void mr_container_info_free (struct mr_container_info *list, size_t n);
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
  char state;       /* R, S, D, Z, T ... */
  uint64_t start_time; /* seconds since the epoch */
  char *cmd;        /* command line, spaces between arguments */
};
/* The processes of a container with details, for a `ps` table.  */
int mr_container_top (struct mr_context *ctx, const char *id, struct mr_process_info **list,
                      size_t *n, struct mr_error *err);
void mr_process_info_free (struct mr_process_info *list, size_t n);

int mr_container_pause (struct mr_context *ctx, const char *id, struct mr_error *err);
int mr_container_resume (struct mr_context *ctx, const char *id, struct mr_error *err);

struct mr_exec_opts
{
  size_t size;
  const char *process_path;  /* an OCI process.json; overrides the fields below */
  const char *const *args;   /* NULL-terminated */
  const char *const *env;    /* NULL-terminated K=V, added to the container's env */
  const char *cwd;
  bool user_set;
  uid_t uid;
  gid_t gid;
  bool gid_set;
  const char *const *caps;   /* NULL-terminated, added to the container's caps */
  bool no_new_privs;
  bool tty;
  const char *console_socket;
  bool detach;
  const char *pid_file;
  int preserve_fds;
};
/* When not detached, waits and stores the process's exit status.  */
int mr_container_exec (struct mr_context *ctx, const char *id, const struct mr_exec_opts *opts,
                       int *exit_status, struct mr_error *err);

struct mr_update_opts
{
  size_t size;
  const char *resources_json; /* an OCI linux.resources object, or NULL */
  /* the per-resource flags; a negative value (or NULL) means unset */
  int64_t memory;
  int64_t memory_swap;
  int64_t memory_reservation;
  int64_t cpu_quota;
  int64_t cpu_period;
  int64_t cpu_shares;
  int64_t pids_limit;
  const char *cpuset_cpus;
  const char *cpuset_mems;
};
/* Sets every int64 field of opts to -1 and the rest to NULL.  */
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
                          const char *ctr_dst, const struct mr_cp_opts *opts, struct mr_error *err);
int mr_container_copy_from (struct mr_context *ctx, const char *id, const char *ctr_src,
                            const char *host_dst, const struct mr_cp_opts *opts,
                            struct mr_error *err);

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

#ifdef __cplusplus
}
#endif

#endif
