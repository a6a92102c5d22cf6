#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include <jansson.h>

#include "oci/spec-internal.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/* mounts and their options.  */

/* In a recursive option's flag: the attribute is cleared, not set;
   the atime mode is replaced (MOUNT_ATTR__ATIME cleared first).  */
#define RATTR_CLEAR (1UL << 30)
#define RATTR_ATIME (1UL << 31)

enum mount_opt_kind
{
  OPT_SET,
  OPT_CLEAR,
  OPT_PROPAGATION,
  OPT_TMPCOPYUP,
  OPT_NOOP,
  OPT_RECURSIVE_ATTR, /* MOUNT_ATTR_* on the whole tree, with the RATTR_ bits */
  OPT_IDMAP,          /* id-mapped mounts: not supported */
};

static const struct mount_opt
{
  const char *name;
  enum mount_opt_kind kind;
  unsigned long flag;
} mount_opts[] = {
  { "defaults", OPT_NOOP, 0 },
  { "ro", OPT_SET, MS_RDONLY },
  { "rw", OPT_CLEAR, MS_RDONLY },
  { "nosuid", OPT_SET, MS_NOSUID },
  { "suid", OPT_CLEAR, MS_NOSUID },
  { "nodev", OPT_SET, MS_NODEV },
  { "dev", OPT_CLEAR, MS_NODEV },
  { "noexec", OPT_SET, MS_NOEXEC },
  { "exec", OPT_CLEAR, MS_NOEXEC },
  { "sync", OPT_SET, MS_SYNCHRONOUS },
  { "async", OPT_CLEAR, MS_SYNCHRONOUS },
  { "dirsync", OPT_SET, MS_DIRSYNC },
  { "remount", OPT_SET, MS_REMOUNT },
  { "mand", OPT_SET, MS_MANDLOCK },
  { "nomand", OPT_CLEAR, MS_MANDLOCK },
  { "noatime", OPT_SET, MS_NOATIME },
  { "atime", OPT_CLEAR, MS_NOATIME },
  { "nodiratime", OPT_SET, MS_NODIRATIME },
  { "diratime", OPT_CLEAR, MS_NODIRATIME },
  { "relatime", OPT_SET, MS_RELATIME },
  { "norelatime", OPT_CLEAR, MS_RELATIME },
  { "strictatime", OPT_SET, MS_STRICTATIME },
  { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
  { "lazytime", OPT_SET, MS_LAZYTIME },
  { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
  { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
  { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
  { "iversion", OPT_SET, MS_I_VERSION },
  { "noiversion", OPT_CLEAR, MS_I_VERSION },
  { "silent", OPT_SET, MS_SILENT },
  { "loud", OPT_CLEAR, MS_SILENT },
  { "bind", OPT_SET, MS_BIND },
  { "rbind", OPT_SET, MS_BIND | MS_REC },
  { "private", OPT_PROPAGATION, MS_PRIVATE },
  { "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
  { "shared", OPT_PROPAGATION, MS_SHARED },
  { "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
  { "slave", OPT_PROPAGATION, MS_SLAVE },
  { "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
  { "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
  { "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
  { "tmpcopyup", OPT_TMPCOPYUP, 0 },
  { "rro", OPT_RECURSIVE_ATTR, MOUNT_ATTR_RDONLY },
  { "rrw", OPT_RECURSIVE_ATTR, RATTR_CLEAR | MOUNT_ATTR_RDONLY },
  { "rnosuid", OPT_RECURSIVE_ATTR, MOUNT_ATTR_NOSUID },
  { "rsuid", OPT_RECURSIVE_ATTR, RATTR_CLEAR | MOUNT_ATTR_NOSUID },
  { "rnodev", OPT_RECURSIVE_ATTR, MOUNT_ATTR_NODEV },
  { "rdev", OPT_RECURSIVE_ATTR, RATTR_CLEAR | MOUNT_ATTR_NODEV },
  { "rnoexec", OPT_RECURSIVE_ATTR, MOUNT_ATTR_NOEXEC },
  { "rexec", OPT_RECURSIVE_ATTR, RATTR_CLEAR | MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OPT_RECURSIVE_ATTR, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", OPT_RECURSIVE_ATTR, RATTR_CLEAR | MOUNT_ATTR_NODIRATIME },
  { "rrelatime", OPT_RECURSIVE_ATTR, RATTR_ATIME | MOUNT_ATTR_RELATIME },
  { "rnorelatime", OPT_RECURSIVE_ATTR, RATTR_ATIME | MOUNT_ATTR_STRICTATIME },
  { "rnoatime", OPT_RECURSIVE_ATTR, RATTR_ATIME | MOUNT_ATTR_NOATIME },
  { "ratime", OPT_RECURSIVE_ATTR, RATTR_ATIME | MOUNT_ATTR_RELATIME },
  { "rstrictatime", OPT_RECURSIVE_ATTR, RATTR_ATIME | MOUNT_ATTR_STRICTATIME },
  { "rnostrictatime", OPT_RECURSIVE_ATTR, RATTR_ATIME | MOUNT_ATTR_RELATIME },
  { "rnosymfollow", OPT_RECURSIVE_ATTR, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", OPT_RECURSIVE_ATTR, RATTR_CLEAR | MOUNT_ATTR_NOSYMFOLLOW },
  { "idmap", OPT_IDMAP, 0 },
  { "ridmap", OPT_IDMAP, 0 },
};

void
mr_spec_mounts_free (struct mr_spec_mount *mounts, size_t n)
{
  if (mounts == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    {
      free (mounts[i].destination);
      free (mounts[i].source);
      free (mounts[i].type);
      free (mounts[i].data);
      free (mounts[i].uid_mappings);
      free (mounts[i].gid_mappings);
    }
  free (mounts);
}

json_t *
mr_spec_mount_options_json (void)
{
  const char *opts[N_ELEMENTS (mount_opts)];
  size_t n_opts = 0;

  for (size_t i = 0; i < N_ELEMENTS (mount_opts); i++)
    opts[n_opts++] = mount_opts[i].name;
  return mr_spec_strv_json (opts, n_opts);
}

static int
append_data (struct pctx *pc, char **data, const char *opt)
{
  size_t old = *data ? strlen (*data) : 0, add = strlen (opt);
  char *n = realloc (*data, old + add + 2);

  if (n == NULL)
    return mr_spec_oom (pc);
  if (old)
    n[old++] = ',';
  memcpy (n + old, opt, add + 1);
  *data = n;
  return 0;
}

static const struct mount_opt *
find_mount_opt (const char *name)
{
  for (size_t i = 0; i < N_ELEMENTS (mount_opts); i++)
    if (strcmp (mount_opts[i].name, name) == 0)
      return &mount_opts[i];
  return NULL;
}

static void
apply_recursive_attr (struct mr_spec_mount *m, unsigned long flag)
{
  unsigned int attr = (unsigned int)(flag & ~(RATTR_CLEAR | RATTR_ATIME));

  if (flag & RATTR_ATIME)
    {
      m->attr_clr |= MOUNT_ATTR__ATIME;
      m->attr_set = (m->attr_set & ~MOUNT_ATTR__ATIME) | attr;
    }
  else if (flag & RATTR_CLEAR)
    {
      m->attr_clr |= attr;
      m->attr_set &= ~attr;
    }
  else
    {
      m->attr_set |= attr;
      m->attr_clr &= ~attr;
    }
}

static void
apply_mount_opt (struct mr_spec_mount *m, const struct mount_opt *o, const char *name)
{
  switch (o->kind)
    {
    case OPT_SET:
      m->flags |= o->flag;
      m->clear_flags &= ~o->flag;
      break;
    case OPT_CLEAR:
      m->flags &= ~o->flag;
      m->clear_flags |= o->flag;
      break;
    case OPT_PROPAGATION:
      m->propagation = o->flag;
      break;
    case OPT_TMPCOPYUP:
      m->tmpcopyup = true;
      break;
    case OPT_NOOP:
      break;
    case OPT_RECURSIVE_ATTR:
      apply_recursive_attr (m, o->flag);
      break;
    case OPT_IDMAP:
      m->idmap = true;
      m->idmap_recursive = name[0] == 'r';
      break;
    }
}

/* Later options win over earlier ones ("ro,rw" is read-write), as with
 * mount(8).  */
static int
parse_mount_options (struct pctx *pc, json_t *a, const char *path, struct mr_spec_mount *m)
{
  char p[PATH_LEN];
  size_t i;
  json_t *e;

  json_array_foreach (a, i, e)
  {
    const struct mount_opt *o;
    const char *name;

    if (mr_spec_v_cstr (pc, e, mr_spec_index_path (p, path, i), &name) < 0)
      return -1;
    if (*name == '\0')
      return mr_spec_fail (pc, p, "empty mount option");
    o = find_mount_opt (name);
    if (o != NULL)
      apply_mount_opt (m, o, name);
    else if (append_data (pc, &m->data, name) < 0)
      return -1;
  }
  return 0;
}

int
mr_spec_parse_mounts (struct pctx *pc, json_t *a, struct mr_spec *spec)
{
  char p[PATH_LEN], ep[PATH_LEN];
  size_t i;
  json_t *e;

  if (mr_spec_alloc_array (pc, a, sizeof *spec->mounts, (void **)&spec->mounts, &spec->n_mounts)
      < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_mount *m = &spec->mounts[i];
    json_t *opts;
    int r;

    mr_spec_index_path (p, "mounts", i);
    if (mr_spec_v_object (pc, e, p) < 0)
      return -1;
    if (mr_spec_read_abs_path (pc, e, p, "destination", true, &m->destination) < 0
        || mr_spec_read_string (pc, e, p, "type", false, &m->type) < 0
        || mr_spec_read_string (pc, e, p, "source", false, &m->source) < 0)
      return -1;
    r = mr_spec_read_array (pc, e, p, "options", false, &opts);
    if (r < 0)
      return -1;
    if (r > 0 && parse_mount_options (pc, opts, mr_spec_key_path (ep, p, "options"), m) < 0)
      return -1;
    if (m->type && strcmp (m->type, "bind") == 0)
      m->flags |= MS_BIND;
    if ((m->flags & MS_BIND) && m->source == NULL)
      return mr_spec_fail (pc, mr_spec_key_path (ep, p, "source"), "required for a bind mount");
    if (mr_spec_parse_idmaps (pc, e, p, "uidMappings", &m->uid_mappings, &m->n_uid_mappings) < 0
        || mr_spec_parse_idmaps (pc, e, p, "gidMappings", &m->gid_mappings, &m->n_gid_mappings) < 0)
      return -1;
    if (m->n_uid_mappings || m->n_gid_mappings)
      m->idmap = true;
    if (m->idmap && m->type && !(m->flags & MS_BIND) && strcmp (m->type, "rbind") != 0)
      return mr_spec_fail (pc, p, "an id-mapped mount must be a bind mount");
    if ((m->n_uid_mappings == 0) != (m->n_gid_mappings == 0))
      return mr_spec_fail (pc, p, "an id-mapped mount needs both uidMappings and gidMappings");
  }
  return 0;
}
