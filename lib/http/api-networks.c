/* The native API's networks: list, inspect, create, remove and prune, over
 * the mr_network_* calls that `minirun network` makes.  */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/api-internal.h"
#include "net/net.h"
#include "util/cleanup.h"
#include "util/json.h"

/* The library's errors about networks: ENOENT an unknown one, EEXIST a
   name taken, EADDRINUSE a subnet that overlaps, EBUSY a network in use
   and EPERM the default one; no errno (or EINVAL) is bad input.  */
static unsigned
network_status (const struct mr_error *err)
{
  switch (err->errnum)
    {
    case ENOENT:
      return 404;
    case EEXIST:
    case EADDRINUSE:
    case EBUSY:
    case EPERM:
      return 409;
    case 0:
    case EINVAL:
      return 400;
    default:
      return 500;
    }
}

int
api_network_body (const json_t *doc, const char **name, struct mr_network_create_opts *opts,
                  struct mr_api_response *res)
{
  static const char *const fields[] = { "name", "subnet", "gateway", "internal", NULL };
  struct mr_error err = { 0 };
  struct mr_subnet subnet;
  uint32_t gateway;

  *opts = (struct mr_network_create_opts){ .size = sizeof *opts };
  if (api_check_fields (doc, fields, res) < 0 || api_field_string (doc, "name", name, res) < 0
      || api_field_string (doc, "subnet", &opts->subnet, res) < 0
      || api_field_string (doc, "gateway", &opts->gateway, res) < 0
      || api_field_bool (doc, "internal", &opts->internal, res) < 0)
    return -1;
  if (*name == NULL || **name == '\0')
    return api_bad_type (res, "name", "the network's name, a string");
  /* what the field itself says is checked here, so that the 400 names
     it; the rest (overlaps, a gateway inside the subnet) is the
     library's */
  if (opts->subnet && mr_subnet_parse (opts->subnet, &subnet, &err) < 0)
    {
      api_fail (res, 400, "invalid field 'subnet': %s", err.msg);
      return -1;
    }
  if (opts->gateway && mr_ip_parse (opts->gateway, &gateway) < 0)
    return api_bad_type (res, "gateway", "an IPv4 address such as 10.99.0.1");
  if (opts->gateway && opts->subnet == NULL)
    {
      api_fail (res, 400, "invalid field 'gateway': a gateway needs its subnet: give 'subnet' too");
      return -1;
    }
  return 0;
}

HANDLER (get_networks)
{
  cleanup_free char *json = NULL;
  struct mr_error err = { 0 };

  (void)req;
  (void)name;
  if (mr_network_list_json (api->ctx, &json, &err) < 0)
    return api_fail (res, 500, "%s", err.msg);
  api_succeed_json (res, 200, json);
}

static void
respond_network (struct mr_api *api, struct mr_api_response *res, unsigned status, const char *name)
{
  cleanup_free char *json = NULL;
  struct mr_error err = { 0 };

  if (mr_network_inspect (api->ctx, name, &json, &err) < 0)
    return api_fail (res, network_status (&err), "%s", err.msg);
  api_succeed_json (res, status, json);
}

HANDLER (get_network)
{
  (void)req;
  respond_network (api, res, 200, name);
}

HANDLER (post_networks)
{
  cleanup_json json_t *doc = NULL;
  struct mr_network_create_opts opts;
  struct mr_error err = { 0 };
  const char *net;
  int ret;

  (void)name;
  if (api_body_object (req, res, false, &doc) < 0 || api_network_body (doc, &net, &opts, res) < 0)
    return;
  pthread_mutex_lock (&api->lock);
  ret = mr_network_create (api->ctx, net, &opts, &err);
  pthread_mutex_unlock (&api->lock);
  if (ret < 0)
    return api_fail (res, network_status (&err), "%s", err.msg);
  respond_network (api, res, 201, net);
}

/* The 409 of a network in use, with its containers as a list beside the
   message that names them.  */
static void
fail_in_use (struct mr_api *api, struct mr_api_response *res, const char *name,
             const struct mr_error *err)
{
  cleanup_strv char **users = NULL;
  cleanup_json json_t *doc = NULL;
  struct mr_error e = { 0 };
  json_t *list;
  char *body;

  api_fail (res, 409, "%s", err->msg);
  if (mr_network_users (api->ctx, name, &users, &e) < 0)
    return;
  doc = json_loads (res->body, 0, NULL);
  if (doc == NULL)
    return;
  list = json_array ();
  for (char **p = users; list && *p; p++)
    if (json_array_append_new (list, json_string (*p)) < 0)
      {
        json_decref (list);
        list = NULL;
      }
  if (list == NULL || json_object_set_new (json_object_get (doc, "error"), "containers", list) < 0)
    return;
  body = json_dumps (doc, JSON_COMPACT);
  if (body == NULL)
    return;
  free (res->body);
  res->body = body;
}

HANDLER (delete_network)
{
  struct mr_error err = { 0 };
  int ret;

  (void)req;
  pthread_mutex_lock (&api->lock);
  ret = mr_network_remove (api->ctx, name, &err);
  pthread_mutex_unlock (&api->lock);
  if (ret < 0 && err.errnum == EBUSY)
    return fail_in_use (api, res, name, &err);
  if (ret < 0)
    return api_fail (res, network_status (&err), "%s", err.msg);
  res->status = 204;
  res->static_body = "";
  res->static_len = 0;
}

HANDLER (post_networks_prune)
{
  cleanup_strv char **removed = NULL;
  struct mr_error err = { 0 };
  json_t *list;
  int ret;

  (void)req;
  (void)name;
  pthread_mutex_lock (&api->lock);
  ret = mr_network_prune (api->ctx, &removed, &err);
  pthread_mutex_unlock (&api->lock);
  if (ret < 0)
    return api_fail (res, 500, "%s", err.msg);
  list = json_array ();
  for (char **p = removed; list && *p; p++)
    if (json_array_append_new (list, json_string (*p)) < 0)
      {
        json_decref (list);
        list = NULL;
      }
  api_succeed (res, list ? json_pack ("{s:o}", "removed", list) : NULL);
}
