/* The monitor: the parent of a managed container's init.  One process per
 * container, single-threaded, one poll() loop: it copies the container's
 * output into the log (and to an attached caller), reaps init, records the
 * exit, applies the restart policy, and outlives whoever started it.  */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cgroup/cgroup.h"
#include "oci/container.h"
#include "context.h"
#include "managed/events.h"
#include "managed/log.h"
#include "managed/managed.h"
#include "oci/state.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

struct monitor
{
  struct mr_context *ctx;
  const char *name;
  struct mr_managed m;
  struct mr_log_writer *log;
  int control; /* to the starter; -1 once it is gone */
  int att_in, att_out, att_err;
  bool report_exit;
  bool tty;
  bool open_stdin;
  int sigfd;
  int devnull;
  /* one run of the container */
  struct mr_monitored proc;
  int out, err; /* pipes (or the pty master in out) */
  int in;       /* what we write the container's stdin through, or -1 */
};

static void send_msg (struct monitor *mo, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
send_msg (struct monitor *mo, const char *fmt, ...)
{
  char buf[MR_ERROR_MSG_MAX + 64];
  va_list ap;
  int n;

  if (mo->control < 0)
    return;
  va_start (ap, fmt);
  n = vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  if (n < 0)
    return;
  if ((size_t)n >= sizeof buf)
    n = sizeof buf - 1;
  send (mo->control, buf, (size_t)n, MSG_NOSIGNAL);
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

/* The caller went away: the container runs on, unattached.  */
static void
detach (struct monitor *mo)
{
  close_fd (&mo->control);
  close_fd (&mo->att_in);
  close_fd (&mo->att_out);
  close_fd (&mo->att_err);
}

static void
copy_winsize (struct monitor *mo)
{
  struct winsize ws;

  if (mo->proc.pty_master >= 0 && mo->att_out >= 0 && ioctl (mo->att_out, TIOCGWINSZ, &ws) == 0)
    ioctl (mo->proc.pty_master, TIOCSWINSZ, &ws);
}

static void
set_status (struct monitor *mo, const char *key, json_t *v)
{
  json_object_set_new (mo->m.status, key, v);
}

static int
update_status (struct monitor *mo, bool durable, struct mr_error *err)
{
  return mr_managed_write_status (&mo->m, durable, err);
}

static void
now_rfc3339 (json_t **out)
{
  char buf[48];
  mr_time_rfc3339 (buf, sizeof buf);
  *out = json_string (buf);
}

/* Creates and starts the container with our pipes (or a pty) as its stdio.  */
static int
start_once (struct monitor *mo, struct mr_error *err)
{
  int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, in[2] = { -1, -1 };
  int r;

  mo->out = mo->err = mo->in = -1;
  if (!mo->tty)
    {
      if (pipe2 (out, O_CLOEXEC) < 0 || pipe2 (errp, O_CLOEXEC) < 0
          || (mo->open_stdin && pipe2 (in, O_CLOEXEC) < 0))
        {
          mr_error_errno (err, errno, "start '%s': pipe", mo->name);
          goto fail;
        }
      /* the container inherits our 0-2, which are /dev/null otherwise */
      if (dup2 (in[0] >= 0 ? in[0] : mo->devnull, 0) < 0 || dup2 (out[1], 1) < 0
          || dup2 (errp[1], 2) < 0)
        {
          mr_error_errno (err, errno, "start '%s': dup2", mo->name);
          goto fail;
        }
    }
  r = mr_oci_run_monitored (mo->ctx, mo->name, mr_managed_str (mo->m.record, "Bundle"),
                                  &mo->proc, err);
  dup2 (mo->devnull, 0);
  dup2 (mo->devnull, 1);
  dup2 (mo->devnull, 2);
  close_fd (&out[1]);
  close_fd (&errp[1]);
  close_fd (&in[0]);
  if (r < 0)
    goto fail;
  if (mo->tty)
    {
      mo->out = mo->proc.pty_master;
      mo->in = mo->open_stdin ? mo->proc.pty_master : -1;
      copy_winsize (mo);
    }
  else
    {
      mo->out = out[0];
      mo->err = errp[0];
      mo->in = in[1];
      fcntl (mo->out, F_SETFL, O_NONBLOCK);
      fcntl (mo->err, F_SETFL, O_NONBLOCK);
    }
  return 0;
fail:
  close_fd (&out[0]);
  close_fd (&out[1]);
  close_fd (&errp[0]);
  close_fd (&errp[1]);
  close_fd (&in[0]);
  close_fd (&in[1]);
  return -1;
}

static void
write_attached (struct monitor *mo, int *fd, const char *buf, size_t len)
{
  if (*fd >= 0 && mr_write_all (*fd, buf, len) < 0)
    close_fd (fd);
}

/* One read from the container's stdout (stream 1) or stderr (2); false at
   the end of the stream.  */
static bool
pump (struct monitor *mo, int fd, int stream)
{
  char buf[65536];
  struct mr_error e = { 0 };
  ssize_t n = read (fd, buf, sizeof buf);

  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return true;
  if (n <= 0)
    return false; /* EIO: a pty whose every slave is closed */
  mr_log_writer_feed (mo->log, stream, buf, (size_t)n, &e);
  if (stream == MR_LOG_STDERR && mo->att_err >= 0)
    write_attached (mo, &mo->att_err, buf, (size_t)n);
  else
    write_attached (mo, &mo->att_out, buf, (size_t)n);
  return true;
}

static void
forward_stdin (struct monitor *mo)
{
  char buf[16384];
  ssize_t n = read (mo->att_in, buf, sizeof buf);

  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0)
    {
      close_fd (&mo->att_in);
      /* a pipe tells the end of input by closing; a terminal by ^D, which
         the user types */
      if (!mo->tty)
        close_fd (&mo->in);
      return;
    }
  if (mo->in >= 0 && mr_write_all (mo->in, buf, (size_t)n) < 0 && !mo->tty)
    close_fd (&mo->in);
}

static void
control_message (struct monitor *mo)
{
  char buf[64];
  ssize_t n = recv (mo->control, buf, sizeof buf - 1, MSG_DONTWAIT);

  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0)
    {
      detach (mo);
      return;
    }
  buf[n] = '\0';
  if (strcmp (buf, "winch") == 0)
    copy_winsize (mo);
}

