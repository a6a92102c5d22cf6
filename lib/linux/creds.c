#include "config.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#endif

#include "linux/creds.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

/* Everything here may run in the forked child just before execve: no
   stdio streams and no heap, only stack buffers and plain syscalls (the
   error helpers format into the caller's struct).  */

#define CAP_BIT(c) (UINT64_C (1) << (c))

static const char *
rlimit_name (int resource)
{
  switch (resource)
    {
    case RLIMIT_CPU:
      return "RLIMIT_CPU";
    case RLIMIT_FSIZE:
      return "RLIMIT_FSIZE";
    case RLIMIT_DATA:
      return "RLIMIT_DATA";
    case RLIMIT_STACK:
      return "RLIMIT_STACK";
    case RLIMIT_CORE:
      return "RLIMIT_CORE";
    case RLIMIT_RSS:
      return "RLIMIT_RSS";
    case RLIMIT_NPROC:
      return "RLIMIT_NPROC";
    case RLIMIT_NOFILE:
      return "RLIMIT_NOFILE";
    case RLIMIT_MEMLOCK:
      return "RLIMIT_MEMLOCK";
    case RLIMIT_AS:
      return "RLIMIT_AS";
    case RLIMIT_LOCKS:
      return "RLIMIT_LOCKS";
    case RLIMIT_SIGPENDING:
      return "RLIMIT_SIGPENDING";
    case RLIMIT_MSGQUEUE:
      return "RLIMIT_MSGQUEUE";
    case RLIMIT_NICE:
      return "RLIMIT_NICE";
    case RLIMIT_RTPRIO:
      return "RLIMIT_RTPRIO";
    case RLIMIT_RTTIME:
      return "RLIMIT_RTTIME";
    }
  return NULL;
}

static const char *
limit_str (uint64_t v, char *buf, size_t size)
{
  if (v == (uint64_t)RLIM_INFINITY)
    return "unlimited";
  snprintf (buf, size, "%" PRIu64, v);
  return buf;
}

int
mr_rlimits_apply (const struct mr_spec_rlimit *rl, size_t n, struct mr_error *err)
{
  for (size_t i = 0; i < n; i++)
    {
      struct rlimit lim = { .rlim_cur = (rlim_t)rl[i].soft, .rlim_max = (rlim_t)rl[i].hard };
      struct rlimit cur;
      char name_buf[32], soft[24], hard[24], own[24];
      const char *name = rlimit_name (rl[i].resource);
      int e;

      if (setrlimit (rl[i].resource, &lim) == 0)
        continue;
      e = errno;
      if (name == NULL)
        {
          snprintf (name_buf, sizeof name_buf, "resource %d", rl[i].resource);
          name = name_buf;
        }
      mr_error_errno (err, e, "setrlimit %s (soft %s, hard %s)", name,
                      limit_str (rl[i].soft, soft, sizeof soft),
                      limit_str (rl[i].hard, hard, sizeof hard));
      /* The usual cause: only CAP_SYS_RESOURCE may raise a hard limit, and
         a runtime without it cannot hand out more than it has itself.  */
      if (e == EPERM && err != NULL && getrlimit (rl[i].resource, &cur) == 0
          && (uint64_t)cur.rlim_max < rl[i].hard)
        {
          size_t len = strlen (err->msg);
          snprintf (err->msg + len, sizeof err->msg - len,
                    " (the hard limit is above the runtime's own, %s)",
                    limit_str ((uint64_t)cur.rlim_max, own, sizeof own));
        }
      return -1;
    }
  return 0;
}

static int
write_proc_file (const char *path, const char *value, struct mr_error *err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

  if (fd < 0)
    return mr_error_errno (err, errno, "open '%s'", path);
  if (mr_write_all (fd, value, strlen (value)) < 0)
    return mr_error_errno (err, errno, "write '%s' to '%s'", value, path);
  return 0;
}

