#include "config.h"

#include <limits.h>
#include <stdlib.h>

#include <jansson.h>

#include "oci/spec-internal.h"

/* hooks: the six lists of programs run around the container's life.  */

static void
hooks_free (struct mr_spec_hook *h, size_t n)
{
  if (h == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    {
      free (h[i].path);
      mr_spec_strv_free (h[i].args);
      mr_spec_strv_free (h[i].env);
    }
  free (h);
}

void
mr_spec_hooks_clear (struct mr_spec_hooks *h)
{
  hooks_free (h->prestart, h->n_prestart);
  hooks_free (h->create_runtime, h->n_create_runtime);
  hooks_free (h->create_container, h->n_create_container);
  hooks_free (h->start_container, h->n_start_container);
  hooks_free (h->poststart, h->n_poststart);
  hooks_free (h->poststop, h->n_poststop);
}

static int
parse_hook_list (struct pctx *pc, json_t *hooks, const char *key, struct mr_spec_hook **out,
                 size_t *n_out)
{
  char p[PATH_LEN], ep[PATH_LEN];
  json_t *a, *e;
  size_t i;
  int r = mr_spec_read_array (pc, hooks, "hooks", key, false, &a);

  if (r <= 0)
    return r;
  mr_spec_key_path (p, "hooks", key);
  if (mr_spec_alloc_array (pc, a, sizeof **out, (void **)out, n_out) < 0)
    return -1;
  json_array_foreach (a, i, e)
  {
    struct mr_spec_hook *h = &(*out)[i];
    int64_t timeout;

    mr_spec_index_path (ep, p, i);
    if (mr_spec_v_object (pc, e, ep) < 0)
      return -1;
    if (mr_spec_read_abs_path (pc, e, ep, "path", true, &h->path) < 0
        || mr_spec_read_strv (pc, e, ep, "args", false, &h->args, NULL) < 0
        || mr_spec_read_strv (pc, e, ep, "env", false, &h->env, NULL) < 0)
      return -1;
    r = mr_spec_read_int64 (pc, e, ep, "timeout", false, INT64_MIN, INT_MAX, &timeout);
    if (r < 0)
      return -1;
    if (r > 0 && timeout <= 0)
      {
        char tp[PATH_LEN];
        return mr_spec_fail (pc, mr_spec_key_path (tp, ep, "timeout"), "must be greater than 0");
      }
    if (r > 0)
      h->timeout = (int)timeout;
  }
  return 0;
}

int
mr_spec_parse_hooks (struct pctx *pc, json_t *obj, struct mr_spec_hooks *h)
{
  if (parse_hook_list (pc, obj, "prestart", &h->prestart, &h->n_prestart) < 0
      || parse_hook_list (pc, obj, "createRuntime", &h->create_runtime, &h->n_create_runtime) < 0
      || parse_hook_list (pc, obj, "createContainer", &h->create_container, &h->n_create_container)
             < 0
      || parse_hook_list (pc, obj, "startContainer", &h->start_container, &h->n_start_container) < 0
      || parse_hook_list (pc, obj, "poststart", &h->poststart, &h->n_poststart) < 0
      || parse_hook_list (pc, obj, "poststop", &h->poststop, &h->n_poststop) < 0)
    return -1;
  return 0;
}
