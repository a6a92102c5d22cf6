/* State files, ids, signals and sizes.  */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "minirun.h"
#include "oci/state.h"
#include "util/fs.h"
#include <sys/wait.h>
#include "unit.h"

static char tmpdir[64];
static int rootfd = -1;

static void
setup (void)
{
  strcpy (tmpdir, "/tmp/mr-unit-state.XXXXXX");
  ck_assert_ptr_nonnull (mkdtemp (tmpdir));
  rootfd = open (tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ck_assert_int_ge (rootfd, 0);
}

static void
teardown (void)
{
  char cmd[128];
  close (rootfd);
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  ck_assert_int_eq (system (cmd), 0);
}

static const struct
{
  const char *in;
  int sig;
} good_signals[] = {
  { "KILL", SIGKILL }, { "SIGKILL", SIGKILL }, { "sigterm", SIGTERM }, { "9", 9 },
  { "15", 15 },        { "10", 10 },           { "USR1", SIGUSR1 },    { "SIGHUP", SIGHUP },
  { "RTMIN", 0 },      { "RTMIN+3", 0 },       { "RTMAX-1", 0 },       { "winch", SIGWINCH },
};

START_TEST (signal_names_numbers_and_sig_prefix_parse)
{
  int sig = -1;
  int want = good_signals[_i].sig;
  if (strcmp (good_signals[_i].in, "RTMIN") == 0)
    want = SIGRTMIN;
  else if (strcmp (good_signals[_i].in, "RTMIN+3") == 0)
    want = SIGRTMIN + 3;
  else if (strcmp (good_signals[_i].in, "RTMAX-1") == 0)
    want = SIGRTMAX - 1;
  ck_assert_int_eq (mr_signal_parse (good_signals[_i].in, &sig), 0);
  ck_assert_int_eq (sig, want);
}
END_TEST

static const char *const bad_signals[]
    = { "", "0", "SIG", "KILLL", "-9", "99", "9x", "RTMIN+99", "RTMAX+1", "SIGRTMIN-1" };

START_TEST (signal_garbage_is_rejected)
{
  int sig = -1;
  ck_assert_int_eq (mr_signal_parse (bad_signals[_i], &sig), -1);
}
END_TEST

START_TEST (signal_name_round_trips)
{
  ck_assert_str_eq (mr_signal_name (SIGKILL), "SIGKILL");
  ck_assert_str_eq (mr_signal_name (SIGTERM), "SIGTERM");
  ck_assert_ptr_null (mr_signal_name (0));
  ck_assert_ptr_null (mr_signal_name (1000));
}
END_TEST

static const char *const good_ids[] = { "a", "web", "A-b_c.d", "0abc", "x123456789" };
static const char *const bad_ids[]
    = { "", "-a", ".hidden", "_x", "a/b", "../x", "a b", "a:b", "caf\xc3\xa9" };

START_TEST (id_valid_forms_accepted)
{
  struct mr_error err = { 0 };
  ck_assert_int_eq (mr_id_validate (good_ids[_i], &err), 0);
}
END_TEST

START_TEST (id_invalid_forms_rejected_with_message)
{
  struct mr_error err = { 0 };
  ck_assert_int_eq (mr_id_validate (bad_ids[_i], &err), -1);
  ck_assert (strlen (err.msg) > 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "container id"));
}
END_TEST

START_TEST (id_longer_than_128_rejected)
{
  struct mr_error err = { 0 };
  char id[200];
  memset (id, 'a', 128);
  id[128] = '\0';
  ck_assert_int_eq (mr_id_validate (id, &err), 0);
  id[128] = 'a';
  id[129] = '\0';
  ck_assert_int_eq (mr_id_validate (id, &err), -1);
  ck_assert_ptr_nonnull (strstr (err.msg, "too long"));
}
END_TEST

static const struct
{
  const char *in;
  int64_t out;
} sizes[] = {
  { "0", 0 },
  { "1048576", 1048576 },
  { "64m", 64LL << 20 },
  { "64M", 64LL << 20 },
  { "64MiB", 64LL << 20 },
  { "64mb", 64LL << 20 },
  { "512k", 512LL << 10 },
  { "1g", 1LL << 30 },
  { "1.5g", 3LL << 29 },
  { "2t", 2LL << 40 },
  { "100b", 100 },
};

START_TEST (size_suffixes_parse_as_powers_of_1024)
{
  int64_t v = -1;
  ck_assert_int_eq (mr_size_parse (sizes[_i].in, &v), 0);
  ck_assert_int_eq (v, sizes[_i].out);
}
END_TEST

