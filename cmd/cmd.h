/* The minirun command line: one applet per verb, sharing the helpers in
 * common.c.  A verb parses its options, fills an options struct, calls one
 * public function of libminirun and prints the result.  */
#ifndef MR_CMD_H
#define MR_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "minirun.h"

enum log_format
{
  LOG_FORMAT_TEXT = 0,
  LOG_FORMAT_JSON,
};

/* What the global options asked for, and the lazily opened context.  */
struct mr_global
{
  struct mr_context *ctx;
  struct mr_error err;
  const char *root;
  const char *log_path;
  enum log_format log_format;
  bool debug;
  bool systemd_cgroup;
  bool rootless;
  /* the command line as given, for a verb that executes another program */
  int argc;
  char **argv;
};

/* What `minirun serve` tells the minirun-serve program it executes: the
 * path of the minirun binary, for the monitors of managed containers.  */
#define MR_EXE_ENV "MINIRUN_EXE"

typedef int (*applet_fn) (struct mr_global *g, int argc, char **argv);

struct applet
{
  const char *name;
  applet_fn fn;
  const char *summary;  /* one line, for `minirun --help` */
  const char *synopsis; /* what follows "minirun NAME" in usage and man page */
  const char *options;  /* the Options: section of `minirun NAME --help` */
};

/* main.c: the applet table.  */
const struct applet *applet_find (const char *name);
/* Prints the verb's help on stdout; returns exit status 0.  */
int verb_help (const char *verb);

/* common.c */

/* Opens g->ctx from the global options unless already open.  */
int context_open (struct mr_global *g);

/* Prints "minirun VERB: MESSAGE" and a hint to stderr; returns 1.  */
int usage_error (const char *verb, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Turns a getopt_long '?' or ':' into a usage error; returns 1.  */
int bad_option (const char *verb, int c, char **argv);
/* --format table|json; a usage error (returns -1) for anything else.  */
int parse_format (const char *verb, const char *arg, bool *as_json);
/* Writes all of buf, retrying on EINTR and short writes; 0 or -1.  */
int write_all (int fd, const char *buf, size_t len);
/* Prints "minirun: MESSAGE" to stderr and the log; returns 1.  */
int cmd_fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/* 0 when ret >= 0, else prints err like cmd_fail and returns 1.  */
int report (int ret, const struct mr_error *err);

/* Sets where error and debug lines are logged; creates the log file so that
 * engines find it even when nothing goes wrong.  Returns 0 or -1 (printed).  */
int log_init (const char *path, enum log_format format, bool debug);
void log_debug (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Prints a JSON document from the library, ending it with a newline.  */
void print_json (const char *json);

/* Prints nrows rows of ncols cells (row-major, headers first) in aligned
 * columns, each at least min_width wide and gap spaces apart.  */
void print_table (char *const *cells, size_t nrows, size_t ncols, size_t min_width, size_t gap);

/* Reads a whole file ("-": standard input) of at most max bytes into a
 * NUL-terminated string.  */
int read_arg_file (const char *path, size_t max, char **out, struct mr_error *err);

/* Parses a decimal integer in [min, max].  Returns 0 or -1.  */
int parse_number (const char *s, long long min, long long max, long long *out);

/* For verbs whose only argument is the container id: handles --help and
 * usage errors.  Returns 0 with *id set, else the exit status (*id NULL).  */
int parse_id (const char *verb, int argc, char **argv, const char **id);

/* Flushes stdout; returns 0 or 1 after printing why writing failed.  */
int close_stdout (void);

/* create.c: the options create and run share; returns 0, or the exit status
 * of a usage error or of --help (then *id is NULL).  */
int create_parse (const char *verb, int argc, char **argv, struct mr_create_opts *o,
                  const char **id);

int cmd_create (struct mr_global *g, int argc, char **argv);
int cmd_start (struct mr_global *g, int argc, char **argv);
int cmd_run (struct mr_global *g, int argc, char **argv);
int cmd_state (struct mr_global *g, int argc, char **argv);
int cmd_kill (struct mr_global *g, int argc, char **argv);
int cmd_delete (struct mr_global *g, int argc, char **argv);
int cmd_rm (struct mr_global *g, int argc, char **argv);
int cmd_stop (struct mr_global *g, int argc, char **argv);
int cmd_restart (struct mr_global *g, int argc, char **argv);
int cmd_wait (struct mr_global *g, int argc, char **argv);
int cmd_inspect (struct mr_global *g, int argc, char **argv);
int cmd_port (struct mr_global *g, int argc, char **argv);
int cmd_logs (struct mr_global *g, int argc, char **argv);
int cmd_monitor (struct mr_global *g, int argc, char **argv);
int cmd_list (struct mr_global *g, int argc, char **argv);
int cmd_ls (struct mr_global *g, int argc, char **argv);
int cmd_ps (struct mr_global *g, int argc, char **argv);
int cmd_pause (struct mr_global *g, int argc, char **argv);
int cmd_resume (struct mr_global *g, int argc, char **argv);
int cmd_exec (struct mr_global *g, int argc, char **argv);
int cmd_update (struct mr_global *g, int argc, char **argv);
int cmd_spec (struct mr_global *g, int argc, char **argv);
int cmd_features (struct mr_global *g, int argc, char **argv);
int cmd_image (struct mr_global *g, int argc, char **argv);
int cmd_network (struct mr_global *g, int argc, char **argv);
int cmd_cp (struct mr_global *g, int argc, char **argv);
int cmd_useradd (struct mr_global *g, int argc, char **argv);
int cmd_stats (struct mr_global *g, int argc, char **argv);
int cmd_system (struct mr_global *g, int argc, char **argv);
int cmd_events (struct mr_global *g, int argc, char **argv);
int cmd_serve (struct mr_global *g, int argc, char **argv);

#endif
