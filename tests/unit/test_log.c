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

#include "managed/log.h"
#include "unit.h"
#include "util/cleanup.h"
#include "util/error.h"

#define N(a) ((int)(sizeof (a) / sizeof (a)[0]))

/* A scratch directory per test case, removed even when the test fails.  */
static char *scratch;

static void
setup (void)
{
  scratch = unit_mkdtemp ("log");
}

static void
teardown (void)
{
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
put_bytes (const char *path, const char *data, size_t len)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  ck_assert_msg (fd >= 0, "create %s: %s", path, strerror (errno));
  ck_assert_int_eq (write (fd, data, len), (ssize_t)len);
  close (fd);
}

static char *
get_file (const char *path, size_t *len)
{
  FILE *f = fopen (path, "re");
  char *buf = NULL;
  size_t n = 0, cap = 0;
  int c;

  ck_assert_msg (f != NULL, "open %s: %s", path, strerror (errno));
  while ((c = fgetc (f)) != EOF)
    {
      if (n + 1 >= cap)
        {
          cap = cap ? cap * 2 : 4096;
          buf = realloc (buf, cap);
          ck_assert_ptr_nonnull (buf);
        }
      buf[n++] = (char)c;
    }
  fclose (f);
  if (buf == NULL)
    buf = calloc (1, 1);
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

static bool
exists (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0;
}

/* --- collecting lines ------------------------------------------------------- */

struct line
{
  char *text;
  size_t len;
  int stream;
  bool partial;
  struct timespec time;
};

struct lines
{
  struct line *v;
  size_t n, cap;
  size_t stop_after; /* 0: never */
  int go_fd;         /* written to once go_after lines came */
  size_t go_after;
};

static int
collect (const struct mr_log_record *r, void *data)
{
  struct lines *l = data;
  struct line *x;

  if (l->n == l->cap)
    {
      l->cap = l->cap ? l->cap * 2 : 64;
      l->v = realloc (l->v, l->cap * sizeof *l->v);
      ck_assert_ptr_nonnull (l->v);
    }
  x = &l->v[l->n++];
  ck_assert_int_eq (r->text[r->len], '\0');
  x->text = malloc (r->len + 1);
  ck_assert_ptr_nonnull (x->text);
  memcpy (x->text, r->text, r->len + 1);
  x->len = r->len;
  x->stream = r->stream;
  x->partial = r->partial;
  x->time = r->time;
  if (l->go_after && l->n == l->go_after)
    ck_assert_int_eq (write (l->go_fd, "g", 1), 1);
  if (l->stop_after && l->n >= l->stop_after)
    return -1;
  return 0;
}

static void
lines_free (struct lines *l)
{
  for (size_t i = 0; i < l->n; i++)
    free (l->v[i].text);
  free (l->v);
  memset (l, 0, sizeof *l);
}

static struct lines
read_lines (const char *path, long tail, bool timestamps)
{
  struct mr_log_read_opts o = { .size = sizeof o, .tail = tail, .timestamps = timestamps };
  struct lines l = { 0 };
  struct mr_error err = { 0 };

  ck_assert_msg (mr_log_read (path, &o, collect, &l, &err) == 0, "read: %s", err.msg);
  return l;
}

static void
assert_line (const struct lines *l, size_t i, int stream, bool partial, const char *text)
{
  ck_assert_msg (i < l->n, "line %zu missing: %zu lines", i, l->n);
  ck_assert_int_eq (l->v[i].stream, stream);
  ck_assert_int_eq (l->v[i].partial, partial);
  ck_assert_uint_eq (l->v[i].len, strlen (text));
  ck_assert_str_eq (l->v[i].text, text);
}

/* The last n lines of all, against tail.  */
static void
assert_same_tail (const struct lines *all, const struct lines *tail, size_t n)
{
  size_t want = n < all->n ? n : all->n;

  ck_assert_msg (tail->n == want, "tail %zu gave %zu lines, want %zu", n, tail->n, want);
  for (size_t i = 0; i < want; i++)
    {
      const struct line *a = &all->v[all->n - want + i], *b = &tail->v[i];

      ck_assert_msg (a->len == b->len && memcmp (a->text, b->text, a->len) == 0,
                     "tail %zu: line %zu differs", n, i);
      ck_assert_int_eq (a->stream, b->stream);
      ck_assert_int_eq (a->partial, b->partial);
    }
}

/* The records of a file, split at newlines.  */
static char **
records (const char *path, size_t *count)
{
  cleanup_free char *data = get_file (path, NULL);
  char **v = NULL;
  size_t n = 0;

  for (char *p = data, *nl; (nl = strchr (p, '\n')) != NULL; p = nl + 1)
    {
      v = realloc (v, (n + 2) * sizeof *v);
      ck_assert_ptr_nonnull (v);
      v[n++] = strndup (p, (size_t)(nl - p));
      v[n] = NULL;
    }
  if (v == NULL)
    v = calloc (1, sizeof *v);
  *count = n;
  return v;
}

/* "TIME STREAM TAG CONTENT" with TIME as the writer puts it, between before
   and after.  */
static void
assert_record (const char *rec, const char *rest, const struct timespec *before,
               const struct timespec *after)
{
  char t[MR_LOG_TIME_LEN + 1];
  struct timespec ts;
  struct mr_error err = { 0 };
  static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddddddZ";

  ck_assert_uint_ge (strlen (rec), MR_LOG_TIME_LEN + 1);
  for (int i = 0; i < MR_LOG_TIME_LEN; i++)
    if (shape[i] == 'd')
      ck_assert_msg (rec[i] >= '0' && rec[i] <= '9', "record '%s': bad time", rec);
    else
      ck_assert_msg (rec[i] == shape[i], "record '%s': bad time", rec);
  ck_assert_int_eq (rec[MR_LOG_TIME_LEN], ' ');
  ck_assert_str_eq (rec + MR_LOG_TIME_LEN + 1, rest);
  memcpy (t, rec, MR_LOG_TIME_LEN);
  t[MR_LOG_TIME_LEN] = '\0';
  ck_assert_msg (mr_log_parse_since (t, &ts, &err) == 0, "%s", err.msg);
  if (before)
    ck_assert (ts.tv_sec > before->tv_sec
               || (ts.tv_sec == before->tv_sec && ts.tv_nsec >= before->tv_nsec));
  if (after)
    ck_assert (ts.tv_sec < after->tv_sec
               || (ts.tv_sec == after->tv_sec && ts.tv_nsec <= after->tv_nsec));
}

static void
free_strv (char **v)
{
  for (size_t i = 0; v[i]; i++)
    free (v[i]);
  free (v);
}

static struct mr_log_writer *
writer (const char *path, uint64_t max_size, unsigned max_files)
{
  struct mr_log_writer *w = NULL;
  struct mr_error err = { 0 };

  ck_assert_msg (mr_log_writer_open (path, max_size, max_files, &w, &err) == 0, "open: %s",
                 err.msg);
  return w;
}

static void
feed (struct mr_log_writer *w, int stream, const char *s)
{
  struct mr_error err = { 0 };

  ck_assert_msg (mr_log_writer_feed (w, stream, s, strlen (s), &err) == 0, "feed: %s", err.msg);
}

/* --- writer: the records -------------------------------------------------------- */

START_TEST (writer_writes_each_complete_line_as_one_f_record)
{
  cleanup_free char *path = in_scratch ("log");
  struct timespec before, after;
  struct mr_log_writer *w = writer (path, 0, 0);
  size_t n;
  char **r;
  struct stat st;

  clock_gettime (CLOCK_REALTIME, &before);
  feed (w, MR_LOG_STDOUT, "hello\nworld\n");
  feed (w, MR_LOG_STDERR, "oops\n\n");
  clock_gettime (CLOCK_REALTIME, &after);
  mr_log_writer_close (w);

  r = records (path, &n);
  ck_assert_uint_eq (n, 4);
  assert_record (r[0], "stdout F hello", &before, &after);
  assert_record (r[1], "stdout F world", &before, &after);
  assert_record (r[2], "stderr F oops", &before, &after);
  assert_record (r[3], "stderr F ", &before, &after);
  free_strv (r);
  ck_assert_int_eq (stat (path, &st), 0);
  ck_assert_int_eq (st.st_mode & 0777, 0640);
}
END_TEST

START_TEST (writer_appends_to_an_existing_log)
{
  cleanup_free char *path = in_scratch ("log");
  struct mr_log_writer *w = writer (path, 0, 0);
  struct lines l;

  feed (w, MR_LOG_STDOUT, "first\n");
  mr_log_writer_close (w);
  w = writer (path, 0, 0);
  feed (w, MR_LOG_STDOUT, "second\n");
  mr_log_writer_close (w);
  l = read_lines (path, -1, false);
  ck_assert_uint_eq (l.n, 2);
  assert_line (&l, 0, MR_LOG_STDOUT, false, "first");
  assert_line (&l, 1, MR_LOG_STDOUT, false, "second");
  lines_free (&l);
}
END_TEST

START_TEST (writer_splits_long_lines_into_p_records_then_f)
{
  cleanup_free char *path = in_scratch ("log");
  size_t total = 2 * MR_LOG_LINE_MAX + 5;
  cleanup_free char *line = malloc (total + 1);
  cleanup_free char *want = NULL;
  struct mr_log_writer *w = writer (path, 0, 0);
  struct lines l;
  char **r;
  size_t n;

  memset (line, 'x', total);
  line[total] = '\n';
  /* fed in pieces that do not line up with the record size */
  for (size_t off = 0; off < total + 1; off += 1000)
    {
      struct mr_error err = { 0 };
      size_t len = total + 1 - off < 1000 ? total + 1 - off : 1000;

      ck_assert_int_eq (mr_log_writer_feed (w, MR_LOG_STDOUT, line + off, len, &err), 0);
    }
  /* a line of exactly the record size stays one record, even when its
     newline comes in a later feed */
  {
    struct mr_error err = { 0 };

    ck_assert_int_eq (mr_log_writer_feed (w, MR_LOG_STDERR, line, MR_LOG_LINE_MAX, &err), 0);
    feed (w, MR_LOG_STDERR, "\n");
  }
  mr_log_writer_close (w);

  r = records (path, &n);
  ck_assert_uint_eq (n, 4);
  ck_assert_int_ge (asprintf (&want, "stdout P %.*s", MR_LOG_LINE_MAX, line), 0);
  assert_record (r[0], want, NULL, NULL);
  assert_record (r[1], want, NULL, NULL);
  assert_record (r[2], "stdout F xxxxx", NULL, NULL);
  free (want);
  ck_assert_int_ge (asprintf (&want, "stderr F %.*s", MR_LOG_LINE_MAX, line), 0);
  assert_record (r[3], want, NULL, NULL);
  free_strv (r);

  l = read_lines (path, -1, false);
  ck_assert_uint_eq (l.n, 2);
  ck_assert_uint_eq (l.v[0].len, total);
  ck_assert (memcmp (l.v[0].text, line, total) == 0);
  ck_assert (!l.v[0].partial);
  ck_assert_uint_eq (l.v[1].len, MR_LOG_LINE_MAX);
  lines_free (&l);
}
END_TEST

START_TEST (writer_flushes_an_unfinished_line_at_close)
{
  cleanup_free char *path = in_scratch ("log");
  struct mr_log_writer *w = writer (path, 0, 0);
  struct lines l;
  struct stat st;
  char **r;
  size_t n;

  feed (w, MR_LOG_STDOUT, "no newline");
  ck_assert_int_eq (stat (path, &st), 0);
  ck_assert_int_eq (st.st_size, 0);
  mr_log_writer_close (w);

  r = records (path, &n);
  ck_assert_uint_eq (n, 1);
  assert_record (r[0], "stdout P no newline", NULL, NULL);
  free_strv (r);
  l = read_lines (path, -1, false);
  ck_assert_uint_eq (l.n, 1);
  assert_line (&l, 0, MR_LOG_STDOUT, true, "no newline");
  lines_free (&l);
}
END_TEST

START_TEST (writer_keeps_the_order_of_interleaved_streams)
{
  cleanup_free char *path = in_scratch ("log");
  struct mr_log_writer *w = writer (path, 0, 0);
  struct lines l;
  char **r;
  size_t n;

  feed (w, MR_LOG_STDOUT, "a\n");
  feed (w, MR_LOG_STDERR, "b\n");
  feed (w, MR_LOG_STDOUT, "c");
  feed (w, MR_LOG_STDERR, "d\ne");
  feed (w, MR_LOG_STDOUT, "c\n");
  feed (w, MR_LOG_STDERR, "e\n");
  mr_log_writer_close (w);

  r = records (path, &n);
  ck_assert_uint_eq (n, 5);
  assert_record (r[0], "stdout F a", NULL, NULL);
  assert_record (r[1], "stderr F b", NULL, NULL);
  assert_record (r[2], "stderr F d", NULL, NULL);
  assert_record (r[3], "stdout F cc", NULL, NULL);
  assert_record (r[4], "stderr F ee", NULL, NULL);
  free_strv (r);

  l = read_lines (path, -1, false);
  ck_assert_uint_eq (l.n, 5);
  assert_line (&l, 0, MR_LOG_STDOUT, false, "a");
  assert_line (&l, 1, MR_LOG_STDERR, false, "b");
  assert_line (&l, 2, MR_LOG_STDERR, false, "d");
  assert_line (&l, 3, MR_LOG_STDOUT, false, "cc");
  assert_line (&l, 4, MR_LOG_STDERR, false, "ee");
  lines_free (&l);
}
END_TEST

START_TEST (flushed_partial_record_joins_the_next_line_of_its_stream)
{
  cleanup_free char *path = in_scratch ("log");
  struct mr_log_writer *w = writer (path, 0, 0);
  struct mr_error err = { 0 };
  struct lines l;
  char **r;
  size_t n;

  feed (w, MR_LOG_STDOUT, "abc");
  ck_assert_int_eq (mr_log_writer_flush (w, &err), 0);
  feed (w, MR_LOG_STDERR, "between\n");
  feed (w, MR_LOG_STDOUT, "def\n");
  mr_log_writer_close (w);

  r = records (path, &n);
  ck_assert_uint_eq (n, 3);
  assert_record (r[0], "stdout P abc", NULL, NULL);
  free_strv (r);
  l = read_lines (path, -1, false);
  ck_assert_uint_eq (l.n, 2);
  assert_line (&l, 0, MR_LOG_STDERR, false, "between");
  assert_line (&l, 1, MR_LOG_STDOUT, false, "abcdef");
  lines_free (&l);
}
END_TEST

START_TEST (lines_over_a_mebibyte_come_in_partial_pieces)
{
  cleanup_free char *path = in_scratch ("log");
  size_t total = 5 * 512 * 1024 + 3;
  cleanup_free char *line = malloc (total + 1);
  struct mr_log_writer *w = writer (path, 0, 0);
  struct mr_error err = { 0 };
  struct lines l;

  for (size_t k = 0; k < total; k++)
    line[k] = (char)('a' + k % 26);
  line[total] = '\n';
  ck_assert_int_eq (mr_log_writer_feed (w, MR_LOG_STDOUT, line, total + 1, &err), 0);
  feed (w, MR_LOG_STDERR, "after\n");
  mr_log_writer_close (w);

  l = read_lines (path, -1, false);
  ck_assert_uint_eq (l.n, 4);
  ck_assert_uint_eq (l.v[0].len, 1024 * 1024);
  ck_assert (l.v[0].partial);
  ck_assert_uint_eq (l.v[1].len, 1024 * 1024);
  ck_assert (l.v[1].partial);
  ck_assert_uint_eq (l.v[2].len, total - 2 * 1024 * 1024);
  ck_assert (!l.v[2].partial);
  ck_assert (memcmp (l.v[1].text, line + 1024 * 1024, 1024 * 1024) == 0);
  assert_line (&l, 3, MR_LOG_STDERR, false, "after");
  for (long n = 0; n <= 5; n++)
    {
      struct lines t = read_lines (path, n, false);

      assert_same_tail (&l, &t, (size_t)n);
      lines_free (&t);
    }
  lines_free (&l);
}
END_TEST

START_TEST (writer_rejects_an_unknown_stream)
{
  cleanup_free char *path = in_scratch ("log");
  struct mr_log_writer *w = writer (path, 0, 0);
  struct mr_error err = { 0 };

  ck_assert_int_lt (mr_log_writer_feed (w, 3, "x\n", 2, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "unknown stream 3"));
  ck_assert_int_lt (mr_log_writer_feed (w, 0, "x\n", 2, &err), 0);
  mr_log_writer_close (w);
}
END_TEST

START_TEST (writer_refuses_a_fifo_without_blocking)
{
  cleanup_free char *path = in_scratch ("log");
  struct mr_log_writer *w = NULL;
  struct mr_error err = { 0 };

  ck_assert_int_eq (mkfifo (path, 0600), 0);
  ck_assert_int_lt (mr_log_writer_open (path, 0, 0, &w, &err), 0);
  ck_assert_ptr_null (w);
  ck_assert_ptr_nonnull (strstr (err.msg, path));
}
END_TEST

START_TEST (writer_refuses_too_many_rotated_files)
{
  cleanup_free char *path = in_scratch ("log");
  struct mr_log_writer *w = NULL;
  struct mr_error err = { 0 };

  ck_assert_int_lt (mr_log_writer_open (path, 100, MR_LOG_MAX_FILES + 1, &w, &err), 0);
  ck_assert_ptr_null (w);
}
END_TEST

/* --- rotation ----------------------------------------------------------------- */

static char *
numbered (const char *path, unsigned i)
{
  char *p;

  ck_assert_int_ge (asprintf (&p, "%s.%u", path, i), 0);
  return p;
}

START_TEST (rotation_keeps_max_files_and_never_splits_a_record)
{
  cleanup_free char *path = in_scratch ("log");
  struct mr_log_writer *w = writer (path, 1000, 3);
  const char *files[4];
  char buf[32];
  int next = -1;

  for (int i = 0; i < 200; i++)
    {
      snprintf (buf, sizeof buf, "line %03d\n", i);
      feed (w, MR_LOG_STDOUT, buf);
    }
  mr_log_writer_close (w);

  files[0] = numbered (path, 3);
  files[1] = numbered (path, 2);
  files[2] = numbered (path, 1);
  files[3] = path;
  {
    cleanup_free char *p4 = numbered (path, 4);
    ck_assert (!exists (p4));
  }
  /* oldest to newest, the files hold consecutive lines up to the last */
  for (int f = 0; f < 4; f++)
    {
      size_t len, n;
      cleanup_free char *data = get_file (files[f], &len);
      char **r = records (files[f], &n);

      ck_assert_uint_le (len, 1000);
      ck_assert_uint_gt (len, 0);
      ck_assert_int_eq (data[len - 1], '\n');
      for (size_t i = 0; i < n; i++)
        {
          int v;
          char want[32];

          ck_assert_int_eq (sscanf (r[i] + MR_LOG_TIME_LEN, " stdout F line %d", &v), 1);
          if (next >= 0)
            ck_assert_int_eq (v, next);
          next = v + 1;
          snprintf (want, sizeof want, "stdout F line %03d", v);
          assert_record (r[i], want, NULL, NULL);
        }
      free_strv (r);
    }
  ck_assert_int_eq (next, 200);
  for (int f = 0; f < 3; f++)
    free ((char *)files[f]);
}
END_TEST

START_TEST (rotation_with_no_files_to_keep_starts_over)
{
  cleanup_free char *path = in_scratch ("log");
  cleanup_free char *p1 = numbered (path, 1);
  struct mr_log_writer *w = writer (path, 200, 0);
  struct lines l;

  for (int i = 0; i < 20; i++)
    feed (w, MR_LOG_STDOUT, "0123456789\n");
  feed (w, MR_LOG_STDOUT, "last\n");
  mr_log_writer_close (w);
  ck_assert (!exists (p1));
  l = read_lines (path, -1, false);
  ck_assert_uint_ge (l.n, 1);
  ck_assert_uint_le (l.n, 4);
  assert_line (&l, l.n - 1, MR_LOG_STDOUT, false, "last");
  lines_free (&l);
}
END_TEST

START_TEST (rotation_drops_files_beyond_a_smaller_max_files)
{
  cleanup_free char *path = in_scratch ("log");
  cleanup_free char *p2 = numbered (path, 2);
  cleanup_free char *p3 = numbered (path, 3);
  struct mr_log_writer *w = writer (path, 100, 3);

  for (int i = 0; i < 20; i++)
    feed (w, MR_LOG_STDOUT, "0123456789\n");
  mr_log_writer_close (w);
  ck_assert (exists (p3));
  w = writer (path, 100, 1);
  for (int i = 0; i < 3; i++)
    feed (w, MR_LOG_STDOUT, "0123456789\n");
  mr_log_writer_close (w);
  ck_assert (!exists (p2));
  ck_assert (!exists (p3));
}
END_TEST

/* Lines of mixed lengths and streams, many records split over files.  */
static void
write_mixed (const char *path, int count, uint64_t max_size, struct lines *want)
{
  struct mr_log_writer *w = writer (path, max_size, MR_LOG_MAX_FILES);

  memset (want, 0, sizeof *want);
  for (int i = 0; i < count; i++)
    {
      size_t len = i % 37 == 5 ? 40000 + (size_t)i : (size_t)(i % 23);
      char *text = malloc (len + 2);
      struct mr_log_record r = { .stream = i % 3 == 0 ? MR_LOG_STDERR : MR_LOG_STDOUT };
      struct mr_error err = { 0 };

      ck_assert_ptr_nonnull (text);
      for (size_t k = 0; k < len; k++)
        text[k] = (char)('a' + (i + k) % 26);
      if (len >= 4)
        memcpy (text, &i, sizeof i < len ? sizeof i : len);
      for (size_t k = 0; k < len; k++)
        if (text[k] == '\n')
          text[k] = '.';
      text[len] = '\n';
      text[len + 1] = '\0';
      ck_assert_int_eq (mr_log_writer_feed (w, r.stream, text, len + 1, &err), 0);
      text[len] = '\0';
      r.text = text;
      r.len = len;
      collect (&r, want);
      free (text);
    }
  mr_log_writer_close (w);
}

static void
assert_same_lines (const struct lines *a, const struct lines *b)
{
  ck_assert_uint_eq (a->n, b->n);
  for (size_t i = 0; i < a->n; i++)
    {
      ck_assert_msg (a->v[i].len == b->v[i].len, "line %zu: length %zu, want %zu", i, b->v[i].len,
                     a->v[i].len);
      ck_assert_msg (memcmp (a->v[i].text, b->v[i].text, a->v[i].len) == 0, "line %zu differs", i);
      ck_assert_int_eq (a->v[i].stream, b->v[i].stream);
    }
}

START_TEST (reading_across_rotation_returns_every_line_in_order)
{
  cleanup_free char *path = in_scratch ("log");
  cleanup_free char *p1 = numbered (path, 1);
  cleanup_free char *p9 = numbered (path, 9);
  struct lines want, got;

  write_mixed (path, 300, 8192, &want);
  ck_assert (exists (p9));
  got = read_lines (path, -1, false);
  assert_same_lines (&want, &got);
  lines_free (&got);
  /* the oldest file going away (max_files) leaves the rest readable */
  ck_assert_int_eq (unlink (p1), 0);
  got = read_lines (path, -1, false);
  ck_assert_uint_gt (got.n, 0);
  ck_assert_uint_lt (got.n, want.n);
  lines_free (&got);
  lines_free (&want);
}
END_TEST

START_TEST (reading_a_missing_log_gives_no_lines)
{
  cleanup_free char *path = in_scratch ("nothing");
  struct lines l = read_lines (path, -1, false);

  ck_assert_uint_eq (l.n, 0);
  l = read_lines (path, 5, false);
  ck_assert_uint_eq (l.n, 0);
}
END_TEST

START_TEST (reading_in_a_missing_directory_fails)
{
  struct lines l = { 0 };
  struct mr_error err = { 0 };

  ck_assert_int_lt (mr_log_read ("/nonexistent-mr-dir/log", NULL, collect, &l, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "nonexistent-mr-dir"));
}
END_TEST

START_TEST (callback_stops_the_read)
{
  cleanup_free char *path = in_scratch ("log");
  struct lines want, got = { .stop_after = 3 };
  struct mr_error err = { 0 };

  write_mixed (path, 50, 4096, &want);
  ck_assert_int_eq (mr_log_read (path, NULL, collect, &got, &err), 0);
  ck_assert_uint_eq (got.n, 3);
  lines_free (&got);
  lines_free (&want);
}
END_TEST

/* --- tail ------------------------------------------------------------------------ */

static const long tails[] = { 0, 1, 2, 3, 5, 8, 17, 36, 37, 38, 100, 299, 300, 301, 100000 };

START_TEST (tail_across_rotation_gives_the_last_lines)
{
  cleanup_free char *path = in_scratch ("log");
  struct lines want, got;

  write_mixed (path, 300, 8192, &want);
  got = read_lines (path, tails[_i], false);
  assert_same_tail (&want, &got, (size_t)tails[_i]);
  lines_free (&got);
  lines_free (&want);
}
END_TEST

/* A small deterministic generator, so that a failure repeats.  */
static uint64_t
next_rand (uint64_t *s)
{
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return *s >> 33;
}

/* Random pieces of lines on both streams, flushes, rotation at random
   sizes: whatever the writer makes, tail N is the last N lines of all.  */
START_TEST (tail_matches_the_end_of_a_full_read_for_random_logs)
{
  cleanup_free char *path = in_scratch ("log");
  uint64_t seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(_i + 1);
  struct mr_log_writer *w = writer (path, 20000 + next_rand (&seed) % 60000, MR_LOG_MAX_FILES);
  cleanup_free char *buf = malloc (70000);
  struct lines all, complete = { 0 };
  struct mr_error err = { 0 };

  for (int op = 0; op < 300; op++)
    {
      bool big = next_rand (&seed) % 8 == 0;
      size_t len = big ? next_rand (&seed) % 70000 : next_rand (&seed) % 60;
      unsigned nl = big ? (next_rand (&seed) % 2 ? 2000 : 60000) : 9;

      for (size_t k = 0; k < len; k++)
        buf[k] = next_rand (&seed) % nl == 0 ? '\n' : (char)('A' + next_rand (&seed) % 26);
      ck_assert_int_eq (mr_log_writer_feed (w, 1 + (int)(next_rand (&seed) % 2), buf, len, &err),
                        0);
      if (next_rand (&seed) % 10 == 0)
        ck_assert_int_eq (mr_log_writer_flush (w, &err), 0);
    }
  mr_log_writer_close (w);

  all = read_lines (path, -1, false);
  for (size_t n = 0; n <= all.n + 1; n += 1 + n / 8)
    {
      struct lines got = read_lines (path, (long)n, false);

      assert_same_tail (&all, &got, n);
      lines_free (&got);
    }

  /* following, the tail counts complete lines only: the unfinished ones at
     the end are handed out when the follow ends by stop_fd */
  for (size_t i = 0; i < all.n; i++)
    if (!(all.v[i].partial && i + 2 >= all.n))
      collect (&(struct mr_log_record){ .text = all.v[i].text,
                                        .len = all.v[i].len,
                                        .stream = all.v[i].stream,
                                        .partial = all.v[i].partial },
               &complete);
  for (size_t n = 0; n <= complete.n + 1; n += 1 + n / 3)
    {
      static const volatile sig_atomic_t stop = 1;
      struct mr_log_read_opts o = { .size = sizeof o, .tail = (long)n, .stop = &stop };
      struct lines got = { 0 };

      ck_assert_int_eq (mr_log_follow (path, &o, -1, collect, &got, &err), 0);
      assert_same_tail (&complete, &got, n);
      lines_free (&got);
    }
  lines_free (&complete);
  lines_free (&all);
}
END_TEST

/* A 4 GiB hole before the records: a tail that read the file from its start
   would take far longer than the test's timeout.  */
START_TEST (tail_reads_only_the_end_of_a_big_file)
{
  cleanup_free char *path = in_scratch ("log");
  const char recs[] = "\n2026-11-22T10:00:01Z stdout F one\n"
                      "2026-11-22T10:00:02Z stdout P tw\n"
                      "2026-11-22T10:00:03Z stderr F three\n"
                      "2026-11-22T10:00:04Z stdout F o\n";
  int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  struct lines l;

  ck_assert_int_ge (fd, 0);
  ck_assert_int_eq (pwrite (fd, recs, sizeof recs - 1, 4LL << 30), (ssize_t)sizeof recs - 1);
  close (fd);
  l = read_lines (path, 2, false);
  ck_assert_uint_eq (l.n, 2);
  assert_line (&l, 0, MR_LOG_STDERR, false, "three");
  assert_line (&l, 1, MR_LOG_STDOUT, false, "two");
  lines_free (&l);
}
END_TEST

/* --- since, timestamps ------------------------------------------------------------ */

static const char timed[] = "2026-11-22T10:00:00.5Z stdout F zero\n"
                            "2026-11-22T10:00:01.5Z stdout F one\n"
                            "2026-11-22T10:00:02.4Z stdout P tw\n"
                            "2026-11-22T10:00:02.5Z stdout F o\n"
                            "2026-11-22T12:00:03.5+02:00 stderr F three\n"
                            "2026-11-22T10:00:04.5Z stdout F four\n";

START_TEST (since_keeps_lines_at_or_after_the_time)
{
  cleanup_free char *path = in_scratch ("log");
  struct mr_log_read_opts o = { .size = sizeof o, .tail = -1, .since_set = true };
  struct mr_error err = { 0 };
  struct lines l = { 0 };

  put_bytes (path, timed, sizeof timed - 1);
  ck_assert_int_eq (mr_log_parse_since ("2026-11-22T10:00:02.5Z", &o.since, &err), 0);
  ck_assert_int_eq (mr_log_read (path, &o, collect, &l, &err), 0);
  ck_assert_uint_eq (l.n, 3);
  /* a joined line has the time of its last record */
  assert_line (&l, 0, MR_LOG_STDOUT, false, "two");
  assert_line (&l, 1, MR_LOG_STDERR, false, "three");
  assert_line (&l, 2, MR_LOG_STDOUT, false, "four");
  lines_free (&l);

  o.tail = 2;
  ck_assert_int_eq (mr_log_read (path, &o, collect, &l, &err), 0);
  ck_assert_uint_eq (l.n, 2);
  assert_line (&l, 0, MR_LOG_STDERR, false, "three");
  lines_free (&l);

  o.tail = -1;
  ck_assert_int_eq (mr_log_parse_since ("2026-11-23", &o.since, &err), 0);
  ck_assert_int_eq (mr_log_read (path, &o, collect, &l, &err), 0);
  ck_assert_uint_eq (l.n, 0);
}
END_TEST

START_TEST (timestamps_prefix_each_line_with_its_utc_time)
{
  cleanup_free char *path = in_scratch ("log");
  struct lines l;

  put_bytes (path, timed, sizeof timed - 1);
  l = read_lines (path, -1, true);
  ck_assert_uint_eq (l.n, 5);
  ck_assert_str_eq (l.v[0].text, "2026-11-22T10:00:00.500000000Z zero");
  ck_assert_uint_eq (l.v[0].len, strlen (l.v[0].text));
  ck_assert_str_eq (l.v[2].text, "2026-11-22T10:00:02.500000000Z two");
  ck_assert_str_eq (l.v[3].text, "2026-11-22T10:00:03.500000000Z three");
  ck_assert_int_eq (l.v[3].time.tv_sec, 1795341603);
  ck_assert_int_eq (l.v[3].time.tv_nsec, 500000000);
  lines_free (&l);
}
END_TEST

START_TEST (format_time_is_rfc3339_utc_with_nanoseconds)
{
  char buf[MR_LOG_TIME_LEN + 1];
  struct timespec ts = { 1795341600, 123456789 };

  ck_assert_int_eq (mr_log_format_time (&ts, buf, sizeof buf), MR_LOG_TIME_LEN);
  ck_assert_str_eq (buf, "2026-11-22T10:00:00.123456789Z");
  ts.tv_sec = 0;
  ts.tv_nsec = 7;
  ck_assert_int_eq (mr_log_format_time (&ts, buf, sizeof buf), MR_LOG_TIME_LEN);
  ck_assert_str_eq (buf, "1970-01-01T00:00:00.000000007Z");
  ck_assert_int_lt (mr_log_format_time (&ts, buf, MR_LOG_TIME_LEN), 0);
  ts.tv_nsec = 1000000000L;
  ck_assert_int_lt (mr_log_format_time (&ts, buf, sizeof buf), 0);
}
END_TEST

/* --- hostile files --------------------------------------------------------------- */

START_TEST (malformed_and_truncated_records_are_skipped)
{
  cleanup_free char *path = in_scratch ("log");
  cleanup_free char *p1 = numbered (path, 1);
  const char good_nul[] = "2026-11-22T10:00:00Z stdout F nul\0byte\n";
  const char older[] = "2026-11-22T10:00:00Z stdout F old\n"
                       "2026-11-22T10:00:00Z stdout P cut sho"; /* cut by a full disk */
  const char bad[] = "\n"
                     "garbage\n"
                     "2026-11-22T10:00:00Z stdout F first\n"
                     "2026-13-22T10:00:00Z stdout F bad month\n"
                     "2026-02-30T10:00:00Z stdout F bad day\n"
                     "2026-11-22T24:00:00Z stdout F bad hour\n"
                     "2026-11-22T10:00:00 stdout F no zone\n"
                     "2026-11-22T10:00:00.Z stdout F empty fraction\n"
                     "2026-11-22T10:00:00.1234567890Z stdout F ten digits\n"
                     "2026-11-22T10:00:00+0200 stdout F bad offset\n"
                     "2026-11-22T10:00:00Z stdin F bad stream\n"
                     "2026-11-22T10:00:00Z stdout X bad tag\n"
                     "2026-11-22T10:00:00Z stdout FF bad tag\n"
                     "2026-11-22T10:00:00Z stdout\n"
                     "2026-11-22T10:00:00Z stdout \n"
                     "2026-11-22T10:00:00Z  stdout F two spaces\n"
                     "2026-11-22T10:00:00Z stdout P sec\n"
                     "not a record between the parts\n"
                     "2026-11-22T10:00:00Z stdout F:x ond\n"
                     "2026-11-22T10:00:00Z stderr F\n"
                     "1969-12-31T23:59:59Z stdout F before 1970\n"
                     "2026-11-22";
  size_t off = 0;
  cleanup_free char *data = malloc (sizeof bad + sizeof good_nul + 300 * 1024 + 200);
  struct lines l;

  put_bytes (p1, older, sizeof older - 1);
  memcpy (data + off, bad, sizeof bad - 1);
  off += sizeof bad - 1;
  /* the truncated "2026-11-22" above glues onto this record */
  memcpy (data + off, "T10:00:00Z stdout F glued\n", 26);
  off += 26;
  memcpy (data + off, good_nul, sizeof good_nul - 1);
  off += sizeof good_nul - 1;
  /* a record past the reader's bound */
  memcpy (data + off, "2026-11-22T10:00:00Z stdout F ", 30);
  off += 30;
  memset (data + off, 'h', 300 * 1024 - 1);
  off += 300 * 1024 - 1;
  data[off++] = '\n';
  memcpy (data + off, "2026-11-22T10:00:00Z stdout F last\n2026-11-22T10:0", 50);
  off += 50;
  put_bytes (path, data, off);

  l = read_lines (path, -1, false);
  ck_assert_uint_eq (l.n, 7);
  assert_line (&l, 0, MR_LOG_STDOUT, false, "old");
  assert_line (&l, 1, MR_LOG_STDOUT, false, "first");
  assert_line (&l, 2, MR_LOG_STDOUT, false, "second");
  assert_line (&l, 3, MR_LOG_STDERR, false, "");
  assert_line (&l, 4, MR_LOG_STDOUT, false, "glued");
  ck_assert_uint_eq (l.v[5].len, 8);
  ck_assert (memcmp (l.v[5].text, "nul\0byte", 8) == 0);
  assert_line (&l, 6, MR_LOG_STDOUT, false, "last");
  for (long n = 0; n <= 8; n++)
    {
      struct lines t = read_lines (path, n, false);

      assert_same_tail (&l, &t, (size_t)n);
      lines_free (&t);
    }
  lines_free (&l);
}
END_TEST

/* Valid logs with random bytes changed, and pure noise: reading, tails and
   timestamps never crash or read out of bounds (ASan builds check).  */
START_TEST (random_corruption_never_crashes_the_reader)
{
  cleanup_free char *path = in_scratch ("log");
  uint64_t seed = 12345 + (uint64_t)_i;
  struct lines all;
  size_t len;
  cleanup_free char *data = NULL;

  write_mixed (path, 120, 0, &all);
  lines_free (&all);
  data = get_file (path, &len);
  for (int round = 0; round < 20; round++)
    {
      cleanup_free char *copy = malloc (len + 1);

      memcpy (copy, data, len);
      if (round % 5 == 4)
        for (size_t k = 0; k < len; k++)
          copy[k] = (char)next_rand (&seed);
      else
        for (int k = 0; k < 200; k++)
          copy[next_rand (&seed) % len] = "\n :.PFZT0123456789-+\0x"[next_rand (&seed) % 22];
      put_bytes (path, copy, len - next_rand (&seed) % 100);
      all = read_lines (path, -1, round % 2 == 0);
      for (long n = 0; n < 10; n++)
        {
          struct lines t = read_lines (path, n, round % 2 == 0);

          assert_same_tail (&all, &t, (size_t)n);
          lines_free (&t);
        }
      lines_free (&all);
    }
}
END_TEST

/* --- follow ------------------------------------------------------------------------- */

/* The child writes lines first..last through a writer that rotates small,
   once the parent says go (if go_fd >= 0), then exits: its end of the alive
   pipe closing tells the follower the writer is gone.  */
static pid_t
spawn_writer (const char *path, int first, int last, const char *tail, int go_fd, int *alive_fd)
{
  int alive[2];
  pid_t pid;

  ck_assert_int_eq (pipe2 (alive, O_CLOEXEC), 0);
  pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      struct mr_log_writer *w;
      struct mr_error err = { 0 };
      char c, buf[64];

      close (alive[0]);
      if (go_fd >= 0 && read (go_fd, &c, 1) != 1)
        _exit (2);
      if (go_fd < 0)
        usleep (100 * 1000);
      if (mr_log_writer_open (path, 1500, 100, &w, &err) < 0)
        _exit (3);
      for (int i = first; i <= last; i++)
        {
          int n = snprintf (buf, sizeof buf, "line %d\n", i);

          if (mr_log_writer_feed (w, i % 4 == 0 ? MR_LOG_STDERR : MR_LOG_STDOUT, buf, (size_t)n,
                                  &err)
              < 0)
            _exit (4);
          if (i % 25 == 0)
            usleep (2000);
        }
      if (tail && mr_log_writer_feed (w, MR_LOG_STDOUT, tail, strlen (tail), &err) < 0)
        _exit (5);
      mr_log_writer_close (w);
      _exit (0);
    }
  close (alive[1]);
  *alive_fd = alive[0];
  return pid;
}

