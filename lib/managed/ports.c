/* Published ports and addresses of managed containers, as the list,
 * inspect, `minirun port` and both APIs show them.  What a container
 * really holds is its live endpoint (lib/net/ipam.c's records), never the
 * record's request: an automatic port is only known once it is taken, and
 * a stopped container holds nothing.  */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "context.h"
#include "managed/managed.h"
#include "managed/ports.h"
#include "net/net.h"
#include "util/cleanup.h"
#include "util/error.h"

/* The network a record's container joins: NULL for none, host and
 * container:NAME.  */
static const char *
record_network (json_t *record)
{
  return mr_managed_network_of (record);
}

/* Whether a container in this status may hold an endpoint.  */
static bool
holds_endpoint (const char *status)
{
  return strcmp (status, "running") == 0 || strcmp (status, "paused") == 0
         || strcmp (status, "restarting") == 0;
}

static void
binding_of (const char *name, const struct mr_port_mapping *m, struct mr_port_binding *b)
{
  memset (b, 0, sizeof *b);
  snprintf (b->container, sizeof b->container, "%s", name);
  snprintf (b->proto, sizeof b->proto, "%s", m->proto);
  snprintf (b->host_ip, sizeof b->host_ip, "%s", *m->host_ip ? m->host_ip : "0.0.0.0");
  b->host_port = m->host_port;
  b->container_port = m->container_port;
}

static int
bindings_of (const struct mr_endpoint *ep, struct mr_port_binding **out, size_t *n,
             struct mr_error *err)
{
  *out = calloc (ep->n_ports + 1, sizeof **out);
  *n = 0;
  if (*out == NULL)
    return mr_error_errno (err, ENOMEM, "ports of '%s'", ep->id);
  for (size_t i = 0; i < ep->n_ports; i++)
    binding_of (ep->id, &ep->ports[i], &(*out)[(*n)++]);
  return 0;
}

/* The live endpoint of a bridged container that runs: 1 and *ep filled,
 * or 0 when it has none.  One file is read, and only for such a one.  */
static int
live_endpoint (struct mr_context *ctx, const char *name, json_t *record, const char *status,
               struct mr_endpoint *ep)
{
  const char *network = record_network (record);

  if (network == NULL || !holds_endpoint (status))
    return 0;
  return mr_endpoint_load (ctx->data_dir, network, name, ep, NULL) == 0 ? 1 : 0;
}

void
mr_managed_ports_fill (struct mr_context *ctx, const char *name, json_t *record, const char *status,
                       struct mr_container_info *info)
{
  struct mr_endpoint ep;

  info->ports = NULL;
  info->n_ports = 0;
  if (live_endpoint (ctx, name, record, status, &ep) <= 0)
    return;
  if (bindings_of (&ep, &info->ports, &info->n_ports, NULL) < 0)
    info->n_ports = 0;
  mr_endpoint_clear (&ep);
}

int
mr_managed_net (struct mr_context *ctx, const char *name, json_t *record, const char *status,
                struct mr_container_net *out, struct mr_error *err)
{
  struct mr_endpoint ep;
  struct mr_network net;
  const char *network = record_network (record);
  int r;

  if (live_endpoint (ctx, name, record, status, &ep) <= 0)
    return 0;
  r = mr_network_load (ctx->data_dir, network, &net, err);
  if (r == 0)
    {
      out->network = strdup (network);
      out->bridge = strdup (net.bridge);
      if (out->network == NULL || out->bridge == NULL)
        r = mr_error_errno (err, ENOMEM, "network of '%s'", name);
    }
  if (r == 0)
    {
      mr_ip_format (ep.ip, out->ip, sizeof out->ip);
      mr_ip_format (net.gateway, out->gateway, sizeof out->gateway);
      out->prefix = net.subnet.prefix;
      r = bindings_of (&ep, &out->ports, &out->n_ports, err);
    }
  mr_endpoint_clear (&ep);
  if (r < 0)
    mr_container_net_clear (out);
  return r;
}

void
mr_container_net_clear (struct mr_container_net *net)
{
  size_t size = net->size;

  free (net->network);
  free (net->bridge);
  free (net->ports);
  memset (net, 0, sizeof *net);
  net->size = size;
}

/* {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "81/tcp": null}:
 * docker's NetworkSettings.Ports, an exposed port published nowhere null.  */
static json_t *
ports_object (const struct mr_container_net *net, json_t *record)
{
  json_t *exposed = json_object_get (json_object_get (record, "Config"), "ExposedPorts");
  json_t *o = json_object (), *v;
  const char *key;

  if (o == NULL)
    return NULL;
  for (size_t i = 0; i < net->n_ports; i++)
    {
      const struct mr_port_binding *b = &net->ports[i];
      char k[16], hp[8];
      json_t *list;

      snprintf (k, sizeof k, "%u/%s", b->container_port, b->proto);
      snprintf (hp, sizeof hp, "%u", b->host_port);
      list = json_object_get (o, k);
      if (list == NULL && json_object_set_new (o, k, list = json_array ()) < 0)
        goto nomem;
      if (json_array_append_new (list,
                                 json_pack ("{s:s, s:s}", "HostIp", b->host_ip, "HostPort", hp))
          < 0)
        goto nomem;
    }
  json_object_foreach (exposed, key, v)
  {
    if (json_object_get (o, key) == NULL && json_object_set_new (o, key, json_null ()) < 0)
      goto nomem;
  }
  return o;
nomem:
  json_decref (o);
  return NULL;
}

