# fish completion for minirun(1)

set -l __minirun_verbs create start run state kill delete rm stop restart wait inspect port logs list ls ps pause resume exec cp useradd update spec features image network stats system events serve

# The verb on the command line: the first word after the global options.
function __minirun_verb
    set -l words (commandline -opc)
    set -e words[1]
    set -l skip 0
    for w in $words
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case --root --log --log-format
                set skip 1
            case '-*'
            case true false auto
                # the value of a preceding --rootless
            case '*'
                echo $w
                return 0
        end
    end
    return 1
end

function __minirun_no_verb
    not __minirun_verb >/dev/null
end

function __minirun_verb_is
    set -l verb (__minirun_verb)
    contains -- "$verb" $argv
end

# Positional words after the verb, not counting options and their values.
function __minirun_npos
    set -l words (commandline -opc)
    set -l verb (__minirun_verb)
    set -l seen 0
    set -l n 0
    set -l skip 0
    for w in $words[2..-1]
        if test $seen = 0
            test $w = $verb; and set seen 1
            continue
        end
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case -g -s -d
                # values only for useradd and exec's -g (-d is run's and
                # exec's --detach)
                if contains -- $verb useradd; or begin; test $w = -g; and test $verb = exec; end
                    set skip 1
                end
            case --bundle --pid-file --console-socket --preserve-fds --format --process --cwd --workdir -w --env --user --cap --additional-gids --cgroup --resources --memory --memory-swap --memory-reservation --cpu-quota --cpu-period --cpu-shares --cpuset-cpus --cpuset-mems --pids-limit --uid --gid --shell --home -b -f -p -e -u -c -r
                # -f takes a value only for list, ps and image (ls)
                if test $w != -f; or contains -- $verb list ls ps image
                    set skip 1
                end
            case --subnet --gateway --rootfs --image --name --env-file --hostname --cpus --ulimit --volume --tmpfs --cap-add --cap-drop --security-opt --restart --stop-signal --stop-timeout --label --log-opt --time --timeout --tail --since --filter -m -v -l -n
                set skip 1
            case -h -t
                # -h is the host name for create and run, -t the time for
                # stop and restart
                if test $w = -h; and contains -- $verb create run
                    set skip 1
                else if test $w = -t; and contains -- $verb stop restart
                    set skip 1
                end
            case '-*'
            case '*'
                set n (math $n + 1)
        end
    end
    echo $n
end

function __minirun_wants_id
    set -l verb (__minirun_verb)
    contains -- "$verb" state kill ps pause resume exec useradd update logs port
    and test (__minirun_npos) = 0
end

# Verbs that take any number of containers.
function __minirun_wants_ids
    contains -- (__minirun_verb) start delete rm stop restart wait inspect
end

# The first argument of a managed create or run: an image, unless --rootfs,
# --image, a bundle or -- came first.
function __minirun_wants_image
    contains -- (__minirun_verb) create run; or return 1
    test (__minirun_npos) = 0; or return 1
    for w in (commandline -opc)
        switch $w
            case '--rootfs*' '--image*' -b '--bundle*' --
                return 1
        end
    end
end

function __minirun_ids
    set -l words (commandline -opc)
    set -l prog $words[1]
    set -l root
    # minirun-VERB links: ask the multicall binary itself
    if string match -q -- '*minirun-*' (basename -- $prog)
        if string match -q -- '*/*' $prog
            set prog (dirname -- $prog)/minirun
        else
            set prog minirun
        end
    end
    for i in (seq (count $words))
        switch $words[$i]
            case --root
                set root $words[(math $i + 1)]
            case '--root=*'
                set root (string replace -- --root= '' $words[$i])
        end
    end
    if test -n "$root"
        $prog --root $root list -a -q 2>/dev/null
    else
        $prog list -a -q 2>/dev/null
    end
end

complete -c minirun -f

