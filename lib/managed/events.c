/* Container events: appending them (mr_event_emit) and reading them back,
 * following the log across rotations (mr_events_read).  The file format and
 * the locking are described in events.h.  */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "managed/events.h"
#include "managed/log.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/error.h"
#include "util/fs.h"

/* How often a follower looks at *stop when no signal interrupts its wait.  */
#define STOP_POLL_MS 200
/* Reads go into a buffer that holds a whole line of the longest kind.  */
#define READ_BUF (2 * MR_EVENTS_LINE_MAX)
/* Most events are short: built on the stack, else on the heap.  */
#define LINE_STACK 2048

static const char *const actions[] = {
  "create", "start", "exec", "die", "oom", "kill", "stop", "restart", "pause", "resume", "delete",
};

bool
mr_event_action_valid (const char *action)
{
  for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
    if (strcmp (actions[i], action) == 0)
      return true;
  return false;
}

json_t *
mr_event_attrs (const char *key, ...)
{
  json_t *o = json_object ();
  va_list ap;

  if (o == NULL)
    return NULL;
  va_start (ap, key);
  for (; key != NULL; key = va_arg (ap, const char *))
    {
      const char *value = va_arg (ap, const char *);

      if (value != NULL && json_object_set_new (o, key, json_string (value)) < 0)
        {
          json_decref (o);
          o = NULL;
          break;
        }
    }
  va_end (ap);
  return o;
}

json_t *
mr_event_exit_attrs (int exit_code)
{
  char code[16];

  snprintf (code, sizeof code, "%d", exit_code);
  return mr_event_attrs ("exitCode", code, NULL);
}

json_t *
mr_event_signal_attrs (int signo)
{
  const char *name = mr_signal_name (signo);
  char num[16];

  snprintf (num, sizeof num, "%d", signo);
  return mr_event_attrs ("signal", name ? name : num, NULL);
}

void
mr_event_from_core (struct mr_context *ctx, const char *action, const char *id, int code)
{
  json_t *attrs = NULL;

  if (strcmp (action, "die") == 0)
    attrs = mr_event_exit_attrs (code);
  else if (strcmp (action, "kill") == 0)
    attrs = mr_event_signal_attrs (code);
  mr_event_emit (ctx, action, id, attrs, NULL);
}

static int64_t
timespec_ns (const struct timespec *ts)
{
  return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static int64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  return timespec_ns (&ts);
}

/* dir/name into buf.  */
static int
path_in (const char *dir, const char *name, char *buf, size_t size, struct mr_error *err)
{
  int n = snprintf (buf, size, "%s/%s", dir, name);

  if (n < 0 || (size_t)n >= size)
    return mr_error_errno (err, ENAMETOOLONG, "events log in '%s'", dir);
  return 0;
}

/* --- writing ---------------------------------------------------------------- */

/* The event as one JSON line with its newline, in *line: stack (LINE_STACK
   bytes) when it fits, else a new buffer in *heap.  */
static int
event_line (const char *action, const char *id, json_t *attrs, char *stack, char **heap,
            char **line, size_t *len, struct mr_error *err)
{
  cleanup_json json_t *ev = NULL;
  char t[MR_LOG_TIME_LEN + 1];
  struct timespec ts;
  const char *key;
  json_t *value;
  size_t n;

  json_object_foreach (attrs, key, value)
  {
    if (!json_is_string (value))
      return mr_error_set (err, "event '%s' of '%s': attribute '%s' is not a string", action, id,
                           key);
  }
  clock_gettime (CLOCK_REALTIME, &ts);
  if (mr_log_format_time (&ts, t, sizeof t) < 0)
    return mr_error_set (err, "event '%s' of '%s': the clock is out of range", action, id);
  ev = json_pack ("{s:s, s:I, s:s, s:s, s:s, s:O}", "time", t, "timeNano",
                  (json_int_t)timespec_ns (&ts), "type", "container", "action", action, "id", id,
                  "attributes", attrs);
  if (ev == NULL)
    return mr_error_errno (err, EINVAL, "event '%s' of '%s'", action, id);
  n = json_dumpb (ev, stack, LINE_STACK - 1, JSON_COMPACT);
  if (n == 0)
    return mr_error_errno (err, ENOMEM, "event '%s' of '%s'", action, id);
  if (n < LINE_STACK - 1)
    *line = stack;
  else
    {
      *heap = malloc (n + 1);
      if (*heap == NULL || json_dumpb (ev, *heap, n, JSON_COMPACT) != n)
        return mr_error_errno (err, ENOMEM, "event '%s' of '%s'", action, id);
      *line = *heap;
    }
  (*line)[n] = '\n';
  *len = n + 1;
  return 0;
}

