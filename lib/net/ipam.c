#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/net.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"

int
mr_net_lock (const char *data_dir, struct mr_error *err)
{
  cleanup_free char *dir = NULL, *path = NULL;
  cleanup_close int fd = -1;

  if (mr_asprintf (err, &dir, "%s/networks", data_dir) < 0
      || mr_asprintf (err, &path, "%s/lock", dir) < 0)
    return -1;
  if (mr_mkdir_p (dir, 0700, err) < 0)
    return -1;
  fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return mr_error_errno (err, errno, "open the networks' lock '%s'", path);
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return mr_error_errno (err, errno, "lock '%s'", path);
  return steal_fd (&fd);
}

static int
net_path (struct mr_error *err, char **out, const char *data_dir, const char *name,
          const char *rest)
{
  return mr_asprintf (err, out, "%s/networks/%s%s", data_dir, name, rest);
}

static json_t *
load_json (const char *path, struct mr_error *err)
{
  cleanup_free char *text = NULL;
  json_error_t je;
  json_t *j;

  if (mr_read_file (path, &text, NULL, err) < 0)
    return NULL;
  j = json_loads (text, 0, &je);
  if (j == NULL || !json_is_object (j))
    {
      json_decref (j);
      mr_error_set (err, "'%s' is not a JSON object (%s): remove it or restore it", path,
                    je.text);
      return NULL;
    }
  return j;
}

static int
store_json (const char *path, json_t *j, struct mr_error *err)
{
  cleanup_free char *text = json_dumps (j, JSON_INDENT (2) | JSON_SORT_KEYS);
  cleanup_close int dfd = -1;
  cleanup_free char *dir = strdup (path);
  char *slash;

  if (text == NULL || dir == NULL)
    return mr_error_errno (err, ENOMEM, "write '%s'", path);
  slash = strrchr (dir, '/');
  *slash = '\0';
  dfd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dfd < 0)
    return mr_error_errno (err, errno, "open '%s'", dir);
  return mr_write_file_atomic_at (dfd, slash + 1, text, strlen (text), 0600, MR_WRITE_DURABLE,
                                  err);
}

static const char *
jstr (json_t *o, const char *key)
{
  const char *s = json_string_value (json_object_get (o, key));
  return s ? s : "";
}

int
mr_network_load (const char *data_dir, const char *name, struct mr_network *out,
                 struct mr_error *err)
{
  cleanup_free char *path = NULL;
  cleanup_json json_t *j = NULL;

  memset (out, 0, sizeof *out);
  if (mr_id_validate (name, err) < 0)
    return mr_error_prefix (err, "network");
  if (net_path (err, &path, data_dir, name, "/network.json") < 0)
    return -1;
  if (access (path, F_OK) < 0)
    return mr_error_errno (err, ENOENT, "network '%s' not found", name);
  j = load_json (path, err);
  if (j == NULL)
    return -1;
  snprintf (out->name, sizeof out->name, "%s", name);
  snprintf (out->bridge, sizeof out->bridge, "%s", jstr (j, "bridge"));
  snprintf (out->created, sizeof out->created, "%s", jstr (j, "created"));
  out->internal = json_is_true (json_object_get (j, "internal"));
  if (mr_subnet_parse (jstr (j, "subnet"), &out->subnet, err) < 0
      || mr_ip_parse (jstr (j, "gateway"), &out->gateway) < 0 || out->bridge[0] == '\0')
    return mr_error_set (err, "network '%s': '%s' is damaged: remove the network and create it again",
                         name, path);
  return 0;
}

