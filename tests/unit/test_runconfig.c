#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "managed/runconfig.h"
#include "oci/spec.h"
#include "unit.h"
#include "util/error.h"

#define N(a) ((int)(sizeof (a) / sizeof (a)[0]))

#define ROOTFS "/var/lib/minirun-test/rootfs"

/* A scratch directory per test case, inside one per test group that the
 * parent process removes, so that nothing stays behind when a test fails
 * (Check skips the teardown of a failed test).  */
static char *scratch_root;
static char *scratch;
/* What the last build() made: the spec, the record, and the spec as the
 * library's parser read it back from a file.  */
static json_t *spec, *record;
static struct mr_spec *parsed;

static void
group_setup (void)
{
  scratch_root = unit_mkdtemp ("runconfig");
}

static void
group_teardown (void)
{
  unit_rm_tree (scratch_root);
  free (scratch_root);
  scratch_root = NULL;
}

static void
setup (void)
{
  char *t;

  if (asprintf (&t, "%s/XXXXXX", scratch_root) < 0 || mkdtemp (t) == NULL)
    abort ();
  scratch = t;
}

static void
teardown (void)
{
  json_decref (spec);
  json_decref (record);
  mr_spec_free (parsed);
  spec = record = NULL;
  parsed = NULL;
  unit_rm_tree (scratch);
  free (scratch);
  scratch = NULL;
}

static char *
in_scratch (const char *name)
{
  char *p;

  ck_assert_int_ge (asprintf (&p, "%s/%s", scratch, name), 0);
  return p;
}

static void
put_file (const char *path, const char *data)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  ck_assert_msg (fd >= 0, "create %s: %s", path, strerror (errno));
  ck_assert_int_eq (write (fd, data, strlen (data)), (ssize_t)strlen (data));
  close (fd);
}

static char *
get_file (const char *path)
{
  FILE *f = fopen (path, "re");
  char *buf = NULL;
  size_t len = 0;

  ck_assert_msg (f != NULL, "open %s: %s", path, strerror (errno));
  if (getdelim (&buf, &len, '\0', f) < 0)
    {
      ck_assert (!ferror (f));
      free (buf);
      buf = calloc (1, 1);
    }
  fclose (f);
  return buf;
}

/* Builds, dumps the spec to a file and loads it with the library's parser,
 * which must accept it.  */
static void
build_image (const struct mr_run_config *cfg, const json_t *image, const char *etc_dir)
{
  struct mr_error err = { 0 };
  char *path = in_scratch ("config.json");

  ck_assert_msg (
      mr_run_config_build (cfg, "web-server-one", ROOTFS, image, etc_dir, &spec, &record, &err)
          == 0,
      "build: %s", err.msg);
  ck_assert_ptr_nonnull (spec);
  ck_assert_ptr_nonnull (record);
  ck_assert_int_eq (json_dump_file (spec, path, JSON_INDENT (2)), 0);
  ck_assert_msg (mr_spec_load_file (path, &parsed, &err) == 0, "parse: %s", err.msg);
  free (path);
}

static void
build (const struct mr_run_config *cfg)
{
  build_image (cfg, NULL, NULL);
}

/* The error message of a build that must fail.  */
static const char *
build_fails (const struct mr_run_config *cfg)
{
  static struct mr_error err;
  json_t *s = (json_t *)1, *r = (json_t *)1;

  memset (&err, 0, sizeof err);
  ck_assert_int_lt (mr_run_config_build (cfg, "web", ROOTFS, NULL, NULL, &s, &r, &err), 0);
  ck_assert_ptr_null (s);
  ck_assert_ptr_null (r);
  ck_assert_str_ne (err.msg, "");
  return err.msg;
}

/* A value by path: "process.env.1", "linux.resources.memory.limit".  */
static json_t *
get (json_t *j, const char *path)
{
  char buf[256], *save = NULL;

  snprintf (buf, sizeof buf, "%s", path);
  for (char *k = strtok_r (buf, ".", &save); j && k; k = strtok_r (NULL, ".", &save))
    j = json_is_array (j) ? json_array_get (j, strtoul (k, NULL, 10)) : json_object_get (j, k);
  return j;
}

static const char *
str (json_t *j, const char *path)
{
  const char *s = json_string_value (get (j, path));

  ck_assert_msg (s != NULL, "%s is not a string", path);
  return s;
}

static json_int_t
num (json_t *j, const char *path)
{
  json_t *v = get (j, path);

  ck_assert_msg (json_is_integer (v), "%s is not an integer", path);
  return json_integer_value (v);
}

/* The array at path as one string, its items joined by spaces.  */
static char *
joined (json_t *j, const char *path)
{
  json_t *a = get (j, path), *e;
  char *out = NULL;
  size_t len = 0, i;
  FILE *f = open_memstream (&out, &len);

  ck_assert_msg (json_is_array (a), "%s is not an array", path);
  json_array_foreach (a, i, e)
  {
    ck_assert (json_is_string (e));
    fprintf (f, "%s%s", i ? " " : "", json_string_value (e));
  }
  fclose (f);
  return out;
}

#define ck_assert_joined(j, path, want)                                                            \
  do                                                                                               \
    {                                                                                              \
      char *got_ = joined (j, path);                                                               \
      ck_assert_str_eq (got_, want);                                                               \
      free (got_);                                                                                 \
    }                                                                                              \
  while (0)

static const struct mr_spec_mount *
find_mount (const char *dest)
{
  for (size_t i = 0; i < parsed->n_mounts; i++)
    if (strcmp (parsed->mounts[i].destination, dest) == 0)
      return &parsed->mounts[i];
  return NULL;
}

static uint64_t
caps_mask (const char *const *names)
{
  uint64_t m = 0;

  for (; *names; names++)
    {
      int c = mr_spec_cap_from_name (*names);
      ck_assert_int_ge (c, 0);
      m |= UINT64_C (1) << c;
    }
  return m;
}

/* Docker's set less CAP_MKNOD, as Podman's.  */
static const char *const docker_caps[] = {
  "CAP_CHOWN",      "CAP_DAC_OVERRIDE", "CAP_FSETID",      "CAP_FOWNER",  "CAP_NET_RAW",
  "CAP_SETGID",     "CAP_SETUID",       "CAP_SETFCAP",     "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT", "CAP_KILL",         "CAP_AUDIT_WRITE", NULL
};

/* --- defaults ------------------------------------------------------------- */

START_TEST (defaults_are_dockers)
{
  struct mr_run_config cfg;
  uint64_t want = caps_mask (docker_caps);

  mr_run_config_init (&cfg);
  build (&cfg);

  ck_assert_str_eq (str (spec, "ociVersion"), "1.0.2");
  ck_assert_str_eq (parsed->root_path, ROOTFS);
  ck_assert (!parsed->root_readonly);
  /* the first 12 characters of the id */
  ck_assert_str_eq (parsed->hostname, "web-server-o");
  ck_assert (!parsed->process.terminal);
  ck_assert_int_eq (parsed->process.user.uid, 0);
  ck_assert_int_eq (parsed->process.user.gid, 0);
  ck_assert_joined (spec, "process.args", "/bin/sh");
  ck_assert_str_eq (parsed->process.cwd, "/");
  ck_assert_joined (spec, "process.env",
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "
                    "HOSTNAME=web-server-o");
  ck_assert (!parsed->process.no_new_privileges);
  ck_assert (json_is_false (get (spec, "process.noNewPrivileges")));
  ck_assert (parsed->process.caps_set);
  ck_assert_uint_eq (parsed->process.caps.bounding, want);
  ck_assert_uint_eq (parsed->process.caps.effective, want);
  ck_assert_uint_eq (parsed->process.caps.permitted, want);
  ck_assert_uint_eq (parsed->process.caps.inheritable, 0);
  ck_assert_uint_eq (parsed->process.caps.ambient, 0);
  ck_assert_uint_eq (parsed->process.n_rlimits, 0);

  ck_assert_uint_eq (parsed->linux.n_namespaces, 6);
  for (size_t i = 0; i < parsed->linux.n_namespaces; i++)
    ck_assert_ptr_null (parsed->linux.namespaces[i].path);
  ck_assert_ptr_nonnull (mr_spec_find_namespace (parsed, CLONE_NEWPID));
  ck_assert_ptr_nonnull (mr_spec_find_namespace (parsed, CLONE_NEWNS));
  ck_assert_ptr_nonnull (mr_spec_find_namespace (parsed, CLONE_NEWIPC));
  ck_assert_ptr_nonnull (mr_spec_find_namespace (parsed, CLONE_NEWUTS));
  ck_assert_ptr_nonnull (mr_spec_find_namespace (parsed, CLONE_NEWNET));
  ck_assert_ptr_nonnull (mr_spec_find_namespace (parsed, CLONE_NEWCGROUP));
  ck_assert_ptr_null (mr_spec_find_namespace (parsed, CLONE_NEWUSER));

  ck_assert_joined (spec, "linux.maskedPaths",
                    "/proc/asound /proc/acpi /proc/kcore /proc/keys /proc/latency_stats "
                    "/proc/timer_list /proc/timer_stats /proc/sched_debug /proc/scsi "
                    "/sys/firmware /sys/devices/virtual/powercap");
  ck_assert_joined (spec, "linux.readonlyPaths",
                    "/proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger");

  ck_assert_ptr_nonnull (parsed->linux.resources);
  ck_assert_uint_eq (parsed->linux.resources->n_devices, 1);
  ck_assert (!parsed->linux.resources->devices[0].allow);
  ck_assert_int_eq (parsed->linux.resources->devices[0].type, 'a');
  ck_assert_str_eq (parsed->linux.resources->devices[0].access, "rwm");
  ck_assert (!parsed->linux.resources->memory.limit_set);
  ck_assert (!parsed->linux.resources->cpu.quota_set);
  ck_assert (!parsed->linux.resources->cpu.shares_set);
  ck_assert (!parsed->linux.resources->pids_limit_set);

  ck_assert_uint_eq (parsed->n_annotations, 1);
  ck_assert_str_eq (parsed->annotations[0].key, "org.minirun.managed");
  ck_assert_str_eq (parsed->annotations[0].value, "true");
}
END_TEST

