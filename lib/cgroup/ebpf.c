#include "config.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/error.h"

/* Far more than any real rule list, far less than the kernel's limit.  */
#define MAX_INSNS 65536

#define INSN(c, d, s, o, i)                                                                        \
  ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/* Registers: r2 device type, r3 requested access, r4 major, r5 minor;
 * r1 (the context) is free once they are loaded.  */
#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R4 BPF_REG_4
#define R5 BPF_REG_5

#define ACC_ALL (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)

static int
rule_access (const struct mr_spec_device_rule *rule, int *acc, struct mr_error *err)
{
  const char *p;

  *acc = 0;
  for (p = rule->access; *p; p++)
    switch (*p)
      {
      case 'r':
        *acc |= BPF_DEVCG_ACC_READ;
        break;
      case 'w':
        *acc |= BPF_DEVCG_ACC_WRITE;
        break;
      case 'm':
        *acc |= BPF_DEVCG_ACC_MKNOD;
        break;
      default:
        return mr_error_set (err, "device rule: invalid access '%s'", rule->access);
      }
  if (*acc == 0)
    *acc = ACC_ALL;
  return 0;
}

static int
rule_type (const struct mr_spec_device_rule *rule, int *type, struct mr_error *err)
{
  switch (rule->type)
    {
    case 'a':
      *type = 0;
      return 0;
    case 'c':
    case 'u':
      *type = BPF_DEVCG_DEV_CHAR;
      return 0;
    case 'b':
      *type = BPF_DEVCG_DEV_BLOCK;
      return 0;
    default:
      return mr_error_set (err, "device rule: invalid type '%c'", rule->type);
    }
}

static int
check_number (int64_t v, const char *what, struct mr_error *err)
{
  if (v < -1 || v > INT32_MAX)
    return mr_error_set (err, "device rule: invalid %s number %lld", what, (long long)v);
  return 0;
}

int
mr_cgroup_ebpf_compile (const struct mr_spec_device_rule *rules, size_t n, struct bpf_insn **out,
                        size_t *n_out, struct mr_error *err)
{
  cleanup_free struct bpf_insn *p = NULL;
  size_t alloc, o = 0, i;
  bool terminal = false;

  if (n > (MAX_INSNS - 8) / 8)
    return mr_error_set (err, "too many device rules (%zu)", n);
  alloc = 8 + 8 * n;
  p = calloc (alloc, sizeof *p);
  if (p == NULL)
    return mr_error_errno (err, ENOMEM, "device rules");

  /* struct bpf_cgroup_dev_ctx: access_type is (access << 16) | type.  */
  p[o++] = INSN (BPF_LDX | BPF_MEM | BPF_W, R2, R1, 0, 0);
  p[o++] = INSN (BPF_ALU | BPF_AND | BPF_K, R2, 0, 0, 0xffff);
  p[o++] = INSN (BPF_LDX | BPF_MEM | BPF_W, R3, R1, 0, 0);
  p[o++] = INSN (BPF_ALU | BPF_RSH | BPF_K, R3, 0, 0, 16);
  p[o++] = INSN (BPF_LDX | BPF_MEM | BPF_W, R4, R1, 4, 0);
  p[o++] = INSN (BPF_LDX | BPF_MEM | BPF_W, R5, R1, 8, 0);

  /* For each access bit, the last rule that covers the device and the bit
   * decides.  Walk the rules from the last one back with r3 holding the
   * requested bits not decided yet: a deny rule that has one of them
   * denies; an allow rule decides the bits it has, and allows once none is
   * left.  A rule for every device and every access hides the rules before
   * it.  */
  for (i = n; i-- > 0 && !terminal;)
    {
      const struct mr_spec_device_rule *r = &rules[i];
      int type = 0, acc = 0, tail, left;

      if (rule_type (r, &type, err) < 0 || rule_access (r, &acc, err) < 0
          || check_number (r->major, "major", err) < 0 || check_number (r->minor, "minor", err) < 0)
        return -1;
      if (acc == ACC_ALL)
        tail = 2;
      else
        tail = r->allow ? 4 : 5;
      /* Each device check jumps past the rest of the block.  */
      left = (type ? 1 : 0) + (r->major >= 0 ? 1 : 0) + (r->minor >= 0 ? 1 : 0) + tail;
      terminal = left == 2;
      if (type)
        {
          left--;
          p[o++] = INSN (BPF_JMP | BPF_JNE | BPF_K, R2, 0, (short)left, type);
        }
      if (r->major >= 0)
        {
          left--;
          p[o++] = INSN (BPF_JMP | BPF_JNE | BPF_K, R4, 0, (short)left, (int32_t)r->major);
        }
      if (r->minor >= 0)
        {
          left--;
          p[o++] = INSN (BPF_JMP | BPF_JNE | BPF_K, R5, 0, (short)left, (int32_t)r->minor);
        }
      if (acc != ACC_ALL && r->allow)
        {
          p[o++] = INSN (BPF_ALU | BPF_AND | BPF_K, R3, 0, 0, ~acc);
          p[o++] = INSN (BPF_JMP | BPF_JNE | BPF_K, R3, 0, 2, 0);
        }
      else if (acc != ACC_ALL)
        {
          p[o++] = INSN (BPF_ALU | BPF_MOV | BPF_X, R1, R3, 0, 0);
          p[o++] = INSN (BPF_ALU | BPF_AND | BPF_K, R1, 0, 0, acc);
          p[o++] = INSN (BPF_JMP | BPF_JEQ | BPF_K, R1, 0, 2, 0);
        }
      p[o++] = INSN (BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, r->allow ? 1 : 0);
      p[o++] = INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    }
  if (!terminal)
    {
      /* Bits no rule decided: devices are allowed unless a rule says
       * otherwise.  */
      p[o++] = INSN (BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 1);
      p[o++] = INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    }
  *n_out = o;
  *out = steal_pointer (&p);
  return 0;
}

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int)syscall (__NR_bpf, cmd, attr, sizeof *attr);
}

