#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "net/net.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

#ifdef MR_NETLINK_DLOPEN
/* In the shared library libnl-3 and libnl-route-3 are opened on the first
 * netlink call, not linked: they would be mapped, relocated and resident
 * (some 600 KiB) in every verb, including the ones that never touch a
 * network.  The static monitor and the server link them.  */
#include <dlfcn.h>

static struct
{
  typeof (&nl_addr_build) nl_addr_build;
  typeof (&nl_addr_get_binary_addr) nl_addr_get_binary_addr;
  typeof (&nl_addr_get_family) nl_addr_get_family;
  typeof (&nl_addr_get_len) nl_addr_get_len;
  typeof (&nl_addr_get_prefixlen) nl_addr_get_prefixlen;
  typeof (&nl_addr_put) nl_addr_put;
  typeof (&nl_addr_set_prefixlen) nl_addr_set_prefixlen;
  typeof (&nl_cache_free) nl_cache_free;
  typeof (&nl_cache_get_first) nl_cache_get_first;
  typeof (&nl_cache_get_next) nl_cache_get_next;
  typeof (&nl_connect) nl_connect;
  typeof (&nl_geterror) nl_geterror;
  typeof (&nl_socket_alloc) nl_socket_alloc;
  typeof (&nl_socket_free) nl_socket_free;
  typeof (&rtnl_addr_add) rtnl_addr_add;
  typeof (&rtnl_addr_alloc) rtnl_addr_alloc;
  typeof (&rtnl_addr_put) rtnl_addr_put;
  typeof (&rtnl_addr_set_ifindex) rtnl_addr_set_ifindex;
  typeof (&rtnl_addr_set_local) rtnl_addr_set_local;
  typeof (&rtnl_link_add) rtnl_link_add;
  typeof (&rtnl_link_alloc) rtnl_link_alloc;
  typeof (&rtnl_link_bridge_alloc) rtnl_link_bridge_alloc;
  typeof (&rtnl_link_change) rtnl_link_change;
  typeof (&rtnl_link_delete) rtnl_link_delete;
  typeof (&rtnl_link_get_ifindex) rtnl_link_get_ifindex;
  typeof (&rtnl_link_get_kernel) rtnl_link_get_kernel;
  typeof (&rtnl_link_put) rtnl_link_put;
  typeof (&rtnl_link_set_flags) rtnl_link_set_flags;
  typeof (&rtnl_link_set_master) rtnl_link_set_master;
  typeof (&rtnl_link_set_mtu) rtnl_link_set_mtu;
  typeof (&rtnl_link_set_name) rtnl_link_set_name;
  typeof (&rtnl_link_set_ns_fd) rtnl_link_set_ns_fd;
  typeof (&rtnl_link_veth_alloc) rtnl_link_veth_alloc;
  typeof (&rtnl_link_veth_get_peer) rtnl_link_veth_get_peer;
  typeof (&rtnl_route_add) rtnl_route_add;
  typeof (&rtnl_route_add_nexthop) rtnl_route_add_nexthop;
  typeof (&rtnl_route_alloc) rtnl_route_alloc;
  typeof (&rtnl_route_alloc_cache) rtnl_route_alloc_cache;
  typeof (&rtnl_route_get_dst) rtnl_route_get_dst;
  typeof (&rtnl_route_nexthop_n) rtnl_route_nexthop_n;
  typeof (&rtnl_route_nh_alloc) rtnl_route_nh_alloc;
  typeof (&rtnl_route_nh_free) rtnl_route_nh_free;
  typeof (&rtnl_route_nh_get_ifindex) rtnl_route_nh_get_ifindex;
  typeof (&rtnl_route_nh_set_gateway) rtnl_route_nh_set_gateway;
  typeof (&rtnl_route_nh_set_ifindex) rtnl_route_nh_set_ifindex;
  typeof (&rtnl_route_put) rtnl_route_put;
  typeof (&rtnl_route_set_dst) rtnl_route_set_dst;
  typeof (&rtnl_route_set_scope) rtnl_route_set_scope;
} nl;

struct nl_sym
{
  const char *name;
  size_t offset;
};
#define NL_SYM(f) { #f, offsetof (typeof (nl), f) }