# global options
complete -c minirun -n __minirun_no_verb -l root -r -a '(__fish_complete_directories)' -d 'State directory'
complete -c minirun -n __minirun_no_verb -l log -r -F -d 'Also log errors to this file'
complete -c minirun -n __minirun_no_verb -l log-format -x -a 'text json' -d 'Format of the log lines'
complete -c minirun -n __minirun_no_verb -l debug -d 'Log debug lines'
complete -c minirun -n __minirun_no_verb -l systemd-cgroup -d 'cgroupsPath in the systemd form'
complete -c minirun -n __minirun_no_verb -l rootless -d 'Run without root privileges (true, false, auto)'
complete -c minirun -n __minirun_no_verb -s v -l version -d 'Print the version'
complete -c minirun -n __minirun_no_verb -s h -l help -d 'Show the help'

# verbs
complete -c minirun -n __minirun_no_verb -a create -d 'Create a container from a bundle, ready to start'
complete -c minirun -n __minirun_no_verb -a start -d 'Start the user process of a created container'
complete -c minirun -n __minirun_no_verb -a run -d 'Create and start a container, and wait for it'
complete -c minirun -n __minirun_no_verb -a state -d 'Print the state of a container as JSON'
complete -c minirun -n __minirun_no_verb -a kill -d "Send a signal to a container's init process"
complete -c minirun -n __minirun_no_verb -a delete -d 'Delete containers and release their resources'
complete -c minirun -n __minirun_no_verb -a rm -d 'Remove containers, printing each name'
complete -c minirun -n __minirun_no_verb -a stop -d 'Stop containers: the stop signal, then KILL after a timeout'
complete -c minirun -n __minirun_no_verb -a restart -d 'Stop, then start managed containers'
complete -c minirun -n __minirun_no_verb -a wait -d 'Wait for managed containers to stop and print their exit codes'
complete -c minirun -n __minirun_no_verb -a inspect -d 'Print the full record of containers as JSON'
complete -c minirun -n __minirun_no_verb -a port -d 'Print the published ports of a managed container'
complete -c minirun -n __minirun_no_verb -a logs -d 'Print the log of a managed container'
complete -c minirun -n __minirun_no_verb -a list -d 'List containers'
complete -c minirun -n __minirun_no_verb -a ls -d 'List containers (list)'
complete -c minirun -n __minirun_no_verb -a ps -d 'List the processes running in a container'
complete -c minirun -n __minirun_no_verb -a pause -d 'Suspend every process in a container'
complete -c minirun -n __minirun_no_verb -a resume -d 'Resume every process in a paused container'
complete -c minirun -n __minirun_no_verb -a exec -d 'Run a new process inside a running container'
complete -c minirun -n __minirun_no_verb -a cp -d 'Copy files between a container and the host'
complete -c minirun -n __minirun_no_verb -a useradd -d 'Add a user inside a container'
complete -c minirun -n __minirun_no_verb -a update -d 'Change the resource limits of a container'
complete -c minirun -n __minirun_no_verb -a spec -d 'Write a default config.json for a new bundle'
complete -c minirun -n __minirun_no_verb -a features -d 'Print the OCI features as JSON'
complete -c minirun -n __minirun_no_verb -a image -d 'Manage the local store of images'
complete -c minirun -n __minirun_no_verb -a network -d 'Manage the networks of managed containers (bridges)'
complete -c minirun -n __minirun_no_verb -a stats -d 'Show a live stream of the resource usage of containers'
complete -c minirun -n __minirun_no_verb -a system -d 'Show the resource usage of the host, or what minirun runs on'
complete -c minirun -n __minirun_no_verb -a events -d 'Show container events as they happen, or those stored'
complete -c minirun -n __minirun_no_verb -a serve -d 'Serve the HTTP/JSON API, the Docker API and the dashboard'

# every verb answers --help
complete -c minirun -n "__fish_seen_subcommand_from $__minirun_verbs" -s h -l help -d 'Show the help of the command'

# container ids
complete -c minirun -n __minirun_wants_id -a '(__minirun_ids)' -d Container
complete -c minirun -n __minirun_wants_ids -a '(__minirun_ids)' -d Container

