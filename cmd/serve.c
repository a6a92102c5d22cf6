#include "config.h"

#include <getopt.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>

#include "cmd.h"
#include "util/cleanup.h"

static void
request_log (void *data, const char *line)
{
  (void)data;
  /* one call per line: lines of concurrent requests do not interleave */
  fprintf (stderr, "%s\n", line);
}

int
cmd_serve (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "socket", required_argument, NULL, 's' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct mr_serve_opts o = { .size = sizeof o };
  cleanup_close int sfd = -1;
  sigset_t stop;
  int c;

  while ((c = getopt_long (argc, argv, ":s:h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 's':
        if (*optarg == '\0')
          return usage_error ("serve", "invalid --socket '': expected a path");
        o.socket_path = optarg;
        break;
      case 'h':
        return verb_help ("serve");
      default:
        return bad_option ("serve", c, argv);
      }
  if (optind < argc)
    return usage_error ("serve", "unexpected argument '%s'", argv[optind]);

  /* blocked before the server's threads exist, so that they inherit the
   * mask and only the signalfd sees these */
  sigemptyset (&stop);
  sigaddset (&stop, SIGTERM);
  sigaddset (&stop, SIGINT);
  if (pthread_sigmask (SIG_BLOCK, &stop, NULL) != 0)
    return cmd_fail ("serve: cannot block SIGTERM and SIGINT");
  sfd = signalfd (-1, &stop, SFD_CLOEXEC);
  if (sfd < 0)
    return cmd_fail ("serve: signalfd: %s", strerror (errno));
  signal (SIGPIPE, SIG_IGN);

  if (context_open (g) < 0)
    return report (-1, &g->err);
  o.stop_fd = sfd;
  o.log = request_log;
  return report (mr_serve (g->ctx, &o, &g->err), &g->err);
}
