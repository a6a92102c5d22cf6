#include "config.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/creds.h"
#include "linux/seccomp.h"
#include "unit.h"

#define BIT(c) (UINT64_C (1) << (c))

/* Checks inside a forked child: a failure reports itself on stderr and
   makes the child exit non-zero, which the parent asserts on.  */
#define CHILD_CHECK(cond)                                                                          \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        {                                                                                          \
          fprintf (stderr, "%s:%d: child check failed: %s (errno %d)\n", __FILE__, __LINE__,       \
                   #cond, errno);                                                                  \
          return 1;                                                                                \
        }                                                                                          \
    }                                                                                              \
  while (0)

#define CHILD_OK(call, err)                                                                        \
  do                                                                                               \
    {                                                                                              \
      if ((call) < 0)                                                                              \
        {                                                                                          \
          fprintf (stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, (err)->msg);              \
          return 1;                                                                                \
        }                                                                                          \
    }                                                                                              \
  while (0)

/* Runs fn in a forked child (credentials, limits and filters it sets die
   with it) and returns the wait status.  */
static int
run_child (int (*fn) (void *), void *arg)
{
  int status;
  pid_t pid;

  fflush (NULL);
  pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    _exit (fn (arg));
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  return status;
}

static void
assert_child_ok (int status)
{
  ck_assert_msg (WIFEXITED (status), "child killed by signal %d", WTERMSIG (status));
  ck_assert_msg (WEXITSTATUS (status) == 0, "child failed (exit status %d), see stderr",
                 WEXITSTATUS (status));
}

static bool
is_root (void)
{
  if (geteuid () == 0)
    return true;
  fprintf (stderr, "# not root, test skipped\n");
  return false;
}

/* --- seccomp ------------------------------------------------------------ */

static char *names_mkdir[] = { "mkdir", "no_such_syscall_for_minirun", "_llseek", NULL };
static char *names_getpriority[] = { "getpriority", NULL };
static char *names_fchmod[] = { "fchmod", NULL };
static char *names_getpid[] = { "getpid", NULL };
static char *names_getppid[] = { "getppid", NULL };
static char *names_getuid[] = { "getuid", NULL };

static struct mr_spec_seccomp_arg args_prio_user[] = {
  { .index = 0, .value = PRIO_USER, .op = MR_SECCOMP_OP_EQ },
};
static struct mr_spec_seccomp_arg args_prio_user_or_pgrp[] = {
  { .index = 0, .value = PRIO_USER, .op = MR_SECCOMP_OP_EQ },
  { .index = 0, .value = PRIO_PGRP, .op = MR_SECCOMP_OP_EQ },
};
/* mask, then value: the sticky bit set in the mode.  */
static struct mr_spec_seccomp_arg args_sticky[] = {
  { .index = 1, .value = 01000, .value_two = 01000, .op = MR_SECCOMP_OP_MASKED_EQ },
};

static struct mr_spec_seccomp_syscall deny_rules[] = {
  { .names = names_mkdir,
    .n_names = 3,
    .action = MR_SECCOMP_ERRNO,
    .errno_ret_set = true,
    .errno_ret = 38 },
  { .names = names_getpriority,
    .n_names = 1,
    .action = MR_SECCOMP_ERRNO,
    .args = args_prio_user,
    .n_args = 1 },
  { .names = names_fchmod,
    .n_names = 1,
    .action = MR_SECCOMP_ERRNO,
    .errno_ret_set = true,
    .errno_ret = EACCES,
    .args = args_sticky,
    .n_args = 1 },
  /* The default action again: must be skipped, not refused.  */
  { .names = names_getpid, .n_names = 1, .action = MR_SECCOMP_ALLOW },
};

static struct mr_spec_seccomp
deny_profile (void)
{
  return (struct mr_spec_seccomp){ .default_action = MR_SECCOMP_ALLOW,
                                   .syscalls = deny_rules,
                                   .n_syscalls = sizeof deny_rules / sizeof deny_rules[0] };
}

static int
load_filter (const struct mr_seccomp_prog *prog)
{
  struct mr_error err = { 0 };

  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return -1;
  if (mr_seccomp_load (prog, NULL, &err) < 0)
    {
      fprintf (stderr, "mr_seccomp_load: %s\n", err.msg);
      return -1;
    }
  return 0;
}

static int
child_deny_rules (void *arg)
{
  const struct mr_seccomp_prog *prog = arg;
  int fd;

  CHILD_CHECK (load_filter (prog) == 0);
#ifdef SYS_mkdir
  errno = 0;
  CHILD_CHECK (syscall (SYS_mkdir, "/nonexistent-minirun-dir/x", 0700) < 0 && errno == 38);
#endif
  /* Not in the profile: the kernel answers as usual.  */
  errno = 0;
  CHILD_CHECK (mkdirat (AT_FDCWD, "/nonexistent-minirun-dir/x", 0700) < 0 && errno == ENOENT);
  errno = 0;
  CHILD_CHECK (rmdir ("/nonexistent-minirun-dir") < 0 && errno == ENOENT);

  errno = 0;
  CHILD_CHECK (getpriority (PRIO_USER, 0) == -1 && errno == EPERM);
  errno = 0;
  getpriority (PRIO_PROCESS, 0);
  CHILD_CHECK (errno == 0);

  fd = memfd_create ("t", MFD_CLOEXEC);
  CHILD_CHECK (fd >= 0);
  CHILD_CHECK (fchmod (fd, 01600) < 0 && errno == EACCES);
  CHILD_CHECK (fchmod (fd, 0600) == 0);
  CHILD_CHECK (getpid () > 0);
  return 0;
}

