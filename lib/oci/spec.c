#include "config.h"

#include <ctype.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "oci/spec-internal.h"
#include "linux/creds.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/error.h"
#include "util/fs.h"

/* The entry points and the top level of config.json; each section of the
 * document is read by its own file (spec-process.c, spec-mounts.c,
 * spec-hooks.c, spec-linux.c, spec-resources.c, spec-seccomp.c).  */

/* Every parser stores what it allocates into the struct at once (arrays
 * with their final count, zero-filled), so this also frees a struct that a
 * failed parse left half-filled.  */
void
mr_spec_free (struct mr_spec *spec)
{
  if (spec == NULL)
    return;
  free (spec->oci_version);
  mr_spec_process_clear (&spec->process);
  free (spec->root_path);
  free (spec->hostname);
  free (spec->domainname);
  mr_spec_mounts_free (spec->mounts, spec->n_mounts);
  mr_spec_hooks_clear (&spec->hooks);
  mr_spec_kv_free (spec->annotations, spec->n_annotations);
  mr_spec_linux_clear (&spec->linux);
  free (spec);
}

/* Checks across fields, as runc makes them before creating anything.  */
static int
validate_spec (struct pctx *pc, struct mr_spec *spec)
{
  const struct mr_spec_linux *lx = &spec->linux;
  const struct mr_spec_namespace *userns = mr_spec_find_namespace (spec, CLONE_NEWUSER);

  if (userns == NULL && lx->n_uid_mappings > 0)
    return mr_spec_fail (pc, "linux.uidMappings", "mappings given without a user namespace");
  if (userns == NULL && lx->n_gid_mappings > 0)
    return mr_spec_fail (pc, "linux.gidMappings", "mappings given without a user namespace");
  if (userns != NULL && userns->path == NULL
      && (lx->n_uid_mappings == 0 || lx->n_gid_mappings == 0))
    {
      char p[PATH_LEN];
      return mr_spec_fail (
          pc, mr_spec_index_path (p, "linux.namespaces", (size_t)(userns - lx->namespaces)),
          "a new user namespace needs linux.uidMappings and linux.gidMappings");
    }
  for (size_t i = 0; i < spec->n_mounts; i++)
    if (spec->mounts[i].idmap && userns == NULL)
      {
        char p[PATH_LEN];
        return mr_spec_fail (pc, mr_spec_index_path (p, "mounts", i),
                             "an id-mapped mount needs a user namespace (add {\"type\": \"user\"} "
                             "with linux.uidMappings and linux.gidMappings)");
      }
  if (spec->hostname && *spec->hostname && mr_spec_find_namespace (spec, CLONE_NEWUTS) == NULL)
    return mr_spec_fail (pc, "hostname", "cannot be set without a uts namespace");
  if (spec->domainname && *spec->domainname && mr_spec_find_namespace (spec, CLONE_NEWUTS) == NULL)
    return mr_spec_fail (pc, "domainname", "cannot be set without a uts namespace");
  if (mr_sysctl_check (spec, pc->err) < 0)
    return mr_error_prefix (pc->err, "%s: linux.sysctl", pc->name);
  return 0;
}

/* "1.MINOR.PATCH", optionally followed by "-PRERELEASE" or "+BUILD".  */
static bool
version_supported (const char *v)
{
  const char *s = v;

  if (strncmp (s, "1.", 2) != 0)
    return false;
  s += 2;
  for (int part = 0; part < 2; part++)
    {
      if (!isdigit ((unsigned char)*s))
        return false;
      while (isdigit ((unsigned char)*s))
        s++;
      if (part == 0)
        {
          if (*s != '.')
            return false;
          s++;
        }
    }
  return *s == '\0' || ((*s == '-' || *s == '+') && s[1] != '\0');
}

