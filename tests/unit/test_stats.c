#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cgroup/internal.h"
#include "managed/stats.h"
#include "unit.h"
#include "util/cleanup.h"

#define NET_DEV_HEADER                                                                             \
  "Inter-|   Receive                                                |  Transmit\n"                 \
  " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "       \
  "drop fifo colls carrier compressed\n"

START_TEST (net_dev_sums_every_interface_but_lo)
{
  const char *content = NET_DEV_HEADER
      "    lo:  999999     100    0    0    0     0          0         0   888888     100    "
      "0    0    0     0       0          0\n"
      "  eth0:    1500      10    0    0    0     0          0         0      700       5    "
      "0    0    0     0       0          0\n"
      "veth-a:20000000000 1 0 0 0 0 0 0 30000000000 1 0 0 0 0 0 0\n";
  uint64_t rx = 1, tx = 1;

  ck_assert_int_eq (mr_stats_parse_net_dev (content, &rx, &tx), 0);
  ck_assert_uint_eq (rx, 1500 + 20000000000ULL);
  ck_assert_uint_eq (tx, 700 + 30000000000ULL);
}
END_TEST

START_TEST (net_dev_with_only_lo_is_zero)
{
  const char *content = NET_DEV_HEADER "    lo: 5 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0\n";
  uint64_t rx = 7, tx = 7;

  ck_assert_int_eq (mr_stats_parse_net_dev (content, &rx, &tx), 0);
  ck_assert_uint_eq (rx, 0);
  ck_assert_uint_eq (tx, 0);
}
END_TEST

START_TEST (net_dev_names_that_start_with_lo_count)
{
  const char *content = NET_DEV_HEADER "  lo0: 5 1 0 0 0 0 0 0 6 1 0 0 0 0 0 0\n";
  uint64_t rx = 0, tx = 0;

  ck_assert_int_eq (mr_stats_parse_net_dev (content, &rx, &tx), 0);
  ck_assert_uint_eq (rx, 5);
  ck_assert_uint_eq (tx, 6);
}
END_TEST

START_TEST (net_dev_rejects_bad_content)
{
  uint64_t rx = 0, tx = 0;

  ck_assert_int_eq (mr_stats_parse_net_dev ("", &rx, &tx), -1);
  ck_assert_int_eq (mr_stats_parse_net_dev ("eth0: 1 2 3\n", &rx, &tx), -1);
  /* too few counters */
  ck_assert_int_eq (mr_stats_parse_net_dev (NET_DEV_HEADER "eth0: 1 2 3 4 5 6 7 8\n", &rx, &tx),
                    -1);
  /* no name */
  ck_assert_int_eq (
      mr_stats_parse_net_dev (NET_DEV_HEADER " : 1 2 3 4 5 6 7 8 9 0 0 0 0 0 0 0\n", &rx, &tx), -1);
  /* no colon */
  ck_assert_int_eq (
      mr_stats_parse_net_dev (NET_DEV_HEADER "eth0 1 2 3 4 5 6 7 8 9 0 0 0 0 0 0 0\n", &rx, &tx),
      -1);
}
END_TEST

START_TEST (proc_stat_busy_and_total)
{
  /* user nice system idle iowait irq softirq steal guest guest_nice */
  const char *content = "cpu  100 20 30 800 50 5 5 10 40 0\n"
                        "cpu0 50 10 15 400 25 2 3 5 20 0\n"
                        "intr 12345 0 0\n";
  uint64_t busy = 0, total = 0;

  ck_assert_int_eq (mr_stats_parse_proc_stat (content, &busy, &total), 0);
  /* guest (40) is already part of user */
  ck_assert_uint_eq (total, 100 + 20 + 30 + 800 + 50 + 5 + 5 + 10);
  ck_assert_uint_eq (busy, total - 800 - 50);
}
END_TEST

START_TEST (proc_stat_old_kernel_four_fields)
{
  uint64_t busy = 0, total = 0;

  ck_assert_int_eq (mr_stats_parse_proc_stat ("cpu 1 2 3 4\n", &busy, &total), 0);
  ck_assert_uint_eq (total, 10);
  ck_assert_uint_eq (busy, 6);
}
END_TEST

