#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jansson.h>

#include "oci/spec.h"
#include "unit.h"

/* Test documents are written with single quotes for readability; q() turns
 * them into JSON.  None of them needs a literal single quote.  */
static char *
q (const char *s)
{
  char *r = strdup (s);
  ck_assert_ptr_nonnull (r);
  for (char *p = r; *p; p++)
    if (*p == '\'')
      *p = '"';
  return r;
}

static struct mr_spec *
parse_ok (const char *doc)
{
  struct mr_error err = { 0 };
  struct mr_spec *spec = NULL;
  char *json = q (doc);
  int r = mr_spec_parse ("config.json", json, strlen (json), &spec, &err);

  free (json);
  ck_assert_msg (r == 0, "parse failed: %s", err.msg);
  ck_assert_ptr_nonnull (spec);
  return spec;
}

static void
assert_parse_error (const char *doc, const char *expected)
{
  struct mr_error err = { 0 };
  struct mr_spec *spec = (struct mr_spec *)1;
  char *json = q (doc);
  int r = mr_spec_parse ("config.json", json, strlen (json), &spec, &err);

  free (json);
  ck_assert_int_lt (r, 0);
  ck_assert_ptr_null (spec);
  ck_assert_str_eq (err.msg, expected);
}

#define HEAD "{'ociVersion':'1.0.2','root':{'path':'rootfs'},"
#define PROC(x) HEAD "'process':{'args':['sh']," x "}}"
#define LINUX(x) HEAD "'linux':{" x "}}"

/* ------------------------------------------------------------------------ */

static const char full_config[]
    = "{'ociVersion':'1.1.0',"
      " 'process':{'terminal':true,'consoleSize':{'height':24,'width':80},"
      "  'user':{'uid':1000,'gid':1001,'umask':18,'additionalGids':[5,6]},"
      "  'args':['/bin/sh','-c','echo hi'],'env':['PATH=/bin','TERM=xterm'],'cwd':'/work',"
      "  'capabilities':{'bounding':['CAP_CHOWN','CAP_KILL','CAP_CHECKPOINT_RESTORE'],"
      "   'effective':['CAP_KILL'],'inheritable':[],"
      "   'permitted':['CAP_KILL','CAP_NET_BIND_SERVICE'],'ambient':['CAP_NET_BIND_SERVICE']},"
      "  'rlimits':[{'type':'RLIMIT_NOFILE','soft':1024,'hard':4096},"
      "   {'type':'RLIMIT_CORE','soft':0,'hard':0},"
      "   {'type':'RLIMIT_MEMLOCK','soft':18446744073709551615,'hard':18446744073709551615}],"
      "  'noNewPrivileges':true,'oomScoreAdj':-500,'apparmorProfile':'unconfined',"
      "  'selinuxLabel':'system_u:system_r:container_t:s0'},"
      " 'root':{'path':'rootfs','readonly':true},"
      " 'hostname':'box','domainname':'example.org',"
      " 'mounts':["
      "  {'destination':'/proc','type':'proc','source':'proc'},"
      "  {'destination':'/dev','type':'tmpfs','source':'tmpfs',"
      "   'options':['nosuid','strictatime','mode=755','size=65536k']},"
      "  {'destination':'/data','type':'bind','source':'/srv/data',"
      "   'options':['rbind','ro','rslave','nodev']},"
      "  {'destination':'/tmp','type':'tmpfs','source':'tmpfs',"
      "   'options':['tmpcopyup','rw','exec','noexec','suid']},"
      "  {'destination':'/mnt','source':'/srv/mnt',"
      "   'options':['bind','private','relatime','norelatime']}],"
      " 'hooks':{"
      "  'prestart':[{'path':'/usr/bin/hook','args':['hook','prestart'],'env':['A=1'],"
      "   'timeout':5}],"
      "  'createRuntime':[{'path':'/bin/cr'}],'createContainer':[{'path':'/bin/cc'}],"
      "  'startContainer':[{'path':'/bin/sc'}],"
      "  'poststart':[{'path':'/bin/ps1'},{'path':'/bin/ps2'}],'poststop':[{'path':'/bin/pst'}]},"
      " 'annotations':{'org.example.key':'value','other':''},"
      " 'linux':{"
      "  'namespaces':[{'type':'pid'},{'type':'network','path':'/var/run/netns/x'},"
      "   {'type':'mount'},{'type':'ipc'},{'type':'uts'},{'type':'user'},{'type':'cgroup'},"
      "   {'type':'time'}],"
      "  'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
      "  'gidMappings':[{'containerID':0,'hostID':200000,'size':65536},"
      "   {'containerID':65536,'hostID':1000,'size':1}],"
      "  'sysctl':{'net.ipv4.ip_forward':'1','kernel.msgmax':'8192'},"
      "  'resources':{"
      "   'devices':[{'allow':false,'access':'rwm'},"
      "    {'allow':true,'type':'c','major':1,'minor':3,'access':'rw'},"
      "    {'allow':true,'type':'b','major':8,'access':'m'}],"
      "   'memory':{'limit':536870912,'reservation':268435456,'swap':-1,'swappiness':60,"
      "    'disableOOMKiller':true},"
      "   'cpu':{'shares':512,'quota':50000,'period':100000,'realtimeRuntime':950000,"
      "    'realtimePeriod':1000000,'cpus':'0-1','mems':'0'},"
      "   'pids':{'limit':64},"
      "   'blockIO':{'weight':500,'leafWeight':300,"
      "    'weightDevice':[{'major':8,'minor':0,'weight':600},"
      "     {'major':8,'minor':16,'leafWeight':200}],"
      "    'throttleReadBpsDevice':[{'major':8,'minor':0,'rate':1048576}],"
      "    'throttleWriteBpsDevice':[{'major':8,'minor':0,'rate':524288},"
      "     {'major':8,'minor':16,'rate':0}],"
      "    'throttleReadIOPSDevice':[{'major':8,'minor':0,'rate':100}],"
      "    'throttleWriteIOPSDevice':[{'major':8,'minor':0,'rate':50}]},"
      "   'hugepageLimits':[{'pageSize':'2MB','limit':2097152},{'pageSize':'1GB','limit':0}],"
      "   'network':{'classID':1048577,'priorities':[{'name':'eth0','priority':5},"
      "    {'name':'lo','priority':1}]},"
      "   'rdma':{'mlx5_0':{'hcaHandles':3,'hcaObjects':10000},'mlx4_1':{'hcaObjects':7}},"
      "   'unified':{'memory.high':'400M'}},"
      "  'cgroupsPath':'/minirun/test',"
      "  'devices':[{'type':'c','path':'/dev/fuse','major':10,'minor':229,'fileMode':438,"
      "    'uid':0,'gid':5},{'type':'p','path':'/dev/fifo'}],"
      "  'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1,"
      "   'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86'],"
      "   'flags':['SECCOMP_FILTER_FLAG_LOG'],'listenerPath':'/run/notify.sock',"
      "   'listenerMetadata':'MKNOD=/dev/null',"
      "   'syscalls':["
      "    {'names':['read','write'],'action':'SCMP_ACT_ALLOW'},"
      "    {'names':['personality'],'action':'SCMP_ACT_ALLOW','args':["
      "     {'index':0,'value':8,'op':'SCMP_CMP_EQ'},"
      "     {'index':1,'value':255,'valueTwo':4,'op':'SCMP_CMP_MASKED_EQ'}]},"
      "    {'names':['mkdir'],'action':'SCMP_ACT_ERRNO','errnoRet':38},"
      "    {'names':['ioctl'],'action':'SCMP_ACT_NOTIFY'},"
      "    {'names':['clone'],'action':'SCMP_ACT_KILL_PROCESS','args':["
      "     {'index':5,'value':18446744073709551615,'op':'SCMP_CMP_NE'}]}]},"
      "  'rootfsPropagation':'rslave',"
      "  'maskedPaths':['/proc/kcore','/proc/keys'],'readonlyPaths':['/proc/sys'],"
      "  'mountLabel':'system_u:object_r:container_file_t:s0'}}";

#define CAP(x) (UINT64_C (1) << (x))

