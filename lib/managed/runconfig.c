/* Docker-style run options turned into an OCI config.json, with Docker's
 * defaults: its capability set, masked paths, mounts, and the meaning it
 * gives to each option's values.  */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <dirent.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cap-ng.h>
#include <jansson.h>

#include "managed/runconfig.h"
#include "net/net.h"
#include "oci/spec.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/error.h"
#include "util/fs.h"
#include "linux/seccomp.h"
#include "util/path.h"

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* Docker refuses smaller memory limits: the runtime itself needs some.  */
#define MIN_MEMORY (6 * 1024 * 1024)
#define CPU_PERIOD 100000
#define MIN_CPU_SHARES 2
#define MAX_CPU_SHARES 262144
#define DEFAULT_STOP_TIMEOUT 10
/* glibc's and musl's resolvers read no more nameservers (MAXNS) */
#define MAX_DNS 3
#define HOSTNAME_MAX 64

static int
oom (struct mr_error *err)
{
  return mr_error_errno (err, ENOMEM, "build the container's config");
}

/* ------------------------------------------------------------------------ */
/* Restart policies and names.  */

static const char *const restart_names[] = {
  [MR_RESTART_NO] = "no",
  [MR_RESTART_ON_FAILURE] = "on-failure",
  [MR_RESTART_ALWAYS] = "always",
  [MR_RESTART_UNLESS_STOPPED] = "unless-stopped",
};

const char *
mr_restart_name (enum mr_restart_kind kind)
{
  if ((size_t)kind >= N_ELEMENTS (restart_names))
    return "no";
  return restart_names[kind];
}

/* A decimal number of at most max, digits only.  */
static int
parse_decimal (const char *s, uint64_t max, uint64_t *out)
{
  uint64_t v = 0;

  if (*s == '\0')
    return -1;
  for (; *s; s++)
    {
      if (!isdigit ((unsigned char)*s))
        return -1;
      if (v > (max - (uint64_t)(*s - '0')) / 10)
        return -1;
      v = v * 10 + (uint64_t)(*s - '0');
    }
  *out = v;
  return 0;
}

int
mr_restart_parse (const char *s, enum mr_restart_kind *kind, int *max_retries, struct mr_error *err)
{
  const char *colon;
  size_t len;
  uint64_t n = 0;

  *kind = MR_RESTART_NO;
  *max_retries = 0;
  if (s == NULL || *s == '\0')
    return 0;
  colon = strchr (s, ':');
  len = colon ? (size_t)(colon - s) : strlen (s);
  for (size_t i = 0; i < N_ELEMENTS (restart_names); i++)
    {
      if (strlen (restart_names[i]) != len || strncmp (restart_names[i], s, len) != 0)
        continue;
      if (colon == NULL)
        {
          *kind = (enum mr_restart_kind)i;
          return 0;
        }
      if (i != MR_RESTART_ON_FAILURE)
        return mr_error_set (err,
                             "invalid --restart '%s': a maximum retry count only goes with "
                             "'on-failure'",
                             s);
      if (parse_decimal (colon + 1, INT_MAX, &n) < 0)
        return mr_error_set (err,
                             "invalid --restart '%s': the maximum retry count must be a "
                             "number of 0 or more",
                             s);
      *kind = MR_RESTART_ON_FAILURE;
      *max_retries = (int)n;
      return 0;
    }
  return mr_error_set (err,
                       "invalid --restart '%s': want no, on-failure[:N], always or "
                       "unless-stopped",
                       s);
}

static const char *const name_adjectives[] = {
  "agile",  "amber",  "ancient", "bold",    "brave",  "breezy", "bright", "calm",  "clever",
  "cosmic", "crisp",  "curious", "daring",  "dusty",  "eager",  "early",  "fancy", "fearless",
  "gentle", "glad",   "golden",  "grand",   "happy",  "hidden", "humble", "jolly", "keen",
  "kind",   "lively", "lucky",   "merry",   "mighty", "modest", "nimble", "noble", "patient",
  "plucky", "polite", "proud",   "quiet",   "rapid",  "serene", "sharp",  "shiny", "silent",
  "smooth", "snowy",  "sturdy",  "sunny",   "swift",  "tender", "tidy",   "vivid", "wandering",
  "warm",   "wise",   "witty",   "zealous",
};

static const char *const name_nouns[] = {
  "albatross", "badger", "beacon", "birch",   "canyon", "cedar",   "comet",   "coral",   "crane",
  "delta",     "dune",   "falcon", "fjord",   "forest", "galaxy",  "geyser",  "glacier", "harbor",
  "heron",     "island", "lagoon", "lantern", "lynx",   "maple",   "meadow",  "meteor",  "nebula",
  "oasis",     "orchid", "otter",  "panda",   "pebble", "pine",    "planet",  "prairie", "quasar",
  "raven",     "reef",   "river",  "robin",   "saturn", "sequoia", "sparrow", "spruce",  "summit",
  "tundra",    "valley", "walrus", "willow",  "wombat", "zephyr",
};

