#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

#define HELP_LINE "  -h, --help                  Show this help\n"

/* The only list of verbs: dispatch, `minirun --help`, each verb's --help, the
 * man page test and the completion test all read it.  */
#define MANAGED_SYNOPSIS                                                                           \
  "[OPTIONS] --bundle DIR ID | [OPTIONS] {--rootfs DIR|--image NAME|IMAGE} [--] [CMD [ARG...]]"
#define OCI_OPTIONS                                                                                \
  "OCI bundle (runc's form, for engines):\n"                                                       \
  "  -b, --bundle DIR            Bundle directory holding config.json (default: .)\n"              \
  "      --pid-file FILE         Write the container's init pid to FILE\n"                         \
  "      --console-socket SOCK   Send the terminal master to the unix socket SOCK\n"               \
  "      --preserve-fds N        Pass file descriptors 3 to 3+N-1 to the container\n"              \
  "      --no-pivot              Enter the rootfs with a move and chroot, not pivot_root\n"        \
  "      --no-new-keyring        Keep the caller's session keyring\n"
#define MANAGED_OPTIONS                                                                            \
  "Managed container (docker's options; minirun writes the bundle and monitors it):\n"             \
  "      --rootfs DIR            Root file system directory\n"                                     \
  "      --image NAME            Image of the store (also: the first argument)\n"                  \
  "      --name NAME             Container name (default: a generated one)\n"                      \
  "  -e, --env K=V               Set an environment variable (K alone: take ours)\n"               \
  "      --env-file FILE         Read K=V lines from FILE\n"                                       \
  "  -w, --workdir DIR           Working directory in the container\n"                             \
  "  -u, --user UID[:GID]        User to run as\n"                                                 \
  "  -h, --hostname NAME         Host name (default: the name's first 12 characters)\n"            \
  "  -m, --memory SIZE           Memory limit (64m, 1g)\n"                                         \
  "      --memory-swap SIZE      Memory plus swap limit (-1: unlimited swap)\n"                    \
  "      --cpus N                CPUs (0.5: half of one)\n"                                        \
  "      --cpu-shares N          Relative CPU weight\n"                                            \
  "      --cpuset-cpus LIST      CPUs allowed (0-2,4)\n"                                           \
  "      --pids-limit N          Maximum number of processes\n"                                    \
  "      --read-only             Mount the root file system read-only\n"                           \
  "  -v, --volume HOST:CTR[:ro]  Bind mount a host directory or file\n"                            \
  "      --tmpfs PATH[:OPTS]     Mount a tmpfs\n"                                                  \
  "      --cap-add CAP           Add a capability (or ALL)\n"                                      \
  "      --cap-drop CAP          Drop a capability (or ALL)\n"                                     \
  "      --security-opt OPT      seccomp=unconfined|PROFILE.json, no-new-privileges[=BOOL]\n"      \
  "      --privileged            All capabilities and host devices, no seccomp\n"                  \
  "      --network MODE          bridge (default), none, host, container:NAME or a network\n"      \
  "  -p, --publish [IP:][HOST:]CTR[/PROTO]  Publish a container port on the host\n"          \
  "      --dns IP                Nameserver of /etc/resolv.conf (repeatable; IPv4 or IPv6)\n"      \
  "      --ulimit NAME=SOFT[:HARD]  Set a resource limit (nofile=1024:2048)\n"                     \
  "      --restart POLICY        no, on-failure[:N], always or unless-stopped\n"                   \
  "      --stop-signal SIG       Signal that stop sends first (default: TERM)\n"                   \
  "      --stop-timeout SECS     Seconds stop waits before KILL (default: 10)\n"                   \
  "  -l, --label K=V             Set a label\n"                                                    \
  "      --log-opt max-size=SIZE|max-file=N  Log rotation (default: 10m, 4 files)\n"               \
  "  -t, --tty                   Give the container a terminal\n"                                  \
  "  -i, --interactive           Keep stdin open (attached: pass ours)\n"
#define MODES_HELP                                                                                 \
  "\nWith --bundle, or one argument and a config.json in the current directory, the\n"             \
  "container comes from an OCI bundle; otherwise it is a managed container made from\n"            \
  "--rootfs DIR, --image NAME or IMAGE, running CMD (default: the image's command).\n"             \
  "      --help                  Show this help\n"

