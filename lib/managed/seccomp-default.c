/* The seccomp profile that managed containers get unless told otherwise,
 * and user profiles (Docker's format or OCI's) turned into linux.seccomp.
 *
 * The default follows the behaviour of Docker's and Podman's default
 * profile: everything not allowed here fails with EPERM; calls that reach
 * past the container (namespaces, mounts, modules, the clock, the kernel
 * keyring, kexec, reboot, tracing other processes) are allowed only when the
 * container holds the capability that makes them meaningful, the way Docker
 * decides it when the container is created; clone3 answers ENOSYS so that
 * libc falls back to clone, whose flags a filter can see.  */
#include "config.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <cap-ng.h>
#include <jansson.h>

#include "managed/runconfig.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/json.h"

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))
#define CAP(c) (UINT64_C (1) << (c))

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* The namespace flags of clone(2): a process without CAP_SYS_ADMIN may
 * clone threads and processes but not make namespaces.  */
#define CLONE_NS_FLAGS                                                                             \
  (0x00020000ull /* NEWNS */ | 0x02000000ull /* NEWCGROUP */ | 0x04000000ull  /* NEWUTS */         \
   | 0x08000000ull /* NEWIPC */ | 0x10000000ull /* NEWUSER */ | 0x20000000ull /* NEWPID */         \
   | 0x40000000ull /* NEWNET */)

#define AF_VSOCK_NR 40

enum rule_action
{
  R_ALLOW,
  R_ENOSYS,
};

struct rule_arg
{
  unsigned index;
  const char *op;
  uint64_t value;
  uint64_t value_two;
};

struct rule
{
  /* syscall names, separated by spaces; names this kernel or libseccomp
   * lacks are skipped when the filter is compiled */
  const char *names;
  /* applies when the container holds one of these (0: always) ... */
  uint64_t caps_any;
  /* ... and none of these */
  uint64_t caps_none;
  enum rule_action action;
  /* "x86", "arm", "s390" or NULL (any machine) */
  const char *machine;
  size_t n_args;
  struct rule_arg args[5];
};

