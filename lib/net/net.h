/* Container networking: subnets and published ports (addr.c), address
 * allocation and the records of networks and endpoints (ipam.c), links,
 * addresses and routes through libnl-3 (link.c), NAT through libnftables
 * (nft.c), and what ties them together for a container (network.c).
 *
 * On disk, under the data directory:
 *   networks/lock                    flock: every change to any network
 *   networks/NAME/network.json       {name, bridge, subnet, gateway, internal}
 *   networks/NAME/endpoints/ID.json  {id, ip, veth, ports: [...]}
 * The endpoint files are the allocation: an address is taken while a file
 * names it, and the nftables table is rebuilt from these files alone.  */
#ifndef MR_NET_H
#define MR_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "minirun.h"

/* A published port.  */
struct mr_port_mapping
{
  char host_ip[16];   /* "": every address of the host */
  uint16_t host_port; /* 0 in a request: a free one of the automatic range */
  uint16_t container_port;
  char proto[4]; /* "tcp" or "udp" */
};

/* --- addr.c: pure parsing, no system calls ------------------------------ */

struct mr_subnet
{
  uint32_t addr; /* host order, host bits zero */
  unsigned prefix;
};

/* "10.77.0.0/24": host bits must be zero; prefixes 8 to 30.  */
int mr_subnet_parse (const char *s, struct mr_subnet *out, struct mr_error *err);
void mr_subnet_format (const struct mr_subnet *s, char *buf, size_t len);
bool mr_subnet_overlaps (const struct mr_subnet *a, const struct mr_subnet *b);
bool mr_subnet_contains (const struct mr_subnet *s, uint32_t ip);
/* The broadcast address of s, host order.  */
uint32_t mr_subnet_last (const struct mr_subnet *s);
/* "10.77.0.2" to host order.  */
int mr_ip_parse (const char *s, uint32_t *out);
void mr_ip_format (uint32_t ip, char *buf, size_t len);

/* Docker's -p: HOSTPORT:CTRPORT[/tcp|/udp], IP:HOSTPORT:CTRPORT, IP::CTRPORT
 * or CTRPORT (host_port 0: an automatic one).  */
int mr_port_parse (const char *spec, struct mr_port_mapping *out, struct mr_error *err);


/* --- ipam.c -------------------------------------------------------------- */

struct mr_network
{
  char name[129];
  char bridge[16];
  struct mr_subnet subnet;
  uint32_t gateway;
  bool internal;
  char created[40];
};

struct mr_endpoint
{
  char id[129];
  uint32_t ip;
  char veth[16];
  char hostname[65];
  char hosts_path[4096]; /* the container's /etc/hosts on the host; "": none */
  struct mr_port_mapping *ports;
  size_t n_ports;
};

/* Takes networks/lock of data_dir (made when missing); returns the fd, which
 * releases the lock when closed.  */
int mr_net_lock (const char *data_dir, struct mr_error *err);

int mr_network_load (const char *data_dir, const char *name, struct mr_network *out,
                     struct mr_error *err);
/* Writes network.json and an empty endpoints/; EEXIST when it is there.  */
int mr_network_store (const char *data_dir, const struct mr_network *net, struct mr_error *err);
/* Removes the network's directory; endpoints must be gone.  */
int mr_network_unstore (const char *data_dir, const char *name, struct mr_error *err);
/* Every network's name (NULL-terminated, sorted; caller frees with strv).  */
int mr_network_names (const char *data_dir, char ***out, struct mr_error *err);

/* The first free address of net (the gateway never); ENOSPC when full.  The
 * endpoint file of id is written with it before the call returns, so that
 * two allocations under the lock never get the same address.  */
int mr_ipam_allocate (const char *data_dir, const struct mr_network *net, struct mr_endpoint *ep,
                      struct mr_error *err);
/* The same, with the endpoints of net already listed in eps.  */
int mr_ipam_allocate_among (const char *data_dir, const struct mr_network *net,
                            const struct mr_endpoint *eps, size_t n, struct mr_endpoint *ep,
                            struct mr_error *err);
