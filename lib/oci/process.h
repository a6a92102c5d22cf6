/* Making container processes: the init of a new container (clone into new
 * namespaces, set up the root filesystem, wait to be started, exec) and a
 * process exec'ed into a running one.  No re-exec of a helper and no
 * threads: the child runs straight from the clone.  */
#ifndef MR_PROCESS_H
#define MR_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "linux/seccomp.h"
#include "minirun.h"
#include "oci/spec.h"

enum mr_start_mode
{
  MR_START_FIFO,    /* create: block on exec.fifo until `start` opens it */
  MR_START_MESSAGE, /* run: the parent sends a start message */
};

struct mr_spawn
{
  /* what to run */
  const struct mr_spec *spec;
  const struct mr_spec_process *process; /* spec's, or the exec'ed one */
  const struct mr_seccomp_prog *seccomp; /* NULL: none */
  struct mr_cgroup *cgroup;              /* NULL: none */

  /* a new container */
  const char *rootfs;
  const char *cgroup_path;
  int state_dirfd; /* the container's state directory (exec.fifo) */
  enum mr_start_mode start_mode;
  bool no_pivot;
  const char *keyring; /* join a new session keyring of this name; NULL: keep ours */

  /* an exec into a container */
  bool exec;
  pid_t target_pid;
  bool target_userns;
  /* the caller's fds that become the process's 0, 1 and 2 (-1: /dev/null),
     set up in the child; unset: inherited.  Ignored with a terminal.  */
  bool stdio_set;
  int stdio[3];

  const char *console_socket; /* NULL: pty master goes back to the parent */
  int preserve_fds;
  /* the exec'ed child waits for mr_spawn_send_go before it does anything,
     so that the parent can put it in its cgroups first */
  bool exec_wait_go;

  /* a filter with a listener: called in mr_spawn_wait_ready with the
     listener the process sent, which it passes on (the caller closes it);
     the process waits until it returns.  NULL refuses such a filter.  */
  int (*hand_listener) (struct mr_spawn *sp, int listener, void *data, struct mr_error *err);
  void *hand_listener_data;

  /* filled by mr_spawn_clone */
  pid_t pid;
  int sync_fd; /* the parent's end */
  int pidfd;   /* of the new process, -1 if the kernel has none */
  bool need_go;

  /* set when the child reported an error of its own setup */
  bool child_failed;
  /* filled when the child fails: 127 when the program was not found, 126
     when an exec'ed process failed before running it, else 0 */
  int cmd_status;
};

/* Clones the child.  In the parent, returns with sp->pid and sp->sync_fd
 * set; the child never returns.  Every fd the parent wants the child to
 * drop (the state lock) must be O_CLOEXEC and is listed in close_fds.  */
int mr_spawn_clone (struct mr_spawn *sp, const int *close_fds, size_t n_close_fds,
                    struct mr_error *err);

/* Writes uid_map and gid_map of the child's new user namespace.  */
int mr_spawn_write_idmaps (const struct mr_spawn *sp, struct mr_error *err);

/* Lets the child go on; state_json is what its createContainer and
 * startContainer hooks get on stdin.  Only when sp->need_go.  */
int mr_spawn_send_go (struct mr_spawn *sp, const char *state_json, struct mr_error *err);

/* Waits until the child is set up and blocked before exec (create), or has
 * exec'ed (exec); returns the child's own error when it failed.  When the
 * process has a terminal and no console socket, *pty_master receives the
 * master (else -1).  */
int mr_spawn_wait_ready (struct mr_spawn *sp, int *pty_master, struct mr_error *err);

/* MR_START_MESSAGE: releases the child.  */
int mr_spawn_send_start (struct mr_spawn *sp, struct mr_error *err);

/* After the start: waits until the child has exec'ed its program (its end
 * of the socket closes), or returns the error that stopped it.  */
int mr_spawn_wait_exec (struct mr_spawn *sp, struct mr_error *err);

void mr_spawn_close (struct mr_spawn *sp);

/* Waits for pid (our child) while forwarding the usual terminating signals
 * to it, and proxies a pty when pty_master >= 0; returns the exit status as
 * a shell reports it (128+N for a signal).  */
int mr_wait_forwarding (pid_t pid, int pty_master, int *exit_status, struct mr_error *err);

/* The same, copying the pty from in_fd and to out_fd instead of 0 and 1
   (-1: nothing to copy from, or output dropped).  */
int mr_wait_forwarding_io (pid_t pid, int pty_master, int in_fd, int out_fd, int *exit_status,
                           struct mr_error *err);

/* Collecting a child's output: feeds input to in_fd, reads out_fd and err_fd
   until the child exits, kills it after timeout_ms, reaps it.  */
struct mr_capture_io
{
  int in_fd; /* write end of the child's stdin, or -1 */
  const char *input;
  size_t input_len;
  int out_fd; /* read ends of the child's stdout and stderr */
  int err_fd;
  size_t limit;   /* bytes kept per stream */
  int timeout_ms; /* <= 0: none */
  /* asked every 100 ms (NULL: never); true: the child gets SIGKILL */
  bool (*cancel) (void *data);
  void *cancel_data;
  bool cancelled; /* set when cancel asked for it */
};

/* Runs the loop for child pid, which the caller has not reaped; takes the
   three fds (closed on return, whatever happens) and always reaps pid.
   Fills every field of res but size; its buffers are the caller's to free
   even on failure.  No signal handler and no signal mask beyond the calling
   thread's, briefly, around a write that may raise SIGPIPE.  */
int mr_capture_run (pid_t pid, struct mr_capture_io *io, struct mr_exec_result *res,
                    struct mr_error *err);

#endif
