#include "config.h"

#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <jansson.h>

#include "oci/spec-internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* linux: namespaces, id mappings, sysctl, time offsets, devices, rootfs
 * propagation, masked and read-only paths; resources and seccomp have files
 * of their own.  */

/* In the order features lists them.  */
static const struct name_value namespace_names[] = {
  { "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC }, { "mount", CLONE_NEWNS },
  { "network", CLONE_NEWNET },   { "pid", CLONE_NEWPID }, { "time", CLONE_NEWTIME },
  { "user", CLONE_NEWUSER },     { "uts", CLONE_NEWUTS },
};

static const struct name_value propagation_names[] = {
  { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
  { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
  { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
  { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

int
mr_spec_namespace_from_name (const char *name)
{
  if (name == NULL)
    return -1;
  return mr_spec_name_lookup (namespace_names, N_ELEMENTS (namespace_names), name);
}

const struct mr_spec_namespace *
mr_spec_find_namespace (const struct mr_spec *spec, int type)
{
  if (spec == NULL)
    return NULL;
  for (size_t i = 0; i < spec->linux.n_namespaces; i++)
    if (spec->linux.namespaces[i].type == type)
      return &spec->linux.namespaces[i];
  return NULL;
}

json_t *
mr_spec_namespaces_json (void)
{
  const char *ns[N_ELEMENTS (namespace_names)];

  for (size_t i = 0; i < N_ELEMENTS (namespace_names); i++)
    ns[i] = namespace_names[i].name;
  return mr_spec_strv_json (ns, N_ELEMENTS (ns));
}

void
mr_spec_linux_clear (struct mr_spec_linux *lx)
{
  if (lx->namespaces)
    for (size_t i = 0; i < lx->n_namespaces; i++)
      free (lx->namespaces[i].path);
  free (lx->namespaces);
  free (lx->uid_mappings);
  free (lx->gid_mappings);
  mr_spec_kv_free (lx->sysctl, lx->n_sysctl);
  mr_spec_resources_free (lx->resources);
  free (lx->cgroups_path);
  if (lx->devices)
    for (size_t i = 0; i < lx->n_devices; i++)
      free (lx->devices[i].path);
  free (lx->devices);
  mr_spec_seccomp_free (lx->seccomp);
  mr_spec_strv_free (lx->masked_paths);
  mr_spec_strv_free (lx->readonly_paths);
  free (lx->mount_label);
}

static int
parse_namespaces (struct pctx *pc, json_t *a, const char *path, struct mr_spec_linux *lx)
{
  char p[PATH_LEN], ep[PATH_LEN];
  size_t i;
  json_t *e;

  if (mr_spec_alloc_array (pc, a, sizeof *lx->namespaces, (void **)&lx->namespaces,
                           &lx->n_namespaces)
      < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_namespace *ns = &lx->namespaces[i];
    const char *type;

    mr_spec_index_path (p, path, i);
    if (mr_spec_v_object (pc, e, p) < 0)
      return -1;
    if (mr_spec_read_cstr (pc, e, p, "type", true, &type) < 0)
      return -1;
    mr_spec_key_path (ep, p, "type");
    ns->type = mr_spec_namespace_from_name (type);
    if (ns->type < 0)
      return mr_spec_fail (pc, ep, "unknown namespace type '%s'", type);
    for (size_t j = 0; j < i; j++)
      if (lx->namespaces[j].type == ns->type)
        return mr_spec_fail (pc, ep, "duplicate namespace type '%s'", type);
    if (mr_spec_read_abs_path (pc, e, p, "path", false, &ns->path) < 0)
      return -1;
  }
  return 0;
}

int
mr_spec_parse_idmaps (struct pctx *pc, json_t *lxo, const char *parent, const char *key,
                      struct mr_spec_idmap **out, size_t *n_out)
{
  char p[PATH_LEN], ep[PATH_LEN];
  json_t *a, *e;
  size_t i;
  int r = mr_spec_read_array (pc, lxo, parent, key, false, &a);

  if (r <= 0)
    return r;
  mr_spec_key_path (p, parent, key);
  if (mr_spec_alloc_array (pc, a, sizeof **out, (void **)out, n_out) < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_idmap *m = &(*out)[i];

    mr_spec_index_path (ep, p, i);
    if (mr_spec_v_object (pc, e, ep) < 0)
      return -1;
    if (mr_spec_read_uint32 (pc, e, ep, "containerID", true, UINT32_MAX, &m->container_id) < 0
        || mr_spec_read_uint32 (pc, e, ep, "hostID", true, UINT32_MAX, &m->host_id) < 0
        || mr_spec_read_uint32 (pc, e, ep, "size", true, UINT32_MAX, &m->size) < 0)
      return -1;
    if (m->size == 0)
      {
        char sp[PATH_LEN];
        return mr_spec_fail (pc, mr_spec_key_path (sp, ep, "size"), "must be greater than 0");
      }
  }
  return 0;
}

static int
parse_devices (struct pctx *pc, json_t *a, const char *path, struct mr_spec_linux *lx)
{
  char p[PATH_LEN], ep[PATH_LEN];
  size_t i;
  json_t *e;

  if (mr_spec_alloc_array (pc, a, sizeof *lx->devices, (void **)&lx->devices, &lx->n_devices) < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_device *d = &lx->devices[i];
    const char *type;
    bool need_numbers;
    uint64_t n;
    uint32_t id;
    int r;

    mr_spec_index_path (p, path, i);
    if (mr_spec_v_object (pc, e, p) < 0)
      return -1;
    if (mr_spec_read_cstr (pc, e, p, "type", true, &type) < 0)
      return -1;
    if (strlen (type) != 1 || strchr ("cbup", type[0]) == NULL)
      return mr_spec_fail (pc, mr_spec_key_path (ep, p, "type"),
                           "unknown device type '%s' (want c, b, u or p)", type);
    d->type = type[0];
    if (mr_spec_read_abs_path (pc, e, p, "path", true, &d->path) < 0)
      return -1;
    need_numbers = d->type != 'p';
    if (mr_spec_read_int64 (pc, e, p, "major", need_numbers, 0, UINT32_MAX, &d->major) < 0
        || mr_spec_read_int64 (pc, e, p, "minor", need_numbers, 0, UINT32_MAX, &d->minor) < 0)
      return -1;
    /* A full st_mode is accepted (Podman sends 020666): its type bits, when
       given, must be the device's type; only the permission bits are kept.  */
    if ((r = mr_spec_read_uint64 (pc, e, p, "fileMode", false, S_IFMT | 07777, &n)) < 0)
      return -1;
    if (r > 0 && (n & S_IFMT) != 0)
      {
        mode_t want = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
        if ((n & S_IFMT) != want)
          return mr_spec_fail (pc, mr_spec_key_path (ep, p, "fileMode"),
                               "file type bits 0%06" PRIo64 " do not match device type '%c'",
                               n & (uint64_t)S_IFMT, d->type);
      }
    d->file_mode_set = r > 0;
    d->file_mode = (mode_t)(r > 0 ? n & 07777 : 0);
    if ((r = mr_spec_read_uint32 (pc, e, p, "uid", false, UINT32_MAX, &id)) < 0)
      return -1;
    d->uid_set = r > 0;
    d->uid = r > 0 ? id : 0;
    if ((r = mr_spec_read_uint32 (pc, e, p, "gid", false, UINT32_MAX, &id)) < 0)
      return -1;
    d->gid_set = r > 0;
    d->gid = r > 0 ? id : 0;
  }
  return 0;
}

static int
parse_time_offsets (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_linux *lx)
{
  static const char *const clocks[] = { "boottime", "monotonic" };
  int64_t *secs[] = { &lx->boottime_secs, &lx->monotonic_secs };
  uint32_t *nsecs[] = { &lx->boottime_nsecs, &lx->monotonic_nsecs };
  char tp[PATH_LEN], cp[PATH_LEN];
  bool new_time = false;
  json_t *o;
  int r = mr_spec_read_object (pc, obj, path, "timeOffsets", false, &o);

  if (r <= 0)
    return r;
  mr_spec_key_path (tp, path, "timeOffsets");
  for (size_t k = 0; k < 2; k++)
    {
      json_t *c;
      r = mr_spec_read_object (pc, o, tp, clocks[k], false, &c);
      if (r < 0)
        return -1;
      if (r == 0)
        continue;
      lx->time_offsets_set = true;
      mr_spec_key_path (cp, tp, clocks[k]);
      if (mr_spec_read_int64 (pc, c, cp, "secs", false, INT64_MIN / 2, INT64_MAX / 2, secs[k]) < 0
          || mr_spec_read_uint32 (pc, c, cp, "nanosecs", false, 999999999, nsecs[k]) < 0)
        return -1;
    }
  /* an empty object asks for nothing */
  if (!lx->time_offsets_set)
    return 0;
  for (size_t i = 0; i < lx->n_namespaces; i++)
    new_time |= lx->namespaces[i].type == CLONE_NEWTIME && lx->namespaces[i].path == NULL;
  if (!new_time)
    return mr_spec_fail (pc, tp, "needs a new time namespace in linux.namespaces");
  return 0;
}

static int
parse_linux_resources (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_linux *lx)
{
  char p[PATH_LEN];
  json_t *o;
  int r = mr_spec_read_object (pc, obj, path, "resources", false, &o);

  if (r <= 0)
    return r;
  lx->resources = calloc (1, sizeof *lx->resources);
  if (lx->resources == NULL)
    return mr_spec_oom (pc);
  return mr_spec_parse_resources (pc, o, mr_spec_key_path (p, path, "resources"), lx->resources);
}

static int
parse_linux_seccomp (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_linux *lx)
{
  char p[PATH_LEN];
  json_t *o;
  int r = mr_spec_read_object (pc, obj, path, "seccomp", false, &o);

  if (r <= 0)
    return r;
  lx->seccomp = calloc (1, sizeof *lx->seccomp);
  if (lx->seccomp == NULL)
    return mr_spec_oom (pc);
  return mr_spec_parse_seccomp (pc, o, mr_spec_key_path (p, path, "seccomp"), lx->seccomp);
}

static int
parse_rootfs_propagation (struct pctx *pc, json_t *obj, const char *path, struct mr_spec_linux *lx)
{
  char p[PATH_LEN];
  const char *prop;
  int f;
  int r = mr_spec_read_cstr (pc, obj, path, "rootfsPropagation", false, &prop);

  if (r <= 0 || *prop == '\0')
    return r < 0 ? -1 : 0;
  f = mr_spec_name_lookup (propagation_names, N_ELEMENTS (propagation_names), prop);
  if (f < 0)
    return mr_spec_fail (pc, mr_spec_key_path (p, path, "rootfsPropagation"),
                         "unknown propagation '%s'", prop);
  lx->rootfs_propagation = (unsigned long)f;
  return 0;
}

int
mr_spec_parse_linux (struct pctx *pc, json_t *obj, struct mr_spec_linux *lx)
{
  const char *path = "linux";
  char p[PATH_LEN];
  json_t *o;
  int r;

  r = mr_spec_read_array (pc, obj, path, "namespaces", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && parse_namespaces (pc, o, mr_spec_key_path (p, path, "namespaces"), lx) < 0)
    return -1;
  if (mr_spec_parse_idmaps (pc, obj, "linux", "uidMappings", &lx->uid_mappings, &lx->n_uid_mappings)
          < 0
      || mr_spec_parse_idmaps (pc, obj, "linux", "gidMappings", &lx->gid_mappings,
                               &lx->n_gid_mappings)
             < 0)
    return -1;
  if (mr_spec_read_kv (pc, obj, path, "sysctl", &lx->sysctl, &lx->n_sysctl) < 0)
    return -1;
  if (parse_time_offsets (pc, obj, path, lx) < 0 || parse_linux_resources (pc, obj, path, lx) < 0)
    return -1;

  if (mr_spec_read_string (pc, obj, path, "cgroupsPath", false, &lx->cgroups_path) < 0)
    return -1;

  r = mr_spec_read_array (pc, obj, path, "devices", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && parse_devices (pc, o, mr_spec_key_path (p, path, "devices"), lx) < 0)
    return -1;
  if (parse_linux_seccomp (pc, obj, path, lx) < 0
      || parse_rootfs_propagation (pc, obj, path, lx) < 0)
    return -1;

  if (mr_spec_read_path_list (pc, obj, path, "maskedPaths", &lx->masked_paths, &lx->n_masked_paths)
          < 0
      || mr_spec_read_path_list (pc, obj, path, "readonlyPaths", &lx->readonly_paths,
                                 &lx->n_readonly_paths)
             < 0
      || mr_spec_read_string (pc, obj, path, "mountLabel", false, &lx->mount_label) < 0)
    return -1;
  return 0;
}
