#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "cmd.h"

static volatile int stop;

static void
on_signal (int sig)
{
  (void)sig;
  stop = 1;
}

int
cmd_wait (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct sigaction sa = { .sa_handler = on_signal };
  int c, ret = 0;

  while ((c = getopt_long (argc, argv, ":h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'h':
        return verb_help ("wait");
      default:
        return bad_option ("wait", c, argv);
      }
  if (argc - optind < 1)
    return usage_error ("wait", "missing container name");
  if (context_open (g) < 0)
    return report (-1, &g->err);
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  for (int i = optind; i < argc; i++)
    {
      int code;
      if (mr_container_wait (g->ctx, argv[i], &code, &stop, &g->err) < 0)
        {
          if (g->err.errnum == EINTR)
            return 130;
          ret = report (-1, &g->err);
          continue;
        }
      printf ("%d\n", code);
      fflush (stdout);
    }
  return ret;
}
