#include "config.h"

#include <getopt.h>

#include "cmd.h"

int
cmd_start (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c, ret = 0;

  while ((c = getopt_long (argc, argv, ":h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'h':
        return verb_help ("start");
      default:
        return bad_option ("start", c, argv);
      }
  if (argc - optind < 1)
    return usage_error ("start", "missing container id");
  if (context_open (g) < 0)
    return report (-1, &g->err);
  for (int i = optind; i < argc; i++)
    if (mr_container_start (g->ctx, argv[i], &g->err) < 0)
      ret = report (-1, &g->err);
  return ret;
}