# create, run
for v in create run
    complete -c minirun -n "__minirun_verb_is $v" -s b -l bundle -r -a '(__fish_complete_directories)' -d 'Bundle directory'
    complete -c minirun -n "__minirun_verb_is $v" -l pid-file -r -F -d 'Write the init pid to this file'
    complete -c minirun -n "__minirun_verb_is $v" -l console-socket -r -F -d 'Unix socket that receives the terminal'
    complete -c minirun -n "__minirun_verb_is $v" -l preserve-fds -x -d 'Number of extra fds to pass'
    complete -c minirun -n "__minirun_verb_is $v" -l no-pivot -d 'Use move and chroot instead of pivot_root'
    complete -c minirun -n "__minirun_verb_is $v" -l no-new-keyring -d "Keep the caller's session keyring"
end
complete -c minirun -n '__minirun_verb_is run' -s d -l detach -d 'Return once the container runs'
complete -c minirun -n '__minirun_verb_is run' -l keep -d 'OCI: do not delete the container when it exits'
complete -c minirun -n '__minirun_verb_is run' -l rm -d 'Managed: remove the container when it exits'

# create, run: managed containers
complete -c minirun -n __minirun_wants_image -a '(__minirun_images)' -d Image
for v in create run
    complete -c minirun -n "__minirun_verb_is $v" -l rootfs -r -a '(__fish_complete_directories)' -d 'Root file system directory'
    complete -c minirun -n "__minirun_verb_is $v" -l image -x -a '(__minirun_images)' -d 'Image of the store'
    complete -c minirun -n "__minirun_verb_is $v" -l name -x -d 'Container name'
    complete -c minirun -n "__minirun_verb_is $v" -s e -l env -x -d 'Set an environment variable K=V'
    complete -c minirun -n "__minirun_verb_is $v" -l env-file -r -F -d 'Read K=V lines from a file'
    complete -c minirun -n "__minirun_verb_is $v" -s w -l workdir -x -d 'Working directory in the container'
    complete -c minirun -n "__minirun_verb_is $v" -s u -l user -x -d 'Numeric UID[:GID]'
    complete -c minirun -n "__minirun_verb_is $v" -l hostname -x -d 'Host name (also -h NAME)'
    complete -c minirun -n "__minirun_verb_is $v" -s m -l memory -x -d 'Memory limit (64m, 1g)'
    complete -c minirun -n "__minirun_verb_is $v" -l memory-swap -x -d 'Memory plus swap limit (-1: unlimited swap)'
    complete -c minirun -n "__minirun_verb_is $v" -l cpus -x -d 'CPUs (0.5: half of one)'
    complete -c minirun -n "__minirun_verb_is $v" -l cpu-shares -x -d 'Relative CPU weight'
    complete -c minirun -n "__minirun_verb_is $v" -l cpuset-cpus -x -d 'CPUs allowed (0-2,4)'
    complete -c minirun -n "__minirun_verb_is $v" -l pids-limit -x -d 'Maximum number of processes'
    complete -c minirun -n "__minirun_verb_is $v" -l read-only -d 'Mount the root file system read-only'
    complete -c minirun -n "__minirun_verb_is $v" -s v -l volume -r -F -d 'Bind mount HOST:CTR[:ro]'
    complete -c minirun -n "__minirun_verb_is $v" -l tmpfs -x -d 'Mount a tmpfs PATH[:OPTIONS]'
    complete -c minirun -n "__minirun_verb_is $v" -l cap-add -x -a 'ALL CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_KILL CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_SETGID CAP_SETUID CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_SYS_TIME' -d 'Add a capability'
    complete -c minirun -n "__minirun_verb_is $v" -l cap-drop -x -a 'ALL CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID CAP_KILL CAP_MKNOD CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_SETFCAP CAP_SETGID CAP_SETPCAP CAP_SETUID CAP_SYS_CHROOT CAP_AUDIT_WRITE' -d 'Drop a capability'
    complete -c minirun -n "__minirun_verb_is $v" -l security-opt -x -a 'seccomp=unconfined seccomp= no-new-privileges no-new-privileges=true no-new-privileges=false' -d 'Security option'
    complete -c minirun -n "__minirun_verb_is $v" -l privileged -d 'All capabilities and host devices, no seccomp'
    complete -c minirun -n "__minirun_verb_is $v" -l network -x -a 'none bridge host (__minirun_networks) (__minirun_ids | string replace -r "^" container:)' -d 'Network of the container'
    complete -c minirun -n "__minirun_verb_is $v" -s p -l publish -x -d 'Publish a port [IP:][HOSTPORT:]CTRPORT[/tcp|/udp]'
    complete -c minirun -n "__minirun_verb_is $v" -l dns -x -d 'Nameserver of /etc/resolv.conf (IPv4 or IPv6)'
    complete -c minirun -n "__minirun_verb_is $v" -l ulimit -x -d 'Resource limit NAME=SOFT[:HARD]'
    complete -c minirun -n "__minirun_verb_is $v" -l restart -x -a 'no on-failure always unless-stopped' -d 'Restart policy'
    complete -c minirun -n "__minirun_verb_is $v" -l stop-signal -x -a 'TERM INT QUIT HUP KILL USR1 USR2' -d 'Signal that stop sends first'
    complete -c minirun -n "__minirun_verb_is $v" -l stop-timeout -x -d 'Seconds stop waits before KILL'
    complete -c minirun -n "__minirun_verb_is $v" -s l -l label -x -d 'Set a label K=V'
    complete -c minirun -n "__minirun_verb_is $v" -l log-opt -x -a 'max-size= max-file=' -d 'Log rotation'
    complete -c minirun -n "__minirun_verb_is $v" -s t -l tty -d 'Give the container a terminal'
    complete -c minirun -n "__minirun_verb_is $v" -s i -l interactive -d 'Keep stdin open'
