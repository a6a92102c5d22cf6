/* Networks as docker network and podman network show them: create, list,
 * inspect, remove and prune.  The records and links are lib/net's; what
 * lives here is the one question lib/net cannot answer, whether a
 * container uses a network, which the containers' records tell.  */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "context.h"
#include "managed/managed.h"
#include "net/net.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"

/* An error whose errnum tells callers (the HTTP API) what kind it is,
 * without strerror's words after a message that says it all.  */
static int fail_as (struct mr_error *err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
fail_as (struct mr_error *err, int errnum, const char *fmt, ...)
{
  va_list ap;

  if (err == NULL)
    return -1;
  va_start (ap, fmt);
  vsnprintf (err->msg, sizeof err->msg, fmt, ap);
  va_end (ap);
  err->errnum = errnum;
  return -1;
}

/* --network spellings that name no network of their own */
static const char *const reserved_names[] = { "none", "host", "bridge", "default" };

static int
name_check (const char *name, struct mr_error *err)
{
  if (name == NULL || *name == '\0')
    return mr_error_set (err, "missing network name");
  if (strncmp (name, "container:", 10) == 0)
    return mr_error_set (err,
                         "invalid network name '%s': 'container:' joins another container's "
                         "network with --network; choose another name",
                         name);
  for (size_t i = 0; i < sizeof reserved_names / sizeof *reserved_names; i++)
    if (strcmp (name, reserved_names[i]) == 0)
      return mr_error_set (err,
                           "invalid network name '%s': it is a mode of --network, not a network; "
                           "choose another name",
                           name);
  if (mr_id_validate (name, NULL) < 0)
    return mr_error_set (err,
                         "invalid network name '%.140s': expected a letter or digit, then letters, "
                         "digits, '_', '.' or '-', 128 at most",
                         name);
  return 0;
}

static void
utc_now (char *buf, size_t len)
{
  time_t now = time (NULL);
  struct tm tm;

  strftime (buf, len, "%Y-%m-%dT%H:%M:%SZ", gmtime_r (&now, &tm));
}

/* A Docker-like id: stable for as long as the record lives, different for a
 * network made again under the same name.  */
static void
network_id (const char *data_dir, const struct mr_network *net, char *buf, size_t len)
{
  size_t off = 0;

  for (unsigned round = 0; round < 4 && off < len; round++)
    {
      uint64_t h = 14695981039346656037ull ^ round; /* FNV-1a, 64 bits */
      const char *parts[] = { data_dir, "/", net->name, "@", net->created };
      for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        for (const char *p = parts[i]; *p; p++)
          h = (h ^ (unsigned char)*p) * 1099511628211ull;
      off += (size_t)snprintf (buf + off, len - off, "%016llx", (unsigned long long)h);
    }
}

/* The subnet of a new network: the one asked for, when no network of
 * data_dir and no route of the host covers part of it, else an automatic
 * one.  The subnet lock is held.  */
static int
pick_subnet (const char *data_dir, const char *spec, struct mr_subnet *out, struct mr_error *err)
{
  cleanup_strv char **names = NULL;
  struct mr_subnet route;
  char text[32], other[32], dev[IF_NAMESIZE];
  bool overlaps;

  if (spec == NULL)
    return mr_net_auto_subnet (data_dir, out, err);
  if (mr_subnet_parse (spec, out, err) < 0 || mr_network_names (data_dir, &names, err) < 0)
    return -1;
  mr_subnet_format (out, text, sizeof text);
  for (char **p = names; *p; p++)
    {
      struct mr_network net;
      if (mr_network_load (data_dir, *p, &net, NULL) < 0 || !mr_subnet_overlaps (out, &net.subnet))
        continue;
      mr_subnet_format (&net.subnet, other, sizeof other);
      return fail_as (err, EADDRINUSE,
                      "subnet %s overlaps the subnet %s of network '%s': choose another "
                      "--subnet",
                      text, other, net.name);
    }
  if (mr_link_route_overlapping (out, &overlaps, &route, dev, sizeof dev, err) < 0)
    return -1;
  if (overlaps)
    {
      mr_subnet_format (&route, other, sizeof other);
      return fail_as (err, EADDRINUSE,
                      "subnet %s overlaps the route %s%s%s of this host: choose another "
                      "--subnet",
                      text, other, dev[0] ? " dev " : "", dev);
    }
  return 0;
}

static int
pick_gateway (const struct mr_subnet *s, const char *spec, uint32_t *out, struct mr_error *err)
{
  char text[32];

  mr_subnet_format (s, text, sizeof text);
  if (spec == NULL)
    {
      *out = s->addr + 1;
      return 0;
    }
  if (mr_ip_parse (spec, out) < 0)
    return mr_error_set (err, "invalid gateway '%s': expected an IPv4 address such as 10.77.0.1",
                         spec);
  if (!mr_subnet_contains (s, *out))
    return mr_error_set (err, "gateway %s is outside the subnet %s: choose one inside it", spec,
                         text);
  if (*out == s->addr)
    return mr_error_set (err,
                         "gateway %s is the network address of %s: choose a host address "
                         "inside it",
                         spec, text);
  if (*out == mr_subnet_last (s))
    return mr_error_set (err,
                         "gateway %s is the broadcast address of %s: choose a host address "
                         "inside it",
                         spec, text);
  return 0;
}

int
mr_network_create (struct mr_context *ctx, const char *name,
                   const struct mr_network_create_opts *opts, struct mr_error *err)
{
  cleanup_close int lock = -1;
  cleanup_close int subnets = -1;
  const char *subnet = opts ? opts->subnet : NULL, *gateway = opts ? opts->gateway : NULL;
  struct mr_network net = { 0 }, old;

  if (name_check (name, err) < 0)
    return -1;
  if (gateway && subnet == NULL)
    return mr_error_set (err,
                         "network '%s': a gateway needs its subnet: give --subnet with "
                         "--gateway",
                         name);
  lock = mr_net_lock (ctx->data_dir, err);
  if (lock < 0)
    return mr_error_prefix (err, "network '%s'", name);
  {
    struct mr_error e = { 0 };
    /* a damaged record is there too: its name is taken until it is removed */
    if (mr_network_load (ctx->data_dir, name, &old, &e) == 0 || e.errnum != ENOENT)
      return fail_as (err, EEXIST, "network '%s' already exists: choose another name", name);
  }
  /* the subnets of every data directory are chosen under one lock, so
   * that two networks made at once never take the same one */
  subnets = mr_net_subnet_lock (err);
  if (subnets < 0)
    return mr_error_prefix (err, "network '%s'", name);
  snprintf (net.name, sizeof net.name, "%s", name);
  mr_net_bridge_name (ctx->data_dir, name, net.bridge, sizeof net.bridge);
  utc_now (net.created, sizeof net.created);
  net.internal = opts && opts->internal;
  if (pick_subnet (ctx->data_dir, subnet, &net.subnet, err) < 0
      || pick_gateway (&net.subnet, gateway, &net.gateway, err) < 0
      || mr_network_store (ctx->data_dir, &net, err) < 0)
    return mr_error_prefix (err, "network '%s'", name);
  return 0;
}

/* --- reading ----------------------------------------------------------- */

/* Loads network name under the lock; the default one is made when
 * missing, as a container's first start would.  */
static int
load_locked (struct mr_context *ctx, const char *name, struct mr_network *net, struct mr_error *err)
{
  if (strcmp (name, MR_NET_DEFAULT) == 0)
    return mr_net_network_get (ctx->data_dir, name, net, err);
  if (mr_id_validate (name, NULL) < 0)
    return fail_as (err, ENOENT, "network '%.140s' not found", name);
  if (mr_network_load (ctx->data_dir, name, net, err) < 0)
    {
      if (err->errnum == ENOENT)
        {
          mr_error_clear (err);
          return fail_as (err, ENOENT, "network '%s' not found", name);
        }
      return -1;
    }
  return 0;
}

static void
endpoints_free (struct mr_endpoint *eps, size_t n)
{
  for (size_t i = 0; i < n; i++)
    mr_endpoint_clear (&eps[i]);
  free (eps);
}

static json_t *
network_doc (struct mr_context *ctx, const struct mr_network *net, struct mr_error *err)
{
  struct mr_endpoint *eps = NULL;
  size_t n = 0;
  char id[65], subnet[32], gw[16], ip[40];
  json_t *doc, *containers;

  if (mr_endpoints_list (ctx->data_dir, net->name, &eps, &n, err) < 0)
    return NULL;
  network_id (ctx->data_dir, net, id, sizeof id);
  mr_subnet_format (&net->subnet, subnet, sizeof subnet);
  mr_ip_format (net->gateway, gw, sizeof gw);
  containers = json_object ();
  for (size_t i = 0; containers && i < n; i++)
    {
      mr_ip_format (eps[i].ip, ip, sizeof ip);
      snprintf (ip + strlen (ip), sizeof ip - strlen (ip), "/%u", net->subnet.prefix);
      if (json_object_set_new (containers, eps[i].id,
                               json_pack ("{s:s, s:s, s:s}", "Name", eps[i].id, "IPv4Address", ip,
                                          "IPv6Address", ""))
          < 0)
        {
          json_decref (containers);
          containers = NULL;
        }
    }
  endpoints_free (eps, n);
  if (containers == NULL)
    {
      mr_error_errno (err, ENOMEM, "network '%s'", net->name);
      return NULL;
    }
  doc = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:{}, s:[{s:s, s:s}]}, s:b, s:b, "
                   "s:b, s:o, s:{s:s}, s:{}}",
                   "Name", net->name, "Id", id, "Created", net->created, "Scope", "local", "Driver",
                   "bridge", "EnableIPv6", 0, "IPAM", "Driver", "default", "Options", "Config",
                   "Subnet", subnet, "Gateway", gw, "Internal", net->internal, "Attachable", 0,
                   "Ingress", 0, "Containers", containers, "Options",
                   "com.docker.network.bridge.name", net->bridge, "Labels");
  if (doc == NULL)
    mr_error_errno (err, ENOMEM, "network '%s'", net->name);
  return doc;
}

