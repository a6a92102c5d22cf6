/* lib/net without the kernel: subnets, port specs, link names, the
 * nftables text, and the IPAM records in a temporary data directory.  */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unit.h"

#include "net/net.h"
#include "util/error.h"

START_TEST (subnets_parse_and_overlap)
{
  struct mr_subnet a, b;
  struct mr_error err = { 0 };
  char buf[32];

  ck_assert_int_eq (mr_subnet_parse ("10.77.0.0/16", &a, &err), 0);
  ck_assert_uint_eq (a.prefix, 16);
  mr_subnet_format (&a, buf, sizeof buf);
  ck_assert_str_eq (buf, "10.77.0.0/16");
  ck_assert_int_eq (mr_subnet_parse ("10.77.5.0/24", &b, &err), 0);
  ck_assert (mr_subnet_overlaps (&a, &b));
  ck_assert (mr_subnet_overlaps (&b, &a));
  ck_assert_int_eq (mr_subnet_parse ("10.78.0.0/24", &b, &err), 0);
  ck_assert (!mr_subnet_overlaps (&a, &b));
  ck_assert_uint_eq (mr_subnet_last (&b), 0x0a4e00ffu);
  ck_assert (mr_subnet_contains (&b, 0x0a4e0007u));
  ck_assert (!mr_subnet_contains (&b, 0x0a4e0107u));

  ck_assert_int_eq (mr_subnet_parse ("10.77.0.1/24", &a, &err), -1);
  ck_assert_ptr_nonnull (strstr (err.msg, "host bits are set (did you mean 10.77.0.0/24?)"));
  ck_assert_int_eq (mr_subnet_parse ("10.77.0.0/31", &a, &err), -1);
  ck_assert_ptr_nonnull (strstr (err.msg, "the prefix must be 8 to 30"));
  ck_assert_int_eq (mr_subnet_parse ("10.77.0.0", &a, &err), -1);
  ck_assert_ptr_nonnull (strstr (err.msg, "expected an IPv4 CIDR"));
  ck_assert_int_eq (mr_subnet_parse ("nosuch/24", &a, &err), -1);
  ck_assert_int_eq (mr_subnet_parse ("10.77.0.0/24x", &a, &err), -1);
}
END_TEST

START_TEST (ports_parse_docker_spellings)
{
  struct mr_port_mapping m;
  struct mr_error err = { 0 };

  ck_assert_int_eq (mr_port_parse ("8080:80", &m, &err), 0);
  ck_assert_uint_eq (m.host_port, 8080);
  ck_assert_uint_eq (m.container_port, 80);
  ck_assert_str_eq (m.proto, "tcp");
  ck_assert_str_eq (m.host_ip, "");

  ck_assert_int_eq (mr_port_parse ("127.0.0.1:8081:80/udp", &m, &err), 0);
  ck_assert_str_eq (m.host_ip, "127.0.0.1");
  ck_assert_uint_eq (m.host_port, 8081);
  ck_assert_uint_eq (m.container_port, 80);
  ck_assert_str_eq (m.proto, "udp");

  ck_assert_int_eq (mr_port_parse ("80", &m, &err), 0);
  ck_assert_uint_eq (m.host_port, 0);
  ck_assert_uint_eq (m.container_port, 80);

  ck_assert_int_eq (mr_port_parse ("127.0.0.1::53/udp", &m, &err), 0);
  ck_assert_str_eq (m.host_ip, "127.0.0.1");
  ck_assert_uint_eq (m.host_port, 0);
  ck_assert_uint_eq (m.container_port, 53);

  /* 0.0.0.0 is every address, as no address is */
  ck_assert_int_eq (mr_port_parse ("0.0.0.0:8082:80", &m, &err), 0);
  ck_assert_str_eq (m.host_ip, "");
}
END_TEST

