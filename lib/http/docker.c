/* The Docker Engine API subset: /v1.NN/..., /_ping, /version, /info.
 *
 * Enough of the Engine API for the docker CLI and docker-py to list,
 * create, start, stop, kill, wait for, inspect, exec in, read the logs and
 * stats of, and remove managed containers, and to list the image store.
 * Container ids are minirun's names (clients take any string as an id);
 * a unique prefix of a name is accepted too.  OCI containers, which some
 * other engine supervises, are not shown: Docker's clients could do little
 * with them.  */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "http/server.h"
#include "managed/runconfig.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/json.h"

#define API_MAJOR 1
#define API_MIN_MINOR 24
#define API_MAX_MINOR 47
#define API_VERSION "1.47"
#define API_MIN_VERSION "1.24"

#define ZERO_TIME "0001-01-01T00:00:00Z"

/* One request as the handlers see it.  */
struct dreq
{
  struct mr_api *api;
  const struct mr_api_request *req;
  struct mr_api_response *res;
  int minor; /* the API version asked for (1.minor) */
};

static const char *
query (const struct dreq *d, const char *key)
{
  return d->req->query (d->req->conn, key);
}

/* Docker reads a flag as false when empty, 0, no, false or none.  */
static bool
query_flag (const struct dreq *d, const char *key)
{
  const char *v = query (d, key);

  if (v == NULL)
    return false;
  return !(*v == '\0' || strcmp (v, "0") == 0 || strcasecmp (v, "no") == 0
           || strcasecmp (v, "false") == 0 || strcasecmp (v, "none") == 0);
}

/* --- responses ------------------------------------------------------------ */

