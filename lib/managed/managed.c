/* Managed containers: created from Docker-style options, run under a
 * monitor process, stopped, started again, removed with their records.  */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "oci/container.h"
#include "context.h"
#include "managed/events.h"
#include "image/image-internal.h"
#include "linux/mount-internal.h"
#include "managed/log.h"
#include "managed/managed.h"
#include "managed/ports.h"
#include "net/net.h"
#include "managed/runconfig.h"
#include "oci/state.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/error.h"
#include "util/fs.h"

#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#endif

extern char **environ;

static const char zero_time[] = "0001-01-01T00:00:00Z";

const char *
mr_managed_str (json_t *o, const char *key)
{
  const char *s = json_string_value (json_object_get (o, key));
  return s ? s : "";
}

long long
mr_managed_int (json_t *o, const char *key)
{
  return json_integer_value (json_object_get (o, key));
}

static void
event (struct mr_context *ctx, const char *action, const char *name, json_t *attrs)
{
  struct mr_error e = { 0 };
  mr_event_emit (ctx, action, name, attrs, &e);
}

/* --- the record ---------------------------------------------------------- */

static int
records_dirfd (struct mr_context *ctx, bool create, struct mr_error *err)
{
  cleanup_free char *path = NULL;
  int fd;

  if (mr_asprintf (err, &path, "%s/" MR_RECORDS_DIR, ctx->data_dir) < 0)
    return -1;
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && create)
    {
      if (mr_mkdir_p (path, 0700, err) < 0)
        return -1;
      fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  if (fd < 0)
    return mr_error_errno (err, errno, "open '%s'", path);
  return fd;
}

static int
read_json_at (int dirfd, const char *name, json_t **out, struct mr_error *err)
{
  cleanup_free char *text = NULL;
  json_error_t je;
  size_t len;

  if (mr_read_file_at (dirfd, name, &text, &len, err) < 0)
    return -1;
  *out = json_loadb (text, len, 0, &je);
  if (*out == NULL || !json_is_object (*out))
    {
      json_decref (*out);
      *out = NULL;
      return mr_error_set (err, "%s: %s", name, je.text);
    }
  return 0;
}

static int
write_json_at (int dirfd, const char *name, json_t *o, bool durable, struct mr_error *err)
{
  cleanup_free char *text = json_dumps (o, JSON_COMPACT);

  if (text == NULL)
    return mr_error_errno (err, ENOMEM, "%s", name);
  return mr_write_file_atomic_at (dirfd, name, text, strlen (text), 0600,
                                  durable ? MR_WRITE_DURABLE : 0, err);
}

bool
mr_managed_exists (struct mr_context *ctx, const char *name)
{
  cleanup_free char *path = NULL;
  struct mr_error e = { 0 };

  if (mr_asprintf (&e, &path, "%s/" MR_RECORDS_DIR "/%s/record.json", ctx->data_dir, name) < 0)
    return false;
  return access (path, F_OK) == 0;
}

int
mr_managed_lock (struct mr_managed *m, bool lock, struct mr_error *err)
{
  while (flock (m->dirfd, lock ? LOCK_EX : LOCK_UN) < 0)
    if (errno != EINTR)
      return mr_error_errno (err, errno, "lock container '%s'", m->name);
  return 0;
}

int
mr_managed_read_status (struct mr_managed *m, struct mr_error *err)
{
  json_t *st = NULL;

  if (read_json_at (m->dirfd, "status.json", &st, err) < 0)
    return mr_error_prefix (err, "container '%s'", m->name);
  json_decref (m->status);
  m->status = st;
  return 0;
}

int
mr_managed_write_status (struct mr_managed *m, bool durable, struct mr_error *err)
{
  if (write_json_at (m->dirfd, "status.json", m->status, durable, err) < 0)
    return mr_error_prefix (err, "container '%s'", m->name);
  return 0;
}

int
mr_managed_open (struct mr_context *ctx, const char *name, bool lock, struct mr_managed *m,
                 struct mr_error *err)
{
  cleanup_close int rfd = -1;