START_TEST (default_mounts_are_runcs_in_order)
{
  static const char *const dests[]
      = { "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup" };
  struct mr_run_config cfg;
  const struct mr_spec_mount *m;

  mr_run_config_init (&cfg);
  build (&cfg);
  ck_assert_uint_eq (parsed->n_mounts, N (dests));
  for (int i = 0; i < N (dests); i++)
    ck_assert_str_eq (parsed->mounts[i].destination, dests[i]);
  m = find_mount ("/dev/shm");
  ck_assert_str_eq (m->type, "tmpfs");
  ck_assert_str_eq (m->data, "mode=1777,size=65536k");
  ck_assert_uint_eq (m->flags & (MS_NOSUID | MS_NOEXEC | MS_NODEV),
                     MS_NOSUID | MS_NOEXEC | MS_NODEV);
  ck_assert (find_mount ("/sys")->flags & MS_RDONLY);
  ck_assert (find_mount ("/sys/fs/cgroup")->flags & MS_RDONLY);
  ck_assert_str_eq (find_mount ("/proc")->type, "proc");
  ck_assert_str_eq (find_mount ("/dev/pts")->type, "devpts");
}
END_TEST

START_TEST (published_ports_are_docker_port_bindings)
{
  static const char *const publish[] = { "8080:80", "127.0.0.1::53/udp", "8081:80", NULL };
  struct mr_run_config cfg;

  mr_run_config_init (&cfg);
  cfg.publish = publish;
  build (&cfg);
  /* publishing implies the default bridge network */
  ck_assert_str_eq (str (record, "HostConfig.NetworkMode"), "minirun");
  ck_assert_str_eq (str (record, "HostConfig.PortBindings.80/tcp.0.HostIp"), "");
  ck_assert_str_eq (str (record, "HostConfig.PortBindings.80/tcp.0.HostPort"), "8080");
  ck_assert_str_eq (str (record, "HostConfig.PortBindings.80/tcp.1.HostPort"), "8081");
  ck_assert_str_eq (str (record, "HostConfig.PortBindings.53/udp.0.HostIp"), "127.0.0.1");
  ck_assert_str_eq (str (record, "HostConfig.PortBindings.53/udp.0.HostPort"), "");
  ck_assert_ptr_nonnull (get (record, "Config.ExposedPorts.80/tcp"));
  ck_assert_ptr_nonnull (get (record, "Config.ExposedPorts.53/udp"));
  ck_assert_uint_eq (parsed->linux.n_namespaces, 6);
}
END_TEST

START_TEST (host_network_keeps_the_hosts_namespace)
{
  static const char *const publish[] = { "8080:80", NULL };
  struct mr_run_config cfg;

  mr_run_config_init (&cfg);
  cfg.network = "host";
  build (&cfg);
  ck_assert_str_eq (str (record, "HostConfig.NetworkMode"), "host");
  ck_assert_uint_eq (parsed->linux.n_namespaces, 5);
  for (size_t i = 0; i < parsed->linux.n_namespaces; i++)
    ck_assert_int_ne (parsed->linux.namespaces[i].type, CLONE_NEWNET);

  cfg.publish = publish;
  ck_assert_ptr_nonnull (strstr (build_fails (&cfg), "ports are published from a bridge network"));
  cfg.network = "none";
  ck_assert_ptr_nonnull (strstr (build_fails (&cfg), "with --network none"));
  cfg.network = "container:db";
  ck_assert_ptr_nonnull (strstr (build_fails (&cfg), "conflicting options: port publishing and "
                                                     "the container type network mode"));
  cfg.network = "bad/name";
  cfg.publish = NULL;
  ck_assert_ptr_nonnull (strstr (build_fails (&cfg), "invalid --network 'bad/name'"));
  cfg.network = NULL;
  {
    static const char *const bad[] = { "99999:80", NULL };
    cfg.publish = bad;
    ck_assert_ptr_nonnull (strstr (build_fails (&cfg), "invalid port '99999:80'"));
  }
}
END_TEST

START_TEST (container_network_shares_another_containers_namespace)
{
  struct mr_run_config cfg;

  mr_run_config_init (&cfg);
  cfg.network = "container:db";
  build (&cfg);
  ck_assert_str_eq (str (record, "HostConfig.NetworkMode"), "container:db");
  /* a namespace entry of its own, which the start points at db's */
  ck_assert_uint_eq (parsed->linux.n_namespaces, 6);
  ck_assert_uint_eq (json_object_size (get (record, "HostConfig.PortBindings")), 0);
  cfg.network = "container:";
  ck_assert_ptr_nonnull (strstr (build_fails (&cfg), "expected container:NAME"));
  cfg.network = "container:../x";
  ck_assert_ptr_nonnull (strstr (build_fails (&cfg), "invalid --network 'container:../x'"));
}
END_TEST

START_TEST (default_record_uses_dockers_conventions)
{
  struct mr_run_config cfg;

  mr_run_config_init (&cfg);
  build (&cfg);
  ck_assert_uint_eq (json_object_size (record), 3);
  ck_assert_joined (record, "Config.Cmd", "/bin/sh");
  ck_assert_str_eq (str (record, "Config.WorkingDir"), "/");
  ck_assert_str_eq (str (record, "Config.User"), "");
  ck_assert_str_eq (str (record, "Config.Hostname"), "web-server-o");
  ck_assert (json_is_false (get (record, "Config.Tty")));
  ck_assert (json_is_false (get (record, "Config.OpenStdin")));
  ck_assert_uint_eq (json_object_size (get (record, "Config.Labels")), 0);
  ck_assert_str_eq (str (record, "Config.StopSignal"), "SIGTERM");
  ck_assert_int_eq (num (record, "Config.StopTimeout"), 10);
  ck_assert_uint_eq (json_object_size (get (record, "Config.ExposedPorts")), 0);
  ck_assert_uint_eq (json_object_size (get (record, "Config")), 11);

  ck_assert_int_eq (num (record, "HostConfig.Memory"), 0);
  ck_assert_int_eq (num (record, "HostConfig.MemorySwap"), 0);
  ck_assert_int_eq (num (record, "HostConfig.NanoCpus"), 0);
  ck_assert_int_eq (num (record, "HostConfig.CpuShares"), 0);
  ck_assert_str_eq (str (record, "HostConfig.CpusetCpus"), "");
  ck_assert_int_eq (num (record, "HostConfig.PidsLimit"), 0);
  ck_assert (json_is_false (get (record, "HostConfig.ReadonlyRootfs")));
  ck_assert_uint_eq (json_array_size (get (record, "HostConfig.Binds")), 0);
  ck_assert_uint_eq (json_object_size (get (record, "HostConfig.Tmpfs")), 0);
  ck_assert_uint_eq (json_array_size (get (record, "HostConfig.CapAdd")), 0);
  ck_assert_uint_eq (json_array_size (get (record, "HostConfig.CapDrop")), 0);
  ck_assert_uint_eq (json_array_size (get (record, "HostConfig.Ulimits")), 0);
  ck_assert (json_is_false (get (record, "HostConfig.AutoRemove")));
  ck_assert_str_eq (str (record, "HostConfig.RestartPolicy.Name"), "no");
  ck_assert_int_eq (num (record, "HostConfig.RestartPolicy.MaximumRetryCount"), 0);
  ck_assert_uint_eq (json_array_size (get (record, "HostConfig.SecurityOpt")), 0);
  ck_assert (json_is_false (get (record, "HostConfig.Privileged")));
  /* as Docker: the bridge network unless another is asked for */
  ck_assert_str_eq (str (record, "HostConfig.NetworkMode"), "minirun");
  ck_assert_uint_eq (json_object_size (get (record, "HostConfig.PortBindings")), 0);
  ck_assert_uint_eq (json_array_size (get (record, "HostConfig.Dns")), 0);
  ck_assert_uint_eq (json_object_size (get (record, "HostConfig")), 19);
  ck_assert_str_eq (str (record, "Security.Seccomp"), "default");
  ck_assert (json_is_false (get (record, "Security.NoNewPrivileges")));
  ck_assert (json_is_false (get (record, "Security.Privileged")));
  ck_assert_joined (record, "Security.Capabilities",
                    "CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID "
                    "CAP_SETUID CAP_SETPCAP CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_SYS_CHROOT "
                    "CAP_AUDIT_WRITE CAP_SETFCAP");
}
END_TEST

START_TEST (image_config_gives_args_env_cwd_and_user)
{
  struct mr_run_config cfg;
  json_t *image
      = json_pack ("{s:[s, s], s:[s, s], s:s, s:s}", "Cmd", "nginx", "-g", "Env", "PATH=/opt/bin",
                   "NGINX_VERSION=1.25", "WorkingDir", "/srv", "User", "101:102");

  mr_run_config_init (&cfg);
  build_image (&cfg, image, NULL);
  json_decref (image);
  ck_assert_joined (spec, "process.args", "nginx -g");
  /* the image's PATH replaces the default where it stood */
  ck_assert_joined (spec, "process.env", "PATH=/opt/bin HOSTNAME=web-server-o NGINX_VERSION=1.25");
  ck_assert_str_eq (parsed->process.cwd, "/srv");
  ck_assert_int_eq (parsed->process.user.uid, 101);
  ck_assert_int_eq (parsed->process.user.gid, 102);
  ck_assert_str_eq (str (record, "Config.User"), "101:102");
  ck_assert_str_eq (str (record, "Config.WorkingDir"), "/srv");
}
END_TEST

START_TEST (options_override_the_image_config)
{
  static const char *const args[] = { "/bin/echo", "hi", NULL };
  struct mr_run_config cfg;
  json_t *image
      = json_pack ("{s:[s], s:s, s:s}", "Cmd", "nginx", "WorkingDir", "/srv", "User", "101");

  mr_run_config_init (&cfg);
  cfg.args = args;
  cfg.workdir = "/tmp";
  cfg.user = "1000:100";
  build_image (&cfg, image, NULL);
  json_decref (image);
  ck_assert_joined (spec, "process.args", "/bin/echo hi");
  ck_assert_joined (record, "Config.Cmd", "/bin/echo hi");
  ck_assert_str_eq (parsed->process.cwd, "/tmp");
  ck_assert_int_eq (parsed->process.user.uid, 1000);
  ck_assert_int_eq (parsed->process.user.gid, 100);
  ck_assert_str_eq (str (record, "Config.User"), "1000:100");
}
END_TEST

START_TEST (an_empty_image_config_falls_back_to_defaults)
{
  struct mr_run_config cfg;
  json_t *image = json_pack ("{s:[], s:s}", "Cmd", "WorkingDir", "");

  mr_run_config_init (&cfg);
  build_image (&cfg, image, NULL);
  json_decref (image);
  ck_assert_joined (spec, "process.args", "/bin/sh");
  ck_assert_str_eq (parsed->process.cwd, "/");
}
END_TEST

START_TEST (user_without_gid_runs_in_group_zero)
{
  struct mr_run_config cfg;

  mr_run_config_init (&cfg);
  cfg.user = "4242";
  build (&cfg);
  ck_assert_int_eq (parsed->process.user.uid, 4242);
  ck_assert_int_eq (parsed->process.user.gid, 0);
}
END_TEST