static void fail (struct dreq *d, unsigned status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
fail (struct dreq *d, unsigned status, const char *fmt, ...)
{
  char msg[MR_ERROR_MSG_MAX];
  json_t *doc;
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  d->res->status = status;
  doc = json_pack ("{s:s}", "message", msg);
  d->res->body = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
  json_decref (doc);
  if (d->res->body == NULL)
    d->res->body = strdup ("{\"message\":\"out of memory\"}");
}

/* Takes doc (a new reference; NULL: out of memory).  */
static void
reply (struct dreq *d, unsigned status, json_t *doc)
{
  char *body = doc ? json_dumps (doc, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

  json_decref (doc);
  if (body == NULL)
    return fail (d, 500, "out of memory");
  d->res->status = status;
  d->res->body = body;
}

/* 204 and 304: no body.  */
static void
reply_empty (struct dreq *d, unsigned status)
{
  d->res->status = status;
  d->res->static_body = "";
  d->res->static_len = 0;
  d->res->content_type = "text/plain; charset=utf-8";
}

static bool
container_exists (struct mr_api *api, const char *name)
{
  return mr_container_is_managed (api->ctx, name);
}

/* A library error as Docker's status: 404 for a container that is not
 * there, 409 for one in the wrong state or a name in use.  */
static void
fail_library (struct dreq *d, const char *name, const struct mr_error *err)
{
  unsigned status = 500;

  if (name && !container_exists (d->api, name))
    return fail (d, 404, "No such container: %s", name);
  switch (err->errnum)
    {
    case ENOENT:
    case EBUSY:
    case EEXIST:
    case ESRCH:
    case 0:
      status = name ? 409 : 500;
      break;
    case EINVAL:
      status = 400;
      break;
    default:
      break;
    }
  fail (d, status, "%s", err->msg);
}

/* --- times ------------------------------------------------------------------ */

/* RFC 3339 in UTC ("2024-05-01T10:00:00.123456789Z") to seconds; 0 when
 * it is not one (or is Go's zero time).  */
static int64_t
parse_time (const char *s)
{
  struct tm tm = { 0 };
  const char *rest;
  time_t t;

  if (s == NULL || strncmp (s, "0001-", 5) == 0)
    return 0;
  rest = strptime (s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == NULL)
    return 0;
  t = timegm (&tm);
  return t < 0 ? 0 : (int64_t)t;
}

/* Go's units.HumanDuration, which docker ps prints.  */
static void
human_duration (int64_t secs, char *buf, size_t len)
{
  int64_t hours;

  if (secs < 1)
    snprintf (buf, len, "Less than a second");
  else if (secs == 1)
    snprintf (buf, len, "1 second");
  else if (secs < 60)
    snprintf (buf, len, "%lld seconds", (long long)secs);
  else if (secs / 60 == 1)
    snprintf (buf, len, "About a minute");
  else if (secs / 60 < 60)
    snprintf (buf, len, "%lld minutes", (long long)(secs / 60));
  else if ((hours = (secs + 1800) / 3600) == 1)
    snprintf (buf, len, "About an hour");
  else if (hours < 48)
    snprintf (buf, len, "%lld hours", (long long)hours);
  else if (hours < 24 * 7 * 2)
    snprintf (buf, len, "%lld days", (long long)(hours / 24));
  else if (hours < 24 * 30 * 2)
    snprintf (buf, len, "%lld weeks", (long long)(hours / 24 / 7));
  else if (hours < 24 * 365 * 2)
    snprintf (buf, len, "%lld months", (long long)(hours / 24 / 30));
  else
    snprintf (buf, len, "%lld years", (long long)(secs / 3600 / 24 / 365));
}

static void
rfc3339_now (char *buf, size_t len)
{
  struct timespec ts;
  struct tm tm;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  snprintf (buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
            tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

/* --- containers: lookup and shapes ------------------------------------------ */

static const char *
jstr (const json_t *o, const char *key)
{
  const char *s = json_string_value (json_object_get (o, key));
  return s ? s : "";
}

/* The name of the managed container that id names, exactly or as the one
 * name it begins (caller frees); NULL after a 404.  */
static char *
resolve (struct dreq *d, const char *id)
{
  struct mr_container_info *list = NULL;
  struct mr_error err = { 0 };
  char *found = NULL;
  size_t n = 0, len;
  bool twice = false;

  if (*id == '/')
    id++;
  if (mr_id_validate (id, &err) == 0 && container_exists (d->api, id))
    {
      found = strdup (id);
      if (found == NULL)
        fail (d, 500, "out of memory");
      return found;
    }
  len = strlen (id);
  if (len > 0 && mr_api_list (d->api, &list, &n, &err) == 0)
    {
      for (size_t i = 0; i < n; i++)
        if (list[i].managed && strncmp (list[i].id, id, len) == 0)
          {
            twice = found != NULL;
            found = list[i].id;
          }
      found = found && !twice ? strdup (found) : NULL;
      mr_container_info_free (list, n);
    }
  if (found == NULL)
    fail (d, 404, "No such container: %s", id);
  return found;
}

/* The library's record of a container; NULL after an error response.  */
static json_t *
load_record (struct dreq *d, const char *name)
{
  cleanup_free char *text = NULL;
  struct mr_error err = { 0 };
  json_t *rec;

  if (mr_container_inspect (d->api->ctx, name, &text, &err) < 0)
    {
      fail_library (d, name, &err);
      return NULL;
    }
  rec = json_loads (text, 0, NULL);
  if (rec == NULL)
    fail (d, 500, "inspect '%s': the library returned invalid JSON", name);
  return rec;
}

/* minirun's statuses in Docker's words.  */
static const char *
docker_status (const char *status)
{
  if (strcmp (status, "stopped") == 0)
    return "exited";
  if (strcmp (status, "creating") == 0)
    return "created";
  return status;
}

/* What docker ps shows in its STATUS column.  */
static void
status_text (const json_t *state, char *buf, size_t len)
{
  const char *status = jstr (state, "Status");
  int code = (int)json_integer_value (json_object_get (state, "ExitCode"));
  int64_t now = (int64_t)time (NULL);
  int64_t started = parse_time (jstr (state, "StartedAt"));
  int64_t finished = parse_time (jstr (state, "FinishedAt"));
  char ago[64];

  if (strcmp (status, "running") == 0 || strcmp (status, "paused") == 0)
    {
      human_duration (started ? now - started : 0, ago, sizeof ago);
      snprintf (buf, len, "Up %s%s", ago, strcmp (status, "paused") == 0 ? " (Paused)" : "");
    }
  else if (strcmp (status, "restarting") == 0)
    {
      human_duration (finished ? now - finished : 0, ago, sizeof ago);
      snprintf (buf, len, "Restarting (%d) %s ago", code, ago);
    }
  else if (strcmp (status, "stopped") == 0 && finished)
    {
      human_duration (now - finished, ago, sizeof ago);
      snprintf (buf, len, "Exited (%d) %s ago", code, ago);
    }
  else if (strcmp (status, "stopped") == 0)
    snprintf (buf, len, "Exited (%d)", code);
  else
    snprintf (buf, len, "Created");
}

static json_t *
image_id (const json_t *rec)
{
  const char *id = jstr (rec, "ImageId");
  return *id ? json_sprintf ("sha256:%s", id) : json_string ("");
}

/* Binds ("SRC:DST[:ro]") as Docker's Mounts.  */
static json_t *
mounts_of (const json_t *host)
{
  json_t *mounts = json_array ();
  json_t *bind;
  size_t i;

  json_array_foreach (json_object_get (host, "Binds"), i, bind)
  {
    const char *s = json_string_value (bind);
    const char *colon = s ? strchr (s, ':') : NULL;
    const char *mode;
    cleanup_free char *src = NULL;
    cleanup_free char *dst = NULL;

    if (colon == NULL)
      continue;
    src = strndup (s, (size_t)(colon - s));
    mode = strchr (colon + 1, ':');
    dst = mode ? strndup (colon + 1, (size_t)(mode - colon - 1)) : strdup (colon + 1);
    mode = mode ? mode + 1 : "";
    if (src && dst)
      json_array_append_new (mounts,
                             json_pack ("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", "bind", "Source",
                                        src, "Destination", dst, "Mode", mode, "RW",
                                        strstr (mode, "ro") == NULL, "Propagation", "rprivate"));
  }
  return mounts;
}

static json_t *
command_of (const json_t *config)
{
  json_t *cmd = json_object_get (config, "Cmd");
  json_t *arg;
  size_t i;
  char *s = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&s, &len);
  json_t *ret;

  if (f == NULL)
    return NULL;
  json_array_foreach (cmd, i, arg) fprintf (f, "%s%s", i ? " " : "", json_string_value (arg));
  fclose (f);
  ret = json_string (s ? s : "");
  free (s);
  return ret;
}

/* One entry of GET /containers/json.  */
static json_t *
list_entry (const json_t *rec)
{
  json_t *config = json_object_get (rec, "Config");
  json_t *host = json_object_get (rec, "HostConfig");
  json_t *state = json_object_get (rec, "State");
  json_t *labels = json_object_get (config, "Labels");
  char status[128];

  status_text (state, status, sizeof status);
  return json_pack ("{s:s, s:[s+], s:s, s:o, s:o, s:I, s:[], s:o, s:s, s:s, s:{s:s}, "
                    "s:{s:{}}, s:o}",
                    "Id", jstr (rec, "Id"), "Names", "/", jstr (rec, "Name"), "Image",
                    jstr (rec, "Image"), "ImageID", image_id (rec), "Command", command_of (config),
                    "Created", (json_int_t)parse_time (jstr (rec, "Created")), "Ports", "Labels",
                    json_is_object (labels) ? json_incref (labels) : json_object (), "State",
                    docker_status (jstr (state, "Status")), "Status", status, "HostConfig",
                    "NetworkMode", "none", "NetworkSettings", "Networks", "Mounts",
                    mounts_of (host));
}

/* The filters of a query, {"key": {"value": true}} or the older
 * {"key": ["value"]}, as {"key": ["value", ...]}; NULL after a 400.  */
static json_t *
parse_filters (struct dreq *d, const char *const *known)
{
  const char *text = query (d, "filters");
  cleanup_json json_t *in = NULL;
  json_t *out, *v;
  const char *key;
  json_error_t jerr;

  out = json_object ();
  if (out == NULL || text == NULL || *text == '\0')
    return out;
  in = json_loads (text, 0, &jerr);
  if (!json_is_object (in))
    {
      json_decref (out);
      fail (d, 400, "invalid filters '%s': expected a JSON object", text);
      return NULL;
    }
  json_object_foreach (in, key, v)
  {
    json_t *vals = json_array ();
    const char *k;
    json_t *e;
    size_t i;
    bool ok = false;

    for (size_t j = 0; known[j]; j++)
      ok = ok || strcmp (known[j], key) == 0;
    if (!ok)
      {
        json_decref (vals);
        json_decref (out);
        fail (d, 400, "invalid filter '%s'", key);
        return NULL;
      }
    if (json_is_object (v))
      json_object_foreach (v, k, e)
      {
        if (!json_is_boolean (e))
          ok = false;
        json_array_append_new (vals, json_string (k));
      }
    else if (json_is_array (v))
      json_array_foreach (v, i, e)
      {
        if (!json_is_string (e))
          ok = false;
        json_array_append (vals, e);
      }
    else
      ok = false;
    if (!ok)
      {
        json_decref (vals);
        json_decref (out);
        fail (d, 400, "invalid filter '%s': expected an array of strings or an object of booleans",
              key);
        return NULL;
      }
    json_object_set_new (out, key, vals);
  }
  return out;
}

/* Whether a filter key's values let s through: no values, or one equal.  */
static bool
filter_any (const json_t *filters, const char *key,
            bool (*match) (const char *want, const char *s, const void *data), const char *s,
            const void *data)
{
  json_t *vals = json_object_get (filters, key);
  json_t *v;
  size_t i;

  if (json_array_size (vals) == 0)
    return true;
  json_array_foreach (vals, i, v) if (match (json_string_value (v), s, data)) return true;
  return false;
}

static bool
match_equal (const char *want, const char *s, const void *data)
{
  (void)data;
  return strcmp (want, s) == 0;
}

static bool
match_prefix (const char *want, const char *s, const void *data)
{
  (void)data;
  return strncmp (s, want, strlen (want)) == 0;
}

/* Docker matches names with a regular expression, unanchored, on the name
 * with or without its leading '/'.  The patterns come from clients: their
 * length, the matcher's steps, its backtracking depth and its heap are
 * bounded, so that a pattern costs little whatever it says.  */
#define NAME_REGEX_MAX_LEN 256
#define NAME_REGEX_MATCH_LIMIT 100000
#define NAME_REGEX_DEPTH_LIMIT 1000
#define NAME_REGEX_HEAP_LIMIT_KIB 1024

struct name_regex
{
  pcre2_code **codes;
  size_t n;
  pcre2_match_data *md;
  pcre2_match_context *mc;
  pcre2_compile_context *cc;
  int error; /* a match that ran out of its limits */
  char bad[NAME_REGEX_MAX_LEN + 1];
};

static void
name_regex_free (struct name_regex *nr)
{
  for (size_t i = 0; i < nr->n; i++)
    pcre2_code_free (nr->codes[i]);
  free (nr->codes);
  pcre2_match_data_free (nr->md);
  pcre2_match_context_free (nr->mc);
  pcre2_compile_context_free (nr->cc);
  *nr = (struct name_regex){ 0 };
}

/* Compiles the name filter's patterns; 400 naming the filter where one is
 * too long or invalid.  */
static int
name_regex_compile (struct dreq *d, const json_t *filters, struct name_regex *nr)
{
  json_t *vals = json_object_get (filters, "name"), *v;
  size_t i;

  *nr = (struct name_regex){ 0 };
  if (json_array_size (vals) == 0)
    return 0;
  nr->codes = calloc (json_array_size (vals), sizeof *nr->codes);
  nr->mc = pcre2_match_context_create (NULL);
  nr->cc = pcre2_compile_context_create (NULL);
  nr->md = pcre2_match_data_create (1, NULL);
  if (nr->codes == NULL || nr->mc == NULL || nr->cc == NULL || nr->md == NULL)
    {
      fail (d, 500, "out of memory");
      return -1;
    }
  pcre2_set_match_limit (nr->mc, NAME_REGEX_MATCH_LIMIT);
  pcre2_set_depth_limit (nr->mc, NAME_REGEX_DEPTH_LIMIT);
  pcre2_set_heap_limit (nr->mc, NAME_REGEX_HEAP_LIMIT_KIB);
  pcre2_set_max_pattern_length (nr->cc, NAME_REGEX_MAX_LEN);
  pcre2_set_parens_nest_limit (nr->cc, 32);
  json_array_foreach (vals, i, v)
  {
    const char *want = json_string_value (v);
    PCRE2_SIZE off;
    int code;

    if (strlen (want) > NAME_REGEX_MAX_LEN)
      {
        fail (d, 400, "invalid filter 'name': pattern longer than %d bytes", NAME_REGEX_MAX_LEN);
        return -1;
      }
    nr->codes[nr->n] = pcre2_compile ((PCRE2_SPTR)want, PCRE2_ZERO_TERMINATED,
                                      PCRE2_UTF | PCRE2_NO_AUTO_CAPTURE, &code, &off, nr->cc);
    if (nr->codes[nr->n] == NULL)
      {
        PCRE2_UCHAR msg[160];

        pcre2_get_error_message (code, msg, sizeof msg);
        fail (d, 400, "invalid filter 'name': '%s': %s at offset %zu", want, (char *)msg,
              (size_t)off);
        return -1;
      }
    nr->n++;
  }
  return 0;
}

static bool
name_regex_run (struct name_regex *nr, const pcre2_code *code, const char *s)
{
  int rc = pcre2_match (code, (PCRE2_SPTR)s, strlen (s), 0, 0, nr->md, nr->mc);

  if (rc >= 0)
    return true;
  if (rc != PCRE2_ERROR_NOMATCH && nr->error == 0)
    nr->error = rc;
  return false;
}

static bool
name_regex_match (struct name_regex *nr, const char *name)
{
  char slashed[256 + 2];

  if (nr->n == 0)
    return true;
  if (*name == '/')
    name++;
  snprintf (slashed, sizeof slashed, "/%s", name);
  for (size_t i = 0; i < nr->n; i++)
    if (name_regex_run (nr, nr->codes[i], name) || name_regex_run (nr, nr->codes[i], slashed))
      return true;
  return false;
}

/* "key" or "key=value" against the labels object.  */
static bool
match_label (const char *want, const char *s, const void *data)
{
  const json_t *labels = data;
  const char *eq = strchr (want, '=');
  cleanup_free char *key = eq ? strndup (want, (size_t)(eq - want)) : strdup (want);
  json_t *v;

  (void)s;
  if (key == NULL)
    return false;
  v = json_object_get (labels, key);
  return v
         && (eq == NULL
             || strcmp (json_string_value (v) ? json_string_value (v) : "", eq + 1) == 0);
}

static bool
filters_pass (const json_t *filters, struct name_regex *names, const json_t *rec)
{
  json_t *state = json_object_get (rec, "State");
  json_t *labels = json_object_get (json_object_get (rec, "Config"), "Labels");
  json_t *want;
  char code[16];
  size_t i;

  snprintf (code, sizeof code, "%d", (int)json_integer_value (json_object_get (state, "ExitCode")));
  if (!filter_any (filters, "status", match_equal, docker_status (jstr (state, "Status")), NULL)
      || !name_regex_match (names, jstr (rec, "Name"))
      || !filter_any (filters, "id", match_prefix, jstr (rec, "Id"), NULL)
      || !filter_any (filters, "ancestor", match_equal, jstr (rec, "Image"), NULL))
    return false;
  if (json_array_size (json_object_get (filters, "exited")) > 0
      && (strcmp (jstr (state, "Status"), "stopped") != 0
          || !filter_any (filters, "exited", match_equal, code, NULL)))
    return false;
  /* every label filter must match */
  json_array_foreach (json_object_get (filters, "label"), i,
                      want) if (!match_label (json_string_value (want), NULL, labels)) return false;
  return true;
}

static int
by_created_desc (const void *a, const void *b)
{
  const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
  json_int_t cx = json_integer_value (json_object_get (x, "Created"));
  json_int_t cy = json_integer_value (json_object_get (y, "Created"));

  return cx < cy ? 1 : cx > cy ? -1 : strcmp (jstr (x, "Id"), jstr (y, "Id"));
}

static void
get_containers (struct dreq *d)
{
  static const char *const known[]
      = { "status", "name", "label", "id", "ancestor", "exited", NULL };
  struct mr_container_info *list = NULL;
  cleanup_json json_t *filters = NULL;
  __attribute__ ((cleanup (name_regex_free))) struct name_regex names = { 0 };
  struct mr_error err = { 0 };
  bool all = query_flag (d, "all");
  const char *limit_s = query (d, "limit");
  long limit = -1;
  json_t **entries;
  json_t *out;
  size_t n = 0, m = 0;

  if (limit_s && *limit_s)
    {
      char *end;
      limit = strtol (limit_s, &end, 10);
      if (*end || end == limit_s)
        return fail (d, 400, "invalid limit '%s': expected a number", limit_s);
    }
  filters = parse_filters (d, known);
  if (filters == NULL || name_regex_compile (d, filters, &names) < 0)
    return;
  /* docker ps -n N and a status filter show every state */
  if (limit > 0 || json_object_get (filters, "status") || json_object_get (filters, "exited"))
    all = true;
  if (mr_api_list (d->api, &list, &n, &err) < 0)
    return fail_library (d, NULL, &err);
  entries = calloc (n + 1, sizeof *entries);
  if (entries == NULL)
    {
      mr_container_info_free (list, n);
      return fail (d, 500, "out of memory");
    }
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *text = NULL;
      cleanup_json json_t *rec = NULL;
      json_t *state;

      if (!list[i].managed || mr_container_inspect (d->api->ctx, list[i].id, &text, &err) < 0)
        {
          mr_error_clear (&err);
          continue;
        }
      rec = json_loads (text, 0, NULL);
      state = json_object_get (rec, "State");
      if (rec == NULL || (!all && !json_is_true (json_object_get (state, "Running")))
          || !filters_pass (filters, &names, rec))
        continue;
      entries[m] = list_entry (rec);
      if (entries[m])
        m++;
    }
  mr_container_info_free (list, n);
  if (names.error != 0)
    {
      PCRE2_UCHAR msg[160];

      for (size_t i = 0; i < m; i++)
        json_decref (entries[i]);
      free (entries);
      pcre2_get_error_message (names.error, msg, sizeof msg);
      return fail (d, 400, "invalid filter 'name': the pattern is too costly to match: %s",
                   (char *)msg);
    }
  qsort (entries, m, sizeof *entries, by_created_desc);
  out = json_array ();
  for (size_t i = 0; i < m; i++)
    {
      if (limit < 0 || (long)i < limit)
        json_array_append (out, entries[i]);
      json_decref (entries[i]);
    }
  free (entries);
  reply (d, 200, out);
}

/* GET /containers/{id}/json: the record in Docker's inspect shape.  */
static json_t *
inspect_shape (const json_t *rec)
{
  json_t *config = json_object_get (rec, "Config");
  json_t *host = json_object_get (rec, "HostConfig");
  json_t *state = json_object_get (rec, "State");
  json_t *cmd = json_object_get (config, "Cmd");
  json_t *args = json_array ();
  json_t *dconfig, *dhost, *dstate, *out;
  const char *status = jstr (state, "Status");
  const char *dir = jstr (rec, "Bundle");
  cleanup_free char *etc = NULL;
  size_t dlen = strlen (dir);

  for (size_t i = 1; i < json_array_size (cmd); i++)
    json_array_append (args, json_array_get (cmd, i));
  /* the record's directory holds bundle/ and etc/ */
  if (dlen >= 7 && strcmp (dir + dlen - 7, "/bundle") == 0)
    etc = strndup (dir, dlen - 7);
  dstate = json_pack (
      "{s:s, s:b, s:b, s:b, s:O?, s:b, s:O?, s:O?, s:O?, s:O?, s:O?}", "Status",
      docker_status (status), "Running", json_is_true (json_object_get (state, "Running")),
      "Paused", json_is_true (json_object_get (state, "Paused")), "Restarting",
      json_is_true (json_object_get (state, "Restarting")), "OOMKilled",
      json_object_get (state, "OOMKilled"), "Dead", 0, "Pid", json_object_get (state, "Pid"),
      "ExitCode", json_object_get (state, "ExitCode"), "Error", json_object_get (state, "Error"),
      "StartedAt", json_object_get (state, "StartedAt"), "FinishedAt",
      json_object_get (state, "FinishedAt"));
  dconfig = json_deep_copy (config);
  if (dconfig)
    {
      json_object_set_new (dconfig, "Image", json_string (jstr (rec, "Image")));
      json_object_set_new (dconfig, "Domainname", json_string (""));
      json_object_set_new (dconfig, "AttachStdin", json_false ());
      json_object_set_new (dconfig, "AttachStdout", json_false ());
      json_object_set_new (dconfig, "AttachStderr", json_false ());
      json_object_set_new (dconfig, "StdinOnce", json_false ());
      json_object_set_new (dconfig, "Entrypoint", json_null ());
      json_object_set_new (dconfig, "Volumes", json_null ());
      if (!json_is_object (json_object_get (dconfig, "Labels")))
        json_object_set_new (dconfig, "Labels", json_object ());
    }
  dhost = json_deep_copy (host);
  if (dhost)
    {
      json_object_set_new (dhost, "NetworkMode", json_string ("none"));
      json_object_set_new (dhost, "PortBindings", json_object ());
      if (!json_is_boolean (json_object_get (dhost, "Privileged")))
        json_object_set_new (dhost, "Privileged", json_false ());
      if (!json_is_array (json_object_get (dhost, "SecurityOpt")))
        json_object_set_new (dhost, "SecurityOpt", json_null ());
      json_object_set_new (dhost, "LogConfig",
                           json_pack ("{s:s, s:{}}", "Type", "json-file", "Config"));
    }
  out = json_pack ("{s:s, s:s+, s:s, s:s, s:o, s:o, s:o, s:O?, s:s, s:s, s:s, s:s, s:s, s:s, "
                   "s:s, s:s, s:o, s:o, s:o, s:{s:{}, s:{}}, s:{s:s, s:{s:s}}, s:n}",
                   "Id", jstr (rec, "Id"), "Name", "/", jstr (rec, "Name"), "Created",
                   jstr (rec, "Created"), "Path",
                   json_string_value (json_array_get (cmd, 0))
                       ? json_string_value (json_array_get (cmd, 0))
                       : "",
                   "Args", args, "State", dstate, "Image", image_id (rec), "RestartCount",
                   json_object_get (rec, "RestartCount"), "LogPath", jstr (rec, "LogPath"),
                   "Driver", jstr (rec, "RootfsMode"), "Platform", "linux", "MountLabel", "",
                   "ProcessLabel", "", "AppArmorProfile", "", "ResolvConfPath", "", "HostnamePath",
                   "", "Config", dconfig, "HostConfig", dhost, "Mounts", mounts_of (host),
                   "NetworkSettings", "Networks", "Ports", "GraphDriver", "Name",
                   jstr (rec, "RootfsMode"), "Data", "MergedDir", jstr (rec, "Rootfs"), "ExecIDs");
  if (out && etc)
    {
      json_object_set_new (out, "ResolvConfPath", json_sprintf ("%s/etc/resolv.conf", etc));
      json_object_set_new (out, "HostnamePath", json_sprintf ("%s/etc/hostname", etc));
      json_object_set_new (out, "HostsPath", json_sprintf ("%s/etc/hosts", etc));
    }
  return out;
}

static void
get_container (struct dreq *d, const char *name)
{
  cleanup_json json_t *rec = load_record (d, name);

  if (rec)
    reply (d, 200, inspect_shape (rec));
}

/* --- create ----------------------------------------------------------------- */

/* Strings and lists made for a run config, freed together.  */
struct holder
{
  json_t *keep; /* strings whose values the config points to */
  const char **lists[16];
  size_t n_lists;
};

static void
holder_free (struct holder *h)
{
  json_decref (h->keep);
  for (size_t i = 0; i < h->n_lists; i++)
    free (h->lists[i]);
}

static const char *
hold (struct holder *h, json_t *s)
{
  if (s == NULL || json_array_append_new (h->keep, s) < 0)
    return NULL;
  return json_string_value (s);
}

/* A NULL-terminated list of n entries, owned by h.  */
static const char **
hold_list (struct holder *h, size_t n)
{
  const char **v;

  if (h->n_lists >= sizeof h->lists / sizeof h->lists[0])
    return NULL;
  v = calloc (n + 1, sizeof *v);
  if (v)
    h->lists[h->n_lists++] = v;
  return v;
}

/* Checks that body's key, when present and not null, has type want;
 * true when it may be used.  */
static bool
typed (struct dreq *d, const json_t *obj, const char *what, const char *key, json_type want,
       json_t **out)
{
  static const char *const names[] = { "an object", "an array",  "a string",  "an integer",
                                       "a number",  "a boolean", "a boolean", "null" };
  json_t *v = json_object_get (obj, key);

  *out = NULL;
  if (v == NULL || json_is_null (v))
    return true;
  if (json_typeof (v) == want || (want == JSON_TRUE && json_is_boolean (v))
      || (want == JSON_REAL && json_is_number (v)))
    {
      *out = v;
      return true;
    }
  fail (d, 400, "invalid %s%s: expected %s", what, key, names[want]);
  return false;
}

/* A list of strings (or, where docker takes one, a lone string).  */
static bool
str_list (struct dreq *d, struct holder *h, const json_t *obj, const char *what, const char *key,
          bool lone_string, const char ***out, size_t *count)
{
  json_t *v = json_object_get (obj, key);
  json_t *e;
  size_t i;

  *out = NULL;
  if (count)
    *count = 0;
  if (v == NULL || json_is_null (v))
    return true;
  if (lone_string && json_is_string (v))
    {
      *out = hold_list (h, 1);
      if (*out == NULL)
        return fail (d, 500, "out of memory"), false;
      (*out)[0] = json_string_value (v);
      if (count)
        *count = 1;
      return true;
    }
  if (!json_is_array (v))
    return fail (d, 400, "invalid %s%s: expected an array of strings", what, key), false;
  *out = hold_list (h, json_array_size (v));
  if (*out == NULL)
    return fail (d, 500, "out of memory"), false;
  json_array_foreach (v, i, e)
  {
    if (!json_is_string (e))
      return fail (d, 400, "invalid %s%s: expected an array of strings", what, key), false;
    (*out)[i] = json_string_value (e);
  }
  if (count)
    *count = json_array_size (v);
  return true;
}

/* Refuses what minirun cannot do rather than ignore it.  */
static bool
refuse_unsupported (struct dreq *d, const json_t *body, const json_t *host)
{
  json_t *v;
  const char *mode;

  v = json_object_get (host, "PortBindings");
  if (json_object_size (v) > 0)
    return fail (d, 400,
                 "publishing ports (PortBindings) is not supported: minirun serve does not "
                 "build container networks yet"),
           false;
  if (json_is_true (json_object_get (host, "Init")))
    return fail (d, 400, "an init process (Init) is not supported: minirun has no init binary"),
           false;
  if (json_array_size (json_object_get (host, "Devices")) > 0)
    return fail (d, 400, "adding devices (Devices) is not supported by minirun serve"), false;
  if (json_object_size (json_object_get (body, "Volumes")) > 0)
    return fail (d, 400, "anonymous volumes (Volumes) are not supported: use Binds HOST:CTR"),
           false;
  v = json_object_get (body, "Healthcheck");
  if (json_is_object (v) && json_array_size (json_object_get (v, "Test")) > 0
      && strcmp (json_string_value (json_array_get (json_object_get (v, "Test"), 0))
                     ? json_string_value (json_array_get (json_object_get (v, "Test"), 0))
                     : "",
                 "NONE")
             != 0)
    return fail (d, 400, "health checks (Healthcheck) are not supported by minirun serve"), false;
  mode = json_string_value (json_object_get (host, "NetworkMode"));
  if (mode && *mode && strcmp (mode, "default") != 0 && strcmp (mode, "bridge") != 0
      && strcmp (mode, "none") != 0)
    return fail (d, 400,
                 "network mode '%s' is not supported: containers get a network namespace of "
                 "their own",
                 mode),
           false;
  mode = json_string_value (json_object_get (json_object_get (host, "LogConfig"), "Type"));
  if (mode && *mode && strcmp (mode, "json-file") != 0 && strcmp (mode, "local") != 0)
    return fail (d, 400, "log driver '%s' is not supported: minirun keeps its own log file", mode),
           false;
  return true;
}

/* HostConfig.Mounts of type bind become "SRC:DST[:ro]".  */
static bool
host_mounts (struct dreq *d, struct holder *h, const json_t *host, const char **binds,
             size_t nbinds, const char ***out)
{
  json_t *mounts = json_object_get (host, "Mounts");
  json_t *m;
  size_t i;
  const char **v;

  *out = binds;
  if (mounts == NULL || json_is_null (mounts))
    return true;
  if (!json_is_array (mounts))
    return fail (d, 400, "invalid HostConfig.Mounts: expected an array"), false;
  if (json_array_size (mounts) == 0)
    return true;
  v = hold_list (h, nbinds + json_array_size (mounts));
  if (v == NULL)
    return fail (d, 500, "out of memory"), false;
  for (i = 0; i < nbinds; i++)
    v[i] = binds[i];
  json_array_foreach (mounts, i, m)
  {
    const char *type = json_string_value (json_object_get (m, "Type"));
    const char *src = json_string_value (json_object_get (m, "Source"));
    const char *dst = json_string_value (json_object_get (m, "Target"));

    if (type == NULL || strcmp (type, "bind") != 0)
      return fail (d, 400, "mount type '%s' is not supported: only bind mounts are",
                   type ? type : ""),
             false;
    if (src == NULL || dst == NULL)
      return fail (d, 400, "invalid HostConfig.Mounts: a bind needs Source and Target"), false;
    v[nbinds + i]
        = hold (h, json_sprintf ("%s:%s%s", src, dst,
                                 json_is_true (json_object_get (m, "ReadOnly")) ? ":ro" : ""));
  }
  *out = v;
  return true;
}

/* An image named by reference, "sha256:ID" or a prefix of an ID of at
 * least 12 digits: its reference (caller frees); NULL when none.  */
static char *
image_lookup (struct mr_api *api, const char *name)
{
  struct mr_image_info *list = NULL;
  cleanup_free char *json = NULL;
  struct mr_error err = { 0 };
  const char *hex = strncmp (name, "sha256:", 7) == 0 ? name + 7 : name;
  size_t n = 0, len = strlen (hex);
  char *found = NULL;

  if (mr_image_inspect (api->ctx, name, &json, &err) == 0)
    return strdup (name);
  if (len < 12 || strspn (hex, "0123456789abcdef") != len
      || mr_image_list (api->ctx, &list, &n, &err) < 0)
    return NULL;
  for (size_t i = 0; i < n && found == NULL; i++)
    if (strncmp (list[i].id, hex, len) == 0)
      found = strdup (list[i].reference);
  mr_image_info_free (list, n);
  return found;
}

static bool
create_fill (struct dreq *d, const json_t *body, struct holder *h, struct mr_run_config *cfg,
             char **image)
{
  const char *const C = "";
  const char *const H = "HostConfig.";
  json_t *host = json_object_get (body, "HostConfig");
  json_t *v;
  const char **entry = NULL, **cmd = NULL, **binds = NULL, **list;
  size_t n_entry = 0, n_cmd = 0, n_binds = 0;
  const char *key;
  json_int_t quota = 0, period = 0;
  size_t i;

  if (host != NULL && !json_is_null (host) && !json_is_object (host))
    return fail (d, 400, "invalid HostConfig: expected an object"), false;
  if (!typed (d, body, C, "Image", JSON_STRING, &v))
    return false;
  if (v == NULL || *json_string_value (v) == '\0')
    return fail (d, 400, "Config cannot be empty in order to create a container: give Image"),
           false;
  *image = image_lookup (d->api, json_string_value (v));
  if (*image == NULL)
    return fail (d, 404, "No such image: %s", json_string_value (v)), false;
  cfg->image = *image;
  if (!refuse_unsupported (d, body, host))
    return false;

  if (!str_list (d, h, body, C, "Entrypoint", true, &entry, &n_entry)
      || !str_list (d, h, body, C, "Cmd", true, &cmd, &n_cmd))
    return false;
  /* the command is Entrypoint then Cmd; neither: the image's */
  if (n_entry + n_cmd > 0)
    {
      list = hold_list (h, n_entry + n_cmd);
      if (list == NULL)
        return fail (d, 500, "out of memory"), false;
      for (i = 0; i < n_entry; i++)
        list[i] = entry[i];
      for (i = 0; i < n_cmd; i++)
        list[n_entry + i] = cmd[i];
      cfg->args = list;
    }
  if (!str_list (d, h, body, C, "Env", false, &list, NULL))
    return false;
  /* a bare KEY would take the server's own value */
  for (i = 0; list && list[i]; i++)
    if (strchr (list[i], '=') == NULL || list[i][0] == '=')
      return fail (d, 400, "invalid Env '%s': expected KEY=VALUE", list[i]), false;
  cfg->env = list;

#define STRING(obj, what, key, field)                                                              \
  do                                                                                               \
    {                                                                                              \
      if (!typed (d, obj, what, key, JSON_STRING, &v))                                             \
        return false;                                                                              \
      if (v && *json_string_value (v))                                                             \
        field = json_string_value (v);                                                             \
    }                                                                                              \
  while (0)
#define BOOL(obj, what, key, field)                                                                \
  do                                                                                               \
    {                                                                                              \
      if (!typed (d, obj, what, key, JSON_TRUE, &v))                                               \
        return false;                                                                              \
      if (v)                                                                                       \
        field = json_is_true (v);                                                                  \
    }                                                                                              \
  while (0)
#define INTEGER(obj, what, key, var)                                                               \
  do                                                                                               \
    {                                                                                              \
      if (!typed (d, obj, what, key, JSON_INTEGER, &v))                                            \
        return false;                                                                              \
      var = v ? json_integer_value (v) : 0;                                                        \
    }                                                                                              \
  while (0)

  STRING (body, C, "WorkingDir", cfg->workdir);
  STRING (body, C, "User", cfg->user);
  STRING (body, C, "Hostname", cfg->hostname);
  STRING (body, C, "StopSignal", cfg->stop_signal);
  BOOL (body, C, "Tty", cfg->tty);
  {
    json_int_t t;
    INTEGER (body, C, "StopTimeout", t);
    if (v)
      {
        if (t < -1 || t > INT_MAX)
          return fail (d, 400, "invalid StopTimeout %lld", (long long)t), false;
        cfg->stop_timeout = (int)t;
      }
  }
  if (!typed (d, body, C, "Labels", JSON_OBJECT, &v))
    return false;
  if (v && json_object_size (v) > 0)
    {
      json_t *val;
      list = hold_list (h, json_object_size (v));
      if (list == NULL)
        return fail (d, 500, "out of memory"), false;
      i = 0;
      json_object_foreach (v, key, val)
      {
        if (!json_is_string (val))
          return fail (d, 400, "invalid Labels: the value of '%s' is not a string", key), false;
        list[i++] = hold (h, json_sprintf ("%s=%s", key, json_string_value (val)));
      }
      cfg->labels = list;
    }

  if (host == NULL || json_is_null (host))
    return true;
  {
    json_int_t mem, swap, nano, shares, pids;
    INTEGER (host, H, "Memory", mem);
    INTEGER (host, H, "MemorySwap", swap);
    INTEGER (host, H, "NanoCpus", nano);
    INTEGER (host, H, "CpuQuota", quota);
    INTEGER (host, H, "CpuPeriod", period);
    INTEGER (host, H, "CpuShares", shares);
    INTEGER (host, H, "PidsLimit", pids);
    if (mem < 0 || nano < 0 || shares < 0 || quota < 0 || period < 0)
      return fail (d, 400,
                   "invalid HostConfig: Memory, NanoCpus, CpuShares, CpuQuota and "
                   "CpuPeriod cannot be negative"),
             false;
    cfg->memory = mem > 0 ? mem : -1;
    /* docker: 0 unset, -1 unlimited; minirun: -1 unset, 0 unlimited */
    cfg->memory_swap = swap == -1 ? 0 : swap == 0 ? -1 : swap;
    if (nano > 0 && quota > 0)
      return fail (d, 400, "conflicting options: Nano CPUs and CPU Period cannot both be set"),
             false;
    if (nano > 0)
      cfg->cpus = (double)nano / 1e9;
    else if (quota > 0)
      cfg->cpus = (double)quota / (double)(period > 0 ? period : 100000);
    cfg->cpu_shares = shares > 0 ? shares : -1;
    if (pids < -1 || pids > MR_PIDS_LIMIT_MAX)
      return fail (d, 400,
                   "invalid HostConfig.PidsLimit %lld: want -1 (unlimited), 0 (unset) or a "
                   "limit up to %d",
                   (long long)pids, MR_PIDS_LIMIT_MAX),
             false;
    /* docker: 0 or null unset, -1 unlimited */
    cfg->pids_limit = pids == 0 ? -1 : pids < 0 ? 0 : pids;
  }
  STRING (host, H, "CpusetCpus", cfg->cpuset_cpus);
  BOOL (host, H, "ReadonlyRootfs", cfg->read_only);
  BOOL (host, H, "AutoRemove", cfg->auto_remove);
  if (!str_list (d, h, host, H, "Binds", false, &binds, &n_binds)
      || !host_mounts (d, h, host, binds, n_binds, &list))
    return false;
  cfg->volumes = list;
  if (!str_list (d, h, host, H, "CapAdd", false, &list, NULL))
    return false;
  cfg->cap_add = list;
  if (!str_list (d, h, host, H, "CapDrop", false, &list, NULL))
    return false;
  cfg->cap_drop = list;
  /* docker's CLI sends a profile file's text inline: "seccomp={...}" */
  if (!str_list (d, h, host, H, "SecurityOpt", false, &list, NULL))
    return false;
  cfg->security_opt = list;
  BOOL (host, H, "Privileged", cfg->privileged);
  if (!typed (d, host, H, "Tmpfs", JSON_OBJECT, &v))
    return false;
  if (v && json_object_size (v) > 0)
    {
      json_t *val;
      list = hold_list (h, json_object_size (v));
      if (list == NULL)
        return fail (d, 500, "out of memory"), false;
      i = 0;
      json_object_foreach (v, key, val)
      {
        const char *o = json_string_value (val);
        list[i++] = hold (h, o && *o ? json_sprintf ("%s:%s", key, o) : json_string (key));
      }
      cfg->tmpfs = list;
    }
  if (!typed (d, host, H, "Ulimits", JSON_ARRAY, &v))
    return false;
  if (v && json_array_size (v) > 0)
    {
      json_t *u;
      list = hold_list (h, json_array_size (v));
      if (list == NULL)
        return fail (d, 500, "out of memory"), false;
      json_array_foreach (v, i, u)
      {
        const char *name = json_string_value (json_object_get (u, "Name"));
        json_t *soft = json_object_get (u, "Soft"), *hard = json_object_get (u, "Hard");
        if (name == NULL || !json_is_integer (soft) || !json_is_integer (hard))
          return fail (d, 400, "invalid HostConfig.Ulimits: each needs Name, Soft and Hard"), false;
        list[i] = hold (h, json_sprintf ("%s=%lld:%lld", name, (long long)json_integer_value (soft),
                                         (long long)json_integer_value (hard)));
      }
      cfg->ulimits = list;
    }
  if (!typed (d, host, H, "RestartPolicy", JSON_OBJECT, &v))
    return false;
  if (v)
    {
      const char *name = json_string_value (json_object_get (v, "Name"));
      json_t *maxv = json_object_get (v, "MaximumRetryCount");
      json_int_t max = json_integer_value (maxv);

      if (maxv && !json_is_null (maxv) && (!json_is_integer (maxv) || max < 0 || max > INT_MAX))
        return fail (d, 400,
                     "invalid HostConfig.RestartPolicy.MaximumRetryCount: want a count from 0 "
                     "to %d",
                     INT_MAX),
               false;
      if (name && strcmp (name, "on-failure") == 0 && max > 0)
        cfg->restart = hold (h, json_sprintf ("on-failure:%lld", (long long)max));
      else if (name && *name)
        cfg->restart = name;
    }
  v = json_object_get (json_object_get (host, "LogConfig"), "Config");
  if (json_is_object (v))
    {
      json_t *val;
      json_object_foreach (v, key, val)
      {
        struct mr_error err = { 0 };
        cleanup_free char *opt = NULL;
        if (!json_is_string (val))
          return fail (d, 400, "invalid HostConfig.LogConfig.Config: '%s' is not a string", key),
                 false;
        if (asprintf (&opt, "%s=%s", key, json_string_value (val)) < 0)
          return fail (d, 500, "out of memory"), false;
        if (mr_run_config_log_opt (cfg, opt, &err) < 0)
          return fail (d, 400, "%s", err.msg), false;
      }
    }
#undef STRING
#undef BOOL
#undef INTEGER
  return true;
}

static void
post_create (struct dreq *d)
{
  struct mr_run_config cfg;
  struct holder h = { .keep = json_array () };
  cleanup_json json_t *body = NULL;
  cleanup_free char *image = NULL;
  cleanup_free char *name = NULL;
  const char *want = query (d, "name");
  struct mr_error err = { 0 };
  json_error_t jerr;
  int ret;

  if (want && *want == '/')
    want++;
  if (want && *want && mr_id_validate (want, &err) < 0)
    {
      holder_free (&h);
      return fail (d, 400,
                   "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", want);
    }
  body = d->req->body ? json_loads (d->req->body, 0, &jerr) : NULL;
  if (!json_is_object (body))
    {
      holder_free (&h);
      return fail (d, 400, "invalid JSON body: %s",
                   d->req->body ? (body ? "expected an object" : jerr.text) : "no body");
    }
  mr_run_config_init (&cfg);
  cfg.name = want && *want ? want : NULL;
  if (h.keep == NULL || !create_fill (d, body, &h, &cfg, &image))
    {
      if (h.keep == NULL)
        fail (d, 500, "out of memory");
      holder_free (&h);
      return;
    }
  pthread_mutex_lock (&d->api->lock);
  ret = mr_container_new (d->api->ctx, &cfg, &name, &err);
  pthread_mutex_unlock (&d->api->lock);
  holder_free (&h);
  if (ret < 0)
    {
      if (err.errnum == EEXIST && cfg.name)
        return fail (d, 409,
                     "Conflict. The container name \"/%s\" is already in use by container "
                     "\"%s\". You have to remove (or rename) that container to be able to reuse "
                     "that name.",
                     cfg.name, cfg.name);
      return fail (d, err.errnum == 0 || err.errnum == EINVAL ? 400 : 500, "%s", err.msg);
    }
  reply (d, 201, json_pack ("{s:s, s:[]}", "Id", name, "Warnings"));
}

/* --- lifecycle -------------------------------------------------------------- */

/* Whether the container runs, its status in status; false with status ""
 * after an error response.  */
static bool
is_running (struct dreq *d, const char *name, char *status, size_t len)
{
  cleanup_json json_t *rec = load_record (d, name);

  *status = '\0';
  if (rec == NULL)
    return false;
  snprintf (status, len, "%s", jstr (json_object_get (rec, "State"), "Status"));
  return json_is_true (json_object_get (json_object_get (rec, "State"), "Running"));
}

/* ?t=N seconds; -1 when absent; false after a 400.  */
static bool
query_seconds (struct dreq *d, int *out)
{
  const char *t = query (d, "t");
  char *end;
  long n;

  *out = -1;
  if (t == NULL || *t == '\0')
    return true;
  errno = 0;
  n = strtol (t, &end, 10);
  if (*end || errno || n < -1 || n > INT_MAX / 1000)
    return fail (d, 400, "invalid t '%s': expected seconds", t), false;
  *out = (int)n;
  return true;
}

enum action
{
  ACT_START,
  ACT_STOP,
  ACT_RESTART,
  ACT_KILL,
  ACT_PAUSE,
  ACT_UNPAUSE,
  ACT_DELETE,
};

static void
change (struct dreq *d, enum action act, const char *name)
{
  struct mr_kill_opts ko = { .size = sizeof ko, .signal = SIGKILL };
  struct mr_delete_opts dopts = { .size = sizeof dopts };
  struct mr_error err = { 0 };
  char status[32];
  const char *sig = query (d, "signal");
  int timeout = -1;
  int ret;

  if ((act == ACT_STOP || act == ACT_RESTART) && !query_seconds (d, &timeout))
    return;
  if ((act == ACT_STOP || act == ACT_RESTART) && sig && *sig)
    return fail (d, 400,
                 "a signal for stop is not supported: set StopSignal when creating the "
                 "container");
  if (act == ACT_KILL && sig && *sig && mr_signal_parse (sig, &ko.signal) < 0)
    return fail (d, 400, "Invalid signal: %s", sig);
  if (act == ACT_DELETE)
    {
      dopts.force = query_flag (d, "force");
      if (query_flag (d, "link"))
        return fail (d, 400, "links are not supported by minirun serve");
    }
  if (act == ACT_START || act == ACT_STOP)
    {
      bool running = is_running (d, name, status, sizeof status);
      if (*status == '\0')
        return;
      if (act == ACT_START && strcmp (status, "paused") == 0)
        return fail (d, 409, "cannot start a paused container, try unpause instead");
      if (act == ACT_START && running)
        return reply_empty (d, 304);
      if (act == ACT_STOP && !running)
        return reply_empty (d, 304);
    }

  pthread_mutex_lock (&d->api->lock);
  switch (act)
    {
    case ACT_START:
      ret = mr_container_start (d->api->ctx, name, &err);
      break;
    case ACT_STOP:
      ret = mr_container_stop (d->api->ctx, name, timeout, &err);
      break;
    case ACT_RESTART:
      ret = mr_container_restart (d->api->ctx, name, timeout, &err);
      break;
    case ACT_KILL:
      ret = mr_container_kill (d->api->ctx, name, &ko, &err);
      break;
    case ACT_PAUSE:
      ret = mr_container_pause (d->api->ctx, name, &err);
      break;
    case ACT_UNPAUSE:
      ret = mr_container_resume (d->api->ctx, name, &err);
      break;
    default:
      ret = mr_container_delete (d->api->ctx, name, &dopts, &err);
      break;
    }
  pthread_mutex_unlock (&d->api->lock);
  if (ret < 0)
    {
      if (act == ACT_DELETE && !dopts.force && container_exists (d->api, name))
        return fail (d, 409,
                     "cannot remove container \"/%s\": container is running: stop the "
                     "container before removing or force remove (%s)",
                     name, err.msg);
      return fail_library (d, name, &err);
    }
  reply_empty (d, 204);
}

/* --- streams fed by a worker thread ------------------------------------------
 * The library's logs, events and wait block and call back; a thread runs
 * them and writes to a socket pair whose other end the response reads, a
 * second at a time.  */

struct pipe_stream
{
  struct mr_api *api;
  int fds[2]; /* [0]: read by the response; [1]: written by the worker */
  pthread_t thread;
  bool started;
  volatile int stop;
  void (*work) (struct pipe_stream *ps);
  /* what the work needs */
  char *name;
  struct mr_logs_opts logs;
  bool want[3]; /* logs: the streams asked for */
  bool raw;     /* logs: no framing (a terminal's output) */
  char *since, *until;
  char **filters;
  int condition; /* wait */
};

/* How long a hijacked connection may take to make room for more output
 * before the client counts as gone.  */
#define SEND_STALL_MS 60000

/* All of buf on a hijacked connection, which libmicrohttpd leaves
 * non-blocking: a full socket buffer is waited out, not taken for an end.  */
static int
send_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;

  while (len > 0)
    {
      ssize_t n = send (fd, p, len, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          struct pollfd pfd = { .fd = fd, .events = POLLOUT };
          int r = poll (&pfd, 1, SEND_STALL_MS);

          if (r < 0 && errno == EINTR)
            continue;
          if (r <= 0 || (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)))
            return -1;
          continue;
        }
      if (n <= 0)
        return -1;
      p += n;
      len -= (size_t)n;
    }
  return 0;
}