static const struct rule default_rules[] = {
  /* What every program uses: files, memory, signals, time, sockets, IPC,
   * threads, scheduling within the container's own limits.  */
  { .names = "accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod "
             "chown chown32 clock_getres clock_getres_time64 clock_gettime clock_gettime64 "
             "clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range "
             "creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait "
             "epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit "
             "exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark "
             "fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync "
             "fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 "
             "fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_requeue futex_time64 "
             "futex_wait futex_waitv futex_wake futimesat getcpu getcwd getdents getdents64 "
             "getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 "
             "getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom "
             "getresgid getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage "
             "getsid getsockname getsockopt get_thread_area gettid gettimeofday getuid getuid32 "
             "getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel "
             "ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64 ioprio_get "
             "ioprio_set io_setup io_submit ipc kill landlock_add_rule landlock_create_ruleset "
             "landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listxattr "
             "llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise "
             "map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod "
             "mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open "
             "mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink "
             "mremap msgctl msgget msgrcv msgsnd msync munlock munlockall munmap "
             "name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause "
             "pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll "
             "ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease "
             "pselect6 pselect6_time64 ptrace pwrite64 pwritev pwritev2 read readahead readlink "
             "readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages "
             "removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction "
             "rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend "
             "rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity "
             "sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min "
             "sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 "
             "sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield "
             "seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile "
             "sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid "
             "setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid setregid32 "
             "setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit "
             "set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32 "
             "setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 "
             "sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64 "
             "statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time "
             "timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 "
             "timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 "
             "timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask "
             "uname unlink unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice wait4 "
             "waitid waitpid write writev" },
  /* Sockets of every family but vsock, which reaches the hypervisor.  */
  { .names = "socket", .n_args = 1, .args = { { 0, "SCMP_CMP_NE", AF_VSOCK_NR, 0 } } },
  /* personality(2): only the execution domains programs ask for (Linux,
   * UNAME26, READ_IMPLIES_EXEC ...) and the query.  */
  { .names = "personality", .n_args = 1, .args = { { 0, "SCMP_CMP_EQ", 0x0, 0 } } },
  { .names = "personality", .n_args = 1, .args = { { 0, "SCMP_CMP_EQ", 0x0008, 0 } } },
  { .names = "personality", .n_args = 1, .args = { { 0, "SCMP_CMP_EQ", 0x20000, 0 } } },
  { .names = "personality", .n_args = 1, .args = { { 0, "SCMP_CMP_EQ", 0x20008, 0 } } },
  { .names = "personality", .n_args = 1, .args = { { 0, "SCMP_CMP_EQ", 0xffffffff, 0 } } },
  /* Machine-specific calls.  */
  { .names = "arch_prctl modify_ldt", .machine = "x86" },
  { .names = "arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls",
    .machine = "arm" },
  { .names = "s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr", .machine = "s390" },
  /* clone without namespace flags; s390 passes the flags second.  */
  { .names = "clone",
    .caps_none = CAP (CAP_SYS_ADMIN),
    .machine = "!s390",
    .n_args = 1,
    .args = { { 0, "SCMP_CMP_MASKED_EQ", CLONE_NS_FLAGS, 0 } } },
  { .names = "clone",
    .caps_none = CAP (CAP_SYS_ADMIN),
    .machine = "s390",
    .n_args = 1,
    .args = { { 1, "SCMP_CMP_MASKED_EQ", CLONE_NS_FLAGS, 0 } } },
  /* clone3 passes its flags in memory a filter cannot read: ENOSYS makes
   * libc use clone.  */
  { .names = "clone3", .caps_none = CAP (CAP_SYS_ADMIN), .action = R_ENOSYS },
  /* Gated on capabilities.  */
  { .names = "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount "
             "mount_setattr move_mount open_tree perf_event_open pivot_root quotactl quotactl_fd "
             "setdomainname sethostname setns swapoff swapon syslog umount umount2 unshare "
             "vm86 vm86old",
    .caps_any = CAP (CAP_SYS_ADMIN) },
  { .names = "bpf", .caps_any = CAP (CAP_BPF) },
  { .names = "perf_event_open", .caps_any = CAP (CAP_PERFMON) },
  { .names = "reboot", .caps_any = CAP (CAP_SYS_BOOT) },
  { .names = "chroot", .caps_any = CAP (CAP_SYS_CHROOT) },
  { .names = "delete_module init_module finit_module", .caps_any = CAP (CAP_SYS_MODULE) },
  { .names = "acct", .caps_any = CAP (CAP_SYS_PACCT) },
  { .names = "kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev",
    .caps_any = CAP (CAP_SYS_PTRACE) },
  { .names = "iopl ioperm", .caps_any = CAP (CAP_SYS_RAWIO) },
  { .names = "settimeofday stime clock_settime clock_settime64 clock_adjtime clock_adjtime64",
    .caps_any = CAP (CAP_SYS_TIME) },
  { .names = "vhangup", .caps_any = CAP (CAP_SYS_TTY_CONFIG) },
  { .names = "get_mempolicy mbind set_mempolicy set_mempolicy_home_node",
    .caps_any = CAP (CAP_SYS_NICE) },
  { .names = "syslog", .caps_any = CAP (CAP_SYSLOG) },
  { .names = "open_by_handle_at", .caps_any = CAP (CAP_DAC_READ_SEARCH) },
  /* Never allowed, whatever the capabilities: the kernel keyring is not
   * namespaced (add_key, keyctl, request_key), nor are kexec_load,
   * kexec_file_load, userfaultfd, io_uring_*, _sysctl, uselib, ustat,
   * sysfs, nfsservctl and the long gone module calls.  They are simply not
   * listed.  */
};

/* The machine family of the running kernel: "x86", "arm", "s390", or the
 * uname machine itself; buf holds the answer.  */
static const char *
machine_family (char *buf, size_t len)
{
  struct utsname u;

  if (uname (&u) < 0)
    return "";
  if (strcmp (u.machine, "x86_64") == 0 || (u.machine[0] == 'i' && strstr (u.machine, "86")))
    snprintf (buf, len, "x86");
  else if (strncmp (u.machine, "arm", 3) == 0 || strcmp (u.machine, "aarch64") == 0)
    snprintf (buf, len, "arm");
  else if (strncmp (u.machine, "s390", 4) == 0)
    snprintf (buf, len, "s390");
  else
    snprintf (buf, len, "%s", u.machine);
  return buf;
}

/* The architectures a container's programs may use: the native one and
 * the compatible 32-bit ones.  */
