#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "managed/events.h"
#include "managed/log.h"
#include "unit.h"
#include "util/cleanup.h"

#define N(a) ((int)(sizeof (a) / sizeof (a)[0]))

/* A scratch root per test case (the data directory is <root>/data), removed
   even when the test fails.  */
static char *scratch;
static char *data_dir;
static struct mr_context *ctx;

static void
setup (void)
{
  struct mr_context_opts o = { .size = sizeof o };
  struct mr_error err = { 0 };

  scratch = unit_mkdtemp ("events");
  o.root = scratch;
  if (mr_context_new (&o, &ctx, &err) < 0)
    abort ();
  data_dir = strdup (mr_context_data_dir (ctx));
}

static void
teardown (void)
{
  mr_context_free (ctx);
  ctx = NULL;
  unit_rm_tree (scratch);
  free (scratch);
  free (data_dir);
  scratch = data_dir = NULL;
}

static char *
in_data (const char *name)
{
  char *p;

  ck_assert_int_ge (asprintf (&p, "%s/%s", data_dir, name), 0);
  return p;
}

static void
emit (const char *action, const char *id, json_t *attrs)
{
  struct mr_error err = { 0 };

  ck_assert_msg (mr_event_emit (ctx, action, id, attrs, &err) == 0, "%s", err.msg);
}

/* Writes raw lines into the data directory, as a foreign writer could.  */
static void
put_file (const char *name, const char *text)
{
  cleanup_free char *path = in_data (name);
  int fd;

  mkdir (data_dir, 0700);
  fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  ck_assert_msg (fd >= 0, "open %s: %s", path, strerror (errno));
  ck_assert_int_eq (write (fd, text, strlen (text)), (ssize_t)strlen (text));
  close (fd);
}

/* A stored line with a chosen time (seconds since the epoch).  */
static char *
line_at (long long sec, const char *action, const char *id, const char *attrs_json)
{
  struct timespec ts = { .tv_sec = sec };
  char t[MR_LOG_TIME_LEN + 1];
  char *l;

  ck_assert_int_eq (mr_log_format_time (&ts, t, sizeof t), MR_LOG_TIME_LEN);
  ck_assert_int_ge (asprintf (&l,
                              "{\"time\":\"%s\",\"timeNano\":%lld000000000,\"type\":\"container\","
                              "\"action\":\"%s\",\"id\":\"%s\",\"attributes\":%s}\n",
                              t, sec, action, id, attrs_json ? attrs_json : "{}"),
                    0);
  return l;
}

static void
put_event_at (long long sec, const char *action, const char *id, const char *attrs_json)
{
  cleanup_free char *l = line_at (sec, action, id, attrs_json);

  put_file (MR_EVENTS_FILE, l);
}

/* What a read handed out: "ACTION ID K=V K=V" per event.  */
struct seen
{
  char **ev;
  size_t n;
  size_t stop_after; /* 0: never */
  int64_t last_nano;
  bool out_of_order;
  bool bad_line;
};

static int
collect (void *data, const char *json_line, const struct mr_event *ev)
{
  struct seen *s = data;
  json_t *o = json_loads (json_line, 0, NULL);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&text, &len);

  /* the line is the stored object, and agrees with the parsed fields */
  if (o == NULL || json_integer_value (json_object_get (o, "timeNano")) != ev->time_nano
      || strchr (json_line, '\n') != NULL)
    s->bad_line = true;
  json_decref (o);
  if (ev->time_nano < s->last_nano)
    s->out_of_order = true;
  s->last_nano = ev->time_nano;
  fprintf (f, "%s %s", ev->action, ev->id);
  for (const char *const *a = ev->attributes; a && a[0]; a += 2)
    fprintf (f, " %s=%s", a[0], a[1]);
  fclose (f);
  s->ev = realloc (s->ev, (s->n + 1) * sizeof *s->ev);
  s->ev[s->n++] = text;
  return s->stop_after && s->n >= s->stop_after ? -1 : 0;
}

static void
seen_free (struct seen *s)
{
  for (size_t i = 0; i < s->n; i++)
    free (s->ev[i]);
  free (s->ev);
  memset (s, 0, sizeof *s);
}

static void
read_events (const struct mr_events_opts *o, struct seen *s)
{
  struct mr_error err = { 0 };

  ck_assert_msg (mr_events_read (ctx, o, collect, s, &err) == 0, "%s", err.msg);
  ck_assert_msg (!s->bad_line, "a json_line that is not the event");
}

