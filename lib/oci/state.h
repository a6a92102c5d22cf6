/* The state directory: <root>/<id>/ holds state.json (written atomically),
 * exec.fifo while the container is created but not started, and is itself
 * the lock (flock on the directory fd) every mutating verb takes.  */
#ifndef MR_STATE_H
#define MR_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "minirun.h"

#define MR_EXEC_FIFO "exec.fifo"

struct mr_state
{
  char *id;
  bool creating;                /* create has not finished (or crashed) */
  pid_t pid;                    /* 0 until the init process exists */
  unsigned long long pid_start; /* /proc/<pid>/stat starttime, against pid reuse */
  char *bundle;
  char *rootfs;
  char *created; /* RFC 3339, nanoseconds */
  char *owner;
  char *cgroup_path;
  json_t *cgroup_layout; /* each hierarchy's path and the levels create made; may be NULL */
  bool userns;           /* the container has its own user namespace */
  bool poststart_hooks;  /* the config has poststart hooks */
  bool poststop_hooks;
  json_t *annotations; /* object, may be NULL */
};

void mr_state_free (struct mr_state *st);

/* Creates <root>/<id> (refusing an existing one: "container 'x' already
 * exists") and returns its fd, locked exclusively.  */
int mr_state_dir_create (int rootfd, const char *id, int *dirfd, struct mr_error *err);

/* Opens <root>/<id> ("container 'x' does not exist") and, with lock,
 * waits for the exclusive lock.  */
int mr_state_dir_open (int rootfd, const char *id, bool lock, int *dirfd, struct mr_error *err);

/* Removes everything in <root>/<id> and the directory.  */
int mr_state_dir_remove (int rootfd, const char *id, int dirfd, struct mr_error *err);

/* durable: fsync too.  Only the state a verb leaves behind needs it; the
 * steps in between only need to be atomic.  */
int mr_state_write (int dirfd, const struct mr_state *st, bool durable, struct mr_error *err);
int mr_state_read (int dirfd, const char *id, struct mr_state **out, struct mr_error *err);

/* starttime of pid from /proc/<pid>/stat; -1 when the process is gone or a
 * zombie.  */
int mr_pid_start_time (pid_t pid, unsigned long long *start);

/* A pidfd of pid (O_CLOEXEC by the kernel), or -1.  */
int mr_pidfd_open (pid_t pid);

/* true when st->pid is still the process that create made.  */
bool mr_state_pid_alive (const struct mr_state *st);

/* The current time as RFC 3339 with nanoseconds (UTC); buf >= 40 bytes.  */
void mr_time_rfc3339 (char *buf, size_t len);

/* The OCI state document (runc's fields: ociVersion, id, pid, status,
 * bundle, rootfs, created, owner, annotations).  */
json_t *mr_state_to_json (const struct mr_state *st, enum mr_status status);

#endif