START_TEST (seccomp_errno_rules_deny_only_what_they_name)
{
  struct mr_spec_seccomp sc = deny_profile ();
  struct mr_seccomp_prog prog;
  struct mr_error err = { 0 };

  ck_assert_msg (mr_seccomp_compile (&sc, &prog, &err) == 0, "%s", err.msg);
  ck_assert_ptr_nonnull (prog.filter);
  ck_assert_uint_gt (prog.len, 0);
  ck_assert_uint_eq (prog.flags, 0);
  assert_child_ok (run_child (child_deny_rules, &prog));
  mr_seccomp_prog_clear (&prog);
  ck_assert_ptr_null (prog.filter);
  ck_assert_uint_eq (prog.len, 0);
}
END_TEST

static int
child_repeated_args (void *arg)
{
  CHILD_CHECK (load_filter (arg) == 0);
  errno = 0;
  CHILD_CHECK (getpriority (PRIO_USER, 0) == -1 && errno == EPERM);
  errno = 0;
  CHILD_CHECK (getpriority (PRIO_PGRP, 0) == -1 && errno == EPERM);
  errno = 0;
  getpriority (PRIO_PROCESS, 0);
  CHILD_CHECK (errno == 0);
  return 0;
}

START_TEST (seccomp_conditions_on_one_argument_are_alternatives)
{
  struct mr_spec_seccomp_syscall rule = { .names = names_getpriority,
                                          .n_names = 1,
                                          .action = MR_SECCOMP_ERRNO,
                                          .args = args_prio_user_or_pgrp,
                                          .n_args = 2 };
  struct mr_spec_seccomp sc
      = { .default_action = MR_SECCOMP_ALLOW, .syscalls = &rule, .n_syscalls = 1 };
  struct mr_seccomp_prog prog;
  struct mr_error err = { 0 };

  ck_assert_msg (mr_seccomp_compile (&sc, &prog, &err) == 0, "%s", err.msg);
  assert_child_ok (run_child (child_repeated_args, &prog));
  mr_seccomp_prog_clear (&prog);
}
END_TEST

static int
child_default_errno (void *arg)
{
  CHILD_CHECK (load_filter (arg) == 0);
  CHILD_CHECK (syscall (SYS_getpid) == getpid ());
  errno = 0;
  CHILD_CHECK (syscall (SYS_getppid) < 0 && errno == EOPNOTSUPP);
  errno = 0;
  CHILD_CHECK (syscall (SYS_getuid) < 0 && errno == EOPNOTSUPP);
  return 0;
}

/* An allow list of every syscall of the native architecture but getppid
   and getuid, as real profiles are: long, and leaving the process (and a
   sanitizer runtime) everything else it needs.  */
static size_t
allow_all_but_two (char **names, size_t max)
{
  size_t n = 0;

  for (int nr = 0; nr < 1024 && n < max; nr++)
    {
      char *name = seccomp_syscall_resolve_num_arch (SCMP_ARCH_NATIVE, nr);

      if (name == NULL)
        continue;
      if (strcmp (name, "getppid") == 0 || strcmp (name, "getuid") == 0)
        free (name);
      else
        names[n++] = name;
    }
  names[n] = NULL;
  return n;
}

START_TEST (seccomp_default_errno_applies_to_unlisted_syscalls)
{
  static char *allowed[1025];
  struct mr_spec_seccomp_syscall rules[] = {
    { .names = allowed, .action = MR_SECCOMP_ALLOW },
    /* Same as the default: skipped.  */
    { .names = names_getuid,
      .n_names = 1,
      .action = MR_SECCOMP_ERRNO,
      .errno_ret_set = true,
      .errno_ret = EOPNOTSUPP },
  };
  struct mr_spec_seccomp sc = { .default_action = MR_SECCOMP_ERRNO,
                                .default_errno_ret_set = true,
                                .default_errno_ret = EOPNOTSUPP,
                                .syscalls = rules,
                                .n_syscalls = 2 };
  struct mr_seccomp_prog prog;
  struct mr_error err = { 0 };

  rules[0].n_names = allow_all_but_two (allowed, 1024);
  ck_assert_uint_gt (rules[0].n_names, 100);
  ck_assert_msg (mr_seccomp_compile (&sc, &prog, &err) == 0, "%s", err.msg);
  assert_child_ok (run_child (child_default_errno, &prog));
  mr_seccomp_prog_clear (&prog);
  for (size_t i = 0; i < rules[0].n_names; i++)
    free (allowed[i]);
}
END_TEST

static int
child_kill_process (void *arg)
{
  struct rlimit no_core = { 0, 0 };

  setrlimit (RLIMIT_CORE, &no_core);
  CHILD_CHECK (load_filter (arg) == 0);
  syscall (SYS_getppid);
  return 2;
}