START_TEST (ports_bad_input_is_named)
{
  static const struct
  {
    const char *spec, *says;
  } bad[] = {
    { "99999:80", "host port" }, { "abc", "container port" },   { "80/sctp", "tcp or udp" },
    { "1:2:3:4", "expected" },   { "0:80", "host port" },       { "8080:0", "container port" },
    { "", "container port" },    { "host:8080:80", "host address" }, { "8080:", "container port" },
  };
  struct mr_port_mapping m;

  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      struct mr_error err = { 0 };
      ck_assert_msg (mr_port_parse (bad[i].spec, &m, &err) == -1, "'%s' was taken", bad[i].spec);
      ck_assert_msg (strstr (err.msg, bad[i].says) && strstr (err.msg, bad[i].spec),
                     "'%s': %s", bad[i].spec, err.msg);
    }
}
END_TEST

START_TEST (link_names_fit_and_differ)
{
  char a[16], b[16], c[16];

  mr_net_link_name ("mrv", "/var/lib/minirun", "web", a, sizeof a);
  mr_net_link_name ("mrv", "/var/lib/minirun", "db", b, sizeof b);
  mr_net_link_name ("mrv", "/tmp/other", "web", c, sizeof c);
  ck_assert_uint_le (strlen (a), 15);
  ck_assert_str_ne (a, b);
  ck_assert_str_ne (a, c);
  ck_assert_int_eq (strncmp (a, "mrv", 3), 0);
  mr_net_link_name ("mrv", "/var/lib/minirun", "web", b, sizeof b);
  ck_assert_str_eq (a, b);
}
END_TEST

static struct mr_network
net_of (const char *name, const char *bridge, const char *subnet, bool internal)
{
  struct mr_network n = { 0 };
  struct mr_error err = { 0 };

  snprintf (n.name, sizeof n.name, "%s", name);
  snprintf (n.bridge, sizeof n.bridge, "%s", bridge);
  ck_assert_int_eq (mr_subnet_parse (subnet, &n.subnet, &err), 0);
  n.gateway = n.subnet.addr + 1;
  n.internal = internal;
  return n;
}

START_TEST (ruleset_publishes_and_isolates)
{
  struct mr_network nets[2] = { net_of ("front", "mrbr1", "10.77.0.0/24", false),
                                net_of ("back", "mrbr2", "10.77.16.0/24", true) };
  struct mr_port_mapping ports[2] = { { "", 8080, 80, "tcp" }, { "127.0.0.1", 8081, 53, "udp" } };
  struct mr_endpoint web = { .id = "web", .ip = 0x0a4d0002u, .ports = ports, .n_ports = 2 };
  struct mr_endpoint *eps[2] = { &web, NULL };
  size_t n_eps[2] = { 1, 0 };
  struct mr_error err = { 0 };
  char *text = NULL;

  ck_assert_int_eq (mr_nft_ruleset ("t", nets, 2, eps, n_eps, &text, &err), 0);
  /* replaced in one transaction, whether it was there or not */
  ck_assert_ptr_nonnull (strstr (text, "table ip t {}\ndelete table ip t\n"));
  ck_assert_ptr_nonnull (strstr (text, "tcp dport 8080 dnat to 10.77.0.2:80"));
  ck_assert_ptr_nonnull (strstr (text, "ip daddr 127.0.0.1 udp dport 8081 dnat to 10.77.0.2:53"));
  ck_assert_ptr_nonnull (strstr (text, "fib daddr type local jump published"));
  /* outbound NAT for the network that has it, loopback clients for both */
  ck_assert_ptr_nonnull (strstr (text, "ip saddr 10.77.0.0/24 oifname != \"mrbr1\" masquerade"));
  ck_assert_ptr_null (strstr (text, "ip saddr 10.77.16.0/24 oifname"));
  ck_assert_ptr_nonnull (strstr (text, "oifname \"mrbr1\" ip saddr 127.0.0.0/8 masquerade"));
  /* the internal network reaches nothing outside, networks not each other */
  ck_assert_ptr_nonnull (strstr (text, "iifname \"mrbr2\" oifname != \"mrbr2\" drop"));
  ck_assert_ptr_nonnull (strstr (text, "iifname \"mrbr1\" oifname { \"mrbr2\" } drop"));
  /* a port bound to 127.0.0.1 is not for other hosts */
  ck_assert_ptr_nonnull (strstr (text, "iifname != \"lo\" ip daddr 127.0.0.1 udp dport 8081 drop"));
  free (text);

  /* without endpoints the table goes and nothing takes its place */
  n_eps[0] = 0;
  ck_assert_int_eq (mr_nft_ruleset ("t", nets, 2, eps, n_eps, &text, &err), 0);
  ck_assert_str_eq (text, "table ip t {}\ndelete table ip t\n");
  free (text);
}
END_TEST