static void
reap (pid_t pid)
{
  int status;

  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "writer status %d", status);
}

START_TEST (follow_picks_up_new_lines_across_rotations_until_stop_fd)
{
  cleanup_free char *path = in_scratch ("log");
  cleanup_free char *p5 = numbered (path, 5);
  struct mr_log_read_opts o = { .size = sizeof o, .tail = 3 };
  struct mr_error err = { 0 };
  struct mr_log_writer *w = writer (path, 1500, 100);
  struct lines l = { 0 };
  int go[2], alive;
  pid_t pid;
  char buf[64];

  for (int i = 0; i < 10; i++)
    {
      snprintf (buf, sizeof buf, "line %d\n", i);
      feed (w, i % 4 == 0 ? MR_LOG_STDERR : MR_LOG_STDOUT, buf);
    }
  mr_log_writer_close (w);
  ck_assert_int_eq (pipe2 (go, O_CLOEXEC), 0);
  pid = spawn_writer (path, 10, 400, "unfinished", go[0], &alive);
  close (go[0]);
  /* the writer starts once the tail has been handed out */
  l.go_fd = go[1];
  l.go_after = 3;
  ck_assert_msg (mr_log_follow (path, &o, alive, collect, &l, &err) == 0, "%s", err.msg);
  reap (pid);
  close (go[1]);
  close (alive);
  ck_assert (exists (p5));

  /* the tail (7 to 9), the child's lines, its unfinished one */
  ck_assert_uint_eq (l.n, 3 + 391 + 1);
  for (int i = 7; i <= 400; i++)
    {
      snprintf (buf, sizeof buf, "line %d", i);
      assert_line (&l, (size_t)(i - 7), i % 4 == 0 ? MR_LOG_STDERR : MR_LOG_STDOUT, false, buf);
    }
  assert_line (&l, l.n - 1, MR_LOG_STDOUT, true, "unfinished");
  lines_free (&l);
}
END_TEST