/* Docker's multiplexed framing: stream, three zeros, size (big endian).  */
static int
send_frame (int fd, int stream, const char *data, size_t len)
{
  unsigned char hdr[8] = { (unsigned char)stream, 0, 0, 0 };

  while (len > 0)
    {
      uint32_t n = len > (1u << 30) ? (1u << 30) : (uint32_t)len;
      hdr[4] = (unsigned char)(n >> 24);
      hdr[5] = (unsigned char)(n >> 16);
      hdr[6] = (unsigned char)(n >> 8);
      hdr[7] = (unsigned char)n;
      if (send_all (fd, hdr, sizeof hdr) < 0 || send_all (fd, data, n) < 0)
        return -1;
      data += n;
      len -= n;
    }
  return 0;
}

static void *
pipe_thread (void *arg)
{
  struct pipe_stream *ps = arg;

  ps->work (ps);
  shutdown (ps->fds[1], SHUT_WR);
  return NULL;
}

static ssize_t
pipe_read (void *data, char *buf, size_t max)
{
  struct pipe_stream *ps = data;
  struct pollfd p = { .fd = ps->fds[0], .events = POLLIN };
  ssize_t n;

  if (atomic_load (&ps->api->stopping))
    {
      ps->stop = 1;
      return -1;
    }
  if (poll (&p, 1, 1000) <= 0)
    return 0;
  n = read (ps->fds[0], buf, max);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  return n > 0 ? n : -1;
}