/* The events a read with these filters hands out, joined by '|'.  */
static char *
read_joined (const char *since, const char *until, const char *const *filters)
{
  struct mr_events_opts o
      = { .size = sizeof o, .since = since, .until = until, .filters = filters };
  struct seen s = { 0 };
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&out, &len);

  read_events (&o, &s);
  for (size_t i = 0; i < s.n; i++)
    fprintf (f, "%s%s", i ? "|" : "", s.ev[i]);
  fclose (f);
  seen_free (&s);
  return out;
}

/* --- writing ---------------------------------------------------------------- */

START_TEST (emitted_events_read_back_in_order_with_their_attributes)
{
  struct mr_events_opts o = { .size = sizeof o };
  struct seen s = { 0 };

  emit ("create", "web", mr_event_attrs ("name", "web", "image", "bb:latest", NULL));
  emit ("start", "web", NULL);
  emit ("kill", "web", mr_event_signal_attrs (9));
  emit ("die", "web", mr_event_exit_attrs (137));
  emit ("delete", "web", NULL);
  read_events (&o, &s);
  ck_assert_uint_eq (s.n, 5);
  /* attributes come sorted by key */
  ck_assert_str_eq (s.ev[0], "create web image=bb:latest name=web");
  ck_assert_str_eq (s.ev[1], "start web");
  ck_assert_str_eq (s.ev[2], "kill web signal=SIGKILL");
  ck_assert_str_eq (s.ev[3], "die web exitCode=137");
  ck_assert_str_eq (s.ev[4], "delete web");
  ck_assert (!s.out_of_order);
  seen_free (&s);
}
END_TEST

static int
check_time_fields (void *data, const char *json_line, const struct mr_event *ev)
{
  int64_t *bounds = data;
  struct timespec ts
      = { .tv_sec = ev->time_nano / 1000000000, .tv_nsec = ev->time_nano % 1000000000 };
  char t[MR_LOG_TIME_LEN + 1];

  (void)json_line;
  ck_assert_int_eq (mr_log_format_time (&ts, t, sizeof t), MR_LOG_TIME_LEN);
  ck_assert_str_eq (ev->time, t);
  ck_assert_str_eq (ev->type, "container");
  ck_assert_int_ge (ev->time_nano, bounds[0]);
  ck_assert_int_le (ev->time_nano, bounds[1]);
  bounds[2]++;
  return 0;
}

static int64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

