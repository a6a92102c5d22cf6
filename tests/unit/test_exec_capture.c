/* mr_container_exec_capture and the stdio of mr_container_exec, against a
 * real container: one busybox container (made by
 * tests/integration/mkrootfs.sh) serves every test.  Needs root and a static
 * busybox; without them the whole program is a TAP skip.  */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "minirun.h"
#include "unit.h"

static char scratch[] = "/tmp/mr-test-exec-XXXXXX";
static char id[64];
static struct mr_context *ctx;

static void
remove_scratch (void)
{
  unit_rm_tree (scratch);
}

/* tests/integration/mkrootfs.sh: from $top_srcdir as `make check` sets it,
 * else next to this file.  */
static char *
mkrootfs_path (void)
{
  const char *top = getenv ("top_srcdir");
  char *p = NULL, *here;

  if (top && *top)
    {
      if (asprintf (&p, "%s/tests/integration/mkrootfs.sh", top) < 0)
        return NULL;
      return p;
    }
  here = strdup (__FILE__);
  if (here == NULL || asprintf (&p, "%s/../integration/mkrootfs.sh", dirname (here)) < 0)
    p = NULL;
  free (here);
  return p;
}

static int
write_config (const char *bundle)
{
  struct mr_error err = { 0 };
  char *text = NULL, *path = NULL;
  json_t *doc, *args;
  int r = -1;

  if (mr_spec_generate (false, &text, &err) < 0)
    {
      fprintf (stderr, "# spec: %s\n", err.msg);
      return -1;
    }
  doc = json_loads (text, 0, NULL);
  free (text);
  if (doc == NULL)
    return -1;
  args = json_pack ("[ss]", "sleep", "600");
  json_object_set_new (json_object_get (doc, "process"), "args", args);
  json_object_set_new (json_object_get (doc, "process"), "terminal", json_false ());
  json_object_set_new (json_object_get (doc, "root"), "readonly", json_false ());
  if (asprintf (&path, "%s/config.json", bundle) >= 0)
    r = json_dump_file (doc, path, 0);
  free (path);
  json_decref (doc);
  return r;
}

/* The shared container, or a reason to skip everything.  */
static const char *
make_container (void)
{
  struct mr_context_opts co = { .size = sizeof co };
  struct mr_create_opts cr = { .size = sizeof cr };
  struct mr_error err = { 0 };
  char *script = mkrootfs_path (), *cmd = NULL, *state = NULL, *bundle = NULL;
  int status;

  if (geteuid () != 0)
    return "needs root";
  if (script == NULL || access (script, R_OK) < 0)
    return "tests/integration/mkrootfs.sh not found (set top_srcdir)";
  if (mkdtemp (scratch) == NULL)
    return "mkdtemp failed";
  chmod (scratch, 0755);
  if (asprintf (&cmd, "sh '%s' '%s/bundle/rootfs' >/dev/null 2>&1", script, scratch) < 0)
    return "out of memory";
  status = system (cmd);
  free (cmd);
  free (script);
  if (status != 0)
    return "no static busybox (install busybox-static)";
  if (asprintf (&state, "%s/state", scratch) < 0 || asprintf (&bundle, "%s/bundle", scratch) < 0)
    return "out of memory";
  if (write_config (bundle) < 0)
    return "cannot write config.json";
  co.root = state;
  snprintf (id, sizeof id, "mr-unit-exec-%d", (int)getpid ());
  cr.bundle = bundle;
  if (mr_context_new (&co, &ctx, &err) < 0 || mr_container_create (ctx, id, &cr, &err) < 0
      || mr_container_start (ctx, id, &err) < 0)
    fprintf (stderr, "# container: %s\n", err.msg); /* the tests will fail */
  free (state);
  free (bundle);
  return NULL;
}