static void
pipe_free (void *data)
{
  struct pipe_stream *ps = data;

  ps->stop = 1;
  /* a worker blocked in send fails at once */
  shutdown (ps->fds[0], SHUT_RDWR);
  if (ps->started)
    pthread_join (ps->thread, NULL);
  close (ps->fds[0]);
  close (ps->fds[1]);
  free (ps->name);
  free (ps->since);
  free (ps->until);
  if (ps->filters)
    for (size_t i = 0; ps->filters[i]; i++)
      free (ps->filters[i]);
  free (ps->filters);
  free (ps);
}

static struct pipe_stream *
pipe_new (struct dreq *d, const char *name, void (*work) (struct pipe_stream *))
{
  struct pipe_stream *ps = calloc (1, sizeof *ps);

  if (ps == NULL)
    return NULL;
  ps->api = d->api;
  ps->work = work;
  ps->fds[0] = ps->fds[1] = -1;
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ps->fds) < 0
      || (name && (ps->name = strdup (name)) == NULL))
    {
      pipe_free (ps);
      return NULL;
    }
  return ps;
}

/* Starts the worker and makes ps the response's stream.  */
static void
pipe_start (struct dreq *d, struct pipe_stream *ps, const char *content_type)
{
  if (pthread_create (&ps->thread, NULL, pipe_thread, ps) != 0)
    {
      pipe_free (ps);
      return fail (d, 500, "cannot start a thread: %s", strerror (errno));
    }
  ps->started = true;
  d->res->status = 200;
  d->res->content_type = content_type;
  d->res->stream_read = pipe_read;
  d->res->stream_free = pipe_free;
  d->res->stream_data = ps;
}