end

# kill
complete -c minirun -n '__minirun_verb_is kill' -s a -l all -d 'Signal every process of the container'
complete -c minirun -n '__minirun_verb_is kill; and test (__minirun_npos) = 1' -a 'HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS' -d Signal

# delete, rm
complete -c minirun -n '__minirun_verb_is delete' -s f -l force -d 'Kill the container first when it runs'
complete -c minirun -n '__minirun_verb_is rm' -s f -l force -d 'Kill the container first when it runs'

# stop, restart
for v in stop restart
    complete -c minirun -n "__minirun_verb_is $v" -s t -l time -x -d 'Seconds to wait before KILL'
end

# logs
complete -c minirun -n '__minirun_verb_is logs' -s f -l follow -d 'Keep printing new lines'
complete -c minirun -n '__minirun_verb_is logs' -s n -l tail -x -a all -d 'Only the last N lines'
complete -c minirun -n '__minirun_verb_is logs' -l since -x -d 'Only lines since TIME (RFC 3339, unix time, 10m)'
complete -c minirun -n '__minirun_verb_is logs' -s t -l timestamps -d 'Prefix each line with its time'

# list, ps
complete -c minirun -n '__minirun_verb_is list ls' -s a -l all -d 'Also managed containers that do not run'
complete -c minirun -n '__minirun_verb_is list ls' -s q -l quiet -d 'Print ids only'
complete -c minirun -n '__minirun_verb_is list ls' -l filter -x -a 'status=created status=running status=paused status=restarting status=exited name=' -d 'Show only matching containers'
complete -c minirun -n '__minirun_verb_is list ls' -s f -l format -x -a 'table json' -d 'Output format'
complete -c minirun -n '__minirun_verb_is ps' -s f -l format -x -a 'table json' -d 'Output format'

# exec
set -l __minirun_exec_opts '__minirun_verb_is exec; and test (__minirun_npos) = 0'
complete -c minirun -n $__minirun_exec_opts -s p -l process -r -F -d 'OCI process.json'
complete -c minirun -n $__minirun_exec_opts -s d -l detach -d 'Return once the process runs'
complete -c minirun -n $__minirun_exec_opts -l pid-file -r -F -d 'Write the pid to this file'
complete -c minirun -n $__minirun_exec_opts -s t -l tty -d 'Give the process a terminal'
complete -c minirun -n $__minirun_exec_opts -l console-socket -r -F -d 'Unix socket that receives the terminal'
complete -c minirun -n $__minirun_exec_opts -l cwd -x -d 'Working directory inside the container'
complete -c minirun -n $__minirun_exec_opts -s w -l workdir -x -d 'Working directory inside the container'
complete -c minirun -n $__minirun_exec_opts -s i -l interactive -d 'Pass stdin to a managed container'
complete -c minirun -n $__minirun_exec_opts -s e -l env -x -d 'Add an environment variable K=V'
complete -c minirun -n $__minirun_exec_opts -s u -l user -x -d 'Numeric UID[:GID]'
complete -c minirun -n $__minirun_exec_opts -s c -l cap -x -a 'CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE' -d 'Add a capability'
complete -c minirun -n $__minirun_exec_opts -l no-new-privs -d 'Set no_new_privs'
complete -c minirun -n $__minirun_exec_opts -l preserve-fds -x -d 'Number of extra fds to pass'
complete -c minirun -n $__minirun_exec_opts -s g -l additional-gids -x -d 'Add supplementary groups GID[,GID...]'
complete -c minirun -n $__minirun_exec_opts -l ignore-paused -d 'Exec into a paused container too'
complete -c minirun -n $__minirun_exec_opts -l cgroup -x -d 'Join a sub-cgroup of the container [CTRL:]PATH'
complete -c minirun -n '__minirun_verb_is exec; and test (__minirun_npos) = 1' -a '(__fish_complete_command)' -d Command
complete -c minirun -n '__minirun_verb_is exec; and test (__minirun_npos) -ge 2' -F