START_TEST (an_event_carries_its_time_as_rfc3339_and_nanoseconds)
{
  struct mr_events_opts o = { .size = sizeof o };
  struct mr_error err = { 0 };
  int64_t bounds[3];

  bounds[0] = now_ns ();
  emit ("pause", "db", NULL);
  bounds[1] = now_ns ();
  bounds[2] = 0;
  ck_assert_msg (mr_events_read (ctx, &o, check_time_fields, bounds, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (bounds[2], 1);
}
END_TEST

START_TEST (emit_creates_the_data_directory_private)
{
  cleanup_free char *path = in_data (MR_EVENTS_FILE);
  struct stat st;

  ck_assert_int_eq (stat (data_dir, &st), -1);
  emit ("create", "web", NULL);
  ck_assert_int_eq (stat (data_dir, &st), 0);
  ck_assert_int_eq (st.st_mode & 07777, 0700);
  ck_assert_int_eq (stat (path, &st), 0);
  ck_assert_int_eq (st.st_mode & 077, 0);
}
END_TEST

START_TEST (emit_refuses_bad_events_and_writes_nothing)
{
  cleanup_free char *path = in_data (MR_EVENTS_FILE);
  struct mr_error err = { 0 };
  json_t *bad = json_pack ("{s:i}", "exitCode", 1);
  struct stat st;

  ck_assert_int_eq (mr_event_emit (ctx, "explode", "web", NULL, &err), -1);
  ck_assert_str_eq (err.msg, "unknown event 'explode'");
  ck_assert_int_eq (mr_event_emit (ctx, "die", "web", bad, &err), -1);
  ck_assert_str_eq (err.msg, "event 'die' of 'web': attribute 'exitCode' is not a string");
  ck_assert_int_eq (mr_event_emit (ctx, "die", "", NULL, &err), -1);
  ck_assert_str_eq (err.msg, "event 'die': no container id");
  /* a failure is for the caller to ignore: no error object needed */
  ck_assert_int_eq (mr_event_emit (ctx, "die", NULL, NULL, NULL), -1);
  ck_assert_int_eq (stat (path, &st), -1);
}
END_TEST

/* --- reading ---------------------------------------------------------------- */

START_TEST (reading_without_a_log_gives_nothing_and_creates_nothing)
{
  struct mr_events_opts o = { .size = sizeof o };
  struct seen s = { 0 };
  struct stat st;

  read_events (&o, &s);
  ck_assert_uint_eq (s.n, 0);
  ck_assert_int_eq (stat (data_dir, &st), -1);
}
END_TEST

START_TEST (since_and_until_select_by_time)
{
  cleanup_free char *all = NULL, *since = NULL, *until = NULL, *both = NULL, *rfc = NULL;
  cleanup_free char *frac = NULL;

  put_event_at (1700000000, "create", "a", NULL);
  put_event_at (1700000010, "start", "a", NULL);
  put_event_at (1700000020, "die", "a", NULL);
  put_event_at (1700000030, "delete", "a", NULL);
  all = read_joined (NULL, NULL, NULL);
  ck_assert_str_eq (all, "create a|start a|die a|delete a");
  /* both ends are inclusive */
  since = read_joined ("1700000010", NULL, NULL);
  ck_assert_str_eq (since, "start a|die a|delete a");
  until = read_joined (NULL, "1700000020", NULL);
  ck_assert_str_eq (until, "create a|start a|die a");
  both = read_joined ("1700000005", "1700000025", NULL);
  ck_assert_str_eq (both, "start a|die a");
  /* 1700000020 is 2023-11-14T22:13:40Z */
  rfc = read_joined ("2023-11-14T22:13:40Z", "2023-11-14T23:13:40+01:00", NULL);
  ck_assert_str_eq (rfc, "die a");
  frac = read_joined ("1700000019.5", "1700000020.5", NULL);
  ck_assert_str_eq (frac, "die a");
}
END_TEST

START_TEST (a_duration_since_is_counted_back_from_now)
{
  cleanup_free char *recent = NULL;
  long long now = (long long)time (NULL);

  put_event_at (now - 7200, "create", "old", NULL);
  put_event_at (now - 60, "create", "new", NULL);
  recent = read_joined ("10m", NULL, NULL);
  ck_assert_str_eq (recent, "create new");
}
END_TEST

static const char *const f_die[] = { "event=die", NULL };
static const char *const f_die_or_create[] = { "event=die", "event=create", NULL };
static const char *const f_db_and_die[] = { "container=db", "event=die", NULL };
static const char *const f_by_name[] = { "container=web", NULL };
static const char *const f_type[] = { "type=container", NULL };
static const char *const f_other_type[] = { "type=image", NULL };
static const char *const f_image[] = { "image=bb", NULL };
static const char *const f_image_tag[] = { "image=bb:1", NULL };
static const char *const f_two_containers[]
    = { "container=db", "container=c3", "event=kill", NULL };

static const struct
{
  const char *const *filters;
  const char *want;
} filter_cases[] = {
  { f_die, "die c1 name=web|die db" },
  { f_die_or_create,
    "create c1 image=bb:latest name=web|die c1 name=web|create db image=bb:1|die db" },
  { f_db_and_die, "die db" },
  { f_by_name, "create c1 image=bb:latest name=web|die c1 name=web" },
  { f_type, "create c1 image=bb:latest name=web|die c1 name=web|create db image=bb:1|kill db "
            "signal=SIGTERM|die db|kill c3" },
  { f_other_type, "" },
  { f_image, "create c1 image=bb:latest name=web" },
  { f_image_tag, "create db image=bb:1" },
  { f_two_containers, "kill db signal=SIGTERM|kill c3" },
};

START_TEST (filters_with_one_key_or_and_different_keys_and)
{
  cleanup_free char *got = NULL;

  put_event_at (1700000000, "create", "c1", "{\"name\":\"web\",\"image\":\"bb:latest\"}");
  put_event_at (1700000001, "die", "c1", "{\"name\":\"web\"}");
  put_event_at (1700000002, "create", "db", "{\"image\":\"bb:1\"}");
  put_event_at (1700000003, "kill", "db", "{\"signal\":\"SIGTERM\"}");
  put_event_at (1700000004, "die", "db", NULL);
  put_event_at (1700000005, "kill", "c3", NULL);
  got = read_joined (NULL, NULL, filter_cases[_i].filters);
  ck_assert_str_eq (got, filter_cases[_i].want);
}
END_TEST

static const struct
{
  const char *since, *until, *filter, *msg;
} bad_opts[] = {
  { "yesterday", NULL, NULL,
    "invalid since time 'yesterday': want RFC 3339, YYYY-MM-DD, a unix time or a duration "
    "before now such as 10m" },
  { NULL, "2026-13-01", NULL,
    "invalid until time '2026-13-01': want RFC 3339, YYYY-MM-DD, a unix time or a duration "
    "before now such as 10m" },
  { NULL, NULL, "event", "invalid filter 'event': want KEY=VALUE" },
  { NULL, NULL, "=die", "invalid filter '=die': want KEY=VALUE" },
  { NULL, NULL, "event=", "invalid filter 'event=': want KEY=VALUE" },
  { NULL, NULL, "colour=red",
    "invalid filter 'colour=red': unknown key 'colour' (want container, event, type or image)" },
  { NULL, NULL, "event=dei",
    "invalid filter 'event=dei': unknown event 'dei' (want create, start, exec, die, oom, kill, "
    "stop, restart, pause, resume or delete)" },
};

START_TEST (bad_times_and_filters_are_errors_that_name_them)
{
  const char *filters[] = { bad_opts[_i].filter, NULL };
  struct mr_events_opts o = { .size = sizeof o,
                              .since = bad_opts[_i].since,
                              .until = bad_opts[_i].until,
                              .filters = filters,
                              .follow = true };
  struct mr_error err = { 0 };
  struct seen s = { 0 };

  put_event_at (1700000000, "create", "c1", NULL);
  ck_assert_int_eq (mr_events_read (ctx, &o, collect, &s, &err), -1);
  ck_assert_str_eq (err.msg, bad_opts[_i].msg);
  ck_assert_uint_eq (s.n, 0);
}
END_TEST

START_TEST (lines_that_are_not_events_are_skipped)
{
  cleanup_free char *got = NULL;
  cleanup_free char *good1 = line_at (1700000000, "create", "a", NULL);
  cleanup_free char *good2 = line_at (1700000001, "start", "a", NULL);
  cleanup_free char *good3 = line_at (1700000002, "die", "a", "{\"exitCode\":\"0\"}");
  cleanup_free char *longline = calloc (1, MR_EVENTS_LINE_MAX + strlen (good1));

  /* a line longer than any event, ending in a valid one: JSON allows the
     spaces before it */
  memset (longline, ' ', MR_EVENTS_LINE_MAX);
  memcpy (longline + MR_EVENTS_LINE_MAX, good1, strlen (good1) - 1);

  put_file (MR_EVENTS_FILE, "garbage\n");
  put_file (MR_EVENTS_FILE, good1);
  put_file (MR_EVENTS_FILE, "\n[1,2]\n\"string\"\n{}\n");
  put_file (MR_EVENTS_FILE,
            "{\"time\":\"x\",\"type\":\"container\",\"action\":\"start\",\"id\":\"a\"}\n");
  put_file (MR_EVENTS_FILE,
            "{\"time\":\"x\",\"timeNano\":1,\"type\":\"container\",\"action\":\"start\","
            "\"id\":\"a\",\"attributes\":{\"exitCode\":0}}\n");
  put_file (MR_EVENTS_FILE,
            "{\"time\":\"x\",\"timeNano\":1,\"type\":\"container\",\"action\":\"start\","
            "\"id\":\"a\",\"attributes\":[]}\n");
  put_file (MR_EVENTS_FILE, "{\"time\":\"x\",\"timeNano\":1,\"type\":\"container\",\"act");
  put_file (MR_EVENTS_FILE, "\n");
  put_file (MR_EVENTS_FILE, good2);
  put_file (MR_EVENTS_FILE, longline);
  put_file (MR_EVENTS_FILE, "\n");
  put_file (MR_EVENTS_FILE, "\xff\xfe binary \x01\n");
  put_file (MR_EVENTS_FILE, good3);
  /* cut short at the end of the file: a write that did not finish */
  put_file (MR_EVENTS_FILE, "{\"time\":\"x\",\"timeNano\":1");
  got = read_joined (NULL, NULL, NULL);
  ck_assert_str_eq (got, "create a|start a|die a exitCode=0");
}
END_TEST

START_TEST (the_callback_stops_the_read)
{
  struct mr_events_opts o = { .size = sizeof o, .follow = true, .since = "0" };
  struct seen s = { .stop_after = 2 };

  for (int i = 0; i < 5; i++)
    emit ("start", "web", NULL);
  /* with follow too: it returns without waiting for more */
  read_events (&o, &s);
  ck_assert_uint_eq (s.n, 2);
  seen_free (&s);
}
END_TEST

/* --- rotation ------------------------------------------------------------- */

static off_t
file_size (const char *name)
{
  cleanup_free char *path = in_data (name);
  struct stat st;

  return stat (path, &st) == 0 ? st.st_size : -1;
}

/* Emits numbered events ("n" attribute) from first to last - 1.  */
static void
emit_numbered (const char *id, int first, int last)
{
  for (int i = first; i < last; i++)
    {
      char n[16];

      snprintf (n, sizeof n, "%d", i);
      emit ("start", id, mr_event_attrs ("n", n, "pad", "................................", NULL));
    }
}

/* The events of s are "start ID n=FIRST pad=..." onwards, one each.  */
static void
assert_numbered (const struct seen *s, const char *id, int first, int count)
{
  ck_assert_uint_eq (s->n, (size_t)count);
  for (int i = 0; i < count; i++)
    {
      char want[128];

      snprintf (want, sizeof want, "start %s n=%d pad=................................", id,
                first + i);
      ck_assert_str_eq (s->ev[i], want);
    }
}

/* How many numbered events fill the log up to a rotation.  */
static int
events_per_file (void)
{
  cleanup_free char *l = line_at (1700000000, "start", "web",
                                  "{\"n\":\"1000\",\"pad\":\"................................\"}");
  /* the stored time has 9 digits of fraction, not 0 */
  return MR_EVENTS_MAX_SIZE / (int)strlen (l);
}

START_TEST (rotation_keeps_one_old_file_and_every_event_readable)
{
  struct mr_events_opts o = { .size = sizeof o };
  struct seen s = { 0 };
  int per_file = events_per_file ();
  int total = per_file + per_file / 2;

  emit_numbered ("web", 0, total);
  ck_assert_int_ge (file_size (MR_EVENTS_OLD_FILE), MR_EVENTS_MAX_SIZE);
  ck_assert_int_lt (file_size (MR_EVENTS_OLD_FILE), MR_EVENTS_MAX_SIZE + 200);
  ck_assert_int_lt (file_size (MR_EVENTS_FILE), MR_EVENTS_MAX_SIZE);
  read_events (&o, &s);
  assert_numbered (&s, "web", 0, total);
  seen_free (&s);

  /* a second rotation drops the oldest file: what is left is the newest
     events, still in one unbroken run */
  emit_numbered ("web", total, 3 * per_file);
  read_events (&o, &s);
  ck_assert_uint_gt (s.n, (size_t)per_file * 9 / 10);
  ck_assert_uint_lt (s.n, (size_t)(2 * per_file + 10));
  assert_numbered (&s, "web", 3 * per_file - (int)s.n, (int)s.n);
  seen_free (&s);
}
END_TEST

/* --- following -------------------------------------------------------------- */

#define PAD "................................"

/* A child that emits numbered events (attributes n and pad) after delay_ms,
   resting a millisecond every `rest` events (0: never).  */
static pid_t
spawn_emitter (const char *id, int first, int last, int delay_ms, int rest, const char *pad)
{
  pid_t pid = fork ();

  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      struct timespec d = { .tv_sec = delay_ms / 1000, .tv_nsec = (delay_ms % 1000) * 1000000L };

      nanosleep (&d, NULL);
      for (int i = first; i < last; i++)
        {
          char n[16];

          snprintf (n, sizeof n, "%d", i);
          if (rest && i % rest == 0)
            nanosleep (&(struct timespec){ .tv_nsec = 1000000 }, NULL);
          if (mr_event_emit (ctx, "start", id, mr_event_attrs ("n", n, "pad", pad, NULL), NULL) < 0)
            _exit (1);
        }
      _exit (0);
    }
  return pid;
}

static void
reap (pid_t pid)
{
  int status;

  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "writer status %d", status);
}

