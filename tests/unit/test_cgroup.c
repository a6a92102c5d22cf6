#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cgroup/internal.h"
#include "unit.h"

/* Every cgroup the tests make is below this, in every hierarchy.  */
static char test_root[64];

static char *
join (const char *a, const char *b)
{
  char *s;
  ck_assert_int_ge (asprintf (&s, "%s%s", a, b), 0);
  return s;
}

/* Path resolution.  */

static char *
resolve (const char *cgroups_path, const char *own, const char *id)
{
  struct mr_error err = { 0 };
  char *out = NULL;

  if (mr_cgroup_resolve_path (cgroups_path, own, id, &out, &err) < 0)
    return NULL;
  return out;
}

START_TEST (resolve_absolute_path_is_used_as_is)
{
  char *p = resolve ("/machine/ctr", "/user.slice", "web");
  ck_assert_str_eq (p, "/machine/ctr");
  free (p);
}
END_TEST

START_TEST (resolve_relative_path_is_below_own_cgroup)
{
  char *p = resolve ("pods/web", "/user.slice/session-1.scope", "web");
  ck_assert_str_eq (p, "/user.slice/session-1.scope/pods/web");
  free (p);
}
END_TEST

START_TEST (resolve_without_path_uses_the_name)
{
  char *p = resolve (NULL, "/user.slice", "minirun-0123abcd-web");
  ck_assert_str_eq (p, "/user.slice/minirun-0123abcd-web");
  free (p);
  p = resolve ("", "/", "db");
  ck_assert_str_eq (p, "/db");
  free (p);
}
END_TEST

START_TEST (default_name_differs_per_state_root)
{
  struct mr_error err = { 0 };
  char *a = NULL, *b = NULL, *c = NULL;

  ck_assert_int_eq (mr_cgroup_default_name ("/run/one", "web", &a, &err), 0);
  ck_assert_int_eq (mr_cgroup_default_name ("/run/two", "web", &b, &err), 0);
  ck_assert_int_eq (mr_cgroup_default_name ("/run/one", "web", &c, &err), 0);
  ck_assert_str_ne (a, b);
  ck_assert_str_eq (a, c);
  ck_assert_int_eq ((int)strlen (a), (int)strlen ("minirun-01234567-web"));
  ck_assert (strncmp (a, "minirun-", 8) == 0);
  ck_assert (strcmp (a + strlen (a) - 4, "-web") == 0);
  free (a);
  free (b);
  free (c);
}
END_TEST

START_TEST (layout_v1_is_below_each_hierarchys_own_cgroup)
{
  static const char self[]
      = "4:memory:/svc/a\n3:cpu,cpuacct:/\n1:name=systemd:/user.slice\n0::/u\n";
  struct mr_error err = { 0 };
  char *primary = NULL;
  json_t *l = NULL;

  ck_assert_msg (mr_cgroup_parse_layout (self, MR_CGROUP_V1, NULL, "n", &primary, &l, &err) == 0,
                 "%s", err.msg);
  ck_assert_str_eq (primary, "/svc/a/n");
  ck_assert_str_eq (json_string_value (json_object_get (json_object_get (l, "memory"), "path")),
                    "/svc/a/n");
  ck_assert_str_eq (
      json_string_value (json_object_get (json_object_get (l, "cpu,cpuacct"), "path")), "/n");
  ck_assert_str_eq (
      json_string_value (json_object_get (json_object_get (l, "name=systemd"), "path")),
      "/user.slice/n");
  ck_assert_str_eq (json_string_value (json_object_get (json_object_get (l, "unified"), "path")),
                    "/u/n");
  /* found by any of the controllers, as mountinfo names them */
  ck_assert_ptr_nonnull (mr_cgroup_layout_entry (l, "cpu,cpuacct"));
  ck_assert_ptr_null (mr_cgroup_layout_entry (l, "pids"));
  free (primary);
  json_decref (l);

  /* an absolute path is the same everywhere */
  ck_assert_int_eq (mr_cgroup_parse_layout (self, MR_CGROUP_V1, "/abs/x", "n", &primary, &l, &err),
                    0);
  ck_assert_str_eq (primary, "/abs/x");
  ck_assert_str_eq (
      json_string_value (json_object_get (json_object_get (l, "cpu,cpuacct"), "path")), "/abs/x");
  free (primary);
  json_decref (l);
}
END_TEST

START_TEST (resolve_rejects_dot_dot)
{
  struct mr_error err = { 0 };
  char *out = NULL;

  ck_assert_int_lt (mr_cgroup_resolve_path ("/a/../../etc", "/", "x", &out, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "'..' is not allowed"));
  ck_assert_ptr_null (resolve ("../escape", "/user.slice", "x"));
  ck_assert_ptr_null (resolve (NULL, "/user.slice", ".."));
}
END_TEST

START_TEST (resolve_cleans_slashes_and_dots)
{
  char *p = resolve ("//a///b/./c//", "/", "x");
  ck_assert_str_eq (p, "/a/b/c");
  free (p);
  p = resolve ("sub/", "/own//", "x");
  ck_assert_str_eq (p, "/own/sub");
  free (p);
}
END_TEST

START_TEST (resolve_rejects_the_root_cgroup)
{
  ck_assert_ptr_null (resolve ("/", "/", "x"));
  ck_assert_ptr_null (resolve ("//.", "/", "x"));
  ck_assert_ptr_null (resolve (NULL, "/", NULL));
}
END_TEST

/* /proc/self/cgroup.  */

static const char hybrid[] = "9:name=systemd:/init.scope\n"
                             "8:pids:/\n"
                             "4:memory:/process_api/abc\n"
                             "2:cpu,cpuacct:/cpu\n"
                             "0::/unified/x\n";

static char *
own (const char *content, enum mr_cgroup_mode mode)
{
  struct mr_error err = { 0 };
  char *out = NULL;

  if (mr_cgroup_parse_own_path (content, mode, &out, &err) < 0)
    return NULL;
  return out;
}

START_TEST (own_path_v1_is_the_memory_line)
{
  char *p = own (hybrid, MR_CGROUP_V1);
  ck_assert_str_eq (p, "/process_api/abc");
  free (p);
  p = own ("3:cpu,memory:/co/mounted\n", MR_CGROUP_V1);
  ck_assert_str_eq (p, "/co/mounted");
  free (p);
}
END_TEST

START_TEST (own_path_v1_without_memory_is_the_first_line)
{
  char *p = own ("5:pids:/first\n3:cpu:/second\n0::/u\n", MR_CGROUP_V1);
  ck_assert_str_eq (p, "/first");
  free (p);
  /* "memory" must be a whole controller name.  */
  p = own ("5:pids:/first\n3:memoryx:/second\n", MR_CGROUP_V1);
  ck_assert_str_eq (p, "/first");
  free (p);
}
END_TEST

START_TEST (own_path_v2_is_the_unified_line)
{
  char *p = own (hybrid, MR_CGROUP_V2);
  ck_assert_str_eq (p, "/unified/x");
  free (p);
  p = own ("0::/user.slice/a:b.scope", MR_CGROUP_V2);
  ck_assert_str_eq (p, "/user.slice/a:b.scope");
  free (p);
}
END_TEST

START_TEST (own_path_without_entry_fails)
{
  struct mr_error err = { 0 };
  char *out = NULL;

  ck_assert_int_lt (mr_cgroup_parse_own_path ("4:memory:/a\n", MR_CGROUP_V2, &out, &err), 0);
  ck_assert_str_eq (err.msg, "/proc/self/cgroup: no cgroup v2 entry");
  ck_assert_ptr_null (own ("", MR_CGROUP_V1));
  ck_assert_ptr_null (own ("garbage\n", MR_CGROUP_V1));
}
END_TEST

