#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "oci/state.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

#define STATE_FILE "state.json"

void
mr_state_free (struct mr_state *st)
{
  if (st == NULL)
    return;
  free (st->id);
  free (st->bundle);
  free (st->rootfs);
  free (st->created);
  free (st->owner);
  free (st->cgroup_path);
  json_decref (st->cgroup_layout);
  json_decref (st->annotations);
  free (st);
}

static int
lock_dir (int dirfd, const char *id, struct mr_error *err)
{
  while (flock (dirfd, LOCK_EX) < 0)
    if (errno != EINTR)
      return mr_error_errno (err, errno, "lock container '%s'", id);
  return 0;
}

int
mr_state_dir_create (int rootfd, const char *id, int *dirfd, struct mr_error *err)
{
  int fd;

  if (mkdirat (rootfd, id, 0711) < 0)
    {
      if (errno == EEXIST)
        return mr_error_set (err, "container '%s' already exists", id);
      return mr_error_errno (err, errno, "create state directory for '%s'", id);
    }
  fd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return mr_error_errno (err, errno, "open state directory of '%s'", id);
  if (lock_dir (fd, id, err) < 0)
    {
      close (fd);
      return -1;
    }
  *dirfd = fd;
  return 0;
}

int
mr_state_dir_open (int rootfd, const char *id, bool lock, int *dirfd, struct mr_error *err)
{
  int fd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

  if (fd < 0)
    {
      if (errno == ENOENT)
        {
          mr_error_set (err, "container '%s' does not exist", id);
          err->errnum = ENOENT;
          return -1;
        }
      return mr_error_errno (err, errno, "open state directory of '%s'", id);
    }
  if (lock && lock_dir (fd, id, err) < 0)
    {
      close (fd);
      return -1;
    }
  *dirfd = fd;
  return 0;
}

