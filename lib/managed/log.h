/* Container log files of managed containers, in the CRI format that
 * Kubernetes, CRI-O and containerd write, one record a line:
 *
 *   2026-11-22T10:00:00.123456789Z stdout F the line
 *
 * The time is RFC 3339 in UTC with nanoseconds, the stream stdout or stderr,
 * the tag F for a full line (its newline is not stored) or P for a part of a
 * line that the following records of the same stream continue (a line longer
 * than MR_LOG_LINE_MAX, or bytes left when the stream closed without a
 * newline).  The monitor writes the file, rotating it by size; `logs` reads
 * it, joins partial records back into lines, and follows it.  */
#ifndef MR_LOG_H
#define MR_LOG_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "minirun.h"

/* Content bytes in one record the writer emits; longer lines become P
   records and a last F record.  */
#define MR_LOG_LINE_MAX 16384
/* strlen ("2026-11-22T10:00:00.123456789Z") */
#define MR_LOG_TIME_LEN 30
/* Rotated files the writer can keep (a reader holds them all open).  */
#define MR_LOG_MAX_FILES 100

enum
{
  MR_LOG_STDOUT = 1,
  MR_LOG_STDERR = 2,
};

/* Formats ts as RFC 3339 in UTC with nanoseconds into buf (at least
 * MR_LOG_TIME_LEN + 1 bytes).  Returns MR_LOG_TIME_LEN, or -1 for a time
 * outside the years 0000-9999.  */
int mr_log_format_time (const struct timespec *ts, char *buf, size_t size);

/* --- writing (the monitor: one thread, poll(), never blocks but in write) -- */

struct mr_log_writer;

/* Opens path for appending (created 0640 if missing).  max_size: rotate
 * before a record would make the file larger (0: never); a record larger
 * than max_size on its own still goes whole into an empty file.  max_files:
 * rotated files kept, path.1 (newest) to path.N (oldest), at most
 * MR_LOG_MAX_FILES; with 0, rotation only drops the full file.  */
int mr_log_writer_open (const char *path, uint64_t max_size, unsigned max_files,
                        struct mr_log_writer **out, struct mr_error *err);

/* Feeds bytes read from stream (MR_LOG_STDOUT or MR_LOG_STDERR).  Each
 * complete line becomes an F record; the bytes after the last newline wait
 * per stream for more, and leave as a P record when MR_LOG_LINE_MAX bytes are
 * waiting and more come, or at mr_log_writer_flush.  A record's time is when
 * the bytes that completed it were fed.  Each record is one write() to an
 * O_APPEND file, so a reader never sees a part of one unless the disk is
 * full, and rotation never splits one across files.  On failure the bytes of
 * buf not yet written are dropped.  */
int mr_log_writer_feed (struct mr_log_writer *w, int stream, const char *buf, size_t len,
                        struct mr_error *err);

/* Writes the waiting bytes of both streams as P records (a stream closed, or
 * the container exited).  A reader joins them with what the stream writes
 * next, if anything.  */
int mr_log_writer_flush (struct mr_log_writer *w, struct mr_error *err);

/* Flushes (errors are lost: flush first to see them), closes, frees.  NULL is
 * fine.  */
void mr_log_writer_close (struct mr_log_writer *w);

/* --- reading ------------------------------------------------------------ */

/* A line: the P records of one stream joined with the F record that ends
 * them.  text is NUL-terminated, but holds whatever bytes the container wrote
 * (NUL included): use len.  */
struct mr_log_record
{
  struct timespec time; /* of the record that ended the line */
  int stream;           /* MR_LOG_STDOUT or MR_LOG_STDERR */
  bool partial;         /* no F record ended it: the stream closed without a
                           newline, or the line passed 1 MiB and comes in
                           pieces */
  const char *text;
  size_t len;
};

struct mr_log_read_opts
{
  size_t size; /* sizeof (struct mr_log_read_opts) */
  long tail;   /* -1: every line; N >= 0: the last N lines */
  bool since_set;
  struct timespec since; /* with since_set: only lines with a time at or after it */
  bool timestamps;       /* text starts with the line's time (MR_LOG_TIME_LEN) and a space */
  /* mr_log_follow returns soon after *stop becomes nonzero (a signal handler
     sets it; it interrupts the wait); NULL: never.  */
  const volatile sig_atomic_t *stop;
};

/* Calls cb for each line, oldest first, across the rotated files (path.N ...
 * path.1, path).  A line whose records lie in two files is joined.  Records
 * that are not CRI (or longer than 256 KiB, or cut short at the end of a
 * file) are skipped.  tail reads the files backwards from the end, so its
 * cost follows N, not the size of the files.  o may be NULL (every line).
 * A missing log is empty.  cb returns < 0 to stop early: mr_log_read then
 * returns 0.  */
int mr_log_read (const char *path, const struct mr_log_read_opts *o,
                 int (*cb) (const struct mr_log_record *r, void *data), void *data,
                 struct mr_error *err);

/* mr_log_read, then waits for new lines and calls cb for each, following the
 * file across rotations (the rest of the old file, any rotated since, then
 * the new path), until cb returns < 0, *o->stop becomes nonzero, or stop_fd
 * (if >= 0) is readable or hung up: then what was written up to then is read,
 * and a line its stream left unfinished is handed out as partial (the
 * monitor exited).  With tail, the lines it counts are complete ones.
 * Returns 0 in all these cases.  */
int mr_log_follow (const char *path, const struct mr_log_read_opts *o, int stop_fd,
                   int (*cb) (const struct mr_log_record *r, void *data), void *data,
                   struct mr_error *err);

/* Parses what `logs --since` takes: RFC 3339 ("2026-11-22T10:00:00.5Z",
 * "...+02:00", without a zone: UTC), a date ("2026-11-22", midnight UTC), a
 * unix time ("1700000000", "1700000000.25"), or a duration before now
 * ("10m", "2h", "30s", "1h30m", "1.5h", "500ms", "2d").  */
int mr_log_parse_since (const char *s, struct timespec *out, struct mr_error *err);

#endif