static volatile int stop_flag;

static void
on_alarm (int sig)
{
  (void)sig;
  stop_flag = 1;
}

/* A stop flag raised after ms milliseconds: a follow that misses what it
   waits for ends instead of hanging the test.  */
static void
stop_after_ms (int ms)
{
  struct sigaction sa = { .sa_handler = on_alarm };
  struct itimerval it = { .it_value = { ms / 1000, (ms % 1000) * 1000 } };

  stop_flag = 0;
  ck_assert_int_eq (sigaction (SIGALRM, &sa, NULL), 0);
  ck_assert_int_eq (setitimer (ITIMER_REAL, &it, NULL), 0);
}

START_TEST (follow_without_since_shows_only_new_events_across_a_rotation)
{
  struct mr_events_opts o = { .size = sizeof o, .follow = true, .stop = &stop_flag };
  int per_file = events_per_file ();
  struct seen s = { .stop_after = 300 };
  pid_t pid;

  /* the log is all but full: the new events rotate it */
  emit_numbered ("old", 0, per_file - 100);
  pid = spawn_emitter ("new", 0, 300, 300, 0, PAD);
  stop_after_ms (10000);
  read_events (&o, &s);
  reap (pid);
  ck_assert_msg (!stop_flag, "timed out after %zu events", s.n);
  ck_assert_int_gt (file_size (MR_EVENTS_OLD_FILE), 0);
  assert_numbered (&s, "new", 0, 300);
  seen_free (&s);
}
END_TEST

