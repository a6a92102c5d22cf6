#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "oci/spec-internal.h"

/* linux.resources, also read alone for `update --resources`.  */

void
mr_spec_resources_free (struct mr_spec_resources *r)
{
  if (r == NULL)
    return;
  free (r->devices);
  free (r->cpu.cpus);
  free (r->cpu.mems);
  free (r->blkio_weight_devices);
  for (size_t k = 0; k < MR_BLKIO_THROTTLE_N; k++)
    free (r->blkio_throttle[k]);
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    free (r->hugepage_limits[i].page_size);
  free (r->hugepage_limits);
  for (size_t i = 0; i < r->n_net_priorities; i++)
    free (r->net_priorities[i].name);
  free (r->net_priorities);
  for (size_t i = 0; i < r->n_rdma; i++)
    free (r->rdma[i].device);
  free (r->rdma);
  mr_spec_kv_free (r->unified, r->n_unified);
  free (r);
}

static int
parse_device_rules (struct pctx *pc, json_t *a, const char *path, struct mr_spec_resources *res)
{
  char p[PATH_LEN], ep[PATH_LEN];
  size_t i;
  json_t *e;

  if (mr_spec_alloc_array (pc, a, sizeof *res->devices, (void **)&res->devices, &res->n_devices)
      < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_device_rule *d = &res->devices[i];
    const char *type = "a", *access = "rwm";

    mr_spec_index_path (p, path, i);
    if (mr_spec_v_object (pc, e, p) < 0)
      return -1;
    d->major = d->minor = -1;
    if (mr_spec_read_bool (pc, e, p, "allow", true, &d->allow) < 0
        || mr_spec_read_cstr (pc, e, p, "type", false, &type) < 0
        || mr_spec_read_int64 (pc, e, p, "major", false, -1, UINT32_MAX, &d->major) < 0
        || mr_spec_read_int64 (pc, e, p, "minor", false, -1, UINT32_MAX, &d->minor) < 0
        || mr_spec_read_cstr (pc, e, p, "access", false, &access) < 0)
      return -1;
    if (strcmp (type, "a") != 0 && strcmp (type, "b") != 0 && strcmp (type, "c") != 0)
      return mr_spec_fail (pc, mr_spec_key_path (ep, p, "type"),
                           "unknown device type '%s' (want a, b or c)", type);
    d->type = type[0];
    if (*access == '\0' || strlen (access) > 3 || strspn (access, "rwm") != strlen (access)
        || (strchr (access, 'r') != strrchr (access, 'r'))
        || (strchr (access, 'w') != strrchr (access, 'w'))
        || (strchr (access, 'm') != strrchr (access, 'm')))
      return mr_spec_fail (pc, mr_spec_key_path (ep, p, "access"), "'%s' is not a subset of 'rwm'",
                           access);
    strcpy (d->access, access);
  }
  return 0;
}

static int
parse_memory (struct pctx *pc, json_t *o, const char *path, struct mr_spec_resources *res)
{
  struct mr_spec_memory *m = &res->memory;
  int r;

  if ((r = mr_spec_read_int64 (pc, o, path, "limit", false, -1, INT64_MAX, &m->limit)) < 0)
    return -1;
  m->limit_set = r > 0;
  if ((r = mr_spec_read_int64 (pc, o, path, "reservation", false, -1, INT64_MAX, &m->reservation))
      < 0)
    return -1;
  m->reservation_set = r > 0;
  if ((r = mr_spec_read_int64 (pc, o, path, "swap", false, -1, INT64_MAX, &m->swap)) < 0)
    return -1;
  m->swap_set = r > 0;
  /* Go engines write the unsigned form of -1 for "unset"; runc takes it so.  */
  if (mr_spec_is_big (mr_spec_member (o, "swappiness"), &m->swappiness)
      && m->swappiness == UINT64_MAX)
    m->swappiness_set = false;
  else
    {
      if ((r = mr_spec_read_uint64 (pc, o, path, "swappiness", false, 100, &m->swappiness)) < 0)
        return -1;
      m->swappiness_set = r > 0;
    }
  if ((r = mr_spec_read_bool (pc, o, path, "disableOOMKiller", false, &m->disable_oom_killer)) < 0)
    return -1;
  m->disable_oom_killer_set = r > 0;
  if ((r = mr_spec_read_int64 (pc, o, path, "kernelTCP", false, -1, INT64_MAX, &m->kernel_tcp)) < 0)
    return -1;
  m->kernel_tcp_set = r > 0;
  return 0;
}

