#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "linux/seccomp.h"
#include "util/cleanup.h"
#include "util/error.h"

/* The kernel refuses longer programs (BPF_MAXINSNS).  */
#define MAX_INSNS 4096

/* The syscall ABI passes at most six arguments.  */
#define MAX_ARGS 6

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* How long an agent may take to accept the connection and the message: a
   listener whose backlog is full must not hang create.  */
#define AGENT_TIMEOUT_SECS 10

static inline void
cleanup_seccompp (scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release (*ctx);
}
#define cleanup_seccomp __attribute__ ((cleanup (cleanup_seccompp)))

static const char *
action_name (enum mr_seccomp_action a)
{
  switch (a)
    {
    case MR_SECCOMP_KILL:
      return "SCMP_ACT_KILL";
    case MR_SECCOMP_KILL_PROCESS:
      return "SCMP_ACT_KILL_PROCESS";
    case MR_SECCOMP_KILL_THREAD:
      return "SCMP_ACT_KILL_THREAD";
    case MR_SECCOMP_TRAP:
      return "SCMP_ACT_TRAP";
    case MR_SECCOMP_ERRNO:
      return "SCMP_ACT_ERRNO";
    case MR_SECCOMP_TRACE:
      return "SCMP_ACT_TRACE";
    case MR_SECCOMP_ALLOW:
      return "SCMP_ACT_ALLOW";
    case MR_SECCOMP_LOG:
      return "SCMP_ACT_LOG";
    case MR_SECCOMP_NOTIFY:
      return "SCMP_ACT_NOTIFY";
    }
  return "unknown";
}

/* ret is the errno for ERRNO and the message number for TRACE; both travel
 * in the 16 data bits of the filter's return value.  */
static int
action_to_scmp (enum mr_seccomp_action a, bool ret_set, unsigned ret, uint32_t *out,
                struct mr_error *err)
{
  if ((a == MR_SECCOMP_ERRNO || a == MR_SECCOMP_TRACE) && ret_set && ret > 0xffff)
    return mr_error_set (err, "%s: errnoRet %u out of range", action_name (a), ret);
  if (!ret_set)
    ret = EPERM;
  switch (a)
    {
    case MR_SECCOMP_KILL:
      *out = SCMP_ACT_KILL;
      return 0;
    case MR_SECCOMP_KILL_PROCESS:
      *out = SCMP_ACT_KILL_PROCESS;
      return 0;
    case MR_SECCOMP_KILL_THREAD:
      *out = SCMP_ACT_KILL_THREAD;
      return 0;
    case MR_SECCOMP_TRAP:
      *out = SCMP_ACT_TRAP;
      return 0;
    case MR_SECCOMP_ERRNO:
      *out = SCMP_ACT_ERRNO (ret);
      return 0;
    case MR_SECCOMP_TRACE:
      *out = SCMP_ACT_TRACE (ret);
      return 0;
    case MR_SECCOMP_ALLOW:
      *out = SCMP_ACT_ALLOW;
      return 0;
    case MR_SECCOMP_LOG:
      *out = SCMP_ACT_LOG;
      return 0;
    case MR_SECCOMP_NOTIFY:
      *out = SCMP_ACT_NOTIFY;
      return 0;
    }
  return mr_error_set (err, "unknown seccomp action %d", (int)a);
}

static int
add_architectures (scmp_filter_ctx ctx, const struct mr_spec_seccomp *sc, struct mr_error *err)
{
  static const char prefix[] = "SCMP_ARCH_";

  for (size_t i = 0; i < sc->n_architectures; i++)
    {
      const char *name = sc->architectures[i];
      char lower[32];
      uint32_t arch = 0;
      size_t len;
      int r;

      if (strncmp (name, prefix, sizeof prefix - 1) == 0)
        {
          len = strlen (name + sizeof prefix - 1);
          if (len > 0 && len < sizeof lower)
            {
              for (size_t j = 0; j <= len; j++)
                lower[j] = (char)tolower ((unsigned char)name[sizeof prefix - 1 + j]);
              arch = seccomp_arch_resolve_name (lower);
            }
        }
      if (arch == 0)
        return mr_error_set (err, "unknown seccomp architecture '%s'", name);
      r = seccomp_arch_add (ctx, arch);
      if (r < 0 && r != -EEXIST)
        return mr_error_errno (err, -r, "add seccomp architecture '%s'", name);
    }
  return 0;
}

