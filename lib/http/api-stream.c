/* The native API's streams: a producer thread's output (logs, events,
 * wait), and lines made each interval (stats).  */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "http/api-internal.h"
#include "util/cleanup.h"

/* Bytes a stream keeps for a client that reads slower than the container
   writes; the producer waits beyond that.  */
#define STREAM_BACKLOG (256 << 10)

/* --- streams --------------------------------------------------------------- */

void
api_pump_free (struct pump *p)
{
  pthread_mutex_destroy (&p->mu);
  pthread_cond_destroy (&p->cond);
  free (p->buf);
  free (p->name);
  free (p->since);
  free (p->until);
  api_strv_clear (&p->filters);
  free (p);
}

struct pump *
api_pump_new (struct mr_api *api, const char *name)
{
  struct pump *p = calloc (1, sizeof *p);

  if (p == NULL)
    return NULL;
  p->api = api;
  pthread_mutex_init (&p->mu, NULL);
  pthread_cond_init (&p->cond, NULL);
  if (name && (p->name = strdup (name)) == NULL)
    {
      api_pump_free (p);
      return NULL;
    }
  return p;
}

/* From the producer: -1 once the stream is to end.  */
int
api_pump_put (struct pump *p, const char *data, size_t len)
{
  int r = 0;

  pthread_mutex_lock (&p->mu);
  while (p->len >= STREAM_BACKLOG && !p->stop)
    pthread_cond_wait (&p->cond, &p->mu);
  if (p->stop)
    r = -1;
  else if (p->len + len > p->cap)
    {
      size_t cap = (p->len + len) * 2;
      char *nb = realloc (p->buf, cap);
      if (nb == NULL)
        r = -1;
      else
        {
          p->buf = nb;
          p->cap = cap;
        }
    }
  if (r == 0)
    {
      memcpy (p->buf + p->len, data, len);
      p->len += len;
      pthread_cond_broadcast (&p->cond);
    }
  pthread_mutex_unlock (&p->mu);
  return r;
}

/* One JSON value and a newline; takes v.  */
int
api_pump_put_json (struct pump *p, json_t *v)
{
  cleanup_free char *line
      = v ? json_dumps (v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION (15)) : NULL;
  int r;

  json_decref (v);
  if (line == NULL)
    return -1;
  r = api_pump_put (p, line, strlen (line));
  return r < 0 ? r : api_pump_put (p, "\n", 1);
}

static void *
pump_thread (void *arg)
{
  struct pump *p = arg;

  p->run (p);
  pthread_mutex_lock (&p->mu);
  p->done = true;
  pthread_cond_broadcast (&p->cond);
  pthread_mutex_unlock (&p->mu);
  return NULL;
}

int
api_pump_start (struct pump *p)
{
  sigset_t all, old;
  int r;

  /* the producer takes no signal that the server's threads do not */
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &old);
  r = pthread_create (&p->thread, NULL, pump_thread, p);
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  return r == 0 ? 0 : -1;
}

static void
pump_wake (struct pump *p)
{
  pthread_mutex_lock (&p->mu);
  p->stop = 1;
  pthread_cond_broadcast (&p->cond);
  pthread_mutex_unlock (&p->mu);
}

static ssize_t
pump_read (void *data, char *buf, size_t max)
{
  struct pump *p = data;
  struct timespec until;
  ssize_t n;

  if (atomic_load (&p->api->stopping))
    {
      pump_wake (p);
      return -1;
    }
  clock_gettime (CLOCK_REALTIME, &until);
  until.tv_sec += 1;
  pthread_mutex_lock (&p->mu);
  while (p->len == 0 && !p->done)
    if (pthread_cond_timedwait (&p->cond, &p->mu, &until) == ETIMEDOUT)
      break;
  n = (ssize_t)(p->len < max ? p->len : max);
  if (n > 0)
    {
      memcpy (buf, p->buf, (size_t)n);
      memmove (p->buf, p->buf + n, p->len - (size_t)n);
      p->len -= (size_t)n;
      pthread_cond_broadcast (&p->cond);
    }
  else if (p->done)
    n = -1;
  pthread_mutex_unlock (&p->mu);
  return n;
}

static void
pump_end (void *data)
{
  struct pump *p = data;

  pump_wake (p);
  pthread_join (p->thread, NULL);
  api_pump_free (p);
}

void
api_stream_response (struct mr_api_response *res, struct pump *p)
{
  res->status = 200;
  res->content_type = "application/x-ndjson";
  res->stream_read = pump_read;
  res->stream_free = pump_end;
  res->stream_data = p;
}

/* Runs p->run in its producer thread and waits for it, the server's stop
   or the client's leaving interrupting it (the calls it makes take
   p->stop).  */
void
api_pump_run_sync (struct pump *p, const struct mr_api_request *req)
{
  pthread_mutex_lock (&p->mu);
  while (!p->done)
    {
      struct timespec until;
      clock_gettime (CLOCK_REALTIME, &until);
      until.tv_nsec += 250 * 1000000L;
      if (until.tv_nsec >= 1000000000L)
        {
          until.tv_sec++;
          until.tv_nsec -= 1000000000L;
        }
      if (atomic_load (&p->api->stopping) || mr_api_client_gone (req))
        p->stop = 1;
      pthread_cond_timedwait (&p->cond, &p->mu, &until);
    }
  pthread_mutex_unlock (&p->mu);
  pthread_join (p->thread, NULL);
}

ssize_t
api_ticker_read (void *data, char *buf, size_t max)
{
  struct ticker *t = data;
  struct timespec now;
  size_t n;

  if (atomic_load (&t->api->stopping))
    return -1;
  if (t->off == t->len)
    {
      char *line = NULL;
      int64_t wait_ns;

      clock_gettime (CLOCK_MONOTONIC, &now);
      wait_ns = (t->next.tv_sec - now.tv_sec) * 1000000000LL + (t->next.tv_nsec - now.tv_nsec);
      if (!t->first && wait_ns > 0)
        {
          struct timespec d
              = { .tv_sec = wait_ns / 1000000000LL, .tv_nsec = wait_ns % 1000000000LL };
          nanosleep (&d, NULL);
          if (atomic_load (&t->api->stopping))
            return -1;
        }
      t->first = false;
      clock_gettime (CLOCK_MONOTONIC, &t->next);
      t->next.tv_sec += 1;
      if (t->tick (t, &line) < 0)
        return -1;
      if (line == NULL)
        return 0;
      free (t->pending);
      t->pending = line;
      t->len = strlen (line);
      t->off = 0;
    }
  n = t->len - t->off < max ? t->len - t->off : max;
  memcpy (buf, t->pending + t->off, n);
  t->off += n;
  return (ssize_t)n;
}

void
api_ticker_end (void *data)
{
  struct ticker *t = data;

  if (t->free)
    t->free (t);
  free (t->pending);
  free (t);
}

/* "2025-01-02T03:04:05Z" for now.  */
void
api_now_rfc3339 (char *buf, size_t len)
{
  time_t now = time (NULL);
  struct tm tm;

  gmtime_r (&now, &tm);
  strftime (buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A line of NDJSON: v and a newline (takes v).  */
char *
api_json_line (json_t *v)
{
  cleanup_free char *s = v ? json_dumps (v, JSON_COMPACT | JSON_REAL_PRECISION (15)) : NULL;
  char *line = NULL;

  json_decref (v);
  if (s == NULL || asprintf (&line, "%s\n", s) < 0)
    return NULL;
  return line;
}
