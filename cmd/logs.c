#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static volatile int stop;

static void
on_signal (int sig)
{
  (void)sig;
  stop = 1;
}

/* stdout lines to our stdout, stderr lines to our stderr, as docker logs */
static int
print_line (void *data, int stream, const char *text, size_t len)
{
  (void)data;
  if (write_all (stream == 2 ? 2 : 1, text, len) < 0)
    {
      stop = 1;
      return -1;
    }
  return 0;
}

int
cmd_logs (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "follow", no_argument, NULL, 'f' },      { "tail", required_argument, NULL, 'n' },
    { "since", required_argument, NULL, 's' }, { "timestamps", no_argument, NULL, 't' },
    { "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
  };
  struct mr_logs_opts o = { .size = sizeof o, .tail = -1, .stop = &stop };
  struct sigaction sa = { .sa_handler = on_signal };
  long long n;
  int c;

  while ((c = getopt_long (argc, argv, ":fn:th", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        o.follow = true;
        break;
      case 'n':
        if (strcmp (optarg, "all") == 0)
          o.tail = -1;
        else if (parse_number (optarg, 0, LONG_MAX, &n) < 0)
          return usage_error ("logs", "invalid --tail '%s': expected a number or all", optarg);
        else
          o.tail = (long)n;
        break;
      case 's':
        o.since = optarg;
        break;
      case 't':
        o.timestamps = true;
        break;
      case 'h':
        return verb_help ("logs");
      default:
        return bad_option ("logs", c, argv);
      }
  if (argc - optind < 1)
    return usage_error ("logs", "missing container name");
  if (argc - optind > 1)
    return usage_error ("logs", "too many arguments");
  if (context_open (g) < 0)
    return report (-1, &g->err);
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);
  if (mr_container_logs (g->ctx, argv[optind], &o, print_line, NULL, &g->err) < 0)
    return report (-1, &g->err);
  return 0;
}