START_TEST (follow_waits_for_a_log_that_does_not_exist_yet)
{
  cleanup_free char *path = in_scratch ("later");
  struct mr_log_read_opts o = { .size = sizeof o, .tail = -1 };
  struct mr_error err = { 0 };
  struct lines l = { 0 };
  int alive;
  pid_t pid = spawn_writer (path, 1, 3, NULL, -1, &alive);

  ck_assert_msg (mr_log_follow (path, &o, alive, collect, &l, &err) == 0, "%s", err.msg);
  reap (pid);
  close (alive);
  ck_assert_uint_eq (l.n, 3);
  assert_line (&l, 2, MR_LOG_STDOUT, false, "line 3");
  lines_free (&l);
}
END_TEST

static volatile sig_atomic_t stop_flag;

static void
on_alarm (int sig)
{
  (void)sig;
  stop_flag = 1;
}

START_TEST (follow_returns_when_the_stop_flag_is_set)
{
  cleanup_free char *path = in_scratch ("log");
  struct mr_log_read_opts o = { .size = sizeof o, .tail = -1, .stop = &stop_flag };
  struct sigaction sa = { .sa_handler = on_alarm };
  struct itimerval it = { .it_value = { 0, 200 * 1000 } };
  struct mr_error err = { 0 };
  struct mr_log_writer *w = writer (path, 0, 0);
  struct lines l = { 0 };
  struct timespec t0, t1;

  feed (w, MR_LOG_STDOUT, "only\n");
  feed (w, MR_LOG_STDOUT, "unfinished");
  mr_log_writer_close (w);
  stop_flag = 0;
  ck_assert_int_eq (sigaction (SIGALRM, &sa, NULL), 0);
  ck_assert_int_eq (setitimer (ITIMER_REAL, &it, NULL), 0);
  clock_gettime (CLOCK_MONOTONIC, &t0);
  ck_assert_int_eq (mr_log_follow (path, &o, -1, collect, &l, &err), 0);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  ck_assert_int_eq (stop_flag, 1);
  ck_assert_int_lt (t1.tv_sec - t0.tv_sec, 3);
  /* stopped by the reader: the unfinished line may still be ended */
  ck_assert_uint_eq (l.n, 1);
  assert_line (&l, 0, MR_LOG_STDOUT, false, "only");
  lines_free (&l);
}
END_TEST

