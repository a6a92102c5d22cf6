#include "config.h"

#include <getopt.h>
#include <stdint.h>

#include "cmd.h"

static int
parse_id_opt (const char *name, const char *s, uint32_t *out)
{
  long long v;

  /* (uid_t) -1 means "no change" to chown and is no one's id */
  if (parse_number (s, 0, UINT32_MAX - 1, &v) < 0)
    return usage_error ("useradd", "invalid value '%s' for --%s", s, name);
  *out = (uint32_t)v;
  return 0;
}

int
cmd_useradd (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "uid", required_argument, NULL, 'u' },
    { "gid", required_argument, NULL, 'g' },
    { "shell", required_argument, NULL, 's' },
    { "home", required_argument, NULL, 'd' },
    { "no-create-home", no_argument, NULL, 'M' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct mr_useradd_opts o = { .size = sizeof o };
  uint32_t v = 0;
  int c;

  while ((c = getopt_long (argc, argv, ":u:g:s:d:Mh", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'u':
        if (parse_id_opt ("uid", optarg, &v) != 0)
          return 1;
        o.uid_set = true;
        o.uid = v;
        break;
      case 'g':
        if (parse_id_opt ("gid", optarg, &v) != 0)
          return 1;
        o.gid_set = true;
        o.gid = v;
        break;
      case 's':
        o.shell = optarg;
        break;
      case 'd':
        o.home = optarg;
        break;
      case 'M':
        o.no_create_home = true;
        break;
      case 'h':
        return verb_help ("useradd");
      default:
        return bad_option ("useradd", c, argv);
      }
  if (argc - optind < 2)
    return usage_error ("useradd", "%s",
                        argc - optind < 1 ? "missing container id" : "missing user name");
  if (argc - optind > 2)
    return usage_error ("useradd", "too many arguments");
  o.name = argv[optind + 1];
  if (context_open (g) < 0)
    return report (-1, &g->err);
  return report (mr_container_useradd (g->ctx, argv[optind], &o, &g->err), &g->err);
}
