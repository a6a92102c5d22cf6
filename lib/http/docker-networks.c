/* Docker's networks: list (with its filters), inspect, create, remove and
 * prune, over the mr_network_* calls of `minirun network`.  A network is
 * named by its name, its id or a unique prefix of its id, as Docker's are.
 * What minirun cannot honour in a create body (another driver, IPv6, IP
 * ranges, options, labels) is refused with 400 rather than ignored.  */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/docker-internal.h"
#include "util/cleanup.h"
#include "util/json.h"

/* The library's errors in Docker's statuses: an unknown network 404, a
   name taken 409, and what Docker forbids (an overlapping pool, a network
   with endpoints, a predefined one) 403.  */
static unsigned
network_status (const struct mr_error *err)
{
  switch (err->errnum)
    {
    case ENOENT:
      return 404;
    case EEXIST:
      return 409;
    case EADDRINUSE:
    case EBUSY:
    case EPERM:
      return 403;
    case 0:
    case EINVAL:
      return 400;
    default:
      return 500;
    }
}

static void
fail_network (struct dreq *d, const struct mr_error *err)
{
  docker_fail (d, network_status (err), "%s", err->msg);
}

/* The library's document with what Docker's clients also read there.  */
static void
docker_shape (json_t *doc)
{
  json_t *containers = json_object_get (doc, "Containers");
  const char *key;
  json_t *c;

  json_object_set_new (doc, "ConfigFrom", json_pack ("{s:s}", "Network", ""));
  json_object_set_new (doc, "ConfigOnly", json_false ());
  json_object_set_new (doc, "Peers", json_array ());
  json_object_foreach (containers, key, c)
  {
    json_object_set_new (c, "EndpointID", json_string (key));
    json_object_set_new (c, "MacAddress", json_string (""));
  }
}

/* Every network, in Docker's shape; NULL after an error answer.  */
static json_t *
load_all (struct dreq *d)
{
  cleanup_free char *text = NULL;
  struct mr_error err = { 0 };
  json_t *all, *doc;
  size_t i;

  if (mr_network_list_json (d->api->ctx, &text, &err) < 0)
    {
      docker_fail (d, 500, "%s", err.msg);
      return NULL;
    }
  all = json_loads (text, 0, NULL);
  if (!json_is_array (all))
    {
      json_decref (all);
      docker_fail (d, 500, "list networks: the library returned invalid JSON");
      return NULL;
    }
  json_array_foreach (all, i, doc) docker_shape (doc);
  return all;
}

/* The network that id names: its name or id exactly, else the one whose id
   it begins (a new reference); NULL after a 404.  */
static json_t *
lookup (struct dreq *d, const char *id)
{
  cleanup_json json_t *all = load_all (d);
  json_t *doc, *found = NULL;
  size_t i, len = strlen (id), prefixed = 0;

  if (all == NULL)
    return NULL;
  json_array_foreach (all, i, doc)
  {
    if (strcmp (docker_jstr (doc, "Name"), id) == 0 || strcmp (docker_jstr (doc, "Id"), id) == 0)
      return json_incref (doc);
    if (len > 0 && strncmp (docker_jstr (doc, "Id"), id, len) == 0)
      {
        found = doc;
        prefixed++;
      }
  }
  if (prefixed == 1)
    return json_incref (found);
  if (prefixed > 1)
    docker_fail (d, 404, "network %s is ambiguous (%zu matches found on its id)", id, prefixed);
  else
    docker_fail (d, 404, "network %s not found", id);
  return NULL;
}

static bool
equal_passes (const json_t *filters, const char *key, const char *s)
{
  json_t *vals = json_object_get (filters, key), *v;
  size_t i;

  if (json_array_size (vals) == 0)
    return true;
  json_array_foreach (vals, i, v) if (strcmp (json_string_value (v), s) == 0) return true;
  return false;
}

void
docker_get_networks (struct dreq *d)
{
  static const char *const known[] = { "name", "id", "driver", "scope", "type", "label", NULL };
  __attribute__ ((cleanup (docker_regex_free))) struct docker_regex names = { 0 };
  __attribute__ ((cleanup (docker_regex_free))) struct docker_regex ids = { 0 };
  cleanup_json json_t *filters = NULL;
  cleanup_json json_t *all = NULL;
  json_t *out, *doc, *v;
  size_t i;

  filters = docker_parse_filters (d, known);
  if (filters == NULL || docker_regex_compile (d, filters, "name", &names) < 0
      || docker_regex_compile (d, filters, "id", &ids) < 0)
    return;
  json_array_foreach (json_object_get (filters, "type"), i, v)
  {
    if (strcmp (json_string_value (v), "builtin") != 0
        && strcmp (json_string_value (v), "custom") != 0)
      return docker_fail (d, 400, "invalid filter 'type': '%s' (expected builtin or custom)",
                          json_string_value (v));
  }
  all = load_all (d);
  if (all == NULL)
    return;
  out = json_array ();
  json_array_foreach (all, i, doc)
  {
    if ((names.n > 0 && !docker_regex_any (&names, docker_jstr (doc, "Name")))
        || (ids.n > 0 && !docker_regex_any (&ids, docker_jstr (doc, "Id")))
        || !equal_passes (filters, "driver", docker_jstr (doc, "Driver"))
        || !equal_passes (filters, "scope", docker_jstr (doc, "Scope"))
        /* type=builtin is the default network, type=custom the others */
        || !equal_passes (filters, "type",
                          strcmp (docker_jstr (doc, "Name"), "minirun") == 0 ? "builtin" : "custom")
        /* minirun's networks have no labels: a label filter keeps none */
        || json_array_size (json_object_get (filters, "label")) > 0)
      continue;
    json_array_append (out, doc);
  }
  if (names.error || ids.error)
    {
      json_decref (out);
      return docker_fail (d, 400, "invalid filter '%s': the pattern is too costly to match",
                          names.error ? "name" : "id");
    }
  docker_reply (d, 200, out);
}