START_TEST (own_path_of_this_process_is_absolute)
{
  struct mr_error err = { 0 };
  char *p = NULL;

  ck_assert_msg (mr_cgroup_own_path (&p, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (p[0], '/');
  free (p);
}
END_TEST

/* Conversions and formats.  */

START_TEST (shares_convert_to_weight_like_runc)
{
  ck_assert_uint_eq (mr_cgroup_shares_to_weight (2), 1);
  ck_assert_uint_eq (mr_cgroup_shares_to_weight (1024), 39);
  ck_assert_uint_eq (mr_cgroup_shares_to_weight (262144), 10000);
  ck_assert_uint_eq (mr_cgroup_shares_to_weight (1), 1);
  ck_assert_uint_eq (mr_cgroup_shares_to_weight (1000000), 10000);
  ck_assert_uint_eq (mr_cgroup_shares_to_weight (0), 0);
}
END_TEST

START_TEST (blkio_weight_converts_to_io_weight)
{
  ck_assert_uint_eq (mr_cgroup_blkio_to_io_weight (10), 1);
  ck_assert_uint_eq (mr_cgroup_blkio_to_io_weight (500), 4950);
  ck_assert_uint_eq (mr_cgroup_blkio_to_io_weight (1000), 10000);
  ck_assert_uint_eq (mr_cgroup_blkio_to_io_weight (0), 0);
}
END_TEST

START_TEST (limits_format_as_number_or_max)
{
  char buf[32];
  uint64_t v;

  mr_cgroup_format_limit (-1, buf, sizeof buf);
  ck_assert_str_eq (buf, "max");
  mr_cgroup_format_limit (67108864, buf, sizeof buf);
  ck_assert_str_eq (buf, "67108864");
  mr_cgroup_format_limit (0, buf, sizeof buf);
  ck_assert_str_eq (buf, "0");
  ck_assert_int_eq (mr_cgroup_parse_u64 ("max\n", &v), 0);
  ck_assert_uint_eq (v, UINT64_MAX);
  ck_assert_int_eq (mr_cgroup_parse_u64 ("4096\n", &v), 0);
  ck_assert_uint_eq (v, 4096);
  ck_assert_int_lt (mr_cgroup_parse_u64 ("x", &v), 0);
  ck_assert_int_eq (mr_cgroup_parse_keyed ("usage_usec 12\nuser_usec 3\n", "user_usec", &v), 0);
  ck_assert_uint_eq (v, 3);
  ck_assert_int_lt (mr_cgroup_parse_keyed ("usage_usec 12\n", "usage", &v), 0);
}
END_TEST

static struct mr_spec_device_rule
rule (bool allow, char type, int64_t major, int64_t minor, const char *access)
{
  struct mr_spec_device_rule r = { .allow = allow, .type = type, .major = major, .minor = minor };
  snprintf (r.access, sizeof r.access, "%s", access);
  return r;
}

START_TEST (rdma_line_has_the_limits_that_are_set)
{
  struct mr_spec_rdma d = { (char *)"mlx5_0", true, 2, true, 100 };
  char buf[128], small[16];

  ck_assert_int_eq (mr_cgroup_rdma_line (&d, buf, sizeof buf), 34);
  ck_assert_str_eq (buf, "mlx5_0 hca_handle=2 hca_object=100");
  d.hca_handles_set = false;
  ck_assert_int_gt (mr_cgroup_rdma_line (&d, buf, sizeof buf), 0);
  ck_assert_str_eq (buf, "mlx5_0 hca_object=100");
  d.hca_objects_set = false;
  d.hca_handles_set = true;
  ck_assert_int_gt (mr_cgroup_rdma_line (&d, buf, sizeof buf), 0);
  ck_assert_str_eq (buf, "mlx5_0 hca_handle=2");
  ck_assert_int_eq (mr_cgroup_rdma_line (&d, small, sizeof small), -1);
}
END_TEST

START_TEST (v1_device_rules_format)
{
  char buf[64];
  struct mr_spec_device_rule r;

  r = rule (true, 'c', 1, 3, "rwm");
  ck_assert_int_eq (mr_cgroup_v1_device_rule (&r, buf, sizeof buf), 9);
  ck_assert_str_eq (buf, "c 1:3 rwm");
  r = rule (false, 'b', -1, -1, "m");
  mr_cgroup_v1_device_rule (&r, buf, sizeof buf);
  ck_assert_str_eq (buf, "b *:* m");
  r = rule (true, 'c', 136, -1, "");
  mr_cgroup_v1_device_rule (&r, buf, sizeof buf);
  ck_assert_str_eq (buf, "c 136:* rwm");
  r = rule (false, 'a', -1, -1, "rwm");
  mr_cgroup_v1_device_rule (&r, buf, sizeof buf);
  ck_assert_str_eq (buf, "a");
  r = rule (true, 'p', 1, 1, "rwm");
  ck_assert_int_lt (mr_cgroup_v1_device_rule (&r, buf, sizeof buf), 0);
  r = rule (true, 'c', 1, 1, "x");
  ck_assert_int_lt (mr_cgroup_v1_device_rule (&r, buf, sizeof buf), 0);
}
END_TEST

/* The writes of a v1 devices update, as "+LINE" (devices.allow) and
 * "-LINE" (devices.deny) joined with ", ".  */
static void
assert_dev_writes (const char *current, const struct mr_spec_device_rule *rules, size_t n,
                   const char *want)
{
  struct mr_cgroup_v1_dev_write *w = NULL;
  struct mr_error err = { 0 };
  char got[1024] = "";
  size_t nw = 0;

  ck_assert_msg (mr_cgroup_v1_devices_diff (current, rules, n, &w, &nw, &err) == 0, "%s", err.msg);
  for (size_t i = 0; i < nw; i++)
    {
      size_t len = strlen (got);
      snprintf (got + len, sizeof got - len, "%s%c%s", i ? ", " : "", w[i].allow ? '+' : '-',
                w[i].line);
    }
  free (w);
  ck_assert_str_eq (got, want);
}

START_TEST (v1_devices_from_allow_all_start_with_deny_all)
{
  const struct mr_spec_device_rule rules[] = {
    rule (false, 'a', -1, -1, "rwm"),
    rule (true, 'c', 1, 3, "rwm"),
    rule (true, 'c', 136, -1, "rw"),
  };

  assert_dev_writes ("a *:* rwm\n", rules, 3, "-a, +c 1:3 rwm, +c 136:* rw");
  /* an unreadable list is taken as allow-all */
  assert_dev_writes (NULL, rules, 3, "-a, +c 1:3 rwm, +c 136:* rw");
}
END_TEST

START_TEST (v1_devices_same_state_writes_nothing)
{
  const struct mr_spec_device_rule rules[] = {
    rule (false, 'a', -1, -1, "rwm"),
    rule (true, 'c', 1, 3, "rwm"),
    rule (true, 'c', -1, -1, "m"),
  };

  assert_dev_writes ("c 1:3 rwm\nc *:* m\n", rules, 3, "");
}
END_TEST

START_TEST (v1_devices_only_the_difference_is_written)
{
  const struct mr_spec_device_rule rules[] = {
    rule (false, 'a', -1, -1, "rwm"),
    rule (true, 'c', 1, 3, "rwm"),
    rule (true, 'c', 1, 5, "rw"),
    rule (true, 'b', 8, 0, "r"),
  };

  /* 1:3 kept, 1:5 loses m, 8:0 new, 10:200 gone */
  assert_dev_writes ("c 1:3 rwm\nc 1:5 rwm\nc 10:200 rwm\n", rules, 4,
                     "+b 8:0 r, -c 1:5 m, -c 10:200 rwm");
}
END_TEST

START_TEST (v1_devices_deny_rules_take_bits_away)
{
  const struct mr_spec_device_rule rules[] = {
    rule (false, 'a', -1, -1, "rwm"), rule (true, 'c', 10, 229, "rwm"),
    rule (false, 'c', 10, 229, "r"),  rule (true, 'c', 1, 3, "rw"),
    rule (false, 'c', 1, 3, "rw"),
  };

  assert_dev_writes ("c 10:229 rwm\nc 1:3 rwm\n", rules, 5, "-c 10:229 r, -c 1:3 rwm");
}
END_TEST

START_TEST (v1_devices_allow_all_with_denials_starts_over)
{
  const struct mr_spec_device_rule rules[] = {
    rule (true, 'c', 1, 3, "rwm"),
    rule (false, 'b', 8, -1, "w"),
  };

  /* from allow-all, as rules without an "a" first always were */
  assert_dev_writes ("c 1:3 rwm\n", rules, 2, "+a, -b 8:* w");
}
END_TEST

START_TEST (v1_devices_invalid_rule_is_an_error)
{
  const struct mr_spec_device_rule rules[] = { rule (true, 'p', 1, 1, "rwm") };
  struct mr_cgroup_v1_dev_write *w = NULL;
  struct mr_error err = { 0 };
  size_t nw = 0;

  ck_assert_int_lt (mr_cgroup_v1_devices_diff ("a *:* rwm\n", rules, 1, &w, &nw, &err), 0);
  ck_assert_str_eq (err.msg, "device rule 0: not valid for the devices controller");
  ck_assert_ptr_null (w);
}
END_TEST

/* The device program, run by a small interpreter of the instructions
 * the compiler emits.  */

#define ACC_R BPF_DEVCG_ACC_READ
#define ACC_W BPF_DEVCG_ACC_WRITE
#define ACC_M BPF_DEVCG_ACC_MKNOD
#define DEV_C BPF_DEVCG_DEV_CHAR
#define DEV_B BPF_DEVCG_DEV_BLOCK

static int
run_prog (const struct bpf_insn *p, size_t n, uint32_t type, uint32_t access, uint32_t major,
          uint32_t minor)
{
  uint32_t ctx[3] = { (access << 16) | type, major, minor };
  uint64_t r[11] = { 0 };
  size_t pc;

  for (pc = 0; pc < n; pc++)
    {
      const struct bpf_insn *i = &p[pc];
      switch (i->code)
        {
        case BPF_LDX | BPF_MEM | BPF_W:
          ck_assert_int_eq (i->src_reg, BPF_REG_1);
          ck_assert (i->off >= 0 && i->off <= 8 && i->off % 4 == 0);
          r[i->dst_reg] = ctx[i->off / 4];
          break;
        case BPF_ALU | BPF_AND | BPF_K:
          r[i->dst_reg] = (uint32_t)(r[i->dst_reg] & (uint32_t)i->imm);
          break;
        case BPF_ALU | BPF_RSH | BPF_K:
          r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> i->imm;
          break;
        case BPF_ALU | BPF_MOV | BPF_X:
          r[i->dst_reg] = (uint32_t)r[i->src_reg];
          break;
        case BPF_ALU64 | BPF_MOV | BPF_K:
          r[i->dst_reg] = (uint64_t)(int64_t)i->imm;
          break;
        case BPF_JMP | BPF_JNE | BPF_K:
          if (r[i->dst_reg] != (uint64_t)(int64_t)i->imm)
            pc += (size_t)i->off;
          break;
        case BPF_JMP | BPF_JEQ | BPF_K:
          if (r[i->dst_reg] == (uint64_t)(int64_t)i->imm)
            pc += (size_t)i->off;
          break;
        case BPF_JMP | BPF_EXIT:
          return (int)r[0];
        default:
          ck_abort_msg ("unexpected instruction code 0x%x at %zu", i->code, pc);
        }
      ck_assert_uint_lt (pc, n);
    }
  ck_abort_msg ("program has no exit");
  return -1;
}

static struct bpf_insn *
compile (const struct mr_spec_device_rule *rules, size_t n, size_t *count)
{
  struct mr_error err = { 0 };
  struct bpf_insn *insns = NULL;

  ck_assert_msg (mr_cgroup_ebpf_compile (rules, n, &insns, count, &err) == 0, "%s", err.msg);
  return insns;
}

START_TEST (ebpf_instruction_counts)
{
  struct mr_spec_device_rule deny_all = rule (false, 'a', -1, -1, "rwm");
  struct mr_spec_device_rule null_rwm = rule (true, 'c', 1, 3, "rwm");
  struct mr_spec_device_rule null_rw = rule (true, 'c', 1, 3, "rw");
  struct mr_spec_device_rule rules[3];
  struct bpf_insn *p;
  size_t n;

  /* 6 to load the context, then the rules, then the default.  */
  p = compile (NULL, 0, &n);
  ck_assert_uint_eq (n, 8);
  ck_assert_int_eq (p[7].code, BPF_JMP | BPF_EXIT);
  ck_assert_int_eq (p[6].imm, 1);
  free (p);

  rules[0] = deny_all;
  p = compile (rules, 1, &n);
  ck_assert_uint_eq (n, 8);
  ck_assert_int_eq (p[6].imm, 0);
  free (p);

  rules[1] = null_rwm;
  p = compile (rules, 2, &n);
  ck_assert_uint_eq (n, 13);
  /* The last rule first: type, major, minor checks, allow; then deny all.  */
  ck_assert_int_eq (p[6].code, BPF_JMP | BPF_JNE | BPF_K);
  ck_assert_int_eq (p[6].dst_reg, BPF_REG_2);
  ck_assert_int_eq (p[6].imm, DEV_C);
  ck_assert_int_eq (p[6].off, 4);
  ck_assert_int_eq (p[7].dst_reg, BPF_REG_4);
  ck_assert_int_eq (p[7].imm, 1);
  ck_assert_int_eq (p[8].dst_reg, BPF_REG_5);
  ck_assert_int_eq (p[8].imm, 3);
  ck_assert_int_eq (p[9].imm, 1);
  ck_assert_int_eq (p[11].imm, 0);
  ck_assert_int_eq (p[12].code, BPF_JMP | BPF_EXIT);
  free (p);

  rules[1] = null_rw;
  p = compile (rules, 2, &n);
  ck_assert_uint_eq (n, 15);
  free (p);

  /* Without a rule for everything, the default allows.  */
  p = compile (&null_rwm, 1, &n);
  ck_assert_uint_eq (n, 13);
  free (p);

  /* A last rule for everything hides the ones before.  */
  rules[0] = null_rwm;
  rules[1] = null_rw;
  rules[2] = deny_all;
  p = compile (rules, 3, &n);
  ck_assert_uint_eq (n, 8);
  free (p);
}
END_TEST

START_TEST (ebpf_rejects_bad_rules)
{
  struct mr_spec_device_rule r = rule (true, 'p', 1, 3, "rwm");
  struct mr_error err = { 0 };
  struct bpf_insn *insns = NULL;
  size_t n;

  ck_assert_int_lt (mr_cgroup_ebpf_compile (&r, 1, &insns, &n, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "invalid type"));
  r = rule (true, 'c', 1, 3, "rwx");
  ck_assert_int_lt (mr_cgroup_ebpf_compile (&r, 1, &insns, &n, &err), 0);
  r = rule (true, 'c', (int64_t)1 << 40, 3, "rwm");
  ck_assert_int_lt (mr_cgroup_ebpf_compile (&r, 1, &insns, &n, &err), 0);
}
END_TEST

START_TEST (ebpf_default_deny_with_allowed_devices)
{
  struct mr_spec_device_rule rules[] = {
    rule (false, 'a', -1, -1, "rwm"), rule (true, 'c', 1, 3, "rwm"),
    rule (true, 'c', 136, -1, "rwm"), rule (true, 'c', 5, 1, "rw"),
    rule (true, 'c', -1, -1, "m"),
  };
  size_t n;
  struct bpf_insn *p = compile (rules, 5, &n);

  ck_assert_int_eq (run_prog (p, n, DEV_C, ACC_R | ACC_W, 1, 3), 1);
  ck_assert_int_eq (run_prog (p, n, DEV_C, ACC_R, 1, 5), 0);
  ck_assert_int_eq (run_prog (p, n, DEV_C, ACC_W, 136, 7), 1);
  ck_assert_int_eq (run_prog (p, n, DEV_C, ACC_R | ACC_W, 5, 1), 1);
  ck_assert_int_eq (run_prog (p, n, DEV_C, ACC_M, 5, 1), 1);
  ck_assert_int_eq (run_prog (p, n, DEV_C, ACC_M, 10, 200), 1);
  ck_assert_int_eq (run_prog (p, n, DEV_C, ACC_R, 10, 200), 0);
  ck_assert_int_eq (run_prog (p, n, DEV_B, ACC_M, 8, 0), 0);
  ck_assert_int_eq (run_prog (p, n, DEV_B, ACC_R, 1, 3), 0);
  free (p);
}
END_TEST

START_TEST (ebpf_later_rules_override_earlier_ones_per_access)
{
  struct mr_spec_device_rule a[] = { rule (true, 'c', 1, 3, "rw"), rule (false, 'c', 1, 3, "w") };
  struct mr_spec_device_rule b[] = { rule (false, 'a', -1, -1, "rwm"), rule (true, 'c', 1, 3, "r"),
                                     rule (true, 'c', 1, 3, "w") };
  struct mr_spec_device_rule c[] = { rule (false, 'c', 1, 3, "w") };
  struct mr_spec_device_rule d[]
      = { rule (false, 'c', 1, 3, "w"), rule (true, 'c', -1, -1, "rwm") };
  size_t n;
  struct bpf_insn *p;

  p = compile (a, 2, &n);
  ck_assert_int_eq (run_prog (p, n, DEV_C, ACC_R, 1, 3), 1);
  ck_assert_int_eq (run_prog (p, n, DEV_C, ACC_W, 1, 3), 0);
  ck_assert_int_eq (run_prog (p, n, DEV_C, ACC_R | ACC_W, 1, 3), 0);
  free (p);

  /* Two allows that each give one bit allow both together.  */
  p = compile (b, 3, &n);
  ck_assert_int_eq (run_prog (p, n, DEV_C, ACC_R | ACC_W, 1, 3), 1);
  ck_assert_int_eq (run_prog (p, n, DEV_C, ACC_M, 1, 3), 0);
  free (p);

  /* Nothing but a deny: everything else stays allowed.  */
  p = compile (c, 1, &n);
  ck_assert_int_eq (run_prog (p, n, DEV_C, ACC_R, 1, 3), 1);
  ck_assert_int_eq (run_prog (p, n, DEV_C, ACC_R | ACC_W, 1, 3), 0);
  ck_assert_int_eq (run_prog (p, n, DEV_B, ACC_W, 8, 0), 1);
  free (p);

  p = compile (d, 2, &n);
  ck_assert_int_eq (run_prog (p, n, DEV_C, ACC_W, 1, 3), 1);
  free (p);
}
END_TEST

/* mountinfo.  */

static const char mountinfo[]
    = "22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
      "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
      "34 30 0:31 / /opt/my\\040cgroups/memory rw - cgroup cgroup rw,memory\n"
      "35 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "36 30 0:32 /docker/abc /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
      "39 30 0:36 / /sys/fs/cgroup/systemd rw - cgroup cgroup "
      "rw,xattr,release_agent=/x,name=systemd\n"
      "40 30 0:37 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n"
      "50 1 0:31 / /mnt/again rw - cgroup cgroup rw,memory\n";

START_TEST (v1_mountinfo_finds_each_hierarchy_once)
{
  struct mr_cgroup_v1_mounts *m = NULL;
  struct mr_error err = { 0 };
  const struct mr_cgroup_v1_hierarchy *h;

  ck_assert_msg (mr_cgroup_v1_parse_mountinfo (mountinfo, &m, &err) == 0, "%s", err.msg);
  ck_assert_uint_eq (m->n, 4);
  h = mr_cgroup_v1_find (m, "cpuacct");
  ck_assert_ptr_nonnull (h);
  ck_assert_ptr_eq (h, mr_cgroup_v1_find (m, "cpu"));
  ck_assert_str_eq (h->mountpoint, "/sys/fs/cgroup/cpu,cpuacct");
  ck_assert_str_eq (h->controllers, "cpu,cpuacct");
  h = mr_cgroup_v1_find (m, "memory");
  ck_assert_str_eq (h->mountpoint, "/sys/fs/cgroup/memory");
  h = mr_cgroup_v1_find (m, "pids");
  ck_assert_str_eq (h->root, "/docker/abc");
  h = mr_cgroup_v1_find (m, "name=systemd");
  ck_assert_str_eq (h->controllers, "name=systemd");
  ck_assert_ptr_null (mr_cgroup_v1_find (m, "devices"));
  ck_assert_str_eq (m->unified, "/sys/fs/cgroup/unified");
  mr_cgroup_v1_mounts_free (m);
}
END_TEST

START_TEST (v1_mountinfo_controller_elsewhere)
{
  struct mr_cgroup_v1_mounts *m = NULL;
  struct mr_error err = { 0 };

  ck_assert_int_eq (
      mr_cgroup_v1_parse_mountinfo (
          "34 30 0:31 / /opt/my\\040cgroups/mem rw - cgroup none rw,memory\n", &m, &err),
      0);
  ck_assert_uint_eq (m->n, 1);
  ck_assert_str_eq (mr_cgroup_v1_find (m, "memory")->mountpoint, "/opt/my cgroups/mem");
  ck_assert_ptr_null (m->unified);
  mr_cgroup_v1_mounts_free (m);
}
END_TEST

/* Real cgroups on this host.  */

static bool
is_root_on_cgroups (void)
{
  return geteuid () == 0 && access ("/sys/fs/cgroup/memory/cgroup.procs", W_OK) == 0
         && access ("/sys/fs/cgroup/unified/cgroup.procs", W_OK) == 0;
}

#define NEED_HOST()                                                                                \
  do                                                                                               \
    {                                                                                              \
      if (!is_root_on_cgroups ())                                                                  \
        {                                                                                          \
          fprintf (stderr, "# skipped: needs root on a hybrid cgroup host\n");                     \
          return;                                                                                  \
        }                                                                                          \
    }                                                                                              \
  while (0)

static void
write_quiet (const char *path, const char *value)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd >= 0)
    {
      if (write (fd, value, strlen (value)) < 0)
        {
          /* Nothing to do: cleanup is best effort.  */
        }
      close (fd);
    }
}

