/* lib/managed/networks.c on records only: what network create refuses and
 * what it stores, in a temporary data directory (no link, no rule).  */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "unit.h"

#include "minirun.h"

static char *root;
static struct mr_context *ctx;

static void
setup (void)
{
  struct mr_context_opts o = { .size = sizeof o };
  struct mr_error err = { 0 };

  root = unit_mkdtemp ("networks");
  o.root = root;
  ck_assert_msg (mr_context_new (&o, &ctx, &err) == 0, "%s", err.msg);
}

static void
teardown (void)
{
  mr_context_free (ctx);
  unit_rm_tree (root);
  free (root);
}

/* The entries of the networks' directory, its lock included.  */
static size_t
network_entries (void)
{
  char *path;
  DIR *d;
  size_t n = 0;

  ck_assert_int_ge (asprintf (&path, "%s/data/networks", root), 0);
  d = opendir (path);
  while (d && readdir (d) != NULL)
    n++;
  if (d)
    closedir (d);
  free (path);
  return n;
}

static void
refused (const char *name, const char *subnet, const char *gateway, const char *want)
{
  struct mr_network_create_opts o = { .size = sizeof o, .subnet = subnet, .gateway = gateway };
  struct mr_error err = { 0 };
  size_t before = network_entries ();

  ck_assert_int_eq (mr_network_create (ctx, name, &o, &err), -1);
  ck_assert_msg (strstr (err.msg, want) != NULL, "'%s': '%s' lacks '%s'", name, err.msg, want);
  /* nothing made, not even the lock when there was no directory yet */
  ck_assert_uint_le (network_entries (), before ? before : 3);
}

static void
created (const char *name, const char *subnet, const char *gateway)
{
  struct mr_network_create_opts o = { .size = sizeof o, .subnet = subnet, .gateway = gateway };
  struct mr_error err = { 0 };

  ck_assert_msg (mr_network_create (ctx, name, &o, &err) == 0, "%s: %s", name, err.msg);
}

/* What inspect says of network name: its subnet and gateway.  */
static void
ipam_of (const char *name, char *subnet, char *gateway, size_t len)
{
  struct mr_error err = { 0 };
  char *text = NULL;
  json_t *doc, *cfg;

  ck_assert_msg (mr_network_inspect (ctx, name, &text, &err) == 0, "%s", err.msg);
  doc = json_loads (text, 0, NULL);
  ck_assert_ptr_nonnull (doc);
  cfg = json_array_get (json_object_get (json_object_get (doc, "IPAM"), "Config"), 0);
  snprintf (subnet, len, "%s", json_string_value (json_object_get (cfg, "Subnet")));
  snprintf (gateway, len, "%s", json_string_value (json_object_get (cfg, "Gateway")));
  ck_assert_str_eq (json_string_value (json_object_get (doc, "Name")), name);
  ck_assert_str_eq (json_string_value (json_object_get (doc, "Driver")), "bridge");
  ck_assert_uint_eq (strlen (json_string_value (json_object_get (doc, "Id"))), 64);
  ck_assert_ptr_nonnull (json_string_value (
      json_object_get (json_object_get (doc, "Options"), "com.docker.network.bridge.name")));
  json_decref (doc);
  free (text);
}

START_TEST (bad_names_are_refused)
{
  char longname[200];

  refused ("", "10.201.0.0/24", NULL, "missing network name");
  refused ("none", "10.201.0.0/24", NULL, "invalid network name 'none': it is a mode");
  refused ("host", "10.201.0.0/24", NULL, "invalid network name 'host': it is a mode");
  refused ("bridge", "10.201.0.0/24", NULL, "invalid network name 'bridge': it is a mode");
  refused ("default", "10.201.0.0/24", NULL, "invalid network name 'default'");
  refused ("container:web", "10.201.0.0/24", NULL, "'container:' joins another container's");
  refused ("a/b", "10.201.0.0/24", NULL, "invalid network name 'a/b'");
  refused ("-x", "10.201.0.0/24", NULL, "invalid network name '-x'");
  refused ("..", "10.201.0.0/24", NULL, "invalid network name '..'");
  memset (longname, 'n', 129);
  longname[129] = '\0';
  refused (longname, "10.201.0.0/24", NULL, "128 at most");
}
END_TEST