/* logs */

static int
logs_line (void *data, int stream, const char *text, size_t len)
{
  struct pipe_stream *ps = data;

  if (stream < 1 || stream > 2 || !ps->want[stream])
    return 0;
  if (ps->raw)
    return send_all (ps->fds[1], text, len);
  return send_frame (ps->fds[1], stream, text, len);
}

static void
logs_work (struct pipe_stream *ps)
{
  struct mr_error err = { 0 };

  ps->logs.stop = &ps->stop;
  if (mr_container_logs (ps->api->ctx, ps->name, &ps->logs, logs_line, ps, &err) < 0)
    {
      char line[MR_ERROR_MSG_MAX + 8];
      int n = snprintf (line, sizeof line, "error: %s\n", err.msg);
      if (ps->raw)
        send_all (ps->fds[1], line, (size_t)n);
      else
        send_frame (ps->fds[1], 2, line, (size_t)n);
    }
}

static void
get_logs (struct dreq *d, const char *name)
{
  cleanup_json json_t *rec = NULL;
  struct mr_error err = { 0 };
  struct pipe_stream *ps;
  const char *tail = query (d, "tail");
  const char *since = query (d, "since");
  const char *until = query (d, "until");
  long n = -1;

  if (!query_flag (d, "stdout") && !query_flag (d, "stderr"))
    return fail (d, 400, "Bad parameters: you must choose at least one stream");
  if (tail && *tail && strcmp (tail, "all") != 0)
    {
      char *end;
      errno = 0;
      n = strtol (tail, &end, 10);
      if (*end || errno || n < -1)
        return fail (d, 400, "invalid tail '%s': expected a number or all", tail);
    }
  if (until && *until && strcmp (until, "0") != 0)
    return fail (d, 400, "until is not supported for logs by minirun serve");
  if (since && (*since == '\0' || strcmp (since, "0") == 0))
    since = NULL;
  if (since)
    {
      /* checked here, so that a bad one is a 400 and not a broken stream */
      struct mr_logs_opts probe = { .size = sizeof probe, .tail = 0, .since = since };
      if (mr_container_logs (d->api->ctx, name, &probe, logs_line, NULL, &err) < 0)
        return fail_library (d, name, &err);
    }
  rec = load_record (d, name);
  if (rec == NULL)
    return;
  ps = pipe_new (d, name, logs_work);
  if (ps == NULL || (since && (ps->since = strdup (since)) == NULL))
    {
      if (ps)
        pipe_free (ps);
      return fail (d, 500, "out of memory");
    }
  ps->want[1] = query_flag (d, "stdout");
  ps->want[2] = query_flag (d, "stderr");
  ps->raw = json_is_true (json_object_get (json_object_get (rec, "Config"), "Tty"));
  ps->logs = (struct mr_logs_opts){ .size = sizeof ps->logs,
                                    .follow = query_flag (d, "follow"),
                                    .tail = n,
                                    .since = ps->since,
                                    .timestamps = query_flag (d, "timestamps") };
  pipe_start (d, ps,
              ps->raw          ? "application/vnd.docker.raw-stream"
              : d->minor >= 42 ? "application/vnd.docker.multiplexed-stream"
                               : "application/vnd.docker.raw-stream");
}

/* wait */

enum
{
  WAIT_NOT_RUNNING,
  WAIT_NEXT_EXIT,
  WAIT_REMOVED
};

static bool
container_running (struct mr_api *api, const char *name)
{
  cleanup_free char *text = NULL;
  cleanup_json json_t *rec = NULL;
  struct mr_error err = { 0 };

  if (mr_container_inspect (api->ctx, name, &text, &err) < 0)
    return false;
  rec = json_loads (text, 0, NULL);
  return json_is_true (json_object_get (json_object_get (rec, "State"), "Running"));
}

static void
pause_100ms (void)
{
  struct timespec ts = { 0, 100 * 1000 * 1000 };
  nanosleep (&ts, NULL);
}

static void
wait_work (struct pipe_stream *ps)
{
  struct mr_error err = { 0 };
  cleanup_free char *text = NULL;
  json_t *doc;
  int code = -1;
  int ret;

  /* next-exit: a container that is not running must start first */
  if (ps->condition == WAIT_NEXT_EXIT)
    while (!ps->stop && container_exists (ps->api, ps->name)
           && !container_running (ps->api, ps->name))
      pause_100ms ();
  ret = mr_container_wait (ps->api->ctx, ps->name, &code, &ps->stop, &err);
  if (ret == 0 && ps->condition == WAIT_REMOVED)
    while (!ps->stop && container_exists (ps->api, ps->name))
      pause_100ms ();
  if (ps->stop)
    return;
  if (ret < 0 && !(ps->condition == WAIT_REMOVED && !container_exists (ps->api, ps->name)))
    doc = json_pack ("{s:i, s:{s:s}}", "StatusCode", -1, "Error", "Message", err.msg);
  else
    doc = json_pack ("{s:i, s:n}", "StatusCode", ret < 0 ? 0 : code, "Error");
  text = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
  json_decref (doc);
  if (text)
    {
      send_all (ps->fds[1], text, strlen (text));
      send_all (ps->fds[1], "\n", 1);
    }
}

static void
post_wait (struct dreq *d, const char *name)
{
  const char *cond = query (d, "condition");
  struct pipe_stream *ps;
  int c = WAIT_NOT_RUNNING;

  if (cond && *cond)
    {
      if (strcmp (cond, "next-exit") == 0)
        c = WAIT_NEXT_EXIT;
      else if (strcmp (cond, "removed") == 0)
        c = WAIT_REMOVED;
      else if (strcmp (cond, "not-running") != 0)
        return fail (d, 400, "invalid condition '%s': expected not-running, next-exit or removed",
                     cond);
    }
  ps = pipe_new (d, name, wait_work);
  if (ps == NULL)
    return fail (d, 500, "out of memory");
  ps->condition = c;
  pipe_start (d, ps, "application/json");
}

/* events */

static int
event_line (void *data, const char *json_line, const struct mr_event *ev)
{
  struct pipe_stream *ps = data;
  cleanup_free char *text = NULL;
  json_t *attrs = json_object ();
  const char *image = NULL;
  json_t *doc;

  (void)json_line;
  for (size_t i = 0; ev->attributes && ev->attributes[i] && ev->attributes[i + 1]; i += 2)
    {
      json_object_set_new (attrs, ev->attributes[i], json_string (ev->attributes[i + 1]));
      if (strcmp (ev->attributes[i], "image") == 0)
        image = ev->attributes[i + 1];
    }
  if (json_object_get (attrs, "name") == NULL)
    json_object_set_new (attrs, "name", json_string (ev->id));
  doc = json_pack ("{s:s, s:s, s:s?, s:s, s:s, s:{s:s, s:o}, s:s, s:I, s:I}", "status", ev->action,
                   "id", ev->id, "from", image, "Type", ev->type, "Action", ev->action, "Actor",
                   "ID", ev->id, "Attributes", attrs, "scope", "local", "time",
                   (json_int_t)(ev->time_nano / 1000000000), "timeNano", (json_int_t)ev->time_nano);
  text = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
  json_decref (doc);
  if (text == NULL)
    return -1;
  if (send_all (ps->fds[1], text, strlen (text)) < 0 || send_all (ps->fds[1], "\n", 1) < 0)
    return -1;
  return ps->stop ? -1 : 0;
}

static int
event_stop (void *data, const char *json_line, const struct mr_event *ev)
{
  (void)data;
  (void)json_line;
  (void)ev;
  return -1;
}

static void
events_work (struct pipe_stream *ps)
{
  struct mr_events_opts o = { .size = sizeof o,
                              .since = ps->since,
                              .until = ps->until,
                              .filters = (const char *const *)ps->filters,
                              .follow = true,
                              .stop = &ps->stop };
  struct mr_error err = { 0 };

  mr_events_read (ps->api->ctx, &o, event_line, ps, &err);
}

static void
get_events (struct dreq *d)
{
  static const char *const known[] = { "container", "event", "type", "image", NULL };
  cleanup_json json_t *filters = parse_filters (d, known);
  const char *since = query (d, "since");
  const char *until = query (d, "until");
  struct mr_events_opts probe = { .size = sizeof probe };
  struct mr_error err = { 0 };
  struct pipe_stream *ps;
  const char *key;
  json_t *vals, *v;
  size_t n = 0, i;

  if (filters == NULL)
    return;
  ps = pipe_new (d, NULL, events_work);
  if (ps == NULL)
    return fail (d, 500, "out of memory");
  json_object_foreach (filters, key, vals) n += json_array_size (vals);
  ps->filters = calloc (n + 1, sizeof *ps->filters);
  if (ps->filters == NULL || (since && *since && (ps->since = strdup (since)) == NULL)
      || (until && *until && (ps->until = strdup (until)) == NULL))
    {
      pipe_free (ps);
      return fail (d, 500, "out of memory");
    }
  n = 0;
  json_object_foreach (filters, key, vals) json_array_foreach (vals, i, v)
  {
    if (asprintf (&ps->filters[n], "%s=%s", key, json_string_value (v)) < 0)
      {
        ps->filters[n] = NULL;
        pipe_free (ps);
        return fail (d, 500, "out of memory");
      }
    n++;
  }
  /* a bad since, until or filter is a 400 before the stream begins */
  probe.since = ps->since;
  probe.until = ps->until;
  probe.filters = (const char *const *)ps->filters;
  if (mr_events_read (d->api->ctx, &probe, event_stop, NULL, &err) < 0)
    {
      pipe_free (ps);
      return fail (d, 400, "%s", err.msg);
    }
  pipe_start (d, ps, "application/json");
}

/* --- stats ------------------------------------------------------------------ */

struct sample
{
  bool ok;
  struct mr_stats s;
  uint64_t system_ns;
  unsigned cpus;
  char read[48];
};

/* Samples the container and the host's CPU time together; sys keeps the
 * host sample between calls.  */
static int
take_sample (struct mr_api *api, const char *name, struct mr_system_stats *sys, struct sample *out,
             struct mr_error *err)
{
  long tick = sysconf (_SC_CLK_TCK);

  memset (out, 0, sizeof *out);
  out->s.size = sizeof out->s;
  if (mr_system_stats (api->ctx, sys, err) < 0)
    return -1;
  rfc3339_now (out->read, sizeof out->read);
  out->system_ns = sys->cpu_total * (1000000000ULL / (uint64_t)(tick > 0 ? tick : 100));
  out->cpus = sys->cpus;
  if (mr_container_stats (api->ctx, name, &out->s, err) < 0)
    return -1;
  out->ok = true;
  return 0;
}