/* --- environment ---------------------------------------------------------- */

START_TEST (env_later_sources_override_earlier_in_place)
{
  static const char *const env[]
      = { "B=from-e", "MR_TEST_FROM_CALLER", "MR_TEST_UNSET", "E=last", "A=again", NULL };
  const char *files[] = { NULL, NULL };
  char *file = in_scratch ("env");
  struct mr_run_config cfg;
  json_t *image = json_pack ("{s:[s, s, s]}", "Env", "A=image", "B=image", "C=image");

  put_file (file, "C=from-file\nD=from-file\n");
  files[0] = file;
  setenv ("MR_TEST_FROM_CALLER", "caller's", 1);
  unsetenv ("MR_TEST_UNSET");
  mr_run_config_init (&cfg);
  cfg.tty = true;
  cfg.env = env;
  cfg.env_files = files;
  build_image (&cfg, image, NULL);
  json_decref (image);
  free (file);
  ck_assert_joined (spec, "process.env",
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "
                    "HOSTNAME=web-server-o TERM=xterm A=again B=from-e C=from-file D=from-file "
                    "MR_TEST_FROM_CALLER=caller's E=last");
  ck_assert_joined (record, "Config.Env",
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "
                    "HOSTNAME=web-server-o TERM=xterm A=again B=from-e C=from-file D=from-file "
                    "MR_TEST_FROM_CALLER=caller's E=last");
}
END_TEST

START_TEST (env_file_skips_comments_and_blank_lines)
{
  const char *files[] = { NULL, NULL, NULL };
  char *a = in_scratch ("a.env"), *b = in_scratch ("b.env");
  struct mr_run_config cfg;

  put_file (a, "# a comment\n"
               "\n"
               "   \t\n"
               "ONE=1\r\n"
               "  TWO=two words = and more  \n"
               "   # indented comment\n"
               "MR_TEST_FROM_CALLER\n"
               "MR_TEST_UNSET\n"
               "EMPTY=\n"
               "LAST=no newline");
  put_file (b, "ONE=overridden\n");
  files[0] = a;
  files[1] = b;
  setenv ("MR_TEST_FROM_CALLER", "x", 1);
  unsetenv ("MR_TEST_UNSET");
  mr_run_config_init (&cfg);
  cfg.env_files = files;
  build (&cfg);
  free (a);
  free (b);
  ck_assert_uint_eq (parsed->process.n_env, 7);
  ck_assert_str_eq (parsed->process.env[2], "ONE=overridden");
  ck_assert_str_eq (parsed->process.env[3], "TWO=two words = and more  ");
  ck_assert_str_eq (parsed->process.env[4], "MR_TEST_FROM_CALLER=x");
  ck_assert_str_eq (parsed->process.env[5], "EMPTY=");
  ck_assert_str_eq (parsed->process.env[6], "LAST=no newline");
}
END_TEST

START_TEST (env_file_errors_name_the_file_and_line)
{
  const char *files[] = { NULL, NULL };
  char *f = in_scratch ("bad.env");
  char *missing = in_scratch ("missing.env");
  struct mr_run_config cfg;
  const char *msg;
  char want[512];

  put_file (f, "# fine\nGOOD=1\nBAD NAME=1\n");
  mr_run_config_init (&cfg);
  cfg.env_files = files;
  files[0] = f;
  msg = build_fails (&cfg);
  snprintf (want, sizeof want, "invalid --env-file '%s': line 3 'BAD NAME=1'", f);
  ck_assert_msg (strstr (msg, want) == msg, "got '%s'", msg);
  ck_assert_ptr_nonnull (strstr (msg, "white space"));

  put_file (f, "=value\n");
  msg = build_fails (&cfg);
  ck_assert_ptr_nonnull (strstr (msg, "line 1 '=value': the variable name is empty"));

  files[0] = missing;
  msg = build_fails (&cfg);
  snprintf (want, sizeof want, "invalid --env-file '%s'", missing);
  ck_assert_msg (strstr (msg, want) == msg, "got '%s'", msg);
  ck_assert_ptr_nonnull (strstr (msg, "No such file or directory"));
  free (f);
  free (missing);
}
END_TEST

/* --- options -------------------------------------------------------------- */

START_TEST (tty_hostname_and_read_only)
{
  struct mr_run_config cfg;

  mr_run_config_init (&cfg);
  cfg.tty = true;
  cfg.interactive = true;
  cfg.hostname = "db.example.com";
  cfg.read_only = true;
  build (&cfg);
  ck_assert (parsed->process.terminal);
  ck_assert (parsed->root_readonly);
  ck_assert_str_eq (parsed->hostname, "db.example.com");
  ck_assert_str_eq (parsed->process.env[1], "HOSTNAME=db.example.com");
  ck_assert_str_eq (parsed->process.env[2], "TERM=xterm");
  ck_assert (json_is_true (get (record, "Config.Tty")));
  ck_assert (json_is_true (get (record, "Config.OpenStdin")));
  ck_assert (json_is_true (get (record, "HostConfig.ReadonlyRootfs")));
  ck_assert_str_eq (str (record, "Config.Hostname"), "db.example.com");
}
END_TEST

START_TEST (memory_limit_defaults_swap_to_twice_the_memory)
{
  struct mr_run_config cfg;

  mr_run_config_init (&cfg);
  cfg.memory = 64 << 20;
  build (&cfg);
  ck_assert (parsed->linux.resources->memory.limit_set);
  ck_assert_int_eq (parsed->linux.resources->memory.limit, 64 << 20);
  ck_assert (parsed->linux.resources->memory.swap_set);
  ck_assert_int_eq (parsed->linux.resources->memory.swap, 128 << 20);
  ck_assert_int_eq (num (record, "HostConfig.Memory"), 64 << 20);
  ck_assert_int_eq (num (record, "HostConfig.MemorySwap"), 128 << 20);
}
END_TEST

START_TEST (memory_swap_given_or_unlimited)
{
  struct mr_run_config cfg;

  mr_run_config_init (&cfg);
  cfg.memory = 6 << 20; /* the minimum itself is fine */
  cfg.memory_swap = 6 << 20;
  build (&cfg);
  ck_assert_int_eq (parsed->linux.resources->memory.limit, 6 << 20);
  ck_assert_int_eq (parsed->linux.resources->memory.swap, 6 << 20);
  teardown ();
  setup ();

  cfg.memory_swap = 0;
  build (&cfg);
  ck_assert_int_eq (parsed->linux.resources->memory.swap, -1);
  ck_assert_int_eq (num (record, "HostConfig.MemorySwap"), -1);
  teardown ();
  setup ();

  /* unlimited swap needs no memory limit */
  cfg.memory = -1;
  build (&cfg);
  ck_assert (!parsed->linux.resources->memory.limit_set);
  ck_assert_int_eq (num (record, "HostConfig.MemorySwap"), -1);
}
END_TEST

START_TEST (cpus_become_quota_over_a_100ms_period)
{
  struct mr_run_config cfg;

  mr_run_config_init (&cfg);
  cfg.cpus = 0.5;
  cfg.cpu_shares = 512;
  cfg.cpuset_cpus = "0";
  build (&cfg);
  ck_assert (parsed->linux.resources->cpu.quota_set);
  ck_assert_int_eq (parsed->linux.resources->cpu.quota, 50000);
  ck_assert_uint_eq (parsed->linux.resources->cpu.period, 100000);
  ck_assert_uint_eq (parsed->linux.resources->cpu.shares, 512);
  ck_assert_str_eq (parsed->linux.resources->cpu.cpus, "0");
  ck_assert_int_eq (num (record, "HostConfig.NanoCpus"), 500000000);
  ck_assert_int_eq (num (record, "HostConfig.CpuShares"), 512);
  ck_assert_str_eq (str (record, "HostConfig.CpusetCpus"), "0");
}
END_TEST

START_TEST (cpuset_takes_lists_and_ranges)
{
  struct mr_run_config cfg;
  char set[64];
  long n = sysconf (_SC_NPROCESSORS_CONF);

  ck_assert_int_ge (n, 1);
  snprintf (set, sizeof set, "0-%ld,0,%ld", n - 1, n - 1);
  mr_run_config_init (&cfg);
  cfg.cpuset_cpus = set;
  build (&cfg);
  ck_assert_str_eq (parsed->linux.resources->cpu.cpus, set);
}
END_TEST

START_TEST (pids_limit_positive_sets_it_zero_leaves_it_unlimited)
{
  struct mr_run_config cfg;

  mr_run_config_init (&cfg);
  cfg.pids_limit = 100;
  build (&cfg);
  ck_assert (parsed->linux.resources->pids_limit_set);
  ck_assert_int_eq (parsed->linux.resources->pids_limit, 100);
  ck_assert_int_eq (num (record, "HostConfig.PidsLimit"), 100);
  teardown ();
  setup ();

  cfg.pids_limit = 0;
  build (&cfg);
  ck_assert (!parsed->linux.resources->pids_limit_set);
  ck_assert_int_eq (num (record, "HostConfig.PidsLimit"), 0);
}
END_TEST

START_TEST (cap_add_and_drop_change_the_default_set)
{
  static const char *const add[] = { "NET_ADMIN", "cap_sys_time", NULL };
  static const char *const drop[] = { "MKNOD", "Cap_Net_Raw", NULL };
  struct mr_run_config cfg;
  uint64_t want = caps_mask (docker_caps);

  want &= ~(UINT64_C (1) << mr_spec_cap_from_name ("CAP_MKNOD"));
  want &= ~(UINT64_C (1) << mr_spec_cap_from_name ("CAP_NET_RAW"));
  want |= UINT64_C (1) << mr_spec_cap_from_name ("CAP_NET_ADMIN");
  want |= UINT64_C (1) << mr_spec_cap_from_name ("CAP_SYS_TIME");
  mr_run_config_init (&cfg);
  cfg.cap_add = add;
  cfg.cap_drop = drop;
  build (&cfg);
  ck_assert_uint_eq (parsed->process.caps.bounding, want);
  ck_assert_uint_eq (parsed->process.caps.effective, want);
  ck_assert_uint_eq (parsed->process.caps.permitted, want);
  ck_assert_joined (record, "HostConfig.CapAdd", "CAP_NET_ADMIN CAP_SYS_TIME");
  ck_assert_joined (record, "HostConfig.CapDrop", "CAP_MKNOD CAP_NET_RAW");
}
END_TEST