static const struct applet applets[] = {
  {
      "create",
      cmd_create,
      "Create a container (from a bundle, or managed from a rootfs or image)",
      MANAGED_SYNOPSIS,
      OCI_OPTIONS MANAGED_OPTIONS MODES_HELP,
  },
  {
      "start",
      cmd_start,
      "Start a created container, or a stopped managed one again",
      "ID...",
      HELP_LINE,
  },
  {
      "run",
      cmd_run,
      "Create and start a container, and wait for it unless detached",
      MANAGED_SYNOPSIS,
      "  -d, --detach                Return once the container runs, do not wait\n"
      "      --keep                  OCI: do not delete the container when it exits\n"
      "      --rm                    Managed: remove the container when it exits\n" OCI_OPTIONS
          MANAGED_OPTIONS MODES_HELP,
  },
  {
      "state",
      cmd_state,
      "Print the state of a container as JSON",
      "ID",
      HELP_LINE,
  },
  {
      "kill",
      cmd_kill,
      "Send a signal to a container's init process",
      "[-a|--all] ID [SIGNAL]",
      "  -a, --all                   Signal every process in the container\n" HELP_LINE
      "\nSIGNAL is a name (KILL, SIGKILL) or a number; the default is TERM.\n"
      "Signal 0 sends nothing: the status says whether the container runs.\n",
  },
  {
      "delete",
      cmd_delete,
      "Delete containers and release their resources (managed: records and logs too)",
      "[-f|--force] ID...",
      "  -f, --force                 Kill a running container first; a missing one is no "
      "error\n" HELP_LINE,
  },
  {
      "rm",
      cmd_rm,
      "Remove containers (delete, printing each name)",
      "[-f|--force] NAME...",
      "  -f, --force                 Kill a running container first; a missing one is no "
      "error\n" HELP_LINE,
  },
  {
      "stop",
      cmd_stop,
      "Stop containers: the stop signal, then KILL after a timeout",
      "[-t|--time SECS] NAME...",
      "  -t, --time SECS             Seconds to wait before KILL (default: the container's,\n"
      "                              10 unless --stop-timeout said otherwise)\n" HELP_LINE,
  },
  {
      "restart",
      cmd_restart,
      "Stop, then start managed containers",
      "[-t|--time SECS] NAME...",
      "  -t, --time SECS             Seconds to wait before KILL (default: the "
      "container's)\n" HELP_LINE,
  },
  {
      "wait",
      cmd_wait,
      "Wait for managed containers to stop and print their exit codes",
      "NAME...",
      HELP_LINE,
  },
  {
      "inspect",
      cmd_inspect,
      "Print the full record of containers as JSON",
      "NAME...",
      HELP_LINE,
  },
  {
      "port",
      cmd_port,
      "Print the published ports of a managed container",
      "NAME [PRIVATE_PORT[/PROTO]]",
      HELP_LINE,
  },
  {
      "logs",
      cmd_logs,
      "Print the log of a managed container",
      "[-f|--follow] [-n|--tail N] [--since TIME] [-t|--timestamps] NAME",
      "  -f, --follow                Keep printing new lines until the container stops\n"
      "  -n, --tail N                Only the last N lines (or all)\n"
      "      --since TIME            Only lines since TIME (RFC 3339, unix time, or 10m)\n"
      "  -t, --timestamps            Prefix each line with its time\n" HELP_LINE,
  },
  {
      "monitor",
      cmd_monitor,
      NULL,
      "NAME",
      "",
  },
  {
      "list",
      cmd_list,
      "List containers",
      "[-a|--all] [-q|--quiet] [-f|--format table|json] [--filter KEY=VALUE]...",
      "  -a, --all                   Also managed containers that do not run\n"
      "  -q, --quiet                 Print container ids only\n"
      "  -f, --format table|json     Output format (default: table)\n"
      "      --filter KEY=VALUE      status=created|running|paused|restarting|stopped|exited\n"
      "                              or name=TEXT (repeat: same key ORs, keys AND)\n" HELP_LINE,
  },
  {
      "ls",
      cmd_ls,
      "List containers (list)",
      "[-a|--all] [-q|--quiet] [-f|--format table|json] [--filter KEY=VALUE]...",
      "  -a, --all                   Also managed containers that do not run\n"
      "  -q, --quiet                 Print container ids only\n"
      "  -f, --format table|json     Output format (default: table)\n"
      "      --filter KEY=VALUE      status=created|running|paused|restarting|stopped|exited\n"
      "                              or name=TEXT (repeat: same key ORs, keys AND)\n" HELP_LINE,
  },
  {
      "ps",
      cmd_ps,
      "List the processes running in a container",
      "[-f|--format table|json] ID [PS-OPTIONS...]",
      "  -f, --format table|json     Output format: ps(1)'s table, or a JSON array of "
      "pids\n" HELP_LINE
      "\nPS-OPTIONS go to ps(1) (default -ef); the lines of the container's processes are kept.\n",
  },
  {
      "stats",
      cmd_stats,
      "Show a live stream of the resource usage of containers",
      "[--no-stream] [--format table|json] [--interval SECS] [NAME...]",
      "      --no-stream             Print one frame and exit\n"
      "      --format table|json     Output format: a table, or one JSON object per\n"
      "                              container and frame, one per line (default: table)\n"
      "      --interval SECS         Seconds between frames, e.g. 2 or 0.5 (default: 1)\n" HELP_LINE
      "\nWithout NAME, every running or paused container. CPU % compares two samples:\n"
      "the first frame comes one interval after the start; with --no-stream the\n"
      "samples are 0.5 s apart unless --interval is given.\n",
  },
  {
      "pause",
      cmd_pause,
      "Suspend every process in a container",
      "ID",
      HELP_LINE,
  },
  {
      "resume",
      cmd_resume,
      "Resume every process in a paused container",
      "ID",
      HELP_LINE,
  },
  {
      "exec",
      cmd_exec,
      "Run a new process inside a running container",
      "[-p|--process FILE] [-d|--detach] [--pid-file FILE] [-t|--tty] [-i|--interactive] "
      "[--console-socket SOCK] [-w|--workdir|--cwd DIR] [-e|--env K=V]... [-u|--user UID[:GID]] "
      "[-c|--cap CAP]... [-g|--additional-gids GID[,GID...]]... [--no-new-privs] "
      "[--preserve-fds N] [--ignore-paused] [--cgroup [CTRL[,CTRL...]:]PATH]... "
      "ID [COMMAND [ARG...]]",
      "  -p, --process FILE          Take the process from an OCI process.json\n"
      "  -d, --detach                Return once the process runs, do not wait\n"
      "      --pid-file FILE         Write the process's pid to FILE\n"
      "  -t, --tty                   Give the process a terminal\n"
      "  -i, --interactive           Pass stdin to a managed container's process\n"
      "                              (an OCI container's always gets it)\n"
      "      --console-socket SOCK   Send the terminal master to the unix socket SOCK\n"
      "  -w, --workdir, --cwd DIR    Working directory inside the container\n"
      "  -e, --env K=V               Add an environment variable (repeatable)\n"
      "  -u, --user UID[:GID]        Run as this numeric user and group\n"
      "  -c, --cap CAP               Add a capability, e.g. CAP_NET_ADMIN (repeatable)\n"
      "  -g, --additional-gids GID   Add supplementary groups (repeatable, or a comma list)\n"
      "      --no-new-privs          Set no_new_privs for the process\n"
      "      --preserve-fds N        Pass file descriptors 3 to 3+N-1 to the process\n"
      "      --ignore-paused         Exec into a paused container too (runs once resumed)\n"
      "      --cgroup [CTRL:]PATH    Join this existing sub-cgroup of the container's\n"
      "                              (CTRL: only those v1 controllers; repeatable)\n" HELP_LINE
      "\nExit status: the process's; when it could not be started, 255 (as runc) for\n"
      "an OCI container, 127 (not found) or 126 (cannot be run) for a managed one\n"
      "(as docker exec); 255 or 1 when exec itself fails.\n"
      "\nAccepted for engines and ignored: --process-label, --apparmor.\n",
  },
  {
      "cp",
      cmd_cp,
      "Copy files and directories between a container and the host",
      "[-a|--archive] [-L|--follow-link] [ID:]SRC_PATH [ID:]DEST_PATH",
      "  -a, --archive               Keep uids and gids (as the container sees them)\n"
      "  -L, --follow-link           Follow SRC_PATH when it is a symbolic link\n" HELP_LINE
      "\nOne of the two paths is in container ID, written ID:PATH. A source ending in\n"
      "/. copies what the directory holds; a destination ending in / must be an\n"
      "existing directory.\n",
  },
  {
      "useradd",
      cmd_useradd,
      "Add a user inside a container",
      "[--uid N] [--gid N] [--shell S] [--home D] [--no-create-home] ID USER",
      "  -u, --uid N                 User id (default: the lowest free one from 1000)\n"
      "  -g, --gid N                 Primary group id (default: the uid); an existing\n"
      "                              group, or a new group named USER\n"
      "  -s, --shell S               Login shell (default: /bin/sh)\n"
      "  -d, --home D                Home directory (default: /home/USER)\n"
      "  -M, --no-create-home        Do not create the home directory\n" HELP_LINE,
  },
  {
      "update",
      cmd_update,
      "Change the resource limits of a container",
      "[-r|--resources FILE|-] [--memory BYTES] [--memory-swap BYTES] "
      "[--memory-reservation BYTES] [--cpu-quota N] [--cpu-period N] [--cpu-shares N] "
      "[--cpu-rt-period N] [--cpu-rt-runtime N] [--cpuset-cpus LIST] [--cpuset-mems LIST] "
      "[--pids-limit N] [--blkio-weight N] ID",
      "  -r, --resources FILE|-      Read an OCI linux.resources JSON object (-: stdin)\n"
      "      --memory BYTES          Memory limit, e.g. 512m or 2g; -1: none\n"
      "      --memory-swap BYTES     Memory plus swap limit; -1: unlimited swap\n"
      "      --memory-reservation BYTES\n"
      "                              Soft memory limit; -1: none\n"
      "      --cpu-quota N           CPU time in microseconds per period; -1: none\n"
      "      --cpu-period N          CPU period in microseconds\n"
      "      --cpu-shares N          Relative CPU weight (also --cpu-share)\n"
      "      --cpu-rt-period N       Realtime period in microseconds\n"
      "      --cpu-rt-runtime N      Realtime CPU time in microseconds per period\n"
      "      --cpuset-cpus LIST      CPUs the container may use, e.g. 0-2,4\n"
      "      --cpuset-mems LIST      Memory nodes the container may use\n"
      "      --pids-limit N          Maximum number of processes; -1 or 0: none\n"
      "      --blkio-weight N        Block I/O weight, 10 to 1000\n" HELP_LINE
      "\nThe flags override the same values read with --resources.\n",
  },
  {
      "spec",
      cmd_spec,
      "Write a default config.json for a new bundle",
      "[--rootless] [-b|--bundle DIR]",
      "      --rootless              Write a configuration for an unprivileged user\n"
      "  -b, --bundle DIR            Write DIR/config.json (default: .)\n" HELP_LINE,
  },
  {
      "features",
      cmd_features,
      "Print the OCI features this runtime supports as JSON",
      "",
      HELP_LINE,
  },
  {
      "system",
      cmd_system,
      "Show the resource usage of the host, or what minirun runs on",
      "stats [--format table|json] | info [--format text|json]",
      "      --format FORMAT         stats: table or json (default: table);\n"
      "                              info: text or json (default: text)\n" HELP_LINE "\nCommands:\n"
      "  stats                       CPU, memory and load of the host, and how many\n"
      "                              containers there are in each status\n"
      "  info                        Kernel, OS, cgroups, directories, library versions\n"
      "                              and the security features of the kernel\n"
      "\nRun 'minirun system COMMAND --help' for one command.\n",
  },
  {
      "image",
      cmd_image,
      "Manage the local store of images (root file systems)",
      "add NAME[:TAG] DIR|TARBALL | ls [-q|--quiet] [-f|--format table|json] | "
      "rm NAME[:TAG]... | inspect NAME[:TAG]",
      "  -q, --quiet                 ls: print image ids only\n"
      "  -f, --format table|json     ls: output format (default: table)\n" HELP_LINE "\nCommands:\n"
      "  add NAME[:TAG] DIR|TARBALL  Add an image from a directory or a tar archive\n"
      "                              (plain, gzip, xz, zstd or bzip2); prints its id\n"
      "  ls                          List images\n"
      "  rm NAME[:TAG]...            Remove images and their files\n"
      "  inspect NAME[:TAG]          Print the metadata of an image as JSON\n"
      "\nRun 'minirun image COMMAND --help' for one command.\n",
  },
  {
      "network",
      cmd_network,
      "Manage the networks of managed containers (bridges)",
      "create [--subnet CIDR] [--gateway IP] [--internal] NAME | ls [-q|--quiet] "
      "[--format table|json] | inspect NAME... | rm NAME... | prune [-f|--force]",
      "      --subnet CIDR           create: IPv4 subnet, prefix 8 to 30 (default: the\n"
      "                              first free /20 of 10.77.0.0-10.87.255.255)\n"
      "      --gateway IP            create: address of the bridge (default: the\n"
      "                              subnet's first)\n"
      "      --internal              create: no traffic to or from outside the network\n"
      "  -q, --quiet                 ls: print network names only\n"
      "      --format table|json     ls: output format (default: table)\n"
      "  -f, --force                 prune: do not ask for confirmation\n" HELP_LINE "\nCommands:\n"
      "  create NAME                 Create a network; prints its name\n"
      "  ls                          List networks, the default one (minirun) included\n"
      "  inspect NAME...             Print networks as JSON, with their containers\n"
      "  rm NAME...                  Remove networks that no container uses\n"
      "  prune                       Remove every network that no container uses\n"
      "\nA container joins a network with 'minirun run --network NAME'; the bridge\n"
      "comes with its first container and goes with its last.\n"
      "\nRun 'minirun network COMMAND --help' for one command.\n",
  },
  {
      "events",
      cmd_events,
      "Show container events as they happen, or those stored",
      "[--format text|json] [--since TIME] [--until TIME] [--filter KEY=VALUE]... [--no-follow] "
      "[--stats] [--interval DURATION] [ID]",
      "      --format text|json      Output format (default: text)\n"
      "      --since TIME            Show events from TIME on (default: only new ones)\n"
      "      --until TIME            Stop at TIME (default: never)\n"
      "  -f, --filter KEY=VALUE      Show only matching events (repeatable): container=ID,\n"
      "                              event=ACTION, type=container, image=REF\n"
      "      --no-follow             Print the stored events and exit\n"
      "      --stats                 With ID: print its stats once and exit\n"
      "      --interval DURATION     With ID: stats every DURATION (default: 5s)\n" HELP_LINE
      "\nTIME is RFC 3339, YYYY-MM-DD, a unix time, or a duration before now (10m).\n"
      "Without --until, events are shown as they happen until interrupted.\n"
      "With ID, as runc events: JSON stats of the container every interval and its\n"
      "OOM kills, until it stops.\n",
  },
  {
      "serve",
      cmd_serve,
      "Serve the HTTP/JSON API, the Docker-compatible API and the dashboard",
      "[--socket PATH] [--socket-group GROUP] [--listen HOST:PORT]... [--token-file PATH] "
      "[--insecure-no-auth] [--tls-cert FILE --tls-key FILE] [--cors-origin ORIGIN] "
      "[--max-body SIZE] [--max-connections N] [--max-requests N] [--timeout SECONDS] "
      "[--stop-containers-on-exit] [--stop-timeout SECONDS] [--port-range LOW-HIGH]",
      "  -s, --socket PATH           Unix socket (default: ROOT/minirun.sock with --root,\n"
      "                              else /run/minirun/minirun.sock), mode 0660\n"
      "      --socket-group GROUP    Group that owns the socket\n"
      "  -l, --listen HOST:PORT      Also listen on TCP (repeatable; [::1]:PORT for IPv6)\n"
      "      --token-file PATH       Bearer token that TCP clients must send (default:\n"
      "                              DATA_DIR/api-token, made 0600 when absent)\n"
      "      --insecure-no-auth      Let TCP clients in without a token\n"
      "      --tls-cert FILE         Serve HTTPS on TCP with this PEM certificate\n"
      "      --tls-key FILE          ...and this PEM private key\n"
      "      --cors-origin ORIGIN    Allow browser calls from ORIGIN (or *)\n"
      "      --max-body SIZE         Largest request body (default: 1m)\n"
      "      --max-connections N     Connections per listener (default: 64)\n"
      "      --max-requests N        Requests whose handlers run at once, N/4 more queued,\n"
      "                              the rest get 503 (default: 64)\n"
      "      --timeout SECONDS       Idle connections are closed after this (default: 30)\n"
      "      --stop-containers-on-exit  Stop the running containers when serve stops\n"
      "      --stop-timeout SECONDS  Their grace period before KILL (default: each "
      "one's)\n"
      "      --port-range LOW-HIGH   Automatic host ports of the containers serve creates\n"
      "                              (default: minirun.conf's port_range, else "
      "8000-9000)\n" HELP_LINE
      "\nSIGTERM or SIGINT stops the server; the containers keep running unless\n"
      "--stop-containers-on-exit.  TLS_CERT_PATH and TLS_KEY_PATH, or /etc/minirun/cert.pem\n"
      "and key.pem when both exist, turn on HTTPS; systemd's LISTEN_FDS is honoured.\n",
  },
};