static const struct nl_sym nl_syms[] = {
  NL_SYM (nl_addr_build),
  NL_SYM (nl_addr_get_binary_addr),
  NL_SYM (nl_addr_get_family),
  NL_SYM (nl_addr_get_len),
  NL_SYM (nl_addr_get_prefixlen),
  NL_SYM (nl_addr_put),
  NL_SYM (nl_addr_set_prefixlen),
  NL_SYM (nl_cache_free),
  NL_SYM (nl_cache_get_first),
  NL_SYM (nl_cache_get_next),
  NL_SYM (nl_connect),
  NL_SYM (nl_geterror),
  NL_SYM (nl_socket_alloc),
  NL_SYM (nl_socket_free),
  NL_SYM (rtnl_addr_add),
  NL_SYM (rtnl_addr_alloc),
  NL_SYM (rtnl_addr_put),
  NL_SYM (rtnl_addr_set_ifindex),
  NL_SYM (rtnl_addr_set_local),
  NL_SYM (rtnl_link_add),
  NL_SYM (rtnl_link_alloc),
  NL_SYM (rtnl_link_bridge_alloc),
  NL_SYM (rtnl_link_change),
  NL_SYM (rtnl_link_delete),
  NL_SYM (rtnl_link_get_ifindex),
  NL_SYM (rtnl_link_get_kernel),
  NL_SYM (rtnl_link_put),
  NL_SYM (rtnl_link_set_flags),
  NL_SYM (rtnl_link_set_master),
  NL_SYM (rtnl_link_set_mtu),
  NL_SYM (rtnl_link_set_name),
  NL_SYM (rtnl_link_set_ns_fd),
  NL_SYM (rtnl_link_veth_alloc),
  NL_SYM (rtnl_link_veth_get_peer),
  NL_SYM (rtnl_route_add),
  NL_SYM (rtnl_route_add_nexthop),
  NL_SYM (rtnl_route_alloc),
  NL_SYM (rtnl_route_alloc_cache),
  NL_SYM (rtnl_route_get_dst),
  NL_SYM (rtnl_route_nexthop_n),
  NL_SYM (rtnl_route_nh_alloc),
  NL_SYM (rtnl_route_nh_free),
  NL_SYM (rtnl_route_nh_get_ifindex),
  NL_SYM (rtnl_route_nh_set_gateway),
  NL_SYM (rtnl_route_nh_set_ifindex),
  NL_SYM (rtnl_route_put),
  NL_SYM (rtnl_route_set_dst),
  NL_SYM (rtnl_route_set_scope),
};

static int
nl_load (struct mr_error *err)
{
  static const char *const libs[] = { "libnl-3.so.200", "libnl-route-3.so.200" };
  static bool loaded;
  void *h[2];

  if (loaded)
    return 0;
  for (size_t i = 0; i < 2; i++)
    {
      /* global: libnl-route's own references to libnl-3 resolve to it */
      h[i] = dlopen (libs[i], RTLD_NOW | RTLD_GLOBAL);
      if (h[i] == NULL)
        return mr_error_set (err, "netlink: %s (install libnl-3-200 and libnl-route-3-200)",
                             dlerror ());
    }
  for (size_t i = 0; i < sizeof nl_syms / sizeof *nl_syms; i++)
    {
      void *f = dlsym (h[0], nl_syms[i].name);
      if (f == NULL)
        f = dlsym (h[1], nl_syms[i].name);
      if (f == NULL)
        return mr_error_set (err, "netlink: libnl lacks %s (install libnl-3 3.2 or later)",
                             nl_syms[i].name);
      memcpy ((char *)&nl + nl_syms[i].offset, &f, sizeof f);
    }
  /* never closed, as libnftables: libraries with destructors stay mapped */
  loaded = true;
  return 0;
}