START_TEST (proc_stat_rejects_bad_content)
{
  uint64_t busy = 0, total = 0;

  ck_assert_int_eq (mr_stats_parse_proc_stat ("", &busy, &total), -1);
  ck_assert_int_eq (mr_stats_parse_proc_stat ("cpu0 1 2 3 4\n", &busy, &total), -1);
  ck_assert_int_eq (mr_stats_parse_proc_stat ("cpu 1 2 x\n", &busy, &total), -1);
}
END_TEST

START_TEST (host_cpu_percent_math)
{
  ck_assert_double_eq_tol (mr_stats_host_cpu_percent (100, 1000, 150, 1100), 50.0, 1e-9);
  ck_assert_double_eq_tol (mr_stats_host_cpu_percent (0, 0, 400, 400), 100.0, 1e-9);
  /* no time passed, or counters that went back: nothing to measure */
  ck_assert_double_eq (mr_stats_host_cpu_percent (100, 1000, 100, 1000), 0.0);
  ck_assert_double_eq (mr_stats_host_cpu_percent (100, 1000, 50, 1100), 0.0);
  ck_assert_double_eq (mr_stats_host_cpu_percent (100, 1000, 200, 900), 0.0);
}
END_TEST

START_TEST (container_cpu_percent_is_docker_like)
{
  struct mr_stats a = { .size = sizeof a, .time_ns = 1000000000ULL, .cpu_usage_ns = 5000000000ULL };
  struct mr_stats b = a;

  /* half a second of CPU in one second: 50% */
  b.time_ns += 1000000000ULL;
  b.cpu_usage_ns += 500000000ULL;
  ck_assert_double_eq_tol (mr_stats_cpu_percent (&a, &b), 50.0, 1e-9);
  /* two CPUs busy for 0.5 s: 200%, one CPU being 100% */
  b = a;
  b.time_ns += 500000000ULL;
  b.cpu_usage_ns += 1000000000ULL;
  ck_assert_double_eq_tol (mr_stats_cpu_percent (&a, &b), 200.0, 1e-9);
  /* the samples in the wrong order, the same sample, a restarted counter */
  ck_assert_double_eq (mr_stats_cpu_percent (&b, &a), 0.0);
  ck_assert_double_eq (mr_stats_cpu_percent (&a, &a), 0.0);
  b = a;
  b.time_ns += 1;
  b.cpu_usage_ns = 0;
  ck_assert_double_eq (mr_stats_cpu_percent (&a, &b), 0.0);
}
END_TEST

START_TEST (memory_usage_leaves_out_inactive_file)
{
  ck_assert_uint_eq (mr_stats_memory_usage (100 << 20, 30 << 20), 70 << 20);
  /* never below zero */
  ck_assert_uint_eq (mr_stats_memory_usage (10, 20), 10);
  ck_assert_uint_eq (mr_stats_memory_usage (10, 10), 10);
  ck_assert_uint_eq (mr_stats_memory_usage (0, 0), 0);
}
END_TEST

START_TEST (memory_limit_is_capped_by_the_host)
{
  ck_assert_uint_eq (mr_stats_memory_limit (UINT64_MAX, 8ULL << 30), 8ULL << 30);
  ck_assert_uint_eq (mr_stats_memory_limit (64 << 20, 8ULL << 30), 64 << 20);
  ck_assert_uint_eq (mr_stats_memory_limit (16ULL << 30, 8ULL << 30), 8ULL << 30);
}
END_TEST

START_TEST (memory_percent)
{
  struct mr_stats s = { .size = sizeof s, .memory_usage = 16 << 20, .memory_limit = 64 << 20 };

  ck_assert_double_eq_tol (mr_stats_memory_percent (&s), 25.0, 1e-9);
  s.memory_limit = 0;
  ck_assert_double_eq (mr_stats_memory_percent (&s), 0.0);
}
END_TEST