void
docker_get_network (struct dreq *d, const char *id)
{
  json_t *doc = lookup (d, id);

  if (doc)
    docker_reply (d, 200, doc);
}

/* A field of the body: absent or null leaves the default; another type is
   a 400 that names it (with its path, prefix).  */
static bool
get_string (struct dreq *d, const json_t *o, const char *prefix, const char *key, const char **out)
{
  json_t *v = json_object_get (o, key);

  if (v == NULL || json_is_null (v))
    return true;
  if (!json_is_string (v) || strlen (json_string_value (v)) != json_string_length (v))
    return docker_fail (d, 400, "invalid %s%s: expected a string", prefix, key), false;
  *out = json_string_value (v);
  return true;
}

static bool
get_bool (struct dreq *d, const json_t *o, const char *prefix, const char *key, bool *out)
{
  json_t *v = json_object_get (o, key);

  if (v == NULL || json_is_null (v))
    return true;
  if (!json_is_boolean (v))
    return docker_fail (d, 400, "invalid %s%s: expected true or false", prefix, key), false;
  *out = json_is_true (v);
  return true;
}

/* An object field that minirun has nothing to put in: it must be empty.  */
static bool
get_empty (struct dreq *d, const json_t *o, const char *prefix, const char *key, const char *why)
{
  json_t *v = json_object_get (o, key);
  const char *first;

  if (v == NULL || json_is_null (v))
    return true;
  if (!json_is_object (v))
    return docker_fail (d, 400, "invalid %s%s: expected an object", prefix, key), false;
  if (json_object_size (v) == 0)
    return true;
  first = json_object_iter_key (json_object_iter (v));
  return docker_fail (d, 400, "invalid %s%s: '%s' is not supported: %s", prefix, key, first, why),
         false;
}

/* IPAM: the default driver and at most one IPv4 config of a subnet and a
   gateway.  */
static bool
get_ipam (struct dreq *d, const json_t *body, struct mr_network_create_opts *o)
{
  json_t *ipam = json_object_get (body, "IPAM"), *config, *c;
  const char *driver = NULL, *range = NULL;

  if (ipam == NULL || json_is_null (ipam))
    return true;
  if (!json_is_object (ipam))
    return docker_fail (d, 400, "invalid IPAM: expected an object"), false;
  if (!get_string (d, ipam, "IPAM.", "Driver", &driver)
      || !get_empty (d, ipam, "IPAM.", "Options", "the default driver takes no options"))
    return false;
  if (driver && *driver && strcmp (driver, "default") != 0)
    return docker_fail (d, 400,
                        "invalid IPAM.Driver '%s': minirun allocates addresses itself "
                        "(driver default)",
                        driver),
           false;
  config = json_object_get (ipam, "Config");
  if (config == NULL || json_is_null (config))
    return true;
  if (!json_is_array (config))
    return docker_fail (d, 400, "invalid IPAM.Config: expected an array"), false;
  if (json_array_size (config) > 1)
    return docker_fail (d, 400,
                        "invalid IPAM.Config: %zu pools given, minirun takes one IPv4 subnet",
                        json_array_size (config)),
           false;
  c = json_array_get (config, 0);
  if (c == NULL)
    return true;
  if (!json_is_object (c))
    return docker_fail (d, 400, "invalid IPAM.Config[0]: expected an object"), false;
  if (!get_string (d, c, "IPAM.Config[0].", "Subnet", &o->subnet)
      || !get_string (d, c, "IPAM.Config[0].", "Gateway", &o->gateway)
      || !get_string (d, c, "IPAM.Config[0].", "IPRange", &range)
      || !get_empty (d, c, "IPAM.Config[0].", "AuxiliaryAddresses",
                     "addresses are given to containers from the whole subnet"))
    return false;
  if (range && *range)
    return docker_fail (d, 400,
                        "invalid IPAM.Config[0].IPRange '%s': not supported: addresses are "
                        "given to containers from the whole subnet",
                        range),
           false;
  if (o->subnet && !*o->subnet)
    o->subnet = NULL;
  if (o->gateway && !*o->gateway)
    o->gateway = NULL;
  return true;
}

