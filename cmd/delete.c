#include "config.h"

#include <getopt.h>

#include "cmd.h"

int
cmd_delete (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct mr_delete_opts o = { .size = sizeof o };
  int c;

  while ((c = getopt_long (argc, argv, ":fh", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        o.force = true;
        break;
      case 'h':
        return verb_help ("delete");
      default:
        return bad_option ("delete", c, argv);
      }
  if (argc - optind < 1)
    return usage_error ("delete", "missing container id");
  if (argc - optind > 1)
    return usage_error ("delete", "too many arguments");
  if (context_open (g) < 0)
    return report (-1, &g->err);
  return report (mr_container_delete (g->ctx, argv[optind], &o, &g->err), &g->err);
}