/* Independent of the code under test: thaws, kills and removes a tree.  */
static void
force_remove (const char *dir)
{
  char path[4096];
  DIR *d;
  struct dirent *de;
  FILE *f;
  int i;

  d = opendir (dir);
  if (d == NULL)
    return;
  while ((de = readdir (d)))
    if (de->d_type == DT_DIR && strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
      {
        snprintf (path, sizeof path, "%s/%s", dir, de->d_name);
        force_remove (path);
      }
  closedir (d);
  snprintf (path, sizeof path, "%s/cgroup.freeze", dir);
  write_quiet (path, "0");
  snprintf (path, sizeof path, "%s/freezer.state", dir);
  write_quiet (path, "THAWED");
  for (i = 0; i < 200; i++)
    {
      int pid;
      snprintf (path, sizeof path, "%s/cgroup.procs", dir);
      f = fopen (path, "re");
      if (f)
        {
          while (fscanf (f, "%d", &pid) == 1)
            if (pid > 0)
              kill (pid, SIGKILL);
          fclose (f);
        }
      if (rmdir (dir) == 0 || errno == ENOENT)
        return;
      usleep (10000);
    }
}

static void
cleanup_all (void)
{
  DIR *d = opendir ("/sys/fs/cgroup");
  struct dirent *de;
  char path[4096];

  if (d == NULL)
    return;
  while ((de = readdir (d)))
    if (de->d_type == DT_DIR && de->d_name[0] != '.')
      {
        snprintf (path, sizeof path, "/sys/fs/cgroup/%s%s", de->d_name, test_root);
        force_remove (path);
      }
  closedir (d);
}

static void
fixture_setup (void)
{
  mr_cgroup_set_override (0, NULL);
}

static void
fixture_teardown (void)
{
  mr_cgroup_set_override (0, NULL);
  cleanup_all ();
}

static char *
read_trim (const char *dir, const char *file)
{
  char path[4096];
  FILE *f;
  char *buf = calloc (1, 65536);
  size_t n;

  snprintf (path, sizeof path, "%s/%s", dir, file);
  f = fopen (path, "re");
  ck_assert_msg (f != NULL, "open %s: %s", path, strerror (errno));
  n = fread (buf, 1, 65535, f);
  fclose (f);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
    buf[--n] = '\0';
  return buf;
}

static void
assert_file (const char *dir, const char *file, const char *want)
{
  char *got = read_trim (dir, file);
  ck_assert_msg (strcmp (got, want) == 0, "%s/%s: got '%s', want '%s'", dir, file, got, want);
  free (got);
}

static bool
dir_exists (const char *dir)
{
  struct stat st;
  return stat (dir, &st) == 0;
}

/* A child in the cgroup that counts as fast as it can, so that freezing
 * shows.  It starts once it is in the cgroup, and first touches some
 * memory there.  */
static volatile uint64_t *counter;

static pid_t
spawn_counter (struct mr_cgroup *cg)
{
  struct mr_error err = { 0 };
  pid_t parent = getpid ();
  int go[2];
  pid_t pid;
  char c = 0;

  if (counter == NULL)
    {
      counter = mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
      ck_assert (counter != MAP_FAILED);
    }
  *counter = 0;
  ck_assert_int_eq (pipe2 (go, O_CLOEXEC), 0);
  pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      volatile char *mem;
      size_t i;

      /* Check's handler would signal the whole process group.  */
      signal (SIGTERM, SIG_DFL);
      signal (SIGINT, SIG_DFL);
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (getppid () != parent)
        _exit (1);
      alarm (60);
      close (go[1]);
      if (read (go[0], &c, 1) != 1)
        _exit (1);
      mem = malloc (4 << 20);
      for (i = 0; mem && i < (4 << 20); i += 4096)
        mem[i] = 1;
      for (;;)
        {
          (*counter)++;
          if ((*counter & 0xfffff) == 0)
            usleep (100);
        }
    }
  close (go[0]);
  if (mr_cgroup_enter (cg, pid, false, &err) < 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      ck_abort_msg ("%s", err.msg);
    }
  ck_assert_int_eq (write (go[1], &c, 1), 1);
  close (go[1]);
  return pid;
}