/* Removes the endpoint file; a missing one is no error.  */
int mr_ipam_release (const char *data_dir, const char *network, const char *id,
                     struct mr_error *err);
int mr_endpoint_load (const char *data_dir, const char *network, const char *id,
                      struct mr_endpoint *out, struct mr_error *err);
int mr_endpoint_store (const char *data_dir, const char *network, const struct mr_endpoint *ep,
                       struct mr_error *err);
void mr_endpoint_clear (struct mr_endpoint *ep);
/* The endpoints of a network (count in *n; caller frees each with
 * mr_endpoint_clear, then the array).  */
int mr_endpoints_list (const char *data_dir, const char *network, struct mr_endpoint **out,
                       size_t *n, struct mr_error *err);
/* Whether network has an endpoint at all, without reading one.  */
bool mr_endpoints_any (const char *data_dir, const char *network);

typedef bool (*mr_endpoint_alive_fn) (const char *id, void *data);
/* Releases every endpoint of network whose container alive() says is gone;
 * the ids released go to *released (NULL-terminated; may be NULL).  */
int mr_ipam_reconcile (const char *data_dir, const char *network, mr_endpoint_alive_fn alive,
                       void *data, char ***released, struct mr_error *err);

/* --- link.c: libnl-3 ----------------------------------------------------- */

/* Creates the bridge (when missing) with gw/prefix on it, up.  */
int mr_link_bridge_ensure (const char *name, uint32_t gw, unsigned prefix, struct mr_error *err);
int mr_link_delete (const char *name, struct mr_error *err);
bool mr_link_exists (const char *name);
/* Whether a route of the host (other than a default one) overlaps s.  */
int mr_link_route_overlaps (const struct mr_subnet *s, bool *overlaps, struct mr_error *err);
/* The same, with the route found (its subnet and device, "" when it has
 * none) where route and dev are not NULL.  */
int mr_link_route_overlapping (const struct mr_subnet *s, bool *overlaps, struct mr_subnet *route,
                               char *dev, size_t dev_len, struct mr_error *err);
/* A veth pair: host side host_name on bridge, the peer moved into the
 * network namespace netns_fd as eth0 with ip/prefix, a default route via gw
 * (0: none), and lo up.  */
int mr_link_veth_attach (const char *host_name, const char *bridge, int netns_fd, uint32_t ip,
                         unsigned prefix, uint32_t gw, unsigned mtu, struct mr_error *err);

/* --- nft.c: libnftables -------------------------------------------------- */

/* minirun's table: "minirun" for the default data directory, else one named
 * after it, so that instances with their own --root never share rules.  */
void mr_nft_table_name (const char *data_dir, char *buf, size_t len);
/* The ruleset text that mr_nft_apply loads (for tests).  */
int mr_nft_ruleset (const char *table, const struct mr_network *nets, size_t n_nets,
                    struct mr_endpoint *const *eps, const size_t *n_eps, char **out,
                    struct mr_error *err);
/* Rebuilds the table from every record under data_dir, in one transaction;
 * turns on net.ipv4.ip_forward when a bridge network has an endpoint.  */
int mr_nft_sync (const char *data_dir, bool *forwarding_turned_on, struct mr_error *err);
/* Whether the last mr_nft_sync of data_dir succeeded since the host booted:
 * then the table loaded is what the records say, and an endpoint without
 * ports joining or leaving a network that keeps others changes nothing in
 * it.  After a reboot the table is gone and the records may be stale.  */
bool mr_nft_synced_this_boot (const char *data_dir);

/* Short names for links made for data_dir: "mr-" and 8 hex digits of a hash
 * of data_dir and key.  */
void mr_net_link_name (const char *prefix, const char *data_dir, const char *key, char *buf,
                       size_t len);

/* --- network.c: a container's endpoint, from start to stop --------------- */