# cp: ID: prefixes and host paths
complete -c minirun -n '__minirun_verb_is cp' -s a -l archive -d 'Keep uids and gids'
complete -c minirun -n '__minirun_verb_is cp' -s L -l follow-link -d 'Follow a source that is a symbolic link'
complete -c minirun -n '__minirun_verb_is cp; and test (__minirun_npos) -lt 2' -F -a '(__minirun_ids | string replace -r -- \'$\' :)' -d Container

# useradd
complete -c minirun -n '__minirun_verb_is useradd' -s u -l uid -x -d 'User id'
complete -c minirun -n '__minirun_verb_is useradd' -s g -l gid -x -d 'Primary group id'
complete -c minirun -n '__minirun_verb_is useradd' -s s -l shell -x -d 'Login shell inside the container'
complete -c minirun -n '__minirun_verb_is useradd' -s d -l home -x -d 'Home directory inside the container'
complete -c minirun -n '__minirun_verb_is useradd' -s M -l no-create-home -d 'Do not create the home directory'

# update
complete -c minirun -n '__minirun_verb_is update' -s r -l resources -r -F -a - -d 'OCI linux.resources JSON, - for stdin'
complete -c minirun -n '__minirun_verb_is update' -l memory -x -d 'Memory limit (512m, 2g)'
complete -c minirun -n '__minirun_verb_is update' -l memory-swap -x -d 'Memory plus swap limit'
complete -c minirun -n '__minirun_verb_is update' -l memory-reservation -x -d 'Soft memory limit'
complete -c minirun -n '__minirun_verb_is update' -l cpu-quota -x -d 'CPU time per period, microseconds'
complete -c minirun -n '__minirun_verb_is update' -l cpu-period -x -d 'CPU period, microseconds'
complete -c minirun -n '__minirun_verb_is update' -l cpu-shares -x -d 'Relative CPU weight'
complete -c minirun -n '__minirun_verb_is update' -l cpuset-cpus -x -d 'CPUs to use, e.g. 0-3'
complete -c minirun -n '__minirun_verb_is update' -l cpuset-mems -x -d 'Memory nodes to use'
complete -c minirun -n '__minirun_verb_is update' -l pids-limit -x -d 'Maximum number of processes'
complete -c minirun -n '__minirun_verb_is update' -l cpu-share -x -d 'Relative CPU weight'
complete -c minirun -n '__minirun_verb_is update' -l cpu-rt-period -x -d 'Realtime period, microseconds'
complete -c minirun -n '__minirun_verb_is update' -l cpu-rt-runtime -x -d 'Realtime CPU time per period, microseconds'
complete -c minirun -n '__minirun_verb_is update' -l blkio-weight -x -d 'Block I/O weight, 10 to 1000'

# spec
complete -c minirun -n '__minirun_verb_is spec' -l rootless -d 'Configuration for an unprivileged user'
complete -c minirun -n '__minirun_verb_is spec' -s b -l bundle -r -a '(__fish_complete_directories)' -d 'Write DIR/config.json'