int
mr_network_store (const char *data_dir, const struct mr_network *net, struct mr_error *err)
{
  cleanup_free char *dir = NULL, *eps = NULL, *path = NULL;
  cleanup_json json_t *j = NULL;
  char subnet[32], gw[16];

  if (net_path (err, &dir, data_dir, net->name, "") < 0
      || net_path (err, &eps, data_dir, net->name, "/endpoints") < 0
      || net_path (err, &path, data_dir, net->name, "/network.json") < 0)
    return -1;
  {
    cleanup_free char *top = NULL;
    if (mr_asprintf (err, &top, "%s/networks", data_dir) < 0 || mr_mkdir_p (top, 0700, err) < 0)
      return -1;
  }
  if (mkdir (dir, 0700) < 0)
    return mr_error_errno (err, errno, "network '%s': create '%s'", net->name, dir);
  if (mkdir (eps, 0700) < 0)
    {
      mr_error_errno (err, errno, "network '%s': create '%s'", net->name, eps);
      rmdir (dir);
      return -1;
    }
  mr_subnet_format (&net->subnet, subnet, sizeof subnet);
  mr_ip_format (net->gateway, gw, sizeof gw);
  j = json_pack ("{s:s, s:s, s:s, s:s, s:b, s:s}", "name", net->name, "bridge", net->bridge,
                 "subnet", subnet, "gateway", gw, "internal", net->internal, "created",
                 net->created);
  if (j == NULL || store_json (path, j, err) < 0)
    {
      if (j == NULL)
        mr_error_errno (err, ENOMEM, "network '%s'", net->name);
      rmdir (eps);
      rmdir (dir);
      return -1;
    }
  return 0;
}

