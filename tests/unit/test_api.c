/* The HTTP layer without a socket: the OpenAPI document against the
 * router's table, the error envelope, response headers, the request
 * metrics and the create bodies' readers.  */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/api-internal.h"
#include "http/server.h"
#include "unit.h"
#include "util/cleanup.h"

#define API_YAML TOP_SRCDIR "/docs/api.yaml"

/* "METHOD /path" pairs, as a growing array of strings.  */
struct pairs
{
  char **v;
  size_t n;
};

static void
pairs_add (struct pairs *p, const char *method, const char *path)
{
  char **grown = realloc (p->v, (p->n + 1) * sizeof *p->v);

  ck_assert_ptr_nonnull (grown);
  p->v = grown;
  ck_assert_int_ge (asprintf (&p->v[p->n], "%s %s", method, path), 0);
  p->n++;
}

static void
pairs_free (struct pairs *p)
{
  for (size_t i = 0; i < p->n; i++)
    free (p->v[i]);
  free (p->v);
  p->v = NULL;
  p->n = 0;
}

static bool
pairs_has (const struct pairs *p, const char *pair)
{
  for (size_t i = 0; i < p->n; i++)
    if (strcmp (p->v[i], pair) == 0)
      return true;
  return false;
}

static bool
is_http_method (const char *word, size_t len)
{
  static const char *const methods[]
      = { "get", "put", "post", "delete", "options", "head", "patch", "trace" };

  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
    if (strlen (methods[i]) == len && strncmp (word, methods[i], len) == 0)
      return true;
  return false;
}

/* The (method, path) pairs under the top-level "paths:" of an OpenAPI
 * document laid out regularly: a path is a line "  /a/{b}:" (quotes
 * allowed), a method a line "    get:".  The section ends at the next line
 * that starts in the first column.  */
static void
extract_paths (const char *text, struct pairs *out)
{
  char path[512] = "";
  bool in_paths = false;
  const char *line = text;

  while (line && *line)
    {
      const char *eol = strchr (line, '\n');
      size_t len = eol ? (size_t)(eol - line) : strlen (line);

      while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
      if (len > 0 && line[0] != ' ' && line[0] != '#')
        in_paths = len == 6 && strncmp (line, "paths:", 6) == 0;
      else if (in_paths && len > 3 && strncmp (line, "  ", 2) == 0 && line[len - 1] == ':')
        {
          const char *s = line + 2;
          size_t n = len - 3;

          if (*s == '"' || *s == '\'')
            {
              s++;
              n = n >= 2 ? n - 2 : 0;
            }
          if (*s == '/' && n < sizeof path)
            {
              memcpy (path, s, n);
              path[n] = '\0';
            }
          else if (strncmp (line, "    ", 4) == 0 && line[4] != ' '
                   && is_http_method (line + 4, len - 5) && *path)
            {
              char method[8];
              size_t m = len - 5;

              for (size_t i = 0; i < m; i++)
                method[i] = (char)toupper ((unsigned char)line[4 + i]);
              method[m] = '\0';
              pairs_add (out, method, path);
            }
        }
      line = eol ? eol + 1 : NULL;
    }
}

static char *
read_whole (const char *file, size_t *len)
{
  cleanup_fclose FILE *f = fopen (file, "re");
  char *data = NULL;
  size_t cap = 0, n = 0, got;

  ck_assert_msg (f != NULL, "cannot open %s", file);
  do
    {
      if (n + 4096 + 1 > cap)
        {
          cap = (cap ? cap * 2 : 16384);
          data = realloc (data, cap);
          ck_assert_ptr_nonnull (data);
        }
      got = fread (data + n, 1, cap - n - 1, f);
      n += got;
    }
  while (got > 0);
  ck_assert (!ferror (f));
  data[n] = '\0';
  *len = n;
  return data;
}

/* Fails naming every route of the router the document lacks and every
 * route the document has that the router lacks.  */
static void
check_against_routes (const char *what, const char *text)
{
  struct pairs doc = { 0 }, routes = { 0 };
  char *msg = NULL;
  size_t msg_len = 0;
  FILE *m = open_memstream (&msg, &msg_len);
  unsigned bad = 0;

  ck_assert_ptr_nonnull (m);
  extract_paths (text, &doc);
  for (const struct mr_api_route *r = mr_api_routes; r->method; r++)
    pairs_add (&routes, r->method, r->pattern);
  ck_assert_uint_gt (routes.n, 0);

  for (size_t i = 0; i < routes.n; i++)
    if (!pairs_has (&doc, routes.v[i]))
      bad++, fprintf (m, "\n  route '%s' is missing from %s", routes.v[i], what);
  for (size_t i = 0; i < doc.n; i++)
    if (!pairs_has (&routes, doc.v[i]))
      bad++, fprintf (m, "\n  '%s' of %s is not a route of mr_api_routes[]", doc.v[i], what);
  fclose (m);
  ck_assert_msg (bad == 0, "%u difference(s):%s", bad, msg);
  free (msg);
  pairs_free (&doc);
  pairs_free (&routes);
}