static json_t *
cpu_json (const struct sample *s)
{
  return json_pack ("{s:{s:I, s:I, s:I}, s:I, s:i, s:{s:i, s:i, s:i}}", "cpu_usage", "total_usage",
                    (json_int_t)(s->ok ? s->s.cpu_usage_ns : 0), "usage_in_kernelmode",
                    (json_int_t)0, "usage_in_usermode", (json_int_t)0, "system_cpu_usage",
                    (json_int_t)(s->ok ? s->system_ns : 0), "online_cpus",
                    (int)(s->ok ? s->cpus : 0), "throttling_data", "periods", 0,
                    "throttled_periods", 0, "throttled_time", 0);
}

static char *
stats_text (const char *name, const struct sample *pre, const struct sample *cur)
{
  json_t *doc, *blk;
  char *text;

  blk = json_pack ("[{s:i, s:i, s:s, s:I}, {s:i, s:i, s:s, s:I}]", "major", 0, "minor", 0, "op",
                   "read", "value", (json_int_t)cur->s.block_read, "major", 0, "minor", 0, "op",
                   "write", "value", (json_int_t)cur->s.block_write);
  doc = json_pack (
      "{s:s, s:s, s:s, s:s, s:{s:I, s:I}, s:{s:o}, s:i, s:{}, s:o, s:o, s:{s:I, s:I, s:I, s:{}}}",
      "name", "/", "id", name, "read", cur->ok ? cur->read : ZERO_TIME, "preread",
      pre->ok ? pre->read : ZERO_TIME, "pids_stats", "current", (json_int_t)cur->s.pids, "limit",
      (json_int_t)cur->s.pids_limit, "blkio_stats", "io_service_bytes_recursive",
      cur->ok ? blk : json_null (), "num_procs", 0, "storage_stats", "cpu_stats", cpu_json (cur),
      "precpu_stats", cpu_json (pre), "memory_stats", "usage", (json_int_t)cur->s.memory_usage,
      "limit", (json_int_t)cur->s.memory_limit, "failcnt", (json_int_t)cur->s.oom_kills, "stats");
  if (!cur->ok)
    json_decref (blk);
  if (doc == NULL)
    return NULL;
  /* "/name" */
  json_object_set_new (doc, "name", json_sprintf ("/%s", name));
  if (cur->s.net_rx || cur->s.net_tx)
    json_object_set_new (doc, "networks",
                         json_pack ("{s:{s:I, s:I, s:i, s:i, s:i, s:i, s:i, s:i}}", "eth0",
                                    "rx_bytes", (json_int_t)cur->s.net_rx, "tx_bytes",
                                    (json_int_t)cur->s.net_tx, "rx_packets", 0, "tx_packets", 0,
                                    "rx_errors", 0, "tx_errors", 0, "rx_dropped", 0, "tx_dropped",
                                    0));
  text = json_dumps (doc, JSON_COMPACT);
  json_decref (doc);
  return text;
}

struct stats_stream
{
  struct mr_api *api;
  char *name;
  struct mr_system_stats sys;
  struct sample prev;
  unsigned sent;
  char *pending; /* what did not fit in the last read */
  size_t pending_len, pending_off;
};

static ssize_t
stats_read (void *data, char *buf, size_t max)
{
  struct stats_stream *st = data;
  struct mr_error err = { 0 };
  struct sample cur;
  size_t n;

  if (st->pending == NULL)
    {
      if (atomic_load (&st->api->stopping))
        return -1;
      if (st->sent > 0)
        for (int i = 0; i < 10 && !atomic_load (&st->api->stopping); i++)
          pause_100ms ();
      if (take_sample (st->api, st->name, &st->sys, &cur, &err) < 0)
        return -1; /* stopped or gone: the stream ends */
      st->pending = stats_text (st->name, &st->prev, &cur);
      if (st->pending == NULL)
        return -1;
      st->pending_len = strlen (st->pending);
      st->pending[st->pending_len++] = '\n'; /* over the NUL */
      st->pending_off = 0;
      st->prev = cur;
      st->sent++;
    }
  n = st->pending_len - st->pending_off;
  if (n > max)
    n = max;
  memcpy (buf, st->pending + st->pending_off, n);
  st->pending_off += n;
  if (st->pending_off == st->pending_len)
    {
      free (st->pending);
      st->pending = NULL;
    }
  return (ssize_t)n;
}

static void
stats_free (void *data)
{
  struct stats_stream *st = data;

  free (st->pending);
  free (st->name);
  free (st);
}

static void
get_stats (struct dreq *d, const char *name)
{
  const char *stream = query (d, "stream");
  bool streaming = stream == NULL || query_flag (d, "stream");
  struct mr_system_stats sys = { .size = sizeof sys };
  struct sample pre = { 0 }, cur = { 0 };
  struct mr_error err = { 0 };
  char *text;

  if (!container_running (d->api, name))
    {
      /* Docker answers a stopped container with zeros */
      if (!container_exists (d->api, name))
        return fail (d, 404, "No such container: %s", name);
      cur.s.size = sizeof cur.s;
      text = stats_text (name, &pre, &cur);
      if (text == NULL)
        return fail (d, 500, "out of memory");
      d->res->status = 200;
      d->res->body = text;
      return;
    }
  if (streaming)
    {
      struct stats_stream *st = calloc (1, sizeof *st);
      if (st == NULL || (st->name = strdup (name)) == NULL)
        {
          free (st);
          return fail (d, 500, "out of memory");
        }
      st->api = d->api;
      st->sys.size = sizeof st->sys;
      d->res->status = 200;
      d->res->stream_read = stats_read;
      d->res->stream_free = stats_free;
      d->res->stream_data = st;
      return;
    }
  /* one object: with precpu_stats from a sample a moment before, unless
   * one-shot */
  if (!query_flag (d, "one-shot"))
    {
      if (take_sample (d->api, name, &sys, &pre, &err) < 0)
        return fail_library (d, name, &err);
      for (int i = 0; i < 5; i++)
        pause_100ms ();
    }
  if (take_sample (d->api, name, &sys, &cur, &err) < 0)
    return fail_library (d, name, &err);
  text = stats_text (name, &pre, &cur);
  if (text == NULL)
    return fail (d, 500, "out of memory");
  d->res->status = 200;
  d->res->body = text;
}

/* --- top -------------------------------------------------------------------- */

static void
get_top (struct dreq *d, const char *name)
{
  const char *ps_args = query (d, "ps_args");
  struct mr_process_info *list = NULL;
  struct mr_error err = { 0 };
  json_t *procs;
  size_t n = 0;

  if (ps_args && *ps_args && strcmp (ps_args, "-ef") != 0)
    return fail (d, 400, "ps_args '%s' are not supported: minirun lists the processes itself",
                 ps_args);
  if (!container_running (d->api, name))
    return fail (d, 409, "container %s is not running", name);
  if (mr_container_top (d->api->ctx, name, &list, &n, &err) < 0)
    return fail_library (d, name, &err);
  procs = json_array ();
  for (size_t i = 0; i < n; i++)
    {
      char stime[16] = "?";
      char state[2] = { list[i].state ? list[i].state : '?', 0 };
      time_t t = (time_t)list[i].start_time;
      struct tm tm;
      if (t && localtime_r (&t, &tm))
        strftime (stime, sizeof stime, "%H:%M", &tm);
      json_array_append_new (procs, json_pack ("[o, o, o, s, s, s]",
                                               json_sprintf ("%u", (unsigned)list[i].uid),
                                               json_sprintf ("%d", (int)list[i].pid),
                                               json_sprintf ("%d", (int)list[i].ppid), state, stime,
                                               list[i].cmd ? list[i].cmd : ""));
    }
  mr_process_info_free (list, n);
  reply (d, 200,
         json_pack ("{s:[s, s, s, s, s, s], s:o}", "Titles", "UID", "PID", "PPID", "STAT", "STIME",
                    "CMD", "Processes", procs));
}

/* --- exec --------------------------------------------------------------------
 * Exec instances live in a small table: created, then started once; their
 * exit code stays readable until the table needs the room.  */

#define EXEC_MAX 64

struct exec_entry
{
  bool used;
  char id[65];
  char *container;
  json_t *cmd, *env; /* arrays of strings */
  char *user, *workdir;
  bool attach_stdout, attach_stderr;
  bool started, running;
  int exit_code;
  uint64_t seq;
};

static struct exec_entry exec_table[EXEC_MAX];
static pthread_mutex_t exec_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t exec_seq;

static void
exec_entry_clear (struct exec_entry *e)
{
  free (e->container);
  json_decref (e->cmd);
  json_decref (e->env);
  free (e->user);
  free (e->workdir);
  memset (e, 0, sizeof *e);
}

/* A free slot, or the oldest finished one; NULL when every one is in use.
 * Called with exec_lock held.  */
static struct exec_entry *
exec_slot (void)
{
  struct exec_entry *oldest = NULL;

  for (size_t i = 0; i < EXEC_MAX; i++)
    {
      struct exec_entry *e = &exec_table[i];
      if (!e->used)
        return e;
      if (!e->running && (oldest == NULL || e->seq < oldest->seq))
        oldest = e;
    }
  if (oldest)
    exec_entry_clear (oldest);
  return oldest;
}

static struct exec_entry *
exec_find (const char *id)
{
  for (size_t i = 0; i < EXEC_MAX; i++)
    if (exec_table[i].used && strcmp (exec_table[i].id, id) == 0)
      return &exec_table[i];
  return NULL;
}

static void
post_exec_create (struct dreq *d, const char *name)
{
  cleanup_json json_t *body = NULL;
  struct exec_entry *e;
  unsigned char rnd[32];
  json_t *cmd, *env, *v;
  const char *user, *workdir;
  json_error_t jerr;
  size_t i;

  body = d->req->body ? json_loads (d->req->body, 0, &jerr) : NULL;
  if (!json_is_object (body))
    return fail (d, 400, "invalid JSON body: %s",
                 d->req->body ? (body ? "expected an object" : jerr.text) : "no body");
  cmd = json_object_get (body, "Cmd");
  if (json_is_string (cmd))
    cmd = json_pack ("[O]", cmd);
  else if (json_is_array (cmd) && json_array_size (cmd) > 0)
    json_incref (cmd);
  else
    return fail (d, 400, "No exec command specified");
  json_array_foreach (cmd, i, v) if (!json_is_string (v))
  {
    json_decref (cmd);
    return fail (d, 400, "invalid Cmd: expected an array of strings");
  }
  env = json_object_get (body, "Env");
  if (env && !json_is_null (env) && !json_is_array (env))
    {
      json_decref (cmd);
      return fail (d, 400, "invalid Env: expected an array of strings");
    }
  json_array_foreach (env, i, v) if (!json_is_string (v))
  {
    json_decref (cmd);
    return fail (d, 400, "invalid Env: expected an array of strings");
  }
  if (json_is_true (json_object_get (body, "Tty"))
      || json_is_true (json_object_get (body, "AttachStdin")))
    {
      json_decref (cmd);
      return fail (d, 400,
                   "an exec with a terminal or standard input is not supported by minirun "
                   "serve: its output is captured");
    }
  if (json_is_true (json_object_get (body, "Privileged")))
    {
      json_decref (cmd);
      return fail (d, 400, "a privileged exec is not supported by minirun serve");
    }
  user = json_string_value (json_object_get (body, "User"));
  workdir = json_string_value (json_object_get (body, "WorkingDir"));
  if (!container_running (d->api, name))
    {
      json_decref (cmd);
      return fail (d, 409, "container %s is not running", name);
    }
  if (getrandom (rnd, sizeof rnd, 0) != sizeof rnd)
    {
      json_decref (cmd);
      return fail (d, 500, "getrandom: %s", strerror (errno));
    }
  pthread_mutex_lock (&exec_lock);
  e = exec_slot ();
  if (e == NULL)
    {
      pthread_mutex_unlock (&exec_lock);
      json_decref (cmd);
      return fail (d, 503, "too many exec instances running (%d)", EXEC_MAX);
    }
  e->used = true;
  for (i = 0; i < sizeof rnd; i++)
    snprintf (e->id + 2 * i, 3, "%02x", rnd[i]);
  e->container = strdup (name);
  e->cmd = cmd;
  e->env = env ? json_incref (env) : NULL;
  e->user = user && *user ? strdup (user) : NULL;
  e->workdir = workdir && *workdir ? strdup (workdir) : NULL;
  v = json_object_get (body, "AttachStdout");
  e->attach_stdout = v == NULL || json_is_true (v);
  v = json_object_get (body, "AttachStderr");
  e->attach_stderr = v == NULL || json_is_true (v);
  e->exit_code = -1;
  e->seq = ++exec_seq;
  reply (d, 201, json_pack ("{s:s}", "Id", e->id));
  pthread_mutex_unlock (&exec_lock);
}

/* What one exec start runs: a copy of its entry.  */
struct exec_run
{
  struct mr_api *api;
  char id[65];
  char *container;
  json_t *cmd, *env;
  char *user, *workdir;
  bool out, err; /* attached */
};

static void
exec_run_free (void *data)
{
  struct exec_run *r = data;

  if (r == NULL)
    return;
  free (r->container);
  json_decref (r->cmd);
  json_decref (r->env);
  free (r->user);
  free (r->workdir);
  free (r);
}

/* A capture's cancel: the client of the request (data) has left.  */
static bool
client_gone (void *data)
{
  return mr_api_client_gone (data);
}

/* Runs the exec, its output captured; the exit code goes to the table.
   req: the request whose response carries the output, which ends the
   process if its client leaves; NULL where none does (detached, or a
   hijacked connection, whose client may shut its side down once its input
   is sent).  */
