#include "config.h"

#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <jansson.h>

#include "oci/spec-internal.h"

/* process: args, env, user, capabilities, rlimits, terminal, scheduler,
 * I/O priority, personality and CPU affinity.  */

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

int
mr_spec_cap_from_name (const char *name)
{
  if (name == NULL)
    return -1;
  return mr_spec_index_of (cap_names, N_CAPS, name);
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
  return mr_spec_name_lookup (rlimit_names, N_ELEMENTS (rlimit_names), name);
}

json_t *
mr_spec_caps_json (void)
{
  return mr_spec_strv_json (cap_names, N_CAPS);
}

void
mr_spec_process_clear (struct mr_spec_process *p)
{
  if (p == NULL)
    return;
  free (p->user.additional_gids);
  mr_spec_strv_free (p->args);
  mr_spec_strv_free (p->env);
  free (p->cwd);
  free (p->rlimits);
  free (p->caps.unknown);
  free (p->cpu_affinity_initial);
  free (p->cpu_affinity_final);
  free (p->apparmor_profile);
  free (p->selinux_label);
  memset (p, 0, sizeof *p);
}

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

  if (mr_spec_read_cstr (pc, o, path, "policy", true, &name) < 0)
    return -1;
  if (!LOOKUP (sched_policies, name, &proc->sched_policy))
    return mr_spec_fail (pc, mr_spec_key_path (p, path, "policy"), "unknown scheduling policy '%s'",
                         name);
  r = mr_spec_read_int64 (pc, o, path, "nice", false, -20, 19, &n);
  if (r < 0)
    return -1;
  proc->sched_nice = r > 0 ? (int)n : 0;
  if (mr_spec_read_int64 (pc, o, path, "priority", false, 0, 99, &n) < 0)
    return -1;
  proc->sched_priority = (uint32_t)(json_is_integer (mr_spec_member (o, "priority")) ? n : 0);
  if ((proc->sched_policy == 1 || proc->sched_policy == 2) && proc->sched_priority == 0)
    return mr_spec_fail (pc, mr_spec_key_path (p, path, "priority"),
                         "%s needs a priority of 1 to 99", name);
  if (proc->sched_policy != 1 && proc->sched_policy != 2 && proc->sched_priority != 0)
    return mr_spec_fail (pc, mr_spec_key_path (p, path, "priority"),
                         "only SCHED_FIFO and SCHED_RR take one");
  r = mr_spec_read_array (pc, o, path, "flags", false, &a);
  if (r < 0)
    return -1;
  mr_spec_key_path (p, path, "flags");
  if (r > 0)
    json_array_foreach (a, i, e)
    {
      int bit;
      if (mr_spec_v_cstr (pc, e, mr_spec_index_path (ep, p, i), &name) < 0)
        return -1;
      if (!LOOKUP (sched_flag_names, name, &bit))
        return mr_spec_fail (pc, ep, "unknown scheduler flag '%s'", name);
      proc->sched_flags |= (uint64_t)bit;
    }
  if (mr_spec_read_uint64 (pc, o, path, "runtime", false, UINT64_MAX, &proc->sched_runtime) < 0
      || mr_spec_read_uint64 (pc, o, path, "deadline", false, UINT64_MAX, &proc->sched_deadline) < 0
      || mr_spec_read_uint64 (pc, o, path, "period", false, UINT64_MAX, &proc->sched_period) < 0)
    return -1;
  proc->scheduler_set = true;
  return 0;
}

static int
parse_io_priority (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_process *proc)
{
  char p[PATH_LEN], kp[PATH_LEN];
  const char *name;
  json_t *o;
  int64_t n;
  int r = mr_spec_read_object (pc, obj, path, "ioPriority", false, &o);

  if (r <= 0)
    return r;
  mr_spec_key_path (p, path, "ioPriority");
  if (mr_spec_read_cstr (pc, o, p, "class", true, &name) < 0)
    return -1;
  if (!LOOKUP (ioprio_classes, name, &proc->ioprio_class))
    return mr_spec_fail (pc, mr_spec_key_path (kp, p, "class"), "unknown I/O priority class '%s'",
                         name);
  r = mr_spec_read_int64 (pc, o, p, "priority", false, 0, 7, &n);
  if (r < 0)
    return -1;
  proc->ioprio_level = r > 0 ? (int)n : 0;
  proc->ioprio_set = true;
  return 0;
}

