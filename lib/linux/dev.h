/* /dev inside the container.  */
#ifndef MR_LINUX_DEV_H
#define MR_LINUX_DEV_H

#include <stdbool.h>

#include "minirun.h"
#include "oci/spec.h"

/* Given fds of the container's root and of its /dev directory (already a
 * fresh tmpfs, or the directory the spec mounted), creates the default
 * devices (null, zero, full, random, urandom, tty) in /dev, then
 * linux.devices wherever their paths are (parent directories made 0755),
 * the ptmx link to pts/ptmx, and the fd, stdin, stdout, stderr symlinks.
 * With userns, devices are bind-mounted from the host's node of the same
 * type and number instead of made with mknod.  */
int mr_dev_populate (int rootfd, int devfd, const char *dev_path, const struct mr_spec *spec,
                     bool userns, struct mr_error *err);

#endif