START_TEST (cap_drop_all_keeps_only_the_added)
{
  static const char *const add[] = { "chown", NULL };
  static const char *const drop[] = { "all", NULL };
  struct mr_run_config cfg;

  mr_run_config_init (&cfg);
  cfg.cap_add = add;
  cfg.cap_drop = drop;
  build (&cfg);
  ck_assert_uint_eq (parsed->process.caps.bounding, UINT64_C (1) << CAP_CHOWN);
  ck_assert_joined (record, "HostConfig.CapDrop", "ALL");
  teardown ();
  setup ();

  cfg.cap_add = NULL;
  build (&cfg);
  ck_assert_uint_eq (parsed->process.caps.bounding, 0);
  ck_assert (json_is_array (get (spec, "process.capabilities.bounding")));
}
END_TEST

START_TEST (cap_add_all_grants_everything_but_the_dropped)
{
  static const char *const add[] = { "ALL", NULL };
  static const char *const drop[] = { "SYS_ADMIN", NULL };
  struct mr_run_config cfg;
  uint64_t caps;
  int sys_admin = mr_spec_cap_from_name ("CAP_SYS_ADMIN");

  mr_run_config_init (&cfg);
  cfg.cap_add = add;
  cfg.cap_drop = drop;
  build (&cfg);
  caps = parsed->process.caps.bounding;
  ck_assert (!(caps & (UINT64_C (1) << sys_admin)));
  for (int c = 0; c <= CAP_AUDIT_READ; c++)
    /* all that a runtime started from here can give */
    if (c != sys_admin && prctl (PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) == 1)
      ck_assert_msg (caps & (UINT64_C (1) << c), "capability %d missing", c);
}
END_TEST

START_TEST (ulimits_become_rlimits)
{
  static const char *const ulimits[] = { "nofile=1024:2048", "core=unlimited", "nproc=10",
                                         "nofile=512:4096",  "stack=-1:-1",    NULL };
  struct mr_run_config cfg;

  mr_run_config_init (&cfg);
  cfg.ulimits = ulimits;
  build (&cfg);
  ck_assert_uint_eq (parsed->process.n_rlimits, 4);
  /* a later value for the same limit replaces the earlier one */
  ck_assert_int_eq (parsed->process.rlimits[0].resource, RLIMIT_NOFILE);
  ck_assert_uint_eq (parsed->process.rlimits[0].soft, 512);
  ck_assert_uint_eq (parsed->process.rlimits[0].hard, 4096);
  ck_assert_int_eq (parsed->process.rlimits[1].resource, RLIMIT_CORE);
  ck_assert_uint_eq (parsed->process.rlimits[1].soft, INT64_MAX);
  ck_assert_uint_eq (parsed->process.rlimits[1].hard, INT64_MAX);
  ck_assert_int_eq (parsed->process.rlimits[2].resource, RLIMIT_NPROC);
  ck_assert_uint_eq (parsed->process.rlimits[2].soft, 10);
  ck_assert_uint_eq (parsed->process.rlimits[2].hard, 10);
  ck_assert_int_eq (parsed->process.rlimits[3].resource, RLIMIT_STACK);

  ck_assert_uint_eq (json_array_size (get (record, "HostConfig.Ulimits")), 4);
  ck_assert_str_eq (str (record, "HostConfig.Ulimits.0.Name"), "nofile");
  ck_assert_int_eq (num (record, "HostConfig.Ulimits.0.Soft"), 512);
  ck_assert_int_eq (num (record, "HostConfig.Ulimits.0.Hard"), 4096);
  ck_assert_int_eq (num (record, "HostConfig.Ulimits.1.Soft"), -1);
  ck_assert_int_eq (num (record, "HostConfig.Ulimits.1.Hard"), -1);
}
END_TEST

START_TEST (volumes_are_private_recursive_binds)
{
  const char *volumes[] = { NULL, NULL, NULL };
  char *dir = in_scratch ("data"), *file = in_scratch ("conf");
  char ro[512], rw[512];
  struct mr_run_config cfg;
  const struct mr_spec_mount *m;

  ck_assert_int_eq (mkdir (dir, 0755), 0);
  put_file (file, "x");
  snprintf (rw, sizeof rw, "%s:/data/", dir);
  snprintf (ro, sizeof ro, "%s://etc//app.conf:ro", file);
  volumes[0] = rw;
  volumes[1] = ro;
  mr_run_config_init (&cfg);
  cfg.volumes = volumes;
  build (&cfg);

  m = find_mount ("/data");
  ck_assert_ptr_nonnull (m);
  ck_assert_str_eq (m->source, dir);
  ck_assert_uint_eq (m->flags & (MS_BIND | MS_REC | MS_RDONLY), MS_BIND | MS_REC);
  ck_assert_uint_eq (m->propagation, MS_PRIVATE | MS_REC);
  m = find_mount ("/etc/app.conf");
  ck_assert_ptr_nonnull (m);
  ck_assert_str_eq (m->source, file);
  ck_assert_uint_eq (m->flags & (MS_BIND | MS_REC | MS_RDONLY), MS_BIND | MS_REC | MS_RDONLY);
  /* after the defaults */
  ck_assert_str_eq (parsed->mounts[7].destination, "/data");
  ck_assert_uint_eq (json_array_size (get (record, "HostConfig.Binds")), 2);
  ck_assert_str_eq (str (record, "HostConfig.Binds.0"), rw);
  ck_assert_str_eq (str (record, "HostConfig.Binds.1"), ro);
  free (dir);
  free (file);
}
END_TEST

START_TEST (tmpfs_defaults_to_nosuid_nodev_noexec)
{
  static const char *const tmpfs[] = { "/run", "/cache:size=10m,mode=1777,exec", NULL };
  struct mr_run_config cfg;
  const struct mr_spec_mount *m;

  mr_run_config_init (&cfg);
  cfg.tmpfs = tmpfs;
  build (&cfg);
  m = find_mount ("/run");
  ck_assert_ptr_nonnull (m);
  ck_assert_str_eq (m->type, "tmpfs");
  ck_assert_uint_eq (m->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC),
                     MS_NOSUID | MS_NODEV | MS_NOEXEC);
  ck_assert_ptr_null (m->data);
  m = find_mount ("/cache");
  ck_assert_ptr_nonnull (m);
  /* the user's "exec" comes after the default "noexec" and wins */
  ck_assert_uint_eq (m->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC), MS_NOSUID | MS_NODEV);
  ck_assert_str_eq (m->data, "size=10m,mode=1777");
  ck_assert_str_eq (str (record, "HostConfig.Tmpfs./run"), "");
  ck_assert_str_eq (str (record, "HostConfig.Tmpfs./cache"), "size=10m,mode=1777,exec");
}
END_TEST

START_TEST (a_user_rootfs_gets_etc_files_bound_only_over_its_own)
{
  struct mr_run_config cfg;
  struct mr_error err = { 0 };
  char *root = in_scratch ("root");
  char *etc = in_scratch ("root/etc");
  char *hosts = in_scratch ("root/etc/hosts");
  char *path = in_scratch ("config.json");
  size_t n_etc = 0;

  ck_assert_int_eq (mkdir (root, 0755), 0);
  ck_assert_int_eq (mkdir (etc, 0755), 0);
  put_file (hosts, "127.0.0.1 localhost\n");
  mr_run_config_init (&cfg);
  ck_assert_msg (
      mr_run_config_build (&cfg, "web", root, NULL, "/var/lib/x/etc", &spec, &record, &err) == 0,
      "build: %s", err.msg);
  ck_assert_int_eq (json_dump_file (spec, path, JSON_INDENT (2)), 0);
  ck_assert_msg (mr_spec_load_file (path, &parsed, &err) == 0, "parse: %s", err.msg);
  for (size_t i = 0; i < parsed->n_mounts; i++)
    if (strncmp (parsed->mounts[i].destination, "/etc/", 5) == 0)
      {
        ck_assert_str_eq (parsed->mounts[i].destination, "/etc/hosts");
        n_etc++;
      }
  ck_assert_uint_eq (n_etc, 1);
  free (root);
  free (etc);
  free (hosts);
  free (path);
}
END_TEST

START_TEST (etc_dir_files_are_bound_after_the_defaults)
{
  static const char *const tmpfs[] = { "/tmp", NULL };
  struct mr_run_config cfg;
  const char *files[] = { "hostname", "hosts", "resolv.conf" };

  json_t *image = json_object ();

  mr_run_config_init (&cfg);
  cfg.tmpfs = tmpfs;
  /* an image's root is the container's own: every file is bound */
  build_image (&cfg, image, "/var/lib/minirun/containers/web/etc");
  json_decref (image);
  ck_assert_uint_eq (parsed->n_mounts, 11);
  for (int i = 0; i < 3; i++)
    {
      const struct mr_spec_mount *m = &parsed->mounts[7 + i];
      char src[256], dst[64];
      snprintf (src, sizeof src, "/var/lib/minirun/containers/web/etc/%s", files[i]);
      snprintf (dst, sizeof dst, "/etc/%s", files[i]);
      ck_assert_str_eq (m->destination, dst);
      ck_assert_str_eq (m->source, src);
      ck_assert_uint_eq (m->flags & (MS_BIND | MS_RDONLY), MS_BIND);
    }
  ck_assert_str_eq (parsed->mounts[10].destination, "/tmp");
}
END_TEST

START_TEST (labels_stop_and_restart_go_to_the_record)
{
  static const char *const labels[] = { "app=web", "tier=", "flag", "app=api", NULL };
  struct mr_run_config cfg;

  mr_run_config_init (&cfg);
  cfg.labels = labels;
  cfg.stop_signal = "quit";
  cfg.stop_timeout = 3;
  cfg.restart = "on-failure:5";
  build (&cfg);
  ck_assert_uint_eq (json_object_size (get (record, "Config.Labels")), 3);
  ck_assert_str_eq (str (record, "Config.Labels.app"), "api");
  ck_assert_str_eq (str (record, "Config.Labels.tier"), "");
  ck_assert_str_eq (str (record, "Config.Labels.flag"), "");
  ck_assert_str_eq (str (record, "Config.StopSignal"), "SIGQUIT");
  ck_assert_int_eq (num (record, "Config.StopTimeout"), 3);
  ck_assert_str_eq (str (record, "HostConfig.RestartPolicy.Name"), "on-failure");
  ck_assert_int_eq (num (record, "HostConfig.RestartPolicy.MaximumRetryCount"), 5);
  /* labels never reach the OCI config */
  ck_assert_uint_eq (parsed->n_annotations, 1);
  {
    char *dump = json_dumps (spec, 0);
    ck_assert_ptr_nonnull (dump);
    ck_assert_ptr_null (strstr (dump, "tier"));
    free (dump);
  }
}
END_TEST

