#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <string.h>

#include "cmd.h"

int
cmd_kill (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "all", no_argument, NULL, 'a' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct mr_kill_opts o = { .size = sizeof o, .signal = SIGTERM };
  int c;

  while ((c = getopt_long (argc, argv, ":ah", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'a':
        o.all = true;
        break;
      case 'h':
        return verb_help ("kill");
      default:
        return bad_option ("kill", c, argv);
      }
  if (argc - optind < 1)
    return usage_error ("kill", "missing container id");
  if (argc - optind > 2)
    return usage_error ("kill", "too many arguments");
  /* as kill(1) and runc: signal 0 only checks that the container runs */
  if (argc - optind > 1 && strcmp (argv[optind + 1], "0") == 0)
    {
      o.signal = 0;
      o.signal_zero = true;
    }
  else if (argc - optind > 1 && mr_signal_parse (argv[optind + 1], &o.signal) < 0)
    return usage_error ("kill", "unknown signal '%s'", argv[optind + 1]);
  if (context_open (g) < 0)
    return report (-1, &g->err);
  return report (mr_container_kill (g->ctx, argv[optind], &o, &g->err), &g->err);
}
