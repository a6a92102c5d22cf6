#include "config.h"

#include <getopt.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cmd.h"
#include "http/serve.h"
#include "util/cleanup.h"

#define DEFAULT_TLS_CERT "/etc/minirun/cert.pem"
#define DEFAULT_TLS_KEY "/etc/minirun/key.pem"
/* systemd's socket activation: passed descriptors start here */
#define LISTEN_FDS_START 3

static void
request_log (void *data, const char *line)
{
  char buf[2048];
  size_t len = strlen (line);

  (void)data;
  if (len > sizeof buf - 1)
    len = sizeof buf - 1;
  memcpy (buf, line, len);
  buf[len++] = '\n';
  /* one write per line: lines of concurrent requests do not interleave,
   * and no request thread waits on stderr's lock for another one that
   * was put off the CPU while it held it */
  if (write (STDERR_FILENO, buf, len) < 0)
    return;
}

static int
parse_count (const char *opt, const char *s, unsigned min, unsigned *out)
{
  char *end;
  unsigned long n;

  errno = 0;
  n = strtoul (s, &end, 10);
  if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || n < min || n > 1000000)
    return usage_error ("serve", "invalid %s '%s': expected a whole number from %u", opt, s, min);
  *out = (unsigned)n;
  return 0;
}

/* The sockets systemd passed, when they are meant for this process.  */
static int
listen_fds (int **fds, size_t *n)
{
  const char *pid = getenv ("LISTEN_PID");
  const char *count = getenv ("LISTEN_FDS");
  char *end;
  long p, c;

  *fds = NULL;
  *n = 0;
  if (pid == NULL || count == NULL)
    return 0;
  p = strtol (pid, &end, 10);
  if (*end != '\0' || p != (long)getpid ())
    return 0;
  c = strtol (count, &end, 10);
  if (*count == '\0' || *end != '\0' || c < 0 || c > 64)
    return cmd_fail ("serve: invalid LISTEN_FDS '%s'", count);
  unsetenv ("LISTEN_PID");
  unsetenv ("LISTEN_FDS");
  unsetenv ("LISTEN_FDNAMES");
  if (c == 0)
    return 0;
  *fds = calloc ((size_t)c, sizeof **fds);
  if (*fds == NULL)
    return cmd_fail ("serve: out of memory");
  for (long i = 0; i < c; i++)
    (*fds)[i] = LISTEN_FDS_START + (int)i;
  *n = (size_t)c;
  return 0;
}

