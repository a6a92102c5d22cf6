/* Parsing of the small values users type: signals, sizes, ids.  */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/error.h"

static const struct
{
  const char *name;
  int signo;
} signals[] = {
  { "HUP", SIGHUP },       { "INT", SIGINT },     { "QUIT", SIGQUIT }, { "ILL", SIGILL },
  { "TRAP", SIGTRAP },     { "ABRT", SIGABRT },   { "IOT", SIGIOT },   { "BUS", SIGBUS },
  { "FPE", SIGFPE },       { "KILL", SIGKILL },   { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 },     { "PIPE", SIGPIPE },   { "ALRM", SIGALRM }, { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },   { "CLD", SIGCHLD },  { "CONT", SIGCONT },
  { "STOP", SIGSTOP },     { "TSTP", SIGTSTP },   { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
  { "URG", SIGURG },       { "XCPU", SIGXCPU },   { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM },
  { "PROF", SIGPROF },     { "WINCH", SIGWINCH }, { "IO", SIGIO },     { "POLL", SIGPOLL },
  { "PWR", SIGPWR },       { "SYS", SIGSYS },
};

static int
parse_uint (const char *s, long max, long *out)
{
  char *end;
  long v;

  if (*s == '\0' || !isdigit ((unsigned char)*s))
    return -1;
  errno = 0;
  v = strtol (s, &end, 10);
  if (errno != 0 || *end != '\0' || v > max)
    return -1;
  *out = v;
  return 0;
}

int
mr_signal_parse (const char *s, int *signo)
{
  long n;

  if (s == NULL || *s == '\0')
    return -1;
  if (isdigit ((unsigned char)*s))
    {
      if (parse_uint (s, SIGRTMAX, &n) < 0 || n == 0)
        return -1;
      *signo = (int)n;
      return 0;
    }
  if (strncasecmp (s, "SIG", 3) == 0)
    s += 3;
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    if (strcasecmp (s, signals[i].name) == 0)
      {
        *signo = signals[i].signo;
        return 0;
      }
  /* RTMIN, RTMIN+N, RTMAX, RTMAX-N */
  if (strncasecmp (s, "RTMIN", 5) == 0 || strncasecmp (s, "RTMAX", 5) == 0)
    {
      bool min = strncasecmp (s, "RTMIN", 5) == 0;
      const char *rest = s + 5;
      int base = min ? SIGRTMIN : SIGRTMAX;
      if (*rest == '\0')
        n = 0;
      else if ((min && *rest == '+') || (!min && *rest == '-'))
        {
          if (parse_uint (rest + 1, SIGRTMAX - SIGRTMIN, &n) < 0)
            return -1;
        }
      else
        return -1;
      n = min ? base + n : base - n;
      if (n < SIGRTMIN || n > SIGRTMAX)
        return -1;
      *signo = (int)n;
      return 0;
    }
  return -1;
}

const char *
mr_signal_name (int signo)
{
  static const char *const names[] = {
    [SIGHUP] = "SIGHUP",       [SIGINT] = "SIGINT",       [SIGQUIT] = "SIGQUIT",
    [SIGILL] = "SIGILL",       [SIGTRAP] = "SIGTRAP",     [SIGABRT] = "SIGABRT",
    [SIGBUS] = "SIGBUS",       [SIGFPE] = "SIGFPE",       [SIGKILL] = "SIGKILL",
    [SIGUSR1] = "SIGUSR1",     [SIGSEGV] = "SIGSEGV",     [SIGUSR2] = "SIGUSR2",
    [SIGPIPE] = "SIGPIPE",     [SIGALRM] = "SIGALRM",     [SIGTERM] = "SIGTERM",
    [SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD",     [SIGCONT] = "SIGCONT",
    [SIGSTOP] = "SIGSTOP",     [SIGTSTP] = "SIGTSTP",     [SIGTTIN] = "SIGTTIN",
    [SIGTTOU] = "SIGTTOU",     [SIGURG] = "SIGURG",       [SIGXCPU] = "SIGXCPU",
    [SIGXFSZ] = "SIGXFSZ",     [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
    [SIGWINCH] = "SIGWINCH",   [SIGIO] = "SIGIO",         [SIGPWR] = "SIGPWR",
    [SIGSYS] = "SIGSYS",
  };
  if (signo <= 0 || (size_t)signo >= sizeof names / sizeof names[0])
    return NULL;
  return names[signo];
}

int
mr_size_parse (const char *s, int64_t *bytes)
{
  char *end;
  double v;
  double mult = 1;

  if (s == NULL || !(isdigit ((unsigned char)*s) || *s == '.'))
    return -1;
  errno = 0;
  v = strtod (s, &end);
  if (errno != 0 || end == s || v < 0)
    return -1;
  if (*end != '\0')
    {
      switch (tolower ((unsigned char)*end))
        {
        case 'b':
          mult = 1;
          break;
        case 'k':
          mult = 1024.0;
          break;
        case 'm':
          mult = 1024.0 * 1024;
          break;
        case 'g':
          mult = 1024.0 * 1024 * 1024;
          break;
        case 't':
          mult = 1024.0 * 1024 * 1024 * 1024;
          break;
        case 'p':
          mult = 1024.0 * 1024 * 1024 * 1024 * 1024;
          break;
        default:
          return -1;
        }
      end++;
      /* "64m", "64mb", "64MiB" */
      if (mult != 1 && (strcasecmp (end, "b") == 0 || strcasecmp (end, "ib") == 0))
        end += strlen (end);
      if (*end != '\0')
        return -1;
    }
  v *= mult;
  if (v >= 9.2e18)
    return -1;
  *bytes = (int64_t)v;
  return 0;
}

int
mr_id_validate (const char *id, struct mr_error *err)
{
  size_t len;

  if (id == NULL || *id == '\0')
    return mr_error_set (err, "container id must not be empty");
  len = strlen (id);
  if (len > 128)
    return mr_error_set (err, "container id '%.32s...' is too long (at most 128 characters)", id);
  if (!isalnum ((unsigned char)id[0]))
    return mr_error_set (err, "invalid container id '%s': it must start with a letter or a digit",
                         id);
  for (size_t i = 1; i < len; i++)
    {
      unsigned char c = (unsigned char)id[i];
      if (!(isalnum (c) || c == '_' || c == '.' || c == '-'))
        return mr_error_set (err,
                             "invalid container id '%s': only letters, digits, '_', '.' and "
                             "'-' are allowed",
                             id);
    }
  return 0;
}

static int
parse_id_number (const char *s, size_t len, unsigned *out)
{
  unsigned long long v = 0;

  if (len == 0 || strspn (s, "0123456789") < len)
    return -1;
  for (size_t i = 0; i < len; i++)
    {
      v = v * 10 + (unsigned)(s[i] - '0');
      /* (uid_t) -1 means "unchanged" to the kernel, so it is not an id.  */
      if (v >= UINT_MAX)
        return -1;
    }
  *out = (unsigned)v;
  return 0;
}

int
mr_exec_user_parse (const char *s, struct mr_exec_opts *o)
{
  const char *colon = strchr (s, ':');
  size_t ulen = colon ? (size_t)(colon - s) : strlen (s);
  unsigned uid, gid = 0;

  if (parse_id_number (s, ulen, &uid) < 0
      || (colon && parse_id_number (colon + 1, strlen (colon + 1), &gid) < 0))
    return -1;
  o->uid = uid;
  o->user_set = true;
  if (colon)
    {
      o->gid = gid;
      o->gid_set = true;
    }
  return 0;
}

const char *
mr_status_name (enum mr_status s)
{
  switch (s)
    {
    case MR_STATUS_CREATING:
      return "creating";
    case MR_STATUS_CREATED:
      return "created";
    case MR_STATUS_RUNNING:
      return "running";
    case MR_STATUS_PAUSED:
      return "paused";
    case MR_STATUS_STOPPED:
      return "stopped";
    }
  return "unknown";
}

void
mr_update_opts_init (struct mr_update_opts *o)
{
  memset (o, 0, sizeof *o);
  o->size = sizeof *o;
  o->memory = o->memory_swap = o->memory_reservation = MR_UPDATE_UNSET;
  o->cpu_quota = o->cpu_period = o->cpu_shares = o->pids_limit = MR_UPDATE_UNSET;
  o->blkio_weight = o->cpu_rt_period = o->cpu_rt_runtime = MR_UPDATE_UNSET;
}

/* One port of a range: digits only, 1 to 65535.  */
static bool
range_port (const char *s, size_t len, uint16_t *out)
{
  unsigned long v = 0;

  if (len == 0 || len > 5)
    return false;
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return false;
      v = v * 10 + (unsigned long)(s[i] - '0');
    }
  if (v < 1 || v > 65535)
    return false;
  *out = (uint16_t)v;
  return true;
}

int
mr_port_range_parse (const char *s, struct mr_port_range *out, struct mr_error *err)
{
  const char *dash = s ? strchr (s, '-') : NULL;
  struct mr_port_range r;

  if (dash == NULL || !range_port (s, (size_t)(dash - s), &r.first)
      || !range_port (dash + 1, strlen (dash + 1), &r.last))
    return mr_error_set (err,
                         "invalid port range '%s': expected LOW-HIGH, two ports from 1 to "
                         "65535 (8000-9000)",
                         s ? s : "");
  if (r.first > r.last)
    return mr_error_set (err, "invalid port range '%s': %u is above %u (LOW comes first)", s,
                         r.first, r.last);
  *out = r;
  return 0;
}
