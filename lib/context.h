#ifndef MR_CONTEXT_H
#define MR_CONTEXT_H

#include "minirun.h"

struct mr_context
{
  char *root;     /* state directory */
  char *data_dir; /* persistent records */
  int rootfd;     /* O_DIRECTORY fd of root, opened on first use */
  bool systemd_cgroup;
  bool rootless;
  void (*warn) (void *data, const char *msg);
  void *warn_data;
  bool root_given;    /* the caller named the root: monitors get it too */
  char *monitor_path; /* the binary that runs "monitor" */
  /* Told of each event of the OCI core (create, start, exec, kill, die,
     pause, resume, delete), so that the core need not know where events
     are kept; code: the signal of "kill", the exit code of "die".  */
  void (*event) (struct mr_context *ctx, const char *action, const char *id, int code);
  /* mr_context_set_port_range's, over minirun.conf's */
  bool port_range_set;
  struct mr_port_range port_range;
};

/* The state directory fd; creates the directory (0700) when missing.  */
int mr_context_rootfd (struct mr_context *ctx, struct mr_error *err);

void mr_context_warn (struct mr_context *ctx, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

#endif