static int
lock (int fd, int op)
{
  int r;

  do
    r = flock (fd, op);
  while (r < 0 && errno == EINTR);
  return r;
}

static bool
same_file (const struct stat *a, const struct stat *b)
{
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int
open_for_append (const char *dir, const char *path, struct mr_error *err)
{
  int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);

  if (fd < 0 && errno == ENOENT)
    {
      if (mr_mkdir_p (dir, 0700, err) < 0)
        return -1;
      fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
    }
  if (fd < 0)
    return mr_error_errno (err, errno, "open events log '%s'", path);
  return fd;
}

/* Moves the full file aside.  Taking the lock exclusively drops the shared
   one first, so another writer may have rotated meanwhile: only the file
   that is still at path and still full is renamed.  */
static int
rotate (int fd, const char *path, const char *old, struct mr_error *err)
{
  struct stat fst, pst;

  if (lock (fd, LOCK_EX) < 0)
    return mr_error_errno (err, errno, "lock events log '%s'", path);
  if (fstat (fd, &fst) < 0)
    return mr_error_errno (err, errno, "stat events log '%s'", path);
  if (stat (path, &pst) == 0 && same_file (&fst, &pst) && fst.st_size >= MR_EVENTS_MAX_SIZE
      && rename (path, old) < 0)
    return mr_error_errno (err, errno, "rotate events log '%s'", path);
  return 0;
}

static int
append_line (const char *dir, const char *line, size_t len, struct mr_error *err)
{
  char path[PATH_MAX], old[PATH_MAX];

  if (path_in (dir, MR_EVENTS_FILE, path, sizeof path, err) < 0
      || path_in (dir, MR_EVENTS_OLD_FILE, old, sizeof old, err) < 0)
    return -1;
  /* Each pass that does not write saw a rotation: a few are plenty.  */
  for (int attempt = 0; attempt < 8; attempt++)
    {
      cleanup_close int fd = open_for_append (dir, path, err);
      struct stat fst, pst;

      if (fd < 0)
        return -1;
      if (lock (fd, LOCK_SH) < 0)
        return mr_error_errno (err, errno, "lock events log '%s'", path);
      if (fstat (fd, &fst) < 0)
        return mr_error_errno (err, errno, "stat events log '%s'", path);
      /* renamed between the open and the lock: write to the new file */
      if (stat (path, &pst) < 0 || !same_file (&fst, &pst))
        continue;
      if (fst.st_size >= MR_EVENTS_MAX_SIZE)
        {
          if (rotate (fd, path, old, err) < 0)
            return -1;
          continue;
        }
      if (mr_write_all (fd, line, len) < 0)
        return mr_error_errno (err, errno, "write events log '%s'", path);
      return 0;
    }
  return mr_error_set (err, "write events log '%s': it keeps being rotated", path);
}

int
mr_event_emit (struct mr_context *ctx, const char *action, const char *id, json_t *attrs,
               struct mr_error *err)
{
  cleanup_json json_t *a = attrs;
  cleanup_free char *heap = NULL;
  char stack[LINE_STACK];
  char *line = NULL;
  size_t len = 0;

