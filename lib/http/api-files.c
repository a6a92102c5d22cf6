/* The native API inside a container: its files and its users.  */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "http/api-internal.h"
#include "util/cleanup.h"
#include "util/json.h"

/* The largest file read or written through /containers/{name}/files,
   base64 on the wire.  One written is held in memory whole; one read is
   sent as it is read, FILE_BLOCK bytes at a time (a multiple of 3, so that
   each block's base64 follows the last one's without padding).  */
#define MAX_FILE_SIZE (8 << 20)
#define FILE_BLOCK (48 << 10)

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
      return api_fail (res, 404, "%s", err->msg);
    case EISDIR:
    case EINVAL:
    case EFBIG:
    case ENAMETOOLONG:
    case EXDEV:
      return api_fail (res, 400, "%s", err->msg);
    default:
      return api_fail_library (api, res, name, err);
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
      f->pending_len = api_base64_block (f->in, n, f->out);
      return 0;
    }
  /* the last block; the tail follows it */
  f->eof = true;
  f->pending_len = api_base64_block (f->in, n, f->out);
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
    return api_fail (res, 400, "the query parameter 'path' is needed");
  if (!api_container_exists (api, name))
    return api_fail (res, 404, "container '%s' does not exist", name);
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
      return api_fail (res, 500, "out of memory");
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
        return api_bad_type (res, "mode", "permission bits, as a number or octal text (\"0644\")");
      *mode = (mode_t)m;
    }
  else
    return api_bad_type (res, "mode", "permission bits, as a number or octal text (\"0644\")");
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

  if (api_body_object (req, res, false, &doc) < 0)
    return;
  if (api_check_fields (doc, known, res) < 0 || api_field_string (doc, "path", &path, res) < 0
      || field_mode (doc, &mode, res) < 0)
    return;
  content = NULL;
  b64 = NULL;
  /* content may hold NUL characters: it is taken with its length */
  if (json_object_get (doc, "content") && !json_is_null (json_object_get (doc, "content")))
    {
      if (!json_is_string (json_object_get (doc, "content")))
        return (void)api_bad_type (res, "content", "a string");
      content = json_string_value (json_object_get (doc, "content"));
    }
  if (api_field_string (doc, "content_base64", &b64, res) < 0)
    return;
  if (path == NULL || *path == '\0')
    return api_fail (res, 400, "invalid field 'path': a path in the container is needed");
  if ((content == NULL) == (b64 == NULL))
    return api_fail (res, 400, "give content or content_base64, one of them");
  if (content)
    {
      data = content;
      len = json_string_length (json_object_get (doc, "content"));
    }
  else
    {
      if (api_base64_decode (b64, strlen (b64), &decoded, &len) < 0)
        return api_fail (res, 400, "invalid field 'content_base64': not base64");
      data = decoded;
    }
  if (!api_container_exists (api, name))
    {
      free (decoded);
      return api_fail (res, 404, "container '%s' does not exist", name);
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
    api_succeed_status (
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

  if (api_body_object (req, res, false, &doc) < 0)
    return;
  if (api_check_fields (doc, known, res) < 0 || api_field_string (doc, "username", &o.name, res) < 0
      || api_field_int (doc, "uid", 0, (json_int_t)UINT_MAX - 1, &uid, &o.uid_set, res) < 0
      || api_field_string (doc, "shell", &o.shell, res) < 0
      || api_field_string (doc, "home", &o.home, res) < 0)
    return;
  if (o.name == NULL)
    return api_fail (res, 400, "invalid field 'username': a user name is needed");
  o.uid = (uid_t)uid;
  if (!api_container_exists (api, name))
    return api_fail (res, 404, "container '%s' does not exist", name);
  pthread_mutex_lock (&api->lock);
  ret = mr_container_useradd (api->ctx, name, &o, &err);
  pthread_mutex_unlock (&api->lock);
  if (ret < 0)
    return api_fail (res,
                     err.errnum == EEXIST                      ? 409
                     : err.errnum == 0 || err.errnum == EINVAL ? 400
                                                               : 500,
                     "%s", err.msg);
  api_succeed_status (res, 201, json_pack ("{s:s, s:s}", "container", name, "username", o.name));
}