# stats: container names anywhere
complete -c minirun -n '__minirun_verb_is stats' -l no-stream -d 'Print one frame and exit'
complete -c minirun -n '__minirun_verb_is stats' -l format -x -a 'table json' -d 'Output format'
complete -c minirun -n '__minirun_verb_is stats' -l interval -x -d 'Seconds between frames'
complete -c minirun -n '__minirun_verb_is stats' -a '(__minirun_ids)' -d Container

# events
complete -c minirun -n '__minirun_verb_is events' -l format -x -a 'text json' -d 'Output format'
complete -c minirun -n '__minirun_verb_is events' -l since -x -d 'Show stored events from this time on'
complete -c minirun -n '__minirun_verb_is events' -l until -x -d 'Stop at this time'
complete -c minirun -n '__minirun_verb_is events' -s f -l filter -x -a 'container= event= type=container image=' -d 'Show only matching events'
complete -c minirun -n '__minirun_verb_is events' -l no-follow -d 'Print the stored events and exit'
complete -c minirun -n '__minirun_verb_is events' -l stats -d 'With ID: print its stats once and exit'
complete -c minirun -n '__minirun_verb_is events' -l interval -x -d 'With ID: time between stats events (5s)'
complete -c minirun -n '__minirun_verb_is events' -a '(__minirun_ids)' -d Container

# serve
complete -c minirun -n '__minirun_verb_is serve' -s s -l socket -r -F -d 'Listen on this unix socket'
complete -c minirun -n '__minirun_verb_is serve' -l socket-group -x -a '(__fish_complete_groups)' -d 'Group that owns the socket'
complete -c minirun -n '__minirun_verb_is serve' -s l -l listen -x -d 'Also listen on TCP (HOST:PORT)'
complete -c minirun -n '__minirun_verb_is serve' -l token-file -r -F -d 'Bearer token file for TCP clients'
complete -c minirun -n '__minirun_verb_is serve' -l insecure-no-auth -d 'Let TCP clients in without a token'
complete -c minirun -n '__minirun_verb_is serve' -l tls-cert -r -F -d 'PEM certificate for HTTPS'
complete -c minirun -n '__minirun_verb_is serve' -l tls-key -r -F -d 'PEM private key for HTTPS'
complete -c minirun -n '__minirun_verb_is serve' -l cors-origin -x -d 'Allow browser calls from this origin'
complete -c minirun -n '__minirun_verb_is serve' -l max-body -x -d 'Largest request body (1m)'
complete -c minirun -n '__minirun_verb_is serve' -l max-connections -x -d 'Connections per listener'
complete -c minirun -n '__minirun_verb_is serve' -l max-requests -x -d 'Requests whose handlers run at once'
complete -c minirun -n '__minirun_verb_is serve' -l timeout -x -d 'Seconds before an idle connection is closed'
complete -c minirun -n '__minirun_verb_is serve' -l stop-containers-on-exit -d 'Stop the running containers when serve stops'
complete -c minirun -n '__minirun_verb_is serve' -l stop-timeout -x -d 'Grace period before KILL'
complete -c minirun -n '__minirun_verb_is serve' -l port-range -x -d 'Automatic host ports LOW-HIGH of the containers it creates'

# system stats|info
complete -c minirun -n '__minirun_verb_is system; and test (__minirun_npos) = 0' -a stats -d 'CPU, memory and load of the host, containers by status'
complete -c minirun -n '__minirun_verb_is system; and test (__minirun_npos) = 0' -a info -d 'Kernel, OS, cgroups, versions, security features'
complete -c minirun -n '__minirun_verb_is system; and __fish_seen_subcommand_from stats' -l format -x -a 'table json' -d 'Output format'
complete -c minirun -n '__minirun_verb_is system; and __fish_seen_subcommand_from info' -l format -x -a 'text json' -d 'Output format'

# image: add NAME DIR|TARBALL, ls, rm NAME..., inspect NAME

# The image subcommand on the command line is one of the arguments.
function __minirun_image_sub
    __minirun_verb_is image; or return 1
    set -l words (commandline -opc)
    set -l seen 0
    for w in $words[2..-1]
        if test $seen = 0
            test $w = image; and set seen 1
            continue
        end
        switch $w
            case '-*'
            case '*'
                contains -- $w $argv
                return
        end
    end
    return 1
