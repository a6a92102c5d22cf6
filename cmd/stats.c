#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "util/cleanup.h"

#define N_COLUMNS 7
#define NO_STREAM_INTERVAL 0.5
#define CLEAR_SCREEN "\033[2J\033[H"

/* One container on display, with its last sample.  */
struct entry
{
  char *name;
  struct mr_stats prev;
  struct mr_stats cur;
  bool have_prev;
  bool listed; /* still there in this round */
};

struct stats_run
{
  struct mr_global *g;
  bool named; /* the containers were given: any of them failing is an error */
  bool as_json;
  bool clear;
  struct entry *e;
  size_t n;
  int failed;
};

static volatile sig_atomic_t stop_requested;

static void
on_stop_signal (int sig)
{
  (void)sig;
  stop_requested = 1;
}

static void
free_entries (struct stats_run *r)
{
  for (size_t i = 0; i < r->n; i++)
    free (r->e[i].name);
  free (r->e);
  r->e = NULL;
  r->n = 0;
}

static struct entry *
find_entry (struct stats_run *r, const char *name)
{
  for (size_t i = 0; i < r->n; i++)
    if (strcmp (r->e[i].name, name) == 0)
      return &r->e[i];
  return NULL;
}

static int
add_entry (struct stats_run *r, const char *name)
{
  struct entry *ne = realloc (r->e, (r->n + 1) * sizeof *ne);

  if (ne == NULL)
    return -1;
  r->e = ne;
  memset (&r->e[r->n], 0, sizeof r->e[r->n]);
  r->e[r->n].name = strdup (name);
  if (r->e[r->n].name == NULL)
    return -1;
  r->n++;
  return 0;
}

/* Without names, the containers to show are those running or paused now,
 * in the order of the list (by id); the samples of those already shown are
 * kept.  */
static int
refresh_list (struct stats_run *r)
{
  struct mr_container_info *list = NULL;
  size_t n = 0, kept = 0;

  if (mr_container_list (r->g->ctx, &list, &n, &r->g->err) < 0)
    return report (-1, &r->g->err);
  for (size_t i = 0; i < r->n; i++)
    r->e[i].listed = false;
  for (size_t i = 0; i < n; i++)
    {
      struct entry *e;

      if (list[i].status != MR_STATUS_RUNNING && list[i].status != MR_STATUS_PAUSED)
        continue;
      e = find_entry (r, list[i].id);
      if (e == NULL)
        {
          if (add_entry (r, list[i].id) < 0)
            {
              mr_container_info_free (list, n);
              return cmd_fail ("stats: out of memory");
            }
          e = &r->e[r->n - 1];
        }
      e->listed = true;
    }
  mr_container_info_free (list, n);
  for (size_t i = 0; i < r->n; i++)
    {
      if (r->e[i].listed)
        {
          r->e[kept++] = r->e[i];
          continue;
        }
      free (r->e[i].name);
    }
  r->n = kept;
  return 0;
}

/* Takes a sample of every entry.  A named container that cannot be
 * sampled is reported and dropped; an unnamed one that has stopped or
 * gone in the meantime is dropped quietly.  */
static void
sample_all (struct stats_run *r)
{
  size_t kept = 0;

  for (size_t i = 0; i < r->n; i++)
    {
      struct entry *e = &r->e[i];
      struct mr_stats s = { .size = sizeof s };

      mr_error_clear (&r->g->err);
      if (mr_container_stats (r->g->ctx, e->name, &s, &r->g->err) < 0)
        {
          if (r->named || (r->g->err.errnum != ESRCH && r->g->err.errnum != ENOENT))
            {
              report (-1, &r->g->err);
              r->failed = 1;
            }
          free (e->name);
          continue;
        }
      if (e->cur.size)
        {
          e->prev = e->cur;
          e->have_prev = true;
        }
      e->cur = s;
      r->e[kept++] = *e;
    }
  r->n = kept;
}

static void put_cell (char **cell, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
put_cell (char **cell, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (cell, fmt, ap) < 0)
    *cell = NULL;
  va_end (ap);
}

static void
fill_row (char **row, const struct entry *e)
{
  char a[32], b[32];

  put_cell (&row[0], "%s", e->name);
  put_cell (&row[1], "%.2f%%", mr_stats_cpu_percent (&e->prev, &e->cur));
  mr_size_format (e->cur.memory_usage, true, a, sizeof a);
  mr_size_format (e->cur.memory_limit, true, b, sizeof b);
  put_cell (&row[2], "%s / %s", a, b);
  put_cell (&row[3], "%.2f%%", mr_stats_memory_percent (&e->cur));
  mr_size_format (e->cur.net_rx, false, a, sizeof a);
  mr_size_format (e->cur.net_tx, false, b, sizeof b);
  put_cell (&row[4], "%s / %s", a, b);
  mr_size_format (e->cur.block_read, false, a, sizeof a);
  mr_size_format (e->cur.block_write, false, b, sizeof b);
  put_cell (&row[5], "%s / %s", a, b);
  put_cell (&row[6], "%llu", (unsigned long long)e->cur.pids);
}

