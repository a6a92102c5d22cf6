#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"

enum
{
  OPT_PID_FILE = 256,
  OPT_CONSOLE_SOCKET,
  OPT_PRESERVE_FDS,
  OPT_NO_PIVOT,
  OPT_NO_NEW_KEYRING,
  OPT_KEEP,
  OPT_ROOTFS,
  OPT_IMAGE,
  OPT_NAME,
  OPT_ENV_FILE,
  OPT_MEMORY_SWAP,
  OPT_CPUS,
  OPT_CPU_SHARES,
  OPT_CPUSET_CPUS,
  OPT_PIDS_LIMIT,
  OPT_READ_ONLY,
  OPT_TMPFS,
  OPT_CAP_ADD,
  OPT_CAP_DROP,
  OPT_ULIMIT,
  OPT_RM,
  OPT_RESTART,
  OPT_STOP_SIGNAL,
  OPT_STOP_TIMEOUT,
  OPT_LOG_OPT,
  OPT_SECURITY_OPT,
  OPT_PRIVILEGED,
  OPT_NETWORK,
  OPT_DNS,
  OPT_HELP,
};

/* A NULL-terminated list that grows; argc bounds every list.  */
struct list
{
  const char **v;
  size_t n;
};

static int
list_add (struct list *l, const char *s)
{
  const char **nv = realloc (l->v, (l->n + 2) * sizeof *nv);
  if (nv == NULL)
    return -1;
  l->v = nv;
  l->v[l->n++] = s;
  l->v[l->n] = NULL;
  return 0;
}

struct parsed
{
  struct mr_create_opts oci;
  struct mr_run_config cfg;
  struct list env, env_files, volumes, tmpfs, cap_add, cap_drop, ulimits, labels, security_opt,
      publish, dns;
  const char *oci_only; /* an OCI-mode option that was given */
  const char *managed_only;
  bool dashdash; /* "--" came before the positionals */
  int first;     /* index of the first positional */
};

static void
parsed_free (struct parsed *p)
{
  free (p->env.v);
  free (p->env_files.v);
  free (p->volumes.v);
  free (p->tmpfs.v);
  free (p->cap_add.v);
  free (p->cap_drop.v);
  free (p->ulimits.v);
  free (p->labels.v);
  free (p->security_opt.v);
  free (p->publish.v);
  free (p->dns.v);
}

static int
parse_log_opt (const char *verb, const char *s, struct mr_run_config *cfg)
{
  struct mr_error err = { 0 };

  if (mr_run_config_log_opt (cfg, s, &err) < 0)
    return usage_error (verb, "%s", err.msg);
  return 0;
}

#define MANAGED(o) (p->managed_only = (o))

