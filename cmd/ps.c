#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "util/cleanup.h"

#define N_COLUMNS 6

/* As ps(1) shows STIME: the time of day for processes started today, else
 * the date.  */
static void
format_stime (uint64_t start, char *buf, size_t size)
{
  time_t now = time (NULL), t = (time_t)start;
  struct tm tm_now, tm;

  if (localtime_r (&t, &tm) == NULL || localtime_r (&now, &tm_now) == NULL)
    {
      snprintf (buf, size, "?");
      return;
    }
  if (tm.tm_year == tm_now.tm_year && tm.tm_yday == tm_now.tm_yday)
    strftime (buf, size, "%H:%M", &tm);
  else if (tm.tm_year == tm_now.tm_year)
    strftime (buf, size, "%b%d", &tm);
  else
    strftime (buf, size, "%Y", &tm);
}

static int
print_top (const struct mr_process_info *procs, size_t n)
{
  static const char *const headers[N_COLUMNS] = { "UID", "PID", "PPID", "STAT", "STIME", "CMD" };
  size_t ncells = (n + 1) * N_COLUMNS;
  char **cells = calloc (ncells, sizeof *cells);
  bool oom = cells == NULL;

  for (size_t c = 0; !oom && c < N_COLUMNS; c++)
    cells[c] = strdup (headers[c]);
  for (size_t i = 0; !oom && i < n; i++)
    {
      char **row = cells + (i + 1) * N_COLUMNS;
      char stime[32];

      format_stime (procs[i].start_time, stime, sizeof stime);
      if (asprintf (&row[0], "%u", (unsigned)procs[i].uid) < 0)
        row[0] = NULL;
      if (asprintf (&row[1], "%d", (int)procs[i].pid) < 0)
        row[1] = NULL;
      if (asprintf (&row[2], "%d", (int)procs[i].ppid) < 0)
        row[2] = NULL;
      if (asprintf (&row[3], "%c", procs[i].state ? procs[i].state : '?') < 0)
        row[3] = NULL;
      row[4] = strdup (stime);
      row[5] = strdup (procs[i].cmd ? procs[i].cmd : "");
    }
  for (size_t i = 0; !oom && i < ncells; i++)
    oom = cells[i] == NULL;
  if (!oom)
    print_table (cells, n + 1, N_COLUMNS, 0, 2);
  for (size_t i = 0; cells && i < ncells; i++)
    free (cells[i]);
  free (cells);
  return oom ? cmd_fail ("ps: out of memory") : 0;
}

static void
print_pids (const pid_t *pids, size_t n)
{
  putchar ('[');
  for (size_t i = 0; i < n; i++)
    printf ("%s%d", i ? "," : "", (int)pids[i]);
  puts ("]");
}

int
cmd_ps (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool as_json = false;
  int c, ret;

  /* '+': what follows the id is ps(1)'s, as runc passes it on */
  while ((c = getopt_long (argc, argv, "+:f:h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        if (parse_format ("ps", optarg, &as_json) < 0)
          return 1;
        break;
      case 'h':
        return verb_help ("ps");
      default:
        return bad_option ("ps", c, argv);
      }
  if (argc - optind < 1)
    return usage_error ("ps", "missing container id");
  if (context_open (g) < 0)
    return report (-1, &g->err);
  if (as_json)
    {
      cleanup_free pid_t *pids = NULL;
      size_t n = 0;

      if (mr_container_ps (g->ctx, argv[optind], &pids, &n, &g->err) < 0)
        return report (-1, &g->err);
      print_pids (pids, n);
      return 0;
    }
  {
    cleanup_free char *out = NULL;

    if (mr_container_ps_run (g->ctx, argv[optind], (const char *const *)argv + optind + 1,
                             (size_t)(argc - optind - 1), &out, &g->err)
        == 0)
      {
        fputs (out, stdout);
        return 0;
      }
    /* without ps(1) and without its options, the table of our own */
    if (g->err.errnum != ENOENT || argc - optind > 1)
      return report (-1, &g->err);
    mr_error_clear (&g->err);
  }
  {
    struct mr_process_info *procs = NULL;
    size_t n = 0;

    if (mr_container_top (g->ctx, argv[optind], &procs, &n, &g->err) < 0)
      return report (-1, &g->err);
    ret = print_top (procs, n);
    mr_process_info_free (procs, n);
    return ret;
  }
}