START_TEST (auto_remove_and_realtime_stop_signal)
{
  struct mr_run_config cfg;

  mr_run_config_init (&cfg);
  cfg.auto_remove = true;
  cfg.restart = "no";
  cfg.stop_signal = "RTMIN+3";
  build (&cfg);
  ck_assert (json_is_true (get (record, "HostConfig.AutoRemove")));
  ck_assert_str_eq (str (record, "Config.StopSignal"), "SIGRTMIN+3");
}
END_TEST

/* --- bad values ----------------------------------------------------------- */

static const struct
{
  const char *option;
  const char *value;
  const char *want; /* the message starts with this */
} bad[] = {
  { "volume", "data:/data", "invalid --volume 'data:/data': the host path must be absolute" },
  { "volume", "/nonexistent-mr-test:/data",
    "invalid --volume '/nonexistent-mr-test:/data': host path '/nonexistent-mr-test': No such "
    "file or directory" },
  { "volume", "/tmp:/data:rx", "invalid --volume '/tmp:/data:rx': unknown mode 'rx'" },
  { "volume", "/tmp:/data:ro:rw", "invalid --volume '/tmp:/data:ro:rw': expected" },
  { "volume", "/tmp", "invalid --volume '/tmp': expected HOST:CONTAINER" },
  { "volume", "/tmp:data", "invalid --volume '/tmp:data': the container path must be absolute" },
  { "volume", "/tmp:/", "invalid --volume '/tmp:/': the container path must not be '/'" },
  { "volume", "/tmp:/a/../b", "invalid --volume '/tmp:/a/../b': the container path must not" },
  { "tmpfs", "run", "invalid --tmpfs 'run': the container path must be absolute" },
  { "tmpfs", "/run:size=1m,bogus",
    "invalid --tmpfs '/run:size=1m,bogus': unknown mount option "
    "'bogus'" },
  { "tmpfs", "//", "invalid --tmpfs '//': the container path must not be '/'" },
  { "cap_add", "NET_WIZARD", "invalid --cap-add 'NET_WIZARD': unknown capability" },
  { "cap_add", "CAP_", "invalid --cap-add 'CAP_': unknown capability" },
  { "cap_drop", "CAP_ALL", "invalid --cap-drop 'CAP_ALL': unknown capability" },
  { "ulimit", "nofiles=10", "invalid --ulimit 'nofiles=10': unknown limit 'nofiles'" },
  { "ulimit", "nofile=10:5", "invalid --ulimit 'nofile=10:5': soft limit above hard limit" },
  { "ulimit", "nofile=unlimited:5",
    "invalid --ulimit 'nofile=unlimited:5': soft limit above hard limit" },
  { "ulimit", "nofile=ten", "invalid --ulimit 'nofile=ten': limits are numbers" },
  { "ulimit", "nofile=-2", "invalid --ulimit 'nofile=-2': limits are numbers" },
  { "ulimit", "nofile", "invalid --ulimit 'nofile': expected NAME=SOFT[:HARD]" },
  { "cpus", "nan", "invalid --cpus 'nan': it must be a positive number" },
  { "cpus", "-1", "invalid --cpus '-1': it must be a positive number" },
  { "cpus", "inf", "invalid --cpus 'inf': it must be a positive number" },
  { "cpus", "0.001", "invalid --cpus '0.001': the minimum is 0.01" },
  { "cpus", "too-many", "invalid --cpus '" }, /* the host's CPU count + 1 */
  { "cpu_shares", "1", "invalid --cpu-shares '1': it must be in 2..262144" },
  { "cpu_shares", "262145", "invalid --cpu-shares '262145': it must be in 2..262144" },
  { "cpuset", "", "invalid --cpuset-cpus '': it is empty" },
  { "cpuset", "0-", "invalid --cpuset-cpus '0-': expected CPU numbers and ranges" },
  { "cpuset", "0,,1", "invalid --cpuset-cpus '0,,1': expected CPU numbers and ranges" },
  { "cpuset", "0,", "invalid --cpuset-cpus '0,': expected CPU numbers and ranges" },
  { "cpuset", "a", "invalid --cpuset-cpus 'a': expected CPU numbers and ranges" },
  { "cpuset", "1-0", "invalid --cpuset-cpus '1-0': range 1-0 is backwards" },
  { "cpuset", "0-100000", "invalid --cpuset-cpus '0-100000': CPU 100000 does not exist" },
  { "memory", "4194304", "invalid --memory '4194304': the minimum is 6 MiB" },
  { "memory", "-2", "invalid --memory '-2': it must not be negative" },
  { "memory_swap", "33554432",
    "invalid --memory-swap '33554432': it counts memory and swap, so "
    "it must be at least --memory (67108864)" },
  { "swap_only", "134217728", "invalid --memory-swap '134217728': it needs a --memory limit" },
  { "pids", "-5", "invalid --pids-limit '-5'" },
  { "hostname", "-web", "invalid --hostname '-web': labels between dots" },
  { "hostname", "web-", "invalid --hostname 'web-': labels between dots" },
  { "hostname", "a..b", "invalid --hostname 'a..b': labels between dots" },
  { "hostname", "web.", "invalid --hostname 'web.': it must not end with '.'" },
  { "hostname", "my host", "invalid --hostname 'my host': only letters, digits" },
  { "hostname", "x\ny", "invalid --hostname 'x\ny': only letters, digits" },
  { "hostname", "", "invalid --hostname '': it must be 1 to 64 characters" },
  { "hostname", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "invalid --hostname 'aaaa" },
  { "user", "nobody", "invalid --user 'nobody': give numbers, UID[:GID]" },
  { "user", "1000:staff", "invalid --user '1000:staff': give numbers" },
  { "user", "-1", "invalid --user '-1': give numbers" },
  { "user", "4294967295", "invalid --user '4294967295': give numbers" },
  { "user", ":1", "invalid --user ':1': give numbers" },
  { "workdir", "srv", "invalid --workdir 'srv': it must be an absolute path" },
  { "env", "=x", "invalid --env '=x': the variable name is empty" },
  { "label", "=x", "invalid --label '=x': the name is empty" },
  { "stop_signal", "SIGNOPE", "invalid --stop-signal 'SIGNOPE': unknown signal" },
  { "stop_timeout", "-3", "invalid --stop-timeout '-3': it must not be negative" },
  { "restart", "sometimes", "invalid --restart 'sometimes': want no, on-failure[:N], always" },
  { "restart", "on-failure:-1", "invalid --restart 'on-failure:-1': the maximum retry count" },
  { "rm_restart", "always", "invalid --restart 'always': a container removed on exit (--rm)" },
  { "args", "", "invalid command: the program name is empty" },
  { "duplicate", "/data", "invalid --tmpfs '/data/': duplicate mount point '/data'" },
};

START_TEST (bad_values_fail_naming_the_option_and_value)
{
  const char *v = bad[_i].value, *o = bad[_i].option;
  const char *list[] = { v, NULL };
  const char *list2[] = { "/data/", NULL };
  const char *taken[] = { "/tmp:/data", NULL };
  char many[32];
  struct mr_run_config cfg;
  const char *msg;

  mr_run_config_init (&cfg);
  if (strcmp (o, "volume") == 0 || strcmp (o, "duplicate") == 0)
    cfg.volumes = strcmp (o, "duplicate") == 0 ? taken : list;
  if (strcmp (o, "duplicate") == 0)
    cfg.tmpfs = list2;
  else if (strcmp (o, "tmpfs") == 0)
    cfg.tmpfs = list;
  else if (strcmp (o, "cap_add") == 0)
    cfg.cap_add = list;
  else if (strcmp (o, "cap_drop") == 0)
    cfg.cap_drop = list;
  else if (strcmp (o, "ulimit") == 0)
    cfg.ulimits = list;
  else if (strcmp (o, "cpus") == 0 && strcmp (v, "too-many") == 0)
    {
      cfg.cpus = (double)sysconf (_SC_NPROCESSORS_ONLN) + 1;
      snprintf (many, sizeof many, "%g", cfg.cpus);
    }
  else if (strcmp (o, "cpus") == 0)
    cfg.cpus = strtod (v, NULL);
  else if (strcmp (o, "cpu_shares") == 0)
    cfg.cpu_shares = strtoll (v, NULL, 10);
  else if (strcmp (o, "cpuset") == 0)
    cfg.cpuset_cpus = v;
  else if (strcmp (o, "memory") == 0)
    cfg.memory = strtoll (v, NULL, 10);
  else if (strcmp (o, "memory_swap") == 0)
    {
      cfg.memory = 64 << 20;
      cfg.memory_swap = strtoll (v, NULL, 10);
    }
  else if (strcmp (o, "swap_only") == 0)
    cfg.memory_swap = strtoll (v, NULL, 10);
  else if (strcmp (o, "pids") == 0)
    cfg.pids_limit = strtoll (v, NULL, 10);
  else if (strcmp (o, "hostname") == 0)
    cfg.hostname = v;
  else if (strcmp (o, "user") == 0)
    cfg.user = v;
  else if (strcmp (o, "workdir") == 0)
    cfg.workdir = v;
  else if (strcmp (o, "env") == 0)
    cfg.env = list;
  else if (strcmp (o, "label") == 0)
    cfg.labels = list;
  else if (strcmp (o, "stop_signal") == 0)
    cfg.stop_signal = v;
  else if (strcmp (o, "stop_timeout") == 0)
    cfg.stop_timeout = atoi (v);
  else if (strcmp (o, "restart") == 0)
    cfg.restart = v;
  else if (strcmp (o, "rm_restart") == 0)
    {
      cfg.restart = v;
      cfg.auto_remove = true;
    }
  else if (strcmp (o, "args") == 0)
    cfg.args = list;

  msg = build_fails (&cfg);
  ck_assert_msg (strncmp (msg, bad[_i].want, strlen (bad[_i].want)) == 0, "%s '%s': got '%s'", o, v,
                 msg);
  if (strcmp (v, "too-many") == 0)
    ck_assert_msg (strstr (msg, many) && strstr (msg, "CPUs are online"), "got '%s'", msg);
}
END_TEST

