#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "managed/log.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

/* " stdout F " */
#define STREAM_TAG_LEN 10
#define HEADER_LEN (MR_LOG_TIME_LEN + STREAM_TAG_LEN)
/* The largest record the reader takes: room for the line sizes other writers
   use, a bound against a hostile file.  */
#define RECORD_MAX (256 * 1024)
/* A joined line longer than this is handed out in pieces.  */
#define JOIN_MAX (1024 * 1024)
/* Enough of a record to know its time, stream and tag: a time with a zone
   offset and nine fraction digits is 35 bytes.  */
#define PEEK_LEN 128
#define BLOCK (64 * 1024)
/* Time to notice *stop when its signal came just before the wait.  */
#define STOP_POLL_MS 200
/* 9999-12-31T23:59:59Z: times outside 1970-9999 are not log times.  */
#define TIME_LAST 253402300799LL

static const char *const stream_names[] = { "stdout", "stderr" };

int
mr_log_format_time (const struct timespec *ts, char *buf, size_t size)
{
  char tmp[64];
  struct tm tm;
  time_t t = ts->tv_sec;
  int n;

  if (ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L || gmtime_r (&t, &tm) == NULL
      || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
    return -1;
  n = snprintf (tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)ts->tv_nsec);
  if (n != MR_LOG_TIME_LEN || size < MR_LOG_TIME_LEN + 1)
    return -1;
  memcpy (buf, tmp, MR_LOG_TIME_LEN + 1);
  return MR_LOG_TIME_LEN;
}

/* --- writer ---------------------------------------------------------------- */

struct pending
{
  char buf[MR_LOG_LINE_MAX];
  size_t len;
  struct timespec time; /* when its last bytes were fed */
};

struct mr_log_writer
{
  char *path;
  char *from, *to; /* rotated names, built in place */
  size_t name_size;
  int fd;
  uint64_t size;
  uint64_t max_size;
  unsigned max_files;
  struct pending pend[2];
  char rec[HEADER_LEN + MR_LOG_LINE_MAX + 1]; /* one record, for its single write */
};

static void
writer_free (struct mr_log_writer *w)
{
  if (w == NULL)
    return;
  if (w->fd >= 0)
    close (w->fd);
  free (w->path);
  free (w->from);
  free (w->to);
  munmap (w, sizeof *w);
}

static void
writer_freep (struct mr_log_writer **w)
{
  writer_free (*w);
}

static int
writer_open_file (struct mr_log_writer *w, struct mr_error *err)
{
  struct stat st;
  /* O_NONBLOCK: a fifo put in the log's place fails instead of blocking the
     monitor; on a regular file it changes nothing.  */
  int fd
      = open (w->path,
              O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0640);

  if (fd < 0)
    return mr_error_errno (err, errno, "open log '%s'", w->path);
  if (fstat (fd, &st) < 0)
    {
      int e = errno;
      close (fd);
      return mr_error_errno (err, e, "stat log '%s'", w->path);
    }
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      return mr_error_set (err, "log '%s' is not a regular file", w->path);
    }
  w->fd = fd;
  w->size = (uint64_t)st.st_size;
  return 0;
}

int
mr_log_writer_open (const char *path, uint64_t max_size, unsigned max_files,
                    struct mr_log_writer **out, struct mr_error *err)
{
  __attribute__ ((cleanup (writer_freep))) struct mr_log_writer *w = NULL;

  if (max_files > MR_LOG_MAX_FILES)
    return mr_error_set (err, "log '%s': %u rotated files, at most %u", path, max_files,
                         MR_LOG_MAX_FILES);
  /* its own mapping, not the heap: the monitor holds it for as long as the
     container runs, and only the pages a burst of output touched count */
  w = mmap (NULL, sizeof *w, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (w == MAP_FAILED)
    {
      w = NULL;
      return mr_error_errno (err, errno, "open log '%s': map its buffer", path);
    }
  w->fd = -1;
  w->max_size = max_size;
  w->max_files = max_files;
  w->name_size = strlen (path) + sizeof ".4294967295";
  w->path = strdup (path);
  w->from = malloc (w->name_size);
  w->to = malloc (w->name_size);
  if (w->path == NULL || w->from == NULL || w->to == NULL)
    return mr_error_errno (err, ENOMEM, "open log '%s'", path);
  if (writer_open_file (w, err) < 0)
    return -1;
  *out = steal_pointer (&w);
  return 0;
}

static void
rotated_name (const struct mr_log_writer *w, char *buf, unsigned n)
{
  snprintf (buf, w->name_size, "%s.%u", w->path, n);
}

/* path.N-1 -> path.N ... path -> path.1, so that a reader that opens path
   first and then path.1, path.2 ... meets every file at least once.  */
static int
writer_rotate (struct mr_log_writer *w, struct mr_error *err)
{
  unsigned i;

  for (i = w->max_files; i > 1; i--)
    {
      rotated_name (w, w->from, i - 1);
      rotated_name (w, w->to, i);
      if (rename (w->from, w->to) < 0 && errno != ENOENT)
        return mr_error_errno (err, errno, "rotate log '%s' to '%s'", w->from, w->to);
    }
  if (w->max_files == 0)
    {
      if (unlink (w->path) < 0 && errno != ENOENT)
        return mr_error_errno (err, errno, "remove full log '%s'", w->path);
    }
  else
    {
      rotated_name (w, w->to, 1);
      if (rename (w->path, w->to) < 0)
        return mr_error_errno (err, errno, "rotate log '%s' to '%s'", w->path, w->to);
    }
  /* Files left beyond the limit by an earlier, larger max_files: a follower
     that lost track would take them for new.  */
  for (i = w->max_files + 1; i <= MR_LOG_MAX_FILES; i++)
    {
      rotated_name (w, w->from, i);
      unlink (w->from);
    }
  close (w->fd);
  w->fd = -1;
  return writer_open_file (w, err);
}

/* One record: header, a then b (a line that began in the pending buffer and
   ends in the bytes just fed), newline; one write.  */
static int
writer_record (struct mr_log_writer *w, int stream, char tag, const struct timespec *t,
               const char *a, size_t alen, const char *b, size_t blen, struct mr_error *err)
{
  char *p = w->rec;
  size_t len;
  ssize_t n;

  /* a rotation that could not open the new file tries again */
  if (w->fd < 0 && writer_open_file (w, err) < 0)
    return -1;
  if (mr_log_format_time (t, p, sizeof w->rec) < 0)
    return mr_error_set (err, "log '%s': clock out of range", w->path);
  p += MR_LOG_TIME_LEN;
  *p++ = ' ';
  memcpy (p, stream_names[stream - 1], 6);
  p += 6;
  *p++ = ' ';
  *p++ = tag;
  *p++ = ' ';
  if (alen > 0)
    memcpy (p, a, alen);
  p += alen;
  if (blen > 0)
    memcpy (p, b, blen);
  p += blen;
  *p++ = '\n';
  len = (size_t)(p - w->rec);

  if (w->max_size > 0 && w->size > 0 && w->size + len > w->max_size && writer_rotate (w, err) < 0)
    return -1;

  do
    n = write (w->fd, w->rec, len);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return mr_error_errno (err, errno, "write log '%s'", w->path);
  if ((size_t)n < len && mr_write_all (w->fd, w->rec + n, len - (size_t)n) < 0)
    {
      int e = errno;
      /* Take back the start of the record, so that readers never meet it.  */
      if (ftruncate (w->fd, (off_t)w->size) < 0)
        w->size += (uint64_t)n;
      return mr_error_errno (err, e, "write log '%s'", w->path);
    }
  w->size += len;
  return 0;
}

int
mr_log_writer_feed (struct mr_log_writer *w, int stream, const char *buf, size_t len,
                    struct mr_error *err)
{
  struct pending *pd;
  struct timespec now;

