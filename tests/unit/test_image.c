#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "image/image-internal.h"
#include "unit.h"
#include "util/cleanup.h"
#include "util/tar.h"

/* A scratch directory per test case, made and removed by the runner
   process, so that it goes away even when a test fails.  */
static char *scratch;

static void
scratch_setup (void)
{
  scratch = unit_mkdtemp ("image");
}

static void
scratch_teardown (void)
{
  /* FTW_MOUNT: never descend into anything mounted there.  */
  unit_rm_tree (scratch);
  free (scratch);
  scratch = NULL;
}

static char *path_of (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static char *
path_of (const char *fmt, ...)
{
  char rel[4096];
  char *p;
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (rel, sizeof rel, fmt, ap);
  va_end (ap);
  ck_assert_int_ge (asprintf (&p, "%s/%s", scratch, rel), 0);
  return p;
}

/* A fresh directory below the scratch directory, with its parents.  */
static char *
new_dir (const char *name)
{
  char *p = path_of ("%s", name);

  for (char *s = strchr (p + strlen (scratch) + 1, '/'); s; s = strchr (s + 1, '/'))
    {
      *s = '\0';
      mkdir (p, 0755);
      *s = '/';
    }
  ck_assert_int_eq (mkdir (p, 0755), 0);
  return p;
}

static void
write_text (const char *path, const char *text)
{
  FILE *f = fopen (path, "w");

  ck_assert_ptr_nonnull (f);
  fputs (text, f);
  ck_assert_int_eq (fclose (f), 0);
}

static char *
read_text (const char *path)
{
  static char buf[8192];
  FILE *f = fopen (path, "r");
  size_t n;

  if (f == NULL)
    return NULL;
  n = fread (buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose (f);
  return buf;
}

static bool
exists (const char *path)
{
  struct stat st;

  return lstat (path, &st) == 0;
}

/* --- references ----------------------------------------------------------- */

static const struct
{
  const char *ref, *name, *tag;
} valid_refs[] = {
  { "bb", "bb", "latest" },
  { "bb:latest", "bb", "latest" },
  { "bb:1.0", "bb", "1.0" },
  { "ubuntu:22.04", "ubuntu", "22.04" },
  { "localhost/app:1", "localhost/app", "1" },
  { "registry.example.com:5000/a/b:tag", "registry.example.com:5000/a/b", "tag" },
  { "a/b/c", "a/b/c", "latest" },
  { "library/busybox:stable", "library/busybox", "stable" },
  { "my-app", "my-app", "latest" },
  { "my---app", "my---app", "latest" },
  { "my_app", "my_app", "latest" },
  { "my__app", "my__app", "latest" },
  { "my.app", "my.app", "latest" },
  { "a0/b1:A-b.c", "a0/b1", "A-b.c" },
  { "a:Tag_1", "a", "Tag_1" },
  { "a:_x", "a", "_x" },
  { "localhost", "localhost", "latest" },
  { "localhost:5000", "localhost", "5000" },
  { "localhost:5000/app", "localhost:5000/app", "latest" },
  { "127.0.0.1:5000/app:v1", "127.0.0.1:5000/app", "v1" },
  { "[::1]:5000/app:x", "[::1]:5000/app", "x" },
  { "Example.COM/x", "Example.COM/x", "latest" },
  { "my-registry.io/team/app_1.2:2024-01-01", "my-registry.io/team/app_1.2", "2024-01-01" },
};

START_TEST (ref_parse_accepts_docker_references_and_defaults_the_tag)
{
  struct mr_error err = { 0 };
  cleanup_free char *name = NULL;
  cleanup_free char *tag = NULL;

  if (mr_image_ref_parse (valid_refs[_i].ref, &name, &tag, &err) < 0)
    ck_abort_msg ("'%s': %s", valid_refs[_i].ref, err.msg);
  ck_assert_str_eq (name, valid_refs[_i].name);
  ck_assert_str_eq (tag, valid_refs[_i].tag);
}
END_TEST

START_TEST (ref_parse_accepts_the_longest_tag_and_name)
{
  struct mr_error err = { 0 };
  char ref[512];

  memset (ref, 'a', 255);
  strcpy (ref + 255, ":");
  memset (ref + 256, 'T', 128);
  ref[384] = '\0';
  ck_assert_int_eq (mr_image_ref_parse (ref, NULL, NULL, &err), 0);
}
END_TEST

static const struct
{
  const char *ref, *message;
} invalid_refs[] = {
  { "", "the name is empty" },
  { ":tag", "the name is empty" },
  { "Bb", "repository name must be lowercase" },
  { "a/B", "repository name must be lowercase" },
  { "bb:", "empty tag after ':'" },
  { "bb:-x", "tag '-x' must not start with '-'" },
  { "bb:.x", "tag '.x' must not start with '.'" },
  { "bb:a b", "invalid character 0x20 in the tag" },
  { "bb:a+b", "invalid character '+' in the tag" },
  { "bb@sha256:0123456789abcdef", "digests ('@sha256:...') are not supported" },
  { "a//b", "empty path component" },
  { "/a", "empty path component" },
  { "a/", "empty path component" },
  { "-a", "path component '-a' must start and end with a lowercase letter or digit" },
  { "a-", "path component 'a-' must start and end with a lowercase letter or digit" },
  { "a/.b", "path component '.b' must start and end" },
  { "a..b", "separator '..' in path component 'a..b'" },
  { "a___b", "separator '___' in path component 'a___b'" },
  { "a_-b", "separator '_-' in path component 'a_-b'" },
  { "a b", "invalid character 0x20 in the repository name" },
  { "a:b:c", "invalid character ':' in the repository name" },
  { "bb:a/b", "port 'a' must be a number" },
  { "exa_mple.com/a", "invalid character '_' in the domain" },
  { "-foo.com/a", "domain component '-foo' must start and end with a letter or digit" },
  { "foo..com/a", "empty component in domain 'foo..com'" },
  { "localhost:/app", "empty port in domain 'localhost:'" },
  { "localhost:50x0/app", "port '50x0' must be a number" },
  { "[::1/app", "malformed IPv6 address" },
  { "[::g]/app", "malformed IPv6 address" },
};

START_TEST (ref_parse_rejects_invalid_references_naming_the_rule)
{
  struct mr_error err = { 0 };
  char *name = NULL, *tag = NULL;

  if (mr_image_ref_parse (invalid_refs[_i].ref, &name, &tag, &err) == 0)
    ck_abort_msg ("'%s' was accepted as '%s' : '%s'", invalid_refs[_i].ref, name, tag);
  ck_assert_ptr_null (name);
  ck_assert_ptr_null (tag);
  if (strstr (err.msg, invalid_refs[_i].message) == NULL)
    ck_abort_msg ("'%s': expected '%s' in '%s'", invalid_refs[_i].ref, invalid_refs[_i].message,
                  err.msg);
  ck_assert_ptr_nonnull (strstr (err.msg, "invalid reference"));
}
END_TEST

START_TEST (ref_parse_rejects_too_long_names_and_tags)
{
  struct mr_error err = { 0 };
  char ref[600];

  memset (ref, 'a', 256);
  ref[256] = '\0';
  ck_assert_int_lt (mr_image_ref_parse (ref, NULL, NULL, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "name longer than 255 characters"));

  strcpy (ref, "a:");
  memset (ref + 2, 't', 129);
  ref[131] = '\0';
  ck_assert_int_lt (mr_image_ref_parse (ref, NULL, NULL, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "tag longer than 128 characters"));
}
END_TEST

/* --- a tar writer for hand-made archives ---------------------------------- */

struct tb
{
  char *buf;
  size_t len, cap;
};

static void
tb_put (struct tb *t, const void *p, size_t n)
{
  if (t->len + n > t->cap)
    {
      t->cap = (t->len + n) * 2 + 4096;
      t->buf = realloc (t->buf, t->cap);
      ck_assert_ptr_nonnull (t->buf);
    }
  memcpy (t->buf + t->len, p, n);
  t->len += n;
}

static void
tb_pad (struct tb *t)
{
  static const char zero[512];

  if (t->len % 512)
    tb_put (t, zero, 512 - t->len % 512);
}

struct hdr
{
  const char *name;
  char type;
  unsigned mode;
  size_t size;
  const char *link;
  unsigned uid, gid;
  unsigned mtime;
  unsigned major, minor;
  const char *prefix;
  bool gnu;
};

static void
put_field (unsigned char *h, size_t off, size_t len, const char *s)
{
  size_t n = s ? strlen (s) : 0;

  memcpy (h + off, s ? s : "", n < len ? n : len);
}

static void
tb_hdr (struct tb *t, const struct hdr *x)
{
  unsigned char h[512] = { 0 };
  unsigned sum = 0;

  put_field (h, 0, 100, x->name);
  snprintf ((char *)h + 100, 8, "%07o", x->mode);
  snprintf ((char *)h + 108, 8, "%07o", x->uid);
  snprintf ((char *)h + 116, 8, "%07o", x->gid);
  snprintf ((char *)h + 124, 12, "%011zo", x->size);
  snprintf ((char *)h + 136, 12, "%011o", x->mtime ? x->mtime : 1700000000U);
  h[156] = (unsigned char)x->type;
  put_field (h, 157, 100, x->link);
  if (x->gnu)
    memcpy (h + 257, "ustar  ", 8);
  else
    {
      memcpy (h + 257, "ustar", 6);
      memcpy (h + 263, "00", 2);
    }
  snprintf ((char *)h + 329, 8, "%07o", x->major);
  snprintf ((char *)h + 337, 8, "%07o", x->minor);
  put_field (h, 345, 155, x->prefix);
  memset (h + 148, ' ', 8);
  for (size_t i = 0; i < 512; i++)
    sum += h[i];
  snprintf ((char *)h + 148, 8, "%06o", sum);
  h[155] = ' ';
  tb_put (t, h, 512);
}

static void
tb_file (struct tb *t, const char *name, unsigned mode, const char *data)
{
  tb_hdr (t, &(struct hdr){ .name = name, .type = '0', .mode = mode, .size = strlen (data) });
  tb_put (t, data, strlen (data));
  tb_pad (t);
}

static void
tb_dir (struct tb *t, const char *name, unsigned mode)
{
  tb_hdr (t, &(struct hdr){ .name = name, .type = '5', .mode = mode });
}

static void
tb_symlink (struct tb *t, const char *name, const char *target)
{
  tb_hdr (t, &(struct hdr){ .name = name, .type = '2', .mode = 0777, .link = target });
}

static void
tb_hardlink (struct tb *t, const char *name, const char *target)
{
  tb_hdr (t, &(struct hdr){ .name = name, .type = '1', .mode = 0644, .link = target });
}

/* A pax extended header with one record per "key=value" argument.  */
static void
tb_pax (struct tb *t, const char *const *kv)
{
  char data[16384];
  size_t len = 0;

  for (; *kv; kv++)
    {
      size_t body = strlen (*kv) + 2, digits = 1, total;

      /* The length counts its own digits.  */
      while (1)
        {
          char n[32];
          total = body + digits;
          if ((size_t)snprintf (n, sizeof n, "%zu", total) == digits)
            break;
          digits++;
        }
      len += (size_t)snprintf (data + len, sizeof data - len, "%zu %s\n", total, *kv);
    }
  tb_hdr (t, &(struct hdr){ .name = "PaxHeaders/x", .type = 'x', .mode = 0644, .size = len });
  tb_put (t, data, len);
  tb_pad (t);
}

static void
tb_long (struct tb *t, char type, const char *value)
{
  tb_hdr (t, &(struct hdr){ .name = "././@LongLink",
                            .type = type,
                            .mode = 0644,
                            .size = strlen (value) + 1,
                            .gnu = true });
  tb_put (t, value, strlen (value) + 1);
  tb_pad (t);
}

static void
tb_end (struct tb *t)
{
  static const char zero[1024];

  tb_put (t, zero, sizeof zero);
}

static int
tb_fd (struct tb *t)
{
  int fd = memfd_create ("archive", MFD_CLOEXEC);

  ck_assert_int_ge (fd, 0);
  ck_assert_int_eq (write (fd, t->buf, t->len), (ssize_t)t->len);
  ck_assert_int_eq (lseek (fd, 0, SEEK_SET), 0);
  return fd;
}

/* Unpacks t into dir; returns what mr_tar_extract returned.  */
static int
extract (struct tb *t, const char *dir, unsigned flags, struct mr_error *err)
{
  int fd = tb_fd (t);
  int root = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r;

  ck_assert_int_ge (root, 0);
  r = mr_tar_extract (fd, root, flags, err);
  close (fd);
  close (root);
  free (t->buf);
  memset (t, 0, sizeof *t);
  return r;
}

static void
extract_ok (struct tb *t, const char *dir, unsigned flags)
{
  struct mr_error err = { 0 };

  if (extract (t, dir, flags, &err) < 0)
    ck_abort_msg ("extract: %s", err.msg);
}

static void
extract_fails (struct tb *t, const char *dir, const char *message)
{
  struct mr_error err = { 0 };

  ck_assert_int_lt (extract (t, dir, 0, &err), 0);
  if (strstr (err.msg, message) == NULL)
    ck_abort_msg ("expected '%s' in '%s'", message, err.msg);
}

/* --- the tar reader ------------------------------------------------------- */

START_TEST (tar_unpacks_files_directories_symlinks_and_hard_links)
{
  cleanup_free char *dir = new_dir ("basic");
  cleanup_free char *f = path_of ("basic/d/f");
  cleanup_free char *h = path_of ("basic/d/h");
  cleanup_free char *l = path_of ("basic/d/l");
  cleanup_free char *d = path_of ("basic/d");
  cleanup_free char *deep = path_of ("basic/x/y/z");
  struct tb t = { 0 };
  struct stat sf, sh, sd;
  char target[64] = "";

  tb_dir (&t, "d/", 0750);
  tb_file (&t, "d/f", 0640, "hello\n");
  tb_symlink (&t, "d/l", "f");
  tb_hardlink (&t, "d/h", "d/f");
  /* Parents that the archive does not list are made.  */
  tb_file (&t, "x/y/z", 0600, "deep");
  tb_end (&t);
  extract_ok (&t, dir, 0);

  ck_assert_str_eq (read_text (f), "hello\n");
  ck_assert_str_eq (read_text (deep), "deep");
  ck_assert_int_eq (stat (f, &sf), 0);
  ck_assert_int_eq (stat (h, &sh), 0);
  ck_assert_int_eq (stat (d, &sd), 0);
  ck_assert_int_eq (sf.st_mode & 07777, 0640);
  ck_assert_int_eq (sf.st_mtime, 1700000000);
  ck_assert_int_eq (sd.st_mode & 07777, 0750);
  ck_assert_int_eq (sd.st_mtime, 1700000000);
  ck_assert (sf.st_ino == sh.st_ino);
  ck_assert_int_eq (readlink (l, target, sizeof target - 1), 1);
  ck_assert_str_eq (target, "f");
}
END_TEST

START_TEST (tar_pax_headers_give_long_names_link_targets_sizes_and_times)
{
  cleanup_free char *dir = new_dir ("pax");
  char longname[400], longlink[400], rec1[450], rec2[450];
  cleanup_free char *file = NULL;
  cleanup_free char *link = path_of ("pax/link");
  const char *kv1[] = { rec1, "mtime=1600000000.5", "uid=1234", "comment=ignored", NULL };
  const char *kv2[] = { rec2, NULL };
  struct tb t = { 0 };
  struct stat st;
  char target[512];

  /* Longer than the 100 bytes of a ustar name, and than name+prefix.  */
  snprintf (longname, sizeof longname, "%0200d/%0150d", 0, 0);
  memset (longlink, 'l', 300);
  longlink[300] = '\0';
  snprintf (rec1, sizeof rec1, "path=%s", longname);
  snprintf (rec2, sizeof rec2, "linkpath=%s", longlink);
  tb_pax (&t, kv1);
  tb_file (&t, "truncated-name", 0644, "long");
  tb_pax (&t, kv2);
  tb_symlink (&t, "link", "short");
  tb_end (&t);
  extract_ok (&t, dir, 0);

  file = path_of ("pax/%s", longname);
  ck_assert_str_eq (read_text (file), "long");
  ck_assert_int_eq (stat (file, &st), 0);
  ck_assert_int_eq (st.st_mtim.tv_sec, 1600000000);
  ck_assert_int_eq (st.st_mtim.tv_nsec, 500000000);
  ck_assert_int_eq (readlink (link, target, sizeof target), 300);
  ck_assert (memcmp (target, longlink, 300) == 0);
  /* The pax name replaced the header's.  */
  free (file);
  file = path_of ("pax/truncated-name");
  ck_assert (!exists (file));
}
END_TEST

START_TEST (tar_pax_size_overrides_the_header)
{
  cleanup_free char *dir = new_dir ("paxsize");
  cleanup_free char *a = path_of ("paxsize/a");
  cleanup_free char *b = path_of ("paxsize/b");
  const char *kv[] = { "size=3", NULL };
  struct tb t = { 0 };

  tb_pax (&t, kv);
  tb_hdr (&t, &(struct hdr){ .name = "a", .type = '0', .mode = 0644, .size = 0 });
  tb_put (&t, "abc", 3);
  tb_pad (&t);
  tb_file (&t, "b", 0644, "next");
  tb_end (&t);
  extract_ok (&t, dir, 0);
  ck_assert_str_eq (read_text (a), "abc");
  ck_assert_str_eq (read_text (b), "next");
}
END_TEST

START_TEST (tar_gnu_long_names_and_link_names)
{
  cleanup_free char *dir = new_dir ("gnu");
  cleanup_free char *file = NULL;
  cleanup_free char *link = NULL;
  char longname[300], longlink[300];
  struct tb t = { 0 };
  char target[512];

  snprintf (longname, sizeof longname, "dir/%0250d", 7);
  memset (longlink, 't', 250);
  longlink[250] = '\0';
  tb_long (&t, 'L', longname);
  tb_file (&t, "ignored", 0644, "gnu");
  tb_long (&t, 'L', "sym");
  tb_long (&t, 'K', longlink);
  tb_symlink (&t, "ignored2", "short");
  tb_end (&t);
  extract_ok (&t, dir, 0);

  file = path_of ("gnu/%s", longname);
  link = path_of ("gnu/sym");
  ck_assert_str_eq (read_text (file), "gnu");
  ck_assert_int_eq (readlink (link, target, sizeof target), 250);
}
END_TEST

START_TEST (tar_ustar_prefix_is_joined_to_the_name)
{
  cleanup_free char *dir = new_dir ("prefix");
  cleanup_free char *file = path_of ("prefix/some/prefix/name");
  struct tb t = { 0 };

  tb_hdr (&t, &(struct hdr){
                  .name = "name", .type = '0', .mode = 0644, .size = 1, .prefix = "some/prefix" });
  tb_put (&t, "p", 1);
  tb_pad (&t);
  tb_end (&t);
  extract_ok (&t, dir, 0);
  ck_assert_str_eq (read_text (file), "p");
}
END_TEST

START_TEST (tar_absolute_names_are_made_relative)
{
  cleanup_free char *dir = new_dir ("abs");
  cleanup_free char *inside = NULL;
  cleanup_free char *outside = path_of ("abs-outside");
  cleanup_free char *name = NULL;
  struct tb t = { 0 };

  /* An absolute path to a real place outside the root.  */
  ck_assert_int_ge (asprintf (&name, "%s/file", outside), 0);
  ck_assert_int_eq (mkdir (outside, 0755), 0);
  tb_file (&t, name, 0644, "abs");
  tb_file (&t, "//./double//slash", 0644, "dbl");
  tb_end (&t);
  extract_ok (&t, dir, 0);

  inside = path_of ("abs%s", name);
  ck_assert_str_eq (read_text (inside), "abs");
  ck_assert (!exists (name));
  free (inside);
  inside = path_of ("abs/double/slash");
  ck_assert_str_eq (read_text (inside), "dbl");
}
END_TEST

START_TEST (tar_dotdot_is_rejected_naming_the_entry)
{
  cleanup_free char *dir = new_dir ("dotdot/root");
  cleanup_free char *evil = path_of ("dotdot/evil");
  cleanup_free char *ok = path_of ("dotdot/root/ok");
  struct tb t = { 0 };

  tb_file (&t, "ok", 0644, "fine");
  tb_file (&t, "../evil", 0644, "evil");
  tb_end (&t);
  extract_fails (&t, dir, "archive entry '../evil': a '..' component is not allowed");
  ck_assert (!exists (evil));
  ck_assert (exists (ok));

  tb_file (&t, "a/b/../../../evil", 0644, "evil");
  tb_end (&t);
  extract_fails (&t, dir, "archive entry 'a/b/../../../evil'");
  ck_assert (!exists (evil));

  /* A ".." the cleaning would not even climb with is refused all the
     same: "a/../b" means nothing good in an image.  */
  tb_file (&t, "a/../b", 0644, "x");
  tb_end (&t);
  extract_fails (&t, dir, "'..' component");
}
END_TEST

START_TEST (tar_symlink_then_file_through_it_stays_inside)
{
  cleanup_free char *dir = new_dir ("planted/root");
  cleanup_free char *outside = new_dir ("planted/outside");
  cleanup_free char *host_file = path_of ("planted/outside/passwd");
  cleanup_free char *inside = NULL;
  cleanup_free char *rel_inside = path_of ("planted/root/x");
  cleanup_free char *rel_outside = path_of ("x");
  struct tb t = { 0 };

  write_text (host_file, "host\n");
  /* An absolute symlink to a real directory outside, then a member
     written through it.  */
  tb_symlink (&t, "link", outside);
  tb_file (&t, "link/passwd", 0644, "pwned\n");
  /* A relative one that climbs as far as it can.  */
  tb_symlink (&t, "up", "../../../../../../../..");
  tb_file (&t, "up/x", 0644, "up\n");
  tb_end (&t);
  extract_ok (&t, dir, 0);

  ck_assert_str_eq (read_text (host_file), "host\n");
  inside = path_of ("planted/root%s/passwd", outside);
  ck_assert_str_eq (read_text (inside), "pwned\n");
  ck_assert_str_eq (read_text (rel_inside), "up\n");
  ck_assert (!exists (rel_outside));
}
END_TEST

START_TEST (tar_member_replaces_a_planted_symlink_instead_of_following_it)
{
  cleanup_free char *dir = new_dir ("replace/root");
  cleanup_free char *target = path_of ("replace/target");
  cleanup_free char *f = path_of ("replace/root/f");
  struct tb t = { 0 };
  struct stat st;

  write_text (target, "untouched\n");
  tb_symlink (&t, "f", target);
  tb_file (&t, "f", 0600, "replaced\n");
  tb_end (&t);
  extract_ok (&t, dir, 0);
  ck_assert_str_eq (read_text (target), "untouched\n");
  ck_assert_int_eq (lstat (f, &st), 0);
  ck_assert (S_ISREG (st.st_mode));
  ck_assert_str_eq (read_text (f), "replaced\n");
}
END_TEST

START_TEST (tar_hard_links_must_point_inside)
{
  cleanup_free char *dir = new_dir ("hl/root");
  cleanup_free char *outside = new_dir ("hl/outside");
  cleanup_free char *secret = path_of ("hl/outside/secret");
  cleanup_free char *x = path_of ("hl/root/x");
  struct tb t = { 0 };
  struct stat st;

  write_text (secret, "secret\n");

  tb_hardlink (&t, "x", "../outside/secret");
  tb_end (&t);
  extract_fails (&t, dir, "archive entry 'x': hard link target '../outside/secret' has a '..'");
  ck_assert (!exists (x));

  /* An absolute target is a path inside the archive too.  */
  tb_hardlink (&t, "x", secret);
  tb_end (&t);
  extract_fails (&t, dir, "archive entry 'x': hard link target");
  ck_assert (!exists (x));

  /* Through a symlink planted first: resolved inside as well.  */
  tb_symlink (&t, "s", outside);
  tb_hardlink (&t, "x", "s/secret");
  tb_end (&t);
  extract_fails (&t, dir, "archive entry 'x': hard link target 's/secret'");
  ck_assert (!exists (x));
  ck_assert_int_eq (stat (secret, &st), 0);
  ck_assert_int_eq (st.st_nlink, 1);

  /* Targets inside are fine, through a symlink too.  */
  tb_file (&t, "dir/real", 0644, "real\n");
  tb_symlink (&t, "alias", "dir");
  tb_hardlink (&t, "x", "alias/real");
  tb_end (&t);
  extract_ok (&t, dir, 0);
  ck_assert_str_eq (read_text (x), "real\n");
}
END_TEST

START_TEST (tar_directories_get_their_modes_after_their_content)
{
  cleanup_free char *dir = new_dir ("modes");
  cleanup_free char *ro = path_of ("modes/ro");
  cleanup_free char *f = path_of ("modes/ro/f");
  struct tb t = { 0 };
  struct stat st;

  tb_dir (&t, "./", 0711);
  tb_dir (&t, "ro/", 0555);
  tb_file (&t, "ro/f", 0444, "ro\n");
  tb_end (&t);
  extract_ok (&t, dir, 0);
  ck_assert_str_eq (read_text (f), "ro\n");
  ck_assert_int_eq (stat (ro, &st), 0);
  ck_assert_int_eq (st.st_mode & 07777, 0555);
  ck_assert_int_eq (st.st_mtime, 1700000000);
  ck_assert_int_eq (stat (dir, &st), 0);
  ck_assert_int_eq (st.st_mode & 07777, 0711);
  chmod (ro, 0755);
  chmod (dir, 0755);
}
END_TEST

START_TEST (tar_old_style_directory_entries_end_with_a_slash)
{
  cleanup_free char *dir = new_dir ("v7");
  cleanup_free char *d = path_of ("v7/olddir");
  struct tb t = { 0 };
  struct stat st;

  tb_hdr (&t, &(struct hdr){ .name = "olddir/", .type = '0', .mode = 0755 });
  tb_end (&t);
  extract_ok (&t, dir, 0);
  ck_assert_int_eq (stat (d, &st), 0);
  ck_assert (S_ISDIR (st.st_mode));
}
END_TEST

START_TEST (tar_devices_only_with_the_flag_fifos_always)
{
  cleanup_free char *dir = new_dir ("dev");
  cleanup_free char *null = path_of ("dev/null");
  cleanup_free char *fifo = path_of ("dev/fifo");
  struct tb t = { 0 };
  struct stat st;

  tb_hdr (&t, &(struct hdr){ .name = "null", .type = '3', .mode = 0666, .major = 1, .minor = 3 });
  tb_hdr (&t, &(struct hdr){ .name = "fifo", .type = '6', .mode = 0620 });
  tb_end (&t);
  extract_ok (&t, dir, 0);
  ck_assert (!exists (null));
  ck_assert_int_eq (lstat (fifo, &st), 0);
  ck_assert (S_ISFIFO (st.st_mode));
  ck_assert_int_eq (st.st_mode & 07777, 0620);

  if (geteuid () != 0)
    return;
  tb_hdr (&t, &(struct hdr){ .name = "null", .type = '3', .mode = 0666, .major = 1, .minor = 3 });
  tb_end (&t);
  extract_ok (&t, dir, MR_TAR_DEVICES);
  /* mknod may be refused (a user namespace): then the node is skipped.  */
  if (lstat (null, &st) == 0)
    {
      ck_assert (S_ISCHR (st.st_mode));
      ck_assert_int_eq (major (st.st_rdev), 1);
      ck_assert_int_eq (minor (st.st_rdev), 3);
    }
}
END_TEST

START_TEST (tar_owners_only_with_the_flag)
{
  cleanup_free char *dir = new_dir ("owner");
  cleanup_free char *f = path_of ("owner/f");
  cleanup_free char *g = path_of ("owner/g");
  struct tb t = { 0 };
  struct stat st;

  tb_hdr (&t, &(struct hdr){ .name = "f", .type = '0', .mode = 04755, .uid = 4321, .gid = 8765 });
  tb_end (&t);
  extract_ok (&t, dir, 0);
  ck_assert_int_eq (stat (f, &st), 0);
  ck_assert_int_eq (st.st_uid, geteuid ());

  if (geteuid () != 0)
    return;
  tb_hdr (&t, &(struct hdr){ .name = "g", .type = '0', .mode = 04755, .uid = 4321, .gid = 8765 });
  tb_end (&t);
  extract_ok (&t, dir, MR_TAR_SAME_OWNER);
  ck_assert_int_eq (stat (g, &st), 0);
  ck_assert_int_eq (st.st_uid, 4321);
  ck_assert_int_eq (st.st_gid, 8765);
  /* chown first, so that the set-uid bit survives.  */
  ck_assert_int_eq (st.st_mode & 07777, 04755);
}
END_TEST

START_TEST (tar_broken_archives_are_errors)
{
  cleanup_free char *dir = new_dir ("broken");
  struct tb t = { 0 };
  char junk[1024];

  extract_fails (&t, dir, "the archive is empty");

  memset (junk, 'j', sizeof junk);
  tb_put (&t, junk, sizeof junk);
  extract_fails (&t, dir, "bad header checksum at byte 0");

  tb_hdr (&t, &(struct hdr){ .name = "cut", .type = '0', .mode = 0644, .size = 1000 });
  tb_put (&t, junk, 100);
  extract_fails (&t, dir, "unexpected end of archive");

  tb_put (&t, junk, 100);
  extract_fails (&t, dir, "unexpected end of archive at byte 100");

  tb_hdr (&t, &(struct hdr){ .name = "sparse", .type = 'S', .mode = 0644 });
  tb_end (&t);
  extract_fails (&t, dir, "archive entry 'sparse': sparse files are not supported");

  tb_hdr (&t, &(struct hdr){ .name = "odd", .type = 'Q', .mode = 0644 });
  tb_end (&t);
  extract_fails (&t, dir, "archive entry 'odd': unsupported entry type 'Q'");

  {
    const char *kv[] = { "GNU.sparse.major=1", NULL };
    tb_pax (&t, kv);
    tb_file (&t, "gs", 0644, "x");
    tb_end (&t);
    extract_fails (&t, dir, "sparse files are not supported");
  }

  /* A pax record whose length runs past the header.  */
  tb_hdr (&t, &(struct hdr){ .name = "pax", .type = 'x', .mode = 0644, .size = 10 });
  tb_put (&t, "99 path=x\n", 10);
  tb_pad (&t);
  tb_file (&t, "f", 0644, "x");
  tb_end (&t);
  extract_fails (&t, dir, "pax header");

  tb_hdr (&t, &(struct hdr){ .name = "top", .type = '0', .mode = 0644 });
  tb_hdr (&t, &(struct hdr){ .name = ".", .type = '0', .mode = 0644 });
  tb_end (&t);
  extract_fails (&t, dir, "names the top directory");
}
END_TEST

START_TEST (tar_a_directory_entry_merges_with_an_existing_one)
{
  cleanup_free char *dir = new_dir ("merge");
  cleanup_free char *a = path_of ("merge/d/a");
  cleanup_free char *b = path_of ("merge/d/b");
  struct tb t = { 0 };

  tb_file (&t, "d/a", 0644, "a");
  tb_dir (&t, "d", 0755);
  tb_file (&t, "d/b", 0644, "b");
  tb_end (&t);
  extract_ok (&t, dir, 0);
  ck_assert_str_eq (read_text (a), "a");
  ck_assert_str_eq (read_text (b), "b");
}
END_TEST

START_TEST (tar_clean_path_drops_slashes_and_dots_and_refuses_dotdot)
{
  static const struct
  {
    const char *in, *out;
  } cases[] = {
    { "/a//b/./c", "a/b/c" }, { "./", "" }, { "/", "" }, { "a/", "a" }, { "./a/./", "a" },
    { "..a/b..", "..a/b.." },
  };
  struct mr_error err = { 0 };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      cleanup_free char *out = NULL;

      ck_assert_int_eq (mr_tar_clean_path (cases[i].in, &out, &err), 0);
      ck_assert_str_eq (out, cases[i].out);
    }
  ck_assert_int_lt (mr_tar_clean_path ("a/../b", &(char *){ NULL }, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "path 'a/../b' has a '..' component"));
  ck_assert_int_lt (mr_tar_clean_path ("/..", &(char *){ NULL }, &err), 0);
}
END_TEST

START_TEST (compression_is_detected_from_magic_bytes)
{
  ck_assert_int_eq (mr_compression_detect ("\x1f\x8b\x08", 3), MR_COMPRESSION_GZIP);
  ck_assert_int_eq (mr_compression_detect ("\xfd"
                                           "7zXZ\0\0",
                                           7),
                    MR_COMPRESSION_XZ);
  ck_assert_int_eq (mr_compression_detect ("\x28\xb5\x2f\xfd\x00", 5), MR_COMPRESSION_ZSTD);
  ck_assert_int_eq (mr_compression_detect ("BZh91AY", 7), MR_COMPRESSION_BZIP2);
  ck_assert_int_eq (mr_compression_detect ("\x1f", 1), MR_COMPRESSION_NONE);
  ck_assert_int_eq (mr_compression_detect ("ustar", 5), MR_COMPRESSION_NONE);
  ck_assert (mr_tar_xattr_allowed ("user.x"));
  ck_assert (mr_tar_xattr_allowed ("security.capability"));
  ck_assert (!mr_tar_xattr_allowed ("trusted.overlay.opaque"));
}
END_TEST

static bool
have_tool (const char *tool)
{
  char cmd[128];

  snprintf (cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
  return system (cmd) == 0;
}

/* The archive t compressed by "tool -c", in a file; returns its fd.  */
static int
compressed (struct tb *t, const char *tool, const char *path)
{
  char cmd[4096];
  cleanup_free char *plain = NULL;
  FILE *f;
  int fd;

  ck_assert_int_ge (asprintf (&plain, "%s.plain", path), 0);
  f = fopen (plain, "w");
  ck_assert_ptr_nonnull (f);
  ck_assert_int_eq (fwrite (t->buf, 1, t->len, f), t->len);
  ck_assert_int_eq (fclose (f), 0);
  free (t->buf);
  memset (t, 0, sizeof *t);
  snprintf (cmd, sizeof cmd, "%s -c < '%s' > '%s'", tool, plain, path);
  ck_assert_int_eq (system (cmd), 0);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  ck_assert_int_ge (fd, 0);
  return fd;
}

START_TEST (tar_file_is_decompressed_through_the_tool)
{
  static const char *const tools[] = { "gzip", "xz", "zstd", "bzip2" };
  const char *tool = tools[_i];
  cleanup_free char *dir = NULL;
  cleanup_free char *archive = NULL;
  cleanup_free char *f = NULL;
  struct mr_error err = { 0 };
  struct tb t = { 0 };
  int fd, root;

  if (!have_tool (tool))
    return;
  dir = new_dir (tool);
  archive = path_of ("%s.archive", tool);
  f = path_of ("%s/f", tool);
  tb_file (&t, "f", 0644, tool);
  tb_end (&t);
  fd = compressed (&t, tool, archive);
  root = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (mr_tar_extract_file (fd, archive, root, 0, &err) < 0)
    ck_abort_msg ("%s: %s", tool, err.msg);
  close (fd);
  close (root);
  ck_assert_str_eq (read_text (f), tool);
}
END_TEST

START_TEST (tar_file_errors_name_the_problem)
{
  cleanup_free char *dir = new_dir ("tf");
  cleanup_free char *junk = path_of ("junk");
  cleanup_free char *empty = path_of ("empty");
  cleanup_free char *gz = path_of ("bad.gz");
  cleanup_free char *good = path_of ("good.gz");
  cleanup_free char *nopath = new_dir ("nopath");
  struct mr_error err = { 0 };
  struct tb t = { 0 };
  char *saved;
  int fd, root = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  write_text (junk, "this is not an archive");
  fd = open (junk, O_RDONLY | O_CLOEXEC);
  ck_assert_int_lt (mr_tar_extract_file (fd, "junk", root, 0, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "'junk' is not a tar archive"));
  close (fd);

  write_text (empty, "");
  fd = open (empty, O_RDONLY | O_CLOEXEC);
  ck_assert_int_lt (mr_tar_extract_file (fd, "empty", root, 0, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "'empty' is empty"));
  close (fd);

  if (!have_tool ("gzip"))
    {
      close (root);
      return;
    }
  /* A gzip magic and then garbage: the tool's own complaint.  */
  write_text (gz, "\x1f\x8b garbage that gzip will not take");
  fd = open (gz, O_RDONLY | O_CLOEXEC);
  ck_assert_int_lt (mr_tar_extract_file (fd, "bad.gz", root, 0, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "'gzip -dc' failed with exit status"));
  close (fd);

  /* No decompressor on PATH: the package to install is named.  */
  tb_file (&t, "f", 0644, "x");
  tb_end (&t);
  fd = compressed (&t, "gzip", good);
  saved = strdup (getenv ("PATH"));
  setenv ("PATH", nopath, 1);
  ck_assert_int_lt (mr_tar_extract_file (fd, "good.gz", root, 0, &err), 0);
  setenv ("PATH", saved, 1);
  free (saved);
  ck_assert_ptr_nonnull (strstr (err.msg, "'gzip' is needed"));
  ck_assert_ptr_nonnull (strstr (err.msg, "install the gzip package"));
  close (fd);
  close (root);
}
END_TEST

/* --- copying a tree ------------------------------------------------------- */

static void
make_source (const char *src)
{
  cleanup_free char *f = NULL;
  cleanup_free char *h = NULL;
  cleanup_free char *l = NULL;
  cleanup_free char *sub = NULL;
  cleanup_free char *p = NULL;
  cleanup_free char *fifo = NULL;

  ck_assert_int_ge (asprintf (&f, "%s/f", src), 0);
  ck_assert_int_ge (asprintf (&h, "%s/h", src), 0);
  ck_assert_int_ge (asprintf (&l, "%s/l", src), 0);
  ck_assert_int_ge (asprintf (&sub, "%s/sub", src), 0);
  ck_assert_int_ge (asprintf (&p, "%s/sub/p", src), 0);
  ck_assert_int_ge (asprintf (&fifo, "%s/fifo", src), 0);
  write_text (f, "content\n");
  ck_assert_int_eq (chmod (f, 0751), 0);
  ck_assert_int_eq (link (f, h), 0);
  ck_assert_int_eq (symlink ("/f", l), 0);
  ck_assert_int_eq (mkdir (sub, 0700), 0);
  write_text (p, "private\n");
  ck_assert_int_eq (mkfifo (fifo, 0640), 0);
}

static void
copy (const char *src, const char *dst, bool link_files, int skipfd)
{
  struct mr_error err = { 0 };
  int s = open (src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int d = open (dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (mr_image_copy_tree (s, d, link_files, skipfd, &err) < 0)
    ck_abort_msg ("copy: %s", err.msg);
  close (s);
  close (d);
}

START_TEST (copy_tree_keeps_modes_symlinks_fifos_and_hard_links)
{
  cleanup_free char *src = new_dir ("csrc");
  cleanup_free char *dst = new_dir ("cdst");
  cleanup_free char *sf = path_of ("csrc/f");
  cleanup_free char *df = path_of ("cdst/f");
  cleanup_free char *dh = path_of ("cdst/h");
  cleanup_free char *dl = path_of ("cdst/l");
  cleanup_free char *dsub = path_of ("cdst/sub");
  cleanup_free char *dp = path_of ("cdst/sub/p");
  cleanup_free char *dfifo = path_of ("cdst/fifo");
  struct stat a, b, c;
  char target[16] = "";

  make_source (src);
  ck_assert_int_eq (chmod (src, 0710), 0);
  copy (src, dst, false, -1);

  ck_assert_str_eq (read_text (df), "content\n");
  ck_assert_str_eq (read_text (dp), "private\n");
  ck_assert_int_eq (stat (sf, &a), 0);
  ck_assert_int_eq (stat (df, &b), 0);
  ck_assert_int_eq (stat (dh, &c), 0);
  ck_assert (a.st_ino != b.st_ino);
  ck_assert (b.st_ino == c.st_ino);
  ck_assert_int_eq (b.st_mode & 07777, 0751);
  ck_assert_int_eq (b.st_mtim.tv_sec, a.st_mtim.tv_sec);
  ck_assert_int_eq (b.st_mtim.tv_nsec, a.st_mtim.tv_nsec);
  ck_assert_int_eq (readlink (dl, target, sizeof target - 1), 2);
  ck_assert_str_eq (target, "/f");
  ck_assert_int_eq (stat (dsub, &b), 0);
  ck_assert_int_eq (b.st_mode & 07777, 0700);
  ck_assert_int_eq (lstat (dfifo, &b), 0);
  ck_assert (S_ISFIFO (b.st_mode));
  ck_assert_int_eq (b.st_mode & 07777, 0640);
  ck_assert_int_eq (stat (dst, &b), 0);
  ck_assert_int_eq (b.st_mode & 07777, 0710);
  chmod (src, 0755);
  chmod (dst, 0755);
}
END_TEST

START_TEST (copy_tree_links_files_when_asked)
{
  cleanup_free char *src = new_dir ("lsrc");
  cleanup_free char *dst = new_dir ("ldst");
  cleanup_free char *sf = path_of ("lsrc/f");
  cleanup_free char *df = path_of ("ldst/f");
  cleanup_free char *dp = path_of ("ldst/sub/p");
  struct stat a, b;

  make_source (src);
  copy (src, dst, true, -1);
  ck_assert_int_eq (stat (sf, &a), 0);
  ck_assert_int_eq (stat (df, &b), 0);
  ck_assert (a.st_ino == b.st_ino);
  ck_assert_str_eq (read_text (dp), "private\n");
}
END_TEST

START_TEST (copy_tree_leaves_the_store_out)
{
  cleanup_free char *src = new_dir ("ssrc");
  cleanup_free char *store = new_dir ("ssrc/store");
  cleanup_free char *inner = path_of ("ssrc/store/inner");
  cleanup_free char *dst = new_dir ("ssrc/store/dst");
  cleanup_free char *copied = path_of ("ssrc/store/dst/store");
  cleanup_free char *kept = path_of ("ssrc/store/dst/k");
  cleanup_free char *k = path_of ("ssrc/k");
  int storefd;

  write_text (inner, "x");
  write_text (k, "k");
  storefd = open (store, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  copy (src, dst, false, storefd);
  close (storefd);
  ck_assert (!exists (copied));
  ck_assert_str_eq (read_text (kept), "k");
}
END_TEST

/* --- the store ------------------------------------------------------------ */

static struct mr_context *
new_context (const char *name)
{
  struct mr_context *ctx = NULL;
  struct mr_error err = { 0 };
  cleanup_free char *root = path_of ("%s", name);
  struct mr_context_opts o = { .size = sizeof o, .root = root };

  if (mr_context_new (&o, &ctx, &err) < 0)
    ck_abort_msg ("context: %s", err.msg);
  return ctx;
}

static size_t
count_images (struct mr_context *ctx)
{
  struct mr_image_info *list = NULL;
  struct mr_error err = { 0 };
  size_t n = 0;

  ck_assert_int_eq (mr_image_list (ctx, &list, &n, &err), 0);
  mr_image_info_free (list, n);
  return n;
}

/* Entries of the store directory other than refs.json and .lock.  */
static size_t
store_entries (struct mr_context *ctx)
{
  cleanup_free char *dir = NULL;
  cleanup_closedir DIR *d = NULL;
  struct dirent *de;
  size_t n = 0;

  ck_assert_int_ge (asprintf (&dir, "%s/images", mr_context_data_dir (ctx)), 0);
  d = opendir (dir);
  ck_assert_ptr_nonnull (d);
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") && strcmp (de->d_name, "..") && strcmp (de->d_name, ".lock")
        && strcmp (de->d_name, "refs.json"))
      n++;
  return n;
}

START_TEST (image_add_list_inspect_rootfs_and_remove)
{
  struct mr_context *ctx = new_context ("store1");
  cleanup_free char *src = new_dir ("store1-src");
  cleanup_free char *file = path_of ("store1-src/hello");
  cleanup_free char *json = NULL;
  cleanup_free char *rootfs = NULL;
  cleanup_free char *copied = NULL;
  struct mr_image_info *info = NULL, *list = NULL;
  struct mr_error err = { 0 };
  size_t n = 0;

  write_text (file, "12345");
  ck_assert_int_eq (count_images (ctx), 0);
  if (mr_image_add (ctx, "bb", src, &info, &err) < 0)
    ck_abort_msg ("add: %s", err.msg);
  ck_assert_str_eq (info->reference, "bb:latest");
  ck_assert_str_eq (info->name, "bb");
  ck_assert_str_eq (info->tag, "latest");
  ck_assert_int_eq (strlen (info->id), 64);
  ck_assert_int_eq (strspn (info->id, "0123456789abcdef"), 64);
  ck_assert_int_eq (info->size, 5);
  ck_assert_str_eq (info->source, src);
  ck_assert_int_gt (info->created_unix, 1700000000);
  ck_assert_ptr_nonnull (strstr (info->created, "Z"));

  ck_assert_int_eq (mr_image_list (ctx, &list, &n, &err), 0);
  ck_assert_int_eq (n, 1);
  ck_assert_str_eq (list[0].id, info->id);
  mr_image_info_free (list, n);

  ck_assert_int_eq (mr_image_rootfs (ctx, "bb:latest", &rootfs, &err), 0);
  ck_assert_str_eq (rootfs, info->rootfs);
  ck_assert_int_ge (asprintf (&copied, "%s/hello", rootfs), 0);
  ck_assert_str_eq (read_text (copied), "12345");

  ck_assert_int_eq (mr_image_inspect (ctx, "bb", &json, &err), 0);
  ck_assert_ptr_nonnull (strstr (json, "\"Reference\": \"bb:latest\""));
  ck_assert_ptr_nonnull (strstr (json, "\"RootFS\": "));
  ck_assert_ptr_nonnull (strstr (json, "\"Config\": {}"));
  ck_assert_ptr_nonnull (strstr (json, info->id));
  free (json);
  ck_assert_int_eq (mr_image_list_json (ctx, &json, &err), 0);
  ck_assert_int_eq (json[0], '[');
  ck_assert_ptr_nonnull (strstr (json, info->id));

  ck_assert_int_eq (mr_image_remove (ctx, "bb:latest", &err), 0);
  ck_assert_int_eq (count_images (ctx), 0);
  ck_assert (!exists (rootfs));
  ck_assert_int_eq (store_entries (ctx), 0);
  /* The source is left alone.  */
  ck_assert_str_eq (read_text (file), "12345");

  ck_assert_int_lt (mr_image_remove (ctx, "bb", &err), 0);
  ck_assert_int_eq (err.errnum, ENOENT);
  ck_assert_str_eq (err.msg, "image 'bb:latest' not found");
  ck_assert_int_lt (mr_image_inspect (ctx, "nope", &json, &err), 0);
  ck_assert_str_eq (err.msg, "image 'nope:latest' not found");
  ck_assert_int_lt (mr_image_rootfs (ctx, "Nope", &json, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "must be lowercase"));

  mr_image_info_free (info, 1);
  mr_context_free (ctx);
}
END_TEST

START_TEST (image_add_replaces_an_image_and_removes_the_old_files)
{
  struct mr_context *ctx = new_context ("store2");
  cleanup_free char *src = new_dir ("store2-src");
  cleanup_free char *file = path_of ("store2-src/v");
  cleanup_free char *v = NULL;
  struct mr_image_info *a = NULL, *b = NULL;
  struct mr_error err = { 0 };

  write_text (file, "one");
  ck_assert_int_eq (mr_image_add (ctx, "app:1", src, &a, &err), 0);
  ck_assert_int_eq (unlink (file), 0);
  write_text (file, "two");
  ck_assert_int_eq (mr_image_add (ctx, "app:1", src, &b, &err), 0);
  ck_assert_str_ne (a->id, b->id);
  ck_assert_int_eq (count_images (ctx), 1);
  ck_assert (!exists (a->rootfs));
  ck_assert_int_ge (asprintf (&v, "%s/v", b->rootfs), 0);
  ck_assert_str_eq (read_text (v), "two");
  ck_assert_int_eq (store_entries (ctx), 1);
  mr_image_info_free (a, 1);
  mr_image_info_free (b, 1);
  mr_context_free (ctx);
}
END_TEST

START_TEST (image_add_failure_keeps_the_old_image_and_leaves_nothing)
{
  struct mr_context *ctx = new_context ("store3");
  cleanup_free char *src = new_dir ("store3-src");
  cleanup_free char *tar = path_of ("store3-evil.tar");
  struct mr_image_info *a = NULL, *list = NULL;
  struct mr_error err = { 0 };
  struct tb t = { 0 };
  FILE *f;
  size_t n = 0;

  ck_assert_int_eq (mr_image_add (ctx, "app", src, &a, &err), 0);
  tb_file (&t, "fine", 0644, "x");
  tb_file (&t, "../evil", 0644, "x");
  tb_end (&t);
  f = fopen (tar, "w");
  ck_assert_ptr_nonnull (f);
  fwrite (t.buf, 1, t.len, f);
  fclose (f);
  free (t.buf);

  ck_assert_int_lt (mr_image_add (ctx, "app", tar, NULL, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "add image 'app:latest'"));
  ck_assert_ptr_nonnull (strstr (err.msg, "archive entry '../evil'"));
  ck_assert_int_eq (mr_image_list (ctx, &list, &n, &err), 0);
  ck_assert_int_eq (n, 1);
  ck_assert_str_eq (list[0].id, a->id);
  mr_image_info_free (list, n);
  ck_assert_int_eq (store_entries (ctx), 1);

  ck_assert_int_lt (mr_image_add (ctx, "other", "/nonexistent-source", NULL, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "open '/nonexistent-source'"));
  ck_assert_int_eq (store_entries (ctx), 1);
  mr_image_info_free (a, 1);
  mr_context_free (ctx);
}
END_TEST

START_TEST (image_changes_collect_what_a_crash_left)
{
  struct mr_context *ctx = new_context ("store4");
  cleanup_free char *src = new_dir ("store4-src");
  cleanup_free char *tmp = NULL;
  cleanup_free char *orphan = NULL;
  cleanup_free char *other = NULL;
  struct mr_error err = { 0 };

  ck_assert_int_eq (mr_image_add (ctx, "a", src, NULL, &err), 0);
  ck_assert_int_ge (asprintf (&tmp, "%s/images/.tmp-0123", mr_context_data_dir (ctx)), 0);
  ck_assert_int_ge (asprintf (&orphan, "%s/images/%064d", mr_context_data_dir (ctx), 0), 0);
  ck_assert_int_ge (asprintf (&other, "%s/images/not-ours", mr_context_data_dir (ctx)), 0);
  ck_assert_int_eq (mkdir (tmp, 0700), 0);
  ck_assert_int_eq (mkdir (orphan, 0700), 0);
  ck_assert_int_eq (mkdir (other, 0700), 0);
  ck_assert_int_eq (mr_image_add (ctx, "b", src, NULL, &err), 0);
  ck_assert (!exists (tmp));
  ck_assert (!exists (orphan));
  ck_assert (exists (other));
  ck_assert_int_eq (count_images (ctx), 2);
  mr_context_free (ctx);
}
END_TEST

START_TEST (image_list_is_sorted_by_reference)
{
  static const char *const refs[] = { "zz", "localhost/app:2", "aa:v1", "localhost/app:10" };
  struct mr_context *ctx = new_context ("store5");
  cleanup_free char *src = new_dir ("store5-src");
  struct mr_image_info *list = NULL;
  struct mr_error err = { 0 };
  size_t n = 0;

  for (size_t i = 0; i < 4; i++)
    ck_assert_int_eq (mr_image_add (ctx, refs[i], src, NULL, &err), 0);
  ck_assert_int_eq (mr_image_list (ctx, &list, &n, &err), 0);
  ck_assert_int_eq (n, 4);
  ck_assert_str_eq (list[0].reference, "aa:v1");
  ck_assert_str_eq (list[1].reference, "localhost/app:10");
  ck_assert_str_eq (list[2].reference, "localhost/app:2");
  ck_assert_str_eq (list[3].reference, "zz:latest");
  ck_assert_str_eq (list[1].name, "localhost/app");
  ck_assert_str_eq (list[1].tag, "10");
  mr_image_info_free (list, n);
  mr_context_free (ctx);
}
END_TEST

START_TEST (image_add_refuses_what_is_neither_directory_nor_file)
{
  struct mr_context *ctx = new_context ("store6");
  cleanup_free char *fifo = path_of ("store6-fifo");
  struct mr_error err = { 0 };

  ck_assert_int_eq (mkfifo (fifo, 0600), 0);
  ck_assert_int_lt (mr_image_add (ctx, "x", fifo, NULL, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "is neither a directory nor a tar archive"));
  ck_assert_int_lt (mr_image_add (ctx, "x", "", NULL, &err), 0);
  ck_assert_int_lt (mr_image_add (ctx, "x@sha256:00", fifo, NULL, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "digests"));
  mr_context_free (ctx);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("image");
  TCase *tc;

  tc = tcase_create ("references");
  tcase_add_loop_test (tc, ref_parse_accepts_docker_references_and_defaults_the_tag, 0,
                       sizeof valid_refs / sizeof valid_refs[0]);
  tcase_add_test (tc, ref_parse_accepts_the_longest_tag_and_name);
  tcase_add_loop_test (tc, ref_parse_rejects_invalid_references_naming_the_rule, 0,
                       sizeof invalid_refs / sizeof invalid_refs[0]);
  tcase_add_test (tc, ref_parse_rejects_too_long_names_and_tags);
  suite_add_tcase (s, tc);

  tc = tcase_create ("tar");
  tcase_add_unchecked_fixture (tc, scratch_setup, scratch_teardown);
  tcase_add_test (tc, tar_unpacks_files_directories_symlinks_and_hard_links);
  tcase_add_test (tc, tar_pax_headers_give_long_names_link_targets_sizes_and_times);
  tcase_add_test (tc, tar_pax_size_overrides_the_header);
  tcase_add_test (tc, tar_gnu_long_names_and_link_names);
  tcase_add_test (tc, tar_ustar_prefix_is_joined_to_the_name);
  tcase_add_test (tc, tar_absolute_names_are_made_relative);
  tcase_add_test (tc, tar_dotdot_is_rejected_naming_the_entry);
  tcase_add_test (tc, tar_symlink_then_file_through_it_stays_inside);
  tcase_add_test (tc, tar_member_replaces_a_planted_symlink_instead_of_following_it);
  tcase_add_test (tc, tar_hard_links_must_point_inside);
  tcase_add_test (tc, tar_directories_get_their_modes_after_their_content);
  tcase_add_test (tc, tar_old_style_directory_entries_end_with_a_slash);
  tcase_add_test (tc, tar_devices_only_with_the_flag_fifos_always);
  tcase_add_test (tc, tar_owners_only_with_the_flag);
  tcase_add_test (tc, tar_broken_archives_are_errors);
  tcase_add_test (tc, tar_a_directory_entry_merges_with_an_existing_one);
  tcase_add_test (tc, tar_clean_path_drops_slashes_and_dots_and_refuses_dotdot);
  tcase_add_test (tc, compression_is_detected_from_magic_bytes);
  tcase_add_loop_test (tc, tar_file_is_decompressed_through_the_tool, 0, 4);
  tcase_add_test (tc, tar_file_errors_name_the_problem);
  suite_add_tcase (s, tc);

  tc = tcase_create ("copy");
  tcase_add_unchecked_fixture (tc, scratch_setup, scratch_teardown);
  tcase_add_test (tc, copy_tree_keeps_modes_symlinks_fifos_and_hard_links);
  tcase_add_test (tc, copy_tree_links_files_when_asked);
  tcase_add_test (tc, copy_tree_leaves_the_store_out);
  suite_add_tcase (s, tc);

  tc = tcase_create ("store");
  tcase_add_unchecked_fixture (tc, scratch_setup, scratch_teardown);
  tcase_add_test (tc, image_add_list_inspect_rootfs_and_remove);
  tcase_add_test (tc, image_add_replaces_an_image_and_removes_the_old_files);
  tcase_add_test (tc, image_add_failure_keeps_the_old_image_and_leaves_nothing);
  tcase_add_test (tc, image_changes_collect_what_a_crash_left);
  tcase_add_test (tc, image_list_is_sorted_by_reference);
  tcase_add_test (tc, image_add_refuses_what_is_neither_directory_nor_file);
  suite_add_tcase (s, tc);

  return unit_run (s);
}