static const char *const bad_sizes[] = { "", "12q", "-1", "m", "64mm", "1e", "abc", "64 m" };

START_TEST (size_garbage_is_rejected)
{
  int64_t v;
  ck_assert_int_eq (mr_size_parse (bad_sizes[_i], &v), -1);
}
END_TEST

START_TEST (state_round_trips_through_the_file)
{
  struct mr_error err = { 0 };
  struct mr_state st = { 0 }, *back = NULL;
  int dirfd = -1;

  ck_assert_int_eq (mr_state_dir_create (rootfd, "c1", &dirfd, &err), 0);
  st.id = (char *)"c1";
  st.pid = 4242;
  st.pid_start = 123456;
  st.bundle = (char *)"/b";
  st.rootfs = (char *)"/b/rootfs";
  st.created = (char *)"2026-11-23T10:00:00.000000000Z";
  st.owner = (char *)"root";
  st.cgroup_path = (char *)"/minirun/c1";
  st.userns = true;
  st.poststop_hooks = true;
  st.annotations = json_pack ("{s:s}", "k", "v");
  ck_assert_int_eq (mr_state_write (dirfd, &st, true, &err), 0);
  json_decref (st.annotations);
  ck_assert_int_eq (mr_state_read (dirfd, "c1", &back, &err), 0);
  ck_assert_int_eq (back->pid, 4242);
  ck_assert_uint_eq (back->pid_start, 123456);
  ck_assert_str_eq (back->bundle, "/b");
  ck_assert_str_eq (back->rootfs, "/b/rootfs");
  ck_assert_str_eq (back->cgroup_path, "/minirun/c1");
  ck_assert (back->userns);
  ck_assert (back->poststop_hooks);
  ck_assert (!back->poststart_hooks);
  ck_assert (!back->creating);
  ck_assert_str_eq (json_string_value (json_object_get (back->annotations, "k")), "v");
  mr_state_free (back);
  ck_assert_int_eq (mr_state_dir_remove (rootfd, "c1", dirfd, &err), 0);
  close (dirfd);
  ck_assert_int_eq (faccessat (rootfd, "c1", F_OK, 0), -1);
}
END_TEST

START_TEST (state_dir_create_refuses_existing_container)
{
  struct mr_error err = { 0 };
  int fd1 = -1, fd2 = -1;

  ck_assert_int_eq (mr_state_dir_create (rootfd, "dup", &fd1, &err), 0);
  ck_assert_int_eq (mr_state_dir_create (rootfd, "dup", &fd2, &err), -1);
  ck_assert_str_eq (err.msg, "container 'dup' already exists");
  ck_assert_int_eq (mr_state_dir_remove (rootfd, "dup", fd1, &err), 0);
  close (fd1);
}
END_TEST

START_TEST (state_dir_open_of_unknown_container_names_it)
{
  struct mr_error err = { 0 };
  int fd = -1;

  ck_assert_int_eq (mr_state_dir_open (rootfd, "nope", false, &fd, &err), -1);
  ck_assert_str_eq (err.msg, "container 'nope' does not exist");
  ck_assert_int_eq (err.errnum, ENOENT);
}
END_TEST

START_TEST (state_corrupt_file_is_reported)
{
  struct mr_error err = { 0 };
  struct mr_state *st = NULL;
  int fd = -1;

  ck_assert_int_eq (mr_state_dir_create (rootfd, "bad", &fd, &err), 0);
  ck_assert_int_eq (mr_write_file_atomic_at (fd, "state.json", "{nope", 5, 0600, 0, &err), 0);
  ck_assert_int_eq (mr_state_read (fd, "bad", &st, &err), -1);
  ck_assert_ptr_nonnull (strstr (err.msg, "state of 'bad' is corrupt"));
  ck_assert_int_eq (mr_state_dir_remove (rootfd, "bad", fd, &err), 0);
  close (fd);
}
END_TEST

START_TEST (state_missing_file_says_how_to_clean_up)
{
  struct mr_error err = { 0 };
  struct mr_state *st = NULL;
  int fd = -1;

  ck_assert_int_eq (mr_state_dir_create (rootfd, "half", &fd, &err), 0);
  ck_assert_int_eq (mr_state_read (fd, "half", &st, &err), -1);
  ck_assert_ptr_nonnull (strstr (err.msg, "delete --force"));
  ck_assert_int_eq (mr_state_dir_remove (rootfd, "half", fd, &err), 0);
  close (fd);
}
END_TEST