#define MR_NET_DEFAULT "minirun"

/* What a container asks of its network when it starts.  */
struct mr_net_request
{
  const char *id;
  const char *network; /* NULL: MR_NET_DEFAULT, made on first use */
  const char *hostname;
  const char *hosts_path; /* its /etc/hosts, rewritten as peers come and go; may be NULL */
  const struct mr_port_mapping *ports;
  size_t n_ports;
  /* the host ports of its last run: an automatic port takes its old one
   * again when it is free */
  const struct mr_port_mapping *previous;
  size_t n_previous;
  /* where an automatic port is taken from; first 0: MR_PORTS_AUTO_FIRST
   * to MR_PORTS_AUTO_LAST */
  struct mr_port_range auto_range;
  /* the reconciliation of stale endpoints: alive() reads a container's
   * state and is asked when an address or port is short, or after a
   * reboot; exists() only looks for its record and is asked of every
   * endpoint of the network at each attach */
  mr_endpoint_alive_fn alive;
  mr_endpoint_alive_fn exists;
  void *alive_data;
};

/* Where the network namespace of a container is bound: run_dir/.netns/ID (a name no container can have).  */
int mr_net_netns_path (const char *run_dir, const char *id, char **out, struct mr_error *err);

/* Makes the container's network namespace (bound at mr_net_netns_path),
 * its address, veth, routes and published ports, and loads the rules.
 * The endpoint made goes to *out (clear it with mr_endpoint_clear).
 * Nothing is left behind when it fails.  */
int mr_net_attach (const char *data_dir, const char *run_dir, const struct mr_net_request *req,
                   struct mr_endpoint *out, bool *forwarding_turned_on, struct mr_error *err);

/* Undoes mr_net_attach: veth, namespace, address, ports, rules.  What is
 * already gone is no error, so that it can run after a crash.  */
int mr_net_detach (const char *data_dir, const char *run_dir, const char *network,
                   const char *id, struct mr_error *err);

/* The endpoint of id on any network: 0 and *network set (caller frees),
 * or -1 with errnum ENOENT.  */
int mr_net_find (const char *data_dir, const char *id, char **network, struct mr_endpoint *out,
                 struct mr_error *err);

/* The bridge of a network of data_dir: "minirun0" for the default network of
 * the default data directory, else mr_net_link_name ("mrbr", ...).  */
void mr_net_bridge_name (const char *data_dir, const char *network, char *buf, size_t len);
/* The host-wide lock under which subnets are chosen (every data directory
 * takes it); returns the fd, which releases it when closed.  */
int mr_net_subnet_lock (struct mr_error *err);
/* The first /20 of 10.77.0.0-10.87.255.255 that no network of data_dir and
 * no host route covers; the subnet lock is held.  */
int mr_net_auto_subnet (const char *data_dir, struct mr_subnet *out, struct mr_error *err);
/* Loads network name; the default one is made on first use ("network 'x'
 * not found: create it ..." for another).  mr_net_lock is held.  */
int mr_net_network_get (const char *data_dir, const char *name, struct mr_network *net,
                        struct mr_error *err);
/* Removes the network namespace of id bound under run_dir, if any: what a
 * container whose endpoint was reconciled away may have left.  */
void mr_net_netns_remove (const char *run_dir, const char *id);

/* Checks the fixed host ports of ports against every endpoint but id's, the
 * ports before each in the list, and the host's sockets, without taking
 * anything: a container is refused at create, before anything is made.
 * Endpoints that alive() says are gone hold nothing.  mr_net_attach checks
 * again under the lock.  */
int mr_net_ports_check (const char *data_dir, const char *id, const struct mr_port_mapping *ports,
                        size_t n, mr_endpoint_alive_fn alive, void *alive_data,
                        struct mr_error *err);

/* Whether a host socket holds this port (bind() says so).  */
bool mr_net_port_taken_on_host (const struct mr_port_mapping *m);

#endif
