/* The OCI lifecycle verbs: the public API over state, spec, cgroups and
 * process creation.  */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cgroup/cgroup.h"
#include "oci/container.h"
#include "context.h"
#include "oci/hooks.h"
#include "linux/mount.h"
#include "linux/seccomp.h"
#include "oci/process.h"
#include "oci/spec.h"
#include "oci/state.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/path.h"

static inline void
cleanup_statep (struct mr_state **st)
{
  mr_state_free (*st);
}
static inline void
cleanup_specp (struct mr_spec **s)
{
  mr_spec_free (*s);
}
static inline void
cleanup_cgroupp (struct mr_cgroup **cg)
{
  mr_cgroup_free (*cg);
}
#define cleanup_state __attribute__ ((cleanup (cleanup_statep)))
#define cleanup_spec __attribute__ ((cleanup (cleanup_specp)))
#define cleanup_cgroup __attribute__ ((cleanup (cleanup_cgroupp)))

/* With an explicit root, the persistent records live in <root>/data.  */
static bool
is_data_dir (const struct mr_context *ctx, const char *id)
{
  size_t len = strlen (ctx->root);
  return strncmp (ctx->data_dir, ctx->root, len) == 0 && ctx->data_dir[len] == '/'
         && strcmp (ctx->data_dir + len + 1, id) == 0;
}

/* The core's events go to whatever the context was given to record them
 * with (the event log of lib/managed/events.c).  */
static void
emit (struct mr_context *ctx, const char *action, const char *id, int code)
{
  if (ctx->event)
    ctx->event (ctx, action, id, code);
}

static int
no_such_container (const char *id, struct mr_error *err)
{
  mr_error_set (err, "container '%s' does not exist", id);
  err->errnum = ENOENT;
  return -1;
}

/* The status as the kernel sees it now: state.json only records what create
 * made.  */