#define nl_addr_build (nl.nl_addr_build)
#define nl_addr_get_binary_addr (nl.nl_addr_get_binary_addr)
#define nl_addr_get_family (nl.nl_addr_get_family)
#define nl_addr_get_len (nl.nl_addr_get_len)
#define nl_addr_get_prefixlen (nl.nl_addr_get_prefixlen)
#define nl_addr_put (nl.nl_addr_put)
#define nl_addr_set_prefixlen (nl.nl_addr_set_prefixlen)
#define nl_cache_free (nl.nl_cache_free)
#define nl_cache_get_first (nl.nl_cache_get_first)
#define nl_cache_get_next (nl.nl_cache_get_next)
#define nl_connect (nl.nl_connect)
#define nl_geterror (nl.nl_geterror)
#define nl_socket_alloc (nl.nl_socket_alloc)
#define nl_socket_free (nl.nl_socket_free)
#define rtnl_addr_add (nl.rtnl_addr_add)
#define rtnl_addr_alloc (nl.rtnl_addr_alloc)
#define rtnl_addr_put (nl.rtnl_addr_put)
#define rtnl_addr_set_ifindex (nl.rtnl_addr_set_ifindex)
#define rtnl_addr_set_local (nl.rtnl_addr_set_local)
#define rtnl_link_add (nl.rtnl_link_add)
#define rtnl_link_alloc (nl.rtnl_link_alloc)
#define rtnl_link_bridge_alloc (nl.rtnl_link_bridge_alloc)
#define rtnl_link_change (nl.rtnl_link_change)
#define rtnl_link_delete (nl.rtnl_link_delete)
#define rtnl_link_get_ifindex (nl.rtnl_link_get_ifindex)
#define rtnl_link_get_kernel (nl.rtnl_link_get_kernel)
#define rtnl_link_put (nl.rtnl_link_put)
#define rtnl_link_set_flags (nl.rtnl_link_set_flags)
#define rtnl_link_set_master (nl.rtnl_link_set_master)
#define rtnl_link_set_mtu (nl.rtnl_link_set_mtu)
#define rtnl_link_set_name (nl.rtnl_link_set_name)
#define rtnl_link_set_ns_fd (nl.rtnl_link_set_ns_fd)
#define rtnl_link_veth_alloc (nl.rtnl_link_veth_alloc)
#define rtnl_link_veth_get_peer (nl.rtnl_link_veth_get_peer)
#define rtnl_route_add (nl.rtnl_route_add)
#define rtnl_route_add_nexthop (nl.rtnl_route_add_nexthop)
#define rtnl_route_alloc (nl.rtnl_route_alloc)
#define rtnl_route_alloc_cache (nl.rtnl_route_alloc_cache)
#define rtnl_route_get_dst (nl.rtnl_route_get_dst)
#define rtnl_route_nexthop_n (nl.rtnl_route_nexthop_n)
#define rtnl_route_nh_alloc (nl.rtnl_route_nh_alloc)
#define rtnl_route_nh_free (nl.rtnl_route_nh_free)
#define rtnl_route_nh_get_ifindex (nl.rtnl_route_nh_get_ifindex)
#define rtnl_route_nh_set_gateway (nl.rtnl_route_nh_set_gateway)
#define rtnl_route_nh_set_ifindex (nl.rtnl_route_nh_set_ifindex)
#define rtnl_route_put (nl.rtnl_route_put)
#define rtnl_route_set_dst (nl.rtnl_route_set_dst)
#define rtnl_route_set_scope (nl.rtnl_route_set_scope)
#else
static int
nl_load (struct mr_error *err)
{
  (void)err;
  return 0;
}
#endif

static void
cleanup_sockp (struct nl_sock **s)
{
  if (*s)
    nl_socket_free (*s);
}
static void
cleanup_linkp (struct rtnl_link **l)
{
  if (*l)
    rtnl_link_put (*l);
}
static void
cleanup_nladdrp (struct nl_addr **a)
{
  if (*a)
    nl_addr_put (*a);
}
#define cleanup_sock __attribute__ ((cleanup (cleanup_sockp)))
#define cleanup_link __attribute__ ((cleanup (cleanup_linkp)))
#define cleanup_nladdr __attribute__ ((cleanup (cleanup_nladdrp)))