static json_t *
native_architectures (void)
{
  struct utsname u;

  if (uname (&u) < 0)
    return json_array ();
  if (strcmp (u.machine, "x86_64") == 0)
    return json_pack ("[s, s, s]", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
  if (strcmp (u.machine, "aarch64") == 0)
    return json_pack ("[s, s]", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
  if (strcmp (u.machine, "s390x") == 0)
    return json_pack ("[s, s]", "SCMP_ARCH_S390X", "SCMP_ARCH_S390");
  if (strcmp (u.machine, "ppc64le") == 0)
    return json_pack ("[s]", "SCMP_ARCH_PPC64LE");
  if (strcmp (u.machine, "riscv64") == 0)
    return json_pack ("[s]", "SCMP_ARCH_RISCV64");
  /* empty: libseccomp's native architecture */
  return json_array ();
}

static bool
machine_matches (const char *want)
{
  char buf[sizeof ((struct utsname *)0)->machine];
  const char *family;

  if (want == NULL)
    return true;
  family = machine_family (buf, sizeof buf);
  if (want[0] == '!')
    return strcmp (want + 1, family) != 0;
  return strcmp (want, family) == 0;
}

static json_t *
names_json (const char *names)
{
  json_t *a = json_array ();
  const char *p = names;

  while (a && *p)
    {
      size_t n = strcspn (p, " ");
      if (n > 0 && json_array_append_new (a, json_stringn (p, n)) < 0)
        {
          json_decref (a);
          return NULL;
        }
      p += n;
      p += strspn (p, " ");
    }
  return a;
}

static json_t *
rule_json (const struct rule *r)
{
  cleanup_json json_t *o = NULL;
  json_t *args;

  o = json_pack ("{s:o, s:s}", "names", names_json (r->names), "action",
                 r->action == R_ENOSYS ? "SCMP_ACT_ERRNO" : "SCMP_ACT_ALLOW");
  if (o == NULL)
    return NULL;
  if (r->action == R_ENOSYS && json_object_set_new (o, "errnoRet", json_integer (ENOSYS)) < 0)
    return NULL;
  if (r->n_args == 0)
    return steal_pointer (&o);
  args = json_array ();
  if (json_object_set_new (o, "args", args) < 0)
    return NULL;
  for (size_t i = 0; i < r->n_args; i++)
    if (json_array_append_new (args,
                               json_pack ("{s:i, s:I, s:I, s:s}", "index", (int)r->args[i].index,
                                          "value", (json_int_t)r->args[i].value, "valueTwo",
                                          (json_int_t)r->args[i].value_two, "op", r->args[i].op))
        < 0)
      return NULL;
  return steal_pointer (&o);
}

json_t *
mr_seccomp_default_profile (uint64_t caps)
{
  cleanup_json json_t *sc = NULL;
  json_t *syscalls = json_array ();

  sc = json_pack ("{s:s, s:i, s:o, s:o}", "defaultAction", "SCMP_ACT_ERRNO", "defaultErrnoRet",
                  EPERM, "architectures", native_architectures (), "syscalls", syscalls);
  if (sc == NULL)
    return NULL;
  for (size_t i = 0; i < N_ELEMENTS (default_rules); i++)
    {
      const struct rule *r = &default_rules[i];
      if (r->caps_any && !(caps & r->caps_any))
        continue;
      if (caps & r->caps_none)
        continue;
      if (!machine_matches (r->machine))
        continue;
      if (json_array_append_new (syscalls, rule_json (r)) < 0)
        return NULL;
    }
  return steal_pointer (&sc);
}

/* ------------------------------------------------------------------------ */
/* User profiles.  */

/* Docker's "includes"/"excludes": {"caps": [...], "arches": [...],
 * "minKernel": "..."}.  The kernel version is not checked: calls a kernel
 * lacks fail with ENOSYS anyway.  */
static int
cond_caps_match (const json_t *cond, uint64_t caps, bool include, const char *path, bool *match,
                 struct mr_error *err)
{
  json_t *list = json_object_get (cond, "caps");
  size_t i;
  json_t *e;
  bool all = true, some = false;

  *match = true;
  if (list == NULL)
    return 0;
  if (!json_is_array (list))
    return mr_error_set (err, "%s.caps: not an array", path);
  if (json_array_size (list) == 0)
    return 0;
  json_array_foreach (list, i, e)
  {
    const char *name = json_string_value (e);
    int c;
    if (name == NULL)
      return mr_error_set (err, "%s.caps[%zu]: not a string", path, i);
    if (strncasecmp (name, "CAP_", 4) == 0)
      name += 4;
    c = capng_name_to_capability (name);
    if (c >= 0 && c < 64 && (caps & CAP (c)))
      some = true;
    else
      all = false;
  }
  /* as Docker: includes need every capability listed; excludes drop the
   * rule when any of them is held */
  *match = include ? all : !some;
  return 0;
}

static int
cond_arches_match (const json_t *cond, const json_t *archs, bool include, bool *match)
{
  json_t *list = json_object_get (cond, "arches");
  size_t i, j;
  json_t *e, *a;
  bool hit = false;
  struct utsname u;
  const char *m;
  const char *arch = NULL;

  *match = true;
  if (!json_is_array (list) || json_array_size (list) == 0)
    return 0;
  /* Docker names arches as Go does: amd64, arm64, s390x, ... */
  m = uname (&u) == 0 ? u.machine : "";
  if (strcmp (m, "x86_64") == 0)
    arch = "amd64";
  else if (strcmp (m, "aarch64") == 0)
    arch = "arm64";
  else if (m[0] == 'i' && strstr (m, "86"))
    arch = "386";
  else
    arch = m;
  json_array_foreach (list, i, e)
  {
    const char *s = json_string_value (e);
    if (s == NULL)
      continue;
    if (strcmp (s, arch) == 0 || strcmp (s, m) == 0)
      hit = true;
    /* or one of the SCMP_ARCH_ names the profile uses */
    json_array_foreach (archs, j, a)
    {
      const char *an = json_string_value (a);
      if (an && strncmp (an, "SCMP_ARCH_", 10) == 0 && strcasecmp (an + 10, s) == 0)
        hit = true;
    }
  }
  *match = include ? hit : !hit;
  return 0;
}

/* "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures":
 * [...]}]: the entry of this machine's architecture.  */
static json_t *
archs_from_map (const json_t *map)
{
  cleanup_json json_t *native = native_architectures ();
  const char *first = json_string_value (json_array_get (native, 0));
  size_t i;
  json_t *e;

  if (first == NULL)
    return json_array ();
  json_array_foreach (map, i, e)
  {
    const char *a = json_string_value (json_object_get (e, "architecture"));
    json_t *sub = json_object_get (e, "subArchitectures");
    json_t *out;
    if (a == NULL || strcmp (a, first) != 0)
      continue;
    out = json_pack ("[s]", a);
    if (out && json_is_array (sub))
      json_array_extend (out, sub);
    return out;
  }
  return steal_pointer (&native);
}

int
mr_seccomp_profile_convert (const json_t *profile, uint64_t caps, json_t **out,
                            struct mr_error *err)
{
  cleanup_json json_t *sc = NULL;
  json_t *syscalls, *in_sys, *e, *archs;
  size_t i;

  *out = NULL;
  if (!json_is_object (profile))
    return mr_error_set (err, "the profile is not a JSON object");
  if (!json_is_string (json_object_get (profile, "defaultAction")))
    return mr_error_set (err, "the profile has no defaultAction");
  sc = json_deep_copy (profile);
  if (sc == NULL)
    return mr_error_errno (err, ENOMEM, "copy the seccomp profile");
  if (json_object_get (sc, "archMap"))
    {
      if (json_array_size (json_object_get (sc, "architectures")) == 0)
        {
          if (!json_is_array (json_object_get (sc, "archMap")))
            return mr_error_set (err, "archMap: not an array");
          if (json_object_set_new (sc, "architectures",
                                   archs_from_map (json_object_get (sc, "archMap")))
              < 0)
            return mr_error_errno (err, ENOMEM, "copy the seccomp profile");
        }
      json_object_del (sc, "archMap");
    }
  archs = json_object_get (sc, "architectures");
  in_sys = json_object_get (sc, "syscalls");
  if (in_sys == NULL)
    {
      *out = steal_pointer (&sc);
      return 0;
    }
  if (!json_is_array (in_sys))
    return mr_error_set (err, "syscalls: not an array");
  syscalls = json_array ();
  if (syscalls == NULL)
    return mr_error_errno (err, ENOMEM, "copy the seccomp profile");
  json_array_foreach (in_sys, i, e)
  {
    cleanup_json json_t *s = NULL;
    char path[64];
    bool inc_caps, exc_caps, inc_arch, exc_arch;
    json_t *inc, *exc, *name;

    if (!json_is_object (e))
      {
        json_decref (syscalls);
        return mr_error_set (err, "syscalls[%zu]: not an object", i);
      }
    s = json_deep_copy (e);
    inc = json_object_get (s, "includes");
    exc = json_object_get (s, "excludes");
    snprintf (path, sizeof path, "syscalls[%zu].includes", i);
    if (cond_caps_match (inc, caps, true, path, &inc_caps, err) < 0)
      {
        json_decref (syscalls);
        return -1;
      }
    snprintf (path, sizeof path, "syscalls[%zu].excludes", i);
    if (cond_caps_match (exc, caps, false, path, &exc_caps, err) < 0)
      {
        json_decref (syscalls);
        return -1;
      }
    cond_arches_match (inc, archs, true, &inc_arch);
    cond_arches_match (exc, archs, false, &exc_arch);
    if (!(inc_caps && exc_caps && inc_arch && exc_arch))
      continue;
    json_object_del (s, "includes");
    json_object_del (s, "excludes");
    json_object_del (s, "comment");
    /* Docker's old single "name" */
    name = json_object_get (s, "name");
    if (json_is_string (name) && json_object_get (s, "names") == NULL)
      json_object_set_new (s, "names", json_pack ("[O]", name));
    json_object_del (s, "name");
    if (json_array_append (syscalls, s) < 0)
      {
        json_decref (syscalls);
        return mr_error_errno (err, ENOMEM, "copy the seccomp profile");
      }
  }
  if (json_object_set_new (sc, "syscalls", syscalls) < 0)
    return mr_error_errno (err, ENOMEM, "copy the seccomp profile");
  *out = steal_pointer (&sc);
  return 0;
}
