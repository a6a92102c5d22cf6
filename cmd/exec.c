#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util/cleanup.h"

enum
{
  OPT_PID_FILE = 256,
  OPT_CONSOLE_SOCKET,
  OPT_CWD,
  OPT_NO_NEW_PRIVS,
  OPT_PRESERVE_FDS,
  OPT_PROCESS_LABEL,
  OPT_APPARMOR,
  OPT_IGNORE_PAUSED,
  OPT_CGROUP,
};

int
cmd_exec (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "process", required_argument, NULL, 'p' },
    { "detach", no_argument, NULL, 'd' },
    { "pid-file", required_argument, NULL, OPT_PID_FILE },
    { "tty", no_argument, NULL, 't' },
    { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
    { "cwd", required_argument, NULL, OPT_CWD },
    { "workdir", required_argument, NULL, 'w' },
    { "interactive", no_argument, NULL, 'i' },
    { "env", required_argument, NULL, 'e' },
    { "user", required_argument, NULL, 'u' },
    { "cap", required_argument, NULL, 'c' },
    { "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
    { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
    { "process-label", required_argument, NULL, OPT_PROCESS_LABEL },
    { "apparmor", required_argument, NULL, OPT_APPARMOR },
    { "additional-gids", required_argument, NULL, 'g' },
    { "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
    { "cgroup", required_argument, NULL, OPT_CGROUP },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct mr_exec_opts o = { .size = sizeof o };
  /* Each -e or -c takes at least one argument, so argc bounds both.  */
  cleanup_free const char **env = calloc ((size_t)argc + 1, sizeof *env);
  cleanup_free const char **caps = calloc ((size_t)argc + 1, sizeof *caps);
  cleanup_free const char **cgroups = calloc ((size_t)argc + 1, sizeof *cgroups);
  cleanup_free gid_t *gids = NULL;
  size_t n_env = 0, n_caps = 0, n_cgroups = 0, n_gids = 0;
  bool interactive = false, managed;
  int status = 0;
  long long n;
  int c;

  if (env == NULL || caps == NULL || cgroups == NULL)
    return cmd_fail ("exec: out of memory");
  /* "+": the command's own options after the id are not ours.  */
  while ((c = getopt_long (argc, argv, "+:p:dtiw:e:u:c:g:h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'p':
        o.process_path = optarg;
        break;
      case 'd':
        o.detach = true;
        break;
      case OPT_PID_FILE:
        o.pid_file = optarg;
        break;
      case 't':
        o.tty = true;
        break;
      case OPT_CONSOLE_SOCKET:
        o.console_socket = optarg;
        break;
      case OPT_CWD:
      case 'w':
        o.cwd = optarg;
        break;
      case 'i':
        interactive = true;
        break;
      case 'e':
        if (strchr (optarg, '=') == NULL || optarg[0] == '=')
          return usage_error ("exec", "invalid environment variable '%s': expected K=V", optarg);
        env[n_env++] = optarg;
        break;
      case 'u':
        if (mr_exec_user_parse (optarg, &o) < 0)
          return usage_error ("exec",
                              "invalid user '%s': user names are not supported, use "
                              "numeric UID[:GID]",
                              optarg);
        break;
      case 'c':
        caps[n_caps++] = optarg;
        break;
      case OPT_NO_NEW_PRIVS:
        o.no_new_privs = true;
        break;
      case OPT_PRESERVE_FDS:
        if (parse_number (optarg, 0, INT_MAX - 3, &n) < 0)
          return usage_error ("exec", "invalid --preserve-fds value '%s'", optarg);
        o.preserve_fds = (int)n;
        break;
      case OPT_PROCESS_LABEL:
        log_debug ("exec: ignoring --process-label '%s'", optarg);
        break;
      case OPT_APPARMOR:
        log_debug ("exec: ignoring --apparmor '%s'", optarg);
        break;
      case OPT_CGROUP:
        cgroups[n_cgroups++] = optarg;
        break;
      case 'g':
        /* repeatable, and each a comma-separated list */
        for (const char *a = optarg;; a++)
          {
            size_t len = strcspn (a, ",");
            char num[24];
            gid_t *grown;
            if (len == 0 || len >= sizeof num)
              return usage_error ("exec", "invalid --additional-gids value '%s'", optarg);
            memcpy (num, a, len);
            num[len] = '\0';
            if (parse_number (num, 0, UINT32_MAX - 1, &n) < 0)
              return usage_error ("exec", "invalid --additional-gids value '%s'", optarg);
            grown = realloc (gids, (n_gids + 1) * sizeof *gids);
            if (grown == NULL)
              return cmd_fail ("exec: out of memory");
            gids = grown;
            gids[n_gids++] = (gid_t)n;
            a += len;
            if (*a == '\0')
              break;
          }
        break;
      case OPT_IGNORE_PAUSED:
        o.ignore_paused = true;
        break;
      case 'h':
        return verb_help ("exec");
      default:
        return bad_option ("exec", c, argv);
      }
  if (argc - optind < 1)
    return usage_error ("exec", "missing container id");
  if (o.process_path && argc - optind > 1)
    return usage_error ("exec", "give either --process FILE or COMMAND, not both");
  if (o.process_path == NULL && argc - optind < 2)
    return usage_error ("exec", "missing command (give COMMAND or --process FILE)");
  if (o.console_socket && !o.tty && o.process_path == NULL)
    return usage_error ("exec", "--console-socket needs --tty");
  if (o.process_path == NULL)
    o.args = (const char *const *)argv + optind + 1; /* argv[argc] is NULL */
  if (n_env)
    o.env = env;
  if (n_caps)
    o.caps = caps;
  if (n_cgroups)
    o.cgroups = cgroups;
  o.additional_gids = gids;
  o.n_additional_gids = n_gids;
  if (context_open (g) < 0)
    return report (-1, &g->err);
  /* Engines hand an OCI container's exec its stdio, as runc takes it; a
     managed container's exec reads stdin only when asked to, as docker's,
     and a detached one keeps none of the caller's streams open.  */
  managed = mr_container_is_managed (g->ctx, argv[optind]);
  if (managed && (o.detach || !interactive))
    {
      o.stdio_set = true;
      o.stdio[0] = -1;
      o.stdio[1] = o.detach ? -1 : 1;
      o.stdio[2] = o.detach ? -1 : 2;
    }
  if (mr_container_exec (g->ctx, argv[optind], &o, &status, &g->err) < 0)
    {
      report (-1, &g->err);
      /* a managed container's as docker exec's: 127 not found, 126 found
         but not run; an OCI one's as runc's: 255 for whatever failed */
      if (!managed)
        return 255;
      return status == 126 || status == 127 ? status : 1;
    }
  return o.detach ? 0 : status;
}
