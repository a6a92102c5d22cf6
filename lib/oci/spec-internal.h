#ifndef MINIRUN_OCI_SPEC_INTERNAL_H
#define MINIRUN_OCI_SPEC_INTERNAL_H

/* What the files that read config.json (spec*.c) share: the parsing
 * context, typed readers, and each section's parser and its free.  Not
 * part of the library's interface.  */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "oci/spec.h"
#include "util/error.h"

/* Longest field path an error message names
 * ("linux.seccomp.syscalls[12].args[3].valueTwo").  */
#define PATH_LEN 256

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

struct pctx
{
  const char *name;
  struct mr_error *err;
};

struct name_value
{
  const char *name;
  int value;
};

static inline int
mr_spec_name_lookup (const struct name_value *table, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (table[i].name, name) == 0)
      return table[i].value;
  return -1;
}

static inline int
mr_spec_index_of (const char *const *names, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (names[i], name) == 0)
      return (int)i;
  return -1;
}

/* spec-json.c: errors, field paths and typed readers.  mr_spec_read_* look
 * a member up and return 1 when it is set, 0 when absent (an error when
 * `req`), -1 on error; mr_spec_v_* check one value.  */
int mr_spec_fail (struct pctx *pc, const char *path, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
int mr_spec_oom (struct pctx *pc);
const char *mr_spec_key_path (char *buf, const char *parent, const char *key);
const char *mr_spec_index_path (char *buf, const char *parent, size_t i);
json_t *mr_spec_member (json_t *obj, const char *key);
bool mr_spec_is_big (json_t *v, uint64_t *out);
int mr_spec_load_json (struct pctx *pc, const char *json, size_t len, json_t **out);
int mr_spec_v_cstr (struct pctx *pc, json_t *v, const char *path, const char **out);
int mr_spec_v_uint64 (struct pctx *pc, json_t *v, const char *path, uint64_t max, uint64_t *out);
int mr_spec_v_object (struct pctx *pc, json_t *v, const char *path);
int mr_spec_v_strv (struct pctx *pc, json_t *v, const char *path, char ***out, size_t *n_out);
int mr_spec_read_string (struct pctx *pc, json_t *obj, const char *parent, const char *key,
                         bool req, char **out);
int mr_spec_read_cstr (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
                       const char **out);
int mr_spec_read_abs_path (struct pctx *pc, json_t *obj, const char *parent, const char *key,
                           bool req, char **out);
int mr_spec_read_bool (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
                       bool *out);
int mr_spec_read_int64 (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
                        int64_t min, int64_t max, int64_t *out);
int mr_spec_read_uint64 (struct pctx *pc, json_t *obj, const char *parent, const char *key,
                         bool req, uint64_t max, uint64_t *out);
int mr_spec_read_uint32 (struct pctx *pc, json_t *obj, const char *parent, const char *key,
                         bool req, uint32_t max, uint32_t *out);
int mr_spec_read_object (struct pctx *pc, json_t *obj, const char *parent, const char *key,
                         bool req, json_t **out);
int mr_spec_read_array (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
                        json_t **out);
int mr_spec_read_strv (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
                       char ***out, size_t *n_out);
int mr_spec_read_path_list (struct pctx *pc, json_t *obj, const char *parent, const char *key,
                            char ***out, size_t *n_out);
int mr_spec_read_kv (struct pctx *pc, json_t *obj, const char *parent, const char *key,
                     struct mr_spec_kv **out, size_t *n_out);
int mr_spec_alloc_array (struct pctx *pc, json_t *a, size_t elem, void **out, size_t *n);
void mr_spec_strv_free (char **v);
void mr_spec_kv_free (struct mr_spec_kv *kv, size_t n);
json_t *mr_spec_strv_json (const char *const *v, size_t n);
int mr_spec_dump_json (json_t *j, char **out, struct mr_error *err);

/* spec-process.c  */
int mr_spec_parse_process (struct pctx *pc, json_t *obj, const char *path,
                           struct mr_spec_process *proc);
json_t *mr_spec_caps_json (void);

/* spec-mounts.c  */
int mr_spec_parse_mounts (struct pctx *pc, json_t *a, struct mr_spec *spec);
void mr_spec_mounts_free (struct mr_spec_mount *mounts, size_t n);
json_t *mr_spec_mount_options_json (void);

/* spec-hooks.c  */
int mr_spec_parse_hooks (struct pctx *pc, json_t *obj, struct mr_spec_hooks *h);
void mr_spec_hooks_clear (struct mr_spec_hooks *h);

/* spec-resources.c  */
int mr_spec_parse_resources (struct pctx *pc, json_t *obj, const char *path,
                             struct mr_spec_resources *res);

/* spec-seccomp.c  */
int mr_spec_parse_seccomp (struct pctx *pc, json_t *obj, const char *path,
                           struct mr_spec_seccomp *sc);
void mr_spec_seccomp_free (struct mr_spec_seccomp *sc);
json_t *mr_spec_seccomp_features (void);

/* spec-linux.c  */
int mr_spec_parse_linux (struct pctx *pc, json_t *obj, struct mr_spec_linux *lx);
int mr_spec_parse_idmaps (struct pctx *pc, json_t *lxo, const char *parent, const char *key,
                          struct mr_spec_idmap **out, size_t *n_out);
json_t *mr_spec_namespaces_json (void);
void mr_spec_linux_clear (struct mr_spec_linux *lx);

#endif
