/* Docker's containers: list (with its filters), inspect, start, stop,
 * restart, kill, pause, remove, wait.  */
#include "config.h"

#include <errno.h>
#include <limits.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "http/docker-internal.h"
#include "managed/runconfig.h"
#include "util/cleanup.h"
#include "util/json.h"

const char *
docker_jstr (const json_t *o, const char *key)
{
  const char *s = json_string_value (json_object_get (o, key));
  return s ? s : "";
}

/* The name of the managed container that id names, exactly or as the one
 * name it begins (caller frees); NULL after a 404.  */
char *
docker_resolve (struct dreq *d, const char *id)
{
  struct mr_container_info *list = NULL;
  struct mr_error err = { 0 };
  char *found = NULL;
  size_t n = 0, len;
  bool twice = false;

  if (*id == '/')
    id++;
  if (mr_id_validate (id, &err) == 0 && docker_container_exists (d->api, id))
    {
      found = strdup (id);
      if (found == NULL)
        docker_fail (d, 500, "out of memory");
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
    docker_fail (d, 404, "No such container: %s", id);
  return found;
}

/* The library's record of a container; NULL after an error response.  */
json_t *
docker_load_record (struct dreq *d, const char *name)
{
  cleanup_free char *text = NULL;
  struct mr_error err = { 0 };
  json_t *rec;

  if (mr_container_inspect (d->api->ctx, name, &text, &err) < 0)
    {
      docker_fail_library (d, name, &err);
      return NULL;
    }
  rec = json_loads (text, 0, NULL);
  if (rec == NULL)
    docker_fail (d, 500, "inspect '%s': the library returned invalid JSON", name);
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
  const char *status = docker_jstr (state, "Status");
  int code = (int)json_integer_value (json_object_get (state, "ExitCode"));
  int64_t now = (int64_t)time (NULL);
  int64_t started = docker_parse_time (docker_jstr (state, "StartedAt"));
  int64_t finished = docker_parse_time (docker_jstr (state, "FinishedAt"));
  char ago[64];

  if (strcmp (status, "running") == 0 || strcmp (status, "paused") == 0)
    {
      docker_human_duration (started ? now - started : 0, ago, sizeof ago);
      snprintf (buf, len, "Up %s%s", ago, strcmp (status, "paused") == 0 ? " (Paused)" : "");
    }
  else if (strcmp (status, "restarting") == 0)
    {
      docker_human_duration (finished ? now - finished : 0, ago, sizeof ago);
      snprintf (buf, len, "Restarting (%d) %s ago", code, ago);
    }
  else if (strcmp (status, "stopped") == 0 && finished)
    {
      docker_human_duration (now - finished, ago, sizeof ago);
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
  const char *id = docker_jstr (rec, "ImageId");
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

/* NetworkSettings.Ports as the list has them: [{IP, PrivatePort,
   PublicPort, Type}], an exposed port published nowhere without IP and
   PublicPort.  */
static json_t *
list_ports (const json_t *rec)
{
  json_t *ports = json_object_get (json_object_get (rec, "NetworkSettings"), "Ports");
  json_t *out = json_array (), *list, *b;
  const char *key;

  json_object_foreach (ports, key, list)
  {
    char proto[8] = "tcp";
    unsigned priv = 0;
    size_t i;

    if (sscanf (key, "%u/%7s", &priv, proto) < 1)
      continue;
    if (json_array_size (list) == 0)
      json_array_append_new (out,
                             json_pack ("{s:i, s:s}", "PrivatePort", (int)priv, "Type", proto));
    json_array_foreach (list, i, b) json_array_append_new (
        out,
        json_pack ("{s:s, s:i, s:i, s:s}", "IP", docker_jstr (b, "HostIp"), "PrivatePort",
                   (int)priv, "PublicPort", atoi (docker_jstr (b, "HostPort")), "Type", proto));
  }
  return out;
}

/* HostConfig.NetworkMode as docker names it: "default" for none asked.  */
static const char *
network_mode (const json_t *host)
{
  const char *mode = docker_jstr (host, "NetworkMode");

  return *mode ? mode : "default";
}

static json_t *
networks_of (const json_t *rec)
{
  json_t *n = json_object_get (json_object_get (rec, "NetworkSettings"), "Networks");

  return json_is_object (n) ? json_incref (n) : json_object ();
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
  return json_pack (
      "{s:s, s:[s+], s:s, s:o, s:o, s:I, s:o, s:o, s:s, s:s, s:{s:s}, "
      "s:{s:o}, s:o}",
      "Id", docker_jstr (rec, "Id"), "Names", "/", docker_jstr (rec, "Name"), "Image",
      docker_jstr (rec, "Image"), "ImageID", image_id (rec), "Command", command_of (config),
      "Created", (json_int_t)docker_parse_time (docker_jstr (rec, "Created")), "Ports",
      list_ports (rec), "Labels", json_is_object (labels) ? json_incref (labels) : json_object (),
      "State", docker_status (docker_jstr (state, "Status")), "Status", status, "HostConfig",
      "NetworkMode", network_mode (host), "NetworkSettings", "Networks", networks_of (rec),
      "Mounts", mounts_of (host));
}

/* The filters of a query, {"key": {"value": true}} or the older
 * {"key": ["value"]}, as {"key": ["value", ...]}; NULL after a 400.  */
json_t *
docker_parse_filters (struct dreq *d, const char *const *known)
{
  const char *text = docker_query (d, "filters");
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
      docker_fail (d, 400, "invalid filters '%s': expected a JSON object", text);
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
        docker_fail (d, 400, "invalid filter '%s'", key);
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
        docker_fail (d, 400,
                     "invalid filter '%s': expected an array of strings or an object of booleans",
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

/* Docker matches names with a regular expression, unanchored.  The
 * patterns come from clients: their length, the matcher's steps, its
 * backtracking depth and its heap are bounded, so that a pattern costs
 * little whatever it says.  */
#define NAME_REGEX_MAX_LEN 256
#define NAME_REGEX_MATCH_LIMIT 100000
#define NAME_REGEX_DEPTH_LIMIT 1000
#define NAME_REGEX_HEAP_LIMIT_KIB 1024

void
docker_regex_free (struct docker_regex *nr)
{
  for (size_t i = 0; i < nr->n; i++)
    pcre2_code_free (nr->codes[i]);
  free (nr->codes);
  pcre2_match_data_free (nr->md);
  pcre2_match_context_free (nr->mc);
  pcre2_compile_context_free (nr->cc);
  *nr = (struct docker_regex){ 0 };
}

int
docker_regex_compile (struct dreq *d, const json_t *filters, const char *key,
                      struct docker_regex *nr)
{
  json_t *vals = json_object_get (filters, key), *v;
  size_t i;

  *nr = (struct docker_regex){ 0 };
  if (json_array_size (vals) == 0)
    return 0;
  nr->codes = calloc (json_array_size (vals), sizeof *nr->codes);
  nr->mc = pcre2_match_context_create (NULL);
  nr->cc = pcre2_compile_context_create (NULL);
  nr->md = pcre2_match_data_create (1, NULL);
  if (nr->codes == NULL || nr->mc == NULL || nr->cc == NULL || nr->md == NULL)
    {
      docker_fail (d, 500, "out of memory");
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
        docker_fail (d, 400, "invalid filter '%s': pattern longer than %d bytes", key,
                     NAME_REGEX_MAX_LEN);
        return -1;
      }
    nr->codes[nr->n] = pcre2_compile ((PCRE2_SPTR)want, PCRE2_ZERO_TERMINATED,
                                      PCRE2_UTF | PCRE2_NO_AUTO_CAPTURE, &code, &off, nr->cc);
    if (nr->codes[nr->n] == NULL)
      {
        PCRE2_UCHAR msg[160];

        pcre2_get_error_message (code, msg, sizeof msg);
        docker_fail (d, 400, "invalid filter '%s': '%s': %s at offset %zu", key, want, (char *)msg,
                     (size_t)off);
        return -1;
      }
    nr->n++;
  }
  return 0;
}

bool
docker_regex_any (struct docker_regex *nr, const char *s)
{
  for (size_t i = 0; i < nr->n; i++)
    {
      int rc = pcre2_match (nr->codes[i], (PCRE2_SPTR)s, strlen (s), 0, 0, nr->md, nr->mc);

      if (rc >= 0)
        return true;
      if (rc != PCRE2_ERROR_NOMATCH && nr->error == 0)
        nr->error = rc;
    }
  return false;
}

/* A container's name, with or without its leading '/'.  */
static bool
name_regex_match (struct docker_regex *nr, const char *name)
{
  char slashed[256 + 2];

  if (nr->n == 0)
    return true;
  if (*name == '/')
    name++;
  snprintf (slashed, sizeof slashed, "/%s", name);
  return docker_regex_any (nr, name) || docker_regex_any (nr, slashed);
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
filters_pass (const json_t *filters, struct docker_regex *names, const json_t *rec)
{
  json_t *state = json_object_get (rec, "State");
  json_t *labels = json_object_get (json_object_get (rec, "Config"), "Labels");
  json_t *want;
  char code[16];
  size_t i;

  snprintf (code, sizeof code, "%d", (int)json_integer_value (json_object_get (state, "ExitCode")));
  if (!filter_any (filters, "status", match_equal, docker_status (docker_jstr (state, "Status")),
                   NULL)
      || !name_regex_match (names, docker_jstr (rec, "Name"))
      || !filter_any (filters, "id", match_prefix, docker_jstr (rec, "Id"), NULL)
      || !filter_any (filters, "ancestor", match_equal, docker_jstr (rec, "Image"), NULL))
    return false;
  if (json_array_size (json_object_get (filters, "exited")) > 0
      && (strcmp (docker_jstr (state, "Status"), "stopped") != 0
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

  return cx < cy ? 1 : cx > cy ? -1 : strcmp (docker_jstr (x, "Id"), docker_jstr (y, "Id"));
}

/* The managed containers of list that pass the filters (and run, unless
   all) into entries as docker ps shows them; their count.  */
static size_t
list_entries (struct dreq *d, const struct mr_container_info *list, size_t n, const json_t *filters,
              struct docker_regex *names, bool all, json_t **entries)
{
  struct mr_error err = { 0 };
  size_t m = 0;

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
          || !filters_pass (filters, names, rec))
        continue;
      entries[m] = list_entry (rec);
      if (entries[m])
        m++;
    }
  return m;
}

void
docker_get_containers (struct dreq *d)
{
  static const char *const known[]
      = { "status", "name", "label", "id", "ancestor", "exited", NULL };
  struct mr_container_info *list = NULL;
  cleanup_json json_t *filters = NULL;
  __attribute__ ((cleanup (docker_regex_free))) struct docker_regex names = { 0 };
  struct mr_error err = { 0 };
  bool all = docker_query_flag (d, "all");
  const char *limit_s = docker_query (d, "limit");
  long limit = -1;
  json_t **entries;
  json_t *out;
  size_t n = 0, m = 0;

  if (limit_s && *limit_s)
    {
      char *end;
      limit = strtol (limit_s, &end, 10);
      if (*end || end == limit_s)
        return docker_fail (d, 400, "invalid limit '%s': expected a number", limit_s);
    }
  filters = docker_parse_filters (d, known);
  if (filters == NULL || docker_regex_compile (d, filters, "name", &names) < 0)
    return;
  /* docker ps -n N and a status filter show every state */
  if (limit > 0 || json_object_get (filters, "status") || json_object_get (filters, "exited"))
    all = true;
  if (mr_api_list (d->api, &list, &n, &err) < 0)
    return docker_fail_library (d, NULL, &err);
  entries = calloc (n + 1, sizeof *entries);
  if (entries == NULL)
    {
      mr_container_info_free (list, n);
      return docker_fail (d, 500, "out of memory");
    }
  m = list_entries (d, list, n, filters, &names, all, entries);
  mr_container_info_free (list, n);
  if (names.error != 0)
    {
      PCRE2_UCHAR msg[160];

      for (size_t i = 0; i < m; i++)
        json_decref (entries[i]);
      free (entries);
      pcre2_get_error_message (names.error, msg, sizeof msg);
      return docker_fail (d, 400, "invalid filter 'name': the pattern is too costly to match: %s",
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
  docker_reply (d, 200, out);
}

/* The record's NetworkSettings, with what docker clients expect there.  */
static json_t *
network_settings (const json_t *rec)
{
  json_t *ns = json_object_get (rec, "NetworkSettings");
  json_t *out = json_is_object (ns) ? json_deep_copy (ns) : json_object ();

  if (out && !json_is_object (json_object_get (out, "Ports")))
    json_object_set_new (out, "Ports", json_object ());
  if (out && !json_is_object (json_object_get (out, "Networks")))
    json_object_set_new (out, "Networks", json_object ());
  return out;
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
  const char *status = docker_jstr (state, "Status");
  const char *dir = docker_jstr (rec, "Bundle");
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
      json_object_set_new (dconfig, "Image", json_string (docker_jstr (rec, "Image")));
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
      json_object_set_new (dhost, "NetworkMode", json_string (network_mode (host)));
      if (!json_is_object (json_object_get (dhost, "PortBindings")))
        json_object_set_new (dhost, "PortBindings", json_object ());
      if (!json_is_boolean (json_object_get (dhost, "Privileged")))
        json_object_set_new (dhost, "Privileged", json_false ());
      if (!json_is_array (json_object_get (dhost, "SecurityOpt")))
        json_object_set_new (dhost, "SecurityOpt", json_null ());
      json_object_set_new (dhost, "LogConfig",
                           json_pack ("{s:s, s:{}}", "Type", "json-file", "Config"));
    }
  out = json_pack (
      "{s:s, s:s+, s:s, s:s, s:o, s:o, s:o, s:O?, s:s, s:s, s:s, s:s, s:s, s:s, "
      "s:s, s:s, s:o, s:o, s:o, s:o, s:{s:s, s:{s:s}}, s:n}",
      "Id", docker_jstr (rec, "Id"), "Name", "/", docker_jstr (rec, "Name"), "Created",
      docker_jstr (rec, "Created"), "Path",
      json_string_value (json_array_get (cmd, 0)) ? json_string_value (json_array_get (cmd, 0))
                                                  : "",
      "Args", args, "State", dstate, "Image", image_id (rec), "RestartCount",
      json_object_get (rec, "RestartCount"), "LogPath", docker_jstr (rec, "LogPath"), "Driver",
      docker_jstr (rec, "RootfsMode"), "Platform", "linux", "MountLabel", "", "ProcessLabel", "",
      "AppArmorProfile", "", "ResolvConfPath", "", "HostnamePath", "", "Config", dconfig,
      "HostConfig", dhost, "Mounts", mounts_of (host), "NetworkSettings", network_settings (rec),
      "GraphDriver", "Name", docker_jstr (rec, "RootfsMode"), "Data", "MergedDir",
      docker_jstr (rec, "Rootfs"), "ExecIDs");
  if (out && etc)
    {
      json_object_set_new (out, "ResolvConfPath", json_sprintf ("%s/etc/resolv.conf", etc));
      json_object_set_new (out, "HostnamePath", json_sprintf ("%s/etc/hostname", etc));
      json_object_set_new (out, "HostsPath", json_sprintf ("%s/etc/hosts", etc));
    }
  return out;
}

void
docker_get_container (struct dreq *d, const char *name)
{
  cleanup_json json_t *rec = docker_load_record (d, name);

  if (rec)
    docker_reply (d, 200, inspect_shape (rec));
}

/* --- lifecycle -------------------------------------------------------------- */

/* Whether the container runs, its status in status; false with status ""
 * after an error response.  */
static bool
is_running (struct dreq *d, const char *name, char *status, size_t len)
{
  cleanup_json json_t *rec = docker_load_record (d, name);

  *status = '\0';
  if (rec == NULL)
    return false;
  snprintf (status, len, "%s", docker_jstr (json_object_get (rec, "State"), "Status"));
  return json_is_true (json_object_get (json_object_get (rec, "State"), "Running"));
}

/* ?t=N seconds; -1 when absent; false after a 400.  */
static bool
query_seconds (struct dreq *d, int *out)
{
  const char *t = docker_query (d, "t");
  char *end;
  long n;

  *out = -1;
  if (t == NULL || *t == '\0')
    return true;
  errno = 0;
  n = strtol (t, &end, 10);
  if (*end || errno || n < -1 || n > INT_MAX / 1000)
    return docker_fail (d, 400, "invalid t '%s': expected seconds", t), false;
  *out = (int)n;
  return true;
}

/* The library's call for act, under the lock of changes.  */
static int
run_action (struct mr_api *api, enum action act, const char *name, int timeout,
            const struct mr_kill_opts *ko, const struct mr_delete_opts *dopts, struct mr_error *err)
{
  int ret;

  pthread_mutex_lock (&api->lock);
  switch (act)
    {
    case ACT_START:
      ret = mr_container_start (api->ctx, name, err);
      break;
    case ACT_STOP:
      ret = mr_container_stop (api->ctx, name, timeout, err);
      break;
    case ACT_RESTART:
      ret = mr_container_restart (api->ctx, name, timeout, err);
      break;
    case ACT_KILL:
      ret = mr_container_kill (api->ctx, name, ko, err);
      break;
    case ACT_PAUSE:
      ret = mr_container_pause (api->ctx, name, err);
      break;
    case ACT_UNPAUSE:
      ret = mr_container_resume (api->ctx, name, err);
      break;
    default:
      ret = mr_container_delete (api->ctx, name, dopts, err);
      break;
    }
  pthread_mutex_unlock (&api->lock);
  return ret;
}

void
docker_change (struct dreq *d, enum action act, const char *name)
{
  struct mr_kill_opts ko = { .size = sizeof ko, .signal = SIGKILL };
  struct mr_delete_opts dopts = { .size = sizeof dopts };
  struct mr_error err = { 0 };
  char status[32];
  const char *sig = docker_query (d, "signal");
  int timeout = -1;
  int ret;

  if ((act == ACT_STOP || act == ACT_RESTART) && !query_seconds (d, &timeout))
    return;
  if ((act == ACT_STOP || act == ACT_RESTART) && sig && *sig)
    return docker_fail (d, 400,
                        "a signal for stop is not supported: set StopSignal when creating the "
                        "container");
  if (act == ACT_KILL && sig && *sig && mr_signal_parse (sig, &ko.signal) < 0)
    return docker_fail (d, 400, "Invalid signal: %s", sig);
  if (act == ACT_DELETE)
    {
      dopts.force = docker_query_flag (d, "force");
      if (docker_query_flag (d, "link"))
        return docker_fail (d, 400, "links are not supported by minirun serve");
    }
  if (act == ACT_START || act == ACT_STOP)
    {
      bool running = is_running (d, name, status, sizeof status);
      if (*status == '\0')
        return;
      if (act == ACT_START && strcmp (status, "paused") == 0)
        return docker_fail (d, 409, "cannot start a paused container, try unpause instead");
      if (act == ACT_START && running)
        return docker_reply_empty (d, 304);
      if (act == ACT_STOP && !running)
        return docker_reply_empty (d, 304);
    }

  ret = run_action (d->api, act, name, timeout, &ko, &dopts, &err);
  if (ret < 0)
    {
      if (act == ACT_DELETE && !dopts.force && docker_container_exists (d->api, name))
        return docker_fail (d, 409,
                            "cannot remove container \"/%s\": container is running: stop the "
                            "container before removing or force remove (%s)",
                            name, err.msg);
      return docker_fail_library (d, name, &err);
    }
  docker_reply_empty (d, 204);
}

/* wait */

enum
{
  WAIT_NOT_RUNNING,
  WAIT_NEXT_EXIT,
  WAIT_REMOVED
};

bool
docker_container_running (struct mr_api *api, const char *name)
{
  cleanup_free char *text = NULL;
  cleanup_json json_t *rec = NULL;
  struct mr_error err = { 0 };

  if (mr_container_inspect (api->ctx, name, &text, &err) < 0)
    return false;
  rec = json_loads (text, 0, NULL);
  return json_is_true (json_object_get (json_object_get (rec, "State"), "Running"));
}

void
docker_pause_100ms (void)
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
    while (!ps->stop && docker_container_exists (ps->api, ps->name)
           && !docker_container_running (ps->api, ps->name))
      docker_pause_100ms ();
  ret = mr_container_wait (ps->api->ctx, ps->name, &code, &ps->stop, &err);
  if (ret == 0 && ps->condition == WAIT_REMOVED)
    while (!ps->stop && docker_container_exists (ps->api, ps->name))
      docker_pause_100ms ();
  if (ps->stop)
    return;
  if (ret < 0 && !(ps->condition == WAIT_REMOVED && !docker_container_exists (ps->api, ps->name)))
    doc = json_pack ("{s:i, s:{s:s}}", "StatusCode", -1, "Error", "Message", err.msg);
  else
    doc = json_pack ("{s:i, s:n}", "StatusCode", ret < 0 ? 0 : code, "Error");
  text = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
  json_decref (doc);
  if (text)
    {
      docker_send_all (ps->fds[1], text, strlen (text));
      docker_send_all (ps->fds[1], "\n", 1);
    }
}

void
docker_post_wait (struct dreq *d, const char *name)
{
  const char *cond = docker_query (d, "condition");
  struct pipe_stream *ps;
  int c = WAIT_NOT_RUNNING;

  if (cond && *cond)
    {
      if (strcmp (cond, "next-exit") == 0)
        c = WAIT_NEXT_EXIT;
      else if (strcmp (cond, "removed") == 0)
        c = WAIT_REMOVED;
      else if (strcmp (cond, "not-running") != 0)
        return docker_fail (
            d, 400, "invalid condition '%s': expected not-running, next-exit or removed", cond);
    }
  ps = docker_pipe_new (d, name, wait_work);
  if (ps == NULL)
    return docker_fail (d, 500, "out of memory");
  ps->condition = c;
  docker_pipe_start (d, ps, "application/json");
}