static int
parse_spec (struct pctx *pc, json_t *root, struct mr_spec *spec)
{
  json_t *o;
  int r;

  if (mr_spec_read_string (pc, root, "", "ociVersion", true, &spec->oci_version) < 0)
    return -1;
  if (!version_supported (spec->oci_version))
    return mr_spec_fail (pc, "ociVersion", "'%s' is not a supported version (want 1.x)",
                         spec->oci_version);

  if (mr_spec_read_object (pc, root, "", "root", true, &o) < 0)
    return -1;
  if (mr_spec_read_string (pc, o, "root", "path", true, &spec->root_path) < 0
      || mr_spec_read_bool (pc, o, "root", "readonly", false, &spec->root_readonly) < 0)
    return -1;
  if (spec->root_path[0] == '\0')
    return mr_spec_fail (pc, "root.path", "must not be empty");

  r = mr_spec_read_object (pc, root, "", "process", false, &o);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      spec->has_process = true;
      if (mr_spec_parse_process (pc, o, "process", &spec->process) < 0)
        return -1;
    }

  if (mr_spec_read_string (pc, root, "", "hostname", false, &spec->hostname) < 0
      || mr_spec_read_string (pc, root, "", "domainname", false, &spec->domainname) < 0)
    return -1;

  r = mr_spec_read_array (pc, root, "", "mounts", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && mr_spec_parse_mounts (pc, o, spec) < 0)
    return -1;

  r = mr_spec_read_object (pc, root, "", "hooks", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && mr_spec_parse_hooks (pc, o, &spec->hooks) < 0)
    return -1;

  if (mr_spec_read_kv (pc, root, "", "annotations", &spec->annotations, &spec->n_annotations) < 0)
    return -1;

  r = mr_spec_read_object (pc, root, "", "linux", false, &o);
  if (r < 0)
    return -1;
  if (r > 0 && mr_spec_parse_linux (pc, o, &spec->linux) < 0)
    return -1;

  return validate_spec (pc, spec);
}

int
mr_spec_parse (const char *name, const char *json, size_t len, struct mr_spec **out,
               struct mr_error *err)
{
  struct pctx pc = { name ? name : "config.json", err };
  cleanup_json json_t *root = NULL;
  struct mr_spec *spec;

  *out = NULL;
  if (mr_spec_load_json (&pc, json, len, &root) < 0)
    return -1;
  spec = calloc (1, sizeof *spec);
  if (spec == NULL)
    return mr_spec_oom (&pc);
  if (parse_spec (&pc, root, spec) < 0)
    {
      mr_spec_free (spec);
      return -1;
    }
  *out = spec;
  return 0;
}

int
mr_spec_load_file (const char *path, struct mr_spec **out, struct mr_error *err)
{
  cleanup_free char *buf = NULL;
  const char *base;
  size_t len;

  *out = NULL;
  if (mr_read_file (path, &buf, &len, err) < 0)
    return -1;
  base = strrchr (path, '/');
  base = (base && base[1]) ? base + 1 : path;
  return mr_spec_parse (base, buf, len, out, err);
}

int
mr_spec_process_parse (const char *name, const char *json, size_t len, struct mr_spec_process *out,
                       struct mr_error *err)
{
  struct pctx pc = { name ? name : "process.json", err };
  cleanup_json json_t *root = NULL;

  memset (out, 0, sizeof *out);
  if (mr_spec_load_json (&pc, json, len, &root) < 0)
    return -1;
  if (mr_spec_parse_process (&pc, root, "", out) < 0)
    {
      mr_spec_process_clear (out);
      return -1;
    }
  return 0;
}

int
mr_spec_resources_parse (const char *name, const char *json, size_t len,
                         struct mr_spec_resources **out, struct mr_error *err)
{
  struct pctx pc = { name ? name : "resources.json", err };
  cleanup_json json_t *root = NULL;
  struct mr_spec_resources *res;

  *out = NULL;
  if (mr_spec_load_json (&pc, json, len, &root) < 0)
    return -1;
  res = calloc (1, sizeof *res);
  if (res == NULL)
    return mr_spec_oom (&pc);
  if (mr_spec_parse_resources (&pc, root, "", res) < 0)
    {
      mr_spec_resources_free (res);
      return -1;
    }
  *out = res;
  return 0;
}
