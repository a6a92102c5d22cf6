/* Credentials of the container process: user and groups, capabilities
 * (libcap-ng), rlimits, oom_score_adj, sysctl, no_new_privs.  */
#ifndef MR_LINUX_CREDS_H
#define MR_LINUX_CREDS_H

#include <stdbool.h>
#include <sys/types.h>

#include "minirun.h"
#include "oci/spec.h"

/* setrlimit for each entry; names the resource on failure.  */
int mr_rlimits_apply (const struct mr_spec_rlimit *rl, size_t n, struct mr_error *err);

/* Writes /proc/self/oom_score_adj (of pid; 0: self).  */
int mr_oom_score_adj_apply (pid_t pid, int value, struct mr_error *err);

/* Refuses a sysctl the container's namespaces do not isolate, before
 * anything is made: kernel.msg*, kernel.sem, kernel.shm* and fs.mqueue.*
 * need an ipc namespace, net.* a network namespace that is not this
 * process's own, kernel.hostname and kernel.domainname a uts namespace and
 * no hostname (domainname) field; every other key is the host's.  A
 * namespace joined by path counts as the container's.  */
int mr_sysctl_check (const struct mr_spec *spec, struct mr_error *err);

/* Writes each key under /proc/sys (dots become slashes); refuses keys
 * with "..".  */
int mr_sysctl_apply (const struct mr_spec_kv *kv, size_t n, struct mr_error *err);

/* Drops every capability not in caps->bounding from the bounding set.  Call
 * while still privileged, before mr_user_switch.  */
int mr_caps_drop_bounding (const struct mr_spec_caps *caps, struct mr_error *err);

/* setgroups (additionalGids), setresgid, setresuid, keeping capabilities
 * across the uid change (PR_SET_KEEPCAPS) so mr_caps_apply can set them.  */
int mr_user_switch (const struct mr_spec_user *user, struct mr_error *err);

/* Sets the effective, permitted, inheritable and ambient sets.  A
 * capability the host does not have is an error that names it.  */
int mr_caps_apply (const struct mr_spec_caps *caps, struct mr_error *err);

/* The home directory of uid in /etc/passwd (the container's, when called
 * inside its root): 0 and out filled, or -1 when uid has no entry.  No heap
 * and no stdio: safe in a forked child.  */
int mr_passwd_home (uid_t uid, char *out, size_t outlen);

/* The highest capability number the running kernel knows.  */
int mr_cap_last (void);

/* Writes the mappings into /proc/PID/FILE ("uid_map" or "gid_map").  */
int mr_idmap_write (pid_t pid, const char *file, const struct mr_spec_idmap *m, size_t n,
                    struct mr_error *err);

#endif
