#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"

int
cmd_inspect (struct mr_global *g, int argc, char **argv)
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
        return verb_help ("inspect");
      default:
        return bad_option ("inspect", c, argv);
      }
  if (argc - optind < 1)
    return usage_error ("inspect", "missing container name");
  if (context_open (g) < 0)
    return report (-1, &g->err);
  /* a JSON array, as docker inspect prints, even for one container */
  fputs ("[", stdout);
  for (int i = optind, n = 0; i < argc; i++)
    {
      char *json = NULL;
      if (mr_container_inspect (g->ctx, argv[i], &json, &g->err) < 0)
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
