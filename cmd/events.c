#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "util/cleanup.h"

static volatile int stop_requested;

static void
on_stop_signal (int sig)
{
  (void)sig;
  stop_requested = 1;
}

struct printer
{
  bool json;
  int write_errno; /* why standard output could not be written, or 0 */
};

/* Control characters would reach the terminal as they are.  */
static void
put_text (FILE *f, const char *s)
{
  for (; *s; s++)
    fputc ((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

/* Docker's text: TIME TYPE ACTION ID (KEY=VALUE, ...).  */
static void
format_text (FILE *f, const struct mr_event *ev)
{
  fprintf (f, "%s ", ev->time);
  put_text (f, ev->type);
  fputc (' ', f);
  put_text (f, ev->action);
  fputc (' ', f);
  put_text (f, ev->id);
  for (const char *const *a = ev->attributes; a && a[0]; a += 2)
    {
      fputs (a == ev->attributes ? " (" : ", ", f);
      put_text (f, a[0]);
      fputc ('=', f);
      put_text (f, a[1]);
    }
  if (ev->attributes && ev->attributes[0])
    fputc (')', f);
  fputc ('\n', f);
}

/* Each event leaves at once, in one write, for whoever follows the output.  */
static int
print_event (void *data, const char *json_line, const struct mr_event *ev)
{
  struct printer *p = data;
  cleanup_free char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);

  if (f == NULL)
    {
      p->write_errno = ENOMEM;
      return -1;
    }
  if (p->json)
    fprintf (f, "%s\n", json_line);
  else
    format_text (f, ev);
  if (fclose (f) != 0)
    {
      p->write_errno = ENOMEM;
      return -1;
    }
  if (write_all (STDOUT_FILENO, buf, len) < 0)
    {
      p->write_errno = errno;
      return -1;
    }
  return 0;
}

/* No SA_RESTART: the signal also cuts the library's wait short.  */
static void
catch_stop_signals (void)
{
  struct sigaction sa = { .sa_handler = on_stop_signal };

  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);
}

enum
{
  OPT_FORMAT = 256,
  OPT_SINCE,
  OPT_UNTIL,
  OPT_NO_FOLLOW,
  OPT_INTERVAL,
  OPT_STATS,
};

/* A duration as runc takes it ("5s", "500ms", "1m", "1.5s"; a bare number
 * is seconds), in milliseconds: 1 ms to a day.  */
static int
parse_duration_ms (const char *s, unsigned *out)
{
  char *end;
  double v, scale;

  errno = 0;
  v = strtod (s, &end);
  if (end == s || errno != 0 || v <= 0)
    return -1;
  if (strcmp (end, "") == 0 || strcmp (end, "s") == 0)
    scale = 1000;
  else if (strcmp (end, "ms") == 0)
    scale = 1;
  else if (strcmp (end, "m") == 0)
    scale = 60000;
  else if (strcmp (end, "h") == 0)
    scale = 3600000;
  else
    return -1;
  v *= scale;
  if (v < 1 || v > 86400000)
    return -1;
  *out = (unsigned)v;
  return 0;
}

/* runc's events ID: one JSON line per event, each in one write.  */
static int
print_line (void *data, const char *json_line)
{
  struct printer *p = data;
  size_t len = strlen (json_line);
  cleanup_free char *buf = malloc (len + 2);

  if (buf == NULL)
    {
      p->write_errno = ENOMEM;
      return -1;
    }
  memcpy (buf, json_line, len);
  buf[len++] = '\n';
  if (write_all (STDOUT_FILENO, buf, len) < 0)
    {
      p->write_errno = errno;
      return -1;
    }
  return 0;
}

int
cmd_events (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "format", required_argument, NULL, OPT_FORMAT },
    { "since", required_argument, NULL, OPT_SINCE },
    { "until", required_argument, NULL, OPT_UNTIL },
    { "filter", required_argument, NULL, 'f' },
    { "no-follow", no_argument, NULL, OPT_NO_FOLLOW },
    { "interval", required_argument, NULL, OPT_INTERVAL },
    { "stats", no_argument, NULL, OPT_STATS },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct mr_events_opts o = { .size = sizeof o, .follow = true, .stop = &stop_requested };
  struct mr_container_events_opts co = { .size = sizeof co, .stop = &stop_requested };
  bool stream_opts = false, runc_opts = false;
  cleanup_free const char **filters = calloc ((size_t)argc + 1, sizeof *filters);
  struct printer p = { 0 };
  size_t n_filters = 0;
  int c, r;

  if (filters == NULL)
    return cmd_fail ("events: out of memory");
  while ((c = getopt_long (argc, argv, ":f:h", long_opts, NULL)) != -1)
    switch (c)
      {
      case OPT_INTERVAL:
        if (parse_duration_ms (optarg, &co.interval_ms) < 0)
          return usage_error (
              "events", "invalid interval '%s': expected a duration such as 5s or 500ms", optarg);
        runc_opts = true;
        break;
      case OPT_STATS:
        co.stats_once = true;
        runc_opts = true;
        break;
      case OPT_FORMAT:
        stream_opts = true;
        if (strcmp (optarg, "json") == 0)
          p.json = true;
        else if (strcmp (optarg, "text") == 0)
          p.json = false;
        else
          return usage_error ("events", "invalid format '%s': expected text or json", optarg);
        break;
      case OPT_SINCE:
        o.since = optarg;
        stream_opts = true;
        break;
      case OPT_UNTIL:
        o.until = optarg;
        stream_opts = true;
        break;
      case 'f':
        filters[n_filters++] = optarg;
        stream_opts = true;
        break;
      case OPT_NO_FOLLOW:
        o.follow = false;
        stream_opts = true;
        break;
      case 'h':
        return verb_help ("events");
      default:
        return bad_option ("events", c, argv);
      }
  if (argc - optind > 1)
    return usage_error ("events", "too many arguments");
  if (argc - optind == 1)
    {
      /* runc's form: the events of one container */
      if (stream_opts)
        return usage_error ("events",
                            "--format, --since, --until, --filter and --no-follow are for the "
                            "event stream without an ID");
      if (context_open (g) < 0)
        return report (-1, &g->err);
      catch_stop_signals ();
      r = mr_container_events (g->ctx, argv[optind], &co, print_line, &p, &g->err);
      if (p.write_errno && p.write_errno != EPIPE)
        return cmd_fail ("write standard output: %s", strerror (p.write_errno));
      return report (r, &g->err);
    }
  if (runc_opts)
    return usage_error ("events", "--interval and --stats need a container ID");
  o.filters = filters;
  if (context_open (g) < 0)
    return report (-1, &g->err);
  catch_stop_signals ();
  r = mr_events_read (g->ctx, &o, print_event, &p, &g->err);
  /* a reader that went away is the end of the stream, not an error */
  if (p.write_errno && p.write_errno != EPIPE)
    return cmd_fail ("write standard output: %s", strerror (p.write_errno));
  return report (r, &g->err);
}
