/* OCI hooks: each runs with the container state JSON on its stdin.  */
#ifndef MR_HOOKS_H
#define MR_HOOKS_H

#include <stddef.h>

#include "minirun.h"
#include "spec.h"

/* Runs hooks in order and stops at the first that fails or times out
 * ("prestart hook '/x' exited with status 1").  kind names the stage.  */
int mr_hooks_run (const struct mr_spec_hook *hooks, size_t n, const char *kind,
                  const char *state_json, struct mr_error *err);

#endif
