#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>

#include "oci/spec.h"
#include "linux/creds.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/error.h"
#include "util/fs.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
/* <linux/seccomp.h> is shadowed by lib/linux/seccomp.h on the include path.  */
#ifndef SECCOMP_SET_MODE_FILTER
#define SECCOMP_SET_MODE_FILTER 1
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* Longest field path an error message names
 * ("linux.seccomp.syscalls[12].args[3].valueTwo").  */
#define PATH_LEN 256

/* ------------------------------------------------------------------------ */
/* Name tables.  */

static const char *const cap_names[] = {
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
};
#define N_CAPS ((int)(sizeof cap_names / sizeof cap_names[0]))

struct name_value
{
  const char *name;
  int value;
};

static const struct name_value rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

/* In the order features lists them.  */
static const struct name_value namespace_names[] = {
  { "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC }, { "mount", CLONE_NEWNS },
  { "network", CLONE_NEWNET },   { "pid", CLONE_NEWPID }, { "time", CLONE_NEWTIME },
  { "user", CLONE_NEWUSER },     { "uts", CLONE_NEWUTS },
};

static const struct name_value propagation_names[] = {
  { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
  { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
  { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
  { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

/* Indexed by enum mr_seccomp_action.  */
static const char *const seccomp_action_names[] = {
  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
  "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY",
};

/* Indexed by enum mr_seccomp_op.  */
static const char *const seccomp_op_names[] = {
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
  "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

static const struct
{
  const char *name;
  unsigned long flag;
} seccomp_flags[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

/* Architectures libseccomp 2.5 knows, for the features document.  */
static const char *const seccomp_archs[] = {
  "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
  "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
};

/* In a recursive option's flag: the attribute is cleared, not set;
   the atime mode is replaced (MOUNT_ATTR__ATIME cleared first).  */
#define RATTR_CLEAR (1UL << 30)
#define RATTR_ATIME (1UL << 31)

enum mount_opt_kind
{
  OPT_SET,
  OPT_CLEAR,
  OPT_PROPAGATION,
  OPT_TMPCOPYUP,
  OPT_NOOP,
  OPT_RECURSIVE_ATTR, /* MOUNT_ATTR_* on the whole tree, with the RATTR_ bits */
  OPT_IDMAP,          /* id-mapped mounts: not supported */
};

static const struct mount_opt
{
  const char *name;
  enum mount_opt_kind kind;
  unsigned long flag;
} mount_opts[] = {
  { "defaults", OPT_NOOP, 0 },
  { "ro", OPT_SET, MS_RDONLY },
  { "rw", OPT_CLEAR, MS_RDONLY },
  { "nosuid", OPT_SET, MS_NOSUID },
  { "suid", OPT_CLEAR, MS_NOSUID },
  { "nodev", OPT_SET, MS_NODEV },
  { "dev", OPT_CLEAR, MS_NODEV },
  { "noexec", OPT_SET, MS_NOEXEC },
  { "exec", OPT_CLEAR, MS_NOEXEC },
  { "sync", OPT_SET, MS_SYNCHRONOUS },
  { "async", OPT_CLEAR, MS_SYNCHRONOUS },
  { "dirsync", OPT_SET, MS_DIRSYNC },
  { "remount", OPT_SET, MS_REMOUNT },
  { "mand", OPT_SET, MS_MANDLOCK },
  { "nomand", OPT_CLEAR, MS_MANDLOCK },
  { "noatime", OPT_SET, MS_NOATIME },
  { "atime", OPT_CLEAR, MS_NOATIME },
  { "nodiratime", OPT_SET, MS_NODIRATIME },
  { "diratime", OPT_CLEAR, MS_NODIRATIME },
  { "relatime", OPT_SET, MS_RELATIME },
  { "norelatime", OPT_CLEAR, MS_RELATIME },
  { "strictatime", OPT_SET, MS_STRICTATIME },
  { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
  { "lazytime", OPT_SET, MS_LAZYTIME },
  { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
  { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
  { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
  { "iversion", OPT_SET, MS_I_VERSION },
  { "noiversion", OPT_CLEAR, MS_I_VERSION },
  { "silent", OPT_SET, MS_SILENT },
  { "loud", OPT_CLEAR, MS_SILENT },
  { "bind", OPT_SET, MS_BIND },
  { "rbind", OPT_SET, MS_BIND | MS_REC },
  { "private", OPT_PROPAGATION, MS_PRIVATE },
  { "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
  { "shared", OPT_PROPAGATION, MS_SHARED },
  { "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
  { "slave", OPT_PROPAGATION, MS_SLAVE },
  { "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
  { "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
  { "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
  { "tmpcopyup", OPT_TMPCOPYUP, 0 },
  { "rro", OPT_RECURSIVE_ATTR, MOUNT_ATTR_RDONLY },
  { "rrw", OPT_RECURSIVE_ATTR, RATTR_CLEAR | MOUNT_ATTR_RDONLY },
  { "rnosuid", OPT_RECURSIVE_ATTR, MOUNT_ATTR_NOSUID },
  { "rsuid", OPT_RECURSIVE_ATTR, RATTR_CLEAR | MOUNT_ATTR_NOSUID },
  { "rnodev", OPT_RECURSIVE_ATTR, MOUNT_ATTR_NODEV },
  { "rdev", OPT_RECURSIVE_ATTR, RATTR_CLEAR | MOUNT_ATTR_NODEV },
  { "rnoexec", OPT_RECURSIVE_ATTR, MOUNT_ATTR_NOEXEC },
  { "rexec", OPT_RECURSIVE_ATTR, RATTR_CLEAR | MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OPT_RECURSIVE_ATTR, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", OPT_RECURSIVE_ATTR, RATTR_CLEAR | MOUNT_ATTR_NODIRATIME },
  { "rrelatime", OPT_RECURSIVE_ATTR, RATTR_ATIME | MOUNT_ATTR_RELATIME },
  { "rnorelatime", OPT_RECURSIVE_ATTR, RATTR_ATIME | MOUNT_ATTR_STRICTATIME },
  { "rnoatime", OPT_RECURSIVE_ATTR, RATTR_ATIME | MOUNT_ATTR_NOATIME },
  { "ratime", OPT_RECURSIVE_ATTR, RATTR_ATIME | MOUNT_ATTR_RELATIME },
  { "rstrictatime", OPT_RECURSIVE_ATTR, RATTR_ATIME | MOUNT_ATTR_STRICTATIME },
  { "rnostrictatime", OPT_RECURSIVE_ATTR, RATTR_ATIME | MOUNT_ATTR_RELATIME },
  { "rnosymfollow", OPT_RECURSIVE_ATTR, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", OPT_RECURSIVE_ATTR, RATTR_CLEAR | MOUNT_ATTR_NOSYMFOLLOW },
  { "idmap", OPT_IDMAP, 0 },
  { "ridmap", OPT_IDMAP, 0 },
};

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

static int
name_lookup (const struct name_value *table, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (table[i].name, name) == 0)
      return table[i].value;
  return -1;
}

static int
index_of (const char *const *names, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (names[i], name) == 0)
      return (int)i;
  return -1;
}

int
mr_spec_cap_from_name (const char *name)
{
  if (name == NULL)
    return -1;
  return index_of (cap_names, N_CAPS, name);
}

const char *
mr_spec_cap_name (int cap)
{
  if (cap < 0 || cap >= N_CAPS)
    return NULL;
  return cap_names[cap];
}

int
mr_spec_rlimit_from_name (const char *name)
{
  if (name == NULL)
    return -1;
  return name_lookup (rlimit_names, N_ELEMENTS (rlimit_names), name);
}

int
mr_spec_namespace_from_name (const char *name)
{
  if (name == NULL)
    return -1;
  return name_lookup (namespace_names, N_ELEMENTS (namespace_names), name);
}

const struct mr_spec_namespace *
mr_spec_find_namespace (const struct mr_spec *spec, int type)
{
  if (spec == NULL)
    return NULL;
  for (size_t i = 0; i < spec->linux.n_namespaces; i++)
    if (spec->linux.namespaces[i].type == type)
      return &spec->linux.namespaces[i];
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Freeing.  Every parser stores what it allocates into the struct at once
 * (arrays with their final count, zero-filled), so these also free a struct
 * that a failed parse left half-filled.  */

static void
strv_free (char **v)
{
  if (v == NULL)
    return;
  for (char **p = v; *p; p++)
    free (*p);
  free (v);
}

static void
kv_free (struct mr_spec_kv *kv, size_t n)
{
  if (kv == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    {
      free (kv[i].key);
      free (kv[i].value);
    }
  free (kv);
}

static void
hooks_free (struct mr_spec_hook *h, size_t n)
{
  if (h == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    {
      free (h[i].path);
      strv_free (h[i].args);
      strv_free (h[i].env);
    }
  free (h);
}

void
mr_spec_process_clear (struct mr_spec_process *p)
{
  if (p == NULL)
    return;
  free (p->user.additional_gids);
  strv_free (p->args);
  strv_free (p->env);
  free (p->cwd);
  free (p->rlimits);
  free (p->caps.unknown);
  free (p->cpu_affinity_initial);
  free (p->cpu_affinity_final);
  free (p->apparmor_profile);
  free (p->selinux_label);
  memset (p, 0, sizeof *p);
}

void
mr_spec_resources_free (struct mr_spec_resources *r)
{
  if (r == NULL)
    return;
  free (r->devices);
  free (r->cpu.cpus);
  free (r->cpu.mems);
  free (r->blkio_weight_devices);
  for (size_t k = 0; k < MR_BLKIO_THROTTLE_N; k++)
    free (r->blkio_throttle[k]);
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    free (r->hugepage_limits[i].page_size);
  free (r->hugepage_limits);
  for (size_t i = 0; i < r->n_net_priorities; i++)
    free (r->net_priorities[i].name);
  free (r->net_priorities);
  for (size_t i = 0; i < r->n_rdma; i++)
    free (r->rdma[i].device);
  free (r->rdma);
  kv_free (r->unified, r->n_unified);
  free (r);
}

static void
seccomp_free (struct mr_spec_seccomp *sc)
{
  if (sc == NULL)
    return;
  strv_free (sc->architectures);
  strv_free (sc->flags);
  free (sc->listener_path);
  free (sc->listener_metadata);
  if (sc->syscalls)
    for (size_t i = 0; i < sc->n_syscalls; i++)
      {
        strv_free (sc->syscalls[i].names);
        free (sc->syscalls[i].args);
      }
  free (sc->syscalls);
  free (sc);
}

void
mr_spec_free (struct mr_spec *spec)
{
  struct mr_spec_linux *lx;

  if (spec == NULL)
    return;
  free (spec->oci_version);
  mr_spec_process_clear (&spec->process);
  free (spec->root_path);
  free (spec->hostname);
  free (spec->domainname);
  if (spec->mounts)
    for (size_t i = 0; i < spec->n_mounts; i++)
      {
        free (spec->mounts[i].destination);
        free (spec->mounts[i].source);
        free (spec->mounts[i].type);
        free (spec->mounts[i].data);
        free (spec->mounts[i].uid_mappings);
        free (spec->mounts[i].gid_mappings);
      }
  free (spec->mounts);
  hooks_free (spec->hooks.prestart, spec->hooks.n_prestart);
  hooks_free (spec->hooks.create_runtime, spec->hooks.n_create_runtime);
  hooks_free (spec->hooks.create_container, spec->hooks.n_create_container);
  hooks_free (spec->hooks.start_container, spec->hooks.n_start_container);
  hooks_free (spec->hooks.poststart, spec->hooks.n_poststart);
  hooks_free (spec->hooks.poststop, spec->hooks.n_poststop);
  kv_free (spec->annotations, spec->n_annotations);

  lx = &spec->linux;
  if (lx->namespaces)
    for (size_t i = 0; i < lx->n_namespaces; i++)
      free (lx->namespaces[i].path);
  free (lx->namespaces);
  free (lx->uid_mappings);
  free (lx->gid_mappings);
  kv_free (lx->sysctl, lx->n_sysctl);
  mr_spec_resources_free (lx->resources);
  free (lx->cgroups_path);
  if (lx->devices)
    for (size_t i = 0; i < lx->n_devices; i++)
      free (lx->devices[i].path);
  free (lx->devices);
  seccomp_free (lx->seccomp);
  strv_free (lx->masked_paths);
  strv_free (lx->readonly_paths);
  free (lx->mount_label);
  free (spec);
}

/* ------------------------------------------------------------------------ */
/* Parsing context, field paths and error messages.  */

struct pctx
{
  const char *name;
  struct mr_error *err;
};

static int fail (struct pctx *pc, const char *path, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* "NAME: PATH: MESSAGE", or "NAME: MESSAGE" for the document itself.  */
static int
fail (struct pctx *pc, const char *path, const char *fmt, ...)
{
  char msg[MR_ERROR_MSG_MAX];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  if (path == NULL || *path == '\0')
    return mr_error_set (pc->err, "%s: %s", pc->name, msg);
  return mr_error_set (pc->err, "%s: %s: %s", pc->name, path, msg);
}

static int
oom (struct pctx *pc)
{
  return mr_error_errno (pc->err, ENOMEM, "%s", pc->name);
}

/* A path too long for the buffer ends in "..." rather than mid-name.  */
static const char *
path_done (char *buf, int n)
{
  if (n < 0 || n >= PATH_LEN)
    memcpy (buf + PATH_LEN - 4, "...", 4);
  return buf;
}

static const char *
key_path (char *buf, const char *parent, const char *key)
{
  int n;

  if (parent == NULL || *parent == '\0')
    n = snprintf (buf, PATH_LEN, "%s", key);
  else
    n = snprintf (buf, PATH_LEN, "%s.%s", parent, key);
  return path_done (buf, n);
}

static const char *
index_path (char *buf, const char *parent, size_t i)
{
  return path_done (buf, snprintf (buf, PATH_LEN, "%s[%zu]", parent, i));
}

static int
missing (struct pctx *pc, const char *parent, const char *key)
{
  char p[PATH_LEN];
  return fail (pc, key_path (p, parent, key), "required field is missing");
}

/* A member of an object; null counts as absent, as Go's encoding/json
 * (and so every engine that writes config.json) treats it.  */
static json_t *
member (json_t *obj, const char *key)
{
  json_t *v = json_object_get (obj, key);
  return json_is_null (v) ? NULL : v;
}

/* ------------------------------------------------------------------------ */
/* Integers above INT64_MAX.  jansson keeps integers as long long, but Go
 * writes uint64 fields such as RLIM_INFINITY (18446744073709551615) in full.
 * When jansson refuses such a number, each one is rewritten as a string made
 * of a NUL and 11 base-64 digits ("\u0000" plus the digits between quotes is
 * exactly 19 bytes, 20 with a trailing space), so that nothing after it moves
 * and jansson's line and column numbers still point into the original
 * text.  No legitimate string can start with a NUL: every string reader
 * rejects NUL bytes.  */

static const char big_digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
#define BIG_NDIGITS 11

static bool
is_big (json_t *v, uint64_t *out)
{
  const char *s;
  size_t len;
  uint64_t n = 0;

  if (!json_is_string (v))
    return false;
  s = json_string_value (v);
  len = json_string_length (v);
  if (len < 1 + BIG_NDIGITS || len > 2 + BIG_NDIGITS || s[0] != '\0')
    return false;
  if (len == 2 + BIG_NDIGITS && s[len - 1] != ' ')
    return false;
  for (size_t i = 1; i <= BIG_NDIGITS; i++)
    {
      const char *d = s[i] ? memchr (big_digits, s[i], 64) : NULL;
      if (d == NULL)
        return false;
      n = (n << 6) | (uint64_t)(d - big_digits);
    }
  if (out)
    *out = n;
  return true;
}

static char *
quote_big_integers (const char *json, size_t len)
{
  char *out = malloc (len + 1);
  size_t i = 0;

  if (out == NULL)
    return NULL;
  memcpy (out, json, len);
  out[len] = '\0';
  while (i < len)
    {
      size_t start = i, n;
      bool digits = true;
      char tmp[21];
      unsigned long long v;
      char *end;

      if (out[i] == '"')
        {
          for (i++; i < len && out[i] != '"'; i++)
            if (out[i] == '\\')
              i++;
          i++;
          continue;
        }
      if (out[i] != '-' && !isdigit ((unsigned char)out[i]))
        {
          i++;
          continue;
        }
      for (; i < len && out[i] != '\0' && strchr ("0123456789+-.eE", out[i]); i++)
        if (!isdigit ((unsigned char)out[i]))
          digits = false;
      n = i - start;
      if (!digits || out[start] == '0' || (n != 19 && n != 20))
        continue;
      memcpy (tmp, out + start, n);
      tmp[n] = '\0';
      errno = 0;
      v = strtoull (tmp, &end, 10);
      if (errno != 0 || *end != '\0' || v <= INT64_MAX)
        continue;
      memcpy (out + start, "\"\\u0000", 7);
      for (int d = BIG_NDIGITS - 1; d >= 0; d--)
        {
          out[start + 7 + (size_t)d] = big_digits[v & 63];
          v >>= 6;
        }
      if (n == 20)
        out[start + 7 + BIG_NDIGITS] = ' ';
      out[start + n - 1] = '"';
    }
  return out;
}

static int
load_json (struct pctx *pc, const char *json, size_t len, json_t **out)
{
  const size_t flags = JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL;
  json_error_t jerr;
  json_t *j;

  if (json == NULL)
    return fail (pc, NULL, "no document");
  j = json_loadb (json, len, flags, &jerr);
  if (j == NULL && json_error_code (&jerr) == json_error_numeric_overflow)
    {
      cleanup_free char *quoted = quote_big_integers (json, len);
      if (quoted == NULL)
        return oom (pc);
      j = json_loadb (quoted, len, flags, &jerr);
    }
  if (j == NULL)
    return mr_error_set (pc->err, "%s: line %d, column %d: %s", pc->name, jerr.line, jerr.column,
                         jerr.text);
  if (!json_is_object (j))
    {
      json_decref (j);
      return fail (pc, NULL, "expected an object");
    }
  *out = j;
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Typed readers.  v_* check one value; read_* look a member up and return
 * 1 when it is set, 0 when absent (an error when `req`), -1 on error.  */

static int
v_cstr (struct pctx *pc, json_t *v, const char *path, const char **out)
{
  const char *s;

  if (!json_is_string (v) || is_big (v, NULL))
    return fail (pc, path, "expected a string");
  s = json_string_value (v);
  if (strlen (s) != json_string_length (v))
    return fail (pc, path, "must not contain a NUL byte");
  *out = s;
  return 0;
}

static int
v_string (struct pctx *pc, json_t *v, const char *path, char **out)
{
  const char *s;

  if (v_cstr (pc, v, path, &s) < 0)
    return -1;
  *out = strdup (s);
  if (*out == NULL)
    return oom (pc);
  return 0;
}

static int
v_int64 (struct pctx *pc, json_t *v, const char *path, int64_t min, int64_t max, int64_t *out)
{
  uint64_t big;
  json_int_t n;

  if (is_big (v, &big))
    return fail (pc, path, "%" PRIu64 " is out of range (%" PRId64 "..%" PRId64 ")", big, min, max);
  if (!json_is_integer (v))
    return fail (pc, path, "expected an integer");
  n = json_integer_value (v);
  if (n < min || n > max)
    return fail (pc, path, "%lld is out of range (%" PRId64 "..%" PRId64 ")", (long long)n, min,
                 max);
  *out = n;
  return 0;
}

static int
v_uint64 (struct pctx *pc, json_t *v, const char *path, uint64_t max, uint64_t *out)
{
  uint64_t n;

  if (!is_big (v, &n))
    {
      if (!json_is_integer (v))
        return fail (pc, path, "expected an integer");
      if (json_integer_value (v) < 0)
        return fail (pc, path, "expected a non-negative integer");
      n = (uint64_t)json_integer_value (v);
    }
  if (n > max)
    return fail (pc, path, "%" PRIu64 " is out of range (0..%" PRIu64 ")", n, max);
  *out = n;
  return 0;
}

static int
v_object (struct pctx *pc, json_t *v, const char *path)
{
  if (!json_is_object (v))
    return fail (pc, path, "expected an object");
  return 0;
}

static int
v_strv (struct pctx *pc, json_t *v, const char *path, char ***out, size_t *n_out)
{
  char p[PATH_LEN];
  size_t i, n;
  json_t *e;

  if (!json_is_array (v))
    return fail (pc, path, "expected an array");
  n = json_array_size (v);
  *out = calloc (n + 1, sizeof (char *));
  if (*out == NULL)
    return oom (pc);
  if (n_out)
    *n_out = n;
  json_array_foreach (v, i,
                      e) if (v_string (pc, e, index_path (p, path, i), &(*out)[i]) < 0) return -1;
  return 0;
}

static int
check_absolute (struct pctx *pc, const char *path, const char *s)
{
  if (s[0] != '/')
    return fail (pc, path, "'%s' is not an absolute path", s);
  return 0;
}

#define READER_BEGIN                                                                               \
  char p[PATH_LEN];                                                                                \
  json_t *v = member (obj, key);                                                                   \
  if (v == NULL)                                                                                   \
    return req ? missing (pc, parent, key) : 0;                                                    \
  key_path (p, parent, key)

static int
read_string (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
             char **out)
{
  READER_BEGIN;
  return v_string (pc, v, p, out) < 0 ? -1 : 1;
}

static int
read_cstr (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
           const char **out)
{
  READER_BEGIN;
  return v_cstr (pc, v, p, out) < 0 ? -1 : 1;
}

static int
read_abs_path (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
               char **out)
{
  READER_BEGIN;
  if (v_string (pc, v, p, out) < 0 || check_absolute (pc, p, *out) < 0)
    return -1;
  return 1;
}

static int
read_bool (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req, bool *out)
{
  READER_BEGIN;
  if (!json_is_boolean (v))
    return fail (pc, p, "expected a boolean");
  *out = json_is_true (v);
  return 1;
}

static int
read_int64 (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
            int64_t min, int64_t max, int64_t *out)
{
  READER_BEGIN;
  return v_int64 (pc, v, p, min, max, out) < 0 ? -1 : 1;
}

static int
read_uint64 (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
             uint64_t max, uint64_t *out)
{
  READER_BEGIN;
  return v_uint64 (pc, v, p, max, out) < 0 ? -1 : 1;
}

static int
read_uint32 (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
             uint32_t max, uint32_t *out)
{
  uint64_t n;
  int r = read_uint64 (pc, obj, parent, key, req, max, &n);
  if (r > 0)
    *out = (uint32_t)n;
  return r;
}

static int
read_object (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
             json_t **out)
{
  READER_BEGIN;
  *out = NULL;
  if (v_object (pc, v, p) < 0)
    return -1;
  *out = v;
  return 1;
}

static int
read_array (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
            json_t **out)
{
  READER_BEGIN;
  *out = NULL;
  if (!json_is_array (v))
    return fail (pc, p, "expected an array");
  *out = v;
  return 1;
}

static int
read_strv (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req, char ***out,
           size_t *n_out)
{
  READER_BEGIN;
  return v_strv (pc, v, p, out, n_out) < 0 ? -1 : 1;
}

/* An array of absolute paths.  */
static int
read_path_list (struct pctx *pc, json_t *obj, const char *parent, const char *key, char ***out,
                size_t *n_out)
{
  char p[PATH_LEN], ep[PATH_LEN];
  int r = read_strv (pc, obj, parent, key, false, out, n_out);

  if (r <= 0)
    return r;
  key_path (p, parent, key);
  for (size_t i = 0; (*out)[i]; i++)
    if (check_absolute (pc, index_path (ep, p, i), (*out)[i]) < 0)
      return -1;
  return 1;
}

/* An object whose values are all strings.  */
static int
read_kv (struct pctx *pc, json_t *obj, const char *parent, const char *key, struct mr_spec_kv **out,
         size_t *n_out)
{
  char p[PATH_LEN], ep[PATH_LEN];
  json_t *o, *v;
  const char *k;
  size_t i = 0;
  int r = read_object (pc, obj, parent, key, false, &o);

  if (r <= 0)
    return r;
  key_path (p, parent, key);
  *out = calloc (json_object_size (o) + 1, sizeof **out);
  if (*out == NULL)
    return oom (pc);
  *n_out = json_object_size (o);
  json_object_foreach (o, k, v)
  {
    key_path (ep, p, k);
    (*out)[i].key = strdup (k);
    if ((*out)[i].key == NULL)
      return oom (pc);
    if (v_string (pc, v, ep, &(*out)[i].value) < 0)
      return -1;
    i++;
  }
  return 1;
}

/* Allocates a zeroed array for a JSON array and stores it with its count at
 * once, so that a later failure frees it with the rest of the struct.  */
static int
alloc_array (struct pctx *pc, json_t *a, size_t elem, void **out, size_t *n)
{
  *n = json_array_size (a);
  *out = calloc (*n ? *n : 1, elem);
  if (*out == NULL)
    {
      *n = 0;
      return oom (pc);
    }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* process */

int
mr_cpu_list_parse (const char *list, cpu_set_t *set)
{
  const char *c = list;

  CPU_ZERO (set);
  if (*c == '\0')
    return -1;
  for (;;)
    {
      char *end;
      unsigned long lo, hi;

      if (*c < '0' || *c > '9')
        return -1;
      lo = strtoul (c, &end, 10);
      hi = lo;
      if (*end == '-')
        {
          c = end + 1;
          if (*c < '0' || *c > '9')
            return -1;
          hi = strtoul (c, &end, 10);
        }
      if (hi < lo || hi >= CPU_SETSIZE)
        return -1;
      for (unsigned long i = lo; i <= hi; i++)
        CPU_SET (i, set);
      if (*end == '\0')
        return 0;
      if (*end != ',')
        return -1;
      c = end + 1;
    }
}

static const struct
{
  const char *name;
  int value;
} sched_policies[] = {
  { "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 }, { "SCHED_RR", 2 },      { "SCHED_BATCH", 3 },
  { "SCHED_ISO", 4 },   { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 },
}, sched_flag_names[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },
  { "SCHED_FLAG_DL_OVERRUN", 0x04 },    { "SCHED_FLAG_KEEP_POLICY", 0x08 },
  { "SCHED_FLAG_KEEP_PARAMS", 0x10 },   { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
}, ioprio_classes[] = {
  { "IOPRIO_CLASS_RT", 1 }, { "IOPRIO_CLASS_BE", 2 }, { "IOPRIO_CLASS_IDLE", 3 },
}, personality_domains[] = {
  { "LINUX", 0x0000 }, { "LINUX32", 0x0008 },
};

#define LOOKUP(table, name, out)                                                                   \
  ({                                                                                               \
    bool found_ = false;                                                                           \
    for (size_t i_ = 0; i_ < N_ELEMENTS (table) && !found_; i_++)                                  \
      if (strcmp (table[i_].name, (name)) == 0)                                                    \
        {                                                                                          \
          *(out) = table[i_].value;                                                                \
          found_ = true;                                                                           \
        }                                                                                          \
    found_;                                                                                        \
  })

static int
parse_scheduler (struct pctx *pc, json_t *o, const char *path, struct mr_spec_process *proc)
{
  char p[PATH_LEN], ep[PATH_LEN];
  const char *name;
  int64_t n;
  json_t *a, *e;
  size_t i;
  int r;

  if (read_cstr (pc, o, path, "policy", true, &name) < 0)
    return -1;
  if (!LOOKUP (sched_policies, name, &proc->sched_policy))
    return fail (pc, key_path (p, path, "policy"), "unknown scheduling policy '%s'", name);
  r = read_int64 (pc, o, path, "nice", false, -20, 19, &n);
  if (r < 0)
    return -1;
  proc->sched_nice = r > 0 ? (int)n : 0;
  if (read_int64 (pc, o, path, "priority", false, 0, 99, &n) < 0)
    return -1;
  proc->sched_priority = (uint32_t)(json_is_integer (member (o, "priority")) ? n : 0);
  if ((proc->sched_policy == 1 || proc->sched_policy == 2) && proc->sched_priority == 0)
    return fail (pc, key_path (p, path, "priority"), "%s needs a priority of 1 to 99", name);
  if (proc->sched_policy != 1 && proc->sched_policy != 2 && proc->sched_priority != 0)
    return fail (pc, key_path (p, path, "priority"), "only SCHED_FIFO and SCHED_RR take one");
  r = read_array (pc, o, path, "flags", false, &a);
  if (r < 0)
    return -1;
  key_path (p, path, "flags");
  if (r > 0)
    json_array_foreach (a, i, e)
    {
      int bit;
      if (v_cstr (pc, e, index_path (ep, p, i), &name) < 0)
        return -1;
      if (!LOOKUP (sched_flag_names, name, &bit))
        return fail (pc, ep, "unknown scheduler flag '%s'", name);
      proc->sched_flags |= (uint64_t)bit;
    }
  if (read_uint64 (pc, o, path, "runtime", false, UINT64_MAX, &proc->sched_runtime) < 0
      || read_uint64 (pc, o, path, "deadline", false, UINT64_MAX, &proc->sched_deadline) < 0
      || read_uint64 (pc, o, path, "period", false, UINT64_MAX, &proc->sched_period) < 0)
    return -1;
  proc->scheduler_set = true;
  return 0;
}

static int
parse_process_12 (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_process *proc)
{
  char p[PATH_LEN], kp[PATH_LEN];
  const char *name;
  json_t *o;
  int64_t n;
  int r;

  r = read_object (pc, obj, path, "scheduler", false, &o);
  if (r < 0 || (r > 0 && parse_scheduler (pc, o, key_path (p, path, "scheduler"), proc) < 0))
    return -1;

  r = read_object (pc, obj, path, "ioPriority", false, &o);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      key_path (p, path, "ioPriority");
      if (read_cstr (pc, o, p, "class", true, &name) < 0)
        return -1;
      if (!LOOKUP (ioprio_classes, name, &proc->ioprio_class))
        return fail (pc, key_path (kp, p, "class"), "unknown I/O priority class '%s'", name);
      r = read_int64 (pc, o, p, "priority", false, 0, 7, &n);
      if (r < 0)
        return -1;
      proc->ioprio_level = r > 0 ? (int)n : 0;
      proc->ioprio_set = true;
    }

  r = read_object (pc, obj, path, "personality", false, &o);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      int dom;
      json_t *a;
      key_path (p, path, "personality");
      if (read_cstr (pc, o, p, "domain", true, &name) < 0)
        return -1;
      if (!LOOKUP (personality_domains, name, &dom))
        return fail (pc, key_path (kp, p, "domain"), "unknown personality domain '%s'", name);
      /* no flag is defined yet: one given is one we cannot honour */
      r = read_array (pc, o, p, "flags", false, &a);
      if (r < 0)
        return -1;
      if (r > 0 && json_array_size (a) > 0)
        return fail (pc, key_path (kp, p, "flags"), "no personality flag is supported");
      proc->personality = (unsigned long)dom;
      proc->personality_set = true;
    }

  r = read_object (pc, obj, path, "execCPUAffinity", false, &o);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      char *const *lists[] = { &proc->cpu_affinity_initial, &proc->cpu_affinity_final };
      static const char *const keys[] = { "initial", "final" };
      key_path (p, path, "execCPUAffinity");
      for (size_t k = 0; k < 2; k++)
        {
          char **out = (char **)lists[k];
          cpu_set_t set;
          r = read_string (pc, o, p, keys[k], false, out);
          if (r < 0)
            return -1;
          if (r > 0 && mr_cpu_list_parse (*out, &set) < 0)
            return fail (pc, key_path (kp, p, keys[k]), "'%s' is not a cpu list (as \"0-3,7\")",
                         *out);
        }
    }
  return 0;
}

/* Appends name to the space-separated list *list, once.  */
static int
add_unknown_cap (char **list, const char *name)
{
  size_t len = *list ? strlen (*list) : 0, nlen = strlen (name);
  char *l;

  if (*list)
    for (const char *s = *list; (s = strstr (s, name)) != NULL; s += nlen)
      if ((s == *list || s[-1] == ' ') && (s[nlen] == ' ' || s[nlen] == '\0'))
        return 0;
  l = realloc (*list, len + nlen + 2);
  if (l == NULL)
    return -1;
  if (len)
    l[len++] = ' ';
  memcpy (l + len, name, nlen + 1);
  *list = l;
  return 0;
}

static int
parse_caps (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_caps *caps)
{
  static const char *const keys[]
      = { "bounding", "effective", "inheritable", "permitted", "ambient" };
  uint64_t *sets[]
      = { &caps->bounding, &caps->effective, &caps->inheritable, &caps->permitted, &caps->ambient };
  char p[PATH_LEN], ep[PATH_LEN];

  for (size_t k = 0; k < N_ELEMENTS (keys); k++)
    {
      json_t *a, *e;
      size_t i;
      int r = read_array (pc, obj, path, keys[k], false, &a);
      if (r < 0)
        return -1;
      if (r == 0)
        continue;
      key_path (p, path, keys[k]);
      json_array_foreach (a, i, e)
      {
        const char *name;
        int cap;
        if (v_cstr (pc, e, index_path (ep, p, i), &name) < 0)
          return -1;
        cap = mr_spec_cap_from_name (name);
        /* a newer kernel's capability, or a typo: skipped, as runc skips
           it, and named so that the caller can warn */
        if (cap < 0)
          {
            if (add_unknown_cap (&caps->unknown, name) < 0)
              return oom (pc);
            continue;
          }
        *sets[k] |= UINT64_C (1) << cap;
      }
    }
  return 0;
}

static int
parse_rlimits (struct pctx *pc, json_t *a, const char *path, struct mr_spec_process *proc)
{
  char p[PATH_LEN], tp[PATH_LEN];
  size_t i;
  json_t *e;

  if (alloc_array (pc, a, sizeof *proc->rlimits, (void **)&proc->rlimits, &proc->n_rlimits) < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_rlimit *rl = &proc->rlimits[i];
    const char *type;

    index_path (p, path, i);
    if (v_object (pc, e, p) < 0)
      return -1;
    if (read_cstr (pc, e, p, "type", true, &type) < 0)
      return -1;
    key_path (tp, p, "type");
    rl->resource = mr_spec_rlimit_from_name (type);
    if (rl->resource < 0)
      return fail (pc, tp, "unknown rlimit '%s'", type);
    for (size_t j = 0; j < i; j++)
      if (proc->rlimits[j].resource == rl->resource)
        return fail (pc, tp, "duplicate rlimit '%s'", type);
    if (read_uint64 (pc, e, p, "soft", true, UINT64_MAX, &rl->soft) < 0
        || read_uint64 (pc, e, p, "hard", true, UINT64_MAX, &rl->hard) < 0)
      return -1;
    if (rl->soft > rl->hard)
      return fail (pc, p, "soft limit %" PRIu64 " is greater than hard limit %" PRIu64, rl->soft,
                   rl->hard);
  }
  return 0;
}

static int
parse_user (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_user *u)
{
  char p[PATH_LEN], ep[PATH_LEN];
  uint32_t id = 0;
  uint64_t umask;
  json_t *a, *e;
  size_t i;
  int r;

  if (read_uint32 (pc, obj, path, "uid", false, UINT32_MAX, &id) < 0)
    return -1;
  u->uid = id;
  id = 0;
  if (read_uint32 (pc, obj, path, "gid", false, UINT32_MAX, &id) < 0)
    return -1;
  u->gid = id;
  r = read_uint64 (pc, obj, path, "umask", false, 0777, &umask);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      u->umask_set = true;
      u->umask = (mode_t)umask;
    }
  r = read_array (pc, obj, path, "additionalGids", false, &a);
  if (r <= 0)
    return r;
  key_path (p, path, "additionalGids");
  if (alloc_array (pc, a, sizeof (gid_t), (void **)&u->additional_gids, &u->n_additional_gids) < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    uint64_t g;
    if (v_uint64 (pc, e, index_path (ep, p, i), UINT32_MAX, &g) < 0)
      return -1;
    u->additional_gids[i] = (gid_t)g;
  }
  return 0;
}

static int
parse_process (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_process *proc)
{
  char p[PATH_LEN], ep[PATH_LEN];
  json_t *o, *a;
  uint64_t n;
  int64_t adj;
  int r;

  if (v_object (pc, obj, path) < 0)
    return -1;
  if (read_bool (pc, obj, path, "terminal", false, &proc->terminal) < 0)
    return -1;

  r = read_object (pc, obj, path, "consoleSize", false, &o);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      key_path (p, path, "consoleSize");
      if (read_uint64 (pc, o, p, "height", true, UINT16_MAX, &n) < 0)
        return -1;
      proc->console_height = (unsigned)n;
      if (read_uint64 (pc, o, p, "width", true, UINT16_MAX, &n) < 0)
        return -1;
      proc->console_width = (unsigned)n;
    }

  r = read_object (pc, obj, path, "user", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && parse_user (pc, o, key_path (p, path, "user"), &proc->user) < 0)
    return -1;

  key_path (p, path, "args");
  a = member (obj, "args");
  if (a == NULL || !json_is_array (a) || json_array_size (a) == 0)
    return fail (pc, p, "must be a non-empty array of strings");
  if (v_strv (pc, a, p, &proc->args, &proc->n_args) < 0)
    return -1;

  r = read_strv (pc, obj, path, "env", false, &proc->env, &proc->n_env);
  if (r < 0)
    return -1;
  key_path (p, path, "env");
  for (size_t i = 0; r > 0 && proc->env[i]; i++)
    if (proc->env[i][0] == '=' || strchr (proc->env[i], '=') == NULL)
      return fail (pc, index_path (ep, p, i), "'%s' is not of the form NAME=VALUE", proc->env[i]);

  r = read_abs_path (pc, obj, path, "cwd", false, &proc->cwd);
  if (r < 0)
    return -1;
  if (r == 0 && (proc->cwd = strdup ("/")) == NULL)
    return oom (pc);

  r = read_object (pc, obj, path, "capabilities", false, &o);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      proc->caps_set = true;
      if (parse_caps (pc, o, key_path (p, path, "capabilities"), &proc->caps) < 0)
        return -1;
    }

  r = read_array (pc, obj, path, "rlimits", false, &a);
  if (r < 0)
    return -1;
  if (r > 0 && parse_rlimits (pc, a, key_path (p, path, "rlimits"), proc) < 0)
    return -1;

  if (read_bool (pc, obj, path, "noNewPrivileges", false, &proc->no_new_privileges) < 0)
    return -1;
  r = read_int64 (pc, obj, path, "oomScoreAdj", false, -1000, 1000, &adj);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      proc->oom_score_adj_set = true;
      proc->oom_score_adj = (int)adj;
    }
  if (read_string (pc, obj, path, "apparmorProfile", false, &proc->apparmor_profile) < 0
      || read_string (pc, obj, path, "selinuxLabel", false, &proc->selinux_label) < 0)
    return -1;
  return parse_process_12 (pc, obj, path, proc);
}

/* ------------------------------------------------------------------------ */
/* mounts */

static int
append_data (struct pctx *pc, char **data, const char *opt)
{
  size_t old = *data ? strlen (*data) : 0, add = strlen (opt);
  char *n = realloc (*data, old + add + 2);

  if (n == NULL)
    return oom (pc);
  if (old)
    n[old++] = ',';
  memcpy (n + old, opt, add + 1);
  *data = n;
  return 0;
}

static const struct mount_opt *
find_mount_opt (const char *name)
{
  for (size_t i = 0; i < N_ELEMENTS (mount_opts); i++)
    if (strcmp (mount_opts[i].name, name) == 0)
      return &mount_opts[i];
  return NULL;
}

/* Later options win over earlier ones ("ro,rw" is read-write), as with
 * mount(8).  */
static int
parse_mount_options (struct pctx *pc, json_t *a, const char *path, struct mr_spec_mount *m)
{
  char p[PATH_LEN];
  size_t i;
  json_t *e;

  json_array_foreach (a, i, e)
  {
    const struct mount_opt *o;
    const char *name;

    if (v_cstr (pc, e, index_path (p, path, i), &name) < 0)
      return -1;
    if (*name == '\0')
      return fail (pc, p, "empty mount option");
    o = find_mount_opt (name);
    if (o == NULL)
      {
        if (append_data (pc, &m->data, name) < 0)
          return -1;
        continue;
      }
    switch (o->kind)
      {
      case OPT_SET:
        m->flags |= o->flag;
        m->clear_flags &= ~o->flag;
        break;
      case OPT_CLEAR:
        m->flags &= ~o->flag;
        m->clear_flags |= o->flag;
        break;
      case OPT_PROPAGATION:
        m->propagation = o->flag;
        break;
      case OPT_TMPCOPYUP:
        m->tmpcopyup = true;
        break;
      case OPT_NOOP:
        break;
      case OPT_RECURSIVE_ATTR:
        {
          unsigned int attr = (unsigned int)(o->flag & ~(RATTR_CLEAR | RATTR_ATIME));
          if (o->flag & RATTR_ATIME)
            {
              m->attr_clr |= MOUNT_ATTR__ATIME;
              m->attr_set = (m->attr_set & ~MOUNT_ATTR__ATIME) | attr;
            }
          else if (o->flag & RATTR_CLEAR)
            {
              m->attr_clr |= attr;
              m->attr_set &= ~attr;
            }
          else
            {
              m->attr_set |= attr;
              m->attr_clr &= ~attr;
            }
        }
        break;
      case OPT_IDMAP:
        m->idmap = true;
        m->idmap_recursive = name[0] == 'r';
        break;
      }
  }
  return 0;
}

static int parse_idmaps (struct pctx *pc, json_t *lxo, const char *parent, const char *key,
                         struct mr_spec_idmap **out, size_t *n_out);

static int
parse_mounts (struct pctx *pc, json_t *a, struct mr_spec *spec)
{
  char p[PATH_LEN], ep[PATH_LEN];
  size_t i;
  json_t *e;

  if (alloc_array (pc, a, sizeof *spec->mounts, (void **)&spec->mounts, &spec->n_mounts) < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_mount *m = &spec->mounts[i];
    json_t *opts;
    int r;

    index_path (p, "mounts", i);
    if (v_object (pc, e, p) < 0)
      return -1;
    if (read_abs_path (pc, e, p, "destination", true, &m->destination) < 0
        || read_string (pc, e, p, "type", false, &m->type) < 0
        || read_string (pc, e, p, "source", false, &m->source) < 0)
      return -1;
    r = read_array (pc, e, p, "options", false, &opts);
    if (r < 0)
      return -1;
    if (r > 0 && parse_mount_options (pc, opts, key_path (ep, p, "options"), m) < 0)
      return -1;
    if (m->type && strcmp (m->type, "bind") == 0)
      m->flags |= MS_BIND;
    if ((m->flags & MS_BIND) && m->source == NULL)
      return fail (pc, key_path (ep, p, "source"), "required for a bind mount");
    if (parse_idmaps (pc, e, p, "uidMappings", &m->uid_mappings, &m->n_uid_mappings) < 0
        || parse_idmaps (pc, e, p, "gidMappings", &m->gid_mappings, &m->n_gid_mappings) < 0)
      return -1;
    if (m->n_uid_mappings || m->n_gid_mappings)
      m->idmap = true;
    if (m->idmap && m->type && !(m->flags & MS_BIND) && strcmp (m->type, "rbind") != 0)
      return fail (pc, p, "an id-mapped mount must be a bind mount");
    if ((m->n_uid_mappings == 0) != (m->n_gid_mappings == 0))
      return fail (pc, p, "an id-mapped mount needs both uidMappings and gidMappings");
  }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* hooks */

static int
parse_hook_list (struct pctx *pc, json_t *hooks, const char *key, struct mr_spec_hook **out,
                 size_t *n_out)
{
  char p[PATH_LEN], ep[PATH_LEN];
  json_t *a, *e;
  size_t i;
  int r = read_array (pc, hooks, "hooks", key, false, &a);

  if (r <= 0)
    return r;
  key_path (p, "hooks", key);
  if (alloc_array (pc, a, sizeof **out, (void **)out, n_out) < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_hook *h = &(*out)[i];
    int64_t timeout;

    index_path (ep, p, i);
    if (v_object (pc, e, ep) < 0)
      return -1;
    if (read_abs_path (pc, e, ep, "path", true, &h->path) < 0
        || read_strv (pc, e, ep, "args", false, &h->args, NULL) < 0
        || read_strv (pc, e, ep, "env", false, &h->env, NULL) < 0)
      return -1;
    r = read_int64 (pc, e, ep, "timeout", false, INT64_MIN, INT_MAX, &timeout);
    if (r < 0)
      return -1;
    if (r > 0 && timeout <= 0)
      {
        char tp[PATH_LEN];
        return fail (pc, key_path (tp, ep, "timeout"), "must be greater than 0");
      }
    if (r > 0)
      h->timeout = (int)timeout;
  }
  return 0;
}

static int
parse_hooks (struct pctx *pc, json_t *obj, struct mr_spec_hooks *h)
{
  if (parse_hook_list (pc, obj, "prestart", &h->prestart, &h->n_prestart) < 0
      || parse_hook_list (pc, obj, "createRuntime", &h->create_runtime, &h->n_create_runtime) < 0
      || parse_hook_list (pc, obj, "createContainer", &h->create_container, &h->n_create_container)
             < 0
      || parse_hook_list (pc, obj, "startContainer", &h->start_container, &h->n_start_container) < 0
      || parse_hook_list (pc, obj, "poststart", &h->poststart, &h->n_poststart) < 0
      || parse_hook_list (pc, obj, "poststop", &h->poststop, &h->n_poststop) < 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------------------------ */
/* linux.resources */

static int
parse_device_rules (struct pctx *pc, json_t *a, const char *path, struct mr_spec_resources *res)
{
  char p[PATH_LEN], ep[PATH_LEN];
  size_t i;
  json_t *e;

  if (alloc_array (pc, a, sizeof *res->devices, (void **)&res->devices, &res->n_devices) < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_device_rule *d = &res->devices[i];
    const char *type = "a", *access = "rwm";

    index_path (p, path, i);
    if (v_object (pc, e, p) < 0)
      return -1;
    d->major = d->minor = -1;
    if (read_bool (pc, e, p, "allow", true, &d->allow) < 0
        || read_cstr (pc, e, p, "type", false, &type) < 0
        || read_int64 (pc, e, p, "major", false, -1, UINT32_MAX, &d->major) < 0
        || read_int64 (pc, e, p, "minor", false, -1, UINT32_MAX, &d->minor) < 0
        || read_cstr (pc, e, p, "access", false, &access) < 0)
      return -1;
    if (strcmp (type, "a") != 0 && strcmp (type, "b") != 0 && strcmp (type, "c") != 0)
      return fail (pc, key_path (ep, p, "type"), "unknown device type '%s' (want a, b or c)", type);
    d->type = type[0];
    if (*access == '\0' || strlen (access) > 3 || strspn (access, "rwm") != strlen (access)
        || (strchr (access, 'r') != strrchr (access, 'r'))
        || (strchr (access, 'w') != strrchr (access, 'w'))
        || (strchr (access, 'm') != strrchr (access, 'm')))
      return fail (pc, key_path (ep, p, "access"), "'%s' is not a subset of 'rwm'", access);
    strcpy (d->access, access);
  }
  return 0;
}

static int
parse_memory (struct pctx *pc, json_t *o, const char *path, struct mr_spec_memory *m)
{
  int r;

  if ((r = read_int64 (pc, o, path, "limit", false, -1, INT64_MAX, &m->limit)) < 0)
    return -1;
  m->limit_set = r > 0;
  if ((r = read_int64 (pc, o, path, "reservation", false, -1, INT64_MAX, &m->reservation)) < 0)
    return -1;
  m->reservation_set = r > 0;
  if ((r = read_int64 (pc, o, path, "swap", false, -1, INT64_MAX, &m->swap)) < 0)
    return -1;
  m->swap_set = r > 0;
  /* Go engines write the unsigned form of -1 for "unset"; runc takes it so.  */
  if (is_big (member (o, "swappiness"), &m->swappiness) && m->swappiness == UINT64_MAX)
    m->swappiness_set = false;
  else
    {
      if ((r = read_uint64 (pc, o, path, "swappiness", false, 100, &m->swappiness)) < 0)
        return -1;
      m->swappiness_set = r > 0;
    }
  if ((r = read_bool (pc, o, path, "disableOOMKiller", false, &m->disable_oom_killer)) < 0)
    return -1;
  m->disable_oom_killer_set = r > 0;
  if ((r = read_int64 (pc, o, path, "kernelTCP", false, -1, INT64_MAX, &m->kernel_tcp)) < 0)
    return -1;
  m->kernel_tcp_set = r > 0;
  return 0;
}

static int
parse_cpu (struct pctx *pc, json_t *o, const char *path, struct mr_spec_cpu *c)
{
  int r;

  if ((r = read_uint64 (pc, o, path, "shares", false, UINT64_MAX, &c->shares)) < 0)
    return -1;
  c->shares_set = r > 0;
  if ((r = read_int64 (pc, o, path, "quota", false, -1, INT64_MAX, &c->quota)) < 0)
    return -1;
  c->quota_set = r > 0;
  if ((r = read_uint64 (pc, o, path, "period", false, UINT64_MAX, &c->period)) < 0)
    return -1;
  c->period_set = r > 0;
  if ((r = read_int64 (pc, o, path, "realtimeRuntime", false, -1, INT64_MAX, &c->realtime_runtime))
      < 0)
    return -1;
  c->realtime_runtime_set = r > 0;
  if ((r = read_uint64 (pc, o, path, "realtimePeriod", false, UINT64_MAX, &c->realtime_period)) < 0)
    return -1;
  c->realtime_period_set = r > 0;
  if (read_string (pc, o, path, "cpus", false, &c->cpus) < 0
      || read_string (pc, o, path, "mems", false, &c->mems) < 0)
    return -1;
  return 0;
}

/* blkio weights span 10..1000; absent is 0.  */
static int
read_blkio_weight (struct pctx *pc, json_t *obj, const char *parent, const char *key, uint16_t *out)
{
  char p[PATH_LEN];
  uint64_t w;
  int r = read_uint64 (pc, obj, parent, key, false, UINT64_MAX, &w);

  if (r <= 0)
    return r;
  if (w < 10 || w > 1000)
    return fail (pc, key_path (p, parent, key), "%" PRIu64 " is out of range (10..1000)", w);
  *out = (uint16_t)w;
  return 1;
}

static int
parse_weight_devices (struct pctx *pc, json_t *a, const char *path, struct mr_spec_resources *res)
{
  char p[PATH_LEN];
  size_t i;
  json_t *e;

  if (alloc_array (pc, a, sizeof *res->blkio_weight_devices, (void **)&res->blkio_weight_devices,
                   &res->n_blkio_weight_devices)
      < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_blkio_weight_device *d = &res->blkio_weight_devices[i];
    int rw, rl;

    index_path (p, path, i);
    if (v_object (pc, e, p) < 0 || read_uint32 (pc, e, p, "major", true, UINT32_MAX, &d->major) < 0
        || read_uint32 (pc, e, p, "minor", true, UINT32_MAX, &d->minor) < 0)
      return -1;
    if ((rw = read_blkio_weight (pc, e, p, "weight", &d->weight)) < 0
        || (rl = read_blkio_weight (pc, e, p, "leafWeight", &d->leaf_weight)) < 0)
      return -1;
    if (rw == 0 && rl == 0)
      return fail (pc, p, "neither weight nor leafWeight is set");
  }
  return 0;
}

static const char *const throttle_keys[MR_BLKIO_THROTTLE_N]
    = { "throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice",
        "throttleWriteIOPSDevice" };

static int
parse_throttle (struct pctx *pc, json_t *a, const char *path, struct mr_spec_blkio_rate **out,
                size_t *n)
{
  char p[PATH_LEN];
  size_t i;
  json_t *e;

  if (alloc_array (pc, a, sizeof **out, (void **)out, n) < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_blkio_rate *d = &(*out)[i];

    index_path (p, path, i);
    if (v_object (pc, e, p) < 0 || read_uint32 (pc, e, p, "major", true, UINT32_MAX, &d->major) < 0
        || read_uint32 (pc, e, p, "minor", true, UINT32_MAX, &d->minor) < 0
        || read_uint64 (pc, e, p, "rate", true, UINT64_MAX, &d->rate) < 0)
      return -1;
  }
  return 0;
}

static int
parse_blkio (struct pctx *pc, json_t *o, const char *path, struct mr_spec_resources *res)
{
  char p[PATH_LEN];
  json_t *a;
  int r;

  if ((r = read_blkio_weight (pc, o, path, "weight", &res->blkio_weight)) < 0)
    return -1;
  res->blkio_weight_set = r > 0;
  if ((r = read_blkio_weight (pc, o, path, "leafWeight", &res->blkio_leaf_weight)) < 0)
    return -1;
  res->blkio_leaf_weight_set = r > 0;
  r = read_array (pc, o, path, "weightDevice", false, &a);
  if (r < 0)
    return -1;
  if (r > 0 && parse_weight_devices (pc, a, key_path (p, path, "weightDevice"), res) < 0)
    return -1;
  for (size_t k = 0; k < MR_BLKIO_THROTTLE_N; k++)
    {
      r = read_array (pc, o, path, throttle_keys[k], false, &a);
      if (r < 0)
        return -1;
      if (r > 0
          && parse_throttle (pc, a, key_path (p, path, throttle_keys[k]), &res->blkio_throttle[k],
                             &res->n_blkio_throttle[k])
                 < 0)
        return -1;
    }
  return 0;
}

/* The kernel names huge page sizes as a number and KB, MB or GB
 * (hugetlb.2MB.max, hugetlb.1GB.limit_in_bytes).  */
static bool
valid_page_size (const char *s)
{
  size_t n = strspn (s, "0123456789");

  return n > 0 && n <= 12 && s[0] != '0'
         && (strcmp (s + n, "KB") == 0 || strcmp (s + n, "MB") == 0 || strcmp (s + n, "GB") == 0);
}

static int
parse_hugepage_limits (struct pctx *pc, json_t *a, const char *path, struct mr_spec_resources *res)
{
  char p[PATH_LEN], ep[PATH_LEN];
  size_t i;
  json_t *e;

  if (alloc_array (pc, a, sizeof *res->hugepage_limits, (void **)&res->hugepage_limits,
                   &res->n_hugepage_limits)
      < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_hugepage_limit *h = &res->hugepage_limits[i];

    index_path (p, path, i);
    if (v_object (pc, e, p) < 0 || read_string (pc, e, p, "pageSize", true, &h->page_size) < 0
        || read_uint64 (pc, e, p, "limit", true, UINT64_MAX, &h->limit) < 0)
      return -1;
    key_path (ep, p, "pageSize");
    if (!valid_page_size (h->page_size))
      return fail (pc, ep,
                   "'%s' is not a huge page size (want a number and KB, MB or GB, as in '2MB')",
                   h->page_size);
    for (size_t j = 0; j < i; j++)
      if (strcmp (res->hugepage_limits[j].page_size, h->page_size) == 0)
        return fail (pc, ep, "duplicate page size '%s'", h->page_size);
  }
  return 0;
}

/* A name the kernel would take for a network interface, and that reads
 * back as one word in net_prio.ifpriomap.  */
static bool
valid_ifname (const char *s)
{
  size_t n = strlen (s);

  if (n == 0 || n >= 16 || strcmp (s, ".") == 0 || strcmp (s, "..") == 0)
    return false;
  for (; *s; s++)
    if (*s == '/' || *s == ':' || isspace ((unsigned char)*s))
      return false;
  return true;
}

static int
parse_network (struct pctx *pc, json_t *o, const char *path, struct mr_spec_resources *res)
{
  char p[PATH_LEN], ep[PATH_LEN];
  json_t *a, *e;
  size_t i;
  int r;

  if ((r = read_uint32 (pc, o, path, "classID", false, UINT32_MAX, &res->net_class_id)) < 0)
    return -1;
  res->net_class_id_set = r > 0;
  r = read_array (pc, o, path, "priorities", false, &a);
  if (r <= 0)
    return r;
  key_path (p, path, "priorities");
  if (alloc_array (pc, a, sizeof *res->net_priorities, (void **)&res->net_priorities,
                   &res->n_net_priorities)
      < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_net_priority *np = &res->net_priorities[i];

    index_path (ep, p, i);
    if (v_object (pc, e, ep) < 0 || read_string (pc, e, ep, "name", true, &np->name) < 0
        || read_uint32 (pc, e, ep, "priority", true, UINT32_MAX, &np->priority) < 0)
      return -1;
    if (!valid_ifname (np->name))
      {
        char np_path[PATH_LEN];
        return fail (pc, key_path (np_path, ep, "name"), "'%s' is not a valid interface name",
                     np->name);
      }
  }
  return 0;
}

/* rdma.max takes "DEVICE key=value ...": the name must be one word.  */
static bool
valid_rdma_device (const char *s)
{
  size_t n = strlen (s);

  if (n == 0 || n >= 64)
    return false;
  for (; *s; s++)
    if (*s == '/' || *s == '=' || isspace ((unsigned char)*s) || iscntrl ((unsigned char)*s))
      return false;
  return true;
}

static int
parse_rdma (struct pctx *pc, json_t *o, const char *path, struct mr_spec_resources *res)
{
  char p[PATH_LEN];
  const char *name;
  json_t *v;
  size_t i = 0;
  int r;

  res->rdma = calloc (json_object_size (o) + 1, sizeof *res->rdma);
  if (res->rdma == NULL)
    return oom (pc);
  res->n_rdma = json_object_size (o);
  json_object_foreach (o, name, v)
  {
    struct mr_spec_rdma *d = &res->rdma[i++];

    key_path (p, path, name);
    d->device = strdup (name);
    if (d->device == NULL)
      return oom (pc);
    if (!valid_rdma_device (name))
      return fail (pc, p, "'%s' is not a valid rdma device name", name);
    if (v_object (pc, v, p) < 0)
      return -1;
    if ((r = read_uint32 (pc, v, p, "hcaHandles", false, UINT32_MAX, &d->hca_handles)) < 0)
      return -1;
    d->hca_handles_set = r > 0;
    if ((r = read_uint32 (pc, v, p, "hcaObjects", false, UINT32_MAX, &d->hca_objects)) < 0)
      return -1;
    d->hca_objects_set = r > 0;
  }
  return 0;
}

static int
parse_resources_into (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_resources *res)
{
  char p[PATH_LEN];
  json_t *o;
  int r;

  if (v_object (pc, obj, path) < 0)
    return -1;
  r = read_array (pc, obj, path, "devices", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && parse_device_rules (pc, o, key_path (p, path, "devices"), res) < 0)
    return -1;

  r = read_object (pc, obj, path, "memory", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && parse_memory (pc, o, key_path (p, path, "memory"), &res->memory) < 0)
    return -1;

  r = read_object (pc, obj, path, "cpu", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && parse_cpu (pc, o, key_path (p, path, "cpu"), &res->cpu) < 0)
    return -1;

  r = read_object (pc, obj, path, "pids", false, &o);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      r = read_int64 (pc, o, key_path (p, path, "pids"), "limit", false, -1, INT64_MAX,
                      &res->pids_limit);
      if (r < 0)
        return -1;
      res->pids_limit_set = r > 0;
    }

  r = read_object (pc, obj, path, "blockIO", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && parse_blkio (pc, o, key_path (p, path, "blockIO"), res) < 0)
    return -1;

  r = read_array (pc, obj, path, "hugepageLimits", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && parse_hugepage_limits (pc, o, key_path (p, path, "hugepageLimits"), res) < 0)
    return -1;

  r = read_object (pc, obj, path, "network", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && parse_network (pc, o, key_path (p, path, "network"), res) < 0)
    return -1;

  r = read_object (pc, obj, path, "rdma", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && parse_rdma (pc, o, key_path (p, path, "rdma"), res) < 0)
    return -1;

  if (read_kv (pc, obj, path, "unified", &res->unified, &res->n_unified) < 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------------------------ */
/* linux.seccomp */

static int
parse_seccomp_action (struct pctx *pc, json_t *obj, const char *parent, const char *key,
                      enum mr_seccomp_action *out)
{
  char p[PATH_LEN];
  const char *name;
  int a;

  if (read_cstr (pc, obj, parent, key, true, &name) < 0)
    return -1;
  a = index_of (seccomp_action_names, N_ELEMENTS (seccomp_action_names), name);
  if (a < 0)
    return fail (pc, key_path (p, parent, key), "unknown action '%s'", name);
  *out = (enum mr_seccomp_action)a;
  return 0;
}

static int
parse_seccomp_args (struct pctx *pc, json_t *a, const char *path,
                    struct mr_spec_seccomp_syscall *sys)
{
  char p[PATH_LEN], ep[PATH_LEN];
  size_t i;
  json_t *e;

  if (alloc_array (pc, a, sizeof *sys->args, (void **)&sys->args, &sys->n_args) < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_seccomp_arg *arg = &sys->args[i];
    const char *op;
    uint64_t idx;
    int o;

    index_path (p, path, i);
    if (v_object (pc, e, p) < 0)
      return -1;
    if (read_uint64 (pc, e, p, "index", true, 5, &idx) < 0
        || read_uint64 (pc, e, p, "value", true, UINT64_MAX, &arg->value) < 0
        || read_uint64 (pc, e, p, "valueTwo", false, UINT64_MAX, &arg->value_two) < 0
        || read_cstr (pc, e, p, "op", true, &op) < 0)
      return -1;
    arg->index = (unsigned)idx;
    o = index_of (seccomp_op_names, N_ELEMENTS (seccomp_op_names), op);
    if (o < 0)
      return fail (pc, key_path (ep, p, "op"), "unknown operator '%s'", op);
    arg->op = (enum mr_seccomp_op)o;
  }
  return 0;
}

static int
parse_seccomp_syscalls (struct pctx *pc, json_t *a, const char *path, struct mr_spec_seccomp *sc)
{
  char p[PATH_LEN], ep[PATH_LEN];
  size_t i;
  json_t *e;

  if (alloc_array (pc, a, sizeof *sc->syscalls, (void **)&sc->syscalls, &sc->n_syscalls) < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_seccomp_syscall *sys = &sc->syscalls[i];
    json_t *names, *args;
    uint64_t eret;
    int r;

    index_path (p, path, i);
    if (v_object (pc, e, p) < 0)
      return -1;
    key_path (ep, p, "names");
    names = member (e, "names");
    if (names == NULL || !json_is_array (names) || json_array_size (names) == 0)
      return fail (pc, ep, "must be a non-empty array of strings");
    if (v_strv (pc, names, ep, &sys->names, &sys->n_names) < 0)
      return -1;
    for (size_t j = 0; j < sys->n_names; j++)
      if (sys->names[j][0] == '\0')
        {
          char np[PATH_LEN];
          return fail (pc, index_path (np, ep, j), "empty syscall name");
        }
    if (parse_seccomp_action (pc, e, p, "action", &sys->action) < 0)
      return -1;
    r = read_uint64 (pc, e, p, "errnoRet", false, UINT32_MAX, &eret);
    if (r < 0)
      return -1;
    if (r > 0)
      {
        if (sys->action != MR_SECCOMP_ERRNO && sys->action != MR_SECCOMP_TRACE)
          return fail (pc, key_path (ep, p, "errnoRet"),
                       "only valid with SCMP_ACT_ERRNO and SCMP_ACT_TRACE");
        sys->errno_ret_set = true;
        sys->errno_ret = (unsigned)eret;
      }
    r = read_array (pc, e, p, "args", false, &args);
    if (r < 0)
      return -1;
    if (r > 0 && parse_seccomp_args (pc, args, key_path (ep, p, "args"), sys) < 0)
      return -1;
  }
  return 0;
}

static int
parse_seccomp (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_seccomp *sc)
{
  char p[PATH_LEN], ep[PATH_LEN];
  json_t *a;
  uint64_t eret;
  bool notify = false;
  int r;

  if (parse_seccomp_action (pc, obj, path, "defaultAction", &sc->default_action) < 0)
    return -1;
  if (sc->default_action == MR_SECCOMP_NOTIFY)
    return fail (pc, key_path (p, path, "defaultAction"),
                 "SCMP_ACT_NOTIFY cannot be the default action");
  r = read_uint64 (pc, obj, path, "defaultErrnoRet", false, UINT32_MAX, &eret);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      sc->default_errno_ret_set = true;
      sc->default_errno_ret = (unsigned)eret;
    }

  r = read_strv (pc, obj, path, "architectures", false, &sc->architectures, &sc->n_architectures);
  if (r < 0)
    return -1;
  key_path (p, path, "architectures");
  for (size_t i = 0; r > 0 && sc->architectures[i]; i++)
    if (strncmp (sc->architectures[i], "SCMP_ARCH_", 10) != 0 || sc->architectures[i][10] == '\0')
      return fail (pc, index_path (ep, p, i), "unknown architecture '%s'", sc->architectures[i]);

  r = read_strv (pc, obj, path, "flags", false, &sc->flags, &sc->n_flags);
  if (r < 0)
    return -1;
  key_path (p, path, "flags");
  for (size_t i = 0; r > 0 && sc->flags[i]; i++)
    {
      bool known = false;
      for (size_t f = 0; f < N_ELEMENTS (seccomp_flags); f++)
        known = known || strcmp (seccomp_flags[f].name, sc->flags[i]) == 0;
      if (!known)
        return fail (pc, index_path (ep, p, i), "unknown flag '%s'", sc->flags[i]);
    }

  if (read_string (pc, obj, path, "listenerPath", false, &sc->listener_path) < 0)
    return -1;
  if (read_string (pc, obj, path, "listenerMetadata", false, &sc->listener_metadata) < 0)
    return -1;

  r = read_array (pc, obj, path, "syscalls", false, &a);
  if (r < 0)
    return -1;
  if (r > 0 && parse_seccomp_syscalls (pc, a, key_path (p, path, "syscalls"), sc) < 0)
    return -1;
  for (size_t i = 0; i < sc->n_syscalls; i++)
    notify = notify || sc->syscalls[i].action == MR_SECCOMP_NOTIFY;
  if (notify && (sc->listener_path == NULL || *sc->listener_path == '\0'))
    return fail (pc, key_path (p, path, "listenerPath"),
                 "required when an action is SCMP_ACT_NOTIFY");
  return 0;
}

/* ------------------------------------------------------------------------ */
/* linux */

static int
parse_namespaces (struct pctx *pc, json_t *a, const char *path, struct mr_spec_linux *lx)
{
  char p[PATH_LEN], ep[PATH_LEN];
  size_t i;
  json_t *e;

  if (alloc_array (pc, a, sizeof *lx->namespaces, (void **)&lx->namespaces, &lx->n_namespaces) < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_namespace *ns = &lx->namespaces[i];
    const char *type;

    index_path (p, path, i);
    if (v_object (pc, e, p) < 0)
      return -1;
    if (read_cstr (pc, e, p, "type", true, &type) < 0)
      return -1;
    key_path (ep, p, "type");
    ns->type = mr_spec_namespace_from_name (type);
    if (ns->type < 0)
      return fail (pc, ep, "unknown namespace type '%s'", type);
    for (size_t j = 0; j < i; j++)
      if (lx->namespaces[j].type == ns->type)
        return fail (pc, ep, "duplicate namespace type '%s'", type);
    if (read_abs_path (pc, e, p, "path", false, &ns->path) < 0)
      return -1;
  }
  return 0;
}

static int
parse_idmaps (struct pctx *pc, json_t *lxo, const char *parent, const char *key,
              struct mr_spec_idmap **out, size_t *n_out)
{
  char p[PATH_LEN], ep[PATH_LEN];
  json_t *a, *e;
  size_t i;
  int r = read_array (pc, lxo, parent, key, false, &a);

  if (r <= 0)
    return r;
  key_path (p, parent, key);
  if (alloc_array (pc, a, sizeof **out, (void **)out, n_out) < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_idmap *m = &(*out)[i];

    index_path (ep, p, i);
    if (v_object (pc, e, ep) < 0)
      return -1;
    if (read_uint32 (pc, e, ep, "containerID", true, UINT32_MAX, &m->container_id) < 0
        || read_uint32 (pc, e, ep, "hostID", true, UINT32_MAX, &m->host_id) < 0
        || read_uint32 (pc, e, ep, "size", true, UINT32_MAX, &m->size) < 0)
      return -1;
    if (m->size == 0)
      {
        char sp[PATH_LEN];
        return fail (pc, key_path (sp, ep, "size"), "must be greater than 0");
      }
  }
  return 0;
}

static int
parse_devices (struct pctx *pc, json_t *a, const char *path, struct mr_spec_linux *lx)
{
  char p[PATH_LEN], ep[PATH_LEN];
  size_t i;
  json_t *e;

  if (alloc_array (pc, a, sizeof *lx->devices, (void **)&lx->devices, &lx->n_devices) < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_device *d = &lx->devices[i];
    const char *type;
    bool need_numbers;
    uint64_t n;
    uint32_t id;
    int r;

    index_path (p, path, i);
    if (v_object (pc, e, p) < 0)
      return -1;
    if (read_cstr (pc, e, p, "type", true, &type) < 0)
      return -1;
    if (strlen (type) != 1 || strchr ("cbup", type[0]) == NULL)
      return fail (pc, key_path (ep, p, "type"), "unknown device type '%s' (want c, b, u or p)",
                   type);
    d->type = type[0];
    if (read_abs_path (pc, e, p, "path", true, &d->path) < 0)
      return -1;
    need_numbers = d->type != 'p';
    if (read_int64 (pc, e, p, "major", need_numbers, 0, UINT32_MAX, &d->major) < 0
        || read_int64 (pc, e, p, "minor", need_numbers, 0, UINT32_MAX, &d->minor) < 0)
      return -1;
    /* A full st_mode is accepted (Podman sends 020666): its type bits, when
       given, must be the device's type; only the permission bits are kept.  */
    if ((r = read_uint64 (pc, e, p, "fileMode", false, S_IFMT | 07777, &n)) < 0)
      return -1;
    if (r > 0 && (n & S_IFMT) != 0)
      {
        mode_t want = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
        if ((n & S_IFMT) != want)
          return fail (pc, key_path (ep, p, "fileMode"),
                       "file type bits 0%06" PRIo64 " do not match device type '%c'",
                       n & (uint64_t)S_IFMT, d->type);
      }
    d->file_mode_set = r > 0;
    d->file_mode = (mode_t)(r > 0 ? n & 07777 : 0);
    if ((r = read_uint32 (pc, e, p, "uid", false, UINT32_MAX, &id)) < 0)
      return -1;
    d->uid_set = r > 0;
    d->uid = r > 0 ? id : 0;
    if ((r = read_uint32 (pc, e, p, "gid", false, UINT32_MAX, &id)) < 0)
      return -1;
    d->gid_set = r > 0;
    d->gid = r > 0 ? id : 0;
  }
  return 0;
}

static int
parse_linux (struct pctx *pc, json_t *obj, struct mr_spec_linux *lx)
{
  const char *path = "linux";
  char p[PATH_LEN];
  const char *prop;
  json_t *o;
  int r;

  r = read_array (pc, obj, path, "namespaces", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && parse_namespaces (pc, o, key_path (p, path, "namespaces"), lx) < 0)
    return -1;
  if (parse_idmaps (pc, obj, "linux", "uidMappings", &lx->uid_mappings, &lx->n_uid_mappings) < 0
      || parse_idmaps (pc, obj, "linux", "gidMappings", &lx->gid_mappings, &lx->n_gid_mappings) < 0)
    return -1;
  if (read_kv (pc, obj, path, "sysctl", &lx->sysctl, &lx->n_sysctl) < 0)
    return -1;

  r = read_object (pc, obj, path, "timeOffsets", false, &o);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      static const char *const clocks[] = { "boottime", "monotonic" };
      int64_t *secs[] = { &lx->boottime_secs, &lx->monotonic_secs };
      uint32_t *nsecs[] = { &lx->boottime_nsecs, &lx->monotonic_nsecs };
      char tp[PATH_LEN], cp[PATH_LEN];
      key_path (tp, path, "timeOffsets");
      for (size_t k = 0; k < 2; k++)
        {
          json_t *c;
          r = read_object (pc, o, tp, clocks[k], false, &c);
          if (r < 0)
            return -1;
          if (r == 0)
            continue;
          lx->time_offsets_set = true;
          key_path (cp, tp, clocks[k]);
          if (read_int64 (pc, c, cp, "secs", false, INT64_MIN / 2, INT64_MAX / 2, secs[k]) < 0
              || read_uint32 (pc, c, cp, "nanosecs", false, 999999999, nsecs[k]) < 0)
            return -1;
        }
      /* an empty object asks for nothing */
      if (lx->time_offsets_set)
        {
          bool new_time = false;
          for (size_t i = 0; i < lx->n_namespaces; i++)
            new_time |= lx->namespaces[i].type == CLONE_NEWTIME && lx->namespaces[i].path == NULL;
          if (!new_time)
            return fail (pc, tp, "needs a new time namespace in linux.namespaces");
        }
    }

  r = read_object (pc, obj, path, "resources", false, &o);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      lx->resources = calloc (1, sizeof *lx->resources);
      if (lx->resources == NULL)
        return oom (pc);
      if (parse_resources_into (pc, o, key_path (p, path, "resources"), lx->resources) < 0)
        return -1;
    }

  if (read_string (pc, obj, path, "cgroupsPath", false, &lx->cgroups_path) < 0)
    return -1;

  r = read_array (pc, obj, path, "devices", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && parse_devices (pc, o, key_path (p, path, "devices"), lx) < 0)
    return -1;

  r = read_object (pc, obj, path, "seccomp", false, &o);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      lx->seccomp = calloc (1, sizeof *lx->seccomp);
      if (lx->seccomp == NULL)
        return oom (pc);
      if (parse_seccomp (pc, o, key_path (p, path, "seccomp"), lx->seccomp) < 0)
        return -1;
    }

  r = read_cstr (pc, obj, path, "rootfsPropagation", false, &prop);
  if (r < 0)
    return -1;
  if (r > 0 && *prop != '\0')
    {
      int f = name_lookup (propagation_names, N_ELEMENTS (propagation_names), prop);
      if (f < 0)
        return fail (pc, key_path (p, path, "rootfsPropagation"), "unknown propagation '%s'", prop);
      lx->rootfs_propagation = (unsigned long)f;
    }

  if (read_path_list (pc, obj, path, "maskedPaths", &lx->masked_paths, &lx->n_masked_paths) < 0
      || read_path_list (pc, obj, path, "readonlyPaths", &lx->readonly_paths, &lx->n_readonly_paths)
             < 0
      || read_string (pc, obj, path, "mountLabel", false, &lx->mount_label) < 0)
    return -1;
  return 0;
}

/* Checks across fields, as runc makes them before creating anything.  */
static int
validate_spec (struct pctx *pc, struct mr_spec *spec)
{
  const struct mr_spec_linux *lx = &spec->linux;
  const struct mr_spec_namespace *userns = mr_spec_find_namespace (spec, CLONE_NEWUSER);

  if (userns == NULL && lx->n_uid_mappings > 0)
    return fail (pc, "linux.uidMappings", "mappings given without a user namespace");
  if (userns == NULL && lx->n_gid_mappings > 0)
    return fail (pc, "linux.gidMappings", "mappings given without a user namespace");
  if (userns != NULL && userns->path == NULL
      && (lx->n_uid_mappings == 0 || lx->n_gid_mappings == 0))
    {
      char p[PATH_LEN];
      return fail (pc, index_path (p, "linux.namespaces", (size_t)(userns - lx->namespaces)),
                   "a new user namespace needs linux.uidMappings and linux.gidMappings");
    }
  for (size_t i = 0; i < spec->n_mounts; i++)
    if (spec->mounts[i].idmap && userns == NULL)
      {
        char p[PATH_LEN];
        return fail (pc, index_path (p, "mounts", i),
                     "an id-mapped mount needs a user namespace (add {\"type\": \"user\"} "
                     "with linux.uidMappings and linux.gidMappings)");
      }
  if (spec->hostname && *spec->hostname && mr_spec_find_namespace (spec, CLONE_NEWUTS) == NULL)
    return fail (pc, "hostname", "cannot be set without a uts namespace");
  if (spec->domainname && *spec->domainname && mr_spec_find_namespace (spec, CLONE_NEWUTS) == NULL)
    return fail (pc, "domainname", "cannot be set without a uts namespace");
  if (mr_sysctl_check (spec, pc->err) < 0)
    return mr_error_prefix (pc->err, "%s: linux.sysctl", pc->name);
  return 0;
}

/* "1.MINOR.PATCH", optionally followed by "-PRERELEASE" or "+BUILD".  */
static bool
version_supported (const char *v)
{
  const char *s = v;

  if (strncmp (s, "1.", 2) != 0)
    return false;
  s += 2;
  for (int part = 0; part < 2; part++)
    {
      if (!isdigit ((unsigned char)*s))
        return false;
      while (isdigit ((unsigned char)*s))
        s++;
      if (part == 0)
        {
          if (*s != '.')
            return false;
          s++;
        }
    }
  return *s == '\0' || ((*s == '-' || *s == '+') && s[1] != '\0');
}

static int
parse_spec (struct pctx *pc, json_t *root, struct mr_spec *spec)
{
  json_t *o;
  int r;

  if (read_string (pc, root, "", "ociVersion", true, &spec->oci_version) < 0)
    return -1;
  if (!version_supported (spec->oci_version))
    return fail (pc, "ociVersion", "'%s' is not a supported version (want 1.x)", spec->oci_version);

  if (read_object (pc, root, "", "root", true, &o) < 0)
    return -1;
  if (read_string (pc, o, "root", "path", true, &spec->root_path) < 0
      || read_bool (pc, o, "root", "readonly", false, &spec->root_readonly) < 0)
    return -1;
  if (spec->root_path[0] == '\0')
    return fail (pc, "root.path", "must not be empty");

  r = read_object (pc, root, "", "process", false, &o);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      spec->has_process = true;
      if (parse_process (pc, o, "process", &spec->process) < 0)
        return -1;
    }

  if (read_string (pc, root, "", "hostname", false, &spec->hostname) < 0
      || read_string (pc, root, "", "domainname", false, &spec->domainname) < 0)
    return -1;

  r = read_array (pc, root, "", "mounts", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && parse_mounts (pc, o, spec) < 0)
    return -1;

  r = read_object (pc, root, "", "hooks", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && parse_hooks (pc, o, &spec->hooks) < 0)
    return -1;

  if (read_kv (pc, root, "", "annotations", &spec->annotations, &spec->n_annotations) < 0)
    return -1;

  r = read_object (pc, root, "", "linux", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && parse_linux (pc, o, &spec->linux) < 0)
    return -1;

  return validate_spec (pc, spec);
}

int
mr_spec_parse (const char *name, const char *json, size_t len, struct mr_spec **out,
               struct mr_error *err)
{
  struct pctx pc = { name ? name : "config.json", err };
  cleanup_json json_t *root = NULL;
  struct mr_spec *spec;

  *out = NULL;
  if (load_json (&pc, json, len, &root) < 0)
    return -1;
  spec = calloc (1, sizeof *spec);
  if (spec == NULL)
    return oom (&pc);
  if (parse_spec (&pc, root, spec) < 0)
    {
      mr_spec_free (spec);
      return -1;
    }
  *out = spec;
  return 0;
}

int
mr_spec_load_file (const char *path, struct mr_spec **out, struct mr_error *err)
{
  cleanup_free char *buf = NULL;
  const char *base;
  size_t len;

  *out = NULL;
  if (mr_read_file (path, &buf, &len, err) < 0)
    return -1;
  base = strrchr (path, '/');
  base = (base && base[1]) ? base + 1 : path;
  return mr_spec_parse (base, buf, len, out, err);
}

int
mr_spec_process_parse (const char *name, const char *json, size_t len, struct mr_spec_process *out,
                       struct mr_error *err)
{
  struct pctx pc = { name ? name : "process.json", err };
  cleanup_json json_t *root = NULL;

  memset (out, 0, sizeof *out);
  if (load_json (&pc, json, len, &root) < 0)
    return -1;
  if (parse_process (&pc, root, "", out) < 0)
    {
      mr_spec_process_clear (out);
      return -1;
    }
  return 0;
}

int
mr_spec_resources_parse (const char *name, const char *json, size_t len,
                         struct mr_spec_resources **out, struct mr_error *err)
{
  struct pctx pc = { name ? name : "resources.json", err };
  cleanup_json json_t *root = NULL;
  struct mr_spec_resources *res;

  *out = NULL;
  if (load_json (&pc, json, len, &root) < 0)
    return -1;
  res = calloc (1, sizeof *res);
  if (res == NULL)
    return oom (&pc);
  if (parse_resources_into (&pc, root, "", res) < 0)
    {
      mr_spec_resources_free (res);
      return -1;
    }
  *out = res;
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Documents: the default config.json and the features document.  */

static json_t *
strv_json (const char *const *v, size_t n)
{
  json_t *a = json_array ();

  for (size_t i = 0; a && i < n; i++)
    if (json_array_append_new (a, json_string (v[i])) < 0)
      {
        json_decref (a);
        return NULL;
      }
  return a;
}

static json_t *
mount_json (const char *dest, const char *type, const char *source, const char *const *opts,
            size_t n_opts)
{
  json_t *m = json_pack ("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", source);

  if (m && n_opts > 0 && json_object_set_new (m, "options", strv_json (opts, n_opts)) < 0)
    {
      json_decref (m);
      return NULL;
    }
  return m;
}

static int
dump_json (json_t *j, char **out, struct mr_error *err)
{
  if (j == NULL)
    return mr_error_errno (err, ENOMEM, "build JSON document");
  *out = json_dumps (j, JSON_INDENT (2));
  if (*out == NULL)
    return mr_error_errno (err, ENOMEM, "serialize JSON document");
  return 0;
}

static const char *const default_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" };

static const char *const default_masked_paths[] = {
  "/proc/acpi",          "/proc/asound",     "/proc/kcore",       "/proc/keys",
  "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
  "/sys/firmware",       "/proc/scsi",
};

static const char *const default_readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static json_t *
default_mounts (bool rootless)
{
  static const char *const dev_opts[] = { "nosuid", "strictatime", "mode=755", "size=65536k" };
  /* a rootless container cannot map gid 5, so it leaves gid= out */
  static const char *const pts_opts[]
      = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" };
  static const char *const shm_opts[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" };
  static const char *const mqueue_opts[] = { "nosuid", "noexec", "nodev" };
  static const char *const sys_opts[] = { "nosuid", "noexec", "nodev", "ro" };
  /* sysfs cannot be mounted in a user namespace without its own network
   * namespace owner, so the rootless variant binds the host's */
  static const char *const sys_rbind_opts[] = { "rbind", "nosuid", "noexec", "nodev", "ro" };
  static const char *const cgroup_opts[] = { "nosuid", "noexec", "nodev", "relatime", "ro" };
  json_t *a = json_array ();

  if (a == NULL)
    return NULL;
  if (json_array_append_new (a, mount_json ("/proc", "proc", "proc", NULL, 0)) < 0
      || json_array_append_new (
             a, mount_json ("/dev", "tmpfs", "tmpfs", dev_opts, N_ELEMENTS (dev_opts)))
             < 0
      || json_array_append_new (a, mount_json ("/dev/pts", "devpts", "devpts", pts_opts,
                                               N_ELEMENTS (pts_opts) - (rootless ? 1 : 0)))
             < 0
      || json_array_append_new (
             a, mount_json ("/dev/shm", "tmpfs", "shm", shm_opts, N_ELEMENTS (shm_opts)))
             < 0
      || json_array_append_new (a, mount_json ("/dev/mqueue", "mqueue", "mqueue", mqueue_opts,
                                               N_ELEMENTS (mqueue_opts)))
             < 0
      || json_array_append_new (
             a, rootless ? mount_json ("/sys", "none", "/sys", sys_rbind_opts,
                                       N_ELEMENTS (sys_rbind_opts))
                         : mount_json ("/sys", "sysfs", "sysfs", sys_opts, N_ELEMENTS (sys_opts)))
             < 0
      || json_array_append_new (a, mount_json ("/sys/fs/cgroup", "cgroup", "cgroup", cgroup_opts,
                                               N_ELEMENTS (cgroup_opts)))
             < 0)
    {
      json_decref (a);
      return NULL;
    }
  return a;
}

static json_t *
default_linux (bool rootless)
{
  /* runc's list: no cgroup namespace by default */
  static const char *const ns[] = { "pid", "network", "ipc", "uts", "mount" };
  json_t *lx = json_object (), *nss = json_array ();

  if (lx == NULL || nss == NULL)
    goto fail;
  if (rootless)
    {
      json_t *uid = json_pack ("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                               (json_int_t)geteuid (), "size", 1);
      json_t *gid = json_pack ("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                               (json_int_t)getegid (), "size", 1);
      if (json_object_set_new (lx, "uidMappings", uid) < 0
          || json_object_set_new (lx, "gidMappings", gid) < 0)
        goto fail;
    }
  else if (json_object_set_new (
               lx, "resources",
               json_pack ("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm"))
           < 0)
    goto fail;
  for (size_t i = 0; i < N_ELEMENTS (ns); i++)
    {
      if (rootless && strcmp (ns[i], "network") == 0)
        continue;
      if (json_array_append_new (nss, json_pack ("{s:s}", "type", ns[i])) < 0)
        goto fail;
    }
  if (rootless && json_array_append_new (nss, json_pack ("{s:s}", "type", "user")) < 0)
    goto fail;
  if (json_object_set_new (lx, "namespaces", nss) < 0)
    {
      nss = NULL;
      goto fail;
    }
  nss = NULL;
  if (json_object_set_new (lx, "maskedPaths",
                           strv_json (default_masked_paths, N_ELEMENTS (default_masked_paths)))
          < 0
      || json_object_set_new (
             lx, "readonlyPaths",
             strv_json (default_readonly_paths, N_ELEMENTS (default_readonly_paths)))
             < 0)
    goto fail;
  return lx;

fail:
  json_decref (nss);
  json_decref (lx);
  return NULL;
}

int
mr_spec_generate (bool rootless, char **json, struct mr_error *err)
{
  const size_t nc = N_ELEMENTS (default_caps);
  cleanup_json json_t *doc = NULL;

  /* As `runc spec` writes it, ambient set included (it cannot be raised
   * without the inheritable set, which is not there, but runc writes it
   * and the process runs all the same).  */
  doc = json_pack (
      "{s:s, s:{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s, s:{s:o, s:o, s:o, s:o},"
      " s:[{s:s, s:i, s:i}], s:b},"
      " s:{s:s, s:b}, s:s, s:o, s:o}",
      "ociVersion", "1.0.2-dev", "process", "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh",
      "env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
      "cwd", "/", "capabilities", "bounding", strv_json (default_caps, nc), "effective",
      strv_json (default_caps, nc), "permitted", strv_json (default_caps, nc), "ambient",
      strv_json (default_caps, nc), "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024,
      "noNewPrivileges", 1, "root", "path", "rootfs", "readonly", 1, "hostname", "minirun",
      "mounts", default_mounts (rootless), "linux", default_linux (rootless));
  return dump_json (doc, json, err);
}

/* seccomp(2) checks the flags before it reads the filter: EFAULT for a NULL
 * filter means the kernel knows the flag.  */
static bool
seccomp_flag_supported (unsigned long flag)
{
  if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  return syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

static json_t *
features_seccomp (void)
{
  json_t *known = json_array (), *supported = json_array ();
  json_t *sc;

  for (size_t i = 0; known && supported && i < N_ELEMENTS (seccomp_flags); i++)
    {
      json_array_append_new (known, json_string (seccomp_flags[i].name));
      if (seccomp_flag_supported (seccomp_flags[i].flag))
        json_array_append_new (supported, json_string (seccomp_flags[i].name));
    }
  sc = json_pack ("{s:b, s:o, s:o, s:o, s:o, s:o}", "enabled", 1, "actions",
                  strv_json (seccomp_action_names, N_ELEMENTS (seccomp_action_names)), "operators",
                  strv_json (seccomp_op_names, N_ELEMENTS (seccomp_op_names)), "archs",
                  strv_json (seccomp_archs, N_ELEMENTS (seccomp_archs)), "knownFlags", known,
                  "supportedFlags", supported);
  return sc;
}

int
mr_features (char **json, struct mr_error *err)
{
  static const char *const hooks[] = { "prestart",       "createRuntime", "createContainer",
                                       "startContainer", "poststart",     "poststop" };
  const char *opts[N_ELEMENTS (mount_opts)];
  const char *ns[N_ELEMENTS (namespace_names)];
  size_t n_opts = 0;
  cleanup_json json_t *doc = NULL;

  for (size_t i = 0; i < N_ELEMENTS (mount_opts); i++)
    opts[n_opts++] = mount_opts[i].name;
  for (size_t i = 0; i < N_ELEMENTS (namespace_names); i++)
    ns[i] = namespace_names[i].name;

  doc = json_pack ("{s:s, s:s, s:o, s:o,"
                   " s:{s:o, s:o, s:{s:b, s:b, s:b, s:b}, s:o, s:{s:b}, s:{s:b}},"
                   " s:{s:s}}",
                   "ociVersionMin", "1.0.0", "ociVersionMax", "1.1.0", "hooks",
                   strv_json (hooks, N_ELEMENTS (hooks)), "mountOptions", strv_json (opts, n_opts),
                   "linux", "namespaces", strv_json (ns, N_ELEMENTS (ns)), "capabilities",
                   strv_json (cap_names, N_CAPS), "cgroup", "v1", 1, "v2", 1, "systemd", 0,
                   "systemdUser", 0, "seccomp", features_seccomp (), "apparmor", "enabled", 0,
                   "selinux", "enabled", 0, "annotations", "io.github.minirun.version",
                   PACKAGE_VERSION);
  return dump_json (doc, json, err);
}