START_TEST (full_config_parses_every_field)
{
  struct mr_spec *s = parse_ok (full_config);
  const struct mr_spec_process *p = &s->process;
  const struct mr_spec_linux *lx = &s->linux;
  const struct mr_spec_resources *r;
  const struct mr_spec_seccomp *sc;

  ck_assert_str_eq (s->oci_version, "1.1.0");
  ck_assert (s->has_process);
  ck_assert (p->terminal);
  ck_assert_uint_eq (p->console_height, 24);
  ck_assert_uint_eq (p->console_width, 80);
  ck_assert_uint_eq (p->user.uid, 1000);
  ck_assert_uint_eq (p->user.gid, 1001);
  ck_assert (p->user.umask_set);
  ck_assert_uint_eq (p->user.umask, 022);
  ck_assert_uint_eq (p->user.n_additional_gids, 2);
  ck_assert_uint_eq (p->user.additional_gids[0], 5);
  ck_assert_uint_eq (p->user.additional_gids[1], 6);
  ck_assert_uint_eq (p->n_args, 3);
  ck_assert_str_eq (p->args[0], "/bin/sh");
  ck_assert_str_eq (p->args[2], "echo hi");
  ck_assert_ptr_null (p->args[3]);
  ck_assert_uint_eq (p->n_env, 2);
  ck_assert_str_eq (p->env[1], "TERM=xterm");
  ck_assert_ptr_null (p->env[2]);
  ck_assert_str_eq (p->cwd, "/work");
  ck_assert (p->caps_set);
  ck_assert_uint_eq (p->caps.bounding, CAP (0) | CAP (5) | CAP (40));
  ck_assert_uint_eq (p->caps.effective, CAP (5));
  ck_assert_uint_eq (p->caps.inheritable, 0);
  ck_assert_uint_eq (p->caps.permitted, CAP (5) | CAP (10));
  ck_assert_uint_eq (p->caps.ambient, CAP (10));
  ck_assert_uint_eq (p->n_rlimits, 3);
  ck_assert_int_eq (p->rlimits[0].resource, RLIMIT_NOFILE);
  ck_assert_uint_eq (p->rlimits[0].soft, 1024);
  ck_assert_uint_eq (p->rlimits[0].hard, 4096);
  ck_assert_int_eq (p->rlimits[1].resource, RLIMIT_CORE);
  ck_assert_uint_eq (p->rlimits[1].hard, 0);
  ck_assert_int_eq (p->rlimits[2].resource, RLIMIT_MEMLOCK);
  ck_assert_uint_eq (p->rlimits[2].soft, UINT64_MAX);
  ck_assert_uint_eq (p->rlimits[2].hard, UINT64_MAX);
  ck_assert (p->no_new_privileges);
  ck_assert (p->oom_score_adj_set);
  ck_assert_int_eq (p->oom_score_adj, -500);
  ck_assert_str_eq (p->apparmor_profile, "unconfined");
  ck_assert_str_eq (p->selinux_label, "system_u:system_r:container_t:s0");

  ck_assert_str_eq (s->root_path, "rootfs");
  ck_assert (s->root_readonly);
  ck_assert_str_eq (s->hostname, "box");
  ck_assert_str_eq (s->domainname, "example.org");

  ck_assert_uint_eq (s->n_mounts, 5);
  ck_assert_str_eq (s->mounts[0].destination, "/proc");
  ck_assert_str_eq (s->mounts[0].type, "proc");
  ck_assert_str_eq (s->mounts[0].source, "proc");
  ck_assert_uint_eq (s->mounts[0].flags, 0);
  ck_assert_ptr_null (s->mounts[0].data);
  ck_assert_uint_eq (s->mounts[1].flags, MS_NOSUID | MS_STRICTATIME);
  ck_assert_str_eq (s->mounts[1].data, "mode=755,size=65536k");
  ck_assert_uint_eq (s->mounts[2].flags, MS_BIND | MS_REC | MS_RDONLY | MS_NODEV);
  ck_assert_uint_eq (s->mounts[2].propagation, MS_SLAVE | MS_REC);
  ck_assert_uint_eq (s->mounts[2].clear_flags, 0);
  ck_assert (!s->mounts[2].tmpcopyup);
  ck_assert (s->mounts[3].tmpcopyup);
  ck_assert_uint_eq (s->mounts[3].flags, MS_NOEXEC);
  ck_assert_uint_eq (s->mounts[3].clear_flags, MS_RDONLY | MS_NOSUID);
  ck_assert_ptr_null (s->mounts[3].data);
  ck_assert_ptr_null (s->mounts[4].type);
  ck_assert_uint_eq (s->mounts[4].flags, MS_BIND);
  ck_assert_uint_eq (s->mounts[4].clear_flags, MS_RELATIME);
  ck_assert_uint_eq (s->mounts[4].propagation, MS_PRIVATE);

  ck_assert_uint_eq (s->hooks.n_prestart, 1);
  ck_assert_str_eq (s->hooks.prestart[0].path, "/usr/bin/hook");
  ck_assert_str_eq (s->hooks.prestart[0].args[1], "prestart");
  ck_assert_ptr_null (s->hooks.prestart[0].args[2]);
  ck_assert_str_eq (s->hooks.prestart[0].env[0], "A=1");
  ck_assert_int_eq (s->hooks.prestart[0].timeout, 5);
  ck_assert_uint_eq (s->hooks.n_create_runtime, 1);
  ck_assert_str_eq (s->hooks.create_runtime[0].path, "/bin/cr");
  ck_assert_ptr_null (s->hooks.create_runtime[0].args);
  ck_assert_int_eq (s->hooks.create_runtime[0].timeout, 0);
  ck_assert_str_eq (s->hooks.create_container[0].path, "/bin/cc");
  ck_assert_str_eq (s->hooks.start_container[0].path, "/bin/sc");
  ck_assert_uint_eq (s->hooks.n_poststart, 2);
  ck_assert_str_eq (s->hooks.poststart[1].path, "/bin/ps2");
  ck_assert_str_eq (s->hooks.poststop[0].path, "/bin/pst");

  ck_assert_uint_eq (s->n_annotations, 2);
  ck_assert_str_eq (s->annotations[0].key, "org.example.key");
  ck_assert_str_eq (s->annotations[0].value, "value");
  ck_assert_str_eq (s->annotations[1].key, "other");
  ck_assert_str_eq (s->annotations[1].value, "");

  ck_assert_uint_eq (lx->n_namespaces, 8);
  ck_assert_int_eq (lx->namespaces[0].type, CLONE_NEWPID);
  ck_assert_ptr_null (lx->namespaces[0].path);
  ck_assert_int_eq (lx->namespaces[1].type, CLONE_NEWNET);
  ck_assert_str_eq (lx->namespaces[1].path, "/var/run/netns/x");
  ck_assert_int_eq (lx->namespaces[2].type, CLONE_NEWNS);
  ck_assert_int_eq (lx->namespaces[3].type, CLONE_NEWIPC);
  ck_assert_int_eq (lx->namespaces[4].type, CLONE_NEWUTS);
  ck_assert_int_eq (lx->namespaces[5].type, CLONE_NEWUSER);
  ck_assert_int_eq (lx->namespaces[6].type, CLONE_NEWCGROUP);
  ck_assert_int_eq (lx->namespaces[7].type, CLONE_NEWTIME);
  ck_assert_ptr_eq (mr_spec_find_namespace (s, CLONE_NEWNET), &lx->namespaces[1]);
  ck_assert_uint_eq (lx->n_uid_mappings, 1);
  ck_assert_uint_eq (lx->uid_mappings[0].container_id, 0);
  ck_assert_uint_eq (lx->uid_mappings[0].host_id, 100000);
  ck_assert_uint_eq (lx->uid_mappings[0].size, 65536);
  ck_assert_uint_eq (lx->n_gid_mappings, 2);
  ck_assert_uint_eq (lx->gid_mappings[1].container_id, 65536);
  ck_assert_uint_eq (lx->gid_mappings[1].host_id, 1000);
  ck_assert_uint_eq (lx->gid_mappings[1].size, 1);
  ck_assert_uint_eq (lx->n_sysctl, 2);
  ck_assert_str_eq (lx->sysctl[0].key, "net.ipv4.ip_forward");
  ck_assert_str_eq (lx->sysctl[0].value, "1");
  ck_assert_str_eq (lx->sysctl[1].key, "kernel.msgmax");

  r = lx->resources;
  ck_assert_ptr_nonnull (r);
  ck_assert_uint_eq (r->n_devices, 3);
  ck_assert (!r->devices[0].allow);
  ck_assert_int_eq (r->devices[0].type, 'a');
  ck_assert_int_eq (r->devices[0].major, -1);
  ck_assert_int_eq (r->devices[0].minor, -1);
  ck_assert_str_eq (r->devices[0].access, "rwm");
  ck_assert (r->devices[1].allow);
  ck_assert_int_eq (r->devices[1].type, 'c');
  ck_assert_int_eq (r->devices[1].major, 1);
  ck_assert_int_eq (r->devices[1].minor, 3);
  ck_assert_str_eq (r->devices[1].access, "rw");
  ck_assert_int_eq (r->devices[2].type, 'b');
  ck_assert_int_eq (r->devices[2].major, 8);
  ck_assert_int_eq (r->devices[2].minor, -1);
  ck_assert_str_eq (r->devices[2].access, "m");
  ck_assert (r->memory.limit_set);
  ck_assert_int_eq (r->memory.limit, 536870912);
  ck_assert (r->memory.reservation_set);
  ck_assert_int_eq (r->memory.reservation, 268435456);
  ck_assert (r->memory.swap_set);
  ck_assert_int_eq (r->memory.swap, -1);
  ck_assert (r->memory.swappiness_set);
  ck_assert_uint_eq (r->memory.swappiness, 60);
  ck_assert (r->memory.disable_oom_killer_set);
  ck_assert (r->memory.disable_oom_killer);
  ck_assert (r->cpu.shares_set);
  ck_assert_uint_eq (r->cpu.shares, 512);
  ck_assert (r->cpu.quota_set);
  ck_assert_int_eq (r->cpu.quota, 50000);
  ck_assert (r->cpu.period_set);
  ck_assert_uint_eq (r->cpu.period, 100000);
  ck_assert (r->cpu.realtime_runtime_set);
  ck_assert_int_eq (r->cpu.realtime_runtime, 950000);
  ck_assert (r->cpu.realtime_period_set);
  ck_assert_uint_eq (r->cpu.realtime_period, 1000000);
  ck_assert_str_eq (r->cpu.cpus, "0-1");
  ck_assert_str_eq (r->cpu.mems, "0");
  ck_assert (r->pids_limit_set);
  ck_assert_int_eq (r->pids_limit, 64);
  ck_assert (r->blkio_weight_set);
  ck_assert_uint_eq (r->blkio_weight, 500);
  ck_assert (r->blkio_leaf_weight_set);
  ck_assert_uint_eq (r->blkio_leaf_weight, 300);
  ck_assert_uint_eq (r->n_blkio_weight_devices, 2);
  ck_assert_uint_eq (r->blkio_weight_devices[0].major, 8);
  ck_assert_uint_eq (r->blkio_weight_devices[0].minor, 0);
  ck_assert_uint_eq (r->blkio_weight_devices[0].weight, 600);
  ck_assert_uint_eq (r->blkio_weight_devices[0].leaf_weight, 0);
  ck_assert_uint_eq (r->blkio_weight_devices[1].minor, 16);
  ck_assert_uint_eq (r->blkio_weight_devices[1].weight, 0);
  ck_assert_uint_eq (r->blkio_weight_devices[1].leaf_weight, 200);
  ck_assert_uint_eq (r->n_blkio_throttle[MR_BLKIO_READ_BPS], 1);
  ck_assert_uint_eq (r->blkio_throttle[MR_BLKIO_READ_BPS][0].rate, 1048576);
  ck_assert_uint_eq (r->n_blkio_throttle[MR_BLKIO_WRITE_BPS], 2);
  ck_assert_uint_eq (r->blkio_throttle[MR_BLKIO_WRITE_BPS][0].rate, 524288);
  ck_assert_uint_eq (r->blkio_throttle[MR_BLKIO_WRITE_BPS][1].major, 8);
  ck_assert_uint_eq (r->blkio_throttle[MR_BLKIO_WRITE_BPS][1].minor, 16);
  ck_assert_uint_eq (r->blkio_throttle[MR_BLKIO_WRITE_BPS][1].rate, 0);
  ck_assert_uint_eq (r->n_blkio_throttle[MR_BLKIO_READ_IOPS], 1);
  ck_assert_uint_eq (r->blkio_throttle[MR_BLKIO_READ_IOPS][0].rate, 100);
  ck_assert_uint_eq (r->n_blkio_throttle[MR_BLKIO_WRITE_IOPS], 1);
  ck_assert_uint_eq (r->blkio_throttle[MR_BLKIO_WRITE_IOPS][0].rate, 50);
  ck_assert_uint_eq (r->n_hugepage_limits, 2);
  ck_assert_str_eq (r->hugepage_limits[0].page_size, "2MB");
  ck_assert_uint_eq (r->hugepage_limits[0].limit, 2097152);
  ck_assert_str_eq (r->hugepage_limits[1].page_size, "1GB");
  ck_assert_uint_eq (r->hugepage_limits[1].limit, 0);
  ck_assert (r->net_class_id_set);
  ck_assert_uint_eq (r->net_class_id, 1048577);
  ck_assert_uint_eq (r->n_net_priorities, 2);
  ck_assert_str_eq (r->net_priorities[0].name, "eth0");
  ck_assert_uint_eq (r->net_priorities[0].priority, 5);
  ck_assert_str_eq (r->net_priorities[1].name, "lo");
  ck_assert_uint_eq (r->net_priorities[1].priority, 1);
  ck_assert_uint_eq (r->n_rdma, 2);
  ck_assert_str_eq (r->rdma[0].device, "mlx5_0");
  ck_assert (r->rdma[0].hca_handles_set);
  ck_assert_uint_eq (r->rdma[0].hca_handles, 3);
  ck_assert (r->rdma[0].hca_objects_set);
  ck_assert_uint_eq (r->rdma[0].hca_objects, 10000);
  ck_assert_str_eq (r->rdma[1].device, "mlx4_1");
  ck_assert (!r->rdma[1].hca_handles_set);
  ck_assert (r->rdma[1].hca_objects_set);
  ck_assert_uint_eq (r->rdma[1].hca_objects, 7);
  ck_assert_uint_eq (r->n_unified, 1);
  ck_assert_str_eq (r->unified[0].key, "memory.high");
  ck_assert_str_eq (r->unified[0].value, "400M");

  ck_assert_str_eq (lx->cgroups_path, "/minirun/test");
  ck_assert_uint_eq (lx->n_devices, 2);
  ck_assert_int_eq (lx->devices[0].type, 'c');
  ck_assert_str_eq (lx->devices[0].path, "/dev/fuse");
  ck_assert_int_eq (lx->devices[0].major, 10);
  ck_assert_int_eq (lx->devices[0].minor, 229);
  ck_assert (lx->devices[0].file_mode_set);
  ck_assert_uint_eq (lx->devices[0].file_mode, 0666);
  ck_assert (lx->devices[0].uid_set);
  ck_assert_uint_eq (lx->devices[0].uid, 0);
  ck_assert (lx->devices[0].gid_set);
  ck_assert_uint_eq (lx->devices[0].gid, 5);
  ck_assert_int_eq (lx->devices[1].type, 'p');
  ck_assert (!lx->devices[1].file_mode_set);
  ck_assert (!lx->devices[1].uid_set);

  sc = lx->seccomp;
  ck_assert_ptr_nonnull (sc);
  ck_assert_int_eq (sc->default_action, MR_SECCOMP_ERRNO);
  ck_assert (sc->default_errno_ret_set);
  ck_assert_uint_eq (sc->default_errno_ret, 1);
  ck_assert_uint_eq (sc->n_architectures, 2);
  ck_assert_str_eq (sc->architectures[0], "SCMP_ARCH_X86_64");
  ck_assert_str_eq (sc->architectures[1], "SCMP_ARCH_X86");
  ck_assert_ptr_null (sc->architectures[2]);
  ck_assert_uint_eq (sc->n_flags, 1);
  ck_assert_str_eq (sc->flags[0], "SECCOMP_FILTER_FLAG_LOG");
  ck_assert_str_eq (sc->listener_path, "/run/notify.sock");
  ck_assert_str_eq (sc->listener_metadata, "MKNOD=/dev/null");
  ck_assert_uint_eq (sc->n_syscalls, 5);
  ck_assert_uint_eq (sc->syscalls[0].n_names, 2);
  ck_assert_str_eq (sc->syscalls[0].names[1], "write");
  ck_assert_ptr_null (sc->syscalls[0].names[2]);
  ck_assert_int_eq (sc->syscalls[0].action, MR_SECCOMP_ALLOW);
  ck_assert (!sc->syscalls[0].errno_ret_set);
  ck_assert_uint_eq (sc->syscalls[0].n_args, 0);
  ck_assert_uint_eq (sc->syscalls[1].n_args, 2);
  ck_assert_uint_eq (sc->syscalls[1].args[0].index, 0);
  ck_assert_uint_eq (sc->syscalls[1].args[0].value, 8);
  ck_assert_int_eq (sc->syscalls[1].args[0].op, MR_SECCOMP_OP_EQ);
  ck_assert_uint_eq (sc->syscalls[1].args[1].index, 1);
  ck_assert_uint_eq (sc->syscalls[1].args[1].value, 255);
  ck_assert_uint_eq (sc->syscalls[1].args[1].value_two, 4);
  ck_assert_int_eq (sc->syscalls[1].args[1].op, MR_SECCOMP_OP_MASKED_EQ);
  ck_assert_int_eq (sc->syscalls[2].action, MR_SECCOMP_ERRNO);
  ck_assert (sc->syscalls[2].errno_ret_set);
  ck_assert_uint_eq (sc->syscalls[2].errno_ret, 38);
  ck_assert_int_eq (sc->syscalls[3].action, MR_SECCOMP_NOTIFY);
  ck_assert_int_eq (sc->syscalls[4].action, MR_SECCOMP_KILL_PROCESS);
  ck_assert_uint_eq (sc->syscalls[4].args[0].index, 5);
  ck_assert_uint_eq (sc->syscalls[4].args[0].value, UINT64_MAX);
  ck_assert_int_eq (sc->syscalls[4].args[0].op, MR_SECCOMP_OP_NE);

  ck_assert_uint_eq (lx->rootfs_propagation, MS_SLAVE | MS_REC);
  ck_assert_uint_eq (lx->n_masked_paths, 2);
  ck_assert_str_eq (lx->masked_paths[1], "/proc/keys");
  ck_assert_ptr_null (lx->masked_paths[2]);
  ck_assert_uint_eq (lx->n_readonly_paths, 1);
  ck_assert_str_eq (lx->readonly_paths[0], "/proc/sys");
  ck_assert_str_eq (lx->mount_label, "system_u:object_r:container_file_t:s0");
  mr_spec_free (s);
}
END_TEST