  if (stream != MR_LOG_STDOUT && stream != MR_LOG_STDERR)
    return mr_error_set (err, "log '%s': unknown stream %d", w->path, stream);
  if (len == 0)
    return 0;
  pd = &w->pend[stream - 1];
  clock_gettime (CLOCK_REALTIME, &now);

  while (len > 0)
    {
      const char *nl = memchr (buf, '\n', len);
      size_t seg = nl ? (size_t)(nl - buf) : len;

      if (nl == NULL)
        {
          while (seg > 0)
            {
              size_t take;

              /* A full buffer leaves only once more bytes show that the line
                 goes on: a line of exactly MR_LOG_LINE_MAX stays one F.  */
              if (pd->len == MR_LOG_LINE_MAX)
                {
                  if (writer_record (w, stream, 'P', &now, pd->buf, pd->len, NULL, 0, err) < 0)
                    return -1;
                  pd->len = 0;
                }
              take = MR_LOG_LINE_MAX - pd->len;
              if (take > seg)
                take = seg;
              memcpy (pd->buf + pd->len, buf, take);
              pd->len += take;
              buf += take;
              seg -= take;
            }
          pd->time = now;
          return 0;
        }

      while (pd->len + seg > MR_LOG_LINE_MAX)
        {
          size_t take = MR_LOG_LINE_MAX - pd->len;

          if (writer_record (w, stream, 'P', &now, pd->buf, pd->len, buf, take, err) < 0)
            return -1;
          pd->len = 0;
          buf += take;
          seg -= take;
          len -= take;
        }
      if (writer_record (w, stream, 'F', &now, pd->buf, pd->len, buf, seg, err) < 0)
        return -1;
      pd->len = 0;
      buf += seg + 1;
      len -= seg + 1;
    }
  return 0;
}

static bool
ts_before (const struct timespec *a, const struct timespec *b)
{
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

int
mr_log_writer_flush (struct mr_log_writer *w, struct mr_error *err)
{
  /* The stream that waited longer first, so that times keep their order.  */
  int first = ts_before (&w->pend[1].time, &w->pend[0].time) ? 1 : 0;

  for (int k = 0; k < 2; k++)
    {
      int s = k == 0 ? first : 1 - first;
      struct pending *pd = &w->pend[s];

      if (pd->len == 0)
        continue;
      if (writer_record (w, s + 1, 'P', &pd->time, pd->buf, pd->len, NULL, 0, err) < 0)
        return -1;
      pd->len = 0;
    }
  return 0;
}

void
mr_log_writer_close (struct mr_log_writer *w)
{
  struct mr_error ignored;

  if (w == NULL)
    return;
  mr_log_writer_flush (w, &ignored);
  writer_free (w);
}

/* --- parsing ----------------------------------------------------------------- */

static int
digits (const char *s, size_t n, int *out)
{
  int v = 0;

  for (size_t i = 0; i < n; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return -1;
      v = v * 10 + (s[i] - '0');
    }
  *out = v;
  return 0;
}

static bool
is_leap (int y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month (int y, int m)
{
  static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

  return m == 2 && is_leap (y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d (y >= 1).  */
static long long
days_since_epoch (int y, int m, int d)
{
  long long n = y - 1;
  long long days
      = 365LL * (y - 1970) + (n / 4 - n / 100 + n / 400) - (1969 / 4 - 1969 / 100 + 1969 / 400);

  for (int i = 1; i < m; i++)
    days += days_in_month (y, i);
  return days + d - 1;
}

enum
{
  TIME_DATE_ONLY = 1 << 0, /* "2026-11-22" alone */
  TIME_NO_ZONE = 1 << 1,   /* no zone: UTC */
};

/* RFC 3339 at the start of s[0..len): *used says how far it went.  Every
   index is checked against len: s is a record from a file.  */
static int
parse_time (const char *s, size_t len, unsigned flags, size_t *used, struct timespec *out)
{
  int y, mo, d, h = 0, mi = 0, sec = 0;
  long nsec = 0;
  long long offset = 0, t;
  size_t i;

  if (len < 10 || digits (s, 4, &y) < 0 || s[4] != '-' || digits (s + 5, 2, &mo) < 0 || s[7] != '-'
      || digits (s + 8, 2, &d) < 0)
    return -1;
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month (y, mo))
    return -1;
  i = 10;
  if (len == 10 && (flags & TIME_DATE_ONLY))
    goto done;
  if (len < 19 || (s[10] != 'T' && s[10] != 't') || digits (s + 11, 2, &h) < 0 || s[13] != ':'
      || digits (s + 14, 2, &mi) < 0 || s[16] != ':' || digits (s + 17, 2, &sec) < 0)
    return -1;
  if (h > 23 || mi > 59 || sec > 60)
    return -1;
  i = 19;
  if (i < len && s[i] == '.')
    {
      size_t nd = 0;

      for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++)
        {
          if (nd >= 9)
            return -1;
          nsec = nsec * 10 + (s[i] - '0');
        }
      if (nd == 0)
        return -1;
      for (; nd < 9; nd++)
        nsec *= 10;
    }
  if (i < len && (s[i] == 'Z' || s[i] == 'z'))
    i++;
  else if (i < len && (s[i] == '+' || s[i] == '-'))
    {
      int oh, om;

      if (len - i < 6 || digits (s + i + 1, 2, &oh) < 0 || s[i + 3] != ':'
          || digits (s + i + 4, 2, &om) < 0 || oh > 23 || om > 59)
        return -1;
      offset = (oh * 3600LL + om * 60) * (s[i] == '-' ? -1 : 1);
      i += 6;
    }
  else if (!(flags & TIME_NO_ZONE))
    return -1;

done:
  t = days_since_epoch (y, mo, d) * 86400 + h * 3600LL + mi * 60LL + sec - offset;
  if (t < 0 || t > TIME_LAST)
    return -1;
  out->tv_sec = (time_t)t;
  out->tv_nsec = nsec;
  *used = i;
  return 0;
}

struct rec
{
  struct timespec time;
  int stream;
  bool partial;
  const char *text;
  size_t len;
};

/* "TIME STREAM TAG[:MORE] CONTENT"; the content may be missing ("... F").  */
static int
parse_record (const char *l, size_t n, struct rec *r)
{
  size_t used, tl = 0;
  const char *p;

  if (parse_time (l, n, 0, &used, &r->time) < 0)
    return -1;
  p = l + used;
  n -= used;
  if (n < 8 || p[0] != ' ')
    return -1;
  if (memcmp (p + 1, "stdout ", 7) == 0)
    r->stream = MR_LOG_STDOUT;
  else if (memcmp (p + 1, "stderr ", 7) == 0)
    r->stream = MR_LOG_STDERR;
  else
    return -1;
  p += 8;
  n -= 8;
  while (tl < n && p[tl] != ' ')
    tl++;
  if (tl == 0 || (p[0] != 'F' && p[0] != 'P') || (tl > 1 && p[1] != ':'))
    return -1;
  r->partial = p[0] == 'P';
  if (tl == n)
    {
      r->text = p + tl;
      r->len = 0;
    }
  else
    {
      r->text = p + tl + 1;
      r->len = n - tl - 1;
    }
  return 0;
}

/* "1h30m", "1.5h", "500ms", "2d": nanoseconds.  */
static int
parse_duration (const char *s, uint64_t *out)
{
  static const struct
  {
    const char *name;
    uint64_t ns;
  } units[] = {
    { "ms", 1000000ULL },          { "s", 1000000000ULL },         { "m", 60 * 1000000000ULL },
    { "h", 3600 * 1000000000ULL }, { "d", 86400 * 1000000000ULL },
  };
  uint64_t total = 0;

  if (*s == '\0')
    return -1;
  while (*s)
    {
      uint64_t whole = 0, frac = 0, scale = 1, v;
      size_t u, nd = 0;

      if (*s < '0' || *s > '9')
        return -1;
      for (; *s >= '0' && *s <= '9'; s++)
        if (__builtin_mul_overflow (whole, 10, &whole)
            || __builtin_add_overflow (whole, (uint64_t)(*s - '0'), &whole))
          return -1;
      if (*s == '.')
        {
          /* Milliseconds of an hour are plenty: further digits are ignored.  */
          for (s++; *s >= '0' && *s <= '9'; s++, nd++)
            if (nd < 3)
              {
                frac = frac * 10 + (uint64_t)(*s - '0');
                scale *= 10;
              }
          if (nd == 0)
            return -1;
        }
      for (u = 0; u < sizeof units / sizeof units[0]; u++)
        if (strncmp (s, units[u].name, strlen (units[u].name)) == 0)
          break;
      if (u == sizeof units / sizeof units[0])
        return -1;
      s += strlen (units[u].name);
      if (__builtin_mul_overflow (whole, units[u].ns, &v)
          || __builtin_add_overflow (v, frac * units[u].ns / scale, &v)
          || __builtin_add_overflow (total, v, &total))
        return -1;
    }
  *out = total;
  return 0;
}

/* "1700000000" or "1700000000.25".  */
static int
parse_unix (const char *s, struct timespec *out)
{
  long long sec = 0;
  long nsec = 0;
  size_t nd = 0;

  if (*s < '0' || *s > '9')
    return -1;
  for (; *s >= '0' && *s <= '9'; s++)
    {
      sec = sec * 10 + (*s - '0');
      if (sec > TIME_LAST)
        return -1;
    }
  if (*s == '.')
    {
      for (s++; *s >= '0' && *s <= '9'; s++, nd++)
        {
          if (nd >= 9)
            return -1;
          nsec = nsec * 10 + (*s - '0');
        }
      if (nd == 0)
        return -1;
      for (; nd < 9; nd++)
        nsec *= 10;
    }
  if (*s != '\0')
    return -1;
  out->tv_sec = (time_t)sec;
  out->tv_nsec = nsec;
  return 0;
}

int
mr_log_parse_since (const char *s, struct timespec *out, struct mr_error *err)
{
  size_t len = strlen (s), used;
  uint64_t ns;
  struct timespec now;

  if (parse_unix (s, out) == 0)
    return 0;
  if (parse_time (s, len, TIME_DATE_ONLY | TIME_NO_ZONE, &used, out) == 0 && used == len)
    return 0;
  if (parse_duration (s, &ns) == 0)
    {
      uint64_t now_ns;

      clock_gettime (CLOCK_REALTIME, &now);
      now_ns = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
      ns = ns > now_ns ? 0 : now_ns - ns;
      out->tv_sec = (time_t)(ns / 1000000000ULL);
      out->tv_nsec = (long)(ns % 1000000000ULL);
      return 0;
    }
  return mr_error_set (err,
                       "invalid time '%s': want RFC 3339, YYYY-MM-DD, a unix time or a duration "
                       "such as 10m",
                       s);
}

/* --- reading: records into lines ------------------------------------------- */

/* Room before a line's text for its time, so that timestamps cost no copy.  */
#define PREFIX (MR_LOG_TIME_LEN + 1)

struct joiner
{
  char *buf; /* PREFIX bytes, then the text */
  size_t len, cap;
  struct timespec time;
  uint64_t seq; /* when its last record came, to hand unfinished lines out in order */
  bool active;
};

struct reader
{
  struct mr_log_read_opts o;
  int (*cb) (const struct mr_log_record *r, void *data);
  void *data;
  struct joiner j[2];
  uint64_t seq;
  bool counting; /* only count the lines: the first pass of a tail */
  uint64_t lines;
  uint64_t skip; /* lines to pass over before the tail starts */
};

static void
reader_free (struct reader *rd)
{
  free (rd->j[0].buf);
  free (rd->j[1].buf);
}

/* Hands out (or counts) the line a stream has gathered.  Returns 1 when the
   callback asks to stop.  */
static int
reader_emit (struct reader *rd, int stream, bool partial)
{
  struct joiner *j = &rd->j[stream - 1];
  struct mr_log_record r;
  int ret = 0;

  rd->lines++;
  if (rd->counting)
    goto out;
  if (rd->skip > 0)
    {
      rd->skip--;
      goto out;
    }
  if (rd->o.since_set && ts_before (&j->time, &rd->o.since))
    goto out;
  r.time = j->time;
  r.stream = stream;
  r.partial = partial;
  j->buf[PREFIX + j->len] = '\0';
  if (rd->o.timestamps && mr_log_format_time (&j->time, j->buf, PREFIX) == MR_LOG_TIME_LEN)
    {
      j->buf[PREFIX - 1] = ' ';
      r.text = j->buf;
      r.len = PREFIX + j->len;
    }
  else
    {
      r.text = j->buf + PREFIX;
      r.len = j->len;
    }
  if (rd->cb (&r, rd->data) < 0)
    ret = 1;
out:
  j->len = 0;
  j->active = false;
  return ret;
}

static int
reader_record (struct reader *rd, const struct rec *rec, struct mr_error *err)
{
  struct joiner *j = &rd->j[rec->stream - 1];
  size_t need;

  if (j->active && j->len + rec->len > JOIN_MAX && reader_emit (rd, rec->stream, true))
    return 1;
  need = PREFIX + j->len + rec->len + 1;
  if (need > j->cap)
    {
      size_t cap = j->cap ? j->cap : 4096;
      char *p;

      while (cap < need)
        cap *= 2;
      p = realloc (j->buf, cap);
      if (p == NULL)
        return mr_error_errno (err, ENOMEM, "read log");
      j->buf = p;
      j->cap = cap;
    }
  memcpy (j->buf + PREFIX + j->len, rec->text, rec->len);
  j->len += rec->len;
  j->time = rec->time;
  j->seq = rd->seq++;
  j->active = true;
  if (!rec->partial)
    return reader_emit (rd, rec->stream, false);
  return 0;
}

static int
reader_line (void *ctx, const char *line, size_t len, struct mr_error *err)
{
  struct rec rec;

  if (parse_record (line, len, &rec) < 0)
    return 0;
  return reader_record (ctx, &rec, err);
}

/* The end of the log: lines no F record ended, in the order they were last
   written to.  */
static int
reader_finish (struct reader *rd)
{
  struct joiner *j = rd->j;
  int order[2] = { 0, 1 };

  if (j[0].active && j[1].active && j[1].seq < j[0].seq)
    {
      order[0] = 1;
      order[1] = 0;
    }
  for (int k = 0; k < 2; k++)
    if (j[order[k]].active && reader_emit (rd, order[k] + 1, true))
      return 1;
  return 0;
}

/* --- reading: bytes into records ---------------------------------------------- */

typedef int (*line_fn) (void *ctx, const char *line, size_t len, struct mr_error *err);

struct scanner
{
  char *block;
  char *line; /* a record that spans blocks */
  size_t line_len;
  bool overlong; /* the record being read passed RECORD_MAX: skipped */
};

static int
scanner_init (struct scanner *sc, struct mr_error *err)
{
  sc->block = malloc (BLOCK);
  sc->line = malloc (RECORD_MAX);
  sc->line_len = 0;
  sc->overlong = false;
  if (sc->block == NULL || sc->line == NULL)
    return mr_error_errno (err, ENOMEM, "read log");
  return 0;
}

static void
scanner_free (struct scanner *sc)
{
  free (sc->block);
  free (sc->line);
}

/* Drops a record cut short at the end of a file.  */
static void
scanner_reset (struct scanner *sc)
{
  sc->line_len = 0;
  sc->overlong = false;
}

/* Reads fd from *off to end (or EOF) and hands each complete record to fn;
   the bytes after the last newline stay in the scanner, for a follower to
   complete.  Returns fn's positive value to stop, or < 0.  */
static int
scan (struct scanner *sc, int fd, uint64_t *off, uint64_t end, line_fn fn, void *ctx,
      struct mr_error *err)
{
  while (*off < end)
    {
      size_t want = end - *off < BLOCK ? (size_t)(end - *off) : BLOCK;
      ssize_t n = pread (fd, sc->block, want, (off_t)*off);
      const char *p = sc->block;
      size_t rest;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return mr_error_errno (err, errno, "read log");
      if (n == 0)
        break;
      *off += (uint64_t)n;
      rest = (size_t)n;
      while (rest > 0)
        {
          const char *nl = memchr (p, '\n', rest);
          size_t seg = nl ? (size_t)(nl - p) : rest;
          int r = 0;

          if (nl && sc->line_len == 0 && !sc->overlong)
            r = seg <= RECORD_MAX ? fn (ctx, p, seg, err) : 0;
          else
            {
              if (!sc->overlong && sc->line_len + seg > RECORD_MAX)
                {
                  sc->overlong = true;
                  sc->line_len = 0;
                }
              if (!sc->overlong)
                {
                  memcpy (sc->line + sc->line_len, p, seg);
                  sc->line_len += seg;
                }
              if (nl)
                {
                  if (!sc->overlong)
                    r = fn (ctx, sc->line, sc->line_len, err);
                  scanner_reset (sc);
                }
            }
          if (r != 0)
            return r;
          if (nl == NULL)
            break;
          p = nl + 1;
          rest -= seg + 1;
        }
    }
  return 0;
}

/* --- the set of files: path.N ... path.1, path ------------------------------- */

struct log_file
{
  int fd; /* -1: missing */
  uint64_t end;
  dev_t dev;
  ino_t ino;
};

struct log_set
{
  struct log_file *f; /* oldest first; the last is path itself */
  size_t n;
};

static void
log_set_free (struct log_set *set)
{
  for (size_t i = 0; i < set->n; i++)
    if (set->f[i].fd >= 0)
      close (set->f[i].fd);
  free (set->f);
  set->f = NULL;
  set->n = 0;
}

/* Opens a log file for reading; 1 when it does not exist.  */
static int
open_log (const char *path, struct log_file *lf, struct mr_error *err)
{
  struct stat st;
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

  lf->fd = -1;
  if (fd < 0 && errno == ENOENT)
    return 1;
  if (fd < 0)
    return mr_error_errno (err, errno, "open log '%s'", path);
  if (fstat (fd, &st) < 0)
    return mr_error_errno (err, errno, "stat log '%s'", path);
  if (!S_ISREG (st.st_mode))
    return mr_error_set (err, "log '%s' is not a regular file", path);
  lf->end = (uint64_t)st.st_size;
  lf->dev = st.st_dev;
  lf->ino = st.st_ino;
  lf->fd = steal_fd (&fd);
  return 0;
}

static bool
same_file (const struct log_file *a, const struct log_file *b)
{
  return a->fd >= 0 && b->fd >= 0 && a->dev == b->dev && a->ino == b->ino;
}

static int
split_path (const char *path, char **dir, const char **base, struct mr_error *err)
{
  const char *slash = strrchr (path, '/');

  if (slash == NULL)
    {
      *dir = strdup (".");
      *base = path;
    }
  else
    {
      *dir = slash == path ? strdup ("/") : strndup (path, (size_t)(slash - path));
      *base = slash + 1;
    }
  if (*dir == NULL)
    return mr_error_errno (err, ENOMEM, "read log '%s'", path);
  if (**base == '\0')
    return mr_error_set (err, "log path '%s' names a directory", path);
  return 0;
}

static int
cmp_unsigned (const void *a, const void *b)
{
  unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

  return x < y ? -1 : x > y;
}

/* The numbers N of the files path.N, ascending.  */
static int
rotated_numbers (const char *path, unsigned **out, size_t *count, struct mr_error *err)
{
  cleanup_free char *dir = NULL;
  cleanup_free unsigned *nums = NULL;
  cleanup_closedir DIR *d = NULL;
  const char *base;
  size_t baselen, n = 0, cap = 0;
  struct dirent *de;

  if (split_path (path, &dir, &base, err) < 0)
    return -1;
  baselen = strlen (base);
  d = opendir (dir);
  if (d == NULL)
    return mr_error_errno (err, errno, "open log directory '%s'", dir);
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      const char *s = de->d_name;
      unsigned v = 0;

      if (strncmp (s, base, baselen) != 0 || s[baselen] != '.' || s[baselen + 1] < '1'
          || s[baselen + 1] > '9')
        continue;
      for (s += baselen + 1; *s >= '0' && *s <= '9' && v <= MR_LOG_MAX_FILES; s++)
        v = v * 10 + (unsigned)(*s - '0');
      if (*s != '\0' || v > MR_LOG_MAX_FILES)
        continue;
      if (n == cap)
        {
          unsigned *p;

          cap = cap ? cap * 2 : 16;
          p = realloc (nums, cap * sizeof *nums);
          if (p == NULL)
            return mr_error_errno (err, ENOMEM, "read log directory '%s'", dir);
          nums = p;
        }
      nums[n++] = v;
    }
  if (errno != 0)
    return mr_error_errno (err, errno, "read log directory '%s'", dir);
  if (n > 1)
    qsort (nums, n, sizeof *nums, cmp_unsigned);
  *out = steal_pointer (&nums);
  *count = n;
  return 0;
}

/* Opens path, then path.1, path.2 ...: newest first, so that a rotation
   meanwhile moves a file to a name still to come (seen twice, kept once),
   never to one already passed.  */
static int
log_set_open (const char *path, struct log_set *set, struct mr_error *err)
{
  cleanup_free unsigned *nums = NULL;
  size_t count = 0, n = 0;
  struct log_file *f;

  set->f = NULL;
  set->n = 0;
  if (rotated_numbers (path, &nums, &count, err) < 0)
    return -1;
  f = calloc (count + 1, sizeof *f);
  if (f == NULL)
    return mr_error_errno (err, ENOMEM, "read log '%s'", path);
  set->f = f;
  if (open_log (path, &f[0], err) < 0)
    return -1;
  set->n = n = 1;
  for (size_t i = 0; i < count; i++)
    {
      cleanup_free char *name = NULL;
      bool dup = false;

      if (mr_asprintf (err, &name, "%s.%u", path, nums[i]) < 0)
        return -1;
      int r = open_log (name, &f[n], err);
      if (r < 0)
        return -1;
      if (r > 0)
        continue;
      for (size_t k = 0; k < n && !dup; k++)
        dup = same_file (&f[k], &f[n]);
      if (dup)
        {
          close (f[n].fd);
          f[n].fd = -1;
          continue;
        }
      set->n = ++n;
    }
  for (size_t i = 0; i < n / 2; i++)
    {
      struct log_file t = f[i];
      f[i] = f[n - 1 - i];
      f[n - 1 - i] = t;
    }
  return 0;
}

/* --- tail: backwards from the end ------------------------------------------ */

/* How far back the search for the first records of a tail line goes past the
   last record of its stream met: a line whose parts lie further apart than
   this (another stream wrote megabytes in between) loses its start, so that a
   stream that writes rarely does not send a tail through the whole log.  */
#define BACK_GAP (4 * JOIN_MAX)

enum
{
  BACK_NONE,   /* no record of the stream met yet */
  BACK_OPEN,   /* inside a line: its start is further back */
  BACK_CLOSED, /* the lines of the stream in the tail all start after here */
};

struct back
{
  uint64_t want, count;
  bool count_unfinished; /* a stream's last line that no F ended counts */
  int state[2];
  uint64_t last[2]; /* `scanned` at the stream's earliest record met */
  uint64_t scanned; /* bytes from the end of the log back to here */
};

/* Going backwards, one record; true when every line of the tail starts after
   it.  A line is counted at its last record; the F record of a stream met
   once enough lines are counted ends that stream's search.  */
static bool
back_record (struct back *b, const struct rec *r)
{
  int s = r->stream - 1;

  if (b->state[s] == BACK_CLOSED)
    return false;
  b->last[s] = b->scanned;
  if (r->partial)
    {
      if (b->state[s] == BACK_NONE)
        {
          if (b->count_unfinished)
            b->count++;
          b->state[s] = BACK_OPEN;
        }
      return false;
    }
  if (b->count >= b->want)
    {
      b->state[s] = BACK_CLOSED;
      return b->state[0] != BACK_OPEN && b->state[1] != BACK_OPEN;
    }
  b->count++;
  b->state[s] = BACK_OPEN;
  return false;
}

/* True when the search ends because the open streams are BACK_GAP behind.  */
static bool
back_gap (struct back *b)
{
  bool cut = false;

  if (b->count < b->want)
    return false;
  for (int s = 0; s < 2; s++)
    if (b->state[s] == BACK_OPEN && b->scanned - b->last[s] > BACK_GAP)
      {
        b->state[s] = BACK_CLOSED;
        cut = true;
      }
  return cut && b->state[0] != BACK_OPEN && b->state[1] != BACK_OPEN;
}

/* The record [a, b) of the file (b: its newline), part of it maybe in block
   (the file's bytes from start on, n of them).  */
static bool
back_line (struct back *bk, int fd, const char *block, uint64_t start, size_t n, uint64_t a,
           uint64_t b)
{
  char peek[PEEK_LEN];
  const char *p;
  size_t len = (size_t)(b - a);
  struct rec rec;

  if (b - a > RECORD_MAX)
    return false;
  if (len > PEEK_LEN)
    len = PEEK_LEN;
  if (a >= start && a + len <= start + n)
    p = block + (a - start);
  else
    {
      ssize_t r;

      do
        r = pread (fd, peek, len, (off_t)a);
      while (r < 0 && errno == EINTR);
      if (r < 0 || (size_t)r != len)
        return false;
      p = peek;
    }
  if (parse_record (p, len, &rec) < 0)
    return false;
  return back_record (bk, &rec);
}

/* Searches file i backwards (base: the bytes of the newer files); 1 with
 *fi and *pos set when the tail starts at or after it.  */
static int
scan_back (struct back *bk, const struct log_set *set, size_t i, uint64_t base, char *block,
           size_t *fi, uint64_t *pos, struct mr_error *err)
{
  const struct log_file *lf = &set->f[i];
  uint64_t line_end = UINT64_MAX, at = lf->end;

  while (at > 0)
    {
      size_t n = at < BLOCK ? (size_t)at : BLOCK;
      uint64_t start = at - n;
      size_t got = 0;

      while (got < n)
        {
          ssize_t r = pread (lf->fd, block + got, n - got, (off_t)(start + got));

          if (r < 0 && errno == EINTR)
            continue;
          if (r < 0)
            return mr_error_errno (err, errno, "read log");
          if (r == 0)
            return mr_error_set (err, "read log: the file shrank while being read");
          got += (size_t)r;
        }
      for (size_t k = n; k-- > 0;)
        {
          if (block[k] != '\n')
            continue;
          if (line_end != UINT64_MAX)
            {
              bk->scanned = base + (lf->end - (start + k + 1));
              if (back_line (bk, lf->fd, block, start, n, start + k + 1, line_end))
                {
                  *fi = i;
                  *pos = line_end + 1;
                  return 1;
                }
              if (back_gap (bk))
                {
                  *fi = i;
                  *pos = start + k + 1;
                  return 1;
                }
            }
          line_end = start + k;
        }
      at = start;
      bk->scanned = base + (lf->end - start);
      if (back_gap (bk))
        {
          /* at the last record start met: in this file, or the newer one */
          *fi = line_end != UINT64_MAX ? i : i + 1;
          *pos = line_end != UINT64_MAX ? line_end + 1 : 0;
          return 1;
        }
    }
  if (line_end != UINT64_MAX)
    {
      bk->scanned = base + lf->end;
      if (back_line (bk, lf->fd, block, 0, 0, 0, line_end))
        {
          *fi = i;
          *pos = line_end + 1;
          return 1;
        }
    }
  return 0;
}

/* Where reading forward must start so that the last `want` lines come out
   whole: file *fi at *pos.  */
static int
find_tail_start (struct log_set *set, uint64_t want, bool count_unfinished, char *block, size_t *fi,
                 uint64_t *pos, struct mr_error *err)
{
  struct back bk = { .want = want, .count_unfinished = count_unfinished };
  uint64_t base = 0;

  for (size_t i = set->n; i-- > 0;)
    {
      int r;

      if (set->f[i].fd < 0)
        continue;
      r = scan_back (&bk, set, i, base, block, fi, pos, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
      base += set->f[i].end;
    }
  *fi = 0;
  *pos = 0;
  return 0;
}

/* Reads the set from file fi at pos to the ends taken when it was opened.
 *last_off: how far the last file (path itself) was read.  */
static int
read_set (struct log_set *set, size_t fi, uint64_t pos, struct scanner *sc, struct reader *rd,
          uint64_t *last_off, struct mr_error *err)
{
  *last_off = 0;
  for (size_t i = fi; i < set->n; i++)
    {
      uint64_t off = i == fi ? pos : 0;
      int r;

      scanner_reset (sc);
      if (set->f[i].fd >= 0)
        {
          r = scan (sc, set->f[i].fd, &off, set->f[i].end, reader_line, rd, err);
          if (r != 0)
            return r;
        }
      *last_off = off;
    }
  return 0;
}

/* --- following ---------------------------------------------------------- */

struct follow
{
  const char *path;
  struct log_file cur; /* path as last opened; fd -1 until it exists */
  uint64_t off;
  /* The newest file read from: cur, or while path is missing the newest
     rotated file read; the files rotated after it are still to read.  */
  bool have_last;
  dev_t last_dev;
  ino_t last_ino;
  struct scanner *sc;
  struct reader *rd;
};

static int
follow_drain (struct follow *fw, struct mr_error *err)
{
  struct stat st;

  if (fw->cur.fd < 0)
    return 0;
  /* Truncated in place: start over rather than wait past its end.  */
  if (fstat (fw->cur.fd, &st) == 0 && (uint64_t)st.st_size < fw->off)
    {
      fw->off = 0;
      scanner_reset (fw->sc);
    }
  return scan (fw->sc, fw->cur.fd, &fw->off, UINT64_MAX, reader_line, fw->rd, err);
}

/* Reads a whole rotated file.  */
static int
follow_read_all (struct follow *fw, int fd, struct mr_error *err)
{
  uint64_t off = 0;

  scanner_reset (fw->sc);
  return scan (fw->sc, fd, &off, UINT64_MAX, reader_line, fw->rd, err);
}

static void
close_files (struct log_file *f, size_t n)
{
  for (size_t k = 0; k < n; k++)
    close (f[k].fd);
}

/* A new path in *next (1), with the files rotated since the last one read,
   newest first; 0 when path is still the file being read, or missing.  */
static int
follow_probe (struct follow *fw, struct log_file *next, struct log_file *mid, size_t *nmid,
              struct mr_error *err)
{
  size_t n = 0;
  int r;

  r = open_log (fw->path, next, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (same_file (&fw->cur, next))
    {
      close (next->fd);
      return 0;
    }
  /* path.1, path.2 ... until the last file read: those are newer than it.
     When it is gone (max_files reached, or 0) every rotated file is.  A
     missing number is no end: a rotation running meanwhile moves files up
     one by one, the oldest first, leaving a gap that travels down.  */
  for (unsigned i = 1; i <= MR_LOG_MAX_FILES; i++)
    {
      cleanup_free char *name = NULL;
      bool dup;

      if (mr_asprintf (err, &name, "%s.%u", fw->path, i) < 0)
        goto fail;
      r = open_log (name, &mid[n], err);
      if (r < 0)
        goto fail;
      if (r > 0)
        continue;
      if (fw->have_last && mid[n].dev == fw->last_dev && mid[n].ino == fw->last_ino)
        {
          close (mid[n].fd);
          break;
        }
      dup = same_file (next, &mid[n]);
      for (size_t k = 0; k < n && !dup; k++)
        dup = same_file (&mid[k], &mid[n]);
      if (dup)
        close (mid[n].fd);
      else
        n++;
    }
  *nmid = n;
  return 1;

fail:
  close_files (mid, n);
  close (next->fd);
  return -1;
}

/* When path is a new file: finishes the old one, reads the files rotated
   since (the writer rotated more than once meanwhile), switches to the new
   one.  Returns 1 after switching.  */
static int
follow_rotation (struct follow *fw, struct mr_error *err)
{
  struct log_file next, mid[MR_LOG_MAX_FILES], again;
  size_t nmid = 0;
  int r;

  for (int attempt = 0;; attempt++)
    {
      r = follow_probe (fw, &next, mid, &nmid, err);
      if (r <= 0)
        return r;
      /* Files keep their order while one rotation moves them, not across
         two: when path changed meanwhile, look again.  */
      r = open_log (fw->path, &again, err);
      if (r == 0)
        close (again.fd);
      if (attempt == 8 || (r == 0 && same_file (&next, &again)))
        break;
      close_files (mid, nmid);
      close (next.fd);
    }

  /* The writer writes no more to the old file once path is new.  */
  r = follow_drain (fw, err);
  if (fw->cur.fd >= 0)
    close (fw->cur.fd);
  fw->cur.fd = -1;
  for (size_t k = nmid; r == 0 && k-- > 0;)
    r = follow_read_all (fw, mid[k].fd, err);
  close_files (mid, nmid);
  if (r != 0)
    {
      close (next.fd);
      return r;
    }
  scanner_reset (fw->sc);
  fw->cur = next;
  fw->off = 0;
  fw->have_last = true;
  fw->last_dev = next.dev;
  fw->last_ino = next.ino;
  return 1;
}

static int
follow_loop (struct follow *fw, int ifd, int stop_fd, struct mr_error *err)
{
  bool done = false;

  for (;;)
    {
      struct pollfd pfd[2]
          = { { .fd = ifd, .events = POLLIN }, { .fd = stop_fd, .events = POLLIN } };
      int r;

      r = follow_drain (fw, err);
      if (r == 0)
        while ((r = follow_rotation (fw, err)) == 1)
          r = follow_drain (fw, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
      if (done)
        return reader_finish (fw->rd) < 0 ? -1 : 0;
      if (fw->rd->o.stop && *fw->rd->o.stop)
        return 0;

      r = poll (pfd, stop_fd >= 0 ? 2 : 1, fw->rd->o.stop ? STOP_POLL_MS : -1);
      if (r < 0 && errno != EINTR)
        return mr_error_errno (err, errno, "wait for log '%s'", fw->path);
      if (r <= 0)
        continue;
      if (stop_fd >= 0 && pfd[1].revents)
        done = true;
      if ((pfd[0].revents & POLLIN) && mr_inotify_drain (ifd))
        done = true;
    }
}

/* --- entry points ------------------------------------------------------- */

static int
log_read (const char *path, const struct mr_log_read_opts *opts, bool follow, int stop_fd,
          int (*cb) (const struct mr_log_record *r, void *data), void *data, struct mr_error *err)
{
  struct reader rd = { .o = { .size = sizeof rd.o, .tail = -1 }, .cb = cb, .data = data };
  struct scanner sc = { 0 };
  struct log_set set = { 0 };
  cleanup_close int ifd = -1;
  cleanup_free char *dir = NULL;
  const char *base;
  size_t fi = 0;
  uint64_t pos = 0, last_off = 0;
  int r;

  if (opts)
    memcpy (&rd.o, opts, opts->size < sizeof rd.o ? opts->size : sizeof rd.o);
  if (split_path (path, &dir, &base, err) < 0)
    return -1;
  if (follow)
    {
      /* Before the files are opened, so that nothing written after goes
         unnoticed.  */
      ifd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
      if (ifd < 0)
        return mr_error_errno (err, errno, "follow log '%s'", path);
      if (inotify_add_watch (ifd, dir,
                             IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE
                                 | IN_DELETE_SELF | IN_MOVE_SELF)
          < 0)
        return mr_error_errno (err, errno, "watch log directory '%s'", dir);
    }
  if (scanner_init (&sc, err) < 0 || log_set_open (path, &set, err) < 0)
    {
      r = -1;
      goto out;
    }

  if (rd.o.tail >= 0)
    {
      struct reader count = { .o = rd.o, .counting = true };

      if (rd.o.tail == 0 && !follow)
        {
          r = 0;
          goto out;
        }
      /* Following, a stream's unfinished last line may still be ended: it is
         not one of the tail's lines, but starts with them.  */
      r = find_tail_start (&set, (uint64_t)rd.o.tail, !follow, sc.block, &fi, &pos, err);
      if (r == 0)
        r = read_set (&set, fi, pos, &sc, &count, &last_off, err);
      if (r == 0 && !follow)
        r = reader_finish (&count);
      reader_free (&count);
      if (r != 0)
        goto out;
      rd.skip = count.lines > (uint64_t)rd.o.tail ? count.lines - (uint64_t)rd.o.tail : 0;
    }

  r = read_set (&set, fi, pos, &sc, &rd, &last_off, err);
  if (r != 0)
    goto out;
  if (!follow)
    {
      r = reader_finish (&rd);
      goto out;
    }

  {
    struct follow fw
        = { .path = path, .cur = set.f[set.n - 1], .off = last_off, .sc = &sc, .rd = &rd };

    /* the newest file read, path itself or else a rotated one */
    for (size_t i = set.n; i-- > 0;)
      if (set.f[i].fd >= 0)
        {
          fw.have_last = true;
          fw.last_dev = set.f[i].dev;
          fw.last_ino = set.f[i].ino;
          break;
        }
    set.f[set.n - 1].fd = -1;
    r = follow_loop (&fw, ifd, stop_fd, err);
    if (fw.cur.fd >= 0)
      close (fw.cur.fd);
  }

out:
  log_set_free (&set);
  scanner_free (&sc);
  reader_free (&rd);
  return r < 0 ? -1 : 0;
}

int
mr_log_read (const char *path, const struct mr_log_read_opts *o,
             int (*cb) (const struct mr_log_record *r, void *data), void *data,
             struct mr_error *err)
{
  return log_read (path, o, false, -1, cb, data, err);
}

int
mr_log_follow (const char *path, const struct mr_log_read_opts *o, int stop_fd,
               int (*cb) (const struct mr_log_record *r, void *data), void *data,
               struct mr_error *err)
{
  return log_read (path, o, true, stop_fd, cb, data, err);
}
