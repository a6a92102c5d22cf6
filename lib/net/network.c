/* A container's endpoint on a bridge network, from start to stop: the
 * network namespace bound under the run directory, the address, the veth,
 * the published ports, the nftables table and the peers' /etc/hosts.  The
 * records under data_dir/networks are the truth; links, namespaces and
 * rules are made from them and removed when their record goes.  */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "net/net.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

#define DEFAULT_DATA_DIR "/var/lib/minirun"
/* Automatic subnets: /20s of 10.77.0.0 to 10.87.255.255, below Podman's
 * 10.88.0.0/16 and its 10.89.x.0/24 networks, far from Docker's
 * 172.17.0.0/16 and its 172.18-31 and 192.168 pools.  */
#define AUTO_FIRST 0x0a4d0000u /* 10.77.0.0 */
#define AUTO_END 0x0a580000u   /* 10.88.0.0 */
#define AUTO_PREFIX 20u
/* subnets are chosen by every data directory of the host alike */
#define SUBNET_LOCK "/run/lock/minirun-subnets.lock"

int
mr_net_netns_path (const char *run_dir, const char *id, char **out, struct mr_error *err)
{
  return mr_asprintf (err, out, "%s/.netns/%s", run_dir, id);
}

/* --- network namespaces bound to a file ----------------------------------- */

static void
netns_remove (const char *path)
{
  /* the bind mount holds the namespace; it goes with its last process */
  umount2 (path, MNT_DETACH);
  unlink (path);
}

