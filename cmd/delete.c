#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static int
remove_containers (const char *verb, struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct mr_delete_opts o = { .size = sizeof o };
  int c, ret = 0;

  while ((c = getopt_long (argc, argv, ":fh", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        o.force = true;
        break;
      case 'h':
        return verb_help (verb);
      default:
        return bad_option (verb, c, argv);
      }
  if (argc - optind < 1)
    return usage_error (verb, "missing container id");
  if (context_open (g) < 0)
    return report (-1, &g->err);
  /* each one is tried, as docker rm does; the status says if any failed */
  for (int i = optind; i < argc; i++)
    {
      if (mr_container_delete (g->ctx, argv[i], &o, &g->err) < 0)
        ret = report (-1, &g->err);
      else if (strcmp (verb, "rm") == 0)
        puts (argv[i]);
    }
  return ret;
}

int
cmd_delete (struct mr_global *g, int argc, char **argv)
{
  return remove_containers ("delete", g, argc, argv);
}

int
cmd_rm (struct mr_global *g, int argc, char **argv)
{
  return remove_containers ("rm", g, argc, argv);
}
