#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util/cleanup.h"

/* An OCI linux.resources object is a few kilobytes; this only stops a
 * runaway pipe.  */
#define RESOURCES_MAX (1024 * 1024)

enum
{
  OPT_MEMORY = 256,
  OPT_MEMORY_SWAP,
  OPT_MEMORY_RESERVATION,
  OPT_CPU_QUOTA,
  OPT_CPU_PERIOD,
  OPT_CPU_SHARES,
  OPT_CPUSET_CPUS,
  OPT_CPUSET_MEMS,
  OPT_PIDS_LIMIT,
  OPT_BLKIO_WEIGHT,
  OPT_CPU_RT_PERIOD,
  OPT_CPU_RT_RUNTIME,
};

/* A size, or -1 for no limit (as runc takes it).  */
static int
parse_size_opt (const char *name, const char *s, int64_t *out)
{
  if (strcmp (s, "-1") == 0)
    {
      *out = -1;
      return 0;
    }
  if (mr_size_parse (s, out) < 0 || *out < 0)
    return usage_error ("update", "invalid size '%s' for --%s", s, name);
  return 0;
}

/* A number from min to max.  */
static int
parse_count_opt (const char *name, const char *s, long long min, long long max, int64_t *out)
{
  long long v;

  if (parse_number (s, min, max, &v) < 0)
    return usage_error ("update", "invalid value '%s' for --%s", s, name);
  *out = v;
  return 0;
}

int
cmd_update (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "resources", required_argument, NULL, 'r' },
    { "memory", required_argument, NULL, OPT_MEMORY },
    { "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
    { "memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION },
    { "cpu-quota", required_argument, NULL, OPT_CPU_QUOTA },
    { "cpu-period", required_argument, NULL, OPT_CPU_PERIOD },
    { "cpu-shares", required_argument, NULL, OPT_CPU_SHARES },
    { "cpu-share", required_argument, NULL, OPT_CPU_SHARES },
    { "cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD },
    { "cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME },
    { "blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT },
    { "cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS },
    { "cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS },
    { "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_free char *resources = NULL;
  const char *resources_path = NULL;
  struct mr_update_opts o;
  bool any = false;
  int c, ret = 0;

  mr_update_opts_init (&o);
  o.size = sizeof o;
  while ((c = getopt_long (argc, argv, ":r:h", long_opts, NULL)) != -1)
    {
      any = true;
      switch (c)
        {
        case 'r':
          resources_path = optarg;
          break;
        case OPT_MEMORY:
          ret = parse_size_opt ("memory", optarg, &o.memory);
          break;
        case OPT_MEMORY_SWAP:
          ret = parse_size_opt ("memory-swap", optarg, &o.memory_swap);
          break;
        case OPT_MEMORY_RESERVATION:
          ret = parse_size_opt ("memory-reservation", optarg, &o.memory_reservation);
          break;
        case OPT_CPU_QUOTA:
          ret = parse_count_opt ("cpu-quota", optarg, -1, INT64_MAX, &o.cpu_quota);
          break;
        case OPT_CPU_PERIOD:
          ret = parse_count_opt ("cpu-period", optarg, 0, INT64_MAX, &o.cpu_period);
          break;
        case OPT_CPU_SHARES:
          ret = parse_count_opt ("cpu-shares", optarg, 0, INT64_MAX, &o.cpu_shares);
          break;
        case OPT_CPU_RT_PERIOD:
          ret = parse_count_opt ("cpu-rt-period", optarg, 0, INT64_MAX, &o.cpu_rt_period);
          break;
        case OPT_CPU_RT_RUNTIME:
          ret = parse_count_opt ("cpu-rt-runtime", optarg, -1, INT64_MAX, &o.cpu_rt_runtime);
          break;
        case OPT_BLKIO_WEIGHT:
          ret = parse_count_opt ("blkio-weight", optarg, 0, 1000, &o.blkio_weight);
          if (ret == 0 && o.blkio_weight != 0 && o.blkio_weight < 10)
            ret = usage_error ("update", "invalid value '%s' for --blkio-weight: 10 to 1000",
                               optarg);
          break;
        case OPT_CPUSET_CPUS:
          o.cpuset_cpus = optarg;
          break;
        case OPT_CPUSET_MEMS:
          o.cpuset_mems = optarg;
          break;
        case OPT_PIDS_LIMIT:
          ret = parse_count_opt ("pids-limit", optarg, -1, INT64_MAX, &o.pids_limit);
          break;
        case 'h':
          return verb_help ("update");
        default:
          return bad_option ("update", c, argv);
        }
      if (ret != 0)
        return ret;
    }
  if (argc - optind < 1)
    return usage_error ("update", "missing container id");
  if (argc - optind > 1)
    return usage_error ("update", "too many arguments");
  if (!any)
    return usage_error ("update", "nothing to update: give --resources or a limit");
  if (resources_path)
    {
      if (read_arg_file (resources_path, RESOURCES_MAX, &resources, &g->err) < 0)
        return cmd_fail ("update: %s", g->err.msg);
      o.resources_json = resources;
    }
  if (context_open (g) < 0)
    return report (-1, &g->err);
  return report (mr_container_update (g->ctx, argv[optind], &o, &g->err), &g->err);
}