/* libnl returns its own error codes, negative; nl_geterror names them.  */
static int __attribute__ ((format (printf, 4, 5)))
nl_fail (struct mr_error *err, int r, const char *hint, const char *fmt, ...)
{
  char what[256];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (what, sizeof what, fmt, ap);
  va_end (ap);
  return mr_error_set (err, "%s: %s (%s)", what, nl_geterror (r), hint);
}

/* Every netlink call of this file comes after this one.  */
static struct nl_sock *
route_sock (struct mr_error *err)
{
  struct nl_sock *sk;
  int r;

  if (nl_load (err) < 0)
    return NULL;
  sk = nl_socket_alloc ();
  if (sk == NULL)
    {
      mr_error_errno (err, ENOMEM, "netlink socket");
      return NULL;
    }
  r = nl_connect (sk, NETLINK_ROUTE);
  if (r < 0)
    {
      nl_socket_free (sk);
      nl_fail (err, r, "minirun needs CAP_NET_ADMIN to make networks",
               "open a netlink route socket");
      return NULL;
    }
  return sk;
}

static int
link_up (struct nl_sock *sk, const char *name, struct mr_error *err)
{
  cleanup_link struct rtnl_link *l = NULL;
  cleanup_link struct rtnl_link *change = rtnl_link_alloc ();
  int r;

  if (change == NULL)
    return mr_error_errno (err, ENOMEM, "link '%s'", name);
  r = rtnl_link_get_kernel (sk, 0, name, &l);
  if (r < 0)
    return nl_fail (err, r, "it went away while being set up", "find link '%s'", name);
  rtnl_link_set_flags (change, IFF_UP);
  r = rtnl_link_change (sk, l, change, 0);
  if (r < 0)
    return nl_fail (err, r, "check 'ip link show' for it", "set link '%s' up", name);
  return 0;
}

static int
addr_add (struct nl_sock *sk, const char *dev, uint32_t ip, unsigned prefix, struct mr_error *err)
{
  struct rtnl_addr *a = rtnl_addr_alloc ();
  cleanup_nladdr struct nl_addr *local = NULL;
  cleanup_link struct rtnl_link *l = NULL;
  uint32_t be = htonl (ip);
  char txt[16];
  int r;

  mr_ip_format (ip, txt, sizeof txt);
  if (a == NULL || (local = nl_addr_build (AF_INET, &be, 4)) == NULL)
    {
      if (a)
        rtnl_addr_put (a);
      return mr_error_errno (err, ENOMEM, "address %s", txt);
    }
  r = rtnl_link_get_kernel (sk, 0, dev, &l);
  if (r < 0)
    {
      rtnl_addr_put (a);
      return nl_fail (err, r, "it went away while being set up", "find link '%s'", dev);
    }
  nl_addr_set_prefixlen (local, (int)prefix);
  rtnl_addr_set_ifindex (a, rtnl_link_get_ifindex (l));
  rtnl_addr_set_local (a, local);
  r = rtnl_addr_add (sk, a, 0);
  rtnl_addr_put (a);
  if (r < 0 && r != -NLE_EXIST)
    return nl_fail (err, r, "check 'ip addr show' for a clash", "add address %s/%u to '%s'", txt,
                    prefix, dev);
  return 0;
}

bool
mr_link_exists (const char *name)
{
  return if_nametoindex (name) != 0;
}

int
mr_link_bridge_ensure (const char *name, uint32_t gw, unsigned prefix, struct mr_error *err)
{
  cleanup_sock struct nl_sock *sk = route_sock (err);
  cleanup_link struct rtnl_link *br = NULL;
  cleanup_free char *localnet = NULL;
  int r;

  if (sk == NULL)
    return -1;
  if (!mr_link_exists (name))
    {
      br = rtnl_link_bridge_alloc ();
      if (br == NULL)
        return mr_error_errno (err, ENOMEM, "bridge '%s'", name);
      rtnl_link_set_name (br, name);
      r = rtnl_link_add (sk, br, NLM_F_CREATE | NLM_F_EXCL);
      if (r < 0 && r != -NLE_EXIST)
        return nl_fail (err, r, "is the bridge module available? see 'modprobe bridge'",
                        "create bridge '%s'", name);
    }
  if (addr_add (sk, name, gw, prefix, err) < 0 || link_up (sk, name, err) < 0)
    return -1;
  /* DNAT of 127.0.0.1 to a container routes loopback-sourced packets out of
   * the bridge, which the kernel drops as martians unless this is set */
  if (mr_asprintf (err, &localnet, "/proc/sys/net/ipv4/conf/%s/route_localnet", name) < 0)
    return -1;
  return mr_write_file (localnet, "1", 1, err);
}

