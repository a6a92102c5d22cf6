/* seccomp: the filter is compiled with libseccomp in the parent, before
 * clone, and loaded as raw BPF in the child as its last step before execve.
 * A filter with SCMP_ACT_NOTIFY rules is loaded with a listener, which the
 * runtime hands to the agent at linux.seccomp.listenerPath.  */
#ifndef MR_LINUX_SECCOMP_H
#define MR_LINUX_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "minirun.h"
#include "oci/spec.h"

struct mr_seccomp_prog
{
  void *filter;   /* struct sock_filter[] */
  size_t len;     /* number of instructions */
  unsigned flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
};

/* Whether loading prog gives a listener fd (some rule is SCMP_ACT_NOTIFY).  */
bool mr_seccomp_has_listener (const struct mr_seccomp_prog *prog);

/* Compiles linux.seccomp; unknown syscall names for the architecture are
 * skipped (as runc and crun do), unknown architectures, flags or actions
 * are errors.  */
int mr_seccomp_compile (const struct mr_spec_seccomp *sc, struct mr_seccomp_prog *out,
                        struct mr_error *err);
/* Async-signal-safe enough for a forked child: no allocation.  When the
 * filter has a listener, *listener receives it (O_CLOEXEC), else -1;
 * listener may be NULL only for a filter without one.  */
int mr_seccomp_load (const struct mr_seccomp_prog *prog, int *listener, struct mr_error *err);
/* Sends the runtime-spec's containerProcessState to the agent listening at
 * sc->listener_path: one connection, one message, the listener fd in
 * SCM_RIGHTS.  pid is the process the filter is in, state the container's
 * state document.  The caller keeps listener.  */
int mr_seccomp_send_to_agent (const struct mr_spec_seccomp *sc, pid_t pid, json_t *state,
                              int listener, struct mr_error *err);
void mr_seccomp_prog_clear (struct mr_seccomp_prog *prog);

#endif