START_TEST (bad_image_config_fails)
{
  struct mr_run_config cfg;
  struct mr_error err = { 0 };
  json_t *s, *r;
  json_t *images[] = {
    json_pack ("{s:s}", "User", "nginx"),
    json_pack ("{s:s}", "WorkingDir", "srv"),
    json_pack ("{s:[i]}", "Cmd", 1),
    json_pack ("{s:[s]}", "Env", "NOEQUALS"),
  };
  const char *want[] = {
    "the image's user 'nginx' is not numeric: give --user UID[:GID]",
    "invalid image config: WorkingDir 'srv' is not an absolute path",
    "invalid image config: Cmd[0]",
    "invalid image config: Env[0]",
  };

  mr_run_config_init (&cfg);
  for (int i = 0; i < N (images); i++)
    {
      ck_assert_int_lt (mr_run_config_build (&cfg, "web", ROOTFS, images[i], NULL, &s, &r, &err),
                        0);
      ck_assert_msg (strncmp (err.msg, want[i], strlen (want[i])) == 0, "got '%s'", err.msg);
      json_decref (images[i]);
    }
}
END_TEST

START_TEST (relative_rootfs_fails)
{
  struct mr_run_config cfg;
  struct mr_error err = { 0 };
  json_t *s, *r;

  mr_run_config_init (&cfg);
  ck_assert_int_lt (mr_run_config_build (&cfg, "web", "rootfs", NULL, NULL, &s, &r, &err), 0);
  ck_assert_str_eq (err.msg, "rootfs 'rootfs' must be an absolute path");
}
END_TEST

/* --- restart policies ----------------------------------------------------- */

static const struct
{
  const char *s;
  enum mr_restart_kind kind;
  int retries;
} good_restart[] = {
  { NULL, MR_RESTART_NO, 0 },
  { "", MR_RESTART_NO, 0 },
  { "no", MR_RESTART_NO, 0 },
  { "on-failure", MR_RESTART_ON_FAILURE, 0 },
  { "on-failure:0", MR_RESTART_ON_FAILURE, 0 },
  { "on-failure:3", MR_RESTART_ON_FAILURE, 3 },
  { "on-failure:2147483647", MR_RESTART_ON_FAILURE, 2147483647 },
  { "always", MR_RESTART_ALWAYS, 0 },
  { "unless-stopped", MR_RESTART_UNLESS_STOPPED, 0 },
};

START_TEST (restart_policies_parse)
{
  enum mr_restart_kind kind = MR_RESTART_ALWAYS;
  struct mr_error err = { 0 };
  int retries = -7;

  ck_assert_msg (mr_restart_parse (good_restart[_i].s, &kind, &retries, &err) == 0, "%s: %s",
                 good_restart[_i].s, err.msg);
  ck_assert_int_eq (kind, good_restart[_i].kind);
  ck_assert_int_eq (retries, good_restart[_i].retries);
}
END_TEST

static const char *const bad_restart[] = {
  "sometimes", "on-failure:-1", "on-failure:",      "on-failure:x", "on-failure:2147483648",
  "always:3",  "no:1",          "unless-stopped:2", "On-Failure",   "on-failure:3:4",
  "always ",
};

START_TEST (bad_restart_policies_fail)
{
  enum mr_restart_kind kind;
  struct mr_error err = { 0 };
  int retries;
  char want[128];

  ck_assert_int_lt (mr_restart_parse (bad_restart[_i], &kind, &retries, &err), 0);
  snprintf (want, sizeof want, "invalid --restart '%s': ", bad_restart[_i]);
  ck_assert_msg (strncmp (err.msg, want, strlen (want)) == 0, "got '%s'", err.msg);
}
END_TEST

START_TEST (restart_names_round_trip)
{
  enum mr_restart_kind kinds[]
      = { MR_RESTART_NO, MR_RESTART_ON_FAILURE, MR_RESTART_ALWAYS, MR_RESTART_UNLESS_STOPPED };

  for (int i = 0; i < N (kinds); i++)
    {
      enum mr_restart_kind k;
      int n;
      struct mr_error err = { 0 };
      ck_assert_int_eq (mr_restart_parse (mr_restart_name (kinds[i]), &k, &n, &err), 0);
      ck_assert_int_eq (k, kinds[i]);
    }
  ck_assert_str_eq (mr_restart_name (MR_RESTART_UNLESS_STOPPED), "unless-stopped");
}
END_TEST

/* --- names and init ------------------------------------------------------- */

START_TEST (generated_names_are_valid_ids_and_vary)
{
  char first[64], name[64];
  int different = 0;

  mr_name_generate (first, sizeof first);
  for (int i = 0; i < 200; i++)
    {
      struct mr_error err = { 0 };
      const char *us;
      mr_name_generate (name, sizeof name);
      ck_assert_msg (mr_id_validate (name, &err) == 0, "%s: %s", name, err.msg);
      us = strchr (name, '_');
      ck_assert_msg (us && us != name && us[1] && !strchr (us + 1, '_'), "'%s'", name);
      for (const char *p = name; *p; p++)
        ck_assert_msg ((*p >= 'a' && *p <= 'z') || *p == '_', "'%s'", name);
      if (strcmp (name, first) != 0)
        different++;
    }
  /* with thousands of names, 200 draws all equal to the first cannot happen
   * unless the generator is stuck */
  ck_assert_int_gt (different, 150);
}
END_TEST

START_TEST (init_sets_the_unset_markers)
{
  struct mr_run_config cfg;

  memset (&cfg, 0x5a, sizeof cfg);
  mr_run_config_init (&cfg);
  ck_assert_uint_eq (cfg.size, sizeof cfg);
  ck_assert_int_eq (cfg.memory, -1);
  ck_assert_int_eq (cfg.memory_swap, -1);
  ck_assert_int_eq (cfg.cpu_shares, -1);
  ck_assert_int_eq (cfg.pids_limit, -1);
  ck_assert_int_eq (cfg.stop_timeout, -1);
  ck_assert (cfg.cpus == 0);
  ck_assert_ptr_null (cfg.name);
  ck_assert_ptr_null (cfg.args);
  ck_assert_ptr_null (cfg.restart);
  ck_assert (!cfg.tty && !cfg.read_only && !cfg.auto_remove && !cfg.interactive);
}
END_TEST

/* --- /etc files ----------------------------------------------------------- */

START_TEST (resolv_conf_leaves_out_loopback_nameservers)
{
  static const struct
  {
    const char *in, *want;
  } cases[] = {
    { "nameserver 127.0.0.53\noptions edns0\n",
      "options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n" },
    { "search lan\nnameserver 10.0.0.1\n nameserver\t127.0.0.1\nnameserver ::1\n",
      "search lan\nnameserver 10.0.0.1\n" },
    { "nameserver ::10\n", "nameserver ::10\n" },
    { "nameserver 1.1.1.1", "nameserver 1.1.1.1\n" },
    { "", "nameserver 8.8.8.8\nnameserver 8.8.4.4\n" },
    { "# nameserver 127.0.0.1\nnameserver 9.9.9.9\n",
      "# nameserver 127.0.0.1\nnameserver 9.9.9.9\n" },
    /* a look-alike is kept but names no server: the fallback still comes */
    { "nameservers 10.0.0.1\nnameserver ::1\r\n",
      "nameservers 10.0.0.1\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n" },
  };
  struct mr_error err = { 0 };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      char *out = NULL;
      ck_assert_msg (mr_resolv_conf_off_loopback (cases[i].in, strlen (cases[i].in), &out, &err)
                         == 0,
                     "%s", err.msg);
      ck_assert_str_eq (out, cases[i].want);
      free (out);
    }
}
END_TEST

START_TEST (dns_servers_are_checked_and_recorded)
{
  static const char *const dns[] = { "192.0.2.53", "2001:db8::53", NULL };
  static const char *const bad[][2] = {
    { "8.8.8", "invalid --dns '8.8.8': expected an IPv4 or IPv6 address" },
    { "dns.example", "invalid --dns 'dns.example'" },
    { "fe80::1%eth0", "invalid --dns 'fe80::1%eth0'" },
    { "", "invalid --dns ''" },
    { "1.2.3.4 ", "invalid --dns '1.2.3.4 '" },
  };
  static const char *const four[] = { "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", NULL };
  struct mr_run_config cfg;

  mr_run_config_init (&cfg);
  build (&cfg);
  ck_assert_uint_eq (json_array_size (get (record, "HostConfig.Dns")), 0);
  teardown ();
  setup ();
  cfg.dns = dns;
  build (&cfg);
  ck_assert_joined (record, "HostConfig.Dns", "192.0.2.53 2001:db8::53");
  teardown ();
  setup ();
  cfg.network = "bridge";
  build (&cfg);
  ck_assert_joined (record, "HostConfig.Dns", "192.0.2.53 2001:db8::53");
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      const char *one[] = { bad[i][0], NULL };
      cfg.dns = one;
      ck_assert_ptr_nonnull (strstr (build_fails (&cfg), bad[i][1]));
    }
  cfg.dns = four;
  ck_assert_ptr_nonnull (strstr (build_fails (&cfg), "invalid --dns '192.0.2.4': at most 3"));
  cfg.dns = dns;
  cfg.network = "host";
  ck_assert_ptr_nonnull (
      strstr (build_fails (&cfg), "conflicting options: --dns and --network host"));
  cfg.network = "container:db";
  ck_assert_ptr_nonnull (
      strstr (build_fails (&cfg), "conflicting options: dns and the network mode"));
}
END_TEST

START_TEST (resolv_conf_takes_the_dns_servers_given)
{
  static const char *const one[] = { "192.0.2.53", NULL };
  static const char *const two[] = { "192.0.2.53", "2001:db8::53", NULL };
  static const struct
  {
    const char *in;
    const char *const *servers;
    const char *want;
  } cases[] = {
    { "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n", one,
      "options edns0 trust-ad\nsearch lan\nnameserver 192.0.2.53\n" },
    { "# from dhcp\nnameserver 10.0.0.1\n  nameserver\t10.0.0.2\nsearch a b", two,
      "# from dhcp\nsearch a b\nnameserver 192.0.2.53\nnameserver 2001:db8::53\n" },
    { "", one, "nameserver 192.0.2.53\n" },
    { "nameservers-are-not-this 1\n", one, "nameservers-are-not-this 1\nnameserver 192.0.2.53\n" },
  };
  struct mr_error err = { 0 };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      char *out = NULL;
      ck_assert_msg (mr_resolv_conf_nameservers (cases[i].in, strlen (cases[i].in),
                                                 cases[i].servers, &out, &err)
                         == 0,
                     "%s", err.msg);
      ck_assert_str_eq (out, cases[i].want);
      free (out);
    }
}
END_TEST