START_TEST (minimal_config_has_defaults)
{
  struct mr_spec *s = parse_ok ("{'ociVersion':'1.0.0','root':{'path':'/abs/rootfs'}}");

  ck_assert_str_eq (s->oci_version, "1.0.0");
  ck_assert_str_eq (s->root_path, "/abs/rootfs");
  ck_assert (!s->root_readonly);
  ck_assert (!s->has_process);
  ck_assert_ptr_null (s->process.args);
  ck_assert_ptr_null (s->hostname);
  ck_assert_uint_eq (s->n_mounts, 0);
  ck_assert_uint_eq (s->n_annotations, 0);
  ck_assert_uint_eq (s->linux.n_namespaces, 0);
  ck_assert_ptr_null (s->linux.resources);
  ck_assert_ptr_null (s->linux.seccomp);
  ck_assert_ptr_null (s->linux.masked_paths);
  ck_assert_uint_eq (s->linux.rootfs_propagation, 0);
  ck_assert_ptr_null (mr_spec_find_namespace (s, CLONE_NEWPID));
  mr_spec_free (s);
}
END_TEST

START_TEST (process_without_cwd_runs_in_root)
{
  struct mr_spec *s = parse_ok (PROC ("'user':{}"));

  ck_assert (s->has_process);
  ck_assert_str_eq (s->process.cwd, "/");
  ck_assert_uint_eq (s->process.user.uid, 0);
  ck_assert (!s->process.user.umask_set);
  ck_assert (!s->process.caps_set);
  ck_assert (!s->process.oom_score_adj_set);
  ck_assert_ptr_null (s->process.env);
  mr_spec_free (s);
}
END_TEST

/* as runc: skipped, and listed once for the warning; names are
   case-sensitive */
START_TEST (unknown_capabilities_are_skipped_and_listed)
{
  struct mr_spec *s = parse_ok (PROC ("'capabilities':{'bounding':['CAP_KILL','CAP_FOO'],"
                                      "'effective':['cap_kill','CAP_FOO','CAP_CHOWN']}"));
  ck_assert_uint_eq (s->process.caps.bounding, UINT64_C (1) << mr_spec_cap_from_name ("CAP_KILL"));
  ck_assert_uint_eq (s->process.caps.effective, UINT64_C (1)
                                                    << mr_spec_cap_from_name ("CAP_CHOWN"));
  ck_assert_str_eq (s->process.caps.unknown, "CAP_FOO cap_kill");
  mr_spec_free (s);
}
END_TEST

START_TEST (runtime_spec_1_2_process_fields_parse)
{
  struct mr_spec *s
      = parse_ok (PROC ("'scheduler':{'policy':'SCHED_BATCH','nice':5,'flags':["
                        "'SCHED_FLAG_RESET_ON_FORK']},'ioPriority':{'class':'IOPRIO_CLASS_IDLE'},"
                        "'personality':{'domain':'LINUX32'},"
                        "'execCPUAffinity':{'initial':'0-3,7','final':'1'}"));
  cpu_set_t set;

  ck_assert (s->process.scheduler_set);
  ck_assert_int_eq (s->process.sched_policy, 3);
  ck_assert_int_eq (s->process.sched_nice, 5);
  ck_assert_uint_eq (s->process.sched_flags, 1);
  ck_assert (s->process.ioprio_set);
  ck_assert_int_eq (s->process.ioprio_class, 3);
  ck_assert (s->process.personality_set);
  ck_assert_uint_eq (s->process.personality, 8);
  ck_assert_str_eq (s->process.cpu_affinity_initial, "0-3,7");
  ck_assert_int_eq (mr_cpu_list_parse (s->process.cpu_affinity_initial, &set), 0);
  ck_assert_int_eq (CPU_COUNT (&set), 5);
  ck_assert (CPU_ISSET (7, &set) && !CPU_ISSET (4, &set));
  ck_assert_int_eq (mr_cpu_list_parse ("3-1", &set), -1);
  ck_assert_int_eq (mr_cpu_list_parse ("", &set), -1);
  ck_assert_int_eq (mr_cpu_list_parse ("1,,2", &set), -1);
  mr_spec_free (s);
}
END_TEST

START_TEST (unknown_properties_are_accepted)
{
  struct mr_spec *s
      = parse_ok ("{'ociVersion':'1.2.0-rc.1','root':{'path':'r','x':1},'vm':{'a':[1,2]},"
                  "'process':{'args':['sh'],'ioPriority':{'class':'IOPRIO_CLASS_IDLE'},"
                  " 'scheduler':{'policy':'SCHED_OTHER'},'user':{'username':'x'}},"
                  "'linux':{'intelRdt':{},'personality':{'domain':'LINUX'},"
                  " 'resources':{'hugepageLimits':[],'network':{}},'timeOffsets':{}},"
                  "'windows':{'layerFolders':[]},'x-extension':null}");

  ck_assert_str_eq (s->oci_version, "1.2.0-rc.1");
  ck_assert_ptr_nonnull (s->linux.resources);
  mr_spec_free (s);
}
END_TEST

START_TEST (null_fields_count_as_absent)
{
  struct mr_spec *s = parse_ok (HEAD "'hostname':null,'mounts':null,'hooks':null,"
                                     "'annotations':null,'process':{'args':['sh'],'env':null,"
                                     "'capabilities':null,'rlimits':null},"
                                     "'linux':{'resources':{'devices':[{'allow':true,"
                                     "'major':null,'minor':null}]},'seccomp':null}}");

  ck_assert_ptr_null (s->hostname);
  ck_assert_uint_eq (s->n_mounts, 0);
  ck_assert (!s->process.caps_set);
  ck_assert_int_eq (s->linux.resources->devices[0].major, -1);
  ck_assert_str_eq (s->linux.resources->devices[0].access, "rwm");
  ck_assert_ptr_null (s->linux.seccomp);
  mr_spec_free (s);
}
END_TEST

START_TEST (numbers_above_int64_are_read_as_uint64)
{
  struct mr_spec *s
      = parse_ok (HEAD "'annotations':{'n':'18446744073709551615','m':'9223372036854775808'},"
                       "'process':{'args':['sh'],'rlimits':[{'type':'RLIMIT_AS',"
                       "'soft':9223372036854775808,'hard':18446744073709551615}]},"
                       "'linux':{'resources':{'memory':{'swappiness':18446744073709551615}}}}");

  ck_assert_str_eq (s->annotations[0].value, "18446744073709551615");
  ck_assert_str_eq (s->annotations[1].value, "9223372036854775808");
  ck_assert_uint_eq (s->process.rlimits[0].soft, UINT64_C (9223372036854775808));
  ck_assert_uint_eq (s->process.rlimits[0].hard, UINT64_MAX);
  /* Go's unsigned -1 means "not set".  */
  ck_assert (!s->linux.resources->memory.swappiness_set);
  mr_spec_free (s);
}
END_TEST

START_TEST (syntax_error_after_a_huge_number_keeps_its_column)
{
  /* Same length, same error position: one with a number jansson refuses.  */
  assert_parse_error ("{'a': 18446744073709551615, 'b': }",
                      "config.json: line 1, column 34: unexpected token near '}'");
  assert_parse_error ("{'a': -1234567890123456789, 'b': }",
                      "config.json: line 1, column 34: unexpected token near '}'");
}
END_TEST

/* Replaces each value of the full config in turn with one of the wrong
 * type: every parse must fail, name that field, and (under ASan) free what
 * it had built so far.  */
static json_t *
wrong_type (json_t *v)
{
  return json_is_boolean (v) ? json_string ("x") : json_true ();
}

static void
check_wrong_type (json_t *doc, const char *path, size_t *count)
{
  struct mr_error err = { 0 };
  struct mr_spec *spec = NULL;
  char prefix[512];
  char *json = json_dumps (doc, 0);

  ck_assert_ptr_nonnull (json);
  ck_assert_msg (mr_spec_parse ("config.json", json, strlen (json), &spec, &err) < 0,
                 "%s: wrong type accepted", path);
  free (json);
  snprintf (prefix, sizeof prefix, "config.json: %s: ", path);
  ck_assert_msg (strncmp (err.msg, prefix, strlen (prefix)) == 0, "%s: got '%s'", path, err.msg);
  (*count)++;
}

static void
mutate_each (json_t *doc, json_t *node, const char *path, size_t *count)
{
  char sub[512];

  if (json_is_object (node))
    {
      const char *key;
      json_t *v;
      void *tmp;

      json_object_foreach_safe (node, tmp, key, v)
      {
        json_t *saved = json_incref (v);
        snprintf (sub, sizeof sub, "%s%s%s", path, *path ? "." : "", key);
        json_object_set_new (node, key, wrong_type (v));
        check_wrong_type (doc, sub, count);
        json_object_set_new (node, key, saved);
        mutate_each (doc, saved, sub, count);
      }
    }
  else if (json_is_array (node))
    for (size_t i = 0; i < json_array_size (node); i++)
      {
        json_t *saved = json_incref (json_array_get (node, i));
        snprintf (sub, sizeof sub, "%s[%zu]", path, i);
        json_array_set_new (node, i, wrong_type (saved));
        check_wrong_type (doc, sub, count);
        json_array_set_new (node, i, saved);
        mutate_each (doc, saved, sub, count);
      }
}