int
mr_managed_net_settings (struct mr_context *ctx, const char *name, json_t *record,
                         const char *status, json_t *doc, struct mr_error *err)
{
  struct mr_container_net net = { .size = sizeof net };
  json_t *settings, *networks, *ports;

  if (mr_managed_net (ctx, name, record, status, &net, err) < 0)
    return -1;
  ports = net.network ? ports_object (&net, record) : json_object ();
  networks = json_object ();
  settings = json_pack ("{s:s, s:s, s:o?, s:s, s:i, s:s, s:s, s:o?}", "Bridge",
                        net.bridge ? net.bridge : "", "SandboxID", "", "Ports", ports, "IPAddress",
                        net.ip, "IPPrefixLen", (int)net.prefix, "Gateway", net.gateway,
                        "MacAddress", "", "Networks", networks);
  if (settings && net.network)
    {
      json_t *one = json_pack ("{s:s, s:s, s:s, s:s, s:i, s:s, s:n}", "NetworkID", net.network,
                               "Name", net.network, "EndpointID", name, "IPAddress", net.ip,
                               "IPPrefixLen", (int)net.prefix, "Gateway", net.gateway, "Aliases");
      if (one == NULL || json_object_set_new (networks, net.network, one) < 0)
        {
          json_decref (settings);
          settings = NULL;
        }
    }
  mr_container_net_clear (&net);
  if (settings == NULL || json_object_set_new (doc, "NetworkSettings", settings) < 0)
    return mr_error_errno (err, ENOMEM, "inspect '%s'", name);
  return 0;
}

static int
by_host_port (const void *a, const void *b)
{
  const struct mr_port_binding *x = a, *y = b;

  if (x->host_port != y->host_port)
    return x->host_port < y->host_port ? -1 : 1;
  if (strcmp (x->proto, y->proto) != 0)
    return strcmp (x->proto, y->proto);
  return strcmp (x->host_ip, y->host_ip);
}

int
mr_ports_list (struct mr_context *ctx, struct mr_port_binding **list, size_t *n,
               struct mr_error *err)
{
  cleanup_strv char **names = NULL;
  struct mr_port_binding *out = NULL;
  size_t count = 0;

  *list = NULL;
  *n = 0;
  if (mr_network_names (ctx->data_dir, &names, err) < 0)
    return -1;
  for (char **p = names; *p; p++)
    {
      struct mr_endpoint *eps = NULL;
      size_t n_eps = 0, more = 0;
      struct mr_port_binding *grown;

      if (mr_endpoints_list (ctx->data_dir, *p, &eps, &n_eps, err) < 0)
        {
          free (out);
          return -1;
        }
      for (size_t i = 0; i < n_eps; i++)
        more += eps[i].n_ports;
      grown = realloc (out, (count + more + 1) * sizeof *out);
      if (grown)
        {
          out = grown;
          for (size_t i = 0; i < n_eps; i++)
            for (size_t j = 0; j < eps[i].n_ports; j++)
              binding_of (eps[i].id, &eps[i].ports[j], &out[count++]);
        }
      for (size_t i = 0; i < n_eps; i++)
        mr_endpoint_clear (&eps[i]);
      free (eps);
      if (grown == NULL)
        {
          free (out);
          return mr_error_errno (err, ENOMEM, "ports");
        }
    }
  if (count)
    qsort (out, count, sizeof *out, by_host_port);
  *list = out;
  *n = count;
  return 0;
}

int
mr_ports_auto_range (struct mr_context *ctx, struct mr_port_range *out, struct mr_error *err)
{
  bool set = false;

  if (ctx->port_range_set)
    {
      *out = ctx->port_range;
      return 0;
    }
  if (mr_managed_conf_port_range (out, &set, err) < 0)
    return -1;
  if (!set)
    *out = (struct mr_port_range){ MR_PORTS_AUTO_FIRST, MR_PORTS_AUTO_LAST };
  return 0;
}

int
mr_ports_free_ranges (const struct mr_port_range *range, const struct mr_port_binding *used,
                      size_t n_used, struct mr_port_range **out, size_t *n, struct mr_error *err)
{
  cleanup_free unsigned char *taken = NULL;
  struct mr_port_range *r;
  size_t count = 0;
  unsigned p;

  if (range->first == 0 || range->first > range->last)
    return mr_error_set (err, "invalid port range %u-%u", range->first, range->last);
  taken = calloc ((size_t)range->last - range->first + 1, 1);
  /* at most one range more than there are ports taken */
  r = calloc (n_used + 2, sizeof *r);
  if (taken == NULL || r == NULL)
    {
      free (r);
      return mr_error_errno (err, ENOMEM, "free ports");
    }
  for (size_t i = 0; i < n_used; i++)
    if (used[i].host_port >= range->first && used[i].host_port <= range->last)
      taken[used[i].host_port - range->first] = 1;
  for (p = range->first; p <= range->last; p++)
    {
      if (taken[p - range->first])
        continue;
      if (count > 0 && r[count - 1].last == p - 1)
        r[count - 1].last = (uint16_t)p;
      else
        r[count++] = (struct mr_port_range){ (uint16_t)p, (uint16_t)p };
    }
  *out = r;
  *n = count;
  return 0;
}

void
mr_port_binding_format (const struct mr_port_binding *b, bool with_private, char *buf, size_t len)
{
  if (with_private)
    snprintf (buf, len, "%u/%s -> %s:%u", b->container_port, b->proto, b->host_ip, b->host_port);
  else
    snprintf (buf, len, "%s:%u", b->host_ip, b->host_port);
}