START_TEST (write_etc_writes_hostname_hosts_and_resolv_conf)
{
  char *dir = in_scratch ("etc/sub");
  char *p;
  char *got;
  struct mr_error err = { 0 };
  struct stat st;

  ck_assert_msg (mr_run_config_write_etc (dir, "web-1", &err) == 0, "%s", err.msg);
  ck_assert_int_ge (asprintf (&p, "%s/hostname", dir), 0);
  got = get_file (p);
  ck_assert_str_eq (got, "web-1\n");
  free (got);
  free (p);
  ck_assert_int_ge (asprintf (&p, "%s/hosts", dir), 0);
  got = get_file (p);
  ck_assert_str_eq (got, "127.0.0.1\tlocalhost\n"
                         "::1\tlocalhost ip6-localhost ip6-loopback\n"
                         "127.0.1.1\tweb-1\n");
  ck_assert_int_eq (stat (p, &st), 0);
  ck_assert_int_eq (st.st_mode & 07777, 0644);
  free (got);
  free (p);
  ck_assert_int_ge (asprintf (&p, "%s/resolv.conf", dir), 0);
  got = get_file (p);
  if (access ("/etc/resolv.conf", R_OK) == 0)
    {
      char *host = get_file ("/etc/resolv.conf");
      ck_assert_str_eq (got, host);
      free (host);
    }
  else
    ck_assert_str_eq (got, "");
  free (got);
  free (p);

  /* a second write replaces the files */
  ck_assert_msg (mr_run_config_write_etc (dir, "other", &err) == 0, "%s", err.msg);
  ck_assert_int_ge (asprintf (&p, "%s/hostname", dir), 0);
  got = get_file (p);
  ck_assert_str_eq (got, "other\n");
  free (got);
  free (p);
  free (dir);
}
END_TEST

START_TEST (write_etc_refuses_a_hostname_that_would_break_hosts)
{
  char *dir = in_scratch ("etc");
  struct mr_error err = { 0 };

  ck_assert_int_lt (mr_run_config_write_etc (dir, "a\n1.2.3.4 evil", &err), 0);
  ck_assert_str_eq (err.msg, "invalid host name 'a\n1.2.3.4 evil'");
  ck_assert_int_lt (mr_run_config_write_etc (dir, "", &err), 0);
  ck_assert_int_ne (access (dir, F_OK), 0);
  free (dir);
}
END_TEST

START_TEST (write_etc_fails_where_the_directory_cannot_be)
{
  char *file = in_scratch ("file");
  char *dir = in_scratch ("file/etc");
  struct mr_error err = { 0 };

  put_file (file, "");
  ck_assert_int_lt (mr_run_config_write_etc (dir, "web", &err), 0);
  ck_assert_msg (strstr (err.msg, "Not a directory"), "got '%s'", err.msg);
  free (file);
  free (dir);
}
END_TEST

/* --- security ------------------------------------------------------------ */

/* The rule of the spec's seccomp profile naming syscall name with the
 * given action, its index in *at (-1 when none); from index from.  */
static json_t *
seccomp_rule (const char *name, const char *action, int from, int *at)
{
  json_t *rules = get (spec, "linux.seccomp.syscalls"), *r, *n;
  size_t i, j;

  json_array_foreach (rules, i, r)
  {
    if ((int)i < from || strcmp (json_string_value (json_object_get (r, "action")), action) != 0)
      continue;
    json_array_foreach (json_object_get (r, "names"), j,
                        n) if (strcmp (json_string_value (n), name) == 0)
    {
      if (at)
        *at = (int)i;
      return r;
    }
  }
  if (at)
    *at = -1;
  return NULL;
}

static bool
allowed_plainly (const char *name)
{
  json_t *r = seccomp_rule (name, "SCMP_ACT_ALLOW", 0, NULL);
  return r && json_object_get (r, "args") == NULL;
}

START_TEST (default_seccomp_profile_denies_with_eperm_and_gates_on_caps)
{
  struct mr_run_config cfg;
  json_t *r;

  mr_run_config_init (&cfg);
  build (&cfg);
  ck_assert_ptr_nonnull (parsed->linux.seccomp);
  ck_assert_str_eq (str (spec, "linux.seccomp.defaultAction"), "SCMP_ACT_ERRNO");
  ck_assert_int_eq (num (spec, "linux.seccomp.defaultErrnoRet"), EPERM);
  ck_assert (json_array_size (get (spec, "linux.seccomp.architectures")) > 0
             || strcmp (str (spec, "linux.seccomp.defaultAction"), "SCMP_ACT_ERRNO") == 0);
  /* ordinary programs */
  ck_assert (allowed_plainly ("read"));
  ck_assert (allowed_plainly ("execve"));
  ck_assert (allowed_plainly ("openat"));
  ck_assert (allowed_plainly ("chroot"));
  /* never: the keyring and kexec */
  ck_assert_ptr_null (seccomp_rule ("add_key", "SCMP_ACT_ALLOW", 0, NULL));
  ck_assert_ptr_null (seccomp_rule ("keyctl", "SCMP_ACT_ALLOW", 0, NULL));
  ck_assert_ptr_null (seccomp_rule ("request_key", "SCMP_ACT_ALLOW", 0, NULL));
  ck_assert_ptr_null (seccomp_rule ("kexec_load", "SCMP_ACT_ALLOW", 0, NULL));
  /* not without their capabilities */
  ck_assert_ptr_null (seccomp_rule ("unshare", "SCMP_ACT_ALLOW", 0, NULL));
  ck_assert_ptr_null (seccomp_rule ("mount", "SCMP_ACT_ALLOW", 0, NULL));
  ck_assert_ptr_null (seccomp_rule ("setns", "SCMP_ACT_ALLOW", 0, NULL));
  ck_assert_ptr_null (seccomp_rule ("bpf", "SCMP_ACT_ALLOW", 0, NULL));
  ck_assert_ptr_null (seccomp_rule ("perf_event_open", "SCMP_ACT_ALLOW", 0, NULL));
  ck_assert_ptr_null (seccomp_rule ("process_vm_readv", "SCMP_ACT_ALLOW", 0, NULL));
  ck_assert_ptr_null (seccomp_rule ("init_module", "SCMP_ACT_ALLOW", 0, NULL));
  ck_assert_ptr_null (seccomp_rule ("reboot", "SCMP_ACT_ALLOW", 0, NULL));
  ck_assert_ptr_null (seccomp_rule ("settimeofday", "SCMP_ACT_ALLOW", 0, NULL));
  ck_assert_ptr_null (seccomp_rule ("set_mempolicy", "SCMP_ACT_ALLOW", 0, NULL));
  /* clone only without namespace flags, clone3 answers ENOSYS */
  ck_assert (!allowed_plainly ("clone"));
  r = seccomp_rule ("clone", "SCMP_ACT_ALLOW", 0, NULL);
  ck_assert_ptr_nonnull (r);
  ck_assert_str_eq (str (r, "args.0.op"), "SCMP_CMP_MASKED_EQ");
  ck_assert_int_eq (num (r, "args.0.value"), 0x7E020000);
  ck_assert_int_eq (num (r, "args.0.valueTwo"), 0);
  r = seccomp_rule ("clone3", "SCMP_ACT_ERRNO", 0, NULL);
  ck_assert_ptr_nonnull (r);
  ck_assert_int_eq (num (r, "errnoRet"), ENOSYS);
  ck_assert_ptr_null (seccomp_rule ("clone3", "SCMP_ACT_ALLOW", 0, NULL));
}
END_TEST

START_TEST (seccomp_profile_follows_added_capabilities)
{
  static const char *const add[] = { "SYS_ADMIN", "CAP_PERFMON", "SYS_PTRACE", "SYS_TIME", NULL };
  struct mr_run_config cfg;

  mr_run_config_init (&cfg);
  cfg.cap_add = add;
  build (&cfg);
  ck_assert (allowed_plainly ("unshare"));
  ck_assert (allowed_plainly ("mount"));
  ck_assert (allowed_plainly ("setns"));
  ck_assert (allowed_plainly ("clone"));
  ck_assert (allowed_plainly ("clone3"));
  ck_assert_ptr_null (seccomp_rule ("clone3", "SCMP_ACT_ERRNO", 0, NULL));
  ck_assert (allowed_plainly ("perf_event_open"));
  ck_assert (allowed_plainly ("process_vm_writev"));
  ck_assert (allowed_plainly ("clock_settime"));
  /* still never */
  ck_assert_ptr_null (seccomp_rule ("add_key", "SCMP_ACT_ALLOW", 0, NULL));
  ck_assert_ptr_null (seccomp_rule ("init_module", "SCMP_ACT_ALLOW", 0, NULL));
  ck_assert_str_eq (str (record, "Security.Seccomp"), "default");
}
END_TEST

START_TEST (perfmon_alone_allows_perf_event_open)
{
  static const char *const add[] = { "PERFMON", NULL };
  struct mr_run_config cfg;

  mr_run_config_init (&cfg);
  cfg.cap_add = add;
  build (&cfg);
  ck_assert (allowed_plainly ("perf_event_open"));
  ck_assert_ptr_null (seccomp_rule ("unshare", "SCMP_ACT_ALLOW", 0, NULL));
}
END_TEST

START_TEST (mknod_is_not_a_default_capability_but_can_be_added)
{
  static const char *const add[] = { "MKNOD", NULL };
  struct mr_run_config cfg;
  uint64_t mknod = UINT64_C (1) << CAP_MKNOD;

  mr_run_config_init (&cfg);
  build (&cfg);
  ck_assert (!(parsed->process.caps.bounding & mknod));
  json_decref (spec);
  json_decref (record);
  mr_spec_free (parsed);
  cfg.cap_add = add;
  build (&cfg);
  ck_assert (parsed->process.caps.bounding & mknod);
  ck_assert (parsed->process.caps.effective & mknod);
}
END_TEST

START_TEST (seccomp_unconfined_and_no_new_privileges)
{
  static const char *const opts[] = { "seccomp=unconfined", "no-new-privileges", NULL };
  static const char *const opts2[] = { "no-new-privileges:true", "no-new-privileges=false", NULL };
  struct mr_run_config cfg;

  mr_run_config_init (&cfg);
  cfg.security_opt = opts;
  build (&cfg);
  ck_assert_ptr_null (parsed->linux.seccomp);
  ck_assert_ptr_null (get (spec, "linux.seccomp"));
  ck_assert (parsed->process.no_new_privileges);
  ck_assert_str_eq (str (record, "Security.Seccomp"), "unconfined");
  ck_assert (json_is_true (get (record, "Security.NoNewPrivileges")));
  ck_assert_joined (record, "HostConfig.SecurityOpt", "seccomp=unconfined no-new-privileges");
  json_decref (spec);
  json_decref (record);
  mr_spec_free (parsed);
  /* the last one counts */
  cfg.security_opt = opts2;
  build (&cfg);
  ck_assert (!parsed->process.no_new_privileges);
  ck_assert_ptr_nonnull (parsed->linux.seccomp);
}
END_TEST