static bool
reap (struct monitor *mo, int *ws)
{
  pid_t r = waitpid (mo->proc.pid, ws, WNOHANG);
  return r == mo->proc.pid;
}

/* The monitor idles for as long as its container runs, and most of the code
   and read-only data that started the container is never used again: drop
   the pages of every read-only file mapping that holds no anonymous (copied
   on write) page, since each such page comes back from the file as it was if
   it is ever needed; drop the stack below us and give back the heap.  The
   mappings are all read first and dropped after, so that reading smaps does
   not fault back in what was just dropped.  */
#define RELEASE_MAX 128

struct release
{
  unsigned long start[RELEASE_MAX], end[RELEASE_MAX];
  unsigned long stack_start;
  size_t n;
};

static void
release_scan (struct release *r)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/smaps", "re");
  char line[512];
  unsigned long start = 0, end = 0;
  bool droppable = false;

  if (f == NULL)
    return;
  while (fgets (line, sizeof line, f))
    {
      unsigned long s, e, kib;
      char perms[8];
      int path = 0;
      if (sscanf (line, "%lx-%lx %7s %*s %*s %*s %n", &s, &e, perms, &path) >= 3)
        {
          start = s, end = e;
          droppable = path > 0 && line[path] == '/' && perms[0] == 'r' && perms[1] == '-';
          if (path > 0 && strncmp (line + path, "[stack]", 7) == 0)
            r->stack_start = s;
        }
      else if (droppable && sscanf (line, "Anonymous: %lu", &kib) == 1 && kib == 0
               && r->n < RELEASE_MAX)
        {
          r->start[r->n] = start;
          r->end[r->n++] = end;
        }
    }
}