void
mr_name_generate (char *buf, size_t len)
{
  uint32_t r[2];

  if (getrandom (r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
    {
      /* early boot, no entropy yet: the name need not be unpredictable,
       * only unlikely to repeat */
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      r[0] = (uint32_t)ts.tv_nsec ^ (uint32_t)getpid ();
      r[1] = (uint32_t)ts.tv_sec * 2654435761u ^ (uint32_t)ts.tv_nsec;
    }
  snprintf (buf, len, "%s_%s", name_adjectives[r[0] % N_ELEMENTS (name_adjectives)],
            name_nouns[r[1] % N_ELEMENTS (name_nouns)]);
}

void
mr_run_config_init (struct mr_run_config *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->size = sizeof *cfg;
  cfg->memory = -1;
  cfg->memory_swap = -1;
  cfg->cpu_shares = -1;
  cfg->pids_limit = -1;
  cfg->stop_timeout = -1;
  cfg->log_max_size = -1;
  cfg->log_max_files = -1;
}

int
mr_run_config_log_opt (struct mr_run_config *cfg, const char *opt, struct mr_error *err)
{
  if (strncmp (opt, "max-size=", 9) == 0)
    {
      int64_t b;
      if (mr_size_parse (opt + 9, &b) < 0 || b < 0)
        return mr_error_set (err, "invalid --log-opt '%s': expected max-size=SIZE (10m)", opt);
      cfg->log_max_size = b;
      return 0;
    }
  if (strncmp (opt, "max-file=", 9) == 0)
    {
      char *end;
      long n;
      errno = 0;
      n = strtol (opt + 9, &end, 10);
      if (opt[9] < '0' || opt[9] > '9' || *end || errno || n < 1 || n > 100)
        return mr_error_set (err, "invalid --log-opt '%s': expected max-file=N (1 to 100)", opt);
      /* docker counts the file being written too */
      cfg->log_max_files = (int)n - 1;
      return 0;
    }
  return mr_error_set (err, "invalid --log-opt '%s': expected max-size=SIZE or max-file=N", opt);
}

/* ------------------------------------------------------------------------ */
/* A growable list of owned strings.  */

struct strlist
{
  char **v;
  size_t n;
  size_t cap;
};

static void
strlist_clear (struct strlist *l)
{
  for (size_t i = 0; i < l->n; i++)
    free (l->v[i]);
  free (l->v);
  l->v = NULL;
  l->n = l->cap = 0;
}

/* Takes s, also on failure.  */
static int
strlist_push (struct strlist *l, char *s)
{
  if (s == NULL)
    return -1;
  if (l->n == l->cap)
    {
      size_t cap = l->cap ? l->cap * 2 : 16;
      char **v = realloc (l->v, cap * sizeof *v);
      if (v == NULL)
        {
          free (s);
          return -1;
        }
      l->v = v;
      l->cap = cap;
    }
  l->v[l->n++] = s;
  return 0;
}

static json_t *
strlist_json (const struct strlist *l)
{
  json_t *a = json_array ();

  for (size_t i = 0; a && i < l->n; i++)
    if (json_array_append_new (a, json_string (l->v[i])) < 0)
      {
        json_decref (a);
        return NULL;
      }
  return a;
}

static json_t *
strv_json (const char *const *v)
{
  json_t *a = json_array ();

  for (size_t i = 0; a && v && v[i]; i++)
    if (json_array_append_new (a, json_string (v[i])) < 0)
      {
        json_decref (a);
        return NULL;
      }
  return a;
}

/* ------------------------------------------------------------------------ */
/* The environment.  */

/* Sets "KEY=VALUE" (keylen: the length of KEY), replacing an earlier value
 * of the same key where it stood.  */
static int
env_put (struct strlist *env, const char *key, size_t keylen, const char *value,
         struct mr_error *err)
{
  char *s;

  if (asprintf (&s, "%.*s=%s", (int)keylen, key, value) < 0)
    return oom (err);
  for (size_t i = 0; i < env->n; i++)
    if (strncmp (env->v[i], s, keylen + 1) == 0)
      {
        free (env->v[i]);
        env->v[i] = s;
        return 0;
      }
  if (strlist_push (env, s) < 0)
    return oom (err);
  return 0;
}

/* "K=V", or a bare "K" that takes the caller's value and is dropped when
 * the caller has none.  Errors read "WHAT 'entry': ...".  */
static int
env_add (struct strlist *env, const char *entry, const char *what, struct mr_error *err)
{
  const char *eq = strchr (entry, '=');
  size_t keylen = eq ? (size_t)(eq - entry) : strlen (entry);
  cleanup_free char *key = NULL;
  const char *value;

  if (keylen == 0)
    return mr_error_set (err, "%s '%s': the variable name is empty", what, entry);
  for (size_t i = 0; i < keylen; i++)
    if (isspace ((unsigned char)entry[i]))
      return mr_error_set (err, "%s '%s': the variable name contains white space", what, entry);
  if (eq)
    return env_put (env, entry, keylen, eq + 1, err);
  key = strndup (entry, keylen);
  if (key == NULL)
    return oom (err);
  value = getenv (key);
  if (value == NULL)
    return 0;
  return env_put (env, entry, keylen, value, err);
}

/* Lines of K=V (or a bare K); blank lines and '#' comments are skipped, and
 * so is white space before a line's text.  */
static int
env_add_file (struct strlist *env, const char *path, struct mr_error *err)
{
  cleanup_free char *buf = NULL;
  char what[64];
  size_t len, lineno = 0;
  char *line, *next;

  if (mr_read_file (path, &buf, &len, err) < 0)
    return mr_error_prefix (err, "invalid --env-file '%s'", path);
  if (strlen (buf) != len)
    return mr_error_set (err, "invalid --env-file '%s': it contains a NUL byte", path);
  for (line = buf; line && *line; line = next)
    {
      size_t n;

      lineno++;
      next = strchr (line, '\n');
      if (next)
        *next++ = '\0';
      n = strlen (line);
      if (n > 0 && line[n - 1] == '\r')
        line[--n] = '\0';
      while (isspace ((unsigned char)*line))
        line++;
      if (*line == '\0' || *line == '#')
        continue;
      snprintf (what, sizeof what, "line %zu", lineno);
      if (env_add (env, line, what, err) < 0)
        return mr_error_prefix (err, "invalid --env-file '%s'", path);
    }
  return 0;
}

static int
build_env (const struct mr_run_config *cfg, const json_t *image, const char *hostname,
           struct strlist *env, struct mr_error *err)
{
  json_t *ienv = image ? json_object_get (image, "Env") : NULL;

  if (env_add (env, DEFAULT_PATH, "default environment", err) < 0
      || env_put (env, "HOSTNAME", strlen ("HOSTNAME"), hostname, err) < 0)
    return -1;
  if (cfg->tty && env_put (env, "TERM", strlen ("TERM"), "xterm", err) < 0)
    return -1;
  if (json_is_array (ienv))
    {
      size_t i;
      json_t *e;
      json_array_foreach (ienv, i, e)
      {
        const char *s = json_string_value (e);
        if (s == NULL || strchr (s, '=') == NULL)
          return mr_error_set (err, "invalid image config: Env[%zu] is not of the form NAME=VALUE",
                               i);
        if (env_add (env, s, "invalid image config: Env entry", err) < 0)
          return -1;
      }
    }
  for (size_t i = 0; cfg->env_files && cfg->env_files[i]; i++)
    if (env_add_file (env, cfg->env_files[i], err) < 0)
      return -1;
  for (size_t i = 0; cfg->env && cfg->env[i]; i++)
    if (env_add (env, cfg->env[i], "invalid --env", err) < 0)
      return -1;
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Process: user, args, cwd.  */

/* "UID[:GID]", numbers only; a missing GID is 0.  */
static int
parse_user (const char *s, uid_t *uid, gid_t *gid)
{
  const char *colon = strchr (s, ':');
  char u[16];
  uint64_t v;
  size_t n = colon ? (size_t)(colon - s) : strlen (s);

  if (n == 0 || n >= sizeof u)
    return -1;
  memcpy (u, s, n);
  u[n] = '\0';
  /* (uid_t) -1 means "no change" to setresuid: never a real id */
  if (parse_decimal (u, UINT32_MAX - 1, &v) < 0)
    return -1;
  *uid = (uid_t)v;
  *gid = 0;
  if (colon == NULL)
    return 0;
  if (parse_decimal (colon + 1, UINT32_MAX - 1, &v) < 0)
    return -1;
  *gid = (gid_t)v;
  return 0;
}

static int
build_user (const struct mr_run_config *cfg, const json_t *image, json_t **user,
            const char **user_str, struct mr_error *err)
{
  const char *iuser = image ? json_string_value (json_object_get (image, "User")) : NULL;
  uid_t uid = 0;
  gid_t gid = 0;

  *user_str = "";
  if (cfg->user && *cfg->user)
    {
      if (parse_user (cfg->user, &uid, &gid) < 0)
        return mr_error_set (err,
                             "invalid --user '%s': give numbers, UID[:GID] (user names are "
                             "not looked up)",
                             cfg->user);
      *user_str = cfg->user;
    }
  else if (iuser && *iuser)
    {
      if (parse_user (iuser, &uid, &gid) < 0)
        return mr_error_set (err,
                             "the image's user '%s' is not numeric: give --user UID[:GID] "
                             "(user names are not looked up)",
                             iuser);
      *user_str = iuser;
    }
  *user = json_pack ("{s:I, s:I}", "uid", (json_int_t)uid, "gid", (json_int_t)gid);
  return *user ? 0 : oom (err);
}

static int
build_args (const struct mr_run_config *cfg, const json_t *image, json_t **args,
            struct mr_error *err)
{
  json_t *cmd = image ? json_object_get (image, "Cmd") : NULL;
  static const char *const shell[] = { "/bin/sh", NULL };

  if (cfg->args && cfg->args[0])
    {
      if (cfg->args[0][0] == '\0')
        return mr_error_set (err, "invalid command: the program name is empty");
      *args = strv_json (cfg->args);
    }
  else if (json_is_array (cmd) && json_array_size (cmd) > 0)
    {
      size_t i;
      json_t *e;
      json_array_foreach (cmd, i, e)
      {
        if (!json_is_string (e) || strlen (json_string_value (e)) != json_string_length (e)
            || (i == 0 && json_string_length (e) == 0))
          return mr_error_set (err, "invalid image config: Cmd[%zu] is not a usable string", i);
      }
      *args = json_deep_copy (cmd);
    }
  else
    *args = strv_json (shell);
  return *args ? 0 : oom (err);
}

static int
build_cwd (const struct mr_run_config *cfg, const json_t *image, const char **cwd,
           struct mr_error *err)
{
  const char *iwd = image ? json_string_value (json_object_get (image, "WorkingDir")) : NULL;

  if (cfg->workdir && *cfg->workdir)
    {
      if (cfg->workdir[0] != '/')
        return mr_error_set (err, "invalid --workdir '%s': it must be an absolute path",
                             cfg->workdir);
      *cwd = cfg->workdir;
    }
  else if (iwd && *iwd)
    {
      if (iwd[0] != '/')
        return mr_error_set (err, "invalid image config: WorkingDir '%s' is not an absolute path",
                             iwd);
      *cwd = iwd;
    }
  else
    *cwd = "/";
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Capabilities.  */

/* Docker's set less CAP_MKNOD, as Podman: device nodes made inside a
 * container are refused by its device cgroup anyway, and --cap-add MKNOD
 * gives it back.  */
static const int default_caps[] = {
  CAP_CHOWN,      CAP_DAC_OVERRIDE, CAP_FSETID,      CAP_FOWNER,  CAP_NET_RAW,
  CAP_SETGID,     CAP_SETUID,       CAP_SETFCAP,     CAP_SETPCAP, CAP_NET_BIND_SERVICE,
  CAP_SYS_CHROOT, CAP_KILL,         CAP_AUDIT_WRITE,
};

/* Every capability that both the running kernel (as libcap-ng reads it) and
 * the spec parser know, and that our bounding set still holds: what a
 * runtime started from here can give.  */
static uint64_t
all_caps (void)
{
  uint64_t mask = 0;

  for (int c = 0; c < 64; c++)
    if (mr_spec_cap_name (c) && capng_capability_to_name ((unsigned)c)
        && prctl (PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) != 0)
      mask |= UINT64_C (1) << c;
  return mask;
}

/* "NET_ADMIN", "cap_net_admin", "ALL".  *cap: the number, or -1 for ALL.  */
static int
parse_cap (const char *opt, const char *s, int *cap, struct mr_error *err)
{
  const char *name = s;
  int c;

  if (strcasecmp (name, "ALL") == 0)
    {
      *cap = -1;
      return 0;
    }
  if (strncasecmp (name, "CAP_", 4) == 0)
    name += 4;
  c = *name ? capng_name_to_capability (name) : -1;
  if (c < 0 || c >= 64 || mr_spec_cap_name (c) == NULL)
    return mr_error_set (err, "invalid %s '%s': unknown capability", opt, s);
  *cap = c;
  return 0;
}

/* Parses a list into a mask (all: "ALL" was named) and its record (the
 * names as CAP_X, or ALL).  */
static int
parse_cap_list (const char *opt, const char *const *list, uint64_t *mask, bool *all, json_t **rec,
                struct mr_error *err)
{
  *mask = 0;
  *all = false;
  *rec = json_array ();
  if (*rec == NULL)
    return oom (err);
  for (size_t i = 0; list && list[i]; i++)
    {
      int c = 0;
      if (parse_cap (opt, list[i], &c, err) < 0)
        return -1;
      if (c < 0)
        *all = true;
      else
        *mask |= UINT64_C (1) << c;
      if (json_array_append_new (*rec, json_string (c < 0 ? "ALL" : mr_spec_cap_name (c))) < 0)
        return oom (err);
    }
  return 0;
}

static json_t *
cap_mask_json (uint64_t mask)
{
  json_t *a = json_array ();

  for (int c = 0; a && c < 64; c++)
    if ((mask & (UINT64_C (1) << c))
        && json_array_append_new (a, json_string (mr_spec_cap_name (c))) < 0)
      {
        json_decref (a);
        return NULL;
      }
  return a;
}

/* As Docker: --cap-add ALL (and --privileged) grants everything but what
 * --cap-drop names; --cap-drop ALL leaves only what --cap-add names;
 * otherwise the default set less the drops plus the adds.  */
static int
build_caps (const struct mr_run_config *cfg, bool privileged, json_t **caps, json_t **add_rec,
            json_t **drop_rec, uint64_t *mask_out, struct mr_error *err)
{
  uint64_t add, drop, mask = 0;
  bool add_all, drop_all;

  if (parse_cap_list ("--cap-add", cfg->cap_add, &add, &add_all, add_rec, err) < 0
      || parse_cap_list ("--cap-drop", cfg->cap_drop, &drop, &drop_all, drop_rec, err) < 0)
    return -1;
  if (privileged)
    mask = drop_all ? add : all_caps () & ~drop;
  else if (add_all)
    mask = all_caps () & ~drop;
  else if (drop_all)
    mask = add;
  else
    {
      for (size_t i = 0; i < N_ELEMENTS (default_caps); i++)
        mask |= UINT64_C (1) << default_caps[i];
      mask = (mask & ~drop) | add;
    }
  *mask_out = mask;
  *caps = json_pack ("{s:o, s:o, s:o}", "bounding", cap_mask_json (mask), "effective",
                     cap_mask_json (mask), "permitted", cap_mask_json (mask));
  return *caps ? 0 : oom (err);
}

/* ------------------------------------------------------------------------ */
/* Ulimits.  */

static const struct
{
  const char *name;
  const char *spec_name;
} ulimit_names[] = {
  { "as", "RLIMIT_AS" },
  { "core", "RLIMIT_CORE" },
  { "cpu", "RLIMIT_CPU" },
  { "data", "RLIMIT_DATA" },
  { "fsize", "RLIMIT_FSIZE" },
  { "locks", "RLIMIT_LOCKS" },
  { "memlock", "RLIMIT_MEMLOCK" },
  { "msgqueue", "RLIMIT_MSGQUEUE" },
  { "nice", "RLIMIT_NICE" },
  { "nofile", "RLIMIT_NOFILE" },
  { "nproc", "RLIMIT_NPROC" },
  { "rss", "RLIMIT_RSS" },
  { "rtprio", "RLIMIT_RTPRIO" },
  { "rttime", "RLIMIT_RTTIME" },
  { "sigpending", "RLIMIT_SIGPENDING" },
  { "stack", "RLIMIT_STACK" },
};

struct ulimit
{
  size_t name;  /* index into ulimit_names */
  int64_t soft; /* -1: unlimited */
  int64_t hard;
};

/* A number, or -1 / "unlimited".  */
static int
parse_limit (const char *s, int64_t *out)
{
  uint64_t v;

  if (strcmp (s, "-1") == 0 || strcasecmp (s, "unlimited") == 0)
    {
      *out = -1;
      return 0;
    }
  if (parse_decimal (s, INT64_MAX, &v) < 0)
    return -1;
  *out = (int64_t)v;
  return 0;
}

/* -1 (unlimited) above every number.  */
static bool
limit_above (int64_t a, int64_t b)
{
  if (a < 0)
    return b >= 0;
  return b >= 0 && a > b;
}

static int
parse_ulimit (const char *s, struct ulimit *u, struct mr_error *err)
{
  const char *eq = strchr (s, '=');
  cleanup_free char *value = NULL;
  char *colon;
  size_t i;

  if (eq == NULL)
    return mr_error_set (err, "invalid --ulimit '%s': expected NAME=SOFT[:HARD]", s);
  for (i = 0; i < N_ELEMENTS (ulimit_names); i++)
    if (strlen (ulimit_names[i].name) == (size_t)(eq - s)
        && strncmp (ulimit_names[i].name, s, (size_t)(eq - s)) == 0)
      break;
  if (i == N_ELEMENTS (ulimit_names))
    return mr_error_set (err, "invalid --ulimit '%s': unknown limit '%.*s'", s, (int)(eq - s), s);
  u->name = i;
  value = strdup (eq + 1);
  if (value == NULL)
    return oom (err);
  colon = strchr (value, ':');
  if (colon)
    *colon++ = '\0';
  if (parse_limit (value, &u->soft) < 0 || (colon && parse_limit (colon, &u->hard) < 0))
    return mr_error_set (err,
                         "invalid --ulimit '%s': limits are numbers of 0 or more, -1 or "
                         "'unlimited'",
                         s);
  if (colon == NULL)
    u->hard = u->soft;
  if (limit_above (u->soft, u->hard))
    return mr_error_set (err, "invalid --ulimit '%s': soft limit above hard limit", s);
  return 0;
}

/* jansson holds no integer above INT64_MAX, so RLIM_INFINITY cannot be
 * written; INT64_MAX is a limit that no process reaches.  */
static json_int_t
rlimit_value (int64_t v)
{
  return v < 0 ? (json_int_t)INT64_MAX : (json_int_t)v;
}

static int
build_rlimits (const struct mr_run_config *cfg, json_t **rlimits, json_t **rec,
               struct mr_error *err)
{
  struct ulimit list[N_ELEMENTS (ulimit_names)];
  size_t n = 0;

  for (size_t i = 0; cfg->ulimits && cfg->ulimits[i]; i++)
    {
      struct ulimit u;
      size_t j;
      if (parse_ulimit (cfg->ulimits[i], &u, err) < 0)
        return -1;
      /* a later value for the same limit wins */
      for (j = 0; j < n && list[j].name != u.name; j++)
        ;
      list[j] = u;
      if (j == n)
        n++;
    }
  *rlimits = json_array ();
  *rec = json_array ();
  if (*rlimits == NULL || *rec == NULL)
    return oom (err);
  for (size_t i = 0; i < n; i++)
    if (json_array_append_new (*rlimits, json_pack ("{s:s, s:I, s:I}", "type",
                                                    ulimit_names[list[i].name].spec_name, "soft",
                                                    rlimit_value (list[i].soft), "hard",
                                                    rlimit_value (list[i].hard)))
            < 0
        || json_array_append_new (
               *rec, json_pack ("{s:s, s:I, s:I}", "Name", ulimit_names[list[i].name].name, "Soft",
                                (json_int_t)list[i].soft, "Hard", (json_int_t)list[i].hard))
               < 0)
      return oom (err);
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Mounts.  */

static json_t *
mount_json (const char *dest, const char *type, const char *source, const char *const *opts)
{
  json_t *m = json_pack ("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", source);

  if (m && opts && json_object_set_new (m, "options", strv_json (opts)) < 0)
    {
      json_decref (m);
      return NULL;
    }
  return m;
}

static int
add_default_mounts (json_t *mounts)
{
  static const char *const dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
  static const char *const pts[]
      = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
  static const char *const shm[]
      = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
  static const char *const mqueue[] = { "nosuid", "noexec", "nodev", NULL };
  static const char *const sys[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const cgroup[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };

  if (json_array_append_new (mounts, mount_json ("/proc", "proc", "proc", NULL)) < 0
      || json_array_append_new (mounts, mount_json ("/dev", "tmpfs", "tmpfs", dev)) < 0
      || json_array_append_new (mounts, mount_json ("/dev/pts", "devpts", "devpts", pts)) < 0
      || json_array_append_new (mounts, mount_json ("/dev/shm", "tmpfs", "shm", shm)) < 0
      || json_array_append_new (mounts, mount_json ("/dev/mqueue", "mqueue", "mqueue", mqueue)) < 0
      || json_array_append_new (mounts, mount_json ("/sys", "sysfs", "sysfs", sys)) < 0
      || json_array_append_new (mounts, mount_json ("/sys/fs/cgroup", "cgroup", "cgroup", cgroup))
             < 0)
    return -1;
  return 0;
}

/* Whether path is a regular file in the directory tree root (symlinks
   followed inside it).  */
static bool
file_in_root (int rootfd, const char *path)
{
  struct mr_error e = { 0 };
  cleanup_close int fd = mr_open_in_root (rootfd, path, O_PATH, 0, &e);
  struct stat st;

  return fd >= 0 && fstat (fd, &st) == 0 && S_ISREG (st.st_mode);
}

/* user_rootfs: the user's own directory (--rootfs), which the runtime
   never writes to: only the files it has are bound over, none is made
   there to mount on.  */
static int
add_etc_mounts (json_t *mounts, const char *etc_dir, const char *user_rootfs, struct mr_error *err)
{
  static const char *const files[] = { "hostname", "hosts", "resolv.conf" };
  static const char *const opts[] = { "rbind", "rprivate", NULL };
  cleanup_close int rootfd = -1;

  if (user_rootfs)
    rootfd = open (user_rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  for (size_t i = 0; i < N_ELEMENTS (files); i++)
    {
      cleanup_free char *src = NULL, *dst = NULL;
      if (asprintf (&src, "%s/%s", etc_dir, files[i]) < 0)
        {
          src = NULL;
          return oom (err);
        }
      if (asprintf (&dst, "/etc/%s", files[i]) < 0)
        {
          dst = NULL;
          return oom (err);
        }
      if (user_rootfs && !file_in_root (rootfd, dst))
        continue;
      if (json_array_append_new (mounts, mount_json (dst, "bind", src, opts)) < 0)
        return oom (err);
    }
  return 0;
}

/* A container path for a mount: absolute, not the root, no "..".  Stores it
 * without repeated or trailing slashes into out (PATH_MAX bytes).  */
static const char *
check_mount_point (const char *path, char *out)
{
  size_t n = 0;

  if (path[0] != '/')
    return "the container path must be absolute";
  for (const char *p = path; *p;)
    {
      size_t len;
      while (*p == '/')
        p++;
      len = strcspn (p, "/");
      if (len == 0)
        break;
      if (len == 2 && p[0] == '.' && p[1] == '.')
        return "the container path must not contain '..'";
      if (n + 1 + len >= PATH_MAX)
        return "the container path is too long";
      out[n++] = '/';
      memcpy (out + n, p, len);
      n += len;
      p += len;
    }
  if (n == 0)
    return "the container path must not be '/'";
  out[n] = '\0';
  return NULL;
}

/* Mount points already taken by --volume and --tmpfs.  */
static int
claim_mount_point (struct strlist *taken, const char *opt, const char *arg, const char *point,
                   struct mr_error *err)
{
  for (size_t i = 0; i < taken->n; i++)
    if (strcmp (taken->v[i], point) == 0)
      return mr_error_set (err, "invalid %s '%s': duplicate mount point '%s'", opt, arg, point);
  if (strlist_push (taken, strdup (point)) < 0)
    return oom (err);
  return 0;
}

static int
add_volume (json_t *mounts, struct strlist *taken, const char *vol, struct mr_error *err)
{
  static const char *const rw[] = { "rbind", "rprivate", NULL };
  static const char *const ro[] = { "rbind", "rprivate", "ro", NULL };
  cleanup_free char *copy = strdup (vol);
  char point[PATH_MAX];
  char *host, *ctr, *mode;
  const char *why;
  struct stat st;

  if (copy == NULL)
    return oom (err);
  host = copy;
  ctr = strchr (copy, ':');
  if (ctr == NULL)
    return mr_error_set (err, "invalid --volume '%s': expected HOST:CONTAINER[:ro|rw]", vol);
  *ctr++ = '\0';
  mode = strchr (ctr, ':');
  if (mode)
    {
      *mode++ = '\0';
      if (strchr (mode, ':'))
        return mr_error_set (err, "invalid --volume '%s': expected HOST:CONTAINER[:ro|rw]", vol);
      if (strcmp (mode, "ro") != 0 && strcmp (mode, "rw") != 0)
        return mr_error_set (err, "invalid --volume '%s': unknown mode '%s' (want ro or rw)", vol,
                             mode);
    }
  if (host[0] != '/')
    return mr_error_set (err, "invalid --volume '%s': the host path must be absolute", vol);
  if (stat (host, &st) < 0)
    return mr_error_errno (err, errno, "invalid --volume '%s': host path '%s'", vol, host);
  why = check_mount_point (ctr, point);
  if (why)
    return mr_error_set (err, "invalid --volume '%s': %s", vol, why);
  if (claim_mount_point (taken, "--volume", vol, point, err) < 0)
    return -1;
  if (json_array_append_new (
          mounts, mount_json (point, "bind", host, mode && strcmp (mode, "ro") == 0 ? ro : rw))
      < 0)
    return oom (err);
  return 0;
}

/* What mount(8) takes for tmpfs, and the flags that make sense on it.  */
static bool
tmpfs_option_known (const char *o)
{
  static const char *const flags[]
      = { "ro",       "rw",         "nosuid",      "suid",          "nodev",
          "dev",      "noexec",     "exec",        "sync",          "async",
          "dirsync",  "noatime",    "atime",       "nodiratime",    "diratime",
          "relatime", "norelatime", "strictatime", "nostrictatime", "tmpcopyup" };
  static const char *const keys[]
      = { "size=", "mode=", "uid=", "gid=", "nr_inodes=", "nr_blocks=", "mpol=" };

  for (size_t i = 0; i < N_ELEMENTS (flags); i++)
    if (strcmp (o, flags[i]) == 0)
      return true;
  for (size_t i = 0; i < N_ELEMENTS (keys); i++)
    if (strncmp (o, keys[i], strlen (keys[i])) == 0 && o[strlen (keys[i])] != '\0')
      return true;
  return false;
}

static int
add_tmpfs (json_t *mounts, struct strlist *taken, json_t *rec, const char *arg,
           struct mr_error *err)
{
  static const char *const defaults[] = { "nosuid", "nodev", "noexec" };
  cleanup_free char *copy = strdup (arg);
  cleanup_json json_t *m = NULL;
  json_t *opts;
  char point[PATH_MAX];
  char *options, *o, *save = NULL;
  const char *why;

  if (copy == NULL)
    return oom (err);
  options = strchr (copy, ':');
  if (options)
    *options++ = '\0';
  if (copy[0] != '/')
    return mr_error_set (err, "invalid --tmpfs '%s': the container path must be absolute", arg);
  why = check_mount_point (copy, point);
  if (why)
    return mr_error_set (err, "invalid --tmpfs '%s': %s", arg, why);
  if (claim_mount_point (taken, "--tmpfs", arg, point, err) < 0)
    return -1;
  if (json_object_set_new (rec, point, json_string (options ? options : "")) < 0)
    return oom (err);
  m = json_pack ("{s:s, s:s, s:s, s:[]}", "destination", point, "type", "tmpfs", "source", "tmpfs",
                 "options");
  if (m == NULL)
    return oom (err);
  opts = json_object_get (m, "options");
  for (size_t i = 0; i < N_ELEMENTS (defaults); i++)
    if (json_array_append_new (opts, json_string (defaults[i])) < 0)
      return oom (err);
  /* the user's options come after the defaults, so that "exec" wins */
  for (o = options ? strtok_r (options, ",", &save) : NULL; o; o = strtok_r (NULL, ",", &save))
    {
      if (!tmpfs_option_known (o))
        return mr_error_set (err, "invalid --tmpfs '%s': unknown mount option '%s'", arg, o);
      if (json_array_append_new (opts, json_string (o)) < 0)
        return oom (err);
    }
  if (json_array_append_new (mounts, steal_pointer (&m)) < 0)
    return oom (err);
  return 0;
}

static int
build_mounts (const struct mr_run_config *cfg, const char *etc_dir, const char *user_rootfs,
              json_t **mounts, json_t **binds, json_t **tmpfs, struct mr_error *err)
{
  struct strlist taken = { 0 };
  int r = -1;

  *mounts = json_array ();
  *binds = strv_json (cfg->volumes);
  *tmpfs = json_object ();
  if (*mounts == NULL || *binds == NULL || *tmpfs == NULL || add_default_mounts (*mounts) < 0)
    {
      oom (err);
      goto out;
    }
  if (etc_dir && add_etc_mounts (*mounts, etc_dir, user_rootfs, err) < 0)
    goto out;
  for (size_t i = 0; cfg->volumes && cfg->volumes[i]; i++)
    if (add_volume (*mounts, &taken, cfg->volumes[i], err) < 0)
      goto out;
  for (size_t i = 0; cfg->tmpfs && cfg->tmpfs[i]; i++)
    if (add_tmpfs (*mounts, &taken, *tmpfs, cfg->tmpfs[i], err) < 0)
      goto out;
  r = 0;
out:
  strlist_clear (&taken);
  return r;
}

/* ------------------------------------------------------------------------ */
/* Resources.  */

/* "0-2,4": CPU numbers and ranges, each below n_cpus.  */
static int
check_cpuset (const char *s, long n_cpus, struct mr_error *err)
{
  const char *p = s;

  if (*p == '\0')
    return mr_error_set (err, "invalid --cpuset-cpus '%s': it is empty", s);
  while (*p)
    {
      uint64_t lo, hi;
      char num[16];
      size_t len = strspn (p, "0123456789");

      if (len == 0 || len >= sizeof num)
        goto syntax;
      memcpy (num, p, len);
      num[len] = '\0';
      if (parse_decimal (num, INT_MAX, &lo) < 0)
        goto syntax;
      hi = lo;
      p += len;
      if (*p == '-')
        {
          p++;
          len = strspn (p, "0123456789");
          if (len == 0 || len >= sizeof num)
            goto syntax;
          memcpy (num, p, len);
          num[len] = '\0';
          if (parse_decimal (num, INT_MAX, &hi) < 0)
            goto syntax;
          p += len;
          if (hi < lo)
            return mr_error_set (
                err, "invalid --cpuset-cpus '%s': range %" PRIu64 "-%" PRIu64 " is backwards", s,
                lo, hi);
        }
      if (n_cpus > 0 && hi >= (uint64_t)n_cpus)
        return mr_error_set (
            err, "invalid --cpuset-cpus '%s': CPU %" PRIu64 " does not exist (this host has %ld)",
            s, hi, n_cpus);
      if (*p == ',' && p[1] != '\0')
        p++;
      else if (*p != '\0')
        goto syntax;
    }
  return 0;

syntax:
  return mr_error_set (err, "invalid --cpuset-cpus '%s': expected CPU numbers and ranges, as 0-2,4",
                       s);
}

static int
build_memory (const struct mr_run_config *cfg, json_t *res, json_t *host, struct mr_error *err)
{
  int64_t mem = cfg->memory, swap = cfg->memory_swap, rec_swap = 0;
  json_t *m;

  if (mem < -1)
    return mr_error_set (err, "invalid --memory '%" PRId64 "': it must not be negative", mem);
  if (mem > 0 && mem < MIN_MEMORY)
    return mr_error_set (err, "invalid --memory '%" PRId64 "': the minimum is 6 MiB (%d bytes)",
                         mem, MIN_MEMORY);
  if (swap < -1)
    return mr_error_set (err, "invalid --memory-swap '%" PRId64 "': it must not be negative", swap);
  if (mem <= 0)
    {
      if (swap > 0)
        return mr_error_set (err, "invalid --memory-swap '%" PRId64 "': it needs a --memory limit",
                             swap);
      /* memory_swap 0 is "unlimited", as Docker's -1 */
      if (json_object_set_new (host, "Memory", json_integer (0)) < 0
          || json_object_set_new (host, "MemorySwap", json_integer (swap == 0 ? -1 : 0)) < 0)
        return oom (err);
      return 0;
    }
  if (swap > 0 && swap < mem)
    return mr_error_set (err,
                         "invalid --memory-swap '%" PRId64
                         "': it counts memory and swap, so it must be at least --memory (%" PRId64
                         ")",
                         swap, mem);
  if (swap > 0)
    rec_swap = swap;
  else if (swap == 0)
    rec_swap = -1;
  else
    rec_swap = mem > INT64_MAX / 2 ? -1 : mem * 2;
  m = json_pack ("{s:I, s:I}", "limit", (json_int_t)mem, "swap", (json_int_t)rec_swap);
  if (json_object_set_new (res, "memory", m) < 0
      || json_object_set_new (host, "Memory", json_integer (mem)) < 0
      || json_object_set_new (host, "MemorySwap", json_integer (rec_swap)) < 0)
    return oom (err);
  return 0;
}

static int
build_cpu (const struct mr_run_config *cfg, json_t *res, json_t *host, struct mr_error *err)
{
  long online = sysconf (_SC_NPROCESSORS_ONLN);
  long configured = sysconf (_SC_NPROCESSORS_CONF);
  cleanup_json json_t *cpu = json_object ();
  double cpus = cfg->cpus;
  int64_t shares = cfg->cpu_shares;
  json_int_t nano = 0;

  if (cpu == NULL)
    return oom (err);
  if (!isfinite (cpus) || cpus < 0)
    return mr_error_set (err, "invalid --cpus '%g': it must be a positive number", cpus);
  if (cpus > 0)
    {
      if (cpus < 0.01)
        return mr_error_set (err, "invalid --cpus '%g': the minimum is 0.01", cpus);
      if (online > 0 && cpus > (double)online)
        return mr_error_set (err, "invalid --cpus '%g': only %ld CPUs are online", cpus, online);
      nano = (json_int_t)llround (cpus * 1e9);
      if (json_object_set_new (cpu, "quota", json_integer (llround (cpus * CPU_PERIOD))) < 0
          || json_object_set_new (cpu, "period", json_integer (CPU_PERIOD)) < 0)
        return oom (err);
    }
  /* 0 is Docker's "unset" */
  if (shares != -1 && shares != 0)
    {
      if (shares < MIN_CPU_SHARES || shares > MAX_CPU_SHARES)
        return mr_error_set (err, "invalid --cpu-shares '%" PRId64 "': it must be in %d..%d",
                             shares, MIN_CPU_SHARES, MAX_CPU_SHARES);
      if (json_object_set_new (cpu, "shares", json_integer (shares)) < 0)
        return oom (err);
    }
  if (cfg->cpuset_cpus)
    {
      if (check_cpuset (cfg->cpuset_cpus, configured, err) < 0)
        return -1;
      if (json_object_set_new (cpu, "cpus", json_string (cfg->cpuset_cpus)) < 0)
        return oom (err);
    }
  if (json_object_set_new (host, "NanoCpus", json_integer (nano)) < 0
      || json_object_set_new (host, "CpuShares", json_integer (shares > 0 ? shares : 0)) < 0
      || json_object_set_new (host, "CpusetCpus",
                              json_string (cfg->cpuset_cpus ? cfg->cpuset_cpus : ""))
             < 0)
    return oom (err);
  if (json_object_size (cpu) > 0 && json_object_set_new (res, "cpu", steal_pointer (&cpu)) < 0)
    return oom (err);
  return 0;
}

static int
build_resources (const struct mr_run_config *cfg, json_t **res, json_t *host, struct mr_error *err)
{
  *res = json_pack ("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm");
  if (*res == NULL)
    return oom (err);
  if (build_memory (cfg, *res, host, err) < 0 || build_cpu (cfg, *res, host, err) < 0)
    return -1;
  if (cfg->pids_limit < -1)
    return mr_error_set (err, "invalid --pids-limit '%" PRId64 "': want a positive number, 0 or -1",
                         cfg->pids_limit);
  /* pids.max takes no more than the kernel's PID_MAX_LIMIT: a larger one
   * would only fail at start */
  if (cfg->pids_limit > MR_PIDS_LIMIT_MAX)
    return mr_error_set (err, "invalid --pids-limit '%" PRId64 "': the kernel allows at most %d",
                         cfg->pids_limit, MR_PIDS_LIMIT_MAX);
  if (cfg->pids_limit > 0
      && json_object_set_new (*res, "pids",
                              json_pack ("{s:I}", "limit", (json_int_t)cfg->pids_limit))
             < 0)
    return oom (err);
  if (json_object_set_new (host, "PidsLimit",
                           json_integer (cfg->pids_limit > 0 ? cfg->pids_limit : 0))
      < 0)
    return oom (err);
  return 0;
}

/* ------------------------------------------------------------------------ */
/* The rest.  */

static const char *const masked_paths[] = {
  "/proc/asound",
  "/proc/acpi",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
  NULL,
};

static const char *const readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static json_t *
build_linux (json_t *res)
{
  static const char *const ns[] = { "pid", "mount", "ipc", "uts", "network", "cgroup" };
  json_t *nss = json_array ();

  for (size_t i = 0; nss && i < N_ELEMENTS (ns); i++)
    if (json_array_append_new (nss, json_pack ("{s:s}", "type", ns[i])) < 0)
      {
        json_decref (nss);
        nss = NULL;
      }
  return json_pack ("{s:o, s:o, s:o, s:o}", "namespaces", nss, "maskedPaths",
                    strv_json (masked_paths), "readonlyPaths", strv_json (readonly_paths),
                    "resources", res);
}

/* ------------------------------------------------------------------------ */
/* Security options: seccomp, no-new-privileges, privileged.  */

enum seccomp_mode
{
  SECCOMP_DEFAULT,
  SECCOMP_UNCONFINED,
  SECCOMP_CUSTOM,
};

struct security
{
  bool privileged;
  bool no_new_privileges;
  enum seccomp_mode seccomp;
  char *profile_path; /* absolute, SECCOMP_CUSTOM */
  json_t *profile;    /* the file's document, SECCOMP_CUSTOM */
};

static void
security_clear (struct security *sec)
{
  free (sec->profile_path);
  json_decref (sec->profile);
  sec->profile_path = NULL;
  sec->profile = NULL;
}

static int
load_profile (const char *opt, const char *path, struct security *sec, struct mr_error *err)
{
  cleanup_free char *buf = NULL;
  cleanup_free char *abs = NULL;
  json_error_t jerr;
  size_t len;
  json_t *doc;

  if (*path == '{')
    {
      /* the profile's text itself, as docker's CLI sends it over HTTP */
      doc = json_loads (path, 0, &jerr);
      if (doc == NULL)
        return mr_error_set (err, "invalid --security-opt 'seccomp=...': line %d: %s", jerr.line,
                             jerr.text);
      security_clear (sec);
      sec->profile = doc;
      sec->profile_path = strdup ("custom");
      sec->seccomp = SECCOMP_CUSTOM;
      return sec->profile_path ? 0 : oom (err);
    }
  if (mr_read_file (path, &buf, &len, err) < 0)
    {
      mr_error_prefix (err, "invalid --security-opt '%s': seccomp profile", opt);
      /* the caller's mistake, not the server's (HTTP 400) */
      err->errnum = EINVAL;
      return -1;
    }
  doc = json_loadb (buf, len, 0, &jerr);
  if (doc == NULL)
    return mr_error_set (err, "invalid --security-opt '%s': seccomp profile '%s': line %d: %s", opt,
                         path, jerr.line, jerr.text);
  if (!json_is_object (doc))
    {
      json_decref (doc);
      return mr_error_set (err,
                           "invalid --security-opt '%s': seccomp profile '%s' is not a JSON "
                           "object",
                           opt, path);
    }
  abs = realpath (path, NULL);
  security_clear (sec);
  sec->profile = doc;
  sec->profile_path = abs ? steal_pointer (&abs) : strdup (path);
  sec->seccomp = SECCOMP_CUSTOM;
  return sec->profile_path ? 0 : oom (err);
}

/* As Docker spells them: "seccomp=unconfined", "seccomp=PROFILE.json",
 * "no-new-privileges[=true|false]", with ':' or '=' after the name.  */
static int
parse_security_opt (const char *opt, struct security *sec, struct mr_error *err)
{
  size_t klen = strcspn (opt, "=:");
  const char *v = opt[klen] ? opt + klen + 1 : NULL;

  if (klen == strlen ("no-new-privileges") && strncmp (opt, "no-new-privileges", klen) == 0)
    {
      if (v == NULL || strcmp (v, "true") == 0)
        sec->no_new_privileges = true;
      else if (strcmp (v, "false") == 0)
        sec->no_new_privileges = false;
      else
        return mr_error_set (
            err, "invalid --security-opt '%s': no-new-privileges takes true or false", opt);
      return 0;
    }
  if (klen == strlen ("seccomp") && strncmp (opt, "seccomp", klen) == 0)
    {
      if (v == NULL || *v == '\0')
        return mr_error_set (err,
                             "invalid --security-opt '%s': give seccomp=unconfined or "
                             "seccomp=PROFILE.json",
                             opt);
      if (strcmp (v, "unconfined") == 0)
        {
          security_clear (sec);
          sec->seccomp = SECCOMP_UNCONFINED;
          return 0;
        }
      return load_profile (opt, v, sec, err);
    }
  return mr_error_set (err,
                       "invalid --security-opt '%s': want seccomp=unconfined, "
                       "seccomp=PROFILE.json or no-new-privileges[=true|false]",
                       opt);
}

static int
parse_security (const struct mr_run_config *cfg, struct security *sec, struct mr_error *err)
{
  const char *const *opts = NULL;

  memset (sec, 0, sizeof *sec);
  if (cfg->size > offsetof (struct mr_run_config, privileged))
    {
      opts = cfg->security_opt;
      sec->privileged = cfg->privileged;
    }
  for (size_t i = 0; opts && opts[i]; i++)
    if (parse_security_opt (opts[i], sec, err) < 0)
      return -1;
  return 0;
}

/* linux.seccomp for the container, or NULL (*out) for none.  */
static int
build_seccomp (const struct security *sec, uint64_t caps, json_t **out, struct mr_error *err)
{
  *out = NULL;
  /* as Docker: a privileged container runs unconfined whatever it was
   * given */
  if (sec->privileged || sec->seccomp == SECCOMP_UNCONFINED)
    return 0;
  if (sec->seccomp == SECCOMP_DEFAULT)
    {
      *out = mr_seccomp_default_profile (caps);
      return *out ? 0 : oom (err);
    }
  if (mr_seccomp_profile_convert (sec->profile, caps, out, err) < 0)
    return mr_error_prefix (err, "invalid --security-opt 'seccomp=%s'", sec->profile_path);
  return 0;
}

/* Every device node of the host's /dev (below it too, but not in the
 * directories of other file systems the runtime makes), for a privileged
 * container.  */
static int
host_devices_at (const char *dir, int depth, json_t *devices, struct mr_error *err)
{
  static const char *const skip[]
      = { "pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev", "console", "ptmx" };
  cleanup_closedir DIR *d = opendir (dir);
  struct dirent *de;

  if (d == NULL)
    return depth == 0 ? mr_error_errno (err, errno, "--privileged: read '%s'", dir) : 0;
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *path = NULL;
      struct stat sb;
      bool skipped
          = de->d_name[0] == '.' && (de->d_name[1] == '\0' || strcmp (de->d_name, "..") == 0);

      for (size_t i = 0; !skipped && i < N_ELEMENTS (skip); i++)
        skipped = strcmp (de->d_name, skip[i]) == 0;
      if (skipped)
        continue;
      if (asprintf (&path, "%s/%s", dir, de->d_name) < 0)
        return oom (err);
      if (lstat (path, &sb) < 0)
        continue;
      if (S_ISDIR (sb.st_mode) && depth < 4)
        {
          if (host_devices_at (path, depth + 1, devices, err) < 0)
            return -1;
          continue;
        }
      if (!S_ISCHR (sb.st_mode) && !S_ISBLK (sb.st_mode))
        continue;
      if (json_array_append_new (devices,
                                 json_pack ("{s:s, s:s, s:I, s:I, s:i, s:I, s:I}", "path", path,
                                            "type", S_ISCHR (sb.st_mode) ? "c" : "b", "major",
                                            (json_int_t)major (sb.st_rdev), "minor",
                                            (json_int_t)minor (sb.st_rdev), "fileMode",
                                            (int)(sb.st_mode & 07777), "uid", (json_int_t)sb.st_uid,
                                            "gid", (json_int_t)sb.st_gid))
          < 0)
        return oom (err);
    }
  return 0;
}

/* What --privileged changes in the config already built: every host
 * device, a device cgroup that allows them, /sys and /sys/fs/cgroup
 * writable, no masked or read-only paths.  */
static int
apply_privileged (json_t *doc, struct mr_error *err)
{
  json_t *lx = json_object_get (doc, "linux");
  json_t *res = json_object_get (lx, "resources");
  json_t *mounts = json_object_get (doc, "mounts");
  json_t *devices = json_array ();
  size_t i;
  json_t *m;

  if (devices == NULL || json_object_set_new (lx, "devices", devices) < 0)
    return oom (err);
  if (host_devices_at ("/dev", 0, devices, err) < 0)
    return -1;
  json_object_del (lx, "maskedPaths");
  json_object_del (lx, "readonlyPaths");
  if (json_object_set_new (res, "devices", json_pack ("[{s:b, s:s}]", "allow", 1, "access", "rwm"))
      < 0)
    return oom (err);
  json_array_foreach (mounts, i, m)
  {
    const char *dest = json_string_value (json_object_get (m, "destination"));
    json_t *opts = json_object_get (m, "options");
    size_t j;
    json_t *o;
    if (dest == NULL || (strcmp (dest, "/sys") != 0 && strcmp (dest, "/sys/fs/cgroup") != 0))
      continue;
    json_array_foreach (opts, j, o)
    {
      if (strcmp (json_string_value (o) ? json_string_value (o) : "", "ro") == 0)
        {
          json_array_set_new (opts, j, json_string ("rw"));
          break;
        }
    }
  }
  return 0;
}

/* The record's HostConfig.SecurityOpt and Privileged, and Security: what
 * the container runs with.  */
static int
record_security (const struct mr_run_config *cfg, const struct security *sec, uint64_t caps,
                 json_t *host, json_t **rec, struct mr_error *err)
{
  const char *seccomp = sec->profile_path;

  if (sec->privileged || sec->seccomp == SECCOMP_UNCONFINED)
    seccomp = "unconfined";
  else if (sec->seccomp == SECCOMP_DEFAULT)
    seccomp = "default";
  if (json_object_set_new (host, "SecurityOpt",
                           strv_json (cfg->size > offsetof (struct mr_run_config, privileged)
                                          ? cfg->security_opt
                                          : NULL))
          < 0
      || json_object_set_new (host, "Privileged", json_boolean (sec->privileged)) < 0)
    return oom (err);
  *rec = json_pack ("{s:s, s:b, s:b, s:o}", "Seccomp", seccomp, "NoNewPrivileges",
                    sec->no_new_privileges, "Privileged", sec->privileged, "Capabilities",
                    cap_mask_json (caps));
  return *rec ? 0 : oom (err);
}

/* Parses the finished config as the runtime will, and compiles its seccomp
 * filter: a profile the runtime would refuse is an error of create, not of
 * every start.  */
static int
check_spec (const json_t *doc, const struct security *sec, struct mr_error *err)
{
  cleanup_free char *text = json_dumps (doc, JSON_COMPACT);
  struct mr_spec *spec = NULL;
  struct mr_seccomp_prog prog = { 0 };
  int r = 0;

  if (text == NULL)
    return oom (err);
  if (mr_spec_parse ("config.json", text, strlen (text), &spec, err) < 0)
    r = -1;
  else if (spec->linux.seccomp && mr_seccomp_compile (spec->linux.seccomp, &prog, err) < 0)
    r = -1;
  if (r < 0 && sec->seccomp == SECCOMP_CUSTOM)
    {
      mr_error_prefix (err, "invalid --security-opt 'seccomp=%s'", sec->profile_path);
      err->errnum = EINVAL;
    }
  mr_seccomp_prog_clear (&prog);
  mr_spec_free (spec);
  return r;
}

/* Labels of a UTS name: letters, digits, '-' and '_' (the default, taken
 * from the container's name, may hold '_'), split by dots, no label empty,
 * longer than 63 or starting or ending with '-'.  */
static int
check_hostname (const char *h, struct mr_error *err)
{
  size_t len = strlen (h);
  const char *p = h;

  if (len == 0 || len > HOSTNAME_MAX)
    return mr_error_set (err, "invalid --hostname '%s': it must be 1 to %d characters", h,
                         HOSTNAME_MAX);
  while (*p)
    {
      size_t n = strcspn (p, ".");
      if (n == 0 || n > 63 || p[0] == '-' || p[n - 1] == '-')
        return mr_error_set (err,
                             "invalid --hostname '%s': labels between dots must be 1 to 63 "
                             "characters, not starting or ending with '-'",
                             h);
      for (size_t i = 0; i < n; i++)
        if (!isalnum ((unsigned char)p[i]) && p[i] != '-' && p[i] != '_')
          return mr_error_set (err,
                               "invalid --hostname '%s': only letters, digits, '-', '_' and '.' "
                               "are allowed",
                               h);
      p += n;
      if (*p == '.')
        {
          p++;
          if (*p == '\0')
            return mr_error_set (err, "invalid --hostname '%s': it must not end with '.'", h);
        }
    }
  return 0;
}

static int
build_stop (const struct mr_run_config *cfg, json_t *config, struct mr_error *err)
{
  int signo = SIGTERM;
  char rt[32];
  const char *name;

  if (cfg->stop_signal && mr_signal_parse (cfg->stop_signal, &signo) < 0)
    return mr_error_set (err, "invalid --stop-signal '%s': unknown signal", cfg->stop_signal);
  if (cfg->stop_timeout < -1)
    return mr_error_set (err, "invalid --stop-timeout '%d': it must not be negative",
                         cfg->stop_timeout);
  name = mr_signal_name (signo);
  if (name == NULL)
    {
      snprintf (rt, sizeof rt, "SIGRTMIN+%d", signo - SIGRTMIN);
      name = rt;
    }
  if (json_object_set_new (config, "StopSignal", json_string (name)) < 0
      || json_object_set_new (
             config, "StopTimeout",
             json_integer (cfg->stop_timeout < 0 ? DEFAULT_STOP_TIMEOUT : cfg->stop_timeout))
             < 0)
    return oom (err);
  return 0;
}

/* HostConfig.NetworkMode and PortBindings, Config.ExposedPorts, as docker
 * inspect shows them.  *mode: "none", "host", "container:NAME" or a
 * network's name.  */
static int
build_network (const struct mr_run_config *cfg, json_t *config, json_t *host, const char **mode,
               struct mr_error *err)
{
  const char *const *publish
      = cfg->size >= offsetof (struct mr_run_config, publish) + sizeof (void *) ? cfg->publish
                                                                                  : NULL;
  const char *net
      = cfg->size >= offsetof (struct mr_run_config, network) + sizeof (void *) ? cfg->network
                                                                                  : NULL;
  json_t *bindings = json_object (), *exposed = json_object ();

  if (bindings == NULL || exposed == NULL
      || json_object_set_new (host, "PortBindings", bindings) < 0
      || json_object_set_new (config, "ExposedPorts", exposed) < 0)
    return oom (err);
  if (net == NULL)
    net = "bridge";
  if (strcmp (net, "bridge") == 0 || strcmp (net, "default") == 0)
    net = MR_NET_DEFAULT;
  else if (strncmp (net, "container:", 10) == 0)
    {
      if (mr_id_validate (net + 10, NULL) < 0)
        return mr_error_set (err,
                             "invalid --network '%s': expected container:NAME, the name of "
                             "a managed container",
                             net);
      /* the ports are the other container's: it publishes them */
      if (publish && publish[0])
        return mr_error_set (err,
                             "conflicting options: port publishing and the container type "
                             "network mode (--network %s): publish '%s' on '%s' instead",
                             net, publish[0], net + 10);
    }
  else if (strcmp (net, "none") != 0 && strcmp (net, "host") != 0
           && mr_id_validate (net, NULL) < 0)
    return mr_error_set (err,
                         "invalid --network '%s': expected bridge, none, host, "
                         "container:NAME or the name of a network",
                         net);
  for (size_t i = 0; publish && publish[i]; i++)
    {
      struct mr_port_mapping m;
      char key[16], port[8];
      json_t *list;
      if (mr_port_parse (publish[i], &m, err) < 0)
        return -1;
      if (strcmp (net, "none") == 0 || strcmp (net, "host") == 0)
        return mr_error_set (err, "cannot publish '%s' with --network %s: ports are published "
                                  "from a bridge network",
                             publish[i], net);
      snprintf (key, sizeof key, "%u/%s", m.container_port, m.proto);
      snprintf (port, sizeof port, "%u", m.host_port);
      list = json_object_get (bindings, key);
      if (list == NULL)
        {
          list = json_array ();
          if (json_object_set_new (bindings, key, list) < 0
              || json_object_set_new (exposed, key, json_object ()) < 0)
            return oom (err);
        }
      if (json_array_append_new (list, json_pack ("{s:s, s:s}", "HostIp", m.host_ip, "HostPort",
                                                  m.host_port ? port : ""))
          < 0)
        return oom (err);
    }
  *mode = net;
  return json_object_set_new (host, "NetworkMode", json_string (net)) < 0 ? oom (err) : 0;
}

/* --dns: address literals only (a resolver takes nothing else), at most
 * MAX_DNS of them; HostConfig.Dns as docker inspect shows it.  */
static int
build_dns (const struct mr_run_config *cfg, const char *net_mode, json_t *host,
           struct mr_error *err)
{
  const char *const *dns
      = cfg->size >= offsetof (struct mr_run_config, dns) + sizeof (void *) ? cfg->dns : NULL;
  json_t *list = json_array ();
  size_t n = 0;

  if (list == NULL || json_object_set_new (host, "Dns", list) < 0)
    return oom (err);
  for (; dns && dns[n]; n++)
    {
      unsigned char buf[sizeof (struct in6_addr)];
      if (inet_pton (strchr (dns[n], ':') ? AF_INET6 : AF_INET, dns[n], buf) != 1)
        return mr_error_set (err,
                             "invalid --dns '%s': expected an IPv4 or IPv6 address such as "
                             "192.0.2.53 or 2001:db8::53",
                             dns[n]);
      if (n >= MAX_DNS)
        return mr_error_set (err,
                             "invalid --dns '%s': at most %d nameservers (a resolver reads "
                             "no more)",
                             dns[n], MAX_DNS);
      if (json_array_append_new (list, json_string (dns[n])) < 0)
        return oom (err);
    }
  if (n > 0 && strcmp (net_mode, "host") == 0)
    return mr_error_set (err, "conflicting options: --dns and --network host (a container on "
                              "the host's network uses the host's nameservers): leave out --dns");
  if (n > 0 && strncmp (net_mode, "container:", 10) == 0)
    return mr_error_set (err,
                         "conflicting options: dns and the network mode (--network %s "
                         "shares the resolv.conf of '%s'): give --dns to that container",
                         net_mode, net_mode + 10);
  return 0;
}

/* --network host: the container keeps the host's network namespace.  */
static int
drop_network_namespace (json_t *doc, struct mr_error *err)
{
  json_t *nss = json_object_get (json_object_get (doc, "linux"), "namespaces"), *ns;
  size_t i;

  json_array_foreach (nss, i, ns)
  if (strcmp (json_string_value (json_object_get (ns, "type")) ?: "", "network") == 0)
    return json_array_remove (nss, i) < 0 ? oom (err) : 0;
  return 0;
}

static int
build_labels (const struct mr_run_config *cfg, json_t **labels, struct mr_error *err)
{
  *labels = json_object ();
  if (*labels == NULL)
    return oom (err);
  for (size_t i = 0; cfg->labels && cfg->labels[i]; i++)
    {
      const char *l = cfg->labels[i];
      const char *eq = strchr (l, '=');
      cleanup_free char *key = strndup (l, eq ? (size_t)(eq - l) : strlen (l));
      if (key == NULL)
        return oom (err);
      if (*key == '\0')
        return mr_error_set (err, "invalid --label '%s': the name is empty", l);
      if (json_object_set_new (*labels, key, json_string (eq ? eq + 1 : "")) < 0)
        return mr_error_set (err, "invalid --label '%s': it is not valid UTF-8", l);
    }
  return 0;
}

int
mr_run_config_build (const struct mr_run_config *cfg, const char *id, const char *rootfs,
                     const json_t *image_config, const char *etc_dir, json_t **spec,
                     json_t **record, struct mr_error *err)
{
  cleanup_json json_t *user = NULL, *args = NULL, *caps = NULL, *rlimits = NULL;
  cleanup_json json_t *mounts = NULL, *res = NULL, *doc = NULL, *config = NULL, *host = NULL;
  cleanup_json json_t *binds = NULL, *tmpfs = NULL, *cap_add = NULL, *cap_drop = NULL;
  cleanup_json json_t *ulimits = NULL, *labels = NULL, *env_json = NULL, *process = NULL;
  cleanup_json json_t *seccomp = NULL, *security = NULL;
  struct security sec = { 0 };
  uint64_t cap_mask = 0;
  struct strlist env = { 0 };
  char hostname[HOSTNAME_MAX + 1];
  enum mr_restart_kind restart;
  const char *user_str = "", *cwd = "/", *net_mode = "none";
  int retries, r = -1;

  *spec = *record = NULL;
  if (!json_is_object (image_config))
    image_config = NULL;
  if (rootfs == NULL || rootfs[0] != '/')
    return mr_error_set (err, "rootfs '%s' must be an absolute path", rootfs ? rootfs : "");
  if (cfg->hostname)
    {
      if (check_hostname (cfg->hostname, err) < 0)
        return -1;
      snprintf (hostname, sizeof hostname, "%s", cfg->hostname);
    }
  else
    snprintf (hostname, sizeof hostname, "%.12s", id);

  if (mr_restart_parse (cfg->restart, &restart, &retries, err) < 0)
    return -1;
  if (cfg->auto_remove && restart != MR_RESTART_NO)
    return mr_error_set (err,
                         "invalid --restart '%s': a container removed on exit (--rm) "
                         "cannot be restarted",
                         cfg->restart);

  host = json_object ();
  config = json_object ();
  if (host == NULL || config == NULL)
    return oom (err);
  if (parse_security (cfg, &sec, err) < 0)
    goto out;
  if (build_user (cfg, image_config, &user, &user_str, err) < 0
      || build_args (cfg, image_config, &args, err) < 0
      || build_cwd (cfg, image_config, &cwd, err) < 0
      || build_caps (cfg, sec.privileged, &caps, &cap_add, &cap_drop, &cap_mask, err) < 0
      || build_seccomp (&sec, cap_mask, &seccomp, err) < 0
      || record_security (cfg, &sec, cap_mask, host, &security, err) < 0
      || build_rlimits (cfg, &rlimits, &ulimits, err) < 0
      || build_mounts (cfg, etc_dir, image_config ? NULL : rootfs, &mounts, &binds, &tmpfs, err) < 0
      || build_resources (cfg, &res, host, err) < 0 || build_stop (cfg, config, err) < 0
      || build_labels (cfg, &labels, err) < 0
      || build_network (cfg, config, host, &net_mode, err) < 0
      || build_dns (cfg, net_mode, host, err) < 0)
    goto out;
  if (build_env (cfg, image_config, hostname, &env, err) < 0)
    goto out;
  env_json = strlist_json (&env);
  if (env_json == NULL)
    goto nomem;

  process = json_pack ("{s:b, s:O, s:O, s:O, s:s, s:O, s:b}", "terminal", cfg->tty, "user", user,
                       "args", args, "env", env_json, "cwd", cwd, "capabilities", caps,
                       "noNewPrivileges", sec.no_new_privileges);
  if (process == NULL)
    goto nomem;
  if (json_array_size (rlimits) > 0 && json_object_set (process, "rlimits", rlimits) < 0)
    goto nomem;
  doc = json_pack ("{s:s, s:O, s:{s:s, s:b}, s:s, s:O, s:o, s:{s:s}}", "ociVersion", "1.0.2",
                   "process", process, "root", "path", rootfs, "readonly", cfg->read_only,
                   "hostname", hostname, "mounts", mounts, "linux", build_linux (json_incref (res)),
                   "annotations", "org.minirun.managed", "true");
  if (doc == NULL)
    goto nomem;
  if (seccomp && json_object_set (json_object_get (doc, "linux"), "seccomp", seccomp) < 0)
    goto nomem;
  if (sec.privileged && apply_privileged (doc, err) < 0)
    goto out;
  if (strcmp (net_mode, "host") == 0 && drop_network_namespace (doc, err) < 0)
    goto out;
  if (check_spec (doc, &sec, err) < 0)
    goto out;

  if (json_object_set (config, "Cmd", args) < 0 || json_object_set (config, "Env", env_json) < 0
      || json_object_set_new (config, "WorkingDir", json_string (cwd)) < 0
      || json_object_set_new (config, "User", json_string (user_str)) < 0
      || json_object_set_new (config, "Hostname", json_string (hostname)) < 0
      || json_object_set_new (config, "Tty", json_boolean (cfg->tty)) < 0
      || json_object_set_new (config, "OpenStdin", json_boolean (cfg->interactive)) < 0
      || json_object_set (config, "Labels", labels) < 0)
    goto nomem;
  if (json_object_set_new (host, "ReadonlyRootfs", json_boolean (cfg->read_only)) < 0
      || json_object_set (host, "Binds", binds) < 0 || json_object_set (host, "Tmpfs", tmpfs) < 0
      || json_object_set (host, "CapAdd", cap_add) < 0
      || json_object_set (host, "CapDrop", cap_drop) < 0
      || json_object_set (host, "Ulimits", ulimits) < 0
      || json_object_set_new (host, "AutoRemove", json_boolean (cfg->auto_remove)) < 0
      || json_object_set_new (host, "RestartPolicy",
                              json_pack ("{s:s, s:i}", "Name", mr_restart_name (restart),
                                         "MaximumRetryCount", retries))
             < 0)
    goto nomem;
  *record
      = json_pack ("{s:O, s:O, s:O}", "Config", config, "HostConfig", host, "Security", security);
  if (*record == NULL)
    goto nomem;
  *spec = steal_pointer (&doc);
  r = 0;
  goto out;

nomem:
  oom (err);
out:
  strlist_clear (&env);
  security_clear (&sec);
  return r;
}

/* ------------------------------------------------------------------------ */
/* /etc files.  */

int
mr_run_config_write_etc (const char *etc_dir, const char *hostname, struct mr_error *err)
{
  cleanup_close int dfd = -1;
  cleanup_free char *hosts = NULL, *name = NULL, *resolv = NULL;
  size_t resolv_len = 0;
  size_t len = hostname ? strlen (hostname) : 0;

  if (len == 0 || len > HOSTNAME_MAX
      || strspn (hostname, "abcdefghijklmnopqrstuvwxyz"
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                           "0123456789.-_")
             != len)
    return mr_error_set (err, "invalid host name '%s'", hostname ? hostname : "");
  if (mr_mkdir_p (etc_dir, 0755, err) < 0)
    return -1;
  dfd = open (etc_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return mr_error_errno (err, errno, "open '%s'", etc_dir);
  if (mr_read_file ("/etc/resolv.conf", &resolv, &resolv_len, err) < 0)
    {
      if (err->errnum != ENOENT)
        return mr_error_prefix (err, "copy the host's resolv.conf");
      mr_error_clear (err);
      resolv_len = 0;
    }
  if (mr_asprintf (err, &name, "%s\n", hostname) < 0
      || mr_asprintf (err, &hosts,
                      "127.0.0.1\tlocalhost\n"
                      "::1\tlocalhost ip6-localhost ip6-loopback\n"
                      "127.0.1.1\t%s\n",
                      hostname)
             < 0)
    return -1;
  if (mr_write_file_atomic_at (dfd, "hostname", name, strlen (name), 0644, 0, err) < 0
      || mr_write_file_atomic_at (dfd, "hosts", hosts, strlen (hosts), 0644, 0, err) < 0
      || mr_write_file_atomic_at (dfd, "resolv.conf", resolv ? resolv : "", resolv_len, 0644, 0,
                                  err)
             < 0)
    return mr_error_prefix (err, "write '%s'", etc_dir);
  return 0;
}

/* The address a resolv.conf line names as its nameserver, with *vlen its
 * length, or NULL for any other line.  */
static const char *
line_nameserver (const char *line, size_t n, size_t *vlen)
{
  const char *p = line;
  const char *end = line + n;
  const char *v;

  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  if ((size_t)(end - p) < 11 || strncmp (p, "nameserver", 10) != 0
      || (p[10] != ' ' && p[10] != '\t'))
    return NULL;
  p += 10;
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  v = p;
  while (p < end && *p != ' ' && *p != '\t' && *p != '\r')
    p++;
  *vlen = (size_t)(p - v);
  return v;
}

static bool
off_loopback (const char *server, size_t n)
{
  return !((n >= 4 && strncmp (server, "127.", 4) == 0)
           || (n == 3 && strncmp (server, "::1", 3) == 0));
}

/* The host's resolv.conf (len bytes), its lines kept but the nameservers
 * keep refuses (all of them with keep NULL), then servers; fallback when
 * that leaves no nameserver at all.  */
static int
resolv_conf_filter (const char *host, size_t len, bool (*keep) (const char *server, size_t n),
                    const char *const *servers, const char *const *fallback, char **out,
                    struct mr_error *err)
{
  char *buf = NULL;
  size_t blen = 0;
  size_t kept = 0;
  FILE *f = open_memstream (&buf, &blen);

  if (f == NULL)
    return mr_error_errno (err, errno, "resolv.conf");
  for (size_t i = 0; i < len;)
    {
      const char *line = host + i;
      const char *nl = memchr (line, '\n', len - i);
      size_t n = nl ? (size_t)(nl - line) : len - i;
      size_t vlen = 0;
      const char *server = line_nameserver (line, n, &vlen);

      i += n + (nl != NULL);
      if (server && (keep == NULL || !keep (server, vlen)))
        continue;
      kept += server != NULL;
      fwrite (line, 1, n, f);
      fputc ('\n', f);
    }
  for (size_t i = 0; servers && servers[i]; i++, kept++)
    fprintf (f, "nameserver %s\n", servers[i]);
  for (size_t i = 0; kept == 0 && fallback && fallback[i]; i++)
    fprintf (f, "nameserver %s\n", fallback[i]);
  if (fclose (f) != 0)
    {
      free (buf);
      return mr_error_errno (err, ENOMEM, "resolv.conf");
    }
  *out = buf;
  return 0;
}

int
mr_resolv_conf_off_loopback (const char *host, size_t len, char **out, struct mr_error *err)
{
  /* Docker's fallback */
  static const char *const public_dns[] = { "8.8.8.8", "8.8.4.4", NULL };

  return resolv_conf_filter (host, len, off_loopback, NULL, public_dns, out, err);
}

int
mr_run_config_resolv_off_loopback (const char *etc_dir, struct mr_error *err)
{
  cleanup_close int dfd = -1;
  cleanup_free char *in = NULL, *out = NULL;
  size_t len = 0;

  dfd = open (etc_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return mr_error_errno (err, errno, "open '%s'", etc_dir);
  if (mr_read_file_at (dfd, "resolv.conf", &in, &len, err) < 0
      || mr_resolv_conf_off_loopback (in, len, &out, err) < 0
      || mr_write_file_atomic_at (dfd, "resolv.conf", out, strlen (out), 0644, 0, err) < 0)
    return mr_error_prefix (err, "resolv.conf of '%s'", etc_dir);
  return 0;
}

int
mr_resolv_conf_nameservers (const char *host, size_t len, const char *const *servers, char **out,
                            struct mr_error *err)
{
  return resolv_conf_filter (host, len, NULL, servers, NULL, out, err);
}

int
mr_run_config_resolv_dns (const char *etc_dir, const char *const *servers, struct mr_error *err)
{
  cleanup_close int dfd = -1;
  cleanup_free char *in = NULL, *out = NULL;
  size_t len = 0;

  dfd = open (etc_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return mr_error_errno (err, errno, "open '%s'", etc_dir);
  if (mr_read_file_at (dfd, "resolv.conf", &in, &len, err) < 0
      || mr_resolv_conf_nameservers (in, len, servers, &out, err) < 0
      || mr_write_file_atomic_at (dfd, "resolv.conf", out, strlen (out), 0644, 0, err) < 0)
    return mr_error_prefix (err, "resolv.conf of '%s'", etc_dir);
  return 0;
}
