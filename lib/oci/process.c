#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/keyctl.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "oci/hooks.h"
#include "linux/creds.h"
#include "linux/mount.h"
#include "linux/terminal.h"
#include "oci/process.h"
#include "oci/state.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

enum
{
  MSG_GO = 1,
  MSG_READY,
  MSG_ERROR,
  MSG_START,
  MSG_SECCOMP,      /* child: its seccomp listener, in SCM_RIGHTS */
  MSG_SECCOMP_DONE, /* runtime: the listener went to the agent */
  MSG_PTY,          /* not on the wire: the pty master, sent by mr_send_fd */
};

/* Messages on the SOCK_SEQPACKET pair between the runtime and the child.  */
struct msg_head
{
  int type;
  int errnum;
  int cmd_status; /* MSG_ERROR: 126 or 127 when the program could not be run */
};

#define MSG_MAX (64 * 1024)

static const struct
{
  int type;
  const char *name;
} ns_files[] = {
  { CLONE_NEWUSER, "user" },     { CLONE_NEWIPC, "ipc" },   { CLONE_NEWUTS, "uts" },
  { CLONE_NEWNET, "net" },       { CLONE_NEWPID, "pid" },   { CLONE_NEWNS, "mnt" },
  { CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWTIME, "time" },
};

/* passfd >= 0 travels along in SCM_RIGHTS.  */
static int
send_msg_fd (int fd, int type, int errnum, int cmd_status, const char *payload, int passfd)
{
  size_t plen = payload ? strlen (payload) : 0;
  struct msg_head h = { .type = type, .errnum = errnum, .cmd_status = cmd_status };
  struct iovec iov[2] = {
    { .iov_base = &h, .iov_len = sizeof h },
    { .iov_base = (void *)payload, .iov_len = plen },
  };
  struct msghdr m = { .msg_iov = iov, .msg_iovlen = plen ? 2 : 1 };
  char cbuf[CMSG_SPACE (sizeof (int))];

  if (plen > MSG_MAX - sizeof h)
    iov[1].iov_len = MSG_MAX - sizeof h;
  if (passfd >= 0)
    {
      struct cmsghdr *c;

      memset (cbuf, 0, sizeof cbuf);
      m.msg_control = cbuf;
      m.msg_controllen = sizeof cbuf;
      c = CMSG_FIRSTHDR (&m);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &passfd, sizeof (int));
    }
  while (sendmsg (fd, &m, MSG_NOSIGNAL) < 0)
    if (errno != EINTR)
      return -1;
  return 0;
}

static int
send_msg (int fd, int type, int errnum, int cmd_status, const char *payload)
{
  return send_msg_fd (fd, type, errnum, cmd_status, payload, -1);
}

/* Receives one message; payload (NUL-terminated) goes to buf.  Returns the
 * type, 0 on EOF, -1 on error.  */