START_TEST (the_openapi_document_is_built_in_whole)
{
  ck_assert_uint_gt (mr_asset_openapi_yaml_len (), 0);
  ck_assert_uint_eq (strlen (mr_asset_openapi_yaml), mr_asset_openapi_yaml_len ());
  ck_assert (strncmp (mr_asset_openapi_yaml, "openapi:", 8) == 0);
}
END_TEST

START_TEST (the_built_in_document_is_the_file_of_the_tree)
{
  size_t len;
  cleanup_free char *file = read_whole (API_YAML, &len);

  ck_assert_msg (len == mr_asset_openapi_yaml_len (),
                 "%s has %zu bytes, the built-in copy %zu: rebuild the library", API_YAML, len,
                 mr_asset_openapi_yaml_len ());
  ck_assert_msg (memcmp (file, mr_asset_openapi_yaml, len) == 0,
                 "%s differs from the built-in copy: rebuild the library", API_YAML);
}
END_TEST

START_TEST (the_path_reader_finds_methods_under_paths_only)
{
  static const char yaml[] = "openapi: 3.0.3\n"
                             "info:\n"
                             "  title: x\n"
                             "  /not-a-path:\n"
                             "    get:\n"
                             "paths:\n"
                             "  /a:\n"
                             "    get:\n"
                             "      summary: get a\n"
                             "      responses:\n"
                             "    parameters:\n"
                             "    post:  \r\n"
                             "  \"/b/{name}/c\":\n"
                             "    delete:\n"
                             "components:\n"
                             "  /c:\n"
                             "    get:\n";
  struct pairs p = { 0 };

  extract_paths (yaml, &p);
  ck_assert_uint_eq (p.n, 3);
  ck_assert_str_eq (p.v[0], "GET /a");
  ck_assert_str_eq (p.v[1], "POST /a");
  ck_assert_str_eq (p.v[2], "DELETE /b/{name}/c");
  pairs_free (&p);
}
END_TEST

START_TEST (the_document_describes_every_route_and_no_other)
{
  size_t len;
  cleanup_free char *file = read_whole (API_YAML, &len);

  check_against_routes (API_YAML, file);
}
END_TEST

START_TEST (the_built_in_document_describes_every_route_and_no_other)
{
  check_against_routes ("the built-in openapi.yaml", mr_asset_openapi_yaml);
}
END_TEST

START_TEST (the_route_table_has_no_duplicates)
{
  for (const struct mr_api_route *a = mr_api_routes; a->method; a++)
    {
      ck_assert_msg (a->pattern[0] == '/', "route '%s %s' does not start with /", a->method,
                     a->pattern);
      for (const struct mr_api_route *b = a + 1; b->method; b++)
        ck_assert_msg (strcmp (a->method, b->method) != 0 || strcmp (a->pattern, b->pattern) != 0,
                       "route '%s %s' is listed twice", a->method, a->pattern);
    }
}
END_TEST

static json_t *
error_envelope (unsigned status, const char *message)
{
  cleanup_free char *body = mr_api_error_body (status, message);
  json_error_t jerr;
  json_t *doc, *error;

  ck_assert_ptr_nonnull (body);
  doc = json_loads (body, 0, &jerr);
  ck_assert_msg (doc != NULL, "not JSON (%s): %s", jerr.text, body);
  ck_assert_msg (json_is_false (json_object_get (doc, "success")), "success: %s", body);
  ck_assert_uint_eq (json_object_size (doc), 2);
  error = json_object_get (doc, "error");
  ck_assert_msg (json_is_object (error), "error: %s", body);
  ck_assert_uint_eq (json_object_size (error), 3);
  ck_assert_str_eq (json_string_value (json_object_get (error, "message")), message);
  ck_assert_msg (json_is_integer (json_object_get (error, "code")), "code: %s", body);
  ck_assert_int_eq (json_integer_value (json_object_get (error, "code")), status);
  ck_assert_msg (json_is_string (json_object_get (error, "type")), "type: %s", body);
  return doc;
}

