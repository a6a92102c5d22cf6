/* The parsers and the arithmetic behind the stats calls, kept apart from
 * the files they read so that unit tests can feed them any content.  */
#ifndef MR_STATS_H
#define MR_STATS_H

#include <stdint.h>

#include "minirun.h"

/* Sums the received and transmitted bytes of every interface that
 * /proc/<pid>/net/dev lists, except lo.  Fails on content that is not in
 * that format (no header, a line without a name or without counters).  */
int mr_stats_parse_net_dev (const char *content, uint64_t *rx, uint64_t *tx);

/* The aggregate "cpu" line of /proc/stat, in clock ticks: total (user,
 * nice, system, idle, iowait, irq, softirq, steal; guest time is already
 * part of user) and busy (total less idle and iowait).  */
int mr_stats_parse_proc_stat (const char *content, uint64_t *busy, uint64_t *total);

/* MemTotal and MemAvailable of /proc/meminfo, in bytes.  available may be
 * NULL.  */
int mr_stats_parse_meminfo (const char *content, uint64_t *total, uint64_t *available);

/* The three load averages of /proc/loadavg.  */
int mr_stats_parse_loadavg (const char *content, double load[3]);

/* The value of PRETTY_NAME in os-release content, unquoted (caller
 * frees); ENOENT when the key is absent.  */
int mr_stats_parse_os_release (const char *content, char **pretty, struct mr_error *err);

/* Percentage of the whole machine busy between two /proc/stat samples
 * (100: every CPU busy); 0 when the ticks did not move forward.  */
double mr_stats_host_cpu_percent (uint64_t busy0, uint64_t total0, uint64_t busy1, uint64_t total1);

/* The memory usage that docker stats shows: usage less the inactive file
 * cache, as long as that leaves something.  */
uint64_t mr_stats_memory_usage (uint64_t usage, uint64_t inactive_file);

/* The limit to show: the cgroup's, but no more than the host has (what an
 * unlimited cgroup gets, UINT64_MAX).  */
uint64_t mr_stats_memory_limit (uint64_t cgroup_limit, uint64_t host_total);

/* mr_container_stats for a validated id.  */
int mr_stats_container (struct mr_context *ctx, const char *id, struct mr_stats *out,
                        struct mr_error *err);
/* mr_system_stats, the containers counted from list (n entries, as
   mr_container_list makes it).  */
int mr_stats_system (const struct mr_container_info *list, size_t n,
                     struct mr_system_stats *out, struct mr_error *err);

#endif
