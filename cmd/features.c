#include "config.h"

#include <getopt.h>
#include <stdlib.h>

#include "cmd.h"
#include "util/cleanup.h"

int
cmd_features (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_free char *json = NULL;
  int c;

  while ((c = getopt_long (argc, argv, ":h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'h':
        return verb_help ("features");
      default:
        return bad_option ("features", c, argv);
      }
  if (argc - optind > 0)
    return usage_error ("features", "too many arguments");
  if (mr_features (&json, &g->err) < 0)
    return report (-1, &g->err);
  print_json (json);
  return 0;
}