static int
prog_load (const struct bpf_insn *insns, size_t n, char *log, size_t log_size)
{
  union bpf_attr attr;

  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = (uint32_t)n;
  /* The kernel checks the license only for helpers, which this program
   * does not call.  */
  attr.license = (uint64_t)(uintptr_t) "GPL";
  if (log)
    {
      attr.log_buf = (uint64_t)(uintptr_t)log;
      attr.log_size = (uint32_t)log_size;
      attr.log_level = 1;
    }
  return sys_bpf (BPF_PROG_LOAD, &attr);
}

int
mr_cgroup_ebpf_attach (int cgroup_fd, const struct bpf_insn *insns, size_t n_insns,
                       struct mr_error *err)
{
  union bpf_attr attr;
  uint32_t ids[64];
  uint32_t n_old = 0, old_flags = 0, i;
  cleanup_close int prog = -1;

  prog = prog_load (insns, n_insns, NULL, 0);
  if (prog < 0)
    {
      int e = errno;
      char log[4096];
      char *last;

      /* Load again with the verifier's log, to say why.  */
      log[0] = '\0';
      if (e == EINVAL || e == EACCES)
        {
          int fd = prog_load (insns, n_insns, log, sizeof log);
          if (fd >= 0)
            close (fd);
        }
      log[sizeof log - 1] = '\0';
      while ((last = strrchr (log, '\n')) && last[1] == '\0')
        *last = '\0';
      last = strrchr (log, '\n');
      if (log[0])
        return mr_error_errno (err, e, "load device program (%s)", last ? last + 1 : log);
      return mr_error_errno (err, e, "load device program");
    }

  memset (&attr, 0, sizeof attr);
  attr.query.target_fd = (uint32_t)cgroup_fd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  attr.query.prog_cnt = sizeof ids / sizeof ids[0];
  if (sys_bpf (BPF_PROG_QUERY, &attr) < 0)
    return mr_error_errno (err, errno, "query device programs");
  n_old = attr.query.prog_cnt;
  old_flags = attr.query.attach_flags;

  /* A program attached without ALLOW_MULTI is replaced by attaching the
   * new one the same way; otherwise the new one goes next to the old ones,
   * which are then detached, so that no device is open at any moment.  */
  memset (&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)cgroup_fd;
  attr.attach_bpf_fd = (uint32_t)prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = n_old > 0 && !(old_flags & BPF_F_ALLOW_MULTI) ? old_flags : BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    return mr_error_errno (err, errno, "attach device program");
  if (!(attr.attach_flags & BPF_F_ALLOW_MULTI))
    return 0;

  for (i = 0; i < n_old; i++)
    {
      cleanup_close int old = -1;

      memset (&attr, 0, sizeof attr);
      attr.prog_id = ids[i];
      old = sys_bpf (BPF_PROG_GET_FD_BY_ID, &attr);
      if (old < 0)
        {
          if (errno == ENOENT)
            continue;
          return mr_error_errno (err, errno, "detach old device program");
        }
      memset (&attr, 0, sizeof attr);
      attr.target_fd = (uint32_t)cgroup_fd;
      attr.attach_bpf_fd = (uint32_t)old;
      attr.attach_type = BPF_CGROUP_DEVICE;
      if (sys_bpf (BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
        return mr_error_errno (err, errno, "detach old device program");
    }
  return 0;
}