static int
parse_cpu (struct pctx *pc, json_t *o, const char *path, struct mr_spec_resources *res)
{
  struct mr_spec_cpu *c = &res->cpu;
  int r;

  if ((r = mr_spec_read_uint64 (pc, o, path, "shares", false, UINT64_MAX, &c->shares)) < 0)
    return -1;
  c->shares_set = r > 0;
  if ((r = mr_spec_read_int64 (pc, o, path, "quota", false, -1, INT64_MAX, &c->quota)) < 0)
    return -1;
  c->quota_set = r > 0;
  if ((r = mr_spec_read_uint64 (pc, o, path, "period", false, UINT64_MAX, &c->period)) < 0)
    return -1;
  c->period_set = r > 0;
  if ((r = mr_spec_read_int64 (pc, o, path, "realtimeRuntime", false, -1, INT64_MAX,
                               &c->realtime_runtime))
      < 0)
    return -1;
  c->realtime_runtime_set = r > 0;
  if ((r = mr_spec_read_uint64 (pc, o, path, "realtimePeriod", false, UINT64_MAX,
                                &c->realtime_period))
      < 0)
    return -1;
  c->realtime_period_set = r > 0;
  if (mr_spec_read_string (pc, o, path, "cpus", false, &c->cpus) < 0
      || mr_spec_read_string (pc, o, path, "mems", false, &c->mems) < 0)
    return -1;
  return 0;
}

/* blkio weights span 10..1000; absent is 0.  */
static int
read_blkio_weight (struct pctx *pc, json_t *obj, const char *parent, const char *key, uint16_t *out)
{
  char p[PATH_LEN];
  uint64_t w;
  int r = mr_spec_read_uint64 (pc, obj, parent, key, false, UINT64_MAX, &w);

  if (r <= 0)
    return r;
  if (w < 10 || w > 1000)
    return mr_spec_fail (pc, mr_spec_key_path (p, parent, key),
                         "%" PRIu64 " is out of range (10..1000)", w);
  *out = (uint16_t)w;
  return 1;
}

static int
parse_weight_devices (struct pctx *pc, json_t *a, const char *path, struct mr_spec_resources *res)
{
  char p[PATH_LEN];
  size_t i;
  json_t *e;

  if (mr_spec_alloc_array (pc, a, sizeof *res->blkio_weight_devices,
                           (void **)&res->blkio_weight_devices, &res->n_blkio_weight_devices)
      < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_blkio_weight_device *d = &res->blkio_weight_devices[i];
    int rw, rl;

    mr_spec_index_path (p, path, i);
    if (mr_spec_v_object (pc, e, p) < 0
        || mr_spec_read_uint32 (pc, e, p, "major", true, UINT32_MAX, &d->major) < 0
        || mr_spec_read_uint32 (pc, e, p, "minor", true, UINT32_MAX, &d->minor) < 0)
      return -1;
    if ((rw = read_blkio_weight (pc, e, p, "weight", &d->weight)) < 0
        || (rl = read_blkio_weight (pc, e, p, "leafWeight", &d->leaf_weight)) < 0)
      return -1;
    if (rw == 0 && rl == 0)
      return mr_spec_fail (pc, p, "neither weight nor leafWeight is set");
  }
  return 0;
}

static const char *const throttle_keys[MR_BLKIO_THROTTLE_N]
    = { "throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice",
        "throttleWriteIOPSDevice" };

static int
parse_throttle (struct pctx *pc, json_t *a, const char *path, struct mr_spec_blkio_rate **out,
                size_t *n)
{
  char p[PATH_LEN];
  size_t i;
  json_t *e;

  if (mr_spec_alloc_array (pc, a, sizeof **out, (void **)out, n) < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_blkio_rate *d = &(*out)[i];

    mr_spec_index_path (p, path, i);
    if (mr_spec_v_object (pc, e, p) < 0
        || mr_spec_read_uint32 (pc, e, p, "major", true, UINT32_MAX, &d->major) < 0
        || mr_spec_read_uint32 (pc, e, p, "minor", true, UINT32_MAX, &d->minor) < 0
        || mr_spec_read_uint64 (pc, e, p, "rate", true, UINT64_MAX, &d->rate) < 0)
      return -1;
  }
  return 0;
}