int
mr_link_delete (const char *name, struct mr_error *err)
{
  cleanup_sock struct nl_sock *sk = NULL;
  cleanup_link struct rtnl_link *l = NULL;
  int r;

  if (!mr_link_exists (name))
    return 0;
  sk = route_sock (err);
  if (sk == NULL)
    return -1;
  l = rtnl_link_alloc ();
  if (l == NULL)
    return mr_error_errno (err, ENOMEM, "link '%s'", name);
  rtnl_link_set_name (l, name);
  r = rtnl_link_delete (sk, l);
  if (r < 0 && r != -NLE_NODEV && r != -NLE_OBJ_NOTFOUND)
    return nl_fail (err, r, "remove it with 'ip link del'", "delete link '%s'", name);
  return 0;
}

int
mr_link_route_overlaps (const struct mr_subnet *s, bool *overlaps, struct mr_error *err)
{
  return mr_link_route_overlapping (s, overlaps, NULL, NULL, 0, err);
}

int
mr_link_route_overlapping (const struct mr_subnet *s, bool *overlaps, struct mr_subnet *route,
                           char *dev, size_t dev_len, struct mr_error *err)
{
  cleanup_sock struct nl_sock *sk = route_sock (err);
  struct nl_cache *cache = NULL;
  int r;

  *overlaps = false;
  if (dev && dev_len)
    dev[0] = '\0';
  if (sk == NULL)
    return -1;
  r = rtnl_route_alloc_cache (sk, AF_INET, 0, &cache);
  if (r < 0)
    return nl_fail (err, r, "check 'ip route show table all'", "read the host's routes");
  for (struct nl_object *o = nl_cache_get_first (cache); o && !*overlaps;
       o = nl_cache_get_next (o))
    {
      struct nl_addr *dst = rtnl_route_get_dst ((struct rtnl_route *)o);
      struct mr_subnet rs;
      uint32_t be;

      if (dst == NULL || nl_addr_get_family (dst) != AF_INET || nl_addr_get_prefixlen (dst) == 0
          || nl_addr_get_len (dst) != 4)
        continue;
      memcpy (&be, nl_addr_get_binary_addr (dst), 4);
      rs.prefix = (unsigned)nl_addr_get_prefixlen (dst);
      rs.addr = ntohl (be) & (rs.prefix ? 0xffffffffu << (32 - rs.prefix) : 0);
      *overlaps = mr_subnet_overlaps (s, &rs);
      if (*overlaps && route)
        *route = rs;
      if (*overlaps && dev && dev_len)
        {
          struct rtnl_nexthop *nh = rtnl_route_nexthop_n ((struct rtnl_route *)o, 0);
          char name[IF_NAMESIZE];
          if (nh && if_indextoname ((unsigned)rtnl_route_nh_get_ifindex (nh), name))
            snprintf (dev, dev_len, "%s", name);
        }
    }
  nl_cache_free (cache);
  return 0;
}

/* A route socket in the network namespace netns_fd: the namespace a socket
 * lives in is fixed when it is made, so the thread enters it only for
 * that.  */
static struct nl_sock *
route_sock_in (int netns_fd, struct mr_error *err)
{
  cleanup_close int self = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  struct nl_sock *sk;

  if (self < 0)
    {
      mr_error_errno (err, errno, "open this thread's network namespace");
      return NULL;
    }
  if (setns (netns_fd, CLONE_NEWNET) < 0)
    {
      mr_error_errno (err, errno, "enter the container's network namespace");
      return NULL;
    }
  sk = route_sock (err);
  if (setns (self, CLONE_NEWNET) < 0)
    abort (); /* this thread would go on in the container's namespace */
  return sk;
}