static char *
tmp_data_dir (void)
{
  char tmpl[] = "/tmp/mr-test-net.XXXXXX";
  char *d = mkdtemp (tmpl);

  ck_assert_ptr_nonnull (d);
  return strdup (d);
}

static bool
only_a_alive (const char *id, void *data)
{
  (void)data;
  return strcmp (id, "a") == 0;
}

START_TEST (ipam_allocates_releases_reconciles)
{
  char *dir = tmp_data_dir ();
  struct mr_network net = net_of ("n", "mrbrx", "10.77.0.0/29", false), back;
  struct mr_error err = { 0 };
  const char *ids[] = { "a", "b", "c", "d", "e" };
  struct mr_endpoint ep;
  char **released = NULL;
  int lock;

  lock = mr_net_lock (dir, &err);
  ck_assert_int_ge (lock, 0);
  ck_assert_int_eq (mr_network_store (dir, &net, &err), 0);
  ck_assert_int_eq (mr_network_store (dir, &net, &err), -1);
  ck_assert_int_eq (err.errnum, EEXIST);
  ck_assert_int_eq (mr_network_load (dir, "n", &back, &err), 0);
  ck_assert_str_eq (back.bridge, "mrbrx");
  ck_assert_uint_eq (back.gateway, 0x0a4d0001u);
  ck_assert_int_eq (mr_network_load (dir, "nosuch", &back, &err), -1);
  ck_assert_int_eq (err.errnum, ENOENT);

  /* a /29: .1 is the gateway, .7 the broadcast, five for containers */
  for (size_t i = 0; i < 5; i++)
    {
      memset (&ep, 0, sizeof ep);
      snprintf (ep.id, sizeof ep.id, "%s", ids[i]);
      ck_assert_int_eq (mr_ipam_allocate (dir, &net, &ep, &err), 0);
      ck_assert_uint_eq (ep.ip, 0x0a4d0002u + i);
    }
  memset (&ep, 0, sizeof ep);
  snprintf (ep.id, sizeof ep.id, "f");
  ck_assert_int_eq (mr_ipam_allocate (dir, &net, &ep, &err), -1);
  ck_assert_int_eq (err.errnum, ENOSPC);
  ck_assert_ptr_nonnull (strstr (err.msg, "network 'n' has no free address"));

  ck_assert_int_eq (mr_ipam_release (dir, "n", "c", &err), 0);
  ck_assert_int_eq (mr_ipam_release (dir, "n", "c", &err), 0);
  ck_assert_int_eq (mr_ipam_allocate (dir, &net, &ep, &err), 0);
  ck_assert_uint_eq (ep.ip, 0x0a4d0004u);
  ck_assert_int_eq (mr_endpoint_load (dir, "n", "f", &ep, &err), 0);
  ck_assert_uint_eq (ep.ip, 0x0a4d0004u);
  mr_endpoint_clear (&ep);

  ck_assert_int_eq (mr_ipam_reconcile (dir, "n", only_a_alive, NULL, &released, &err), 0);
  ck_assert_str_eq (released[0], "b");
  ck_assert_str_eq (released[1], "d");
  ck_assert_str_eq (released[3], "f");
  ck_assert_ptr_null (released[4]);
  for (char **p = released; *p; p++)
    free (*p);
  free (released);
  {
    struct mr_endpoint *eps = NULL;
    size_t n = 0;
    ck_assert_int_eq (mr_endpoints_list (dir, "n", &eps, &n, &err), 0);
    ck_assert_uint_eq (n, 1);
    ck_assert_str_eq (eps[0].id, "a");
    mr_endpoint_clear (&eps[0]);
    free (eps);
  }
  ck_assert_int_eq (mr_network_unstore (dir, "n", &err), -1);
  ck_assert_int_eq (mr_ipam_release (dir, "n", "a", &err), 0);
  ck_assert_int_eq (mr_network_unstore (dir, "n", &err), 0);
  close (lock);
  unit_rm_tree (dir);
  free (dir);
}
END_TEST

