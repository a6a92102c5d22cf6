#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "util/cleanup.h"

static struct
{
  const char *path;
  enum log_format format;
  bool debug;
} log_cfg;

/* Length of the valid UTF-8 sequence at p, 0 when it is not one.  */
static size_t
utf8_len (const unsigned char *p)
{
  unsigned char lo = 0x80, hi = 0xbf;
  size_t n;

  if (p[0] < 0x80)
    return 1;
  if (p[0] >= 0xc2 && p[0] <= 0xdf)
    n = 2;
  else if (p[0] >= 0xe0 && p[0] <= 0xef)
    {
      n = 3;
      if (p[0] == 0xe0)
        lo = 0xa0; /* overlong */
      else if (p[0] == 0xed)
        hi = 0x9f; /* surrogates */
    }
  else if (p[0] >= 0xf0 && p[0] <= 0xf4)
    {
      n = 4;
      if (p[0] == 0xf0)
        lo = 0x90; /* overlong */
      else if (p[0] == 0xf4)
        hi = 0x8f; /* beyond U+10FFFF */
    }
  else
    return 0;
  if (p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  return n;
}

/* Writes s as a JSON string.  Error messages carry paths from the user, so
 * bytes that are not UTF-8 become U+FFFD to keep every log line valid.  */
static void
quote_string (FILE *f, const char *s)
{
  const unsigned char *p = (const unsigned char *)s;

  fputc ('"', f);
  while (*p)
    {
      size_t n = utf8_len (p);

      if (n == 0)
        {
          fputs ("\\ufffd", f);
          p++;
        }
      else if (n > 1)
        {
          fwrite (p, 1, n, f);
          p += n;
        }
      else
        {
          if (*p == '"' || *p == '\\')
            fprintf (f, "\\%c", *p);
          else if (*p < 0x20 || *p == 0x7f)
            fprintf (f, "\\u%04x", *p);
          else
            fputc (*p, f);
          p++;
        }
    }
  fputc ('"', f);
}

static void
format_now (char *buf, size_t size)
{
  struct timespec ts;
  struct tm tm;
  size_t n;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  n = strftime (buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf + n, size - n, ".%09ldZ", (long)ts.tv_nsec);
}

int
write_all (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t r = write (fd, buf, len);

      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      buf += r;
      len -= (size_t)r;
    }
  return 0;
}

/* One line per message, written with a single append so that concurrent
 * invocations sharing a log file do not interleave.  The file is opened per
 * line so that no descriptor of ours is around when the library hands fds to
 * a container.  */