static enum mr_status
container_status (const struct mr_state *st, int dirfd)
{
  if (!mr_state_pid_alive (st))
    return MR_STATUS_STOPPED;
  if (st->creating)
    return MR_STATUS_CREATING;
  if (faccessat (dirfd, MR_EXEC_FIFO, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return MR_STATUS_CREATED;
  if (st->cgroup_path)
    {
      cleanup_cgroup struct mr_cgroup *cg = NULL;
      struct mr_error e = { 0 };
      bool frozen = false;
      if (mr_cgroup_open_in (st->cgroup_path, st->cgroup_layout, &cg, &e) == 0
          && mr_cgroup_is_frozen (cg, &frozen, &e) == 0 && frozen)
        return MR_STATUS_PAUSED;
    }
  return MR_STATUS_RUNNING;
}

/* Opens (and with lock, locks) the container and reads its state.  The id
 * was validated by the verb that took it.  */
static int
load (struct mr_context *ctx, const char *id, bool lock, int *dirfd, struct mr_state **st,
      struct mr_error *err)
{
  int rootfd;

  if (is_data_dir (ctx, id))
    return no_such_container (id, err);
  rootfd = mr_context_rootfd (ctx, err);
  if (rootfd < 0)
    return -1;
  if (mr_state_dir_open (rootfd, id, lock, dirfd, err) < 0)
    return -1;
  if (mr_state_read (*dirfd, id, st, err) < 0)
    {
      close (*dirfd);
      *dirfd = -1;
      return -1;
    }
  return 0;
}

int
mr_oci_load (struct mr_context *ctx, const char *id, bool lock, int *dirfd,
             struct mr_state **st, enum mr_status *status, struct mr_error *err)
{
  if (load (ctx, id, lock, dirfd, st, err) < 0)
    return -1;
  *status = container_status (*st, *dirfd);
  return 0;
}

bool
mr_oci_exists (struct mr_context *ctx, const char *id)
{
  struct mr_error e = { 0 };
  struct stat sb;
  int rootfd = mr_context_rootfd (ctx, &e);

  return rootfd >= 0 && fstatat (rootfd, id, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

int
mr_oci_status (struct mr_context *ctx, const char *id, enum mr_status *status,
               struct mr_error *err)
{
  cleanup_state struct mr_state *st = NULL;
  cleanup_close int dirfd = -1;

  if (load (ctx, id, false, &dirfd, &st, err) < 0)
    return -1;
  *status = container_status (st, dirfd);
  return 0;
}

static char *
state_json_text (const struct mr_state *st, enum mr_status status)
{
  json_t *o = mr_state_to_json (st, status);
  char *s = o ? json_dumps (o, JSON_COMPACT) : NULL;
  json_decref (o);
  return s;
}

static void
run_hooks_warn (struct mr_context *ctx, const struct mr_spec_hook *hooks, size_t n,
                const char *kind, const struct mr_state *st, enum mr_status status)
{
  cleanup_free char *json = NULL;
  struct mr_error e = { 0 };
  struct mr_hook_where where = { .cwd = st->bundle };

  if (n == 0)
    return;
  json = state_json_text (st, status);
  if (json == NULL)
    return;
  /* the spec: a failing poststart or poststop hook is a warning, and the
     remaining hooks still run */
  for (size_t i = 0; i < n; i++)
    if (mr_hooks_run (&hooks[i], 1, kind, json, &where, &e) < 0)
      mr_context_warn (ctx, "container '%s': %s", st->id, e.msg);
}

static int
load_spec_for (const struct mr_state *st, struct mr_spec **spec, struct mr_error *err)
{
  cleanup_free char *path = NULL;

  if (st->bundle == NULL)
    return mr_error_set (err, "container '%s' has no bundle", st->id);
  if (mr_asprintf (err, &path, "%s/config.json", st->bundle) < 0)
    return -1;
  if (mr_spec_load_file (path, spec, err) < 0)
    return mr_error_prefix (err, "container '%s'", st->id);
  return 0;
}

/* Waits (bounded) until the process behind pidfd has exited.  */
static void
wait_pidfd_exit (int pidfd, int timeout_ms)
{
  struct pollfd p = { .fd = pidfd, .events = POLLIN };
  while (poll (&p, 1, timeout_ms) < 0 && errno == EINTR)
    ;
}

/* Kills everything in the container and waits for init to be gone.  */
static void
kill_all_and_wait (const struct mr_state *st, struct mr_cgroup *cg)
{
  struct mr_error e = { 0 };
  cleanup_close int pidfd = -1;

  if (st->pid > 0 && mr_state_pid_alive (st))
    pidfd = mr_pidfd_open (st->pid);
  if (cg)
    mr_cgroup_kill (cg, SIGKILL, &e);
  if (pidfd >= 0)
    {
      syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
      wait_pidfd_exit (pidfd, 10000);
    }
}

/* Removes what create made: processes, cgroup, state.  With force, a
 * cgroup that cannot be removed (a process that does not die, such as one
 * frozen by someone else) is a warning: the state goes all the same, as
 * runc's and crun's delete --force do, so that the name can be used
 * again.  */
static int
destroy (struct mr_context *ctx, const struct mr_state *st, int dirfd, bool force,
               struct mr_error *err)
{
  cleanup_cgroup struct mr_cgroup *cg = NULL;
  int rootfd = mr_context_rootfd (ctx, err);

  if (rootfd < 0)
    return -1;
  if (st->cgroup_path && mr_cgroup_open_in (st->cgroup_path, st->cgroup_layout, &cg, err) < 0)
    {
      if (!force)
        return -1;
      mr_context_warn (ctx, "delete '%s': %s", st->id, err->msg);
      mr_error_clear (err);
    }
  kill_all_and_wait (st, cg);
  if (cg && mr_cgroup_destroy (cg, err) < 0)
    {
      if (!force)
        return mr_error_prefix (err, "delete '%s'", st->id);
      mr_context_warn (ctx, "delete '%s': %s (removing the state anyway)", st->id, err->msg);
      mr_error_clear (err);
    }
  if (st->poststop_hooks)
    {
      cleanup_spec struct mr_spec *spec = NULL;
      struct mr_error e = { 0 };
      if (load_spec_for (st, &spec, &e) < 0)
        mr_context_warn (ctx, "%s", e.msg);
      else
        run_hooks_warn (ctx, spec->hooks.poststop, spec->hooks.n_poststop, "poststop", st,
                        MR_STATUS_STOPPED);
    }
  return mr_state_dir_remove (rootfd, st->id, dirfd, err);
}

static const char *
owner_name (void)
{
  static char buf[16];
  uid_t uid = geteuid ();
  if (uid == 0)
    return "root";
  snprintf (buf, sizeof buf, "%u", (unsigned)uid);
  return buf;
}

/* "slice:prefix:name" (the systemd cgroup driver's form) as a cgroupfs path,
 * so that engines configured for systemd still get a cgroup.  */
static int
systemd_cgroup_path (const char *in, char **out, struct mr_error *err)
{
  cleanup_free char *copy = strdup (in);
  char *slice, *prefix, *name;

  if (copy == NULL)
    return mr_error_errno (err, ENOMEM, "cgroupsPath");
  slice = copy;
  prefix = strchr (slice, ':');
  if (prefix == NULL || (name = strchr (prefix + 1, ':')) == NULL)
    return mr_error_set (err,
                         "linux.cgroupsPath '%s': expected slice:prefix:name with "
                         "--systemd-cgroup",
                         in);
  *prefix++ = '\0';
  *name++ = '\0';
  if (*slice == '\0')
    slice = (char *)"system.slice";
  return mr_asprintf (err, out, "/%s/%s%s%s.scope", slice, prefix, *prefix ? "-" : "", name);
}

static int
write_pid_file (const char *path, pid_t pid, struct mr_error *err)
{
  cleanup_free char *copy = strdup (path);
  cleanup_close int dfd = -1;
  char buf[32];
  char *slash;
  const char *dir = ".", *base = copy;

  if (copy == NULL)
    return mr_error_errno (err, ENOMEM, "pid file");
  slash = strrchr (copy, '/');
  if (slash)
    {
      *slash = '\0';
      dir = slash == copy ? "/" : copy;
      base = slash + 1;
    }
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return mr_error_errno (err, errno, "pid file '%s'", path);
  snprintf (buf, sizeof buf, "%d", (int)pid);
  if (mr_write_file_atomic_at (dfd, base, buf, strlen (buf), 0644, 0, err) < 0)
    return mr_error_prefix (err, "pid file '%s'", path);
  return 0;
}

static bool
has_ns (const struct mr_spec *spec, int type, bool new_only)
{
  const struct mr_spec_namespace *ns = mr_spec_find_namespace (spec, type);
  return ns != NULL && (!new_only || ns->path == NULL);
}

static int
check_spec (const struct mr_spec *spec, const struct mr_create_opts *opts, bool run,
            struct mr_error *err)
{
  if (!spec->has_process)
    return mr_error_set (err, "config.json: process: required to run a container");
  if (mr_rootfs_check_inherited (spec, opts->no_pivot, err) < 0)
    return -1;
  /* one joined by path will do, as with runc: the name is set in it */
  if ((spec->hostname || spec->domainname) && !has_ns (spec, CLONE_NEWUTS, false))
    return mr_error_set (err, "config.json: hostname: setting it needs a uts namespace");
  if (spec->process.terminal && opts->console_socket == NULL && (!run || opts->detach))
    return mr_error_set (err, "config.json: process.terminal is true: --console-socket is "
                              "required (or set terminal to false)");
  if (!spec->process.terminal && opts->console_socket)
    return mr_error_set (err, "--console-socket given but process.terminal is false");
  return 0;
}

/* The device cgroup of a container, as runc makes it: deny everything,
 * then the config's own rules, then the devices every container needs (a
 * config that denies all devices still gets a working /dev).  The
 * config's linux.devices are not allowed by being made: only its
 * resources.devices allow them.  */
static const struct mr_spec_device_rule default_device_rules[] = {
  { true, 'c', -1, -1, "m" },    { true, 'b', -1, -1, "m" },    /* mknod, not access */
  { true, 'c', 1, 3, "rwm" },    { true, 'c', 1, 5, "rwm" },    /* null, zero */
  { true, 'c', 1, 7, "rwm" },    { true, 'c', 1, 8, "rwm" },    /* full, random */
  { true, 'c', 1, 9, "rwm" },    { true, 'c', 5, 0, "rwm" },    /* urandom, tty */
  { true, 'c', 5, 1, "rwm" },    { true, 'c', 5, 2, "rwm" },    /* console, ptmx */
  { true, 'c', 136, -1, "rwm" }, { true, 'c', 10, 200, "rwm" }, /* pts, tun */
};
static const struct mr_spec_device_rule deny_all_devices = { false, 'a', -1, -1, "rwm" };

/* spec: at create, where the rules are always set; NULL: an update, which
 * leaves the devices alone unless it has rules of its own.  */
static int
effective_resources (const struct mr_spec_resources *in, const struct mr_spec *spec,
                     struct mr_spec_resources *out, struct mr_spec_device_rule **rules,
                     struct mr_error *err)
{
  size_t n_def = sizeof default_device_rules / sizeof default_device_rules[0];
  size_t n;

  *rules = NULL;
  *out = *in;
  if (in->n_devices == 0 && spec == NULL)
    return 0;
  n = 1 + in->n_devices + n_def;
  *rules = calloc (n, sizeof **rules);
  if (*rules == NULL)
    return mr_error_errno (err, ENOMEM, "device rules");
  (*rules)[0] = deny_all_devices;
  if (in->n_devices > 0)
    memcpy (*rules + 1, in->devices, in->n_devices * sizeof **rules);
  memcpy (*rules + 1 + in->n_devices, default_device_rules, sizeof default_device_rules);
  out->devices = *rules;
  out->n_devices = n;
  return 0;
}

/* The host id that container id 0 maps to, or 0 without a mapping.  */
static unsigned
host_root_id (const struct mr_spec_idmap *m, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (m[i].container_id == 0 && m[i].size > 0)
      return m[i].host_id;
  return 0;
}

/* The child opens the fifo as the container's root, which in a user
 * namespace is some other host uid: it must own the fifo.  Only the writer
 * side is open to it, as runc does.  */
static int
make_exec_fifo (int dirfd, const struct mr_spec *spec, struct mr_error *err)
{
  unsigned uid = host_root_id (spec->linux.uid_mappings, spec->linux.n_uid_mappings);
  unsigned gid = host_root_id (spec->linux.gid_mappings, spec->linux.n_gid_mappings);

  if (mkfifoat (dirfd, MR_EXEC_FIFO, 0622) < 0)
    return mr_error_errno (err, errno, "exec fifo");
  if ((uid || gid) && fchownat (dirfd, MR_EXEC_FIFO, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return mr_error_errno (err, errno, "exec fifo: chown to %u:%u", uid, gid);
  return 0;
}

/* What a create in progress holds; undone on failure.  */
struct creation
{
  struct mr_context *ctx;
  char *id;
  int lockfd;
  int state_dirfd;
  struct mr_state *st;
  struct mr_spec *spec;
  struct mr_cgroup *cg;
  struct mr_seccomp_prog seccomp;
  struct mr_spawn sp;
  int pty_master;
};

/* A user namespace's root is some other host id: a directory above the
 * rootfs that it may not search fails every runtime with EACCES.  Say which
 * one and what to do, instead of a bare "Permission denied".  */
static void
explain_unreachable_rootfs (struct creation *c, struct mr_error *err)
{
  unsigned uid = host_root_id (c->spec->linux.uid_mappings, c->spec->linux.n_uid_mappings);
  unsigned gid = host_root_id (c->spec->linux.gid_mappings, c->spec->linux.n_gid_mappings);
  char dir[PATH_MAX];
  struct stat st;

  if (c->st->rootfs == NULL
      || mr_path_unsearchable (c->st->rootfs, uid, gid, dir, sizeof dir, &st) != 1)
    return;
  mr_error_errno (err, EACCES,
                  "rootfs '%s': the container's root is host uid %u gid %u, which may not "
                  "search '%s' (mode %04o, owner %u:%u); make it searchable (chmod o+x '%s') "
                  "or map the container's root to an id that may",
                  c->st->rootfs, uid, gid, dir, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
                  (unsigned)st.st_gid, dir);
}

static void
creation_abort (struct creation *c)
{
  struct mr_error e = { 0 };

  if (c->sp.pid > 0)
    {
      kill (c->sp.pid, SIGKILL);
      while (waitpid (c->sp.pid, NULL, 0) < 0 && errno == EINTR)
        ;
      c->sp.pid = -1;
    }
  if (c->cg)
    mr_cgroup_destroy (c->cg, &e);
  if (c->lockfd >= 0)
    {
      int rootfd = mr_context_rootfd (c->ctx, &e);
      if (rootfd >= 0)
        mr_state_dir_remove (rootfd, c->id, c->lockfd, &e);
    }
}

static void
creation_free (struct creation *c)
{
  mr_spawn_close (&c->sp);
  if (c->pty_master >= 0)
    close (c->pty_master);
  if (c->state_dirfd >= 0)
    close (c->state_dirfd);
  if (c->lockfd >= 0)
    close (c->lockfd);
  mr_cgroup_free (c->cg);
  mr_seccomp_prog_clear (&c->seccomp);
  mr_spec_free (c->spec);
  mr_state_free (c->st);
  free (c->id);
}

/* The seccomp listener of a new container's init goes to the agent with
 * the state `state` would print now: creating.  */
static int
hand_init_listener (struct mr_spawn *sp, int listener, void *data, struct mr_error *err)
{
  struct creation *c = data;
  json_t *state = mr_state_to_json (c->st, MR_STATUS_CREATING);
  int r;

  if (state == NULL)
    return mr_error_errno (err, ENOMEM, "seccomp agent");
  r = mr_seccomp_send_to_agent (c->spec->linux.seccomp, sp->pid, state, listener, err);
  json_decref (state);
  return r;
}

static int
resolve_rootfs (const char *bundle, const struct mr_spec *spec, char **out, struct mr_error *err)
{
  cleanup_free char *joined = NULL;
  struct stat stbuf;
  char *real;

  if (spec->root_path[0] == '/')
    joined = strdup (spec->root_path);
  else if (mr_asprintf (err, &joined, "%s/%s", bundle, spec->root_path) < 0)
    return -1;
  if (joined == NULL)
    return mr_error_errno (err, ENOMEM, "root.path");
  real = realpath (joined, NULL);
  if (real == NULL)
    return mr_error_errno (err, errno, "root.path '%s'", joined);
  if (stat (real, &stbuf) < 0 || !S_ISDIR (stbuf.st_mode))
    {
      free (real);
      return mr_error_set (err, "root.path '%s' is not a directory", joined);
    }
  *out = real;
  return 0;
}

static int
do_create (struct mr_context *ctx, const char *id, const struct mr_create_opts *opts, bool run,
           struct creation *c, struct mr_error *err)
{
  cleanup_free char *bundle = NULL;
  cleanup_free char *config = NULL;
  cleanup_free char *cg_name = NULL;
  cleanup_free char *cg_in = NULL;
  cleanup_free char *state_json = NULL;
  char created[48];
  int rootfd;

  memset (c, 0, sizeof *c);
  c->ctx = ctx;
  c->lockfd = c->state_dirfd = c->pty_master = -1;
  c->sp.sync_fd = c->sp.pidfd = -1;
  c->sp.pid = -1;

  if (is_data_dir (ctx, id))
    return mr_error_set (err,
                         "container id '%s' is reserved: the state directory keeps its "
                         "records there",
                         id);
  c->id = strdup (id);
  bundle = realpath (opts->bundle ? opts->bundle : ".", NULL);
  if (c->id == NULL || bundle == NULL)
    return mr_error_errno (err, errno, "bundle '%s'", opts->bundle ? opts->bundle : ".");
  if (mr_asprintf (err, &config, "%s/config.json", bundle) < 0)
    return -1;
  if (mr_spec_load_file (config, &c->spec, err) < 0)
    return -1;
  if (c->spec->process.caps.unknown)
    mr_context_warn (ctx, "ignoring unknown or unavailable capabilities: [%s]",
                     c->spec->process.caps.unknown);
  if (check_spec (c->spec, opts, run, err) < 0)
    return -1;

  c->st = calloc (1, sizeof *c->st);
  if (c->st == NULL)
    return mr_error_errno (err, ENOMEM, "create '%s'", id);
  c->st->id = strdup (id);
  c->st->bundle = steal_pointer (&bundle);
  if (resolve_rootfs (c->st->bundle, c->spec, &c->st->rootfs, err) < 0)
    return -1;
  mr_time_rfc3339 (created, sizeof created);
  c->st->created = strdup (created);
  c->st->owner = strdup (owner_name ());
  c->st->creating = true;
  c->st->userns = has_ns (c->spec, CLONE_NEWUSER, false);
  c->st->poststart_hooks = c->spec->hooks.n_poststart > 0;
  c->st->poststop_hooks = c->spec->hooks.n_poststop > 0;
  if (c->spec->n_annotations)
    {
      c->st->annotations = json_object ();
      for (size_t i = 0; i < c->spec->n_annotations; i++)
        json_object_set_new (c->st->annotations, c->spec->annotations[i].key,
                             json_string (c->spec->annotations[i].value));
    }

  /* the root exists from here on: its absolute path names the cgroup */
  if (mr_context_rootfd (ctx, err) < 0 || mr_cgroup_default_name (ctx->root, id, &cg_name, err) < 0)
    return -1;
  if (ctx->systemd_cgroup && c->spec->linux.cgroups_path
      && strchr (c->spec->linux.cgroups_path, ':'))
    {
      if (systemd_cgroup_path (c->spec->linux.cgroups_path, &cg_in, err) < 0)
        return -1;
    }
  else if (c->spec->linux.cgroups_path)
    cg_in = strdup (c->spec->linux.cgroups_path);
  if (mr_cgroup_resolve_layout (cg_in, cg_name, &c->st->cgroup_path, &c->st->cgroup_layout, err)
      < 0)
    return -1;

  if (c->spec->linux.seccomp && mr_seccomp_compile (c->spec->linux.seccomp, &c->seccomp, err) < 0)
    return -1;

  rootfd = mr_context_rootfd (ctx, err);
  if (rootfd < 0)
    return -1;
  if (mr_state_dir_create (rootfd, id, &c->lockfd, err) < 0)
    return -1;
  /* from here on, a failure must undo: the caller runs creation_abort */
  if (!run && make_exec_fifo (c->lockfd, c->spec, err) < 0)
    return mr_error_prefix (err, "create '%s'", id);
  /* a second open file description: the child keeps it, and must not keep
     the lock with it */
  c->state_dirfd = openat (c->lockfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c->state_dirfd < 0)
    return mr_error_errno (err, errno, "create '%s': state directory", id);
  if (mr_state_write (c->lockfd, c->st, false, err) < 0)
    return -1;
  {
    /* a config without linux.resources still gets runc's device cgroup:
       deny all, then the devices every container needs */
    static const struct mr_spec_resources none;
    struct mr_spec_resources res;
    cleanup_free struct mr_spec_device_rule *rules = NULL;
    if (effective_resources (c->spec->linux.resources ? c->spec->linux.resources : &none, c->spec,
                             &res, &rules, err)
        < 0)
      return -1;
    if (mr_cgroup_create_in (c->st->cgroup_path, c->st->cgroup_layout, &res, &c->cg, err) < 0)
      return mr_error_prefix (err, "create '%s'", id);
  }
  /* what create made, for delete to remove it all again */
  json_decref (c->st->cgroup_layout);
  c->st->cgroup_layout = json_incref (mr_cgroup_layout (c->cg));

  c->sp.spec = c->spec;
  c->sp.process = &c->spec->process;
  c->sp.seccomp = c->spec->linux.seccomp ? &c->seccomp : NULL;
  c->sp.hand_listener = hand_init_listener;
  c->sp.hand_listener_data = c;
  c->sp.cgroup = c->cg;
  c->sp.rootfs = c->st->rootfs;
  /* a v1 cgroup at different paths per hierarchy: the cgroup mounts use
     the init's own /proc/self/cgroup */
  c->sp.cgroup_path = mr_cgroup_same_path_everywhere (c->cg) ? c->st->cgroup_path : NULL;
  c->sp.state_dirfd = c->state_dirfd;
  c->sp.start_mode = run ? MR_START_MESSAGE : MR_START_FIFO;
  c->sp.no_pivot = opts->no_pivot;
  c->sp.keyring = opts->no_new_keyring ? NULL : c->id;
  c->sp.console_socket = opts->console_socket;
  c->sp.preserve_fds = opts->preserve_fds;
  if (mr_spawn_clone (&c->sp, &c->lockfd, 1, err) < 0)
    return mr_error_prefix (err, "create '%s'", id);
  if (has_ns (c->spec, CLONE_NEWUSER, true) && mr_spawn_write_idmaps (&c->sp, err) < 0)
    return mr_error_prefix (err, "create '%s'", id);

  c->st->pid = c->sp.pid;
  mr_pid_start_time (c->sp.pid, &c->st->pid_start);
  if (mr_state_write (c->lockfd, c->st, false, err) < 0)
    return -1;
  if (c->sp.need_go)
    {
      state_json = state_json_text (c->st, MR_STATUS_CREATING);
      if (state_json == NULL)
        return mr_error_errno (err, ENOMEM, "create '%s'", id);
      struct mr_hook_where where = { .cwd = c->st->bundle };
      if (mr_hooks_run (c->spec->hooks.prestart, c->spec->hooks.n_prestart, "prestart", state_json,
                        &where, err)
              < 0
          || mr_hooks_run (c->spec->hooks.create_runtime, c->spec->hooks.n_create_runtime,
                           "createRuntime", state_json, &where, err)
                 < 0)
        return mr_error_prefix (err, "create '%s'", id);
      if (mr_spawn_send_go (&c->sp, state_json, err) < 0)
        return -1;
    }
  if (mr_spawn_wait_ready (&c->sp, &c->pty_master, err) < 0)
    {
      if (err->errnum == EACCES && has_ns (c->spec, CLONE_NEWUSER, true))
        explain_unreachable_rootfs (c, err);
      return mr_error_prefix (err, "create '%s'", id);
    }

  if (opts->pid_file && write_pid_file (opts->pid_file, c->sp.pid, err) < 0)
    return -1;
  return 0;
}

/* The state a finished create leaves.  run writes it after releasing the
 * process, so that the container starts without waiting for the disk.  */
static int
creation_done (struct creation *c, struct mr_error *err)
{
  c->st->creating = false;
  return mr_state_write (c->lockfd, c->st, true, err);
}

int
mr_oci_create (struct mr_context *ctx, const char *id, const struct mr_create_opts *opts,
               struct mr_error *err)
{
  struct creation c;
  int r;

  r = do_create (ctx, id, opts, false, &c, err);

  if (r == 0)
    r = creation_done (&c, err);
  if (r < 0)
    creation_abort (&c);
  creation_free (&c);
  if (r == 0)
    emit (ctx, "create", id, 0);
  return r;
}

/* The child keeps its end of exec.fifo open until exec closes it; on a
 * failure it writes '1' and the reason first.  */
static int
wait_started (int fifo, const char *id, struct mr_error *err)
{
  char buf[MR_ERROR_MSG_MAX];
  size_t len = 0;
  int fl = fcntl (fifo, F_GETFL);

  fcntl (fifo, F_SETFL, fl & ~O_NONBLOCK);
  for (;;)
    {
      ssize_t n = read (fifo, buf + len, sizeof buf - 1 - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || len + (size_t)n >= sizeof buf - 1)
        break;
      len += (size_t)n;
    }
  buf[len] = '\0';
  if (len > 0 && buf[0] == '1')
    return mr_error_set (err, "start '%s': %s", id, buf + 1);
  return 0;
}

int
mr_oci_start (struct mr_context *ctx, const char *id, struct mr_error *err)
{
  cleanup_state struct mr_state *st = NULL;
  cleanup_close int dirfd = -1;
  cleanup_close int fifo = -1;
  cleanup_close int pidfd = -1;
  enum mr_status status;
  char c;

  if (load (ctx, id, true, &dirfd, &st, err) < 0)
    return -1;
  status = container_status (st, dirfd);
  if (status != MR_STATUS_CREATED)
    {
      if (status == MR_STATUS_STOPPED)
        return mr_error_set (err, "cannot start container '%s': it has stopped", id);
      return mr_error_set (err, "cannot start container '%s': it is %s, not created", id,
                           mr_status_name (status));
    }
  /* a frozen init would never answer the fifo: start would wait for ever */
  if (st->cgroup_path)
    {
      cleanup_cgroup struct mr_cgroup *cg = NULL;
      bool frozen = false;

      if (mr_cgroup_open_in (st->cgroup_path, st->cgroup_layout, &cg, err) < 0
          || mr_cgroup_is_frozen (cg, &frozen, err) < 0)
        return mr_error_prefix (err, "start '%s'", id);
      if (frozen)
        return mr_error_set (
            err, "cannot start container '%s': its cgroup is frozen (thaw it first)", id);
    }
  fifo = openat (dirfd, MR_EXEC_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0)
    return mr_error_errno (err, errno, "start '%s': open exec fifo", id);
  pidfd = mr_pidfd_open (st->pid);
  for (;;)
    {
      struct pollfd p[2] = { { .fd = fifo, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
      ssize_t n;
      if (poll (p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return mr_error_errno (err, errno, "start '%s'", id);
        }
      if (p[0].revents & POLLIN)
        {
          n = read (fifo, &c, 1);
          if (n == 1)
            break;
          if (n < 0 && errno == EAGAIN)
            continue;
        }
      if ((p[1].revents & POLLIN) || (p[0].revents & POLLHUP))
        return mr_error_set (err, "start '%s': the container process exited", id);
    }
  unlinkat (dirfd, MR_EXEC_FIFO, 0);
  if (wait_started (fifo, id, err) < 0)
    return -1;
  if (st->poststart_hooks)
    {
      cleanup_spec struct mr_spec *spec = NULL;
      struct mr_error e = { 0 };
      if (load_spec_for (st, &spec, &e) < 0)
        mr_context_warn (ctx, "%s", e.msg);
      else
        run_hooks_warn (ctx, spec->hooks.poststart, spec->hooks.n_poststart, "poststart", st,
                        MR_STATUS_RUNNING);
    }
  emit (ctx, "start", id, 0);
  return 0;
}

int
mr_oci_run (struct mr_context *ctx, const char *id, const struct mr_create_opts *opts,
            int *exit_status, struct mr_error *err)
{
  struct creation c;
  struct mr_error e = { 0 };
  int r;

  if (do_create (ctx, id, opts, true, &c, err) < 0)
    {
      creation_abort (&c);
      creation_free (&c);
      return -1;
    }
  r = mr_spawn_send_start (&c.sp, err);
  /* poststart hooks come after the program runs, and a program that cannot
     run is an error of run itself */
  if (r == 0)
    r = mr_spawn_wait_exec (&c.sp, err);
  if (r < 0)
    mr_error_prefix (err, "run '%s'", id);
  if (r == 0)
    r = creation_done (&c, err);
  if (r < 0)
    {
      creation_abort (&c);
      creation_free (&c);
      return -1;
    }
  run_hooks_warn (ctx, c.spec->hooks.poststart, c.spec->hooks.n_poststart, "poststart", c.st,
                  MR_STATUS_RUNNING);
  emit (ctx, "create", id, 0);
  emit (ctx, "start", id, 0);
  if (opts->detach)
    {
      if (exit_status)
        *exit_status = 0;
      creation_free (&c);
      return 0;
    }
  /* let other verbs (kill, exec, state) in while we wait */
  flock (c.lockfd, LOCK_UN);
  r = mr_wait_forwarding (c.sp.pid, c.pty_master, exit_status, err);
  if (r == 0 && exit_status)
    emit (ctx, "die", id, *exit_status);
  c.sp.pid = -1;
  if (!opts->keep)
    {
      int rootfd = mr_context_rootfd (ctx, &e);
      if (rootfd >= 0 && flock (c.lockfd, LOCK_EX) == 0)
        {
          /* the state may be gone already if someone deleted it meanwhile */
          struct stat sb;
          if (fstatat (rootfd, id, &sb, AT_SYMLINK_NOFOLLOW) == 0)
            destroy (ctx, c.st, c.lockfd, true, &e);
        }
    }
  creation_free (&c);
  return r;
}

int
mr_oci_run_monitored (struct mr_context *ctx, const char *id, const char *bundle,
                      struct mr_monitored *out, struct mr_error *err)
{
  struct mr_create_opts opts = { .size = sizeof opts, .bundle = bundle, .keep = true };
  struct creation c;
  int r;

  if (do_create (ctx, id, &opts, true, &c, err) < 0)
    {
      creation_abort (&c);
      creation_free (&c);
      return -1;
    }
  r = mr_spawn_send_start (&c.sp, err);
  if (r == 0)
    r = mr_spawn_wait_exec (&c.sp, err);
  if (r < 0)
    mr_error_prefix (err, "start '%s'", id);
  if (r == 0)
    r = creation_done (&c, err);
  if (r < 0)
    {
      creation_abort (&c);
      creation_free (&c);
      return -1;
    }
  run_hooks_warn (ctx, c.spec->hooks.poststart, c.spec->hooks.n_poststart, "poststart", c.st,
                  MR_STATUS_RUNNING);
  out->pid = c.sp.pid;
  out->pidfd = c.sp.pidfd;
  c.sp.pidfd = -1;
  out->pty_master = c.pty_master;
  c.pty_master = -1;
  out->cgroup_path = steal_pointer (&c.st->cgroup_path);
  creation_free (&c);
  return 0;
}

int
mr_oci_delete_runtime (struct mr_context *ctx, const char *id, struct mr_error *err)
{
  cleanup_state struct mr_state *st = NULL;
  cleanup_close int dirfd = -1;
  int rootfd;

  rootfd = mr_context_rootfd (ctx, err);
  if (rootfd < 0)
    return -1;
  if (mr_state_dir_open (rootfd, id, true, &dirfd, err) < 0)
    {
      if (err->errnum != ENOENT)
        return -1;
      mr_error_clear (err);
      return 0;
    }
  if (mr_state_read (dirfd, id, &st, err) < 0)
    return mr_state_dir_remove (rootfd, id, dirfd, err);
  return destroy (ctx, st, dirfd, true, err);
}

int
mr_oci_state (struct mr_context *ctx, const char *id, char **json, struct mr_error *err)
{
  cleanup_state struct mr_state *st = NULL;
  cleanup_close int dirfd = -1;
  json_t *o;

  if (load (ctx, id, false, &dirfd, &st, err) < 0)
    return -1;
  o = mr_state_to_json (st, container_status (st, dirfd));
  *json = o ? json_dumps (o, JSON_INDENT (2)) : NULL;
  json_decref (o);
  if (*json == NULL)
    return mr_error_errno (err, ENOMEM, "state '%s'", id);
  return 0;
}

int
mr_oci_kill (struct mr_context *ctx, const char *id, const struct mr_kill_opts *opts,
             struct mr_error *err)
{
  cleanup_state struct mr_state *st = NULL;
  cleanup_close int dirfd = -1;
  cleanup_close int pidfd = -1;
  enum mr_status status;
  bool zero = opts->size > offsetof (struct mr_kill_opts, signal_zero) && opts->signal_zero;
  int sig = zero ? 0 : opts->signal ? opts->signal : SIGTERM;

  if (load (ctx, id, false, &dirfd, &st, err) < 0)
    return -1;
  status = container_status (st, dirfd);
  if (status == MR_STATUS_STOPPED)
    return mr_error_set (err, "cannot kill container '%s': it is not running", id);
  /* signal 0 asks about init only: nothing is sent, nothing thawed */
  if (opts->all && st->cgroup_path && sig != 0)
    {
      cleanup_cgroup struct mr_cgroup *cg = NULL;
      if (mr_cgroup_open_in (st->cgroup_path, st->cgroup_layout, &cg, err) < 0)
        return mr_error_prefix (err, "kill '%s'", id);
      /* before the signal: a watcher must see "kill" ahead of the "die" it
         causes, as Docker orders them; signal 0 only asks */
      if (sig != 0)
        emit (ctx, "kill", id, sig);
      if (mr_cgroup_kill (cg, sig, err) < 0)
        return mr_error_prefix (err, "kill '%s'", id);
      return 0;
    }
  /* a pidfd pins the process: the pid cannot be reused between the check
     and the signal */
  pidfd = mr_pidfd_open (st->pid);
  if (pidfd < 0 || !mr_state_pid_alive (st))
    return mr_error_set (err, "cannot kill container '%s': it is not running", id);
  if (sig != 0)
    emit (ctx, "kill", id, sig);
  if (syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
    return mr_error_errno (err, errno, "kill '%s'", id);
  return 0;
}

/* Signals the container's init, waits for it up to timeout seconds, then
   kills everything in it.  */
int
mr_oci_stop (struct mr_context *ctx, const char *name, int sig, int timeout, struct mr_error *err)
{
  cleanup_close int dirfd = -1;
  cleanup_close int pidfd = -1;
  struct mr_state *st = NULL;
  enum mr_status status;
  struct mr_kill_opts ko = { .size = sizeof ko, .signal = sig };
  struct mr_error e = { 0 };

  if (load (ctx, name, false, &dirfd, &st, &e) < 0)
    return 0;
  status = container_status (st, dirfd);
  if (status != MR_STATUS_RUNNING && status != MR_STATUS_PAUSED)
    {
      mr_state_free (st);
      return 0;
    }
  pidfd = mr_pidfd_open (st->pid);
  if (pidfd < 0 || !mr_state_pid_alive (st))
    {
      mr_state_free (st);
      return 0;
    }
  mr_state_free (st);
  if (status == MR_STATUS_PAUSED)
    mr_oci_resume (ctx, name, &e);
  if (timeout > 0 && mr_oci_kill (ctx, name, &ko, &e) == 0
      && mr_wait_readable (pidfd, timeout * 1000) > 0)
    return 0;
  ko.signal = SIGKILL;
  ko.all = true;
  if (mr_oci_kill (ctx, name, &ko, &e) < 0)
    return mr_wait_readable (pidfd, 0) > 0 ? 0 : mr_error_set (err, "stop '%s': %s", name, e.msg);
  mr_wait_readable (pidfd, 10000);
  return 0;
}

int
mr_oci_delete (struct mr_context *ctx, const char *id, const struct mr_delete_opts *opts,
               struct mr_error *err)
{
  cleanup_state struct mr_state *st = NULL;
  cleanup_close int dirfd = -1;
  enum mr_status status;
  int rootfd;

  if (is_data_dir (ctx, id))
    return no_such_container (id, err);
  rootfd = mr_context_rootfd (ctx, err);
  if (rootfd < 0)
    return -1;
  if (mr_state_dir_open (rootfd, id, true, &dirfd, err) < 0)
    {
      /* as runc and crun: forcing the removal of what is not there is done */
      if (opts->force && err->errnum == ENOENT)
        {
          mr_error_clear (err);
          return 0;
        }
      return -1;
    }
  if (mr_state_read (dirfd, id, &st, err) < 0)
    {
      /* create died before its first state write: only the directory is left */
      if (opts->force)
        return mr_state_dir_remove (rootfd, id, dirfd, err);
      return -1;
    }
  status = container_status (st, dirfd);
  if ((status == MR_STATUS_RUNNING || status == MR_STATUS_PAUSED) && !opts->force)
    return mr_error_set (err,
                         "cannot delete container '%s': it is %s (stop it first, or use "
                         "--force)",
                         id, mr_status_name (status));
  if (destroy (ctx, st, dirfd, opts->force, err) < 0)
    return -1;
  emit (ctx, "delete", id, 0);
  return 0;
}

static int
fill_info (struct mr_context *ctx, int rootfd, const char *id, struct mr_container_info *info)
{
  struct mr_error e = { 0 };
  cleanup_close int dirfd = -1;
  struct mr_state *st = NULL;

  if (mr_state_dir_open (rootfd, id, false, &dirfd, &e) < 0)
    return -1;
  memset (info, 0, sizeof *info);
  info->id = strdup (id);
  if (mr_state_read (dirfd, id, &st, &e) < 0)
    {
      info->status = MR_STATUS_STOPPED;
      return 0;
    }
  info->status = container_status (st, dirfd);
  info->pid = info->status == MR_STATUS_STOPPED ? 0 : st->pid;
  info->bundle = steal_pointer (&st->bundle);
  info->created = steal_pointer (&st->created);
  info->owner = steal_pointer (&st->owner);
  info->rootfs = steal_pointer (&st->rootfs);
  if (json_object_size (st->annotations) > 0)
    info->annotations = json_dumps (st->annotations, JSON_COMPACT);
  mr_state_free (st);
  return 0;
}

int
mr_oci_list (struct mr_context *ctx, struct mr_container_info **list, size_t *n,
             struct mr_error *err)
{
  cleanup_closedir DIR *d = NULL;
  struct mr_container_info *out = NULL;
  size_t count = 0, alloc = 0;
  struct dirent *de;
  int rootfd, fd;

  *list = NULL;
  *n = 0;
  rootfd = mr_context_rootfd (ctx, err);
  if (rootfd < 0)
    return -1;
  fd = openat (rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return mr_error_errno (err, errno, "list '%s'", ctx->root);
    }
  while ((de = readdir (d)) != NULL)
    {
      struct mr_error e = { 0 };
      if (de->d_type != DT_DIR || mr_id_validate (de->d_name, &e) < 0
          || is_data_dir (ctx, de->d_name))
        continue;
      if (count == alloc)
        {
          size_t na = alloc ? alloc * 2 : 16;
          struct mr_container_info *nl = realloc (out, na * sizeof *nl);
          if (nl == NULL)
            {
              mr_container_info_free (out, count);
              return mr_error_errno (err, ENOMEM, "list");
            }
          out = nl;
          alloc = na;
        }
      if (fill_info (ctx, rootfd, de->d_name, &out[count]) == 0)
        count++;
    }
  *list = out;
  *n = count;
  return 0;
}

void
mr_container_info_free (struct mr_container_info *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (list[i].id);
      free (list[i].bundle);
      free (list[i].created);
      free (list[i].owner);
      free (list[i].state);
      free (list[i].image);
      free (list[i].command);
      free (list[i].finished);
      free (list[i].rootfs);
      free (list[i].annotations);
      free (list[i].ports);
    }
  free (list);
}

/* {"80/tcp": "0.0.0.0:8080"}: a container port's binding, or the list of
   them when it has several.  */
static json_t *
ports_json (const struct mr_container_info *c)
{
  json_t *o = json_object ();

  for (size_t i = 0; o && i < c->n_ports; i++)
    {
      const struct mr_port_binding *b = &c->ports[i];
      char key[16], addr[32];
      json_t *had;

      snprintf (key, sizeof key, "%u/%s", b->container_port, b->proto);
      mr_port_binding_format (b, false, addr, sizeof addr);
      had = json_object_get (o, key);
      if (had == NULL)
        json_object_set_new (o, key, json_string (addr));
      else if (json_is_string (had))
        json_object_set_new (o, key, json_pack ("[O, s]", had, addr));
      else
        json_array_append_new (had, json_string (addr));
    }
  return o;
}

/* Every binding of the container: host_ip, host_port, container_port,
   protocol.  */
static json_t *
port_bindings_json (const struct mr_container_info *c)
{
  json_t *a = json_array ();

  for (size_t i = 0; a && i < c->n_ports; i++)
    json_array_append_new (a, json_pack ("{s:s, s:i, s:i, s:s}", "host_ip", c->ports[i].host_ip,
                                         "host_port", (int)c->ports[i].host_port, "container_port",
                                         (int)c->ports[i].container_port, "protocol",
                                         c->ports[i].proto));
  return a;
}

int
mr_container_info_json (const struct mr_container_info *list, size_t n, char **json,
                        struct mr_error *err)
{
  json_t *a;

  a = json_array ();
  for (size_t i = 0; i < n; i++)
    {
      json_t *o = json_object ();
      json_object_set_new (o, "ociVersion", json_string ("1.0.2"));
      json_object_set_new (o, "id", json_string (list[i].id));
      json_object_set_new (o, "pid", json_integer (list[i].pid));
      json_object_set_new (o, "status", json_string (mr_status_name (list[i].status)));
      json_object_set_new (o, "bundle", json_string (list[i].bundle ? list[i].bundle : ""));
      json_object_set_new (o, "rootfs", json_string (list[i].rootfs ? list[i].rootfs : ""));
      json_object_set_new (o, "created", json_string (list[i].created ? list[i].created : ""));
      json_object_set_new (o, "owner", json_string (list[i].owner ? list[i].owner : ""));
      /* as runc: only when there are any */
      if (list[i].annotations)
        {
          json_t *ann = json_loads (list[i].annotations, 0, NULL);
          if (json_object_size (ann) > 0)
            json_object_set_new (o, "annotations", ann);
          else
            json_decref (ann);
        }
      if (list[i].managed)
        {
          json_object_set_new (o, "managed", json_true ());
          json_object_set_new (o, "state", json_string (list[i].state ? list[i].state : ""));
          json_object_set_new (o, "image", json_string (list[i].image ? list[i].image : ""));
          json_object_set_new (o, "command", json_string (list[i].command ? list[i].command : ""));
          json_object_set_new (o, "exitCode", json_integer (list[i].exit_code));
          if (list[i].finished)
            json_object_set_new (o, "finished", json_string (list[i].finished));
          json_object_set_new (o, "ports", ports_json (&list[i]));
          json_object_set_new (o, "port_bindings", port_bindings_json (&list[i]));
        }
      json_array_append_new (a, o);
    }
  *json = json_dumps (a, JSON_COMPACT);
  json_decref (a);
  if (*json == NULL)
    return mr_error_errno (err, ENOMEM, "list");
  return 0;
}

static int
open_running (struct mr_context *ctx, const char *id, bool lock, int *dirfd, struct mr_state **st,
              struct mr_cgroup **cg, enum mr_status *status, struct mr_error *err)
{
  if (load (ctx, id, lock, dirfd, st, err) < 0)
    return -1;
  *status = container_status (*st, *dirfd);
  if (*status == MR_STATUS_STOPPED)
    return mr_error_set (err, "container '%s' is not running", id);
  if ((*st)->cgroup_path == NULL)
    return mr_error_set (err, "container '%s' has no cgroup", id);
  return mr_cgroup_open_in ((*st)->cgroup_path, (*st)->cgroup_layout, cg, err);
}

int
mr_oci_ps (struct mr_context *ctx, const char *id, pid_t **pids, size_t *n,
           struct mr_error *err)
{
  cleanup_state struct mr_state *st = NULL;
  cleanup_cgroup struct mr_cgroup *cg = NULL;
  cleanup_close int dirfd = -1;
  enum mr_status status;

  *pids = NULL;
  *n = 0;
  if (load (ctx, id, false, &dirfd, &st, err) < 0)
    return -1;
  status = container_status (st, dirfd);
  if (status == MR_STATUS_STOPPED || st->cgroup_path == NULL)
    return 0;
  if (mr_cgroup_open_in (st->cgroup_path, st->cgroup_layout, &cg, err) < 0)
    return -1;
  return mr_cgroup_pids (cg, pids, n, err);
}

static void
process_info (pid_t pid, struct mr_process_info *pi)
{
  char path[64], buf[1024];
  cleanup_free char *cmd = NULL;
  struct mr_error e = { 0 };
  size_t len = 0;
  struct stat sb;
  long ticks = sysconf (_SC_CLK_TCK);
  FILE *f;

  memset (pi, 0, sizeof *pi);
  pi->pid = pid;
  pi->state = '?';
  snprintf (path, sizeof path, "/proc/%d", (int)pid);
  if (stat (path, &sb) == 0)
    pi->uid = sb.st_uid;
  snprintf (path, sizeof path, "/proc/%d/stat", (int)pid);
  f = fopen (path, "re");
  if (f)
    {
      if (fgets (buf, sizeof buf, f))
        {
          char *p = strrchr (buf, ')');
          unsigned long long start = 0;
          int ppid = 0;
          if (p
              && sscanf (p + 2,
                         "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
                         "%*d %*d %*d %*d %llu",
                         &pi->state, &ppid, &start)
                     >= 2)
            {
              struct timespec now, up;
              pi->ppid = ppid;
              clock_gettime (CLOCK_REALTIME, &now);
              clock_gettime (CLOCK_BOOTTIME, &up);
              if (ticks > 0)
                pi->start_time = (uint64_t)(now.tv_sec - up.tv_sec) + start / (uint64_t)ticks;
            }
        }
      fclose (f);
    }
  snprintf (path, sizeof path, "/proc/%d/cmdline", (int)pid);
  if (mr_read_file (path, &cmd, &len, &e) == 0 && len > 0)
    {
      for (size_t i = 0; i + 1 < len; i++)
        if (cmd[i] == '\0')
          cmd[i] = ' ';
      pi->cmd = steal_pointer (&cmd);
    }
  else
    {
      snprintf (path, sizeof path, "/proc/%d/comm", (int)pid);
      if (mr_read_file (path, &cmd, &len, &e) == 0)
        {
          cmd[strcspn (cmd, "\n")] = '\0';
          if (asprintf (&pi->cmd, "[%s]", cmd) < 0)
            pi->cmd = NULL;
        }
    }
}

int
mr_oci_top (struct mr_context *ctx, const char *id, struct mr_process_info **list, size_t *n,
            struct mr_error *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t np;

  *list = NULL;
  *n = 0;
  if (mr_oci_ps (ctx, id, &pids, &np, err) < 0)
    return -1;
  if (np == 0)
    return 0;
  *list = calloc (np, sizeof **list);
  if (*list == NULL)
    return mr_error_errno (err, ENOMEM, "ps '%s'", id);
  for (size_t i = 0; i < np; i++)
    process_info (pids[i], &(*list)[i]);
  *n = np;
  return 0;
}

void
mr_process_info_free (struct mr_process_info *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (list[i].cmd);
  free (list);
}

static bool
has_pid (const pid_t *pids, size_t n, long pid)
{
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

/* The index of the PID column of ps's header line, or -1.  */
static int
pid_column (const char *line, size_t len)
{
  const char *p = line, *end = line + len;
  int idx = 0;

  while (p < end)
    {
      const char *s;

      while (p < end && (*p == ' ' || *p == '\t'))
        p++;
      if (p == end)
        break;
      s = p;
      while (p < end && *p != ' ' && *p != '\t')
        p++;
      if (p - s == 3 && memcmp (s, "PID", 3) == 0)
        return idx;
      idx++;
    }
  return -1;
}

/* The number in column idx of line, or -1.  */
static long
column_number (const char *line, size_t len, int idx)
{
  const char *p = line, *end = line + len;

  for (int i = 0; p < end; i++)
    {
      char *e;
      long v;

      while (p < end && (*p == ' ' || *p == '\t'))
        p++;
      if (p == end)
        break;
      if (i == idx)
        {
          v = strtol (p, &e, 10);
          return e > p && (e == end || *e == ' ' || *e == '\t') ? v : -1;
        }
      while (p < end && *p != ' ' && *p != '\t')
        p++;
    }
  return -1;
}

/* Runs ps with argv, its standard output into *out and its standard error
 * into *errout; the exit status in *status.  */
static int
run_ps (char **argv, char **out, size_t *out_len, char **errout, int *status, struct mr_error *err)
{
  cleanup_close int rd = -1, wr = -1, efd = -1;
  size_t len = 0, alloc = 0;
  int p[2], e;
  pid_t pid;

  if (pipe2 (p, O_CLOEXEC) < 0)
    return mr_error_errno (err, errno, "ps: pipe");
  rd = p[0];
  wr = p[1];
  efd = memfd_create ("ps-stderr", MFD_CLOEXEC);
  if (efd < 0)
    return mr_error_errno (err, errno, "ps: memfd");
  {
    /* posix_spawn: serve calls this from threads */
    posix_spawn_file_actions_t fa;
    int r;

    posix_spawn_file_actions_init (&fa);
    posix_spawn_file_actions_addopen (&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2 (&fa, wr, 1);
    posix_spawn_file_actions_adddup2 (&fa, efd, 2);
    r = posix_spawnp (&pid, "ps", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy (&fa);
    if (r == ENOENT)
      {
        *status = 127 << 8;
        return 0;
      }
    if (r != 0)
      return mr_error_errno (err, r, "ps: run ps");
  }
  close (steal_fd (&wr));
  for (;;)
    {
      ssize_t r;

      if (len + 4096 + 1 > alloc)
        {
          size_t na = alloc ? alloc * 2 : 16384;
          char *nb = realloc (*out, na);
          if (nb == NULL)
            {
              e = ENOMEM;
              goto fail;
            }
          *out = nb;
          alloc = na;
        }
      r = read (rd, *out + len, alloc - len - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          e = errno;
          goto fail;
        }
      if (r == 0)
        break;
      len += (size_t)r;
    }
  (*out)[len] = '\0';
  *out_len = len;
  while (waitpid (pid, status, 0) < 0)
    if (errno != EINTR)
      return mr_error_errno (err, errno, "ps: wait");
  {
    off_t n = lseek (efd, 0, SEEK_END);
    *errout = calloc (1, n > 0 ? (size_t)n + 1 : 1);
    if (*errout && n > 0 && pread (efd, *errout, (size_t)n, 0) < 0)
      (*errout)[0] = '\0';
  }
  return 0;

fail:
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  return mr_error_errno (err, e, "ps: read its output");
}

int
mr_oci_ps_run (struct mr_context *ctx, const char *id, const char *const *args, size_t n_args,
               char **out, struct mr_error *err)
{
  cleanup_free pid_t *pids = NULL;
  cleanup_free char **argv = NULL;
  cleanup_free char *text = NULL;
  cleanup_free char *errtext = NULL;
  cleanup_free char *res = NULL;
  size_t npids = 0, len = 0, o = 0;
  const char *line;
  int status = 0, col = -1;

  *out = NULL;
  if (mr_oci_ps (ctx, id, &pids, &npids, err) < 0)
    return -1;
  /* room for "ps", the default "-ef" and the terminating NULL */
  argv = calloc (n_args + 3, sizeof *argv);
  if (argv == NULL)
    return mr_error_errno (err, ENOMEM, "ps '%s'", id);
  argv[0] = (char *)"ps";
  for (size_t i = 0; i < n_args; i++)
    argv[i + 1] = (char *)args[i];
  if (n_args == 0)
    argv[1] = (char *)"-ef";
  if (run_ps (argv, &text, &len, &errtext, &status, err) < 0)
    return -1;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127)
    {
      mr_error_set (err, "ps '%s': ps(1) is not installed", id);
      err->errnum = ENOENT;
      return -1;
    }
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      size_t l = errtext ? strlen (errtext) : 0;
      while (l > 0 && (errtext[l - 1] == '\n' || errtext[l - 1] == ' '))
        errtext[--l] = '\0';
      return mr_error_set (err, "ps '%s': ps failed: %s", id, l ? errtext : "no message");
    }
  res = malloc (len + 2);
  if (res == NULL)
    return mr_error_errno (err, ENOMEM, "ps '%s'", id);
  for (line = text; line && *line;)
    {
      const char *eol = strchr (line, '\n');
      size_t l = eol ? (size_t)(eol - line) : strlen (line);

      if (col < 0)
        {
          col = pid_column (line, l);
          if (col < 0)
            return mr_error_set (err, "ps '%s': no PID column in the output of ps", id);
          memcpy (res + o, line, l);
          o += l;
          res[o++] = '\n';
        }
      else if (l > 0)
        {
          long pid = column_number (line, l, col);
          if (pid < 0)
            return mr_error_set (err, "ps '%s': cannot read the pid of '%.*s'", id, (int)l, line);
          if (has_pid (pids, npids, pid))
            {
              memcpy (res + o, line, l);
              o += l;
              res[o++] = '\n';
            }
        }
      line = eol ? eol + 1 : NULL;
    }
  res[o] = '\0';
  *out = steal_pointer (&res);
  return 0;
}

/* One event line of runc's events to cb.  */
static int
runc_event (const char *type, const char *id, json_t *data,
            int (*cb) (void *data, const char *json_line), void *cb_data, struct mr_error *err)
{
  json_t *o = json_pack ("{s:s,s:s}", "type", type, "id", id);
  cleanup_free char *line = NULL;

  if (o && data)
    json_object_set_new (o, "data", data);
  else
    json_decref (data);
  line = o ? json_dumps (o, JSON_COMPACT) : NULL;
  json_decref (o);
  if (line == NULL)
    return mr_error_errno (err, ENOMEM, "events of '%s'", id);
  return cb (cb_data, line) < 0 ? 1 : 0;
}

static int
stats_event (struct mr_cgroup *cg, const char *id, int (*cb) (void *data, const char *json_line),
             void *cb_data, struct mr_error *err)
{
  json_t *data = NULL;

  if (mr_cgroup_stats_json (cg, &data, err) < 0)
    return mr_error_prefix (err, "events of '%s'", id);
  return runc_event ("stats", id, data, cb, cb_data, err);
}

int
mr_oci_events (struct mr_context *ctx, const char *id,
               const struct mr_container_events_opts *opts,
               int (*cb) (void *data, const char *json_line), void *data,
               struct mr_error *err)
{
  cleanup_state struct mr_state *st = NULL;
  cleanup_cgroup struct mr_cgroup *cg = NULL;
  cleanup_close int dirfd = -1;
  enum mr_status status;
  struct mr_cgroup_stats cs;
  uint64_t interval_ns = (opts->interval_ms ? opts->interval_ms : 5000) * 1000000ULL;
  uint64_t next, ooms = 0;
  struct timespec ts;
  int r;

  if (open_running (ctx, id, false, &dirfd, &st, &cg, &status, err) < 0)
    return -1;
  if (opts->stats_once)
    return stats_event (cg, id, cb, data, err) < 0 ? -1 : 0;
  if (mr_cgroup_stats (cg, &cs, err) < 0)
    return mr_error_prefix (err, "events of '%s'", id);
  ooms = cs.oom_kills;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  next = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec + interval_ns;
  /* OOM kills are looked for every 100 ms, stats go out every interval */
  while (!(opts->stop && *opts->stop))
    {
      struct timespec step = { 0, 100000000L };
      uint64_t now;

      nanosleep (&step, NULL);
      if (opts->stop && *opts->stop)
        break;
      if (mr_cgroup_stats (cg, &cs, err) < 0)
        return mr_error_prefix (err, "events of '%s'", id);
      if (cs.oom_kills > ooms)
        {
          ooms = cs.oom_kills;
          if ((r = runc_event ("oom", id, NULL, cb, data, err)) != 0)
            return r < 0 ? -1 : 0;
        }
      if (!mr_state_pid_alive (st))
        break;
      clock_gettime (CLOCK_MONOTONIC, &ts);
      now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
      if (now < next)
        continue;
      next = now + interval_ns;
      if ((r = stats_event (cg, id, cb, data, err)) != 0)
        return r < 0 ? -1 : 0;
    }
  return 0;
}

static int
set_frozen (struct mr_context *ctx, const char *id, bool frozen, struct mr_error *err)
{
  cleanup_state struct mr_state *st = NULL;
  cleanup_cgroup struct mr_cgroup *cg = NULL;
  cleanup_close int dirfd = -1;
  enum mr_status status;

  if (open_running (ctx, id, true, &dirfd, &st, &cg, &status, err) < 0)
    return -1;
  if (frozen && status != MR_STATUS_RUNNING)
    return mr_error_set (err, "cannot pause container '%s': it is %s, not running", id,
                         mr_status_name (status));
  if (!frozen && status != MR_STATUS_PAUSED)
    return mr_error_set (err, "cannot resume container '%s': it is %s, not paused", id,
                         mr_status_name (status));
  if (mr_cgroup_freeze (cg, frozen, err) < 0)
    return mr_error_prefix (err, "%s '%s'", frozen ? "pause" : "resume", id);
  return 0;
}

int
mr_oci_pause (struct mr_context *ctx, const char *id, struct mr_error *err)
{
  if (set_frozen (ctx, id, true, err) < 0)
    return -1;
  emit (ctx, "pause", id, 0);
  return 0;
}

int
mr_oci_resume (struct mr_context *ctx, const char *id, struct mr_error *err)
{
  if (set_frozen (ctx, id, false, err) < 0)
    return -1;
  emit (ctx, "resume", id, 0);
  return 0;
}

/* exec: the process the user asked for, built over the container's own.  */
struct exec_process
{
  struct mr_spec_process p;
  struct mr_spec_process parsed; /* from --process */
  bool has_parsed;
  char **env;             /* owned array, strings borrowed */
  char **args;            /* owned array, strings borrowed */
  char unknown_caps[512]; /* skipped names, of the process and of --cap */
  gid_t *gids;            /* owned: additionalGids with those of -g */
};

static void
exec_process_clear (struct exec_process *ep)
{
  free (ep->env);
  free (ep->args);
  free (ep->gids);
  if (ep->has_parsed)
    mr_spec_process_clear (&ep->parsed);
}

static int
env_key_len (const char *kv)
{
  const char *eq = strchr (kv, '=');
  return eq ? (int)(eq - kv) : (int)strlen (kv);
}

static int
build_exec_process (const struct mr_spec *spec, const struct mr_exec_opts *o,
                    struct exec_process *ep, struct mr_error *err)
{
  size_t n_env = 0, n_extra = 0, n_args = 0;

  memset (ep, 0, sizeof *ep);
  if (o->process_path)
    {
      cleanup_free char *text = NULL;
      const char *base = strrchr (o->process_path, '/');
      size_t len;
      if (mr_read_file (o->process_path, &text, &len, err) < 0)
        return mr_error_prefix (err, "exec --process");
      if (mr_spec_process_parse (base ? base + 1 : o->process_path, text, len, &ep->parsed, err)
          < 0)
        return -1;
      ep->has_parsed = true;
      ep->p = ep->parsed;
      if (ep->p.caps.unknown)
        snprintf (ep->unknown_caps, sizeof ep->unknown_caps, "%s", ep->p.caps.unknown);
      return 0;
    }
  if (o->args == NULL || o->args[0] == NULL)
    return mr_error_set (err, "exec: no command given");
  ep->p = spec->process;
  ep->p.terminal = o->tty;
  if (ep->p.caps.unknown)
    snprintf (ep->unknown_caps, sizeof ep->unknown_caps, "%s", ep->p.caps.unknown);
  for (; o->args[n_args]; n_args++)
    ;
  ep->args = calloc (n_args + 1, sizeof (char *));
  if (ep->args == NULL)
    return mr_error_errno (err, ENOMEM, "exec");
  for (size_t i = 0; i < n_args; i++)
    ep->args[i] = (char *)o->args[i];
  ep->p.args = ep->args;
  ep->p.n_args = n_args;
  if (o->env)
    for (; o->env[n_extra]; n_extra++)
      ;
  ep->env = calloc (spec->process.n_env + n_extra + 1, sizeof (char *));
  if (ep->env == NULL)
    return mr_error_errno (err, ENOMEM, "exec");
  for (size_t i = 0; i < spec->process.n_env; i++)
    {
      const char *kv = spec->process.env[i];
      bool overridden = false;
      for (size_t j = 0; j < n_extra && !overridden; j++)
        overridden = env_key_len (o->env[j]) == env_key_len (kv)
                     && strncmp (o->env[j], kv, (size_t)env_key_len (kv)) == 0;
      if (!overridden)
        ep->env[n_env++] = (char *)kv;
    }
  for (size_t j = 0; j < n_extra; j++)
    ep->env[n_env++] = (char *)o->env[j];
  ep->p.env = ep->env;
  ep->p.n_env = n_env;
  if (o->cwd)
    ep->p.cwd = (char *)o->cwd;
  /* as runc: the config's additionalGids stay with another user */
  if (o->user_set)
    {
      ep->p.user.uid = o->uid;
      ep->p.user.gid = o->gid_set ? o->gid : 0;
    }
  if (o->n_additional_gids)
    {
      size_t n0 = ep->p.user.n_additional_gids;
      ep->gids = calloc (n0 + o->n_additional_gids, sizeof (gid_t));
      if (ep->gids == NULL)
        return mr_error_errno (err, ENOMEM, "exec");
      if (n0)
        memcpy (ep->gids, ep->p.user.additional_gids, n0 * sizeof (gid_t));
      memcpy (ep->gids + n0, o->additional_gids, o->n_additional_gids * sizeof (gid_t));
      ep->p.user.additional_gids = ep->gids;
      ep->p.user.n_additional_gids = n0 + o->n_additional_gids;
    }
  if (o->no_new_privs)
    ep->p.no_new_privileges = true;
  if (o->caps)
    for (size_t i = 0; o->caps[i]; i++)
      {
        int cap = mr_spec_cap_from_name (o->caps[i]);
        /* skipped with a warning, as an unknown one of the config's is */
        if (cap < 0)
          {
            size_t l = strlen (ep->unknown_caps);
            snprintf (ep->unknown_caps + l, sizeof ep->unknown_caps - l, "%s%s", l ? " " : "",
                      o->caps[i]);
            continue;
          }
        /* not inheritable, as runc: the process keeps it, its children
           that exec do not, unless they are privileged themselves */
        ep->p.caps_set = true;
        ep->p.caps.bounding |= 1ULL << cap;
        ep->p.caps.effective |= 1ULL << cap;
        ep->p.caps.permitted |= 1ULL << cap;
      }
  return 0;
}

static int
make_pipe (int *rd, int *wr, struct mr_error *err)
{
  int fds[2];

  if (pipe2 (fds, O_CLOEXEC) < 0)
    return mr_error_errno (err, errno, "pipe");
  *rd = fds[0];
  *wr = fds[1];
  return 0;
}

/* exec --cgroup: sub-cgroups of the container's.  The one for every
 * hierarchy replaces the container's cgroup (so that a v2 process is born
 * in it); those for some v1 controllers are joined after the clone.  */
struct exec_cgroup
{
  struct exec_cgroup *next;
  struct mr_cgroup *cg;
  char controllers[256];
};

static void
exec_cgroups_free (struct exec_cgroup *l)
{
  while (l)
    {
      struct exec_cgroup *n = l->next;
      mr_cgroup_free (l->cg);
      free (l);
      l = n;
    }
}

static int
open_exec_cgroups (const struct mr_state *st, const char *const *specs, struct mr_cgroup **cg,
                   struct exec_cgroup **out, struct mr_error *err)
{
  for (size_t i = 0; specs[i]; i++)
    {
      const char *colon = strchr (specs[i], ':');
      const char *rel = colon ? colon + 1 : specs[i];
      cleanup_free char *path = NULL;
      struct mr_cgroup *sub = NULL;

      if (st->cgroup_path == NULL || *cg == NULL)
        return mr_error_set (err, "--cgroup '%s': the container has no cgroup", specs[i]);
      while (*rel == '/')
        rel++;
      if (*rel == '\0' || (colon && colon == specs[i]))
        return mr_error_set (err, "--cgroup '%s': expected PATH or CONTROLLER[,...]:PATH",
                             specs[i]);
      for (const char *c = rel; *c; c = *c ? c + 1 : c)
        {
          size_t len = strcspn (c, "/");
          if (len == 2 && c[0] == '.' && c[1] == '.')
            return mr_error_set (err, "--cgroup '%s': the path must stay below the container's",
                                 specs[i]);
          c += len;
        }
      if (colon && (size_t)(colon - specs[i]) >= sizeof ((struct exec_cgroup *)0)->controllers)
        return mr_error_set (err, "--cgroup '%s': too many controllers", specs[i]);
      if (mr_asprintf (err, &path, "%s/%s", st->cgroup_path, rel) < 0)
        return -1;
      if (mr_cgroup_open (path, &sub, err) < 0)
        return mr_error_prefix (err, "--cgroup '%s'", specs[i]);
      if (colon == NULL)
        {
          mr_cgroup_free (*cg);
          *cg = sub;
          continue;
        }
      struct exec_cgroup *e = calloc (1, sizeof *e);
      if (e == NULL)
        {
          mr_cgroup_free (sub);
          return mr_error_errno (err, ENOMEM, "--cgroup '%s'", specs[i]);
        }
      e->cg = sub;
      snprintf (e->controllers, sizeof e->controllers, "%.*s", (int)(colon - specs[i]), specs[i]);
      e->next = *out;
      *out = e;
    }
  return 0;
}

static int
enter_exec_cgroups (struct exec_cgroup *l, pid_t pid, struct mr_error *err)
{
  for (; l; l = l->next)
    for (char *c = l->controllers; *c;)
      {
        size_t len = strcspn (c, ",");
        char save = c[len];
        int r;

        c[len] = '\0';
        r = mr_cgroup_enter_controller (l->cg, c, pid, err);
        c[len] = save;
        if (r < 0)
          return -1;
        c += len + (save ? 1 : 0);
      }
  return 0;
}

struct exec_agent
{
  const struct mr_spec_seccomp *seccomp;
  const struct mr_state *st;
  enum mr_status status;
};

/* As runc: an exec'ed process's listener goes to the container's agent,
 * with the container's state and the process's own pid.  */
static int
hand_exec_listener (struct mr_spawn *sp, int listener, void *data, struct mr_error *err)
{
  struct exec_agent *a = data;
  json_t *state = mr_state_to_json (a->st, a->status);
  int r;

  if (state == NULL)
    return mr_error_errno (err, ENOMEM, "seccomp agent");
  r = mr_seccomp_send_to_agent (a->seccomp, sp->pid, state, listener, err);
  json_decref (state);
  return r;
}

/* Starts the exec'ed process.  On success it runs (or ran: it may have
 * exited already) and the caller reaps sp->pid and closes sp and
 * *pty_master.  On failure *cmd_status is 126 or 127 when the command
 * itself could not be run, else -1.  capture: no terminal, whatever the
 * process file says.  */
static int
exec_spawn (struct mr_context *ctx, const char *id, const struct mr_exec_opts *o, bool capture,
            struct mr_spawn *sp, int *pty_master, int *cmd_status, struct mr_error *err)
{
  cleanup_state struct mr_state *st = NULL;
  cleanup_spec struct mr_spec *spec = NULL;
  cleanup_cgroup struct mr_cgroup *cg = NULL;
  cleanup_close int dirfd = -1;
  struct mr_seccomp_prog prog = { 0 };
  struct exec_cgroup *sub = NULL;
  struct exec_process ep;
  struct exec_agent agent;
  enum mr_status status;
  int r = -1;

  *pty_master = -1;
  *cmd_status = -1;
  memset (sp, 0, sizeof *sp);
  sp->pid = sp->sync_fd = sp->pidfd = -1;
  if (o->stdio_set)
    for (int i = 0; i < 3; i++)
      if (o->stdio[i] >= 0 && fcntl (o->stdio[i], F_GETFD) < 0)
        return mr_error_errno (err, errno, "exec in '%s': fd %d for the process's fd %d", id,
                               o->stdio[i], i);
  if (load (ctx, id, false, &dirfd, &st, err) < 0)
    return -1;
  status = container_status (st, dirfd);
  if (status == MR_STATUS_PAUSED && !o->ignore_paused)
    return mr_error_set (err,
                         "exec in '%s': cannot exec in a paused container "
                         "(use --ignore-paused to override)",
                         id);
  if (status != MR_STATUS_RUNNING && status != MR_STATUS_CREATED && status != MR_STATUS_PAUSED)
    return mr_error_set (err, "cannot exec in container '%s': it is %s", id,
                         mr_status_name (status));
  if (load_spec_for (st, &spec, err) < 0)
    return -1;
  if (build_exec_process (spec, o, &ep, err) < 0)
    goto out;
  if (ep.unknown_caps[0])
    mr_context_warn (ctx, "ignoring unknown or unavailable capabilities: [%s]", ep.unknown_caps);
  if (capture && ep.p.terminal)
    {
      mr_error_errno (err, EINVAL, "exec in '%s': captured output cannot go through a terminal",
                      id);
      goto out;
    }
  if (ep.p.terminal && o->console_socket == NULL && o->detach)
    {
      mr_error_set (err, "exec --tty --detach needs --console-socket");
      goto out;
    }
  if (spec->linux.seccomp && mr_seccomp_compile (spec->linux.seccomp, &prog, err) < 0)
    goto out;
  if (st->cgroup_path && mr_cgroup_open_in (st->cgroup_path, st->cgroup_layout, &cg, err) < 0)
    goto out;
  if (o->cgroups && open_exec_cgroups (st, o->cgroups, &cg, &sub, err) < 0)
    {
      mr_error_prefix (err, "exec in '%s'", id);
      goto out;
    }

  sp->spec = spec;
  sp->process = &ep.p;
  sp->seccomp = spec->linux.seccomp ? &prog : NULL;
  agent = (struct exec_agent){ .seccomp = spec->linux.seccomp, .st = st, .status = status };
  sp->hand_listener = hand_exec_listener;
  sp->hand_listener_data = &agent;
  sp->cgroup = cg;
  sp->exec = true;
  sp->target_pid = st->pid;
  sp->target_userns = st->userns;
  sp->stdio_set = o->stdio_set;
  memcpy (sp->stdio, o->stdio, sizeof sp->stdio);
  sp->console_socket = o->console_socket;
  sp->preserve_fds = o->preserve_fds;
  sp->state_dirfd = -1;
  /* the process waits until it is in all of its cgroups: those of
     --cgroup are entered for it (mr_spawn_clone decides for the rest) */
  sp->exec_wait_go = sub != NULL;
  if (mr_spawn_clone (sp, NULL, 0, err) < 0 || enter_exec_cgroups (sub, sp->pid, err) < 0
      || (sp->need_go && mr_spawn_send_go (sp, NULL, err) < 0))
    {
      mr_error_prefix (err, "exec in '%s'", id);
      if (sp->pid > 0)
        {
          kill (sp->pid, SIGKILL);
          waitpid (sp->pid, NULL, 0);
        }
      mr_spawn_close (sp);
      goto out;
    }
  if (mr_spawn_wait_ready (sp, pty_master, err) < 0)
    {
      /* runc's words after the container's name: the process itself could
         not be started */
      if (sp->child_failed)
        mr_error_prefix (err, "exec in '%s': exec failed: unable to start container process", id);
      else
        mr_error_prefix (err, "exec in '%s'", id);
      if (sp->cmd_status)
        *cmd_status = sp->cmd_status;
      waitpid (sp->pid, NULL, 0);
      mr_spawn_close (sp);
      goto out;
    }
  /* a process nobody could find again is not left running */
  if (o->pid_file && write_pid_file (o->pid_file, sp->pid, err) < 0)
    {
      kill (sp->pid, SIGKILL);
      waitpid (sp->pid, NULL, 0);
      mr_spawn_close (sp);
      if (*pty_master >= 0)
        close (steal_fd (pty_master));
      goto out;
    }
  r = 0;
out:
  sp->spec = NULL;
  sp->process = NULL;
  sp->seccomp = NULL;
  sp->hand_listener = NULL;
  sp->hand_listener_data = NULL;
  sp->cgroup = NULL;
  mr_seccomp_prog_clear (&prog);
  exec_process_clear (&ep);
  exec_cgroups_free (sub);
  return r;
}

int
mr_oci_exec (struct mr_context *ctx, const char *id, const struct mr_exec_opts *opts,
             int *exit_status, struct mr_error *err)
{
  struct mr_exec_opts o = { 0 };
  struct mr_spawn sp;
  int pty_master, cmd_status, code = 0;
  int r;

  memcpy (&o, opts, opts->size < sizeof o ? opts->size : sizeof o);
  if (exec_spawn (ctx, id, &o, false, &sp, &pty_master, &cmd_status, err) < 0)
    {
      if (exit_status)
        *exit_status = cmd_status;
      return -1;
    }
  emit (ctx, "exec", id, 0);
  if (o.detach)
    r = 0;
  else if (o.stdio_set)
    r = mr_wait_forwarding_io (sp.pid, pty_master, o.stdio[0], o.stdio[1], &code, err);
  else
    r = mr_wait_forwarding (sp.pid, pty_master, &code, err);
  mr_spawn_close (&sp);
  if (pty_master >= 0)
    close (pty_master);
  if (exit_status)
    *exit_status = r < 0 ? -1 : code;
  return r;
}

#define EXEC_CAPTURE_DEFAULT_MAX ((size_t)1 << 20)

int
mr_oci_exec_capture (struct mr_context *ctx, const char *id, const struct mr_exec_opts *opts,
                     const struct mr_exec_capture_opts *copts, struct mr_exec_result *res,
                     struct mr_error *err)
{
  struct mr_exec_opts o = { 0 };
  struct mr_exec_capture_opts c = { 0 };
  struct mr_capture_io io = { .in_fd = -1, .out_fd = -1, .err_fd = -1 };
  cleanup_close int in_r = -1, in_w = -1, out_r = -1, out_w = -1, err_r = -1, err_w = -1;
  struct mr_spawn sp;
  int pty_master, cmd_status;
  size_t rsize;
  int r;

  if (res == NULL || res->size < sizeof *res)
    return mr_error_errno (err, EINVAL, "exec in '%s': the result's size is not set", id);
  rsize = res->size;
  memset (res, 0, sizeof *res);
  res->size = rsize;
  res->exit_code = -1;
  memcpy (&o, opts, opts->size < sizeof o ? opts->size : sizeof o);
  if (copts)
    memcpy (&c, copts, copts->size < sizeof c ? copts->size : sizeof c);
  if (o.tty || o.detach)
    return mr_error_errno (err, EINVAL, "exec in '%s': captured output cannot be used with %s", id,
                           o.tty ? "a terminal" : "detach");
  if (c.input == NULL && c.input_len > 0)
    return mr_error_errno (err, EINVAL, "exec in '%s': input of %zu bytes without data", id,
                           c.input_len);
  if (c.input_len > 0 && make_pipe (&in_r, &in_w, err) < 0)
    return mr_error_prefix (err, "exec in '%s'", id);
  if (make_pipe (&out_r, &out_w, err) < 0 || make_pipe (&err_r, &err_w, err) < 0)
    return mr_error_prefix (err, "exec in '%s'", id);
  o.stdio_set = true;
  o.stdio[0] = in_r;
  o.stdio[1] = out_w;
  o.stdio[2] = err_w;
  if (exec_spawn (ctx, id, &o, true, &sp, &pty_master, &cmd_status, err) < 0)
    {
      res->exit_code = cmd_status;
      return -1;
    }
  emit (ctx, "exec", id, 0);
  /* only the child may hold these, or its output never ends */
  close (steal_fd (&out_w));
  close (steal_fd (&err_w));
  if (in_r >= 0)
    close (steal_fd (&in_r));
  io.in_fd = steal_fd (&in_w);
  io.input = c.input;
  io.input_len = c.input_len;
  io.out_fd = steal_fd (&out_r);
  io.err_fd = steal_fd (&err_r);
  io.limit = c.max_output ? c.max_output : EXEC_CAPTURE_DEFAULT_MAX;
  if (io.limit > SIZE_MAX / 2)
    io.limit = SIZE_MAX / 2;
  io.timeout_ms = c.timeout <= 0 ? 0 : c.timeout > INT_MAX / 1000 ? INT_MAX : c.timeout * 1000;
  io.cancel = c.cancel;
  io.cancel_data = c.cancel_data;
  r = mr_capture_run (sp.pid, &io, res, err);
  mr_spawn_close (&sp);
  if (r < 0)
    return mr_error_prefix (err, "exec in '%s'", id);
  if (io.cancelled)
    return mr_error_errno (err, ECANCELED, "exec in '%s': cancelled, the process was killed", id);
  return 0;
}

void
mr_exec_result_clear (struct mr_exec_result *res)
{
  size_t size;

  if (res == NULL || res->size < sizeof *res)
    return;
  size = res->size;
  free (res->stdout_data);
  free (res->stderr_data);
  memset (res, 0, sizeof *res);
  res->size = size;
}

static void
set_i64 (bool *set, int64_t *dst, int64_t v)
{
  if (v != MR_UPDATE_UNSET)
    {
      *set = true;
      *dst = v;
    }
}

int
mr_oci_update (struct mr_context *ctx, const char *id, const struct mr_update_opts *o,
               struct mr_error *err)
{
  cleanup_state struct mr_state *st = NULL;
  cleanup_cgroup struct mr_cgroup *cg = NULL;
  cleanup_close int dirfd = -1;
  struct mr_spec_resources *res = NULL;
  enum mr_status status;
  int r;

  if (open_running (ctx, id, true, &dirfd, &st, &cg, &status, err) < 0)
    return -1;
  if (o->resources_json)
    {
      if (mr_spec_resources_parse ("resources", o->resources_json, strlen (o->resources_json), &res,
                                   err)
          < 0)
        return -1;
    }
  else
    {
      res = calloc (1, sizeof *res);
      if (res == NULL)
        return mr_error_errno (err, ENOMEM, "update '%s'", id);
    }
  set_i64 (&res->memory.limit_set, &res->memory.limit, o->memory);
  set_i64 (&res->memory.swap_set, &res->memory.swap, o->memory_swap);
  set_i64 (&res->memory.reservation_set, &res->memory.reservation, o->memory_reservation);
  set_i64 (&res->cpu.quota_set, &res->cpu.quota, o->cpu_quota);
  if (o->cpu_period >= 0)
    {
      res->cpu.period_set = true;
      res->cpu.period = (uint64_t)o->cpu_period;
    }
  if (o->cpu_shares >= 0)
    {
      res->cpu.shares_set = true;
      res->cpu.shares = (uint64_t)o->cpu_shares;
    }
  if (o->size > offsetof (struct mr_update_opts, cpu_rt_runtime))
    {
      if (o->blkio_weight >= 0)
        {
          res->blkio_weight_set = true;
          res->blkio_weight = (uint16_t)o->blkio_weight;
        }
      if (o->cpu_rt_period >= 0)
        {
          res->cpu.realtime_period_set = true;
          res->cpu.realtime_period = (uint64_t)o->cpu_rt_period;
        }
      set_i64 (&res->cpu.realtime_runtime_set, &res->cpu.realtime_runtime, o->cpu_rt_runtime);
    }
  set_i64 (&res->pids_limit_set, &res->pids_limit, o->pids_limit);
  if (o->cpuset_cpus)
    {
      free (res->cpu.cpus);
      res->cpu.cpus = strdup (o->cpuset_cpus);
    }
  if (o->cpuset_mems)
    {
      free (res->cpu.mems);
      res->cpu.mems = strdup (o->cpuset_mems);
    }
  {
    /* new device rules replace the old ones: the defaults go with them */
    cleanup_spec struct mr_spec *spec = NULL;
    cleanup_free struct mr_spec_device_rule *rules = NULL;
    struct mr_spec_resources eff;
    struct mr_error e = { 0 };

    if (res->n_devices > 0)
      load_spec_for (st, &spec, &e);
    r = effective_resources (res, spec, &eff, &rules, err);
    if (r == 0)
      r = mr_cgroup_update (cg, &eff, err);
  }
  mr_spec_resources_free (res);
  if (r < 0)
    return mr_error_prefix (err, "update '%s'", id);
  return 0;
}

int
mr_oci_root_open (struct mr_context *ctx, const char *id, bool lock,
                  struct mr_container_root *r, struct mr_error *err)
{
  cleanup_state struct mr_state *st = NULL;
  cleanup_close int dirfd = -1;
  enum mr_status status;

  r->fd = r->procfd = r->lockfd = -1;
  r->spec = NULL;
  if (load (ctx, id, lock, &dirfd, &st, err) < 0)
    return -1;
  status = container_status (st, dirfd);
  if (status == MR_STATUS_CREATING)
    return mr_error_set (err, "container '%s' is still being created", id);
  if (status != MR_STATUS_STOPPED)
    {
      char path[32];
      /* A /proc/<pid> fd stays with the process it was opened for: once the
         start time shows that process is init, whatever is opened through
         the fd is init's, even if init exits and its pid is reused.  */
      snprintf (path, sizeof path, "/proc/%d", (int)st->pid);
      r->procfd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (r->procfd >= 0 && mr_state_pid_alive (st))
        r->fd = openat (r->procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (r->fd < 0 && r->procfd >= 0)
        {
          /* init exited meanwhile: the container is stopped now */
          close (r->procfd);
          r->procfd = -1;
        }
    }
  if (r->fd < 0)
    {
      if (st->rootfs == NULL)
        return mr_error_set (err, "container '%s' has no root file system", id);
      r->fd = open (st->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (r->fd < 0)
        return mr_error_errno (err, errno, "container '%s': open root file system '%s'", id,
                               st->rootfs);
      if (st->userns && load_spec_for (st, &r->spec, err) < 0)
        {
          mr_oci_root_close (r);
          return -1;
        }
    }
  if (lock)
    r->lockfd = steal_fd (&dirfd);
  return 0;
}

void
mr_oci_root_close (struct mr_container_root *r)
{
  if (r->fd >= 0)
    close (r->fd);
  if (r->procfd >= 0)
    close (r->procfd);
  if (r->lockfd >= 0)
    close (r->lockfd);
  mr_spec_free (r->spec);
  r->fd = r->procfd = r->lockfd = -1;
  r->spec = NULL;
}