int
cmd_serve (struct mr_global *g, int argc, char **argv)
{
  enum
  {
    OPT_GROUP = 256,
    OPT_TOKEN,
    OPT_NO_AUTH,
    OPT_CERT,
    OPT_KEY,
    OPT_CORS,
    OPT_MAX_BODY,
    OPT_MAX_CONN,
    OPT_MAX_REQ,
    OPT_TIMEOUT,
    OPT_STOP,
    OPT_STOP_TIMEOUT,
    OPT_PORT_RANGE,
  };
  static const struct option long_opts[] = {
    { "socket", required_argument, NULL, 's' },
    { "socket-group", required_argument, NULL, OPT_GROUP },
    { "listen", required_argument, NULL, 'l' },
    { "token-file", required_argument, NULL, OPT_TOKEN },
    { "insecure-no-auth", no_argument, NULL, OPT_NO_AUTH },
    { "tls-cert", required_argument, NULL, OPT_CERT },
    { "tls-key", required_argument, NULL, OPT_KEY },
    { "cors-origin", required_argument, NULL, OPT_CORS },
    { "max-body", required_argument, NULL, OPT_MAX_BODY },
    { "max-connections", required_argument, NULL, OPT_MAX_CONN },
    { "max-requests", required_argument, NULL, OPT_MAX_REQ },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "stop-containers-on-exit", no_argument, NULL, OPT_STOP },
    { "stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT },
    { "port-range", required_argument, NULL, OPT_PORT_RANGE },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct mr_serve_opts o = { .size = sizeof o, .stop_timeout = -1 };
  struct mr_port_range range = { 0 };
  cleanup_free const char **listen = NULL;
  cleanup_free int *fds = NULL;
  cleanup_close int sfd = -1;
  unsigned u;
  int64_t bytes;
  sigset_t stop;
  int c;

  while ((c = getopt_long (argc, argv, ":s:l:h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 's':
        if (*optarg == '\0')
          return usage_error ("serve", "invalid --socket '': expected a path");
        o.socket_path = optarg;
        break;
      case OPT_GROUP:
        if (*optarg == '\0')
          return usage_error ("serve", "invalid --socket-group '': expected a group");
        o.socket_group = optarg;
        break;
      case 'l':
        {
          const char **grown = realloc (listen, (o.n_listen + 1) * sizeof *listen);
          if (grown == NULL)
            return cmd_fail ("serve: out of memory");
          listen = grown;
          listen[o.n_listen++] = optarg;
          break;
        }
      case OPT_TOKEN:
        if (*optarg == '\0')
          return usage_error ("serve", "invalid --token-file '': expected a path");
        o.token_file = optarg;
        break;
      case OPT_NO_AUTH:
        o.insecure_no_auth = true;
        break;
      case OPT_CERT:
        o.tls_cert = optarg;
        break;
      case OPT_KEY:
        o.tls_key = optarg;
        break;
      case OPT_CORS:
        if (*optarg == '\0' || strpbrk (optarg, "\r\n"))
          return usage_error ("serve",
                              "invalid --cors-origin '%s': expected an origin such as "
                              "https://example.com, or *",
                              optarg);
        o.cors_origin = optarg;
        break;
      case OPT_MAX_BODY:
        if (mr_size_parse (optarg, &bytes) < 0 || bytes < 1)
          return usage_error ("serve", "invalid --max-body '%s': expected a size such as 1m",
                              optarg);
        o.max_body = (size_t)bytes;
        break;
      case OPT_MAX_CONN:
        if (parse_count ("--max-connections", optarg, 1, &o.max_connections) != 0)
          return 1;
        break;
      case OPT_MAX_REQ:
        if (parse_count ("--max-requests", optarg, 1, &o.max_requests) != 0)
          return 1;
        break;
      case OPT_TIMEOUT:
        if (parse_count ("--timeout", optarg, 1, &o.timeout) != 0)
          return 1;
        break;
      case OPT_STOP:
        o.stop_containers_on_exit = true;
        break;
      case OPT_STOP_TIMEOUT:
        if (parse_count ("--stop-timeout", optarg, 0, &u) != 0)
          return 1;
        o.stop_timeout = (int)u;
        break;
      case OPT_PORT_RANGE:
        if (mr_port_range_parse (optarg, &range, &g->err) < 0)
          return usage_error ("serve", "--port-range: %s", g->err.msg);
        break;
      case 'h':
        return verb_help ("serve");
      default:
        return bad_option ("serve", c, argv);
      }
  if (optind < argc)
    return usage_error ("serve", "unexpected argument '%s'", argv[optind]);
  if ((o.tls_cert == NULL) != (o.tls_key == NULL))
    return usage_error ("serve", "--tls-cert and --tls-key go together");
  if (o.tls_cert == NULL)
    {
      const char *cert = getenv ("TLS_CERT_PATH");
      const char *key = getenv ("TLS_KEY_PATH");

      if ((cert && *cert) || (key && *key))
        {
          if (!(cert && *cert && key && *key))
            return usage_error ("serve", "TLS_CERT_PATH and TLS_KEY_PATH go together");
          o.tls_cert = cert;
          o.tls_key = key;
        }
      else if (access (DEFAULT_TLS_CERT, R_OK) == 0 && access (DEFAULT_TLS_KEY, R_OK) == 0)
        {
          o.tls_cert = DEFAULT_TLS_CERT;
          o.tls_key = DEFAULT_TLS_KEY;
        }
    }
  o.listen = listen;
  if (listen_fds (&fds, &o.n_listen_fds) != 0)
    return 1;
  o.listen_fds = fds;

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
  if (range.first && mr_context_set_port_range (g->ctx, &range, &g->err) < 0)
    return report (-1, &g->err);
  o.stop_fd = sfd;
  o.log = request_log;
  return report (mr_serve (g->ctx, &o, &g->err), &g->err);
}