static const char *
envelope_type (json_t *doc)
{
  return json_string_value (json_object_get (json_object_get (doc, "error"), "type"));
}

START_TEST (an_error_body_is_the_error_envelope)
{
  static const struct
  {
    unsigned status;
    const char *type;
  } cases[] = {
    { 400, "bad_request" },        { 401, "unauthorized" }, { 404, "not_found" },
    { 405, "method_not_allowed" }, { 409, "conflict" },     { 413, "payload_too_large" },
    { 500, "internal_error" },     { 503, "unavailable" },
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      json_t *doc = error_envelope (cases[i].status, "container 'web' is not running");

      ck_assert_msg (strcmp (envelope_type (doc), cases[i].type) == 0,
                     "status %u has type '%s', not '%s'", cases[i].status, envelope_type (doc),
                     cases[i].type);
      json_decref (doc);
    }
}
END_TEST

START_TEST (an_error_message_is_escaped_as_json)
{
  static const char msg[] = "invalid name 'a\"b\\c\n\t\x01': caf\xc3\xa9 </script>";
  json_t *doc = error_envelope (400, msg);

  json_decref (doc);
  doc = error_envelope (500, "");
  json_decref (doc);
}
END_TEST

START_TEST (response_headers_stop_at_the_limit)
{
  struct mr_api_response res = { 0 };
  char name[MR_API_MAX_HEADERS + 1][16];

  for (unsigned i = 0; i < MR_API_MAX_HEADERS; i++)
    {
      snprintf (name[i], sizeof name[i], "X-H%u", i);
      ck_assert (mr_api_response_header (&res, name[i], "value %u/%s", i, "x"));
      ck_assert_uint_eq (res.n_headers, i + 1);
    }
  ck_assert (!mr_api_response_header (&res, "X-Over", "%d", 1));
  ck_assert_uint_eq (res.n_headers, MR_API_MAX_HEADERS);
  for (unsigned i = 0; i < MR_API_MAX_HEADERS; i++)
    {
      char want[32];

      snprintf (want, sizeof want, "value %u/x", i);
      ck_assert_str_eq (res.header_names[i], name[i]);
      ck_assert_str_eq (res.header_values[i], want);
      free (res.header_values[i]);
    }
}
END_TEST

/* One sample line "NAME{LABELS} VALUE" or "NAME VALUE", split.  */
static bool
parse_sample (const char *line, char *name, size_t name_size, char *labels, size_t labels_size,
              double *value)
{
  const char *p = line, *sp;
  char *end;
  size_t n;

  while (*p == '_' || *p == ':' || isalnum ((unsigned char)*p))
    p++;
  n = (size_t)(p - line);
  if (n == 0 || n >= name_size || isdigit ((unsigned char)*line))
    return false;
  memcpy (name, line, n);
  name[n] = '\0';
  labels[0] = '\0';
  if (*p == '{')
    {
      const char *close = strstr (p, "} ");

      if (close == NULL || (size_t)(close - p - 1) >= labels_size)
        return false;
      memcpy (labels, p + 1, (size_t)(close - p - 1));
      labels[close - p - 1] = '\0';
      p = close + 1;
    }
  if (*p != ' ')
    return false;
  sp = p + 1;
  *value = strtod (sp, &end);
  return end != sp && *end == '\0';
}

