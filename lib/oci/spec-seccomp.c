#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>

#include "oci/spec-internal.h"

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

/* linux.seccomp, and what the features document says of it.  */

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

void
mr_spec_seccomp_free (struct mr_spec_seccomp *sc)
{
  if (sc == NULL)
    return;
  mr_spec_strv_free (sc->architectures);
  mr_spec_strv_free (sc->flags);
  free (sc->listener_path);
  free (sc->listener_metadata);
  if (sc->syscalls)
    for (size_t i = 0; i < sc->n_syscalls; i++)
      {
        mr_spec_strv_free (sc->syscalls[i].names);
        free (sc->syscalls[i].args);
      }
  free (sc->syscalls);
  free (sc);
}

static int
parse_seccomp_action (struct pctx *pc, json_t *obj, const char *parent, const char *key,
                      enum mr_seccomp_action *out)
{
  char p[PATH_LEN];
  const char *name;
  int a;

  if (mr_spec_read_cstr (pc, obj, parent, key, true, &name) < 0)
    return -1;
  a = mr_spec_index_of (seccomp_action_names, N_ELEMENTS (seccomp_action_names), name);
  if (a < 0)
    return mr_spec_fail (pc, mr_spec_key_path (p, parent, key), "unknown action '%s'", name);
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

  if (mr_spec_alloc_array (pc, a, sizeof *sys->args, (void **)&sys->args, &sys->n_args) < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_seccomp_arg *arg = &sys->args[i];
    const char *op;
    uint64_t idx;
    int o;

    mr_spec_index_path (p, path, i);
    if (mr_spec_v_object (pc, e, p) < 0)
      return -1;
    if (mr_spec_read_uint64 (pc, e, p, "index", true, 5, &idx) < 0
        || mr_spec_read_uint64 (pc, e, p, "value", true, UINT64_MAX, &arg->value) < 0
        || mr_spec_read_uint64 (pc, e, p, "valueTwo", false, UINT64_MAX, &arg->value_two) < 0
        || mr_spec_read_cstr (pc, e, p, "op", true, &op) < 0)
      return -1;
    arg->index = (unsigned)idx;
    o = mr_spec_index_of (seccomp_op_names, N_ELEMENTS (seccomp_op_names), op);
    if (o < 0)
      return mr_spec_fail (pc, mr_spec_key_path (ep, p, "op"), "unknown operator '%s'", op);
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

  if (mr_spec_alloc_array (pc, a, sizeof *sc->syscalls, (void **)&sc->syscalls, &sc->n_syscalls)
      < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_seccomp_syscall *sys = &sc->syscalls[i];
    json_t *names, *args;
    uint64_t eret;
    int r;

    mr_spec_index_path (p, path, i);
    if (mr_spec_v_object (pc, e, p) < 0)
      return -1;
    mr_spec_key_path (ep, p, "names");
    names = mr_spec_member (e, "names");
    if (names == NULL || !json_is_array (names) || json_array_size (names) == 0)
      return mr_spec_fail (pc, ep, "must be a non-empty array of strings");
    if (mr_spec_v_strv (pc, names, ep, &sys->names, &sys->n_names) < 0)
      return -1;
    for (size_t j = 0; j < sys->n_names; j++)
      if (sys->names[j][0] == '\0')
        {
          char np[PATH_LEN];
          return mr_spec_fail (pc, mr_spec_index_path (np, ep, j), "empty syscall name");
        }
    if (parse_seccomp_action (pc, e, p, "action", &sys->action) < 0)
      return -1;
    r = mr_spec_read_uint64 (pc, e, p, "errnoRet", false, UINT32_MAX, &eret);
    if (r < 0)
      return -1;
    if (r > 0)
      {
        if (sys->action != MR_SECCOMP_ERRNO && sys->action != MR_SECCOMP_TRACE)
          return mr_spec_fail (pc, mr_spec_key_path (ep, p, "errnoRet"),
                               "only valid with SCMP_ACT_ERRNO and SCMP_ACT_TRACE");
        sys->errno_ret_set = true;
        sys->errno_ret = (unsigned)eret;
      }
    r = mr_spec_read_array (pc, e, p, "args", false, &args);
    if (r < 0)
      return -1;
    if (r > 0 && parse_seccomp_args (pc, args, mr_spec_key_path (ep, p, "args"), sys) < 0)
      return -1;
  }
  return 0;
}

static int
parse_seccomp_default (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_seccomp *sc)
{
  char p[PATH_LEN];
  uint64_t eret;
  int r;

  if (parse_seccomp_action (pc, obj, path, "defaultAction", &sc->default_action) < 0)
    return -1;
  if (sc->default_action == MR_SECCOMP_NOTIFY)
    return mr_spec_fail (pc, mr_spec_key_path (p, path, "defaultAction"),
                         "SCMP_ACT_NOTIFY cannot be the default action");
  r = mr_spec_read_uint64 (pc, obj, path, "defaultErrnoRet", false, UINT32_MAX, &eret);
  if (r <= 0)
    return r;
  sc->default_errno_ret_set = true;
  sc->default_errno_ret = (unsigned)eret;
  return 0;
}

static int
parse_seccomp_architectures (struct pctx *pc, json_t *obj, const char *path,
                             struct mr_spec_seccomp *sc)
{
  char p[PATH_LEN], ep[PATH_LEN];
  int r = mr_spec_read_strv (pc, obj, path, "architectures", false, &sc->architectures,
                             &sc->n_architectures);