  if (action == NULL || !mr_event_action_valid (action))
    return mr_error_set (err, "unknown event '%s'", action ? action : "(null)");
  if (id == NULL || *id == '\0')
    return mr_error_set (err, "event '%s': no container id", action);
  if (a == NULL)
    {
      a = json_object ();
      if (a == NULL)
        return mr_error_errno (err, ENOMEM, "event '%s' of '%s'", action, id);
    }
  else if (!json_is_object (a))
    return mr_error_set (err, "event '%s' of '%s': attributes are not an object", action, id);
  if (event_line (action, id, a, stack, &heap, &line, &len, err) < 0)
    return -1;
  if (len > MR_EVENTS_LINE_MAX)
    return mr_error_set (err, "event '%s' of '%s': longer than %d bytes", action, id,
                         MR_EVENTS_LINE_MAX);
  return append_line (mr_context_data_dir (ctx), line, len, err);
}

/* --- reading ---------------------------------------------------------------- */

enum
{
  KEY_CONTAINER,
  KEY_EVENT,
  KEY_TYPE,
  KEY_IMAGE,
  N_KEYS,
};

static const char *const filter_keys[N_KEYS] = { "container", "event", "type", "image" };

struct filter
{
  int key;
  const char *value; /* in the caller's string */
};

struct reader
{
  struct mr_events_opts o;
  bool since_set, until_set;
  int64_t since, until;
  struct filter *filters;
  size_t n_filters;
  unsigned keys_used; /* 1 << KEY_* */
  int (*cb) (void *data, const char *json_line, const struct mr_event *ev);
  void *data;
  char *buf; /* READ_BUF bytes and a NUL */
  size_t len;
  bool skipping; /* in a line too long to take, until its newline */
};

static void
reader_free (struct reader *rd)
{
  free (rd->filters);
  free (rd->buf);
}

static int
parse_time_opt (const char *what, const char *s, int64_t *out, struct mr_error *err)
{
  struct mr_error e = { 0 };
  struct timespec ts;

  if (mr_log_parse_since (s, &ts, &e) < 0)
    return mr_error_set (err,
                         "invalid %s time '%s': want RFC 3339, YYYY-MM-DD, a unix time or a "
                         "duration before now such as 10m",
                         what, s);
  *out = timespec_ns (&ts);
  return 0;
}

static int
parse_filters (struct reader *rd, const char *const *filters, struct mr_error *err)
{
  size_t n = 0;

  while (filters && filters[n])
    n++;
  if (n == 0)
    return 0;
  rd->filters = calloc (n, sizeof *rd->filters);
  if (rd->filters == NULL)
    return mr_error_errno (err, ENOMEM, "events filters");
  for (size_t i = 0; i < n; i++)
    {
      const char *f = filters[i], *eq = strchr (f, '=');
      int key;

      if (eq == NULL || eq == f || eq[1] == '\0')
        return mr_error_set (err, "invalid filter '%s': want KEY=VALUE", f);
      for (key = 0; key < N_KEYS; key++)
        if (strlen (filter_keys[key]) == (size_t)(eq - f)
            && strncmp (filter_keys[key], f, (size_t)(eq - f)) == 0)
          break;
      if (key == N_KEYS)
        return mr_error_set (err,
                             "invalid filter '%s': unknown key '%.*s' (want container, event, "
                             "type or image)",
                             f, (int)(eq - f), f);
      if (key == KEY_EVENT && !mr_event_action_valid (eq + 1))
        return mr_error_set (err,
                             "invalid filter '%s': unknown event '%s' (want create, start, exec, "
                             "die, oom, kill, stop, restart, pause, resume or delete)",
                             f, eq + 1);
      rd->filters[rd->n_filters].key = key;
      rd->filters[rd->n_filters].value = eq + 1;
      rd->n_filters++;
      rd->keys_used |= 1u << key;
    }
  return 0;
}

static const char *
attr (const struct mr_event *ev, const char *key)
{
  for (const char *const *a = ev->attributes; a && a[0]; a += 2)
    if (strcmp (a[0], key) == 0)
      return a[1];
  return NULL;
}

