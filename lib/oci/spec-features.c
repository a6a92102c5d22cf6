#include "config.h"

#include <jansson.h>

#include "oci/spec-internal.h"
#include "util/cleanup.h"
#include "util/json.h"

/* The features document: what this runtime can read of config.json.  */

int
mr_features (char **json, struct mr_error *err)
{
  static const char *const hooks[] = { "prestart",       "createRuntime", "createContainer",
                                       "startContainer", "poststart",     "poststop" };
  cleanup_json json_t *doc = NULL;

  doc = json_pack ("{s:s, s:s, s:o, s:o,"
                   " s:{s:o, s:o, s:{s:b, s:b, s:b, s:b}, s:o, s:{s:b}, s:{s:b}},"
                   " s:{s:s}}",
                   "ociVersionMin", "1.0.0", "ociVersionMax", "1.1.0", "hooks",
                   mr_spec_strv_json (hooks, N_ELEMENTS (hooks)), "mountOptions",
                   mr_spec_mount_options_json (), "linux", "namespaces", mr_spec_namespaces_json (),
                   "capabilities", mr_spec_caps_json (), "cgroup", "v1", 1, "v2", 1, "systemd", 0,
                   "systemdUser", 0, "seccomp", mr_spec_seccomp_features (), "apparmor", "enabled",
                   0, "selinux", "enabled", 0, "annotations", "io.github.minirun.version",
                   PACKAGE_VERSION);
  return mr_spec_dump_json (doc, json, err);
}