static int
parse_personality (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_process *proc)
{
  char p[PATH_LEN], kp[PATH_LEN];
  const char *name;
  json_t *o, *a;
  int dom;
  int r = mr_spec_read_object (pc, obj, path, "personality", false, &o);

  if (r <= 0)
    return r;
  mr_spec_key_path (p, path, "personality");
  if (mr_spec_read_cstr (pc, o, p, "domain", true, &name) < 0)
    return -1;
  if (!LOOKUP (personality_domains, name, &dom))
    return mr_spec_fail (pc, mr_spec_key_path (kp, p, "domain"), "unknown personality domain '%s'",
                         name);
  /* no flag is defined yet: one given is one we cannot honour */
  r = mr_spec_read_array (pc, o, p, "flags", false, &a);
  if (r < 0)
    return -1;
  if (r > 0 && json_array_size (a) > 0)
    return mr_spec_fail (pc, mr_spec_key_path (kp, p, "flags"), "no personality flag is supported");
  proc->personality = (unsigned long)dom;
  proc->personality_set = true;
  return 0;
}

static int
parse_exec_cpu_affinity (struct pctx *pc, json_t *obj, const char *path,
                         struct mr_spec_process *proc)
{
  char *const *lists[] = { &proc->cpu_affinity_initial, &proc->cpu_affinity_final };
  static const char *const keys[] = { "initial", "final" };
  char p[PATH_LEN], kp[PATH_LEN];
  json_t *o;
  int r = mr_spec_read_object (pc, obj, path, "execCPUAffinity", false, &o);

  if (r <= 0)
    return r;
  mr_spec_key_path (p, path, "execCPUAffinity");
  for (size_t k = 0; k < 2; k++)
    {
      char **out = (char **)lists[k];
      cpu_set_t set;
      r = mr_spec_read_string (pc, o, p, keys[k], false, out);
      if (r < 0)
        return -1;
      if (r > 0 && mr_cpu_list_parse (*out, &set) < 0)
        return mr_spec_fail (pc, mr_spec_key_path (kp, p, keys[k]),
                             "'%s' is not a cpu list (as \"0-3,7\")", *out);
    }
  return 0;
}

