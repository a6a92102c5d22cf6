#include "config.h"

#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/* Not for people: mr_container_start runs it, with the control socket as
   fd 3 and the attached caller's stdio as fds 4 to 6.  */
int
cmd_monitor (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "attach-stdin", no_argument, NULL, 'i' },
    { "attach-stdout", no_argument, NULL, 'o' },
    { "attach-stderr", no_argument, NULL, 'e' },
    { "report-exit", no_argument, NULL, 'x' },
    { NULL, 0, NULL, 0 },
  };
  struct mr_monitor_opts o
      = { .size = sizeof o, .control_fd = 3, .in_fd = -1, .out_fd = -1, .err_fd = -1 };
  int c, r;

  while ((c = getopt_long (argc, argv, "+", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'i':
        o.in_fd = 4;
        break;
      case 'o':
        o.out_fd = 5;
        break;
      case 'e':
        o.err_fd = 6;
        break;
      case 'x':
        o.report_exit = true;
        break;
      default:
        return bad_option ("monitor", c, argv);
      }
  if (argc - optind != 1)
    return usage_error ("monitor", "expected one container name");
  if (context_open (g) < 0)
    return report (-1, &g->err);
  r = mr_monitor_run (g->ctx, argv[optind], &o, &g->err);
  if (r > 0)
    _exit (0);
  return report (r, &g->err);
}
