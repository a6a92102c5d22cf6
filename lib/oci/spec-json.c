#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "oci/spec-internal.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/error.h"

/* The parsing context and the typed readers every section of config.json
 * is read with, the arrays they allocate, and the JSON builders of the
 * documents minirun writes.  */

/* "NAME: PATH: MESSAGE", or "NAME: MESSAGE" for the document itself.  */
int
mr_spec_fail (struct pctx *pc, const char *path, const char *fmt, ...)
{
  char msg[MR_ERROR_MSG_MAX];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  if (path == NULL || *path == '\0')
    return mr_error_set (pc->err, "%s: %s", pc->name, msg);
  return mr_error_set (pc->err, "%s: %s: %s", pc->name, path, msg);
}

int
mr_spec_oom (struct pctx *pc)
{
  return mr_error_errno (pc->err, ENOMEM, "%s", pc->name);
}

/* A path too long for the buffer ends in "..." rather than mid-name.  */
static const char *
path_done (char *buf, int n)
{
  if (n < 0 || n >= PATH_LEN)
    memcpy (buf + PATH_LEN - 4, "...", 4);
  return buf;
}

const char *
mr_spec_key_path (char *buf, const char *parent, const char *key)
{
  int n;

  if (parent == NULL || *parent == '\0')
    n = snprintf (buf, PATH_LEN, "%s", key);
  else
    n = snprintf (buf, PATH_LEN, "%s.%s", parent, key);
  return path_done (buf, n);
}

const char *
mr_spec_index_path (char *buf, const char *parent, size_t i)
{
  return path_done (buf, snprintf (buf, PATH_LEN, "%s[%zu]", parent, i));
}

static int
missing (struct pctx *pc, const char *parent, const char *key)
{
  char p[PATH_LEN];
  return mr_spec_fail (pc, mr_spec_key_path (p, parent, key), "required field is missing");
}

/* A member of an object; null counts as absent, as Go's encoding/json
 * (and so every engine that writes config.json) treats it.  */
json_t *
mr_spec_member (json_t *obj, const char *key)
{
  json_t *v = json_object_get (obj, key);
  return json_is_null (v) ? NULL : v;
}

/* ------------------------------------------------------------------------ */
/* Integers above INT64_MAX.  jansson keeps integers as long long, but Go
 * writes uint64 fields such as RLIM_INFINITY (18446744073709551615) in full.
 * When jansson refuses such a number, each one is rewritten as a string made
 * of a NUL and 11 base-64 digits ("\u0000" plus the digits between quotes is
 * exactly 19 bytes, 20 with a trailing space), so that nothing after it moves
 * and jansson's line and column numbers still point into the original
 * text.  No legitimate string can start with a NUL: every string reader
 * rejects NUL bytes.  */

static const char big_digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
#define BIG_NDIGITS 11

bool
mr_spec_is_big (json_t *v, uint64_t *out)
{
  const char *s;
  size_t len;
  uint64_t n = 0;

  if (!json_is_string (v))
    return false;
  s = json_string_value (v);
  len = json_string_length (v);
  if (len < 1 + BIG_NDIGITS || len > 2 + BIG_NDIGITS || s[0] != '\0')
    return false;
  if (len == 2 + BIG_NDIGITS && s[len - 1] != ' ')
    return false;
  for (size_t i = 1; i <= BIG_NDIGITS; i++)
    {
      const char *d = s[i] ? memchr (big_digits, s[i], 64) : NULL;
      if (d == NULL)
        return false;
      n = (n << 6) | (uint64_t)(d - big_digits);
    }
  if (out)
    *out = n;
  return true;
}

static char *
quote_big_integers (const char *json, size_t len)
{
  char *out = malloc (len + 1);
  size_t i = 0;

  if (out == NULL)
    return NULL;
  memcpy (out, json, len);
  out[len] = '\0';
  while (i < len)
    {
      size_t start = i, n;
      bool digits = true;
      char tmp[21];
      unsigned long long v;
      char *end;

      if (out[i] == '"')
        {
          for (i++; i < len && out[i] != '"'; i++)
            if (out[i] == '\\')
              i++;
          i++;
          continue;
        }
      if (out[i] != '-' && !isdigit ((unsigned char)out[i]))
        {
          i++;
          continue;
        }
      for (; i < len && out[i] != '\0' && strchr ("0123456789+-.eE", out[i]); i++)
        if (!isdigit ((unsigned char)out[i]))
          digits = false;
      n = i - start;
      if (!digits || out[start] == '0' || (n != 19 && n != 20))
        continue;
      memcpy (tmp, out + start, n);
      tmp[n] = '\0';
      errno = 0;
      v = strtoull (tmp, &end, 10);
      if (errno != 0 || *end != '\0' || v <= INT64_MAX)
        continue;
      memcpy (out + start, "\"\\u0000", 7);
      for (int d = BIG_NDIGITS - 1; d >= 0; d--)
        {
          out[start + 7 + (size_t)d] = big_digits[v & 63];
          v >>= 6;
        }
      if (n == 20)
        out[start + 7 + BIG_NDIGITS] = ' ';
      out[start + n - 1] = '"';
    }
  return out;
}