static bool
counter_moves (void)
{
  uint64_t before = *counter;
  usleep (100000);
  return *counter != before;
}

static bool
has_pid (struct mr_cgroup *cg, pid_t pid)
{
  struct mr_error err = { 0 };
  pid_t *pids = NULL;
  size_t n = 0, i;
  bool found = false;

  ck_assert_msg (mr_cgroup_pids (cg, &pids, &n, &err) == 0, "%s", err.msg);
  for (i = 0; i < n; i++)
    found |= pids[i] == pid;
  free (pids);
  return found;
}

static int
reap (pid_t pid)
{
  int status = 0;
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  return status;
}

static const char *const v1_ctrls[] = { "cpu",     "cpuacct", "cpuset", "memory",  "devices",
                                        "freezer", "blkio",   "pids",   "systemd", "unified" };

/* A blkio weight needs bfq (or the old cfq) on some device; with only
 * none, mq-deadline or kyber the kernel has no weight files at all.  */
static bool
has_blkio_weight (void)
{
  return access ("/sys/fs/cgroup/blkio/blkio.bfq.weight", F_OK) == 0
         || access ("/sys/fs/cgroup/blkio/blkio.weight", F_OK) == 0;
}

START_TEST (v1_create_applies_limits)
{
  struct mr_spec_device_rule devs[]
      = { rule (false, 'a', -1, -1, "rwm"), rule (true, 'c', 1, 3, "rwm"),
          rule (true, 'c', 1, 5, "rw") };
  struct mr_spec_resources r = { 0 };
  struct mr_error err = { 0 };
  struct mr_cgroup *cg = NULL;
  char *path, *dir, *list;
  size_t i;

  NEED_HOST ();
  r.memory.limit_set = true;
  r.memory.limit = 64 << 20;
  r.memory.swap_set = true;
  r.memory.swap = 128 << 20;
  r.memory.reservation_set = true;
  r.memory.reservation = 32 << 20;
  r.memory.swappiness_set = true;
  r.memory.swappiness = 10;
  r.pids_limit_set = true;
  r.pids_limit = 10;
  r.cpu.shares_set = true;
  r.cpu.shares = 512;
  r.cpu.quota_set = true;
  r.cpu.quota = 50000;
  r.cpu.period_set = true;
  r.cpu.period = 100000;
  r.cpu.cpus = (char *)"0";
  r.cpu.mems = (char *)"0";
  r.blkio_weight_set = has_blkio_weight ();
  r.blkio_weight = 500;
  r.devices = devs;
  r.n_devices = 3;
  path = join (test_root, "/limits");
  ck_assert_msg (mr_cgroup_create (path, &r, &cg, &err) == 0, "%s", err.msg);
  ck_assert_str_eq (mr_cgroup_path (cg), path);
  ck_assert_int_ge (mr_cgroup_clone_fd (cg), 0);

  dir = join ("/sys/fs/cgroup/memory", path);
  assert_file (dir, "memory.limit_in_bytes", "67108864");
  assert_file (dir, "memory.memsw.limit_in_bytes", "134217728");
  assert_file (dir, "memory.soft_limit_in_bytes", "33554432");
  assert_file (dir, "memory.swappiness", "10");
  free (dir);
  dir = join ("/sys/fs/cgroup/pids", path);
  assert_file (dir, "pids.max", "10");
  free (dir);
  dir = join ("/sys/fs/cgroup/cpu", path);
  assert_file (dir, "cpu.shares", "512");
  assert_file (dir, "cpu.cfs_quota_us", "50000");
  assert_file (dir, "cpu.cfs_period_us", "100000");
  free (dir);
  dir = join ("/sys/fs/cgroup/cpuset", path);
  assert_file (dir, "cpuset.cpus", "0");
  assert_file (dir, "cpuset.mems", "0");
  free (dir);
  if (r.blkio_weight_set)
    {
      dir = join ("/sys/fs/cgroup/blkio", path);
      list = read_trim (dir, "blkio.bfq.weight");
      ck_assert_msg (strstr (list, "500") != NULL, "blkio.bfq.weight: %s", list);
      free (list);
      free (dir);
    }
  dir = join ("/sys/fs/cgroup/devices", path);
  list = read_trim (dir, "devices.list");
  ck_assert_msg (strcmp (list, "c 1:3 rwm\nc 1:5 rw") == 0, "devices.list: %s", list);
  free (list);
  free (dir);

  /* Update: lower memory+swap and memory together, lift pids.  */
  memset (&r, 0, sizeof r);
  r.memory.limit_set = true;
  r.memory.limit = 16 << 20;
  r.memory.swap_set = true;
  r.memory.swap = 20 << 20;
  r.pids_limit_set = true;
  r.pids_limit = 0;
  ck_assert_msg (mr_cgroup_update (cg, &r, &err) == 0, "%s", err.msg);
  dir = join ("/sys/fs/cgroup/memory", path);
  assert_file (dir, "memory.limit_in_bytes", "16777216");
  assert_file (dir, "memory.memsw.limit_in_bytes", "20971520");
  free (dir);
  /* And raise them again.  */
  r.memory.limit = 256 << 20;
  r.memory.swap = 512 << 20;
  ck_assert_msg (mr_cgroup_update (cg, &r, &err) == 0, "%s", err.msg);
  dir = join ("/sys/fs/cgroup/memory", path);
  assert_file (dir, "memory.limit_in_bytes", "268435456");
  assert_file (dir, "memory.memsw.limit_in_bytes", "536870912");
  free (dir);
  dir = join ("/sys/fs/cgroup/pids", path);
  assert_file (dir, "pids.max", "max");
  free (dir);

  ck_assert_msg (mr_cgroup_destroy (cg, &err) == 0, "%s", err.msg);
  for (i = 0; i < sizeof v1_ctrls / sizeof v1_ctrls[0]; i++)
    {
      char *base = join ("/sys/fs/cgroup/", v1_ctrls[i]);
      dir = join (base, path);
      ck_assert_msg (!dir_exists (dir), "%s is left", dir);
      free (dir);
      free (base);
    }
  mr_cgroup_free (cg);
  free (path);
}
END_TEST

