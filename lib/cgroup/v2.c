#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

/* How long freeze waits for the kernel, and destroy for dying processes.  */
#define FREEZE_TIMEOUT_NS (5ULL * 1000000000ULL)
#define DESTROY_TIMEOUT_NS (1ULL * 1000000000ULL)

bool
mr_cgroup2_has_file (int dirfd, const char *name)
{
  return dirfd >= 0 && faccessat (dirfd, name, F_OK, 0) == 0;
}

/* Reads "frozen N" from cgroup.events at fd (kept open to poll it).  */
static int
events_frozen (int fd, bool *frozen)
{
  char buf[512];
  ssize_t r = pread (fd, buf, sizeof buf - 1, 0);
  uint64_t v;

  if (r < 0)
    return -1;
  buf[r] = '\0';
  if (mr_cgroup_parse_keyed (buf, "frozen", &v) < 0)
    {
      errno = EINVAL;
      return -1;
    }
  *frozen = v != 0;
  return 0;
}

int
mr_cgroup2_freeze (int dirfd, const char *dir, bool frozen, struct mr_error *err)
{
  cleanup_close int efd = -1;
  uint64_t deadline;
  bool now;

  if (!mr_cgroup2_has_file (dirfd, "cgroup.freeze"))
    return mr_error_set (err, "%s cgroup '%s': the kernel has no cgroup v2 freezer",
                         frozen ? "freeze" : "thaw", dir);
  if (mr_write_file_at (dirfd, "cgroup.freeze", frozen ? "1" : "0", 1, err) < 0)
    return mr_error_prefix (err, "cgroup '%s'", dir);

  /* cgroup.events raises POLLPRI when it changes; the timeout of each poll
   * is short anyway so that a missed wake-up costs little.  */
  efd = openat (dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
  if (efd < 0)
    return mr_error_errno (err, errno, "open '%s/cgroup.events'", dir);
  deadline = mr_cgroup_now_ns () + FREEZE_TIMEOUT_NS;
  for (;;)
    {
      struct pollfd pfd = { .fd = efd, .events = POLLPRI };

      if (events_frozen (efd, &now) < 0)
        return mr_error_errno (err, errno, "read '%s/cgroup.events'", dir);
      if (now == frozen)
        return 0;
      if (mr_cgroup_now_ns () >= deadline)
        break;
      if (poll (&pfd, 1, 10) < 0 && errno != EINTR)
        return mr_error_errno (err, errno, "poll '%s/cgroup.events'", dir);
    }
  if (frozen)
    mr_write_file_at (dirfd, "cgroup.freeze", "0", 1, NULL);
  return mr_error_set (err, "%s cgroup '%s': timed out waiting for the kernel",
                       frozen ? "freeze" : "thaw", dir);
}

int
mr_cgroup2_is_frozen (int dirfd, bool *frozen, struct mr_error *err)
{
  cleanup_free char *content = NULL;
  uint64_t v;

  *frozen = false;
  if (dirfd < 0)
    return 0;
  if (mr_cgroup_read_at (dirfd, "cgroup.events", &content, err) < 0)
    return -1;
  if (content && mr_cgroup_parse_keyed (content, "frozen", &v) == 0)
    *frozen = v != 0;
  return 0;
}

/* A controller the limits need, and the first file that needs it (for
 * the error message).  */
struct need
{
  char ctrl[32];
  char file[64];
};

#define MAX_NEEDS 32

static int
add_need (struct need *needs, size_t *n, const char *ctrl, size_t len, const char *file,
          struct mr_error *err)
{
  size_t i;

  if (len == 0 || len >= sizeof needs[0].ctrl)
    return mr_error_set (err, "%s: unknown controller", file);
  for (i = 0; i < *n; i++)
    if (strlen (needs[i].ctrl) == len && memcmp (needs[i].ctrl, ctrl, len) == 0)
      return 0;
  if (*n == MAX_NEEDS)
    return mr_error_set (err, "%s: too many controllers", file);
  memcpy (needs[*n].ctrl, ctrl, len);
  needs[*n].ctrl[len] = '\0';
  snprintf (needs[*n].file, sizeof needs[*n].file, "%s", file);
  (*n)++;
  return 0;
}

static int
check_unified_key (const char *key, struct mr_error *err)
{
  if (key[0] == '\0' || key[0] == '.' || strchr (key, '/') || strstr (key, ".."))
    return mr_error_set (err, "linux.resources.unified: invalid key '%s'", key);
  return 0;
}

static bool
any_throttle_limit (const struct mr_spec_resources *r)
{
  for (size_t k = 0; k < MR_BLKIO_THROTTLE_N; k++)
    for (size_t i = 0; i < r->n_blkio_throttle[k]; i++)
      if (r->blkio_throttle[k][i].rate != 0)
        return true;
  return false;
}

/* The rarer limits: block io per device, huge pages, network, rdma.  */
static int
collect_more_needs (const struct mr_spec_resources *r, struct need *needs, size_t *n,
                    struct mr_error *err)
{
  char file[64];
  size_t i;

  if (r->blkio_leaf_weight_set && r->blkio_leaf_weight != 0)
    return mr_error_set (err, "linux.resources.blockIO.leafWeight is not supported on cgroup v2");
  for (i = 0; i < r->n_blkio_weight_devices; i++)
    {
      if (r->blkio_weight_devices[i].leaf_weight != 0)
        return mr_error_set (err, "linux.resources.blockIO.weightDevice leafWeight is not "
                                  "supported on cgroup v2");
      if (add_need (needs, n, "io", 2, "io.weight", err) < 0)
        return -1;
    }
  if (any_throttle_limit (r) && add_need (needs, n, "io", 2, "io.max", err) < 0)
    return -1;
  for (i = 0; i < r->n_hugepage_limits; i++)
    {
      snprintf (file, sizeof file, "hugetlb.%s.max", r->hugepage_limits[i].page_size);
      if (add_need (needs, n, "hugetlb", 7, file, err) < 0)
        return -1;
    }
  if ((r->net_class_id_set && r->net_class_id != 0) || r->n_net_priorities > 0)
    return mr_error_set (err, "linux.resources.network is not supported on cgroup v2");
  for (i = 0; i < r->n_rdma; i++)
    if ((r->rdma[i].hca_handles_set || r->rdma[i].hca_objects_set)
        && add_need (needs, n, "rdma", 4, "rdma.max", err) < 0)
      return -1;
  return 0;
}

/* The controllers the resources need enabled, and checks of what v2
 * cannot do at all, before anything is created.  Values that only lift a
 * limit need no controller: they are skipped where it is missing.  */
static int
collect_needs (const struct mr_spec_resources *r, struct need *needs, size_t *n,
               struct mr_error *err)
{
  const struct mr_spec_memory *m = &r->memory;
  const struct mr_spec_cpu *c = &r->cpu;
  size_t i;

  *n = 0;
  if ((c->realtime_runtime_set && c->realtime_runtime != 0)
      || (c->realtime_period_set && c->realtime_period != 0))
    return mr_error_set (err, "cpu realtime is not supported on cgroup v2");
  if (m->limit_set && m->limit > 0 && add_need (needs, n, "memory", 6, "memory.max", err) < 0)
    return -1;
  if (m->reservation_set && m->reservation > 0
      && add_need (needs, n, "memory", 6, "memory.low", err) < 0)
    return -1;
  if (m->swap_set && m->swap > 0 && add_need (needs, n, "memory", 6, "memory.swap.max", err) < 0)
    return -1;
  if (c->shares_set && c->shares != 0 && add_need (needs, n, "cpu", 3, "cpu.weight", err) < 0)
    return -1;
  if (((c->quota_set && c->quota > 0) || (c->period_set && c->period != 0))
      && add_need (needs, n, "cpu", 3, "cpu.max", err) < 0)
    return -1;
  if (c->cpus && c->cpus[0] && add_need (needs, n, "cpuset", 6, "cpuset.cpus", err) < 0)
    return -1;
  if (c->mems && c->mems[0] && add_need (needs, n, "cpuset", 6, "cpuset.mems", err) < 0)
    return -1;
  if (r->pids_limit_set && r->pids_limit > 0 && add_need (needs, n, "pids", 4, "pids.max", err) < 0)
    return -1;
  if (r->blkio_weight_set && r->blkio_weight != 0
      && add_need (needs, n, "io", 2, "io.weight", err) < 0)
    return -1;
  if (collect_more_needs (r, needs, n, err) < 0)
    return -1;
  for (i = 0; i < r->n_unified; i++)
    {
      const char *key = r->unified[i].key;
      const char *dot;

      if (check_unified_key (key, err) < 0)
        return -1;
      dot = strchr (key, '.');
      if (dot == NULL)
        return mr_error_set (err, "linux.resources.unified: invalid key '%s'", key);
      if ((size_t)(dot - key) == 6 && memcmp (key, "cgroup", 6) == 0)
        continue;
      if (add_need (needs, n, key, (size_t)(dot - key), key, err) < 0)
        return -1;
    }
  return 0;
}

/* Why writing subtree_control of dir failed, in words.  */
static int
enable_error (const char *dir, const char *list, const struct need *needs, size_t n, int errnum,
              struct mr_error *err)
{
  cleanup_free char *avail = NULL;
  char path[PATH_MAX];
  size_t i;

  snprintf (path, sizeof path, "%s/cgroup.controllers", dir);
  if (mr_read_file (path, &avail, NULL, NULL) == 0)
    {
      char *nl = strchr (avail, '\n');
      if (nl)
        *nl = '\0';
      for (i = 0; i < n; i++)
        {
          const char *p = avail;
          size_t cl = strlen (needs[i].ctrl);
          bool found = false;

          while (*p && !found)
            {
              size_t l = strcspn (p, " ");
              found = l == cl && memcmp (p, needs[i].ctrl, cl) == 0;
              p += l;
              p += strspn (p, " ");
            }
          if (!found)
            return mr_error_set (err, "%s: the %s controller is not available in %s", needs[i].file,
                                 needs[i].ctrl, dir);
        }
    }
  if (errnum == EBUSY)
    return mr_error_set (err,
                         "enable controllers '%s' in cgroup '%s': it has processes of its "
                         "own, and cgroup v2 allows controllers only below cgroups without "
                         "processes",
                         list, dir);
  return mr_error_errno (err, errnum, "enable controllers '%s' in cgroup '%s'", list, dir);
}

/* Enables the controllers in every ancestor of the cgroup, from the
 * root down, so that the cgroup itself gets them.  */
static int
enable_controllers (struct mr_cgroup *cg, const struct need *needs, size_t n, struct mr_error *err)
{
  char list[MAX_NEEDS * 34];
  cleanup_free char *dir = NULL;
  size_t rl = strlen (cg->v2_root), i, o = 0;
  char *p;

  if (n == 0)
    return 0;
  for (i = 0; i < n; i++)
    o += (size_t)snprintf (list + o, sizeof list - o, "%s+%s", i ? " " : "", needs[i].ctrl);
  dir = strdup (cg->v2_dir);
  if (dir == NULL)
    return mr_error_errno (err, ENOMEM, "cgroup '%s'", cg->v2_dir);
  /* Each level is cut out of the leaf path in turn: the root first.  */
  p = dir + rl;
  for (;;)
    {
      char *slash = strchr (p + 1, '/');
      char saved = *p;
      char path[PATH_MAX];
      cleanup_close int fd = -1;

      *p = '\0';
      snprintf (path, sizeof path, "%s/cgroup.subtree_control", dir[0] ? dir : "/");
      fd = open (path, O_WRONLY | O_CLOEXEC);
      if (fd < 0 || mr_write_all (fd, list, strlen (list)) < 0)
        {
          int e = errno;
          enable_error (dir[0] ? dir : "/", list, needs, n, e, err);
          *p = saved;
          return -1;
        }
      *p = saved;
      if (slash == NULL)
        break;
      p = slash;
    }
  return 0;
}

static int
write_at (struct mr_cgroup *cg, const char *name, const char *value, struct mr_error *err)
{
  if (mr_write_file_at (cg->v2_fd, name, value, strlen (value), err) < 0)
    return mr_error_prefix (err, "cgroup '%s'", cg->v2_dir);
  return 0;
}

/* For values that lift a limit: a file that is not there (controller
 * not enabled) means there is no limit to lift.  */
static int
write_opt (struct mr_cgroup *cg, const char *name, const char *value, struct mr_error *err)
{
  if (!mr_cgroup2_has_file (cg->v2_fd, name))
    return 0;
  return write_at (cg, name, value, err);
}

static int
apply_memory (struct mr_cgroup *cg, const struct mr_spec_memory *m, struct mr_error *err)
{
  char buf[32];
  int64_t limit = 0;

  /* cgroup v2 charges socket memory to memory.max: no limit of its own.  */
  if (m->kernel_tcp_set && m->kernel_tcp > 0)
    return mr_error_set (err, "linux.resources.memory.kernelTCP: cgroup v2 has no TCP memory "
                              "limit (socket memory counts in memory.max)");
  if (m->limit_set && m->limit != 0)
    {
      limit = m->limit;
      mr_cgroup_format_limit (m->limit, buf, sizeof buf);
      if (m->limit < 0 ? write_opt (cg, "memory.max", buf, err) < 0
                       : write_at (cg, "memory.max", buf, err) < 0)
        return -1;
    }
  if (m->reservation_set && m->reservation != 0)
    {
      mr_cgroup_format_limit (m->reservation, buf, sizeof buf);
      if (m->reservation < 0 ? write_opt (cg, "memory.low", buf, err) < 0
                             : write_at (cg, "memory.low", buf, err) < 0)
        return -1;
    }
  /* The spec's swap is memory+swap; memory.swap.max is swap alone.  */
  if (m->swap_set && m->swap != 0)
    {
      if (m->swap < 0)
        return write_opt (cg, "memory.swap.max", "max", err);
      if (limit == 0)
        {
          cleanup_free char *cur = NULL;
          uint64_t v;

          if (mr_cgroup_read_at (cg->v2_fd, "memory.max", &cur, err) < 0)
            return -1;
          if (cur && mr_cgroup_parse_u64 (cur, &v) == 0 && v != UINT64_MAX)
            limit = (int64_t)v;
        }
      if (limit <= 0)
        return mr_error_set (err, "memory swap limit: a memory limit is needed with it");
      if (m->swap < limit)
        return mr_error_set (
            err, "memory swap limit %" PRId64 " is lower than the memory limit %" PRId64, m->swap,
            limit);
      if (!mr_cgroup2_has_file (cg->v2_fd, "memory.swap.max"))
        {
          /* As runc: no swap on top of memory is not refused for want
           * of swap accounting.  */
          if (m->swap == limit)
            return 0;
          return mr_error_set (err, "memory swap limit: the kernel has no swap accounting");
        }
      snprintf (buf, sizeof buf, "%" PRId64, m->swap - limit);
      return write_at (cg, "memory.swap.max", buf, err);
    }
  /* As with v1, lifting the memory limit lifts the swap limit too.  */
  if (limit < 0)
    return write_opt (cg, "memory.swap.max", "max", err);
  return 0;
}

static int
apply_cpu (struct mr_cgroup *cg, const struct mr_spec_cpu *c, struct mr_error *err)
{
  char buf[64];

  if (c->shares_set && c->shares != 0)
    {
      snprintf (buf, sizeof buf, "%" PRIu64, mr_cgroup_shares_to_weight (c->shares));
      if (write_at (cg, "cpu.weight", buf, err) < 0)
        return -1;
    }
  if ((c->quota_set && c->quota != 0) || (c->period_set && c->period != 0))
    {
      char quota[32];

      if (c->quota_set && c->quota != 0)
        mr_cgroup_format_limit (c->quota, quota, sizeof quota);
      else
        {
          /* Only the period changes: keep the quota there is.  */
          cleanup_free char *cur = NULL;
          size_t l;

          if (mr_cgroup_read_at (cg->v2_fd, "cpu.max", &cur, err) < 0)
            return -1;
          if (cur == NULL)
            return mr_error_set (err, "cpu.max: the cpu controller is not enabled in '%s'",
                                 cg->v2_dir);
          l = strcspn (cur, " \n");
          if (l == 0 || l >= sizeof quota)
            return mr_error_set (err, "cgroup '%s': cannot parse cpu.max", cg->v2_dir);
          memcpy (quota, cur, l);
          quota[l] = '\0';
        }
      if (c->period_set && c->period != 0)
        snprintf (buf, sizeof buf, "%s %" PRIu64, quota, c->period);
      else
        snprintf (buf, sizeof buf, "%s", quota);
      if (strcmp (buf, "max") == 0)
        {
          if (write_opt (cg, "cpu.max", buf, err) < 0)
            return -1;
        }
      else if (write_at (cg, "cpu.max", buf, err) < 0)
        return -1;
    }
  if (c->cpus && c->cpus[0] && write_at (cg, "cpuset.cpus", c->cpus, err) < 0)
    return -1;
  if (c->mems && c->mems[0] && write_at (cg, "cpuset.mems", c->mems, err) < 0)
    return -1;
  return 0;
}

static int
apply_devices (struct mr_cgroup *cg, const struct mr_spec_resources *r, struct mr_error *err)
{
  cleanup_free struct bpf_insn *insns = NULL;
  size_t n = 0;

  if (r->n_devices == 0)
    return 0;
  if (mr_cgroup_ebpf_compile (r->devices, r->n_devices, &insns, &n, err) < 0)
    return -1;
  if (mr_cgroup_ebpf_attach (cg->v2_fd, insns, n, err) < 0)
    return mr_error_prefix (err, "cgroup '%s'", cg->v2_dir);
  return 0;
}

/* bfq keeps the blkio range of weights; io.weight (the io cost model)
 * has its own.  Both take "MAJ:MIN WEIGHT" lines for one device.  */
static int
write_weight (struct mr_cgroup *cg, const char *dev, uint16_t weight, struct mr_error *err)
{
  char buf[64];

  if (mr_cgroup2_has_file (cg->v2_fd, "io.bfq.weight"))
    {
      snprintf (buf, sizeof buf, "%s%s%u", dev, dev[0] ? " " : "", (unsigned)weight);
      return write_at (cg, "io.bfq.weight", buf, err);
    }
  if (!mr_cgroup2_has_file (cg->v2_fd, "io.weight"))
    return mr_error_set (err, "io.weight: the kernel has no io weight (no bfq scheduler, no io "
                              "cost model)");
  snprintf (buf, sizeof buf, "%s%s%" PRIu64, dev, dev[0] ? " " : "",
            mr_cgroup_blkio_to_io_weight (weight));
  return write_at (cg, "io.weight", buf, err);
}

static const char *const throttle_keys[MR_BLKIO_THROTTLE_N] = { "rbps", "wbps", "riops", "wiops" };

static int
apply_io (struct mr_cgroup *cg, const struct mr_spec_resources *r, struct mr_error *err)
{
  char dev[32], buf[96];
  size_t k, i;

  if (r->blkio_weight_set && r->blkio_weight != 0
      && write_weight (cg, "", r->blkio_weight, err) < 0)
    return -1;
  for (i = 0; i < r->n_blkio_weight_devices; i++)
    {
      const struct mr_spec_blkio_weight_device *d = &r->blkio_weight_devices[i];

      snprintf (dev, sizeof dev, "%" PRIu32 ":%" PRIu32, d->major, d->minor);
      if (d->weight != 0 && write_weight (cg, dev, d->weight, err) < 0)
        return mr_error_prefix (err, "io weight for device %s", dev);
    }
  for (k = 0; k < MR_BLKIO_THROTTLE_N; k++)
    for (i = 0; i < r->n_blkio_throttle[k]; i++)
      {
        const struct mr_spec_blkio_rate *d = &r->blkio_throttle[k][i];

        snprintf (dev, sizeof dev, "%" PRIu32 ":%" PRIu32, d->major, d->minor);
        if (d->rate == 0)
          snprintf (buf, sizeof buf, "%s %s=max", dev, throttle_keys[k]);
        else
          snprintf (buf, sizeof buf, "%s %s=%" PRIu64, dev, throttle_keys[k], d->rate);
        /* No io.max (controller not enabled) is no limit to lift.  */
        if (d->rate == 0 && !mr_cgroup2_has_file (cg->v2_fd, "io.max"))
          continue;
        if (!mr_cgroup2_has_file (cg->v2_fd, "io.max"))
          return mr_error_set (err, "io.max: the kernel has no block io throttling");
        if (write_at (cg, "io.max", buf, err) < 0)
          return mr_error_prefix (err, "io limit %s for device %s", throttle_keys[k], dev);
      }
  return 0;
}

static int
apply_hugetlb (struct mr_cgroup *cg, const struct mr_spec_resources *r, struct mr_error *err)
{
  char file[64], buf[32];
  size_t i;

  for (i = 0; i < r->n_hugepage_limits; i++)
    {
      const struct mr_spec_hugepage_limit *h = &r->hugepage_limits[i];

      snprintf (buf, sizeof buf, "%" PRIu64, h->limit);
      snprintf (file, sizeof file, "hugetlb.%s.max", h->page_size);
      if (!mr_cgroup2_has_file (cg->v2_fd, file))
        return mr_error_set (err, "hugetlb limit for %s pages: the kernel has no %s huge pages",
                             h->page_size, h->page_size);
      if (write_at (cg, file, buf, err) < 0)
        return mr_error_prefix (err, "hugetlb limit for %s pages", h->page_size);
      /* Reservations count too, where the kernel accounts them: a mapping
       * then fails at mmap time rather than at the first fault.  */
      snprintf (file, sizeof file, "hugetlb.%s.rsvd.max", h->page_size);
      if (mr_cgroup2_has_file (cg->v2_fd, file) && write_at (cg, file, buf, err) < 0)
        return mr_error_prefix (err, "hugetlb reservation limit for %s pages", h->page_size);
    }
  return 0;
}

static int
apply_rdma (struct mr_cgroup *cg, const struct mr_spec_resources *r, struct mr_error *err)
{
  char buf[128];
  size_t i;

  for (i = 0; i < r->n_rdma; i++)
    {
      const struct mr_spec_rdma *d = &r->rdma[i];

      if (!d->hca_handles_set && !d->hca_objects_set)
        continue;
      if (mr_cgroup_rdma_line (d, buf, sizeof buf) < 0)
        return mr_error_set (err, "rdma device name '%s' is too long", d->device);
      if (write_at (cg, "rdma.max", buf, err) < 0)
        return mr_error_prefix (err, "rdma limit of '%s'", d->device);
    }
  return 0;
}

static int
apply (struct mr_cgroup *cg, const struct mr_spec_resources *r, struct mr_error *err)
{
  char buf[32];
  size_t i;

  if (r == NULL)
    return 0;
  if (apply_memory (cg, &r->memory, err) < 0 || apply_cpu (cg, &r->cpu, err) < 0)
    return -1;
  if (r->pids_limit_set)
    {
      mr_cgroup_format_limit (r->pids_limit > 0 ? r->pids_limit : -1, buf, sizeof buf);
      if (r->pids_limit > 0 ? write_at (cg, "pids.max", buf, err) < 0
                            : write_opt (cg, "pids.max", buf, err) < 0)
        return -1;
    }
  if (apply_io (cg, r, err) < 0 || apply_hugetlb (cg, r, err) < 0 || apply_rdma (cg, r, err) < 0
      || apply_devices (cg, r, err) < 0)
    return -1;
  for (i = 0; i < r->n_unified; i++)
    {
      const char *key = r->unified[i].key, *value = r->unified[i].value;

      if (check_unified_key (key, err) < 0)
        return -1;
      if (mr_write_file_at (cg->v2_fd, key, value ? value : "", value ? strlen (value) : 0, err)
          < 0)
        return mr_error_prefix (err, "linux.resources.unified '%s'", key);
    }
  return 0;
}

static int
set_dirs (struct mr_cgroup *cg, struct mr_error *err)
{
  cg->v2_root = strdup (mr_cgroup_v2_root ());
  if (cg->v2_root == NULL)
    return mr_error_errno (err, ENOMEM, "cgroup '%s'", cg->path);
  return mr_asprintf (err, &cg->v2_dir, "%s%s", cg->v2_root, cg->path);
}

static int
v2_open_fd (struct mr_cgroup *cg, struct mr_error *err)
{
  cg->v2_fd = open (cg->v2_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg->v2_fd < 0)
    return mr_error_errno (err, errno, "open cgroup '%s'", cg->v2_dir);
  return 0;
}

/* What create made, for destroy to remove it again: the levels of the
 * path from first_created on.  */
static int
record_layout (struct mr_cgroup *cg, struct mr_error *err)
{
  json_t *l = json_pack ("{s:{s:s,s:i}}", "unified", "path", cg->path, "created", cg->v2_created);

  if (l == NULL)
    return mr_error_errno (err, ENOMEM, "cgroup '%s'", cg->path);
  json_decref (cg->layout);
  cg->layout = l;
  return 0;
}

/* A process that joins a frozen cgroup freezes at once: create would wait
 * for it for ever.  */
static int
refuse_frozen (struct mr_cgroup *cg, struct mr_error *err)
{
  bool frozen = false;

  if (mr_cgroup2_is_frozen (cg->v2_fd, &frozen, err) < 0)
    return -1;
  if (frozen)
    return mr_error_set (err, "cgroup '%s' is frozen: thaw it first", cg->v2_dir);
  return 0;
}

static int
v2_create (struct mr_cgroup *cg, const struct mr_spec_resources *r, struct mr_error *err)
{
  struct need needs[MAX_NEEDS];
  size_t n_needs = 0;
  int first_created = 0;

  if (set_dirs (cg, err) < 0)
    return -1;
  if (r && collect_needs (r, needs, &n_needs, err) < 0)
    return -1;
  if (mr_cgroup_mkdir_levels (cg->v2_root, cg->path, false, &first_created, err) < 0)
    return -1;
  cg->v2_created = first_created;
  if (enable_controllers (cg, needs, n_needs, err) < 0 || v2_open_fd (cg, err) < 0
      || refuse_frozen (cg, err) < 0 || apply (cg, r, err) < 0 || record_layout (cg, err) < 0)
    {
      if (cg->v2_fd >= 0)
        close (cg->v2_fd);
      cg->v2_fd = -1;
      mr_cgroup_rmdir_levels (cg->v2_root, cg->path, first_created);
      return -1;
    }
  return 0;
}

static int
v2_open (struct mr_cgroup *cg, struct mr_error *err)
{
  json_t *e = mr_cgroup_layout_entry (cg->layout, "unified");
  json_t *c = e ? json_object_get (e, "created") : NULL;

  cg->v2_created = json_is_integer (c) ? (int)json_integer_value (c) : 0;
  if (set_dirs (cg, err) < 0)
    return -1;
  cg->v2_fd = open (cg->v2_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg->v2_fd < 0)
    {
      if (errno != ENOENT)
        return mr_error_errno (err, errno, "open cgroup '%s'", cg->v2_dir);
      cg->exists = false;
      return 0;
    }
  cg->exists = true;
  return 0;
}

static int
v2_update (struct mr_cgroup *cg, const struct mr_spec_resources *r, struct mr_error *err)
{
  struct need needs[MAX_NEEDS];
  size_t n_needs = 0;

  if (collect_needs (r, needs, &n_needs, err) < 0
      || enable_controllers (cg, needs, n_needs, err) < 0)
    return -1;
  return apply (cg, r, err);
}

static int
v2_enter (struct mr_cgroup *cg, pid_t pid, bool born_in_v2, struct mr_error *err)
{
  char buf[32];

  if (born_in_v2)
    return 0;
  snprintf (buf, sizeof buf, "%d", (int)pid);
  if (mr_write_file_at (cg->v2_fd, "cgroup.procs", buf, strlen (buf), err) < 0)
    return mr_error_prefix (err, "join cgroup '%s'", cg->v2_dir);
  return 0;
}

static int
v2_freeze (struct mr_cgroup *cg, bool frozen, struct mr_error *err)
{
  return mr_cgroup2_freeze (cg->v2_fd, cg->v2_dir, frozen, err);
}

static int
v2_is_frozen (struct mr_cgroup *cg, bool *frozen, struct mr_error *err)
{
  return mr_cgroup2_is_frozen (cg->v2_fd, frozen, err);
}

static int
v2_pids (struct mr_cgroup *cg, pid_t **pids, size_t *n, struct mr_error *err)
{
  size_t alloc = 0;

  if (mr_cgroup_read_pids_tree (cg->v2_fd, cg->v2_dir, pids, n, &alloc, err) < 0)
    {
      free (*pids);
      *pids = NULL;
      *n = 0;
      return -1;
    }
  return 0;
}

static int
v2_kill (struct mr_cgroup *cg, int sig, struct mr_error *err)
{
  bool frozen = false;

  if (mr_cgroup2_is_frozen (cg->v2_fd, &frozen, err) < 0)
    return -1;
  if (sig == SIGKILL && mr_cgroup2_has_file (cg->v2_fd, "cgroup.kill"))
    {
      if (mr_write_file_at (cg->v2_fd, "cgroup.kill", "1", 1, err) < 0)
        return mr_error_prefix (err, "cgroup '%s'", cg->v2_dir);
    }
  else if (mr_cgroup_kill_tree (cg->v2_fd, cg->v2_dir, sig, err) < 0)
    return -1;
  if (frozen)
    return mr_cgroup2_freeze (cg->v2_fd, cg->v2_dir, false, err);
  return 0;
}

static int
v2_destroy (struct mr_cgroup *cg, struct mr_error *err)
{
  uint64_t deadline = mr_cgroup_now_ns () + DESTROY_TIMEOUT_NS;

  if (cg->v2_fd >= 0)
    {
      if (mr_cgroup2_has_file (cg->v2_fd, "cgroup.kill"))
        {
          struct mr_error e = { 0 };

          /* Gone in the meantime is fine.  */
          if (mr_write_file_at (cg->v2_fd, "cgroup.kill", "1", 1, &e) < 0 && e.errnum != ENOENT
              && e.errnum != ENODEV)
            {
              if (err)
                *err = e;
              return mr_error_prefix (err, "cgroup '%s'", cg->v2_dir);
            }
        }
      else if (mr_cgroup_kill_tree (cg->v2_fd, cg->v2_dir, SIGKILL, err) < 0)
        return -1;
      close (cg->v2_fd);
      cg->v2_fd = -1;
    }
  if (mr_cgroup_rmdir_tree (cg->v2_dir, deadline, err) < 0)
    return -1;
  /* and the parents create made, those that are empty now */
  if (cg->v2_created > 0)
    mr_cgroup_rmdir_parent_levels (cg->v2_root, cg->path, cg->v2_created);
  return 0;
}

static void
read_u64 (int dirfd, const char *name, uint64_t *out)
{
  cleanup_free char *content = NULL;
  uint64_t v;

  if (mr_cgroup_read_at (dirfd, name, &content, NULL) == 0 && content
      && mr_cgroup_parse_u64 (content, &v) == 0)
    *out = v;
}

static void
read_keyed (int dirfd, const char *name, const char *key, uint64_t *out)
{
  cleanup_free char *content = NULL;
  uint64_t v;

  if (mr_cgroup_read_at (dirfd, name, &content, NULL) == 0 && content
      && mr_cgroup_parse_keyed (content, key, &v) == 0)
    *out = v;
}

static void
read_io_stat (int dirfd, uint64_t *rbytes, uint64_t *wbytes)
{
  cleanup_free char *content = NULL;
  char *p;

  if (mr_cgroup_read_at (dirfd, "io.stat", &content, NULL) < 0 || content == NULL)
    return;
  for (p = content; *p; p++)
    {
      if (p != content && p[-1] != ' ')
        continue;
      if (strncmp (p, "rbytes=", 7) == 0)
        *rbytes += strtoull (p + 7, NULL, 10);
      else if (strncmp (p, "wbytes=", 7) == 0)
        *wbytes += strtoull (p + 7, NULL, 10);
    }
}

static int
v2_stats (struct mr_cgroup *cg, struct mr_cgroup_stats *st, struct mr_error *err)
{
  uint64_t usec = 0;

  read_keyed (cg->v2_fd, "cpu.stat", "usage_usec", &usec);
  st->cpu_usage_ns = usec * 1000;
  read_u64 (cg->v2_fd, "memory.current", &st->memory_usage);
  read_u64 (cg->v2_fd, "memory.max", &st->memory_limit);
  read_u64 (cg->v2_fd, "pids.current", &st->pids_current);
  read_u64 (cg->v2_fd, "pids.max", &st->pids_limit);
  read_io_stat (cg->v2_fd, &st->blkio_read_bytes, &st->blkio_write_bytes);
  read_keyed (cg->v2_fd, "memory.events", "oom_kill", &st->oom_kills);
  read_keyed (cg->v2_fd, "memory.stat", "inactive_file", &st->memory_inactive_file);
  return 0;
}

static int
v2_stats_json (struct mr_cgroup *cg, json_t *data, struct mr_error *err)
{
  json_t *usage = json_object_get (json_object_get (data, "cpu"), "usage");
  json_t *thr = json_object_get (json_object_get (data, "cpu"), "throttling");
  json_t *mem = json_object_get (data, "memory");
  json_t *pd = json_object_get (data, "pids");
  cleanup_free char *content = NULL;
  uint64_t v = 0;

  (void)err;
  if (mr_cgroup_read_at (cg->v2_fd, "cpu.stat", &content, NULL) == 0 && content)
    {
      static const char *const keys[][2]
          = { { "usage_usec", "total" }, { "system_usec", "kernel" }, { "user_usec", "user" } };
      for (size_t i = 0; i < 3; i++)
        if (mr_cgroup_parse_keyed (content, keys[i][0], &v) == 0)
          mr_cgroup_json_u64 (usage, keys[i][1], v * 1000);
      if (mr_cgroup_parse_keyed (content, "nr_periods", &v) == 0)
        mr_cgroup_json_u64 (thr, "periods", v);
      if (mr_cgroup_parse_keyed (content, "nr_throttled", &v) == 0)
        mr_cgroup_json_u64 (thr, "throttled_periods", v);
      if (mr_cgroup_parse_keyed (content, "throttled_usec", &v) == 0)
        mr_cgroup_json_u64 (thr, "throttled_time", v * 1000);
    }
  free (content);
  content = NULL;
  if (mr_cgroup2_has_file (cg->v2_fd, "memory.current"))
    {
      json_t *u = json_object ();
      uint64_t limit = UINT64_MAX, fail = 0;

      v = 0;
      read_u64 (cg->v2_fd, "memory.current", &v);
      read_u64 (cg->v2_fd, "memory.max", &limit);
      read_keyed (cg->v2_fd, "memory.events", "max", &fail);
      mr_cgroup_json_u64 (u, "usage", v);
      json_object_set_new (u, "failcnt", json_integer ((json_int_t)fail));
      json_object_set_new (u, "limit",
                           json_integer ((json_int_t)(limit > INT64_MAX ? INT64_MAX : limit)));
      json_object_set_new (mem, "usage", u);
      if (mr_cgroup2_has_file (cg->v2_fd, "memory.swap.current"))
        {
          json_t *sw = json_object ();
          v = 0;
          limit = UINT64_MAX;
          read_u64 (cg->v2_fd, "memory.swap.current", &v);
          read_u64 (cg->v2_fd, "memory.swap.max", &limit);
          mr_cgroup_json_u64 (sw, "usage", v);
          json_object_set_new (sw, "failcnt", json_integer (0));
          json_object_set_new (sw, "limit",
                               json_integer ((json_int_t)(limit > INT64_MAX ? INT64_MAX : limit)));
          json_object_set_new (mem, "swap", sw);
        }
      if (mr_cgroup_read_at (cg->v2_fd, "memory.stat", &content, NULL) == 0 && content)
        {
          json_t *raw = mr_cgroup_keyed_json (content);
          mr_cgroup_json_u64 (mem, "cache",
                              (uint64_t)json_integer_value (json_object_get (raw, "file")));
          if (raw)
            json_object_set_new (mem, "raw", raw);
        }
      free (content);
      content = NULL;
    }
  if (mr_cgroup2_has_file (cg->v2_fd, "pids.current"))
    {
      v = 0;
      read_u64 (cg->v2_fd, "pids.current", &v);
      json_object_set_new (pd, "current", json_integer ((json_int_t)v));
      v = UINT64_MAX;
      read_u64 (cg->v2_fd, "pids.max", &v);
      if (v != UINT64_MAX)
        mr_cgroup_json_u64 (pd, "limit", v);
    }
  if (mr_cgroup_read_at (cg->v2_fd, "io.stat", &content, NULL) == 0 && content)
    {
      /* "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ..." */
      json_t *bytes = json_array (), *ios = json_array ();
      for (char *line = content; line && *line;)
        {
          char *eol = strchr (line, '\n');
          unsigned major, minor;
          unsigned long long rb = 0, wb = 0, ri = 0, wi = 0;
          char *p;

          if (eol)
            *eol = '\0';
          if (sscanf (line, "%u:%u", &major, &minor) == 2)
            {
              if ((p = strstr (line, "rbytes=")))
                rb = strtoull (p + 7, NULL, 10);
              if ((p = strstr (line, "wbytes=")))
                wb = strtoull (p + 7, NULL, 10);
              if ((p = strstr (line, "rios=")))
                ri = strtoull (p + 5, NULL, 10);
              if ((p = strstr (line, "wios=")))
                wi = strtoull (p + 5, NULL, 10);
              json_array_append_new (bytes,
                                     json_pack ("{s:i,s:i,s:s,s:I}", "major", (int)major, "minor",
                                                (int)minor, "op", "Read", "value", (json_int_t)rb));
              json_array_append_new (bytes, json_pack ("{s:i,s:i,s:s,s:I}", "major", (int)major,
                                                       "minor", (int)minor, "op", "Write", "value",
                                                       (json_int_t)wb));
              json_array_append_new (ios,
                                     json_pack ("{s:i,s:i,s:s,s:I}", "major", (int)major, "minor",
                                                (int)minor, "op", "Read", "value", (json_int_t)ri));
              json_array_append_new (ios, json_pack ("{s:i,s:i,s:s,s:I}", "major", (int)major,
                                                     "minor", (int)minor, "op", "Write", "value",
                                                     (json_int_t)wi));
            }
          line = eol ? eol + 1 : NULL;
        }
      json_object_set_new (json_object_get (data, "blkio"), "ioServiceBytesRecursive", bytes);
      json_object_set_new (json_object_get (data, "blkio"), "ioServicedRecursive", ios);
    }
  return 0;
}

const struct mr_cgroup_ops mr_cgroup_v2_ops = {
  .create = v2_create,
  .open = v2_open,
  .update = v2_update,
  .enter = v2_enter,
  .freeze = v2_freeze,
  .is_frozen = v2_is_frozen,
  .pids = v2_pids,
  .kill = v2_kill,
  .destroy = v2_destroy,
  .stats = v2_stats,
  .stats_json = v2_stats_json,
  .free = NULL,
};