static int
exec_execute (struct exec_run *r, const struct mr_api_request *req, struct mr_exec_result *res,
              struct mr_error *err)
{
  struct mr_exec_opts o = { .size = sizeof o };
  struct mr_exec_capture_opts co = { .size = sizeof co,
                                     .max_output = 16 * 1024 * 1024,
                                     .cancel = req ? client_gone : NULL,
                                     .cancel_data = (void *)req };
  size_t nargs = json_array_size (r->cmd), nenv = json_array_size (r->env);
  cleanup_free const char **args = calloc (nargs + 1, sizeof *args);
  cleanup_free const char **env = calloc (nenv + 1, sizeof *env);
  struct exec_entry *e;
  int ret;

  res->size = sizeof *res;
  res->exit_code = -1;
  if (args == NULL || env == NULL)
    ret = mr_error_errno (err, ENOMEM, "exec in '%s'", r->container);
  else if (r->user && mr_exec_user_parse (r->user, &o) < 0)
    ret = mr_error_set (err, "exec in '%s': invalid user '%s': give UID[:GID]", r->container,
                        r->user);
  else
    {
      for (size_t i = 0; i < nargs; i++)
        args[i] = json_string_value (json_array_get (r->cmd, i));
      for (size_t i = 0; i < nenv; i++)
        env[i] = json_string_value (json_array_get (r->env, i));
      o.args = args;
      o.env = env;
      o.cwd = r->workdir;
      ret = mr_container_exec_capture (r->api->ctx, r->container, &o, &co, res, err);
      if (ret < 0 && res->exit_code < 0)
        res->exit_code = 126;
    }
  if (ret < 0 && res->exit_code < 0)
    res->exit_code = 126;
  pthread_mutex_lock (&exec_lock);
  e = exec_find (r->id);
  if (e)
    {
      e->running = false;
      e->exit_code = res->exit_code;
    }
  pthread_mutex_unlock (&exec_lock);
  return ret;
}

static void
exec_write (struct exec_run *r, int fd, const struct mr_exec_result *res, int ret,
            const struct mr_error *err)
{
  if (r->out && res->stdout_len)
    send_frame (fd, 1, res->stdout_data, res->stdout_len);
  if (r->err && res->stderr_len)
    send_frame (fd, 2, res->stderr_data, res->stderr_len);
  if (ret < 0)
    {
      char line[MR_ERROR_MSG_MAX + 32];
      int n = snprintf (line, sizeof line, "minirun exec failed: %s\n", err->msg);
      send_frame (fd, 2, line, (size_t)n);
    }
}

static void
exec_upgraded (void *data, int fd)
{
  struct exec_run *r = data;
  struct mr_exec_result res = { .size = sizeof res };
  struct mr_error err = { 0 };
  int ret = exec_execute (r, NULL, &res, &err);

  exec_write (r, fd, &res, ret, &err);
  mr_exec_result_clear (&res);
}

static void *
exec_detached (void *data)
{
  struct exec_run *r = data;
  struct mr_exec_result res = { .size = sizeof res };
  struct mr_error err = { 0 };

  exec_execute (r, NULL, &res, &err);
  mr_exec_result_clear (&res);
  exec_run_free (r);
  return NULL;
}

/* A body read whole, for a start without the upgrade: the frames.  */
static int
frames_to_body (struct exec_run *r, struct dreq *d)
{
  struct mr_exec_result res = { .size = sizeof res };
  struct mr_error err = { 0 };
  int ret = exec_execute (r, d->req, &res, &err);
  char *buf = NULL;
  size_t len = 0;
  FILE *f;

  f = open_memstream (&buf, &len);
  if (f)
    {
      const struct
      {
        bool on;
        int stream;
        const char *data;
        size_t len;
      } parts[] = { { r->out, 1, res.stdout_data, res.stdout_len },
                    { r->err, 2, res.stderr_data, res.stderr_len } };
      for (size_t i = 0; i < 2; i++)
        if (parts[i].on && parts[i].len)
          {
            unsigned char hdr[8] = { (unsigned char)parts[i].stream,
                                     0,
                                     0,
                                     0,
                                     (unsigned char)(parts[i].len >> 24),
                                     (unsigned char)(parts[i].len >> 16),
                                     (unsigned char)(parts[i].len >> 8),
                                     (unsigned char)parts[i].len };
            fwrite (hdr, 1, sizeof hdr, f);
            fwrite (parts[i].data, 1, parts[i].len, f);
          }
      if (ret < 0)
        {
          char line[MR_ERROR_MSG_MAX + 32];
          int n = snprintf (line, sizeof line, "minirun exec failed: %s\n", err.msg);
          unsigned char hdr[8] = { 2, 0, 0, 0, 0, 0, (unsigned char)(n >> 8), (unsigned char)n };
          fwrite (hdr, 1, sizeof hdr, f);
          fwrite (line, 1, (size_t)n, f);
        }
      fclose (f);
    }
  mr_exec_result_clear (&res);
  if (buf == NULL)
    return fail (d, 500, "out of memory"), -1;
  d->res->status = 200;
  d->res->body = buf;
  d->res->body_len = len;
  d->res->content_type = "application/vnd.docker.raw-stream";
  if (len == 0)
    {
      free (buf);
      d->res->body = NULL;
      d->res->static_body = "";
    }
  return 0;
}

static bool
wants_upgrade (struct dreq *d)
{
  const char *up = d->req->header (d->req->conn, "Upgrade");
  return up && strcasecmp (up, "tcp") == 0;
}

static void
post_exec_start (struct dreq *d, const char *id)
{
  cleanup_json json_t *body = NULL;
  struct exec_run *r;
  struct exec_entry *e;
  bool detach = false;

  body = d->req->body && d->req->body_len ? json_loads (d->req->body, 0, NULL) : NULL;
  if (d->req->body && d->req->body_len && !json_is_object (body))
    return fail (d, 400, "invalid JSON body: expected an object");
  detach = json_is_true (json_object_get (body, "Detach"));
  if (json_is_true (json_object_get (body, "Tty")))
    return fail (d, 400, "an exec with a terminal is not supported by minirun serve");
  r = calloc (1, sizeof *r);
  if (r == NULL)
    return fail (d, 500, "out of memory");
  r->api = d->api;
  pthread_mutex_lock (&exec_lock);
  e = exec_find (id);
  if (e == NULL || e->started)
    {
      pthread_mutex_unlock (&exec_lock);
      free (r);
      if (e == NULL)
        return fail (d, 404, "No such exec instance: %s", id);
      return fail (d, 409, "exec instance %s has already been started", id);
    }
  e->started = e->running = true;
  snprintf (r->id, sizeof r->id, "%s", e->id);
  r->container = strdup (e->container);
  r->cmd = json_incref (e->cmd);
  r->env = json_incref (e->env);
  r->user = e->user ? strdup (e->user) : NULL;
  r->workdir = e->workdir ? strdup (e->workdir) : NULL;
  r->out = e->attach_stdout;
  r->err = e->attach_stderr;
  pthread_mutex_unlock (&exec_lock);
  if (r->container == NULL)
    {
      exec_run_free (r);
      return fail (d, 500, "out of memory");
    }
  if (detach)
    {
      int ret = mr_http_start_detached (exec_detached, r);
      if (ret != 0)
        {
          exec_run_free (r);
          return fail (d, 500, "cannot start a thread: %s", strerror (ret));
        }
      return reply_empty (d, 200);
    }
  if (wants_upgrade (d))
    {
      d->res->upgrade = exec_upgraded;
      d->res->stream_data = r;
      d->res->stream_free = exec_run_free;
      mr_api_response_header (d->res, "Upgrade", "tcp");
      mr_api_response_header (d->res, "Content-Type", "%s",
                              d->minor >= 42 ? "application/vnd.docker.multiplexed-stream"
                                             : "application/vnd.docker.raw-stream");
      return;
    }
  frames_to_body (r, d);
  exec_run_free (r);
}

static void
get_exec (struct dreq *d, const char *id)
{
  struct exec_entry *e;
  json_t *args, *doc;

  pthread_mutex_lock (&exec_lock);
  e = exec_find (id);
  if (e == NULL)
    {
      pthread_mutex_unlock (&exec_lock);
      return fail (d, 404, "No such exec instance: %s", id);
    }
  args = json_array ();
  for (size_t i = 1; i < json_array_size (e->cmd); i++)
    json_array_append (args, json_array_get (e->cmd, i));
  doc = json_pack ("{s:s, s:b, s:o, s:{s:b, s:O, s:o, s:b, s:s}, s:b, s:b, s:b, s:b, s:s, "
                   "s:s, s:i}",
                   "ID", e->id, "Running", e->running, "ExitCode",
                   e->started && !e->running ? json_integer (e->exit_code) : json_null (),
                   "ProcessConfig", "tty", 0, "entrypoint", json_array_get (e->cmd, 0), "arguments",
                   args, "privileged", 0, "user", e->user ? e->user : "", "OpenStdin", 0,
                   "OpenStdout", e->attach_stdout, "OpenStderr", e->attach_stderr, "CanRemove", 0,
                   "ContainerID", e->container, "DetachKeys", "", "Pid", 0);
  pthread_mutex_unlock (&exec_lock);
  reply (d, 200, doc);
}

/* --- images ----------------------------------------------------------------- */

static json_t *
image_entry (const struct mr_image_info *img, json_t *tags)
{
  return json_pack ("{s:i, s:I, s:s++, s:{}, s:s, s:[], s:o, s:i, s:I, s:I}", "Containers", -1,
                    "Created", (json_int_t)img->created_unix, "Id", "sha256:", img->id, "",
                    "Labels", "ParentId", "", "RepoDigests", "RepoTags", tags, "SharedSize", -1,
                    "Size", (json_int_t)img->size, "VirtualSize", (json_int_t)img->size);
}

static void
get_images (struct dreq *d)
{
  static const char *const known[] = { "reference", "dangling", NULL };
  cleanup_json json_t *filters = parse_filters (d, known);
  struct mr_image_info *list = NULL;
  struct mr_error err = { 0 };
  json_t *out;
  size_t n = 0;

  if (filters == NULL)
    return;
  if (mr_image_list (d->api->ctx, &list, &n, &err) < 0)
    return fail (d, 500, "%s", err.msg);
  out = json_array ();
  for (size_t i = 0; i < n; i++)
    {
      json_t *tags = json_array ();
      json_t *refs = json_object_get (filters, "reference");
      bool seen = false, pass = json_array_size (refs) == 0;
      json_t *r;
      size_t k;

      /* one entry per image id, with every reference that names it */
      for (size_t j = 0; j < i; j++)
        seen = seen || strcmp (list[j].id, list[i].id) == 0;
      if (seen)
        {
          json_decref (tags);
          continue;
        }
      for (size_t j = i; j < n; j++)
        if (strcmp (list[j].id, list[i].id) == 0)
          {
            json_array_append_new (tags, json_string (list[j].reference));
            json_array_foreach (refs, k, r)
            {
              const char *want = json_string_value (r);
              if (fnmatch (want, list[j].reference, 0) == 0 || fnmatch (want, list[j].name, 0) == 0)
                pass = true;
            }
          }
      if (pass)
        json_array_append_new (out, image_entry (&list[i], tags));
      else
        json_decref (tags);
    }
  mr_image_info_free (list, n);
  reply (d, 200, out);
}

static void
get_image (struct dreq *d, const char *name)
{
  cleanup_free char *ref = image_lookup (d->api, name);
  cleanup_free char *text = NULL;
  cleanup_json json_t *img = NULL;
  struct mr_image_info *list = NULL;
  struct mr_error err = { 0 };
  json_t *tags, *config;
  size_t n = 0;

  if (ref == NULL)
    return fail (d, 404, "No such image: %s", name);
  if (mr_image_inspect (d->api->ctx, ref, &text, &err) < 0)
    return fail (d, 404, "No such image: %s", name);
  img = json_loads (text, 0, NULL);
  if (img == NULL)
    return fail (d, 500, "image '%s': the library returned invalid JSON", name);
  tags = json_array ();
  if (mr_image_list (d->api->ctx, &list, &n, &err) == 0)
    {
      for (size_t i = 0; i < n; i++)
        if (strcmp (list[i].id, jstr (img, "Id")) == 0)
          json_array_append_new (tags, json_string (list[i].reference));
      mr_image_info_free (list, n);
    }
  config = json_deep_copy (json_object_get (img, "Config"));
  if (config == NULL)
    config = json_object ();
  reply (d, 200,
         json_pack ("{s:s++, s:o, s:[], s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:I, "
                    "s:{s:s, s:{s:s}}, s:{s:s, s:[]}, s:{s:s}}",
                    "Id", "sha256:", jstr (img, "Id"), "", "RepoTags", tags, "RepoDigests",
                    "Parent", "", "Comment", "", "Created", jstr (img, "Created"), "Container", "",
                    "DockerVersion", "", "Author", "", "Config", config, "Architecture", "amd64",
                    "Os", "linux", "Size",
                    (json_int_t)json_integer_value (json_object_get (img, "Size")), "VirtualSize",
                    (json_int_t)json_integer_value (json_object_get (img, "Size")), "GraphDriver",
                    "Name", "minirun", "Data", "Dir", jstr (img, "RootFS"), "RootFS", "Type",
                    "layers", "Layers", "Metadata", "LastTagTime", jstr (img, "Created")));
}