START_TEST (every_field_of_the_wrong_type_is_rejected_by_name)
{
  char *json = q (full_config);
  json_error_t jerr;
  json_t *doc;
  size_t count = 0;

  /* jansson itself cannot hold the numbers above INT64_MAX */
  for (char *p = json; (p = strstr (p, "18446744073709551615")) != NULL;)
    memcpy (p, "                   1", 20);
  doc = json_loads (json, 0, &jerr);
  ck_assert_msg (doc != NULL, "%s", jerr.text);
  free (json);
  mutate_each (doc, doc, "", &count);
  ck_assert_uint_gt (count, 250);
  json_decref (doc);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Invalid documents, one test case each.  */

static const struct invalid_case
{
  const char *name;
  const char *json;
  const char *msg;
} invalid_cases[] = {
  { "malformed_json_reports_line_and_column", "{'ociVersion': '1.0.2',\n  'root': }",
    "config.json: line 2, column 11: unexpected token near '}'" },
  { "empty_document_is_rejected", "",
    "config.json: line 1, column 0: '[' or '{' expected near end of file" },
  { "duplicate_keys_are_rejected", "{'ociVersion':'1.0.2','ociVersion':'1.0.2'}",
    "config.json: line 1, column 34: duplicate object key near '\"ociVersion\"'" },
  { "number_above_uint64_is_rejected", "{'x': 18446744073709551616}",
    "config.json: line 1, column 26: too big integer near '18446744073709551616'" },
  { "document_must_be_an_object", "[1]", "config.json: expected an object" },
  { "oci_version_2_is_rejected", "{'ociVersion':'2.0.0','root':{'path':'r'}}",
    "config.json: ociVersion: '2.0.0' is not a supported version (want 1.x)" },
  { "oci_version_without_patch_is_rejected", "{'ociVersion':'1.0','root':{'path':'r'}}",
    "config.json: ociVersion: '1.0' is not a supported version (want 1.x)" },
  { "oci_version_is_required", "{'root':{'path':'r'}}",
    "config.json: ociVersion: required field is missing" },
  { "oci_version_must_be_a_string", "{'ociVersion':1,'root':{'path':'r'}}",
    "config.json: ociVersion: expected a string" },
  { "root_is_required", "{'ociVersion':'1.0.2'}", "config.json: root: required field is missing" },
  { "root_must_be_an_object", "{'ociVersion':'1.0.2','root':'rootfs'}",
    "config.json: root: expected an object" },
  { "root_path_is_required", "{'ociVersion':'1.0.2','root':{'readonly':true}}",
    "config.json: root.path: required field is missing" },
  { "root_readonly_must_be_a_boolean", "{'ociVersion':'1.0.2','root':{'path':'r','readonly':1}}",
    "config.json: root.readonly: expected a boolean" },
  { "string_with_nul_byte_is_rejected", HEAD "'hostname':'a\\u0000b'}",
    "config.json: hostname: must not contain a NUL byte" },
  { "process_must_be_an_object", HEAD "'process':['sh']}",
    "config.json: process: expected an object" },
  { "process_args_are_required", HEAD "'process':{'cwd':'/'}}",
    "config.json: process.args: must be a non-empty array of strings" },
  { "process_args_must_not_be_empty", HEAD "'process':{'args':[]}}",
    "config.json: process.args: must be a non-empty array of strings" },
  { "process_args_must_be_an_array", HEAD "'process':{'args':'sh'}}",
    "config.json: process.args: must be a non-empty array of strings" },
  { "process_arg_must_be_a_string", HEAD "'process':{'args':['sh',1]}}",
    "config.json: process.args[1]: expected a string" },
  { "process_cwd_must_be_absolute", PROC ("'cwd':'tmp'"),
    "config.json: process.cwd: 'tmp' is not an absolute path" },
  { "process_env_needs_name_and_value", PROC ("'env':['A=1','FOO']"),
    "config.json: process.env[1]: 'FOO' is not of the form NAME=VALUE" },
  { "process_terminal_must_be_a_boolean", PROC ("'terminal':'yes'"),
    "config.json: process.terminal: expected a boolean" },
  { "console_size_needs_width", PROC ("'consoleSize':{'height':24}"),
    "config.json: process.consoleSize.width: required field is missing" },
  { "user_uid_must_be_an_integer", PROC ("'user':{'uid':'0'}"),
    "config.json: process.user.uid: expected an integer" },
  { "user_gid_must_not_be_fractional", PROC ("'user':{'gid':1.5}"),
    "config.json: process.user.gid: expected an integer" },
  { "user_uid_must_fit_32_bits", PROC ("'user':{'uid':4294967296}"),
    "config.json: process.user.uid: 4294967296 is out of range (0..4294967295)" },
  { "user_umask_above_0777_is_rejected", PROC ("'user':{'umask':512}"),
    "config.json: process.user.umask: 512 is out of range (0..511)" },
  { "additional_gid_must_not_be_negative", PROC ("'user':{'additionalGids':[1,-2]}"),
    "config.json: process.user.additionalGids[1]: expected a non-negative integer" },
  { "capabilities_must_be_an_object", PROC ("'capabilities':['CAP_KILL']"),
    "config.json: process.capabilities: expected an object" },
  { "scheduler_policy_is_required", PROC ("'scheduler':{'nice':1}"),
    "config.json: process.scheduler.policy: required field is missing" },
  { "scheduler_unknown_policy_is_rejected", PROC ("'scheduler':{'policy':'SCHED_X'}"),
    "config.json: process.scheduler.policy: unknown scheduling policy 'SCHED_X'" },
  { "scheduler_nice_above_19_is_rejected", PROC ("'scheduler':{'policy':'SCHED_OTHER','nice':20}"),
    "config.json: process.scheduler.nice: 20 is out of range (-20..19)" },
  { "scheduler_fifo_needs_a_priority", PROC ("'scheduler':{'policy':'SCHED_FIFO'}"),
    "config.json: process.scheduler.priority: SCHED_FIFO needs a priority of 1 to 99" },
  { "io_priority_unknown_class_is_rejected", PROC ("'ioPriority':{'class':'IOPRIO_CLASS_X'}"),
    "config.json: process.ioPriority.class: unknown I/O priority class 'IOPRIO_CLASS_X'" },
  { "io_priority_above_7_is_rejected",
    PROC ("'ioPriority':{'class':'IOPRIO_CLASS_BE','priority':8}"),
    "config.json: process.ioPriority.priority: 8 is out of range (0..7)" },
  { "personality_unknown_domain_is_rejected", PROC ("'personality':{'domain':'SVR4'}"),
    "config.json: process.personality.domain: unknown personality domain 'SVR4'" },
  { "exec_cpu_affinity_must_be_a_cpu_list", PROC ("'execCPUAffinity':{'final':'1-'}"),
    "config.json: process.execCPUAffinity.final: '1-' is not a cpu list (as \"0-3,7\")" },
  { "capability_set_must_be_an_array", PROC ("'capabilities':{'ambient':'CAP_KILL'}"),
    "config.json: process.capabilities.ambient: expected an array" },
  { "rlimit_unknown_type_is_rejected",
    PROC ("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},"
          "{'type':'RLIMIT_CORE','soft':1,'hard':1},{'type':'RLIMIT_TEST','soft':1,'hard':1}]"),
    "config.json: process.rlimits[2].type: unknown rlimit 'RLIMIT_TEST'" },
  { "rlimit_duplicate_type_is_rejected",
    PROC ("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},"
          "{'type':'RLIMIT_NOFILE','soft':2,'hard':2}]"),
    "config.json: process.rlimits[1].type: duplicate rlimit 'RLIMIT_NOFILE'" },
  { "rlimit_soft_above_hard_is_rejected",
    PROC ("'rlimits':[{'type':'RLIMIT_NOFILE','soft':2048,'hard':1024}]"),
    "config.json: process.rlimits[0]: soft limit 2048 is greater than hard limit 1024" },
  { "rlimit_hard_is_required", PROC ("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1}]"),
    "config.json: process.rlimits[0].hard: required field is missing" },
  { "rlimit_type_is_required", PROC ("'rlimits':[{'soft':1,'hard':1}]"),
    "config.json: process.rlimits[0].type: required field is missing" },
  { "rlimit_negative_soft_is_rejected",
    PROC ("'rlimits':[{'type':'RLIMIT_CPU','soft':-1,'hard':1}]"),
    "config.json: process.rlimits[0].soft: expected a non-negative integer" },
  { "rlimit_entry_must_be_an_object", PROC ("'rlimits':['RLIMIT_CPU']"),
    "config.json: process.rlimits[0]: expected an object" },
  { "oom_score_adj_above_1000_is_rejected", PROC ("'oomScoreAdj':1001"),
    "config.json: process.oomScoreAdj: 1001 is out of range (-1000..1000)" },
  { "oom_score_adj_below_minus_1000_is_rejected", PROC ("'oomScoreAdj':-1001"),
    "config.json: process.oomScoreAdj: -1001 is out of range (-1000..1000)" },
  { "no_new_privileges_must_be_a_boolean", PROC ("'noNewPrivileges':1"),
    "config.json: process.noNewPrivileges: expected a boolean" },
  { "apparmor_profile_must_be_a_string", PROC ("'apparmorProfile':{}"),
    "config.json: process.apparmorProfile: expected a string" },
  { "mounts_must_be_an_array", HEAD "'mounts':{}}", "config.json: mounts: expected an array" },
  { "mount_must_be_an_object", HEAD "'mounts':['/proc']}",
    "config.json: mounts[0]: expected an object" },
  { "mount_destination_is_required", HEAD "'mounts':[{'type':'proc','source':'proc'}]}",
    "config.json: mounts[0].destination: required field is missing" },
  { "mount_destination_must_be_absolute",
    HEAD "'mounts':[{'destination':'/a'},{'destination':'proc','type':'proc'}]}",
    "config.json: mounts[1].destination: 'proc' is not an absolute path" },
  { "mount_options_must_be_an_array", HEAD "'mounts':[{'destination':'/a','options':'ro'}]}",
    "config.json: mounts[0].options: expected an array" },
  { "mount_option_must_be_a_string", HEAD "'mounts':[{'destination':'/a','options':['ro',true]}]}",
    "config.json: mounts[0].options[1]: expected a string" },
  { "mount_option_must_not_be_empty", HEAD "'mounts':[{'destination':'/a','options':['']}]}",
    "config.json: mounts[0].options[0]: empty mount option" },
  { "mount_idmap_needs_a_user_namespace",
    HEAD "'mounts':[{'destination':'/a','source':'/b','options':['bind','idmap']}]}",
    "config.json: mounts[0]: an id-mapped mount needs a user namespace (add {\"type\": "
    "\"user\"} with linux.uidMappings and linux.gidMappings)" },
  { "mount_uid_mappings_need_gid_mappings",
    HEAD "'mounts':[{'destination':'/a','source':'/b','options':['bind'],"
         "'uidMappings':[{'containerID':0,'hostID':1,'size':1}]}]}",
    "config.json: mounts[0]: an id-mapped mount needs both uidMappings and gidMappings" },
  { "mount_mapping_size_must_be_positive",
    HEAD "'mounts':[{'destination':'/a','source':'/b','options':['bind'],"
         "'uidMappings':[{'containerID':0,'hostID':1,'size':0}]}]}",
    "config.json: mounts[0].uidMappings[0].size: must be greater than 0" },
  { "idmapped_mount_must_be_a_bind",
    HEAD "'mounts':[{'destination':'/a','type':'tmpfs','options':['idmap']}]}",
    "config.json: mounts[0]: an id-mapped mount must be a bind mount" },
  { "bind_mount_needs_a_source", HEAD "'mounts':[{'destination':'/a','type':'bind'}]}",
    "config.json: mounts[0].source: required for a bind mount" },
  { "mount_type_must_be_a_string", HEAD "'mounts':[{'destination':'/a','type':7}]}",
    "config.json: mounts[0].type: expected a string" },
  { "hooks_must_be_an_object", HEAD "'hooks':[]}", "config.json: hooks: expected an object" },
  { "hook_list_must_be_an_array", HEAD "'hooks':{'poststart':{'path':'/x'}}}",
    "config.json: hooks.poststart: expected an array" },
  { "hook_path_is_required", HEAD "'hooks':{'prestart':[{'args':['x']}]}}",
    "config.json: hooks.prestart[0].path: required field is missing" },
  { "hook_path_must_be_absolute", HEAD "'hooks':{'poststop':[{'path':'/a'},{'path':'hook'}]}}",
    "config.json: hooks.poststop[1].path: 'hook' is not an absolute path" },
  { "hook_timeout_must_be_positive", HEAD "'hooks':{'createRuntime':[{'path':'/x','timeout':0}]}}",
    "config.json: hooks.createRuntime[0].timeout: must be greater than 0" },
  { "hook_args_must_be_strings", HEAD "'hooks':{'startContainer':[{'path':'/x','args':[1]}]}}",
    "config.json: hooks.startContainer[0].args[0]: expected a string" },
  { "annotation_value_must_be_a_string", HEAD "'annotations':{'a':'b','c':1}}",
    "config.json: annotations.c: expected a string" },
  { "annotation_value_must_not_be_a_huge_number", HEAD "'annotations':{'c':18446744073709551615}}",
    "config.json: annotations.c: expected a string" },
  { "linux_must_be_an_object", HEAD "'linux':[]}", "config.json: linux: expected an object" },
  { "namespace_unknown_type_is_rejected", LINUX ("'namespaces':[{'type':'pid'},{'type':'foo'}]"),
    "config.json: linux.namespaces[1].type: unknown namespace type 'foo'" },
  { "namespace_duplicate_type_is_rejected",
    LINUX ("'namespaces':[{'type':'pid'},{'type':'pid','path':'/proc/1/ns/pid'}]"),
    "config.json: linux.namespaces[1].type: duplicate namespace type 'pid'" },
  { "namespace_type_is_required", LINUX ("'namespaces':[{'path':'/proc/1/ns/net'}]"),
    "config.json: linux.namespaces[0].type: required field is missing" },
  { "namespace_type_net_is_not_a_name", LINUX ("'namespaces':[{'type':'net','path':'x'}]"),
    "config.json: linux.namespaces[0].type: unknown namespace type 'net'" },
  { "namespace_join_path_must_be_absolute",
    LINUX ("'namespaces':[{'type':'network','path':'proc/1/ns/net'}]"),
    "config.json: linux.namespaces[0].path: 'proc/1/ns/net' is not an absolute path" },
  { "uid_mappings_without_user_namespace_are_rejected",
    LINUX ("'namespaces':[{'type':'pid'}],'uidMappings':[{'containerID':0,'hostID':1000,"
           "'size':1}]"),
    "config.json: linux.uidMappings: mappings given without a user namespace" },
  { "gid_mappings_without_user_namespace_are_rejected",
    LINUX ("'gidMappings':[{'containerID':0,'hostID':1000,'size':1}]"),
    "config.json: linux.gidMappings: mappings given without a user namespace" },
  { "new_user_namespace_needs_mappings",
    LINUX ("'namespaces':[{'type':'pid'},{'type':'user'}],"
           "'uidMappings':[{'containerID':0,'hostID':1000,'size':1}]"),
    "config.json: linux.namespaces[1]: a new user namespace needs linux.uidMappings and "
    "linux.gidMappings" },
  { "id_mapping_size_must_be_positive",
    LINUX ("'namespaces':[{'type':'user'}],'uidMappings':[{'containerID':0,'hostID':1,"
           "'size':0}]"),
    "config.json: linux.uidMappings[0].size: must be greater than 0" },
  { "id_mapping_host_id_is_required",
    LINUX ("'namespaces':[{'type':'user'}],'gidMappings':[{'containerID':0,'size':1}]"),
    "config.json: linux.gidMappings[0].hostID: required field is missing" },
  { "sysctl_value_must_be_a_string", LINUX ("'sysctl':{'net.ipv4.ip_forward':1}"),
    "config.json: linux.sysctl.net.ipv4.ip_forward: expected a string" },
  { "device_unknown_type_is_rejected",
    LINUX ("'devices':[{'type':'x','path':'/dev/x','major':1,'minor':1}]"),
    "config.json: linux.devices[0].type: unknown device type 'x' (want c, b, u or p)" },
  { "device_path_must_be_absolute",
    LINUX ("'devices':[{'type':'c','path':'dev/x','major':1,'minor':1}]"),
    "config.json: linux.devices[0].path: 'dev/x' is not an absolute path" },
  { "char_device_needs_a_major_number", LINUX ("'devices':[{'type':'c','path':'/dev/x'}]"),
    "config.json: linux.devices[0].major: required field is missing" },
  { "device_file_mode_above_a_full_st_mode_is_rejected",
    LINUX ("'devices':[{'type':'b','path':'/dev/x','major':1,'minor':1,'fileMode':65536}]"),
    "config.json: linux.devices[0].fileMode: 65536 is out of range (0..65535)" },
  { "device_file_mode_type_bits_must_match_the_type",
    LINUX ("'devices':[{'type':'b','path':'/dev/x','major':1,'minor':1,'fileMode':8630}]"),
    "config.json: linux.devices[0].fileMode: file type bits 0020000 do not match device type "
    "'b'" },
  { "device_file_mode_of_a_regular_file_is_rejected",
    LINUX ("'devices':[{'type':'c','path':'/dev/x','major':1,'minor':1,'fileMode':33188}]"),
    "config.json: linux.devices[0].fileMode: file type bits 0100000 do not match device type "
    "'c'" },
  { "fifo_file_mode_with_char_bits_is_rejected",
    LINUX ("'devices':[{'type':'p','path':'/dev/x','fileMode':8630}]"),
    "config.json: linux.devices[0].fileMode: file type bits 0020000 do not match device type "
    "'p'" },
  { "resources_must_be_an_object", LINUX ("'resources':[]"),
    "config.json: linux.resources: expected an object" },
  { "device_rule_allow_is_required", LINUX ("'resources':{'devices':[{'access':'rwm'}]}"),
    "config.json: linux.resources.devices[0].allow: required field is missing" },
  { "device_rule_access_must_be_a_subset_of_rwm",
    LINUX ("'resources':{'devices':[{'allow':true,'access':'rwx'}]}"),
    "config.json: linux.resources.devices[0].access: 'rwx' is not a subset of 'rwm'" },
  { "device_rule_access_must_not_repeat",
    LINUX ("'resources':{'devices':[{'allow':true,'access':'rr'}]}"),
    "config.json: linux.resources.devices[0].access: 'rr' is not a subset of 'rwm'" },
  { "device_rule_type_must_be_a_b_or_c",
    LINUX ("'resources':{'devices':[{'allow':true,'type':'p'}]}"),
    "config.json: linux.resources.devices[0].type: unknown device type 'p' (want a, b or c)" },
  { "memory_limit_must_be_an_integer", LINUX ("'resources':{'memory':{'limit':'1g'}}"),
    "config.json: linux.resources.memory.limit: expected an integer" },
  { "memory_limit_below_minus_one_is_rejected", LINUX ("'resources':{'memory':{'limit':-2}}"),
    "config.json: linux.resources.memory.limit: -2 is out of range (-1..9223372036854775807)" },
  { "memory_swappiness_above_100_is_rejected", LINUX ("'resources':{'memory':{'swappiness':101}}"),
    "config.json: linux.resources.memory.swappiness: 101 is out of range (0..100)" },
  { "cpu_shares_must_not_be_negative", LINUX ("'resources':{'cpu':{'shares':-5}}"),
    "config.json: linux.resources.cpu.shares: expected a non-negative integer" },
  { "cpu_cpus_must_be_a_string", LINUX ("'resources':{'cpu':{'cpus':3}}"),
    "config.json: linux.resources.cpu.cpus: expected a string" },
  { "blkio_weight_below_10_is_rejected", LINUX ("'resources':{'blockIO':{'weight':5}}"),
    "config.json: linux.resources.blockIO.weight: 5 is out of range (10..1000)" },
  { "blkio_leaf_weight_above_1000_is_rejected",
    LINUX ("'resources':{'blockIO':{'leafWeight':1001}}"),
    "config.json: linux.resources.blockIO.leafWeight: 1001 is out of range (10..1000)" },
  { "blkio_weight_device_needs_major",
    LINUX ("'resources':{'blockIO':{'weightDevice':[{'minor':0,'weight':100}]}}"),
    "config.json: linux.resources.blockIO.weightDevice[0].major: required field is missing" },
  { "blkio_weight_device_needs_a_weight",
    LINUX ("'resources':{'blockIO':{'weightDevice':[{'major':8,'minor':0}]}}"),
    "config.json: linux.resources.blockIO.weightDevice[0]: neither weight nor leafWeight is set" },
  { "blkio_weight_device_weight_below_10_is_rejected",
    LINUX ("'resources':{'blockIO':{'weightDevice':[{'major':8,'minor':0,'weight':9}]}}"),
    "config.json: linux.resources.blockIO.weightDevice[0].weight: 9 is out of range (10..1000)" },
  { "blkio_weight_device_must_be_an_object",
    LINUX ("'resources':{'blockIO':{'weightDevice':['8:0 100']}}"),
    "config.json: linux.resources.blockIO.weightDevice[0]: expected an object" },
  { "blkio_throttle_needs_a_rate",
    LINUX ("'resources':{'blockIO':{'throttleWriteIOPSDevice':[{'major':8,'minor':0}]}}"),
    "config.json: linux.resources.blockIO.throttleWriteIOPSDevice[0].rate: required field is "
    "missing" },
  { "blkio_throttle_minor_must_not_be_negative",
    LINUX ("'resources':{'blockIO':{'throttleReadBpsDevice':[{'major':8,'minor':-1,'rate':1}]}}"),
    "config.json: linux.resources.blockIO.throttleReadBpsDevice[0].minor: expected a non-negative "
    "integer" },
  { "blkio_throttle_major_above_uint32_is_rejected",
    LINUX ("'resources':{'blockIO':{'throttleWriteBpsDevice':"
           "[{'major':4294967296,'minor':0,'rate':1}]}}"),
    "config.json: linux.resources.blockIO.throttleWriteBpsDevice[0].major: 4294967296 is out of "
    "range (0..4294967295)" },
  { "blkio_throttle_must_be_an_array",
    LINUX ("'resources':{'blockIO':{'throttleReadIOPSDevice':{'major':8}}}"),
    "config.json: linux.resources.blockIO.throttleReadIOPSDevice: expected an array" },
  { "hugepage_size_needs_a_unit",
    LINUX ("'resources':{'hugepageLimits':[{'pageSize':'2048','limit':1}]}"),
    "config.json: linux.resources.hugepageLimits[0].pageSize: '2048' is not a huge page size (want "
    "a number and KB, MB or GB, as in '2MB')" },
  { "hugepage_size_unit_is_upper_case",
    LINUX ("'resources':{'hugepageLimits':[{'pageSize':'2MB','limit':1},"
           "{'pageSize':'1gb','limit':1}]}"),
    "config.json: linux.resources.hugepageLimits[1].pageSize: '1gb' is not a huge page size (want "
    "a number and KB, MB or GB, as in '2MB')" },
  { "hugepage_size_needs_a_number",
    LINUX ("'resources':{'hugepageLimits':[{'pageSize':'MB','limit':1}]}"),
    "config.json: linux.resources.hugepageLimits[0].pageSize: 'MB' is not a huge page size (want a "
    "number and KB, MB or GB, as in '2MB')" },
  { "hugepage_size_must_not_name_a_path",
    LINUX ("'resources':{'hugepageLimits':[{'pageSize':'2MB/../x','limit':1}]}"),
    "config.json: linux.resources.hugepageLimits[0].pageSize: '2MB/../x' is not a huge page size "
    "(want a number and KB, MB or GB, as in '2MB')" },
  { "hugepage_size_is_required", LINUX ("'resources':{'hugepageLimits':[{'limit':1}]}"),
    "config.json: linux.resources.hugepageLimits[0].pageSize: required field is missing" },
  { "hugepage_limit_is_required", LINUX ("'resources':{'hugepageLimits':[{'pageSize':'2MB'}]}"),
    "config.json: linux.resources.hugepageLimits[0].limit: required field is missing" },
  { "hugepage_limit_must_not_be_negative",
    LINUX ("'resources':{'hugepageLimits':[{'pageSize':'2MB','limit':-1}]}"),
    "config.json: linux.resources.hugepageLimits[0].limit: expected a non-negative integer" },
  { "hugepage_size_twice_is_rejected",
    LINUX ("'resources':{'hugepageLimits':[{'pageSize':'2MB','limit':1},"
           "{'pageSize':'2MB','limit':2}]}"),
    "config.json: linux.resources.hugepageLimits[1].pageSize: duplicate page size '2MB'" },
  { "network_class_id_above_uint32_is_rejected",
    LINUX ("'resources':{'network':{'classID':4294967296}}"),
    "config.json: linux.resources.network.classID: 4294967296 is out of range (0..4294967295)" },
  { "network_priority_needs_a_name",
    LINUX ("'resources':{'network':{'priorities':[{'priority':1}]}}"),
    "config.json: linux.resources.network.priorities[0].name: required field is missing" },
  { "network_priority_is_required",
    LINUX ("'resources':{'network':{'priorities':[{'name':'eth0'}]}}"),
    "config.json: linux.resources.network.priorities[0].priority: required field is missing" },
  { "network_priority_name_with_space_is_rejected",
    LINUX ("'resources':{'network':{'priorities':[{'name':'eth0 1','priority':1}]}}"),
    "config.json: linux.resources.network.priorities[0].name: 'eth0 1' is not a valid interface "
    "name" },
  { "network_priority_name_too_long_is_rejected",
    LINUX ("'resources':{'network':{'priorities':[{'name':'abcdefghijklmnop','priority':1}]}}"),
    "config.json: linux.resources.network.priorities[0].name: 'abcdefghijklmnop' is not a valid "
    "interface name" },
  { "rdma_must_be_an_object", LINUX ("'resources':{'rdma':[]}"),
    "config.json: linux.resources.rdma: expected an object" },
  { "rdma_device_limits_must_be_an_object", LINUX ("'resources':{'rdma':{'mlx5_0':3}}"),
    "config.json: linux.resources.rdma.mlx5_0: expected an object" },
  { "rdma_device_name_with_space_is_rejected",
    LINUX ("'resources':{'rdma':{'mlx5 0':{'hcaHandles':1}}}"),
    "config.json: linux.resources.rdma.mlx5 0: 'mlx5 0' is not a valid rdma device name" },
  { "rdma_hca_handles_must_not_be_negative",
    LINUX ("'resources':{'rdma':{'mlx5_0':{'hcaHandles':-1}}}"),
    "config.json: linux.resources.rdma.mlx5_0.hcaHandles: expected a non-negative integer" },
  { "pids_limit_must_be_an_integer", LINUX ("'resources':{'pids':{'limit':true}}"),
    "config.json: linux.resources.pids.limit: expected an integer" },
  { "unified_value_must_be_a_string", LINUX ("'resources':{'unified':{'memory.max':1024}}"),
    "config.json: linux.resources.unified.memory.max: expected a string" },
  { "rootfs_propagation_unknown_is_rejected", LINUX ("'rootfsPropagation':'sideways'"),
    "config.json: linux.rootfsPropagation: unknown propagation 'sideways'" },
  { "masked_path_must_be_absolute", LINUX ("'maskedPaths':['/proc/kcore','proc/keys']"),
    "config.json: linux.maskedPaths[1]: 'proc/keys' is not an absolute path" },
  { "readonly_paths_must_be_an_array", LINUX ("'readonlyPaths':'/proc/sys'"),
    "config.json: linux.readonlyPaths: expected an array" },
  { "seccomp_must_be_an_object", LINUX ("'seccomp':'default'"),
    "config.json: linux.seccomp: expected an object" },
  { "seccomp_default_action_is_required", LINUX ("'seccomp':{'syscalls':[]}"),
    "config.json: linux.seccomp.defaultAction: required field is missing" },
  { "seccomp_unknown_default_action_is_rejected",
    LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_MAYBE'}"),
    "config.json: linux.seccomp.defaultAction: unknown action 'SCMP_ACT_MAYBE'" },
  { "seccomp_notify_cannot_be_the_default",
    LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_NOTIFY','listenerPath':'/s'}"),
    "config.json: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action" },
  { "seccomp_architecture_needs_scmp_arch_prefix",
    LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','architectures':['x86_64']}"),
    "config.json: linux.seccomp.architectures[0]: unknown architecture 'x86_64'" },
  { "seccomp_unknown_flag_is_rejected",
    LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_TSYNC',"
           "'SECCOMP_FILTER_FLAG_FAST']}"),
    "config.json: linux.seccomp.flags[1]: unknown flag 'SECCOMP_FILTER_FLAG_FAST'" },
  { "seccomp_syscall_names_must_not_be_empty",
    LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],"
           "'action':'SCMP_ACT_ERRNO'}]}"),
    "config.json: linux.seccomp.syscalls[0].names: must be a non-empty array of strings" },
  { "seccomp_syscall_action_is_required",
    LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read']}]}"),
    "config.json: linux.seccomp.syscalls[0].action: required field is missing" },
  { "seccomp_syscall_unknown_action_is_rejected",
    LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],"
           "'action':'SCMP_ACT_PANIC'}]}"),
    "config.json: linux.seccomp.syscalls[0].action: unknown action 'SCMP_ACT_PANIC'" },
  { "seccomp_arg_index_above_5_is_rejected",
    LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],"
           "'action':'SCMP_ACT_ERRNO','args':[{'index':6,'value':1,'op':'SCMP_CMP_EQ'}]}]}"),
    "config.json: linux.seccomp.syscalls[0].args[0].index: 6 is out of range (0..5)" },
  { "seccomp_arg_unknown_operator_is_rejected",
    LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],"
           "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,'op':'SCMP_CMP_XOR'}]}]}"),
    "config.json: linux.seccomp.syscalls[0].args[0].op: unknown operator 'SCMP_CMP_XOR'" },
  { "seccomp_arg_value_is_required",
    LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],"
           "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'op':'SCMP_CMP_EQ'}]}]}"),
    "config.json: linux.seccomp.syscalls[0].args[0].value: required field is missing" },
  { "seccomp_notify_needs_a_listener_path",
    LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mount'],"
           "'action':'SCMP_ACT_NOTIFY'}]}"),
    "config.json: linux.seccomp.listenerPath: required when an action is SCMP_ACT_NOTIFY" },
  { "seccomp_listener_metadata_must_be_a_string",
    LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','listenerMetadata':7}"),
    "config.json: linux.seccomp.listenerMetadata: expected a string" },
  { "seccomp_errno_ret_needs_errno_or_trace",
    LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','syscalls':[{'names':['read'],"
           "'action':'SCMP_ACT_ALLOW','errnoRet':1}]}"),
    "config.json: linux.seccomp.syscalls[0].errnoRet: only valid with SCMP_ACT_ERRNO and "
    "SCMP_ACT_TRACE" },
  { "hostname_needs_a_uts_namespace", HEAD "'hostname':'box','linux':{'namespaces':[]}}",
    "config.json: hostname: cannot be set without a uts namespace" },
  { "net_sysctl_needs_a_network_namespace",
    LINUX ("'namespaces':[{'type':'ipc'}],'sysctl':{'net.ipv4.ip_forward':'1'}"),
    "config.json: linux.sysctl: sysctl 'net.ipv4.ip_forward' is not allowed: the container "
    "shares the host's network namespace" },
  { "net_sysctl_in_slash_form_needs_a_network_namespace",
    LINUX ("'namespaces':[],'sysctl':{'net/ipv4/ip_forward':'1'}"),
    "config.json: linux.sysctl: sysctl 'net/ipv4/ip_forward' is not allowed: the container "
    "shares the host's network namespace" },
  { "net_sysctl_in_the_joined_own_network_namespace_is_the_hosts",
    LINUX ("'namespaces':[{'type':'network','path':'/proc/self/ns/net'}],"
           "'sysctl':{'net.core.somaxconn':'1'}"),
    "config.json: linux.sysctl: sysctl 'net.core.somaxconn' is not allowed: the container "
    "shares the host's network namespace" },
  { "ipc_sysctl_needs_an_ipc_namespace",
    LINUX ("'namespaces':[{'type':'network'}],'sysctl':{'kernel.shm_rmid_forced':'1'}"),
    "config.json: linux.sysctl: sysctl 'kernel.shm_rmid_forced' is not allowed: the container "
    "shares the host's ipc namespace" },
  { "mqueue_sysctl_needs_an_ipc_namespace",
    LINUX ("'namespaces':[],'sysctl':{'fs.mqueue.msg_max':'1'}"),
    "config.json: linux.sysctl: sysctl 'fs.mqueue.msg_max' is not allowed: the container "
    "shares the host's ipc namespace" },
  { "hostname_sysctl_needs_a_uts_namespace",
    LINUX ("'namespaces':[],'sysctl':{'kernel.hostname':'x'}"),
    "config.json: linux.sysctl: sysctl 'kernel.hostname' is not allowed: the container "
    "shares the host's uts namespace" },
  { "hostname_sysctl_conflicts_with_the_hostname_field",
    HEAD "'hostname':'box','linux':{'namespaces':[{'type':'uts'}],"
         "'sysctl':{'kernel.hostname':'x'}}}",
    "config.json: linux.sysctl: sysctl 'kernel.hostname' is not allowed: it conflicts with the "
    "'hostname' field" },
  { "domainname_sysctl_conflicts_with_the_domainname_field",
    HEAD "'domainname':'example.org','linux':{'namespaces':[{'type':'uts'}],"
         "'sysctl':{'kernel.domainname':'x'}}}",
    "config.json: linux.sysctl: sysctl 'kernel.domainname' is not allowed: it conflicts with "
    "the 'domainname' field" },
  { "host_sysctl_is_refused_whatever_the_namespaces",
    LINUX ("'namespaces':[{'type':'network'},{'type':'ipc'},{'type':'uts'},{'type':'user'}],"
           "'uidMappings':[{'containerID':0,'hostID':1000,'size':1}],"
           "'gidMappings':[{'containerID':0,'hostID':1000,'size':1}],"
           "'sysctl':{'vm.swappiness':'10'}"),
    "config.json: linux.sysctl: sysctl 'vm.swappiness' is not allowed: it is not in a namespace "
    "of the container" },
  { "kernel_sysctl_outside_ipc_and_uts_is_refused",
    LINUX ("'namespaces':[{'type':'ipc'},{'type':'uts'}],'sysctl':{'kernel.msgmaxx':'1'}"),
    "config.json: linux.sysctl: sysctl 'kernel.msgmaxx' is not allowed: it is not in a "
    "namespace of the container" },
};