/* "bb" stands for "bb:latest", as in image references.  */
static bool
image_matches (const char *image, const char *want)
{
  const char *slash = strrchr (want, '/'), *colon = strrchr (want, ':');
  size_t n = strlen (want);

  if (image == NULL)
    return false;
  if (strcmp (image, want) == 0)
    return true;
  return (colon == NULL || (slash && colon < slash)) && strncmp (image, want, n) == 0
         && strcmp (image + n, ":latest") == 0;
}

static bool
filter_matches (const struct filter *f, const struct mr_event *ev)
{
  const char *name;

  switch (f->key)
    {
    case KEY_CONTAINER:
      name = attr (ev, "name");
      return strcmp (ev->id, f->value) == 0 || (name && strcmp (name, f->value) == 0);
    case KEY_EVENT:
      return strcmp (ev->action, f->value) == 0;
    case KEY_TYPE:
      return strcmp (ev->type, f->value) == 0;
    default:
      return image_matches (attr (ev, "image"), f->value);
    }
}

/* Filters with the same key: any of them; different keys: all.  */
static bool
event_wanted (const struct reader *rd, const struct mr_event *ev)
{
  unsigned matched = 0;

  if (rd->since_set && ev->time_nano < rd->since)
    return false;
  if (rd->until_set && ev->time_nano > rd->until)
    return false;
  for (size_t i = 0; i < rd->n_filters; i++)
    if (!(matched & (1u << rd->filters[i].key)) && filter_matches (&rd->filters[i], ev))
      matched |= 1u << rd->filters[i].key;
  return matched == rd->keys_used;
}

static int
cmp_pair (const void *a, const void *b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

static const char *
get_string (json_t *o, const char *key)
{
  return json_string_value (json_object_get (o, key));
}

/* One line (NUL-terminated at len): a valid event is handed to the callback
   when wanted; anything else is skipped.  Returns 1 when the callback says
   stop.  */
static int
reader_line (struct reader *rd, char *line, size_t len)
{
  cleanup_json json_t *o = json_loadb (line, len, JSON_REJECT_DUPLICATES, NULL);
  cleanup_free const char **pairs = NULL;
  json_t *attrs, *tn, *value;
  struct mr_event ev = { 0 };
  const char *key;
  size_t n = 0;

  if (!json_is_object (o))
    return 0;
  tn = json_object_get (o, "timeNano");
  ev.time = get_string (o, "time");
  ev.type = get_string (o, "type");
  ev.action = get_string (o, "action");
  ev.id = get_string (o, "id");
  attrs = json_object_get (o, "attributes");
  if (!json_is_integer (tn) || ev.time == NULL || ev.type == NULL || ev.action == NULL
      || ev.id == NULL || (attrs && !json_is_object (attrs)))
    return 0;
  ev.time_nano = json_integer_value (tn);
  pairs = calloc (2 * json_object_size (attrs) + 1, sizeof *pairs);
  if (pairs == NULL)
    return 0;
  json_object_foreach (attrs, key, value)
  {
    if (!json_is_string (value))
      return 0;
    pairs[2 * n] = key;
    pairs[2 * n + 1] = json_string_value (value);
    n++;
  }
  qsort (pairs, n, 2 * sizeof *pairs, cmp_pair);
  ev.attributes = pairs;
  if (!event_wanted (rd, &ev))
    return 0;
  line[len] = '\0';
  return rd->cb (rd->data, line, &ev) < 0 ? 1 : 0;
}

/* Reads fd to its end, handing out each complete line; what follows the
   last newline waits in the buffer for the rest.  Returns 1 when the
   callback says stop.  */
static int
reader_drain (struct reader *rd, int fd, const char *path, struct mr_error *err)
{
  for (;;)
    {
      ssize_t got = read (fd, rd->buf + rd->len, READ_BUF - rd->len);
      size_t start = 0, end;

      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0)
        return mr_error_errno (err, errno, "read events log '%s'", path);
      if (got == 0)
        return 0;
      end = rd->len + (size_t)got;
      for (size_t i = rd->len; i < end; i++)
        {
          if (rd->buf[i] != '\n')
            continue;
          if (!rd->skipping && i - start <= MR_EVENTS_LINE_MAX
              && reader_line (rd, rd->buf + start, i - start) > 0)
            return 1;
          rd->skipping = false;
          start = i + 1;
        }
      rd->len = end - start;
      memmove (rd->buf, rd->buf + start, rd->len);
      if (rd->len > MR_EVENTS_LINE_MAX)
        {
          rd->skipping = true;
          rd->len = 0;
        }
    }
}