START_TEST (meminfo_total_and_available)
{
  const char *content = "MemTotal:        8000000 kB\n"
                        "MemFree:          100000 kB\n"
                        "MemAvailable:    6000000 kB\n"
                        "Buffers:           20000 kB\n"
                        "Cached:           300000 kB\n";
  uint64_t total = 0, avail = 0;

  ck_assert_int_eq (mr_stats_parse_meminfo (content, &total, &avail), 0);
  ck_assert_uint_eq (total, 8000000ULL * 1024);
  ck_assert_uint_eq (avail, 6000000ULL * 1024);
}
END_TEST

START_TEST (meminfo_without_memavailable_adds_free_and_cache)
{
  const char *content = "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n"
                        "SwapCached: 7 kB\n";
  uint64_t total = 0, avail = 0;

  ck_assert_int_eq (mr_stats_parse_meminfo (content, &total, &avail), 0);
  ck_assert_uint_eq (avail, 420 * 1024);
}
END_TEST

START_TEST (meminfo_rejects_bad_content)
{
  uint64_t total = 0, avail = 0;

  ck_assert_int_eq (mr_stats_parse_meminfo ("MemFree: 1 kB\n", &total, &avail), -1);
  ck_assert_int_eq (mr_stats_parse_meminfo ("MemTotal: lots\n", &total, &avail), -1);
}
END_TEST

START_TEST (loadavg_three_values)
{
  double load[3] = { -1, -1, -1 };

  ck_assert_int_eq (mr_stats_parse_loadavg ("0.52 1.05 12.00 2/345 6789\n", load), 0);
  ck_assert_double_eq_tol (load[0], 0.52, 1e-9);
  ck_assert_double_eq_tol (load[1], 1.05, 1e-9);
  ck_assert_double_eq_tol (load[2], 12.0, 1e-9);
  ck_assert_int_eq (mr_stats_parse_loadavg ("0.52 1.05\n", load), -1);
  ck_assert_int_eq (mr_stats_parse_loadavg ("a b c d\n", load), -1);
  ck_assert_int_eq (mr_stats_parse_loadavg ("", load), -1);
}
END_TEST

static char *
pretty (const char *content)
{
  struct mr_error err = { 0 };
  char *out = NULL;

  if (mr_stats_parse_os_release (content, &out, &err) < 0)
    return NULL;
  return out;
}