int
mr_network_unstore (const char *data_dir, const char *name, struct mr_error *err)
{
  cleanup_free char *dir = NULL, *eps = NULL, *path = NULL;

  if (net_path (err, &dir, data_dir, name, "") < 0
      || net_path (err, &eps, data_dir, name, "/endpoints") < 0
      || net_path (err, &path, data_dir, name, "/network.json") < 0)
    return -1;
  if (rmdir (eps) < 0 && errno != ENOENT)
    return mr_error_errno (err, errno, "network '%s': remove '%s'", name, eps);
  if (unlink (path) < 0 && errno != ENOENT)
    return mr_error_errno (err, errno, "network '%s': remove '%s'", name, path);
  if (rmdir (dir) < 0 && errno != ENOENT)
    return mr_error_errno (err, errno, "network '%s': remove '%s'", name, dir);
  return 0;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Names of the entries of dir that pass mr_id_validate once suffix is
 * taken off (NULL: directories).  */
static int
list_dir (const char *dir, const char *suffix, char ***out, struct mr_error *err)
{
  cleanup_closedir DIR *d = opendir (dir);
  cleanup_strv char **v = calloc (1, sizeof *v);
  size_t n = 0, sl = suffix ? strlen (suffix) : 0;
  struct dirent *de;

  if (v == NULL)
    return mr_error_errno (err, ENOMEM, "list '%s'", dir);
  if (d == NULL && errno != ENOENT)
    return mr_error_errno (err, errno, "list '%s'", dir);
  while (d && (de = readdir (d)) != NULL)
    {
      size_t len = strlen (de->d_name);
      char **nv;
      char *name;

      if (suffix ? (len <= sl || strcmp (de->d_name + len - sl, suffix) != 0)
                 : de->d_type != DT_DIR)
        continue;
      name = strndup (de->d_name, len - sl);
      if (name == NULL || mr_id_validate (name, NULL) < 0)
        {
          free (name);
          continue;
        }
      nv = realloc (v, (n + 2) * sizeof *v);
      if (nv == NULL)
        {
          free (name);
          return mr_error_errno (err, ENOMEM, "list '%s'", dir);
        }
      v = nv;
      v[n++] = name;
      v[n] = NULL;
    }
  qsort (v, n, sizeof *v, cmp_str);
  *out = steal_pointer (&v);
  return 0;
}

int
mr_network_names (const char *data_dir, char ***out, struct mr_error *err)
{
  cleanup_free char *dir = NULL;

  if (mr_asprintf (err, &dir, "%s/networks", data_dir) < 0)
    return -1;
  return list_dir (dir, NULL, out, err);
}

void
mr_endpoint_clear (struct mr_endpoint *ep)
{
  free (ep->ports);
  memset (ep, 0, sizeof *ep);
}

static int
endpoint_from_json (json_t *j, struct mr_endpoint *ep, const char *path, struct mr_error *err)
{
  json_t *ports = json_object_get (j, "ports"), *p;
  size_t i;

  snprintf (ep->id, sizeof ep->id, "%s", jstr (j, "id"));
  snprintf (ep->veth, sizeof ep->veth, "%s", jstr (j, "veth"));
  snprintf (ep->hostname, sizeof ep->hostname, "%s", jstr (j, "hostname"));
  snprintf (ep->hosts_path, sizeof ep->hosts_path, "%s", jstr (j, "hosts"));
  if (mr_ip_parse (jstr (j, "ip"), &ep->ip) < 0)
    return mr_error_set (err, "endpoint '%s' has no address: remove the file", path);
  ep->ports = calloc (json_array_size (ports) + 1, sizeof *ep->ports);
  if (ep->ports == NULL)
    return mr_error_errno (err, ENOMEM, "endpoint '%s'", path);
  json_array_foreach (ports, i, p)
  {
    struct mr_port_mapping *m = &ep->ports[ep->n_ports++];
    snprintf (m->host_ip, sizeof m->host_ip, "%s", jstr (p, "host_ip"));
    snprintf (m->proto, sizeof m->proto, "%s", strcmp (jstr (p, "proto"), "udp") ? "tcp" : "udp");
    m->host_port = (uint16_t)json_integer_value (json_object_get (p, "host_port"));
    m->container_port = (uint16_t)json_integer_value (json_object_get (p, "container_port"));
  }
  return 0;
}

int
mr_endpoint_load (const char *data_dir, const char *network, const char *id,
                  struct mr_endpoint *out, struct mr_error *err)
{
  cleanup_free char *path = NULL;
  cleanup_json json_t *j = NULL;

  memset (out, 0, sizeof *out);
  if (mr_asprintf (err, &path, "%s/networks/%s/endpoints/%s.json", data_dir, network, id) < 0)
    return -1;
  if (access (path, F_OK) < 0)
    return mr_error_errno (err, ENOENT, "container '%s' has no endpoint on network '%s'", id,
                           network);
  j = load_json (path, err);
  if (j == NULL)
    return -1;
  if (endpoint_from_json (j, out, path, err) < 0)
    {
      mr_endpoint_clear (out);
      return -1;
    }
  return 0;
}

int
mr_endpoint_store (const char *data_dir, const char *network, const struct mr_endpoint *ep,
                   struct mr_error *err)
{
  cleanup_free char *path = NULL;
  cleanup_json json_t *j = NULL;
  json_t *ports = json_array ();
  char ip[16];

  mr_ip_format (ep->ip, ip, sizeof ip);
  j = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", ep->id, "ip", ip, "veth", ep->veth,
                 "hostname", ep->hostname, "hosts", ep->hosts_path, "ports", ports);
  if (j == NULL)
    return mr_error_errno (err, ENOMEM, "endpoint of '%s'", ep->id);
  for (size_t i = 0; i < ep->n_ports; i++)
    {
      const struct mr_port_mapping *m = &ep->ports[i];
      if (json_array_append_new (ports, json_pack ("{s:s, s:i, s:i, s:s}", "host_ip", m->host_ip,
                                                   "host_port", m->host_port, "container_port",
                                                   m->container_port, "proto", m->proto))
          < 0)
        return mr_error_errno (err, ENOMEM, "endpoint of '%s'", ep->id);
    }
  if (mr_asprintf (err, &path, "%s/networks/%s/endpoints/%s.json", data_dir, network, ep->id) < 0)
    return -1;
  return store_json (path, j, err);
}

int
mr_endpoints_list (const char *data_dir, const char *network, struct mr_endpoint **out,
                   size_t *n, struct mr_error *err)
{
  cleanup_free char *dir = NULL;
  cleanup_strv char **ids = NULL;
  struct mr_endpoint *eps;
  size_t count = 0;

  if (mr_asprintf (err, &dir, "%s/networks/%s/endpoints", data_dir, network) < 0
      || list_dir (dir, ".json", &ids, err) < 0)
    return -1;
  for (char **p = ids; *p; p++)
    count++;
  eps = calloc (count + 1, sizeof *eps);
  if (eps == NULL)
    return mr_error_errno (err, ENOMEM, "network '%s'", network);
  *n = 0;
  for (char **p = ids; *p; p++)
    /* a damaged file holds no address: it is skipped, not fatal */
    if (mr_endpoint_load (data_dir, network, *p, &eps[*n], NULL) == 0)
      (*n)++;
  *out = eps;
  return 0;
}