/* The fields that docker network create sends; true after they are all
   read into o.  */
static bool
create_body (struct dreq *d, const json_t *body, const char **name,
             struct mr_network_create_opts *o)
{
  const char *driver = NULL, *scope = NULL;
  bool check = true, attachable = false, ingress = false, config_only = false, ipv6 = false;
  bool ipv4 = true;
  json_t *from = json_object_get (body, "ConfigFrom");

  if (!get_string (d, body, "", "Name", name) || !get_string (d, body, "", "Driver", &driver)
      || !get_string (d, body, "", "Scope", &scope)
      || !get_bool (d, body, "", "CheckDuplicate", &check)
      || !get_bool (d, body, "", "Internal", &o->internal)
      || !get_bool (d, body, "", "Attachable", &attachable)
      || !get_bool (d, body, "", "Ingress", &ingress)
      || !get_bool (d, body, "", "ConfigOnly", &config_only)
      || !get_bool (d, body, "", "EnableIPv6", &ipv6)
      || !get_bool (d, body, "", "EnableIPv4", &ipv4)
      || !get_empty (d, body, "", "Options", "minirun sets up the bridge itself")
      || !get_empty (d, body, "", "Labels", "minirun keeps no labels on networks")
      || !get_ipam (d, body, o))
    return false;
  if (*name == NULL || **name == '\0')
    return docker_fail (d, 400, "invalid Name: the network's name is required"), false;
  if (driver && *driver && strcmp (driver, "bridge") != 0)
    return docker_fail (d, 400,
                        "invalid Driver '%s': minirun's networks are bridges (driver bridge)",
                        driver),
           false;
  if (scope && *scope && strcmp (scope, "local") != 0)
    return docker_fail (d, 400, "invalid Scope '%s': minirun's networks are local", scope), false;
  if (attachable || ingress || config_only
      || (from && !json_is_null (from) && *docker_jstr (from, "Network")))
    return docker_fail (d, 400, "invalid %s: swarm networks are not supported by minirun serve",
                        attachable    ? "Attachable"
                        : ingress     ? "Ingress"
                        : config_only ? "ConfigOnly"
                                      : "ConfigFrom"),
           false;
  if (ipv6)
    return docker_fail (d, 400, "invalid EnableIPv6: minirun's networks are IPv4 only"), false;
  if (!ipv4)
    return docker_fail (d, 400, "invalid EnableIPv4: minirun's networks need IPv4"), false;
  /* CheckDuplicate false asks for a second network of one name, which
     Docker no longer makes either: a name is always checked */
  return true;
}

void
docker_post_network_create (struct dreq *d)
{
  struct mr_network_create_opts o = { .size = sizeof o };
  cleanup_json json_t *body = NULL;
  cleanup_json json_t *doc = NULL;
  struct mr_error err = { 0 };
  const char *name = NULL;
  json_error_t jerr;
  int ret;

  if (d->req->body == NULL || d->req->body_len == 0)
    return docker_fail (d, 400, "a JSON object is expected as the request body");
  body = json_loadb (d->req->body, d->req->body_len, 0, &jerr);
  if (!json_is_object (body))
    return docker_fail (d, 400, "invalid JSON body: %s", body ? "expected an object" : jerr.text);
  if (!create_body (d, body, &name, &o))
    return;
  pthread_mutex_lock (&d->api->lock);
  ret = mr_network_create (d->api->ctx, name, &o, &err);
  pthread_mutex_unlock (&d->api->lock);
  if (ret < 0)
    return fail_network (d, &err);
  doc = lookup (d, name);
  if (doc == NULL)
    return;
  docker_reply (d, 201, json_pack ("{s:s, s:s}", "Id", docker_jstr (doc, "Id"), "Warning", ""));
}

void
docker_delete_network (struct dreq *d, const char *id)
{
  cleanup_json json_t *doc = lookup (d, id);
  struct mr_error err = { 0 };
  int ret;

  if (doc == NULL)
    return;
  pthread_mutex_lock (&d->api->lock);
  ret = mr_network_remove (d->api->ctx, docker_jstr (doc, "Name"), &err);
  pthread_mutex_unlock (&d->api->lock);
  if (ret < 0)
    return fail_network (d, &err);
  docker_reply_empty (d, 204);
}

void
docker_post_networks_prune (struct dreq *d)
{
  static const char *const known[] = { NULL };
  cleanup_json json_t *filters = docker_parse_filters (d, known);
  cleanup_strv char **removed = NULL;
  struct mr_error err = { 0 };
  json_t *list;
  int ret;

  if (filters == NULL)
    return;
  pthread_mutex_lock (&d->api->lock);
  ret = mr_network_prune (d->api->ctx, &removed, &err);
  pthread_mutex_unlock (&d->api->lock);
  if (ret < 0)
    return docker_fail (d, 500, "%s", err.msg);
  list = json_array ();
  for (char **p = removed; list && *p; p++)
    json_array_append_new (list, json_string (*p));
  docker_reply (d, 200, list ? json_pack ("{s:o}", "NetworksDeleted", list) : NULL);
}
