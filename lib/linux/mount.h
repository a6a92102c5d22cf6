/* The container's root filesystem: mounts, pivot_root, masked and
 * readonly paths.  Runs in the container's child process, inside its new
 * mount namespace.  */
#ifndef MR_LINUX_MOUNT_H
#define MR_LINUX_MOUNT_H

#include <stdbool.h>

#include "minirun.h"
#include "oci/spec.h"

struct mr_rootfs_opts
{
  const struct mr_spec *spec;
  const char *rootfs; /* absolute host path of the root directory */
  bool userns;        /* a new user namespace: mknod is not allowed, bind devices */
  bool new_cgroupns;  /* cgroup mounts show the namespace's root */
  /* The container's cgroup, as a path inside each hierarchy
     ("/minirun/web"); what a cgroup mount shows without a cgroup
     namespace.  NULL: the process's own, from /proc/self/cgroup.  */
  const char *cgroup_path;
  /* One per spec mount, from mr_rootfs_open_sources: a bind source as
     the runtime reached it, or -1.  NULL: none.  */
  const int *source_fds;
};

/* In the runtime, before the child enters a user namespace: clones the
 * tree of each bind mount's source (open_tree), so that a source the
 * namespace's root cannot reach (under a directory only the host's root
 * may enter) can still be mounted, and makes the id-mapped ones
 * (mount_setattr MOUNT_ATTR_IDMAP with a user namespace of their
 * mappings).  fds has one slot per spec mount, -1 where nothing was
 * opened (not a bind, the kernel has no open_tree, or the source cannot
 * be opened: the child reports that).  Fails only for an id-mapped mount
 * that cannot be made; fds are then all closed.  */
int mr_rootfs_open_sources (const struct mr_spec *spec, int *fds, struct mr_error *err);

/* Before the createContainer hooks: makes the mount tree private (or as
 * rootfsPropagation says), bind-mounts rootfs onto itself, performs every
 * spec mount in order (bind/rbind, tmpfs with tmpcopyup, proc, sysfs,
 * devpts, mqueue, cgroup, ...), and populates /dev (tmpfs with the default
 * devices, linux.devices, ptmx, pts, shm, the fd/stdin/stdout/stderr
 * links) unless the spec mounts something else on /dev.  Destinations are
 * resolved inside rootfs safely.  */
int mr_rootfs_prepare (const struct mr_rootfs_opts *opts, struct mr_error *err);

/* A config without a mount namespace runs in the runtime's own, as the
 * spec has it, but no mount is ever made there: mounts, masked and
 * read-only paths, a read-only root, rootfsPropagation, linux.devices and
 * no_pivot are refused with a message that says so.  */
int mr_rootfs_check_inherited (const struct mr_spec *spec, bool no_pivot, struct mr_error *err);

/* Without a mount namespace: chroot into rootfs, cwd at the new /.  */
int mr_rootfs_chroot (const char *rootfs, struct mr_error *err);

/* pivot_root into rootfs and detach the old root; with no_pivot, MS_MOVE
 * the root onto / and chroot.  Leaves the cwd at the new /.  */
int mr_rootfs_pivot (const char *rootfs, bool no_pivot, struct mr_error *err);

/* After pivot: maskedPaths, readonlyPaths, root.readonly, then the final
 * rootfsPropagation.  */
int mr_rootfs_finalize (const struct mr_rootfs_opts *opts, struct mr_error *err);

#endif
