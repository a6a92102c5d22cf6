#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oci/hooks.h"
#include "oci/state.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

static int
wait_hook (pid_t pid, int timeout, int *status)
{
  cleanup_close int pfd = -1;

  if (timeout > 0)
    {
      pfd = mr_pidfd_open (pid);
      if (pfd >= 0)
        {
          struct pollfd p = { .fd = pfd, .events = POLLIN };
          int r;
          do
            r = poll (&p, 1, timeout * 1000);
          while (r < 0 && errno == EINTR);
          if (r == 0)
            {
              kill (pid, SIGKILL);
              while (waitpid (pid, status, 0) < 0 && errno == EINTR)
                ;
              return 1;
            }
        }
    }
  while (waitpid (pid, status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return 0;
}

static int
run_one (const struct mr_spec_hook *h, const char *kind, const char *state_json,
         const struct mr_hook_where *where, struct mr_error *err)
{
  char *default_argv[] = { h->path, NULL };
  char *const *env = h->env ? h->env : where && where->env ? where->env : environ;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t all, none;
  int pipefd[2];
  pid_t pid;
  int status = 0, r;
  void (*old_pipe) (int);

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return mr_error_errno (err, errno, "%s hook '%s': pipe", kind, h->path);
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, pipefd[0], 0);
  if (where && where->cwd)
    posix_spawn_file_actions_addchdir_np (&fa, where->cwd);
  /* the hook gets default signal actions and an empty mask, whatever the
   * runtime's caller ignored or blocked.  Every bit, not sigfillset: that
   * leaves out glibc's own signals, which posix_spawn then ignores in the
   * child, and an exec keeps them ignored.  */
  memset (&all, 0xff, sizeof all);
  sigemptyset (&none);
  posix_spawnattr_init (&attr);
  posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setsigdefault (&attr, &all);
  posix_spawnattr_setsigmask (&attr, &none);
  r = posix_spawn (&pid, h->path, &fa, &attr, h->args ? h->args : default_argv, env);
  posix_spawnattr_destroy (&attr);
  posix_spawn_file_actions_destroy (&fa);
  close (pipefd[0]);
  if (r != 0)
    {
      close (pipefd[1]);
      return mr_error_errno (err, r, "%s hook '%s'", kind, h->path);
    }
  /* a hook that does not read its stdin must not kill us with SIGPIPE */
  old_pipe = signal (SIGPIPE, SIG_IGN);
  mr_write_all (pipefd[1], state_json, strlen (state_json));
  signal (SIGPIPE, old_pipe);
  close (pipefd[1]);
  r = wait_hook (pid, h->timeout, &status);
  if (r < 0)
    return mr_error_errno (err, errno, "%s hook '%s': wait", kind, h->path);
  if (r > 0)
    return mr_error_set (err, "%s hook '%s' timed out after %d seconds", kind, h->path, h->timeout);
  if (WIFEXITED (status) && WEXITSTATUS (status) != 0)
    return mr_error_set (err, "%s hook '%s' exited with status %d", kind, h->path,
                         WEXITSTATUS (status));
  if (WIFSIGNALED (status))
    return mr_error_set (err, "%s hook '%s' was killed by signal %d", kind, h->path,
                         WTERMSIG (status));
  return 0;
}

int
mr_hooks_run (const struct mr_spec_hook *hooks, size_t n, const char *kind, const char *state_json,
              const struct mr_hook_where *where, struct mr_error *err)
{
  for (size_t i = 0; i < n; i++)
    if (run_one (&hooks[i], kind, state_json, where, err) < 0)
      return -1;
  return 0;
}
