/* /dev inside the container.  */
#ifndef MR_LINUX_DEV_H
#define MR_LINUX_DEV_H

#include <stdbool.h>

#include "minirun.h"
#include "spec.h"

/* Given an fd of the container's /dev directory (already a fresh tmpfs,
 * or the directory the spec mounted), creates the default devices (null,
 * zero, full, random, urandom, tty), then linux.devices, the ptmx link to
 * pts/ptmx, and the fd, stdin, stdout, stderr symlinks.  With userns,
 * devices are bind-mounted from the host instead of made with mknod.  */
int mr_dev_populate (int devfd, const char *dev_path, const struct mr_spec *spec, bool userns,
                     struct mr_error *err);

#endif