START_TEST (device_file_mode_keeps_the_permission_bits)
{
  struct mr_error err = { 0 };
  struct mr_spec *spec = NULL;
  char *json = q (LINUX ("'devices':[{'type':'c','path':'/dev/a','major':1,'minor':3,"
                         "'fileMode':8630},"
                         "{'type':'u','path':'/dev/b','major':1,'minor':5,'fileMode':8576},"
                         "{'type':'b','path':'/dev/c','major':7,'minor':0,'fileMode':25008},"
                         "{'type':'p','path':'/dev/d','fileMode':4516},"
                         "{'type':'c','path':'/dev/e','major':1,'minor':7,'fileMode':438}]"));
  int r = mr_spec_parse ("config.json", json, strlen (json), &spec, &err);

  free (json);
  ck_assert_msg (r == 0, "%s", err.msg);
  ck_assert_uint_eq (spec->linux.n_devices, 5);
  ck_assert_uint_eq (spec->linux.devices[0].file_mode, 0666);
  ck_assert_uint_eq (spec->linux.devices[1].file_mode, 0600);
  ck_assert_uint_eq (spec->linux.devices[2].file_mode, 0660);
  ck_assert_uint_eq (spec->linux.devices[3].file_mode, 0644);
  ck_assert_uint_eq (spec->linux.devices[4].file_mode, 0666);
  mr_spec_free (spec);
}
END_TEST