START_TEST (os_release_pretty_name)
{
  cleanup_free char *a
      = pretty ("NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
  cleanup_free char *b = pretty ("PRETTY_NAME='Alpine Linux v3.20'\n");
  cleanup_free char *c = pretty ("ID=arch\nPRETTY_NAME=Arch  \n");
  cleanup_free char *d = pretty ("PRETTY_NAME=\"Say \\\"hi\\\" \\$HOME\"\n");

  ck_assert_str_eq (a, "Debian GNU/Linux 12 (bookworm)");
  ck_assert_str_eq (b, "Alpine Linux v3.20");
  ck_assert_str_eq (c, "Arch");
  ck_assert_str_eq (d, "Say \"hi\" $HOME");
}
END_TEST

START_TEST (os_release_missing_or_broken)
{
  struct mr_error err = { 0 };
  char *out = NULL;

  ck_assert_int_eq (mr_stats_parse_os_release ("NAME=x\nXPRETTY_NAME=y\n", &out, &err), -1);
  ck_assert_int_eq (err.errnum, ENOENT);
  ck_assert_ptr_null (out);
  mr_error_clear (&err);
  ck_assert_int_eq (mr_stats_parse_os_release ("PRETTY_NAME=\"open\n", &out, &err), -1);
  ck_assert_ptr_nonnull (strstr (err.msg, "PRETTY_NAME"));
}
END_TEST

static const char *
size_str (uint64_t bytes, bool binary)
{
  static char buf[32];

  mr_size_format (bytes, binary, buf, sizeof buf);
  return buf;
}

START_TEST (sizes_as_docker_prints_them)
{
  ck_assert_str_eq (size_str (0, true), "0B");
  ck_assert_str_eq (size_str (0, false), "0B");
  ck_assert_str_eq (size_str (1536 * 1024, true), "1.5MiB");
  ck_assert_str_eq (size_str (64 << 20, true), "64MiB");
  ck_assert_str_eq (size_str (1023, true), "1023B");
  ck_assert_str_eq (size_str (1024, true), "1KiB");
  ck_assert_str_eq (size_str (8ULL << 30, true), "8GiB");
  ck_assert_str_eq (size_str (12345, false), "12.3kB");
  ck_assert_str_eq (size_str (4100, false), "4.1kB");
  ck_assert_str_eq (size_str (999, false), "999B");
  ck_assert_str_eq (size_str (999700, false), "1MB");
  ck_assert_str_eq (size_str (20971520, false), "21MB");
}
END_TEST

static void
put_file (const char *dir, const char *name, const char *content)
{
  char path[4096];
  FILE *f;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  f = fopen (path, "w");
  ck_assert_ptr_nonnull (f);
  fputs (content, f);
  ck_assert_int_eq (fclose (f), 0);
}

/* The v2 backend reads the files of a cgroup2 directory; a plain
 * directory with the same files stands in for one.  */
START_TEST (cgroup_v2_stats_read_the_files_docker_reads)
{
  char root[] = "/tmp/mr-test-stats-XXXXXX";
  char dir[sizeof root + 8];
  struct mr_cgroup_stats st;
  struct mr_cgroup *cg = NULL;
  struct mr_error err = { 0 };

  ck_assert_ptr_nonnull (mkdtemp (root));
  snprintf (dir, sizeof dir, "%s/ctr", root);
  ck_assert_int_eq (mkdir (dir, 0755), 0);
  put_file (dir, "cpu.stat", "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n");
  put_file (dir, "memory.current", "52428800\n");
  put_file (dir, "memory.max", "max\n");
  put_file (dir, "memory.stat",
            "anon 1000\nfile 20971520\nactive_file 10485760\n"
            "inactive_file 8388608\nshmem 0\n");
  put_file (dir, "memory.events", "low 0\nhigh 0\nmax 4\noom 3\noom_kill 2\n");
  put_file (dir, "pids.current", "7\n");
  put_file (dir, "pids.max", "100\n");
  put_file (dir, "io.stat",
            "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"
            "8:16 rbytes=100 wbytes=200 rios=1 wios=1 dbytes=0 dios=0\n");

  mr_cgroup_set_override (MR_CGROUP_V2, root);
  ck_assert_msg (mr_cgroup_open ("/ctr", &cg, &err) == 0, "%s", err.msg);
  ck_assert_msg (mr_cgroup_stats (cg, &st, &err) == 0, "%s", err.msg);
  mr_cgroup_free (cg);
  mr_cgroup_set_override (0, NULL);
  unit_rm_tree (root);

  ck_assert_uint_eq (st.cpu_usage_ns, 1500000000ULL);
  ck_assert_uint_eq (st.memory_usage, 52428800);
  ck_assert_uint_eq (st.memory_limit, UINT64_MAX);
  ck_assert_uint_eq (st.memory_inactive_file, 8388608);
  ck_assert_uint_eq (mr_stats_memory_usage (st.memory_usage, st.memory_inactive_file),
                     52428800 - 8388608);
  ck_assert_uint_eq (st.oom_kills, 2);
  ck_assert_uint_eq (st.pids_current, 7);
  ck_assert_uint_eq (st.pids_limit, 100);
  ck_assert_uint_eq (st.blkio_read_bytes, 4196);
  ck_assert_uint_eq (st.blkio_write_bytes, 8392);
}
END_TEST

START_TEST (cgroup_v2_stats_of_a_missing_file_are_zero)
{
  char root[] = "/tmp/mr-test-stats-XXXXXX";
  char dir[sizeof root + 8];
  struct mr_cgroup_stats st;
  struct mr_cgroup *cg = NULL;
  struct mr_error err = { 0 };

  ck_assert_ptr_nonnull (mkdtemp (root));
  snprintf (dir, sizeof dir, "%s/ctr", root);
  ck_assert_int_eq (mkdir (dir, 0755), 0);
  /* no memory controller here: no memory.stat, no memory.max */
  put_file (dir, "memory.current", "4096\n");
  mr_cgroup_set_override (MR_CGROUP_V2, root);
  ck_assert_msg (mr_cgroup_open ("/ctr", &cg, &err) == 0, "%s", err.msg);
  ck_assert_msg (mr_cgroup_stats (cg, &st, &err) == 0, "%s", err.msg);
  mr_cgroup_free (cg);
  mr_cgroup_set_override (0, NULL);
  unit_rm_tree (root);

  ck_assert_uint_eq (st.memory_usage, 4096);
  ck_assert_uint_eq (st.memory_inactive_file, 0);
  ck_assert_uint_eq (st.memory_limit, UINT64_MAX);
  ck_assert_uint_eq (st.pids_limit, UINT64_MAX);
  ck_assert_uint_eq (st.cpu_usage_ns, 0);
}
END_TEST

START_TEST (stats_json_has_the_documented_keys)
{
  struct mr_stats a = { .size = sizeof a, .time_ns = 1000000000ULL, .cpu_usage_ns = 0 };
  struct mr_stats b = { .size = sizeof b,
                        .time_ns = 2000000000ULL,
                        .cpu_usage_ns = 123456789ULL,
                        .memory_usage = 16 << 20,
                        .memory_limit = 64 << 20,
                        .pids = 3,
                        .block_read = 1,
                        .block_write = 2,
                        .net_rx = 3,
                        .net_tx = 4 };
  struct mr_error err = { 0 };
  char *json = NULL;

  ck_assert_int_eq (mr_stats_json ("web", &a, &b, &json, &err), 0);
  ck_assert_str_eq (json, "{\"name\":\"web\",\"id\":\"web\",\"cpu_percent\":12.35,"
                          "\"memory_usage\":16777216,\"memory_limit\":67108864,"
                          "\"memory_percent\":25.0,\"net_rx\":3,\"net_tx\":4,"
                          "\"block_read\":1,\"block_write\":2,\"pids\":3}");
  free (json);
  /* without an earlier sample there is no CPU % */
  ck_assert_int_eq (mr_stats_json ("web", NULL, &b, &json, &err), 0);
  ck_assert_ptr_nonnull (strstr (json, "\"cpu_percent\":0.0,"));
  free (json);
}
END_TEST

static Suite *
stats_suite (void)
{
  Suite *s = suite_create ("stats");
  TCase *tc = tcase_create ("parsers");

  tcase_add_test (tc, net_dev_sums_every_interface_but_lo);
  tcase_add_test (tc, net_dev_with_only_lo_is_zero);
  tcase_add_test (tc, net_dev_names_that_start_with_lo_count);
  tcase_add_test (tc, net_dev_rejects_bad_content);
  tcase_add_test (tc, proc_stat_busy_and_total);
  tcase_add_test (tc, proc_stat_old_kernel_four_fields);
  tcase_add_test (tc, proc_stat_rejects_bad_content);
  tcase_add_test (tc, meminfo_total_and_available);
  tcase_add_test (tc, meminfo_without_memavailable_adds_free_and_cache);
  tcase_add_test (tc, meminfo_rejects_bad_content);
  tcase_add_test (tc, loadavg_three_values);
  tcase_add_test (tc, os_release_pretty_name);
  tcase_add_test (tc, os_release_missing_or_broken);
  suite_add_tcase (s, tc);
  tc = tcase_create ("math");
  tcase_add_test (tc, host_cpu_percent_math);
  tcase_add_test (tc, container_cpu_percent_is_docker_like);
  tcase_add_test (tc, memory_usage_leaves_out_inactive_file);
  tcase_add_test (tc, memory_limit_is_capped_by_the_host);
  tcase_add_test (tc, memory_percent);
  tcase_add_test (tc, sizes_as_docker_prints_them);
  tcase_add_test (tc, stats_json_has_the_documented_keys);
  suite_add_tcase (s, tc);
  tc = tcase_create ("cgroup");
  tcase_add_test (tc, cgroup_v2_stats_read_the_files_docker_reads);
  tcase_add_test (tc, cgroup_v2_stats_of_a_missing_file_are_zero);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return unit_run (stats_suite ());
}