/* Aligned columns three spaces apart, as docker stats prints them.  */
static int
format_table (struct stats_run *r, FILE *f)
{
  static const char *const headers[N_COLUMNS]
      = { "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS" };
  size_t nrows = 1, ncells;
  size_t width[N_COLUMNS] = { 0 };
  char **cells;
  int ret = 0;

  for (size_t i = 0; i < r->n; i++)
    nrows += r->e[i].have_prev;
  ncells = nrows * N_COLUMNS;
  cells = calloc (ncells, sizeof *cells);
  if (cells == NULL)
    return -1;
  for (size_t c = 0; c < N_COLUMNS; c++)
    cells[c] = strdup (headers[c]);
  for (size_t i = 0, row = 1; i < r->n; i++)
    if (r->e[i].have_prev)
      fill_row (cells + row++ * N_COLUMNS, &r->e[i]);
  for (size_t i = 0; i < ncells; i++)
    {
      size_t len;

      if (cells[i] == NULL)
        {
          ret = -1;
          goto out;
        }
      len = strlen (cells[i]);
      if (len > width[i % N_COLUMNS])
        width[i % N_COLUMNS] = len;
    }
  if (r->clear)
    fputs (CLEAR_SCREEN, f);
  for (size_t row = 0; row < nrows; row++)
    for (size_t c = 0; c < N_COLUMNS; c++)
      {
        const char *cell = cells[row * N_COLUMNS + c];

        if (c + 1 < N_COLUMNS)
          fprintf (f, "%-*s", (int)(width[c] + 3), cell);
        else
          fprintf (f, "%s\n", cell);
      }
out:
  for (size_t i = 0; i < ncells; i++)
    free (cells[i]);
  free (cells);
  return ret;
}

static int
format_json (struct stats_run *r, FILE *f)
{
  for (size_t i = 0; i < r->n; i++)
    {
      cleanup_free char *json = NULL;

      if (!r->e[i].have_prev)
        continue;
      if (mr_stats_json (r->e[i].name, &r->e[i].prev, &r->e[i].cur, &json, &r->g->err) < 0)
        return -1;
      fprintf (f, "%s\n", json);
    }
  return 0;
}

/* Writes one frame to standard output in one go.  Returns 0, 1 when the
 * reader has gone (EPIPE), or -1 on another error (printed).  */
static int
print_frame (struct stats_run *r)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  int ret;

  if (f == NULL)
    {
      cmd_fail ("stats: out of memory");
      return -1;
    }
  ret = r->as_json ? format_json (r, f) : format_table (r, f);
  if (fclose (f) != 0 || ret < 0)
    {
      cmd_fail ("stats: out of memory");
      return -1;
    }
  if (write_all (STDOUT_FILENO, buf, len) < 0)
    {
      if (errno == EPIPE)
        return 1;
      cmd_fail ("write standard output: %s", strerror (errno));
      return -1;
    }
  return 0;
}

/* Sleeps until deadline (CLOCK_MONOTONIC).  Returns true when it is time
 * to stop instead: SIGINT or SIGTERM came (they are blocked outside this
 * wait, so none is missed), or the reader of standard output went away.  */
static bool
wait_until (const struct timespec *deadline, const sigset_t *unblocked)
{
  while (!stop_requested)
    {
      /* A pipe whose reader has gone reports POLLERR: no need to wait for
         the next write to fail.  */
      struct pollfd out = { .fd = STDOUT_FILENO, .events = 0 };
      struct timespec now, left;
      int n;

      clock_gettime (CLOCK_MONOTONIC, &now);
      left.tv_sec = deadline->tv_sec - now.tv_sec;
      left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
      if (left.tv_nsec < 0)
        {
          left.tv_sec--;
          left.tv_nsec += 1000000000L;
        }
      if (left.tv_sec < 0)
        return false;
      n = ppoll (&out, 1, &left, unblocked);
      if (n == 0)
        return false;
      if (n > 0 && (out.revents & (POLLERR | POLLHUP | POLLNVAL)))
        return true;
    }
  return true;
}