  if (r < 0)
    return -1;
  mr_spec_key_path (p, path, "architectures");
  for (size_t i = 0; r > 0 && sc->architectures[i]; i++)
    if (strncmp (sc->architectures[i], "SCMP_ARCH_", 10) != 0 || sc->architectures[i][10] == '\0')
      return mr_spec_fail (pc, mr_spec_index_path (ep, p, i), "unknown architecture '%s'",
                           sc->architectures[i]);
  return 0;
}

static int
parse_seccomp_flags (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_seccomp *sc)
{
  char p[PATH_LEN], ep[PATH_LEN];
  int r = mr_spec_read_strv (pc, obj, path, "flags", false, &sc->flags, &sc->n_flags);

  if (r < 0)
    return -1;
  mr_spec_key_path (p, path, "flags");
  for (size_t i = 0; r > 0 && sc->flags[i]; i++)
    {
      bool known = false;
      for (size_t f = 0; f < N_ELEMENTS (seccomp_flags); f++)
        known = known || strcmp (seccomp_flags[f].name, sc->flags[i]) == 0;
      if (!known)
        return mr_spec_fail (pc, mr_spec_index_path (ep, p, i), "unknown flag '%s'", sc->flags[i]);
    }
  return 0;
}

int
mr_spec_parse_seccomp (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_seccomp *sc)
{
  char p[PATH_LEN];
  json_t *a;
  bool notify = false;
  int r;

  if (parse_seccomp_default (pc, obj, path, sc) < 0
      || parse_seccomp_architectures (pc, obj, path, sc) < 0
      || parse_seccomp_flags (pc, obj, path, sc) < 0)
    return -1;

  if (mr_spec_read_string (pc, obj, path, "listenerPath", false, &sc->listener_path) < 0)
    return -1;
  if (mr_spec_read_string (pc, obj, path, "listenerMetadata", false, &sc->listener_metadata) < 0)
    return -1;

  r = mr_spec_read_array (pc, obj, path, "syscalls", false, &a);
  if (r < 0)
    return -1;
  if (r > 0 && parse_seccomp_syscalls (pc, a, mr_spec_key_path (p, path, "syscalls"), sc) < 0)
    return -1;
  for (size_t i = 0; i < sc->n_syscalls; i++)
    notify = notify || sc->syscalls[i].action == MR_SECCOMP_NOTIFY;
  if (notify && (sc->listener_path == NULL || *sc->listener_path == '\0'))
    return mr_spec_fail (pc, mr_spec_key_path (p, path, "listenerPath"),
                         "required when an action is SCMP_ACT_NOTIFY");
  return 0;
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

json_t *
mr_spec_seccomp_features (void)
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
                  mr_spec_strv_json (seccomp_action_names, N_ELEMENTS (seccomp_action_names)),
                  "operators", mr_spec_strv_json (seccomp_op_names, N_ELEMENTS (seccomp_op_names)),
                  "archs", mr_spec_strv_json (seccomp_archs, N_ELEMENTS (seccomp_archs)),
                  "knownFlags", known, "supportedFlags", supported);
  return sc;
}