START_TEST (request_metrics_render_as_prometheus_text)
{
  static struct mr_http_stats st; /* atomics start at zero */
  cleanup_free char *buf = strdup ("before\n");
  size_t len = strlen (buf);
  unsigned long total = 0, last_bucket = 0, inf = 0, count = 0, finite_buckets = 0;
  double last_le = 0, sum = -1;
  bool type_requests = false, type_histogram = false, saw_inf = false;
  unsigned long running = 99, queued = 99, refused = 99;
  char *line, *save = NULL;

  ck_assert_ptr_nonnull (buf);
  st.requests[0][1] = 5;
  st.requests[1][0] = 2;
  st.requests[2][MR_HTTP_CODES - 1] = 1;
  st.requests[MR_HTTP_METHODS - 1][3] = 4;
  st.buckets[0] = 3;
  st.buckets[5] = 2;
  st.buckets[MR_HTTP_BUCKETS - 1] = 1;
  st.count = 12; /* 6 in the buckets, 6 slower than the last */
  st.sum_us = 2500000;
  st.handlers_running = 3;
  st.handlers_queued = 1;
  st.handlers_refused = 7;

  ck_assert_int_eq (mr_http_stats_render (&st, &buf, &len), 0);
  ck_assert_uint_eq (strlen (buf), len);
  ck_assert (strncmp (buf, "before\n", 7) == 0);
  ck_assert (buf[len - 1] == '\n');

  for (line = strtok_r (buf + 7, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char name[128], labels[256];
      double v;

      if (line[0] == '#')
        {
          type_requests |= strcmp (line, "# TYPE minirun_http_requests_total counter") == 0;
          type_histogram
              |= strcmp (line, "# TYPE minirun_http_request_duration_seconds histogram") == 0;
          ck_assert_msg (strncmp (line, "# HELP ", 7) == 0 || strncmp (line, "# TYPE ", 7) == 0,
                         "comment line: '%s'", line);
          continue;
        }
      ck_assert_msg (parse_sample (line, name, sizeof name, labels, sizeof labels, &v),
                     "not 'name{labels} value': '%s'", line);
      ck_assert_msg (!saw_inf || strcmp (name, "minirun_http_request_duration_seconds_bucket") != 0,
                     "a bucket after +Inf: '%s'", line);
      if (strcmp (name, "minirun_http_requests_total") == 0)
        {
          ck_assert_msg (strncmp (labels, "method=\"", 8) == 0 && strstr (labels, ",code=\""),
                         "labels: '%s'", line);
          ck_assert_msg (v > 0, "a zero counter is listed: '%s'", line);
          total += (unsigned long)v;
        }
      else if (strcmp (name, "minirun_http_request_duration_seconds_bucket") == 0)
        {
          ck_assert_msg (strncmp (labels, "le=\"", 4) == 0, "labels: '%s'", line);
          ck_assert_msg ((unsigned long)v >= last_bucket, "not cumulative: '%s'", line);
          last_bucket = (unsigned long)v;
          if (strcmp (labels, "le=\"+Inf\"") == 0)
            {
              saw_inf = true;
              inf = (unsigned long)v;
            }
          else
            {
              double le = strtod (labels + 4, NULL);

              ck_assert_msg (le > last_le, "bounds not increasing: '%s'", line);
              last_le = le;
              finite_buckets = (unsigned long)v;
            }
        }
      else if (strcmp (name, "minirun_http_request_duration_seconds_sum") == 0)
        sum = v;
      else if (strcmp (name, "minirun_http_request_duration_seconds_count") == 0)
        count = (unsigned long)v;
      else if (strcmp (name, "minirun_http_handlers_running") == 0)
        running = (unsigned long)v;
      else if (strcmp (name, "minirun_http_handlers_queued") == 0)
        queued = (unsigned long)v;
      else if (strcmp (name, "minirun_http_handlers_refused_total") == 0)
        refused = (unsigned long)v;
      else
        ck_abort_msg ("unexpected metric: '%s'", line);
    }
  ck_assert (type_requests);
  ck_assert (type_histogram);
  ck_assert_uint_eq (total, 12);
  ck_assert_msg (saw_inf, "no +Inf bucket");
  ck_assert_uint_eq (finite_buckets, 6);
  ck_assert_uint_eq (inf, 12);
  ck_assert_uint_eq (count, 12);
  ck_assert_double_eq_tol (sum, 2.5, 1e-9);
  ck_assert_uint_eq (running, 3);
  ck_assert_uint_eq (queued, 1);
  ck_assert_uint_eq (refused, 7);
}
END_TEST

START_TEST (empty_request_metrics_still_have_the_histogram)
{
  static struct mr_http_stats st;
  char *buf = NULL;
  size_t len = 0;

  ck_assert_int_eq (mr_http_stats_render (&st, &buf, &len), 0);
  ck_assert_ptr_nonnull (buf);
  ck_assert_ptr_null (strstr (buf, "minirun_http_requests_total{"));
  ck_assert_ptr_nonnull (
      strstr (buf, "minirun_http_request_duration_seconds_bucket{le=\"+Inf\"} 0\n"));
  ck_assert_ptr_nonnull (strstr (buf, "minirun_http_request_duration_seconds_count 0\n"));
  free (buf);
}
END_TEST

/* The "ports" of a create body as -p specs, or the message it gets.  */
static int
ports_of (const char *text, struct strv *out, char *msg, size_t len)
{
  json_error_t jerr;
  json_t *v = json_loads (text, JSON_DECODE_ANY, &jerr);
  int r;

  ck_assert_msg (v != NULL, "bad test JSON '%s': %s", text, jerr.text);
  memset (out, 0, sizeof *out);
  *msg = '\0';
  r = api_ports_parse (v, out, msg, len);
  json_decref (v);
  return r;
}

START_TEST (create_ports_take_the_array_and_the_object_forms)
{
  struct strv out;
  char msg[1024];

  ck_assert_int_eq (
      ports_of ("[\"8080:80\", \"127.0.0.1:8081:80/tcp\", \"80\", \"127.0.0.1::53/udp\"]", &out,
                msg, sizeof msg),
      0);
  ck_assert_uint_eq (out.n, 4);
  ck_assert_str_eq (out.v[0], "8080:80");
  ck_assert_str_eq (out.v[1], "127.0.0.1:8081:80/tcp");
  ck_assert_str_eq (out.v[2], "80");
  ck_assert_str_eq (out.v[3], "127.0.0.1::53/udp");
  ck_assert_ptr_null (out.v[4]);
  api_strv_clear (&out);

  /* host side to container side, as clients of other APIs send it */
  ck_assert_int_eq (ports_of ("{\"8080\": \"80\", \"127.0.0.1:8081\": \"53/udp\", \"8082\": 81}",
                              &out, msg, sizeof msg),
                    0);
  ck_assert_uint_eq (out.n, 3);
  ck_assert_str_eq (out.v[0], "8080:80");
  ck_assert_str_eq (out.v[1], "127.0.0.1:8081:53/udp");
  ck_assert_str_eq (out.v[2], "8082:81");
  api_strv_clear (&out);

  ck_assert_int_eq (ports_of ("[]", &out, msg, sizeof msg), 0);
  ck_assert_uint_eq (out.n, 0);
  ck_assert_int_eq (ports_of ("{}", &out, msg, sizeof msg), 0);
  ck_assert_uint_eq (out.n, 0);
  ck_assert_int_eq (ports_of ("null", &out, msg, sizeof msg), 0);
  ck_assert_uint_eq (out.n, 0);
}
END_TEST

START_TEST (bad_create_ports_name_the_field_and_the_entry)
{
  static const struct
  {
    const char *json, *named;
  } bad[] = {
    { "\"8080:80\"", "expected an array" },
    { "80", "expected an array" },
    { "[80]", "entry 0 is not a string" },
    { "[\"8080:80\", \"70000:80\"]", "'70000:80'" },
    { "[\"8080:80/sctp\"]", "'8080:80/sctp'" },
    { "[\"a:b:c:d\"]", "'a:b:c:d'" },
    { "[\"\"]", "entry ''" },
    { "{\"8080\": true}", "'8080'" },
    { "{\"8080\": 0}", "'8080'" },
    { "{\"8080\": 65536}", "'8080'" },
    { "{\"8080\": \"\"}", "'8080'" },
    { "{\"\": \"80\"}", "''" },
    { "{\"x\": \"80\"}", "'x': '80'" },
    { "{\"8080\": \"80/sctp\"}", "'8080': '80/sctp'" },
    { "{\"300.0.0.1:8080\": \"80\"}", "'300.0.0.1:8080': '80'" },
  };

  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      struct strv out;
      char msg[1024];

      ck_assert_msg (ports_of (bad[i].json, &out, msg, sizeof msg) < 0, "'%s' was taken",
                     bad[i].json);
      ck_assert_msg (strncmp (msg, "invalid field 'ports'", 21) == 0, "'%s': '%s'", bad[i].json,
                     msg);
      ck_assert_msg (strstr (msg, bad[i].named) != NULL, "'%s': '%s' does not name %s", bad[i].json,
                     msg, bad[i].named);
      api_strv_clear (&out);
    }
}
END_TEST