static void
log_line (const char *level, const char *msg)
{
  cleanup_free char *line = NULL;
  cleanup_close int fd = -1;
  size_t len = 0;
  char now[64];
  FILE *f;

  if (log_cfg.path == NULL)
    return;
  f = open_memstream (&line, &len);
  if (f == NULL)
    return;
  format_now (now, sizeof now);
  if (log_cfg.format == LOG_FORMAT_JSON)
    {
      fprintf (f, "{\"level\":\"%s\",\"msg\":", level);
      quote_string (f, msg);
      fprintf (f, ",\"time\":\"%s\"}\n", now);
    }
  else
    {
      fprintf (f, "time=\"%s\" level=%s msg=", now, level);
      quote_string (f, msg);
      fputc ('\n', f);
    }
  if (fclose (f) != 0)
    return;
  fd = open (log_cfg.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
  if (fd >= 0)
    write_all (fd, line, len);
}

static void
warn_cb (void *data, const char *msg)
{
  fflush (stdout);
  fprintf (stderr, "minirun: warning: %s\n", msg);
  log_line ("warning", msg);
}

/* Monitors idle for as long as their containers run: minirun-static, where
   it was built, maps no shared library and so holds the fewest pages.  It
   is looked for next to this binary (in a build tree, next to libtool's
   .libs/), then, for an installed minirun, where make install puts it; else
   this binary is the monitor.  */
static const char *
monitor_binary (const char *self)
{
  static char path[PATH_MAX + 32];
  const char *slash = strrchr (self, '/');
  int dir;

  if (slash == NULL || strcmp (slash + 1, "minirun-static") == 0)
    return self;
  dir = (int)(slash - self);
  snprintf (path, sizeof path, "%.*s/minirun-static", dir, self);
  if (access (path, X_OK) == 0)
    return path;
  if (dir >= 6 && strncmp (self + dir - 6, "/.libs", 6) == 0)
    {
      snprintf (path, sizeof path, "%.*s/minirun-static", dir - 6, self);
      if (access (path, X_OK) == 0)
        return path;
    }
  snprintf (path, sizeof path, "%s/minirun-static", PKGLIBEXECDIR);
  if (strcmp (self, BINDIR "/minirun") == 0 && access (path, X_OK) == 0)
    return path;
  return self;
}

int
context_open (struct mr_global *g)
{
  struct mr_context_opts o = {
    .size = sizeof o,
    .root = g->root,
    .systemd_cgroup = g->systemd_cgroup,
    .rootless = g->rootless,
    .warn = warn_cb,
  };

  static char self[PATH_MAX];
  ssize_t n;

  if (g->ctx)
    return 0;
  /* managed containers are monitored by this very binary; minirun-serve
     is told which minirun executed it, so that monitors it starts map
     none of the server's libraries */
  {
    const char *exe = getenv (MR_EXE_ENV);
    if (exe && exe[0] == '/' && strlen (exe) < sizeof self)
      {
        strcpy (self, exe);
        o.monitor_path = monitor_binary (self);
        return mr_context_new (&o, &g->ctx, &g->err);
      }
  }
  n = readlink ("/proc/self/exe", self, sizeof self - 1);
  if (n > 0)
    {
      self[n] = '\0';
      o.monitor_path = monitor_binary (self);
    }
  return mr_context_new (&o, &g->ctx, &g->err);
}

int
log_init (const char *path, enum log_format format, bool debug)
{
  int fd;

  log_cfg.path = path;
  log_cfg.format = format;
  log_cfg.debug = debug;
  if (path == NULL)
    return 0;
  fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
  if (fd < 0)
    {
      fprintf (stderr, "minirun: open log file '%s': %s\n", path, strerror (errno));
      log_cfg.path = NULL;
      return -1;
    }
  close (fd);
  return 0;
}

void
log_debug (const char *fmt, ...)
{
  char msg[MR_ERROR_MSG_MAX];
  va_list ap;

  if (!log_cfg.debug)
    return;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  if (log_cfg.path)
    log_line ("debug", msg);
  else
    fprintf (stderr, "minirun: debug: %s\n", msg);
}

static int
vfail (const char *prefix, const char *fmt, va_list ap)
{
  char msg[MR_ERROR_MSG_MAX + 256];
  char line[sizeof msg + 64];

  vsnprintf (msg, sizeof msg, fmt, ap);
  if (prefix)
    snprintf (line, sizeof line, "%s: %s", prefix, msg);
  else
    snprintf (line, sizeof line, "%s", msg);
  fflush (stdout);
  fprintf (stderr, "minirun%s%s: %s\n", prefix ? " " : "", prefix ? prefix : "", msg);
  log_line ("error", line);
  return 1;
}

int
cmd_fail (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vfail (NULL, fmt, ap);
  va_end (ap);
  return 1;
}

int
usage_error (const char *verb, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vfail (verb, fmt, ap);
  va_end (ap);
  fprintf (stderr, "Try 'minirun %s --help'.\n", verb);
  return 1;
}

int
bad_option (const char *verb, int c, char **argv)
{
  const char *arg = optind > 0 ? argv[optind - 1] : "";

  if (c == ':')
    return usage_error (verb, "option '%s' requires an argument", arg);
  if (optopt != 0 && strncmp (arg, "--", 2) != 0)
    return usage_error (verb, "invalid option '-%c'", optopt);
  return usage_error (verb, "invalid option '%s'", arg);
}

int
report (int ret, const struct mr_error *err)
{
  if (ret >= 0)
    return 0;
  if (err->msg[0] == '\0')
    return cmd_fail ("%s", err->errnum ? strerror (err->errnum) : "unknown error");
  return cmd_fail ("%s", err->msg);
}

void
print_json (const char *json)
{
  size_t len = strlen (json);

  fputs (json, stdout);
  if (len == 0 || json[len - 1] != '\n')
    putchar ('\n');
}

void
print_table (char *const *cells, size_t nrows, size_t ncols, size_t min_width, size_t gap)
{
  cleanup_free size_t *width = calloc (ncols, sizeof *width);

  if (width == NULL)
    return;
  for (size_t r = 0; r < nrows; r++)
    for (size_t c = 0; c < ncols; c++)
      {
        size_t len = strlen (cells[r * ncols + c] ? cells[r * ncols + c] : "");

        if (len > width[c])
          width[c] = len;
      }
  for (size_t r = 0; r < nrows; r++)
    {
      for (size_t c = 0; c < ncols; c++)
        {
          const char *cell = cells[r * ncols + c] ? cells[r * ncols + c] : "";
          size_t w = width[c] + gap < min_width ? min_width : width[c] + gap;

          if (c + 1 == ncols)
            fputs (cell, stdout);
          else
            printf ("%-*s", (int)w, cell);
        }
      putchar ('\n');
    }
}

int
read_arg_file (const char *path, size_t max, char **out, struct mr_error *err)
{
  bool is_stdin = strcmp (path, "-") == 0;
  const char *name = is_stdin ? "standard input" : path;
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  size_t len = 0, cap = 0;

  if (is_stdin)
    fd = fcntl (STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
  else
    fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      err->errnum = errno;
      snprintf (err->msg, sizeof err->msg, "open '%s': %s", name, strerror (errno));
      return -1;
    }
  for (;;)
    {
      ssize_t r;

      if (cap - len < 2)
        {
          size_t ncap = cap ? cap * 2 : 4096;
          char *nbuf;

          if (ncap > max + 2)
            ncap = max + 2;
          if (ncap <= cap)
            {
              err->errnum = EFBIG;
              snprintf (err->msg, sizeof err->msg, "'%s' is larger than %zu bytes", name, max);
              return -1;
            }
          nbuf = realloc (buf, ncap);
          if (nbuf == NULL)
            {
              err->errnum = ENOMEM;
              snprintf (err->msg, sizeof err->msg, "read '%s': %s", name, strerror (ENOMEM));
              return -1;
            }
          buf = nbuf;
          cap = ncap;
        }
      r = read (fd, buf + len, cap - len - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          err->errnum = errno;
          snprintf (err->msg, sizeof err->msg, "read '%s': %s", name, strerror (errno));
          return -1;
        }
      if (r == 0)
        break;
      len += (size_t)r;
      if (len > max)
        {
          err->errnum = EFBIG;
          snprintf (err->msg, sizeof err->msg, "'%s' is larger than %zu bytes", name, max);
          return -1;
        }
    }
  buf[len] = '\0';
  *out = steal_pointer (&buf);
  return 0;
}

int
parse_number (const char *s, long long min, long long max, long long *out)
{
  const char *digits = s[0] == '-' ? s + 1 : s;
  char *end;
  long long v;

  if (*digits < '0' || *digits > '9')
    return -1;
  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

int
parse_id (const char *verb, int argc, char **argv, const char **id)
{
  static const struct option long_opts[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;

  *id = NULL;
  while ((c = getopt_long (argc, argv, ":h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'h':
        return verb_help (verb);
      default:
        return bad_option (verb, c, argv);
      }
  if (argc - optind < 1)
    return usage_error (verb, "missing container id");
  if (argc - optind > 1)
    return usage_error (verb, "too many arguments");
  *id = argv[optind];
  return 0;
}

int
close_stdout (void)
{
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      int saved = errno ? errno : EIO;

      return cmd_fail ("write standard output: %s", strerror (saved));
    }
  return 0;
}

int
parse_format (const char *verb, const char *arg, bool *as_json)
{
  if (strcmp (arg, "json") == 0)
    *as_json = true;
  else if (strcmp (arg, "table") == 0)
    *as_json = false;
  else
    {
      usage_error (verb, "invalid format '%s': expected table or json", arg);
      return -1;
    }
  return 0;
}