static int
dump (json_t *doc, char **json, const char *what, struct mr_error *err)
{
  *json = json_dumps (doc, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  if (*json == NULL)
    return mr_error_errno (err, ENOMEM, "%s", what);
  return 0;
}

int
mr_network_inspect (struct mr_context *ctx, const char *name, char **json, struct mr_error *err)
{
  cleanup_close int lock = -1;
  cleanup_json json_t *doc = NULL;
  struct mr_network net;

  lock = mr_net_lock (ctx->data_dir, err);
  if (lock < 0 || load_locked (ctx, name, &net, err) < 0)
    return -1;
  doc = network_doc (ctx, &net, err);
  if (doc == NULL)
    return -1;
  return dump (doc, json, "inspect network", err);
}

/* Every network, the default one made when missing; lock held.  */
static int
load_all (struct mr_context *ctx, struct mr_network **out, size_t *n, struct mr_error *err)
{
  cleanup_strv char **names = NULL;
  struct mr_network def;
  size_t count = 0;

  if (mr_net_network_get (ctx->data_dir, MR_NET_DEFAULT, &def, err) < 0
      || mr_network_names (ctx->data_dir, &names, err) < 0)
    return -1;
  for (char **p = names; *p; p++)
    count++;
  *out = calloc (count + 1, sizeof **out);
  if (*out == NULL)
    return mr_error_errno (err, ENOMEM, "list networks");
  *n = 0;
  for (char **p = names; *p; p++)
    /* a damaged record is shown by inspect's error, not in the list */
    if (mr_network_load (ctx->data_dir, *p, &(*out)[*n], NULL) == 0)
      (*n)++;
  return 0;
}

int
mr_network_list_json (struct mr_context *ctx, char **json, struct mr_error *err)
{
  cleanup_close int lock = -1;
  cleanup_free struct mr_network *nets = NULL;
  cleanup_json json_t *arr = json_array ();
  size_t n = 0;

  if (arr == NULL)
    return mr_error_errno (err, ENOMEM, "list networks");
  lock = mr_net_lock (ctx->data_dir, err);
  if (lock < 0 || load_all (ctx, &nets, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      json_t *doc = network_doc (ctx, &nets[i], err);
      if (doc == NULL)
        return -1;
      if (json_array_append_new (arr, doc) < 0)
        return mr_error_errno (err, ENOMEM, "list networks");
    }
  return dump (arr, json, "list networks", err);
}

void
mr_network_info_free (struct mr_network_info *list, size_t n)
{
  if (list == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    {
      free (list[i].name);
      free (list[i].id);
      free (list[i].subnet);
      free (list[i].gateway);
      free (list[i].bridge);
      free (list[i].created);
    }
  free (list);
}

int
mr_network_list (struct mr_context *ctx, struct mr_network_info **list, size_t *n,
                 struct mr_error *err)
{
  cleanup_close int lock = -1;
  cleanup_free struct mr_network *nets = NULL;
  struct mr_network_info *v;
  size_t count = 0;

  *list = NULL;
  *n = 0;
  lock = mr_net_lock (ctx->data_dir, err);
  if (lock < 0 || load_all (ctx, &nets, &count, err) < 0)
    return -1;
  v = calloc (count + 1, sizeof *v);
  if (v == NULL)
    return mr_error_errno (err, ENOMEM, "list networks");
  for (size_t i = 0; i < count; i++)
    {
      struct mr_endpoint *eps = NULL;
      char id[65], subnet[32], gw[16];
      size_t k = 0;

      if (mr_endpoints_list (ctx->data_dir, nets[i].name, &eps, &k, NULL) == 0)
        endpoints_free (eps, k);
      network_id (ctx->data_dir, &nets[i], id, sizeof id);
      mr_subnet_format (&nets[i].subnet, subnet, sizeof subnet);
      mr_ip_format (nets[i].gateway, gw, sizeof gw);
      v[i].name = strdup (nets[i].name);
      v[i].id = strdup (id);
      v[i].subnet = strdup (subnet);
      v[i].gateway = strdup (gw);
      v[i].bridge = strdup (nets[i].bridge);
      v[i].created = strdup (nets[i].created);
      v[i].internal = nets[i].internal;
      v[i].containers = k;
      if (!v[i].name || !v[i].id || !v[i].subnet || !v[i].gateway || !v[i].bridge || !v[i].created)
        {
          mr_network_info_free (v, i + 1);
          return mr_error_errno (err, ENOMEM, "list networks");
        }
    }
  *list = v;
  *n = count;
  return 0;
}

/* --- removing ----------------------------------------------------------- */

static int
strv_add (char ***v, size_t *n, const char *s, struct mr_error *err)
{
  char **nv = realloc (*v, (*n + 2) * sizeof **v);

  if (nv == NULL)
    return mr_error_errno (err, ENOMEM, "networks");
  *v = nv;
  nv[*n] = strdup (s);
  if (nv[*n] == NULL)
    return mr_error_errno (err, ENOMEM, "networks");
  nv[++*n] = NULL;
  return 0;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

static bool
strv_has (char **v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp (*v, s) == 0)
      return true;
  return false;
}

/* The containers whose records name network (running or not), sorted.  */
static int
record_users (struct mr_context *ctx, const char *network, char ***users, size_t *n_users,
              struct mr_error *err)
{
  char **names = NULL;
  size_t n = 0;
  int r = 0;

  if (mr_managed_names (ctx, &names, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      struct mr_managed m;
      if (r == 0 && mr_managed_open (ctx, names[i], false, &m, NULL) == 0)
        {
          const char *mode
              = mr_managed_str (json_object_get (m.record, "HostConfig"), "NetworkMode");
          if (strcmp (mode, network) == 0)
            r = strv_add (users, n_users, names[i], err);
          mr_managed_close (&m);
        }
      free (names[i]);
    }
  free (names);
  return r;
}

/* Releases the endpoints of network whose containers are gone, with the
 * veth and namespace a crash may have left of them; *changed when one
 * went.  Lock held.  */
static int
reconcile (struct mr_context *ctx, const struct mr_network *net, bool *changed,
           struct mr_error *err)
{
  cleanup_strv char **gone = NULL;

  if (mr_ipam_reconcile (ctx->data_dir, net->name, mr_managed_endpoint_alive, ctx, &gone, err) < 0)
    return -1;
  for (char **p = gone; *p; p++)
    {
      char veth[16];
      mr_net_link_name ("mrv", ctx->data_dir, *p, veth, sizeof veth);
      mr_link_delete (veth, NULL);
      mr_net_netns_remove (ctx->root, *p);
      *changed = true;
    }
  return 0;
}

/* Who uses net: the containers whose records name it, else those with an
 * endpoint on it once the stale ones are gone.  */
static int
users_of (struct mr_context *ctx, const struct mr_network *net, char ***users, bool *changed,
          struct mr_error *err)
{
  struct mr_endpoint *eps = NULL;
  size_t n = 0, k = 0;
  int r = 0;

  *users = calloc (1, sizeof **users);
  if (*users == NULL)
    return mr_error_errno (err, ENOMEM, "network '%s'", net->name);
  if (record_users (ctx, net->name, users, &n, err) < 0)
    return -1;
  qsort (*users, n, sizeof **users, cmp_str);
  /* a container that names the network may be starting: its endpoint,
   * made before its status says so, must not be taken for a stale one */
  if (n > 0)
    return 0;
  if (reconcile (ctx, net, changed, err) < 0
      || mr_endpoints_list (ctx->data_dir, net->name, &eps, &k, err) < 0)
    return -1;
  for (size_t i = 0; i < k && r == 0; i++)
    if (!strv_has (*users, eps[i].id))
      r = strv_add (users, &n, eps[i].id, err);
  endpoints_free (eps, k);
  qsort (*users, n, sizeof **users, cmp_str);
  if (r == 0 && n == 0 && *changed)
    /* as the last container's stop does: no endpoint, no bridge */
    r = mr_link_delete (net->bridge, err);
  return r;
}

static int
busy_error (const struct mr_network *net, char **users, struct mr_error *err)
{
  char list[512] = "", names[512] = "";
  size_t n = 0;

  for (char **p = users; *p; p++, n++)
    {
      size_t l = strlen (list), m = strlen (names);
      snprintf (list + l, sizeof list - l, "%s'%s'", n ? ", " : "", *p);
      snprintf (names + m, sizeof names - m, " %s", *p);
    }
  return fail_as (err, EBUSY,
                  "network '%s' is in use by container%s %s: remove %s first "
                  "('minirun rm -f%s')",
                  net->name, n > 1 ? "s" : "", list, n > 1 ? "them" : "it", names);
}

/* Removes net if no container uses it: 1 when removed, 0 when in use (with
 * *users set, caller frees), -1 on error.  Lock held; the rules are the
 * caller's to sync.  */
static int
remove_unused (struct mr_context *ctx, const struct mr_network *net, char ***users, bool *changed,
               struct mr_error *err)
{
  if (users_of (ctx, net, users, changed, err) < 0)
    return -1;
  if ((*users)[0])
    return 0;
  if (mr_link_delete (net->bridge, err) < 0
      || mr_network_unstore (ctx->data_dir, net->name, err) < 0)
    return -1;
  *changed = true;
  return 1;
}

static int
rules_sync (struct mr_context *ctx, struct mr_error *err)
{
  bool fwd;

  return mr_nft_sync (ctx->data_dir, &fwd, err);
}

int
mr_network_remove (struct mr_context *ctx, const char *name, struct mr_error *err)
{
  cleanup_close int lock = -1;
  cleanup_strv char **users = NULL;
  struct mr_network net;
  bool changed = false;
  int r;

  if (strcmp (name, MR_NET_DEFAULT) == 0)
    return fail_as (err, EPERM,
                    "network '%s' is the default network (--network bridge): it cannot "
                    "be removed",
                    name);
  lock = mr_net_lock (ctx->data_dir, err);
  if (lock < 0 || load_locked (ctx, name, &net, err) < 0)
    return -1;
  r = remove_unused (ctx, &net, &users, &changed, err);
  if (changed && rules_sync (ctx, r < 0 ? NULL : err) < 0 && r >= 0)
    return mr_error_prefix (err, "remove network '%s'", name);
  if (r == 0)
    return busy_error (&net, users, err);
  return r > 0 ? 0 : mr_error_prefix (err, "remove network '%s'", name);
}

int
mr_network_users (struct mr_context *ctx, const char *name, char ***users, struct mr_error *err)
{
  cleanup_close int lock = -1;
  cleanup_strv char **found = NULL;
  struct mr_network net;
  bool changed = false;

  *users = NULL;
  lock = mr_net_lock (ctx->data_dir, err);
  if (lock < 0 || load_locked (ctx, name, &net, err) < 0)
    return -1;
  if (users_of (ctx, &net, &found, &changed, err) < 0)
    return mr_error_prefix (err, "network '%s'", name);
  /* stale endpoints went: the rules follow them, as after a remove; the
   * answer stands whether or not that worked */
  if (changed)
    rules_sync (ctx, NULL);
  *users = steal_pointer (&found);
  return 0;
}

int
mr_network_prune (struct mr_context *ctx, char ***removed, struct mr_error *err)
{
  cleanup_close int lock = -1;
  cleanup_strv char **names = NULL;
  cleanup_strv char **gone = calloc (1, sizeof *gone);
  size_t n = 0;
  bool changed = false;
  int r = 0;

  if (gone == NULL)
    return mr_error_errno (err, ENOMEM, "prune networks");
  lock = mr_net_lock (ctx->data_dir, err);
  if (lock < 0 || mr_network_names (ctx->data_dir, &names, err) < 0)
    return -1;
  for (char **p = names; *p && r == 0; p++)
    {
      cleanup_strv char **users = NULL;
      struct mr_network net;
      int k;

      if (strcmp (*p, MR_NET_DEFAULT) == 0 || mr_network_load (ctx->data_dir, *p, &net, NULL) < 0)
        continue;
      k = remove_unused (ctx, &net, &users, &changed, err);
      if (k < 0)
        r = mr_error_prefix (err, "prune network '%s'", *p);
      else if (k > 0)
        r = strv_add (&gone, &n, *p, err);
    }
  if (changed && rules_sync (ctx, r < 0 ? NULL : err) < 0)
    r = -1;
  if (r < 0)
    return -1;
  *removed = steal_pointer (&gone);
  return 0;
}
