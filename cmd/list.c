#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util/cleanup.h"

#define N_COLUMNS 7

static void
free_cells (char **cells, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (cells[i]);
  free (cells);
}

/* "0.0.0.0:8080->80/tcp, 127.0.0.1:8081->80/tcp", as docker ps shows them.  */
static char *
ports_cell (const struct mr_container_info *c)
{
  char *s = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&s, &len);

  if (f == NULL)
    return NULL;
  for (size_t i = 0; i < c->n_ports; i++)
    fprintf (f, "%s%s:%u->%u/%s", i ? ", " : "", c->ports[i].host_ip, c->ports[i].host_port,
             c->ports[i].container_port, c->ports[i].proto);
  if (fclose (f) != 0)
    {
      free (s);
      return NULL;
    }
  return s;
}

static int
print_list (struct mr_container_info *list, size_t n, bool quiet)
{
  static const char *const headers[N_COLUMNS]
      = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER", "PORTS" };
  size_t ncells = (n + 1) * N_COLUMNS;
  size_t ncols = N_COLUMNS - 1;
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
      if (list[i].managed && strcmp (list[i].state, "stopped") == 0)
        {
          if (asprintf (&row[2], "exited (%d)", list[i].exit_code) < 0)
            row[2] = NULL;
        }
      else
        row[2] = strdup (list[i].managed ? list[i].state : mr_status_name (list[i].status));
      /* a managed container's bundle is ours: its image says more */
      row[3] = strdup (list[i].managed ? list[i].image : list[i].bundle ? list[i].bundle : "");
      row[4] = strdup (list[i].created ? list[i].created : "");
      row[5] = strdup (list[i].owner ? list[i].owner : "");
      row[6] = ports_cell (&list[i]);
      /* runc's columns, unless a managed container is shown */
      if (list[i].managed)
        ncols = N_COLUMNS;
    }
  for (size_t i = 0; i < ncells; i++)
    if (cells[i] == NULL)
      {
        free_cells (cells, ncells);
        return cmd_fail ("list: out of memory");
      }
  if (ncols < N_COLUMNS)
    {
      /* the same cells without the last column; cells keeps owning them */
      cleanup_free char **shown = calloc ((n + 1) * ncols, sizeof *shown);
      if (shown == NULL)
        {
          free_cells (cells, ncells);
          return cmd_fail ("list: out of memory");
        }
      for (size_t i = 0; i <= n; i++)
        memcpy (shown + i * ncols, cells + i * N_COLUMNS, ncols * sizeof *cells);
      print_table (shown, n + 1, ncols, 12, 3);
    }
  else
    print_table (cells, n + 1, ncols, 12, 3);
  free_cells (cells, ncells);
  return 0;
}

/* Without --all, managed containers that do not run are left out, as
   docker ps does; OCI containers always show, as runc list does.  */
static bool
shown (const struct mr_container_info *c, bool all, const char *const *filters, size_t nf)
{
  const char *status = c->managed ? c->state : mr_status_name (c->status);

  if (!all && c->managed && strcmp (status, "running") != 0 && strcmp (status, "paused") != 0
      && strcmp (status, "restarting") != 0)
    return false;
  /* the same key ORs, different keys AND */
  for (int key = 0; key < 2; key++)
    {
      const char *prefix = key == 0 ? "status=" : "name=";
      bool any = false, match = false;
      for (size_t i = 0; i < nf; i++)
        {
          const char *v;
          if (strncmp (filters[i], prefix, strlen (prefix)) != 0)
            continue;
          v = filters[i] + strlen (prefix);
          any = true;
          if (key == 0)
            match |= strcmp (v, status) == 0
                     || (strcmp (v, "exited") == 0 && strcmp (status, "stopped") == 0);
          else
            match |= strstr (c->id, v) != NULL;
        }
      if (any && !match)
        return false;
    }
  return true;
}

static int
check_filter (const char *f)
{
  static const char *const statuses[]
      = { "created", "running", "paused", "restarting", "stopped", "exited", "creating" };

  if (strncmp (f, "name=", 5) == 0 && f[5])
    return 0;
  if (strncmp (f, "status=", 7) == 0)
    for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++)
      if (strcmp (f + 7, statuses[i]) == 0)
        return 0;
  return -1;
}

static int
list_verb (const char *verb, struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "all", no_argument, NULL, 'a' },          { "quiet", no_argument, NULL, 'q' },
    { "format", required_argument, NULL, 'f' }, { "filter", required_argument, NULL, 'F' },
    { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
  };
  struct mr_container_info *list = NULL;
  cleanup_free char *json = NULL;
  cleanup_free const char **filters = calloc ((size_t)argc + 1, sizeof *filters);
  bool quiet = false, as_json = false, all = false;
  size_t n = 0, nf = 0, kept = 0;
  int c, ret;

  if (filters == NULL)
    return cmd_fail ("%s: out of memory", verb);
  while ((c = getopt_long (argc, argv, ":aqf:h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'a':
        all = true;
        break;
      case 'q':
        quiet = true;
        break;
      case 'f':
        if (parse_format (verb, optarg, &as_json) < 0)
          return 1;
        break;
      case 'F':
        if (check_filter (optarg) < 0)
          return usage_error (verb,
                              "invalid --filter '%s': expected status=created|running|paused|"
                              "restarting|stopped|exited or name=TEXT",
                              optarg);
        filters[nf++] = optarg;
        /* asking for a status that only stopped containers have implies -a */
        all = all || strncmp (optarg, "status=", 7) == 0;
        break;
      case 'h':
        return verb_help (verb);
      default:
        return bad_option (verb, c, argv);
      }
  if (argc - optind > 0)
    return usage_error (verb, "too many arguments");
  if (context_open (g) < 0)
    return report (-1, &g->err);
  if (mr_container_list (g->ctx, &list, &n, &g->err) < 0)
    return report (-1, &g->err);
  /* keep what is shown at the front; the rest is freed all the same */
  for (size_t i = 0; i < n; i++)
    if (shown (&list[i], all, filters, nf))
      {
        struct mr_container_info t = list[kept];
        list[kept++] = list[i];
        list[i] = t;
      }
  if (as_json && !quiet)
    {
      ret = mr_container_info_json (list, kept, &json, &g->err);
      if (ret == 0)
        print_json (json);
      mr_container_info_free (list, n);
      return report (ret, &g->err);
    }
  ret = print_list (list, kept, quiet);
  mr_container_info_free (list, n);
  return ret;
}

int
cmd_list (struct mr_global *g, int argc, char **argv)
{
  return list_verb ("list", g, argc, argv);
}

int
cmd_ls (struct mr_global *g, int argc, char **argv)
{
  return list_verb ("ls", g, argc, argv);
}