static int
parse_blkio (struct pctx *pc, json_t *o, const char *path, struct mr_spec_resources *res)
{
  char p[PATH_LEN];
  json_t *a;
  int r;

  if ((r = read_blkio_weight (pc, o, path, "weight", &res->blkio_weight)) < 0)
    return -1;
  res->blkio_weight_set = r > 0;
  if ((r = read_blkio_weight (pc, o, path, "leafWeight", &res->blkio_leaf_weight)) < 0)
    return -1;
  res->blkio_leaf_weight_set = r > 0;
  r = mr_spec_read_array (pc, o, path, "weightDevice", false, &a);
  if (r < 0)
    return -1;
  if (r > 0 && parse_weight_devices (pc, a, mr_spec_key_path (p, path, "weightDevice"), res) < 0)
    return -1;
  for (size_t k = 0; k < MR_BLKIO_THROTTLE_N; k++)
    {
      r = mr_spec_read_array (pc, o, path, throttle_keys[k], false, &a);
      if (r < 0)
        return -1;
      if (r > 0
          && parse_throttle (pc, a, mr_spec_key_path (p, path, throttle_keys[k]),
                             &res->blkio_throttle[k], &res->n_blkio_throttle[k])
                 < 0)
        return -1;
    }
  return 0;
}

/* The kernel names huge page sizes as a number and KB, MB or GB
 * (hugetlb.2MB.max, hugetlb.1GB.limit_in_bytes).  */
static bool
valid_page_size (const char *s)
{
  size_t n = strspn (s, "0123456789");

  return n > 0 && n <= 12 && s[0] != '0'
         && (strcmp (s + n, "KB") == 0 || strcmp (s + n, "MB") == 0 || strcmp (s + n, "GB") == 0);
}

static int
parse_hugepage_limits (struct pctx *pc, json_t *a, const char *path, struct mr_spec_resources *res)
{
  char p[PATH_LEN], ep[PATH_LEN];
  size_t i;
  json_t *e;

  if (mr_spec_alloc_array (pc, a, sizeof *res->hugepage_limits, (void **)&res->hugepage_limits,
                           &res->n_hugepage_limits)
      < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_hugepage_limit *h = &res->hugepage_limits[i];

    mr_spec_index_path (p, path, i);
    if (mr_spec_v_object (pc, e, p) < 0
        || mr_spec_read_string (pc, e, p, "pageSize", true, &h->page_size) < 0
        || mr_spec_read_uint64 (pc, e, p, "limit", true, UINT64_MAX, &h->limit) < 0)
      return -1;
    mr_spec_key_path (ep, p, "pageSize");
    if (!valid_page_size (h->page_size))
      return mr_spec_fail (
          pc, ep, "'%s' is not a huge page size (want a number and KB, MB or GB, as in '2MB')",
          h->page_size);
    for (size_t j = 0; j < i; j++)
      if (strcmp (res->hugepage_limits[j].page_size, h->page_size) == 0)
        return mr_spec_fail (pc, ep, "duplicate page size '%s'", h->page_size);
  }
  return 0;
}

/* A name the kernel would take for a network interface, and that reads
 * back as one word in net_prio.ifpriomap.  */
static bool
valid_ifname (const char *s)
{
  size_t n = strlen (s);

  if (n == 0 || n >= 16 || strcmp (s, ".") == 0 || strcmp (s, "..") == 0)
    return false;
  for (; *s; s++)
    if (*s == '/' || *s == ':' || isspace ((unsigned char)*s))
      return false;
  return true;
}