START_TEST (follow_returns_when_the_callback_says_stop)
{
  cleanup_free char *path = in_scratch ("log");
  struct mr_error err = { 0 };
  struct mr_log_writer *w = writer (path, 0, 0);
  struct lines l = { .stop_after = 2 };

  feed (w, MR_LOG_STDOUT, "a\nb\nc\n");
  mr_log_writer_close (w);
  ck_assert_int_eq (mr_log_follow (path, NULL, -1, collect, &l, &err), 0);
  ck_assert_uint_eq (l.n, 2);
  lines_free (&l);
}
END_TEST

/* --- parse_since ----------------------------------------------------------------- */

static const struct
{
  const char *s;
  long long sec;
  long nsec;
} good_since[] = {
  { "2026-11-22T10:00:00.123456789Z", 1795341600, 123456789 },
  { "2026-11-22T10:00:00Z", 1795341600, 0 },
  { "2026-11-22t10:00:00z", 1795341600, 0 },
  { "2026-11-22T10:00:00.5Z", 1795341600, 500000000 },
  { "2026-11-22T12:30:00+02:30", 1795341600, 0 },
  { "2026-11-22T07:00:00-03:00", 1795341600, 0 },
  { "2026-11-22T10:00:00", 1795341600, 0 },
  { "2026-11-22", 1795305600, 0 },
  { "2024-02-29", 1709164800, 0 },
  { "2000-03-01T00:00:00Z", 951868800, 0 },
  { "1970-01-01T00:00:00Z", 0, 0 },
  { "1700000000", 1700000000, 0 },
  { "1700000000.25", 1700000000, 250000000 },
  { "0", 0, 0 },
};