#define N_APPLETS (sizeof applets / sizeof applets[0])

const struct applet *
applet_find (const char *name)
{
  for (size_t i = 0; i < N_APPLETS; i++)
    if (strcmp (applets[i].name, name) == 0)
      return &applets[i];
  return NULL;
}

int
verb_help (const char *verb)
{
  const struct applet *a = applet_find (verb);

  if (a == NULL)
    return 1;
  printf ("Usage: minirun %s%s%s\n\n%s\n\nOptions:\n%s", a->name, a->synopsis[0] ? " " : "",
          a->synopsis, a->summary, a->options);
  return 0;
}

static void
list_commands (FILE *f)
{
  fputs ("Commands:\n", f);
  for (size_t i = 0; i < N_APPLETS; i++)
    if (applets[i].summary) /* internal verbs have none */
      fprintf (f, "  %-10s %s\n", applets[i].name, applets[i].summary);
}

static void
main_help (FILE *f)
{
  fputs ("Usage: minirun [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
         "\n"
         "A small OCI container runtime.\n"
         "\n"
         "Global options (before COMMAND):\n"
         "  --root DIR               State directory (default: /run/minirun, or\n"
         "                           $XDG_RUNTIME_DIR/minirun when not root)\n"
         "  --log FILE               Also write errors (and debug lines) to FILE\n"
         "  --log-format text|json   Format of the --log lines (default: text)\n"
         "  --debug                  Log debug lines\n"
         "  --systemd-cgroup         Read linux.cgroupsPath as slice:prefix:name\n"
         "  --rootless[=true|false|auto]\n"
         "                           Run without root privileges (default: auto)\n"
         "  -v, --version            Print the version\n"
         "  -h, --help               Show this help\n"
         "\n",
         f);
  list_commands (f);
  fputs ("\nRun 'minirun COMMAND --help' for the options of a command.\n", f);
}

