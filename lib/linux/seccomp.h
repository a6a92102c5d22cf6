/* seccomp: the filter is compiled with libseccomp in the parent, before
 * clone, and loaded as raw BPF in the child as its last step before execve.  */
#ifndef MR_LINUX_SECCOMP_H
#define MR_LINUX_SECCOMP_H

#include <stddef.h>

#include "minirun.h"
#include "spec.h"

struct mr_seccomp_prog
{
  void *filter;   /* struct sock_filter[] */
  size_t len;     /* number of instructions */
  unsigned flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
};

/* Compiles linux.seccomp; unknown syscall names for the architecture are
 * skipped (as runc and crun do), unknown architectures, flags or actions
 * are errors.  */
int mr_seccomp_compile (const struct mr_spec_seccomp *sc, struct mr_seccomp_prog *out,
                        struct mr_error *err);
/* Async-signal-safe enough for a forked child: no allocation.  */
int mr_seccomp_load (const struct mr_seccomp_prog *prog, struct mr_error *err);
void mr_seccomp_prog_clear (struct mr_seccomp_prog *prog);

#endif