static int
netns_make (const char *run_dir, const char *path, struct mr_error *err)
{
  cleanup_free char *dir = NULL;
  cleanup_close int fd = -1;
  pid_t pid;
  int status;

  if (mr_asprintf (err, &dir, "%s/.netns", run_dir) < 0 || mr_mkdir_p (dir, 0755, err) < 0)
    return -1;
  netns_remove (path); /* left by a crash */
  fd = open (path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0)
    return mr_error_errno (err, errno, "network namespace '%s'", path);
  /* a child makes the namespace, so that no thread of ours changes its
   * own; it only makes system calls, which is safe after a fork from a
   * threaded server */
  pid = fork ();
  if (pid < 0)
    {
      unlink (path);
      return mr_error_errno (err, errno, "network namespace '%s': fork", path);
    }
  if (pid == 0)
    {
      if (unshare (CLONE_NEWNET) < 0)
        _exit (errno);
      if (mount ("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
        _exit (errno);
      _exit (0);
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      break;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      int e = WIFEXITED (status) ? WEXITSTATUS (status) : EINTR;
      netns_remove (path);
      return mr_error_errno (err, e, "make the network namespace '%s'", path);
    }
  return 0;
}

/* --- networks ---------------------------------------------------------- */

static void
bridge_name (const char *data_dir, const char *network, char *buf, size_t len)
{
  if (strcmp (data_dir, DEFAULT_DATA_DIR) == 0 && strcmp (network, MR_NET_DEFAULT) == 0)
    snprintf (buf, len, "minirun0");
  else
    mr_net_link_name ("mrbr", data_dir, network, buf, len);
}

/* A subnet of the automatic range that no host route and no network of
 * data_dir covers.  */
static int
auto_subnet (const char *data_dir, struct mr_subnet *out, struct mr_error *err)
{
  cleanup_strv char **names = NULL;
  struct mr_network *nets;
  size_t n = 0, count = 0;
  int r = -1;

  if (mr_network_names (data_dir, &names, err) < 0)
    return -1;
  for (char **p = names; *p; p++)
    count++;
  nets = calloc (count + 1, sizeof *nets);
  if (nets == NULL)
    return mr_error_errno (err, ENOMEM, "networks");
  for (char **p = names; *p; p++)
    if (mr_network_load (data_dir, *p, &nets[n], NULL) == 0)
      n++;
  for (uint32_t a = AUTO_FIRST; a < AUTO_END; a += 1u << (32 - AUTO_PREFIX))
    {
      struct mr_subnet s = { .addr = a, .prefix = AUTO_PREFIX };
      bool taken = false;
      for (size_t i = 0; i < n && !taken; i++)
        taken = mr_subnet_overlaps (&s, &nets[i].subnet);
      if (!taken && mr_link_route_overlaps (&s, &taken, err) < 0)
        goto out;
      if (!taken)
        {
          *out = s;
          r = 0;
          goto out;
        }
    }
  mr_error_set (err, "no free subnet in 10.77.0.0-10.87.255.255: every one is routed on this "
                     "host; create a network with --subnet");
out:
  free (nets);
  return r;
}

static int
subnet_lock (struct mr_error *err)
{
  cleanup_close int fd = -1;

  if (mr_mkdir_p ("/run/lock", 0755, err) < 0)
    return -1;
  fd = open (SUBNET_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return mr_error_errno (err, errno, "open '%s'", SUBNET_LOCK);
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return mr_error_errno (err, errno, "lock '%s'", SUBNET_LOCK);
  return steal_fd (&fd);
}

/* Loads network name; the default one is made on first use.  */
static int
network_get (const char *data_dir, const char *name, struct mr_network *net, struct mr_error *err)
{
  cleanup_close int lock = -1;

  if (mr_network_load (data_dir, name, net, err) == 0)
    return 0;
  if (err->errnum != ENOENT || strcmp (name, MR_NET_DEFAULT) != 0)
    {
      if (err->errnum == ENOENT)
        mr_error_set (err, "network '%s' not found: create it with 'minirun network create %s'",
                      name, name);
      return -1;
    }
  mr_error_clear (err);
  lock = subnet_lock (err);
  if (lock < 0)
    return -1;
  memset (net, 0, sizeof *net);
  snprintf (net->name, sizeof net->name, "%s", name);
  bridge_name (data_dir, name, net->bridge, sizeof net->bridge);
  {
    time_t now = time (NULL);
    struct tm tm;
    strftime (net->created, sizeof net->created, "%Y-%m-%dT%H:%M:%SZ", gmtime_r (&now, &tm));
  }
  if (auto_subnet (data_dir, &net->subnet, err) < 0)
    return -1;
  net->gateway = net->subnet.addr + 1;
  return mr_network_store (data_dir, net, err);
}

/* What lib/managed needs to make and remove networks of its own: the same
 * names, subnets and locks as a container's first start uses.  */
void
mr_net_bridge_name (const char *data_dir, const char *network, char *buf, size_t len)
{
  bridge_name (data_dir, network, buf, len);
}

int
mr_net_subnet_lock (struct mr_error *err)
{
  return subnet_lock (err);
}

int
mr_net_auto_subnet (const char *data_dir, struct mr_subnet *out, struct mr_error *err)
{
  return auto_subnet (data_dir, out, err);
}

int
mr_net_network_get (const char *data_dir, const char *name, struct mr_network *net,
                    struct mr_error *err)
{
  return network_get (data_dir, name, net, err);
}

void
mr_net_netns_remove (const char *run_dir, const char *id)
{
  cleanup_free char *path = NULL;

  if (mr_net_netns_path (run_dir, id, &path, NULL) == 0)
    netns_remove (path);
}

/* --- published ports --------------------------------------------------- */

bool
mr_net_port_taken_on_host (const struct mr_port_mapping *m)
{
  bool udp = strcmp (m->proto, "udp") == 0;
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (m->host_port) };
  cleanup_close int fd = socket (AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  int one = 1;

  if (fd < 0)
    return false;
  if (m->host_ip[0])
    inet_pton (AF_INET, m->host_ip, &sa.sin_addr);
  /* a connection in TIME_WAIT holds no port a listener wants */
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  return bind (fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno == EADDRINUSE;
}

static bool
same_port (const struct mr_port_mapping *a, const struct mr_port_mapping *b)
{
  return a->host_port == b->host_port && strcmp (a->proto, b->proto) == 0
         && (!a->host_ip[0] || !b->host_ip[0] || strcmp (a->host_ip, b->host_ip) == 0);
}

struct port_users
{
  struct mr_endpoint *eps; /* every endpoint of every network of data_dir */
  size_t n;
};

static void
port_users_clear (struct port_users *u)
{
  for (size_t i = 0; i < u->n; i++)
    mr_endpoint_clear (&u->eps[i]);
  free (u->eps);
}

static int
port_users_load (const char *data_dir, struct port_users *u, struct mr_error *err)
{
  cleanup_strv char **names = NULL;

  memset (u, 0, sizeof *u);
  if (mr_network_names (data_dir, &names, err) < 0)
    return -1;
  for (char **p = names; *p; p++)
    {
      struct mr_endpoint *eps = NULL, *nv;
      size_t n = 0;
      if (mr_endpoints_list (data_dir, *p, &eps, &n, err) < 0)
        return -1;
      nv = realloc (u->eps, (u->n + n + 1) * sizeof *nv);
      if (nv == NULL)
        {
          for (size_t i = 0; i < n; i++)
            mr_endpoint_clear (&eps[i]);
          free (eps);
          return mr_error_errno (err, ENOMEM, "networks");
        }
      u->eps = nv;
      memcpy (u->eps + u->n, eps, n * sizeof *eps);
      u->n += n;
      free (eps);
    }
  return 0;
}

/* The endpoint of u that holds m, or -1.  */
static ssize_t
port_user (const struct port_users *u, const struct mr_port_mapping *m)
{
  for (size_t i = 0; i < u->n; i++)
    for (size_t p = 0; p < u->eps[i].n_ports; p++)
      if (same_port (&u->eps[i].ports[p], m))
        return (ssize_t)i;
  return -1;
}

/* Who holds m: NULL when it is free, else what to name in the error.  An
 * endpoint whose container alive() says is gone holds nothing; its
 * stale-ness goes to *stale, for the caller to release it.  */
static const char *
port_holder (const struct port_users *u, const struct mr_port_mapping *taken, size_t n_taken,
             const struct mr_port_mapping *m, mr_endpoint_alive_fn alive, void *alive_data,
             bool *stale)
{
  ssize_t e = port_user (u, m);

  if (e >= 0)
    {
      if (alive == NULL || alive (u->eps[e].id, alive_data))
        return u->eps[e].id;
      *stale = true;
    }
  for (size_t i = 0; i < n_taken; i++)
    if (same_port (&taken[i], m))
      return "this container";
  if (mr_net_port_taken_on_host (m))
    return "a program of the host";
  return NULL;
}

/* Host ports for req's mappings into ep->ports.  A port held by the
 * endpoint of a container that is gone counts as free; *stale says that
 * such an endpoint was seen, which the caller releases before it loads the
 * rules, since two rules for one port would send it to the dead one.  */
static int
ports_assign (const char *data_dir, const struct mr_net_request *req, struct mr_endpoint *ep,
              bool *stale, struct mr_error *err)
{
  struct port_users u;
  unsigned first = req->auto_range.first ? req->auto_range.first : MR_PORTS_AUTO_FIRST;
  unsigned last = req->auto_range.first ? req->auto_range.last : MR_PORTS_AUTO_LAST;
  int r = -1;

  ep->ports = calloc (req->n_ports + 1, sizeof *ep->ports);
  if (ep->ports == NULL)
    return mr_error_errno (err, ENOMEM, "ports of '%s'", req->id);
  if (req->n_ports == 0)
    return 0;
  if (port_users_load (data_dir, &u, err) < 0)
    goto out;
  /* the fixed ones first, so that an automatic one never takes theirs */
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < req->n_ports; i++)
      {
        struct mr_port_mapping m = req->ports[i];
        const char *holder;
        if ((m.host_port == 0) != (pass == 1))
          continue;
        if (m.host_port)
          {
            holder = port_holder (&u, ep->ports, ep->n_ports, &m, req->alive, req->alive_data,
                                  stale);
            if (holder)
              {
                mr_error_errno (err, EADDRINUSE,
                                "port %s%s%u/%s is taken by %s: publish another host port",
                                m.host_ip, m.host_ip[0] ? ":" : "", m.host_port, m.proto, holder);
                goto out;
              }
            ep->ports[ep->n_ports++] = m;
            continue;
          }
        /* an automatic port never takes one an endpoint names, dead or
         * not: there are others */
        for (size_t k = 0; k < req->n_previous && m.host_port == 0; k++)
          {
            const struct mr_port_mapping *old = &req->previous[k];
            struct mr_port_mapping c = m;
            if (old->container_port != m.container_port || strcmp (old->proto, m.proto) != 0
                || strcmp (old->host_ip, m.host_ip) != 0)
              continue;
            c.host_port = old->host_port;
            if (port_holder (&u, ep->ports, ep->n_ports, &c, NULL, NULL, stale) == NULL)
              m.host_port = c.host_port;
          }
        for (unsigned p = first; p <= last && m.host_port == 0; p++)
          {
            struct mr_port_mapping c = m;
            c.host_port = (uint16_t)p;
            if (port_holder (&u, ep->ports, ep->n_ports, &c, NULL, NULL, stale) == NULL)
              m.host_port = c.host_port;
          }
        if (m.host_port == 0)
          {
            mr_error_errno (err, EADDRINUSE,
                            "no free host port for %u/%s: the automatic range %u-%u is full; "
                            "widen it with port_range = LOW-HIGH in minirun.conf (or serve "
                            "--port-range LOW-HIGH), or publish a fixed host port",
                            m.container_port, m.proto, first, last);
            goto out;
          }
        ep->ports[ep->n_ports++] = m;
      }
  r = 0;
out:
  port_users_clear (&u);
  return r;
}

int
mr_net_ports_check (const char *data_dir, const char *id, const struct mr_port_mapping *ports,
                    size_t n, mr_endpoint_alive_fn alive, void *alive_data, struct mr_error *err)
{
  struct port_users u;
  bool stale = false;
  int r = 0;

  if (n == 0)
    return 0;
  if (port_users_load (data_dir, &u, err) < 0)
    {
      port_users_clear (&u);
      return -1;
    }
  for (size_t i = 0; i < n && r == 0; i++)
    {
      const char *holder;
      if (ports[i].host_port == 0)
        continue;
      /* what a crashed container left is released at the next attach */
      holder = port_holder (&u, ports, i, &ports[i], alive, alive_data, &stale);
      /* its own endpoint, while it runs, holds its ports rightly */
      if (holder && strcmp (holder, id) != 0)
        r = mr_error_errno (err, EADDRINUSE,
                            "port %s%s%u/%s is taken by %s: publish another host port",
                            ports[i].host_ip, ports[i].host_ip[0] ? ":" : "", ports[i].host_port,
                            ports[i].proto, holder);
    }
  port_users_clear (&u);
  return r;
}

/* --- /etc/hosts of the containers of a network ----------------------- */

static int
hosts_write (const struct mr_endpoint *self, const struct mr_endpoint *eps, size_t n,
             struct mr_error *err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  char ip[16];
  int r;

  if (f == NULL)
    return mr_error_errno (err, errno, "hosts of '%s'", self->id);
  fputs ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n", f);
  for (size_t i = 0; i < n; i++)
    {
      const struct mr_endpoint *e = &eps[i];
      mr_ip_format (e->ip, ip, sizeof ip);
      if (strcmp (e->hostname, e->id) == 0 || e->hostname[0] == '\0')
        fprintf (f, "%s\t%s\n", ip, e->id);
      else
        fprintf (f, "%s\t%s %s\n", ip, e->hostname, e->id);
    }
  if (fclose (f) != 0)
    return mr_error_errno (err, ENOMEM, "hosts of '%s'", self->id);
  /* in place: the container sees the file through a bind mount, which a
   * rename would leave on the old one */
  r = mr_write_file (self->hosts_path, buf, len, err);
  return r < 0 ? mr_error_prefix (err, "update '%s'", self->hosts_path) : 0;
}

/* Every container of the network learns every other's name: eps, then
 * self when it is not NULL.  */
static void
hosts_update (const struct mr_endpoint *eps, size_t n, const struct mr_endpoint *self)
{
  cleanup_free struct mr_endpoint *all = calloc (n + 1, sizeof *all);

  if (all == NULL)
    return;
  memcpy (all, eps, n * sizeof *eps);
  if (self)
    all[n++] = *self;
  for (size_t i = 0; i < n; i++)
    if (all[i].hosts_path[0] && access (all[i].hosts_path, W_OK) == 0)
      hosts_write (&all[i], all, n, NULL);
}

/* Docker and Podman give names on the networks a user makes only: on the
 * default one, where every container lands, a start would rewrite the
 * /etc/hosts of all the others.  There a container knows its own name.  */
static bool
names_on (const char *network)
{
  return strcmp (network, MR_NET_DEFAULT) != 0;
}

/* --- attach and detach ------------------------------------------------ */

int
mr_net_find (const char *data_dir, const char *id, char **network, struct mr_endpoint *out,
             struct mr_error *err)
{
  cleanup_strv char **names = NULL;

  if (mr_network_names (data_dir, &names, err) < 0)
    return -1;
  for (char **p = names; *p; p++)
    if (mr_endpoint_load (data_dir, *p, id, out, NULL) == 0)
      {
        *network = strdup (*p);
        if (*network == NULL)
          {
            mr_endpoint_clear (out);
            return mr_error_errno (err, ENOMEM, "network of '%s'", id);
          }
        return 0;
      }
  return mr_error_errno (err, ENOENT, "container '%s' is on no network", id);
}

/* Removes what one endpoint made, its record last; the lock is held.  */
static int
endpoint_undo (const char *data_dir, const char *run_dir, const struct mr_network *net,
               const char *id, const char *veth, struct mr_error *err)
{
  cleanup_free char *path = NULL;
  int r = 0;

  if (mr_link_delete (veth, err) < 0)
    r = -1;
  if (mr_net_netns_path (run_dir, id, &path, r < 0 ? NULL : err) == 0)
    netns_remove (path);
  if (mr_ipam_release (data_dir, net->name, id, r < 0 ? NULL : err) < 0)
    r = -1;
  /* as netavark does: a bridge lives while a container uses it */
  if (!mr_endpoints_any (data_dir, net->name)
      && mr_link_delete (net->bridge, r < 0 ? NULL : err) < 0)
    r = -1;
  return r;
}

static void
endpoints_free (struct mr_endpoint *eps, size_t n)
{
  for (size_t i = 0; i < n; i++)
    mr_endpoint_clear (&eps[i]);
  free (eps);
}

/* Releases the endpoints of net whose containers are gone, with their
 * links and namespaces, and req->id's own from a run that did not detach;
 * thorough asks req->alive, else req->exists.  The others stay in *eps.  */
static int
reconcile_network (const char *data_dir, const char *run_dir, const struct mr_network *net,
                   const struct mr_net_request *req, bool thorough, struct mr_endpoint **eps,
                   size_t *n, bool *rules_stale, struct mr_error *err)
{
  mr_endpoint_alive_fn test = thorough ? req->alive : req->exists;
  size_t k = 0;

  *eps = NULL;
  *n = 0;
  if (mr_endpoints_list (data_dir, net->name, eps, n, err) < 0)
    return -1;
  for (size_t i = 0; i < *n; i++)
    {
      struct mr_endpoint *e = &(*eps)[i];
      if (strcmp (e->id, req->id) == 0 || (test && !test (e->id, req->alive_data)))
        {
          endpoint_undo (data_dir, run_dir, net, e->id, e->veth, NULL);
          *rules_stale |= e->n_ports > 0;
          mr_endpoint_clear (e);
        }
      else
        (*eps)[k++] = *e;
    }
  *n = k;
  return 0;
}

/* Every network's stale endpoints, thoroughly: after a reboot, or when a
 * port an endpoint names is asked for.  */
static void
reconcile_all (const char *data_dir, const char *run_dir, const struct mr_net_request *req,
               bool *rules_stale)
{
  cleanup_strv char **names = NULL;

  if (req->alive == NULL || mr_network_names (data_dir, &names, NULL) < 0)
    return;
  for (char **p = names; *p; p++)
    {
      struct mr_network net;
      struct mr_endpoint *eps = NULL;
      size_t n = 0;

      if (mr_network_load (data_dir, *p, &net, NULL) == 0
          && reconcile_network (data_dir, run_dir, &net, req, true, &eps, &n, rules_stale,
                                NULL)
                 == 0)
        endpoints_free (eps, n);
    }
}

/* Ports and an address for out, with the stale endpoints in their way
 * released (*rules_stale when one had ports); *peers: the other endpoints
 * of net.  */
static int
endpoint_plan (const char *data_dir, const char *run_dir, const struct mr_network *net,
               const struct mr_net_request *req, struct mr_endpoint *out,
               struct mr_endpoint **peers, size_t *n, bool *rules_stale, struct mr_error *err)
{
  struct mr_error first = { 0 };
  bool stale = false;

  if (reconcile_network (data_dir, run_dir, net, req, false, peers, n, rules_stale, err) < 0
      || ports_assign (data_dir, req, out, &stale, err) < 0)
    return -1;
  if (stale)
    {
      /* the dead endpoint's rule must go before this one's is loaded */
      endpoints_free (*peers, *n);
      reconcile_all (data_dir, run_dir, req, rules_stale);
      if (reconcile_network (data_dir, run_dir, net, req, false, peers, n, rules_stale, err) < 0)
        return -1;
    }
  if (mr_ipam_allocate_among (data_dir, net, *peers, *n, out, &first) == 0)
    return 0;
  if (first.errnum != ENOSPC || req->alive == NULL)
    {
      if (err)
        *err = first;
      return -1;
    }
  /* full: the stopped containers that did not give theirs back, first */
  endpoints_free (*peers, *n);
  if (reconcile_network (data_dir, run_dir, net, req, true, peers, n, rules_stale, err) < 0)
    return -1;
  return mr_ipam_allocate_among (data_dir, net, *peers, *n, out, err);
}

int
mr_net_attach (const char *data_dir, const char *run_dir, const struct mr_net_request *req,
               struct mr_endpoint *out, bool *forwarding_turned_on, struct mr_error *err)
{
  cleanup_close int lock = -1;
  cleanup_close int nsfd = -1;
  cleanup_free char *path = NULL;
  struct mr_endpoint *peers = NULL;
  size_t n_peers = 0;
  struct mr_network net;
  struct mr_error e = { 0 };
  const char *name = req->network ? req->network : MR_NET_DEFAULT;
  bool synced, rules_stale = false;

  memset (out, 0, sizeof *out);
  *forwarding_turned_on = false;
  lock = mr_net_lock (data_dir, err);
  if (lock < 0)
    return -1;
  if (network_get (data_dir, name, &net, err) < 0)
    return -1;
  synced = mr_nft_synced_this_boot (data_dir);
  if (!synced)
    reconcile_all (data_dir, run_dir, req, &rules_stale);
  snprintf (out->id, sizeof out->id, "%s", req->id);
  snprintf (out->hostname, sizeof out->hostname, "%s", req->hostname ? req->hostname : "");
  snprintf (out->hosts_path, sizeof out->hosts_path, "%s",
            req->hosts_path ? req->hosts_path : "");
  mr_net_link_name ("mrv", data_dir, req->id, out->veth, sizeof out->veth);
  if (endpoint_plan (data_dir, run_dir, &net, req, out, &peers, &n_peers, &rules_stale, err) < 0)
    goto fail;
  if (mr_link_bridge_ensure (net.bridge, net.gateway, net.subnet.prefix, err) < 0
      || mr_net_netns_path (run_dir, req->id, &path, err) < 0
      || netns_make (run_dir, path, err) < 0)
    goto undo;
  nsfd = open (path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0)
    {
      mr_error_errno (err, errno, "open the network namespace '%s'", path);
      goto undo;
    }
  if (mr_link_veth_attach (out->veth, net.bridge, nsfd, out->ip, net.subnet.prefix, net.gateway,
                           0, err)
      < 0)
    goto undo;
  /* the rules name networks and ports, not endpoints */
  if ((out->n_ports > 0 || n_peers == 0 || !synced || rules_stale)
      && mr_nft_sync (data_dir, forwarding_turned_on, err) < 0)
    goto undo;
  hosts_update (peers, names_on (net.name) ? n_peers : 0, out);
  endpoints_free (peers, n_peers);
  return 0;
undo:
  endpoint_undo (data_dir, run_dir, &net, req->id, out->veth, NULL);
  mr_nft_sync (data_dir, &(bool){ false }, &e);
fail:
  endpoints_free (peers, n_peers);
  mr_endpoint_clear (out);
  return mr_error_prefix (err, "network '%s' of '%s'", name, req->id);
}

int
mr_net_detach (const char *data_dir, const char *run_dir, const char *network, const char *id,
               struct mr_error *err)
{
  cleanup_close int lock = -1;
  cleanup_free char *found = NULL;
  cleanup_free char *path = NULL;
  struct mr_endpoint ep = { 0 };
  struct mr_endpoint *peers = NULL;
  size_t n_peers = 0;
  struct mr_network net;
  char veth[16];
  bool fwd, had = false;
  int r;

  lock = mr_net_lock (data_dir, err);
  if (lock < 0)
    return -1;
  mr_net_link_name ("mrv", data_dir, id, veth, sizeof veth);
  if (network == NULL)
    {
      if (mr_net_find (data_dir, id, &found, &ep, NULL) < 0)
        {
          /* no record: what a crash may have left of it */
          mr_link_delete (veth, NULL);
          if (mr_net_netns_path (run_dir, id, &path, NULL) == 0)
            netns_remove (path);
          return 0;
        }
      network = found;
      had = true;
    }
  else
    had = mr_endpoint_load (data_dir, network, id, &ep, NULL) == 0;
  if (mr_network_load (data_dir, network, &net, err) < 0)
    {
      mr_endpoint_clear (&ep);
      return -1;
    }
  r = endpoint_undo (data_dir, run_dir, &net, id, veth, err);
  /* without ports, and with the network still in use, the rules stay as
   * they are */
  if ((!had || ep.n_ports > 0 || !mr_endpoints_any (data_dir, net.name)
       || !mr_nft_synced_this_boot (data_dir))
      && mr_nft_sync (data_dir, &fwd, r < 0 ? NULL : err) < 0)
    r = -1;
  if (names_on (net.name) && mr_endpoints_list (data_dir, net.name, &peers, &n_peers, NULL) == 0)
    {
      hosts_update (peers, n_peers, NULL);
      endpoints_free (peers, n_peers);
    }
  mr_endpoint_clear (&ep);
  return r;
}
