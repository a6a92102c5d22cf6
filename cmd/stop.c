#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static int
stop_or_restart (const char *verb, struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "time", required_argument, NULL, 't' },
    { "timeout", required_argument, NULL, 't' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool restart = strcmp (verb, "restart") == 0;
  int timeout = -1;
  long long n;
  int c, ret = 0;

  while ((c = getopt_long (argc, argv, ":t:h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 't':
        if (parse_number (optarg, 0, INT_MAX / 1000, &n) < 0)
          return usage_error (verb, "invalid --time '%s': expected seconds", optarg);
        timeout = (int)n;
        break;
      case 'h':
        return verb_help (verb);
      default:
        return bad_option (verb, c, argv);
      }
  if (argc - optind < 1)
    return usage_error (verb, "missing container name");
  if (context_open (g) < 0)
    return report (-1, &g->err);
  for (int i = optind; i < argc; i++)
    {
      int r = restart ? mr_container_restart (g->ctx, argv[i], timeout, &g->err)
                      : mr_container_stop (g->ctx, argv[i], timeout, &g->err);
      if (r < 0)
        ret = report (-1, &g->err);
      else
        puts (argv[i]);
    }
  return ret;
}

int
cmd_stop (struct mr_global *g, int argc, char **argv)
{
  return stop_or_restart ("stop", g, argc, argv);
}

int
cmd_restart (struct mr_global *g, int argc, char **argv)
{
  return stop_or_restart ("restart", g, argc, argv);
}