START_TEST (v1_process_lifecycle)
{
  struct mr_spec_resources r = { 0 };
  struct mr_error err = { 0 };
  struct mr_cgroup *cg = NULL, *cg2 = NULL;
  struct mr_cgroup_stats st;
  char *path, *line, procpath[64];
  bool frozen = true;
  pid_t pid;
  int status;

  NEED_HOST ();
  r.memory.limit_set = true;
  r.memory.limit = 64 << 20;
  r.pids_limit_set = true;
  r.pids_limit = 10;
  path = join (test_root, "/life");
  ck_assert_msg (mr_cgroup_create (path, &r, &cg, &err) == 0, "%s", err.msg);
  pid = spawn_counter (cg);
  ck_assert (has_pid (cg, pid));
  snprintf (procpath, sizeof procpath, "/proc/%d", (int)pid);
  line = read_trim (procpath, "cgroup");
  ck_assert_msg (strstr (line, "memory:/minirun-unit-test-") != NULL, "%s", line);
  ck_assert_msg (strstr (line, "0::/minirun-unit-test-") != NULL, "%s", line);
  free (line);

  /* A second handle sees the same cgroup.  */
  ck_assert_msg (mr_cgroup_open (path, &cg2, &err) == 0, "%s", err.msg);
  ck_assert (has_pid (cg2, pid));

  ck_assert (counter_moves ());
  ck_assert_msg (mr_cgroup_freeze (cg, true, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (mr_cgroup_is_frozen (cg2, &frozen, &err), 0);
  ck_assert (frozen);
  ck_assert (!counter_moves ());
  ck_assert_msg (mr_cgroup_freeze (cg, false, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (mr_cgroup_is_frozen (cg, &frozen, &err), 0);
  ck_assert (!frozen);
  ck_assert (counter_moves ());

  ck_assert_msg (mr_cgroup_stats (cg, &st, &err) == 0, "%s", err.msg);
  ck_assert_uint_gt (st.cpu_usage_ns, 0);
  ck_assert_uint_gt (st.memory_usage, 0);
  ck_assert_uint_eq (st.memory_limit, 64 << 20);
  ck_assert_uint_eq (st.pids_current, 1);
  ck_assert_uint_eq (st.pids_limit, 10);
  ck_assert_uint_eq (st.oom_kills, 0);

  /* Killing a frozen cgroup thaws it so that the signal lands.  */
  ck_assert_int_eq (mr_cgroup_freeze (cg, true, &err), 0);
  ck_assert_msg (mr_cgroup_kill (cg2, SIGTERM, &err) == 0, "%s", err.msg);
  status = reap (pid);
  ck_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGTERM);
  ck_assert_int_eq (mr_cgroup_is_frozen (cg, &frozen, &err), 0);
  ck_assert (!frozen);

  pid = spawn_counter (cg);
  ck_assert_msg (mr_cgroup_kill (cg, SIGKILL, &err) == 0, "%s", err.msg);
  status = reap (pid);
  ck_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  ck_assert (!has_pid (cg, pid));

  /* Destroy kills what is left, also in sub-cgroups.  */
  pid = spawn_counter (cg);
  {
    char *sub = join ("/sys/fs/cgroup/unified", path);
    char *nested = join (sub, "/nested");
    char *procs = join (nested, "/cgroup.procs");
    char buf[32];
    ck_assert_int_eq (mkdir (nested, 0755), 0);
    snprintf (buf, sizeof buf, "%d", (int)pid);
    write_quiet (procs, buf);
    free (procs);
    free (nested);
    free (sub);
  }
  ck_assert (has_pid (cg, pid));
  ck_assert_msg (mr_cgroup_destroy (cg, &err) == 0, "%s", err.msg);
  status = reap (pid);
  ck_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  {
    char *dir = join ("/sys/fs/cgroup/memory", path);
    ck_assert (!dir_exists (dir));
    free (dir);
    dir = join ("/sys/fs/cgroup/unified", path);
    ck_assert (!dir_exists (dir));
    free (dir);
  }
  /* The other handle now sees nothing, and that is fine.  */
  ck_assert_int_eq (mr_cgroup_destroy (cg2, &err), 0);
  mr_cgroup_free (cg2);
  mr_cgroup_free (cg);
  free (path);
}
END_TEST

START_TEST (clone_into_cgroup_then_enter_v1_only)
{
  struct mr_error err = { 0 };
  struct mr_cgroup *cg = NULL;
  struct clone_args args = { 0 };
  char *path, *line, *want, procpath[64];
  int go[2], status;
  pid_t pid;
  char c = 0;

  NEED_HOST ();
  path = join (test_root, "/cloned");
  ck_assert_msg (mr_cgroup_create (path, NULL, &cg, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (pipe2 (go, O_CLOEXEC), 0);
  args.flags = CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = (uint64_t)mr_cgroup_clone_fd (cg);
  pid = (pid_t)syscall (SYS_clone3, &args, sizeof args);
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      if (read (go[0], &c, 1) != 1)
        _exit (1);
      _exit (0);
    }
  snprintf (procpath, sizeof procpath, "/proc/%d", (int)pid);
  line = read_trim (procpath, "cgroup");
  want = join ("0::", path);
  ck_assert_msg (strstr (line, want) != NULL, "%s", line);
  ck_assert_msg (strstr (line, "memory:/minirun-unit-test-") == NULL, "%s", line);
  free (line);
  ck_assert_msg (mr_cgroup_enter (cg, pid, true, &err) == 0, "%s", err.msg);
  line = read_trim (procpath, "cgroup");
  ck_assert_msg (strstr (line, want) != NULL, "%s", line);
  free (want);
  want = join ("memory:", path);
  ck_assert_msg (strstr (line, want) != NULL, "%s", line);
  free (want);
  want = join ("name=systemd:", path);
  ck_assert_msg (strstr (line, want) != NULL, "%s", line);
  free (want);
  free (line);
  ck_assert_int_eq (write (go[1], &c, 1), 1);
  close (go[0]);
  close (go[1]);
  status = reap (pid);
  ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  ck_assert_int_eq (mr_cgroup_destroy (cg, &err), 0);
  mr_cgroup_free (cg);
  free (path);
}
END_TEST

/* A new process joins the v1 hierarchies through their "tasks" files by
 * itself; mr_cgroup_enter then only does what is left: the cgroup2
 * directory of a hybrid host, unless the process was born there.  */
START_TEST (v1_new_process_joins_by_itself_enter_does_the_rest)
{
  struct mr_error err = { 0 };
  struct mr_cgroup *cg = NULL;
  char *path, *line, *want, procpath[64];
  int go[2], ready[2], status;
  pid_t pid;
  char c = 0;

  NEED_HOST ();
  path = join (test_root, "/selfjoin");
  ck_assert_msg (mr_cgroup_create (path, NULL, &cg, &err) == 0, "%s", err.msg);
  ck_assert (mr_cgroup_self_join_open (cg));
  /* the cgroup2 part is left, unless born there */
  ck_assert (!mr_cgroup_self_join_complete (cg, false));
  ck_assert (mr_cgroup_self_join_complete (cg, true));
  ck_assert_int_eq (pipe2 (go, O_CLOEXEC), 0);
  ck_assert_int_eq (pipe2 (ready, O_CLOEXEC), 0);
  pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      struct mr_error cerr = { 0 };
      if (mr_cgroup_self_join (cg, &cerr) < 0 || write (ready[1], &c, 1) != 1
          || read (go[0], &c, 1) != 1)
        _exit (1);
      _exit (0);
    }
  mr_cgroup_self_join_close (cg, true);
  close (ready[1]);
  ck_assert_int_eq (read (ready[0], &c, 1), 1);
  close (ready[0]);
  snprintf (procpath, sizeof procpath, "/proc/%d", (int)pid);
  line = read_trim (procpath, "cgroup");
  want = join ("memory:", path);
  ck_assert_msg (strstr (line, want) != NULL, "%s", line);
  free (want);
  want = join ("name=systemd:", path);
  ck_assert_msg (strstr (line, want) != NULL, "%s", line);
  free (want);
  want = join ("0::", path);
  ck_assert_msg (strstr (line, want) == NULL, "%s", line);
  free (line);
  ck_assert_msg (mr_cgroup_enter (cg, pid, false, &err) == 0, "%s", err.msg);
  line = read_trim (procpath, "cgroup");
  ck_assert_msg (strstr (line, want) != NULL, "%s", line);
  free (want);
  free (line);
  ck_assert_int_eq (write (go[1], &c, 1), 1);
  close (go[0]);
  close (go[1]);
  status = reap (pid);
  ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  ck_assert_int_eq (mr_cgroup_destroy (cg, &err), 0);
  mr_cgroup_free (cg);
  free (path);
}
END_TEST

/* Without a v1 hierarchy to join (v2), the process joins nothing by
 * itself: mr_cgroup_enter does it all.  And after a process that did
 * join by itself, the next mr_cgroup_enter writes every hierarchy again.  */
START_TEST (self_join_is_only_for_v1_and_only_once)
{
  struct mr_error err = { 0 };
  struct mr_cgroup *cg = NULL;
  char *path;

  NEED_HOST ();
  mr_cgroup_set_override (MR_CGROUP_V1, "");
  path = join (test_root, "/selfjoin-once");
  ck_assert_msg (mr_cgroup_create (path, NULL, &cg, &err) == 0, "%s", err.msg);
  ck_assert (mr_cgroup_self_join_open (cg));
  ck_assert (mr_cgroup_self_join_complete (cg, false));
  mr_cgroup_self_join_close (cg, true);
  /* the v1 part is done: nothing is written for this (absent) pid */
  ck_assert_msg (mr_cgroup_enter (cg, 999999999, false, &err) == 0, "%s", err.msg);
  /* the next one is written, and fails */
  ck_assert_int_lt (mr_cgroup_enter (cg, 999999999, false, &err), 0);
  ck_assert_int_eq (mr_cgroup_destroy (cg, &err), 0);
  mr_cgroup_free (cg);
  free (path);

  mr_cgroup_set_override (MR_CGROUP_V2, "/sys/fs/cgroup/unified");
  path = join (test_root, "/selfjoin-v2");
  ck_assert_msg (mr_cgroup_create (path, NULL, &cg, &err) == 0, "%s", err.msg);
  ck_assert (!mr_cgroup_self_join_open (cg));
  ck_assert (!mr_cgroup_self_join_complete (cg, false));
  ck_assert (mr_cgroup_self_join_complete (cg, true));
  ck_assert_int_eq (mr_cgroup_destroy (cg, &err), 0);
  mr_cgroup_free (cg);
  free (path);
}
END_TEST

/* An empty cgroup goes with one rmdir per hierarchy; one with a
 * sub-cgroup (which that rmdir refuses) is still removed whole.  */
START_TEST (v1_destroy_removes_empty_and_nested_cgroups)
{
  struct mr_error err = { 0 };
  struct mr_cgroup *cg = NULL;
  char *path, *dir, *sub;

  NEED_HOST ();
  path = join (test_root, "/destroy/leaf");
  ck_assert_msg (mr_cgroup_create (path, NULL, &cg, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (mr_cgroup_destroy (cg, &err), 0);
  mr_cgroup_free (cg);
  dir = join ("/sys/fs/cgroup/memory", path);
  ck_assert_msg (!dir_exists (dir), "%s is left", dir);
  free (dir);
  /* the parent create made goes too */
  dir = join ("/sys/fs/cgroup/pids", test_root);
  sub = join (dir, "/destroy");
  ck_assert_msg (!dir_exists (sub), "%s is left", sub);
  free (sub);
  free (dir);

  cg = NULL;
  ck_assert_msg (mr_cgroup_create (path, NULL, &cg, &err) == 0, "%s", err.msg);
  dir = join ("/sys/fs/cgroup/memory", path);
  sub = join (dir, "/below");
  ck_assert_int_eq (mkdir (sub, 0755), 0);
  ck_assert_msg (mr_cgroup_destroy (cg, &err) == 0, "%s", err.msg);
  mr_cgroup_free (cg);
  ck_assert_msg (!dir_exists (sub), "%s is left", sub);
  ck_assert_msg (!dir_exists (dir), "%s is left", dir);
  free (sub);
  free (dir);
  free (path);
}
END_TEST

START_TEST (v1_without_cgroup2_uses_freezer_and_iterates)
{
  struct mr_error err = { 0 };
  struct mr_cgroup *cg = NULL;
  char *path, *dir;
  bool frozen;
  pid_t pid;
  int status;

  NEED_HOST ();
  mr_cgroup_set_override (MR_CGROUP_V1, "");
  path = join (test_root, "/nounified");
  ck_assert_msg (mr_cgroup_create (path, NULL, &cg, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (mr_cgroup_clone_fd (cg), -1);
  dir = join ("/sys/fs/cgroup/unified", path);
  ck_assert (!dir_exists (dir));
  free (dir);
  pid = spawn_counter (cg);
  ck_assert_msg (mr_cgroup_freeze (cg, true, &err) == 0, "%s", err.msg);
  dir = join ("/sys/fs/cgroup/freezer", path);
  assert_file (dir, "freezer.state", "FROZEN");
  ck_assert_int_eq (mr_cgroup_is_frozen (cg, &frozen, &err), 0);
  ck_assert (frozen);
  ck_assert (!counter_moves ());
  ck_assert_msg (mr_cgroup_freeze (cg, false, &err) == 0, "%s", err.msg);
  assert_file (dir, "freezer.state", "THAWED");
  ck_assert (counter_moves ());
  /* SIGKILL on v1-frozen processes needs the thaw to take effect.  */
  ck_assert_int_eq (mr_cgroup_freeze (cg, true, &err), 0);
  ck_assert_msg (mr_cgroup_kill (cg, SIGKILL, &err) == 0, "%s", err.msg);
  status = reap (pid);
  ck_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  assert_file (dir, "freezer.state", "THAWED");
  free (dir);
  ck_assert_msg (mr_cgroup_destroy (cg, &err) == 0, "%s", err.msg);
  dir = join ("/sys/fs/cgroup/pids", path);
  ck_assert (!dir_exists (dir));
  free (dir);
  mr_cgroup_free (cg);
  free (path);
}
END_TEST

START_TEST (v1_rejects_unified_and_leaves_nothing)
{
  struct mr_spec_kv kv = { (char *)"memory.high", (char *)"1000000" };
  struct mr_spec_resources r = { 0 };
  struct mr_error err = { 0 };
  struct mr_cgroup *cg = NULL;
  char *path, *parent, *dir;

  NEED_HOST ();
  r.unified = &kv;
  r.n_unified = 1;
  path = join (test_root, "/refused/leaf");
  ck_assert_int_lt (mr_cgroup_create (path, &r, &cg, &err), 0);
  ck_assert_str_eq (err.msg, "linux.resources.unified requires cgroup v2");

  /* A limit the kernel refuses: the cgroup is removed again.  */
  memset (&r, 0, sizeof r);
  r.cpu.cpus = (char *)"4000";
  ck_assert_int_lt (mr_cgroup_create (path, &r, &cg, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "cpuset.cpus"));
  dir = join ("/sys/fs/cgroup/cpuset", path);
  ck_assert (!dir_exists (dir));
  free (dir);
  dir = join ("/sys/fs/cgroup/cpuset", test_root);
  parent = join (dir, "/refused");
  ck_assert (!dir_exists (parent));
  free (parent);
  free (dir);
  free (path);
}
END_TEST

/* No directory of rel is in any hierarchy under /sys/fs/cgroup.  */
static void
assert_left_nowhere (const char *rel)
{
  DIR *d = opendir ("/sys/fs/cgroup");
  struct dirent *de;
  char path[4096];

  ck_assert_ptr_nonnull (d);
  while ((de = readdir (d)))
    if (de->d_type == DT_DIR && de->d_name[0] != '.')
      {
        snprintf (path, sizeof path, "/sys/fs/cgroup/%s%s", de->d_name, rel);
        ck_assert_msg (!dir_exists (path), "%s is left", path);
      }
  closedir (d);
}

/* Creating path with r fails with the message want (or one containing
 * it, when contains), and leaves neither the cgroup nor its parent.  */
static void
assert_create_fails (const char *leaf, const struct mr_spec_resources *r, const char *want,
                     bool contains)
{
  struct mr_error err = { 0 };
  struct mr_cgroup *cg = NULL;
  char *parent = join (test_root, "/refused");
  char *path = join (parent, leaf);

  ck_assert_int_lt (mr_cgroup_create (path, r, &cg, &err), 0);
  if (contains)
    ck_assert_msg (strstr (err.msg, want) != NULL, "got '%s', want '%s' in it", err.msg, want);
  else
    ck_assert_str_eq (err.msg, want);
  assert_left_nowhere (parent);
  free (path);
  free (parent);
}

static bool
has_v1_hierarchy (const char *controller)
{
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  char line[4096];
  bool found = false;

  ck_assert_ptr_nonnull (f);
  while (!found && fgets (line, sizeof line, f))
    {
      char *sep = strstr (line, " - cgroup ");
      char *opts = sep ? strrchr (line, ' ') : NULL;
      char *tok, *save = NULL;

      if (opts == NULL)
        continue;
      for (tok = strtok_r (opts + 1, ",\n", &save); tok && !found;
           tok = strtok_r (NULL, ",\n", &save))
        found = strcmp (tok, controller) == 0;
    }
  fclose (f);
  return found;
}

/* The whole disk that holds /, as major and minor; false when / is on no
 * block device.  */
static bool
root_disk (unsigned *major_out, unsigned *minor_out)
{
  struct stat st;
  char path[256];
  FILE *f;
  bool ok;

  if (stat ("/", &st) < 0)
    return false;
  snprintf (path, sizeof path, "/sys/dev/block/%u:%u/partition", major (st.st_dev),
            minor (st.st_dev));
  if (access (path, F_OK) == 0)
    snprintf (path, sizeof path, "/sys/dev/block/%u:%u/../dev", major (st.st_dev),
              minor (st.st_dev));
  else
    snprintf (path, sizeof path, "/sys/dev/block/%u:%u/dev", major (st.st_dev), minor (st.st_dev));
  f = fopen (path, "re");
  if (f == NULL)
    return false;
  ok = fscanf (f, "%u:%u", major_out, minor_out) == 2;
  fclose (f);
  return ok;
}

START_TEST (v1_block_io_throttles_are_written_and_lifted)
{
  static const char *const files[]
      = { "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
          "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device" };
  struct mr_spec_blkio_rate rates[MR_BLKIO_THROTTLE_N];
  struct mr_spec_resources r = { 0 };
  struct mr_error err = { 0 };
  struct mr_cgroup *cg = NULL;
  unsigned maj, min;
  char *path, *dir, want[64];
  size_t k;

  NEED_HOST ();
  if (!has_v1_hierarchy ("blkio") || !root_disk (&maj, &min))
    {
      fprintf (stderr, "# skipped: needs the blkio controller and / on a disk\n");
      return;
    }
  for (k = 0; k < MR_BLKIO_THROTTLE_N; k++)
    {
      rates[k].major = maj;
      rates[k].minor = min;
      rates[k].rate = 1048576 + k;
      r.blkio_throttle[k] = &rates[k];
      r.n_blkio_throttle[k] = 1;
    }
  path = join (test_root, "/throttle");
  ck_assert_msg (mr_cgroup_create (path, &r, &cg, &err) == 0, "%s", err.msg);
  dir = join ("/sys/fs/cgroup/blkio", path);
  for (k = 0; k < MR_BLKIO_THROTTLE_N; k++)
    {
      snprintf (want, sizeof want, "%u:%u %zu", maj, min, (size_t)1048576 + k);
      assert_file (dir, files[k], want);
    }

  /* A rate of 0 lifts the limit.  */
  for (k = 0; k < MR_BLKIO_THROTTLE_N; k++)
    rates[k].rate = k == MR_BLKIO_WRITE_IOPS ? 77 : 0;
  ck_assert_msg (mr_cgroup_update (cg, &r, &err) == 0, "%s", err.msg);
  for (k = 0; k < MR_BLKIO_WRITE_IOPS; k++)
    assert_file (dir, files[k], "");
  snprintf (want, sizeof want, "%u:%u 77", maj, min);
  assert_file (dir, files[MR_BLKIO_WRITE_IOPS], want);

  /* A device the kernel does not know: the error names it.  */
  memset (&r, 0, sizeof r);
  rates[0].major = 1;
  rates[0].minor = 3;
  rates[0].rate = 100;
  r.blkio_throttle[MR_BLKIO_READ_BPS] = &rates[0];
  r.n_blkio_throttle[MR_BLKIO_READ_BPS] = 1;
  ck_assert_int_lt (mr_cgroup_update (cg, &r, &err), 0);
  ck_assert_msg (strncmp (err.msg, "blkio.throttle.read_bps_device for device 1:3: ", 47) == 0,
                 "%s", err.msg);
  assert_create_fails ("/baddev", &r, "blkio.throttle.read_bps_device for device 1:3: ", true);

  ck_assert_msg (mr_cgroup_destroy (cg, &err) == 0, "%s", err.msg);
  ck_assert (!dir_exists (dir));
  mr_cgroup_free (cg);
  free (dir);
  free (path);
}
END_TEST

START_TEST (v1_block_io_weights_apply_or_fail_clearly)
{
  struct mr_spec_blkio_weight_device wd = { 0 };
  struct mr_spec_resources r = { 0 };
  struct mr_error err = { 0 };
  struct mr_cgroup *cg = NULL;
  unsigned maj, min;
  char *path, *dir, want[64];
  bool leaf;

  NEED_HOST ();
  if (!has_v1_hierarchy ("blkio") || !root_disk (&maj, &min))
    {
      fprintf (stderr, "# skipped: needs the blkio controller and / on a disk\n");
      return;
    }
  /* Only cfq had leaf weights.  */
  leaf = access ("/sys/fs/cgroup/blkio/blkio.leaf_weight", F_OK) == 0;
  if (!leaf)
    {
      r.blkio_leaf_weight_set = true;
      r.blkio_leaf_weight = 500;
      assert_create_fails ("/leaf", &r,
                           "blkio.leaf_weight: the kernel has no blkio leaf weight (no cfq "
                           "scheduler)",
                           false);
      memset (&r, 0, sizeof r);
      wd.major = maj;
      wd.minor = min;
      wd.leaf_weight = 500;
      r.blkio_weight_devices = &wd;
      r.n_blkio_weight_devices = 1;
      assert_create_fails ("/leafdev", &r,
                           "blkio.leaf_weight_device: the kernel has no blkio leaf weight (no cfq "
                           "scheduler)",
                           false);
    }

  if (!has_blkio_weight ())
    {
      memset (&r, 0, sizeof r);
      r.blkio_weight_set = true;
      r.blkio_weight = 500;
      assert_create_fails ("/weight", &r,
                           "blkio.weight: the kernel has no blkio weight (no bfq or cfq scheduler)",
                           false);
    }

  /* A device weight needs the device to use a scheduler with weights.  */
  memset (&r, 0, sizeof r);
  memset (&wd, 0, sizeof wd);
  wd.major = maj;
  wd.minor = min;
  wd.weight = 300;
  r.blkio_weight_devices = &wd;
  r.n_blkio_weight_devices = 1;
  path = join (test_root, "/weightdev");
  if (!has_blkio_weight ())
    snprintf (want, sizeof want, "blkio.weight_device: the kernel has no blkio weight");
  else
    snprintf (want, sizeof want, "blkio weight for device %u:%u: ", maj, min);
  if (mr_cgroup_create (path, &r, &cg, &err) < 0)
    {
      ck_assert_msg (strncmp (err.msg, want, strlen (want)) == 0, "%s", err.msg);
      assert_left_nowhere (path);
    }
  else
    {
      char *list;

      dir = join ("/sys/fs/cgroup/blkio", path);
      list = read_trim (dir, access ("/sys/fs/cgroup/blkio/blkio.weight_device", F_OK) == 0
                                 ? "blkio.weight_device"
                                 : "blkio.bfq.weight_device");
      snprintf (want, sizeof want, "%u:%u 300", maj, min);
      ck_assert_msg (strstr (list, want) != NULL, "weight_device: %s", list);
      free (list);
      free (dir);
      ck_assert_msg (mr_cgroup_destroy (cg, &err) == 0, "%s", err.msg);
      mr_cgroup_free (cg);
    }
  free (path);
}
END_TEST

START_TEST (v1_missing_controllers_are_named_and_leave_nothing)
{
  struct mr_spec_hugepage_limit huge[] = { { (char *)"2MB", 2097152 } };
  struct mr_spec_net_priority prio = { (char *)"lo", 3 };
  struct mr_spec_rdma rdma = { (char *)"mlx5_0", true, 2, false, 0 };
  struct mr_spec_resources r = { 0 };
  struct mr_error err = { 0 };
  struct mr_cgroup *cg = NULL;
  char *path;

  NEED_HOST ();
  r.hugepage_limits = huge;
  r.n_hugepage_limits = 1;
  if (!has_v1_hierarchy ("hugetlb"))
    assert_create_fails (
        "/huge", &r, "hugetlb limit for 2MB pages: the hugetlb controller is not mounted", false);
  else
    {
      huge[0].page_size = (char *)"3MB";
      assert_create_fails ("/huge", &r,
                           "hugetlb limit for 3MB pages: the kernel has no 3MB huge pages", false);
    }

  memset (&r, 0, sizeof r);
  r.net_class_id_set = true;
  r.net_class_id = 0x100001;
  if (!has_v1_hierarchy ("net_cls"))
    assert_create_fails ("/classid", &r, "net_cls.classid: the net_cls controller is not mounted",
                         false);
  memset (&r, 0, sizeof r);
  r.net_priorities = &prio;
  r.n_net_priorities = 1;
  if (!has_v1_hierarchy ("net_prio"))
    assert_create_fails ("/prio", &r, "net_prio.ifpriomap: the net_prio controller is not mounted",
                         false);
  memset (&r, 0, sizeof r);
  r.rdma = &rdma;
  r.n_rdma = 1;
  if (!has_v1_hierarchy ("rdma"))
    assert_create_fails ("/rdma", &r, "rdma.max: the rdma controller is not mounted", false);

  /* Nothing to enforce: a class id of 0, an rdma device without limits,
   * throttle rates of 0.  */
  memset (&r, 0, sizeof r);
  r.net_class_id_set = true;
  rdma.hca_handles_set = false;
  r.rdma = &rdma;
  r.n_rdma = 1;
  path = join (test_root, "/nothing");
  ck_assert_msg (mr_cgroup_create (path, &r, &cg, &err) == 0, "%s", err.msg);
  ck_assert_msg (mr_cgroup_destroy (cg, &err) == 0, "%s", err.msg);
  mr_cgroup_free (cg);
  free (path);
}
END_TEST

START_TEST (v2_unsupported_limits_fail_clearly)
{
  struct mr_spec_hugepage_limit huge[] = { { (char *)"2MB", 2097152 } };
  struct mr_spec_net_priority prio = { (char *)"lo", 3 };
  struct mr_spec_rdma rdma = { (char *)"mlx5_0", false, 0, true, 10 };
  struct mr_spec_blkio_rate rate = { 8, 0, 1000 };
  struct mr_spec_blkio_weight_device wd = { 8, 0, 300, 0 };
  struct mr_spec_resources r = { 0 };
  struct mr_error err = { 0 };
  struct mr_cgroup *cg = NULL;
  char *path, *root, *controllers, *want;

  NEED_HOST ();
  mr_cgroup_set_override (MR_CGROUP_V2, "/sys/fs/cgroup/unified");

  r.net_class_id_set = true;
  r.net_class_id = 7;
  assert_create_fails ("/net", &r, "linux.resources.network is not supported on cgroup v2", false);
  memset (&r, 0, sizeof r);
  r.net_priorities = &prio;
  r.n_net_priorities = 1;
  assert_create_fails ("/net", &r, "linux.resources.network is not supported on cgroup v2", false);
  memset (&r, 0, sizeof r);
  r.blkio_leaf_weight_set = true;
  r.blkio_leaf_weight = 100;
  assert_create_fails ("/leaf", &r,
                       "linux.resources.blockIO.leafWeight is not supported on cgroup v2", false);

  /* Controllers this cgroup2 mount lacks: the file that needs them is
   * named.  */
  controllers = read_trim ("/sys/fs/cgroup/unified", "cgroup.controllers");
  memset (&r, 0, sizeof r);
  r.blkio_throttle[MR_BLKIO_WRITE_BPS] = &rate;
  r.n_blkio_throttle[MR_BLKIO_WRITE_BPS] = 1;
  if (strstr (controllers, "io") == NULL)
    assert_create_fails (
        "/io", &r, "io.max: the io controller is not available in /sys/fs/cgroup/unified", false);
  memset (&r, 0, sizeof r);
  r.blkio_weight_devices = &wd;
  r.n_blkio_weight_devices = 1;
  if (strstr (controllers, "io") == NULL)
    assert_create_fails ("/io", &r,
                         "io.weight: the io controller is not available in /sys/fs/cgroup/unified",
                         false);
  memset (&r, 0, sizeof r);
  r.rdma = &rdma;
  r.n_rdma = 1;
  if (strstr (controllers, "rdma") == NULL)
    assert_create_fails ("/rdma", &r,
                         "rdma.max: the rdma controller is not available in /sys/fs/cgroup/unified",
                         false);
  free (controllers);

  /* hugetlb, below a cgroup2 directory of the test's own that does not
   * pass the controller down, so that the host's setup is left alone.  */
  root = join ("/sys/fs/cgroup/unified", test_root);
  ck_assert_int_eq (mkdir (root, 0755), 0);
  mr_cgroup_set_override (MR_CGROUP_V2, root);
  controllers = read_trim (root, "cgroup.controllers");
  memset (&r, 0, sizeof r);
  r.hugepage_limits = huge;
  r.n_hugepage_limits = 1;
  if (strstr (controllers, "hugetlb") == NULL)
    {
      ck_assert_int_lt (mr_cgroup_create ("/huge/leaf", &r, &cg, &err), 0);
      ck_assert_int_ge (asprintf (&want,
                                  "hugetlb.2MB.max: the hugetlb controller is not "
                                  "available in %s",
                                  root),
                        0);
      ck_assert_str_eq (err.msg, want);
      free (want);
      path = join (root, "/huge");
      ck_assert (!dir_exists (path));
      free (path);
    }

  /* Throttle rates of 0 only lift limits: no io controller needed.  */
  memset (&r, 0, sizeof r);
  rate.rate = 0;
  r.blkio_throttle[MR_BLKIO_READ_IOPS] = &rate;
  r.n_blkio_throttle[MR_BLKIO_READ_IOPS] = 1;
  r.rdma = &rdma;
  r.n_rdma = 1;
  rdma.hca_objects_set = false;
  r.net_class_id_set = true;
  ck_assert_msg (mr_cgroup_create ("/lift", &r, &cg, &err) == 0, "%s", err.msg);
  ck_assert_msg (mr_cgroup_destroy (cg, &err) == 0, "%s", err.msg);
  mr_cgroup_free (cg);
  free (controllers);
  free (root);
}
END_TEST

START_TEST (open_missing_cgroup_is_a_no_op)
{
  struct mr_error err = { 0 };
  struct mr_cgroup *cg = NULL;
  struct mr_cgroup_stats st;
  pid_t *pids = (pid_t *)1;
  size_t n = 1;
  bool frozen = true;
  char *path;
  int pass;

  NEED_HOST ();
  path = join (test_root, "/missing");
  for (pass = 0; pass < 2; pass++)
    {
      if (pass == 1)
        mr_cgroup_set_override (MR_CGROUP_V2, "/sys/fs/cgroup/unified");
      ck_assert_msg (mr_cgroup_open (path, &cg, &err) == 0, "%s", err.msg);
      ck_assert_int_eq (mr_cgroup_pids (cg, &pids, &n, &err), 0);
      ck_assert_uint_eq (n, 0);
      ck_assert_int_eq (mr_cgroup_kill (cg, SIGKILL, &err), 0);
      ck_assert_int_eq (mr_cgroup_freeze (cg, true, &err), 0);
      ck_assert_int_eq (mr_cgroup_is_frozen (cg, &frozen, &err), 0);
      ck_assert (!frozen);
      ck_assert_int_eq (mr_cgroup_stats (cg, &st, &err), 0);
      ck_assert_uint_eq (st.memory_limit, UINT64_MAX);
      ck_assert_uint_eq (st.pids_current, 0);
      ck_assert_int_eq (mr_cgroup_destroy (cg, &err), 0);
      /* Never let a process run unconfined.  */
      ck_assert_int_lt (mr_cgroup_enter (cg, getpid (), false, &err), 0);
      mr_cgroup_free (cg);
    }
  free (path);
}
END_TEST

START_TEST (handles_reject_the_root_and_relative_paths)
{
  struct mr_error err = { 0 };
  struct mr_cgroup *cg = NULL;

  ck_assert_int_lt (mr_cgroup_open ("/", &cg, &err), 0);
  ck_assert_int_lt (mr_cgroup_open ("//./", &cg, &err), 0);
  ck_assert_int_lt (mr_cgroup_open ("relative", &cg, &err), 0);
  ck_assert_int_lt (mr_cgroup_create ("/a/../..", NULL, &cg, &err), 0);
}
END_TEST

/* The v2 backend, on the cgroup2 mount of this hybrid host.  */

START_TEST (v2_process_lifecycle)
{
  struct mr_error err = { 0 };
  struct mr_cgroup *cg = NULL;
  struct mr_cgroup_stats st;
  char *path, *dir;
  bool frozen;
  pid_t pid;
  int status;

  NEED_HOST ();
  mr_cgroup_set_override (MR_CGROUP_V2, "/sys/fs/cgroup/unified");
  path = join (test_root, "/v2life");
  ck_assert_msg (mr_cgroup_create (path, NULL, &cg, &err) == 0, "%s", err.msg);
  dir = join ("/sys/fs/cgroup/unified", path);
  ck_assert (dir_exists (dir));
  ck_assert_int_ge (mr_cgroup_clone_fd (cg), 0);
  pid = spawn_counter (cg);
  ck_assert (has_pid (cg, pid));
  ck_assert (counter_moves ());
  ck_assert_msg (mr_cgroup_freeze (cg, true, &err) == 0, "%s", err.msg);
  assert_file (dir, "cgroup.freeze", "1");
  ck_assert_int_eq (mr_cgroup_is_frozen (cg, &frozen, &err), 0);
  ck_assert (frozen);
  ck_assert (!counter_moves ());
  ck_assert_msg (mr_cgroup_freeze (cg, false, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (mr_cgroup_is_frozen (cg, &frozen, &err), 0);
  ck_assert (!frozen);
  ck_assert (counter_moves ());
  ck_assert_int_eq (mr_cgroup_stats (cg, &st, &err), 0);
  ck_assert_uint_gt (st.cpu_usage_ns, 0);

  ck_assert_int_eq (mr_cgroup_freeze (cg, true, &err), 0);
  ck_assert_msg (mr_cgroup_kill (cg, SIGTERM, &err) == 0, "%s", err.msg);
  status = reap (pid);
  ck_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGTERM);
  assert_file (dir, "cgroup.freeze", "0");

  pid = spawn_counter (cg);
  ck_assert_msg (mr_cgroup_kill (cg, SIGKILL, &err) == 0, "%s", err.msg);
  status = reap (pid);
  ck_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);

  pid = spawn_counter (cg);
  ck_assert_msg (mr_cgroup_destroy (cg, &err) == 0, "%s", err.msg);
  status = reap (pid);
  ck_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  ck_assert (!dir_exists (dir));
  free (dir);
  mr_cgroup_free (cg);
  free (path);
}
END_TEST

START_TEST (v2_limits_without_controllers_fail_clearly)
{
  struct mr_spec_resources r = { 0 };
  struct mr_error err = { 0 };
  struct mr_cgroup *cg = NULL;
  char *path, *parent, *dir;

  NEED_HOST ();
  mr_cgroup_set_override (MR_CGROUP_V2, "/sys/fs/cgroup/unified");
  path = join (test_root, "/v2limits/leaf");
  parent = join (test_root, "/v2limits");
  dir = join ("/sys/fs/cgroup/unified", parent);
  free (parent);

  r.memory.limit_set = true;
  r.memory.limit = 64 << 20;
  ck_assert_int_lt (mr_cgroup_create (path, &r, &cg, &err), 0);
  ck_assert_str_eq (err.msg,
                    "memory.max: the memory controller is not available in /sys/fs/cgroup/unified");
  ck_assert (!dir_exists (dir));

  memset (&r, 0, sizeof r);
  r.cpu.quota_set = true;
  r.cpu.quota = 50000;
  ck_assert_int_lt (mr_cgroup_create (path, &r, &cg, &err), 0);
  ck_assert_str_eq (err.msg,
                    "cpu.max: the cpu controller is not available in /sys/fs/cgroup/unified");

  memset (&r, 0, sizeof r);
  {
    struct mr_spec_kv kv = { (char *)"memory.high", (char *)"1000000" };
    r.unified = &kv;
    r.n_unified = 1;
    ck_assert_int_lt (mr_cgroup_create (path, &r, &cg, &err), 0);
    ck_assert_str_eq (
        err.msg, "memory.high: the memory controller is not available in /sys/fs/cgroup/unified");
  }

  memset (&r, 0, sizeof r);
  r.cpu.realtime_runtime_set = true;
  r.cpu.realtime_runtime = 1000;
  ck_assert_int_lt (mr_cgroup_create (path, &r, &cg, &err), 0);
  ck_assert_str_eq (err.msg, "cpu realtime is not supported on cgroup v2");
  ck_assert (!dir_exists (dir));

  memset (&r, 0, sizeof r);
  {
    struct mr_spec_kv kv = { (char *)"../memory.max", (char *)"1" };
    r.unified = &kv;
    r.n_unified = 1;
    ck_assert_int_lt (mr_cgroup_create (path, &r, &cg, &err), 0);
    ck_assert_ptr_nonnull (strstr (err.msg, "invalid key"));
  }

  /* Values that only lift limits need no controller.  */
  memset (&r, 0, sizeof r);
  r.memory.limit_set = true;
  r.memory.limit = -1;
  r.pids_limit_set = true;
  r.pids_limit = -1;
  r.memory.swappiness_set = true;
  r.memory.swappiness = 60;
  ck_assert_msg (mr_cgroup_create (path, &r, &cg, &err) == 0, "%s", err.msg);
  /* A core cgroup2 file through unified.  */
  {
    struct mr_spec_kv kv = { (char *)"cgroup.max.descendants", (char *)"5" };
    memset (&r, 0, sizeof r);
    r.unified = &kv;
    r.n_unified = 1;
    ck_assert_msg (mr_cgroup_update (cg, &r, &err) == 0, "%s", err.msg);
    free (dir);
    dir = join ("/sys/fs/cgroup/unified", path);
    assert_file (dir, "cgroup.max.descendants", "5");
  }
  ck_assert_int_eq (mr_cgroup_destroy (cg, &err), 0);
  mr_cgroup_free (cg);
  free (dir);
  free (path);
}
END_TEST

/* Runs open() on each device in a child placed in the cgroup; returns a
 * bit per device that could be opened.  */
static int
probe_devices (struct mr_cgroup *cg)
{
  struct mr_error err = { 0 };
  int go[2], status;
  pid_t pid;
  char c = 0;

  ck_assert_int_eq (pipe2 (go, O_CLOEXEC), 0);
  pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      int res = 0, fd;
      close (go[1]);
      if (read (go[0], &c, 1) != 1)
        _exit (100);
      fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
      if (fd >= 0)
        res |= 1, close (fd);
      fd = open ("/dev/zero", O_RDONLY | O_CLOEXEC);
      if (fd >= 0)
        res |= 2, close (fd);
      fd = open ("/dev/zero", O_WRONLY | O_CLOEXEC);
      if (fd >= 0)
        res |= 4, close (fd);
      _exit (res);
    }
  close (go[0]);
  ck_assert_msg (mr_cgroup_enter (cg, pid, false, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (write (go[1], &c, 1), 1);
  close (go[1]);
  status = reap (pid);
  ck_assert (WIFEXITED (status));
  return WEXITSTATUS (status);
}

START_TEST (v2_device_rules_are_enforced_by_ebpf)
{
  struct mr_spec_device_rule devs[]
      = { rule (false, 'a', -1, -1, "rwm"), rule (true, 'c', 1, 3, "rwm"),
          rule (true, 'c', 1, 5, "r") };
  struct mr_spec_device_rule open_all[] = { rule (true, 'a', -1, -1, "rwm") };
  struct mr_spec_resources r = { 0 };
  struct mr_error err = { 0 };
  struct mr_cgroup *cg = NULL;
  char *path;

  NEED_HOST ();
  mr_cgroup_set_override (MR_CGROUP_V2, "/sys/fs/cgroup/unified");
  path = join (test_root, "/v2devices");
  r.devices = devs;
  r.n_devices = 3;
  ck_assert_msg (mr_cgroup_create (path, &r, &cg, &err) == 0, "%s", err.msg);
  /* null read-write, zero read-only.  */
  ck_assert_int_eq (probe_devices (cg), 1 | 2);
  /* An update replaces the program, it does not add to it.  */
  r.devices = open_all;
  r.n_devices = 1;
  ck_assert_msg (mr_cgroup_update (cg, &r, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (probe_devices (cg), 1 | 2 | 4);
  r.devices = devs;
  r.n_devices = 2;
  ck_assert_msg (mr_cgroup_update (cg, &r, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (probe_devices (cg), 1);
  ck_assert_int_eq (mr_cgroup_destroy (cg, &err), 0);
  mr_cgroup_free (cg);
  free (path);
}
END_TEST

static Suite *
cgroup_suite (void)
{
  Suite *s = suite_create ("cgroup");
  TCase *tc = tcase_create ("paths");
  TCase *host;

  tcase_add_test (tc, resolve_absolute_path_is_used_as_is);
  tcase_add_test (tc, resolve_relative_path_is_below_own_cgroup);
  tcase_add_test (tc, resolve_without_path_uses_the_name);
  tcase_add_test (tc, default_name_differs_per_state_root);
  tcase_add_test (tc, layout_v1_is_below_each_hierarchys_own_cgroup);
  tcase_add_test (tc, resolve_rejects_dot_dot);
  tcase_add_test (tc, resolve_cleans_slashes_and_dots);
  tcase_add_test (tc, resolve_rejects_the_root_cgroup);
  tcase_add_test (tc, own_path_v1_is_the_memory_line);
  tcase_add_test (tc, own_path_v1_without_memory_is_the_first_line);
  tcase_add_test (tc, own_path_v2_is_the_unified_line);
  tcase_add_test (tc, own_path_without_entry_fails);
  tcase_add_test (tc, own_path_of_this_process_is_absolute);
  tcase_add_test (tc, shares_convert_to_weight_like_runc);
  tcase_add_test (tc, blkio_weight_converts_to_io_weight);
  tcase_add_test (tc, limits_format_as_number_or_max);
  tcase_add_test (tc, rdma_line_has_the_limits_that_are_set);
  tcase_add_test (tc, v1_device_rules_format);
  tcase_add_test (tc, v1_devices_from_allow_all_start_with_deny_all);
  tcase_add_test (tc, v1_devices_same_state_writes_nothing);
  tcase_add_test (tc, v1_devices_only_the_difference_is_written);
  tcase_add_test (tc, v1_devices_deny_rules_take_bits_away);
  tcase_add_test (tc, v1_devices_allow_all_with_denials_starts_over);
  tcase_add_test (tc, v1_devices_invalid_rule_is_an_error);
  tcase_add_test (tc, ebpf_instruction_counts);
  tcase_add_test (tc, ebpf_rejects_bad_rules);
  tcase_add_test (tc, ebpf_default_deny_with_allowed_devices);
  tcase_add_test (tc, ebpf_later_rules_override_earlier_ones_per_access);
  tcase_add_test (tc, v1_mountinfo_finds_each_hierarchy_once);
  tcase_add_test (tc, v1_mountinfo_controller_elsewhere);
  tcase_add_test (tc, handles_reject_the_root_and_relative_paths);
  suite_add_tcase (s, tc);

  host = tcase_create ("host");
  tcase_set_timeout (host, 60);
  /* Checked: after each test in its own process; unchecked: in the
   * runner, after all, also when a test failed half-way.  */
  tcase_add_checked_fixture (host, fixture_setup, fixture_teardown);
  tcase_add_unchecked_fixture (host, cleanup_all, cleanup_all);
  tcase_add_test (host, v1_create_applies_limits);
  tcase_add_test (host, v1_process_lifecycle);
  tcase_add_test (host, clone_into_cgroup_then_enter_v1_only);
  tcase_add_test (host, v1_new_process_joins_by_itself_enter_does_the_rest);
  tcase_add_test (host, self_join_is_only_for_v1_and_only_once);
  tcase_add_test (host, v1_destroy_removes_empty_and_nested_cgroups);
  tcase_add_test (host, v1_without_cgroup2_uses_freezer_and_iterates);
  tcase_add_test (host, v1_rejects_unified_and_leaves_nothing);
  tcase_add_test (host, v1_block_io_throttles_are_written_and_lifted);
  tcase_add_test (host, v1_block_io_weights_apply_or_fail_clearly);
  tcase_add_test (host, v1_missing_controllers_are_named_and_leave_nothing);
  tcase_add_test (host, v2_unsupported_limits_fail_clearly);
  tcase_add_test (host, open_missing_cgroup_is_a_no_op);
  tcase_add_test (host, v2_process_lifecycle);
  tcase_add_test (host, v2_limits_without_controllers_fail_clearly);
  tcase_add_test (host, v2_device_rules_are_enforced_by_ebpf);
  suite_add_tcase (s, host);
  return s;
}

int
main (void)
{
  snprintf (test_root, sizeof test_root, "/minirun-unit-test-%d", (int)getpid ());
  return unit_run (cgroup_suite ());
}