/* A network create body as mr_network_create's options; on a 400, the
   message it gets (caller frees *msg).  */
static int
network_body_of (const char *text, const char **name, struct mr_network_create_opts *o,
                 json_t **doc, char **msg)
{
  struct mr_api_response res = { 0 };
  json_error_t jerr;
  int r;

  *doc = json_loads (text, 0, &jerr);
  ck_assert_msg (*doc != NULL, "bad test JSON '%s': %s", text, jerr.text);
  *msg = NULL;
  r = api_network_body (*doc, name, o, &res);
  if (r < 0)
    {
      json_t *e = json_loads (res.body, 0, NULL);

      ck_assert_uint_eq (res.status, 400);
      ck_assert_ptr_nonnull (e);
      *msg = strdup (json_string_value (json_object_get (json_object_get (e, "error"), "message")));
      json_decref (e);
    }
  else
    ck_assert_ptr_null (res.body);
  free (res.body);
  return r;
}

START_TEST (a_network_body_gives_the_create_options)
{
  struct mr_network_create_opts o;
  const char *name;
  json_t *doc;
  char *msg;

  ck_assert_int_eq (network_body_of ("{\"name\": \"back\", \"subnet\": \"10.99.0.0/24\", "
                                     "\"gateway\": \"10.99.0.254\", \"internal\": true}",
                                     &name, &o, &doc, &msg),
                    0);
  ck_assert_str_eq (name, "back");
  ck_assert_uint_eq (o.size, sizeof o);
  ck_assert_str_eq (o.subnet, "10.99.0.0/24");
  ck_assert_str_eq (o.gateway, "10.99.0.254");
  ck_assert (o.internal);
  json_decref (doc);

  /* null is an absent field: every default */
  ck_assert_int_eq (network_body_of ("{\"name\": \"front\", \"subnet\": null, \"internal\": null}",
                                     &name, &o, &doc, &msg),
                    0);
  ck_assert_str_eq (name, "front");
  ck_assert_ptr_null (o.subnet);
  ck_assert_ptr_null (o.gateway);
  ck_assert (!o.internal);
  json_decref (doc);
}
END_TEST