  memset (m, 0, sizeof *m);
  m->dirfd = -1;
  rfd = records_dirfd (ctx, false, err);
  if (rfd < 0)
    {
      if (err->errnum == ENOENT)
        {
          mr_error_set (err, "container '%s' does not exist", name);
          err->errnum = ENOENT;
        }
      return -1;
    }
  m->dirfd = openat (rfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (m->dirfd < 0)
    {
      int e = errno;
      if (e == ENOENT)
        {
          mr_error_set (err, "container '%s' does not exist", name);
          err->errnum = ENOENT;
          return -1;
        }
      return mr_error_errno (err, e, "container '%s'", name);
    }
  m->name = strdup (name);
  if (m->name == NULL
      || mr_asprintf (err, &m->dir, "%s/" MR_RECORDS_DIR "/%s", ctx->data_dir, name) < 0)
    goto fail;
  if (lock && mr_managed_lock (m, true, err) < 0)
    goto fail;
  if (read_json_at (m->dirfd, "record.json", &m->record, err) < 0)
    {
      /* a record that new has not finished (or crashed in) */
      if (err->errnum == ENOENT)
        {
          mr_error_set (err, "container '%s' does not exist", name);
          err->errnum = ENOENT;
        }
      goto fail;
    }
  if (mr_managed_read_status (m, err) < 0)
    goto fail;
  return 0;
fail:
  mr_managed_close (m);
  return -1;
}

void
mr_managed_close (struct mr_managed *m)
{
  if (m->dirfd >= 0)
    close (m->dirfd);
  m->dirfd = -1;
  json_decref (m->record);
  json_decref (m->status);
  m->record = m->status = NULL;
  free (m->name);
  free (m->dir);
  m->name = m->dir = NULL;
}

bool
mr_managed_monitor_alive (const struct mr_managed *m)
{
  pid_t pid = (pid_t)mr_managed_int (m->status, "MonitorPid");
  unsigned long long start;

  if (pid <= 0 || mr_pid_start_time (pid, &start) < 0)
    return false;
  return start == (unsigned long long)mr_managed_int (m->status, "MonitorStart");
}

int
mr_managed_monitor_pidfd (const struct mr_managed *m)
{
  pid_t pid = (pid_t)mr_managed_int (m->status, "MonitorPid");
  int fd;

  if (pid <= 0)
    return -1;
  fd = mr_pidfd_open (pid);
  /* checked after the open: the pidfd then names the process we checked */
  if (fd >= 0 && !mr_managed_monitor_alive (m))
    {
      close (fd);
      return -1;
    }
  return fd;
}

const char *
mr_managed_status (struct mr_context *ctx, const struct mr_managed *m, pid_t *pid)
{
  cleanup_close int dirfd = -1;
  struct mr_state *st = NULL;
  enum mr_status status;
  struct mr_error e = { 0 };
  const char *recorded = mr_managed_str (m->status, "Status");
  bool monitor = mr_managed_monitor_alive (m);

  if (pid)
    *pid = 0;
  if (mr_oci_load (ctx, m->name, false, &dirfd, &st, &status, &e) == 0)
    {
      pid_t p = st->pid;
      mr_state_free (st);
      if (status == MR_STATUS_RUNNING || status == MR_STATUS_PAUSED)
        {
          if (pid)
            *pid = p;
          return mr_status_name (status);
        }
      if (status == MR_STATUS_CREATING || status == MR_STATUS_CREATED)
        return monitor ? "restarting" : "stopped";
    }
  if (strcmp (recorded, "created") == 0)
    return "created";
  if (monitor && (strcmp (recorded, "restarting") == 0 || strcmp (recorded, "running") == 0))
    return "restarting";
  return "stopped";
}

/* --- the default root file system ---------------------------------------- */

/* MINIRUN_CONFIG, else /etc/minirun/minirun.conf: "key = value" lines,
   '#' comments; rootfs = DIR or image = NAME[:TAG] names what `run -- CMD`
   uses when no root is given, port_range = LOW-HIGH the automatic range of
   published ports.  */
struct conf
{
  char *rootfs;
  char *image;
  bool port_range_set;
  struct mr_port_range port_range;
};

static void
conf_clear (struct conf *c)
{
  free (c->rootfs);
  free (c->image);
  memset (c, 0, sizeof *c);
}

static int
read_conf (struct conf *c, struct mr_error *err)
{
  const char *path = getenv ("MINIRUN_CONFIG");
  cleanup_fclose FILE *f = NULL;
  char line[4096];
  int lineno = 0;

  memset (c, 0, sizeof *c);
  if (path == NULL || *path == '\0')
    path = "/etc/minirun/minirun.conf";
  f = fopen (path, "re");
  if (f == NULL)
    return errno == ENOENT ? 0 : mr_error_errno (err, errno, "config file '%s'", path);
  while (fgets (line, sizeof line, f))
    {
      char *k = line, *v, *end;
      lineno++;
      k += strspn (k, " \t");
      if (*k == '#' || *k == '\n' || *k == '\0')
        continue;
      v = strchr (k, '=');
      if (v == NULL)
        return mr_error_set (err, "config file '%s', line %d: expected KEY = VALUE", path, lineno);
      end = v;
      while (end > k && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
      *end = '\0';
      v++;
      v += strspn (v, " \t");
      end = v + strlen (v);
      while (end > v && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
      *end = '\0';
      if (strcmp (k, "rootfs") == 0 || strcmp (k, "image") == 0)
        {
          char **dst = k[0] == 'r' ? &c->rootfs : &c->image;
          free (*dst);
          *dst = strdup (v);
          if (*dst == NULL)
            return mr_error_errno (err, ENOMEM, "config file '%s'", path);
        }
      else if (strcmp (k, "port_range") == 0)
        {
          if (mr_port_range_parse (v, &c->port_range, err) < 0)
            return mr_error_prefix (err, "config file '%s', line %d: port_range", path, lineno);
          c->port_range_set = true;
        }
      else
        return mr_error_set (err,
                             "config file '%s', line %d: unknown key '%s' (expected rootfs, image "
                             "or port_range)",
                             path, lineno, k);
    }
  if (c->rootfs && c->image)
    return mr_error_set (err, "config file '%s': give rootfs or image, not both", path);
  return 0;
}

static int
read_default_root (char **rootfs, char **image, struct mr_error *err)
{
  struct conf c;

  if (read_conf (&c, err) < 0)
    {
      conf_clear (&c);
      return -1;
    }
  *rootfs = steal_pointer (&c.rootfs);
  *image = steal_pointer (&c.image);
  conf_clear (&c);
  return 0;
}

int
mr_managed_conf_port_range (struct mr_port_range *out, bool *set, struct mr_error *err)
{
  struct conf c;
  int r = read_conf (&c, err);

  *set = r == 0 && c.port_range_set;
  if (*set)
    *out = c.port_range;
  conf_clear (&c);
  return r;
}

/* The automatic range of a bridged container's start: the one it was
   created with by a context that set one, else minirun.conf's.  */
static int
auto_range_of (json_t *record, struct mr_port_range *out, struct mr_error *err)
{
  const char *recorded = json_string_value (json_object_get (record, "PortRange"));
  bool set = false;

  memset (out, 0, sizeof *out);
  if (recorded)
    return mr_port_range_parse (recorded, out, err);
  if (mr_managed_conf_port_range (out, &set, err) < 0)
    return -1;
  if (!set)
    memset (out, 0, sizeof *out);
  return 0;
}

/* --- the root file system of an image container --------------------------- */

static bool
is_overlay (int dirfd, const char *name)
{
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct statfs sf;

  return fd >= 0 && fstatfs (fd, &sf) == 0 && sf.f_type == OVERLAYFS_SUPER_MAGIC;
}

static int
mount_overlay (const char *dir, const char *lower, struct mr_error *err)
{
  cleanup_free char *data = NULL;
  cleanup_free char *target = NULL;

  if (strpbrk (lower, ",:") || strpbrk (dir, ",:"))
    return mr_error_set (err, "overlay: paths with ',' or ':' cannot be mounted");
  if (mr_asprintf (err, &data, "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lower, dir, dir) < 0
      || mr_asprintf (err, &target, "%s/rootfs", dir) < 0)
    return -1;
  if (mount ("overlay", target, "overlay", MS_NODEV, data) < 0)
    return mr_error_errno (err, errno, "mount overlay on '%s'", target);
  return 0;
}

/* The image's root for this container: an overlay with the image as its
   lower layer, else (a kernel or file system without overlay) a private
   copy.  Returns the mode used: "overlay" or "copy".  */
static int
prepare_image_root (int recfd, const char *dir, const char *lower, const char **mode,
                    struct mr_error *err)
{
  struct mr_error e = { 0 };
  cleanup_close int src = -1;
  cleanup_close int dst = -1;

  if (mkdirat (recfd, "rootfs", 0755) < 0 || mkdirat (recfd, "upper", 0755) < 0
      || mkdirat (recfd, "work", 0700) < 0)
    return mr_error_errno (err, errno, "container directory '%s'", dir);
  if (mount_overlay (dir, lower, &e) == 0)
    {
      *mode = "overlay";
      return 0;
    }
  src = open (lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  dst = openat (recfd, "rootfs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (src < 0 || dst < 0)
    return mr_error_errno (err, errno, "copy image '%s'", lower);
  if (mr_image_copy_tree (src, dst, false, -1, err) < 0)
    return mr_error_prefix (err, "copy image (overlay failed: %s)", e.msg);
  *mode = "copy";
  return 0;
}

int
mr_managed_ensure_rootfs (struct mr_managed *m, struct mr_error *err)
{
  const char *mode = mr_managed_str (m->record, "RootfsMode");
  const char *lower = mr_managed_str (m->record, "ImageRootfs");

  if (strcmp (mode, "overlay") != 0 || is_overlay (m->dirfd, "rootfs"))
    return 0;
  if (access (lower, F_OK) < 0)
    return mr_error_errno (err, errno, "container '%s': image root '%s'", m->name, lower);
  return mount_overlay (m->dir, lower, err);
}

static void
umount_rootfs (int recfd, const char *dir)
{
  cleanup_free char *target = NULL;
  struct mr_error e = { 0 };

  if (!is_overlay (recfd, "rootfs") || mr_asprintf (&e, &target, "%s/rootfs", dir) < 0)
    return;
  if (umount2 (target, UMOUNT_NOFOLLOW) < 0)
    umount2 (target, MNT_DETACH | UMOUNT_NOFOLLOW);
}

/* --- create ---------------------------------------------------------------- */

static int
image_config (struct mr_context *ctx, const char *ref, char **lower, json_t **config,
              json_t **inspect, struct mr_error *err)
{
  cleanup_free char *text = NULL;
  json_error_t je;

  if (mr_image_rootfs (ctx, ref, lower, err) < 0)
    return -1;
  if (mr_image_inspect (ctx, ref, &text, err) < 0)
    return -1;
  *inspect = json_loads (text, 0, &je);
  if (*inspect == NULL)
    return mr_error_set (err, "image '%s': %s", ref, je.text);
  *config = json_object_get (*inspect, "Config");
  return 0;
}

/* Makes the record directory under a fresh name; EEXIST when taken.  */
static int
make_record_dir (struct mr_context *ctx, int rfd, const char *name, struct mr_error *err)
{
  if (mr_oci_exists (ctx, name))
    {
      mr_error_set (err, "the container name '%s' is already in use", name);
      err->errnum = EEXIST;
      return -1;
    }
  if (mkdirat (rfd, name, 0700) < 0)
    {
      if (errno == EEXIST)
        {
          mr_error_set (err, "the container name '%s' is already in use", name);
          err->errnum = EEXIST;
          return -1;
        }
      return mr_error_errno (err, errno, "container '%s'", name);
    }
  return 0;
}

static json_t *
new_status (void)
{
  return json_pack ("{s:s, s:i, s:i, s:b, s:s, s:s, s:i, s:i, s:i, s:b, s:s}", "Status", "created",
                    "Pid", 0, "ExitCode", 0, "OOMKilled", 0, "StartedAt", zero_time, "FinishedAt",
                    zero_time, "RestartCount", 0, "MonitorPid", 0, "MonitorStart", 0,
                    "StopRequested", 0, "Error", "");
}

const char *
mr_managed_network_of (json_t *record)
{
  const char *mode
      = json_string_value (json_object_get (json_object_get (record, "HostConfig"), "NetworkMode"));

  if (mode == NULL || *mode == '\0' || strcmp (mode, "none") == 0 || strcmp (mode, "host") == 0
      || strncmp (mode, "container:", 10) == 0)
    return NULL;
  return mode;
}

const char *
mr_managed_network_peer (json_t *record)
{
  const char *mode
      = json_string_value (json_object_get (json_object_get (record, "HostConfig"), "NetworkMode"));

  return mode && strncmp (mode, "container:", 10) == 0 ? mode + 10 : NULL;
}

static const char *
network_of (json_t *record)
{
  return mr_managed_network_of (record);
}

/* --network container:PEER at create: PEER is a managed container of this
 * data directory that has a network of its own to share.  */
static int
check_network_peer (struct mr_context *ctx, const char *name, const char *peer,
                    struct mr_error *err)
{
  struct mr_managed pm;
  const char *chained;
  int r = 0;

  if (strcmp (peer, name) == 0)
    return mr_error_set (err,
                         "invalid --network 'container:%s': a container cannot join its "
                         "own network",
                         peer);
  if (!mr_managed_exists (ctx, peer))
    return mr_error_set (err,
                         "invalid --network 'container:%s': no managed container '%s' (create "
                         "it first, or name another)",
                         peer, peer);
  if (mr_managed_open (ctx, peer, false, &pm, err) < 0)
    return mr_error_prefix (err, "--network 'container:%s'", peer);
  chained = mr_managed_network_peer (pm.record);
  if (chained)
    r = mr_error_set (err,
                      "invalid --network 'container:%s': '%s' shares the network of '%s'; "
                      "use --network container:%s",
                      peer, peer, chained, chained);
  mr_managed_close (&pm);
  return r;
}

/* A container on another's network sees that one's /etc/hosts and
 * /etc/resolv.conf, as with docker: its peers' names and its nameservers
 * are the other's, kept up to date there.  */
static int
peer_etc_into_spec (struct mr_context *ctx, const char *name, const char *peer, json_t *spec,
                    struct mr_error *err)
{
  json_t *mounts = json_object_get (spec, "mounts"), *mnt;
  size_t i;

  json_array_foreach (mounts, i, mnt)
  {
    const char *dst = mr_managed_str (mnt, "destination");
    cleanup_free char *src = NULL;
    if (strcmp (dst, "/etc/hosts") != 0 && strcmp (dst, "/etc/resolv.conf") != 0)
      continue;
    if (mr_asprintf (err, &src, "%s/" MR_RECORDS_DIR "/%s/etc/%s", ctx->data_dir, peer, dst + 5)
        < 0)
      return -1;
    if (json_object_set_new (mnt, "source", json_string (src)) < 0)
      return mr_error_errno (err, ENOMEM, "container '%s'", name);
  }
  return 0;
}

/* At start: the network namespace of the peer a container joins, which
 * must run; the bundle's spec is pointed at it.  A bridged peer's is bound
 * under the run directory for as long as it runs, restarts included;
 * another's is its init's.  */
static int
join_network_peer (struct mr_context *ctx, struct mr_managed *m, const char *peer,
                   struct mr_error *err)
{
  cleanup_close int bfd = -1;
  cleanup_json json_t *spec = NULL;
  cleanup_free char *path = NULL;
  struct mr_managed pm;
  const char *status;
  json_t *nss, *ns;
  pid_t pid = 0;
  size_t i;
  bool set = false;
  int r;

  if (mr_managed_open (ctx, peer, false, &pm, err) < 0)
    {
      if (err->errnum == ENOENT)
        mr_error_set (err,
                      "the container '%s' whose network it joins (--network container:%s) "
                      "is gone: remove this one and create it again on another network",
                      peer, peer);
      return -1;
    }
  status = mr_managed_status (ctx, &pm, &pid);
  if ((strcmp (status, "running") != 0 && strcmp (status, "paused") != 0) || pid <= 0)
    {
      mr_error_set (err,
                    "the container '%s' whose network it joins (--network container:%s) is "
                    "%s: start it first ('minirun start %s')",
                    peer, peer, status, peer);
      err->errnum = EBUSY;
      mr_managed_close (&pm);
      return -1;
    }
  if (network_of (pm.record))
    r = mr_net_netns_path (ctx->root, peer, &path, err);
  else
    r = mr_asprintf (err, &path, "/proc/%d/ns/net", (int)pid);
  mr_managed_close (&pm);
  if (r < 0)
    return -1;

  bfd = openat (m->dirfd, "bundle", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (bfd < 0)
    return mr_error_errno (err, errno, "container '%s': bundle", m->name);
  if (read_json_at (bfd, "config.json", &spec, err) < 0)
    return -1;
  nss = json_object_get (json_object_get (spec, "linux"), "namespaces");
  json_array_foreach (nss, i, ns) if (strcmp (mr_managed_str (ns, "type"), "network") == 0)
  {
    if (json_object_set_new (ns, "path", json_string (path)) < 0)
      return mr_error_errno (err, ENOMEM, "container '%s'", m->name);
    set = true;
  }
  if (!set)
    return mr_error_set (err, "container '%s': its spec has no network namespace", m->name);
  return write_json_at (bfd, "config.json", spec, false, err);
}

/* A bridged container joins the namespace its start makes and binds.  */
static int
netns_into_spec (struct mr_context *ctx, const char *name, json_t *spec, struct mr_error *err)
{
  json_t *nss = json_object_get (json_object_get (spec, "linux"), "namespaces"), *ns;
  cleanup_free char *path = NULL;
  size_t i;

  if (mr_net_netns_path (ctx->root, name, &path, err) < 0)
    return -1;
  json_array_foreach (nss, i, ns)
  if (strcmp (mr_managed_str (ns, "type"), "network") == 0)
    return json_object_set_new (ns, "path", json_string (path)) < 0
               ? mr_error_errno (err, ENOMEM, "container '%s'", name)
               : 0;
  return mr_error_set (err, "container '%s': its spec has no network namespace", name);
}

static bool container_alive (const char *id, void *data);
static int published_ports (json_t *record, struct mr_port_mapping **out, size_t *n,
                            struct mr_error *err);

static int
write_record (struct mr_context *ctx, const struct mr_run_config *cfg, const char *name, int rfd,
              int recfd, struct mr_error *err)
{
  cleanup_free char *dir = NULL;
  cleanup_free char *rootfs = NULL;
  cleanup_free char *lower = NULL;
  cleanup_free char *etc = NULL;
  cleanup_free char *def_rootfs = NULL;
  cleanup_free char *def_image = NULL;
  cleanup_json json_t *inspect = NULL;
  cleanup_json json_t *spec = NULL;
  cleanup_json json_t *rec = NULL;
  cleanup_json json_t *status = NULL;
  cleanup_close int bfd = -1;
  json_t *imgcfg = NULL;
  const char *src_rootfs = cfg->rootfs;
  const char *image = cfg->image;
  const char *mode = "dir";
  char created[48];

  (void)rfd;
  if (src_rootfs && image)
    return mr_error_set (err, "give a root file system directory or an image, not both");
  if (src_rootfs == NULL && image == NULL)
    {
      if (read_default_root (&def_rootfs, &def_image, err) < 0)
        return -1;
      src_rootfs = def_rootfs;
      image = def_image;
      if (src_rootfs == NULL && image == NULL)
        return mr_error_set (err,
                             "no root file system: give --rootfs DIR or an image (or set "
                             "a default rootfs in /etc/minirun/minirun.conf or MINIRUN_CONFIG)");
    }
  if (mr_asprintf (err, &dir, "%s/" MR_RECORDS_DIR "/%s", ctx->data_dir, name) < 0
      || mr_asprintf (err, &etc, "%s/etc", dir) < 0)
    return -1;
  if (image)
    {
      if (image_config (ctx, image, &lower, &imgcfg, &inspect, err) < 0)
        return -1;
      if (mr_asprintf (err, &rootfs, "%s/rootfs", dir) < 0)
        return -1;
    }
  else
    {
      struct stat sb;
      rootfs = realpath (src_rootfs, NULL);
      if (rootfs == NULL)
        return mr_error_errno (err, errno, "rootfs '%s'", src_rootfs);
      if (stat (rootfs, &sb) < 0 || !S_ISDIR (sb.st_mode))
        return mr_error_set (err, "rootfs '%s' is not a directory", src_rootfs);
      if (strcmp (rootfs, "/") == 0)
        return mr_error_set (err, "rootfs '/': the host's root cannot be a container's");
    }
  if (mr_run_config_build (cfg, name, rootfs, imgcfg, etc, &spec, &rec, err) < 0)
    return -1;
  if (mr_managed_network_peer (rec)
      && (check_network_peer (ctx, name, mr_managed_network_peer (rec), err) < 0
          || peer_etc_into_spec (ctx, name, mr_managed_network_peer (rec), spec, err) < 0))
    return -1;
  if (network_of (rec))
    {
      cleanup_free struct mr_port_mapping *ports = NULL;
      struct mr_port_range range;
      size_t n_ports = 0;
      /* a bad port_range is refused now, not at each start */
      if (netns_into_spec (ctx, name, spec, err) < 0
          || (!ctx->port_range_set && auto_range_of (rec, &range, err) < 0)
          || published_ports (rec, &ports, &n_ports, err) < 0
          || mr_net_ports_check (ctx->data_dir, name, ports, n_ports, container_alive, ctx, err)
                 < 0)
        return -1;
    }
  if (mkdirat (recfd, "etc", 0755) < 0 || mkdirat (recfd, "bundle", 0700) < 0)
    return mr_error_errno (err, errno, "container '%s'", name);
  if (mr_run_config_write_etc (etc, json_string_value (json_object_get (spec, "hostname")), err)
      < 0)
    return -1;
  if (network_of (rec) && mr_run_config_resolv_off_loopback (etc, err) < 0)
    return -1;
  if (cfg->size >= offsetof (struct mr_run_config, dns) + sizeof (void *) && cfg->dns && cfg->dns[0]
      && mr_run_config_resolv_dns (etc, cfg->dns, err) < 0)
    return -1;
  bfd = openat (recfd, "bundle", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (bfd < 0)
    return mr_error_errno (err, errno, "container '%s': bundle", name);
  if (write_json_at (bfd, "config.json", spec, false, err) < 0)
    return -1;
  if (image && prepare_image_root (recfd, dir, lower, &mode, err) < 0)
    return -1;

  mr_time_rfc3339 (created, sizeof created);
  json_object_set_new (rec, "Id", json_string (name));
  json_object_set_new (rec, "Name", json_string (name));
  json_object_set_new (rec, "Created", json_string (created));
  json_object_set_new (rec, "Image", json_string (image ? image : ""));
  json_object_set_new (rec, "ImageId", json_string (inspect ? mr_managed_str (inspect, "Id") : ""));
  json_object_set_new (rec, "ImageRootfs", json_string (lower ? lower : ""));
  json_object_set_new (rec, "Rootfs", json_string (rootfs));
  json_object_set_new (rec, "RootfsMode", json_string (mode));
  if (network_of (rec) && ctx->port_range_set)
    json_object_set_new (rec, "PortRange",
                         json_sprintf ("%u-%u", ctx->port_range.first, ctx->port_range.last));
  json_object_set_new (rec, "Bundle", json_pack ("s++", dir, "/", "bundle"));
  json_object_set_new (rec, "LogPath", json_pack ("s++", dir, "/", MR_LOG_FILE));
  json_object_set_new (rec, "LogMaxSize",
                       json_integer (cfg->size > offsetof (struct mr_run_config, log_max_size)
                                             && cfg->log_max_size >= 0
                                         ? cfg->log_max_size
                                         : 10 * 1024 * 1024));
  json_object_set_new (rec, "LogMaxFiles",
                       json_integer (cfg->size > offsetof (struct mr_run_config, log_max_files)
                                             && cfg->log_max_files >= 0
                                         ? cfg->log_max_files
                                         : 3));
  status = new_status ();
  if (status == NULL)
    return mr_error_errno (err, ENOMEM, "container '%s'", name);
  if (write_json_at (recfd, "status.json", status, false, err) < 0)
    return -1;
  /* last: a record is only seen once it is whole */
  return write_json_at (recfd, "record.json", rec, true, err);
}

int
mr_managed_new (struct mr_context *ctx, const struct mr_run_config *cfg, char **name_out,
                struct mr_error *err)
{
  cleanup_close int rfd = -1;
  cleanup_close int recfd = -1;
  char name[128];
  struct mr_error e = { 0 };

  if (cfg == NULL || cfg->size < offsetof (struct mr_run_config, interactive) + sizeof (bool))
    return mr_error_set (err, "run config: size not set");
  rfd = records_dirfd (ctx, true, err);
  if (rfd < 0)
    return -1;
  if (cfg->name)
    {
      if (mr_id_validate (cfg->name, err) < 0)
        return -1;
      snprintf (name, sizeof name, "%s", cfg->name);
      if (make_record_dir (ctx, rfd, name, err) < 0)
        return -1;
    }
  else
    for (int tries = 0;; tries++)
      {
        mr_name_generate (name, sizeof name);
        if (make_record_dir (ctx, rfd, name, err) == 0)
          break;
        if (err->errnum != EEXIST || tries > 50)
          return -1;
        mr_error_clear (err);
      }
  recfd = openat (rfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (recfd < 0 || flock (recfd, LOCK_EX) < 0)
    {
      mr_error_errno (err, errno, "container '%s'", name);
      goto undo;
    }
  if (write_record (ctx, cfg, name, rfd, recfd, err) < 0)
    goto undo;
  event (ctx, "create", name,
         json_pack ("{s:s}", "image", cfg->image ? cfg->image : (cfg->rootfs ? cfg->rootfs : "")));
  if (name_out)
    {
      *name_out = strdup (name);
      if (*name_out == NULL)
        return mr_error_errno (err, ENOMEM, "container '%s'", name);
    }
  return 0;
undo:
  if (recfd >= 0)
    {
      cleanup_free char *dir = NULL;
      if (mr_asprintf (&e, &dir, "%s/" MR_RECORDS_DIR "/%s", ctx->data_dir, name) == 0)
        umount_rootfs (recfd, dir);
    }
  mr_remove_tree_at (rfd, name, name, &e);
  return mr_error_prefix (err, "create '%s'", name);
}

/* --- the monitor ------------------------------------------------------------ */

/* Duplicates fd above the standard ones, for posix_spawn to put in place.  */
static int
dup_high (int fd)
{
  return fd < 0 ? -1 : fcntl (fd, F_DUPFD_CLOEXEC, 10);
}

/* environ with MR_MONITOR_TUNABLES, for the caller to free; NULL for
   environ as it is.  Made per call: serve's threads start monitors at once. */
static char **
monitor_env (void)
{
  char **env;
  size_t n = 0;

  if (getenv ("GLIBC_TUNABLES"))
    return NULL;
  while (environ[n])
    n++;
  env = calloc (n + 2, sizeof *env);
  if (env == NULL)
    return NULL;
  memcpy (env, environ, n * sizeof *env);
  env[n] = (char *)MR_MONITOR_TUNABLES;
  return env;
}

static int
spawn_monitor (struct mr_context *ctx, const char *name, const struct mr_attach *a, bool wait_exit,
               int *control, struct mr_error *err)
{
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t none, all;
  int sv[2];
  int fds[3] = { -1, -1, -1 };
  const char *argv[16];
  char **env;
  size_t n = 0;
  pid_t pid;
  int r, status;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return mr_error_errno (err, errno, "start '%s': socketpair", name);
  argv[n++] = ctx->monitor_path;
  if (ctx->root_given)
    {
      argv[n++] = "--root";
      argv[n++] = ctx->root;
    }
  if (ctx->systemd_cgroup)
    argv[n++] = "--systemd-cgroup";
  argv[n++] = "monitor";
  if (a)
    {
      fds[0] = dup_high (a->in_fd);
      fds[1] = dup_high (a->out_fd);
      fds[2] = dup_high (a->err_fd);
      if (fds[0] >= 0)
        argv[n++] = "--attach-stdin";
      if (fds[1] >= 0)
        argv[n++] = "--attach-stdout";
      if (fds[2] >= 0)
        argv[n++] = "--attach-stderr";
    }
  if (wait_exit)
    argv[n++] = "--report-exit";
  argv[n++] = name;
  argv[n] = NULL;

  posix_spawn_file_actions_init (&fa);
  posix_spawnattr_init (&attr);
  sigemptyset (&none);
  sigfillset (&all);
  posix_spawn_file_actions_addopen (&fa, 0, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_addopen (&fa, 1, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_addopen (&fa, 2, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_adddup2 (&fa, sv[1], 3);
  for (int i = 0; i < 3; i++)
    if (fds[i] >= 0)
      posix_spawn_file_actions_adddup2 (&fa, fds[i], 4 + i);
  /* its own session: a ^C in the caller's terminal is not the monitor's */
  posix_spawnattr_setflags (&attr,
                            POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setsigmask (&attr, &none);
  posix_spawnattr_setsigdefault (&attr, &all);
  env = monitor_env ();
  r = posix_spawn (&pid, ctx->monitor_path, &fa, &attr, (char *const *)argv, env ? env : environ);
  free (env);
  posix_spawn_file_actions_destroy (&fa);
  posix_spawnattr_destroy (&attr);
  close (sv[1]);
  for (int i = 0; i < 3; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  if (r != 0)
    {
      close (sv[0]);
      return mr_error_errno (err, r, "start '%s': run monitor '%s'", name, ctx->monitor_path);
    }
  /* the monitor forks itself away at once; this reaps the first half */
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  *control = sv[0];
  return 0;
}

/* Messages from the monitor: "ok PID", "error ERRNUM MESSAGE", "exit CODE".  */
static ssize_t
read_message (struct mr_context *ctx, int fd, char *buf, size_t size, const struct mr_attach *a,
              const char *name)
{
  for (;;)
    {
      ssize_t n = recv (fd, buf, size - 1, 0);
      if (n >= 0)
        {
          buf[n] = '\0';
          return n;
        }
      if (errno != EINTR)
        return -1;
      if (a == NULL || a->size < sizeof *a)
        continue;
      if (a->forward_signal && *a->forward_signal)
        {
          struct mr_kill_opts ko = { .size = sizeof ko, .signal = *a->forward_signal };
          struct mr_error e = { 0 };
          *a->forward_signal = 0;
          mr_oci_kill (ctx, name, &ko, &e);
        }
      if (a->winch && *a->winch)
        {
          *a->winch = 0;
          send (fd, "winch", 5, MSG_NOSIGNAL);
        }
    }
}

/* --- networks ------------------------------------------------------------- */

/* A start holds this file locked from before its endpoint is made until
 * its monitor has answered: until then the container looks "created" or
 * "stopped", and another container's attach must not take its endpoint
 * for one that a crash left.  */
#define STARTING_FILE "starting"

static bool
start_in_progress (const struct mr_managed *m)
{
  cleanup_close int fd = openat (m->dirfd, STARTING_FILE, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return false;
  return flock (fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

static bool
container_alive (const char *id, void *data)
{
  struct mr_context *ctx = data;
  struct mr_managed m;
  const char *status;
  bool alive;

  if (!mr_managed_exists (ctx, id))
    return false;
  if (mr_managed_open (ctx, id, false, &m, NULL) < 0)
    return true; /* unreadable now: not proof that it is gone */
  status = mr_managed_status (ctx, &m, NULL);
  alive = (strcmp (status, "stopped") != 0 && strcmp (status, "created") != 0)
          || start_in_progress (&m);
  mr_managed_close (&m);
  return alive;
}

static bool
container_exists (const char *id, void *data)
{
  return mr_managed_exists (data, id);
}

static int
published_ports (json_t *record, struct mr_port_mapping **out, size_t *n, struct mr_error *err)
{
  json_t *b = json_object_get (json_object_get (record, "HostConfig"), "PortBindings"), *list;
  const char *key;
  size_t cap = 0;

  *out = NULL;
  *n = 0;
  json_object_foreach (b, key, list) cap += json_array_size (list);
  *out = calloc (cap + 1, sizeof **out);
  if (*out == NULL)
    return mr_error_errno (err, ENOMEM, "ports");
  json_object_foreach (b, key, list)
  {
    json_t *e;
    size_t i;
    json_array_foreach (list, i, e)
    {
      char spec[64];
      const char *ip = mr_managed_str (e, "HostIp"), *hp = mr_managed_str (e, "HostPort");
      snprintf (spec, sizeof spec, "%s%s%s%s%s", ip, *ip ? ":" : "", hp, *hp || *ip ? ":" : "",
                key);
      if (mr_port_parse (spec, &(*out)[*n], err) < 0)
        return -1;
      (*n)++;
    }
  }
  return 0;
}

/* The host ports that its automatic ports took at its last start, kept in
 * DIR/ports as "IP HOSTPORT CTRPORT PROTO" lines ("-": every address), so
 * that a restart takes the same ones again when they are free.  */
#define LAST_PORTS_FILE "ports"

static void
last_ports_read (const char *dir, struct mr_port_mapping **out, size_t *n)
{
  cleanup_free char *path = NULL, *buf = NULL;
  size_t len = 0, cap = 1;
  char *line, *save = NULL;

  *out = NULL;
  *n = 0;
  if (mr_asprintf (NULL, &path, "%s/" LAST_PORTS_FILE, dir) < 0
      || mr_read_file (path, &buf, &len, NULL) < 0)
    return;
  for (size_t i = 0; i < len; i++)
    cap += buf[i] == '\n';
  *out = calloc (cap, sizeof **out);
  if (*out == NULL)
    return;
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      struct mr_port_mapping m = { 0 };
      unsigned hp, cp;
      char ip[16], proto[4];
      if (sscanf (line, "%15s %u %u %3s", ip, &hp, &cp, proto) != 4 || hp == 0 || hp > 65535
          || cp == 0 || cp > 65535 || *n >= cap)
        continue;
      snprintf (m.host_ip, sizeof m.host_ip, "%s", strcmp (ip, "-") == 0 ? "" : ip);
      snprintf (m.proto, sizeof m.proto, "%s", proto);
      m.host_port = (uint16_t)hp;
      m.container_port = (uint16_t)cp;
      (*out)[(*n)++] = m;
    }
}

static void
last_ports_write (const char *dir, const struct mr_port_mapping *asked, size_t n_asked,
                  const struct mr_endpoint *ep)
{
  cleanup_free char *buf = NULL;
  cleanup_close int dfd = -1;
  size_t len = 0;
  bool any = false;
  FILE *f;

  for (size_t i = 0; i < n_asked; i++)
    any |= asked[i].host_port == 0;
  if (!any)
    return;
  f = open_memstream (&buf, &len);
  if (f == NULL)
    return;
  for (size_t i = 0; i < ep->n_ports; i++)
    fprintf (f, "%s %u %u %s\n", ep->ports[i].host_ip[0] ? ep->ports[i].host_ip : "-",
             ep->ports[i].host_port, ep->ports[i].container_port, ep->ports[i].proto);
  if (fclose (f) != 0)
    return;
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  /* a hint for the next start: losing it costs only the same port */
  if (dfd >= 0)
    mr_write_file_atomic_at (dfd, LAST_PORTS_FILE, buf, len, 0644, 0, NULL);
}

/* Gives a bridged container its endpoint before its monitor starts it.  */
static int
net_attach (struct mr_context *ctx, const char *name, json_t *record, const char *dir,
            struct mr_error *err)
{
  const char *network = network_of (record);
  cleanup_free struct mr_port_mapping *ports = NULL;
  cleanup_free struct mr_port_mapping *previous = NULL;
  cleanup_free char *hosts = NULL;
  struct mr_endpoint ep;
  struct mr_net_request req = { .id = name,
                                .network = network,
                                .alive = container_alive,
                                .exists = container_exists,
                                .alive_data = ctx };
  bool fwd = false;

  if (network == NULL)
    return 0;
  if (published_ports (record, &ports, &req.n_ports, err) < 0
      || mr_asprintf (err, &hosts, "%s/etc/hosts", dir) < 0)
    return -1;
  req.ports = ports;
  req.hostname = mr_managed_str (json_object_get (record, "Config"), "Hostname");
  req.hosts_path = hosts;
  last_ports_read (dir, &previous, &req.n_previous);
  req.previous = previous;
  if (auto_range_of (record, &req.auto_range, err) < 0)
    return -1;
  if (mr_net_attach (ctx->data_dir, ctx->root, &req, &ep, &fwd, err) < 0)
    return -1;
  last_ports_write (dir, ports, req.n_ports, &ep);
  mr_endpoint_clear (&ep);
  if (fwd)
    mr_context_warn (ctx, "net.ipv4.ip_forward turned on for the bridge network '%s'",
                     network ? network : MR_NET_DEFAULT);
  return 0;
}

int
mr_managed_net_release (struct mr_context *ctx, const char *name, struct mr_error *err)
{
  return mr_net_detach (ctx->data_dir, ctx->root, NULL, name, err);
}

bool
mr_managed_endpoint_alive (const char *id, void *ctx)
{
  return container_alive (id, ctx);
}

int
mr_managed_start (struct mr_context *ctx, const char *name, const struct mr_attach *attach,
                  int *exit_status, struct mr_error *err)
{
  struct mr_managed m;
  cleanup_close int control = -1;
  cleanup_close int starting = -1;
  char msg[MR_ERROR_MSG_MAX + 64];
  const char *status;
  bool bridged;
  ssize_t n;

  if (mr_managed_open (ctx, name, false, &m, err) < 0)
    return -1;
  starting = openat (m.dirfd, STARTING_FILE, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
  if (starting < 0 || flock (starting, LOCK_EX | LOCK_NB) < 0)
    {
      if (errno == EWOULDBLOCK)
        {
          mr_error_set (err, "cannot start container '%s': it is starting", name);
          err->errnum = EBUSY;
        }
      else
        mr_error_errno (err, errno, "start '%s': %s", name, STARTING_FILE);
      mr_managed_close (&m);
      return -1;
    }
  status = mr_managed_status (ctx, &m, NULL);
  if (strcmp (status, "created") != 0 && strcmp (status, "stopped") != 0)
    {
      mr_error_set (err, "cannot start container '%s': it is %s", name, status);
      err->errnum = EBUSY;
      mr_managed_close (&m);
      return -1;
    }
  bridged = network_of (m.record) != NULL;
  if (mr_managed_network_peer (m.record)
      && join_network_peer (ctx, &m, mr_managed_network_peer (m.record), err) < 0)
    {
      mr_managed_close (&m);
      return mr_error_prefix (err, "start '%s'", name);
    }
  if (net_attach (ctx, name, m.record, m.dir, err) < 0)
    {
      mr_managed_close (&m);
      return mr_error_prefix (err, "start '%s'", name);
    }
  mr_managed_close (&m);
  if (spawn_monitor (ctx, name, attach, exit_status != NULL, &control, err) < 0)
    goto unplug;
  n = read_message (ctx, control, msg, sizeof msg, NULL, name);
  if (n <= 0)
    {
      mr_error_set (err, "start '%s': the monitor exited before starting it", name);
      goto unplug;
    }
  if (strncmp (msg, "error ", 6) == 0)
    {
      char *p;
      long errnum = strtol (msg + 6, &p, 10);
      mr_error_set (err, "%s", *p == ' ' ? p + 1 : p);
      err->errnum = (int)errnum;
      goto unplug;
    }
  /* started: from here on its status says that it is alive */
  close (steal_fd (&starting));
  if (exit_status == NULL)
    return 0;
  for (;;)
    {
      n = read_message (ctx, control, msg, sizeof msg, attach, name);
      if (n <= 0)
        return mr_error_set (err, "container '%s': the monitor exited without its exit status",
                             name);
      if (strncmp (msg, "exit ", 5) == 0)
        {
          *exit_status = atoi (msg + 5);
          return 0;
        }
    }
unplug:
  if (bridged)
    mr_managed_net_release (ctx, name, NULL);
  return -1;
}

/* --- stop, restart, wait --------------------------------------------------- */

static int
stop_signal_of (json_t *record)
{
  json_t *cfg = json_object_get (record, "Config");
  const char *s = json_string_value (json_object_get (cfg, "StopSignal"));
  int sig = SIGTERM;

  if (s && mr_signal_parse (s, &sig) < 0)
    sig = SIGTERM;
  return sig;
}

static int
stop_timeout_of (json_t *record)
{
  json_t *cfg = json_object_get (record, "Config");
  json_t *t = json_object_get (cfg, "StopTimeout");

  return json_is_integer (t) && json_integer_value (t) >= 0 ? (int)json_integer_value (t) : 10;
}

/* Whether the monitor may start the container again after it exits.  */
static bool
restarts_on_its_own (json_t *record)
{
  json_t *rp = json_object_get (json_object_get (record, "HostConfig"), "RestartPolicy");
  const char *policy = mr_managed_str (rp, "Name");

  return *policy != '\0' && strcmp (policy, "no") != 0;
}

int
mr_managed_stop (struct mr_context *ctx, const char *name, int timeout, struct mr_error *err)
{
  struct mr_managed m;
  cleanup_close int monfd = -1;
  int sig;

  if (mr_managed_open (ctx, name, true, &m, err) < 0)
    return -1;
  sig = stop_signal_of (m.record);
  if (timeout < 0)
    timeout = stop_timeout_of (m.record);
  monfd = mr_managed_monitor_pidfd (&m);
  if (monfd >= 0)
    {
      struct mr_error e = { 0 };
      json_object_set_new (m.status, "StopRequested", json_true ());
      if (mr_managed_write_status (&m, false, &e) == 0)
        /* wakes a monitor waiting to restart */
        syscall (SYS_pidfd_send_signal, monfd, SIGUSR1, NULL, 0);
      else if (restarts_on_its_own (m.record))
        {
          /* a full disk, say: the stop is done all the same, and a monitor
           * that was never told must not start the container again */
          mr_context_warn (ctx, "stop '%s': the stop request could not be saved (%s): its "
                                "monitor is stopped too, and its exit is not recorded",
                           name, e.msg);
          syscall (SYS_pidfd_send_signal, monfd, SIGKILL, NULL, 0);
          mr_wait_readable (monfd, 5000);
          close (monfd);
          monfd = -1;
        }
      else
        mr_context_warn (ctx, "stop '%s': the stop request could not be saved: %s", name, e.msg);
    }
  mr_managed_lock (&m, false, err);
  mr_managed_close (&m);
  if (mr_oci_stop (ctx, name, sig, timeout, err) < 0)
    return -1;
  /* the monitor records the exit, and is gone once it has */
  if (monfd >= 0 && mr_wait_readable (monfd, 30000) == 0)
    return mr_error_set (err, "stop '%s': its monitor did not finish", name);
  if (monfd < 0)
    {
      /* no monitor (it was killed): clean up after it */
      struct mr_error e = { 0 };
      mr_oci_delete_runtime (ctx, name, &e);
      if (mr_managed_open (ctx, name, true, &m, &e) == 0)
        {
          if (strcmp (mr_managed_str (m.status, "Status"), "created") != 0)
            {
              json_object_set_new (m.status, "Status", json_string ("stopped"));
              json_object_set_new (m.status, "Pid", json_integer (0));
              if (mr_managed_write_status (&m, true, &e) < 0)
                mr_context_warn (ctx, "stop '%s': its stopped status could not be saved: %s",
                                 name, e.msg);
            }
          mr_managed_close (&m);
        }
    }
  event (ctx, "stop", name, NULL);
  return 0;
}

int
mr_managed_restart (struct mr_context *ctx, const char *name, int timeout, struct mr_error *err)
{
  if (mr_managed_stop (ctx, name, timeout, err) < 0)
    return -1;
  if (mr_managed_start (ctx, name, NULL, NULL, err) < 0)
    return -1;
  event (ctx, "restart", name, NULL);
  return 0;
}

static int
exit_event (void *data, const char *line, const struct mr_event *ev)
{
  int *code = data;

  (void)line;
  for (size_t i = 0; ev->attributes && ev->attributes[i]; i += 2)
    if (strcmp (ev->attributes[i], "exitCode") == 0 && ev->attributes[i + 1])
      *code = atoi (ev->attributes[i + 1]);
  return 0;
}

/* The exit code of the last "die" of name since a time.  */
static int
last_exit_event (struct mr_context *ctx, const char *name, const char *since, int *exit_code)
{
  cleanup_free char *fc = NULL;
  struct mr_error e = { 0 };
  const char *filters[3] = { NULL, "event=die", NULL };
  struct mr_events_opts o = { .size = sizeof o, .since = since, .filters = filters };
  int code = -1;

  if (mr_asprintf (&e, &fc, "container=%s", name) < 0)
    return -1;
  filters[0] = fc;
  if (mr_events_read (ctx, &o, exit_event, &code, &e) < 0 || code < 0)
    return -1;
  *exit_code = code;
  return 0;
}

int
mr_managed_wait (struct mr_context *ctx, const char *name, int *exit_code,
                 const volatile int *stop, struct mr_error *err)
{
  struct mr_managed m;
  cleanup_close int ino = -1;
  long long restarts;
  const char *s;
  char since[48];

  if (mr_managed_open (ctx, name, false, &m, err) < 0)
    return -1;
  ino = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  if (ino < 0 || inotify_add_watch (ino, m.dir, IN_MOVED_TO | IN_DELETE_SELF) < 0)
    {
      mr_managed_close (&m);
      return mr_error_errno (err, errno, "wait '%s': inotify", name);
    }
  mr_time_rfc3339 (since, sizeof since);
  restarts = mr_managed_int (m.status, "RestartCount");
  s = mr_managed_str (m.status, "Status");
  for (;;)
    {
      struct mr_error e = { 0 };
      const char *now = mr_managed_status (ctx, &m, NULL);

      if (strcmp (now, "stopped") == 0 || mr_managed_int (m.status, "RestartCount") != restarts
          || (strcmp (now, "restarting") == 0 && strcmp (s, "running") == 0))
        break;
      if (stop && *stop)
        {
          mr_managed_close (&m);
          mr_error_set (err, "wait '%s': interrupted", name);
          err->errnum = EINTR;
          return -1;
        }
      if (mr_wait_readable (ino, 1000) > 0)
        mr_inotify_drain (ino);
      if (mr_managed_read_status (&m, &e) < 0)
        {
          /* removed meanwhile (--rm): the event log still has its exit */
          mr_managed_close (&m);
          if (last_exit_event (ctx, name, since, exit_code) == 0)
            return 0;
          return mr_error_set (err, "wait '%s': the container was removed", name);
        }
      s = mr_managed_str (m.status, "Status");
    }
  /* the process can be seen gone a moment before its monitor records how it
   * ended: the exit code is the record's, so wait for it (the monitor
   * writes it at once; bounded in case the monitor is stuck) */
  for (int i = 0; i < 100 && strcmp (mr_managed_str (m.status, "Status"), "running") == 0
                  && mr_managed_monitor_alive (&m);
       i++)
    {
      struct mr_error e = { 0 };

      if (mr_wait_readable (ino, 100) > 0)
        mr_inotify_drain (ino);
      if (mr_managed_read_status (&m, &e) < 0)
        break;
    }
  *exit_code = (int)mr_managed_int (m.status, "ExitCode");
  mr_managed_close (&m);
  return 0;
}

/* --- remove ------------------------------------------------------------------ */

int
mr_managed_remove (struct mr_context *ctx, const char *name, bool force, bool monitor,
                   struct mr_error *err)
{
  struct mr_managed m;
  cleanup_close int rfd = -1;
  const char *status;

  if (mr_managed_open (ctx, name, true, &m, err) < 0)
    return -1;
  status = mr_managed_status (ctx, &m, NULL);
  if (!monitor && strcmp (status, "stopped") != 0 && strcmp (status, "created") != 0)
    {
      if (!force)
        {
          mr_error_set (err,
                        "cannot remove container '%s': it is %s (stop it first, or use "
                        "--force)",
                        name, status);
          err->errnum = EBUSY;
          mr_managed_close (&m);
          return -1;
        }
      mr_managed_lock (&m, false, err);
      mr_managed_close (&m);
      if (mr_managed_stop (ctx, name, 0, err) < 0)
        return -1;
      if (mr_managed_open (ctx, name, true, &m, err) < 0)
        return -1;
    }
  if (!monitor && mr_oci_delete_runtime (ctx, name, err) < 0)
    goto fail;
  /* after a killed monitor, the endpoint is still there */
  if (network_of (m.record) && mr_managed_net_release (ctx, name, err) < 0)
    goto fail;
  umount_rootfs (m.dirfd, m.dir);
  rfd = records_dirfd (ctx, false, err);
  if (rfd < 0 || mr_remove_tree_at (rfd, name, name, err) < 0)
    goto fail;
  mr_managed_close (&m);
  event (ctx, "delete", name, NULL);
  return 0;
fail:
  mr_managed_close (&m);
  return mr_error_prefix (err, "remove '%s'", name);
}

/* --- inspect and logs ---------------------------------------------------------- */

static int
inspect_dump (json_t *o, const char *name, char **json, struct mr_error *err)
{
  *json = o ? json_dumps (o, JSON_INDENT (2)) : NULL;
  if (*json == NULL)
    return mr_error_errno (err, ENOMEM, "inspect '%s'", name);
  return 0;
}

int
mr_managed_inspect_oci (struct mr_context *ctx, const char *id, char **json, struct mr_error *err)
{
  cleanup_free char *text = NULL;
  cleanup_json json_t *st = NULL;
  cleanup_json json_t *o = NULL;
  const char *status;

  /* what its state knows */
  if (mr_oci_state (ctx, id, &text, err) < 0)
    return -1;
  st = json_loads (text, 0, NULL);
  if (st == NULL)
    return mr_error_errno (err, ENOMEM, "inspect '%s'", id);
  status = mr_managed_str (st, "status");
  o = json_pack ("{s:s, s:s, s:b, s:{s:s, s:b, s:b, s:I}, s:s, s:s, s:O}", "Id", id, "Name", id,
                 "Managed", 0, "State", "Status", status, "Running",
                 strcmp (status, "running") == 0, "Paused", strcmp (status, "paused") == 0, "Pid",
                 (json_int_t)mr_managed_int (st, "pid"), "Created", mr_managed_str (st, "created"),
                 "Bundle", mr_managed_str (st, "bundle"), "Oci", st);
  return inspect_dump (o, id, json, err);
}

int
mr_managed_inspect (struct mr_context *ctx, const char *name, char **json, struct mr_error *err)
{
  struct mr_managed m;
  cleanup_json json_t *o = NULL;
  json_t *state;
  const char *status;
  pid_t pid;

  if (mr_managed_open (ctx, name, false, &m, err) < 0)
    return -1;
  status = mr_managed_status (ctx, &m, &pid);
  o = json_deep_copy (m.record);
  state = json_pack (
      "{s:s, s:b, s:b, s:b, s:i, s:O, s:O, s:O, s:O, s:O, s:O}", "Status", status, "Running",
      strcmp (status, "running") == 0 || strcmp (status, "paused") == 0, "Paused",
      strcmp (status, "paused") == 0, "Restarting", strcmp (status, "restarting") == 0, "Pid",
      (int)pid, "ExitCode", json_object_get (m.status, "ExitCode"), "OOMKilled",
      json_object_get (m.status, "OOMKilled"), "StartedAt", json_object_get (m.status, "StartedAt"),
      "FinishedAt", json_object_get (m.status, "FinishedAt"), "Error",
      json_object_get (m.status, "Error"), "RestartCount",
      json_object_get (m.status, "RestartCount"));
  if (o && state)
    {
      json_object_set_new (o, "State", state);
      json_object_set_new (o, "Managed", json_true ());
      json_object_set (o, "RestartCount", json_object_get (m.status, "RestartCount"));
      json_object_set_new (o, "MonitorPid",
                           json_integer (mr_managed_monitor_alive (&m)
                                             ? mr_managed_int (m.status, "MonitorPid")
                                             : 0));
      mr_managed_net_settings (ctx, name, m.record, status, o, NULL);
    }
  else
    json_decref (state);
  mr_managed_close (&m);
  return inspect_dump (o, name, json, err);
}

struct logs_cb
{
  int (*cb) (void *data, int stream, const char *text, size_t len);
  void *data;
  char *buf;
  size_t size;
};

static int
logs_line (const struct mr_log_record *r, void *data)
{
  struct logs_cb *l = data;
  size_t need = r->len + 2;

  if (need > l->size)
    {
      char *nb = realloc (l->buf, need);
      if (nb == NULL)
        return -1;
      l->buf = nb;
      l->size = need;
    }
  memcpy (l->buf, r->text, r->len);
  if (!r->partial)
    l->buf[r->len] = '\n';
  return l->cb (l->data, r->stream, l->buf, r->len + (r->partial ? 0 : 1));
}

int
mr_managed_logs (struct mr_context *ctx, const char *name, const struct mr_logs_opts *opts,
                 int (*cb) (void *data, int stream, const char *text, size_t len), void *data,
                 struct mr_error *err)
{
  struct mr_log_read_opts ro = { .size = sizeof ro, .tail = -1 };
  struct logs_cb l = { .cb = cb, .data = data };
  struct mr_managed m;
  cleanup_free char *path = NULL;
  int monfd = -1;
  int r;

  if (opts)
    {
      ro.tail = opts->tail;
      ro.timestamps = opts->timestamps;
      ro.stop = (const volatile sig_atomic_t *)opts->stop;
      if (opts->since && mr_log_parse_since (opts->since, &ro.since, err) < 0)
        return mr_error_prefix (err, "logs '%s'", name);
      ro.since_set = opts->since != NULL;
    }
  if (mr_managed_open (ctx, name, false, &m, err) < 0)
    return -1;
  path = strdup (mr_managed_str (m.record, "LogPath"));
  if (opts && opts->follow)
    monfd = mr_managed_monitor_pidfd (&m);
  mr_managed_close (&m);
  if (path == NULL)
    return mr_error_errno (err, ENOMEM, "logs '%s'", name);
  if (monfd >= 0)
    r = mr_log_follow (path, &ro, monfd, logs_line, &l, err);
  else
    r = mr_log_read (path, &ro, logs_line, &l, err);
  if (monfd >= 0)
    close (monfd);
  free (l.buf);
  return r < 0 ? mr_error_prefix (err, "logs '%s'", name) : 0;
}

/* --- listing ------------------------------------------------------------------ */

int
mr_managed_names (struct mr_context *ctx, char ***names, size_t *n, struct mr_error *err)
{
  cleanup_closedir DIR *d = NULL;
  struct dirent *de;
  char **v = NULL;
  size_t len = 0, cap = 0;
  int fd = records_dirfd (ctx, false, err);

  *names = NULL;
  *n = 0;
  if (fd < 0)
    {
      if (err->errnum == ENOENT)
        {
          mr_error_clear (err);
          return 0;
        }
      return -1;
    }
  d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return mr_error_errno (err, errno, "list containers");
    }
  while ((de = readdir (d)) != NULL)
    {
      struct stat sb;
      char rec[300];
      struct mr_error e = { 0 };
      if (de->d_name[0] == '.' || mr_id_validate (de->d_name, &e) < 0)
        continue;
      snprintf (rec, sizeof rec, "%s/record.json", de->d_name);
      if (fstatat (dirfd (d), rec, &sb, 0) < 0)
        continue;
      if (len == cap)
        {
          char **nv = realloc (v, (cap = cap ? cap * 2 : 16) * sizeof *v);
          if (nv == NULL)
            goto nomem;
          v = nv;
        }
      if ((v[len] = strdup (de->d_name)) == NULL)
        goto nomem;
      len++;
    }
  *names = v;
  *n = len;
  return 0;
nomem:
  for (size_t i = 0; i < len; i++)
    free (v[i]);
  free (v);
  return mr_error_errno (err, ENOMEM, "list containers");
}

static char *
join_args (json_t *args)
{
  size_t len = 1, i;
  json_t *v;
  char *s, *p;

  json_array_foreach (args, i, v) len
      += strlen (json_string_value (v) ? json_string_value (v) : "") + 1;
  s = p = malloc (len);
  if (s == NULL)
    return NULL;
  *p = '\0';
  json_array_foreach (args, i, v)
  {
    const char *a = json_string_value (v) ? json_string_value (v) : "";
    p += sprintf (p, "%s%s", i ? " " : "", a);
  }
  return s;
}

static int
fill_managed (struct mr_context *ctx, const char *name, struct mr_container_info *info, bool fresh)
{
  struct mr_managed m;
  struct mr_error e = { 0 };
  const char *status;
  const char *image;
  pid_t pid;

  if (mr_managed_open (ctx, name, false, &m, &e) < 0)
    return -1;
  status = mr_managed_status (ctx, &m, &pid);
  if (fresh)
    {
      memset (info, 0, sizeof *info);
      info->id = strdup (name);
      info->bundle = strdup (mr_managed_str (m.record, "Bundle"));
      info->created = strdup (mr_managed_str (m.record, "Created"));
      info->owner = strdup ("root");
      info->status = strcmp (status, "created") == 0 ? MR_STATUS_CREATED : MR_STATUS_STOPPED;
      info->pid = 0;
    }
  info->managed = true;
  info->state = strdup (status);
  image = mr_managed_str (m.record, "Image");
  info->image = strdup (*image ? image : mr_managed_str (m.record, "Rootfs"));
  info->command = join_args (json_object_get (json_object_get (m.record, "Config"), "Cmd"));
  info->exit_code = (int)mr_managed_int (m.status, "ExitCode");
  if (strcmp (status, "stopped") == 0)
    info->finished = strdup (mr_managed_str (m.status, "FinishedAt"));
  mr_managed_ports_fill (ctx, name, m.record, status, info);
  mr_managed_close (&m);
  return 0;
}

int
mr_managed_list_merge (struct mr_context *ctx, struct mr_container_info **list, size_t *count,
                       size_t *alloc, struct mr_error *err)
{
  char **names;
  size_t n;
  int r = 0;

  if (mr_managed_names (ctx, &names, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      size_t j;
      for (j = 0; j < *count; j++)
        if (strcmp ((*list)[j].id, names[i]) == 0)
          break;
      if (j < *count)
        {
          fill_managed (ctx, names[i], &(*list)[j], false);
          continue;
        }
      if (*count == *alloc)
        {
          size_t na = *alloc ? *alloc * 2 : 16;
          struct mr_container_info *nl = realloc (*list, na * sizeof *nl);
          if (nl == NULL)
            {
              r = mr_error_errno (err, ENOMEM, "list");
              break;
            }
          *list = nl;
          *alloc = na;
        }
      if (fill_managed (ctx, names[i], &(*list)[*count], true) == 0)
        (*count)++;
    }
  for (size_t i = 0; i < n; i++)
    free (names[i]);
  free (names);
  return r;
}

int
mr_managed_root_open (struct mr_context *ctx, const char *name, bool lock,
                      struct mr_container_root *r, struct mr_error *err)
{
  struct mr_managed m;
  const char *rootfs;
  enum mr_status status;

  if (mr_oci_root_open (ctx, name, lock, r, err) == 0)
    return 0;
  /* a managed container that does not run has no runtime state: its root
     is in its record */
  if (mr_oci_status (ctx, name, &status, &(struct mr_error){ 0 }) == 0)
    return -1;
  mr_error_clear (err);
  if (mr_managed_open (ctx, name, lock, &m, err) < 0)
    return -1;
  rootfs = mr_managed_str (m.record, "Rootfs");
  if (mr_managed_ensure_rootfs (&m, err) < 0)
    goto fail;
  r->fd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (r->fd < 0)
    {
      mr_error_errno (err, errno, "container '%s': open root file system '%s'", name, rootfs);
      goto fail;
    }
  if (lock)
    {
      r->lockfd = m.dirfd;
      m.dirfd = -1;
    }
  mr_managed_close (&m);
  return 0;
fail:
  mr_managed_close (&m);
  return -1;
}

int
mr_managed_image_user (struct mr_context *ctx, const char *id, char **name)
{
  struct mr_error e = { 0 };
  char **names;
  size_t n;
  int found = 0;

  if (mr_managed_names (ctx, &names, &n, &e) < 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    {
      struct mr_managed m;
      if (!found && mr_managed_open (ctx, names[i], false, &m, &e) == 0)
        {
          if (strcmp (mr_managed_str (m.record, "ImageId"), id) == 0)
            {
              *name = strdup (names[i]);
              found = *name != NULL;
            }
          mr_managed_close (&m);
        }
      free (names[i]);
    }
  free (names);
  return found;
}