START_TEST (endpoints_keep_their_ports)
{
  char *dir = tmp_data_dir ();
  struct mr_network net = net_of ("n", "mrbrx", "10.77.0.0/24", false);
  struct mr_port_mapping ports[1] = { { "127.0.0.1", 8081, 80, "udp" } };
  struct mr_endpoint ep = { .id = "web", .ip = 0x0a4d0009u, .veth = "mrv1", .hostname = "w",
                            .hosts_path = "/x/hosts", .ports = ports, .n_ports = 1 };
  struct mr_endpoint back;
  struct mr_error err = { 0 };
  char *network = NULL;

  ck_assert_int_eq (mr_network_store (dir, &net, &err), 0);
  ck_assert_int_eq (mr_endpoint_store (dir, "n", &ep, &err), 0);
  ck_assert_int_eq (mr_net_find (dir, "web", &network, &back, &err), 0);
  ck_assert_str_eq (network, "n");
  ck_assert_str_eq (back.veth, "mrv1");
  ck_assert_str_eq (back.hostname, "w");
  ck_assert_str_eq (back.hosts_path, "/x/hosts");
  ck_assert_uint_eq (back.n_ports, 1);
  ck_assert_str_eq (back.ports[0].host_ip, "127.0.0.1");
  ck_assert_uint_eq (back.ports[0].host_port, 8081);
  ck_assert_uint_eq (back.ports[0].container_port, 80);
  ck_assert_str_eq (back.ports[0].proto, "udp");
  mr_endpoint_clear (&back);
  free (network);
  ck_assert_int_eq (mr_net_find (dir, "nosuch", &network, &back, &err), -1);
  ck_assert_int_eq (err.errnum, ENOENT);
  unit_rm_tree (dir);
  free (dir);
}
END_TEST

START_TEST (a_listening_port_is_taken)
{
  struct sockaddr_in sa = { .sin_family = AF_INET };
  socklen_t len = sizeof sa;
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  struct mr_port_mapping m = { "127.0.0.1", 0, 80, "tcp" };

  ck_assert_int_ge (fd, 0);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  ck_assert_int_eq (bind (fd, (struct sockaddr *)&sa, sizeof sa), 0);
  ck_assert_int_eq (listen (fd, 1), 0);
  ck_assert_int_eq (getsockname (fd, (struct sockaddr *)&sa, &len), 0);
  m.host_port = ntohs (sa.sin_port);
  ck_assert (mr_net_port_taken_on_host (&m));
  m.host_ip[0] = '\0';
  ck_assert (mr_net_port_taken_on_host (&m));
  close (fd);
  m.host_ip[0] = '1';
  strcpy (m.host_ip, "127.0.0.1");
  ck_assert (!mr_net_port_taken_on_host (&m));
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("net");
  TCase *tc = tcase_create ("net");

  tcase_add_test (tc, subnets_parse_and_overlap);
  tcase_add_test (tc, ports_parse_docker_spellings);
  tcase_add_test (tc, ports_bad_input_is_named);
  tcase_add_test (tc, link_names_fit_and_differ);
  tcase_add_test (tc, ruleset_publishes_and_isolates);
  tcase_add_test (tc, ipam_allocates_releases_reconciles);
  tcase_add_test (tc, endpoints_keep_their_ports);
  tcase_add_test (tc, a_listening_port_is_taken);
  suite_add_tcase (s, tc);
  return unit_run (s);
}
