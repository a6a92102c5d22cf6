#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "net/net.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

#define DEFAULT_DATA_DIR "/var/lib/minirun"

void
mr_nft_table_name (const char *data_dir, char *buf, size_t len)
{
  if (strcmp (data_dir, DEFAULT_DATA_DIR) == 0)
    snprintf (buf, len, "minirun");
  else
    mr_net_link_name ("minirun_", data_dir, "", buf, len);
}

static void
cleanup_memstreamp (FILE **f)
{
  if (*f)
    fclose (*f);
}

/* The DNAT rule of one published port.  */
static void
put_dnat (FILE *f, const struct mr_port_mapping *m, uint32_t ip)
{
  char ctr[16];

  mr_ip_format (ip, ctr, sizeof ctr);
  fputs ("    ", f);
  if (m->host_ip[0])
    fprintf (f, "ip daddr %s ", m->host_ip);
  fprintf (f, "%s dport %u dnat to %s:%u\n", m->proto, m->host_port, ctr, m->container_port);
}

static void
put_nat_chains (FILE *f, const struct mr_network *nets, size_t n_nets,
                struct mr_endpoint *const *eps, const size_t *n_eps)
{
  /* published ports answer on every local address, 127.0.0.1 included */
  fputs ("  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n"
         "    fib daddr type local jump published\n  }\n"
         "  chain output {\n    type nat hook output priority -100; policy accept;\n"
         "    fib daddr type local jump published\n  }\n"
         "  chain published {\n",
         f);
  for (size_t i = 0; i < n_nets; i++)
    for (size_t e = 0; e < n_eps[i]; e++)
      for (size_t p = 0; p < eps[i][e].n_ports; p++)
        put_dnat (f, &eps[i][e].ports[p], eps[i][e].ip);
  fputs ("  }\n  chain postrouting {\n    type nat hook postrouting priority srcnat; policy "
         "accept;\n",
         f);
  for (size_t i = 0; i < n_nets; i++)
    {
      char subnet[32];
      mr_subnet_format (&nets[i].subnet, subnet, sizeof subnet);
      if (!nets[i].internal)
        fprintf (f, "    ip saddr %s oifname != \"%s\" masquerade\n", subnet, nets[i].bridge);
      /* 127.0.0.1 DNATed to a container: its answer must come back to us */
      fprintf (f, "    oifname \"%s\" ip saddr 127.0.0.0/8 masquerade\n", nets[i].bridge);
    }
  fputs ("  }\n", f);
}

static void
put_filter_chains (FILE *f, const struct mr_network *nets, size_t n_nets,
                   struct mr_endpoint *const *eps, const size_t *n_eps)
{
  fputs ("  chain forward {\n    type filter hook forward priority filter; policy accept;\n", f);
  for (size_t i = 0; i < n_nets; i++)
    {
      const char *br = nets[i].bridge;
      bool first = true;
      if (nets[i].internal)
        fprintf (f, "    iifname \"%s\" oifname != \"%s\" drop\n"
                    "    oifname \"%s\" iifname != \"%s\" drop\n",
                 br, br, br, br);
      /* networks do not reach each other */
      for (size_t j = 0; j < n_nets; j++)
        if (j != i)
          {
            fprintf (f, first ? "    iifname \"%s\" oifname { \"%s\"" : "%.0s, \"%s\"", br,
                     nets[j].bridge);
            first = false;
          }
      if (!first)
        fputs (" } drop\n", f);
    }
  /* a port bound to 127.0.0.1 is for this host only: without this, a
   * neighbour sending to 127.0.0.1 would be DNATed before routing saw it */
  fputs ("  }\n  chain localonly {\n    type filter hook prerouting priority raw; policy "
         "accept;\n",
         f);
  for (size_t i = 0; i < n_nets; i++)
    for (size_t e = 0; e < n_eps[i]; e++)
      for (size_t p = 0; p < eps[i][e].n_ports; p++)
        {
          const struct mr_port_mapping *m = &eps[i][e].ports[p];
          if (strncmp (m->host_ip, "127.", 4) == 0)
            fprintf (f, "    iifname != \"lo\" ip daddr %s %s dport %u drop\n", m->host_ip,
                     m->proto, m->host_port);
        }
  fputs ("  }\n", f);
}