START_TEST (parse_since_takes_times_dates_and_unix_times)
{
  struct timespec ts;
  struct mr_error err = { 0 };

  ck_assert_msg (mr_log_parse_since (good_since[_i].s, &ts, &err) == 0, "%s: %s", good_since[_i].s,
                 err.msg);
  ck_assert_msg (ts.tv_sec == good_since[_i].sec && ts.tv_nsec == good_since[_i].nsec,
                 "%s: got %lld.%09ld", good_since[_i].s, (long long)ts.tv_sec, ts.tv_nsec);
}
END_TEST

static const struct
{
  const char *s;
  long long ago_ms;
} durations[] = {
  { "30s", 30000 },    { "10m", 600000 }, { "2h", 7200000 },   { "1h30m", 5400000 },
  { "1.5h", 5400000 }, { "500ms", 500 },  { "2d", 172800000 }, { "0s", 0 },
};

START_TEST (parse_since_takes_durations_before_now)
{
  struct timespec before, after, ts;
  struct mr_error err = { 0 };
  long long got_ms, lo, hi;

  clock_gettime (CLOCK_REALTIME, &before);
  ck_assert_msg (mr_log_parse_since (durations[_i].s, &ts, &err) == 0, "%s: %s", durations[_i].s,
                 err.msg);
  clock_gettime (CLOCK_REALTIME, &after);
  got_ms = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
  lo = before.tv_sec * 1000LL + before.tv_nsec / 1000000 - durations[_i].ago_ms - 1;
  hi = after.tv_sec * 1000LL + after.tv_nsec / 1000000 - durations[_i].ago_ms + 1;
  ck_assert_msg (got_ms >= lo && got_ms <= hi, "%s: %lld not in [%lld, %lld]", durations[_i].s,
                 got_ms, lo, hi);
}
END_TEST