/* A file is done: a line it left unfinished was cut short, not continued
   in the next file.  */
static void
reader_reset (struct reader *rd)
{
  rd->len = 0;
  rd->skipping = false;
}

/* fd of path for reading and its stat; -2 when there is none.  */
static int
open_for_read (const char *path, struct stat *st, struct mr_error *err)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

  if (fd < 0)
    {
      if (errno == ENOENT)
        return -2;
      return mr_error_errno (err, errno, "open events log '%s'", path);
    }
  if (fstat (fd, st) < 0)
    {
      int e = errno;
      close (fd);
      return mr_error_errno (err, e, "stat events log '%s'", path);
    }
  return fd;
}

struct follow
{
  const char *path, *old;
  int cur; /* path as last opened, -1 while it does not exist */
  /* the newest file handed out or passed over: events.log.1 is new to us
     only when it is neither this file nor the new path */
  bool have_seen;
  struct stat seen;
};

/* When path is a new file: finishes the old one (nobody writes to it once
   it is renamed), reads the file rotated in between if the writers rotated
   twice meanwhile, and goes on with the new one.  Returns 2 after a
   switch.  */
static int
follow_switch (struct reader *rd, struct follow *fw, struct mr_error *err)
{
  struct stat nst, ost;
  cleanup_close int nfd = -1;
  cleanup_close int ofd = -1;
  int r;

  nfd = open_for_read (fw->path, &nst, err);
  if (nfd == -2)
    return 0;
  if (nfd < 0)
    return -1;
  if (fw->cur >= 0 && same_file (&nst, &fw->seen))
    return 0;
  if (fw->cur >= 0)
    {
      r = reader_drain (rd, fw->cur, fw->path, err);
      close (fw->cur);
      fw->cur = -1;
      if (r != 0)
        return r;
    }
  reader_reset (rd);
  ofd = open_for_read (fw->old, &ost, err);
  if (ofd == -1)
    return -1;
  if (ofd >= 0 && !same_file (&ost, &nst) && !(fw->have_seen && same_file (&ost, &fw->seen)))
    {
      r = reader_drain (rd, ofd, fw->old, err);
      reader_reset (rd);
      if (r != 0)
        return r;
    }
  fw->cur = steal_fd (&nfd);
  fw->seen = nst;
  fw->have_seen = true;
  return 2;
}