int
mr_nft_ruleset (const char *table, const struct mr_network *nets, size_t n_nets,
                struct mr_endpoint *const *eps, const size_t *n_eps, char **out,
                struct mr_error *err)
{
  __attribute__ ((cleanup (cleanup_memstreamp))) FILE *f = NULL;
  char *buf = NULL;
  size_t len = 0;

  f = open_memstream (&buf, &len);
  if (f == NULL)
    return mr_error_errno (err, errno, "nftables table '%s'", table);
  /* add, delete, add again: one transaction that replaces the table
   * whether it was there or not */
  fprintf (f, "table ip %s {}\ndelete table ip %s\n", table, table);
  size_t endpoints = 0;
  for (size_t i = 0; i < n_nets; i++)
    endpoints += n_eps[i];
  /* no endpoint, no table: nothing of ours stays in the ruleset */
  if (endpoints > 0)
    {
      fprintf (f, "table ip %s {\n", table);
      put_nat_chains (f, nets, n_nets, eps, n_eps);
      put_filter_chains (f, nets, n_nets, eps, n_eps);
      fputs ("}\n", f);
    }
  if (fclose (f) != 0)
    {
      f = NULL;
      free (buf);
      return mr_error_errno (err, ENOMEM, "nftables table '%s'", table);
    }
  f = NULL;
  *out = buf;
  return 0;
}

/* libnftables is opened when a network changes, not linked: it maps six
 * more libraries (libnftnl, libmnl, libgmp, libxtables, ...), which every
 * verb would pay for at startup, and it has no static archive for the
 * monitor.  */
struct nft_api
{
  typeof (&nft_ctx_new) ctx_new;
  typeof (&nft_ctx_free) ctx_free;
  typeof (&nft_ctx_buffer_output) buffer_output;
  typeof (&nft_ctx_buffer_error) buffer_error;
  typeof (&nft_ctx_get_error_buffer) get_error_buffer;
  typeof (&nft_run_cmd_from_buffer) run_cmd_from_buffer;
};