static int
parse (const char *verb, int argc, char **argv, struct parsed *p)
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
    { "rootfs", required_argument, NULL, OPT_ROOTFS },
    { "image", required_argument, NULL, OPT_IMAGE },
    { "name", required_argument, NULL, OPT_NAME },
    { "env", required_argument, NULL, 'e' },
    { "env-file", required_argument, NULL, OPT_ENV_FILE },
    { "workdir", required_argument, NULL, 'w' },
    { "user", required_argument, NULL, 'u' },
    { "hostname", required_argument, NULL, 'h' },
    { "memory", required_argument, NULL, 'm' },
    { "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
    { "cpus", required_argument, NULL, OPT_CPUS },
    { "cpu-shares", required_argument, NULL, OPT_CPU_SHARES },
    { "cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS },
    { "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
    { "read-only", no_argument, NULL, OPT_READ_ONLY },
    { "volume", required_argument, NULL, 'v' },
    { "tmpfs", required_argument, NULL, OPT_TMPFS },
    { "cap-add", required_argument, NULL, OPT_CAP_ADD },
    { "cap-drop", required_argument, NULL, OPT_CAP_DROP },
    { "ulimit", required_argument, NULL, OPT_ULIMIT },
    { "rm", no_argument, NULL, OPT_RM },
    { "restart", required_argument, NULL, OPT_RESTART },
    { "stop-signal", required_argument, NULL, OPT_STOP_SIGNAL },
    { "stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT },
    { "label", required_argument, NULL, 'l' },
    { "log-opt", required_argument, NULL, OPT_LOG_OPT },
    { "security-opt", required_argument, NULL, OPT_SECURITY_OPT },
    { "privileged", no_argument, NULL, OPT_PRIVILEGED },
    { "network", required_argument, NULL, OPT_NETWORK },
    { "net", required_argument, NULL, OPT_NETWORK },
    { "publish", required_argument, NULL, 'p' },
    { "dns", required_argument, NULL, OPT_DNS },
    { "tty", no_argument, NULL, 't' },
    { "interactive", no_argument, NULL, 'i' },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
  };
  bool is_run = strcmp (verb, "run") == 0;
  struct mr_run_config *cfg = &p->cfg;
  long long n;
  int64_t bytes;
  int c;

  /* "+": what follows the image is the container's command, options and
     all, as docker reads it */
  while ((c = getopt_long (argc, argv, "+:b:de:w:u:h:m:v:l:tip:", long_opts, NULL)) != -1)
    {
      int r = 0;
      switch (c)
        {
        case 'b':
          p->oci.bundle = optarg;
          break;
        case OPT_PID_FILE:
          p->oci.pid_file = optarg;
          p->oci_only = "--pid-file";
          break;
        case OPT_CONSOLE_SOCKET:
          p->oci.console_socket = optarg;
          p->oci_only = "--console-socket";
          break;
        case OPT_PRESERVE_FDS:
          if (parse_number (optarg, 0, INT_MAX - 3, &n) < 0)
            return usage_error (verb, "invalid --preserve-fds value '%s'", optarg);
          p->oci.preserve_fds = (int)n;
          p->oci_only = "--preserve-fds";
          break;
        case OPT_NO_PIVOT:
          p->oci.no_pivot = true;
          p->oci_only = "--no-pivot";
          break;
        case OPT_NO_NEW_KEYRING:
          p->oci.no_new_keyring = true;
          p->oci_only = "--no-new-keyring";
          break;
        case 'd':
          if (!is_run)
            return usage_error (verb,
                                "invalid option '%s': create never starts the container "
                                "(use run -d)",
                                argv[optind - 1]);
          p->oci.detach = true;
          break;
        case OPT_KEEP:
          if (!is_run)
            return usage_error (verb, "invalid option '--keep'");
          p->oci.keep = true;
          p->oci_only = "--keep";
          break;
        case OPT_ROOTFS:
          cfg->rootfs = optarg;
          MANAGED ("--rootfs");
          break;
        case OPT_IMAGE:
          cfg->image = optarg;
          MANAGED ("--image");
          break;
        case OPT_NAME:
          cfg->name = optarg;
          MANAGED ("--name");
          break;
        case 'e':
          r = list_add (&p->env, optarg);
          MANAGED ("--env");
          break;
        case OPT_ENV_FILE:
          r = list_add (&p->env_files, optarg);
          MANAGED ("--env-file");
          break;
        case 'w':
          cfg->workdir = optarg;
          MANAGED ("--workdir");
          break;
        case 'u':
          cfg->user = optarg;
          MANAGED ("--user");
          break;
        case 'h':
          cfg->hostname = optarg;
          MANAGED ("--hostname");
          break;
        case 'm':
          if (mr_size_parse (optarg, &bytes) < 0)
            return usage_error (verb, "invalid --memory '%s': expected a size like 64m or 1g",
                                optarg);
          cfg->memory = bytes;
          MANAGED ("--memory");
          break;
        case OPT_MEMORY_SWAP:
          if (strcmp (optarg, "-1") == 0)
            bytes = -1;
          else if (mr_size_parse (optarg, &bytes) < 0)
            return usage_error (
                verb, "invalid --memory-swap '%s': expected a size like 128m, or -1", optarg);
          /* docker: -1 unlimited swap, 0 as if not given */
          cfg->memory_swap = bytes == -1 ? 0 : bytes == 0 ? -1 : bytes;
          MANAGED ("--memory-swap");
          break;
        case OPT_CPUS:
          {
            char *end;
            errno = 0;
            cfg->cpus = strtod (optarg, &end);
            if (errno || end == optarg || *end || !(cfg->cpus > 0))
              return usage_error (verb, "invalid --cpus '%s': expected a number above 0 (0.5)",
                                  optarg);
            MANAGED ("--cpus");
          }
          break;
        case OPT_CPU_SHARES:
          if (parse_number (optarg, 0, INT64_MAX, &n) < 0)
            return usage_error (verb, "invalid --cpu-shares '%s'", optarg);
          cfg->cpu_shares = n;
          MANAGED ("--cpu-shares");
          break;
        case OPT_CPUSET_CPUS:
          cfg->cpuset_cpus = optarg;
          MANAGED ("--cpuset-cpus");
          break;
        case OPT_PIDS_LIMIT:
          if (parse_number (optarg, -1, INT64_MAX, &n) < 0)
            return usage_error (verb, "invalid --pids-limit '%s': expected a number", optarg);
          cfg->pids_limit = n;
          MANAGED ("--pids-limit");
          break;
        case OPT_READ_ONLY:
          cfg->read_only = true;
          MANAGED ("--read-only");
          break;
        case 'v':
          r = list_add (&p->volumes, optarg);
          MANAGED ("--volume");
          break;
        case OPT_TMPFS:
          r = list_add (&p->tmpfs, optarg);
          MANAGED ("--tmpfs");
          break;
        case OPT_CAP_ADD:
          r = list_add (&p->cap_add, optarg);
          MANAGED ("--cap-add");
          break;
        case OPT_CAP_DROP:
          r = list_add (&p->cap_drop, optarg);
          MANAGED ("--cap-drop");
          break;
        case OPT_ULIMIT:
          r = list_add (&p->ulimits, optarg);
          MANAGED ("--ulimit");
          break;
        case OPT_RM:
          cfg->auto_remove = true;
          MANAGED ("--rm");
          break;
        case OPT_RESTART:
          cfg->restart = optarg;
          MANAGED ("--restart");
          break;
        case OPT_STOP_SIGNAL:
          cfg->stop_signal = optarg;
          MANAGED ("--stop-signal");
          break;
        case OPT_STOP_TIMEOUT:
          if (parse_number (optarg, -1, INT_MAX, &n) < 0)
            return usage_error (verb, "invalid --stop-timeout '%s': expected seconds", optarg);
          cfg->stop_timeout = (int)n;
          MANAGED ("--stop-timeout");
          break;
        case 'l':
          r = list_add (&p->labels, optarg);
          MANAGED ("--label");
          break;
        case OPT_LOG_OPT:
          if (parse_log_opt (verb, optarg, cfg) != 0)
            return 1;
          MANAGED ("--log-opt");
          break;
        case OPT_SECURITY_OPT:
          r = list_add (&p->security_opt, optarg);
          MANAGED ("--security-opt");
          break;
        case OPT_PRIVILEGED:
          cfg->privileged = true;
          MANAGED ("--privileged");
          break;
        case OPT_NETWORK:
          cfg->network = optarg;
          MANAGED ("--network");
          break;
        case 'p':
          r = list_add (&p->publish, optarg);
          MANAGED ("--publish");
          break;
        case OPT_DNS:
          r = list_add (&p->dns, optarg);
          MANAGED ("--dns");
          break;
        case 't':
          cfg->tty = true;
          MANAGED ("--tty");
          break;
        case 'i':
          cfg->interactive = true;
          MANAGED ("--interactive");
          break;
        case OPT_HELP:
          return verb_help (verb) - 1;
        case ':':
          /* -h alone asks for help; -h NAME sets the host name, as docker */
          if (optopt == 'h')
            return verb_help (verb) - 1;
          return bad_option (verb, c, argv);
        default:
          return bad_option (verb, c, argv);
        }
      if (r < 0)
        return cmd_fail ("%s: out of memory", verb);
    }
  p->first = optind;
  p->dashdash = optind > 0 && strcmp (argv[optind - 1], "--") == 0;
  return 0;
}

/* OCI mode: --bundle, or a lone argument with config.json at hand (runc's
   behaviour, which engines rely on).  */
static bool
is_oci (const struct parsed *p, int argc)
{
  if (p->oci.bundle || p->oci_only)
    return true;
  if (p->managed_only || p->dashdash)
    return false;
  return argc - p->first == 1 && access ("config.json", F_OK) == 0;
}

static void
fill_lists (struct parsed *p)
{
  p->cfg.env = p->env.v;
  p->cfg.env_files = p->env_files.v;
  p->cfg.volumes = p->volumes.v;
  p->cfg.tmpfs = p->tmpfs.v;
  p->cfg.cap_add = p->cap_add.v;
  p->cfg.cap_drop = p->cap_drop.v;
  p->cfg.ulimits = p->ulimits.v;
  p->cfg.labels = p->labels.v;
  p->cfg.security_opt = p->security_opt.v;
  p->cfg.publish = p->publish.v;
  p->cfg.dns = p->dns.v;
}

static const char both_ways[]
    = "give --bundle DIR ID for a container from an OCI bundle, or --rootfs DIR [CMD...] "
      "or IMAGE [CMD...] for a managed one";

/* Parses either form.  Returns 0 with *managed and p filled, or an exit
   status + 1 (help, usage error).  */
static int
parse_either (const char *verb, int argc, char **argv, struct parsed *p, bool *managed,
              const char **id)
{
  int r;

  memset (p, 0, sizeof *p);
  p->oci.size = sizeof p->oci;
  mr_run_config_init (&p->cfg);
  *id = NULL;
  r = parse (verb, argc, argv, p);
  if (r != 0)
    return r < 0 ? r + 2 : r + 1; /* help: 0 + 1; errors: status + 1 */
  *managed = !is_oci (p, argc);
  if (!*managed)
    {
      if (p->managed_only)
        return usage_error (verb, "%s cannot be used with an OCI bundle: %s", p->managed_only,
                            both_ways)
               + 1;
      if (argc - p->first < 1)
        return usage_error (verb, "missing container id") + 1;
      if (argc - p->first > 1)
        return usage_error (verb, "too many arguments for an OCI container (%s)", both_ways) + 1;
      *id = argv[p->first];
      return 0;
    }
  if (p->oci_only)
    return usage_error (verb, "%s is only for OCI bundles: %s", p->oci_only, both_ways) + 1;
  if (p->cfg.rootfs == NULL && p->cfg.image == NULL && !p->dashdash && p->first < argc)
    p->cfg.image = argv[p->first++];
  if (p->first < argc)
    p->cfg.args = (const char *const *)argv + p->first;
  fill_lists (p);
  return 0;
}

int
create_parse (const char *verb, int argc, char **argv, struct mr_create_opts *o, const char **id)
{
  struct parsed p;
  bool managed;
  int r = parse_either (verb, argc, argv, &p, &managed, id);

  parsed_free (&p);
  if (r)
    return r - 1;
  if (managed)
    {
      *id = NULL;
      return usage_error (verb, "%s", both_ways);
    }
  *o = p.oci;
  return 0;
}

/* docker run's statuses when the container's program could not start */
static int
start_failure (struct mr_global *g)
{
  report (-1, &g->err);
  if (g->err.errnum == ENOENT)
    return 127;
  if (g->err.errnum == EACCES || g->err.errnum == ENOEXEC)
    return 126;
  return 125;
}

/* A managed container's failure to be made: a lone word that is neither an
   image nor a bundle's id names both ways.  */
static int
report_new (const char *verb, struct mr_global *g, bool lone)
{
  if (lone && g->err.errnum == ENOENT && strstr (g->err.msg, "image"))
    return cmd_fail ("%s: %s; there is no config.json here either: %s", verb, g->err.msg,
                     both_ways);
  return report (-1, &g->err);
}

static volatile int pending_signal;
static volatile int pending_winch;

static void
on_signal (int sig)
{
  if (sig == SIGWINCH)
    pending_winch = 1;
  else
    pending_signal = sig;
}

static void catch (int sig)
{
  struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */
  sigemptyset (&sa.sa_mask);
  sigaction (sig, &sa, NULL);
}

/* Runs the container attached to our stdio, as `docker run` without -d.  */
static int
run_attached (struct mr_global *g, const char *name, const struct mr_run_config *cfg)
{
  struct mr_attach a = { .size = sizeof a,
                         .in_fd = cfg->interactive ? 0 : -1,
                         .out_fd = 1,
                         .err_fd = cfg->tty ? -1 : 2,
                         .forward_signal = &pending_signal,
                         .winch = &pending_winch };
  struct termios saved;
  bool raw = false;
  int status = 0;
  int r;

  if (cfg->tty && cfg->interactive && isatty (0) && tcgetattr (0, &saved) == 0)
    {
      struct termios t = saved;
      cfmakeraw (&t);
      raw = tcsetattr (0, TCSANOW, &t) == 0;
    }
  if (!cfg->tty)
    {
      catch (SIGINT);
      catch (SIGTERM);
      catch (SIGHUP);
      catch (SIGQUIT);
    }
  catch (SIGWINCH);
  r = mr_container_start_attached (g->ctx, name, &a, &status, &g->err);
  if (raw)
    tcsetattr (0, TCSANOW, &saved);
  if (r < 0)
    return start_failure (g);
  return status;
}

static int
managed (const char *verb, struct mr_global *g, int argc, char **argv, struct parsed *p)
{
  bool lone = p->cfg.image && !p->managed_only && p->cfg.args == NULL;
  char *name = NULL;
  int status;

  (void)argv;
  if (strcmp (verb, "create") == 0 || p->oci.detach)
    {
      if (p->cfg.auto_remove && strcmp (verb, "create") != 0 && p->cfg.restart
          && strcmp (p->cfg.restart, "no") != 0)
        return usage_error (verb, "--rm and --restart cannot be combined");
    }
  if (p->cfg.auto_remove && p->cfg.restart && strcmp (p->cfg.restart, "no") != 0)
    return usage_error (verb, "--rm and --restart cannot be combined");
  if (context_open (g) < 0)
    return report (-1, &g->err);
  if (mr_container_new (g->ctx, &p->cfg, &name, &g->err) < 0)
    return report_new (verb, g, lone);
  if (strcmp (verb, "create") == 0)
    {
      puts (name);
      free (name);
      return 0;
    }
  if (p->oci.detach)
    {
      if (mr_container_start (g->ctx, name, &g->err) < 0)
        {
          free (name);
          return start_failure (g);
        }
      puts (name);
      free (name);
      return 0;
    }
  status = run_attached (g, name, &p->cfg);
  free (name);
  return status;
}

int
cmd_create (struct mr_global *g, int argc, char **argv)
{
  struct parsed p;
  bool is_managed;
  const char *id;
  int r = parse_either ("create", argc, argv, &p, &is_managed, &id);

  if (r == 0 && is_managed)
    r = managed ("create", g, argc, argv, &p) + 1;
  else if (r == 0)
    {
      if (context_open (g) < 0)
        r = report (-1, &g->err) + 1;
      else
        r = report (mr_container_create (g->ctx, id, &p.oci, &g->err), &g->err) + 1;
    }
  parsed_free (&p);
  return r - 1;
}

int
cmd_run (struct mr_global *g, int argc, char **argv)
{
  struct parsed p;
  bool is_managed;
  const char *id;
  int status = 0;
  int r = parse_either ("run", argc, argv, &p, &is_managed, &id);

  if (r == 0 && is_managed)
    r = managed ("run", g, argc, argv, &p) + 1;
  else if (r == 0)
    {
      if (context_open (g) < 0)
        r = report (-1, &g->err) + 1;
      else if (mr_container_run (g->ctx, id, &p.oci, &status, &g->err) < 0)
        r = report (-1, &g->err) + 1;
      else
        r = (p.oci.detach ? 0 : status) + 1;
    }
  parsed_free (&p);
  return r - 1;
}
