/* Pure helpers of mount.c, declared here so that unit tests reach them.  */
#ifndef MR_LINUX_MOUNT_INTERNAL_H
#define MR_LINUX_MOUNT_INTERNAL_H

#include <stdbool.h>

#include "minirun.h"
#include "oci/spec.h"

/* One line of /proc/self/mountinfo; the strings point into the parsed
   line, unescaped.  */
struct mr_mountinfo
{
  int id;
  int parent;
  char *root;
  char *mountpoint;
  char *options;
  bool shared;
  char *fstype;
  char *source;
  char *super_options;
};

/* Parses (and modifies) one mountinfo line.  Returns 0, or -1 when it is
   malformed.  */
int mr_mountinfo_parse_line (char *line, struct mr_mountinfo *out);

/* A bind mount: type "bind" or "rbind", no type, or MS_BIND in flags.  */
bool mr_mount_is_bind (const struct mr_spec_mount *m);

/* The per-mount flags of a statfs f_flags (ST_*) as MS_* flags: rdonly,
   nosuid, nodev, noexec, the ones a bind remount must repeat.  */
unsigned long mr_mount_flags_from_statfs (unsigned long f_flags);

/* Whether a comma separated option string has "key" or "key=...".  */
bool mr_mount_data_has (const char *data, const char *key);

/* A copy of data without its "key" / "key=..." options (caller frees), or
   NULL when out of memory.  */
char *mr_mount_data_without (const char *data, const char *key);

/* The controllers of a cgroup v1 hierarchy from its mountinfo super
   options ("rw,cpu,cpuacct" -> "cpu,cpuacct", "rw,xattr,name=systemd" ->
   "name=systemd"), as /proc/self/cgroup names it.  Caller frees.  */
char *mr_cgroup1_controllers (const char *super_options);

/* The path of the hierarchy with these controllers ("" for cgroup2) in a
   /proc/self/cgroup document.  Caller frees; NULL when absent.  */
char *mr_cgroup_self_path (const char *proc_self_cgroup, const char *controllers);

/* Copies the content of directory srcfd into directory dstfd: regular
   files, directories, symlinks, fifos and device nodes, with mode, owner
   and times.  */
int mr_copy_tree (int srcfd, int dstfd, struct mr_error *err);

#endif