static int
nft_open (struct nft_api *api, struct mr_error *err)
{
  static const char *const libs[] = { "libnftables.so.1", "libnftables.so" };
  void *h = NULL;

  for (size_t i = 0; h == NULL && i < sizeof libs / sizeof *libs; i++)
    h = dlopen (libs[i], RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return mr_error_set (err, "nftables: %s (install libnftables1)", dlerror ());
  api->ctx_new = (typeof (api->ctx_new))dlsym (h, "nft_ctx_new");
  api->ctx_free = (typeof (api->ctx_free))dlsym (h, "nft_ctx_free");
  api->buffer_output = (typeof (api->buffer_output))dlsym (h, "nft_ctx_buffer_output");
  api->buffer_error = (typeof (api->buffer_error))dlsym (h, "nft_ctx_buffer_error");
  api->get_error_buffer = (typeof (api->get_error_buffer))dlsym (h, "nft_ctx_get_error_buffer");
  api->run_cmd_from_buffer
      = (typeof (api->run_cmd_from_buffer))dlsym (h, "nft_run_cmd_from_buffer");
  if (!api->ctx_new || !api->ctx_free || !api->buffer_output || !api->buffer_error
      || !api->get_error_buffer || !api->run_cmd_from_buffer)
    return mr_error_set (err, "nftables: libnftables lacks nft_run_cmd_from_buffer and its "
                              "companions (install libnftables1 0.9 or later)");
  /* never closed: a library with atexit handlers must stay mapped */
  return 0;
}

static int
nft_load (const char *table, const char *text, struct mr_error *err)
{
  struct nft_api api = { 0 };
  struct nft_ctx *nft;
  int r;

  if (nft_open (&api, err) < 0)
    return -1;
  nft = api.ctx_new (NFT_CTX_DEFAULT);
  if (nft == NULL)
    return mr_error_errno (err, ENOMEM, "nftables");
  api.buffer_output (nft);
  api.buffer_error (nft);
  r = api.run_cmd_from_buffer (nft, text);
  if (r != 0)
    {
      const char *msg = api.get_error_buffer (nft);
      char first[512];
      snprintf (first, sizeof first, "%s", msg && *msg ? msg : "failed");
      first[strcspn (first, "\n")] = '\0';
      mr_error_set (err,
                    "load the nftables table 'ip %s': %s (is the nf_tables module available? "
                    "see 'nft list ruleset')",
                    table, first);
    }
  api.ctx_free (nft);
  return r == 0 ? 0 : -1;
}

struct records
{
  struct mr_network *nets;
  struct mr_endpoint **eps;
  size_t *n_eps;
  size_t n;
};

static void
records_free (struct records *rec)
{
  for (size_t i = 0; i < rec->n; i++)
    {
      for (size_t e = 0; e < rec->n_eps[i]; e++)
        mr_endpoint_clear (&rec->eps[i][e]);
      free (rec->eps[i]);
    }
  free (rec->nets);
  free (rec->eps);
  free (rec->n_eps);
}

static int
records_load (const char *data_dir, struct records *rec, struct mr_error *err)
{
  cleanup_strv char **names = NULL;
  size_t count = 0;

  memset (rec, 0, sizeof *rec);
  if (mr_network_names (data_dir, &names, err) < 0)
    return -1;
  for (char **p = names; *p; p++)
    count++;
  rec->nets = calloc (count + 1, sizeof *rec->nets);
  rec->eps = calloc (count + 1, sizeof *rec->eps);
  rec->n_eps = calloc (count + 1, sizeof *rec->n_eps);
  if (rec->nets == NULL || rec->eps == NULL || rec->n_eps == NULL)
    return mr_error_errno (err, ENOMEM, "networks");
  for (char **p = names; *p; p++)
    {
      /* a damaged network gets no rules rather than stopping every other */
      if (mr_network_load (data_dir, *p, &rec->nets[rec->n], NULL) < 0)
        continue;
      if (mr_endpoints_list (data_dir, *p, &rec->eps[rec->n], &rec->n_eps[rec->n], err) < 0)
        return -1;
      rec->n++;
    }
  return 0;
}

/* Turns on forwarding when an endpoint needs it; *turned_on says whether
 * this call changed it.  */
static int
forwarding_on (bool *turned_on, struct mr_error *err)
{
  cleanup_free char *v = NULL;

  if (mr_read_file ("/proc/sys/net/ipv4/ip_forward", &v, NULL, err) < 0)
    return -1;
  if (v[0] == '1')
    return 0;
  if (mr_write_file ("/proc/sys/net/ipv4/ip_forward", "1", 1, err) < 0)
    return mr_error_prefix (err, "turn on net.ipv4.ip_forward for a bridge network");
  *turned_on = true;
  return 0;
}

#define BOOT_ID "/proc/sys/kernel/random/boot_id"
#define STAMP "nft-synced"

bool
mr_nft_synced_this_boot (const char *data_dir)
{
  cleanup_free char *path = NULL;
  cleanup_free char *boot = NULL;
  cleanup_free char *stamp = NULL;

  return mr_asprintf (NULL, &path, "%s/networks/" STAMP, data_dir) == 0
         && mr_read_file (BOOT_ID, &boot, NULL, NULL) == 0
         && mr_read_file (path, &stamp, NULL, NULL) == 0 && strcmp (boot, stamp) == 0;
}

/* The stamp says the table matches the records, so it goes before a load
 * that may fail and comes back after one that succeeds.  */
static void
stamp_write (const char *data_dir, bool ok)
{
  cleanup_free char *dir = NULL;
  cleanup_free char *boot = NULL;
  cleanup_close int dfd = -1;
  size_t len = 0;

  if (mr_asprintf (NULL, &dir, "%s/networks", data_dir) < 0)
    return;
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return;
  if (!ok || mr_read_file (BOOT_ID, &boot, &len, NULL) < 0
      || mr_write_file_atomic_at (dfd, STAMP, boot, len, 0644, 0, NULL) < 0)
    unlinkat (dfd, STAMP, 0);
}

int
mr_nft_sync (const char *data_dir, bool *forwarding_turned_on, struct mr_error *err)
{
  struct records rec;
  cleanup_free char *text = NULL;
  char table[32];
  size_t endpoints = 0;
  int r = -1;

  *forwarding_turned_on = false;
  mr_nft_table_name (data_dir, table, sizeof table);
  stamp_write (data_dir, false);
  if (records_load (data_dir, &rec, err) == 0
      && mr_nft_ruleset (table, rec.nets, rec.n, rec.eps, rec.n_eps, &text, err) == 0
      && nft_load (table, text, err) == 0)
    {
      for (size_t i = 0; i < rec.n; i++)
        endpoints += rec.nets[i].internal ? 0 : rec.n_eps[i];
      r = endpoints ? forwarding_on (forwarding_turned_on, err) : 0;
    }
  records_free (&rec);
  stamp_write (data_dir, r == 0);
  return r;
}