START_TEST (namespaced_sysctls_are_accepted)
{
  struct mr_error err = { 0 };
  struct mr_spec *spec = NULL;
  char *json = q (LINUX ("'namespaces':[{'type':'ipc'},{'type':'uts'},"
                         "{'type':'network','path':'/run/netns/elsewhere'}],"
                         "'sysctl':{'kernel.msgmax':'1','kernel.sem':'1 2 3 4',"
                         "'fs.mqueue.queues_max':'3','net.ipv4.ip_forward':'1',"
                         "'kernel.domainname':'x','kernel.hostname':'y'}"));
  int r = mr_spec_parse ("config.json", json, strlen (json), &spec, &err);

  free (json);
  ck_assert_msg (r == 0, "%s", err.msg);
  ck_assert_uint_eq (spec->linux.n_sysctl, 6);
  mr_spec_free (spec);
}
END_TEST

START_TEST (invalid_config_is_rejected)
{
  const struct invalid_case *c = &invalid_cases[_i];
  struct mr_error err = { 0 };
  struct mr_spec *spec = (struct mr_spec *)1;
  char *json = q (c->json);
  int r = mr_spec_parse ("config.json", json, strlen (json), &spec, &err);

  free (json);
  ck_assert_msg (r < 0, "%s: accepted", c->name);
  ck_assert_ptr_null (spec);
  ck_assert_msg (strcmp (err.msg, c->msg) == 0, "%s:\n got:  %s\n want: %s", c->name, err.msg,
                 c->msg);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Mount options, one test case each.  */

static const struct option_case
{
  const char *name;
  const char *option;
  unsigned long flags;
  unsigned long clear;
  unsigned long propagation;
  const char *data;
} option_cases[] = {
  { "mount_option_ro_sets_rdonly", "ro", MS_RDONLY, 0, 0, NULL },
  { "mount_option_rw_clears_rdonly", "rw", 0, MS_RDONLY, 0, NULL },
  { "mount_option_nosuid", "nosuid", MS_NOSUID, 0, 0, NULL },
  { "mount_option_suid", "suid", 0, MS_NOSUID, 0, NULL },
  { "mount_option_nodev", "nodev", MS_NODEV, 0, 0, NULL },
  { "mount_option_dev", "dev", 0, MS_NODEV, 0, NULL },
  { "mount_option_noexec", "noexec", MS_NOEXEC, 0, 0, NULL },
  { "mount_option_exec", "exec", 0, MS_NOEXEC, 0, NULL },
  { "mount_option_sync", "sync", MS_SYNCHRONOUS, 0, 0, NULL },
  { "mount_option_async", "async", 0, MS_SYNCHRONOUS, 0, NULL },
  { "mount_option_dirsync", "dirsync", MS_DIRSYNC, 0, 0, NULL },
  { "mount_option_remount", "remount", MS_REMOUNT, 0, 0, NULL },
  { "mount_option_mand", "mand", MS_MANDLOCK, 0, 0, NULL },
  { "mount_option_nomand", "nomand", 0, MS_MANDLOCK, 0, NULL },
  { "mount_option_atime", "atime", 0, MS_NOATIME, 0, NULL },
  { "mount_option_noatime", "noatime", MS_NOATIME, 0, 0, NULL },
  { "mount_option_diratime", "diratime", 0, MS_NODIRATIME, 0, NULL },
  { "mount_option_nodiratime", "nodiratime", MS_NODIRATIME, 0, 0, NULL },
  { "mount_option_relatime", "relatime", MS_RELATIME, 0, 0, NULL },
  { "mount_option_norelatime", "norelatime", 0, MS_RELATIME, 0, NULL },
  { "mount_option_strictatime", "strictatime", MS_STRICTATIME, 0, 0, NULL },
  { "mount_option_nostrictatime", "nostrictatime", 0, MS_STRICTATIME, 0, NULL },
  { "mount_option_bind", "bind", MS_BIND, 0, 0, NULL },
  { "mount_option_rbind_is_recursive", "rbind", MS_BIND | MS_REC, 0, 0, NULL },
  { "mount_option_private", "private", 0, 0, MS_PRIVATE, NULL },
  { "mount_option_rprivate", "rprivate", 0, 0, MS_PRIVATE | MS_REC, NULL },
  { "mount_option_shared", "shared", 0, 0, MS_SHARED, NULL },
  { "mount_option_rshared", "rshared", 0, 0, MS_SHARED | MS_REC, NULL },
  { "mount_option_slave", "slave", 0, 0, MS_SLAVE, NULL },
  { "mount_option_rslave", "rslave", 0, 0, MS_SLAVE | MS_REC, NULL },
  { "mount_option_unbindable", "unbindable", 0, 0, MS_UNBINDABLE, NULL },
  { "mount_option_runbindable", "runbindable", 0, 0, MS_UNBINDABLE | MS_REC, NULL },
  { "mount_option_defaults_changes_nothing", "defaults", 0, 0, 0, NULL },
  { "mount_option_mode_goes_to_data", "mode=755", 0, 0, 0, "mode=755" },
  { "mount_option_newinstance_goes_to_data", "newinstance", 0, 0, 0, "newinstance" },
  { "mount_option_size_goes_to_data", "size=65536k", 0, 0, 0, "size=65536k" },
};

START_TEST (mount_option_is_translated)
{
  const struct option_case *c = &option_cases[_i];
  char doc[256];
  struct mr_spec *s;

  snprintf (doc, sizeof doc, HEAD "'mounts':[{'destination':'/m','source':'/s','options':['%s']}]}",
            c->option);
  s = parse_ok (doc);
  ck_assert_msg (s->mounts[0].flags == c->flags, "%s: flags %#lx", c->option, s->mounts[0].flags);
  ck_assert_msg (s->mounts[0].clear_flags == c->clear, "%s: clear %#lx", c->option,
                 s->mounts[0].clear_flags);
  ck_assert_msg (s->mounts[0].propagation == c->propagation, "%s: propagation %#lx", c->option,
                 s->mounts[0].propagation);
  if (c->data)
    ck_assert_str_eq (s->mounts[0].data, c->data);
  else
    ck_assert_ptr_null (s->mounts[0].data);
  ck_assert (!s->mounts[0].tmpcopyup);
  mr_spec_free (s);
}
END_TEST

START_TEST (recursive_mount_options_become_attributes)
{
  struct mr_spec *s = parse_ok (HEAD "'mounts':[{'destination':'/m','type':'bind','source':'/s',"
                                     "'options':['rbind','rro','rnosuid','rsuid','rnodev',"
                                     "'rnoatime','rstrictatime','rnoexec','rexec']}]}");

  ck_assert_uint_eq (s->mounts[0].flags, MS_BIND | MS_REC);
  ck_assert_uint_eq (s->mounts[0].attr_set,
                     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_STRICTATIME);
  ck_assert_uint_eq (s->mounts[0].attr_clr,
                     MOUNT_ATTR_NOSUID | MOUNT_ATTR__ATIME | MOUNT_ATTR_NOEXEC);
  mr_spec_free (s);
}
END_TEST

START_TEST (later_mount_option_wins)
{
  struct mr_spec *s = parse_ok (HEAD "'mounts':[{'destination':'/m','type':'tmpfs',"
                                     "'options':['ro','rw','nosuid','suid','nosuid','shared',"
                                     "'rprivate','mode=1777','tmpcopyup','uid=0']}]}");

  ck_assert_uint_eq (s->mounts[0].flags, MS_NOSUID);
  ck_assert_uint_eq (s->mounts[0].clear_flags, MS_RDONLY);
  ck_assert_uint_eq (s->mounts[0].propagation, MS_PRIVATE | MS_REC);
  ck_assert_str_eq (s->mounts[0].data, "mode=1777,uid=0");
  ck_assert (s->mounts[0].tmpcopyup);
  mr_spec_free (s);
}
END_TEST

START_TEST (bind_type_implies_ms_bind)
{
  struct mr_spec *s = parse_ok (HEAD "'mounts':[{'destination':'/m','type':'bind','source':'/s'},"
                                     "{'destination':'/n','type':'none','source':'/s',"
                                     "'options':['rbind','ro']}]}");

  ck_assert_uint_eq (s->mounts[0].flags, MS_BIND);
  ck_assert_uint_eq (s->mounts[1].flags, MS_BIND | MS_REC | MS_RDONLY);
  mr_spec_free (s);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Generated documents.  */

static struct mr_spec *
generate_and_parse (bool rootless, char **json_out)
{
  struct mr_error err = { 0 };
  struct mr_spec *s = NULL;
  char *json = NULL;

  ck_assert_int_eq (mr_spec_generate (rootless, &json, &err), 0);
  ck_assert_ptr_nonnull (json);
  ck_assert_msg (mr_spec_parse ("config.json", json, strlen (json), &s, &err) == 0, "%s", err.msg);
  if (json_out)
    *json_out = json;
  else
    free (json);
  return s;
}

static const struct mr_spec_mount *
find_mount (const struct mr_spec *s, const char *dest)
{
  for (size_t i = 0; i < s->n_mounts; i++)
    if (strcmp (s->mounts[i].destination, dest) == 0)
      return &s->mounts[i];
  return NULL;
}

START_TEST (generated_default_parses_back)
{
  char *json;
  struct mr_spec *s = generate_and_parse (false, &json);
  const struct mr_spec_mount *m;
  const uint64_t caps = CAP (29) | CAP (5) | CAP (10);

  /* two-space indentation, keys in runc's order */
  ck_assert_ptr_nonnull (strstr (json, "{\n  \"ociVersion\": \"1.0.2-dev\",\n  \"process\": {\n"
                                       "    \"terminal\": true,"));
  free (json);
  ck_assert_str_eq (s->oci_version, "1.0.2-dev");
  ck_assert (s->has_process);
  ck_assert (s->process.terminal);
  ck_assert_uint_eq (s->process.n_args, 1);
  ck_assert_str_eq (s->process.args[0], "sh");
  ck_assert_uint_eq (s->process.n_env, 2);
  ck_assert_str_eq (s->process.env[1], "TERM=xterm");
  ck_assert_str_eq (s->process.cwd, "/");
  ck_assert (s->process.caps_set);
  ck_assert_uint_eq (s->process.caps.bounding, caps);
  ck_assert_uint_eq (s->process.caps.effective, caps);
  ck_assert_uint_eq (s->process.caps.permitted, caps);
  ck_assert_uint_eq (s->process.caps.inheritable, 0);
  ck_assert_uint_eq (s->process.caps.ambient, caps);
  ck_assert_uint_eq (s->process.n_rlimits, 1);
  ck_assert_int_eq (s->process.rlimits[0].resource, RLIMIT_NOFILE);
  ck_assert_uint_eq (s->process.rlimits[0].soft, 1024);
  ck_assert_uint_eq (s->process.rlimits[0].hard, 1024);
  ck_assert (s->process.no_new_privileges);
  ck_assert_str_eq (s->root_path, "rootfs");
  ck_assert (s->root_readonly);
  ck_assert_str_eq (s->hostname, "minirun");

  ck_assert_uint_eq (s->n_mounts, 7);
  ck_assert_str_eq (s->mounts[0].destination, "/proc");
  m = find_mount (s, "/dev");
  ck_assert_uint_eq (m->flags, MS_NOSUID | MS_STRICTATIME);
  ck_assert_str_eq (m->data, "mode=755,size=65536k");
  m = find_mount (s, "/dev/pts");
  ck_assert_str_eq (m->type, "devpts");
  ck_assert_str_eq (m->data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  m = find_mount (s, "/dev/shm");
  ck_assert_uint_eq (m->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV);
  ck_assert_ptr_nonnull (find_mount (s, "/dev/mqueue"));
  m = find_mount (s, "/sys");
  ck_assert_str_eq (m->type, "sysfs");
  ck_assert_uint_eq (m->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
  m = find_mount (s, "/sys/fs/cgroup");
  ck_assert_str_eq (m->type, "cgroup");
  ck_assert_uint_eq (m->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY);

  ck_assert_ptr_nonnull (s->linux.resources);
  ck_assert_uint_eq (s->linux.resources->n_devices, 1);
  ck_assert (!s->linux.resources->devices[0].allow);
  ck_assert_int_eq (s->linux.resources->devices[0].type, 'a');
  ck_assert_str_eq (s->linux.resources->devices[0].access, "rwm");
  ck_assert_uint_eq (s->linux.n_namespaces, 5);
  ck_assert_ptr_nonnull (mr_spec_find_namespace (s, CLONE_NEWPID));
  ck_assert_ptr_nonnull (mr_spec_find_namespace (s, CLONE_NEWNET));
  ck_assert_ptr_nonnull (mr_spec_find_namespace (s, CLONE_NEWIPC));
  ck_assert_ptr_nonnull (mr_spec_find_namespace (s, CLONE_NEWUTS));
  ck_assert_ptr_nonnull (mr_spec_find_namespace (s, CLONE_NEWNS));
  /* as runc spec: no cgroup namespace */
  ck_assert_ptr_null (mr_spec_find_namespace (s, CLONE_NEWCGROUP));
  ck_assert_ptr_null (mr_spec_find_namespace (s, CLONE_NEWUSER));
  ck_assert_uint_eq (s->linux.n_uid_mappings, 0);
  ck_assert_uint_eq (s->linux.n_masked_paths, 10);
  ck_assert_str_eq (s->linux.masked_paths[0], "/proc/acpi");
  ck_assert_str_eq (s->linux.masked_paths[9], "/proc/scsi");
  ck_assert_uint_eq (s->linux.n_readonly_paths, 5);
  ck_assert_str_eq (s->linux.readonly_paths[4], "/proc/sysrq-trigger");
  mr_spec_free (s);
}
END_TEST

START_TEST (generated_rootless_parses_back)
{
  struct mr_spec *s = generate_and_parse (true, NULL);
  const struct mr_spec_mount *m;

  ck_assert_ptr_nonnull (mr_spec_find_namespace (s, CLONE_NEWUSER));
  ck_assert_ptr_null (mr_spec_find_namespace (s, CLONE_NEWNET));
  ck_assert_ptr_nonnull (mr_spec_find_namespace (s, CLONE_NEWPID));
  ck_assert_uint_eq (s->linux.n_uid_mappings, 1);
  ck_assert_uint_eq (s->linux.uid_mappings[0].container_id, 0);
  ck_assert_uint_eq (s->linux.uid_mappings[0].host_id, geteuid ());
  ck_assert_uint_eq (s->linux.uid_mappings[0].size, 1);
  ck_assert_uint_eq (s->linux.n_gid_mappings, 1);
  ck_assert_uint_eq (s->linux.gid_mappings[0].host_id, getegid ());
  ck_assert_ptr_null (s->linux.resources);
  m = find_mount (s, "/sys");
  ck_assert_str_eq (m->source, "/sys");
  ck_assert_uint_eq (m->flags, MS_BIND | MS_REC | MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
  m = find_mount (s, "/dev/pts");
  ck_assert_str_eq (m->data, "newinstance,ptmxmode=0666,mode=0620");
  ck_assert_uint_eq (s->linux.n_masked_paths, 10);
  mr_spec_free (s);
}
END_TEST

static json_t *
features_doc (void)
{
  struct mr_error err = { 0 };
  json_error_t jerr;
  char *json = NULL;
  json_t *doc;

  ck_assert_int_eq (mr_features (&json, &err), 0);
  doc = json_loads (json, 0, &jerr);
  ck_assert_msg (doc != NULL, "invalid JSON: %s", jerr.text);
  free (json);
  return doc;
}

static bool
array_has (json_t *a, const char *s)
{
  size_t i;
  json_t *e;

  json_array_foreach (a, i, e) if (json_is_string (e)
                                   && strcmp (json_string_value (e), s) == 0) return true;
  return false;
}

START_TEST (features_document_lists_what_is_supported)
{
  json_t *doc = features_doc ();
  json_t *lx = json_object_get (doc, "linux");
  json_t *sc = json_object_get (lx, "seccomp");
  json_t *opts = json_object_get (doc, "mountOptions");

  ck_assert_str_eq (json_string_value (json_object_get (doc, "ociVersionMin")), "1.0.0");
  ck_assert_str_eq (json_string_value (json_object_get (doc, "ociVersionMax")), "1.1.0");
  ck_assert_uint_eq (json_array_size (json_object_get (doc, "hooks")), 6);
  ck_assert (array_has (json_object_get (doc, "hooks"), "createRuntime"));
  ck_assert (array_has (opts, "rbind"));
  ck_assert (array_has (opts, "tmpcopyup"));
  ck_assert (array_has (opts, "nosymfollow"));
  ck_assert (array_has (opts, "rro"));
  ck_assert (array_has (opts, "idmap"));
  ck_assert_uint_eq (json_array_size (json_object_get (lx, "namespaces")), 8);
  ck_assert (array_has (json_object_get (lx, "namespaces"), "time"));
  ck_assert_uint_eq (json_array_size (json_object_get (lx, "capabilities")), 41);
  ck_assert (array_has (json_object_get (lx, "capabilities"), "CAP_CHECKPOINT_RESTORE"));
  ck_assert (json_is_true (json_object_get (json_object_get (lx, "cgroup"), "v1")));
  ck_assert (json_is_true (json_object_get (json_object_get (lx, "cgroup"), "v2")));
  ck_assert (json_is_false (json_object_get (json_object_get (lx, "cgroup"), "systemd")));
  ck_assert (json_is_true (json_object_get (sc, "enabled")));
  ck_assert_uint_eq (json_array_size (json_object_get (sc, "actions")), 9);
  ck_assert (array_has (json_object_get (sc, "actions"), "SCMP_ACT_KILL_PROCESS"));
  ck_assert_uint_eq (json_array_size (json_object_get (sc, "operators")), 7);
  ck_assert (array_has (json_object_get (sc, "archs"), "SCMP_ARCH_X86_64"));
  ck_assert (array_has (json_object_get (sc, "archs"), "SCMP_ARCH_AARCH64"));
  ck_assert_uint_eq (json_array_size (json_object_get (sc, "knownFlags")), 4);
  ck_assert (json_is_array (json_object_get (sc, "supportedFlags")));
  ck_assert (json_is_false (json_object_get (json_object_get (lx, "apparmor"), "enabled")));
  ck_assert (json_is_false (json_object_get (json_object_get (lx, "selinux"), "enabled")));
  ck_assert_str_eq (json_string_value (json_object_get (json_object_get (doc, "annotations"),
                                                        "io.github.minirun.version")),
                    PACKAGE_VERSION);
  json_decref (doc);
}
END_TEST

START_TEST (features_mount_options_are_all_accepted)
{
  json_t *doc = features_doc ();
  json_t *e;
  size_t i;

  json_array_foreach (json_object_get (doc, "mountOptions"), i, e)
  {
    char buf[512];
    struct mr_spec *s;
    /* with a user namespace, which idmap needs */
    snprintf (buf, sizeof buf,
              HEAD "'linux':{'namespaces':[{'type':'user'}],"
                   "'uidMappings':[{'containerID':0,'hostID':1000,'size':1}],"
                   "'gidMappings':[{'containerID':0,'hostID':1000,'size':1}]},"
                   "'mounts':[{'destination':'/m','source':'/s','options':['%s']}]}",
              json_string_value (e));
    s = parse_ok (buf);
    mr_spec_free (s);
  }
  json_decref (doc);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Name tables.  */

START_TEST (capability_names_round_trip)
{
  for (int i = 0; i <= 40; i++)
    {
      const char *n = mr_spec_cap_name (i);
      ck_assert_ptr_nonnull (n);
      ck_assert_int_eq (mr_spec_cap_from_name (n), i);
    }
  ck_assert_str_eq (mr_spec_cap_name (0), "CAP_CHOWN");
  ck_assert_str_eq (mr_spec_cap_name (21), "CAP_SYS_ADMIN");
  ck_assert_str_eq (mr_spec_cap_name (40), "CAP_CHECKPOINT_RESTORE");
  ck_assert_ptr_null (mr_spec_cap_name (41));
  ck_assert_ptr_null (mr_spec_cap_name (-1));
  ck_assert_int_eq (mr_spec_cap_from_name ("CAP_FOO"), -1);
  ck_assert_int_eq (mr_spec_cap_from_name ("SYS_ADMIN"), -1);
  ck_assert_int_eq (mr_spec_cap_from_name (NULL), -1);
}
END_TEST

START_TEST (rlimit_names_map_to_resources)
{
  static const struct
  {
    const char *name;
    int value;
  } names[] = {
    { "RLIMIT_AS", RLIMIT_AS },
    { "RLIMIT_CORE", RLIMIT_CORE },
    { "RLIMIT_CPU", RLIMIT_CPU },
    { "RLIMIT_DATA", RLIMIT_DATA },
    { "RLIMIT_FSIZE", RLIMIT_FSIZE },
    { "RLIMIT_LOCKS", RLIMIT_LOCKS },
    { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
    { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
    { "RLIMIT_NICE", RLIMIT_NICE },
    { "RLIMIT_NOFILE", RLIMIT_NOFILE },
    { "RLIMIT_NPROC", RLIMIT_NPROC },
    { "RLIMIT_RSS", RLIMIT_RSS },
    { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
    { "RLIMIT_RTTIME", RLIMIT_RTTIME },
    { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
    { "RLIMIT_STACK", RLIMIT_STACK },
  };

  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    ck_assert_int_eq (mr_spec_rlimit_from_name (names[i].name), names[i].value);
  ck_assert_int_eq (mr_spec_rlimit_from_name ("RLIMIT_TEST"), -1);
  ck_assert_int_eq (mr_spec_rlimit_from_name ("NOFILE"), -1);
}
END_TEST

START_TEST (namespace_names_map_to_clone_flags)
{
  ck_assert_int_eq (mr_spec_namespace_from_name ("pid"), CLONE_NEWPID);
  ck_assert_int_eq (mr_spec_namespace_from_name ("network"), CLONE_NEWNET);
  ck_assert_int_eq (mr_spec_namespace_from_name ("mount"), CLONE_NEWNS);
  ck_assert_int_eq (mr_spec_namespace_from_name ("ipc"), CLONE_NEWIPC);
  ck_assert_int_eq (mr_spec_namespace_from_name ("uts"), CLONE_NEWUTS);
  ck_assert_int_eq (mr_spec_namespace_from_name ("user"), CLONE_NEWUSER);
  ck_assert_int_eq (mr_spec_namespace_from_name ("cgroup"), CLONE_NEWCGROUP);
  ck_assert_int_eq (mr_spec_namespace_from_name ("time"), CLONE_NEWTIME);
  ck_assert_int_eq (mr_spec_namespace_from_name ("net"), -1);
  ck_assert_int_eq (mr_spec_namespace_from_name (NULL), -1);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Standalone process and resources documents.  */

START_TEST (process_document_parses_alone)
{
  struct mr_error err = { 0 };
  struct mr_spec_process p;
  char *json = q ("{'args':['ls','-l'],'env':['A=1'],'cwd':'/tmp','terminal':true,"
                  "'user':{'uid':5,'gid':6},'capabilities':{'bounding':['CAP_KILL']},"
                  "'noNewPrivileges':true}");

  ck_assert_msg (mr_spec_process_parse ("process.json", json, strlen (json), &p, &err) == 0, "%s",
                 err.msg);
  free (json);
  ck_assert_uint_eq (p.n_args, 2);
  ck_assert_str_eq (p.args[1], "-l");
  ck_assert_str_eq (p.env[0], "A=1");
  ck_assert_str_eq (p.cwd, "/tmp");
  ck_assert (p.terminal);
  ck_assert_uint_eq (p.user.uid, 5);
  ck_assert_uint_eq (p.user.gid, 6);
  ck_assert (p.caps_set);
  ck_assert_uint_eq (p.caps.bounding, CAP (5));
  ck_assert (p.no_new_privileges);
  mr_spec_process_clear (&p);
  ck_assert_ptr_null (p.args);
  ck_assert_ptr_null (p.cwd);
}
END_TEST

START_TEST (process_document_needs_args)
{
  struct mr_error err = { 0 };
  struct mr_spec_process p;
  char *json = q ("{'cwd':'/'}");

  ck_assert_int_lt (mr_spec_process_parse ("process.json", json, strlen (json), &p, &err), 0);
  free (json);
  ck_assert_str_eq (err.msg, "process.json: args: must be a non-empty array of strings");
  ck_assert_ptr_null (p.args);
  ck_assert_ptr_null (p.cwd);
}
END_TEST

START_TEST (process_document_error_leaves_it_empty)
{
  struct mr_error err = { 0 };
  struct mr_spec_process p;
  char *json = q ("{'args':['sh'],'env':['A=1'],'cwd':'/',"
                  "'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},{'type':'BAD'}]}");

  ck_assert_int_lt (mr_spec_process_parse ("exec.json", json, strlen (json), &p, &err), 0);
  free (json);
  ck_assert_str_eq (err.msg, "exec.json: rlimits[1].type: unknown rlimit 'BAD'");
  ck_assert_ptr_null (p.args);
  ck_assert_ptr_null (p.env);
  ck_assert_ptr_null (p.rlimits);
  ck_assert_uint_eq (p.n_args, 0);
}
END_TEST

START_TEST (process_document_must_be_an_object)
{
  struct mr_error err = { 0 };
  struct mr_spec_process p;

  ck_assert_int_lt (mr_spec_process_parse ("process.json", "[]", 2, &p, &err), 0);
  ck_assert_str_eq (err.msg, "process.json: expected an object");
}
END_TEST

START_TEST (resources_document_parses_alone)
{
  struct mr_error err = { 0 };
  struct mr_spec_resources *r = NULL;
  char *json = q ("{'memory':{'limit':1048576,'swap':2097152},'cpu':{'quota':-1,'period':100000,"
                  "'cpus':'0'},'pids':{'limit':10},'blockIO':{'weight':10},"
                  "'unified':{'cpu.weight':'100'}}");

  ck_assert_msg (mr_spec_resources_parse ("resources.json", json, strlen (json), &r, &err) == 0,
                 "%s", err.msg);
  free (json);
  ck_assert (r->memory.limit_set);
  ck_assert_int_eq (r->memory.limit, 1048576);
  ck_assert (r->memory.swap_set);
  ck_assert_int_eq (r->memory.swap, 2097152);
  ck_assert (!r->memory.reservation_set);
  ck_assert (!r->memory.swappiness_set);
  ck_assert (r->cpu.quota_set);
  ck_assert_int_eq (r->cpu.quota, -1);
  ck_assert (r->cpu.period_set);
  ck_assert (!r->cpu.shares_set);
  ck_assert_str_eq (r->cpu.cpus, "0");
  ck_assert_ptr_null (r->cpu.mems);
  ck_assert (r->pids_limit_set);
  ck_assert_int_eq (r->pids_limit, 10);
  ck_assert (r->blkio_weight_set);
  ck_assert_uint_eq (r->blkio_weight, 10);
  ck_assert_uint_eq (r->n_unified, 1);
  ck_assert_str_eq (r->unified[0].value, "100");
  ck_assert_uint_eq (r->n_devices, 0);
  mr_spec_resources_free (r);
}
END_TEST

START_TEST (resources_document_reads_device_and_huge_page_limits)
{
  struct mr_error err = { 0 };
  struct mr_spec_resources *r = NULL;
  char *json = q ("{'blockIO':{'throttleReadBpsDevice':[{'major':254,'minor':0,'rate':0}]},"
                  "'hugepageLimits':[{'pageSize':'64KB','limit':65536}],"
                  "'network':{'classID':0},'rdma':{'mlx5_0':{}}}");

  ck_assert_msg (mr_spec_resources_parse ("resources.json", json, strlen (json), &r, &err) == 0,
                 "%s", err.msg);
  free (json);
  ck_assert (!r->blkio_weight_set);
  ck_assert_uint_eq (r->n_blkio_throttle[MR_BLKIO_READ_BPS], 1);
  ck_assert_uint_eq (r->blkio_throttle[MR_BLKIO_READ_BPS][0].major, 254);
  ck_assert_uint_eq (r->blkio_throttle[MR_BLKIO_READ_BPS][0].rate, 0);
  ck_assert_uint_eq (r->n_blkio_throttle[MR_BLKIO_WRITE_BPS], 0);
  ck_assert_uint_eq (r->n_hugepage_limits, 1);
  ck_assert_str_eq (r->hugepage_limits[0].page_size, "64KB");
  ck_assert (r->net_class_id_set);
  ck_assert_uint_eq (r->net_class_id, 0);
  ck_assert_uint_eq (r->n_net_priorities, 0);
  ck_assert_uint_eq (r->n_rdma, 1);
  ck_assert (!r->rdma[0].hca_handles_set && !r->rdma[0].hca_objects_set);
  mr_spec_resources_free (r);
}
END_TEST

START_TEST (empty_limit_lists_set_nothing)
{
  struct mr_spec *s = parse_ok (LINUX ("'resources':{'blockIO':{'weightDevice':[]},"
                                       "'hugepageLimits':[],'network':{'priorities':[]},"
                                       "'rdma':{}}"));
  const struct mr_spec_resources *r = s->linux.resources;

  ck_assert_ptr_nonnull (r);
  ck_assert (!r->blkio_weight_set && !r->blkio_leaf_weight_set);
  ck_assert_uint_eq (r->n_blkio_weight_devices, 0);
  ck_assert_uint_eq (r->n_hugepage_limits, 0);
  ck_assert (!r->net_class_id_set);
  ck_assert_uint_eq (r->n_net_priorities, 0);
  ck_assert_uint_eq (r->n_rdma, 0);
  mr_spec_free (s);
}
END_TEST

START_TEST (resources_document_reports_field_path)
{
  struct mr_error err = { 0 };
  struct mr_spec_resources *r = (struct mr_spec_resources *)1;
  char *json = q ("{'cpu':{'cpus':'0-3'},'memory':{'limit':'1g'}}");

  ck_assert_int_lt (mr_spec_resources_parse ("resources.json", json, strlen (json), &r, &err), 0);
  free (json);
  ck_assert_ptr_null (r);
  ck_assert_str_eq (err.msg, "resources.json: memory.limit: expected an integer");
}
END_TEST

START_TEST (resources_document_must_be_an_object)
{
  struct mr_error err = { 0 };
  struct mr_spec_resources *r = NULL;

  ck_assert_int_lt (mr_spec_resources_parse ("-", "[1]", 3, &r, &err), 0);
  ck_assert_str_eq (err.msg, "-: expected an object");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Files.  */

static char tmpdir[64];

static void
tmpdir_setup (void)
{
  strcpy (tmpdir, "/tmp/test_spec.XXXXXX");
  ck_assert_ptr_nonnull (mkdtemp (tmpdir));
}

static void
tmpdir_teardown (void)
{
  char path[128];

  snprintf (path, sizeof path, "%s/config.json", tmpdir);
  unlink (path);
  rmdir (tmpdir);
}

static void
write_config (const char *doc)
{
  char path[128];
  char *json = q (doc);
  FILE *f;

  snprintf (path, sizeof path, "%s/config.json", tmpdir);
  f = fopen (path, "we");
  ck_assert_ptr_nonnull (f);
  fputs (json, f);
  fclose (f);
  free (json);
}

START_TEST (load_file_parses_a_bundle_config)
{
  struct mr_error err = { 0 };
  struct mr_spec *s = NULL;
  char path[128];

  write_config ("{'ociVersion':'1.0.2','root':{'path':'rootfs'},'hostname':'h',"
                "'linux':{'namespaces':[{'type':'uts'}]}}");
  snprintf (path, sizeof path, "%s/config.json", tmpdir);
  ck_assert_msg (mr_spec_load_file (path, &s, &err) == 0, "%s", err.msg);
  ck_assert_str_eq (s->hostname, "h");
  mr_spec_free (s);
}
END_TEST

START_TEST (load_file_prefixes_errors_with_the_base_name)
{
  struct mr_error err = { 0 };
  struct mr_spec *s = NULL;
  char path[128];

  write_config ("{'ociVersion':'1.0.2','root':{'path':'rootfs'},'process':{'args':[]}}");
  snprintf (path, sizeof path, "%s/config.json", tmpdir);
  ck_assert_int_lt (mr_spec_load_file (path, &s, &err), 0);
  ck_assert_ptr_null (s);
  ck_assert_str_eq (err.msg, "config.json: process.args: must be a non-empty array of strings");
}
END_TEST

START_TEST (load_file_reports_a_missing_file)
{
  struct mr_error err = { 0 };
  struct mr_spec *s = NULL;
  char path[128];

  snprintf (path, sizeof path, "%s/nothere.json", tmpdir);
  ck_assert_int_lt (mr_spec_load_file (path, &s, &err), 0);
  ck_assert_ptr_null (s);
  ck_assert_int_eq (err.errnum, ENOENT);
  ck_assert_ptr_nonnull (strstr (err.msg, "nothere.json"));
}
END_TEST

/* ------------------------------------------------------------------------ */

static Suite *
suite (void)
{
  Suite *s = suite_create ("spec");
  TCase *tc;

  tc = tcase_create ("parse");
  tcase_add_test (tc, full_config_parses_every_field);
  tcase_add_test (tc, minimal_config_has_defaults);
  tcase_add_test (tc, process_without_cwd_runs_in_root);
  tcase_add_test (tc, unknown_properties_are_accepted);
  tcase_add_test (tc, unknown_capabilities_are_skipped_and_listed);
  tcase_add_test (tc, runtime_spec_1_2_process_fields_parse);
  tcase_add_test (tc, null_fields_count_as_absent);
  tcase_add_test (tc, numbers_above_int64_are_read_as_uint64);
  tcase_add_test (tc, syntax_error_after_a_huge_number_keeps_its_column);
  tcase_add_test (tc, later_mount_option_wins);
  tcase_add_test (tc, recursive_mount_options_become_attributes);
  tcase_add_test (tc, bind_type_implies_ms_bind);
  tcase_add_test (tc, every_field_of_the_wrong_type_is_rejected_by_name);
  suite_add_tcase (s, tc);

  /* One test case per entry, so that each one is its own TAP line.  */
  for (size_t i = 0; i < sizeof invalid_cases / sizeof invalid_cases[0]; i++)
    {
      tc = tcase_create (invalid_cases[i].name);
      tcase_add_loop_test (tc, invalid_config_is_rejected, (int)i, (int)i + 1);
      suite_add_tcase (s, tc);
    }
  for (size_t i = 0; i < sizeof option_cases / sizeof option_cases[0]; i++)
    {
      tc = tcase_create (option_cases[i].name);
      tcase_add_loop_test (tc, mount_option_is_translated, (int)i, (int)i + 1);
      suite_add_tcase (s, tc);
    }

  tc = tcase_create ("generate");
  tcase_add_test (tc, generated_default_parses_back);
  tcase_add_test (tc, generated_rootless_parses_back);
  tcase_add_test (tc, features_document_lists_what_is_supported);
  tcase_add_test (tc, features_mount_options_are_all_accepted);
  suite_add_tcase (s, tc);

  tc = tcase_create ("names");
  tcase_add_test (tc, capability_names_round_trip);
  tcase_add_test (tc, rlimit_names_map_to_resources);
  tcase_add_test (tc, namespace_names_map_to_clone_flags);
  tcase_add_test (tc, namespaced_sysctls_are_accepted);
  tcase_add_test (tc, device_file_mode_keeps_the_permission_bits);
  suite_add_tcase (s, tc);

  tc = tcase_create ("partial");
  tcase_add_test (tc, process_document_parses_alone);
  tcase_add_test (tc, process_document_needs_args);
  tcase_add_test (tc, process_document_error_leaves_it_empty);
  tcase_add_test (tc, process_document_must_be_an_object);
  tcase_add_test (tc, resources_document_parses_alone);
  tcase_add_test (tc, resources_document_reads_device_and_huge_page_limits);
  tcase_add_test (tc, empty_limit_lists_set_nothing);
  tcase_add_test (tc, resources_document_reports_field_path);
  tcase_add_test (tc, resources_document_must_be_an_object);
  suite_add_tcase (s, tc);

  tc = tcase_create ("file");
  tcase_add_checked_fixture (tc, tmpdir_setup, tmpdir_teardown);
  tcase_add_test (tc, load_file_parses_a_bundle_config);
  tcase_add_test (tc, load_file_prefixes_errors_with_the_base_name);
  tcase_add_test (tc, load_file_reports_a_missing_file);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return unit_run (suite ());
}