START_TEST (privileged_gets_everything_and_no_confinement)
{
  static const char *const opts[] = { "seccomp=unconfined", NULL };
  struct mr_run_config cfg;
  const struct mr_spec_mount *m;
  int sys_admin = mr_spec_cap_from_name ("CAP_SYS_ADMIN");

  (void)opts;
  mr_run_config_init (&cfg);
  cfg.privileged = true;
  build (&cfg);
  ck_assert_ptr_null (parsed->linux.seccomp);
  ck_assert_ptr_null (get (spec, "linux.maskedPaths"));
  ck_assert_ptr_null (get (spec, "linux.readonlyPaths"));
  if (prctl (PR_CAPBSET_READ, (unsigned long)sys_admin, 0, 0, 0) == 1)
    ck_assert (parsed->process.caps.bounding & (UINT64_C (1) << sys_admin));
  ck_assert (parsed->process.caps.bounding & (UINT64_C (1) << CAP_MKNOD));
  ck_assert_uint_eq (parsed->linux.resources->n_devices, 1);
  ck_assert (parsed->linux.resources->devices[0].allow);
  /* the host's /dev/null at least */
  ck_assert_uint_gt (parsed->linux.n_devices, 0);
  m = find_mount ("/sys");
  ck_assert_ptr_nonnull (m);
  ck_assert (!(m->flags & MS_RDONLY));
  ck_assert (json_is_true (get (record, "HostConfig.Privileged")));
  ck_assert (json_is_true (get (record, "Security.Privileged")));
  ck_assert_str_eq (str (record, "Security.Seccomp"), "unconfined");
}
END_TEST

START_TEST (docker_format_profile_is_converted_for_this_machine)
{
  char *path = in_scratch ("profile.json");
  char *opt;
  const char *opts[2];
  struct mr_run_config cfg;

  put_file (path, "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,"
                  " \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\","
                  "   \"subArchitectures\": [\"SCMP_ARCH_X86\"]},"
                  "  {\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": []}],"
                  " \"syscalls\": ["
                  "  {\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\","
                  "   \"comment\": \"always\"},"
                  "  {\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ALLOW\","
                  "   \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
                  "  {\"names\": [\"chroot\"], \"action\": \"SCMP_ACT_ALLOW\","
                  "   \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}}]}");
  ck_assert_int_ge (asprintf (&opt, "seccomp=%s", path), 0);
  opts[0] = opt;
  opts[1] = NULL;
  mr_run_config_init (&cfg);
  cfg.security_opt = opts;
  build (&cfg);
  ck_assert_ptr_nonnull (parsed->linux.seccomp);
  ck_assert_ptr_null (get (spec, "linux.seccomp.archMap"));
  ck_assert (allowed_plainly ("read"));
  ck_assert (allowed_plainly ("chroot"));
  ck_assert_ptr_null (seccomp_rule ("mount", "SCMP_ACT_ALLOW", 0, NULL));
  ck_assert_ptr_null (get (spec, "linux.seccomp.syscalls.0.comment"));
  ck_assert_str_eq (str (record, "Security.Seccomp"), path);
  free (opt);
  free (path);
}
END_TEST

static const struct
{
  const char *opt;
  const char *msg;
} bad_security[] = {
  { "apparmor=unconfined", "invalid --security-opt 'apparmor=unconfined': want seccomp=" },
  { "no-new-privileges=yes", "invalid --security-opt 'no-new-privileges=yes': no-new-privileges "
                             "takes true or false" },
  { "seccomp=", "invalid --security-opt 'seccomp=': give seccomp=unconfined" },
  { "seccomp", "invalid --security-opt 'seccomp': give seccomp=unconfined" },
  { "seccomp=/nonexistent/profile.json",
    "invalid --security-opt 'seccomp=/nonexistent/profile.json': seccomp profile" },
};

START_TEST (bad_security_options_fail_naming_the_option)
{
  const char *opts[] = { bad_security[_i].opt, NULL };
  struct mr_run_config cfg;
  const char *msg;

  mr_run_config_init (&cfg);
  cfg.security_opt = opts;
  msg = build_fails (&cfg);
  ck_assert_msg (strncmp (msg, bad_security[_i].msg, strlen (bad_security[_i].msg)) == 0,
                 "message: %s", msg);
}
END_TEST

START_TEST (bad_profiles_fail_at_build)
{
  static const char *const docs[]
      = { "[1, 2]", "{\"syscalls\": []}", "{not json", "{\"defaultAction\": \"SCMP_ACT_NOPE\"}" };
  char *path = in_scratch ("bad.json");
  char *opt;
  const char *opts[2];
  struct mr_run_config cfg;
  const char *msg;

  ck_assert_int_ge (asprintf (&opt, "seccomp=%s", path), 0);
  opts[0] = opt;
  opts[1] = NULL;
  for (int i = 0; i < N (docs); i++)
    {
      put_file (path, docs[i]);
      mr_run_config_init (&cfg);
      cfg.security_opt = opts;
      msg = build_fails (&cfg);
      ck_assert_msg (strstr (msg, "invalid --security-opt 'seccomp=") == msg, "doc %d: %s", i, msg);
    }
  free (opt);
  free (path);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("runconfig");
  TCase *t;

  t = tcase_create ("defaults");
  tcase_add_unchecked_fixture (t, group_setup, group_teardown);
  tcase_add_checked_fixture (t, setup, teardown);
  tcase_add_test (t, defaults_are_dockers);
  tcase_add_test (t, default_mounts_are_runcs_in_order);
  tcase_add_test (t, default_record_uses_dockers_conventions);
  tcase_add_test (t, published_ports_are_docker_port_bindings);
  tcase_add_test (t, host_network_keeps_the_hosts_namespace);
  tcase_add_test (t, container_network_shares_another_containers_namespace);
  tcase_add_test (t, dns_servers_are_checked_and_recorded);
  tcase_add_test (t, image_config_gives_args_env_cwd_and_user);
  tcase_add_test (t, options_override_the_image_config);
  tcase_add_test (t, an_empty_image_config_falls_back_to_defaults);
  tcase_add_test (t, user_without_gid_runs_in_group_zero);
  suite_add_tcase (s, t);

  t = tcase_create ("env");
  tcase_add_unchecked_fixture (t, group_setup, group_teardown);
  tcase_add_checked_fixture (t, setup, teardown);
  tcase_add_test (t, env_later_sources_override_earlier_in_place);
  tcase_add_test (t, env_file_skips_comments_and_blank_lines);
  tcase_add_test (t, env_file_errors_name_the_file_and_line);
  suite_add_tcase (s, t);

  t = tcase_create ("options");
  tcase_add_unchecked_fixture (t, group_setup, group_teardown);
  tcase_add_checked_fixture (t, setup, teardown);
  tcase_add_test (t, tty_hostname_and_read_only);
  tcase_add_test (t, memory_limit_defaults_swap_to_twice_the_memory);
  tcase_add_test (t, memory_swap_given_or_unlimited);
  tcase_add_test (t, cpus_become_quota_over_a_100ms_period);
  tcase_add_test (t, cpuset_takes_lists_and_ranges);
  tcase_add_test (t, pids_limit_positive_sets_it_zero_leaves_it_unlimited);
  tcase_add_test (t, cap_add_and_drop_change_the_default_set);
  tcase_add_test (t, cap_drop_all_keeps_only_the_added);
  tcase_add_test (t, cap_add_all_grants_everything_but_the_dropped);
  tcase_add_test (t, ulimits_become_rlimits);
  tcase_add_test (t, volumes_are_private_recursive_binds);
  tcase_add_test (t, tmpfs_defaults_to_nosuid_nodev_noexec);
  tcase_add_test (t, etc_dir_files_are_bound_after_the_defaults);
  tcase_add_test (t, labels_stop_and_restart_go_to_the_record);
  tcase_add_test (t, auto_remove_and_realtime_stop_signal);
  suite_add_tcase (s, t);

  t = tcase_create ("security");
  tcase_add_unchecked_fixture (t, group_setup, group_teardown);
  tcase_add_checked_fixture (t, setup, teardown);
  tcase_add_test (t, default_seccomp_profile_denies_with_eperm_and_gates_on_caps);
  tcase_add_test (t, seccomp_profile_follows_added_capabilities);
  tcase_add_test (t, perfmon_alone_allows_perf_event_open);
  tcase_add_test (t, mknod_is_not_a_default_capability_but_can_be_added);
  tcase_add_test (t, seccomp_unconfined_and_no_new_privileges);
  tcase_add_test (t, privileged_gets_everything_and_no_confinement);
  tcase_add_test (t, docker_format_profile_is_converted_for_this_machine);
  tcase_add_loop_test (t, bad_security_options_fail_naming_the_option, 0, N (bad_security));
  tcase_add_test (t, bad_profiles_fail_at_build);
  suite_add_tcase (s, t);

  t = tcase_create ("errors");
  tcase_add_unchecked_fixture (t, group_setup, group_teardown);
  tcase_add_checked_fixture (t, setup, teardown);
  tcase_add_loop_test (t, bad_values_fail_naming_the_option_and_value, 0, N (bad));
  tcase_add_test (t, bad_image_config_fails);
  tcase_add_test (t, relative_rootfs_fails);
  suite_add_tcase (s, t);

  t = tcase_create ("restart");
  tcase_add_loop_test (t, restart_policies_parse, 0, N (good_restart));
  tcase_add_loop_test (t, bad_restart_policies_fail, 0, N (bad_restart));
  tcase_add_test (t, restart_names_round_trip);
  suite_add_tcase (s, t);

  t = tcase_create ("names");
  tcase_add_test (t, generated_names_are_valid_ids_and_vary);
  tcase_add_test (t, init_sets_the_unset_markers);
  suite_add_tcase (s, t);

  t = tcase_create ("etc");
  tcase_add_unchecked_fixture (t, group_setup, group_teardown);
  tcase_add_checked_fixture (t, setup, teardown);
  tcase_add_test (t, write_etc_writes_hostname_hosts_and_resolv_conf);
  tcase_add_test (t, a_user_rootfs_gets_etc_files_bound_only_over_its_own);
  tcase_add_test (t, write_etc_refuses_a_hostname_that_would_break_hosts);
  tcase_add_test (t, write_etc_fails_where_the_directory_cannot_be);
  tcase_add_test (t, resolv_conf_leaves_out_loopback_nameservers);
  tcase_add_test (t, resolv_conf_takes_the_dns_servers_given);
  suite_add_tcase (s, t);

  return unit_run (s);
}
