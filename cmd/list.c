#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util/cleanup.h"

#define N_COLUMNS 6

static void
free_cells (char **cells, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (cells[i]);
  free (cells);
}

static int
print_list (struct mr_container_info *list, size_t n, bool quiet)
{
  static const char *const headers[N_COLUMNS]
      = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
  size_t ncells = (n + 1) * N_COLUMNS;
  char **cells;

  if (quiet)
    {
      for (size_t i = 0; i < n; i++)
        puts (list[i].id);
      return 0;
    }
  cells = calloc (ncells, sizeof *cells);
  if (cells == NULL)
    return cmd_fail ("list: out of memory");
  for (size_t c = 0; c < N_COLUMNS; c++)
    cells[c] = strdup (headers[c]);
  for (size_t i = 0; i < n; i++)
    {
      char **row = cells + (i + 1) * N_COLUMNS;

      row[0] = strdup (list[i].id ? list[i].id : "");
      if (asprintf (&row[1], "%d", (int)list[i].pid) < 0)
        row[1] = NULL;
      row[2] = strdup (mr_status_name (list[i].status));
      row[3] = strdup (list[i].bundle ? list[i].bundle : "");
      row[4] = strdup (list[i].created ? list[i].created : "");
      row[5] = strdup (list[i].owner ? list[i].owner : "");
    }
  for (size_t i = 0; i < ncells; i++)
    if (cells[i] == NULL)
      {
        free_cells (cells, ncells);
        return cmd_fail ("list: out of memory");
      }
  print_table (cells, n + 1, N_COLUMNS, 12, 3);
  free_cells (cells, ncells);
  return 0;
}

int
cmd_list (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "quiet", no_argument, NULL, 'q' },
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct mr_container_info *list = NULL;
  cleanup_free char *json = NULL;
  bool quiet = false, as_json = false;
  size_t n = 0;
  int c, ret;

  while ((c = getopt_long (argc, argv, ":qf:h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'q':
        quiet = true;
        break;
      case 'f':
        if (parse_format ("list", optarg, &as_json) < 0)
          return 1;
        break;
      case 'h':
        return verb_help ("list");
      default:
        return bad_option ("list", c, argv);
      }
  if (argc - optind > 0)
    return usage_error ("list", "too many arguments");
  if (context_open (g) < 0)
    return report (-1, &g->err);
  if (as_json && !quiet)
    {
      if (mr_container_list_json (g->ctx, &json, &g->err) < 0)
        return report (-1, &g->err);
      print_json (json);
      return 0;
    }
  if (mr_container_list (g->ctx, &list, &n, &g->err) < 0)
    return report (-1, &g->err);
  ret = print_list (list, n, quiet);
  mr_container_info_free (list, n);
  return ret;
}
