#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util/cleanup.h"

#define HELP_LINE "  -h, --help                  Show this help\n"
#define N_COLUMNS 10

static const struct subverb
{
  const char *name;
  const char *summary;
  const char *synopsis;
  const char *options;
} subverbs[] = {
  {
      "stats",
      "Show the CPU, memory and load of the host, and how many containers there are\n"
      "in each status",
      "[--format table|json]",
      "      --format table|json     Output format (default: table)\n" HELP_LINE,
  },
  {
      "info",
      "Show the kernel, OS, cgroups, directories and library versions minirun runs\n"
      "with, and the security features of the kernel",
      "[--format text|json]",
      "      --format text|json      Output format (default: text)\n" HELP_LINE,
  },
};

static int
sub_help (const char *name)
{
  for (size_t i = 0; i < sizeof subverbs / sizeof subverbs[0]; i++)
    if (strcmp (subverbs[i].name, name) == 0)
      printf ("Usage: minirun system %s %s\n\n%s\n\nOptions:\n%s", subverbs[i].name,
              subverbs[i].synopsis, subverbs[i].summary, subverbs[i].options);
  return 0;
}

/* --format FORMAT and --help.  Returns -1 to go on (*json set), else the
 * exit status.  */
static int
parse_sub (const char *name, const char *other, int argc, char **argv, bool *json)
{
  static const struct option long_opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  char verb[32];
  int c;

  snprintf (verb, sizeof verb, "system %s", name);
  *json = false;
  while ((c = getopt_long (argc, argv, ":h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        if (strcmp (optarg, "json") == 0)
          *json = true;
        else if (strcmp (optarg, other) != 0)
          return usage_error (verb, "invalid format '%s': expected %s or json", optarg, other);
        break;
      case 'h':
        return sub_help (name);
      default:
        return bad_option (verb, c, argv);
      }
  if (argc - optind > 0)
    return usage_error (verb, "too many arguments");
  return -1;
}

static void
free_cells (char **cells, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (cells[i]);
  free (cells);
}

static int
print_stats (const struct mr_system_stats *s)
{
  static const char *const headers[N_COLUMNS]
      = { "CPU %",   "CPUS",   "MEM USAGE / TOTAL", "MEM %",  "LOAD AVERAGE", "CONTAINERS",
          "RUNNING", "PAUSED", "STOPPED",           "CREATED" };
  char **cells = calloc (2 * N_COLUMNS, sizeof *cells);
  char **row = cells + N_COLUMNS;
  char used[32], total[32];
  int n = 0;

  if (cells == NULL)
    return cmd_fail ("system stats: out of memory");
  for (size_t c = 0; c < N_COLUMNS; c++)
    cells[c] = strdup (headers[c]);
  mr_size_format (s->memory_used, true, used, sizeof used);
  mr_size_format (s->memory_total, true, total, sizeof total);
  n += asprintf (&row[0], "%.2f%%", s->cpu_percent) < 0;
  n += asprintf (&row[1], "%u", s->cpus) < 0;
  n += asprintf (&row[2], "%s / %s", used, total) < 0;
  n += asprintf (&row[3], "%.2f%%",
                 s->memory_total ? (double)s->memory_used * 100.0 / (double)s->memory_total : 0)
       < 0;
  n += asprintf (&row[4], "%.2f %.2f %.2f", s->load[0], s->load[1], s->load[2]) < 0;
  n += asprintf (&row[5], "%u", s->containers) < 0;
  n += asprintf (&row[6], "%u", s->containers_running) < 0;
  n += asprintf (&row[7], "%u", s->containers_paused) < 0;
  n += asprintf (&row[8], "%u", s->containers_stopped) < 0;
  n += asprintf (&row[9], "%u", s->containers_created) < 0;
  for (size_t i = 0; i < 2 * N_COLUMNS && n == 0; i++)
    n += cells[i] == NULL;
  if (n)
    {
      free_cells (cells, 2 * N_COLUMNS);
      return cmd_fail ("system stats: out of memory");
    }
  print_table (cells, 2, N_COLUMNS, 0, 3);
  free_cells (cells, 2 * N_COLUMNS);
  return 0;
}

static int
system_stats (struct mr_global *g, int argc, char **argv)
{
  struct mr_system_stats s = { .size = sizeof s };
  cleanup_free char *json = NULL;
  bool as_json;
  int ret = parse_sub ("stats", "table", argc, argv, &as_json);

  if (ret >= 0)
    return ret;
  if (context_open (g) < 0 || mr_system_stats (g->ctx, &s, &g->err) < 0)
    return report (-1, &g->err);
  if (!as_json)
    return print_stats (&s);
  if (mr_system_stats_json (&s, &json, &g->err) < 0)
    return report (-1, &g->err);
  print_json (json);
  return 0;
}

static int
system_info (struct mr_global *g, int argc, char **argv)
{
  cleanup_free char *out = NULL;
  bool as_json;
  int ret = parse_sub ("info", "text", argc, argv, &as_json);

  if (ret >= 0)
    return ret;
  if (context_open (g) < 0)
    return report (-1, &g->err);
  if (as_json)
    ret = mr_system_info (g->ctx, &out, &g->err);
  else
    ret = mr_system_info_text (g->ctx, &out, &g->err);
  if (ret < 0)
    return report (-1, &g->err);
  if (as_json)
    print_json (out);
  else
    fputs (out, stdout);
  return 0;
}

int
cmd_system (struct mr_global *g, int argc, char **argv)
{
  if (argc < 2)
    return usage_error ("system", "missing command: stats or info");
  if (strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0)
    return verb_help ("system");
  if (strcmp (argv[1], "stats") == 0)
    return system_stats (g, argc - 1, argv + 1);
  if (strcmp (argv[1], "info") == 0)
    return system_info (g, argc - 1, argv + 1);
  if (argv[1][0] == '-')
    return usage_error ("system", "invalid option '%s'", argv[1]);
  return usage_error ("system", "unknown command '%s': expected stats or info", argv[1]);
}