struct run
{
  int next;      /* the n expected next */
  int total;     /* stop once it is reached */
  int first_gap; /* -1: none */
};

/* Checks that the n attributes run unbroken, with no more work than a
   follower that keeps up needs.  */
static int
check_run (void *data, const char *json_line, const struct mr_event *ev)
{
  struct run *r = data;
  const char *n = NULL;

  (void)json_line;
  for (const char *const *a = ev->attributes; a && a[0]; a += 2)
    if (strcmp (a[0], "n") == 0)
      n = a[1];
  if (n == NULL || atoi (n) != r->next)
    {
      if (r->first_gap < 0)
        r->first_gap = r->next;
      r->next = n ? atoi (n) : r->next;
    }
  r->next++;
  return r->next >= r->total ? -1 : 0;
}

/* One old file is kept: a follower that falls more than a whole file
   behind loses the file dropped meanwhile, so the writer leaves the reader
   (slow under sanitizers) a little time.  */
START_TEST (follow_keeps_up_with_a_writer_over_several_rotations)
{
  struct mr_events_opts o = { .size = sizeof o, .follow = true, .since = "0", .stop = &stop_flag };
  char pad[1001];
  /* lines of about 1.1 KiB: a rotation every 950 events or so */
  struct run r = { .total = 3 * MR_EVENTS_MAX_SIZE / 1100, .first_gap = -1 };
  struct mr_error err = { 0 };
  pid_t pid;

  memset (pad, '.', sizeof pad - 1);
  pad[sizeof pad - 1] = '\0';
  pid = spawn_emitter ("fast", 0, r.total, 0, 5, pad);
  stop_after_ms (20000);
  ck_assert_msg (mr_events_read (ctx, &o, check_run, &r, &err) == 0, "%s", err.msg);
  reap (pid);
  ck_assert_msg (r.first_gap < 0, "event %d missing", r.first_gap);
  ck_assert_msg (!stop_flag, "timed out after %d events", r.next);
  ck_assert_int_ge (file_size (MR_EVENTS_OLD_FILE), MR_EVENTS_MAX_SIZE);
}
END_TEST