int
mr_oom_score_adj_apply (pid_t pid, int value, struct mr_error *err)
{
  char path[64], buf[16];

  if (pid > 0)
    snprintf (path, sizeof path, "/proc/%d/oom_score_adj", (int)pid);
  else
    snprintf (path, sizeof path, "/proc/self/oom_score_adj");
  snprintf (buf, sizeof buf, "%d", value);
  if (write_proc_file (path, buf, err) < 0)
    return mr_error_prefix (err, "set oom_score_adj to %d", value);
  return 0;
}

static int
sysctl_key_valid (const char *key)
{
  if (key[0] == '\0' || key[0] == '/' || key[0] == '.')
    return 0;
  if (strstr (key, "..") != NULL)
    return 0;
  return 1;
}

/* /proc/sys holds no symlinks; refusing them keeps a key from leading the
   write anywhere else, on a proc that the container may have prepared.  */
static int
open_sysctl (int dirfd, const char *rel)
{
#ifdef HAVE_LINUX_OPENAT2_H
  struct open_how how = {
    .flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  int fd = (int)syscall (SYS_openat2, dirfd, rel, &how, sizeof how);

  if (fd >= 0 || errno != ENOSYS)
    return fd;
#endif
  return openat (dirfd, rel, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
}

/* The key in its dotted form ("net/ipv4/ip_forward" and
   "net.ipv4.ip_forward" are the same sysctl), for classifying it.  */
static void
sysctl_dotted (const char *key, char *out, size_t size)
{
  size_t i;

  for (i = 0; key[i] && i + 1 < size; i++)
    out[i] = key[i] == '/' ? '.' : key[i];
  out[i] = '\0';
}

/* Whether a namespace joined by path is the one this process is in: a
   network namespace "joined" that way is the host's own.  A path that
   cannot be read is left to the join, which fails with its own error.  */
static bool
sysctl_ns_is_ours (const char *path, const char *self)
{
  struct stat a, b;

  if (stat (path, &a) < 0 || stat (self, &b) < 0)
    return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int
mr_sysctl_check (const struct mr_spec *spec, struct mr_error *err)
{
  static const char *const ipc_keys[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
  };
  const struct mr_spec_linux *lx = &spec->linux;

  for (size_t i = 0; i < lx->n_sysctl; i++)
    {
      const char *key = lx->sysctl[i].key;
      const struct mr_spec_namespace *ns;
      char k[256];
      bool ipc = false;

      if (!sysctl_key_valid (key))
        return mr_error_set (err, "sysctl '%s': invalid key", key);
      sysctl_dotted (key, k, sizeof k);
      for (size_t j = 0; j < sizeof ipc_keys / sizeof ipc_keys[0]; j++)
        ipc = ipc || strcmp (k, ipc_keys[j]) == 0;
      if (ipc || strncmp (k, "fs.mqueue.", 10) == 0)
        {
          if (mr_spec_find_namespace (spec, CLONE_NEWIPC) == NULL)
            return mr_error_set (err,
                                 "sysctl '%s' is not allowed: the container shares the host's "
                                 "ipc namespace",
                                 key);
          continue;
        }
      if (strncmp (k, "net.", 4) == 0)
        {
          ns = mr_spec_find_namespace (spec, CLONE_NEWNET);
          if (ns == NULL || (ns->path && sysctl_ns_is_ours (ns->path, "/proc/self/ns/net")))
            return mr_error_set (err,
                                 "sysctl '%s' is not allowed: the container shares the host's "
                                 "network namespace",
                                 key);
          continue;
        }
      if (strcmp (k, "kernel.hostname") == 0 || strcmp (k, "kernel.domainname") == 0)
        {
          bool host = k[7] == 'h';
          const char *field = host ? spec->hostname : spec->domainname;

          if (mr_spec_find_namespace (spec, CLONE_NEWUTS) == NULL)
            return mr_error_set (err,
                                 "sysctl '%s' is not allowed: the container shares the host's "
                                 "uts namespace",
                                 key);
          if (field && *field)
            return mr_error_set (err,
                                 "sysctl '%s' is not allowed: it conflicts with the '%s' field",
                                 key, host ? "hostname" : "domainname");
          continue;
        }
      return mr_error_set (
          err, "sysctl '%s' is not allowed: it is not in a namespace of the container", key);
    }
  return 0;
}

int
mr_sysctl_apply (const struct mr_spec_kv *kv, size_t n, struct mr_error *err)
{
  cleanup_close int dirfd = -1;

  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!sysctl_key_valid (kv[i].key))
      return mr_error_set (err, "sysctl '%s': invalid key", kv[i].key);

  dirfd = open ("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return mr_error_errno (err, errno, "open '/proc/sys'");
  for (size_t i = 0; i < n; i++)
    {
      const char *key = kv[i].key, *value = kv[i].value ? kv[i].value : "";
      char rel[PATH_MAX];
      cleanup_close int fd = -1;
      size_t len = strlen (key);

      if (len >= sizeof rel)
        return mr_error_set (err, "sysctl '%s': key too long", key);
      memcpy (rel, key, len + 1);
      /* "net.ipv4.ip_forward", or already a path ("net/ipv4/conf/eth0.1/
         forwarding") when a component itself holds dots.  */
      if (strchr (rel, '/') == NULL)
        for (char *p = rel; *p; p++)
          if (*p == '.')
            *p = '/';
      fd = open_sysctl (dirfd, rel);
      if (fd < 0)
        return mr_error_errno (err, errno, "sysctl '%s': open '/proc/sys/%s'", key, rel);
      if (mr_write_all (fd, value, strlen (value)) < 0)
        return mr_error_errno (err, errno, "sysctl '%s': write '%s'", key, value);
    }
  return 0;
}

static int
read_int_file (const char *path, long *out)
{
  char buf[32];
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  ssize_t n;
  char *end;

  if (fd < 0)
    return -1;
  n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  errno = 0;
  *out = strtol (buf, &end, 10);
  if (errno != 0 || end == buf)
    return -1;
  return 0;
}

int
mr_cap_last (void)
{
  static int last = -1;
  long v;

  if (last >= 0)
    return last;
  if (read_int_file ("/proc/sys/kernel/cap_last_cap", &v) == 0 && v >= 0 && v < 64)
    last = (int)v;
  else
    last = CAP_LAST_CAP;
  return last;
}

static const char *
cap_name (int cap, char *buf, size_t size)
{
  const char *name = mr_spec_cap_name (cap);

  if (name != NULL)
    return name;
  snprintf (buf, size, "capability %d", cap);
  return buf;
}

static uint64_t
known_caps (void)
{
  int last = mr_cap_last ();

  return last >= 63 ? ~UINT64_C (0) : CAP_BIT (last + 1) - 1;
}

/* PR_CAPBSET_DROP directly rather than libcap-ng's bounding-set apply: it
   lets a failure name the capability, and capabilities already absent are
   skipped, so a runtime without CAP_SETPCAP whose bounding set is already
   small enough does not fail.  */
int
mr_caps_drop_bounding (const struct mr_spec_caps *caps, struct mr_error *err)
{
  int last = mr_cap_last ();

  for (int cap = 0; cap <= last; cap++)
    {
      char buf[32];
      int r;

      if (caps->bounding & CAP_BIT (cap))
        continue;
      r = prctl (PR_CAPBSET_READ, cap, 0, 0, 0);
      if (r == 0 || (r < 0 && errno == EINVAL))
        continue;
      if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
        return mr_error_errno (err, errno, "drop %s from the bounding set",
                               cap_name (cap, buf, sizeof buf));
    }
  return 0;
}

static bool
setgroups_denied (void)
{
  char buf[16];
  cleanup_close int fd = open ("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0)
    return false;
  n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  return strncmp (buf, "deny", 4) == 0;
}

/* Raw system calls: the child of a raw clone still has its parent's list of
   threads in glibc, whose wrappers would signal those threads to change
   their credentials too, and wait for them forever.  One thread changes.  */
int
mr_user_switch (const struct mr_spec_user *user, struct mr_error *err)
{
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return mr_error_errno (err, errno, "prctl PR_SET_KEEPCAPS");
  if (syscall (SYS_setgroups, user->n_additional_gids, user->additional_gids) < 0)
    {
      /* A user namespace whose setgroups is "deny" (rootless) can never
         call setgroups; with no groups to set there is nothing lost.  */
      if (!(errno == EPERM && user->n_additional_gids == 0 && setgroups_denied ()))
        return mr_error_errno (err, errno, "setgroups (%zu additional gids)",
                               user->n_additional_gids);
    }
  if (syscall (SYS_setresgid, user->gid, user->gid, user->gid) < 0)
    return mr_error_errno (err, errno, "setresgid to %u", (unsigned)user->gid);
  if (syscall (SYS_setresuid, user->uid, user->uid, user->uid) < 0)
    return mr_error_errno (err, errno, "setresuid to %u", (unsigned)user->uid);
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return mr_error_errno (err, errno, "prctl PR_SET_KEEPCAPS");
  if (user->umask_set)
    umask (user->umask);
  return 0;
}

static int
get_process_caps (uint64_t *permitted, uint64_t *inheritable, struct mr_error *err)
{
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2];

  memset (data, 0, sizeof data);
  if (syscall (SYS_capget, &hdr, data) < 0)
    return mr_error_errno (err, errno, "capget");
  *permitted = data[0].permitted | ((uint64_t)data[1].permitted << 32);
  *inheritable = data[0].inheritable | ((uint64_t)data[1].inheritable << 32);
  return 0;
}

static int
unavailable (int cap, struct mr_error *err)
{
  char buf[32];
  int r = prctl (PR_CAPBSET_READ, cap, 0, 0, 0);

  return mr_error_set (err, "capability %s is not available to the runtime (not in its %s set)",
                       cap_name (cap, buf, sizeof buf), r == 0 ? "bounding" : "permitted");
}

/* Which requested capabilities are errors: those above mr_cap_last() are
   dropped silently, since profiles name capabilities of newer kernels (as
   runc does).  One the kernel knows but this process lacks is an error
   that names it: capset(2) would only say EPERM, and silently running a
   container with fewer capabilities than it asked for is worse (runc and
   crun fail too).  Ambient capabilities not also in the new permitted and
   inheritable sets are skipped, since the kernel cannot raise them (runc
   and crun skip them too).  */
static int
check_caps (uint64_t eff, uint64_t prm, uint64_t inh, struct mr_error *err)
{
  uint64_t cur_prm = 0, cur_inh = 0;
  char buf[32];
  int last = mr_cap_last ();

  if (get_process_caps (&cur_prm, &cur_inh, err) < 0)
    return -1;
  for (int cap = 0; cap <= last; cap++)
    {
      uint64_t bit = CAP_BIT (cap);

      if ((eff & bit) && !(prm & bit))
        return mr_error_set (err,
                             "capability %s is in the effective set but not in the permitted set",
                             cap_name (cap, buf, sizeof buf));
      if ((prm & bit) && !(cur_prm & bit))
        return unavailable (cap, err);
      if ((inh & bit) && !(cur_prm & bit) && !(cur_inh & bit))
        return unavailable (cap, err);
      if ((inh & bit) && !(cur_inh & bit) && prctl (PR_CAPBSET_READ, cap, 0, 0, 0) != 1)
        return mr_error_set (err, "capability %s cannot be inheritable: not in the bounding set",
                             cap_name (cap, buf, sizeof buf));
    }
  return 0;
}

static int
apply_ambient (uint64_t amb, struct mr_error *err)
{
  int last = mr_cap_last ();

  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    {
      /* Kernels before 4.3 have no ambient set, so none to clear.  */
      if (errno == EINVAL && amb == 0)
        return 0;
      return mr_error_errno (err, errno, "clear the ambient capability set");
    }
  for (int cap = 0; cap <= last; cap++)
    {
      char buf[32];

      if (!(amb & CAP_BIT (cap)))
        continue;
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
        return mr_error_errno (err, errno, "raise ambient capability %s",
                               cap_name (cap, buf, sizeof buf));
    }
  return 0;
}

int
mr_caps_apply (const struct mr_spec_caps *caps, struct mr_error *err)
{
  uint64_t known = known_caps ();
  uint64_t eff = caps->effective & known;
  uint64_t prm = caps->permitted & known;
  uint64_t inh = caps->inheritable & known;
  uint64_t amb = caps->ambient & known & prm & inh;
  int last = mr_cap_last ();

  if (check_caps (eff, prm, inh, err) < 0)
    return -1;

  capng_clear (CAPNG_SELECT_CAPS);
  /* libcap-ng keeps the thread id it was first used in; in a forked child
     that can still be the parent's unless its fork handler ran.  */
  capng_setpid ((int)syscall (SYS_gettid));
  for (int cap = 0; cap <= last; cap++)
    {
      uint64_t bit = CAP_BIT (cap);
      int type = ((eff & bit) ? CAPNG_EFFECTIVE : 0) | ((prm & bit) ? CAPNG_PERMITTED : 0)
                 | ((inh & bit) ? CAPNG_INHERITABLE : 0);

      if (type != 0 && capng_update (CAPNG_ADD, (capng_type_t)type, (unsigned)cap) < 0)
        {
          char buf[32];
          return mr_error_set (err, "libcap-ng: cannot add %s", cap_name (cap, buf, sizeof buf));
        }
    }
  if (capng_apply (CAPNG_SELECT_CAPS) < 0)
    return mr_error_errno (err, errno, "set capabilities");
  /* Ambient last: raising one needs it in the new permitted and
     inheritable sets.  prctl rather than libcap-ng so that a failure
     names the capability.  */
  return apply_ambient (amb, err);
}

/* Field 6 of the /etc/passwd line whose third field is uid.  Read in pieces
   into a stack buffer, a line at a time; a line longer than the buffer is
   skipped.  */
int
mr_passwd_home (uid_t uid, char *out, size_t outlen)
{
  char buf[8192];
  size_t have = 0;
  bool skipping = false;
  struct stat st;
  cleanup_close int fd = open ("/etc/passwd", O_RDONLY | O_CLOEXEC | O_NONBLOCK);

  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || outlen == 0)
    return -1;
  for (;;)
    {
      ssize_t n = read (fd, buf + have, sizeof buf - 1 - have);
      char *line, *nl;

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (have == 0 || skipping)
            return -1;
          buf[have++] = '\n'; /* the last line, without its newline */
          n = 0;
        }
      have += (size_t)n;
      buf[have] = '\0';
      line = buf;
      while ((nl = memchr (line, '\n', have - (size_t)(line - buf))) != NULL)
        {
          char *f[7] = { line };
          int nf = 1;

          *nl = '\0';
          if (skipping)
            skipping = false;
          else
            {
              for (char *c = line; *c && nf < 7; c++)
                if (*c == ':')
                  {
                    *c = '\0';
                    f[nf++] = c + 1;
                  }
              if (nf == 7 && f[2][0] != '\0')
                {
                  char *end;
                  unsigned long v = strtoul (f[2], &end, 10);
                  if (*end == '\0' && v == (unsigned long)uid)
                    {
                      if (f[5][0] == '\0')
                        return -1;
                      snprintf (out, outlen, "%s", f[5]);
                      return 0;
                    }
                }
            }
          line = nl + 1;
        }
      have -= (size_t)(line - buf);
      memmove (buf, line, have);
      if (n == 0)
        return -1;
      if (have == sizeof buf - 1)
        {
          skipping = true;
          have = 0;
        }
    }
}

int
mr_idmap_write (pid_t pid, const char *file, const struct mr_spec_idmap *m, size_t n,
                struct mr_error *err)
{
  char path[64], buf[4096];
  size_t len = 0;

  for (size_t i = 0; i < n && len < sizeof buf; i++)
    len += (size_t)snprintf (buf + len, sizeof buf - len, "%u %u %u\n", m[i].container_id,
                             m[i].host_id, m[i].size);
  if (len >= sizeof buf)
    return mr_error_set (err, "%s: too many mappings", file);
  snprintf (path, sizeof path, "/proc/%d/%s", (int)pid, file);
  return mr_write_file (path, buf, len, err);
}