START_TEST (pid_start_time_detects_dead_and_reused_pids)
{
  struct mr_state st = { 0 };
  unsigned long long start;
  pid_t child;

  ck_assert_int_eq (mr_pid_start_time (getpid (), &start), 0);
  st.pid = getpid ();
  st.pid_start = start;
  ck_assert (mr_state_pid_alive (&st));
  st.pid_start = start + 1;
  ck_assert (!mr_state_pid_alive (&st));

  child = fork ();
  if (child == 0)
    _exit (0);
  /* a zombie counts as gone */
  for (int i = 0; i < 1000 && mr_pid_start_time (child, &start) == 0; i++)
    usleep (1000);
  ck_assert_int_eq (mr_pid_start_time (child, &start), -1);
  waitpid (child, NULL, 0);
  ck_assert_int_eq (mr_pid_start_time (0, &start), -1);
}
END_TEST

START_TEST (rfc3339_time_has_nanoseconds_and_z)
{
  char buf[48];
  mr_time_rfc3339 (buf, sizeof buf);
  ck_assert_int_eq (strlen (buf), 30);
  ck_assert_int_eq (buf[10], 'T');
  ck_assert_int_eq (buf[19], '.');
  ck_assert_int_eq (buf[29], 'Z');
}
END_TEST

START_TEST (oci_state_json_has_the_required_fields)
{
  struct mr_state st = { 0 };
  json_t *o;

  st.id = (char *)"x";
  st.pid = 7;
  st.bundle = (char *)"/b";
  o = mr_state_to_json (&st, MR_STATUS_RUNNING);
  ck_assert_str_eq (json_string_value (json_object_get (o, "id")), "x");
  ck_assert_str_eq (json_string_value (json_object_get (o, "status")), "running");
  ck_assert_int_eq (json_integer_value (json_object_get (o, "pid")), 7);
  ck_assert_str_eq (json_string_value (json_object_get (o, "bundle")), "/b");
  ck_assert_ptr_nonnull (json_object_get (o, "ociVersion"));
  json_decref (o);
  /* a stopped container reports pid 0, as runc does */
  o = mr_state_to_json (&st, MR_STATUS_STOPPED);
  ck_assert_int_eq (json_integer_value (json_object_get (o, "pid")), 0);
  json_decref (o);
}
END_TEST

START_TEST (status_names_match_the_oci_spec)
{
  ck_assert_str_eq (mr_status_name (MR_STATUS_CREATING), "creating");
  ck_assert_str_eq (mr_status_name (MR_STATUS_CREATED), "created");
  ck_assert_str_eq (mr_status_name (MR_STATUS_RUNNING), "running");
  ck_assert_str_eq (mr_status_name (MR_STATUS_PAUSED), "paused");
  ck_assert_str_eq (mr_status_name (MR_STATUS_STOPPED), "stopped");
}
END_TEST

#define N(a) ((int)(sizeof (a) / sizeof (a)[0]))

int
main (void)
{
  Suite *s = suite_create ("state");
  TCase *t;

  t = tcase_create ("signals");
  tcase_add_loop_test (t, signal_names_numbers_and_sig_prefix_parse, 0, N (good_signals));
  tcase_add_loop_test (t, signal_garbage_is_rejected, 0, N (bad_signals));
  tcase_add_test (t, signal_name_round_trips);
  suite_add_tcase (s, t);

  t = tcase_create ("ids");
  tcase_add_loop_test (t, id_valid_forms_accepted, 0, N (good_ids));
  tcase_add_loop_test (t, id_invalid_forms_rejected_with_message, 0, N (bad_ids));
  tcase_add_test (t, id_longer_than_128_rejected);
  suite_add_tcase (s, t);

  t = tcase_create ("sizes");
  tcase_add_loop_test (t, size_suffixes_parse_as_powers_of_1024, 0, N (sizes));
  tcase_add_loop_test (t, size_garbage_is_rejected, 0, N (bad_sizes));
  suite_add_tcase (s, t);

  t = tcase_create ("state");
  tcase_add_checked_fixture (t, setup, teardown);
  tcase_add_test (t, state_round_trips_through_the_file);
  tcase_add_test (t, state_dir_create_refuses_existing_container);
  tcase_add_test (t, state_dir_open_of_unknown_container_names_it);
  tcase_add_test (t, state_corrupt_file_is_reported);
  tcase_add_test (t, state_missing_file_says_how_to_clean_up);
  tcase_add_test (t, pid_start_time_detects_dead_and_reused_pids);
  tcase_add_test (t, rfc3339_time_has_nanoseconds_and_z);
  tcase_add_test (t, oci_state_json_has_the_required_fields);
  tcase_add_test (t, status_names_match_the_oci_spec);
  suite_add_tcase (s, t);

  return unit_run (s);
}