static char big_pad[1001];

/* The first event keeps the follower busy while the writers rotate the log
   twice: the file it reads is gone from the directory, and the one
   rotated after it is events.log.1.  */
static int
rotate_twice_then_check (void *data, const char *json_line, const struct mr_event *ev)
{
  struct run *r = data;

  if (r->next == 0)
    for (int i = 1; i < r->total; i++)
      {
        char n[16];

        snprintf (n, sizeof n, "%d", i);
        emit ("start", "busy", mr_event_attrs ("n", n, "pad", big_pad, NULL));
      }
  return check_run (data, json_line, ev);
}

START_TEST (follow_reads_the_file_rotated_while_it_was_busy)
{
  struct mr_events_opts o = { .size = sizeof o, .follow = true, .since = "0", .stop = &stop_flag };
  /* lines of about 1.1 KiB: two rotations and a half */
  struct run r = { .total = 5 * MR_EVENTS_MAX_SIZE / 2 / 1100, .first_gap = -1 };
  struct mr_error err = { 0 };

  memset (big_pad, '.', sizeof big_pad - 1);
  emit ("start", "busy", mr_event_attrs ("n", "0", "pad", big_pad, NULL));
  stop_after_ms (20000);
  ck_assert_msg (mr_events_read (ctx, &o, rotate_twice_then_check, &r, &err) == 0, "%s", err.msg);
  ck_assert_msg (r.first_gap < 0, "event %d missing", r.first_gap);
  ck_assert_msg (!stop_flag, "timed out after %d events", r.next);
}
END_TEST