static int
parse_flags (const struct mr_spec_seccomp *sc, bool listener, unsigned *out, struct mr_error *err)
{
  unsigned flags = 0;

  for (size_t i = 0; i < sc->n_flags; i++)
    {
      const char *f = sc->flags[i];

      if (strcmp (f, "SECCOMP_FILTER_FLAG_LOG") == 0)
        flags |= SECCOMP_FILTER_FLAG_LOG;
      else if (strcmp (f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
        flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
      /* Without a listener there is no receive to make killable, and the
         kernel refuses the flag on such a filter.  */
      else if (strcmp (f, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
        flags |= listener ? SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0;
      /* The filter is loaded by a single-threaded process, so there are no
         other threads to synchronize (and the kernel refuses TSYNC with a
         listener).  */
      else if (strcmp (f, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
        continue;
      else
        return mr_error_set (err, "unknown seccomp flag '%s'", f);
    }
  *out = flags;
  return 0;
}

static int
arg_to_scmp (const struct mr_spec_seccomp_arg *a, struct scmp_arg_cmp *out, struct mr_error *err)
{
  static const enum scmp_compare ops[] = {
    [MR_SECCOMP_OP_NE] = SCMP_CMP_NE,
    [MR_SECCOMP_OP_LT] = SCMP_CMP_LT,
    [MR_SECCOMP_OP_LE] = SCMP_CMP_LE,
    [MR_SECCOMP_OP_EQ] = SCMP_CMP_EQ,
    [MR_SECCOMP_OP_GE] = SCMP_CMP_GE,
    [MR_SECCOMP_OP_GT] = SCMP_CMP_GT,
    [MR_SECCOMP_OP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
  };

  if (a->index >= MAX_ARGS)
    return mr_error_set (err, "argument index %u out of range (0-%d)", a->index, MAX_ARGS - 1);
  if ((unsigned)a->op >= sizeof ops / sizeof ops[0])
    return mr_error_set (err, "unknown comparison operator %d", (int)a->op);
  out->arg = a->index;
  out->op = ops[a->op];
  /* For SCMP_CMP_MASKED_EQ datum_a is the mask and datum_b the value,
     which is the order the spec gives them in.  */
  out->datum_a = a->value;
  out->datum_b = a->value_two;
  return 0;
}

/* Conditions on distinct arguments are ANDed in one rule.  When several
   conditions name the same argument, each becomes a rule of its own (so
   they are ORed): libseccomp refuses two comparisons of one argument in
   a rule, and runc gives such profiles this meaning.  */
static int
add_rule (scmp_filter_ctx ctx, uint32_t action, int nr, const char *name,
          const struct mr_spec_seccomp_syscall *s, struct mr_error *err)
{
  struct scmp_arg_cmp cmps[MAX_ARGS];
  unsigned seen = 0;
  bool repeated = false;
  int r;

  if (s->n_args > MAX_ARGS)
    repeated = true;
  for (size_t i = 0; i < s->n_args; i++)
    {
      if (s->args[i].index < MAX_ARGS && (seen & (1U << s->args[i].index)))
        repeated = true;
      if (s->args[i].index < MAX_ARGS)
        seen |= 1U << s->args[i].index;
    }

  if (!repeated)
    {
      for (size_t i = 0; i < s->n_args; i++)
        if (arg_to_scmp (&s->args[i], &cmps[i], err) < 0)
          return mr_error_prefix (err, "seccomp rule for syscall '%s'", name);
      r = seccomp_rule_add_array (ctx, action, nr, (unsigned)s->n_args, cmps);
      if (r < 0)
        return mr_error_errno (err, -r, "add seccomp rule for syscall '%s'", name);
      return 0;
    }

  for (size_t i = 0; i < s->n_args; i++)
    {
      if (arg_to_scmp (&s->args[i], &cmps[0], err) < 0)
        return mr_error_prefix (err, "seccomp rule for syscall '%s'", name);
      r = seccomp_rule_add_array (ctx, action, nr, 1, cmps);
      if (r < 0)
        return mr_error_errno (err, -r, "add seccomp rule for syscall '%s'", name);
    }
  return 0;
}

static int
add_syscalls (scmp_filter_ctx ctx, const struct mr_spec_seccomp *sc, uint32_t default_action,
              struct mr_error *err)
{
  for (size_t i = 0; i < sc->n_syscalls; i++)
    {
      const struct mr_spec_seccomp_syscall *s = &sc->syscalls[i];
      uint32_t action;

      if (action_to_scmp (s->action, s->errno_ret_set, s->errno_ret, &action, err) < 0)
        return mr_error_prefix (err, "seccomp syscalls[%zu]", i);
      /* The process hands its listener to the runtime with sendmsg: that
         call waiting for an agent that only the listener could reach
         would never return (runc refuses write, its own channel).  */
      for (size_t j = 0; s->action == MR_SECCOMP_NOTIFY && j < s->n_names; j++)
        if (strcmp (s->names[j], "sendmsg") == 0)
          return mr_error_set (err,
                               "linux.seccomp.syscalls[%zu]: SCMP_ACT_NOTIFY cannot be used for "
                               "the sendmsg syscall: the listener is handed to the runtime with it",
                               i);
      /* libseccomp refuses rules that repeat the default action, and
         they would change nothing.  */
      if (action == default_action)
        continue;
      for (size_t j = 0; j < s->n_names; j++)
        {
          int nr = seccomp_syscall_resolve_name (s->names[j]);

          /* Profiles list syscalls of newer kernels and of other
             architectures; runc and crun skip them as well.  */
          if (nr == __NR_SCMP_ERROR)
            continue;
          if (add_rule (ctx, action, nr, s->names[j], s, err) < 0)
            return -1;
        }
    }
  return 0;
}

/* The libseccomp token of "SCMP_ARCH_X86_64"; 0 if unknown.  */
static uint32_t
arch_token (const char *name)
{
  static const char prefix[] = "SCMP_ARCH_";
  char lower[32];
  size_t len;

  if (strncmp (name, prefix, sizeof prefix - 1) != 0)
    return 0;
  len = strlen (name + sizeof prefix - 1);
  if (len == 0 || len >= sizeof lower)
    return 0;
  for (size_t j = 0; j <= len; j++)
    lower[j] = (char)tolower ((unsigned char)name[sizeof prefix - 1 + j]);
  return seccomp_arch_resolve_name (lower);
}

static bool
profile_names (const struct mr_spec_seccomp *sc, const char *name)
{
  for (size_t i = 0; i < sc->n_syscalls; i++)
    for (size_t j = 0; j < sc->syscalls[i].n_names; j++)
      if (strcmp (sc->syscalls[i].names[j], name) == 0)
        return true;
  return false;
}

/* The number of name on arch for comparing ages; -1 if it has none.  x32
   numbers are the x86_64 ones with bit 30 set, except its own versions of
   old calls at 512-547, which are no newer for their numbers.  */
static int
arch_nr (uint32_t arch, const char *name)
{
  int nr = seccomp_syscall_resolve_name_arch (arch, name);

  if (nr < 0)
    return -1;
  if (arch == SCMP_ARCH_X32)
    {
      nr &= ~0x40000000;
      if (nr >= 512 && nr < 548)
        return -1;
    }
  return nr;
}

/* The highest number on arch of a syscall the profile names; -1: none.  */
static int
profile_last (const struct mr_spec_seccomp *sc, uint32_t arch)
{
  int last = -1;

  for (size_t i = 0; i < sc->n_syscalls; i++)
    for (size_t j = 0; j < sc->syscalls[i].n_names; j++)
      {
        int nr = arch_nr (arch, sc->syscalls[i].names[j]);
        if (nr > last)
          last = nr;
      }
  return last;
}

#define MAX_ENOSYS_ARCHES 8
/* How far above a profile's newest syscall libseccomp's table is read.  */
#define ENOSYS_SCAN 1024

/* A profile written before a syscall existed refuses it with its default
   action, and a libc that sees EPERM from clone3 or faccessat2 does not
   fall back to the older call as it does on ENOSYS.  runc patches the
   filter with a BPF prefix answering ENOSYS above the newest number the
   profile names on each architecture; here the same set is added as
   ordinary rules instead, which libseccomp 2.5 translates to every
   architecture of the filter and places in its own tree: every syscall
   libseccomp knows, not named in the profile, whose number is above the
   profile's newest on each architecture of the filter that has it, answers
   ENOSYS.  Syscalls newer than libseccomp itself still get the default
   action: its table cannot name them.  */
static int
add_enosys_rules (scmp_filter_ctx ctx, const struct mr_spec_seccomp *sc, struct mr_error *err)
{
  uint32_t arches[MAX_ENOSYS_ARCHES];
  int last[MAX_ENOSYS_ARCHES];
  size_t n = 0;

  arches[n++] = seccomp_arch_native ();
  for (size_t i = 0; i < sc->n_architectures && n < MAX_ENOSYS_ARCHES; i++)
    {
      uint32_t a = arch_token (sc->architectures[i]);
      bool dup = false;
      for (size_t k = 0; k < n; k++)
        dup = dup || arches[k] == a;
      if (a != 0 && !dup)
        arches[n++] = a;
    }
  for (size_t k = 0; k < n; k++)
    last[k] = profile_last (sc, arches[k]);
  if (last[0] < 0)
    return 0;

  for (int nr = last[0] + 1; nr <= last[0] + ENOSYS_SCAN; nr++)
    {
      cleanup_free char *name = seccomp_syscall_resolve_num_arch (arches[0], nr);
      bool newer = true;
      int native, r;

      if (name == NULL || profile_names (sc, name))
        continue;
      for (size_t k = 1; k < n && newer; k++)
        {
          int other = arch_nr (arches[k], name);
          newer = other < 0 || last[k] < 0 || other > last[k];
        }
      if (!newer)
        continue;
      native = seccomp_syscall_resolve_name (name);
      if (native == __NR_SCMP_ERROR)
        continue;
      r = seccomp_rule_add (ctx, SCMP_ACT_ERRNO (ENOSYS), native, 0);
      if (r < 0 && r != -EEXIST)
        return mr_error_errno (err, -r, "add seccomp ENOSYS rule for syscall '%s'", name);
    }
  return 0;
}

static int
export_bpf (scmp_filter_ctx ctx, struct mr_seccomp_prog *out, struct mr_error *err)
{
  cleanup_close int fd = -1;
  cleanup_free void *buf = NULL;
  struct stat st;
  size_t done = 0;
  int r;

  fd = memfd_create ("seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0)
    return mr_error_errno (err, errno, "memfd_create for the seccomp filter");
  r = seccomp_export_bpf (ctx, fd);
  if (r < 0)
    return mr_error_errno (err, -r, "export seccomp filter");
  if (fstat (fd, &st) < 0)
    return mr_error_errno (err, errno, "stat seccomp filter");
  if (st.st_size <= 0 || st.st_size % sizeof (struct sock_filter) != 0)
    return mr_error_set (err, "export seccomp filter: unexpected size %lld", (long long)st.st_size);
  if ((size_t)st.st_size / sizeof (struct sock_filter) > MAX_INSNS)
    return mr_error_set (err, "seccomp filter has %zu instructions, more than the kernel's %d",
                         (size_t)st.st_size / sizeof (struct sock_filter), MAX_INSNS);
  buf = malloc ((size_t)st.st_size);
  if (buf == NULL)
    return mr_error_errno (err, ENOMEM, "export seccomp filter");
  while (done < (size_t)st.st_size)
    {
      ssize_t n = pread (fd, (char *)buf + done, (size_t)st.st_size - done, (off_t)done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return mr_error_errno (err, errno, "read seccomp filter");
      if (n == 0)
        return mr_error_set (err, "read seccomp filter: short read");
      done += (size_t)n;
    }
  out->len = (size_t)st.st_size / sizeof (struct sock_filter);
  out->filter = steal_pointer (&buf);
  return 0;
}

int
mr_seccomp_compile (const struct mr_spec_seccomp *sc, struct mr_seccomp_prog *out,
                    struct mr_error *err)
{
  cleanup_seccomp scmp_filter_ctx ctx = NULL;
  uint32_t default_action;
  unsigned flags = 0;
  bool listener = false;
  int r;

  out->filter = NULL;
  out->len = 0;
  out->flags = 0;

  /* As runc: listenerPath without a SCMP_ACT_NOTIFY rule is ignored, as
     the runtime-spec says.  */
  for (size_t i = 0; i < sc->n_syscalls; i++)
    listener = listener || sc->syscalls[i].action == MR_SECCOMP_NOTIFY;
  if (listener && (sc->listener_path == NULL || *sc->listener_path == '\0'))
    return mr_error_set (err, "linux.seccomp.listenerPath: required when an action is "
                              "SCMP_ACT_NOTIFY");
  /* as runc: every call would wait for an agent, the runtime's own too */
  if (sc->default_action == MR_SECCOMP_NOTIFY)
    return mr_error_set (err, "seccomp defaultAction: SCMP_ACT_NOTIFY cannot be the default "
                              "action");
  if (action_to_scmp (sc->default_action, sc->default_errno_ret_set, sc->default_errno_ret,
                      &default_action, err)
      < 0)
    return mr_error_prefix (err, "seccomp defaultAction");
  if (parse_flags (sc, listener, &flags, err) < 0)
    return -1;
  if (listener)
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;

  ctx = seccomp_init (default_action);
  if (ctx == NULL)
    return mr_error_set (err, "seccomp_init with default action %s failed",
                         action_name (sc->default_action));
  /* no_new_privs is the caller's decision (process.noNewPrivileges), and
     the filter is loaded without libseccomp anyway.  */
  r = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (r < 0)
    return mr_error_errno (err, -r, "seccomp: clear no_new_privs attribute");
  /* A binary tree keeps long profiles fast to evaluate; older libseccomp
     refuses the attribute and builds a linear filter.  */
  (void)seccomp_attr_set (ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);

  if (add_architectures (ctx, sc, err) < 0)
    return -1;
  if (add_syscalls (ctx, sc, default_action, err) < 0)
    return -1;
  /* Only a default that refuses matters; ENOSYS as the default already
     is what a newer syscall gets.  */
  if ((sc->default_action == MR_SECCOMP_ERRNO && default_action != SCMP_ACT_ERRNO (ENOSYS))
      || sc->default_action == MR_SECCOMP_KILL || sc->default_action == MR_SECCOMP_KILL_PROCESS
      || sc->default_action == MR_SECCOMP_KILL_THREAD)
    if (add_enosys_rules (ctx, sc, err) < 0)
      return -1;
  if (export_bpf (ctx, out, err) < 0)
    return -1;
  out->flags = flags;
  return 0;
}

bool
mr_seccomp_has_listener (const struct mr_seccomp_prog *prog)
{
  return prog && prog->filter && (prog->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER);
}

int
mr_seccomp_load (const struct mr_seccomp_prog *prog, int *listener, struct mr_error *err)
{
  struct sock_fprog fprog;
  long r;

  if (listener)
    *listener = -1;
  if (prog->filter == NULL || prog->len == 0)
    return 0;
  if (mr_seccomp_has_listener (prog) && listener == NULL)
    return mr_error_set (err, "load seccomp filter: its listener has nowhere to go");
  if (prog->len > MAX_INSNS)
    return mr_error_set (err, "seccomp filter has %zu instructions, more than the kernel's %d",
                         prog->len, MAX_INSNS);
  fprog.len = (unsigned short)prog->len;
  fprog.filter = prog->filter;
  r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, prog->flags, &fprog);
  if (r >= 0)
    {
      /* the kernel makes the listener close-on-exec already */
      if (mr_seccomp_has_listener (prog))
        *listener = (int)r;
      return 0;
    }
  if ((errno == ENOSYS || errno == EINVAL) && prog->flags == 0
      && prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) == 0)
    return 0;
  return mr_error_errno (err, errno, "load seccomp filter");
}

void
mr_seccomp_prog_clear (struct mr_seccomp_prog *prog)
{
  if (prog == NULL)
    return;
  free (prog->filter);
  prog->filter = NULL;
  prog->len = 0;
  prog->flags = 0;
}

int
mr_seccomp_send_to_agent (const struct mr_spec_seccomp *sc, pid_t pid, json_t *state, int listener,
                          struct mr_error *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct timeval tv = { .tv_sec = AGENT_TIMEOUT_SECS };
  const char *path = sc->listener_path;
  cleanup_free char *text = NULL;
  cleanup_close int s = -1;
  json_t *doc;
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  struct cmsghdr *c;
  size_t done = 0, len;

  if (path == NULL || *path == '\0')
    return mr_error_set (err, "linux.seccomp.listenerPath: required when an action is "
                              "SCMP_ACT_NOTIFY");
  if (strlen (path) >= sizeof addr.sun_path)
    return mr_error_errno (err, ENAMETOOLONG, "linux.seccomp.listenerPath '%s'", path);
  memcpy (addr.sun_path, path, strlen (path) + 1);

  /* the runtime-spec's containerProcessState */
  doc = json_pack ("{s:s, s:[s], s:I, s:O}", "ociVersion", "1.0.2", "fds", "seccompFd", "pid",
                   (json_int_t)pid, "state", state);
  if (doc && sc->listener_metadata && *sc->listener_metadata)
    json_object_set_new (doc, "metadata", json_string (sc->listener_metadata));
  text = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
  json_decref (doc);
  if (text == NULL)
    return mr_error_errno (err, ENOMEM, "linux.seccomp.listenerPath '%s'", path);
  len = strlen (text);

  s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return mr_error_errno (err, errno, "linux.seccomp.listenerPath '%s': socket", path);
  /* bounds connect (a full backlog) and the writes alike */
  if (setsockopt (s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0)
    return mr_error_errno (err, errno, "linux.seccomp.listenerPath '%s': socket", path);
  while (connect (s, (struct sockaddr *)&addr, sizeof addr) < 0)
    if (errno != EINTR)
      return mr_error_errno (err, errno,
                             "linux.seccomp.listenerPath '%s': connect to the seccomp agent", path);

  /* the fd rides on the first bytes; a long state may need more writes */
  memset (cbuf, 0, sizeof cbuf);
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &listener, sizeof (int));
  while (done < len)
    {
      ssize_t n;

      iov.iov_base = text + done;
      iov.iov_len = len - done;
      n = sendmsg (s, &msg, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return mr_error_errno (err, errno,
                               "linux.seccomp.listenerPath '%s': send the container process "
                               "state to the seccomp agent",
                               path);
      done += (size_t)n;
      msg.msg_control = NULL;
      msg.msg_controllen = 0;
    }
  return 0;
}