/* --- system ----------------------------------------------------------------- */

/* Go's names for machines, which Docker reports.  */
static const char *
go_arch (const char *arch)
{
  if (strcmp (arch, "x86_64") == 0)
    return "amd64";
  if (strcmp (arch, "aarch64") == 0)
    return "arm64";
  if (strcmp (arch, "i686") == 0 || strcmp (arch, "i386") == 0)
    return "386";
  return arch;
}

static json_t *
system_info (struct dreq *d)
{
  cleanup_free char *text = NULL;
  struct mr_error err = { 0 };
  json_t *info;

  if (mr_system_info (d->api->ctx, &text, &err) < 0)
    {
      fail (d, 500, "%s", err.msg);
      return NULL;
    }
  info = json_loads (text, 0, NULL);
  if (info == NULL)
    fail (d, 500, "system info: the library returned invalid JSON");
  return info;
}

static void
get_version (struct dreq *d)
{
  cleanup_json json_t *info = system_info (d);
  const char *arch, *kernel;

  if (info == NULL)
    return;
  arch = go_arch (jstr (info, "architecture"));
  kernel = jstr (info, "kernel_release");
  reply (d, 200,
         json_pack ("{s:{s:s}, s:[{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s}}], s:s, s:s, s:s, "
                    "s:s, s:s, s:s, s:s, s:s, s:s}",
                    "Platform", "Name", "minirun", "Components", "Name", "Engine", "Version",
                    mr_version (), "Details", "ApiVersion", API_VERSION, "MinAPIVersion",
                    API_MIN_VERSION, "Os", "linux", "Arch", arch, "KernelVersion", kernel,
                    "Experimental", "false", "Version", mr_version (), "ApiVersion", API_VERSION,
                    "MinAPIVersion", API_MIN_VERSION, "GitCommit", "", "GoVersion", "", "Os",
                    "linux", "Arch", arch, "KernelVersion", kernel, "BuildTime", ""));
}

static void
get_info (struct dreq *d)
{
  cleanup_json json_t *info = system_info (d);
  struct mr_container_info *list = NULL;
  struct mr_image_info *images = NULL;
  struct mr_error err = { 0 };
  size_t n = 0, n_images = 0;
  unsigned counts[4] = { 0 }; /* all, running, paused, stopped */
  char host[256] = "";
  char now[48];
  json_t *doc, *sec;

  if (info == NULL)
    return;
  if (mr_api_list (d->api, &list, &n, &err) == 0)
    {
      for (size_t i = 0; i < n; i++)
        {
          const char *st = list[i].state ? list[i].state : "";
          if (!list[i].managed)
            continue;
          counts[0]++;
          if (strcmp (st, "running") == 0 || strcmp (st, "restarting") == 0)
            counts[1]++;
          else if (strcmp (st, "paused") == 0)
            counts[2]++;
          else
            counts[3]++;
        }
      mr_container_info_free (list, n);
    }
  mr_error_clear (&err);
  if (mr_image_list (d->api->ctx, &images, &n_images, &err) == 0)
    mr_image_info_free (images, n_images);
  gethostname (host, sizeof host - 1);
  rfc3339_now (now, sizeof now);
  sec = json_array ();
  if (json_is_true (json_object_get (json_object_get (info, "security"), "seccomp")))
    json_array_append_new (sec, json_string ("name=seccomp,profile=builtin"));
  doc = json_pack (
      "{s:s, s:i, s:i, s:i, s:i, s:i, s:s, s:[], s:{s:[], s:[], s:n, s:[]}, s:b, s:b, s:b, "
      "s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, "
      "s:O?, s:O?, s:s, s:s, s:[], s:b, s:s, s:{s:{s:s}}, s:s, s:{s:s, s:s, s:s, s:b, s:s}, "
      "s:b, s:s, s:o, s:[]}",
      "ID", "", "Containers", counts[0], "ContainersRunning", counts[1], "ContainersPaused",
      counts[2], "ContainersStopped", counts[3], "Images", (int)n_images, "Driver", "overlay",
      "DriverStatus", "Plugins", "Volume", "Network", "Authorization", "Log", "MemoryLimit", 1,
      "SwapLimit", 1, "CpuCfsPeriod", 1, "CpuCfsQuota", 1, "CPUShares", 1, "CPUSet", 1, "PidsLimit",
      1, "Debug", 0, "NFd", 0, "NGoroutines", 0, "SystemTime", now, "LoggingDriver", "json-file",
      "CgroupDriver", "cgroupfs", "CgroupVersion",
      json_integer_value (json_object_get (info, "cgroup_version")) == 2 ? "2" : "1",
      "NEventsListener", 0, "KernelVersion", jstr (info, "kernel_release"), "OperatingSystem",
      jstr (info, "os"), "OSType", "linux", "Architecture", jstr (info, "architecture"),
      "IndexServerAddress", "", "NCPU", json_object_get (info, "cpus"), "MemTotal",
      json_object_get (info, "memory_total"), "DockerRootDir", jstr (info, "data_dir"), "Name",
      host, "Labels", "ExperimentalBuild", 0, "ServerVersion", mr_version (), "Runtimes", "minirun",
      "path", "minirun", "DefaultRuntime", "minirun", "Swarm", "NodeID", "", "NodeAddr", "",
      "LocalNodeState", "inactive", "ControlAvailable", 0, "Error", "", "LiveRestoreEnabled", 1,
      "Isolation", "", "SecurityOptions", sec, "Warnings");
  reply (d, 200, doc);
}

/* --- routing ---------------------------------------------------------------- */

static void
std_headers (struct mr_api_response *res, bool upgrade)
{
  mr_api_response_header (res, "Api-Version", API_VERSION);
  mr_api_response_header (res, "Ostype", "linux");
  if (!upgrade)
    {
      mr_api_response_header (res, "Docker-Experimental", "false");
      mr_api_response_header (res, "Server", "minirun/%s", mr_version ());
    }
}

static bool
method (struct dreq *d, const char *want)
{
  if (strcmp (d->req->method, want) == 0
      || (strcmp (want, "GET") == 0 && strcmp (d->req->method, "HEAD") == 0))
    return true;
  d->res->allow = want;
  fail (d, 405, "method %s not allowed on '%s': use %s", d->req->method, d->req->path, want);
  return false;
}

/* /containers/{id}/... ; rest points after "/containers/".  */
static void
route_container (struct dreq *d, const char *rest)
{
  static const struct
  {
    const char *name;
    const char *method;
    enum action act;
  } acts[] = {
    { "start", "POST", ACT_START },     { "stop", "POST", ACT_STOP },
    { "restart", "POST", ACT_RESTART }, { "kill", "POST", ACT_KILL },
    { "pause", "POST", ACT_PAUSE },     { "unpause", "POST", ACT_UNPAUSE },
  };
  static const struct
  {
    const char *name;
    const char *method;
    void (*fn) (struct dreq *d, const char *name);
  } verbs[] = {
    { "json", "GET", get_container }, { "wait", "POST", post_wait },
    { "logs", "GET", get_logs },      { "stats", "GET", get_stats },
    { "top", "GET", get_top },        { "exec", "POST", post_exec_create },
  };
  const char *slash = strchr (rest, '/');
  cleanup_free char *id = strndup (rest, slash ? (size_t)(slash - rest) : strlen (rest));
  cleanup_free char *name = NULL;
  const char *verb = slash ? slash + 1 : "";

  if (id == NULL)
    return fail (d, 500, "out of memory");
  if (*verb == '\0' && strcmp (d->req->method, "DELETE") != 0)
    return fail (d, 404, "page not found");
  if (strcmp (verb, "attach") == 0 || strcmp (verb, "resize") == 0
      || strcmp (verb, "attach/ws") == 0)
    return fail (d, 501,
                 "attaching to a container is not supported by minirun serve: run it detached "
                 "and read its logs");
  name = resolve (d, id);
  if (name == NULL)
    return;
  if (*verb == '\0')
    return change (d, ACT_DELETE, name);
  for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
    if (strcmp (verb, acts[i].name) == 0)
      {
        if (method (d, acts[i].method))
          change (d, acts[i].act, name);
        return;
      }
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (strcmp (verb, verbs[i].name) == 0)
      {
        if (method (d, verbs[i].method))
          verbs[i].fn (d, name);
        return;
      }
  fail (d, 404, "page not found");
}

static void
route (struct dreq *d, const char *path)
{
  if (strcmp (path, "/_ping") == 0)
    {
      if (!method (d, "GET"))
        return;
      d->res->status = 200;
      d->res->static_body = "OK";
      d->res->static_len = 2;
      d->res->content_type = "text/plain; charset=utf-8";
      mr_api_response_header (d->res, "Cache-Control", "no-cache, no-store, must-revalidate");
      mr_api_response_header (d->res, "Pragma", "no-cache");
    }
  else if (strcmp (path, "/version") == 0)
    {
      if (method (d, "GET"))
        get_version (d);
    }
  else if (strcmp (path, "/info") == 0)
    {
      if (method (d, "GET"))
        get_info (d);
    }
  else if (strcmp (path, "/containers/json") == 0)
    {
      if (method (d, "GET"))
        get_containers (d);
    }
  else if (strcmp (path, "/containers/create") == 0)
    {
      if (method (d, "POST"))
        post_create (d);
    }
  else if (strncmp (path, "/containers/", 12) == 0)
    route_container (d, path + 12);
  else if (strncmp (path, "/exec/", 6) == 0)
    {
      const char *id = path + 6;
      const char *slash = strchr (id, '/');
      cleanup_free char *eid = slash ? strndup (id, (size_t)(slash - id)) : NULL;

      if (eid && strcmp (slash, "/start") == 0)
        {
          if (method (d, "POST"))
            post_exec_start (d, eid);
        }
      else if (eid && strcmp (slash, "/json") == 0)
        {
          if (method (d, "GET"))
            get_exec (d, eid);
        }
      else if (eid && strcmp (slash, "/resize") == 0)
        fail (d, 501, "exec with a terminal is not supported by minirun serve");
      else
        fail (d, 404, "page not found");
    }
  else if (strcmp (path, "/images/json") == 0)
    {
      if (method (d, "GET"))
        get_images (d);
    }
  else if (strncmp (path, "/images/", 8) == 0 && strlen (path) > 13
           && strcmp (path + strlen (path) - 5, "/json") == 0)
    {
      cleanup_free char *name = strndup (path + 8, strlen (path) - 13);
      if (name == NULL)
        return fail (d, 500, "out of memory");
      if (method (d, "GET"))
        get_image (d, name);
    }
  else if (strcmp (path, "/images/create") == 0)
    fail (d, 501,
          "pulling images is not supported by minirun serve: add one with `minirun image add "
          "NAME DIR`");
  else if (strcmp (path, "/events") == 0)
    {
      if (method (d, "GET"))
        get_events (d);
    }
  else
    fail (d, 404, "page not found");
}

static void
handle (struct mr_api *api, const struct mr_api_request *req, struct mr_api_response *res)
{
  struct dreq d = { .api = api, .req = req, .res = res, .minor = API_MAX_MINOR };
  const char *path = req->path;

  if (strncmp (path, "/v1.", 4) == 0)
    {
      const char *p = path + 4;
      char *end;
      long minor;

      errno = 0;
      minor = strtol (p, &end, 10);
      if (end == p || *end != '/' || errno || *p < '0' || *p > '9')
        {
          std_headers (res, false);
          return fail (&d, 404, "page not found");
        }
      if (minor > API_MAX_MINOR)
        {
          std_headers (res, false);
          return fail (&d, 400,
                       "client version %d.%ld is too new. Maximum supported API version is %s",
                       API_MAJOR, minor, API_VERSION);
        }
      if (minor < API_MIN_MINOR)
        {
          std_headers (res, false);
          return fail (&d, 400,
                       "client version %d.%ld is too old. Minimum supported API version is %s, "
                       "please upgrade your client to a newer version",
                       API_MAJOR, minor, API_MIN_VERSION);
        }
      d.minor = (int)minor;
      path = end;
    }
  route (&d, path);
  std_headers (res, res->upgrade != NULL);
}

/* Docker's error body: {"message": ...}.  */
static char *
error_body (unsigned status, const char *message)
{
  json_t *doc = json_pack ("{s:s}", "message", message);
  char *body = doc ? json_dumps (doc, JSON_COMPACT) : NULL;

  json_decref (doc);
  return body ? body : mr_api_error_body (status, message);
}

/* The cheap reads: ping, version, info, the lists, inspect.  */
static bool
runs_inline (const char *method, const char *path)
{
  static const char *const fixed[] = {
    "/_ping", "/version", "/info", "/containers/json", "/images/json",
  };
  const char *name, *slash;

  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0)
    return false;
  if (strncmp (path, "/v1.", 4) == 0 && (slash = strchr (path + 4, '/')) != NULL)
    path = slash;
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
    if (strcmp (path, fixed[i]) == 0)
      return true;
  if (strncmp (path, "/containers/", 12) != 0)
    return false;
  name = path + 12;
  slash = strchr (name, '/');
  return slash != NULL && slash != name && strcmp (slash, "/json") == 0;
}

const struct mr_http_router mr_docker_router = {
  .handle = handle,
  .error_body = error_body,
  .runs_inline = runs_inline,
};