START_TEST (follow_waits_for_a_log_that_does_not_exist_yet)
{
  struct mr_events_opts o = { .size = sizeof o, .follow = true, .stop = &stop_flag };
  struct seen s = { .stop_after = 3 };
  pid_t pid = spawn_emitter ("late", 0, 3, 200, 0, PAD);

  stop_after_ms (10000);
  read_events (&o, &s);
  reap (pid);
  assert_numbered (&s, "late", 0, 3);
  seen_free (&s);
}
END_TEST

START_TEST (follow_returns_when_the_stop_flag_is_set)
{
  struct mr_events_opts o = { .size = sizeof o, .follow = true, .stop = &stop_flag };
  struct seen s = { 0 };
  struct timespec t0, t1;

  emit ("create", "web", NULL);
  stop_after_ms (200);
  clock_gettime (CLOCK_MONOTONIC, &t0);
  read_events (&o, &s);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  ck_assert_int_eq (stop_flag, 1);
  ck_assert_int_lt (t1.tv_sec - t0.tv_sec, 3);
  /* only new events: the stored one is not shown */
  ck_assert_uint_eq (s.n, 0);
}
END_TEST

START_TEST (follow_with_until_returns_once_it_has_passed)
{
  struct mr_events_opts o = { .size = sizeof o, .follow = true, .stop = &stop_flag };
  struct seen s = { 0 };
  struct timespec now, t0, t1;
  char until[64];
  long long ms;

  clock_gettime (CLOCK_REALTIME, &now);
  now.tv_nsec += 400 * 1000000L;
  if (now.tv_nsec >= 1000000000L)
    {
      now.tv_sec++;
      now.tv_nsec -= 1000000000L;
    }
  snprintf (until, sizeof until, "%lld.%09ld", (long long)now.tv_sec, now.tv_nsec);
  o.until = until;
  o.since = "0";
  emit ("create", "web", NULL);
  stop_after_ms (10000);
  clock_gettime (CLOCK_MONOTONIC, &t0);
  read_events (&o, &s);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  ms = (t1.tv_sec - t0.tv_sec) * 1000LL + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  ck_assert_int_eq (stop_flag, 0);
  ck_assert_int_ge (ms, 300);
  ck_assert_int_lt (ms, 3000);
  ck_assert_uint_eq (s.n, 1);
  ck_assert_str_eq (s.ev[0], "create web");
  seen_free (&s);
}
END_TEST

/* --- concurrent writers ------------------------------------------------------ */

#define WRITERS 4

/* Each writer numbers its events; a line is whole when it parses, and no
   event is lost when each writer's numbers come in an unbroken run.  */
static void
check_writers_runs (int per_writer, bool all_kept)
{
  const char *files[] = { MR_EVENTS_OLD_FILE, MR_EVENTS_FILE };
  int next[WRITERS];
  bool started[WRITERS] = { false };

  for (int i = 0; i < WRITERS; i++)
    next[i] = 0;
  for (int k = 0; k < N (files); k++)
    {
      cleanup_free char *path = in_data (files[k]);
      cleanup_free char *line = NULL;
      size_t cap = 0;
      ssize_t len;
      FILE *f = fopen (path, "re");

      if (f == NULL)
        continue;
      while ((len = getline (&line, &cap, f)) > 0)
        {
          json_t *o, *attrs;
          int w, n;

          ck_assert_msg (line[len - 1] == '\n', "a line without its newline in %s", files[k]);
          o = json_loads (line, 0, NULL);
          ck_assert_msg (o != NULL, "not a whole event in %s: %s", files[k], line);
          attrs = json_object_get (o, "attributes");
          w = atoi (json_string_value (json_object_get (attrs, "w")));
          n = atoi (json_string_value (json_object_get (attrs, "n")));
          json_decref (o);
          ck_assert (w >= 0 && w < WRITERS);
          if (!started[w] && !all_kept)
            next[w] = n;
          started[w] = true;
          ck_assert_msg (n == next[w], "writer %d: event %d after %d", w, n, next[w] - 1);
          next[w]++;
        }
      fclose (f);
    }
  /* with files dropped, a writer that ran all its events before the others
     (a busy machine runs them one after another) may have left nothing in
     the kept files; every writer that is there must end whole */
  for (int i = 0; i < WRITERS; i++)
    if (all_kept || started[i])
      ck_assert_int_eq (next[i], per_writer);
  for (int i = 1; i < WRITERS; i++)
    started[0] |= started[i];
  ck_assert_msg (started[0], "no events kept");
}

