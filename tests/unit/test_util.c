#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/dev.h"
#include "linux/mount-internal.h"
#include "linux/mount.h"
#include "oci/spec.h"
#include "unit.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/path-internal.h"
#include "util/path.h"

/* A scratch directory per test case, made and removed by the runner
   process, so that it goes away even when a test fails.  */
static char *scratch;

static void
rm_rf (const char *path)
{
  /* FTW_MOUNT: never descend into anything mounted there.  */
  unit_rm_tree (path);
}

static void
scratch_setup (void)
{
  scratch = unit_mkdtemp ("util");
}

static void
scratch_teardown (void)
{
  rm_rf (scratch);
  free (scratch);
  scratch = NULL;
}

/* A fresh directory below the scratch directory.  */
static char *
new_dir (const char *name)
{
  char *p;

  ck_assert_int_ge (asprintf (&p, "%s/%s", scratch, name), 0);
  ck_assert_int_eq (mkdir (p, 0755), 0);
  return p;
}

static void
put_file (const char *dir, const char *rel, const char *content, mode_t mode)
{
  cleanup_free char *p = NULL;
  int fd;

  ck_assert_int_ge (asprintf (&p, "%s/%s", dir, rel), 0);
  fd = open (p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  ck_assert_msg (fd >= 0, "create %s: %s", p, strerror (errno));
  ck_assert_int_eq (write (fd, content, strlen (content)), (ssize_t)strlen (content));
  ck_assert_int_eq (fchmod (fd, mode), 0);
  close (fd);
}

static void
put_dir (const char *dir, const char *rel, mode_t mode)
{
  cleanup_free char *p = NULL;

  ck_assert_int_ge (asprintf (&p, "%s/%s", dir, rel), 0);
  ck_assert_msg (mkdir (p, mode) == 0, "mkdir %s: %s", p, strerror (errno));
  ck_assert_int_eq (chmod (p, mode), 0);
}

static void
put_link (const char *dir, const char *rel, const char *target)
{
  cleanup_free char *p = NULL;

  ck_assert_int_ge (asprintf (&p, "%s/%s", dir, rel), 0);
  ck_assert_msg (symlink (target, p) == 0, "symlink %s: %s", p, strerror (errno));
}

static bool
exists (const char *dir, const char *rel)
{
  cleanup_free char *p = NULL;
  struct stat st;

  ck_assert_int_ge (asprintf (&p, "%s/%s", dir, rel), 0);
  return lstat (p, &st) == 0;
}

static char *
read_fd (int fd)
{
  char buf[256];
  ssize_t n = read (fd, buf, sizeof buf - 1);

  ck_assert_int_ge (n, 0);
  buf[n] = '\0';
  return strdup (buf);
}

/* --- mr_path_join ---------------------------------------------------------- */

static const struct
{
  const char *a, *b, *want;
} join_cases[] = {
  { "/rootfs", "/proc", "/rootfs/proc" },
  { "/rootfs/", "proc/", "/rootfs/proc" },
  { "/", "/a//b/./c/..", "/a/b" },
  { "/", "../../etc", "/etc" },
  { "/run/x", "../../../etc", "/etc" },
  { "/a", "", "/a" },
  { "/", "", "/" },
  { "", "/x/./y", "/x/y" },
  { "a", "b/../c", "a/c" },
  { "a", "../..", "." },
  { "/a/b", "..", "/a" },
  { "/a", "...", "/a/..." },
  { "/a", ".hidden/./", "/a/.hidden" },
};

START_TEST (path_join_cleans_lexically_and_never_climbs_above_root)
{
  cleanup_free char *got = mr_path_join (join_cases[_i].a, join_cases[_i].b);

  ck_assert_ptr_nonnull (got);
  ck_assert_msg (strcmp (got, join_cases[_i].want) == 0, "join('%s', '%s') = '%s', want '%s'",
                 join_cases[_i].a, join_cases[_i].b, got, join_cases[_i].want);
}
END_TEST

/* --- mr_path_unsearchable ------------------------------------------------ */

START_TEST (path_unsearchable_names_the_highest_directory_in_the_way)
{
  cleanup_free char *d = unit_mkdtemp ("unsearch");
  char a[PATH_MAX], b[PATH_MAX], out[PATH_MAX];
  struct stat st;
  uid_t uid = 100000;
  gid_t gid = 100000;

  if (geteuid () != 0)
    {
      rmdir (d);
      return;
    }
  snprintf (a, sizeof a, "%s/a", d);
  snprintf (b, sizeof b, "%s/a/b", d);
  ck_assert_int_eq (mkdir (a, 0711), 0);
  ck_assert_int_eq (mkdir (b, 0700), 0);
  ck_assert_int_eq (chmod (d, 0755), 0);
  if (mr_path_unsearchable (d, uid, gid, out, sizeof out, &st) == 1)
    {
      /* this machine's own directories are in the way: nothing to check */
      rmdir (b), rmdir (a), rmdir (d);
      return;
    }
  ck_assert_int_eq (mr_path_unsearchable (a, uid, gid, out, sizeof out, &st), 0);
  ck_assert_int_eq (mr_path_unsearchable (b, uid, gid, out, sizeof out, &st), 1);
  ck_assert_str_eq (out, b);
  ck_assert_int_eq (st.st_mode & 07777, 0700);
  /* the owner may, through its own bits */
  ck_assert_int_eq (chown (b, uid, 0), 0);
  ck_assert_int_eq (mr_path_unsearchable (b, uid, gid, out, sizeof out, NULL), 0);
  ck_assert_int_eq (chmod (a, 0700), 0);
  ck_assert_int_eq (mr_path_unsearchable (b, uid, gid, out, sizeof out, NULL), 1);
  ck_assert_str_eq (out, a);
  ck_assert_int_eq (mr_path_unsearchable ("relative", uid, gid, out, sizeof out, NULL), -1);
  rmdir (b);
  rmdir (a);
  rmdir (d);
}
END_TEST

/* --- mr_open_in_root and its fallback ------------------------------------------ */

typedef int (*open_fn) (int, const char *, int, mode_t, struct mr_error *);
static const open_fn open_impls[] = { mr_open_in_root, mr_open_in_root_fallback };
static const char *const open_impl_names[] = { "openat2", "fallback" };

/* scratch/<n>/x ("outside") next to scratch/<n>/root, the root holding
   the symlinks that try to leave it.  */
static char *
make_hostile_root (const char *name, int impl, int *rootfd)
{
  cleanup_free char *dir = NULL;
  cleanup_free char *base = NULL;

  ck_assert_int_ge (asprintf (&dir, "%s-%s", name, open_impl_names[impl]), 0);
  base = new_dir (dir);
  char *root;

  put_file (base, "x", "outside", 0644);
  ck_assert_int_ge (asprintf (&root, "%s/root", base), 0);
  ck_assert_int_eq (mkdir (root, 0755), 0);
  put_file (root, "x", "inside", 0644);
  put_link (root, "hostbin", "/bin");
  put_link (root, "etc", "/etc");
  put_link (root, "up", "../../..");
  put_dir (root, "a", 0755);
  put_dir (root, "a/b", 0755);
  put_link (root, "a/b/up2", "../../../../x");
  put_dir (root, "inner", 0755);
  put_file (root, "inner/file", "inner", 0644);
  put_link (root, "abs", "/inner");
  put_link (root, "absfile", "/inner/file");
  put_link (root, "dangling", "/made-by-link");
  put_link (root, "l1", "l2");
  put_link (root, "l2", "l1");
  *rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  ck_assert_int_ge (*rootfd, 0);
  return root;
}

static void
assert_reads (open_fn fn, int rootfd, const char *path, const char *want, const char *impl)
{
  struct mr_error err = { 0 };
  cleanup_close int fd = fn (rootfd, path, O_RDONLY, 0, &err);
  cleanup_free char *got = NULL;

  ck_assert_msg (fd >= 0, "%s: open '%s': %s", impl, path, err.msg);
  got = read_fd (fd);
  ck_assert_msg (strcmp (got, want) == 0, "%s: '%s' read '%s', want '%s'", impl, path, got, want);
}

static void
assert_fails (open_fn fn, int rootfd, const char *path, int flags, int want_errno, const char *impl)
{
  struct mr_error err = { 0 };
  int fd = fn (rootfd, path, flags, 0644, &err);

  if (fd >= 0)
    close (fd);
  ck_assert_msg (fd < 0, "%s: open '%s' succeeded", impl, path);
  ck_assert_msg (err.errnum == want_errno, "%s: open '%s': errno %d (%s), want %d", impl, path,
                 err.errnum, err.msg, want_errno);
  ck_assert_msg (strstr (err.msg, path) != NULL, "%s: message '%s' does not name '%s'", impl,
                 err.msg, path);
}

START_TEST (open_in_root_absolute_symlink_to_host_dir_stays_inside)
{
  cleanup_close int rootfd = -1;
  cleanup_free char *root = make_hostile_root ("hostdir", _i, &rootfd);

  /* The host's /bin/sh exists; the root has no /bin.  */
  assert_fails (open_impls[_i], rootfd, "hostbin/sh", O_RDONLY, ENOENT, open_impl_names[_i]);
  /* etc -> /etc is itself, inside the root: a loop, not the host's.  */
  assert_fails (open_impls[_i], rootfd, "etc/passwd", O_RDONLY, ELOOP, open_impl_names[_i]);
  assert_fails (open_impls[_i], rootfd, "/etc/passwd", O_RDONLY, ELOOP, open_impl_names[_i]);
}
END_TEST

START_TEST (open_in_root_dotdot_symlinks_stop_at_root)
{
  cleanup_close int rootfd = -1;
  cleanup_free char *root = make_hostile_root ("dotdot", _i, &rootfd);

  assert_reads (open_impls[_i], rootfd, "up/x", "inside", open_impl_names[_i]);
  assert_reads (open_impls[_i], rootfd, "a/b/up2", "inside", open_impl_names[_i]);
  assert_reads (open_impls[_i], rootfd, "/../../x", "inside", open_impl_names[_i]);
  assert_reads (open_impls[_i], rootfd, "a/../../a/b/../../x", "inside", open_impl_names[_i]);
}
END_TEST

START_TEST (open_in_root_absolute_symlink_resolves_from_root)
{
  cleanup_close int rootfd = -1;
  cleanup_free char *root = make_hostile_root ("abs", _i, &rootfd);

  assert_reads (open_impls[_i], rootfd, "abs/file", "inner", open_impl_names[_i]);
  assert_reads (open_impls[_i], rootfd, "absfile", "inner", open_impl_names[_i]);
  assert_reads (open_impls[_i], rootfd, "/inner//./file", "inner", open_impl_names[_i]);
}
END_TEST

START_TEST (open_in_root_root_itself_and_errors)
{
  cleanup_close int rootfd = -1;
  cleanup_free char *root = make_hostile_root ("errors", _i, &rootfd);
  struct mr_error err = { 0 };
  struct stat a, b;
  int fd;

  for (const char *const *p = (const char *const[]){ "/", "", ".", "a/..", "up", NULL }; *p; p++)
    {
      fd = open_impls[_i](rootfd, *p, O_RDONLY | O_DIRECTORY, 0, &err);
      ck_assert_msg (fd >= 0, "%s: open '%s': %s", open_impl_names[_i], *p, err.msg);
      ck_assert_int_eq (fstat (fd, &a), 0);
      ck_assert_int_eq (fstat (rootfd, &b), 0);
      ck_assert_msg (a.st_ino == b.st_ino && a.st_dev == b.st_dev, "%s: '%s' is not the root",
                     open_impl_names[_i], *p);
      close (fd);
    }
  assert_fails (open_impls[_i], rootfd, "l1", O_RDONLY, ELOOP, open_impl_names[_i]);
  assert_fails (open_impls[_i], rootfd, "inner/file/x", O_RDONLY, ENOTDIR, open_impl_names[_i]);
  assert_fails (open_impls[_i], rootfd, "absfile", O_RDONLY | O_NOFOLLOW, ELOOP,
                open_impl_names[_i]);
  assert_fails (open_impls[_i], rootfd, "missing", O_RDONLY, ENOENT, open_impl_names[_i]);

  /* O_PATH|O_NOFOLLOW gives the link itself, as open(2) does.  */
  fd = open_impls[_i](rootfd, "absfile", O_PATH | O_NOFOLLOW, 0, &err);
  ck_assert_int_ge (fd, 0);
  ck_assert_int_eq (fstat (fd, &a), 0);
  ck_assert (S_ISLNK (a.st_mode));
  close (fd);
}
END_TEST

START_TEST (open_in_root_creates_through_symlinks_inside_root)
{
  cleanup_close int rootfd = -1;
  cleanup_free char *root = make_hostile_root ("create", _i, &rootfd);
  struct mr_error err = { 0 };
  int fd;

  fd = open_impls[_i](rootfd, "abs/new", O_WRONLY | O_CREAT, 0600, &err);
  ck_assert_msg (fd >= 0, "%s: %s", open_impl_names[_i], err.msg);
  close (fd);
  ck_assert (exists (root, "inner/new"));

  /* A dangling absolute link: the file appears at its target, in the root.  */
  fd = open_impls[_i](rootfd, "dangling", O_WRONLY | O_CREAT, 0600, &err);
  ck_assert_msg (fd >= 0, "%s: %s", open_impl_names[_i], err.msg);
  close (fd);
  ck_assert (exists (root, "made-by-link"));
  assert_fails (open_impls[_i], rootfd, "dangling", O_WRONLY | O_CREAT | O_EXCL, EEXIST,
                open_impl_names[_i]);
}
END_TEST

/* --- mr_mkdir_in_root ---------------------------------------------------------- */

START_TEST (mkdir_in_root_through_symlinks_stays_inside)
{
  cleanup_free char *base = new_dir ("mkdir");
  cleanup_free char *root = NULL;
  cleanup_close int rootfd = -1;
  struct mr_error err = { 0 };
  struct stat a, b;
  int fd;

  ck_assert_int_ge (asprintf (&root, "%s/root", base), 0);
  ck_assert_int_eq (mkdir (root, 0755), 0);
  put_link (root, "mnt", "/made/by/link");
  put_link (root, "esc", "../outside");
  put_file (root, "file", "", 0644);
  rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  ck_assert_int_ge (rootfd, 0);

  fd = mr_mkdir_in_root (rootfd, "mnt/sub", 0755, &err);
  ck_assert_msg (fd >= 0, "%s", err.msg);
  ck_assert (exists (root, "made/by/link/sub"));
  ck_assert_int_eq (fstat (fd, &a), 0);
  ck_assert (S_ISDIR (a.st_mode));
  close (fd);

  fd = mr_mkdir_in_root (rootfd, "/esc/new", 0755, &err);
  ck_assert_msg (fd >= 0, "%s", err.msg);
  close (fd);
  ck_assert (exists (root, "outside/new"));
  ck_assert (!exists (base, "outside"));

  fd = mr_mkdir_in_root (rootfd, "x/../y/./z", 0700, &err);
  ck_assert_msg (fd >= 0, "%s", err.msg);
  ck_assert (exists (root, "x"));
  ck_assert (exists (root, "y/z"));
  close (fd);

  /* Already there: the same directory.  */
  fd = mr_mkdir_in_root (rootfd, "made/by", 0755, &err);
  ck_assert_int_ge (fd, 0);
  ck_assert_int_eq (fstat (fd, &a), 0);
  ck_assert_int_eq (fstatat (rootfd, "made/by", &b, 0), 0);
  ck_assert (a.st_ino == b.st_ino);
  close (fd);

  ck_assert_int_lt (mr_mkdir_in_root (rootfd, "file/x", 0755, &err), 0);
  ck_assert_int_eq (err.errnum, ENOTDIR);
  ck_assert (strstr (err.msg, "file/x") != NULL);
}
END_TEST

START_TEST (create_in_root_makes_parents_where_dangling_links_lead)
{
  cleanup_free char *base = new_dir ("create");
  cleanup_free char *root = NULL;
  cleanup_close int rootfd = -1;
  struct mr_error err = { 0 };
  struct stat st;
  int fd;

  umask (022);
  ck_assert_int_ge (asprintf (&root, "%s/root", base), 0);
  ck_assert_int_eq (mkdir (root, 0755), 0);
  put_dir (root, "etc", 0755);
  put_link (root, "etc/resolv.conf", "../run/systemd/resolve/stub-resolv.conf");
  put_link (root, "etc/hosts", "/../../outside/hosts");
  rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  ck_assert_int_ge (rootfd, 0);

  fd = mr_create_in_root (rootfd, "/etc/resolv.conf", O_WRONLY, 0640, 0711, &err);
  ck_assert_msg (fd >= 0, "%s", err.msg);
  close (fd);
  ck_assert (exists (root, "run/systemd/resolve/stub-resolv.conf"));
  ck_assert_int_eq (fstatat (rootfd, "run/systemd", &st, 0), 0);
  ck_assert_uint_eq (st.st_mode & 0777, 0711);

  fd = mr_create_in_root (rootfd, "etc/hosts", O_WRONLY, 0644, 0755, &err);
  ck_assert_msg (fd >= 0, "%s", err.msg);
  close (fd);
  ck_assert (exists (root, "outside/hosts"));
  ck_assert (!exists (base, "outside"));

  fd = mr_create_in_root (rootfd, "new/dir/file", O_WRONLY | O_EXCL, 0644, 0755, &err);
  ck_assert_msg (fd >= 0, "%s", err.msg);
  close (fd);
  ck_assert_int_lt (mr_create_in_root (rootfd, "new/dir/file", O_WRONLY | O_EXCL, 0644, 0755, &err),
                    0);
  ck_assert_int_eq (err.errnum, EEXIST);
}
END_TEST

/* --- fs.c --------------------------------------------------------------------- */

START_TEST (write_file_atomic_creates_replaces_and_leaves_no_temporary)
{
  cleanup_free char *dir = new_dir ("atomic");
  cleanup_free char *path = NULL;
  cleanup_free char *got = NULL;
  cleanup_close int dirfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct mr_error err = { 0 };
  cleanup_closedir DIR *d = NULL;
  struct dirent *de;
  struct stat st;
  size_t len = 0;
  int n = 0;

  umask (022);
  ck_assert_int_eq (
      mr_write_file_atomic_at (dirfd, "state.json", "{}", 2, 0640, MR_WRITE_DURABLE, &err), 0);
  ck_assert_int_eq (mr_write_file_atomic_at (dirfd, "state.json", "{\"a\":1}", 7, 0640, 0, &err),
                    0);
  ck_assert_int_ge (asprintf (&path, "%s/state.json", dir), 0);
  ck_assert_int_eq (mr_read_file (path, &got, &len, &err), 0);
  ck_assert_str_eq (got, "{\"a\":1}");
  ck_assert_uint_eq (len, 7);
  ck_assert_int_eq (stat (path, &st), 0);
  ck_assert_uint_eq (st.st_mode & 07777, 0640);

  d = opendir (dir);
  while ((de = readdir (d)))
    if (de->d_name[0] != '.' || (strcmp (de->d_name, ".") && strcmp (de->d_name, "..")))
      n++;
  ck_assert_int_eq (n, 1);
}
END_TEST

START_TEST (read_file_reads_large_files_and_names_missing_ones)
{
  cleanup_free char *dir = new_dir ("read");
  cleanup_free char *big = malloc (100001);
  cleanup_free char *got = NULL;
  cleanup_free char *missing = NULL;
  struct mr_error err = { 0 };
  size_t len = 0;

  memset (big, 'x', 100000);
  big[100000] = '\0';
  put_file (dir, "big", big, 0644);
  ck_assert_int_ge (asprintf (&missing, "%s/big", dir), 0);
  ck_assert_int_eq (mr_read_file (missing, &got, &len, &err), 0);
  ck_assert_uint_eq (len, 100000);
  ck_assert_uint_eq (strlen (got), 100000);
  free (missing);
  ck_assert_int_ge (asprintf (&missing, "%s/nope", dir), 0);
  ck_assert_int_lt (mr_read_file (missing, &got, NULL, &err), 0);
  ck_assert_int_eq (err.errnum, ENOENT);
  ck_assert (strstr (err.msg, "nope") != NULL);
}
END_TEST

START_TEST (mkdir_p_creates_parents_and_accepts_existing)
{
  cleanup_free char *dir = new_dir ("mkdirp");
  cleanup_free char *p = NULL;
  struct mr_error err = { 0 };

  ck_assert_int_ge (asprintf (&p, "%s/a/b/c", dir), 0);
  ck_assert_int_eq (mr_mkdir_p (p, 0755, &err), 0);
  ck_assert_int_eq (mr_mkdir_p (p, 0755, &err), 0);
  ck_assert (exists (dir, "a/b/c"));
  put_file (dir, "f", "", 0644);
  free (p);
  ck_assert_int_ge (asprintf (&p, "%s/f/x", dir), 0);
  ck_assert_int_lt (mr_mkdir_p (p, 0755, &err), 0);
  ck_assert_int_eq (err.errnum, ENOTDIR);
}
END_TEST

/* --- mount.c helpers -------------------------------------------------------------- */

START_TEST (mountinfo_line_parses_with_escapes_and_optional_fields)
{
  char l1[] = "36 35 98:0 /mnt1 /mnt\\040point rw,noatime master:1 shared:7 - ext3 /dev/root "
              "rw,errors=continue\n";
  char l2[] = "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu";
  char bad[] = "31 30 0:28 / /x rw shared:1 ext4 /dev/x rw";
  struct mr_mountinfo mi;

  ck_assert_int_eq (mr_mountinfo_parse_line (l1, &mi), 0);
  ck_assert_int_eq (mi.id, 36);
  ck_assert_int_eq (mi.parent, 35);
  ck_assert_str_eq (mi.root, "/mnt1");
  ck_assert_str_eq (mi.mountpoint, "/mnt point");
  ck_assert (mi.shared);
  ck_assert_str_eq (mi.fstype, "ext3");
  ck_assert_str_eq (mi.source, "/dev/root");
  ck_assert_str_eq (mi.super_options, "rw,errors=continue");

  ck_assert_int_eq (mr_mountinfo_parse_line (l2, &mi), 0);
  ck_assert (!mi.shared);
  ck_assert_str_eq (mi.mountpoint, "/sys/fs/cgroup/cpu");
  ck_assert_str_eq (mi.super_options, "rw,cpu");

  ck_assert_int_lt (mr_mountinfo_parse_line (bad, &mi), 0);
}
END_TEST

START_TEST (cgroup1_controllers_drop_hierarchy_options)
{
  static const char *const cases[][2] = {
    { "rw,cpu,cpuacct", "cpu,cpuacct" },
    { "rw,xattr,name=systemd", "name=systemd" },
    { "ro,noprefix,release_agent=/sbin/x,cpuset,clone_children", "cpuset" },
    { "rw", "" },
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      cleanup_free char *got = mr_cgroup1_controllers (cases[i][0]);
      ck_assert_str_eq (got, cases[i][1]);
    }
}
END_TEST

START_TEST (cgroup_self_path_finds_the_hierarchy)
{
  const char *doc = "9:name=systemd:/user.slice\n4:memory:/process_api/abc\n2:cpu,cpuacct:/c\n"
                    "0::/unified/path\n";
  cleanup_free char *mem = mr_cgroup_self_path (doc, "memory");
  cleanup_free char *cpu = mr_cgroup_self_path (doc, "cpu,cpuacct");
  cleanup_free char *sd = mr_cgroup_self_path (doc, "name=systemd");
  cleanup_free char *v2 = mr_cgroup_self_path (doc, "");
  cleanup_free char *none = mr_cgroup_self_path (doc, "pids");

  ck_assert_str_eq (mem, "/process_api/abc");
  ck_assert_str_eq (cpu, "/c");
  ck_assert_str_eq (sd, "/user.slice");
  ck_assert_str_eq (v2, "/unified/path");
  ck_assert_ptr_null (none);
}
END_TEST

START_TEST (mount_data_options_are_found_and_removed)
{
  cleanup_free char *a = mr_mount_data_without ("newinstance,ptmxmode=0666,gid=5,mode=0620", "gid");
  cleanup_free char *b = mr_mount_data_without ("gid=5", "gid");
  cleanup_free char *c = mr_mount_data_without ("gidx=1,gid", "gid");

  ck_assert_str_eq (a, "newinstance,ptmxmode=0666,mode=0620");
  ck_assert_str_eq (b, "");
  ck_assert_str_eq (c, "gidx=1");
  ck_assert (mr_mount_data_has ("size=1m,mode=1777", "mode"));
  ck_assert (!mr_mount_data_has ("size=1m,ptmxmode=0666", "mode"));
  ck_assert (!mr_mount_data_has (NULL, "mode"));
  ck_assert (mr_mount_data_has ("uid", "uid"));
}
END_TEST

START_TEST (mount_flags_and_bind_detection)
{
  struct mr_spec_mount m = { 0 };

  ck_assert_uint_eq (mr_mount_flags_from_statfs (ST_RDONLY | ST_NOSUID | ST_RELATIME),
                     MS_RDONLY | MS_NOSUID);
  ck_assert_uint_eq (mr_mount_flags_from_statfs (ST_NODEV | ST_NOEXEC), MS_NODEV | MS_NOEXEC);
  ck_assert (mr_mount_is_bind (&m));
  m.type = (char *)"tmpfs";
  ck_assert (!mr_mount_is_bind (&m));
  m.flags = MS_BIND;
  ck_assert (mr_mount_is_bind (&m));
  m.flags = 0;
  m.type = (char *)"rbind";
  ck_assert (mr_mount_is_bind (&m));
}
END_TEST

START_TEST (copy_tree_keeps_content_modes_links_and_times)
{
  cleanup_free char *src = new_dir ("copy-src");
  cleanup_free char *dst = new_dir ("copy-dst");
  cleanup_close int sfd = open (src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int dfd = open (dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_free char *p = NULL;
  struct mr_error err = { 0 };
  struct timespec old[2] = { { 1000000, 0 }, { 2000000, 0 } };
  struct stat st;
  char target[64];
  ssize_t n;

  put_file (src, "f", "hello\n", 0640);
  put_dir (src, "d", 0710);
  put_file (src, "d/g", "deep", 0600);
  put_link (src, "l", "f");
  ck_assert_int_eq (mkfifoat (sfd, "fifo", 0620), 0);
  ck_assert_int_eq (utimensat (sfd, "f", old, 0), 0);

  ck_assert_msg (mr_copy_tree (sfd, dfd, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (fstatat (dfd, "f", &st, 0), 0);
  ck_assert_uint_eq (st.st_mode & 07777, 0640);
  ck_assert_int_eq (st.st_mtim.tv_sec, 2000000);
  ck_assert_int_eq (fstatat (dfd, "d", &st, 0), 0);
  ck_assert (S_ISDIR (st.st_mode));
  ck_assert_uint_eq (st.st_mode & 07777, 0710);
  ck_assert_int_eq (fstatat (dfd, "d/g", &st, 0), 0);
  ck_assert_uint_eq (st.st_mode & 07777, 0600);
  ck_assert_int_eq (fstatat (dfd, "fifo", &st, 0), 0);
  ck_assert (S_ISFIFO (st.st_mode));
  n = readlinkat (dfd, "l", target, sizeof target - 1);
  ck_assert_int_eq (n, 1);
  target[n] = '\0';
  ck_assert_str_eq (target, "f");
  ck_assert_int_ge (asprintf (&p, "%s/d/g", dst), 0);
  {
    cleanup_free char *got = NULL;
    ck_assert_int_eq (mr_read_file (p, &got, NULL, &err), 0);
    ck_assert_str_eq (got, "deep");
  }
}
END_TEST

/* --- real mounts ------------------------------------------------------------------ */

/* The mount tests run in a child with its own mount namespace; it reports
   the first failed check through a pipe and leaves with _exit.  */
static int report_fd = -1;

static void __attribute__ ((noreturn, format (printf, 1, 2))) child_fail (const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  if (n > (int)sizeof buf - 1)
    n = sizeof buf - 1;
  if (write (report_fd, buf, (size_t)n) < 0)
    _exit (3);
  _exit (1);
}

#define CHILD_CHECK(cond, ...)                                                                     \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        child_fail (__VA_ARGS__);                                                                  \
    }                                                                                              \
  while (0)

static bool
can_mount (void)
{
  if (geteuid () != 0)
    {
      printf ("# skip: mount tests need root\n");
      return false;
    }
  return true;
}

/* Runs fn in a forked child; returns its report ("" on success).  */
static char *
run_child (void (*fn) (void *), void *arg)
{
  int p[2];
  pid_t pid;
  int status;
  char buf[1100];
  ssize_t n, total = 0;

  ck_assert_int_eq (pipe2 (p, O_CLOEXEC), 0);
  fflush (NULL);
  pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      close (p[0]);
      report_fd = p[1];
      fn (arg);
      _exit (0);
    }
  close (p[1]);
  while ((n = read (p[0], buf + total, sizeof buf - 1 - (size_t)total)) > 0)
    total += n;
  buf[total] = '\0';
  close (p[0]);
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  if (total == 0 && !(WIFEXITED (status) && WEXITSTATUS (status) == 0))
    snprintf (buf, sizeof buf, "child ended with status 0x%x", status);
  return strdup (buf);
}

static void
copy_busybox (const char *rootfs)
{
  cleanup_free char *dst = NULL;
  cleanup_free char *data = NULL;
  struct mr_error err = { 0 };
  size_t len = 0;
  int fd;

  ck_assert_msg (mr_read_file ("/bin/busybox", &data, &len, &err) == 0,
                 "busybox-static is needed: %s", err.msg);
  ck_assert_int_ge (asprintf (&dst, "%s/bin/busybox", rootfs), 0);
  fd = open (dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
  ck_assert_int_ge (fd, 0);
  ck_assert_int_eq (mr_write_all (fd, data, len), 0);
  close (fd);
}

static struct mr_spec_mount
spec_mount (const char *dest, const char *type, const char *source, unsigned long flags,
            const char *data)
{
  struct mr_spec_mount m = { 0 };

  m.destination = (char *)dest;
  m.type = (char *)type;
  m.source = (char *)source;
  m.flags = flags;
  m.data = (char *)data;
  return m;
}

static bool
mounted_anywhere_under (const char *path)
{
  cleanup_free char *mi = NULL;
  struct mr_error err = { 0 };

  ck_assert_int_eq (mr_read_file ("/proc/self/mountinfo", &mi, NULL, &err), 0);
  return strstr (mi, path) != NULL;
}

static void
check_node (const char *path, mode_t type, unsigned maj, unsigned min)
{
  struct stat st;

  CHILD_CHECK (stat (path, &st) == 0, "stat %s: %s", path, strerror (errno));
  CHILD_CHECK ((st.st_mode & S_IFMT) == type, "%s: type 0%o", path, st.st_mode & S_IFMT);
  CHILD_CHECK (major (st.st_rdev) == maj && minor (st.st_rdev) == min, "%s: %u:%u", path,
               major (st.st_rdev), minor (st.st_rdev));
}

static void
check_link (const char *path, const char *want)
{
  char buf[256];
  ssize_t n = readlink (path, buf, sizeof buf - 1);

  CHILD_CHECK (n >= 0, "readlink %s: %s", path, strerror (errno));
  buf[n] = '\0';
  CHILD_CHECK (strcmp (buf, want) == 0, "%s -> '%s', want '%s'", path, buf, want);
}

static void
check_content (const char *path, const char *want)
{
  cleanup_free char *got = NULL;
  struct mr_error err = { 0 };

  CHILD_CHECK (mr_read_file (path, &got, NULL, &err) == 0, "%s", err.msg);
  CHILD_CHECK (strcmp (got, want) == 0, "%s: '%s', want '%s'", path, got, want);
}

static void
check_create_fails (const char *path, int want)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

  CHILD_CHECK (fd < 0, "create %s succeeded", path);
  CHILD_CHECK (errno == want, "create %s: %s, want %s", path, strerror (errno), strerror (want));
}

static void
check_write_fails (const char *path, int want)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);

  CHILD_CHECK (fd < 0, "open %s for writing succeeded", path);
  CHILD_CHECK (errno == want, "open %s for writing: %s, want %s", path, strerror (errno),
               strerror (want));
}

static void
check_fs_type (const char *path, long type)
{
  struct statfs sfs;

  CHILD_CHECK (statfs (path, &sfs) == 0, "statfs %s: %s", path, strerror (errno));
  CHILD_CHECK ((long)sfs.f_type == type, "%s: fs type 0x%lx, want 0x%lx", path, (long)sfs.f_type,
               type);
}

struct full_case
{
  char *base;
  char *rootfs;
  char *robind;
  char *hostfile;
};

static void
full_child (void *arg)
{
  struct full_case *c = arg;
  struct mr_spec_mount mounts[16];
  struct mr_spec_device devices[3] = { 0 };
  char *masked[] = { (char *)"/proc/timer_list", (char *)"/proc/acpi", (char *)"/sys/firmware",
                     (char *)"/no/such/path", NULL };
  char *readonly[] = { (char *)"/proc/sys", (char *)"/missing", NULL };
  struct mr_spec spec = { 0 };
  struct mr_rootfs_opts opts = { 0 };
  struct mr_error err = { 0 };
  struct stat st, host_etc;
  size_t n = 0;
  pid_t pid;
  int status;

  CHILD_CHECK (unshare (CLONE_NEWNS) == 0, "unshare: %s", strerror (errno));
  CHILD_CHECK (stat ("/etc", &host_etc) == 0, "stat /etc");

  mounts[n++] = spec_mount ("/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mounts[n++]
      = spec_mount ("/sys", "sysfs", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
  mounts[n++] = spec_mount ("/sys/fs/cgroup", "cgroup", "cgroup",
                            MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
  mounts[n++] = spec_mount ("/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
                            "newinstance,ptmxmode=0666,mode=0620,gid=5");
  mounts[n++] = spec_mount ("/dev/shm", "tmpfs", "shm", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                            "mode=1777,size=65536k");
  mounts[n++]
      = spec_mount ("/dev/mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mounts[n] = spec_mount ("/data", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m");
  mounts[n++].tmpcopyup = true;
  mounts[n++] = spec_mount ("/ro", "bind", c->robind, MS_BIND | MS_REC | MS_RDONLY, NULL);
  mounts[n++] = spec_mount ("/etc2/hostname", NULL, c->hostfile, MS_BIND, NULL);
  mounts[n++] = spec_mount ("/etc3/resolv.conf", "bind", c->hostfile, MS_BIND | MS_RDONLY, NULL);
  /* Both through symlinks of the image that aim outside it.  */
  mounts[n++] = spec_mount ("/mnt", "tmpfs", "tmpfs", 0, NULL);
  mounts[n++] = spec_mount ("/esc/hostdir", "tmpfs", "tmpfs", 0, NULL);
  spec.mounts = mounts;
  spec.n_mounts = n;

  devices[0] = (struct mr_spec_device){ .type = 'c',
                                        .path = (char *)"/dev/mydev",
                                        .major = 1,
                                        .minor = 5,
                                        .file_mode_set = true,
                                        .file_mode = 0640,
                                        .uid_set = true,
                                        .uid = 1000,
                                        .gid_set = true,
                                        .gid = 1001 };
  devices[1] = (struct mr_spec_device){
    .type = 'c', .path = (char *)"/dev/sub/null2", .major = 1, .minor = 3
  };
  devices[2] = (struct mr_spec_device){ .type = 'p', .path = (char *)"/dev/myfifo" };
  spec.linux.devices = devices;
  spec.linux.n_devices = 3;
  spec.linux.masked_paths = masked;
  spec.linux.n_masked_paths = 4;
  spec.linux.readonly_paths = readonly;
  spec.linux.n_readonly_paths = 2;
  spec.root_readonly = true;

  opts.spec = &spec;
  opts.rootfs = c->rootfs;

  CHILD_CHECK (mr_rootfs_prepare (&opts, &err) == 0, "prepare: %s", err.msg);

  /* Still in the host's view: its /etc is untouched.  */
  CHILD_CHECK (stat ("/etc", &st) == 0 && st.st_dev == host_etc.st_dev,
               "the host's /etc was mounted over");
  CHILD_CHECK (access ("/etc/passwd", F_OK) == 0, "host /etc/passwd hidden");

  CHILD_CHECK (mr_rootfs_pivot (c->rootfs, false, &err) == 0, "pivot: %s", err.msg);
  CHILD_CHECK (mr_rootfs_finalize (&opts, &err) == 0, "finalize: %s", err.msg);

  /* /dev */
  check_node ("/dev/null", S_IFCHR, 1, 3);
  check_node ("/dev/zero", S_IFCHR, 1, 5);
  check_node ("/dev/full", S_IFCHR, 1, 7);
  check_node ("/dev/random", S_IFCHR, 1, 8);
  check_node ("/dev/urandom", S_IFCHR, 1, 9);
  check_node ("/dev/tty", S_IFCHR, 5, 0);
  CHILD_CHECK (stat ("/dev/null", &st) == 0 && (st.st_mode & 07777) == 0666, "/dev/null mode");
  check_fs_type ("/dev", TMPFS_MAGIC);
  check_link ("/dev/ptmx", "pts/ptmx");
  check_link ("/dev/fd", "/proc/self/fd");
  check_link ("/dev/stdin", "/proc/self/fd/0");
  check_link ("/dev/stdout", "/proc/self/fd/1");
  check_link ("/dev/stderr", "/proc/self/fd/2");
  check_node ("/dev/pts/ptmx", S_IFCHR, 5, 2);
  check_fs_type ("/dev/pts", DEVPTS_SUPER_MAGIC);
  check_fs_type ("/dev/shm", TMPFS_MAGIC);
  check_fs_type ("/dev/mqueue", 0x19800202 /* MQUEUE_MAGIC */);
  check_node ("/dev/mydev", S_IFCHR, 1, 5);
  CHILD_CHECK (stat ("/dev/mydev", &st) == 0 && (st.st_mode & 07777) == 0640 && st.st_uid == 1000
                   && st.st_gid == 1001,
               "/dev/mydev: mode 0%o owner %d:%d", st.st_mode & 07777, (int)st.st_uid,
               (int)st.st_gid);
  check_node ("/dev/sub/null2", S_IFCHR, 1, 3);
  CHILD_CHECK (stat ("/dev/myfifo", &st) == 0 && S_ISFIFO (st.st_mode), "/dev/myfifo");
  {
    int fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
    CHILD_CHECK (fd >= 0 && write (fd, "x", 1) == 1, "write /dev/null: %s", strerror (errno));
    close (fd);
  }

  /* /proc, /sys and cgroups */
  CHILD_CHECK (access ("/proc/self/status", R_OK) == 0, "/proc/self: %s", strerror (errno));
  check_fs_type ("/proc", PROC_SUPER_MAGIC);
  check_fs_type ("/sys", SYSFS_MAGIC);
  check_fs_type ("/sys/fs/cgroup", TMPFS_MAGIC);
  CHILD_CHECK (access ("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0,
               "the memory cgroup is not shown: %s", strerror (errno));
  check_fs_type ("/sys/fs/cgroup/memory", CGROUP_SUPER_MAGIC);
  check_write_fails ("/sys/fs/cgroup/memory/memory.limit_in_bytes", EROFS);
  check_create_fails ("/sys/fs/cgroup/x", EROFS);

  /* masked and read-only paths */
  check_content ("/proc/timer_list", "");
  check_create_fails ("/proc/acpi/x", EROFS);
  {
    cleanup_closedir DIR *d = opendir ("/sys/firmware");
    struct dirent *de;
    int entries = 0;

    CHILD_CHECK (d != NULL, "open /sys/firmware: %s", strerror (errno));
    while ((de = readdir (d)))
      entries++;
    CHILD_CHECK (entries == 2, "/sys/firmware has %d entries", entries);
    check_create_fails ("/sys/firmware/x", EROFS);
  }
  check_write_fails ("/proc/sys/kernel/hostname", EROFS);

  /* tmpcopyup */
  check_content ("/data/hello.txt", "hello\n");
  check_content ("/data/sub/deep.txt", "deep");
  check_link ("/data/link", "hello.txt");
  CHILD_CHECK (stat ("/data/secret", &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_uid == 1234
                   && st.st_gid == 1234,
               "/data/secret: mode 0%o owner %d", st.st_mode & 07777, (int)st.st_uid);
  CHILD_CHECK (stat ("/data", &st) == 0 && (st.st_mode & 07777) == 0750 && st.st_uid == 42,
               "/data: mode 0%o owner %d", st.st_mode & 07777, (int)st.st_uid);
  check_fs_type ("/data", TMPFS_MAGIC);

  /* binds */
  check_content ("/ro/f", "robind");
  check_create_fails ("/ro/new", EROFS);
  check_content ("/etc2/hostname", "host file\n");
  check_content ("/etc3/resolv.conf", "host file\n");
  check_content ("/run/resolve/stub-resolv.conf", "host file\n");
  check_write_fails ("/etc3/resolv.conf", EROFS);

  /* the symlinks mnt -> /etc and esc -> ../outside led inside the root */
  check_fs_type ("/etc", TMPFS_MAGIC);
  CHILD_CHECK (access ("/etc/image-file", F_OK) < 0, "/etc is not the tmpfs");
  check_fs_type ("/outside/hostdir", TMPFS_MAGIC);

  /* root.readonly */
  check_create_fails ("/newfile", EROFS);

  /* and a process can run there */
  pid = fork ();
  CHILD_CHECK (pid >= 0, "fork");
  if (pid == 0)
    {
      char *argv[]
          = { (char *)"sh", (char *)"-c",
              (char *)"test -c /dev/null && test -L /dev/ptmx && echo ok > /data/sh", NULL };
      char *envp[] = { (char *)"PATH=/bin", NULL };
      execve ("/bin/busybox", argv, envp);
      _exit (127);
    }
  CHILD_CHECK (waitpid (pid, &status, 0) == pid && WIFEXITED (status) && WEXITSTATUS (status) == 0,
               "busybox sh: status 0x%x", status);
  check_content ("/data/sh", "ok\n");
}

START_TEST (rootfs_prepare_pivot_finalize_builds_a_container_root)
{
  struct full_case c = { 0 };
  cleanup_free char *report = NULL;

  if (!can_mount ())
    return;
  c.base = new_dir ("full");
  ck_assert_int_ge (asprintf (&c.rootfs, "%s/rootfs", c.base), 0);
  ck_assert_int_eq (mkdir (c.rootfs, 0755), 0);
  for (const char *const *d
       = (const char *const[]){ "bin", "proc", "sys", "tmp", "etc", "data", "data/sub", NULL };
       *d; d++)
    put_dir (c.rootfs, *d, 0755);
  copy_busybox (c.rootfs);
  put_file (c.rootfs, "etc/image-file", "", 0644);
  put_file (c.rootfs, "data/hello.txt", "hello\n", 0644);
  put_file (c.rootfs, "data/sub/deep.txt", "deep", 0644);
  put_file (c.rootfs, "data/secret", "s", 0600);
  put_link (c.rootfs, "data/link", "hello.txt");
  {
    cleanup_free char *p = NULL;
    ck_assert_int_ge (asprintf (&p, "%s/data/secret", c.rootfs), 0);
    ck_assert_int_eq (chown (p, 1234, 1234), 0);
    free (p);
    ck_assert_int_ge (asprintf (&p, "%s/data", c.rootfs), 0);
    ck_assert_int_eq (chown (p, 42, 42), 0);
    ck_assert_int_eq (chmod (p, 0750), 0);
  }
  put_link (c.rootfs, "mnt", "/etc");
  put_dir (c.rootfs, "etc3", 0755);
  put_link (c.rootfs, "etc3/resolv.conf", "../run/resolve/stub-resolv.conf");
  put_link (c.rootfs, "esc", "../outside");
  c.robind = new_dir ("full-robind");
  put_file (c.robind, "f", "robind", 0644);
  ck_assert_int_ge (asprintf (&c.hostfile, "%s/hostfile", scratch), 0);
  put_file (scratch, "hostfile", "host file\n", 0644);

  report = run_child (full_child, &c);
  ck_assert_msg (report[0] == '\0', "%s", report);
  /* Nothing leaked into this mount namespace, nothing left the rootfs.  */
  ck_assert (!mounted_anywhere_under (c.base));
  ck_assert (!exists (c.base, "outside"));
  ck_assert (exists (c.rootfs, "outside/hostdir"));
  free (c.base);
  free (c.rootfs);
  free (c.robind);
  free (c.hostfile);
}
END_TEST

static void
no_pivot_child (void *arg)
{
  const char *rootfs = arg;
  struct mr_spec_mount mounts[2];
  struct mr_spec spec = { 0 };
  struct mr_rootfs_opts opts = { 0 };
  struct mr_error err = { 0 };
  struct stat st;

  CHILD_CHECK (unshare (CLONE_NEWNS) == 0, "unshare: %s", strerror (errno));
  mounts[0] = spec_mount ("/proc", "proc", "proc", 0, NULL);
  mounts[1] = spec_mount ("/dev", "bind", "/dev", MS_BIND | MS_REC, NULL);
  spec.mounts = mounts;
  spec.n_mounts = 2;
  spec.linux.rootfs_propagation = MS_PRIVATE | MS_REC;
  opts.spec = &spec;
  opts.rootfs = rootfs;

  CHILD_CHECK (mr_rootfs_prepare (&opts, &err) == 0, "prepare: %s", err.msg);
  CHILD_CHECK (mr_rootfs_pivot (rootfs, true, &err) == 0, "pivot: %s", err.msg);
  CHILD_CHECK (mr_rootfs_finalize (&opts, &err) == 0, "finalize: %s", err.msg);
  CHILD_CHECK (access ("/bin/busybox", X_OK) == 0, "not in the new root");
  /* The host's /dev as it is: its ptmx is a device, not our link.  */
  CHILD_CHECK (lstat ("/dev/ptmx", &st) == 0 && S_ISCHR (st.st_mode), "/dev/ptmx was replaced");
  CHILD_CHECK (access ("/proc/self/status", F_OK) == 0, "no /proc");
}

START_TEST (rootfs_no_pivot_with_host_dev_keeps_it_unpopulated)
{
  cleanup_free char *base = NULL;
  cleanup_free char *rootfs = NULL;
  cleanup_free char *report = NULL;

  if (!can_mount ())
    return;
  base = new_dir ("nopivot");
  ck_assert_int_ge (asprintf (&rootfs, "%s/rootfs", base), 0);
  ck_assert_int_eq (mkdir (rootfs, 0755), 0);
  put_dir (rootfs, "bin", 0755);
  copy_busybox (rootfs);
  report = run_child (no_pivot_child, rootfs);
  ck_assert_msg (report[0] == '\0', "%s", report);
  ck_assert (!mounted_anywhere_under (base));
}
END_TEST

static void
error_child (void *arg)
{
  const char *rootfs = arg;
  struct mr_spec_mount mounts[1];
  struct mr_spec spec = { 0 };
  struct mr_rootfs_opts opts = { 0 };
  struct mr_error err = { 0 };

  CHILD_CHECK (unshare (CLONE_NEWNS) == 0, "unshare: %s", strerror (errno));
  mounts[0] = spec_mount ("/bogus", "nosuchfs", "x", 0, NULL);
  spec.mounts = mounts;
  spec.n_mounts = 1;
  opts.spec = &spec;
  opts.rootfs = rootfs;
  CHILD_CHECK (mr_rootfs_prepare (&opts, &err) < 0, "prepare succeeded");
  CHILD_CHECK (strcmp (err.msg, "mount 'nosuchfs' on '/bogus': No such device") == 0,
               "message: '%s'", err.msg);
}

START_TEST (rootfs_mount_errors_name_type_and_destination)
{
  cleanup_free char *rootfs = NULL;
  cleanup_free char *report = NULL;

  if (!can_mount ())
    return;
  rootfs = new_dir ("errroot");
  report = run_child (error_child, rootfs);
  ck_assert_msg (report[0] == '\0', "%s", report);
}
END_TEST

static void
shared_child (void *arg)
{
  const char *rootfs = arg;
  struct mr_spec_mount mounts[1];
  struct mr_spec spec = { 0 };
  struct mr_rootfs_opts opts = { 0 };
  struct mr_error err = { 0 };
  cleanup_free char *mi = NULL;
  bool root_shared = false;
  char *save = NULL;

  CHILD_CHECK (unshare (CLONE_NEWNS) == 0, "unshare: %s", strerror (errno));
  mounts[0] = spec_mount ("/proc", "proc", "proc", 0, NULL);
  spec.mounts = mounts;
  spec.n_mounts = 1;
  spec.linux.rootfs_propagation = MS_SHARED | MS_REC;
  opts.spec = &spec;
  opts.rootfs = rootfs;

  CHILD_CHECK (mr_rootfs_prepare (&opts, &err) == 0, "prepare: %s", err.msg);
  CHILD_CHECK (mr_rootfs_pivot (rootfs, false, &err) == 0, "pivot: %s", err.msg);
  CHILD_CHECK (mr_rootfs_finalize (&opts, &err) == 0, "finalize: %s", err.msg);
  CHILD_CHECK (mr_read_file ("/proc/self/mountinfo", &mi, NULL, &err) == 0, "%s", err.msg);
  for (char *l = strtok_r (mi, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      struct mr_mountinfo m;
      if (mr_mountinfo_parse_line (l, &m) == 0 && strcmp (m.mountpoint, "/") == 0)
        root_shared = m.shared;
    }
  CHILD_CHECK (root_shared, "/ is not shared");
}

START_TEST (rootfs_shared_propagation_pivots_and_ends_shared)
{
  cleanup_free char *rootfs = NULL;
  cleanup_free char *report = NULL;

  if (!can_mount ())
    return;
  rootfs = new_dir ("sharedroot");
  put_dir (rootfs, "proc", 0755);
  report = run_child (shared_child, rootfs);
  ck_assert_msg (report[0] == '\0', "%s", report);
  ck_assert (!mounted_anywhere_under (rootfs));
}
END_TEST

static void
cgroupns_child (void *arg)
{
  const char *rootfs = arg;
  struct mr_spec_mount mounts[2];
  struct mr_spec spec = { 0 };
  struct mr_rootfs_opts opts = { 0 };
  struct mr_error err = { 0 };
  struct statfs sfs;

  CHILD_CHECK (unshare (CLONE_NEWNS | CLONE_NEWCGROUP) == 0, "unshare: %s", strerror (errno));
  mounts[0] = spec_mount ("/sys", "sysfs", "sysfs", MS_RDONLY, NULL);
  mounts[1] = spec_mount ("/sys/fs/cgroup", "cgroup", "cgroup",
                          MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
  spec.mounts = mounts;
  spec.n_mounts = 2;
  opts.spec = &spec;
  opts.rootfs = rootfs;
  opts.new_cgroupns = true;

  CHILD_CHECK (mr_rootfs_prepare (&opts, &err) == 0, "prepare: %s", err.msg);
  CHILD_CHECK (mr_rootfs_pivot (rootfs, false, &err) == 0, "pivot: %s", err.msg);
  CHILD_CHECK (mr_rootfs_finalize (&opts, &err) == 0, "finalize: %s", err.msg);
  if (statfs ("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    {
      check_create_fails ("/sys/fs/cgroup/x", EROFS);
      return;
    }
  /* A v1 host: a tmpfs of hierarchies, each a new mount of its own.  */
  check_fs_type ("/sys/fs/cgroup", TMPFS_MAGIC);
  check_fs_type ("/sys/fs/cgroup/memory", CGROUP_SUPER_MAGIC);
  CHILD_CHECK (access ("/sys/fs/cgroup/memory/cgroup.procs", F_OK) == 0, "no memory hierarchy");
  check_write_fails ("/sys/fs/cgroup/memory/cgroup.procs", EROFS);
  check_create_fails ("/sys/fs/cgroup/y", EROFS);
}

START_TEST (rootfs_cgroup_mount_in_cgroup_namespace_mounts_hierarchies)
{
  cleanup_free char *rootfs = NULL;
  cleanup_free char *report = NULL;

  if (!can_mount ())
    return;
  rootfs = new_dir ("cgroupns");
  put_dir (rootfs, "sys", 0755);
  report = run_child (cgroupns_child, rootfs);
  ck_assert_msg (report[0] == '\0', "%s", report);
  ck_assert (!mounted_anywhere_under (rootfs));
}
END_TEST

static void
write_proc (const char *file, const char *data)
{
  struct mr_error err = { 0 };

  CHILD_CHECK (mr_write_file (file, data, strlen (data), &err) == 0, "%s", err.msg);
}

struct userns_case
{
  char *rootfs;
  char *locked;
};

static void
userns_child (void *arg)
{
  struct userns_case *c = arg;
  struct mr_spec_mount mounts[5];
  char *masked[] = { (char *)"/proc/timer_list", NULL };
  char *readonly[] = { (char *)"/proc/sys", NULL };
  struct mr_spec spec = { 0 };
  struct mr_rootfs_opts opts = { 0 };
  struct mr_error err = { 0 };
  struct statvfs sv;

  /* A source mount with nosuid, nodev, noexec, made before the user
     namespace: in it those flags are locked.  */
  CHILD_CHECK (unshare (CLONE_NEWNS) == 0, "unshare: %s", strerror (errno));
  CHILD_CHECK (mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) == 0, "rslave: %s",
               strerror (errno));
  CHILD_CHECK (mount ("tmpfs", c->locked, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m")
                   == 0,
               "mount tmpfs: %s", strerror (errno));
  {
    char p[512];
    int fd;

    snprintf (p, sizeof p, "%s/f", c->locked);
    fd = open (p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    CHILD_CHECK (fd >= 0 && write (fd, "locked", 6) == 6, "write %s", p);
    close (fd);
  }
  CHILD_CHECK (unshare (CLONE_NEWUSER | CLONE_NEWNS) == 0, "unshare user: %s", strerror (errno));
  write_proc ("/proc/self/setgroups", "deny");
  write_proc ("/proc/self/uid_map", "0 0 1");
  write_proc ("/proc/self/gid_map", "0 0 1");

  mounts[0] = spec_mount ("/proc", "bind", "/proc", MS_BIND | MS_REC, NULL);
  mounts[1] = spec_mount ("/sys", "sysfs", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mounts[2] = spec_mount ("/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
                          "newinstance,ptmxmode=0666,mode=0620,gid=5");
  mounts[3] = spec_mount ("/locked", "bind", c->locked, MS_BIND | MS_RDONLY, NULL);
  mounts[4] = spec_mount ("/tmp", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, NULL);
  spec.mounts = mounts;
  spec.n_mounts = 5;
  spec.linux.masked_paths = masked;
  spec.linux.n_masked_paths = 1;
  spec.linux.readonly_paths = readonly;
  spec.linux.n_readonly_paths = 1;
  spec.root_readonly = true;
  opts.spec = &spec;
  opts.rootfs = c->rootfs;
  opts.userns = true;

  CHILD_CHECK (mr_rootfs_prepare (&opts, &err) == 0, "prepare: %s", err.msg);
  CHILD_CHECK (mr_rootfs_pivot (c->rootfs, false, &err) == 0, "pivot: %s", err.msg);
  CHILD_CHECK (mr_rootfs_finalize (&opts, &err) == 0, "finalize: %s", err.msg);

  /* devices are the host's, bound */
  check_node ("/dev/null", S_IFCHR, 1, 3);
  check_node ("/dev/tty", S_IFCHR, 5, 0);
  check_link ("/dev/ptmx", "pts/ptmx");
  check_node ("/dev/pts/ptmx", S_IFCHR, 5, 2);
  /* sysfs fell back to the host's */
  check_fs_type ("/sys", SYSFS_MAGIC);
  CHILD_CHECK (access ("/sys/kernel", F_OK) == 0, "/sys is empty");
  /* the read-only bind kept the locked flags */
  check_content ("/locked/f", "locked");
  check_create_fails ("/locked/new", EROFS);
  CHILD_CHECK (statvfs ("/locked", &sv) == 0, "statvfs /locked");
  CHILD_CHECK ((sv.f_flag & (ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC))
                   == (ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC),
               "/locked flags 0x%lx", sv.f_flag);
  check_content ("/proc/timer_list", "");
  check_write_fails ("/proc/sys/kernel/hostname", EROFS);
  check_create_fails ("/newfile", EROFS);
  {
    int fd = open ("/tmp/x", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    CHILD_CHECK (fd >= 0, "/tmp is not writable: %s", strerror (errno));
    close (fd);
  }
}

START_TEST (rootfs_in_user_namespace_binds_devices_and_keeps_locked_flags)
{
  struct userns_case c = { 0 };
  cleanup_free char *base = NULL;
  cleanup_free char *report = NULL;

  if (!can_mount ())
    return;
  base = new_dir ("userns");
  ck_assert_int_ge (asprintf (&c.rootfs, "%s/rootfs", base), 0);
  ck_assert_int_eq (mkdir (c.rootfs, 0755), 0);
  put_dir (c.rootfs, "proc", 0755);
  put_dir (c.rootfs, "sys", 0755);
  c.locked = new_dir ("userns-locked");
  report = run_child (userns_child, &c);
  ck_assert_msg (report[0] == '\0', "%s", report);
  ck_assert (!mounted_anywhere_under (base));
  ck_assert (!mounted_anywhere_under (c.locked));
  free (c.rootfs);
  free (c.locked);
}
END_TEST

static Suite *
util_suite (void)
{
  Suite *s = suite_create ("util");
  TCase *tc;

  tc = tcase_create ("path_join");
  tcase_add_loop_test (tc, path_join_cleans_lexically_and_never_climbs_above_root, 0,
                       (int)(sizeof join_cases / sizeof join_cases[0]));
  suite_add_tcase (s, tc);

  tc = tcase_create ("path_unsearchable");
  tcase_add_test (tc, path_unsearchable_names_the_highest_directory_in_the_way);
  suite_add_tcase (s, tc);

  tc = tcase_create ("open_in_root");
  tcase_add_unchecked_fixture (tc, scratch_setup, scratch_teardown);
  tcase_add_loop_test (tc, open_in_root_absolute_symlink_to_host_dir_stays_inside, 0, 2);
  tcase_add_loop_test (tc, open_in_root_dotdot_symlinks_stop_at_root, 0, 2);
  tcase_add_loop_test (tc, open_in_root_absolute_symlink_resolves_from_root, 0, 2);
  tcase_add_loop_test (tc, open_in_root_root_itself_and_errors, 0, 2);
  tcase_add_loop_test (tc, open_in_root_creates_through_symlinks_inside_root, 0, 2);
  tcase_add_test (tc, mkdir_in_root_through_symlinks_stays_inside);
  tcase_add_test (tc, create_in_root_makes_parents_where_dangling_links_lead);
  suite_add_tcase (s, tc);

  tc = tcase_create ("fs");
  tcase_add_unchecked_fixture (tc, scratch_setup, scratch_teardown);
  tcase_add_test (tc, write_file_atomic_creates_replaces_and_leaves_no_temporary);
  tcase_add_test (tc, read_file_reads_large_files_and_names_missing_ones);
  tcase_add_test (tc, mkdir_p_creates_parents_and_accepts_existing);
  suite_add_tcase (s, tc);

  tc = tcase_create ("mount_helpers");
  tcase_add_unchecked_fixture (tc, scratch_setup, scratch_teardown);
  tcase_add_test (tc, mountinfo_line_parses_with_escapes_and_optional_fields);
  tcase_add_test (tc, cgroup1_controllers_drop_hierarchy_options);
  tcase_add_test (tc, cgroup_self_path_finds_the_hierarchy);
  tcase_add_test (tc, mount_data_options_are_found_and_removed);
  tcase_add_test (tc, mount_flags_and_bind_detection);
  tcase_add_test (tc, copy_tree_keeps_content_modes_links_and_times);
  suite_add_tcase (s, tc);

  tc = tcase_create ("rootfs");
  tcase_add_unchecked_fixture (tc, scratch_setup, scratch_teardown);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, rootfs_prepare_pivot_finalize_builds_a_container_root);
  tcase_add_test (tc, rootfs_no_pivot_with_host_dev_keeps_it_unpopulated);
  tcase_add_test (tc, rootfs_mount_errors_name_type_and_destination);
  tcase_add_test (tc, rootfs_shared_propagation_pivots_and_ends_shared);
  tcase_add_test (tc, rootfs_cgroup_mount_in_cgroup_namespace_mounts_hierarchies);
  tcase_add_test (tc, rootfs_in_user_namespace_binds_devices_and_keeps_locked_flags);
  suite_add_tcase (s, tc);

  return s;
}

int
main (void)
{
  return unit_run (util_suite ());
}