static int
parse_network (struct pctx *pc, json_t *o, const char *path, struct mr_spec_resources *res)
{
  char p[PATH_LEN], ep[PATH_LEN];
  json_t *a, *e;
  size_t i;
  int r;

  if ((r = mr_spec_read_uint32 (pc, o, path, "classID", false, UINT32_MAX, &res->net_class_id)) < 0)
    return -1;
  res->net_class_id_set = r > 0;
  r = mr_spec_read_array (pc, o, path, "priorities", false, &a);
  if (r <= 0)
    return r;
  mr_spec_key_path (p, path, "priorities");
  if (mr_spec_alloc_array (pc, a, sizeof *res->net_priorities, (void **)&res->net_priorities,
                           &res->n_net_priorities)
      < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_net_priority *np = &res->net_priorities[i];

    mr_spec_index_path (ep, p, i);
    if (mr_spec_v_object (pc, e, ep) < 0
        || mr_spec_read_string (pc, e, ep, "name", true, &np->name) < 0
        || mr_spec_read_uint32 (pc, e, ep, "priority", true, UINT32_MAX, &np->priority) < 0)
      return -1;
    if (!valid_ifname (np->name))
      {
        char np_path[PATH_LEN];
        return mr_spec_fail (pc, mr_spec_key_path (np_path, ep, "name"),
                             "'%s' is not a valid interface name", np->name);
      }
  }
  return 0;
}

/* rdma.max takes "DEVICE key=value ...": the name must be one word.  */
static bool
valid_rdma_device (const char *s)
{
  size_t n = strlen (s);

  if (n == 0 || n >= 64)
    return false;
  for (; *s; s++)
    if (*s == '/' || *s == '=' || isspace ((unsigned char)*s) || iscntrl ((unsigned char)*s))
      return false;
  return true;
}

static int
parse_rdma (struct pctx *pc, json_t *o, const char *path, struct mr_spec_resources *res)
{
  char p[PATH_LEN];
  const char *name;
  json_t *v;
  size_t i = 0;
  int r;

  res->rdma = calloc (json_object_size (o) + 1, sizeof *res->rdma);
  if (res->rdma == NULL)
    return mr_spec_oom (pc);
  res->n_rdma = json_object_size (o);
  json_object_foreach (o, name, v)
  {
    struct mr_spec_rdma *d = &res->rdma[i++];

    mr_spec_key_path (p, path, name);
    d->device = strdup (name);
    if (d->device == NULL)
      return mr_spec_oom (pc);
    if (!valid_rdma_device (name))
      return mr_spec_fail (pc, p, "'%s' is not a valid rdma device name", name);
    if (mr_spec_v_object (pc, v, p) < 0)
      return -1;
    if ((r = mr_spec_read_uint32 (pc, v, p, "hcaHandles", false, UINT32_MAX, &d->hca_handles)) < 0)
      return -1;
    d->hca_handles_set = r > 0;
    if ((r = mr_spec_read_uint32 (pc, v, p, "hcaObjects", false, UINT32_MAX, &d->hca_objects)) < 0)
      return -1;
    d->hca_objects_set = r > 0;
  }
  return 0;
}

static int
parse_pids (struct pctx *pc, json_t *o, const char *path, struct mr_spec_resources *res)
{
  int r = mr_spec_read_int64 (pc, o, path, "limit", false, -1, INT64_MAX, &res->pids_limit);

  if (r < 0)
    return -1;
  res->pids_limit_set = r > 0;
  return 0;
}

/* The members of linux.resources, in the order they are read (and so the
 * order in which their errors are found).  */
static const struct
{
  const char *key;
  bool array;
  int (*parse) (struct pctx *pc, json_t *v, const char *path, struct mr_spec_resources *res);
} resource_members[] = {
  { "devices", true, parse_device_rules },
  { "memory", false, parse_memory },
  { "cpu", false, parse_cpu },
  { "pids", false, parse_pids },
  { "blockIO", false, parse_blkio },
  { "hugepageLimits", true, parse_hugepage_limits },
  { "network", false, parse_network },
  { "rdma", false, parse_rdma },
};

int
mr_spec_parse_resources (struct pctx *pc, json_t *obj, const char *path,
                         struct mr_spec_resources *res)
{
  char p[PATH_LEN];

  if (mr_spec_v_object (pc, obj, path) < 0)
    return -1;
  for (size_t i = 0; i < N_ELEMENTS (resource_members); i++)
    {
      const char *key = resource_members[i].key;
      json_t *v;
      int r = resource_members[i].array ? mr_spec_read_array (pc, obj, path, key, false, &v)
                                        : mr_spec_read_object (pc, obj, path, key, false, &v);
      if (r < 0)
        return -1;
      if (r > 0 && resource_members[i].parse (pc, v, mr_spec_key_path (p, path, key), res) < 0)
        return -1;
    }
  if (mr_spec_read_kv (pc, obj, path, "unified", &res->unified, &res->n_unified) < 0)
    return -1;
  return 0;
}
