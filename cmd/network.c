#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "util/cleanup.h"

#define N_COLUMNS 6
#define HELP_LINE "  -h, --help                  Show this help\n"

struct subverb
{
  const char *name;
  const char *alias;
  int (*fn) (struct mr_global *g, int argc, char **argv);
  const char *summary;
  const char *synopsis;
  const char *options;
};

static const struct subverb *find_subverb (const char *name);

static int
sub_help (const char *name)
{
  const struct subverb *s = find_subverb (name);

  printf ("Usage: minirun network %s %s\n\n%s\n\nOptions:\n%s", s->name, s->synopsis, s->summary,
          s->options);
  return 0;
}

/* For the subverbs without options: --help, and at least one name.
   Returns -1 to go on, else the exit status.  */
static int
parse_names (const char *name, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  char verb[32];
  int c;

  snprintf (verb, sizeof verb, "network %s", name);
  while ((c = getopt_long (argc, argv, ":h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'h':
        return sub_help (name);
      default:
        return bad_option (verb, c, argv);
      }
  if (argc - optind < 1)
    return usage_error (verb, "missing network name");
  return -1;
}

enum
{
  OPT_SUBNET = 256,
  OPT_GATEWAY,
  OPT_INTERNAL,
  OPT_FORMAT,
};

static int
network_create (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "subnet", required_argument, NULL, OPT_SUBNET },
    { "gateway", required_argument, NULL, OPT_GATEWAY },
    { "internal", no_argument, NULL, OPT_INTERNAL },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct mr_network_create_opts o = { .size = sizeof o };
  int c;

  while ((c = getopt_long (argc, argv, ":h", long_opts, NULL)) != -1)
    switch (c)
      {
      case OPT_SUBNET:
        o.subnet = optarg;
        break;
      case OPT_GATEWAY:
        o.gateway = optarg;
        break;
      case OPT_INTERNAL:
        o.internal = true;
        break;
      case 'h':
        return sub_help ("create");
      default:
        return bad_option ("network create", c, argv);
      }
  if (argc - optind < 1)
    return usage_error ("network create", "missing network name");
  if (argc - optind > 1)
    return usage_error ("network create", "too many arguments");
  if (context_open (g) < 0 || mr_network_create (g->ctx, argv[optind], &o, &g->err) < 0)
    return report (-1, &g->err);
  puts (argv[optind]);
  return 0;
}

static void
free_cells (char **cells, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (cells[i]);
  free (cells);
}

static int
print_networks (const struct mr_network_info *list, size_t n, bool quiet)
{
  static const char *const headers[N_COLUMNS]
      = { "NAME", "SUBNET", "GATEWAY", "BRIDGE", "INTERNAL", "CONTAINERS" };
  size_t ncells = (n + 1) * N_COLUMNS;
  char **cells;

  if (quiet)
    {
      for (size_t i = 0; i < n; i++)
        puts (list[i].name);
      return 0;
    }
  cells = calloc (ncells, sizeof *cells);
  if (cells == NULL)
    return cmd_fail ("network ls: out of memory");
  for (size_t c = 0; c < N_COLUMNS; c++)
    cells[c] = strdup (headers[c]);
  for (size_t i = 0; i < n; i++)
    {
      char **row = cells + (i + 1) * N_COLUMNS;

      row[0] = strdup (list[i].name);
      row[1] = strdup (list[i].subnet);
      row[2] = strdup (list[i].gateway);
      row[3] = strdup (list[i].bridge);
      row[4] = strdup (list[i].internal ? "true" : "false");
      if (asprintf (&row[5], "%zu", list[i].containers) < 0)
        row[5] = NULL;
    }
  for (size_t i = 0; i < ncells; i++)
    if (cells[i] == NULL)
      {
        free_cells (cells, ncells);
        return cmd_fail ("network ls: out of memory");
      }
  print_table (cells, n + 1, N_COLUMNS, 0, 3);
  free_cells (cells, ncells);
  return 0;
}

static int
network_ls (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "quiet", no_argument, NULL, 'q' },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct mr_network_info *list = NULL;
  cleanup_free char *json = NULL;
  bool quiet = false, as_json = false;
  size_t n = 0;
  int c, ret;

  while ((c = getopt_long (argc, argv, ":qh", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'q':
        quiet = true;
        break;
      case OPT_FORMAT:
        if (parse_format ("network ls", optarg, &as_json) < 0)
          return 1;
        break;
      case 'h':
        return sub_help ("ls");
      default:
        return bad_option ("network ls", c, argv);
      }
  if (argc - optind > 0)
    return usage_error ("network ls", "too many arguments");
  if (context_open (g) < 0)
    return report (-1, &g->err);
  if (as_json && !quiet)
    {
      if (mr_network_list_json (g->ctx, &json, &g->err) < 0)
        return report (-1, &g->err);
      print_json (json);
      return 0;
    }
  if (mr_network_list (g->ctx, &list, &n, &g->err) < 0)
    return report (-1, &g->err);
  ret = print_networks (list, n, quiet);
  mr_network_info_free (list, n);
  return ret;
}

static int
network_inspect (struct mr_global *g, int argc, char **argv)
{
  int ret = parse_names ("inspect", argc, argv);

  if (ret >= 0)
    return ret;
  if (context_open (g) < 0)
    return report (-1, &g->err);
  /* a JSON array of those found, as docker network inspect prints; each
   * unknown name is an error of its own */
  ret = 0;
  fputs ("[", stdout);
  for (int i = optind, n = 0; i < argc; i++)
    {
      char *json = NULL;
      mr_error_clear (&g->err);
      if (mr_network_inspect (g->ctx, argv[i], &json, &g->err) < 0)
        {
          ret = report (-1, &g->err);
          continue;
        }
      printf ("%s\n%s", n++ ? "," : "", json);
      free (json);
    }
  fputs ("\n]\n", stdout);
  return ret;
}

static int
network_rm (struct mr_global *g, int argc, char **argv)
{
  int ret = parse_names ("rm", argc, argv);

  if (ret >= 0)
    return ret;
  if (context_open (g) < 0)
    return report (-1, &g->err);
  /* every name is tried; the status says whether one failed */
  ret = 0;
  for (int i = optind; i < argc; i++)
    {
      mr_error_clear (&g->err);
      if (report (mr_network_remove (g->ctx, argv[i], &g->err), &g->err) != 0)
        ret = 1;
      else
        puts (argv[i]);
    }
  return ret;
}

/* y or yes on the terminal; anything else, or none, is no.  */
static bool
confirmed (void)
{
  char line[16];

  fputs ("WARNING! This will remove every network that no container uses\n"
         "(the default network stays).\nAre you sure you want to continue? [y/N] ",
         stderr);
  if (fgets (line, sizeof line, stdin) == NULL)
    return false;
  line[strcspn (line, "\n")] = '\0';
  return strcmp (line, "y") == 0 || strcmp (line, "Y") == 0 || strcmp (line, "yes") == 0;
}

static int
network_prune (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_strv char **removed = NULL;
  bool force = false;
  int c;

  while ((c = getopt_long (argc, argv, ":fh", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        force = true;
        break;
      case 'h':
        return sub_help ("prune");
      default:
        return bad_option ("network prune", c, argv);
      }
  if (argc - optind > 0)
    return usage_error ("network prune", "too many arguments");
  /* a person at a terminal is asked, as docker asks; scripts are not */
  if (!force && isatty (STDIN_FILENO) && !confirmed ())
    return 0;
  if (context_open (g) < 0 || mr_network_prune (g->ctx, &removed, &g->err) < 0)
    return report (-1, &g->err);
  for (char **p = removed; *p; p++)
    puts (*p);
  return 0;
}

static const struct subverb subverbs[] = {
  {
      "create",
      NULL,
      network_create,
      "Create a network for managed containers (--network NAME); its bridge is made\n"
      "when the first container joins it.  Prints its name",
      "[--subnet CIDR] [--gateway IP] [--internal] NAME",
      "      --subnet CIDR           IPv4 subnet, prefix 8 to 30 (default: the first\n"
      "                              free /20 of 10.77.0.0-10.87.255.255)\n"
      "      --gateway IP            Address of the bridge (default: the subnet's first)\n"
      "      --internal              No traffic to or from outside the network\n" HELP_LINE,
  },
  {
      "ls",
      "list",
      network_ls,
      "List networks, the default one (minirun) included",
      "[-q|--quiet] [--format table|json]",
      "  -q, --quiet                 Print network names only\n"
      "      --format table|json     Output format (default: table)\n" HELP_LINE,
  },
  {
      "inspect",
      NULL,
      network_inspect,
      "Print networks as a JSON array, with their containers and addresses",
      "NAME...",
      HELP_LINE,
  },
  {
      "rm",
      "remove",
      network_rm,
      "Remove networks that no container uses, running or stopped; prints each name",
      "NAME...",
      HELP_LINE,
  },
  {
      "prune",
      NULL,
      network_prune,
      "Remove every network that no container uses, but the default one; prints the\n"
      "names removed",
      "[-f|--force]",
      "  -f, --force                 Do not ask for confirmation on a terminal\n" HELP_LINE,
  },
};

static const struct subverb *
find_subverb (const char *name)
{
  for (size_t i = 0; i < sizeof subverbs / sizeof subverbs[0]; i++)
    if (strcmp (subverbs[i].name, name) == 0
        || (subverbs[i].alias && strcmp (subverbs[i].alias, name) == 0))
      return &subverbs[i];
  return NULL;
}

int
cmd_network (struct mr_global *g, int argc, char **argv)
{
  const struct subverb *s;

  if (argc < 2)
    return usage_error ("network", "missing command: create, ls, inspect, rm or prune");
  if (strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0)
    return verb_help ("network");
  s = find_subverb (argv[1]);
  if (s == NULL)
    {
      if (argv[1][0] == '-')
        return usage_error ("network", "invalid option '%s'", argv[1]);
      return usage_error (
          "network", "unknown command '%s': expected create, ls, inspect, rm or prune", argv[1]);
    }
  return s->fn (g, argc - 1, argv + 1);
}