START_TEST (seccomp_kill_process_action_kills_with_sigsys)
{
  struct mr_spec_seccomp_syscall rule
      = { .names = names_getppid, .n_names = 1, .action = MR_SECCOMP_KILL_PROCESS };
  struct mr_spec_seccomp sc
      = { .default_action = MR_SECCOMP_ALLOW, .syscalls = &rule, .n_syscalls = 1 };
  struct mr_seccomp_prog prog;
  struct mr_error err = { 0 };
  int status;

  ck_assert_msg (mr_seccomp_compile (&sc, &prog, &err) == 0, "%s", err.msg);
  status = run_child (child_kill_process, &prog);
  ck_assert_msg (WIFSIGNALED (status), "child exited with %d", WEXITSTATUS (status));
  ck_assert_int_eq (WTERMSIG (status), SIGSYS);
  mr_seccomp_prog_clear (&prog);
}
END_TEST

START_TEST (seccomp_unknown_architecture_is_rejected)
{
  char *arches[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_NOPE", NULL };
  struct mr_spec_seccomp sc = deny_profile ();
  struct mr_seccomp_prog prog = { 0 };
  struct mr_error err = { 0 };

  sc.architectures = arches;
  sc.n_architectures = 2;
  ck_assert_int_lt (mr_seccomp_compile (&sc, &prog, &err), 0);
  ck_assert_str_eq (err.msg, "unknown seccomp architecture 'SCMP_ARCH_NOPE'");
  ck_assert_ptr_null (prog.filter);

  arches[0] = "x86_64";
  arches[1] = NULL;
  sc.n_architectures = 1;
  ck_assert_int_lt (mr_seccomp_compile (&sc, &prog, &err), 0);
  ck_assert_str_eq (err.msg, "unknown seccomp architecture 'x86_64'");
}
END_TEST

START_TEST (seccomp_native_and_compat_architectures_are_accepted)
{
#if defined(__x86_64__)
  char *arches[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL };
#elif defined(__aarch64__)
  char *arches[] = { "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL };
#else
  char *arches[] = { NULL };
#endif
  struct mr_spec_seccomp sc = deny_profile ();
  struct mr_seccomp_prog prog;
  struct mr_error err = { 0 };

  sc.architectures = arches;
  sc.n_architectures = sizeof arches / sizeof arches[0] - 1;
  ck_assert_msg (mr_seccomp_compile (&sc, &prog, &err) == 0, "%s", err.msg);
  ck_assert_uint_gt (prog.len, 0);
  /* The rules still hold for the native architecture.  */
  assert_child_ok (run_child (child_deny_rules, &prog));
  mr_seccomp_prog_clear (&prog);
}
END_TEST

START_TEST (seccomp_notify_needs_a_listener_path)
{
  struct mr_spec_seccomp_syscall rule
      = { .names = names_getppid, .n_names = 1, .action = MR_SECCOMP_NOTIFY };
  struct mr_spec_seccomp sc
      = { .default_action = MR_SECCOMP_ALLOW, .syscalls = &rule, .n_syscalls = 1 };
  struct mr_seccomp_prog prog;
  struct mr_error err = { 0 };

  ck_assert_int_lt (mr_seccomp_compile (&sc, &prog, &err), 0);
  ck_assert_str_eq (err.msg,
                    "linux.seccomp.listenerPath: required when an action is SCMP_ACT_NOTIFY");

  sc.n_syscalls = 0;
  sc.default_action = MR_SECCOMP_NOTIFY;
  sc.listener_path = "/run/agent.sock";
  ck_assert_int_lt (mr_seccomp_compile (&sc, &prog, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "SCMP_ACT_NOTIFY"));
}
END_TEST

START_TEST (seccomp_notify_for_sendmsg_is_rejected)
{
  static char *names[] = { "getppid", "sendmsg", NULL };
  struct mr_spec_seccomp_syscall rule
      = { .names = names, .n_names = 2, .action = MR_SECCOMP_NOTIFY };
  struct mr_spec_seccomp sc = { .default_action = MR_SECCOMP_ALLOW,
                                .listener_path = "/run/agent.sock",
                                .syscalls = &rule,
                                .n_syscalls = 1 };
  struct mr_seccomp_prog prog;
  struct mr_error err = { 0 };

  ck_assert_int_lt (mr_seccomp_compile (&sc, &prog, &err), 0);
  ck_assert_ptr_nonnull (
      strstr (err.msg, "syscalls[0]: SCMP_ACT_NOTIFY cannot be used for the sendmsg syscall"));
}
END_TEST

START_TEST (seccomp_listener_path_without_notify_is_ignored)
{
  char *flags[] = { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL };
  struct mr_spec_seccomp sc = deny_profile ();
  struct mr_seccomp_prog prog;
  struct mr_error err = { 0 };

  sc.listener_path = "/run/agent.sock";
  sc.flags = flags;
  sc.n_flags = 1;
  ck_assert_msg (mr_seccomp_compile (&sc, &prog, &err) == 0, "%s", err.msg);
  ck_assert (!mr_seccomp_has_listener (&prog));
  ck_assert_uint_eq (prog.flags, 0);
  assert_child_ok (run_child (child_deny_rules, &prog));
  mr_seccomp_prog_clear (&prog);
}
END_TEST

/* The child loads the filter, a grandchild calls getppid, and the child,
   holding the listener, answers for the kernel.  */
static int
child_notify (void *arg)
{
  const struct mr_seccomp_prog *prog = arg;
  struct seccomp_notif_sizes sz;
  struct seccomp_notif *req;
  struct seccomp_notif_resp *resp;
  struct mr_error err = { 0 };
  int listener = -1, status;
  pid_t pid;

  CHILD_CHECK (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
  CHILD_OK (mr_seccomp_load (prog, &listener, &err), &err);
  CHILD_CHECK (listener >= 0);
  CHILD_CHECK (fcntl (listener, F_GETFD) & FD_CLOEXEC);
  CHILD_CHECK (syscall (SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) == 0);
  req = calloc (1, sz.seccomp_notif);
  resp = calloc (1, sz.seccomp_notif_resp);
  CHILD_CHECK (req && resp);
  pid = fork ();
  CHILD_CHECK (pid >= 0);
  if (pid == 0)
    _exit (syscall (SYS_getppid) == 4242 ? 0 : 1);
  CHILD_CHECK (ioctl (listener, SECCOMP_IOCTL_NOTIF_RECV, req) == 0);
  CHILD_CHECK (req->data.nr == SYS_getppid);
  CHILD_CHECK (req->pid == (unsigned)pid);
  resp->id = req->id;
  resp->val = 4242;
  CHILD_CHECK (ioctl (listener, SECCOMP_IOCTL_NOTIF_SEND, resp) == 0);
  CHILD_CHECK (waitpid (pid, &status, 0) == pid);
  CHILD_CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  /* without a place for the listener, such a filter is not loaded */
  CHILD_CHECK (mr_seccomp_load (prog, NULL, &err) < 0);
  return 0;
}

START_TEST (seccomp_notify_rules_give_a_listener)
{
  struct mr_spec_seccomp_syscall rule
      = { .names = names_getppid, .n_names = 1, .action = MR_SECCOMP_NOTIFY };
  struct mr_spec_seccomp sc = { .default_action = MR_SECCOMP_ALLOW,
                                .listener_path = "/run/agent.sock",
                                .syscalls = &rule,
                                .n_syscalls = 1 };
  struct mr_seccomp_prog prog;
  struct mr_error err = { 0 };

  ck_assert_msg (mr_seccomp_compile (&sc, &prog, &err) == 0, "%s", err.msg);
  ck_assert (mr_seccomp_has_listener (&prog));
  ck_assert_uint_eq (prog.flags, SECCOMP_FILTER_FLAG_NEW_LISTENER);
  assert_child_ok (run_child (child_notify, &prog));
  mr_seccomp_prog_clear (&prog);
}
END_TEST

START_TEST (seccomp_agent_gets_the_state_and_the_listener)
{
  char dir[] = "/tmp/minirun-unit-agent.XXXXXX";
  char path[128], buf[4096], cbuf[CMSG_SPACE (sizeof (int))];
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct mr_spec_seccomp sc = { .listener_path = path, .listener_metadata = "m=1" };
  struct mr_error err = { 0 };
  struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf - 1 };
  struct msghdr m
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  struct cmsghdr *c;
  struct stat st1, st2;
  json_t *state, *doc;
  int ls, conn, memfd, got = -1;
  ssize_t n;
  size_t len;

  ck_assert_ptr_nonnull (mkdtemp (dir));
  snprintf (path, sizeof path, "%s/agent.sock", dir);
  state = json_pack ("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", "1.0.2", "id", "c1", "status",
                     "creating", "pid", 42, "bundle", "/b");
  memfd = memfd_create ("listener", MFD_CLOEXEC);
  ck_assert_int_ge (memfd, 0);

  /* nobody there yet */
  ck_assert_int_lt (mr_seccomp_send_to_agent (&sc, 42, state, memfd, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "linux.seccomp.listenerPath '"));
  ck_assert_ptr_nonnull (strstr (err.msg, path));
  ck_assert_int_eq (err.errnum, ENOENT);

  strcpy (addr.sun_path, path);
  ls = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_eq (bind (ls, (struct sockaddr *)&addr, sizeof addr), 0);
  ck_assert_int_eq (listen (ls, 1), 0);
  /* the backlog holds the connection until it is accepted */
  ck_assert_msg (mr_seccomp_send_to_agent (&sc, 43, state, memfd, &err) == 0, "%s", err.msg);
  conn = accept4 (ls, NULL, NULL, SOCK_CLOEXEC);
  ck_assert_int_ge (conn, 0);
  n = recvmsg (conn, &m, MSG_CMSG_CLOEXEC);
  ck_assert_int_gt (n, 0);
  c = CMSG_FIRSTHDR (&m);
  ck_assert_ptr_nonnull (c);
  ck_assert_int_eq (c->cmsg_type, SCM_RIGHTS);
  memcpy (&got, CMSG_DATA (c), sizeof got);
  len = (size_t)n;
  while ((n = read (conn, buf + len, sizeof buf - 1 - len)) > 0)
    len += (size_t)n;
  ck_assert_int_eq (n, 0); /* one message, then the runtime closes */
  buf[len] = '\0';

  ck_assert_int_eq (fstat (memfd, &st1), 0);
  ck_assert_int_eq (fstat (got, &st2), 0);
  ck_assert (st1.st_ino == st2.st_ino && st1.st_dev == st2.st_dev);
  doc = json_loads (buf, 0, NULL);
  ck_assert_ptr_nonnull (doc);
  ck_assert_str_eq (json_string_value (json_object_get (doc, "ociVersion")), "1.0.2");
  ck_assert_str_eq (json_string_value (json_array_get (json_object_get (doc, "fds"), 0)),
                    "seccompFd");
  ck_assert_uint_eq (json_array_size (json_object_get (doc, "fds")), 1);
  ck_assert_int_eq (json_integer_value (json_object_get (doc, "pid")), 43);
  ck_assert_str_eq (json_string_value (json_object_get (doc, "metadata")), "m=1");
  ck_assert (json_equal (json_object_get (doc, "state"), state));
  json_decref (doc);

  close (got);
  close (conn);
  close (ls);
  close (memfd);
  json_decref (state);
  unlink (path);
  rmdir (dir);
}
END_TEST

START_TEST (seccomp_flags_reach_the_program)
{
  char *flags[] = { "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_TSYNC",
                    "SECCOMP_FILTER_FLAG_SPEC_ALLOW", NULL };
  struct mr_spec_seccomp sc = deny_profile ();
  struct mr_seccomp_prog prog;
  struct mr_error err = { 0 };

  sc.flags = flags;
  sc.n_flags = 3;
  ck_assert_msg (mr_seccomp_compile (&sc, &prog, &err) == 0, "%s", err.msg);
  ck_assert_uint_eq (prog.flags, (1U << 1) | (1U << 2)); /* LOG | SPEC_ALLOW */
  assert_child_ok (run_child (child_deny_rules, &prog));
  mr_seccomp_prog_clear (&prog);

  flags[1] = "SECCOMP_FILTER_FLAG_BOGUS";
  ck_assert_int_lt (mr_seccomp_compile (&sc, &prog, &err), 0);
  ck_assert_str_eq (err.msg, "unknown seccomp flag 'SECCOMP_FILTER_FLAG_BOGUS'");
}
END_TEST

START_TEST (seccomp_argument_index_out_of_range_is_rejected)
{
  struct mr_spec_seccomp_arg arg = { .index = 6, .value = 1, .op = MR_SECCOMP_OP_EQ };
  struct mr_spec_seccomp_syscall rule = {
    .names = names_getppid, .n_names = 1, .action = MR_SECCOMP_ERRNO, .args = &arg, .n_args = 1
  };
  struct mr_spec_seccomp sc
      = { .default_action = MR_SECCOMP_ALLOW, .syscalls = &rule, .n_syscalls = 1 };
  struct mr_seccomp_prog prog;
  struct mr_error err = { 0 };

  ck_assert_int_lt (mr_seccomp_compile (&sc, &prog, &err), 0);
  ck_assert_str_eq (err.msg, "seccomp rule for syscall 'getppid': argument index 6 out of "
                             "range (0-5)");
}
END_TEST

START_TEST (seccomp_empty_program_loads_nothing)
{
  struct mr_seccomp_prog prog = { 0 };
  struct mr_error err = { 0 };

  ck_assert_int_eq (mr_seccomp_load (&prog, NULL, &err), 0);
  mr_seccomp_prog_clear (&prog);
}
END_TEST

/* --- capabilities and user --------------------------------------------- */

/* This process's /proc directory, opened while the child is still root:
   after a switch to an unprivileged user, a path from "/" may no longer
   resolve (a machine whose root directory is mode 0700).  */
static int self_dirfd = -1;

static void
open_self_dir (void)
{
  self_dirfd = open ("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* A "CapXxx:" line of /proc/self/status.  */
static int
status_caps (const char *field, uint64_t *out)
{
  char line[256];
  size_t flen = strlen (field);
  int fd = self_dirfd >= 0 ? openat (self_dirfd, "status", O_RDONLY | O_CLOEXEC)
                           : open ("/proc/self/status", O_RDONLY | O_CLOEXEC);
  FILE *f = fd >= 0 ? fdopen (fd, "re") : NULL;
  int r = -1;

  if (f == NULL)
    {
      if (fd >= 0)
        close (fd);
      return -1;
    }
  while (fgets (line, sizeof line, f))
    if (strncmp (line, field, flen) == 0 && line[flen] == ':')
      {
        *out = strtoull (line + flen + 1, NULL, 16);
        r = 0;
        break;
      }
  fclose (f);
  return r;
}

static int
child_caps_and_user (void *arg)
{
  uint64_t mask = BIT (CAP_KILL) | BIT (CAP_NET_BIND_SERVICE);
  struct mr_spec_caps caps = { mask, mask, mask, mask, mask };
  gid_t groups[] = { 10, 20 };
  struct mr_spec_user user = { .uid = 1000,
                               .gid = 1000,
                               .umask_set = true,
                               .umask = 027,
                               .additional_gids = groups,
                               .n_additional_gids = 2 };
  struct mr_error err = { 0 };
  gid_t got[8];
  uint64_t v;

  open_self_dir ();
  CHILD_OK (mr_caps_drop_bounding (&caps, &err), &err);
  CHILD_OK (mr_user_switch (&user, &err), &err);
  CHILD_OK (mr_caps_apply (&caps, &err), &err);

  CHILD_CHECK (getuid () == 1000 && geteuid () == 1000);
  CHILD_CHECK (getgid () == 1000 && getegid () == 1000);
  CHILD_CHECK (getgroups (8, got) == 2 && got[0] == 10 && got[1] == 20);
  CHILD_CHECK (umask (0) == 027);
  CHILD_CHECK (prctl (PR_GET_KEEPCAPS, 0, 0, 0, 0) == 0);
  CHILD_CHECK (status_caps ("CapInh", &v) == 0 && v == mask);
  CHILD_CHECK (status_caps ("CapPrm", &v) == 0 && v == mask);
  CHILD_CHECK (status_caps ("CapEff", &v) == 0 && v == mask);
  CHILD_CHECK (status_caps ("CapBnd", &v) == 0 && v == mask);
  CHILD_CHECK (status_caps ("CapAmb", &v) == 0 && v == mask);
  return 0;
}

START_TEST (caps_and_user_switch_set_ids_groups_and_every_set)
{
  if (!is_root ())
    return;
  assert_child_ok (run_child (child_caps_and_user, NULL));
}
END_TEST

static int
child_caps_unknown_to_kernel (void *arg)
{
  uint64_t mask = BIT (CAP_KILL) | BIT (63);
  struct mr_spec_caps caps = { mask, mask, mask, mask, mask };
  struct mr_error err = { 0 };
  uint64_t v;

  CHILD_CHECK (mr_cap_last () < 63);
  CHILD_OK (mr_caps_drop_bounding (&caps, &err), &err);
  CHILD_OK (mr_caps_apply (&caps, &err), &err);
  CHILD_CHECK (status_caps ("CapEff", &v) == 0 && v == BIT (CAP_KILL));
  CHILD_CHECK (status_caps ("CapBnd", &v) == 0 && v == BIT (CAP_KILL));
  CHILD_CHECK (status_caps ("CapAmb", &v) == 0 && v == BIT (CAP_KILL));
  return 0;
}

START_TEST (caps_unknown_to_the_kernel_are_ignored)
{
  if (!is_root ())
    return;
  assert_child_ok (run_child (child_caps_unknown_to_kernel, NULL));
}
END_TEST

static int
child_caps_unavailable (void *arg)
{
  struct mr_error err = { 0 };
  struct mr_spec_caps keep = { 0 };
  struct mr_spec_caps want = { 0 };
  uint64_t prm;

  /* Lose CAP_SYS_TIME entirely, and CAP_SYS_NICE from the permitted set
     only.  */
  CHILD_CHECK (status_caps ("CapPrm", &prm) == 0);
  CHILD_CHECK (prm & BIT (CAP_SYS_TIME));
  CHILD_CHECK (prm & BIT (CAP_SYS_NICE));
  keep.bounding = ~BIT (CAP_SYS_TIME);
  keep.effective = keep.permitted = prm & ~BIT (CAP_SYS_TIME) & ~BIT (CAP_SYS_NICE);
  CHILD_OK (mr_caps_drop_bounding (&keep, &err), &err);
  CHILD_OK (mr_caps_apply (&keep, &err), &err);

  want.bounding = want.effective = want.permitted = BIT (CAP_SYS_TIME);
  CHILD_CHECK (mr_caps_apply (&want, &err) < 0);
  CHILD_CHECK (strcmp (err.msg, "capability CAP_SYS_TIME is not available to the runtime (not in "
                                "its bounding set)")
               == 0);

  want.effective = want.permitted = BIT (CAP_SYS_NICE);
  CHILD_CHECK (mr_caps_apply (&want, &err) < 0);
  CHILD_CHECK (strcmp (err.msg, "capability CAP_SYS_NICE is not available to the runtime (not in "
                                "its permitted set)")
               == 0);

  want.effective = want.permitted = 0;
  want.inheritable = BIT (CAP_SYS_TIME);
  CHILD_CHECK (mr_caps_apply (&want, &err) < 0);
  CHILD_CHECK (strstr (err.msg, "CAP_SYS_TIME") != NULL);
  return 0;
}

START_TEST (caps_missing_from_the_runtime_are_named)
{
  if (!is_root ())
    return;
  assert_child_ok (run_child (child_caps_unavailable, NULL));
}
END_TEST

START_TEST (caps_effective_outside_permitted_is_rejected)
{
  struct mr_spec_caps caps = { .effective = BIT (CAP_KILL) };
  struct mr_error err = { 0 };

  /* Refused before anything is changed.  */
  ck_assert_int_lt (mr_caps_apply (&caps, &err), 0);
  ck_assert_str_eq (err.msg,
                    "capability CAP_KILL is in the effective set but not in the permitted set");
}
END_TEST

START_TEST (cap_last_matches_the_kernel)
{
  FILE *f = fopen ("/proc/sys/kernel/cap_last_cap", "re");
  int last = -1;

  ck_assert_ptr_nonnull (f);
  ck_assert_int_eq (fscanf (f, "%d", &last), 1);
  fclose (f);
  ck_assert_int_eq (mr_cap_last (), last);
  ck_assert_int_eq (mr_cap_last (), last);
}
END_TEST

static int
write_proc (const char *path, const char *s)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  int r;

  if (fd < 0)
    return -1;
  r = write (fd, s, strlen (s)) == (ssize_t)strlen (s) ? 0 : -1;
  close (fd);
  return r;
}

static int
child_userns_setgroups_denied (void *arg)
{
  gid_t groups[] = { 10 };
  struct mr_spec_user user = { .uid = 0, .gid = 0 };
  struct mr_error err = { 0 };

  if (unshare (CLONE_NEWUSER) < 0)
    {
      fprintf (stderr, "# unshare(CLONE_NEWUSER): %s, test skipped\n", strerror (errno));
      return 0;
    }
  CHILD_CHECK (write_proc ("/proc/self/setgroups", "deny") == 0);
  CHILD_CHECK (write_proc ("/proc/self/uid_map", "0 0 1") == 0);
  CHILD_CHECK (write_proc ("/proc/self/gid_map", "0 0 1") == 0);

  CHILD_OK (mr_user_switch (&user, &err), &err);

  user.additional_gids = groups;
  user.n_additional_gids = 1;
  CHILD_CHECK (mr_user_switch (&user, &err) < 0);
  CHILD_CHECK (err.errnum == EPERM);
  CHILD_CHECK (strncmp (err.msg, "setgroups (1 additional gids)", 29) == 0);
  return 0;
}

START_TEST (user_switch_without_groups_works_where_setgroups_is_denied)
{
  if (!is_root ())
    return;
  assert_child_ok (run_child (child_userns_setgroups_denied, NULL));
}
END_TEST

/* --- rlimits, oom_score_adj, sysctl ------------------------------------ */

static int
child_rlimit_nofile (void *arg)
{
  struct mr_spec_rlimit rl[] = { { RLIMIT_NOFILE, 1000, 2000 } };
  struct mr_error err = { 0 };
  struct rlimit got;

  CHILD_OK (mr_rlimits_apply (rl, 1, &err), &err);
  CHILD_CHECK (getrlimit (RLIMIT_NOFILE, &got) == 0);
  CHILD_CHECK (got.rlim_cur == 1000 && got.rlim_max == 2000);
  return 0;
}

START_TEST (rlimit_nofile_is_applied) { assert_child_ok (run_child (child_rlimit_nofile, NULL)); }
END_TEST

static int
child_rlimit_above_hard (void *arg)
{
  struct mr_spec_rlimit rl[1];
  struct mr_error err = { 0 };
  struct rlimit cur;
  char want[256];
  uint64_t over;

  /* Without CAP_SYS_RESOURCE, whatever the host grants the test.  */
  if (capng_get_caps_process () == 0
      && capng_update (CAPNG_DROP, CAPNG_EFFECTIVE, CAP_SYS_RESOURCE) == 0)
    capng_apply (CAPNG_SELECT_CAPS);
  CHILD_CHECK (getrlimit (RLIMIT_NOFILE, &cur) == 0);
  CHILD_CHECK (cur.rlim_max != RLIM_INFINITY);
  over = (uint64_t)cur.rlim_max + 1;
  rl[0] = (struct mr_spec_rlimit){ RLIMIT_NOFILE, over, over };
  snprintf (want, sizeof want,
            "setrlimit RLIMIT_NOFILE (soft %" PRIu64 ", hard %" PRIu64
            "): Operation not permitted (the hard limit is above the runtime's own, %" PRIu64 ")",
            over, over, (uint64_t)cur.rlim_max);
  CHILD_CHECK (mr_rlimits_apply (rl, 1, &err) < 0);
  CHILD_CHECK (err.errnum == EPERM);
  if (strcmp (err.msg, want) != 0)
    fprintf (stderr, "got '%s'\nwant '%s'\n", err.msg, want);
  CHILD_CHECK (strcmp (err.msg, want) == 0);
  return 0;
}

START_TEST (rlimit_above_the_hard_limit_names_resource_and_values)
{
  assert_child_ok (run_child (child_rlimit_above_hard, NULL));
}
END_TEST

START_TEST (rlimit_unknown_resource_is_rejected)
{
  struct mr_spec_rlimit rl[] = { { 99, 1, 1 } };
  struct mr_error err = { 0 };

  ck_assert_int_lt (mr_rlimits_apply (rl, 1, &err), 0);
  ck_assert_str_eq (err.msg, "setrlimit resource 99 (soft 1, hard 1): Invalid argument");
}
END_TEST

static int
read_proc_long (const char *path, long *out)
{
  FILE *f = fopen (path, "re");
  int r;

  if (f == NULL)
    return -1;
  r = fscanf (f, "%ld", out) == 1 ? 0 : -1;
  fclose (f);
  return r;
}

static int
child_oom (void *arg)
{
  struct mr_error err = { 0 };
  long v;

  CHILD_OK (mr_oom_score_adj_apply (0, 500, &err), &err);
  CHILD_CHECK (read_proc_long ("/proc/self/oom_score_adj", &v) == 0 && v == 500);
  CHILD_OK (mr_oom_score_adj_apply (getpid (), 600, &err), &err);
  CHILD_CHECK (read_proc_long ("/proc/self/oom_score_adj", &v) == 0 && v == 600);
  return 0;
}

START_TEST (oom_score_adj_is_written_for_self_and_pid)
{
  assert_child_ok (run_child (child_oom, NULL));
}
END_TEST

START_TEST (sysctl_keys_leaving_proc_sys_are_rejected)
{
  const char *bad[]
      = { "kernel/../../etc/passwd", "net..ipv4", "/etc/passwd", "..", "", ".kernel" };
  struct mr_error err = { 0 };

  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      struct mr_spec_kv kv[] = { { "kernel.no_such_minirun_key", "1" }, { (char *)bad[i], "1" } };
      char want[128];

      /* Keys are checked before anything is opened: the valid (and
         absent) first key would otherwise fail with ENOENT.  */
      ck_assert_int_lt (mr_sysctl_apply (kv, 2, &err), 0);
      snprintf (want, sizeof want, "sysctl '%s': invalid key", bad[i]);
      ck_assert_str_eq (err.msg, want);
    }
}
END_TEST

static int
child_sysctl (void *arg)
{
  struct mr_spec_kv kv[] = { { "kernel.msgmax", "12345" }, { "kernel/hostname", "mr-unit" } };
  struct mr_spec_kv unknown[] = { { "kernel.no_such_minirun_key", "1" } };
  struct mr_error err = { 0 };
  char host[64];
  long v;

  CHILD_CHECK (unshare (CLONE_NEWIPC | CLONE_NEWUTS) == 0);
  CHILD_OK (mr_sysctl_apply (kv, 2, &err), &err);
  CHILD_CHECK (read_proc_long ("/proc/sys/kernel/msgmax", &v) == 0 && v == 12345);
  CHILD_CHECK (gethostname (host, sizeof host) == 0 && strcmp (host, "mr-unit") == 0);

  CHILD_CHECK (mr_sysctl_apply (unknown, 1, &err) < 0);
  CHILD_CHECK (err.errnum == ENOENT);
  CHILD_CHECK (strncmp (err.msg, "sysctl 'kernel.no_such_minirun_key': open", 41) == 0);
  return 0;
}

START_TEST (sysctl_is_written_in_new_ipc_and_uts_namespaces)
{
  if (!is_root ())
    return;
  assert_child_ok (run_child (child_sysctl, NULL));
}
END_TEST

static Suite *
linux_suite (void)
{
  Suite *s = suite_create ("linux");
  TCase *sc = tcase_create ("seccomp");
  TCase *cr = tcase_create ("creds");

  tcase_add_test (sc, seccomp_errno_rules_deny_only_what_they_name);
  tcase_add_test (sc, seccomp_conditions_on_one_argument_are_alternatives);
  tcase_add_test (sc, seccomp_default_errno_applies_to_unlisted_syscalls);
  tcase_add_test (sc, seccomp_kill_process_action_kills_with_sigsys);
  tcase_add_test (sc, seccomp_unknown_architecture_is_rejected);
  tcase_add_test (sc, seccomp_native_and_compat_architectures_are_accepted);
  tcase_add_test (sc, seccomp_notify_needs_a_listener_path);
  tcase_add_test (sc, seccomp_notify_for_sendmsg_is_rejected);
  tcase_add_test (sc, seccomp_listener_path_without_notify_is_ignored);
  tcase_add_test (sc, seccomp_notify_rules_give_a_listener);
  tcase_add_test (sc, seccomp_agent_gets_the_state_and_the_listener);
  tcase_add_test (sc, seccomp_flags_reach_the_program);
  tcase_add_test (sc, seccomp_argument_index_out_of_range_is_rejected);
  tcase_add_test (sc, seccomp_empty_program_loads_nothing);
  suite_add_tcase (s, sc);

  tcase_add_test (cr, caps_and_user_switch_set_ids_groups_and_every_set);
  tcase_add_test (cr, caps_unknown_to_the_kernel_are_ignored);
  tcase_add_test (cr, caps_missing_from_the_runtime_are_named);
  tcase_add_test (cr, caps_effective_outside_permitted_is_rejected);
  tcase_add_test (cr, cap_last_matches_the_kernel);
  tcase_add_test (cr, user_switch_without_groups_works_where_setgroups_is_denied);
  tcase_add_test (cr, rlimit_nofile_is_applied);
  tcase_add_test (cr, rlimit_above_the_hard_limit_names_resource_and_values);
  tcase_add_test (cr, rlimit_unknown_resource_is_rejected);
  tcase_add_test (cr, oom_score_adj_is_written_for_self_and_pid);
  tcase_add_test (cr, sysctl_keys_leaving_proc_sys_are_rejected);
  tcase_add_test (cr, sysctl_is_written_in_new_ipc_and_uts_namespaces);
  suite_add_tcase (s, cr);
  return s;
}

int
main (void)
{
  return unit_run (linux_suite ());
}