START_TEST (bad_network_bodies_name_the_field)
{
  static const struct
  {
    const char *json, *field, *also;
  } bad[] = {
    { "{}", "'name'", "name" },
    { "{\"name\": \"\"}", "'name'", "name" },
    { "{\"name\": 7}", "'name'", "a string" },
    { "{\"name\": \"n\", \"subnet\": 24}", "'subnet'", "a string" },
    { "{\"name\": \"n\", \"subnet\": \"10.0.0.1/24\"}", "'subnet'", "host bits" },
    { "{\"name\": \"n\", \"subnet\": \"10.0.0.0/33\"}", "'subnet'", "prefix" },
    { "{\"name\": \"n\", \"subnet\": \"fd00::/64\"}", "'subnet'", "fd00::/64" },
    { "{\"name\": \"n\", \"subnet\": \"10.1.0.0/24\", \"gateway\": \"10.1.0.300\"}", "'gateway'",
      "IPv4" },
    { "{\"name\": \"n\", \"gateway\": \"10.1.0.1\"}", "'gateway'", "'subnet'" },
    { "{\"name\": \"n\", \"internal\": \"yes\"}", "'internal'", "true or false" },
    { "{\"name\": \"n\", \"driver\": \"bridge\"}", "'driver'", "unknown" },
  };

  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      struct mr_network_create_opts o;
      const char *name;
      json_t *doc;
      char *msg;

      ck_assert_msg (network_body_of (bad[i].json, &name, &o, &doc, &msg) < 0, "'%s' was taken",
                     bad[i].json);
      ck_assert_msg (strstr (msg, bad[i].field) != NULL, "'%s': '%s' does not name %s", bad[i].json,
                     msg, bad[i].field);
      ck_assert_msg (strstr (msg, bad[i].also) != NULL, "'%s': '%s' does not say %s", bad[i].json,
                     msg, bad[i].also);
      free (msg);
      json_decref (doc);
    }
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("api");
  TCase *tc = tcase_create ("api");

  tcase_add_test (tc, the_openapi_document_is_built_in_whole);
  tcase_add_test (tc, the_built_in_document_is_the_file_of_the_tree);
  tcase_add_test (tc, the_path_reader_finds_methods_under_paths_only);
  tcase_add_test (tc, the_document_describes_every_route_and_no_other);
  tcase_add_test (tc, the_built_in_document_describes_every_route_and_no_other);
  tcase_add_test (tc, the_route_table_has_no_duplicates);
  tcase_add_test (tc, an_error_body_is_the_error_envelope);
  tcase_add_test (tc, an_error_message_is_escaped_as_json);
  tcase_add_test (tc, response_headers_stop_at_the_limit);
  tcase_add_test (tc, request_metrics_render_as_prometheus_text);
  tcase_add_test (tc, empty_request_metrics_still_have_the_histogram);
  tcase_add_test (tc, create_ports_take_the_array_and_the_object_forms);
  tcase_add_test (tc, bad_create_ports_name_the_field_and_the_entry);
  tcase_add_test (tc, a_network_body_gives_the_create_options);
  tcase_add_test (tc, bad_network_bodies_name_the_field);
  suite_add_tcase (s, tc);
  return unit_run (s);
}