static void
advance (struct timespec *t, double seconds)
{
  long long ns = (long long)(seconds * 1e9 + 0.5);

  t->tv_sec += (time_t)(ns / 1000000000LL);
  t->tv_nsec += (long)(ns % 1000000000LL);
  if (t->tv_nsec >= 1000000000L)
    {
      t->tv_sec++;
      t->tv_nsec -= 1000000000L;
    }
}

/* Samples every interval and prints a frame from the second sample on,
 * until stopped, or once with no_stream.  */
static int
stream (struct stats_run *r, double interval, bool no_stream)
{
  struct sigaction sa = { .sa_handler = on_stop_signal };
  struct sigaction ign = { .sa_handler = SIG_IGN };
  struct sigaction old_int, old_term, old_pipe;
  struct timespec deadline;
  sigset_t block, saved, unblocked;
  bool first = true;
  int ret = 0;

  sigemptyset (&sa.sa_mask);
  sigemptyset (&ign.sa_mask);
  sigemptyset (&block);
  sigaddset (&block, SIGINT);
  sigaddset (&block, SIGTERM);
  sigprocmask (SIG_BLOCK, &block, &saved);
  sigaction (SIGINT, &sa, &old_int);
  sigaction (SIGTERM, &sa, &old_term);
  /* A reader that goes away is the end of the stream, not an error.  */
  sigaction (SIGPIPE, &ign, &old_pipe);
  unblocked = saved;
  sigdelset (&unblocked, SIGINT);
  sigdelset (&unblocked, SIGTERM);
  clock_gettime (CLOCK_MONOTONIC, &deadline);
  for (;;)
    {
      if (!r->named && refresh_list (r) != 0)
        {
          ret = 1;
          break;
        }
      sample_all (r);
      /* Every container named must be there to begin with.  */
      if (r->named && (r->n == 0 || (first && r->failed)))
        break;
      if (!first)
        {
          int p = print_frame (r);

          if (p < 0)
            ret = 1;
          if (p != 0 || no_stream)
            break;
        }
      first = false;
      advance (&deadline, interval);
      if (wait_until (&deadline, &unblocked))
        break;
    }
  /* Unblocked first, so that a signal still pending reaches our handler.  */
  sigprocmask (SIG_SETMASK, &saved, NULL);
  sigaction (SIGPIPE, &old_pipe, NULL);
  sigaction (SIGTERM, &old_term, NULL);
  sigaction (SIGINT, &old_int, NULL);
  return ret ? ret : r->failed;
}

static int
parse_interval (const char *s, double *out)
{
  char *end;
  double v;

  errno = 0;
  v = strtod (s, &end);
  if (errno != 0 || end == s || *end != '\0' || !isfinite (v) || v < 0.05 || v > 86400)
    return -1;
  *out = v;
  return 0;
}

int
cmd_stats (struct mr_global *g, int argc, char **argv)
{
  enum
  {
    OPT_NO_STREAM = 256,
    OPT_FORMAT,
    OPT_INTERVAL,
  };
  static const struct option long_opts[] = {
    { "no-stream", no_argument, NULL, OPT_NO_STREAM },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "interval", required_argument, NULL, OPT_INTERVAL },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct stats_run r = { .g = g };
  bool no_stream = false, interval_set = false;
  double interval = 1;
  int c, ret;

  while ((c = getopt_long (argc, argv, ":h", long_opts, NULL)) != -1)
    switch (c)
      {
      case OPT_NO_STREAM:
        no_stream = true;
        break;
      case OPT_FORMAT:
        if (parse_format ("stats", optarg, &r.as_json) < 0)
          return 1;
        break;
      case OPT_INTERVAL:
        if (parse_interval (optarg, &interval) < 0)
          return usage_error ("stats",
                              "invalid interval '%s': expected seconds from 0.05 to 86400, "
                              "e.g. 2 or 0.5",
                              optarg);
        interval_set = true;
        break;
      case 'h':
        return verb_help ("stats");
      default:
        return bad_option ("stats", c, argv);
      }
  if (no_stream && !interval_set)
    interval = NO_STREAM_INTERVAL;
  r.clear = !r.as_json && !no_stream && isatty (STDOUT_FILENO);
  if (context_open (g) < 0)
    return report (-1, &g->err);
  r.named = optind < argc;
  for (int i = optind; i < argc; i++)
    {
      if (mr_id_validate (argv[i], &g->err) < 0)
        return report (-1, &g->err);
      if (find_entry (&r, argv[i]) == NULL && add_entry (&r, argv[i]) < 0)
        {
          free_entries (&r);
          return cmd_fail ("stats: out of memory");
        }
    }
  ret = stream (&r, interval, no_stream);
  free_entries (&r);
  return ret;
}
