/* OCI hooks: each runs with the container state JSON on its stdin.  */
#ifndef MR_HOOKS_H
#define MR_HOOKS_H

#include <stddef.h>

#include "minirun.h"
#include "oci/spec.h"

/* Where hooks run and what they get when their own "env" is absent: as
 * runc, the bundle directory and the runtime's environment, except for
 * createContainer (the rootfs and the container process's environment).  */
struct mr_hook_where
{
  const char *cwd;   /* NULL: the runtime's own */
  char *const *env;  /* NULL: the runtime's environment */
};

/* Runs hooks in order and stops at the first that fails or times out
 * ("prestart hook '/x' exited with status 1").  kind names the stage.  */
int mr_hooks_run (const struct mr_spec_hook *hooks, size_t n, const char *kind,
                  const char *state_json, const struct mr_hook_where *where,
                  struct mr_error *err);

#endif
