#include "config.h"

#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "oci/spec-internal.h"
#include "util/cleanup.h"
#include "util/json.h"

/* The default config.json, as `runc spec` writes it.  */

static json_t *
mount_json (const char *dest, const char *type, const char *source, const char *const *opts,
            size_t n_opts)
{
  json_t *m = json_pack ("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", source);

  if (m && n_opts > 0 && json_object_set_new (m, "options", mr_spec_strv_json (opts, n_opts)) < 0)
    {
      json_decref (m);
      return NULL;
    }
  return m;
}

static const char *const default_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" };

static const char *const default_masked_paths[] = {
  "/proc/acpi",          "/proc/asound",     "/proc/kcore",       "/proc/keys",
  "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
  "/sys/firmware",       "/proc/scsi",
};

static const char *const default_readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static json_t *
default_mounts (bool rootless)
{
  static const char *const dev_opts[] = { "nosuid", "strictatime", "mode=755", "size=65536k" };
  /* a rootless container cannot map gid 5, so it leaves gid= out */
  static const char *const pts_opts[]
      = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" };
  static const char *const shm_opts[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" };
  static const char *const mqueue_opts[] = { "nosuid", "noexec", "nodev" };
  static const char *const sys_opts[] = { "nosuid", "noexec", "nodev", "ro" };
  /* sysfs cannot be mounted in a user namespace without its own network
   * namespace owner, so the rootless variant binds the host's */
  static const char *const sys_rbind_opts[] = { "rbind", "nosuid", "noexec", "nodev", "ro" };
  static const char *const cgroup_opts[] = { "nosuid", "noexec", "nodev", "relatime", "ro" };
  json_t *a = json_array ();

  if (a == NULL)
    return NULL;
  if (json_array_append_new (a, mount_json ("/proc", "proc", "proc", NULL, 0)) < 0
      || json_array_append_new (
             a, mount_json ("/dev", "tmpfs", "tmpfs", dev_opts, N_ELEMENTS (dev_opts)))
             < 0
      || json_array_append_new (a, mount_json ("/dev/pts", "devpts", "devpts", pts_opts,
                                               N_ELEMENTS (pts_opts) - (rootless ? 1 : 0)))
             < 0
      || json_array_append_new (
             a, mount_json ("/dev/shm", "tmpfs", "shm", shm_opts, N_ELEMENTS (shm_opts)))
             < 0
      || json_array_append_new (a, mount_json ("/dev/mqueue", "mqueue", "mqueue", mqueue_opts,
                                               N_ELEMENTS (mqueue_opts)))
             < 0
      || json_array_append_new (
             a, rootless ? mount_json ("/sys", "none", "/sys", sys_rbind_opts,
                                       N_ELEMENTS (sys_rbind_opts))
                         : mount_json ("/sys", "sysfs", "sysfs", sys_opts, N_ELEMENTS (sys_opts)))
             < 0
      || json_array_append_new (a, mount_json ("/sys/fs/cgroup", "cgroup", "cgroup", cgroup_opts,
                                               N_ELEMENTS (cgroup_opts)))
             < 0)
    {
      json_decref (a);
      return NULL;
    }
  return a;
}

static json_t *
default_linux (bool rootless)
{
  /* runc's list: no cgroup namespace by default */
  static const char *const ns[] = { "pid", "network", "ipc", "uts", "mount" };
  json_t *lx = json_object (), *nss = json_array ();

  if (lx == NULL || nss == NULL)
    goto fail;
  if (rootless)
    {
      json_t *uid = json_pack ("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                               (json_int_t)geteuid (), "size", 1);
      json_t *gid = json_pack ("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                               (json_int_t)getegid (), "size", 1);
      if (json_object_set_new (lx, "uidMappings", uid) < 0
          || json_object_set_new (lx, "gidMappings", gid) < 0)
        goto fail;
    }
  else if (json_object_set_new (
               lx, "resources",
               json_pack ("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm"))
           < 0)
    goto fail;
  for (size_t i = 0; i < N_ELEMENTS (ns); i++)
    {
      if (rootless && strcmp (ns[i], "network") == 0)
        continue;
      if (json_array_append_new (nss, json_pack ("{s:s}", "type", ns[i])) < 0)
        goto fail;
    }
  if (rootless && json_array_append_new (nss, json_pack ("{s:s}", "type", "user")) < 0)
    goto fail;
  if (json_object_set_new (lx, "namespaces", nss) < 0)
    {
      nss = NULL;
      goto fail;
    }
  nss = NULL;
  if (json_object_set_new (
          lx, "maskedPaths",
          mr_spec_strv_json (default_masked_paths, N_ELEMENTS (default_masked_paths)))
          < 0
      || json_object_set_new (
             lx, "readonlyPaths",
             mr_spec_strv_json (default_readonly_paths, N_ELEMENTS (default_readonly_paths)))
             < 0)
    goto fail;
  return lx;

fail:
  json_decref (nss);
  json_decref (lx);
  return NULL;
}

int
mr_spec_generate (bool rootless, char **json, struct mr_error *err)
{
  const size_t nc = N_ELEMENTS (default_caps);
  cleanup_json json_t *doc = NULL;

  /* As `runc spec` writes it, ambient set included (it cannot be raised
   * without the inheritable set, which is not there, but runc writes it
   * and the process runs all the same).  */
  doc = json_pack (
      "{s:s, s:{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s, s:{s:o, s:o, s:o, s:o},"
      " s:[{s:s, s:i, s:i}], s:b},"
      " s:{s:s, s:b}, s:s, s:o, s:o}",
      "ociVersion", "1.0.2-dev", "process", "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh",
      "env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
      "cwd", "/", "capabilities", "bounding", mr_spec_strv_json (default_caps, nc), "effective",
      mr_spec_strv_json (default_caps, nc), "permitted", mr_spec_strv_json (default_caps, nc),
      "ambient", mr_spec_strv_json (default_caps, nc), "rlimits", "type", "RLIMIT_NOFILE", "hard",
      1024, "soft", 1024, "noNewPrivileges", 1, "root", "path", "rootfs", "readonly", 1, "hostname",
      "minirun", "mounts", default_mounts (rootless), "linux", default_linux (rootless));
  return mr_spec_dump_json (doc, json, err);
}