/* The fields runtime-spec 1.2 added to process.  */
static int
parse_process_12 (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_process *proc)
{
  char p[PATH_LEN];
  json_t *o;
  int r;

  r = mr_spec_read_object (pc, obj, path, "scheduler", false, &o);
  if (r < 0
      || (r > 0 && parse_scheduler (pc, o, mr_spec_key_path (p, path, "scheduler"), proc) < 0))
    return -1;
  if (parse_io_priority (pc, obj, path, proc) < 0 || parse_personality (pc, obj, path, proc) < 0
      || parse_exec_cpu_affinity (pc, obj, path, proc) < 0)
    return -1;
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
      int r = mr_spec_read_array (pc, obj, path, keys[k], false, &a);
      if (r < 0)
        return -1;
      if (r == 0)
        continue;
      mr_spec_key_path (p, path, keys[k]);
      json_array_foreach (a, i, e)
      {
        const char *name;
        int cap;
        if (mr_spec_v_cstr (pc, e, mr_spec_index_path (ep, p, i), &name) < 0)
          return -1;
        cap = mr_spec_cap_from_name (name);
        /* a newer kernel's capability, or a typo: skipped, as runc skips
           it, and named so that the caller can warn */
        if (cap < 0)
          {
            if (add_unknown_cap (&caps->unknown, name) < 0)
              return mr_spec_oom (pc);
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

  if (mr_spec_alloc_array (pc, a, sizeof *proc->rlimits, (void **)&proc->rlimits, &proc->n_rlimits)
      < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_rlimit *rl = &proc->rlimits[i];
    const char *type;

    mr_spec_index_path (p, path, i);
    if (mr_spec_v_object (pc, e, p) < 0)
      return -1;
    if (mr_spec_read_cstr (pc, e, p, "type", true, &type) < 0)
      return -1;
    mr_spec_key_path (tp, p, "type");
    rl->resource = mr_spec_rlimit_from_name (type);
    if (rl->resource < 0)
      return mr_spec_fail (pc, tp, "unknown rlimit '%s'", type);
    for (size_t j = 0; j < i; j++)
      if (proc->rlimits[j].resource == rl->resource)
        return mr_spec_fail (pc, tp, "duplicate rlimit '%s'", type);
    if (mr_spec_read_uint64 (pc, e, p, "soft", true, UINT64_MAX, &rl->soft) < 0
        || mr_spec_read_uint64 (pc, e, p, "hard", true, UINT64_MAX, &rl->hard) < 0)
      return -1;
    if (rl->soft > rl->hard)
      return mr_spec_fail (pc, p, "soft limit %" PRIu64 " is greater than hard limit %" PRIu64,
                           rl->soft, rl->hard);
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

  if (mr_spec_read_uint32 (pc, obj, path, "uid", false, UINT32_MAX, &id) < 0)
    return -1;
  u->uid = id;
  id = 0;
  if (mr_spec_read_uint32 (pc, obj, path, "gid", false, UINT32_MAX, &id) < 0)
    return -1;
  u->gid = id;
  r = mr_spec_read_uint64 (pc, obj, path, "umask", false, 0777, &umask);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      u->umask_set = true;
      u->umask = (mode_t)umask;
    }
  r = mr_spec_read_array (pc, obj, path, "additionalGids", false, &a);
  if (r <= 0)
    return r;
  mr_spec_key_path (p, path, "additionalGids");
  if (mr_spec_alloc_array (pc, a, sizeof (gid_t), (void **)&u->additional_gids,
                           &u->n_additional_gids)
      < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    uint64_t g;
    if (mr_spec_v_uint64 (pc, e, mr_spec_index_path (ep, p, i), UINT32_MAX, &g) < 0)
      return -1;
    u->additional_gids[i] = (gid_t)g;
  }
  return 0;
}

static int
parse_console_size (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_process *proc)
{
  char p[PATH_LEN];
  json_t *o;
  uint64_t n;
  int r = mr_spec_read_object (pc, obj, path, "consoleSize", false, &o);

  if (r <= 0)
    return r;
  mr_spec_key_path (p, path, "consoleSize");
  if (mr_spec_read_uint64 (pc, o, p, "height", true, UINT16_MAX, &n) < 0)
    return -1;
  proc->console_height = (unsigned)n;
  if (mr_spec_read_uint64 (pc, o, p, "width", true, UINT16_MAX, &n) < 0)
    return -1;
  proc->console_width = (unsigned)n;
  return 0;
}

/* args, env and cwd: what is run, and where.  */
static int
parse_command (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_process *proc)
{
  char p[PATH_LEN], ep[PATH_LEN];
  json_t *a;
  int r;

  mr_spec_key_path (p, path, "args");
  a = mr_spec_member (obj, "args");
  if (a == NULL || !json_is_array (a) || json_array_size (a) == 0)
    return mr_spec_fail (pc, p, "must be a non-empty array of strings");
  if (mr_spec_v_strv (pc, a, p, &proc->args, &proc->n_args) < 0)
    return -1;

  r = mr_spec_read_strv (pc, obj, path, "env", false, &proc->env, &proc->n_env);
  if (r < 0)
    return -1;
  mr_spec_key_path (p, path, "env");
  for (size_t i = 0; r > 0 && proc->env[i]; i++)
    if (proc->env[i][0] == '=' || strchr (proc->env[i], '=') == NULL)
      return mr_spec_fail (pc, mr_spec_index_path (ep, p, i), "'%s' is not of the form NAME=VALUE",
                           proc->env[i]);

  r = mr_spec_read_abs_path (pc, obj, path, "cwd", false, &proc->cwd);
  if (r < 0)
    return -1;
  if (r == 0 && (proc->cwd = strdup ("/")) == NULL)
    return mr_spec_oom (pc);
  return 0;
}

/* capabilities, rlimits, noNewPrivileges, oomScoreAdj and the security
 * labels: what the process may do and use.  */
static int
parse_privileges (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_process *proc)
{
  char p[PATH_LEN];
  json_t *o, *a;
  int64_t adj;
  int r;

  r = mr_spec_read_object (pc, obj, path, "capabilities", false, &o);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      proc->caps_set = true;
      if (parse_caps (pc, o, mr_spec_key_path (p, path, "capabilities"), &proc->caps) < 0)
        return -1;
    }

  r = mr_spec_read_array (pc, obj, path, "rlimits", false, &a);
  if (r < 0)
    return -1;
  if (r > 0 && parse_rlimits (pc, a, mr_spec_key_path (p, path, "rlimits"), proc) < 0)
    return -1;

  if (mr_spec_read_bool (pc, obj, path, "noNewPrivileges", false, &proc->no_new_privileges) < 0)
    return -1;
  r = mr_spec_read_int64 (pc, obj, path, "oomScoreAdj", false, -1000, 1000, &adj);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      proc->oom_score_adj_set = true;
      proc->oom_score_adj = (int)adj;
    }
  if (mr_spec_read_string (pc, obj, path, "apparmorProfile", false, &proc->apparmor_profile) < 0
      || mr_spec_read_string (pc, obj, path, "selinuxLabel", false, &proc->selinux_label) < 0)
    return -1;
  return 0;
}

int
mr_spec_parse_process (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_process *proc)
{
  char p[PATH_LEN];
  json_t *o;
  int r;

  if (mr_spec_v_object (pc, obj, path) < 0)
    return -1;
  if (mr_spec_read_bool (pc, obj, path, "terminal", false, &proc->terminal) < 0)
    return -1;
  if (parse_console_size (pc, obj, path, proc) < 0)
    return -1;

  r = mr_spec_read_object (pc, obj, path, "user", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && parse_user (pc, o, mr_spec_key_path (p, path, "user"), &proc->user) < 0)
    return -1;

  if (parse_command (pc, obj, path, proc) < 0 || parse_privileges (pc, obj, path, proc) < 0)
    return -1;
  return parse_process_12 (pc, obj, path, proc);
}