START_TEST (parse_since_clamps_a_duration_longer_than_the_epoch)
{
  struct timespec ts;
  struct mr_error err = { 0 };

  ck_assert_int_eq (mr_log_parse_since ("999999h", &ts, &err), 0);
  ck_assert_int_eq (ts.tv_sec, 0);
  ck_assert_int_eq (ts.tv_nsec, 0);
}
END_TEST

static const char *const bad_since[] = {
  "",
  " ",
  "abc",
  "10x",
  "-5m",
  "m",
  "10m5",
  "1.h",
  ".5h",
  "5 m",
  "99999999999999999999s",
  "1.5.3",
  "1700000000.",
  "1700000000.1234567891",
  "999999999999",
  "2026-13-01",
  "2026-02-29",
  "2026-11-31",
  "2026-11-22T25:00:00Z",
  "2026-11-22T10:60:00Z",
  "2026-11-22T10:00:00+24:00",
  "2026-11-22T10:00:00+02",
  "2026-11-22T10:00:00Zjunk",
  "2026-11-22 10:00:00",
  "2026-11-2",
  "0000-01-01",
  "1969-12-31",
  "10000-01-01",
};

START_TEST (parse_since_rejects_garbage)
{
  struct timespec ts;
  struct mr_error err = { 0 };

  ck_assert_msg (mr_log_parse_since (bad_since[_i], &ts, &err) < 0, "'%s' accepted", bad_since[_i]);
  ck_assert_ptr_nonnull (strstr (err.msg, "invalid time"));
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("log");
  TCase *t;

  t = tcase_create ("writer");
  tcase_add_checked_fixture (t, setup, teardown);
  tcase_add_test (t, writer_writes_each_complete_line_as_one_f_record);
  tcase_add_test (t, writer_appends_to_an_existing_log);
  tcase_add_test (t, writer_splits_long_lines_into_p_records_then_f);
  tcase_add_test (t, writer_flushes_an_unfinished_line_at_close);
  tcase_add_test (t, writer_keeps_the_order_of_interleaved_streams);
  tcase_add_test (t, flushed_partial_record_joins_the_next_line_of_its_stream);
  tcase_add_test (t, lines_over_a_mebibyte_come_in_partial_pieces);
  tcase_add_test (t, writer_rejects_an_unknown_stream);
  tcase_add_test (t, writer_refuses_a_fifo_without_blocking);
  tcase_add_test (t, writer_refuses_too_many_rotated_files);
  suite_add_tcase (s, t);

  t = tcase_create ("rotation");
  tcase_add_checked_fixture (t, setup, teardown);
  tcase_add_test (t, rotation_keeps_max_files_and_never_splits_a_record);
  tcase_add_test (t, rotation_with_no_files_to_keep_starts_over);
  tcase_add_test (t, rotation_drops_files_beyond_a_smaller_max_files);
  tcase_add_test (t, reading_across_rotation_returns_every_line_in_order);
  suite_add_tcase (s, t);

  t = tcase_create ("read");
  tcase_add_checked_fixture (t, setup, teardown);
  tcase_set_timeout (t, 60);
  tcase_add_test (t, reading_a_missing_log_gives_no_lines);
  tcase_add_test (t, reading_in_a_missing_directory_fails);
  tcase_add_test (t, callback_stops_the_read);
  tcase_add_loop_test (t, tail_across_rotation_gives_the_last_lines, 0, N (tails));
  tcase_add_loop_test (t, tail_matches_the_end_of_a_full_read_for_random_logs, 0, 6);
  tcase_add_test (t, tail_reads_only_the_end_of_a_big_file);
  tcase_add_test (t, since_keeps_lines_at_or_after_the_time);
  tcase_add_test (t, timestamps_prefix_each_line_with_its_utc_time);
  tcase_add_test (t, format_time_is_rfc3339_utc_with_nanoseconds);
  tcase_add_test (t, malformed_and_truncated_records_are_skipped);
  tcase_add_loop_test (t, random_corruption_never_crashes_the_reader, 0, 4);
  suite_add_tcase (s, t);

  t = tcase_create ("follow");
  tcase_add_checked_fixture (t, setup, teardown);
  tcase_set_timeout (t, 30);
  tcase_add_test (t, follow_picks_up_new_lines_across_rotations_until_stop_fd);
  tcase_add_test (t, follow_waits_for_a_log_that_does_not_exist_yet);
  tcase_add_test (t, follow_returns_when_the_stop_flag_is_set);
  tcase_add_test (t, follow_returns_when_the_callback_says_stop);
  suite_add_tcase (s, t);

  t = tcase_create ("since");
  tcase_add_loop_test (t, parse_since_takes_times_dates_and_unix_times, 0, N (good_since));
  tcase_add_loop_test (t, parse_since_takes_durations_before_now, 0, N (durations));
  tcase_add_test (t, parse_since_clamps_a_duration_longer_than_the_epoch);
  tcase_add_loop_test (t, parse_since_rejects_garbage, 0, N (bad_since));
  suite_add_tcase (s, t);

  return unit_run (s);
}