static __attribute__ ((noinline)) void
release_setup_pages (void)
{
  static struct release r;
  unsigned long page = (unsigned long)sysconf (_SC_PAGESIZE);
  unsigned long sp = (unsigned long)__builtin_frame_address (0);

  malloc_trim (0);
  release_scan (&r);
  for (size_t i = 0; i < r.n; i++)
    {
      /* no read-around: a fault maps its own page, not the 64 KiB about it */
      madvise ((void *)r.start[i], r.end[i] - r.start[i], MADV_RANDOM);
      madvise ((void *)r.start[i], r.end[i] - r.start[i], MADV_DONTNEED);
    }
  /* the frames of the setup calls, two pages clear of this one */
  sp = (sp & ~(page - 1)) - 2 * page;
  if (r.stack_start && sp > r.stack_start)
    madvise ((void *)r.stack_start, sp - r.stack_start, MADV_DONTNEED);
}

/* Runs the loop until init exits; returns its wait status.  */
static int
supervise (struct monitor *mo)
{
  bool exited = false, released = false;
  struct timespec deadline = { 0 };
  int ws = 0;

  for (;;)
    {
      struct pollfd p[6];
      int idx[6];
      nfds_t n = 0;
      int timeout = -1;

      if (mo->out >= 0)
        p[n] = (struct pollfd){ .fd = mo->out, .events = POLLIN }, idx[n++] = 0;
      if (mo->err >= 0)
        p[n] = (struct pollfd){ .fd = mo->err, .events = POLLIN }, idx[n++] = 1;
      if (!exited && mo->proc.pidfd >= 0)
        p[n] = (struct pollfd){ .fd = mo->proc.pidfd, .events = POLLIN }, idx[n++] = 2;
      if (mo->control >= 0)
        p[n] = (struct pollfd){ .fd = mo->control, .events = POLLIN }, idx[n++] = 3;
      if (mo->att_in >= 0 && mo->in >= 0 && !exited)
        p[n] = (struct pollfd){ .fd = mo->att_in, .events = POLLIN }, idx[n++] = 4;
      p[n] = (struct pollfd){ .fd = mo->sigfd, .events = POLLIN }, idx[n++] = 5;

      if (exited)
        {
          /* what init's children still write after it died comes quickly,
             or not at all: they are killed with the pid namespace */
          struct timespec t;
          long ms;
          if (mo->out < 0 && mo->err < 0)
            break;
          clock_gettime (CLOCK_MONOTONIC, &t);
          ms = (deadline.tv_sec - t.tv_sec) * 1000 + (deadline.tv_nsec - t.tv_nsec) / 1000000;
          if (ms <= 0)
            break;
          timeout = (int)ms;
        }
      if (!released)
        {
          release_setup_pages ();
          released = true;
        }
      if (poll (p, n, timeout) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      for (nfds_t i = 0; i < n; i++)
        {
          if (p[i].revents == 0)
            continue;
          switch (idx[i])
            {
            case 0:
              if (!pump (mo, mo->out, MR_LOG_STDOUT))
                {
                  if (mo->in == mo->out)
                    mo->in = -1;
                  close_fd (&mo->out);
                  mo->proc.pty_master = -1;
                }
              break;
            case 1:
              if (!pump (mo, mo->err, MR_LOG_STDERR))
                close_fd (&mo->err);
              break;
            case 2:
              if (reap (mo, &ws))
                {
                  exited = true;
                  clock_gettime (CLOCK_MONOTONIC, &deadline);
                  deadline.tv_sec += 1;
                }
              break;
            case 3:
              control_message (mo);
              break;
            case 4:
              forward_stdin (mo);
              break;
            case 5:
              {
                struct signalfd_siginfo si;
                while (read (mo->sigfd, &si, sizeof si) == sizeof si)
                  ;
                if (!exited && mo->proc.pidfd < 0 && reap (mo, &ws))
                  {
                    exited = true;
                    clock_gettime (CLOCK_MONOTONIC, &deadline);
                    deadline.tv_sec += 1;
                  }
              }
              break;
            }
        }
    }
  if (!exited)
    while (waitpid (mo->proc.pid, &ws, 0) < 0 && errno == EINTR)
      ;
  if (mo->in != mo->out)
    close_fd (&mo->in);
  mo->in = -1;
  close_fd (&mo->out);
  close_fd (&mo->err);
  close_fd (&mo->proc.pidfd);
  return ws;
}

static bool
oom_killed (const char *cgroup_path)
{
  struct mr_cgroup *cg = NULL;
  struct mr_cgroup_stats st = { 0 };
  struct mr_error e = { 0 };
  bool oom = false;

  if (cgroup_path && mr_cgroup_open (cgroup_path, &cg, &e) == 0)
    {
      oom = mr_cgroup_stats (cg, &st, &e) == 0 && st.oom_kills > 0;
      mr_cgroup_free (cg);
    }
  return oom;
}

static bool
should_restart (struct monitor *mo, int code, int restarts)
{
  json_t *hc = json_object_get (mo->m.record, "HostConfig");
  json_t *rp = json_object_get (hc, "RestartPolicy");
  const char *policy = mr_managed_str (rp, "Name");
  long long max = mr_managed_int (rp, "MaximumRetryCount");

  if (json_is_true (json_object_get (mo->m.status, "StopRequested")))
    return false;
  if (strcmp (policy, "always") == 0 || strcmp (policy, "unless-stopped") == 0)
    return true;
  if (strcmp (policy, "on-failure") == 0)
    return code != 0 && (max <= 0 || restarts < max);
  return false;
}

/* Waits ms, or less when a stop wakes us (SIGUSR1).  */
static void
backoff (struct monitor *mo, int ms)
{
  struct pollfd p = { .fd = mo->sigfd, .events = POLLIN };
  struct signalfd_siginfo si;

  if (poll (&p, 1, ms) > 0)
    while (read (mo->sigfd, &si, sizeof si) == sizeof si)
      ;
}

static int
exit_code_of (int ws)
{
  if (WIFEXITED (ws))
    return WEXITSTATUS (ws);
  if (WIFSIGNALED (ws))
    return 128 + WTERMSIG (ws);
  return 255;
}

/* Takes the record for this monitor: nothing else may be running it.  */
static int
claim (struct monitor *mo, struct mr_error *err)
{
  unsigned long long start = 0;
  const char *status;

  if (mr_managed_open (mo->ctx, mo->name, true, &mo->m, err) < 0)
    return -1;
  status = mr_managed_status (mo->ctx, &mo->m, NULL);
  if (strcmp (status, "created") != 0 && strcmp (status, "stopped") != 0)
    {
      mr_error_set (err, "cannot start container '%s': it is %s", mo->name, status);
      err->errnum = EBUSY;
      return -1;
    }
  mr_pid_start_time (getpid (), &start);
  set_status (mo, "MonitorPid", json_integer (getpid ()));
  set_status (mo, "MonitorStart", json_integer ((json_int_t)start));
  set_status (mo, "StopRequested", json_false ());
  set_status (mo, "Error", json_string (""));
  set_status (mo, "RestartCount", json_integer (0));
  if (update_status (mo, false, err) < 0)
    return -1;
  return mr_managed_lock (&mo->m, false, err);
}

static int
start_failed (int errnum)
{
  /* as docker run: 127 command not found, 126 cannot be run, 125 other */
  if (errnum == ENOENT)
    return 127;
  if (errnum == EACCES || errnum == ENOEXEC || errnum == EPERM)
    return 126;
  return 125;
}

/* The last exit: the published ports and the address go back.  A first
 * start that failed is undone by the starter, which made them.  */
static void
release_network (struct monitor *mo)
{
  struct mr_error e = { 0 };

  if (mr_managed_network_of (mo->m.record) && mr_managed_net_release (mo->ctx, mo->name, &e) < 0)
    mr_event_emit (mo->ctx, "network-error", mo->name, json_pack ("{s:s}", "error", e.msg), &e);
}

static int
monitor (struct monitor *mo, struct mr_error *err)
{
  json_t *hc, *cfg;
  int restarts = 0;
  int delay = 100;
  bool first = true;

  if (claim (mo, err) < 0)
    goto report;
  cfg = json_object_get (mo->m.record, "Config");
  hc = json_object_get (mo->m.record, "HostConfig");
  (void)hc;
  mo->tty = json_is_true (json_object_get (cfg, "Tty"));
  mo->open_stdin = json_is_true (json_object_get (cfg, "OpenStdin"));
  if (mr_managed_ensure_rootfs (&mo->m, err) < 0)
    goto failed;
  if (mr_log_writer_open (mr_managed_str (mo->m.record, "LogPath"),
                          (uint64_t)mr_managed_int (mo->m.record, "LogMaxSize"),
                          (unsigned)mr_managed_int (mo->m.record, "LogMaxFiles"), &mo->log, err)
      < 0)
    goto failed;
  for (;;)
    {
      struct timespec t0, t1;
      struct mr_error e = { 0 };
      json_t *ts;
      int ws, code;
      bool oom, again;

      if (start_once (mo, err) < 0)
        goto failed;
      clock_gettime (CLOCK_MONOTONIC, &t0);
      mr_managed_lock (&mo->m, true, &e);
      mr_managed_read_status (&mo->m, &e);
      now_rfc3339 (&ts);
      set_status (mo, "Status", json_string ("running"));
      set_status (mo, "Pid", json_integer (mo->proc.pid));
      set_status (mo, "StartedAt", ts);
      set_status (mo, "RestartCount", json_integer (restarts));
      update_status (mo, false, &e);
      if (json_is_true (json_object_get (mo->m.status, "StopRequested")))
        kill (mo->proc.pid, SIGKILL);
      mr_managed_lock (&mo->m, false, &e);
      mr_event_emit (mo->ctx, "start", mo->name, NULL, &e);
      if (first)
        send_msg (mo, "ok %d", (int)mo->proc.pid);
      first = false;

      ws = supervise (mo);
      clock_gettime (CLOCK_MONOTONIC, &t1);
      mr_log_writer_flush (mo->log, &e);
      code = exit_code_of (ws);
      oom = oom_killed (mo->proc.cgroup_path);
      free (mo->proc.cgroup_path);
      mo->proc.cgroup_path = NULL;
      mr_oci_delete_runtime (mo->ctx, mo->name, &e);

      mr_managed_lock (&mo->m, true, &e);
      mr_managed_read_status (&mo->m, &e);
      again = should_restart (mo, code, restarts);
      now_rfc3339 (&ts);
      set_status (mo, "Status", json_string (again ? "restarting" : "stopped"));
      set_status (mo, "Pid", json_integer (0));
      set_status (mo, "ExitCode", json_integer (code));
      set_status (mo, "OOMKilled", json_boolean (oom));
      set_status (mo, "FinishedAt", ts);
      if (!again)
        {
          set_status (mo, "MonitorPid", json_integer (0));
          set_status (mo, "MonitorStart", json_integer (0));
        }
      update_status (mo, !again, &e);
      mr_managed_lock (&mo->m, false, &e);
      if (oom)
        mr_event_emit (mo->ctx, "oom", mo->name, NULL, &e);
      {
        char codes[16];
        snprintf (codes, sizeof codes, "%d", code);
        mr_event_emit (mo->ctx, "die", mo->name, json_pack ("{s:s}", "exitCode", codes), &e);
      }
      if (!again)
        {
          mr_log_writer_close (mo->log);
          mo->log = NULL;
          release_network (mo);
          if (json_is_true (
                  json_object_get (json_object_get (mo->m.record, "HostConfig"), "AutoRemove")))
            mr_managed_remove (mo->ctx, mo->name, true, true, &e);
          if (mo->report_exit)
            send_msg (mo, "exit %d", code);
          return 0;
        }
      /* docker's backoff: doubling from 100 ms, back to the start after a
         run of 10 s or more */
      if (t1.tv_sec - t0.tv_sec >= 10)
        delay = 100;
      backoff (mo, delay);
      delay = delay < 5000 ? delay * 2 : 10000;
      restarts++;
      mr_managed_lock (&mo->m, true, &e);
      mr_managed_read_status (&mo->m, &e);
      if (json_is_true (json_object_get (mo->m.status, "StopRequested")))
        {
          set_status (mo, "Status", json_string ("stopped"));
          set_status (mo, "MonitorPid", json_integer (0));
          set_status (mo, "MonitorStart", json_integer (0));
          update_status (mo, true, &e);
          mr_managed_lock (&mo->m, false, &e);
          mr_log_writer_close (mo->log);
          mo->log = NULL;
          release_network (mo);
          if (mo->report_exit)
            send_msg (mo, "exit %d", code);
          return 0;
        }
      mr_managed_lock (&mo->m, false, &e);
    }

failed:
  if (mo->m.status)
    {
      struct mr_error e = { 0 };
      json_t *ts;
      mr_managed_lock (&mo->m, true, &e);
      mr_managed_read_status (&mo->m, &e);
      now_rfc3339 (&ts);
      set_status (mo, "Status", json_string ("stopped"));
      set_status (mo, "Pid", json_integer (0));
      set_status (mo, "ExitCode", json_integer (start_failed (err->errnum)));
      set_status (mo, "FinishedAt", ts);
      set_status (mo, "Error", json_string (err->msg));
      set_status (mo, "MonitorPid", json_integer (0));
      set_status (mo, "MonitorStart", json_integer (0));
      update_status (mo, true, &e);
      mr_managed_lock (&mo->m, false, &e);
    }
  mr_log_writer_close (mo->log);
  mo->log = NULL;
  if (!first)
    release_network (mo);
  if (mo->m.record
      && json_is_true (
          json_object_get (json_object_get (mo->m.record, "HostConfig"), "AutoRemove")))
    {
      struct mr_error e = { 0 };
      mr_managed_remove (mo->ctx, mo->name, true, true, &e);
    }
report:
  if (first)
    send_msg (mo, "error %d %s", err->errnum, err->msg);
  else if (mo->report_exit)
    send_msg (mo, "exit %d", start_failed (err->errnum));
  return -1;
}

int
mr_monitor_run (struct mr_context *ctx, const char *name, const struct mr_monitor_opts *opts,
                struct mr_error *err)
{
  struct monitor mo = { .ctx = ctx, .name = name };
  sigset_t mask;
  pid_t pid;
  int r;

  if (mr_id_validate (name, err) < 0)
    return -1;
  /* read at our start already; the hooks we run must not inherit it */
  {
    const char *t = getenv ("GLIBC_TUNABLES");
    if (t && strcmp (t, MR_MONITOR_TUNABLES + sizeof "GLIBC_TUNABLES") == 0)
      unsetenv ("GLIBC_TUNABLES");
  }
  /* the starter waits for this first process; the monitor is its child,
     and belongs to nobody's session once it exits */
  pid = fork ();
  if (pid < 0)
    return mr_error_errno (err, errno, "monitor '%s': fork", name);
  if (pid > 0)
    return 1;

  mo.control = opts ? opts->control_fd : -1;
  mo.att_in = opts ? opts->in_fd : -1;
  mo.att_out = opts ? opts->out_fd : -1;
  mo.att_err = opts ? opts->err_fd : -1;
  mo.report_exit = opts && opts->report_exit;
  mo.proc.pidfd = mo.proc.pty_master = -1;
  mo.out = mo.err = mo.in = -1;
  /* none of these may reach the container */
  for (int *fd = &mo.control; fd <= &mo.att_err; fd++)
    if (*fd >= 0)
      fcntl (*fd, F_SETFD, FD_CLOEXEC);
  mo.devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (mo.devnull < 0)
    return mr_error_errno (err, errno, "monitor '%s': /dev/null", name);
  /* a stray signal must not orphan the container: only SIGKILL ends us.
     Blocked, not ignored: an ignored signal would stay ignored in the
     container, while the child unblocks every signal before exec.  */
  sigemptyset (&mask);
  sigaddset (&mask, SIGPIPE);
  sigaddset (&mask, SIGHUP);
  sigaddset (&mask, SIGINT);
  sigaddset (&mask, SIGTERM);
  sigaddset (&mask, SIGQUIT);
  sigaddset (&mask, SIGTTIN);
  sigaddset (&mask, SIGTTOU);
  sigaddset (&mask, SIGTSTP);
  sigaddset (&mask, SIGUSR1);
  sigaddset (&mask, SIGCHLD);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  sigemptyset (&mask);
  sigaddset (&mask, SIGUSR1);
  sigaddset (&mask, SIGCHLD);
  mo.sigfd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (mo.sigfd < 0)
    return mr_error_errno (err, errno, "monitor '%s': signalfd", name);
  if (chdir ("/") < 0)
    return mr_error_errno (err, errno, "monitor '%s': chdir", name);

  r = monitor (&mo, err);
  detach (&mo);
  close_fd (&mo.sigfd);
  close_fd (&mo.devnull);
  free (mo.proc.cgroup_path);
  mr_managed_close (&mo.m);
  return r < 0 ? -1 : 0;
}