START_TEST (an_existing_name_is_refused)
{
  struct mr_network_create_opts o = { .size = sizeof o, .subnet = "10.202.0.0/24" };
  struct mr_error err = { 0 };

  created ("web", "10.201.0.0/24", NULL);
  ck_assert_int_eq (mr_network_create (ctx, "web", &o, &err), -1);
  ck_assert_int_eq (err.errnum, EEXIST);
  ck_assert_str_eq (err.msg, "network 'web' already exists: choose another name");
}
END_TEST

START_TEST (bad_subnets_are_refused)
{
  refused ("n", "10.0.0.1/24", NULL, "host bits are set (did you mean 10.0.0.0/24?)");
  refused ("n", "10.200.0.0/33", NULL, "the prefix must be 8 to 30");
  refused ("n", "10.200.0.0/31", NULL, "the prefix must be 8 to 30");
  refused ("n", "10.0.0.0/7", NULL, "the prefix must be 8 to 30");
  refused ("n", "10.200.0.0", NULL, "expected an IPv4 CIDR");
  refused ("n", "fd00::/64", NULL, "expected an IPv4 CIDR");
}
END_TEST

START_TEST (an_overlapping_subnet_names_the_network)
{
  created ("first", "10.203.0.0/16", NULL);
  refused ("second", "10.203.5.0/24", NULL,
           "subnet 10.203.5.0/24 overlaps the subnet 10.203.0.0/16 of network 'first'");
  refused ("second", "10.192.0.0/10", NULL, "of network 'first'");
  created ("second", "10.204.0.0/16", NULL);
}
END_TEST

START_TEST (gateways_are_checked)
{
  char subnet[32], gw[32];

  refused ("g", "10.205.0.0/24", "10.205.1.1",
           "gateway 10.205.1.1 is outside the subnet 10.205.0.0/24");
  refused ("g", "10.205.0.0/24", "10.205.0.0",
           "gateway 10.205.0.0 is the network address of 10.205.0.0/24");
  refused ("g", "10.205.0.0/24", "10.205.0.255",
           "gateway 10.205.0.255 is the broadcast address of 10.205.0.0/24");
  refused ("g", "10.205.0.0/24", "gw", "invalid gateway 'gw'");
  refused ("g", NULL, "10.205.0.1", "a gateway needs its subnet");
  created ("g", "10.205.0.0/24", "10.205.0.254");
  ipam_of ("g", subnet, gw, sizeof subnet);
  ck_assert_str_eq (subnet, "10.205.0.0/24");
  ck_assert_str_eq (gw, "10.205.0.254");
  created ("h", "10.206.0.0/30", NULL);
  ipam_of ("h", subnet, gw, sizeof subnet);
  ck_assert_str_eq (gw, "10.206.0.1");
}
END_TEST

