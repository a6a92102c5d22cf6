#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <string.h>

#include "cmd.h"

enum
{
  OPT_PID_FILE = 256,
  OPT_CONSOLE_SOCKET,
  OPT_PRESERVE_FDS,
  OPT_NO_PIVOT,
  OPT_NO_NEW_KEYRING,
  OPT_KEEP,
};

int
create_parse (const char *verb, int argc, char **argv, struct mr_create_opts *o, const char **id)
{
  static const struct option long_opts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "pid-file", required_argument, NULL, OPT_PID_FILE },
    { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
    { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
    { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
    { "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
    { "detach", no_argument, NULL, 'd' },
    { "keep", no_argument, NULL, OPT_KEEP },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool is_run = strcmp (verb, "run") == 0;
  long long n;
  int c;

  *id = NULL;
  while ((c = getopt_long (argc, argv, is_run ? ":b:dh" : ":b:h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'b':
        o->bundle = optarg;
        break;
      case OPT_PID_FILE:
        o->pid_file = optarg;
        break;
      case OPT_CONSOLE_SOCKET:
        o->console_socket = optarg;
        break;
      case OPT_PRESERVE_FDS:
        if (parse_number (optarg, 0, INT_MAX - 3, &n) < 0)
          return usage_error (verb, "invalid --preserve-fds value '%s'", optarg);
        o->preserve_fds = (int)n;
        break;
      case OPT_NO_PIVOT:
        o->no_pivot = true;
        break;
      case OPT_NO_NEW_KEYRING:
        o->no_new_keyring = true;
        break;
      case 'd':
        if (!is_run)
          return usage_error (verb, "invalid option '%s'", argv[optind - 1]);
        o->detach = true;
        break;
      case OPT_KEEP:
        if (!is_run)
          return usage_error (verb, "invalid option '%s'", argv[optind - 1]);
        o->keep = true;
        break;
      case 'h':
        return verb_help (verb);
      default:
        return bad_option (verb, c, argv);
      }
  if (argc - optind < 1)
    return usage_error (verb, "missing container id");
  if (argc - optind > 1)
    return usage_error (verb, "too many arguments");
  *id = argv[optind];
  return 0;
}

int
cmd_create (struct mr_global *g, int argc, char **argv)
{
  struct mr_create_opts o = { .size = sizeof o };
  const char *id;
  int ret;

  ret = create_parse ("create", argc, argv, &o, &id);
  if (id == NULL)
    return ret;
  if (context_open (g) < 0)
    return report (-1, &g->err);
  return report (mr_container_create (g->ctx, id, &o, &g->err), &g->err);
}