static void
drop_container (void)
{
  struct mr_delete_opts d = { .size = sizeof d, .force = true };
  struct mr_error err = { 0 };

  if (ctx)
    {
      if (mr_container_delete (ctx, id, &d, &err) < 0)
        fprintf (stderr, "# delete %s: %s\n", id, err.msg);
      mr_context_free (ctx);
      ctx = NULL;
    }
  remove_scratch ();
}

/* Runs argv (NULL-terminated) with copts; returns what the call returned.  */
static int
capture (const char *const *argv, const struct mr_exec_capture_opts *copts,
         struct mr_exec_result *res, struct mr_error *err)
{
  struct mr_exec_opts o = { .size = sizeof o, .args = argv };

  memset (res, 0, sizeof *res);
  res->size = sizeof *res;
  memset (err, 0, sizeof *err);
  return mr_container_exec_capture (ctx, id, &o, copts, res, err);
}

#define SH(script) ((const char *const[]){ "sh", "-c", (script), NULL })

static double
elapsed_since (const struct timespec *t0)
{
  struct timespec t1;
  clock_gettime (CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

START_TEST (stdout_and_stderr_are_captured_apart_with_the_exit_code)
{
  struct mr_exec_result res;
  struct mr_error err;

  ck_assert_msg (capture (SH ("echo out; echo err >&2; echo more; exit 3"), NULL, &res, &err) == 0,
                 "%s", err.msg);
  ck_assert_int_eq (res.exit_code, 3);
  ck_assert_str_eq (res.stdout_data, "out\nmore\n");
  ck_assert_uint_eq (res.stdout_len, 9);
  ck_assert_str_eq (res.stderr_data, "err\n");
  ck_assert_uint_eq (res.stderr_len, 4);
  ck_assert (!res.stdout_truncated && !res.stderr_truncated && !res.timed_out);
  mr_exec_result_clear (&res);
  ck_assert_ptr_null (res.stdout_data);
  ck_assert_uint_eq (res.size, sizeof res);

  ck_assert_int_eq (capture ((const char *const[]){ "true", NULL }, NULL, &res, &err), 0);
  ck_assert_int_eq (res.exit_code, 0);
  ck_assert_ptr_nonnull (res.stdout_data);
  ck_assert_str_eq (res.stdout_data, "");
  ck_assert_str_eq (res.stderr_data, "");
  mr_exec_result_clear (&res);
}
END_TEST

START_TEST (a_signal_gives_128_plus_its_number)
{
  struct mr_exec_result res;
  struct mr_error err;

  ck_assert_int_eq (capture (SH ("echo dying; kill -9 $$"), NULL, &res, &err), 0);
  ck_assert_int_eq (res.exit_code, 128 + SIGKILL);
  ck_assert_str_eq (res.stdout_data, "dying\n");
  ck_assert (!res.timed_out);
  mr_exec_result_clear (&res);
}
END_TEST

START_TEST (input_bytes_reach_stdin_and_then_eof)
{
  static const char in[] = "line one\nbin\0ary\n";
  struct mr_exec_capture_opts c = { .size = sizeof c, .input = in, .input_len = sizeof in - 1 };
  struct mr_exec_result res;
  struct mr_error err;

  ck_assert_msg (capture ((const char *const[]){ "cat", NULL }, &c, &res, &err) == 0, "%s",
                 err.msg);
  ck_assert_int_eq (res.exit_code, 0);
  ck_assert_uint_eq (res.stdout_len, sizeof in - 1);
  ck_assert_mem_eq (res.stdout_data, in, sizeof in - 1);
  ck_assert_int_eq (res.stdout_data[res.stdout_len], '\0');
  mr_exec_result_clear (&res);
}
END_TEST

START_TEST (without_input_stdin_is_dev_null)
{
  struct mr_exec_result res;
  struct mr_error err;

  ck_assert_int_eq (capture (SH ("readlink /proc/self/fd/0; wc -c"), NULL, &res, &err), 0);
  ck_assert_int_eq (res.exit_code, 0);
  ck_assert_str_eq (res.stdout_data, "/dev/null\n0\n");
  mr_exec_result_clear (&res);
}
END_TEST

/* More input than a pipe holds, echoed back as it comes: the writer and the
 * readers have to take turns.  */
START_TEST (large_input_and_output_flow_together)
{
  size_t n = 1 << 20;
  char *in = malloc (n);
  struct mr_exec_capture_opts c = { .size = sizeof c, .max_output = 2 * n, .timeout = 60 };
  struct mr_exec_result res;
  struct mr_error err;

  ck_assert_ptr_nonnull (in);
  for (size_t i = 0; i < n; i++)
    in[i] = (char)('a' + i % 26);
  c.input = in;
  c.input_len = n;
  ck_assert_msg (capture (SH ("cat; cat /etc/hostname >&2"), &c, &res, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (res.exit_code, 0);
  ck_assert (!res.timed_out);
  ck_assert_uint_eq (res.stdout_len, n);
  ck_assert (memcmp (res.stdout_data, in, n) == 0);
  mr_exec_result_clear (&res);
  free (in);
}
END_TEST

START_TEST (a_process_that_does_not_read_its_input_is_fine)
{
  size_t n = 1 << 20;
  char *in = calloc (1, n);
  struct mr_exec_capture_opts c = { .size = sizeof c, .input = in, .input_len = n, .timeout = 60 };
  struct mr_exec_result res;
  struct mr_error err;
  sigset_t pending;

  ck_assert_ptr_nonnull (in);
  ck_assert_int_eq (capture (SH ("echo ignoring; exit 5"), &c, &res, &err), 0);
  ck_assert_int_eq (res.exit_code, 5);
  ck_assert_str_eq (res.stdout_data, "ignoring\n");
  ck_assert (!res.timed_out);
  /* a write that found the reader gone (SIGPIPE's default kills) left
     no SIGPIPE pending either */
  ck_assert_int_eq (sigpending (&pending), 0);
  ck_assert (!sigismember (&pending, SIGPIPE));
  mr_exec_result_clear (&res);
  free (in);
}
END_TEST

START_TEST (the_byte_limit_truncates_and_sets_the_flag)
{
  struct mr_exec_capture_opts c = { .size = sizeof c, .max_output = 1000 };
  struct mr_exec_result res;
  struct mr_error err;

  ck_assert_int_eq (capture (SH ("dd if=/dev/zero bs=1000 count=100 2>/dev/null; echo small >&2"),
                             &c, &res, &err),
                    0);
  /* the rest was read and dropped: dd was not stopped by a full pipe */
  ck_assert_int_eq (res.exit_code, 0);
  ck_assert_uint_eq (res.stdout_len, 1000);
  ck_assert (res.stdout_truncated);
  ck_assert_int_eq (res.stdout_data[1000], '\0');
  ck_assert_str_eq (res.stderr_data, "small\n");
  ck_assert (!res.stderr_truncated);
  mr_exec_result_clear (&res);

  /* exactly the limit is not truncated */
  c.max_output = 6;
  ck_assert_int_eq (capture (SH ("echo 12345"), &c, &res, &err), 0);
  ck_assert_str_eq (res.stdout_data, "12345\n");
  ck_assert (!res.stdout_truncated);
  mr_exec_result_clear (&res);
}
END_TEST

START_TEST (the_default_limit_is_one_mib)
{
  struct mr_exec_result res;
  struct mr_error err;

  ck_assert_int_eq (
      capture (SH ("dd if=/dev/zero bs=65536 count=24 2>/dev/null"), NULL, &res, &err), 0);
  ck_assert_uint_eq (res.stdout_len, 1 << 20);
  ck_assert (res.stdout_truncated);
  mr_exec_result_clear (&res);
}
END_TEST

START_TEST (the_timeout_kills_and_sets_timed_out)
{
  struct mr_exec_capture_opts c = { .size = sizeof c, .timeout = 1 };
  struct mr_exec_result res;
  struct mr_error err;
  struct timespec t0;
  double took;

  clock_gettime (CLOCK_MONOTONIC, &t0);
  ck_assert_msg (capture (SH ("echo started; exec sleep 30"), &c, &res, &err) == 0, "%s", err.msg);
  took = elapsed_since (&t0);
  ck_assert (res.timed_out);
  ck_assert_int_eq (res.exit_code, 128 + SIGKILL);
  ck_assert_str_eq (res.stdout_data, "started\n");
  ck_assert_msg (took >= 0.9 && took < 10, "took %.2fs", took);
  mr_exec_result_clear (&res);
}
END_TEST

/* cancel: true once the process has started (its first output is in), and
 * counted.  */
struct cancel_state
{
  struct timespec t0;
  int calls;
};

static bool
cancel_after_half_a_second (void *data)
{
  struct cancel_state *cs = data;

  cs->calls++;
  return elapsed_since (&cs->t0) >= 0.5;
}

START_TEST (cancel_kills_the_process_and_fails_with_ecanceled)
{
  struct cancel_state cs = { 0 };
  struct mr_exec_capture_opts c
      = { .size = sizeof c, .cancel = cancel_after_half_a_second, .cancel_data = &cs };
  struct mr_exec_result res;
  struct mr_error err;
  double took;

  clock_gettime (CLOCK_MONOTONIC, &cs.t0);
  ck_assert_int_eq (capture (SH ("echo started; exec sleep 30"), &c, &res, &err), -1);
  took = elapsed_since (&cs.t0);
  ck_assert_int_eq (err.errnum, ECANCELED);
  ck_assert_int_eq (res.exit_code, 128 + SIGKILL);
  ck_assert (!res.timed_out);
  ck_assert_str_eq (res.stdout_data, "started\n");
  ck_assert_msg (took >= 0.45 && took < 5, "took %.2fs", took);
  /* asked every 100 ms or so, not in a busy loop */
  ck_assert_msg (cs.calls >= 3 && cs.calls < 50, "asked %d times", cs.calls);
  mr_exec_result_clear (&res);
}
END_TEST

START_TEST (a_cancel_that_never_fires_changes_nothing)
{
  struct cancel_state cs = { 0 };
  struct mr_exec_capture_opts c
      = { .size = sizeof c, .cancel = cancel_after_half_a_second, .cancel_data = &cs };
  struct mr_exec_result res;
  struct mr_error err;

  clock_gettime (CLOCK_MONOTONIC, &cs.t0);
  cs.t0.tv_sec += 3600;
  ck_assert_msg (capture (SH ("echo out; echo err >&2; exit 3"), &c, &res, &err) == 0, "%s",
                 err.msg);
  ck_assert_int_eq (res.exit_code, 3);
  ck_assert_str_eq (res.stdout_data, "out\n");
  ck_assert_str_eq (res.stderr_data, "err\n");
  mr_exec_result_clear (&res);
}
END_TEST

/* A reader that drains one stream to its end before the other deadlocks
 * here: the process blocks on the full stderr pipe while stdout stays
 * open.  */
START_TEST (lots_on_both_streams_does_not_deadlock)
{
  struct mr_exec_capture_opts c = { .size = sizeof c, .max_output = 8 << 20, .timeout = 60 };
  struct mr_exec_result res;
  struct mr_error err;

  ck_assert_int_eq (
      capture (SH ("i=0; while [ $i -lt 32 ]; do"
                   "  dd if=/dev/zero bs=65536 count=2 2>/dev/null;"
                   "  dd if=/dev/zero bs=65536 count=2 >&2 2>/dev/null; i=$((i + 1)); done"),
               &c, &res, &err),
      0);
  ck_assert (!res.timed_out);
  ck_assert_int_eq (res.exit_code, 0);
  ck_assert_uint_eq (res.stdout_len, 4 << 20);
  ck_assert_uint_eq (res.stderr_len, 4 << 20);
  ck_assert (!res.stdout_truncated && !res.stderr_truncated);
  mr_exec_result_clear (&res);
}
END_TEST

/* What a background process writes after the process exited is not waited
 * for.  */
START_TEST (a_background_child_holding_the_pipes_does_not_block)
{
  struct mr_exec_capture_opts c = { .size = sizeof c, .timeout = 20 };
  struct mr_exec_result res;
  struct mr_error err;
  struct timespec t0;
  double took;

  clock_gettime (CLOCK_MONOTONIC, &t0);
  ck_assert_int_eq (capture (SH ("sleep 5 & echo parent"), &c, &res, &err), 0);
  took = elapsed_since (&t0);
  ck_assert_int_eq (res.exit_code, 0);
  ck_assert (!res.timed_out);
  ck_assert_str_eq (res.stdout_data, "parent\n");
  ck_assert_msg (took < 4, "took %.2fs", took);
  mr_exec_result_clear (&res);
}
END_TEST

START_TEST (a_missing_command_is_127_and_a_non_executable_one_126)
{
  struct mr_exec_result res;
  struct mr_error err;

  ck_assert_int_eq (capture ((const char *const[]){ "no-such-command", NULL }, NULL, &res, &err),
                    -1);
  ck_assert_int_eq (res.exit_code, 127);
  ck_assert_msg (strstr (err.msg, "no-such-command") && strstr (err.msg, id), "%s", err.msg);
  mr_exec_result_clear (&res);

  ck_assert_int_eq (capture ((const char *const[]){ "/no/such/file", NULL }, NULL, &res, &err), -1);
  ck_assert_int_eq (res.exit_code, 127);
  mr_exec_result_clear (&res);

  ck_assert_int_eq (capture ((const char *const[]){ "/etc/passwd", NULL }, NULL, &res, &err), -1);
  ck_assert_int_eq (res.exit_code, 126);
  ck_assert_msg (strstr (err.msg, "/etc/passwd"), "%s", err.msg);
  mr_exec_result_clear (&res);

  ck_assert_int_eq (capture ((const char *const[]){ "/tmp", NULL }, NULL, &res, &err), -1);
  ck_assert_int_eq (res.exit_code, 126);
  mr_exec_result_clear (&res);
}
END_TEST

START_TEST (bad_requests_fail_cleanly)
{
  struct mr_exec_opts o = { .size = sizeof o, .args = (const char *const[]){ "true", NULL } };
  struct mr_exec_capture_opts c = { .size = sizeof c, .input_len = 3 };
  struct mr_exec_result res = { .size = sizeof res };
  struct mr_error err = { 0 };

  o.tty = true;
  ck_assert_int_eq (mr_container_exec_capture (ctx, id, &o, NULL, &res, &err), -1);
  ck_assert_msg (strstr (err.msg, "terminal") && strstr (err.msg, id), "%s", err.msg);
  o.tty = false;
  o.detach = true;
  ck_assert_int_eq (mr_container_exec_capture (ctx, id, &o, NULL, &res, &err), -1);
  ck_assert_msg (strstr (err.msg, "detach"), "%s", err.msg);
  o.detach = false;
  ck_assert_int_eq (mr_container_exec_capture (ctx, id, &o, &c, &res, &err), -1);
  ck_assert_msg (strstr (err.msg, "input"), "%s", err.msg);
  ck_assert_int_eq (mr_container_exec_capture (ctx, "no-such-container", &o, NULL, &res, &err), -1);
  ck_assert_msg (strstr (err.msg, "no-such-container"), "%s", err.msg);
  ck_assert_int_eq (res.exit_code, -1);
  res.size = 0;
  ck_assert_int_eq (mr_container_exec_capture (ctx, id, &o, NULL, &res, &err), -1);
  ck_assert_int_eq (err.errnum, EINVAL);
}
END_TEST

struct thread_job
{
  int n;
  int rc;
  char out[64];
};

static void *
thread_capture (void *data)
{
  struct thread_job *j = data;
  char script[64];
  struct mr_exec_result res;
  struct mr_error err;

  snprintf (script, sizeof script, "echo job-%d; echo e-%d >&2", j->n, j->n);
  j->rc = capture (SH (script), NULL, &res, &err);
  if (j->rc == 0)
    snprintf (j->out, sizeof j->out, "%s|%s", res.stdout_data, res.stderr_data);
  mr_exec_result_clear (&res);
  return NULL;
}

static bool
same_file (bool was_open, const struct stat *a, int fd)
{
  struct stat b;
  if (fstat (fd, &b) < 0)
    return !was_open;
  return was_open && a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

/* Threads capture at once; the process's fds 0-2, signal mask and
 * SIGCHLD disposition are what they were.  */
START_TEST (threads_capture_at_once_and_the_process_is_left_as_it_was)
{
  struct thread_job jobs[4];
  pthread_t t[4];
  struct stat before[3];
  bool was_open[3];
  struct sigaction sa_before, sa_after;
  sigset_t mask_before, mask_after;

  for (int fd = 0; fd < 3; fd++)
    was_open[fd] = fstat (fd, &before[fd]) == 0;
  sigaction (SIGCHLD, NULL, &sa_before);
  pthread_sigmask (SIG_SETMASK, NULL, &mask_before);
  for (int i = 0; i < 4; i++)
    {
      jobs[i] = (struct thread_job){ .n = i };
      ck_assert_int_eq (pthread_create (&t[i], NULL, thread_capture, &jobs[i]), 0);
    }
  for (int i = 0; i < 4; i++)
    {
      char want[64];
      pthread_join (t[i], NULL);
      snprintf (want, sizeof want, "job-%d\n|e-%d\n", i, i);
      ck_assert_int_eq (jobs[i].rc, 0);
      ck_assert_str_eq (jobs[i].out, want);
    }
  for (int fd = 0; fd < 3; fd++)
    ck_assert_msg (same_file (was_open[fd], &before[fd], fd), "fd %d changed", fd);
  sigaction (SIGCHLD, NULL, &sa_after);
  ck_assert_ptr_eq (sa_after.sa_handler, sa_before.sa_handler);
  pthread_sigmask (SIG_SETMASK, NULL, &mask_after);
  for (int s = 1; s < NSIG; s++)
    ck_assert_int_eq (sigismember (&mask_after, s), sigismember (&mask_before, s));
}
END_TEST

static char *
read_fd (int fd)
{
  static char buf[256];
  ssize_t n = read (fd, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = '\0';
  return buf;
}

/* mr_container_exec with stdio_set: the sources are the caller's fds 1 and
 * 2 swapped, which a child that dup2s them in order would get wrong, and
 * -1 is /dev/null.  The test's own fds 1 and 2 are pipes for the
 * occasion (Check runs each test in a process of its own).  */
START_TEST (exec_stdio_swaps_the_callers_fds_in_the_child_only)
{
  const char *const argv[] = { "sh", "-c", "echo to-out; echo to-err >&2; wc -c", NULL };
  struct mr_exec_opts o
      = { .size = sizeof o, .args = argv, .stdio_set = true, .stdio = { -1, 2, 1 } };
  struct mr_error err = { 0 };
  int p1[2], p2[2], status = -1;
  struct stat st1, st2, after;

  ck_assert_int_eq (pipe2 (p1, O_CLOEXEC), 0);
  ck_assert_int_eq (pipe2 (p2, O_CLOEXEC), 0);
  ck_assert_int_ge (dup2 (p1[1], 1), 0);
  ck_assert_int_ge (dup2 (p2[1], 2), 0);
  close (p1[1]);
  close (p2[1]);
  fstat (1, &st1);
  fstat (2, &st2);
  ck_assert_msg (mr_container_exec (ctx, id, &o, &status, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (status, 0);
  fstat (1, &after);
  ck_assert (after.st_ino == st1.st_ino);
  fstat (2, &after);
  ck_assert (after.st_ino == st2.st_ino);
  /* stdout went to our fd 2, stderr to our fd 1; stdin was empty */
  ck_assert_str_eq (read_fd (p2[0]), "to-out\n0\n");
  ck_assert_str_eq (read_fd (p1[0]), "to-err\n");
}
END_TEST

START_TEST (exec_stdio_with_a_closed_fd_fails_and_names_it)
{
  const char *const argv[] = { "true", NULL };
  struct mr_exec_opts o
      = { .size = sizeof o, .args = argv, .stdio_set = true, .stdio = { -1, 1, 987 } };
  struct mr_error err = { 0 };
  int status = 0;

  ck_assert_int_eq (mr_container_exec (ctx, id, &o, &status, &err), -1);
  ck_assert_int_eq (err.errnum, EBADF);
  ck_assert_msg (strstr (err.msg, "987") && strstr (err.msg, id), "%s", err.msg);
  ck_assert_int_eq (status, -1);
}
END_TEST

START_TEST (exec_reports_127_for_a_missing_command)
{
  const char *const argv[] = { "no-such-command", NULL };
  struct mr_exec_opts o
      = { .size = sizeof o, .args = argv, .stdio_set = true, .stdio = { -1, -1, -1 } };
  struct mr_error err = { 0 };
  int status = 0;

  ck_assert_int_eq (mr_container_exec (ctx, id, &o, &status, &err), -1);
  ck_assert_int_eq (status, 127);
  ck_assert_msg (strstr (err.msg, "no-such-command"), "%s", err.msg);
}
END_TEST

static Suite *
exec_capture_suite (void)
{
  Suite *s = suite_create ("exec_capture");
  TCase *t = tcase_create ("capture");

  tcase_set_timeout (t, 60);
  tcase_add_test (t, stdout_and_stderr_are_captured_apart_with_the_exit_code);
  tcase_add_test (t, a_signal_gives_128_plus_its_number);
  tcase_add_test (t, input_bytes_reach_stdin_and_then_eof);
  tcase_add_test (t, without_input_stdin_is_dev_null);
  tcase_add_test (t, large_input_and_output_flow_together);
  tcase_add_test (t, a_process_that_does_not_read_its_input_is_fine);
  tcase_add_test (t, the_byte_limit_truncates_and_sets_the_flag);
  tcase_add_test (t, the_default_limit_is_one_mib);
  tcase_add_test (t, the_timeout_kills_and_sets_timed_out);
  tcase_add_test (t, cancel_kills_the_process_and_fails_with_ecanceled);
  tcase_add_test (t, a_cancel_that_never_fires_changes_nothing);
  tcase_add_test (t, lots_on_both_streams_does_not_deadlock);
  tcase_add_test (t, a_background_child_holding_the_pipes_does_not_block);
  tcase_add_test (t, a_missing_command_is_127_and_a_non_executable_one_126);
  tcase_add_test (t, bad_requests_fail_cleanly);
  tcase_add_test (t, threads_capture_at_once_and_the_process_is_left_as_it_was);
  suite_add_tcase (s, t);

  t = tcase_create ("exec stdio");
  tcase_set_timeout (t, 60);
  tcase_add_test (t, exec_stdio_swaps_the_callers_fds_in_the_child_only);
  tcase_add_test (t, exec_stdio_with_a_closed_fd_fails_and_names_it);
  tcase_add_test (t, exec_reports_127_for_a_missing_command);
  suite_add_tcase (s, t);
  return s;
}

int
main (void)
{
  const char *why = make_container ();
  int r;

  if (why)
    {
      printf ("1..0 # SKIP %s\n", why);
      if (scratch[sizeof scratch - 2] != 'X')
        remove_scratch ();
      return EXIT_SUCCESS;
    }
  r = unit_run (exec_capture_suite ());
  drop_container ();
  return r;
}