START_TEST (an_automatic_subnet_is_a_free_20)
{
  struct mr_network_info *list = NULL;
  struct mr_error err = { 0 };
  struct mr_network_create_opts o = { .size = sizeof o };
  size_t n = 0;
  char a[32], b[32], gw[32];

  created ("auto1", NULL, NULL);
  created ("auto2", NULL, NULL);
  ipam_of ("auto1", a, gw, sizeof a);
  ipam_of ("auto2", b, gw, sizeof b);
  ck_assert_str_ne (a, b);
  ck_assert_ptr_nonnull (strstr (a, "/20"));
  ck_assert_ptr_nonnull (strstr (b, "/20"));
  ck_assert_int_eq (strncmp (a, "10.", 3), 0);
  /* the automatic one is taken as a given one would be */
  o.subnet = a;
  ck_assert_int_eq (mr_network_create (ctx, "again", &o, &err), -1);
  ck_assert_ptr_nonnull (strstr (err.msg, "of network 'auto1'"));
  created ("taken", "10.207.0.0/24", NULL);

  /* ls: the default network too, made on first use, and no container */
  ck_assert_msg (mr_network_list (ctx, &list, &n, &err) == 0, "%s", err.msg);
  ck_assert_uint_eq (n, 4);
  ck_assert_str_eq (list[0].name, "auto1");
  ck_assert_str_eq (list[0].subnet, a);
  ck_assert_str_eq (list[2].name, "minirun");
  ck_assert_str_eq (list[3].name, "taken");
  ck_assert_str_eq (list[3].subnet, "10.207.0.0/24");
  ck_assert_str_eq (list[3].gateway, "10.207.0.1");
  ck_assert (!list[3].internal);
  for (size_t i = 0; i < n; i++)
    ck_assert_uint_eq (list[i].containers, 0);
  ck_assert_str_ne (list[2].subnet, a);
  ck_assert_str_ne (list[2].subnet, b);
  mr_network_info_free (list, n);
}
END_TEST

START_TEST (unknown_and_default_networks_are_not_removed)
{
  struct mr_error err = { 0 };
  char *json = NULL;

  ck_assert_int_eq (mr_network_remove (ctx, "minirun", &err), -1);
  ck_assert_ptr_nonnull (strstr (err.msg, "is the default network"));
  ck_assert_int_eq (mr_network_remove (ctx, "nosuch", &err), -1);
  ck_assert_int_eq (err.errnum, ENOENT);
  ck_assert_str_eq (err.msg, "network 'nosuch' not found");
  ck_assert_int_eq (mr_network_inspect (ctx, "nosuch", &json, &err), -1);
  ck_assert_str_eq (err.msg, "network 'nosuch' not found");
  ck_assert_int_eq (mr_network_inspect (ctx, "a/b", &json, &err), -1);
  ck_assert_int_eq (err.errnum, ENOENT);
}
END_TEST

/* --- the automatic port range ------------------------------------------ */

START_TEST (port_ranges_are_parsed_and_checked)
{
  static const struct
  {
    const char *in;
    unsigned first, last;
  } good[]
      = { { "8000-9000", 8000, 9000 }, { "1-65535", 1, 65535 }, { "30000-30000", 30000, 30000 } };
  static const char *const bad[][2] = {
    { "9000-8000", "9000 is above 8000" }, { "0-10", "expected LOW-HIGH" },
    { "1-65536", "expected LOW-HIGH" },    { "8000", "expected LOW-HIGH" },
    { "-9000", "expected LOW-HIGH" },      { "8000-", "expected LOW-HIGH" },
    { "a-b", "expected LOW-HIGH" },        { "8000 - 9000", "expected LOW-HIGH" },
    { "+1-2", "expected LOW-HIGH" },       { "", "invalid port range ''" },
  };
  struct mr_error err = { 0 };
  struct mr_port_range r;

  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    {
      ck_assert_msg (mr_port_range_parse (good[i].in, &r, &err) == 0, "%s", err.msg);
      ck_assert_uint_eq (r.first, good[i].first);
      ck_assert_uint_eq (r.last, good[i].last);
    }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      ck_assert_int_lt (mr_port_range_parse (bad[i][0], &r, &err), 0);
      ck_assert_msg (strstr (err.msg, bad[i][1]), "'%s': %s", bad[i][0], err.msg);
    }
  r = (struct mr_port_range){ 10, 9 };
  ck_assert_int_lt (mr_context_set_port_range (ctx, &r, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "invalid port range 10-9"));
}
END_TEST