end

# NAME:TAG from the first two columns of `minirun image ls`.
function __minirun_images
    set -l words (commandline -opc)
    set -l prog $words[1]
    set -l cmd $prog
    for i in (seq (count $words))
        switch $words[$i]
            case --root
                set cmd $prog --root $words[(math $i + 1)]
            case '--root=*'
                set cmd $prog $words[$i]
        end
    end
    $cmd image ls 2>/dev/null | string match -rv '^REPOSITORY\s' | string replace -r '^(\S+)\s+(\S+).*' '$1:$2'
end

set -l __minirun_image_cmd '__minirun_verb_is image; and test (__minirun_npos) = 0'
complete -c minirun -n $__minirun_image_cmd -a add -d 'Add an image from a directory or a tar archive'
complete -c minirun -n $__minirun_image_cmd -a ls -d 'List images'
complete -c minirun -n $__minirun_image_cmd -a rm -d 'Remove images and their files'
complete -c minirun -n $__minirun_image_cmd -a inspect -d 'Print the metadata of an image as JSON'
complete -c minirun -n '__minirun_image_sub add; and test (__minirun_npos) = 2' -F -d 'Directory or tar archive'
complete -c minirun -n '__minirun_image_sub ls list' -s q -l quiet -d 'Print image ids only'
complete -c minirun -n '__minirun_image_sub ls list' -s f -l format -x -a 'table json' -d 'Output format'
complete -c minirun -n '__minirun_image_sub rm remove' -a '(__minirun_images)' -d Image
complete -c minirun -n '__minirun_image_sub inspect; and test (__minirun_npos) = 1' -a '(__minirun_images)' -d Image

# network: create NAME, ls, inspect NAME..., rm NAME..., prune

# The network subcommand on the command line is one of the arguments.
function __minirun_network_sub
    __minirun_verb_is network; or return 1
    set -l words (commandline -opc)
    set -l seen 0
    for w in $words[2..-1]
        if test $seen = 0
            test $w = network; and set seen 1
            continue
        end
        switch $w
            case '-*'
            case '*'
                contains -- $w $argv
                return
        end
    end
    return 1
end

# Network names, from `minirun network ls -q`.
function __minirun_networks
    set -l words (commandline -opc)
    set -l prog $words[1]
    set -l cmd $prog
    if string match -q -- '*minirun-*' (basename -- $prog)
        if string match -q -- '*/*' $prog
            set prog (dirname -- $prog)/minirun
        else
            set prog minirun
        end
        set cmd $prog
    end
    for i in (seq (count $words))
        switch $words[$i]
            case --root
                set cmd $prog --root $words[(math $i + 1)]
            case '--root=*'
                set cmd $prog $words[$i]
        end
    end
    $cmd network ls -q 2>/dev/null
end

set -l __minirun_network_cmd '__minirun_verb_is network; and test (__minirun_npos) = 0'
complete -c minirun -n $__minirun_network_cmd -a create -d 'Create a network; prints its name'
complete -c minirun -n $__minirun_network_cmd -a ls -d 'List networks, the default one included'
complete -c minirun -n $__minirun_network_cmd -a inspect -d 'Print networks as JSON, with their containers'
complete -c minirun -n $__minirun_network_cmd -a rm -d 'Remove networks that no container uses'
complete -c minirun -n $__minirun_network_cmd -a prune -d 'Remove every network that no container uses'
complete -c minirun -n '__minirun_network_sub create' -l subnet -x -d 'IPv4 subnet of the network (CIDR)'
complete -c minirun -n '__minirun_network_sub create' -l gateway -x -d 'Address of the bridge'
complete -c minirun -n '__minirun_network_sub create' -l internal -d 'No traffic to or from outside the network'
complete -c minirun -n '__minirun_network_sub ls list' -s q -l quiet -d 'Print network names only'
complete -c minirun -n '__minirun_network_sub ls list' -l format -x -a 'table json' -d 'Output format'
complete -c minirun -n '__minirun_network_sub inspect rm remove' -f -a '(__minirun_networks)' -d Network
complete -c minirun -n '__minirun_network_sub prune' -s f -l force -d 'Do not ask for confirmation'