int
mr_spec_load_json (struct pctx *pc, const char *json, size_t len, json_t **out)
{
  const size_t flags = JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL;
  json_error_t jerr;
  json_t *j;

  if (json == NULL)
    return mr_spec_fail (pc, NULL, "no document");
  j = json_loadb (json, len, flags, &jerr);
  if (j == NULL && json_error_code (&jerr) == json_error_numeric_overflow)
    {
      cleanup_free char *quoted = quote_big_integers (json, len);
      if (quoted == NULL)
        return mr_spec_oom (pc);
      j = json_loadb (quoted, len, flags, &jerr);
    }
  if (j == NULL)
    return mr_error_set (pc->err, "%s: line %d, column %d: %s", pc->name, jerr.line, jerr.column,
                         jerr.text);
  if (!json_is_object (j))
    {
      json_decref (j);
      return mr_spec_fail (pc, NULL, "expected an object");
    }
  *out = j;
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Typed readers (their contract is in spec-internal.h).  */

int
mr_spec_v_cstr (struct pctx *pc, json_t *v, const char *path, const char **out)
{
  const char *s;

  if (!json_is_string (v) || mr_spec_is_big (v, NULL))
    return mr_spec_fail (pc, path, "expected a string");
  s = json_string_value (v);
  if (strlen (s) != json_string_length (v))
    return mr_spec_fail (pc, path, "must not contain a NUL byte");
  *out = s;
  return 0;
}

static int
v_string (struct pctx *pc, json_t *v, const char *path, char **out)
{
  const char *s;

  if (mr_spec_v_cstr (pc, v, path, &s) < 0)
    return -1;
  *out = strdup (s);
  if (*out == NULL)
    return mr_spec_oom (pc);
  return 0;
}

static int
v_int64 (struct pctx *pc, json_t *v, const char *path, int64_t min, int64_t max, int64_t *out)
{
  uint64_t big;
  json_int_t n;

  if (mr_spec_is_big (v, &big))
    return mr_spec_fail (pc, path, "%" PRIu64 " is out of range (%" PRId64 "..%" PRId64 ")", big,
                         min, max);
  if (!json_is_integer (v))
    return mr_spec_fail (pc, path, "expected an integer");
  n = json_integer_value (v);
  if (n < min || n > max)
    return mr_spec_fail (pc, path, "%lld is out of range (%" PRId64 "..%" PRId64 ")", (long long)n,
                         min, max);
  *out = n;
  return 0;
}

int
mr_spec_v_uint64 (struct pctx *pc, json_t *v, const char *path, uint64_t max, uint64_t *out)
{
  uint64_t n;

  if (!mr_spec_is_big (v, &n))
    {
      if (!json_is_integer (v))
        return mr_spec_fail (pc, path, "expected an integer");
      if (json_integer_value (v) < 0)
        return mr_spec_fail (pc, path, "expected a non-negative integer");
      n = (uint64_t)json_integer_value (v);
    }
  if (n > max)
    return mr_spec_fail (pc, path, "%" PRIu64 " is out of range (0..%" PRIu64 ")", n, max);
  *out = n;
  return 0;
}

int
mr_spec_v_object (struct pctx *pc, json_t *v, const char *path)
{
  if (!json_is_object (v))
    return mr_spec_fail (pc, path, "expected an object");
  return 0;
}

int
mr_spec_v_strv (struct pctx *pc, json_t *v, const char *path, char ***out, size_t *n_out)
{
  char p[PATH_LEN];
  size_t i, n;
  json_t *e;

  if (!json_is_array (v))
    return mr_spec_fail (pc, path, "expected an array");
  n = json_array_size (v);
  *out = calloc (n + 1, sizeof (char *));
  if (*out == NULL)
    return mr_spec_oom (pc);
  if (n_out)
    *n_out = n;
  json_array_foreach (v, i, e) if (v_string (pc, e, mr_spec_index_path (p, path, i), &(*out)[i])
                                   < 0) return -1;
  return 0;
}

static int
check_absolute (struct pctx *pc, const char *path, const char *s)
{
  if (s[0] != '/')
    return mr_spec_fail (pc, path, "'%s' is not an absolute path", s);
  return 0;
}

#define READER_BEGIN                                                                               \
  char p[PATH_LEN];                                                                                \
  json_t *v = mr_spec_member (obj, key);                                                           \
  if (v == NULL)                                                                                   \
    return req ? missing (pc, parent, key) : 0;                                                    \
  mr_spec_key_path (p, parent, key)

int
mr_spec_read_string (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
                     char **out)
{
  READER_BEGIN;
  return v_string (pc, v, p, out) < 0 ? -1 : 1;
}

int
mr_spec_read_cstr (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
                   const char **out)
{
  READER_BEGIN;
  return mr_spec_v_cstr (pc, v, p, out) < 0 ? -1 : 1;
}

int
mr_spec_read_abs_path (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
                       char **out)
{
  READER_BEGIN;
  if (v_string (pc, v, p, out) < 0 || check_absolute (pc, p, *out) < 0)
    return -1;
  return 1;
}

int
mr_spec_read_bool (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
                   bool *out)
{
  READER_BEGIN;
  if (!json_is_boolean (v))
    return mr_spec_fail (pc, p, "expected a boolean");
  *out = json_is_true (v);
  return 1;
}

int
mr_spec_read_int64 (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
                    int64_t min, int64_t max, int64_t *out)
{
  READER_BEGIN;
  return v_int64 (pc, v, p, min, max, out) < 0 ? -1 : 1;
}

int
mr_spec_read_uint64 (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
                     uint64_t max, uint64_t *out)
{
  READER_BEGIN;
  return mr_spec_v_uint64 (pc, v, p, max, out) < 0 ? -1 : 1;
}

int
mr_spec_read_uint32 (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
                     uint32_t max, uint32_t *out)
{
  uint64_t n;
  int r = mr_spec_read_uint64 (pc, obj, parent, key, req, max, &n);
  if (r > 0)
    *out = (uint32_t)n;
  return r;
}

int
mr_spec_read_object (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
                     json_t **out)
{
  READER_BEGIN;
  *out = NULL;
  if (mr_spec_v_object (pc, v, p) < 0)
    return -1;
  *out = v;
  return 1;
}

int
mr_spec_read_array (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
                    json_t **out)
{
  READER_BEGIN;
  *out = NULL;
  if (!json_is_array (v))
    return mr_spec_fail (pc, p, "expected an array");
  *out = v;
  return 1;
}

int
mr_spec_read_strv (struct pctx *pc, json_t *obj, const char *parent, const char *key, bool req,
                   char ***out, size_t *n_out)
{
  READER_BEGIN;
  return mr_spec_v_strv (pc, v, p, out, n_out) < 0 ? -1 : 1;
}

/* An array of absolute paths.  */
int
mr_spec_read_path_list (struct pctx *pc, json_t *obj, const char *parent, const char *key,
                        char ***out, size_t *n_out)
{
  char p[PATH_LEN], ep[PATH_LEN];
  int r = mr_spec_read_strv (pc, obj, parent, key, false, out, n_out);

  if (r <= 0)
    return r;
  mr_spec_key_path (p, parent, key);
  for (size_t i = 0; (*out)[i]; i++)
    if (check_absolute (pc, mr_spec_index_path (ep, p, i), (*out)[i]) < 0)
      return -1;
  return 1;
}

/* An object whose values are all strings.  */
int
mr_spec_read_kv (struct pctx *pc, json_t *obj, const char *parent, const char *key,
                 struct mr_spec_kv **out, size_t *n_out)
{
  char p[PATH_LEN], ep[PATH_LEN];
  json_t *o, *v;
  const char *k;
  size_t i = 0;
  int r = mr_spec_read_object (pc, obj, parent, key, false, &o);

  if (r <= 0)
    return r;
  mr_spec_key_path (p, parent, key);
  *out = calloc (json_object_size (o) + 1, sizeof **out);
  if (*out == NULL)
    return mr_spec_oom (pc);
  *n_out = json_object_size (o);
  json_object_foreach (o, k, v)
  {
    mr_spec_key_path (ep, p, k);
    (*out)[i].key = strdup (k);
    if ((*out)[i].key == NULL)
      return mr_spec_oom (pc);
    if (v_string (pc, v, ep, &(*out)[i].value) < 0)
      return -1;
    i++;
  }
  return 1;
}

/* Allocates a zeroed array for a JSON array and stores it with its count at
 * once, so that a later failure frees it with the rest of the struct.  */
int
mr_spec_alloc_array (struct pctx *pc, json_t *a, size_t elem, void **out, size_t *n)
{
  *n = json_array_size (a);
  *out = calloc (*n ? *n : 1, elem);
  if (*out == NULL)
    {
      *n = 0;
      return mr_spec_oom (pc);
    }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Freeing what the readers allocate.  */

void
mr_spec_strv_free (char **v)
{
  if (v == NULL)
    return;
  for (char **p = v; *p; p++)
    free (*p);
  free (v);
}

void
mr_spec_kv_free (struct mr_spec_kv *kv, size_t n)
{
  if (kv == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    {
      free (kv[i].key);
      free (kv[i].value);
    }
  free (kv);
}

/* ------------------------------------------------------------------------ */
/* Writing documents.  */

json_t *
mr_spec_strv_json (const char *const *v, size_t n)
{
  json_t *a = json_array ();

  for (size_t i = 0; a && i < n; i++)
    if (json_array_append_new (a, json_string (v[i])) < 0)
      {
        json_decref (a);
        return NULL;
      }
  return a;
}

int
mr_spec_dump_json (json_t *j, char **out, struct mr_error *err)
{
  if (j == NULL)
    return mr_error_errno (err, ENOMEM, "build JSON document");
  *out = json_dumps (j, JSON_INDENT (2));
  if (*out == NULL)
    return mr_error_errno (err, ENOMEM, "serialize JSON document");
  return 0;
}