int
mr_state_dir_remove (int rootfd, const char *id, int dirfd, struct mr_error *err)
{
  cleanup_closedir DIR *d = NULL;
  struct dirent *de;
  int fd = dup (dirfd);

  if (fd < 0)
    return mr_error_errno (err, errno, "remove state of '%s'", id);
  d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return mr_error_errno (err, errno, "remove state of '%s'", id);
    }
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (unlinkat (dirfd, de->d_name, 0) < 0 && errno != ENOENT)
        return mr_error_errno (err, errno, "remove state file '%s' of '%s'", de->d_name, id);
    }
  if (unlinkat (rootfd, id, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return mr_error_errno (err, errno, "remove state directory of '%s'", id);
  return 0;
}

static int
set_str (json_t *o, const char *k, const char *v)
{
  return v ? json_object_set_new (o, k, json_string (v)) : 0;
}

int
mr_state_write (int dirfd, const struct mr_state *st, bool durable, struct mr_error *err)
{
  json_t *o = json_object ();
  cleanup_free char *text = NULL;

  if (o == NULL)
    return mr_error_errno (err, ENOMEM, "state of '%s'", st->id);
  set_str (o, "id", st->id);
  json_object_set_new (o, "creating", json_boolean (st->creating));
  json_object_set_new (o, "pid", json_integer (st->pid));
  json_object_set_new (o, "pid_start", json_integer ((json_int_t)st->pid_start));
  set_str (o, "bundle", st->bundle);
  set_str (o, "rootfs", st->rootfs);
  set_str (o, "created", st->created);
  set_str (o, "owner", st->owner);
  set_str (o, "cgroup_path", st->cgroup_path);
  if (st->cgroup_layout)
    json_object_set (o, "cgroup_layout", st->cgroup_layout);
  json_object_set_new (o, "userns", json_boolean (st->userns));
  json_object_set_new (o, "poststart_hooks", json_boolean (st->poststart_hooks));
  json_object_set_new (o, "poststop_hooks", json_boolean (st->poststop_hooks));
  if (st->annotations)
    json_object_set (o, "annotations", st->annotations);
  text = json_dumps (o, JSON_COMPACT);
  json_decref (o);
  if (text == NULL)
    return mr_error_errno (err, ENOMEM, "state of '%s'", st->id);
  if (mr_write_file_atomic_at (dirfd, STATE_FILE, text, strlen (text), 0600,
                               durable ? MR_WRITE_DURABLE : 0, err)
      < 0)
    return mr_error_prefix (err, "save state of '%s'", st->id);
  return 0;
}

static char *
dup_str (json_t *o, const char *k)
{
  const char *s = json_string_value (json_object_get (o, k));
  return s ? strdup (s) : NULL;
}

int
mr_state_read (int dirfd, const char *id, struct mr_state **out, struct mr_error *err)
{
  cleanup_free char *text = NULL;
  json_error_t jerr;
  json_t *o;
  struct mr_state *st;

  if (mr_read_file_at (dirfd, STATE_FILE, &text, NULL, err) < 0)
    {
      if (err->errnum == ENOENT)
        return mr_error_set (err,
                             "container '%s' has no state (create did not finish): "
                             "delete it with 'delete --force'",
                             id);
      return mr_error_prefix (err, "read state of '%s'", id);
    }
  o = json_loads (text, 0, &jerr);
  if (o == NULL || !json_is_object (o))
    {
      json_decref (o);
      return mr_error_set (err, "state of '%s' is corrupt: %s", id, jerr.text);
    }
  st = calloc (1, sizeof *st);
  if (st == NULL)
    {
      json_decref (o);
      return mr_error_errno (err, ENOMEM, "state of '%s'", id);
    }
  st->id = strdup (id);
  st->creating = json_is_true (json_object_get (o, "creating"));
  st->pid = (pid_t)json_integer_value (json_object_get (o, "pid"));
  st->pid_start = (unsigned long long)json_integer_value (json_object_get (o, "pid_start"));
  st->bundle = dup_str (o, "bundle");
  st->rootfs = dup_str (o, "rootfs");
  st->created = dup_str (o, "created");
  st->owner = dup_str (o, "owner");
  st->cgroup_path = dup_str (o, "cgroup_path");
  if (json_is_object (json_object_get (o, "cgroup_layout")))
    st->cgroup_layout = json_incref (json_object_get (o, "cgroup_layout"));
  st->userns = json_is_true (json_object_get (o, "userns"));
  st->poststart_hooks = json_is_true (json_object_get (o, "poststart_hooks"));
  st->poststop_hooks = json_is_true (json_object_get (o, "poststop_hooks"));
  st->annotations = json_incref (json_object_get (o, "annotations"));
  json_decref (o);
  *out = st;
  return 0;
}

int
mr_pid_start_time (pid_t pid, unsigned long long *start)
{
  char path[64], buf[1024];
  cleanup_close int fd = -1;
  ssize_t n;
  char *p;
  char state;

  if (pid <= 0)
    return -1;
  snprintf (path, sizeof path, "/proc/%d/stat", (int)pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  /* comm may contain spaces and parentheses: fields start after the last ')' */
  p = strrchr (buf, ')');
  if (p == NULL || p[1] == '\0')
    return -1;
  p += 2;
  state = *p;
  if (state == 'Z' || state == 'X')
    return -1;
  /* field 3 is state; starttime is field 22 */
  for (int field = 3; field < 22; field++)
    {
      p = strchr (p, ' ');
      if (p == NULL)
        return -1;
      p++;
    }
  *start = strtoull (p, NULL, 10);
  return 0;
}

int
mr_pidfd_open (pid_t pid)
{
  return (int)syscall (SYS_pidfd_open, pid, 0);
}

bool
mr_state_pid_alive (const struct mr_state *st)
{
  unsigned long long start;

  if (st->pid <= 0 || mr_pid_start_time (st->pid, &start) < 0)
    return false;
  return st->pid_start == 0 || start == st->pid_start;
}

void
mr_time_rfc3339 (char *buf, size_t len)
{
  struct timespec ts;
  struct tm tm;
  char base[32];

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf, len, "%s.%09ldZ", base, ts.tv_nsec);
}

json_t *
mr_state_to_json (const struct mr_state *st, enum mr_status status)
{
  json_t *o = json_object ();

  if (o == NULL)
    return NULL;
  json_object_set_new (o, "ociVersion", json_string ("1.0.2"));
  set_str (o, "id", st->id);
  json_object_set_new (o, "pid", json_integer (status == MR_STATUS_STOPPED ? 0 : st->pid));
  json_object_set_new (o, "status", json_string (mr_status_name (status)));
  set_str (o, "bundle", st->bundle);
  set_str (o, "rootfs", st->rootfs);
  set_str (o, "created", st->created);
  set_str (o, "owner", st->owner ? st->owner : "");
  if (st->annotations && json_object_size (st->annotations) > 0)
    json_object_set (o, "annotations", st->annotations);
  return o;
}