enum
{
  OPT_ROOT = 256,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_DEBUG,
  OPT_SYSTEMD_CGROUP,
  OPT_ROOTLESS,
};

static int global_error (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static int
global_error (const char *fmt, ...)
{
  va_list ap;

  fputs ("minirun: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputs ("\nTry 'minirun --help'.\n", stderr);
  return 1;
}

static int
parse_rootless (const char *value, bool *rootless)
{
  if (value == NULL || strcmp (value, "true") == 0)
    *rootless = true;
  else if (strcmp (value, "false") == 0)
    *rootless = false;
  else if (strcmp (value, "auto") == 0)
    *rootless = geteuid () != 0;
  else
    return -1;
  return 0;
}

/* Parses the options before the verb; returns -1 to go on with the verb at
 * argv[optind], else the exit status.  */
static int
parse_global (struct mr_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "root", required_argument, NULL, OPT_ROOT },
    { "log", required_argument, NULL, OPT_LOG },
    { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
    { "debug", no_argument, NULL, OPT_DEBUG },
    { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP },
    { "rootless", optional_argument, NULL, OPT_ROOTLESS },
    { "version", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *rootless = "auto";
  int c;

  while ((c = getopt_long (argc, argv, "+:hv", opts, NULL)) != -1)
    switch (c)
      {
      case OPT_ROOT:
        g->root = optarg;
        break;
      case OPT_LOG:
        g->log_path = optarg;
        break;
      case OPT_LOG_FORMAT:
        if (strcmp (optarg, "json") == 0)
          g->log_format = LOG_FORMAT_JSON;
        else if (strcmp (optarg, "text") == 0)
          g->log_format = LOG_FORMAT_TEXT;
        else
          return global_error ("invalid --log-format '%s': expected text or json", optarg);
        break;
      case OPT_DEBUG:
        g->debug = true;
        break;
      case OPT_SYSTEMD_CGROUP:
        g->systemd_cgroup = true;
        break;
      case OPT_ROOTLESS:
        rootless = optarg;
        /* runc also takes the value as the next word.  */
        if (rootless == NULL && optind < argc
            && (strcmp (argv[optind], "true") == 0 || strcmp (argv[optind], "false") == 0
                || strcmp (argv[optind], "auto") == 0))
          rootless = argv[optind++];
        break;
      case 'v':
        printf ("minirun version %s\nspec: 1.1.0\n", PACKAGE_VERSION);
        return close_stdout ();
      case 'h':
        main_help (stdout);
        return close_stdout ();
      case ':':
        return global_error ("option '%s' requires an argument", argv[optind - 1]);
      default:
        return global_error ("invalid option '%s'", argv[optind - 1]);
      }
  if (parse_rootless (rootless, &g->rootless) < 0)
    return global_error ("invalid --rootless value '%s': expected true, false or auto", rootless);
  return -1;
}

static int
run_applet (struct mr_global *g, const struct applet *a, int argc, char **argv)
{
  int ret;

  if (g->debug)
    {
      char line[512] = "";
      size_t len = 0;

      for (int i = 0; i < argc && len < sizeof line; i++)
        len += (size_t)snprintf (line + len, sizeof line - len, "%s%s", i ? " " : "", argv[i]);
      log_debug ("%s: root '%s', arguments '%s'", a->name, g->root ? g->root : "(default)", line);
    }
  optind = 0; /* glibc: start over, rereading the optstring flags */
  ret = a->fn (g, argc, argv);
  if (close_stdout () != 0 && ret == 0)
    ret = 1;
  log_debug ("%s: exit status %d", a->name, ret);
  return ret;
}

static int
unknown_command (const char *name)
{
  cmd_fail ("unknown command '%s'", name);
  fputc ('\n', stderr);
  list_commands (stderr);
  return 127;
}

int
main (int argc, char **argv)
{
  struct mr_global g = { .log_format = LOG_FORMAT_TEXT, .argc = argc, .argv = argv };
  const char *base = argc > 0 ? strrchr (argv[0], '/') : NULL;
  const struct applet *a;
  int ret;

  if (argc < 1)
    return 1;
  base = base ? base + 1 : argv[0];
  /* `ln -s minirun minirun-exec`: the name is the verb, and every argument
   * belongs to it.  An unknown suffix (minirun-0.1) is just another name.  */
  if (strncmp (base, "minirun-", 8) == 0 && (a = applet_find (base + 8)) != NULL)
    {
      parse_rootless ("auto", &g.rootless);
      if (log_init (NULL, LOG_FORMAT_TEXT, false) < 0)
        return 1;
      ret = run_applet (&g, a, argc, argv);
      if (g.ctx)
        mr_context_free (g.ctx);
      return ret;
    }

  ret = parse_global (&g, argc, argv);
  if (ret >= 0)
    return ret;
  if (log_init (g.log_path, g.log_format, g.debug) < 0)
    return 1;
  if (optind >= argc)
    {
      main_help (stderr);
      return 1;
    }
  if (strcmp (argv[optind], "help") == 0)
    {
      if (optind + 1 >= argc)
        {
          main_help (stdout);
          return close_stdout ();
        }
      if (applet_find (argv[optind + 1]) == NULL)
        return unknown_command (argv[optind + 1]);
      verb_help (argv[optind + 1]);
      return close_stdout ();
    }
  a = applet_find (argv[optind]);
  if (a == NULL)
    return unknown_command (argv[optind]);
  ret = run_applet (&g, a, argc - optind, argv + optind);
  if (g.ctx)
    mr_context_free (g.ctx);
  return ret;
}