static int
follow_loop (struct reader *rd, struct follow *fw, int ifd, struct mr_error *err)
{
  for (;;)
    {
      struct pollfd p = { .fd = ifd, .events = POLLIN };
      int64_t start = now_ns ();
      int timeout = rd->o.stop ? STOP_POLL_MS : -1;
      int r = 0;

      if (fw->cur >= 0)
        r = reader_drain (rd, fw->cur, fw->path, err);
      while (r == 0 && (r = follow_switch (rd, fw, err)) == 2)
        r = reader_drain (rd, fw->cur, fw->path, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
      if (rd->o.stop && *rd->o.stop)
        return 0;
      if (rd->until_set)
        {
          int64_t left_ms;

          /* what was read began after until: nothing wanted is to come */
          if (start > rd->until)
            return 0;
          left_ms = (rd->until - start) / 1000000 + 1;
          if (timeout < 0 || left_ms < timeout)
            timeout = (int)left_ms;
        }
      r = poll (&p, 1, timeout);
      if (r < 0 && errno != EINTR)
        return mr_error_errno (err, errno, "wait for events in '%s'", fw->path);
      if (r > 0 && mr_inotify_drain (ifd))
        return 0;
    }
}

static int
read_stored (struct reader *rd, struct follow *fw, const struct stat *cst, struct mr_error *err)
{
  struct stat ost;
  cleanup_close int ofd = open_for_read (fw->old, &ost, err);
  int r;

  if (ofd == -1)
    return -1;
  if (ofd >= 0 && !(fw->cur >= 0 && same_file (&ost, cst)))
    {
      if (!fw->have_seen)
        {
          fw->seen = ost;
          fw->have_seen = true;
        }
      /* With follow and no since, only new events: the old file is only
         remembered as seen.  */
      if (!rd->o.follow || rd->since_set)
        {
          r = reader_drain (rd, ofd, fw->old, err);
          reader_reset (rd);
          if (r != 0)
            return r;
        }
    }
  if (fw->cur < 0)
    return 0;
  fw->seen = *cst;
  fw->have_seen = true;
  if (rd->o.follow && !rd->since_set)
    {
      off_t end = lseek (fw->cur, 0, SEEK_END);
      char last = '\n';

      if (end < 0)
        return mr_error_errno (err, errno, "seek events log '%s'", fw->path);
      /* the end may cut a line being written: then go on after its end */
      if (end > 0 && pread (fw->cur, &last, 1, end - 1) != 1)
        return mr_error_errno (err, errno, "read events log '%s'", fw->path);
      rd->skipping = last != '\n';
      return 0;
    }
  return reader_drain (rd, fw->cur, fw->path, err);
}

int
mr_events_read (struct mr_context *ctx, const struct mr_events_opts *opts,
                int (*cb) (void *data, const char *json_line, const struct mr_event *ev),
                void *data, struct mr_error *err)
{
  struct reader rd = { .cb = cb, .data = data };
  const char *dir = mr_context_data_dir (ctx);
  char path[PATH_MAX], old[PATH_MAX];
  struct follow fw = { .path = path, .old = old, .cur = -1 };
  cleanup_close int ifd = -1;
  struct stat cst;
  int r = -1;

  if (opts)
    memcpy (&rd.o, opts, opts->size < sizeof rd.o ? opts->size : sizeof rd.o);
  rd.o.size = sizeof rd.o;
  if (rd.o.since && parse_time_opt ("since", rd.o.since, &rd.since, err) < 0)
    goto out;
  rd.since_set = rd.o.since != NULL;
  if (rd.o.until && parse_time_opt ("until", rd.o.until, &rd.until, err) < 0)
    goto out;
  rd.until_set = rd.o.until != NULL;
  if (parse_filters (&rd, rd.o.filters, err) < 0)
    goto out;
  if (path_in (dir, MR_EVENTS_FILE, path, sizeof path, err) < 0
      || path_in (dir, MR_EVENTS_OLD_FILE, old, sizeof old, err) < 0)
    goto out;
  rd.buf = malloc (READ_BUF + 1);
  if (rd.buf == NULL)
    {
      mr_error_errno (err, ENOMEM, "read events");
      goto out;
    }
  if (rd.o.follow)
    {
      /* Watched before anything is read, so that nothing written after
         the read goes unnoticed.  */
      if (mr_mkdir_p (dir, 0700, err) < 0)
        goto out;
      ifd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
      if (ifd < 0)
        {
          mr_error_errno (err, errno, "follow events in '%s'", dir);
          goto out;
        }
      if (inotify_add_watch (ifd, dir,
                             IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)
          < 0)
        {
          mr_error_errno (err, errno, "watch events directory '%s'", dir);
          goto out;
        }
    }
  /* events.log before events.log.1: a rotation in between leaves both
     names on the same file, never a file that is not read at all.  */
  fw.cur = open_for_read (path, &cst, err);
  if (fw.cur == -1)
    goto out;
  if (fw.cur < 0)
    fw.cur = -1;
  r = read_stored (&rd, &fw, &cst, err);
  if (r == 0 && rd.o.follow)
    r = follow_loop (&rd, &fw, ifd, err);

out:
  if (fw.cur >= 0)
    close (fw.cur);
  reader_free (&rd);
  return r < 0 ? -1 : 0;
}