static void
run_writers (int per_writer, size_t pad_len)
{
  cleanup_free char *pad = malloc (pad_len + 1);
  pid_t pids[WRITERS];

  memset (pad, 'x', pad_len);
  pad[pad_len] = '\0';
  for (int w = 0; w < WRITERS; w++)
    {
      pids[w] = fork ();
      ck_assert_int_ge (pids[w], 0);
      if (pids[w] == 0)
        {
          for (int i = 0; i < per_writer; i++)
            {
              char n[16], ws[16];

              snprintf (n, sizeof n, "%d", i);
              snprintf (ws, sizeof ws, "%d", w);
              if (mr_event_emit (ctx, "exec", "web",
                                 mr_event_attrs ("w", ws, "n", n, "pad", pad, NULL), NULL)
                  < 0)
                _exit (1);
            }
          _exit (0);
        }
    }
  for (int w = 0; w < WRITERS; w++)
    reap (pids[w]);
}

START_TEST (concurrent_writers_write_only_whole_lines)
{
  /* 4 x 200 lines of about 1.1 KiB: under the rotation size */
  run_writers (200, 1000);
  ck_assert_int_eq (file_size (MR_EVENTS_OLD_FILE), -1);
  check_writers_runs (200, true);
}
END_TEST

START_TEST (concurrent_writers_rotate_once_per_full_file)
{
  /* 4 x 1500 lines of about 1.1 KiB: about six rotations, raced for */
  run_writers (1500, 1000);
  ck_assert_int_ge (file_size (MR_EVENTS_OLD_FILE), MR_EVENTS_MAX_SIZE);
  /* the writers that found it not full yet may all add their line */
  ck_assert_int_lt (file_size (MR_EVENTS_OLD_FILE), MR_EVENTS_MAX_SIZE + WRITERS * 1200);
  ck_assert_int_lt (file_size (MR_EVENTS_FILE), MR_EVENTS_MAX_SIZE);
  check_writers_runs (1500, false);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("events");
  TCase *t;

  t = tcase_create ("emit");
  tcase_add_checked_fixture (t, setup, teardown);
  tcase_add_test (t, emitted_events_read_back_in_order_with_their_attributes);
  tcase_add_test (t, an_event_carries_its_time_as_rfc3339_and_nanoseconds);
  tcase_add_test (t, emit_creates_the_data_directory_private);
  tcase_add_test (t, emit_refuses_bad_events_and_writes_nothing);
  suite_add_tcase (s, t);

  t = tcase_create ("read");
  tcase_add_checked_fixture (t, setup, teardown);
  tcase_add_test (t, reading_without_a_log_gives_nothing_and_creates_nothing);
  tcase_add_test (t, since_and_until_select_by_time);
  tcase_add_test (t, a_duration_since_is_counted_back_from_now);
  tcase_add_loop_test (t, filters_with_one_key_or_and_different_keys_and, 0, N (filter_cases));
  tcase_add_loop_test (t, bad_times_and_filters_are_errors_that_name_them, 0, N (bad_opts));
  tcase_add_test (t, lines_that_are_not_events_are_skipped);
  tcase_add_test (t, the_callback_stops_the_read);
  suite_add_tcase (s, t);

  t = tcase_create ("rotation");
  tcase_add_checked_fixture (t, setup, teardown);
  tcase_set_timeout (t, 60);
  tcase_add_test (t, rotation_keeps_one_old_file_and_every_event_readable);
  tcase_add_test (t, concurrent_writers_write_only_whole_lines);
  tcase_add_test (t, concurrent_writers_rotate_once_per_full_file);
  suite_add_tcase (s, t);

  t = tcase_create ("follow");
  tcase_add_checked_fixture (t, setup, teardown);
  tcase_set_timeout (t, 60);
  tcase_add_test (t, follow_without_since_shows_only_new_events_across_a_rotation);
  tcase_add_test (t, follow_keeps_up_with_a_writer_over_several_rotations);
  tcase_add_test (t, follow_reads_the_file_rotated_while_it_was_busy);
  tcase_add_test (t, follow_waits_for_a_log_that_does_not_exist_yet);
  tcase_add_test (t, follow_returns_when_the_stop_flag_is_set);
  tcase_add_test (t, follow_with_until_returns_once_it_has_passed);
  suite_add_tcase (s, t);

  return unit_run (s);
}
