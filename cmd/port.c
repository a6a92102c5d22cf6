#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* "80", "80/tcp" or "53/udp" into port and proto; -1 when it is not one.  */
static int
parse_private (const char *s, unsigned *port, char *proto, size_t len)
{
  const char *slash = strchr (s, '/');
  char *end;
  unsigned long p = strtoul (s, &end, 10);

  if (end == s || (*end && end != slash) || p == 0 || p > 65535 || *s == '-' || *s == '+')
    return -1;
  if (slash && strcmp (slash + 1, "tcp") != 0 && strcmp (slash + 1, "udp") != 0)
    return -1;
  *port = (unsigned)p;
  snprintf (proto, len, "%s", slash ? slash + 1 : "tcp");
  return 0;
}

int
cmd_port (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct mr_container_net net = { .size = sizeof net };
  const char *want = NULL;
  unsigned port = 0;
  char proto[8] = "";
  size_t shown = 0;
  int c;

  while ((c = getopt_long (argc, argv, ":h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'h':
        return verb_help ("port");
      default:
        return bad_option ("port", c, argv);
      }
  if (argc - optind < 1)
    return usage_error ("port", "missing container name");
  if (argc - optind > 2)
    return usage_error ("port", "too many arguments");
  if (argc - optind == 2)
    {
      want = argv[optind + 1];
      if (parse_private (want, &port, proto, sizeof proto) < 0)
        return usage_error ("port", "invalid port '%s': expected PORT or PORT/tcp|udp", want);
    }
  if (context_open (g) < 0)
    return report (-1, &g->err);
  if (mr_container_net (g->ctx, argv[optind], &net, &g->err) < 0)
    return report (-1, &g->err);
  for (size_t i = 0; i < net.n_ports; i++)
    {
      char line[64];
      if (want && (net.ports[i].container_port != port || strcmp (net.ports[i].proto, proto) != 0))
        continue;
      mr_port_binding_format (&net.ports[i], want == NULL, line, sizeof line);
      puts (line);
      shown++;
    }
  mr_container_net_clear (&net);
  if (want && shown == 0)
    return cmd_fail ("port '%s': no public port '%u/%s' published", argv[optind], port, proto);
  return 0;
}