static int
default_route (struct nl_sock *sk, const char *dev, uint32_t gw, struct mr_error *err)
{
  struct rtnl_route *rt = rtnl_route_alloc ();
  struct rtnl_nexthop *nh = rtnl_route_nh_alloc ();
  cleanup_nladdr struct nl_addr *dst = NULL, *via = NULL;
  cleanup_link struct rtnl_link *l = NULL;
  uint32_t be = htonl (gw), zero = 0;
  int r;

  if (rt == NULL || nh == NULL || (dst = nl_addr_build (AF_INET, &zero, 4)) == NULL
      || (via = nl_addr_build (AF_INET, &be, 4)) == NULL)
    {
      if (nh)
        rtnl_route_nh_free (nh);
      if (rt)
        rtnl_route_put (rt);
      return mr_error_errno (err, ENOMEM, "default route");
    }
  nl_addr_set_prefixlen (dst, 0);
  r = rtnl_link_get_kernel (sk, 0, dev, &l);
  if (r == 0)
    {
      rtnl_route_nh_set_ifindex (nh, rtnl_link_get_ifindex (l));
      rtnl_route_nh_set_gateway (nh, via);
      rtnl_route_add_nexthop (rt, nh);
      rtnl_route_set_dst (rt, dst);
      rtnl_route_set_scope (rt, RT_SCOPE_UNIVERSE);
      r = rtnl_route_add (sk, rt, NLM_F_CREATE | NLM_F_EXCL);
    }
  else
    rtnl_route_nh_free (nh);
  rtnl_route_put (rt);
  if (r < 0 && r != -NLE_EXIST)
    return nl_fail (err, r, "the gateway must be inside the subnet",
                    "add the default route of '%s'", dev);
  return 0;
}

static int
veth_create (struct nl_sock *sk, const char *host_name, const char *bridge, int netns_fd,
             unsigned mtu, struct mr_error *err)
{
  cleanup_link struct rtnl_link *veth = rtnl_link_veth_alloc ();
  cleanup_link struct rtnl_link *peer = NULL;
  unsigned br = if_nametoindex (bridge);
  int r;

  if (veth == NULL)
    return mr_error_errno (err, ENOMEM, "veth '%s'", host_name);
  if (br == 0)
    return mr_error_errno (err, ENODEV,
                           "bridge '%s' went away while the container started (did something "
                           "outside minirun delete it?): start the container again, which "
                           "makes the bridge",
                           bridge);
  peer = rtnl_link_veth_get_peer (veth);
  rtnl_link_set_name (veth, host_name);
  rtnl_link_set_master (veth, (int)br);
  rtnl_link_set_name (peer, "eth0");
  rtnl_link_set_ns_fd (peer, netns_fd);
  if (mtu)
    {
      rtnl_link_set_mtu (veth, mtu);
      rtnl_link_set_mtu (peer, mtu);
    }
  r = rtnl_link_add (sk, veth, NLM_F_CREATE | NLM_F_EXCL);
  if (r < 0)
    return nl_fail (err, r,
                    r == -NLE_EXIST ? "a link of that name is left over: delete it with 'ip link del'"
                                    : "check 'ip link show'",
                    "create veth '%s'", host_name);
  return 0;
}

int
mr_link_veth_attach (const char *host_name, const char *bridge, int netns_fd, uint32_t ip,
                     unsigned prefix, uint32_t gw, unsigned mtu, struct mr_error *err)
{
  cleanup_sock struct nl_sock *sk = route_sock (err);
  cleanup_sock struct nl_sock *in = NULL;

  if (sk == NULL)
    return -1;
  if (veth_create (sk, host_name, bridge, netns_fd, mtu, err) < 0)
    return -1;
  if (link_up (sk, host_name, err) < 0 || (in = route_sock_in (netns_fd, err)) == NULL
      || link_up (in, "lo", err) < 0 || addr_add (in, "eth0", ip, prefix, err) < 0
      || link_up (in, "eth0", err) < 0 || (gw && default_route (in, "eth0", gw, err) < 0))
    {
      /* the peer goes with the host side */
      mr_link_delete (host_name, NULL);
      return -1;
    }
  return 0;
}
