/* The native API: /api/v1/... and the same paths without the prefix.  One
 * table (ROUTES below) names every route with its handler; the router, the
 * 405 answers and mr_api_routes[] (which docs/api.yaml is checked against)
 * are all made from it.  */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "http/metrics.h"
#include "http/server.h"
#include "util/cleanup.h"
#include "util/json.h"

#define API_PREFIX "/api/v1"

/* The largest file read or written through /containers/{name}/files,
   base64 on the wire.  One written is held in memory whole; one read is
   sent as it is read, FILE_BLOCK bytes at a time (a multiple of 3, so that
   each block's base64 follows the last one's without padding).  */
#define MAX_FILE_SIZE (8 << 20)
#define FILE_BLOCK (48 << 10)

/* Bytes a stream keeps for a client that reads slower than the container
   writes; the producer waits beyond that.  */
#define STREAM_BACKLOG (256 << 10)

static void fail (struct mr_api_response *res, unsigned status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
fail (struct mr_api_response *res, unsigned status, const char *fmt, ...)
{
  char msg[MR_ERROR_MSG_MAX];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  res->status = status;
  free (res->body);
  res->body = mr_api_error_body (status, msg);
}

/* Takes data (a new reference, or NULL for out of memory).  */
static void
succeed_status (struct mr_api_response *res, unsigned status, json_t *data)
{
  json_t *doc;

  if (data == NULL)
    return fail (res, 500, "out of memory");
  doc = json_pack ("{s:b, s:o}", "success", 1, "data", data);
  res->body = doc ? json_dumps (doc, JSON_COMPACT | JSON_REAL_PRECISION (15)) : NULL;
  json_decref (doc);
  if (res->body == NULL)
    return fail (res, 500, "out of memory");
  res->status = status;
}

static void
succeed (struct mr_api_response *res, json_t *data)
{
  succeed_status (res, 200, data);
}

/* A JSON document from the library becomes the data of the response.  */
static void
succeed_json (struct mr_api_response *res, unsigned status, const char *text)
{
  json_error_t jerr;
  json_t *data = json_loads (text, JSON_DECODE_ANY, &jerr);

  if (data == NULL)
    return fail (res, 500, "the library returned invalid JSON: %s", jerr.text);
  succeed_status (res, status, data);
}

/* Whether container name exists: a library error about it is then about its
 * state, not its existence.  */
static bool
container_exists (struct mr_api *api, const char *name)
{
  cleanup_free char *json = NULL;
  struct mr_error err = { 0 };

  return mr_container_inspect (api->ctx, name, &json, &err) == 0;
}

static void
fail_library (struct mr_api *api, struct mr_api_response *res, const char *name,
              const struct mr_error *err)
{
  unsigned status = 500;

  switch (err->errnum)
    {
    case ENOENT:
    case ESRCH:
      if (name)
        status = container_exists (api, name) ? 409 : 404;
      else
        status = err->errnum == ENOENT ? 404 : 500;
      break;
    case EBUSY:
    case EEXIST:
      status = 409;
      break;
    case EINVAL:
      status = 400;
      break;
    case 0:
      /* "it is not running" carries no errno */
      if (name)
        status = container_exists (api, name) ? 409 : 404;
      break;
    default:
      break;
    }
  fail (res, status, "%s", err->msg);
}

/* --- text for JSON --------------------------------------------------------- */

/* Bytes as a JSON string: what is not UTF-8 becomes U+FFFD, so that a
   process's binary output never makes the response fail.  */
static json_t *
json_text (const char *s, size_t len)
{
  cleanup_free char *out = NULL;
  json_t *j = json_stringn (s, len);
  size_t o = 0;

  if (j || len > SIZE_MAX / 3)
    return j;
  out = malloc (len * 3 + 1);
  if (out == NULL)
    return NULL;
  for (size_t i = 0; i < len;)
    {
      unsigned char c = (unsigned char)s[i];
      size_t n = c < 0x80             ? 1
                 : (c & 0xe0) == 0xc0 ? 2
                 : (c & 0xf0) == 0xe0 ? 3
                 : (c & 0xf8) == 0xf0 ? 4
                                      : 0;
      bool ok = n > 0 && i + n <= len && c != 0xc0 && c != 0xc1 && c <= 0xf4;

      for (size_t k = 1; ok && k < n; k++)
        ok = ((unsigned char)s[i + k] & 0xc0) == 0x80;
      /* overlong three-byte forms and UTF-16 surrogates */
      if (ok && n == 3)
        ok = !(c == 0xe0 && (unsigned char)s[i + 1] < 0xa0)
             && !(c == 0xed && (unsigned char)s[i + 1] >= 0xa0);
      if (ok && n == 4)
        ok = !(c == 0xf0 && (unsigned char)s[i + 1] < 0x90)
             && !(c == 0xf4 && (unsigned char)s[i + 1] >= 0x90);
      if (ok && !(n == 1 && c == 0))
        {
          memcpy (out + o, s + i, n);
          o += n;
          i += n;
        }
      else
        {
          memcpy (out + o, "\xef\xbf\xbd", 3);
          o += 3;
          i++;
        }
    }
  return json_stringn (out, o);
}

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* len bytes as base64 into out, which has room for (len + 2) / 3 * 4;
   returns the characters written.  */
static size_t
base64_block (const unsigned char *in, size_t len, char *out)
{
  size_t o = 0;

  for (size_t i = 0; i < len; i += 3)
    {
      uint32_t v = (uint32_t)in[i] << 16;
      if (i + 1 < len)
        v |= (uint32_t)in[i + 1] << 8;
      if (i + 2 < len)
        v |= in[i + 2];
      out[o++] = b64_chars[(v >> 18) & 63];
      out[o++] = b64_chars[(v >> 12) & 63];
      out[o++] = i + 1 < len ? b64_chars[(v >> 6) & 63] : '=';
      out[o++] = i + 2 < len ? b64_chars[v & 63] : '=';
    }
  return o;
}

/* Standard base64 with padding; white space is not allowed.  */
static int
base64_decode (const char *in, size_t len, unsigned char **out, size_t *out_len)
{
  unsigned char *buf;
  size_t o = 0;

  if (len % 4 != 0)
    return -1;
  buf = malloc (len / 4 * 3 + 1);
  if (buf == NULL)
    return -1;
  for (size_t i = 0; i < len; i += 4)
    {
      uint32_t v = 0;
      int pad = 0;

      for (size_t k = 0; k < 4; k++)
        {
          const char *p = in[i + k] ? strchr (b64_chars, in[i + k]) : NULL;
          if (in[i + k] == '=' && i + 4 == len && k >= 2 && (k == 3 || in[i + 3] == '='))
            {
              pad++;
              v <<= 6;
              continue;
            }
          if (p == NULL || pad > 0)
            {
              free (buf);
              return -1;
            }
          v = (v << 6) | (uint32_t)(p - b64_chars);
        }
      buf[o++] = (unsigned char)(v >> 16);
      if (pad < 2)
        buf[o++] = (unsigned char)(v >> 8);
      if (pad < 1)
        buf[o++] = (unsigned char)v;
    }
  *out = buf;
  *out_len = o;
  return 0;
}

/* --- query parameters ------------------------------------------------------ */

/* ?t=N: seconds before KILL; -1 when absent.  */
static int
query_timeout (const struct mr_api_request *req, struct mr_api_response *res, int *timeout)
{
  const char *t = req->query (req->conn, "t");
  char *end;
  long n;

  *timeout = -1;
  if (t == NULL)
    return 0;
  errno = 0;
  n = strtol (t, &end, 10);
  if (*t < '0' || *t > '9' || *end != '\0' || errno != 0 || n > INT_MAX / 1000)
    {
      fail (res, 400, "invalid t '%s': expected seconds", t);
      return -1;
    }
  *timeout = (int)n;
  return 0;
}

static int
query_bool (const struct mr_api_request *req, struct mr_api_response *res, const char *key,
            bool *out)
{
  const char *v = req->query (req->conn, key);

  *out = false;
  if (v == NULL || strcmp (v, "false") == 0 || strcmp (v, "0") == 0)
    return 0;
  if (strcmp (v, "true") == 0 || strcmp (v, "1") == 0 || *v == '\0')
    {
      *out = true;
      return 0;
    }
  fail (res, 400, "invalid %s '%s': expected true or false", key, v);
  return -1;
}

/* --- request bodies -------------------------------------------------------- */

/* The body as a JSON object; *doc NULL with an empty body when allow_empty.  */
static int
body_object (const struct mr_api_request *req, struct mr_api_response *res, bool allow_empty,
             json_t **doc)
{
  json_error_t e;

  *doc = NULL;
  if (req->body == NULL || req->body_len == 0)
    {
      if (allow_empty)
        return 0;
      fail (res, 400, "a JSON object is expected as the request body");
      return -1;
    }
  *doc = json_loadb (req->body, req->body_len, 0, &e);
  if (*doc == NULL)
    {
      fail (res, 400, "invalid JSON body: %s (line %d, column %d)", e.text, e.line, e.column);
      return -1;
    }
  if (!json_is_object (*doc))
    {
      json_decref (*doc);
      *doc = NULL;
      fail (res, 400, "the request body must be a JSON object");
      return -1;
    }
  return 0;
}

/* Every key of doc must be one of known (NULL-terminated).  */
static int
check_fields (const json_t *doc, const char *const *known, struct mr_api_response *res)
{
  const char *key;
  json_t *v;

  json_object_foreach ((json_t *)doc, key, v)
  {
    size_t i;
    for (i = 0; known[i]; i++)
      if (strcmp (known[i], key) == 0)
        break;
    if (known[i] == NULL)
      {
        fail (res, 400, "unknown field '%s'", key);
        return -1;
      }
  }
  return 0;
}

static int
bad_type (struct mr_api_response *res, const char *field, const char *want)
{
  fail (res, 400, "invalid field '%s': expected %s", field, want);
  return -1;
}

/* A string field; absent or null leaves *out NULL.  */
static int
field_string (const json_t *doc, const char *key, const char **out, struct mr_api_response *res)
{
  json_t *v = json_object_get (doc, key);

  *out = NULL;
  if (v == NULL || json_is_null (v))
    return 0;
  if (!json_is_string (v))
    return bad_type (res, key, "a string");
  if (strlen (json_string_value (v)) != json_string_length (v))
    return bad_type (res, key, "a string without NUL characters");
  *out = json_string_value (v);
  return 0;
}

/* An integer field in [min, max]; absent or null: *set false.  */
static int
field_int (const json_t *doc, const char *key, json_int_t min, json_int_t max, json_int_t *out,
           bool *set, struct mr_api_response *res)
{
  json_t *v = json_object_get (doc, key);

  *set = false;
  if (v == NULL || json_is_null (v))
    return 0;
  if (!json_is_integer (v))
    return bad_type (res, key, "an integer");
  *out = json_integer_value (v);
  if (*out < min || *out > max)
    {
      fail (res, 400, "invalid field '%s': %" JSON_INTEGER_FORMAT " is out of range", key, *out);
      return -1;
    }
  *set = true;
  return 0;
}

static int
field_bool (const json_t *doc, const char *key, bool *out, struct mr_api_response *res)
{
  json_t *v = json_object_get (doc, key);

  *out = false;
  if (v == NULL || json_is_null (v))
    return 0;
  if (!json_is_boolean (v))
    return bad_type (res, key, "true or false");
  *out = json_is_true (v);
  return 0;
}

/* Strings made for a call (NULL-terminated), freed together.  */
struct strv
{
  char **v;
  size_t n;
};

static void
strv_clear (struct strv *s)
{
  for (size_t i = 0; i < s->n; i++)
    free (s->v[i]);
  free (s->v);
  s->v = NULL;
  s->n = 0;
}

/* Takes str.  */
static int
strv_add (struct strv *s, char *str)
{
  char **nv;

  if (str == NULL)
    return -1;
  nv = realloc (s->v, (s->n + 2) * sizeof *nv);
  if (nv == NULL)
    {
      free (str);
      return -1;
    }
  s->v = nv;
  s->v[s->n++] = str;
  s->v[s->n] = NULL;
  return 0;
}

static const char *const *
strv_get (const struct strv *s)
{
  return (const char *const *)s->v;
}

static int
oom (struct mr_api_response *res)
{
  fail (res, 500, "out of memory");
  return -1;
}

/* An array of strings (each checked), or with shell a string run by
   "sh -c".  */
static int
field_strings (const json_t *doc, const char *key, bool shell, struct strv *out,
               struct mr_api_response *res)
{
  const char *want = shell ? "an array of strings or a string" : "an array of strings";
  json_t *v = json_object_get (doc, key);
  size_t i;
  json_t *item;

  if (v == NULL || json_is_null (v))
    return 0;
  if (shell && json_is_string (v))
    {
      if (strlen (json_string_value (v)) != json_string_length (v))
        return bad_type (res, key, "a string without NUL characters");
      if (strv_add (out, strdup ("sh")) < 0 || strv_add (out, strdup ("-c")) < 0
          || strv_add (out, strdup (json_string_value (v))) < 0)
        return oom (res);
      return 0;
    }
  if (!json_is_array (v))
    return bad_type (res, key, want);
  json_array_foreach (v, i, item)
  {
    if (!json_is_string (item) || strlen (json_string_value (item)) != json_string_length (item))
      {
        fail (res, 400, "invalid field '%s': item %zu is not a string", key, i);
        return -1;
      }
    if (strv_add (out, strdup (json_string_value (item))) < 0)
      return oom (res);
  }
  return 0;
}

/* "K=V" strings from an array of them or from an object of string values
   (env, labels).  A bare "K" is refused: the CLI gives it the caller's
   value, and the server's environment is none of a client's business.  */
static int
field_pairs (const json_t *doc, const char *key, bool array_too, struct strv *out,
             struct mr_api_response *res)
{
  json_t *v = json_object_get (doc, key);
  const char *k;
  json_t *item;

  if (v == NULL || json_is_null (v))
    return 0;
  if (array_too && json_is_array (v))
    {
      if (field_strings (doc, key, false, out, res) < 0)
        return -1;
      for (size_t i = 0; i < out->n; i++)
        if (out->v[i][0] == '=' || strchr (out->v[i], '=') == NULL)
          {
            fail (res, 400, "invalid field '%s': item %zu is not of the form KEY=VALUE", key, i);
            return -1;
          }
      return 0;
    }
  if (!json_is_object (v))
    return bad_type (res, key,
                     array_too ? "an object of strings or an array of \"KEY=VALUE\""
                               : "an object of strings");
  json_object_foreach (v, k, item)
  {
    char *pair;
    if (!json_is_string (item) || strlen (json_string_value (item)) != json_string_length (item))
      {
        fail (res, 400, "invalid field '%s': the value of '%s' is not a string", key, k);
        return -1;
      }
    if (*k == '\0' || strchr (k, '=') != NULL)
      {
        fail (res, 400, "invalid field '%s': invalid name '%s'", key, k);
        return -1;
      }
    if (asprintf (&pair, "%s=%s", k, json_string_value (item)) < 0)
      return oom (res);
    if (strv_add (out, pair) < 0)
      return oom (res);
  }
  return 0;
}

/* user: "UID[:GID]" or a number.  */
static int
field_user (const json_t *doc, char **out, struct mr_api_response *res)
{
  json_t *v = json_object_get (doc, "user");

  *out = NULL;
  if (v == NULL || json_is_null (v))
    return 0;
  if (json_is_integer (v))
    {
      if (json_integer_value (v) < 0 || json_integer_value (v) >= UINT_MAX)
        return bad_type (res, "user", "a uid from 0 to 4294967294");
      if (asprintf (out, "%" JSON_INTEGER_FORMAT, json_integer_value (v)) < 0)
        {
          *out = NULL;
          return oom (res);
        }
      return 0;
    }
  if (!json_is_string (v))
    return bad_type (res, "user", "\"UID[:GID]\" or a number");
  *out = strdup (json_string_value (v));
  return *out ? 0 : oom (res);
}

/* --- streams --------------------------------------------------------------- */

/* A library call that delivers through a callback and blocks (logs and
   events that follow) runs in a thread of its own, the producer, and
   appends to buf; the connection's thread reads from it.  stop ends the
   producer: set when the client is gone (stream_free) or the server
   stops.  */
struct pump
{
  struct mr_api *api;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  char *buf;
  size_t len, cap;
  bool done;
  volatile int stop;
  pthread_t thread;
  /* the producer's call and what it needs */
  void (*run) (struct pump *p);
  char *name;
  struct mr_logs_opts logs;
  struct mr_events_opts events;
  struct strv filters;
  char *since, *until;
  int exit_code;
  struct mr_error err;
  int ret;
  size_t count; /* values put in an array so far */
};

static void
pump_free (struct pump *p)
{
  pthread_mutex_destroy (&p->mu);
  pthread_cond_destroy (&p->cond);
  free (p->buf);
  free (p->name);
  free (p->since);
  free (p->until);
  strv_clear (&p->filters);
  free (p);
}

static struct pump *
pump_new (struct mr_api *api, const char *name)
{
  struct pump *p = calloc (1, sizeof *p);

  if (p == NULL)
    return NULL;
  p->api = api;
  pthread_mutex_init (&p->mu, NULL);
  pthread_cond_init (&p->cond, NULL);
  if (name && (p->name = strdup (name)) == NULL)
    {
      pump_free (p);
      return NULL;
    }
  return p;
}

/* From the producer: -1 once the stream is to end.  */
static int
pump_put (struct pump *p, const char *data, size_t len)
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
static int
pump_put_json (struct pump *p, json_t *v)
{
  cleanup_free char *line
      = v ? json_dumps (v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION (15)) : NULL;
  int r;

  json_decref (v);
  if (line == NULL)
    return -1;
  r = pump_put (p, line, strlen (line));
  return r < 0 ? r : pump_put (p, "\n", 1);
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

static int
pump_start (struct pump *p)
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
  pump_free (p);
}

static void
stream_response (struct mr_api_response *res, struct pump *p)
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
static void
pump_run_sync (struct pump *p, const struct mr_api_request *req)
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

/* A stream made of lines that a tick function makes, one each interval:
   stats.  The first line comes at once.  */
struct ticker
{
  struct mr_api *api;
  char *pending;
  size_t len, off;
  struct timespec next; /* CLOCK_MONOTONIC */
  bool first;
  /* 0: *line made (or NULL: nothing this time); -1: the end */
  int (*tick) (struct ticker *t, char **line);
  void (*free) (struct ticker *t);
  void *priv;
};

static ssize_t
ticker_read (void *data, char *buf, size_t max)
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

static void
ticker_end (void *data)
{
  struct ticker *t = data;

  if (t->free)
    t->free (t);
  free (t->pending);
  free (t);
}

/* "2025-01-02T03:04:05Z" for now.  */
static void
now_rfc3339 (char *buf, size_t len)
{
  time_t now = time (NULL);
  struct tm tm;

  gmtime_r (&now, &tm);
  strftime (buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A line of NDJSON: v and a newline (takes v).  */
static char *
json_line (json_t *v)
{
  cleanup_free char *s = v ? json_dumps (v, JSON_COMPACT | JSON_REAL_PRECISION (15)) : NULL;
  char *line = NULL;

  json_decref (v);
  if (s == NULL || asprintf (&line, "%s\n", s) < 0)
    return NULL;
  return line;
}

/* --- handlers -------------------------------------------------------------- */

#define HANDLER(f)                                                                                 \
  static void f (struct mr_api *api, const struct mr_api_request *req, const char *name,           \
                 struct mr_api_response *res)

HANDLER (get_health)
{
  cleanup_free char *info = NULL;
  struct mr_error err = { 0 };
  struct timespec now;
  json_t *doc = NULL, *backend;
  json_t *data;

  (void)req;
  (void)name;
  /* the backend probed at start; probed again only while it failed, so
   * that a health check costs no file reads */
  if (api->cgroup_backend)
    backend = json_string (api->cgroup_backend);
  else
    {
      if (mr_system_info (api->ctx, &info, &err) < 0)
        return fail (res, 503, "%s", err.msg);
      doc = json_loads (info, 0, NULL);
      backend = json_incref (doc ? json_object_get (doc, "cgroup_backend") : NULL);
      json_decref (doc);
    }
  clock_gettime (CLOCK_MONOTONIC, &now);
  data = json_pack (
      "{s:s, s:s, s:I, s:o?}", "status", "ok", "version", mr_version (), "uptime",
      (json_int_t)(now.tv_sec - api->started.tv_sec - (now.tv_nsec < api->started.tv_nsec)),
      "cgroup_backend", backend);
  succeed (res, data);
}

HANDLER (get_openapi)
{
  (void)api;
  (void)req;
  (void)name;
  res->status = 200;
  res->static_body = mr_asset_openapi_yaml;
  res->static_len = mr_asset_openapi_yaml_len ();
  res->content_type = "application/yaml";
}

HANDLER (get_metrics)
{
  (void)req;
  (void)name;
  mr_api_metrics (api, res);
}

HANDLER (get_system_info)
{
  cleanup_free char *info = NULL;
  struct mr_error err = { 0 };

  (void)req;
  (void)name;
  if (mr_system_info (api->ctx, &info, &err) < 0)
    return fail (res, 503, "%s", err.msg);
  succeed_json (res, 200, info);
}

/* --- system stats ----------- */

struct sample
{
  char *name;
  struct mr_stats st;
};

struct sys_state
{
  struct mr_system_stats host;
  struct sample *prev;
  size_t n_prev;
};

static void
samples_free (struct sample *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (s[i].name);
  free (s);
}

/* A sample of every running (or paused) container.  */
static int
sample_all (struct mr_api *api, struct sample **out, size_t *n_out, struct mr_error *err)
{
  struct mr_container_info *list = NULL;
  struct sample *s;
  size_t n = 0, k = 0;

  *out = NULL;
  *n_out = 0;
  if (mr_api_list (api, &list, &n, err) < 0)
    return -1;
  s = calloc (n + 1, sizeof *s);
  if (s == NULL)
    {
      mr_container_info_free (list, n);
      return -1;
    }
  for (size_t i = 0; i < n; i++)
    {
      struct mr_error e = { 0 };
      if (list[i].status != MR_STATUS_RUNNING && list[i].status != MR_STATUS_PAUSED)
        continue;
      s[k].st.size = sizeof s[k].st;
      /* one that stopped since it was listed is left out */
      if (mr_container_stats (api->ctx, list[i].id, &s[k].st, &e) < 0)
        continue;
      s[k].name = list[i].id;
      list[i].id = NULL;
      k++;
    }
  mr_container_info_free (list, n);
  *out = s;
  *n_out = k;
  return 0;
}

static const struct mr_stats *
sample_find (const struct sample *s, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (s[i].name, name) == 0)
      return &s[i].st;
  return NULL;
}

/* {"time", "host", "containers": [...]}; cpu percentages against the
   previous call (the first call measures 200 ms).  503 status in *status on
   failure.  */
static json_t *
system_sample (struct mr_api *api, struct sys_state *ss, unsigned *status, struct mr_error *err)
{
  struct sample *cur = NULL;
  size_t n_cur = 0;
  cleanup_free char *host = NULL;
  cleanup_json json_t *list = json_array ();
  json_t *host_json;
  char when[40];

  *status = 500;
  if (list == NULL)
    return NULL;
  if (ss->host.cpu_total == 0)
    {
      /* the first call: mr_system_stats waits 200 ms between its two
         samples, and the containers are sampled around that wait */
      samples_free (ss->prev, ss->n_prev);
      ss->prev = NULL;
      ss->n_prev = 0;
      if (sample_all (api, &ss->prev, &ss->n_prev, err) < 0)
        return NULL;
    }
  ss->host.size = sizeof ss->host;
  if (mr_system_stats (api->ctx, &ss->host, err) < 0)
    {
      *status = 503;
      return NULL;
    }
  now_rfc3339 (when, sizeof when);
  if (sample_all (api, &cur, &n_cur, err) < 0)
    return NULL;
  for (size_t i = 0; i < n_cur; i++)
    {
      cleanup_free char *js = NULL;
      json_t *o;
      if (mr_stats_json (cur[i].name, sample_find (ss->prev, ss->n_prev, cur[i].name), &cur[i].st,
                         &js, err)
          < 0)
        {
          samples_free (cur, n_cur);
          return NULL;
        }
      o = json_loads (js, 0, NULL);
      if (o == NULL || json_array_append_new (list, o) < 0)
        {
          samples_free (cur, n_cur);
          return NULL;
        }
    }
  samples_free (ss->prev, ss->n_prev);
  ss->prev = cur;
  ss->n_prev = n_cur;
  if (mr_system_stats_json (&ss->host, &host, err) < 0)
    return NULL;
  host_json = json_loads (host, 0, NULL);
  if (host_json == NULL)
    return NULL;
  return json_pack ("{s:s, s:o, s:O}", "time", when, "host", host_json, "containers", list);
}

static int
system_tick (struct ticker *t, char **line)
{
  struct mr_error err = { 0 };
  unsigned status;
  json_t *v = system_sample (t->api, t->priv, &status, &err);

  /* a failed sample ends the stream: its reader sees the end */
  if (v == NULL)
    return -1;
  *line = json_line (v);
  return *line ? 0 : -1;
}

static void
system_ticker_free (struct ticker *t)
{
  struct sys_state *ss = t->priv;

  if (ss)
    samples_free (ss->prev, ss->n_prev);
  free (ss);
}

HANDLER (get_system_stats)
{
  struct sys_state ss = { 0 };
  struct mr_error err = { 0 };
  struct ticker *t;
  unsigned status;
  bool stream;
  json_t *v;

  (void)name;
  if (query_bool (req, res, "stream", &stream) < 0)
    return;
  /* the first object is made here, so that a failure is an error status */
  v = system_sample (api, &ss, &status, &err);
  if (v == NULL)
    {
      samples_free (ss.prev, ss.n_prev);
      return fail (res, status, "system stats: %s", err.msg[0] ? err.msg : "out of memory");
    }
  if (!stream)
    {
      samples_free (ss.prev, ss.n_prev);
      return succeed (res, v);
    }
  t = calloc (1, sizeof *t);
  if (t == NULL || (t->priv = malloc (sizeof ss)) == NULL || (t->pending = json_line (v)) == NULL)
    {
      if (t)
        free (t->priv);
      free (t);
      samples_free (ss.prev, ss.n_prev);
      return fail (res, 500, "out of memory");
    }
  memcpy (t->priv, &ss, sizeof ss);
  t->api = api;
  t->len = strlen (t->pending);
  t->tick = system_tick;
  t->free = system_ticker_free;
  clock_gettime (CLOCK_MONOTONIC, &t->next);
  t->next.tv_sec += 1;
  res->status = 200;
  res->content_type = "application/x-ndjson";
  res->stream_read = ticker_read;
  res->stream_free = ticker_end;
  res->stream_data = t;
}

/* --- ports ---------- */

/* Published ports as the container records hold them (Docker's
   HostConfig.PortBindings shape); none is published until networking
   exists.  */
HANDLER (get_ports)
{
  struct mr_container_info *list = NULL;
  struct mr_error err = { 0 };
  json_t *out = json_array ();
  size_t n = 0;

  (void)req;
  (void)name;
  if (out == NULL)
    return fail (res, 500, "out of memory");
  if (mr_api_list (api, &list, &n, &err) < 0)
    {
      json_decref (out);
      return fail_library (api, res, NULL, &err);
    }
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *js = NULL;
      cleanup_json json_t *doc = NULL;
      const char *port;
      json_t *bindings, *b, *one;
      size_t k;

      if (!list[i].managed || mr_container_inspect (api->ctx, list[i].id, &js, &err) < 0)
        continue;
      doc = json_loads (js, 0, NULL);
      bindings = json_object_get (json_object_get (doc, "HostConfig"), "PortBindings");
      json_object_foreach (bindings, port, b)
      {
        json_array_foreach (b, k, one) json_array_append_new (
            out,
            json_pack ("{s:s, s:s, s:s?, s:s?, s:s}", "container", list[i].id, "container_port",
                       port, "host_ip", json_string_value (json_object_get (one, "HostIp")),
                       "host_port", json_string_value (json_object_get (one, "HostPort")), "state",
                       list[i].state ? list[i].state : ""));
      }
    }
  mr_container_info_free (list, n);
  succeed (res, out);
}

/* --- events ---------- */

static int
event_cb (void *data, const char *line, const struct mr_event *ev)
{
  struct pump *p = data;

  (void)ev;
  if (pump_put (p, line, strlen (line)) < 0 || pump_put (p, "\n", 1) < 0)
    return -1;
  return 0;
}

static void
run_events (struct pump *p)
{
  p->ret = mr_events_read (p->api->ctx, &p->events, event_cb, p, &p->err);
  if (p->ret < 0)
    pump_put_json (p, json_pack ("{s:s}", "error", p->err.msg));
}

static int
stop_at_once (void *data, const char *line, const struct mr_event *ev)
{
  (void)data;
  (void)line;
  (void)ev;
  return -1;
}

/* ?filter=KEY=VALUE[,KEY=VALUE...] (container, event, type, image).  */
HANDLER (get_events)
{
  const char *since = req->query (req->conn, "since");
  const char *until = req->query (req->conn, "until");
  const char *filter = req->query (req->conn, "filter");
  struct mr_error err = { 0 };
  struct pump *p = pump_new (api, NULL);
  bool follow = true;

  (void)name;
  if (p == NULL)
    return fail (res, 500, "out of memory");
  if (filter && *filter)
    {
      cleanup_free char *copy = strdup (filter);
      char *save = NULL;
      if (copy == NULL)
        {
          pump_free (p);
          return fail (res, 500, "out of memory");
        }
      for (char *f = strtok_r (copy, ",", &save); f; f = strtok_r (NULL, ",", &save))
        if (strv_add (&p->filters, strdup (f)) < 0)
          {
            pump_free (p);
            return fail (res, 500, "out of memory");
          }
    }
  if ((since && (p->since = strdup (since)) == NULL)
      || (until && (p->until = strdup (until)) == NULL))
    {
      pump_free (p);
      return fail (res, 500, "out of memory");
    }
  p->events = (struct mr_events_opts){ .size = sizeof p->events,
                                       .since = p->since,
                                       .until = p->until,
                                       .filters = strv_get (&p->filters),
                                       .follow = false,
                                       .stop = &p->stop };
  /* the arguments are checked now, while an error can still be a status */
  if (mr_events_read (api->ctx, &p->events, stop_at_once, NULL, &err) < 0)
    {
      pump_free (p);
      return fail (res, 400, "%s", err.msg);
    }
  if (query_bool (req, res, "follow", &follow) < 0)
    {
      pump_free (p);
      return;
    }
  if (req->query (req->conn, "follow") == NULL)
    follow = true;
  p->events.follow = follow;
  p->run = run_events;
  if (pump_start (p) < 0)
    {
      pump_free (p);
      return fail (res, 500, "cannot start a thread for the events");
    }
  stream_response (res, p);
}

/* --- containers ---------- */

static const char *const container_states[]
    = { "created", "running", "paused", "restarting", "stopped", "creating", NULL };

static const char *
info_state (const struct mr_container_info *c)
{
  return c->managed && c->state ? c->state : mr_status_name (c->status);
}

/* label=KEY or label=KEY=VALUE against the container's Config.Labels.  */
static bool
has_label (struct mr_api *api, const char *id, const char *label)
{
  cleanup_free char *js = NULL;
  cleanup_json json_t *doc = NULL;
  struct mr_error err = { 0 };
  const char *eq = strchr (label, '=');
  cleanup_free char *key = strndup (label, eq ? (size_t)(eq - label) : strlen (label));
  json_t *v;

  if (key == NULL || mr_container_inspect (api->ctx, id, &js, &err) < 0)
    return false;
  doc = json_loads (js, 0, NULL);
  v = json_object_get (json_object_get (json_object_get (doc, "Config"), "Labels"), key);
  if (!json_is_string (v))
    return false;
  return eq == NULL || strcmp (json_string_value (v), eq + 1) == 0;
}

HANDLER (get_containers)
{
  const char *status = req->query (req->conn, "status");
  const char *label = req->query (req->conn, "label");
  struct mr_container_info *list = NULL, *keep = NULL;
  cleanup_free char *json = NULL;
  struct mr_error err = { 0 };
  size_t n = 0, k = 0;
  int ret;

  (void)name;
  if (status)
    {
      size_t i;
      for (i = 0; container_states[i]; i++)
        if (strcmp (container_states[i], status) == 0)
          break;
      if (container_states[i] == NULL)
        return fail (res, 400,
                     "invalid status '%s': expected creating, created, running, paused, "
                     "restarting or stopped",
                     status);
    }
  if (label && (*label == '\0' || *label == '='))
    return fail (res, 400, "invalid label '%s': expected KEY or KEY=VALUE", label);
  if (status == NULL && label == NULL)
    {
      /* the whole list: the shared copy, as it is */
      if (mr_api_list_respond (api, res, &err) < 0)
        return fail_library (api, res, NULL, &err);
      return;
    }
  if (mr_api_list (api, &list, &n, &err) < 0)
    return fail_library (api, res, NULL, &err);
  keep = calloc (n + 1, sizeof *keep);
  if (keep == NULL)
    {
      mr_container_info_free (list, n);
      return fail (res, 500, "out of memory");
    }
  /* shallow copies: list keeps owning the strings */
  for (size_t i = 0; i < n; i++)
    if ((status == NULL || strcmp (info_state (&list[i]), status) == 0)
        && (label == NULL || has_label (api, list[i].id, label)))
      keep[k++] = list[i];
  ret = mr_container_info_json (keep, k, &json, &err);
  free (keep);
  mr_container_info_free (list, n);
  if (ret < 0)
    return fail_library (api, res, NULL, &err);
  succeed_json (res, 200, json);
}

HANDLER (get_container)
{
  cleanup_free char *json = NULL;
  struct mr_error err = { 0 };

  (void)req;
  if (mr_container_inspect (api->ctx, name, &json, &err) < 0)
    return fail_library (api, res, name, &err);
  succeed_json (res, 200, json);
}

/* What POST /containers takes, read from its body into cfg.  */
struct create_req
{
  struct mr_run_config cfg;
  struct strv args, env, volumes, labels, cap_add, cap_drop, security_opt;
  char *user;
  bool start;
};

static void
create_req_clear (struct create_req *c)
{
  strv_clear (&c->args);
  strv_clear (&c->env);
  strv_clear (&c->volumes);
  strv_clear (&c->labels);
  strv_clear (&c->cap_add);
  strv_clear (&c->cap_drop);
  strv_clear (&c->security_opt);
  free (c->user);
}

static int
parse_create (const json_t *doc, struct create_req *c, struct mr_api_response *res)
{
  static const char *const known[]
      = { "name",     "rootfs", "image",   "command",    "env",          "workdir",    "user",
          "hostname", "memory", "cpus",    "pids_limit", "ports",        "volumes",    "restart",
          "labels",   "start",  "cap_add", "cap_drop",   "security_opt", "privileged", NULL };
  struct mr_run_config *cfg = &c->cfg;
  json_t *v;
  json_int_t n;
  bool set;

  mr_run_config_init (cfg);
  if (check_fields (doc, known, res) < 0 || field_string (doc, "name", &cfg->name, res) < 0
      || field_string (doc, "rootfs", &cfg->rootfs, res) < 0
      || field_string (doc, "image", &cfg->image, res) < 0
      || field_strings (doc, "command", true, &c->args, res) < 0
      || field_pairs (doc, "env", true, &c->env, res) < 0
      || field_string (doc, "workdir", &cfg->workdir, res) < 0
      || field_user (doc, &c->user, res) < 0
      || field_string (doc, "hostname", &cfg->hostname, res) < 0
      || field_int (doc, "pids_limit", -1, MR_PIDS_LIMIT_MAX, &n, &set, res) < 0)
    return -1;
  if (set)
    cfg->pids_limit = n;
  if (cfg->rootfs == NULL && cfg->image == NULL)
    {
      fail (res, 400, "give rootfs or image");
      return -1;
    }
  if (cfg->rootfs && cfg->image)
    {
      fail (res, 400, "give rootfs or image, not both");
      return -1;
    }
  if (c->args.n == 0 && json_is_array (json_object_get (doc, "command")))
    {
      fail (res, 400, "invalid field 'command': the array is empty");
      return -1;
    }

  v = json_object_get (doc, "memory");
  if (json_is_integer (v))
    {
      if (json_integer_value (v) < 0)
        return bad_type (res, "memory", "a number of bytes or a size like \"64m\"");
      cfg->memory = json_integer_value (v);
    }
  else if (json_is_string (v))
    {
      int64_t bytes;
      if (mr_size_parse (json_string_value (v), &bytes) < 0)
        {
          fail (res, 400, "invalid field 'memory': '%s' is not a size like \"64m\" or \"1g\"",
                json_string_value (v));
          return -1;
        }
      cfg->memory = bytes;
    }
  else if (v && !json_is_null (v))
    return bad_type (res, "memory", "a number of bytes or a size like \"64m\"");

  v = json_object_get (doc, "cpus");
  if (json_is_number (v))
    {
      cfg->cpus = json_number_value (v);
      if (!(cfg->cpus > 0) || !isfinite (cfg->cpus))
        return bad_type (res, "cpus", "a number above 0 (0.5 is half a CPU)");
    }
  else if (v && !json_is_null (v))
    return bad_type (res, "cpus", "a number above 0 (0.5 is half a CPU)");

  v = json_object_get (doc, "ports");
  if (v && !json_is_null (v))
    {
      if (!json_is_array (v))
        return bad_type (res, "ports", "an array");
      /* taking them and publishing nothing would be a lie */
      if (json_array_size (v) > 0)
        {
          fail (res, 400, "invalid field 'ports': port publishing is not supported yet");
          return -1;
        }
    }

  if (field_strings (doc, "volumes", false, &c->volumes, res) < 0
      || field_string (doc, "restart", &cfg->restart, res) < 0
      || field_pairs (doc, "labels", false, &c->labels, res) < 0
      || field_bool (doc, "start", &c->start, res) < 0
      || field_strings (doc, "cap_add", false, &c->cap_add, res) < 0
      || field_strings (doc, "cap_drop", false, &c->cap_drop, res) < 0
      || field_strings (doc, "security_opt", false, &c->security_opt, res) < 0
      || field_bool (doc, "privileged", &cfg->privileged, res) < 0)
    return -1;
  cfg->cap_add = strv_get (&c->cap_add);
  cfg->cap_drop = strv_get (&c->cap_drop);
  cfg->security_opt = strv_get (&c->security_opt);
  cfg->args = c->args.n ? strv_get (&c->args) : NULL;
  cfg->env = strv_get (&c->env);
  cfg->volumes = strv_get (&c->volumes);
  cfg->labels = strv_get (&c->labels);
  cfg->user = c->user;
  return 0;
}

/* mr_container_new's failures: bad options (no errno, or EINVAL), a name in
   use (EEXIST), a rootfs or volume that is not there (ENOENT, ENOTDIR) are
   the client's; the rest the server's.  */
static unsigned
create_status (const struct mr_error *err)
{
  switch (err->errnum)
    {
    case 0:
    case EINVAL:
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
      return 400;
    case EEXIST:
      return 409;
    default:
      return 500;
    }
}

HANDLER (post_containers)
{
  cleanup_json json_t *doc = NULL;
  cleanup_free char *info = NULL;
  cleanup_free char *created = NULL;
  cleanup_free char *json = NULL;
  struct create_req c = { 0 };
  struct mr_error err = { 0 };
  int ret;

  (void)name;
  if (body_object (req, res, false, &doc) < 0)
    return;
  if (parse_create (doc, &c, res) < 0)
    return create_req_clear (&c);
  if (c.cfg.image)
    {
      cleanup_free char *img = NULL;
      if (mr_image_inspect (api->ctx, c.cfg.image, &img, &err) < 0)
        {
          create_req_clear (&c);
          return fail (res, err.errnum == ENOENT ? 404 : 400, "%s", err.msg);
        }
    }
  /* a host that cannot run containers is no place to make one */
  if (mr_system_info (api->ctx, &info, &err) < 0)
    {
      create_req_clear (&c);
      return fail (res, 503, "%s", err.msg);
    }

  pthread_mutex_lock (&api->lock);
  ret = mr_container_new (api->ctx, &c.cfg, &created, &err);
  if (ret == 0 && c.start && mr_container_start (api->ctx, created, &err) < 0)
    ret = 1;
  pthread_mutex_unlock (&api->lock);
  create_req_clear (&c);
  if (ret < 0)
    return fail (res, create_status (&err), "%s", err.msg);
  if (ret > 0)
    return fail (res, 500, "container '%s' was created but did not start: %s", created, err.msg);
  if (mr_container_inspect (api->ctx, created, &json, &err) < 0)
    return fail_library (api, res, created, &err);
  succeed_json (res, 201, json);
}

enum action
{
  ACTION_START,
  ACTION_STOP,
  ACTION_RESTART,
  ACTION_KILL,
  ACTION_DELETE,
  ACTION_PAUSE,
  ACTION_RESUME,
};

static void
change_container (struct mr_api *api, enum action action, const char *name,
                  const struct mr_api_request *req, struct mr_api_response *res)
{
  struct mr_kill_opts kill_opts = { .size = sizeof kill_opts, .signal = SIGTERM };
  struct mr_delete_opts delete_opts = { .size = sizeof delete_opts };
  struct mr_error err = { 0 };
  const char *signame;
  int timeout = -1;
  int ret;

  /* every parameter is checked before anything changes */
  if ((action == ACTION_STOP || action == ACTION_RESTART) && query_timeout (req, res, &timeout) < 0)
    return;
  if (action == ACTION_DELETE && query_bool (req, res, "force", &delete_opts.force) < 0)
    return;
  if (action == ACTION_KILL && query_bool (req, res, "all", &kill_opts.all) < 0)
    return;
  signame = req->query (req->conn, "signal");
  if (action == ACTION_KILL && signame && mr_signal_parse (signame, &kill_opts.signal) < 0)
    return fail (res, 400, "invalid signal '%s'", signame);

  pthread_mutex_lock (&api->lock);
  switch (action)
    {
    case ACTION_START:
      ret = mr_container_start (api->ctx, name, &err);
      break;
    case ACTION_STOP:
      ret = mr_container_stop (api->ctx, name, timeout, &err);
      break;
    case ACTION_RESTART:
      ret = mr_container_restart (api->ctx, name, timeout, &err);
      break;
    case ACTION_KILL:
      ret = mr_container_kill (api->ctx, name, &kill_opts, &err);
      break;
    case ACTION_PAUSE:
      ret = mr_container_pause (api->ctx, name, &err);
      break;
    case ACTION_RESUME:
      ret = mr_container_resume (api->ctx, name, &err);
      break;
    default:
      ret = mr_container_delete (api->ctx, name, &delete_opts, &err);
      break;
    }
  pthread_mutex_unlock (&api->lock);
  if (ret < 0)
    return fail_library (api, res, name, &err);
  if (action == ACTION_KILL)
    {
      signame = mr_signal_name (kill_opts.signal);
      return succeed (res,
                      signame ? json_pack ("{s:s, s:s}", "name", name, "signal", signame)
                              : json_pack ("{s:s, s:i}", "name", name, "signal", kill_opts.signal));
    }
  succeed (res, json_pack ("{s:s}", "name", name));
}

#define ACTION_HANDLER(f, a)                                                                       \
  HANDLER (f) { change_container (api, a, name, req, res); }

ACTION_HANDLER (delete_container, ACTION_DELETE)
ACTION_HANDLER (post_start, ACTION_START)
ACTION_HANDLER (post_stop, ACTION_STOP)
ACTION_HANDLER (post_restart, ACTION_RESTART)
ACTION_HANDLER (post_kill, ACTION_KILL)
ACTION_HANDLER (post_pause, ACTION_PAUSE)
ACTION_HANDLER (post_resume, ACTION_RESUME)

static void
run_wait (struct pump *p)
{
  p->ret = mr_container_wait (p->api->ctx, p->name, &p->exit_code, &p->stop, &p->err);
}

/* Waiting takes no lock: the container may take its time.  */
HANDLER (post_wait)
{
  struct pump *p = pump_new (api, name);

  if (p == NULL)
    return fail (res, 500, "out of memory");
  p->run = run_wait;
  if (pump_start (p) < 0)
    {
      pump_free (p);
      return fail (res, 500, "cannot start a thread to wait");
    }
  pump_run_sync (p, req);
  if (p->ret < 0 && p->err.errnum == EINTR)
    fail (res, 503, "wait for container '%s': the server is stopping or the client left", name);
  else if (p->ret < 0)
    fail_library (api, res, name, &p->err);
  else
    succeed (res, json_pack ("{s:s, s:i}", "name", name, "exit_code", p->exit_code));
  pump_free (p);
}

/* A capture's cancel: nobody is left to read its output.  */
static bool
client_gone (void *data)
{
  return mr_api_client_gone (data);
}

HANDLER (post_exec)
{
  static const char *const known[] = { "command", "env", "user", "workdir", "timeout", NULL };
  struct mr_exec_opts o = { .size = sizeof o };
  struct mr_exec_capture_opts co = { .size = sizeof co };
  struct mr_exec_result r = { .size = sizeof r };
  cleanup_json json_t *doc = NULL;
  cleanup_free char *user = NULL;
  struct strv args = { 0 }, env = { 0 };
  struct mr_error err = { 0 };
  json_int_t timeout = 0;
  bool set;
  int ret;

  if (body_object (req, res, false, &doc) < 0)
    return;
  if (check_fields (doc, known, res) < 0 || field_strings (doc, "command", true, &args, res) < 0
      || field_pairs (doc, "env", true, &env, res) < 0 || field_user (doc, &user, res) < 0
      || field_string (doc, "workdir", &o.cwd, res) < 0
      || field_int (doc, "timeout", 0, INT_MAX, &timeout, &set, res) < 0)
    goto out;
  if (args.n == 0)
    {
      fail (res, 400, "invalid field 'command': a command is needed");
      goto out;
    }
  if (user && mr_exec_user_parse (user, &o) < 0)
    {
      fail (res, 400, "invalid field 'user': '%s' is not a numeric UID[:GID]", user);
      goto out;
    }
  if (o.cwd && o.cwd[0] != '/')
    {
      fail (res, 400, "invalid field 'workdir': '%s' is not an absolute path", o.cwd);
      goto out;
    }
  o.args = strv_get (&args);
  o.env = strv_get (&env);
  co.timeout = (int)timeout;
  co.cancel = client_gone;
  co.cancel_data = (void *)req;

  /* thread-safe, and changes no container: a long command must not hold
   * up every other call */
  ret = mr_container_exec_capture (api->ctx, name, &o, &co, &r, &err);
  if (ret < 0 && (r.exit_code == 126 || r.exit_code == 127))
    /* the command could not run: as a shell says so */
    succeed (res, json_pack ("{s:i, s:s, s:s, s:b, s:b, s:b}", "exit_code", r.exit_code, "stdout",
                             "", "stderr", err.msg, "timed_out", 0, "stdout_truncated", 0,
                             "stderr_truncated", 0));
  else if (ret < 0)
    fail_library (api, res, name, &err);
  else
    succeed (res, json_pack ("{s:i, s:o, s:o, s:b, s:b, s:b}", "exit_code", r.exit_code, "stdout",
                             json_text (r.stdout_data ? r.stdout_data : "", r.stdout_len), "stderr",
                             json_text (r.stderr_data ? r.stderr_data : "", r.stderr_len),
                             "timed_out", r.timed_out, "stdout_truncated", r.stdout_truncated,
                             "stderr_truncated", r.stderr_truncated));
  mr_exec_result_clear (&r);
out:
  strv_clear (&args);
  strv_clear (&env);
}

/* --- logs ---------- */

struct logs_collect
{
  json_t *lines;
  bool failed;
};

static json_t *
log_line_json (int stream, const char *text, size_t len)
{
  return json_pack ("{s:s, s:o}", "stream", stream == 2 ? "stderr" : "stdout", "line",
                    json_text (text, len));
}

static int
logs_collect_cb (void *data, int stream, const char *text, size_t len)
{
  struct logs_collect *c = data;

  if (json_array_append_new (c->lines, log_line_json (stream, text, len)) < 0)
    {
      c->failed = true;
      return -1;
    }
  return 0;
}

static int
logs_stream_cb (void *data, int stream, const char *text, size_t len)
{
  return pump_put_json (data, log_line_json (stream, text, len));
}

/* Without follow: the success envelope around an array of the lines, sent
   as they are read.  An error once the head is out (the log checked
   before) ends the body short.  */
static int
logs_array_cb (void *data, int stream, const char *text, size_t len)
{
  struct pump *p = data;
  cleanup_free char *line = NULL;
  json_t *v = log_line_json (stream, text, len);

  line = v ? json_dumps (v, JSON_COMPACT) : NULL;
  json_decref (v);
  if (line == NULL || (p->count++ > 0 && pump_put (p, ",", 1) < 0))
    return -1;
  return pump_put (p, line, strlen (line));
}

static void
run_logs_array (struct pump *p)
{
  static const char head[] = "{\"success\": true, \"data\": [";

  if (pump_put (p, head, sizeof head - 1) < 0)
    return;
  p->ret = mr_container_logs (p->api->ctx, p->name, &p->logs, logs_array_cb, p, &p->err);
  if (p->ret == 0)
    pump_put (p, "]}", 2);
}

static void
run_logs (struct pump *p)
{
  p->ret = mr_container_logs (p->api->ctx, p->name, &p->logs, logs_stream_cb, p, &p->err);
  if (p->ret < 0 && !p->stop)
    pump_put_json (p, json_pack ("{s:s}", "error", p->err.msg));
}

/* Lines as {"stream": "stdout" or "stderr", "line": TEXT with its newline}:
   an array in data, or with follow=true one a line (NDJSON) until the
   container has stopped and its log is read.  */
HANDLER (get_logs)
{
  const char *tail = req->query (req->conn, "tail");
  const char *since = req->query (req->conn, "since");
  struct mr_logs_opts o = { .size = sizeof o, .tail = -1, .since = since };
  struct logs_collect c = { 0 };
  struct mr_error err = { 0 };
  struct pump *p;
  bool follow;

  if (query_bool (req, res, "follow", &follow) < 0
      || query_bool (req, res, "timestamps", &o.timestamps) < 0)
    return;
  if (tail && strcmp (tail, "all") != 0)
    {
      char *end;
      errno = 0;
      o.tail = strtol (tail, &end, 10);
      if (*tail < '0' || *tail > '9' || *end || errno)
        return fail (res, 400, "invalid tail '%s': expected a number of lines or all", tail);
    }
  /* checked now, while an error can still be a status: an empty tail
     reads nothing */
  {
    struct mr_logs_opts check = o;
    check.tail = 0;
    if (mr_container_logs (api->ctx, name, &check, logs_collect_cb, &c, &err) < 0)
      return fail (res, err.errnum == 0 && container_exists (api, name) ? 400 : 404, "%s", err.msg);
  }
  p = pump_new (api, name);
  if (p == NULL || (since && (p->since = strdup (since)) == NULL))
    {
      if (p)
        pump_free (p);
      return fail (res, 500, "out of memory");
    }
  p->logs = o;
  p->logs.since = p->since;
  p->logs.follow = follow;
  p->logs.stop = &p->stop;
  p->run = follow ? run_logs : run_logs_array;
  if (pump_start (p) < 0)
    {
      pump_free (p);
      return fail (res, 500, "cannot start a thread for the logs");
    }
  stream_response (res, p);
  /* a log of any size goes out through the stream's bounded buffer */
  if (!follow)
    res->content_type = "application/json";
}

/* --- stats, top ---------- */

struct ctr_ticker
{
  char *name;
  struct mr_stats prev;
};

static int
sample_pair (struct mr_api *api, const char *name, struct mr_stats *prev, char **json,
             struct mr_error *err)
{
  struct mr_stats cur = { .size = sizeof cur };

  if (mr_container_stats (api->ctx, name, &cur, err) < 0)
    return -1;
  if (mr_stats_json (name, prev, &cur, json, err) < 0)
    return -1;
  *prev = cur;
  return 0;
}

static int
ctr_tick (struct ticker *t, char **line)
{
  struct ctr_ticker *c = t->priv;
  cleanup_free char *js = NULL;
  struct mr_error err = { 0 };

  /* a container that stopped ends its stream */
  if (sample_pair (t->api, c->name, &c->prev, &js, &err) < 0)
    return -1;
  *line = json_line (json_loads (js, 0, NULL));
  return *line ? 0 : -1;
}

static void
ctr_ticker_free (struct ticker *t)
{
  struct ctr_ticker *c = t->priv;

  if (c)
    free (c->name);
  free (c);
}

/* mr_stats_json's object; the first measures cpu over 200 ms, and with
   stream=true one follows a second (NDJSON) while the container runs.  */
HANDLER (get_stats)
{
  struct mr_stats prev = { .size = sizeof prev };
  struct timespec pause = { .tv_nsec = 200 * 1000000L };
  cleanup_free char *js = NULL;
  struct mr_error err = { 0 };
  struct ctr_ticker *c;
  struct ticker *t;
  bool stream;

  if (query_bool (req, res, "stream", &stream) < 0)
    return;
  if (mr_container_stats (api->ctx, name, &prev, &err) < 0)
    return fail_library (api, res, name, &err);
  nanosleep (&pause, NULL);
  if (sample_pair (api, name, &prev, &js, &err) < 0)
    return fail_library (api, res, name, &err);
  if (!stream)
    return succeed_json (res, 200, js);
  t = calloc (1, sizeof *t);
  c = calloc (1, sizeof *c);
  if (t == NULL || c == NULL || (c->name = strdup (name)) == NULL
      || (t->pending = json_line (json_loads (js, 0, NULL))) == NULL)
    {
      free (t);
      if (c)
        free (c->name);
      free (c);
      return fail (res, 500, "out of memory");
    }
  c->prev = prev;
  t->api = api;
  t->priv = c;
  t->len = strlen (t->pending);
  t->tick = ctr_tick;
  t->free = ctr_ticker_free;
  clock_gettime (CLOCK_MONOTONIC, &t->next);
  t->next.tv_sec += 1;
  res->status = 200;
  res->content_type = "application/x-ndjson";
  res->stream_read = ticker_read;
  res->stream_free = ticker_end;
  res->stream_data = t;
}

HANDLER (get_top)
{
  struct mr_process_info *list = NULL;
  struct mr_error err = { 0 };
  json_t *out;
  size_t n = 0;

  (void)req;
  if (mr_container_top (api->ctx, name, &list, &n, &err) < 0)
    return fail_library (api, res, name, &err);
  out = json_array ();
  for (size_t i = 0; out && i < n; i++)
    {
      char state[2] = { list[i].state, '\0' };
      if (json_array_append_new (
              out, json_pack ("{s:i, s:i, s:I, s:s, s:I, s:o}", "pid", (int)list[i].pid, "ppid",
                              (int)list[i].ppid, "uid", (json_int_t)list[i].uid, "state", state,
                              "start_time", (json_int_t)list[i].start_time, "cmd",
                              json_text (list[i].cmd ? list[i].cmd : "",
                                         list[i].cmd ? strlen (list[i].cmd) : 0)))
          < 0)
        {
          json_decref (out);
          out = NULL;
        }
    }
  mr_process_info_free (list, n);
  succeed (res, out);
}

/* --- files, users ---------- */

/* Errors of the calls that reach into a container's files: what the path
   names (nothing there, a directory, too big) is the client's.  */
static void
fail_files (struct mr_api *api, struct mr_api_response *res, const char *name,
            const struct mr_error *err)
{
  switch (err->errnum)
    {
    case ENOENT:
    case ENOTDIR:
    case ELOOP:
      return fail (res, 404, "%s", err->msg);
    case EISDIR:
    case EINVAL:
    case EFBIG:
    case ENAMETOOLONG:
    case EXDEV:
      return fail (res, 400, "%s", err->msg);
    default:
      return fail_library (api, res, name, err);
    }
}

/* A file read for GET /files: the envelope's head, the file in base64 a
   block at a time as it is read, and the tail with the size read (the file
   may change meanwhile; at most MAX_FILE_SIZE bytes are sent).  A read
   error past the head ends the body short, which a client sees as JSON cut
   off.  */
struct file_stream
{
  struct mr_api *api;
  int fd;
  char *head;
  size_t head_len;
  uint64_t got;
  bool eof;
  char tail[64];
  size_t tail_len;
  const char *pending; /* what is left of the part being sent */
  size_t pending_len;
  unsigned char in[FILE_BLOCK];
  char out[FILE_BLOCK / 3 * 4];
};

static void
file_stream_free (void *data)
{
  struct file_stream *f = data;

  close (f->fd);
  free (f->head);
  free (f);
}

/* The next block of the file, as base64, into f->pending (the last one,
   short or empty, sets eof: the tail follows it); -1 after the last one,
   or on an error.  */
static int
file_stream_next (struct file_stream *f)
{
  size_t n = 0;

  if (f->eof)
    return -1;
  while (n < sizeof f->in && f->got + n < MAX_FILE_SIZE)
    {
      size_t want = sizeof f->in - n;
      ssize_t r;

      if (want > MAX_FILE_SIZE - f->got - n)
        want = MAX_FILE_SIZE - f->got - n;
      r = read (f->fd, f->in + n, want);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      if (r == 0)
        break;
      n += (size_t)r;
    }
  f->got += n;
  if (n == sizeof f->in)
    {
      f->pending = f->out;
      f->pending_len = base64_block (f->in, n, f->out);
      return 0;
    }
  /* the last block; the tail follows it */
  f->eof = true;
  f->pending_len = base64_block (f->in, n, f->out);
  f->tail_len = (size_t)snprintf (f->tail, sizeof f->tail, "\", \"size\": %llu}}",
                                  (unsigned long long)f->got);
  f->pending = f->out;
  return 0;
}

static ssize_t
file_stream_read (void *data, char *buf, size_t max)
{
  struct file_stream *f = data;
  size_t n = 0;

  if (atomic_load (&f->api->stopping))
    return -1;
  while (n < max)
    {
      size_t k;

      if (f->pending_len == 0)
        {
          if (f->eof && f->tail_len > 0)
            {
              /* the tail, once */
              f->pending = f->tail;
              f->pending_len = f->tail_len;
              f->tail_len = 0;
            }
          else if (file_stream_next (f) < 0)
            break;
          continue;
        }
      k = f->pending_len < max - n ? f->pending_len : max - n;
      memcpy (buf + n, f->pending, k);
      f->pending += k;
      f->pending_len -= k;
      n += k;
    }
  return n > 0 ? (ssize_t)n : -1;
}

HANDLER (get_file)
{
  const char *path = req->query (req->conn, "path");
  cleanup_free char *path_json = NULL;
  cleanup_json json_t *path_str = NULL;
  struct file_stream *f;
  struct mr_error err = { 0 };
  mode_t mode = 0;
  int fd = -1;

  if (path == NULL || *path == '\0')
    return fail (res, 400, "the query parameter 'path' is needed");
  if (!container_exists (api, name))
    return fail (res, 404, "container '%s' does not exist", name);
  if (mr_container_file_open (api->ctx, name, path, MAX_FILE_SIZE, &fd, NULL, &mode, &err) < 0)
    return fail_files (api, res, name, &err);
  f = calloc (1, sizeof *f);
  path_str = json_string (path);
  path_json = path_str ? json_dumps (path_str, JSON_ENCODE_ANY) : NULL;
  if (f == NULL || path_json == NULL
      || asprintf (&f->head,
                   "{\"success\": true, \"data\": {\"path\": %s, \"mode\": \"%04o\", "
                   "\"content_base64\": \"",
                   path_json, (unsigned)mode)
             < 0)
    {
      free (f);
      close (fd);
      return fail (res, 500, "out of memory");
    }
  f->api = api;
  f->fd = fd;
  f->head_len = strlen (f->head);
  f->pending = f->head;
  f->pending_len = f->head_len;
  res->status = 200;
  res->stream_read = file_stream_read;
  res->stream_free = file_stream_free;
  res->stream_data = f;
}

/* mode: a number (420) or octal text ("0644"); absent: 0644.  */
static int
field_mode (const json_t *doc, mode_t *mode, struct mr_api_response *res)
{
  json_t *v = json_object_get (doc, "mode");

  *mode = 0644;
  if (v == NULL || json_is_null (v))
    return 0;
  if (json_is_integer (v) && json_integer_value (v) >= 0 && json_integer_value (v) <= 0777)
    *mode = (mode_t)json_integer_value (v);
  else if (json_is_string (v))
    {
      const char *s = json_string_value (v);
      char *end;
      long m = strtol (s, &end, 8);
      if (*s == '\0' || *end || m < 0 || m > 0777 || *s == '-' || *s == '+' || *s == ' ')
        return bad_type (res, "mode", "permission bits, as a number or octal text (\"0644\")");
      *mode = (mode_t)m;
    }
  else
    return bad_type (res, "mode", "permission bits, as a number or octal text (\"0644\")");
  return 0;
}

HANDLER (post_file)
{
  static const char *const known[] = { "path", "content", "content_base64", "mode", NULL };
  cleanup_json json_t *doc = NULL;
  unsigned char *decoded = NULL;
  const char *path, *content, *b64;
  struct mr_error err = { 0 };
  const void *data;
  size_t len;
  mode_t mode;
  int ret;

  if (body_object (req, res, false, &doc) < 0)
    return;
  if (check_fields (doc, known, res) < 0 || field_string (doc, "path", &path, res) < 0
      || field_mode (doc, &mode, res) < 0)
    return;
  content = NULL;
  b64 = NULL;
  /* content may hold NUL characters: it is taken with its length */
  if (json_object_get (doc, "content") && !json_is_null (json_object_get (doc, "content")))
    {
      if (!json_is_string (json_object_get (doc, "content")))
        return (void)bad_type (res, "content", "a string");
      content = json_string_value (json_object_get (doc, "content"));
    }
  if (field_string (doc, "content_base64", &b64, res) < 0)
    return;
  if (path == NULL || *path == '\0')
    return fail (res, 400, "invalid field 'path': a path in the container is needed");
  if ((content == NULL) == (b64 == NULL))
    return fail (res, 400, "give content or content_base64, one of them");
  if (content)
    {
      data = content;
      len = json_string_length (json_object_get (doc, "content"));
    }
  else
    {
      if (base64_decode (b64, strlen (b64), &decoded, &len) < 0)
        return fail (res, 400, "invalid field 'content_base64': not base64");
      data = decoded;
    }
  if (!container_exists (api, name))
    {
      free (decoded);
      return fail (res, 404, "container '%s' does not exist", name);
    }
  pthread_mutex_lock (&api->lock);
  ret = mr_container_file_write (api->ctx, name, path, data, len, mode, &err);
  pthread_mutex_unlock (&api->lock);
  free (decoded);
  if (ret < 0)
    return fail_files (api, res, name, &err);
  {
    char mode_text[8];
    snprintf (mode_text, sizeof mode_text, "%04o", (unsigned)mode);
    succeed_status (
        res, 201,
        json_pack ("{s:s, s:I, s:s}", "path", path, "size", (json_int_t)len, "mode", mode_text));
  }
}

HANDLER (post_user)
{
  static const char *const known[] = { "username", "uid", "shell", "home", NULL };
  struct mr_useradd_opts o = { .size = sizeof o };
  cleanup_json json_t *doc = NULL;
  struct mr_error err = { 0 };
  json_int_t uid = 0;
  int ret;

  if (body_object (req, res, false, &doc) < 0)
    return;
  if (check_fields (doc, known, res) < 0 || field_string (doc, "username", &o.name, res) < 0
      || field_int (doc, "uid", 0, (json_int_t)UINT_MAX - 1, &uid, &o.uid_set, res) < 0
      || field_string (doc, "shell", &o.shell, res) < 0
      || field_string (doc, "home", &o.home, res) < 0)
    return;
  if (o.name == NULL)
    return fail (res, 400, "invalid field 'username': a user name is needed");
  o.uid = (uid_t)uid;
  if (!container_exists (api, name))
    return fail (res, 404, "container '%s' does not exist", name);
  pthread_mutex_lock (&api->lock);
  ret = mr_container_useradd (api->ctx, name, &o, &err);
  pthread_mutex_unlock (&api->lock);
  if (ret < 0)
    return fail (res,
                 err.errnum == EEXIST                      ? 409
                 : err.errnum == 0 || err.errnum == EINVAL ? 400
                                                           : 500,
                 "%s", err.msg);
  succeed_status (res, 201, json_pack ("{s:s, s:s}", "container", name, "username", o.name));
}

/* --- the router ------------------------------------------------------------ */

/* Every route: method, pattern ({name} is one path segment, a container's
   name or id), handler.  */
#define ROUTES(X)                                                                                  \
  X ("GET", "/health", get_health)                                                                 \
  X ("GET", "/metrics", get_metrics)                                                               \
  X ("GET", "/openapi.yaml", get_openapi)                                                          \
  X ("GET", "/system/info", get_system_info)                                                       \
  X ("GET", "/system/stats", get_system_stats)                                                     \
  X ("GET", "/ports", get_ports)                                                                   \
  X ("GET", "/events", get_events)                                                                 \
  X ("GET", "/containers", get_containers)                                                         \
  X ("POST", "/containers", post_containers)                                                       \
  X ("GET", "/containers/{name}", get_container)                                                   \
  X ("DELETE", "/containers/{name}", delete_container)                                             \
  X ("POST", "/containers/{name}/start", post_start)                                               \
  X ("POST", "/containers/{name}/stop", post_stop)                                                 \
  X ("POST", "/containers/{name}/restart", post_restart)                                           \
  X ("POST", "/containers/{name}/kill", post_kill)                                                 \
  X ("POST", "/containers/{name}/pause", post_pause)                                               \
  X ("POST", "/containers/{name}/resume", post_resume)                                             \
  X ("POST", "/containers/{name}/wait", post_wait)                                                 \
  X ("POST", "/containers/{name}/exec", post_exec)                                                 \
  X ("GET", "/containers/{name}/logs", get_logs)                                                   \
  X ("GET", "/containers/{name}/stats", get_stats)                                                 \
  X ("GET", "/containers/{name}/top", get_top)                                                     \
  X ("GET", "/containers/{name}/files", get_file)                                                  \
  X ("POST", "/containers/{name}/files", post_file)                                                \
  X ("POST", "/containers/{name}/users", post_user)

#define ROUTE_ENTRY(m, p, f) { m, p },
#define ROUTE_HANDLER(m, p, f) f,

const struct mr_api_route mr_api_routes[] = { ROUTES (ROUTE_ENTRY){ NULL, NULL } };

typedef void handler_fn (struct mr_api *api, const struct mr_api_request *req, const char *name,
                         struct mr_api_response *res);

static handler_fn *const handlers[] = { ROUTES (ROUTE_HANDLER) };

/* Whether path matches pattern; *name, *name_len: the {name} segment.  */
static bool
route_match (const char *pattern, const char *path, const char **name, size_t *name_len)
{
  *name = NULL;
  *name_len = 0;
  while (*pattern && *path)
    {
      if (strncmp (pattern, "{name}", 6) == 0)
        {
          size_t n = strcspn (path, "/");
          if (n == 0)
            return false;
          *name = path;
          *name_len = n;
          path += n;
          pattern += 6;
          continue;
        }
      if (*pattern != *path)
        return false;
      pattern++;
      path++;
    }
  return *pattern == '\0' && *path == '\0';
}

/* The path as the routes see it: /api/v1 is a prefix.  */
static const char *
unprefixed (const char *path)
{
  size_t plen = strlen (API_PREFIX);

  return strncmp (path, API_PREFIX, plen) == 0 && path[plen] == '/' ? path + plen : path;
}

static void
handle (struct mr_api *api, const struct mr_api_request *req, struct mr_api_response *res)
{
  /* the Allow header of a 405 outlives this call until the response is
     made, in this same thread */
  static __thread char allow[64];
  const char *method = strcmp (req->method, "HEAD") == 0 ? "GET" : req->method;
  const char *path = unprefixed (req->path);
  bool known_path = false;

  allow[0] = '\0';
  for (size_t i = 0; mr_api_routes[i].method; i++)
    {
      const char *seg;
      size_t seg_len;
      cleanup_free char *name = NULL;
      struct mr_error err = { 0 };

      if (!route_match (mr_api_routes[i].pattern, path, &seg, &seg_len))
        continue;
      if (strcmp (mr_api_routes[i].method, method) != 0)
        {
          size_t used = strlen (allow);
          snprintf (allow + used, sizeof allow - used, "%s%s", used ? ", " : "",
                    mr_api_routes[i].method);
          known_path = true;
          continue;
        }
      if (seg)
        {
          name = strndup (seg, seg_len);
          if (name == NULL)
            return fail (res, 500, "out of memory");
          if (mr_id_validate (name, &err) < 0)
            return fail (res, 400, "%s", err.msg);
        }
      return handlers[i](api, req, name, res);
    }
  if (known_path)
    {
      res->allow = allow;
      return fail (res, 405, "method %s not allowed on '%s': use %s", req->method, req->path,
                   allow);
    }
  fail (res, 404, "no route for '%s'", req->path);
}

/* The cheap reads: health, the list (cached), one container, the document,
 * the ports, the host.  */
static bool
runs_inline (const char *method, const char *path)
{
  static const char *const fixed[] = {
    "/health", "/containers", "/openapi.yaml", "/ports", "/system/info",
  };
  const char *name;

  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0)
    return false;
  path = unprefixed (path);
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
    if (strcmp (path, fixed[i]) == 0)
      return true;
  if (strncmp (path, "/containers/", 12) != 0)
    return false;
  name = path + 12;
  return *name != '\0' && strchr (name, '/') == NULL;
}

/* /metrics answers while every slot is taken: that is when it is read.  */
static bool
exempt (const char *method, const char *path)
{
  return strcmp (method, "GET") == 0 && strcmp (unprefixed (path), "/metrics") == 0;
}

const struct mr_http_router mr_api_router = {
  .handle = handle,
  .error_body = mr_api_error_body,
  .runs_inline = runs_inline,
  .exempt = exempt,
};