static int
recv_msg (int fd, struct msg_head *h, char *buf, size_t buflen)
{
  struct iovec iov[2] = {
    { .iov_base = h, .iov_len = sizeof *h },
    { .iov_base = buf, .iov_len = buflen ? buflen - 1 : 0 },
  };
  struct msghdr m = { .msg_iov = iov, .msg_iovlen = buflen ? 2 : 1 };
  ssize_t r;

  do
    r = recvmsg (fd, &m, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return -1;
  if (r == 0)
    return 0;
  if ((size_t)r < sizeof *h)
    {
      errno = EPROTO;
      return -1;
    }
  if (buflen)
    buf[(size_t)r - sizeof *h] = '\0';
  return h->type;
}

/* Receives one message of the child, and the fd it may carry (*passed,
 * else -1): a pty master comes as mr_send_fd sends it, without a head
 * (MSG_PTY).  Returns the type, 0 on EOF, -1 on error.  */
static int
recv_msg_fd (int fd, struct msg_head *h, char *buf, size_t buflen, int *passed)
{
  char cbuf[CMSG_SPACE (sizeof (int))];
  char data[MR_ERROR_MSG_MAX + sizeof *h];
  struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
  struct msghdr m
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  struct cmsghdr *c;
  ssize_t n;

  *passed = -1;
  do
    n = recvmsg (fd, &m, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return (int)n;
  c = CMSG_FIRSTHDR (&m);
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS
      && c->cmsg_len == CMSG_LEN (sizeof (int)))
    memcpy (passed, CMSG_DATA (c), sizeof (int));
  if ((size_t)n >= sizeof *h)
    memcpy (h, data, sizeof *h);
  if (*passed >= 0 && ((size_t)n < sizeof *h || h->type != MSG_SECCOMP))
    return MSG_PTY;
  if ((size_t)n < sizeof *h)
    {
      errno = EPROTO;
      return -1;
    }
  if (buflen)
    snprintf (buf, buflen, "%.*s", (int)((size_t)n - sizeof *h), data + sizeof *h);
  return h->type;
}

/* In a started child: the write end of exec.fifo, held open until exec
 * closes it, so that `start` learns when the program runs, or why not.  */
static int start_fifo_fd = -1;

/* In a child: the exit code a shell would give when the program cannot be
 * run (127 not found, 126 anything else), sent along with the error.  */
static int child_cmd_status;

static int
cmd_status_for (int errnum)
{
  return errnum == ENOENT || errnum == ENOTDIR ? 127 : 126;
}

static void child_fail (int fd, const struct mr_error *err) __attribute__ ((noreturn));
static void
child_fail (int fd, const struct mr_error *err)
{
  if (start_fifo_fd >= 0)
    {
      mr_write_all (start_fifo_fd, "1", 1);
      mr_write_all (start_fifo_fd, err->msg, strnlen (err->msg, sizeof err->msg));
    }
  send_msg (fd, MSG_ERROR, err->errnum, child_cmd_status, err->msg);
  _exit (1);
}

/* Looks up the program as execvp would, in the container's root, so that a
 * missing binary fails create instead of the start.  */
static int
find_executable (const struct mr_spec_process *p, char *out, size_t outlen, struct mr_error *err)
{
  const char *name = p->args[0];
  const char *path = NULL;

  if (strchr (name, '/'))
    {
      struct stat st;
      if (stat (name, &st) < 0)
        {
          child_cmd_status = cmd_status_for (errno);
          return mr_error_errno (err, errno, "exec: \"%s\": stat %s", name, name);
        }
      if (S_ISDIR (st.st_mode))
        {
          child_cmd_status = 126;
          return mr_error_errno (err, EISDIR, "exec: \"%s\"", name);
        }
      snprintf (out, outlen, "%s", name);
      return 0;
    }
  for (size_t i = 0; i < p->n_env; i++)
    if (strncmp (p->env[i], "PATH=", 5) == 0)
      path = p->env[i] + 5;
  if (path == NULL)
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  while (*path)
    {
      const char *end = strchrnul (path, ':');
      struct stat st;
      int n;

      if (end == path)
        n = snprintf (out, outlen, "%s", name);
      else
        n = snprintf (out, outlen, "%.*s/%s", (int)(end - path), path, name);
      if (n > 0 && (size_t)n < outlen && stat (out, &st) == 0 && S_ISREG (st.st_mode)
          && (st.st_mode & 0111))
        return 0;
      path = *end ? end + 1 : end;
    }
  child_cmd_status = 127;
  mr_error_set (err, "exec: \"%s\": executable file not found in $PATH", name);
  err->errnum = ENOENT;
  return -1;
}

/* Raw system calls: glibc's wrappers would apply the change to every thread
 * of the process they think they are in, and a child cloned from a threaded
 * caller still has the caller's threads on glibc's list: they would wait
 * forever for threads that do not exist here.  */
static int
become_root (void)
{
  if (syscall (SYS_setresgid, 0, 0, 0) < 0 || syscall (SYS_setresuid, 0, 0, 0) < 0)
    return -1;
  return 0;
}

static int
open_ns_paths (const struct mr_spec *spec, int *fds, struct mr_error *err)
{
  for (size_t i = 0; i < spec->linux.n_namespaces; i++)
    {
      const struct mr_spec_namespace *ns = &spec->linux.namespaces[i];
      int fd, type;

      fds[i] = -1;
      if (ns->path == NULL)
        continue;
      fd = open (ns->path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return mr_error_errno (err, errno, "open namespace '%s'", ns->path);
      fds[i] = fd;
      type = ioctl (fd, NS_GET_NSTYPE);
      if (type >= 0 && type != ns->type)
        return mr_error_set (err, "namespace '%s' is not of the type the config names", ns->path);
      if (type < 0)
        return mr_error_errno (err, errno, "namespace '%s' is not a namespace file", ns->path);
    }
  return 0;
}

static void
close_fds (int *fds, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (fds[i] >= 0)
      {
        close (fds[i]);
        fds[i] = -1;
      }
}

/* Marks every descriptor from low up close-on-exec, so that nothing of the
 * runtime's reaches the program, whatever flags it was opened with.
 * Kernels before 5.11 have no CLOSE_RANGE_CLOEXEC: the descriptors are
 * then found in /proc/self/fd.  */
static int
fds_cloexec_from (int low, struct mr_error *err)
{
  char buf[4096];
  int dfd;
  long n;

  if (syscall (SYS_close_range, (unsigned)low, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
  dfd = open ("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return mr_error_errno (err, errno, "open '/proc/self/fd'");
  while ((n = syscall (SYS_getdents64, dfd, buf, sizeof buf)) > 0)
    for (long off = 0; off < n;)
      {
        struct
        {
          uint64_t ino;
          int64_t off;
          unsigned short reclen;
          unsigned char type;
          char name[];
        } *d = (void *)(buf + off);
        char *end;
        long fd = strtol (d->name, &end, 10);

        off += d->reclen;
        if (*end != '\0' || end == d->name || fd < low || fd == dfd)
          continue;
        int fl = fcntl ((int)fd, F_GETFD);
        if (fl >= 0 && !(fl & FD_CLOEXEC))
          fcntl ((int)fd, F_SETFD, fl | FD_CLOEXEC);
      }
  close (dfd);
  if (n < 0)
    return mr_error_errno (err, errno, "read '/proc/self/fd'");
  return 0;
}

/* The program's environment: the configured one, with HOME from the
 * container's /etc/passwd for the process's user when the config sets none
 * ("/" for a user that has no entry), as runc does.  envv has room for
 * n_env + 2 pointers; home is where the added variable is written.  */
static char **
process_env (const struct mr_spec_process *p, char **envv, char *home, size_t homelen)
{
  size_t n = 0;
  bool has_home = false;

  for (size_t i = 0; i < p->n_env; i++)
    {
      if (strncmp (p->env[i], "HOME=", 5) == 0)
        has_home = true;
      envv[n++] = p->env[i];
    }
  if (!has_home)
    {
      memcpy (home, "HOME=", 5);
      if (mr_passwd_home (p->user.uid, home + 5, homelen - 5) < 0)
        snprintf (home + 5, homelen - 5, "/");
      envv[n++] = home;
    }
  envv[n] = NULL;
  return envv;
}

/* A cwd reached through something that leads out of the root (a directory
 * fd of the runtime's under /proc/self/fd, say) is not the container's:
 * the kernel then reports it as unreachable from the root.  */
static int
check_cwd_inside (struct mr_error *err)
{
  char buf[4096];
  long n = syscall (SYS_getcwd, buf, sizeof buf);

  if ((n < 0 && errno == ENOENT) || (n > 0 && buf[0] != '/'))
    return mr_error_errno (err, EPERM,
                           "current working directory is outside of container mount namespace "
                           "root -- possible container breakout detected");
  return 0;
}

/* Makes the missing directories of the absolute path dir, each owned by
 * uid:gid.  We are inside the container's root here.  */
static int
mkdir_owned (const char *dir, uid_t uid, gid_t gid, struct mr_error *err)
{
  char path[4096];
  size_t len = strlen (dir);

  if (len >= sizeof path)
    return mr_error_errno (err, ENAMETOOLONG, "create cwd '%s'", dir);
  memcpy (path, dir, len + 1);
  for (char *s = path + 1;; s++)
    {
      if (*s != '/' && *s != '\0')
        continue;
      char c = *s;
      *s = '\0';
      if (mkdir (path, 0755) == 0)
        {
          if (lchown (path, uid, gid) < 0)
            return mr_error_errno (err, errno, "create cwd '%s': chown '%s'", dir, path);
        }
      else if (errno != EEXIST)
        return mr_error_errno (err, errno, "create cwd '%s': mkdir '%s'", dir, path);
      *s = c;
      if (c == '\0')
        break;
    }
  return 0;
}

/* chdir to the process's cwd; a new container's is made when missing, as
 * runc makes it.  */
static int
enter_cwd (const struct mr_spec_process *p, bool create, struct mr_error *err)
{
  if (p->cwd == NULL)
    return 0;
  if (chdir (p->cwd) < 0)
    {
      if (!(create && errno == ENOENT && p->cwd[0] == '/'))
        return mr_error_errno (err, errno, "chdir to cwd (\"%s\") set in config.json failed",
                               p->cwd);
      if (mkdir_owned (p->cwd, p->user.uid, p->user.gid, err) < 0)
        return -1;
      if (chdir (p->cwd) < 0)
        return mr_error_errno (err, errno, "chdir to cwd (\"%s\") set in config.json failed",
                               p->cwd);
    }
  return check_cwd_inside (err);
}

/* process.scheduler, ioPriority, personality: while still privileged,
 * since a real-time class needs CAP_SYS_NICE or CAP_SYS_ADMIN.  */
static int
apply_process_12 (const struct mr_spec_process *p, struct mr_error *err)
{
  if (p->personality_set && personality (p->personality) < 0)
    return mr_error_errno (err, errno, "set personality 0x%lx", p->personality);
  if (p->scheduler_set)
    {
      struct
      {
        uint32_t size, policy;
        uint64_t flags;
        int32_t nice;
        uint32_t priority;
        uint64_t runtime, deadline, period;
      } attr = {
        .size = sizeof attr,
        .policy = (uint32_t)p->sched_policy,
        .flags = p->sched_flags,
        .nice = p->sched_nice,
        .priority = p->sched_priority,
        .runtime = p->sched_runtime,
        .deadline = p->sched_deadline,
        .period = p->sched_period,
      };
      if (syscall (SYS_sched_setattr, 0, &attr, 0) < 0)
        return mr_error_errno (err, errno, "process.scheduler: sched_setattr (policy %d)",
                               p->sched_policy);
    }
  if (p->ioprio_set
      && syscall (SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0,
                  (p->ioprio_class << 13) | p->ioprio_level)
             < 0)
    return mr_error_errno (err, errno, "process.ioPriority: ioprio_set (class %d, priority %d)",
                           p->ioprio_class, p->ioprio_level);
  return 0;
}

static int
apply_cpu_affinity (const char *list, const char *which, struct mr_error *err)
{
  cpu_set_t set;

  if (list == NULL)
    return 0;
  if (mr_cpu_list_parse (list, &set) < 0)
    return mr_error_set (err, "process.execCPUAffinity.%s: '%s' is not a cpu list", which, list);
  if (sched_setaffinity (0, sizeof set, &set) < 0)
    return mr_error_errno (err, errno, "process.execCPUAffinity.%s: set the affinity to '%s'",
                           which, list);
  return 0;
}

/* Every signal back to its default action.  execve keeps ignored signals
 * ignored: whatever started us (a server ignoring SIGPIPE, a shell with
 * trap '' INT, a posix_spawn that ignores glibc's own signals in its
 * child) must not decide how the container's program dies.  The system
 * call, not sigaction: glibc refuses to touch the signals it keeps for
 * itself, and those may be ignored too.  */
static void
signals_default (void)
{
  struct
  {
    unsigned long handler, flags, restorer;
    uint64_t mask;
  } dfl = { 0 }; /* SIG_DFL, the kernel's struct sigaction */

  for (int sig = 1; sig <= 64; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      syscall (SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
}

/* Loads the filter.  One with a listener hands it to the runtime and waits
 * until the runtime has passed it on to the agent, since from then on the
 * notified syscalls of this process wait for that agent.  A runtime gone
 * meanwhile (EOF) leaves nothing to report to.  */
static int
load_seccomp (struct mr_spawn *sp, struct mr_error *err)
{
  struct msg_head h;
  int listener = -1, r;

  if (mr_seccomp_load (sp->seccomp, &listener, err) < 0)
    return -1;
  if (listener < 0)
    return 0;
  r = send_msg_fd (sp->sync_fd, MSG_SECCOMP, 0, 0, NULL, listener);
  close (listener);
  if (r < 0 || recv_msg (sp->sync_fd, &h, NULL, 0) != MSG_SECCOMP_DONE)
    _exit (1);
  return 0;
}

/* Credentials, seccomp and exec: the last steps of every container process.
 * The order is runc's.  Without no_new_privs, loading a filter needs
 * CAP_SYS_ADMIN, which a switch to a non-root user takes from the effective
 * set: the filter goes in first, while we are still root, and the
 * capabilities kept across the switch (PR_SET_KEEPCAPS) are set after it.
 * With no_new_privs anyone may load one, so it goes in as late as it can,
 * right before execve, and filters only what the program itself does.  */
static int
finish_and_exec (struct mr_spawn *sp, const char *exe, char **env, struct mr_error *err)
{
  const struct mr_spec_process *p = sp->process;
  sigset_t none;

  if (p->n_rlimits && mr_rlimits_apply (p->rlimits, p->n_rlimits, err) < 0)
    return -1;
  if (apply_process_12 (p, err) < 0)
    return -1;
  /* not for a container's init, as the runtime-spec says */
  if (sp->exec && apply_cpu_affinity (p->cpu_affinity_final, "final", err) < 0)
    return -1;
  if (p->caps_set && mr_caps_drop_bounding (&p->caps, err) < 0)
    return -1;
  if (sp->seccomp && !p->no_new_privileges && load_seccomp (sp, err) < 0)
    return -1;
  if (mr_user_switch (&p->user, err) < 0)
    return -1;
  if (p->caps_set && mr_caps_apply (&p->caps, err) < 0)
    return -1;
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return mr_error_errno (err, errno, "prctl no_new_privs");
  if (fds_cloexec_from (3 + (sp->preserve_fds > 0 ? sp->preserve_fds : 0), err) < 0)
    return -1;
  if (sp->preserve_fds > 0)
    for (int fd = 3; fd < 3 + sp->preserve_fds; fd++)
      {
        int fl = fcntl (fd, F_GETFD);
        if (fl >= 0)
          fcntl (fd, F_SETFD, fl & ~FD_CLOEXEC);
      }
  signals_default ();
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  if (sp->seccomp && p->no_new_privileges && load_seccomp (sp, err) < 0)
    return -1;
  execve (exe, p->args, env);
  child_cmd_status = cmd_status_for (errno);
  return mr_error_errno (err, errno, "exec: \"%s\"", p->args[0]);
}

static int
setup_terminal (struct mr_spawn *sp, int console_fd, struct mr_error *err)
{
  const struct mr_spec_process *p = sp->process;
  int master, slave;

  if (mr_pty_open (&master, &slave, err) < 0)
    return -1;
  /* the process's own terminal, as runc makes it: its user may reopen it;
     the group stays devpts' (tty), as runc leaves it */
  if (p->user.uid != 0 && fchown (slave, p->user.uid, (gid_t)-1) < 0)
    return mr_error_errno (err, errno, "chown the pty to uid %u", (unsigned)p->user.uid);
  /* a pty we copy from ourselves passes the output as the program wrote
     it, without the carriage returns the line discipline adds (runc and
     crun clear ONLCR too); a console socket's receiver decides for itself */
  if (console_fd < 0 && mr_pty_clear_onlcr (slave, err) < 0)
    return -1;
  if (mr_send_fd (console_fd >= 0 ? console_fd : sp->sync_fd, master, "/dev/ptmx", err) < 0)
    return -1;
  close (master);
  return mr_pty_make_controlling (slave, p->console_height, p->console_width, err);
}

/* A new network namespace starts with lo down; programs expect localhost
   to answer, as in every other runtime.  */
static int
loopback_up (void)
{
  struct ifreq ifr = { 0 };
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int r = -1;

  if (fd < 0)
    return -1;
  strcpy (ifr.ifr_name, "lo");
  if (ioctl (fd, SIOCGIFFLAGS, &ifr) == 0)
    {
      ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
      r = ioctl (fd, SIOCSIFFLAGS, &ifr);
    }
  close (fd);
  return r;
}

/* The program enters the namespace at execve (our time_for_children);
 * the offsets go in before that, as they only can while it is empty.  */
static int
new_time_ns (const struct mr_spec_linux *l, struct mr_error *err)
{
  char buf[128];
  int n;

  if (unshare (CLONE_NEWTIME) < 0)
    return mr_error_errno (err, errno, "create a time namespace");
  if (!l->time_offsets_set)
    return 0;
  n = snprintf (buf, sizeof buf, "monotonic %lld %u\nboottime %lld %u\n",
                (long long)l->monotonic_secs, (unsigned)l->monotonic_nsecs,
                (long long)l->boottime_secs, (unsigned)l->boottime_nsecs);
  if (mr_write_file ("/proc/self/timens_offsets", buf, (size_t)n, err) < 0)
    return mr_error_prefix (err, "linux.timeOffsets");
  return 0;
}

static int
init_child (struct mr_spawn *sp, int *ns_fds, int *mount_fds, int console_fd, struct mr_error *err)
{
  const struct mr_spec *spec = sp->spec;
  const struct mr_spec_process *p = sp->process;
  cleanup_free char *state_json = NULL;
  char exe[4096], home[4096 + 8];
  char *envv[p->n_env + 2];
  struct msg_head h;
  bool new_userns = false, has_uts = false, new_net = false, new_time = false;
  int userns_fd = -1;

  /* before anything else, so that all of it is accounted for there */
  if (sp->cgroup && mr_cgroup_self_join (sp->cgroup, err) < 0)
    return -1;

  for (size_t i = 0; i < spec->linux.n_namespaces; i++)
    {
      const struct mr_spec_namespace *ns = &spec->linux.namespaces[i];
      if (ns->type == CLONE_NEWUSER)
        {
          if (ns->path)
            userns_fd = ns_fds[i];
          else
            new_userns = true;
        }
      /* a joined one too: the config's hostname is set in it, as runc does */
      if (ns->type == CLONE_NEWUTS)
        has_uts = true;
      if (ns->type == CLONE_NEWNET && ns->path == NULL)
        new_net = true;
      if (ns->type == CLONE_NEWTIME && ns->path == NULL)
        new_time = true;
    }

  if (sp->need_go)
    {
      state_json = malloc (MSG_MAX);
      if (state_json == NULL)
        return mr_error_errno (err, ENOMEM, "init");
      if (recv_msg (sp->sync_fd, &h, state_json, MSG_MAX) != MSG_GO)
        _exit (1); /* the runtime is gone: nothing to report to */
    }

  /* the user namespace first: the others are owned by it */
  if (userns_fd >= 0 && setns (userns_fd, CLONE_NEWUSER) < 0)
    return mr_error_errno (err, errno, "join user namespace");
  for (size_t i = 0; i < spec->linux.n_namespaces; i++)
    {
      const struct mr_spec_namespace *ns = &spec->linux.namespaces[i];
      if (ns_fds[i] < 0 || ns->type == CLONE_NEWUSER || ns->type == CLONE_NEWPID)
        continue;
      if (setns (ns_fds[i], ns->type) < 0)
        return mr_error_errno (err, errno, "join namespace '%s'", ns->path);
    }
  close_fds (ns_fds, spec->linux.n_namespaces);
  if (new_userns || userns_fd >= 0)
    {
      if (become_root () < 0)
        return mr_error_errno (err, errno, "become root in the user namespace");
    }
  if (new_time && new_time_ns (&spec->linux, err) < 0)
    return -1;
  /* a keyring of its own, as runc gives each container, so that keys of the
     host session are not reachable from inside */
  if (sp->keyring && syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, sp->keyring) < 0
      && errno != ENOSYS && errno != EPERM)
    return mr_error_errno (err, errno, "join a new session keyring");
  if (new_net && loopback_up () < 0)
    return mr_error_errno (err, errno, "bring up the loopback interface");
  if (has_uts)
    {
      if (spec->hostname && sethostname (spec->hostname, strlen (spec->hostname)) < 0)
        return mr_error_errno (err, errno, "set hostname '%s'", spec->hostname);
      if (spec->domainname && setdomainname (spec->domainname, strlen (spec->domainname)) < 0)
        return mr_error_errno (err, errno, "set domainname '%s'", spec->domainname);
    }

  {
    struct mr_rootfs_opts ro = {
      .spec = spec,
      .rootfs = sp->rootfs,
      .userns = new_userns || userns_fd >= 0,
      .new_cgroupns = mr_spec_find_namespace (spec, CLONE_NEWCGROUP) != NULL,
      .cgroup_path = sp->cgroup_path,
      .source_fds = mount_fds,
    };
    /* without a mount namespace of its own, nothing is mounted: the
       host's is shared (mr_rootfs_check_inherited) */
    bool own_mntns = mr_spec_find_namespace (spec, CLONE_NEWNS) != NULL;
    if (own_mntns && mr_rootfs_prepare (&ro, err) < 0)
      return -1;
    if (mount_fds)
      close_fds (mount_fds, spec->n_mounts);
    if (spec->hooks.n_create_container)
      {
        /* as runc: in the container's namespaces, from its rootfs, with
           the process's environment */
        char *no_env[] = { NULL };
        struct mr_hook_where where
            = { .cwd = sp->rootfs, .env = spec->process.env ? spec->process.env : no_env };
        if (mr_hooks_run (spec->hooks.create_container, spec->hooks.n_create_container,
                          "createContainer", state_json ? state_json : "{}", &where, err)
            < 0)
          return -1;
      }
    if ((own_mntns ? mr_rootfs_pivot (sp->rootfs, sp->no_pivot, err)
                   : mr_rootfs_chroot (sp->rootfs, err))
        < 0)
      return -1;
    /* before finalize: /proc/sys is usually among the readonly paths */
    if (spec->linux.n_sysctl && mr_sysctl_apply (spec->linux.sysctl, spec->linux.n_sysctl, err) < 0)
      return -1;
    if (own_mntns && mr_rootfs_finalize (&ro, err) < 0)
      return -1;
  }
  if (enter_cwd (p, true, err) < 0)
    return -1;
  process_env (p, envv, home, sizeof home);
  if (find_executable (p, exe, sizeof exe, err) < 0)
    return -1;
  if (p->terminal && setup_terminal (sp, console_fd, err) < 0)
    return -1;
  if (console_fd >= 0)
    close (console_fd);
  if (p->oom_score_adj_set && mr_oom_score_adj_apply (0, p->oom_score_adj, err) < 0)
    return -1;
  if (p->user.umask_set)
    umask (p->user.umask);

  /* A filter with a listener goes in before the process reports ready:
     the runtime that hands the listener to the agent is the one that
     creates the container, and it is gone by the time `start` lets the
     process go on.  While still privileged, whatever noNewPrivileges says;
     as in runc, the rest of the setup, the startContainer hooks included,
     runs under the filter.  */
  if (mr_seccomp_has_listener (sp->seccomp))
    {
      if (load_seccomp (sp, err) < 0)
        return -1;
      sp->seccomp = NULL; /* in place: nothing for finish_and_exec to load */
    }
  if (send_msg (sp->sync_fd, MSG_READY, 0, 0, NULL) < 0)
    _exit (1);
  if (sp->start_mode == MR_START_FIFO)
    {
      int fd;
      do
        fd = openat (sp->state_dirfd, MR_EXEC_FIFO, O_WRONLY | O_CLOEXEC);
      while (fd < 0 && errno == EINTR);
      if (fd < 0 || mr_write_all (fd, "0", 1) < 0)
        _exit (1);
      start_fifo_fd = fd;
    }
  else if (recv_msg (sp->sync_fd, &h, NULL, 0) != MSG_START)
    _exit (1);
  close (sp->state_dirfd);
  if (spec->hooks.n_start_container)
    {
      /* the state create sent says "creating": the container is started now */
      json_t *o = json_loads (state_json ? state_json : "{}", 0, NULL);
      cleanup_free char *started = NULL;
      if (o)
        {
          json_object_set_new (o, "status", json_string ("running"));
          started = json_dumps (o, JSON_COMPACT);
          json_decref (o);
        }
      struct mr_hook_where where = { .env = envv };
      if (mr_hooks_run (spec->hooks.start_container, spec->hooks.n_start_container,
                        "startContainer", started ? started : "{}", &where, err)
          < 0)
        return -1;
    }
  return finish_and_exec (sp, exe, envv, err);
}

/* Moves *fd to the lowest free descriptor >= low unless it is there
 * already: out of 0-2, which stdio is about to replace, and out of the
 * preserved range, whose descriptors lose O_CLOEXEC.  */
static int
move_fd_up (int *fd, int low, struct mr_error *err)
{
  int n;

  if (*fd < 0 || *fd >= low)
    return 0;
  n = fcntl (*fd, F_DUPFD_CLOEXEC, low);
  /* a preserved range reaching past the fd limit: out of 0-2 will do */
  if (n < 0 && errno == EINVAL)
    {
      if (*fd > 2)
        return 0;
      n = fcntl (*fd, F_DUPFD_CLOEXEC, 3);
    }
  if (n < 0)
    return mr_error_errno (err, errno, "duplicate fd %d", *fd);
  close (*fd);
  *fd = n;
  return 0;
}

/* The caller's fds (or /dev/null) become 0, 1 and 2.  Each source is first
 * duplicated out of the way, so that one that is itself among 0-2 (stdout
 * going to the caller's fd 0, say) is not replaced before it is used.
 * /dev/null is opened before the container's mount namespace is joined:
 * the container's own could be anything.  */
static int
setup_stdio (struct mr_spawn *sp, int low, struct mr_error *err)
{
  int src[3] = { -1, -1, -1 };
  int devnull = -1;
  int ret = -1;

  for (int i = 0; i < 3; i++)
    {
      int from = sp->stdio[i];
      if (from < 0)
        {
          if (devnull < 0)
            {
              devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
              if (devnull < 0)
                {
                  mr_error_errno (err, errno, "open '/dev/null'");
                  goto out;
                }
            }
          from = devnull;
        }
      src[i] = fcntl (from, F_DUPFD_CLOEXEC, low);
      if (src[i] < 0 && errno == EINVAL)
        src[i] = fcntl (from, F_DUPFD_CLOEXEC, 3);
      if (src[i] < 0)
        {
          mr_error_errno (err, errno, "duplicate fd %d for the process's fd %d", from, i);
          goto out;
        }
    }
  for (int i = 0; i < 3; i++)
    if (dup2 (src[i], i) < 0)
      {
        mr_error_errno (err, errno, "make fd %d the process's fd %d", src[i], i);
        goto out;
      }
  ret = 0;
out:
  for (int i = 0; i < 3; i++)
    if (src[i] >= 0)
      close (src[i]);
  /* may itself be one of 0-2 when the caller had those closed: then it is
     already replaced, and closing it would undo that */
  if (devnull > 2)
    close (devnull);
  return ret;
}

static int
exec_child (struct mr_spawn *sp, int console_fd, struct mr_error *err)
{
  char exe[4096], home[4096 + 8];
  char *envv[sp->process->n_env + 2];
  int flags = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP;
  int low = 3 + (sp->preserve_fds > 0 ? sp->preserve_fds : 0);
  cleanup_close int croot = -1;

  /* whatever stops it from here on, the command could not be run */
  child_cmd_status = 126;
  /* before it joins the container's cgroups, as runc 1.2 */
  if (apply_cpu_affinity (sp->process->cpu_affinity_initial, "initial", err) < 0)
    return -1;
  if (sp->cgroup && mr_cgroup_self_join (sp->cgroup, err) < 0)
    return -1;
  if (sp->need_go)
    {
      struct msg_head h;
      if (recv_msg (sp->sync_fd, &h, NULL, 0) != MSG_GO)
        _exit (1); /* the runtime is gone: nothing to report to */
    }
  if (move_fd_up (&sp->sync_fd, low, err) < 0 || move_fd_up (&sp->pidfd, low, err) < 0
      || move_fd_up (&console_fd, low, err) < 0)
    return -1;
  if (sp->stdio_set && !sp->process->terminal && setup_stdio (sp, low, err) < 0)
    return -1;
  if (sp->target_userns)
    flags |= CLONE_NEWUSER;
  /* a container that shares our mount namespace is only chroot'ed: joining
     the namespace puts us at its root, the container's is elsewhere */
  if (mr_spec_find_namespace (sp->spec, CLONE_NEWNS) == NULL)
    {
      char rp[64];
      snprintf (rp, sizeof rp, "/proc/%d/root", (int)sp->target_pid);
      croot = open (rp, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (croot < 0)
        return mr_error_errno (err, errno, "open the container's root");
    }
  if (mr_spec_find_namespace (sp->spec, CLONE_NEWTIME))
    flags |= CLONE_NEWTIME;
  /* setns with a pidfd joins all of them at once, the user namespace first */
  if (setns (sp->pidfd, flags) < 0)
    {
      /* joining a namespace we are already in is EINVAL for the user one only;
         retry one by one so that namespaces shared with the host are fine */
      for (size_t i = 0; i < sizeof ns_files / sizeof ns_files[0]; i++)
        {
          if (!(flags & ns_files[i].type))
            continue;
          if (setns (sp->pidfd, ns_files[i].type) < 0 && errno != EINVAL)
            return mr_error_errno (err, errno, "join the container's %s namespace",
                                   ns_files[i].name);
        }
    }
  if (sp->target_userns && become_root () < 0)
    return mr_error_errno (err, errno, "become root in the user namespace");
  if (croot >= 0 && (fchdir (croot) < 0 || chroot (".") < 0 || chdir ("/") < 0))
    return mr_error_errno (err, errno, "chroot into the container's root");
  if (enter_cwd (sp->process, false, err) < 0)
    return -1;
  process_env (sp->process, envv, home, sizeof home);
  if (find_executable (sp->process, exe, sizeof exe, err) < 0)
    return -1;
  if (sp->process->terminal && setup_terminal (sp, console_fd, err) < 0)
    return -1;
  if (console_fd >= 0)
    close (console_fd);
  if (sp->process->oom_score_adj_set
      && mr_oom_score_adj_apply (0, sp->process->oom_score_adj, err) < 0)
    return -1;
  if (sp->process->user.umask_set)
    umask (sp->process->user.umask);
  /* the sync socket is O_CLOEXEC: the parent sees EOF when exec succeeds */
  return finish_and_exec (sp, exe, envv, err);
}

static pid_t
do_clone (unsigned long long flags, int cgroup_fd, bool *born_in_cgroup)
{
  struct clone_args args = {
    .flags = flags,
    .exit_signal = SIGCHLD,
  };
  pid_t pid;

  *born_in_cgroup = false;
  if (cgroup_fd >= 0)
    {
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = (unsigned long long)cgroup_fd;
      pid = (pid_t)syscall (SYS_clone3, &args, sizeof args);
      if (pid >= 0)
        {
          *born_in_cgroup = true;
          return pid;
        }
      if (errno != ENOSYS && errno != E2BIG && errno != EINVAL && errno != EOPNOTSUPP
          && errno != EBUSY && errno != EACCES && errno != EPERM)
        return -1;
      args.flags &= ~CLONE_INTO_CGROUP;
      args.cgroup = 0;
    }
  pid = (pid_t)syscall (SYS_clone3, &args, sizeof args);
  if (pid < 0 && errno == ENOSYS)
    pid = (pid_t)syscall (SYS_clone, (unsigned long)(flags | SIGCHLD), NULL, NULL, NULL, NULL);
  return pid;
}

int
mr_spawn_clone (struct mr_spawn *sp, const int *close_fds_list, size_t n_close_fds,
                struct mr_error *err)
{
  const struct mr_spec *spec = sp->spec;
  size_t n_ns = spec->linux.n_namespaces;
  int ns_fds[n_ns + 1];
  int mount_fds[spec->n_mounts + 1];
  bool have_mount_fds = false;
  int pair[2];
  cleanup_close int console_fd = -1;
  cleanup_close int own_pidns = -1;
  unsigned long long flags = 0;
  bool born_in_cgroup, self_join;
  int pidns_fd = -1;
  pid_t pid;

  sp->pid = -1;
  sp->sync_fd = -1;
  sp->pidfd = -1;
  sp->cmd_status = 0;
  for (size_t i = 0; i < n_ns + 1; i++)
    ns_fds[i] = -1;

  if (sp->console_socket && mr_console_socket_connect (sp->console_socket, &console_fd, err) < 0)
    return -1;

  if (sp->exec)
    {
      sp->pidfd = (int)syscall (SYS_pidfd_open, sp->target_pid, 0);
      if (sp->pidfd < 0)
        return mr_error_errno (err, errno, "open the container's init process %d",
                               (int)sp->target_pid);
      pidns_fd = sp->pidfd;
      sp->need_go = sp->exec_wait_go;
    }
  else
    {
      if (open_ns_paths (spec, ns_fds, err) < 0)
        {
          close_fds (ns_fds, n_ns);
          return -1;
        }
      for (size_t i = 0; i < n_ns; i++)
        {
          const struct mr_spec_namespace *ns = &spec->linux.namespaces[i];
          /* a new time namespace is unshared by the child: its offsets
             can only be written before a process is in it */
          if (ns->path == NULL && ns->type != CLONE_NEWTIME)
            flags |= (unsigned long long)ns->type;
          else if (ns->type == CLONE_NEWPID)
            pidns_fd = ns_fds[i];
        }
      /* opened with our credentials: the user namespace's root may not
         reach them */
      if (mr_spec_find_namespace (spec, CLONE_NEWUSER) && spec->n_mounts > 0)
        {
          if (mr_rootfs_open_sources (spec, mount_fds, err) < 0)
            {
              close_fds (ns_fds, n_ns);
              return -1;
            }
          have_mount_fds = true;
        }
      sp->need_go = (flags & CLONE_NEWUSER) || spec->hooks.n_prestart
                    || spec->hooks.n_create_runtime || spec->hooks.n_create_container
                    || spec->hooks.n_start_container;
    }

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
    {
      close_fds (ns_fds, n_ns);
      if (have_mount_fds)
        close_fds (mount_fds, spec->n_mounts);
      return mr_error_errno (err, errno, "socketpair");
    }

  /* joining a pid namespace only changes where our children are born:
     join it for the clone, then come back */
  if (pidns_fd >= 0)
    {
      own_pidns = open ("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
      if (own_pidns < 0 || setns (pidns_fd, CLONE_NEWPID) < 0)
        {
          int e = errno;
          close (pair[0]);
          close (pair[1]);
          close_fds (ns_fds, n_ns);
          if (have_mount_fds)
            close_fds (mount_fds, spec->n_mounts);
          return mr_error_errno (err, e, "join the container's pid namespace");
        }
    }

  /* not where the exec'ed process waits to be moved on to sub-cgroups:
     it would join after that move */
  self_join
      = sp->cgroup && !(sp->exec && sp->exec_wait_go) && mr_cgroup_self_join_open (sp->cgroup);
  pid = do_clone (flags, sp->cgroup ? mr_cgroup_clone_fd (sp->cgroup) : -1, &born_in_cgroup);
  /* an exec'ed process not in all of its cgroups by itself waits until we
     have put it there */
  if (sp->exec && sp->cgroup && !mr_cgroup_self_join_complete (sp->cgroup, born_in_cgroup))
    sp->need_go = true;
  if (pid == 0)
    {
      struct mr_error cerr = { 0 };
      for (size_t i = 0; i < n_close_fds; i++)
        close (close_fds_list[i]);
      close (pair[0]);
      sp->sync_fd = pair[1];
      if (sp->exec)
        exec_child (sp, console_fd, &cerr);
      else
        init_child (sp, ns_fds, have_mount_fds ? mount_fds : NULL, console_fd, &cerr);
      child_fail (sp->sync_fd, &cerr);
    }
  {
    int e = errno;
    if (self_join)
      mr_cgroup_self_join_close (sp->cgroup, pid > 0);
    if (pidns_fd >= 0)
      setns (own_pidns, CLONE_NEWPID);
    close (pair[1]);
    close_fds (ns_fds, n_ns);
    if (have_mount_fds)
      close_fds (mount_fds, spec->n_mounts);
    if (pid < 0)
      {
        close (pair[0]);
        return mr_error_errno (err, e, "clone");
      }
  }
  sp->pid = pid;
  sp->sync_fd = pair[0];
  if (!sp->exec)
    sp->pidfd = (int)syscall (SYS_pidfd_open, pid, 0);
  if (sp->cgroup && mr_cgroup_enter (sp->cgroup, pid, born_in_cgroup, err) < 0)
    return -1;
  return 0;
}

int
mr_spawn_write_idmaps (const struct mr_spawn *sp, struct mr_error *err)
{
  const struct mr_spec_linux *l = &sp->spec->linux;

  if (l->n_uid_mappings
      && mr_idmap_write (sp->pid, "uid_map", l->uid_mappings, l->n_uid_mappings, err) < 0)
    return mr_error_prefix (err, "user namespace uid mappings");
  if (l->n_gid_mappings
      && mr_idmap_write (sp->pid, "gid_map", l->gid_mappings, l->n_gid_mappings, err) < 0)
    return mr_error_prefix (err, "user namespace gid mappings");
  return 0;
}

int
mr_spawn_send_go (struct mr_spawn *sp, const char *state_json, struct mr_error *err)
{
  if (send_msg (sp->sync_fd, MSG_GO, 0, 0, state_json) < 0)
    return mr_error_errno (err, errno, "signal the container process");
  return 0;
}

/* The listener the child sent goes to the agent; the child is killed when
 * it cannot, so that nobody waits on it.  */
static int
hand_listener (struct mr_spawn *sp, int listener, struct mr_error *err)
{
  int r;

  if (listener < 0)
    r = mr_error_set (err, "the container process sent no seccomp listener");
  else if (sp->hand_listener == NULL)
    r = mr_error_set (err, "the container process sent a seccomp listener nobody takes");
  else
    r = sp->hand_listener (sp, listener, sp->hand_listener_data, err);
  if (listener >= 0)
    close (listener);
  if (r == 0 && send_msg (sp->sync_fd, MSG_SECCOMP_DONE, 0, 0, NULL) < 0)
    r = mr_error_errno (err, errno, "signal the container process");
  if (r < 0 && sp->pid > 0)
    kill (sp->pid, SIGKILL);
  return r;
}

int
mr_spawn_wait_ready (struct mr_spawn *sp, int *pty_master, struct mr_error *err)
{
  char buf[MR_ERROR_MSG_MAX];
  struct msg_head h = { 0 };
  int r, passed;

  if (pty_master)
    *pty_master = -1;
  for (;;)
    {
      r = recv_msg_fd (sp->sync_fd, &h, buf, sizeof buf, &passed);
      if (r < 0)
        return mr_error_errno (err, errno, "wait for the container process");
      if (r == 0)
        break;
      /* a pty master without a console socket arrives first */
      if (r == MSG_PTY)
        {
          if (pty_master && *pty_master < 0)
            *pty_master = passed;
          else
            close (passed);
          continue;
        }
      if (r == MSG_SECCOMP)
        {
          if (hand_listener (sp, passed, err) < 0)
            return -1;
          continue;
        }
      if (passed >= 0)
        close (passed);
      if (r == MSG_ERROR)
        {
          snprintf (err->msg, sizeof err->msg, "%s", buf);
          err->errnum = h.errnum;
          sp->cmd_status = h.cmd_status;
          sp->child_failed = true;
          return -1;
        }
      if (r == MSG_READY)
        return 0;
    }
  /* EOF: an exec'ed process closed the socket by exec'ing; an init died */
  if (sp->exec)
    return 0;
  return mr_error_set (err, "the container process exited during setup");
}

int
mr_spawn_wait_exec (struct mr_spawn *sp, struct mr_error *err)
{
  char buf[MR_ERROR_MSG_MAX];
  struct msg_head h;

  for (;;)
    {
      int r = recv_msg (sp->sync_fd, &h, buf, sizeof buf);
      if (r == 0)
        return 0;
      if (r < 0)
        return mr_error_errno (err, errno, "wait for the container process");
      if (r == MSG_ERROR)
        {
          snprintf (err->msg, sizeof err->msg, "%s", buf);
          err->errnum = h.errnum;
          sp->cmd_status = h.cmd_status;
          sp->child_failed = true;
          return -1;
        }
    }
}

int
mr_spawn_send_start (struct mr_spawn *sp, struct mr_error *err)
{
  if (send_msg (sp->sync_fd, MSG_START, 0, 0, NULL) < 0)
    return mr_error_errno (err, errno, "start the container process");
  return 0;
}

void
mr_spawn_close (struct mr_spawn *sp)
{
  if (sp->sync_fd >= 0)
    close (sp->sync_fd);
  if (sp->pidfd >= 0)
    close (sp->pidfd);
  sp->sync_fd = sp->pidfd = -1;
}

static int
status_to_code (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 255;
}

/* Copies what can be read from `from` to `to` (dropped when to < 0).
 * Returns what read returned; -1 with EAGAIN or EINTR is no news.  */
static ssize_t
copy_some (int from, int to)
{
  char buf[8192];
  ssize_t n = read (from, buf, sizeof buf);
  if (n > 0 && to >= 0)
    mr_write_all (to, buf, (size_t)n);
  return n;
}

static void
copy_winsize (int from, int pty_master)
{
  struct winsize ws;
  if (from >= 0 && ioctl (from, TIOCGWINSZ, &ws) == 0)
    ioctl (pty_master, TIOCSWINSZ, &ws);
}

int
mr_wait_forwarding (pid_t pid, int pty_master, int *exit_status, struct mr_error *err)
{
  return mr_wait_forwarding_io (pid, pty_master, 0, 1, exit_status, err);
}

int
mr_wait_forwarding_io (pid_t pid, int pty_master, int in_fd, int out_fd, int *exit_status,
                       struct mr_error *err)
{
  static const int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
  sigset_t set, old;
  cleanup_close int sfd = -1;
  struct termios saved;
  bool raw = false;
  int size_fd = in_fd >= 0 && isatty (in_fd) ? in_fd : out_fd;
  int status;

  if (pty_master < 0)
    in_fd = -1;
  sigemptyset (&set);
  for (size_t i = 0; i < sizeof fwd / sizeof fwd[0]; i++)
    sigaddset (&set, fwd[i]);
  sigaddset (&set, SIGCHLD);
  sigprocmask (SIG_BLOCK, &set, &old);
  sfd = signalfd (-1, &set, SFD_CLOEXEC);
  if (sfd < 0)
    {
      sigprocmask (SIG_SETMASK, &old, NULL);
      return mr_error_errno (err, errno, "signalfd");
    }
  if (pty_master >= 0)
    {
      if (in_fd >= 0 && isatty (in_fd) && tcgetattr (in_fd, &saved) == 0)
        {
          struct termios t = saved;
          cfmakeraw (&t);
          raw = tcsetattr (in_fd, TCSANOW, &t) == 0;
        }
      copy_winsize (size_fd, pty_master);
    }
  for (;;)
    {
      struct pollfd p[3] = {
        { .fd = sfd, .events = POLLIN },
        { .fd = pty_master, .events = POLLIN },
        { .fd = in_fd, .events = POLLIN },
      };
      pid_t r = waitpid (pid, &status, WNOHANG);
      if (r == pid)
        break;
      if (r < 0 && errno != EINTR)
        {
          int e = errno;
          if (raw)
            tcsetattr (in_fd, TCSANOW, &saved);
          sigprocmask (SIG_SETMASK, &old, NULL);
          return mr_error_errno (err, e, "wait for process %d", (int)pid);
        }
      if (poll (p, 3, -1) < 0)
        continue;
      if (p[0].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          if (read (sfd, &si, sizeof si) == sizeof si && si.ssi_signo != SIGCHLD)
            {
              if (si.ssi_signo == SIGWINCH && pty_master >= 0)
                copy_winsize (size_fd, pty_master);
              else
                kill (pid, (int)si.ssi_signo);
            }
        }
      if (p[1].revents & (POLLIN | POLLHUP))
        {
          if (p[1].revents & POLLIN)
            copy_some (pty_master, out_fd);
          else
            pty_master = -1;
        }
      /* the end of the input is the end of copying it, not of the process */
      if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
        {
          ssize_t n = copy_some (in_fd, pty_master);
          if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            {
              if (raw)
                tcsetattr (in_fd, TCSANOW, &saved);
              raw = false;
              in_fd = -1;
            }
        }
    }
  if (pty_master >= 0)
    {
      /* drain what the process wrote before it exited */
      int fl = fcntl (pty_master, F_GETFL);
      fcntl (pty_master, F_SETFL, fl | O_NONBLOCK);
      while (copy_some (pty_master, out_fd) > 0)
        ;
    }
  if (raw)
    tcsetattr (in_fd, TCSANOW, &saved);
  sigprocmask (SIG_SETMASK, &old, NULL);
  *exit_status = status_to_code (status);
  return 0;
}

/* --- captured output ------------------------------------------------------ */

struct capture_stream
{
  int fd;
  char *buf;
  size_t len;
  size_t cap;
  size_t limit;
  bool truncated;
};

/* Keeps what fits under the limit; the rest is dropped.  */
static int
stream_append (struct capture_stream *s, const char *data, size_t n, struct mr_error *err)
{
  size_t keep = s->limit - s->len;

  if (n > keep)
    s->truncated = true;
  else
    keep = n;
  if (s->len + keep + 1 > s->cap)
    {
      size_t cap = s->cap ? s->cap : 4096;
      char *b;
      while (cap < s->len + keep + 1)
        cap *= 2;
      if (cap > s->limit + 1)
        cap = s->limit + 1;
      b = realloc (s->buf, cap);
      if (b == NULL)
        return mr_error_errno (err, ENOMEM, "exec output");
      s->buf = b;
      s->cap = cap;
    }
  memcpy (s->buf + s->len, data, keep);
  s->len += keep;
  s->buf[s->len] = '\0';
  return 0;
}

/* Reads once.  Returns 1 when the stream is still open, 0 at its end (fd
 * closed), -1 on error.  */
static int
stream_read (struct capture_stream *s, struct mr_error *err)
{
  char buf[16384];
  ssize_t n = read (s->fd, buf, sizeof buf);

  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return 1;
  if (n <= 0)
    {
      close (s->fd);
      s->fd = -1;
      return n == 0 ? 0 : mr_error_errno (err, errno, "read the process's output");
    }
  if (stream_append (s, buf, (size_t)n, err) < 0)
    return -1;
  return 1;
}

/* After the process exited: what it wrote is in the pipe already, and at
 * most a pipe's worth more can come from what it left behind, which is not
 * waited for.  */
static int
stream_drain (struct capture_stream *s, struct mr_error *err)
{
  int cap = s->fd >= 0 ? fcntl (s->fd, F_GETPIPE_SZ) : 0;
  size_t budget = cap > 0 ? (size_t)cap : 1 << 20;

  while (s->fd >= 0 && budget > 0)
    {
      char buf[16384];
      ssize_t n = read (s->fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      if (stream_append (s, buf, (size_t)n, err) < 0)
        return -1;
      budget = (size_t)n >= budget ? 0 : budget - (size_t)n;
    }
  return 0;
}

/* Writes to a pipe whose reader may be gone without dying of SIGPIPE and
 * without touching the process's signal handling: the signal is blocked in
 * this thread for the write and, when the write raised it, taken back.  */
static ssize_t
write_no_sigpipe (int fd, const void *buf, size_t len)
{
  sigset_t pipe_set, old, pending;
  bool was_pending;
  ssize_t n;
  int e;

  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe_set, &old);
  sigpending (&pending);
  was_pending = sigismember (&pending, SIGPIPE) == 1;
  n = write (fd, buf, len);
  e = errno;
  if (n < 0 && e == EPIPE && !was_pending)
    {
      const struct timespec zero = { 0, 0 };
      sigtimedwait (&pipe_set, NULL, &zero);
    }
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  errno = e;
  return n;
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
set_nonblock (int fd)
{
  int fl;
  if (fd >= 0 && (fl = fcntl (fd, F_GETFL)) >= 0)
    fcntl (fd, F_SETFL, fl | O_NONBLOCK);
}

/* How often a capture asks whether its caller still wants the result.  */
#define CANCEL_POLL_MS 100

static int
capture_loop (pid_t pid, int pidfd, struct mr_capture_io *io, struct capture_stream st[2],
              int *in_fd, int *status, bool *timed_out, struct mr_error *err)
{
  int64_t deadline = io->timeout_ms > 0 ? now_ms () + io->timeout_ms : -1;
  size_t in_off = 0;

  for (;;)
    {
      struct pollfd p[4] = {
        { .fd = st[0].fd, .events = POLLIN },
        { .fd = st[1].fd, .events = POLLIN },
        { .fd = *in_fd, .events = POLLOUT },
        { .fd = pidfd, .events = POLLIN },
      };
      int wait_ms = -1;
      pid_t r;

      if (deadline >= 0)
        {
          int64_t left = deadline - now_ms ();
          if (left <= 0)
            {
              kill (pid, SIGKILL);
              *timed_out = true;
              deadline = -1;
            }
          else
            wait_ms = left > INT32_MAX ? INT32_MAX : (int)left;
        }
      if (io->cancel && !io->cancelled)
        {
          if (io->cancel (io->cancel_data))
            {
              kill (pid, SIGKILL);
              io->cancelled = true;
            }
          else if (wait_ms < 0 || wait_ms > CANCEL_POLL_MS)
            wait_ms = CANCEL_POLL_MS;
        }
      /* without a pidfd the exit is only seen by asking */
      if (pidfd < 0 && (wait_ms < 0 || wait_ms > 20))
        wait_ms = 20;
      if (poll (p, 4, wait_ms) < 0)
        {
          if (errno == EINTR)
            continue;
          return mr_error_errno (err, errno, "poll");
        }
      for (int i = 0; i < 2; i++)
        if (p[i].revents && stream_read (&st[i], err) < 0)
          return -1;
      if (p[2].revents & POLLOUT)
        {
          ssize_t n = write_no_sigpipe (*in_fd, io->input + in_off, io->input_len - in_off);
          if (n > 0)
            in_off += (size_t)n;
          /* a process that stops reading its input early is not an error */
          if (in_off == io->input_len || (n < 0 && errno != EAGAIN && errno != EINTR))
            {
              close (*in_fd);
              *in_fd = -1;
            }
        }
      else if (p[2].revents & (POLLERR | POLLHUP | POLLNVAL))
        {
          close (*in_fd);
          *in_fd = -1;
        }
      if (pidfd >= 0 && !(p[3].revents & POLLIN))
        continue;
      do
        r = waitpid (pid, status, WNOHANG);
      while (r < 0 && errno == EINTR);
      if (r < 0)
        return mr_error_errno (err, errno, "wait for process %d", (int)pid);
      if (r == pid)
        return 0;
    }
}

int
mr_capture_run (pid_t pid, struct mr_capture_io *io, struct mr_exec_result *res,
                struct mr_error *err)
{
  struct capture_stream st[2] = {
    { .fd = io->out_fd, .limit = io->limit },
    { .fd = io->err_fd, .limit = io->limit },
  };
  cleanup_close int pidfd = (int)syscall (SYS_pidfd_open, pid, 0);
  int in_fd = io->in_fd;
  bool timed_out = false;
  int status = 0;
  int r;

  io->in_fd = io->out_fd = io->err_fd = -1;
  if (in_fd >= 0 && io->input_len == 0)
    {
      close (in_fd);
      in_fd = -1;
    }
  set_nonblock (in_fd);
  set_nonblock (st[0].fd);
  set_nonblock (st[1].fd);
  r = capture_loop (pid, pidfd, io, st, &in_fd, &status, &timed_out, err);
  if (r < 0)
    {
      /* never leave a child behind, nor an unreaped one */
      kill (pid, SIGKILL);
      while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  else if (stream_drain (&st[0], err) < 0 || stream_drain (&st[1], err) < 0)
    r = -1;
  if (in_fd >= 0)
    close (in_fd);
  for (int i = 0; i < 2; i++)
    {
      if (st[i].fd >= 0)
        close (st[i].fd);
      if (st[i].buf == NULL)
        st[i].buf = calloc (1, 1);
    }
  res->stdout_data = st[0].buf;
  res->stdout_len = st[0].len;
  res->stdout_truncated = st[0].truncated;
  res->stderr_data = st[1].buf;
  res->stderr_len = st[1].len;
  res->stderr_truncated = st[1].truncated;
  res->timed_out = timed_out;
  res->exit_code = r < 0 ? -1 : status_to_code (status);
  if (r == 0 && (res->stdout_data == NULL || res->stderr_data == NULL))
    return mr_error_errno (err, ENOMEM, "exec output");
  return r;
}