static void
write_conf (const char *text)
{
  char *path = NULL;
  FILE *f;

  ck_assert_int_ge (asprintf (&path, "%s/minirun.conf", root), 0);
  f = fopen (path, "w");
  ck_assert_ptr_nonnull (f);
  fputs (text, f);
  fclose (f);
  setenv ("MINIRUN_CONFIG", path, 1);
  free (path);
}

START_TEST (the_automatic_range_comes_from_the_context_the_file_or_the_default)
{
  struct mr_error err = { 0 };
  struct mr_port_range r, mine = { 20000, 20009 };

  write_conf ("# nothing\n");
  ck_assert_msg (mr_ports_auto_range (ctx, &r, &err) == 0, "%s", err.msg);
  ck_assert_uint_eq (r.first, MR_PORTS_AUTO_FIRST);
  ck_assert_uint_eq (r.last, MR_PORTS_AUTO_LAST);
  write_conf ("rootfs = /srv/root\n port_range = 30000-30001 \n");
  ck_assert_msg (mr_ports_auto_range (ctx, &r, &err) == 0, "%s", err.msg);
  ck_assert_uint_eq (r.first, 30000);
  ck_assert_uint_eq (r.last, 30001);
  write_conf ("port_range = 30001-30000\n");
  ck_assert_int_lt (mr_ports_auto_range (ctx, &r, &err), 0);
  ck_assert_msg (strstr (err.msg, "line 1: port_range: invalid port range '30001-30000'"), "%s",
                 err.msg);
  /* the context's wins over the file, a bad file included */
  ck_assert_int_eq (mr_context_set_port_range (ctx, &mine, &err), 0);
  ck_assert_msg (mr_ports_auto_range (ctx, &r, &err) == 0, "%s", err.msg);
  ck_assert_uint_eq (r.first, 20000);
  ck_assert_uint_eq (r.last, 20009);
  unsetenv ("MINIRUN_CONFIG");
}
END_TEST

START_TEST (free_ranges_are_those_of_the_range_given)
{
  struct mr_port_binding used[3];
  struct mr_port_range range = { 100, 105 }, *out = NULL;
  struct mr_error err = { 0 };
  size_t n = 0;

  memset (used, 0, sizeof used);
  used[0].host_port = 101;
  used[1].host_port = 104;
  used[2].host_port = 8000; /* outside: no effect */
  ck_assert_int_eq (mr_ports_free_ranges (&range, used, 3, &out, &n, &err), 0);
  ck_assert_uint_eq (n, 3);
  ck_assert_uint_eq (out[0].first, 100);
  ck_assert_uint_eq (out[0].last, 100);
  ck_assert_uint_eq (out[1].first, 102);
  ck_assert_uint_eq (out[1].last, 103);
  ck_assert_uint_eq (out[2].first, 105);
  ck_assert_uint_eq (out[2].last, 105);
  free (out);
  range = (struct mr_port_range){ 65535, 65535 };
  ck_assert_int_eq (mr_ports_free_ranges (&range, used, 3, &out, &n, &err), 0);
  ck_assert_uint_eq (n, 1);
  ck_assert_uint_eq (out[0].last, 65535);
  free (out);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("networks");
  TCase *tc = tcase_create ("networks");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, bad_names_are_refused);
  tcase_add_test (tc, an_existing_name_is_refused);
  tcase_add_test (tc, bad_subnets_are_refused);
  tcase_add_test (tc, an_overlapping_subnet_names_the_network);
  tcase_add_test (tc, gateways_are_checked);
  tcase_add_test (tc, an_automatic_subnet_is_a_free_20);
  tcase_add_test (tc, unknown_and_default_networks_are_not_removed);
  tcase_add_test (tc, port_ranges_are_parsed_and_checked);
  tcase_add_test (tc, the_automatic_range_comes_from_the_context_the_file_or_the_default);
  tcase_add_test (tc, free_ranges_are_those_of_the_range_given);
  suite_add_tcase (s, tc);
  return unit_run (s);
}