bool
mr_endpoints_any (const char *data_dir, const char *network)
{
  cleanup_free char *dir = NULL;
  cleanup_closedir DIR *d = NULL;
  struct dirent *de;

  if (mr_asprintf (NULL, &dir, "%s/networks/%s/endpoints", data_dir, network) < 0)
    return true; /* unknown: as if there were one */
  d = opendir (dir);
  if (d == NULL)
    return errno != ENOENT;
  while ((de = readdir (d)) != NULL)
    {
      size_t len = strlen (de->d_name);
      if (de->d_name[0] != '.' && len > 5 && strcmp (de->d_name + len - 5, ".json") == 0)
        return true;
    }
  return false;
}

static void
endpoints_free (struct mr_endpoint *eps, size_t n)
{
  for (size_t i = 0; i < n; i++)
    mr_endpoint_clear (&eps[i]);
  free (eps);
}

int
mr_ipam_allocate_among (const char *data_dir, const struct mr_network *net,
                        const struct mr_endpoint *eps, size_t n, struct mr_endpoint *ep,
                        struct mr_error *err)
{
  uint32_t ip, last = mr_subnet_last (&net->subnet);

  for (ip = net->subnet.addr + 1; ip < last; ip++)
    {
      bool used = ip == net->gateway;
      for (size_t i = 0; i < n && !used; i++)
        used = eps[i].ip == ip && strcmp (eps[i].id, ep->id) != 0;
      if (!used)
        break;
    }
  if (ip >= last)
    return mr_error_errno (err, ENOSPC,
                           "network '%s' has no free address: remove a container from it",
                           net->name);
  ep->ip = ip;
  return mr_endpoint_store (data_dir, net->name, ep, err);
}

int
mr_ipam_allocate (const char *data_dir, const struct mr_network *net, struct mr_endpoint *ep,
                  struct mr_error *err)
{
  struct mr_endpoint *eps = NULL;
  size_t n = 0;
  int r;

  if (mr_endpoints_list (data_dir, net->name, &eps, &n, err) < 0)
    return -1;
  r = mr_ipam_allocate_among (data_dir, net, eps, n, ep, err);
  endpoints_free (eps, n);
  return r;
}

int
mr_ipam_release (const char *data_dir, const char *network, const char *id, struct mr_error *err)
{
  cleanup_free char *path = NULL;

  if (mr_asprintf (err, &path, "%s/networks/%s/endpoints/%s.json", data_dir, network, id) < 0)
    return -1;
  if (unlink (path) < 0 && errno != ENOENT)
    return mr_error_errno (err, errno, "release the address of '%s' on network '%s'", id,
                           network);
  return 0;
}

int
mr_ipam_reconcile (const char *data_dir, const char *network, mr_endpoint_alive_fn alive,
                   void *data, char ***released, struct mr_error *err)
{
  cleanup_free char *dir = NULL;
  cleanup_strv char **ids = NULL;
  cleanup_strv char **gone = calloc (1, sizeof *gone);
  size_t n = 0;

  if (gone == NULL)
    return mr_error_errno (err, ENOMEM, "network '%s'", network);
  if (mr_asprintf (err, &dir, "%s/networks/%s/endpoints", data_dir, network) < 0
      || list_dir (dir, ".json", &ids, err) < 0)
    return -1;
  for (char **p = ids; *p; p++)
    {
      char **nv;
      if (alive (*p, data))
        continue;
      if (mr_ipam_release (data_dir, network, *p, err) < 0)
        return -1;
      nv = realloc (gone, (n + 2) * sizeof *gone);
      if (nv == NULL)
        return mr_error_errno (err, ENOMEM, "network '%s'", network);
      gone = nv;
      gone[n] = NULL;
      if ((gone[n++] = strdup (*p)) == NULL)
        return mr_error_errno (err, ENOMEM, "network '%s'", network);
      gone[n] = NULL;
    }
  if (released)
    *released = steal_pointer (&gone);
  return 0;
}
