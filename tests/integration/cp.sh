#!/bin/bash
# cp and useradd: copying between the host and a container, and adding users
# to its files, on running and stopped containers; and that nothing a
# container keeps in its file system (symlinks to host paths, "..") makes
# either verb read or write a host file.
. "$(dirname "$0")/lib.sh"

[ "$RT_NAME" = minirun ] || t_skip_all "cp and useradd are minirun verbs ($RT_NAME has neither)"

# running [JQ-FILTER]: a running container ($ID, $B) with a tmpfs on /data,
# which only the container's own mount namespace shows.
running ()
{
  new_bundle /bin/sh -c 'echo only-in-the-tmpfs >/data/made-inside; exec sleep 600'
  cfg '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=755"]}]'
  [ $# = 0 ] || cfg "$1"
  mkdir "$B/rootfs/data"
  # a user namespace's root must be able to read the image
  chmod -R go+rX "$B"
  start_ctr
  wait_for 5 rt exec "$ID" test -s /data/made-inside
}

# stopped: a container that has run and exited ($ID, $B).
stopped ()
{
  new_bundle /bin/true
  start_ctr
  wait_status "$ID" stopped
}

# A host directory with a file that no copy may reach ($HOST_DIR), and
# symlinks in the bundle's image that aim at it: absolute, through "..",
# and one at the image's own /etc.
escape_links ()
{
  HOST_DIR=$T_DIR/$ID.host
  mkdir -p "$HOST_DIR"
  echo host-secret >"$HOST_DIR/secret"
  ln -s "$HOST_DIR" "$B/rootfs/out"
  ln -s "../../../../../../../../../../..$HOST_DIR" "$B/rootfs/up"
  ln -s /etc "$B/rootfs/etcl"
  mkdir -p "$B/rootfs/trap"
  ln -s "$HOST_DIR/secret" "$B/rootfs/trap/file"
}

host_dir_untouched ()
{
  assert_eq "$(ls -A "$HOST_DIR" | tr '\n' ' ')" "secret " "what the host directory holds"
  assert_eq "$(cat "$HOST_DIR/secret")" host-secret "the host file"
}

test_cp_file_into_running_container ()
{
  running
  printf 'hello\n' >"$T_DIR/$ID.file"
  chmod 640 "$T_DIR/$ID.file"
  t_run rt cp "$T_DIR/$ID.file" "$ID:/tmp/copied"
  assert_success
  t_run rt exec "$ID" cat /tmp/copied
  assert_eq "$out" hello content
  t_run rt exec "$ID" stat -c '%a %u:%g' /tmp/copied
  assert_eq "$out" "640 0:0" "mode and owner"
  # into an existing directory: under its own name
  t_run rt cp "$T_DIR/$ID.file" "$ID:/tmp"
  assert_success
  t_run rt exec "$ID" cat "/tmp/$ID.file"
  assert_eq "$out" hello "content under the source's name"
  # an existing file is replaced
  printf 'again\n' >"$T_DIR/$ID.file"
  t_run rt cp "$T_DIR/$ID.file" "$ID:/tmp/copied"
  assert_success
  t_run rt exec "$ID" cat /tmp/copied
  assert_eq "$out" again "replaced content"
}

test_cp_directory_into_running_container ()
{
  running
  local src=$T_DIR/$ID.tree
  mkdir -p "$src/sub/deeper"
  echo one >"$src/one"
  echo two >"$src/sub/deeper/two"
  chmod 750 "$src/sub"
  ln -s ../one "$src/sub/link"
  # a missing destination becomes the directory
  t_run rt cp "$src" "$ID:/srv"
  assert_success
  t_run rt exec "$ID" sh -c 'cat /srv/one /srv/sub/deeper/two; readlink /srv/sub/link; stat -c %a /srv/sub'
  assert_eq "$(echo $out)" "one two ../one 750" "the copied tree"
  # an existing directory gets it inside
  t_run rt cp "$src" "$ID:/srv"
  assert_success
  t_run rt exec "$ID" cat "/srv/$ID.tree/sub/deeper/two"
  assert_eq "$out" two "the tree inside the existing directory"
}

test_cp_contents_with_slash_dot ()
{
  running
  local src=$T_DIR/$ID.tree
  mkdir -p "$src/d"
  echo a >"$src/a"
  echo b >"$src/d/b"
  t_run rt exec "$ID" mkdir /dst
  t_run rt cp "$src/." "$ID:/dst"
  assert_success
  t_run rt exec "$ID" sh -c 'ls -A /dst | tr "\n" " "; cat /dst/d/b'
  assert_eq "$(echo $out)" "a d b" "contents of the directory, not the directory"
  # and out again
  mkdir "$T_DIR/$ID.back"
  t_run rt cp "$ID:/dst/." "$T_DIR/$ID.back"
  assert_success
  assert_eq "$(ls -A "$T_DIR/$ID.back" | tr '\n' ' ')" "a d " "contents copied out"
}

test_cp_from_a_tmpfs_of_a_running_container ()
{
  running
  [ ! -e "$B/rootfs/data/made-inside" ] || fail "the file is in the image, not only in the tmpfs"
  t_run rt cp "$ID:/data/made-inside" "$T_DIR/$ID.out"
  assert_success
  assert_eq "$(cat "$T_DIR/$ID.out")" only-in-the-tmpfs "copied content"
  assert_eq "$(stat -c %u "$T_DIR/$ID.out")" "$(id -u)" "owner of what comes out"
  # and into the tmpfs
  echo in >"$T_DIR/$ID.in"
  t_run rt cp "$T_DIR/$ID.in" "$ID:/data/"
  assert_success
  t_run rt exec "$ID" cat "/data/$ID.in"
  assert_eq "$out" in "copied into the tmpfs"
  [ ! -e "$B/rootfs/data/$ID.in" ] || fail "copied into the image instead of the tmpfs"
}

test_cp_from_and_to_a_stopped_container ()
{
  stopped
  mkdir -p "$B/rootfs/srv/site"
  echo page >"$B/rootfs/srv/site/index.html"
  t_run rt cp "$ID:/srv/site" "$T_DIR/$ID.site"
  assert_success
  assert_eq "$(cat "$T_DIR/$ID.site/index.html")" page "copied out of a stopped container"
  echo new >"$T_DIR/$ID.new"
  t_run rt cp "$T_DIR/$ID.new" "$ID:/srv/site/"
  assert_success
  assert_eq "$(cat "$B/rootfs/srv/site/$ID.new")" new "copied into a stopped container"
}

test_cp_archive_keeps_owners ()
{
  running
  echo x >"$T_DIR/$ID.owned"
  chown 1234:2345 "$T_DIR/$ID.owned"
  t_run rt cp -a "$T_DIR/$ID.owned" "$ID:/tmp/archived"
  assert_success
  t_run rt exec "$ID" stat -c %u:%g /tmp/archived
  assert_eq "$out" 1234:2345 "owner with --archive"
  t_run rt cp "$T_DIR/$ID.owned" "$ID:/tmp/plain"
  t_run rt exec "$ID" stat -c %u:%g /tmp/plain
  assert_eq "$out" 0:0 "owner without --archive"
  echo y >"$B/rootfs/tmp/by-user"
  chown 1000:100 "$B/rootfs/tmp/by-user"
  t_run rt cp --archive "$ID:/tmp/by-user" "$T_DIR/$ID.by-user"
  assert_success
  assert_eq "$(stat -c %u:%g "$T_DIR/$ID.by-user")" 1000:100 "owner copied out with --archive"
}

test_cp_maps_owners_in_a_user_namespace ()
{
  [ -e /proc/self/ns/user ] || skip "no user namespaces"
  need_reach 100000 100000
  running '.linux.namespaces += [{"type": "user"}]
       | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
       | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
  echo x >"$T_DIR/$ID.f"
  chown 1000:1000 "$T_DIR/$ID.f"
  t_run rt cp "$T_DIR/$ID.f" "$ID:/tmp/plain"
  assert_success
  t_run rt cp -a "$T_DIR/$ID.f" "$ID:/tmp/archived"
  assert_success
  t_run rt exec "$ID" stat -c %u:%g /tmp/plain /tmp/archived
  assert_eq "$(echo $out)" "0:0 1000:1000" "owners inside the container"
  assert_eq "$(stat -c %u:%g "$B/rootfs/tmp/plain")" 100000:100000 "host owner of the plain copy"
  t_run rt cp -a "$ID:/tmp/archived" "$T_DIR/$ID.back"
  assert_success
  assert_eq "$(stat -c %u:%g "$T_DIR/$ID.back")" 1000:1000 "owner copied out, as the container sees it"
}

test_cp_symlinks_are_copied_as_links ()
{
  running
  t_run rt exec "$ID" sh -c 'echo target >/tmp/t; ln -s /tmp/t /tmp/l'
  t_run rt cp "$ID:/tmp/l" "$T_DIR/$ID.l"
  assert_success
  assert_eq "$(readlink "$T_DIR/$ID.l")" /tmp/t "a link comes out as a link"
  t_run rt cp -L "$ID:/tmp/l" "$T_DIR/$ID.followed"
  assert_success
  [ ! -L "$T_DIR/$ID.followed" ] || fail "--follow-link copied the link"
  assert_eq "$(cat "$T_DIR/$ID.followed")" target "--follow-link copies the target, read inside the container"
}

test_cp_destination_rules ()
{
  running
  echo f >"$T_DIR/$ID.f"
  mkdir -p "$T_DIR/$ID.d"
  t_run rt cp "$T_DIR/$ID.f" "$ID:/no/such/dir/"
  assert_failure
  t_run rt cp "$T_DIR/$ID.f" "$ID:/tmp/missing/"
  assert_failure
  assert_contains "$err" "does not exist" "error"
  t_run rt exec "$ID" touch /tmp/a-file
  t_run rt cp "$T_DIR/$ID.d" "$ID:/tmp/a-file"
  assert_failure
  assert_contains "$err" "not a directory" "error"
  t_run rt cp "$ID:/no/such/file" "$T_DIR/$ID.nothing"
  assert_failure
  [ ! -e "$T_DIR/$ID.nothing" ] || fail "a missing source made a file"
}

test_cp_usage_errors ()
{
  t_run rt cp "$T_DIR/a" "$T_DIR/b"
  assert_failure
  assert_contains "$err" "ID:PATH" "error"
  t_run rt cp a:/x b:/y
  assert_failure
  assert_contains "$err" "between containers" "error"
}

test_cp_unknown_container_fails ()
{
  new_id
  echo x >"$T_DIR/$ID.f"
  t_run rt cp "$T_DIR/$ID.f" "$ID:/tmp/x"
  assert_failure
  assert_contains "$err" "container '$ID' does not exist" "error"
  t_run rt cp "$ID:/etc/passwd" "$T_DIR/$ID.x"
  assert_failure
  assert_contains "$err" "container '$ID' does not exist" "error"
  t_run rt useradd "$ID" alice
  assert_failure
  assert_contains "$err" "container '$ID' does not exist" "error"
}

# The escape attempts, on a running (mode=running) or stopped container.
escapes ()
{
  echo payload >"$T_DIR/$ID.payload"
  # writing through a link to a host directory
  t_run rt cp "$T_DIR/$ID.payload" "$ID:/out/written"
  t_run rt cp "$T_DIR/$ID.payload" "$ID:/up/written"
  t_run rt cp "$T_DIR/$ID.payload" "$ID:/out/secret"
  t_run rt cp "$T_DIR/$ID.payload" "$ID:/up/"
  host_dir_untouched
  # reading through them
  t_run rt cp "$ID:/out/secret" "$T_DIR/$ID.read1"
  assert_failure
  t_run rt cp "$ID:/up/secret" "$T_DIR/$ID.read2"
  assert_failure
  t_run rt cp -L "$ID:/trap/file" "$T_DIR/$ID.read3"
  assert_failure
  t_run rt cp -L "$ID:/out" "$T_DIR/$ID.read4"
  assert_failure
  [ ! -e "$T_DIR/$ID.read1" ] && [ ! -e "$T_DIR/$ID.read2" ] && [ ! -e "$T_DIR/$ID.read3" ] \
    && [ ! -e "$T_DIR/$ID.read4" ] || fail "a host file was read: $(ls "$T_DIR" | grep "$ID.read")"
  # a directory holding such a link comes out with the link, not its target
  t_run rt cp "$ID:/trap" "$T_DIR/$ID.trap"
  assert_success
  [ -L "$T_DIR/$ID.trap/file" ] || fail "the link was followed"
  # a link already at the destination is replaced, not written through
  mkdir -p "$T_DIR/$ID.src/trap"
  echo over >"$T_DIR/$ID.src/trap/file"
  t_run rt cp "$T_DIR/$ID.src/trap" "$ID:/"
  assert_success
  host_dir_untouched
  # /etcl -> /etc is the container's /etc
  t_run rt cp "$T_DIR/$ID.payload" "$ID:/etcl/"
  assert_success
  [ ! -e "/etc/$ID.payload" ] || fail "written to the host's /etc"
  [ -e "$B/rootfs/etc/$ID.payload" ] || [ "$1" = running ] || fail "not in the container's /etc"
  if [ "$1" = running ]; then
    t_run rt exec "$ID" cat "/etc/$ID.payload"
    assert_eq "$out" payload "in the container's /etc"
  fi
}

test_cp_cannot_escape_a_running_container ()
{
  new_bundle /bin/sleep 600
  escape_links
  start_ctr
  escapes running
  host_dir_untouched
}

test_cp_cannot_escape_a_stopped_container ()
{
  new_bundle /bin/true
  escape_links
  start_ctr
  wait_status "$ID" stopped
  escapes stopped
  host_dir_untouched
  # what was written through /out lands inside the image, if anywhere
  [ ! -e "$B/rootfs$HOST_DIR/written" ] || [ -f "$B/rootfs$HOST_DIR/written" ]
}

test_useradd_in_a_running_container ()
{
  running
  t_run rt useradd "$ID" alice
  assert_success
  t_run rt exec "$ID" grep ^alice: /etc/passwd
  assert_eq "$out" "alice:x:1001:1001::/home/alice:/bin/sh" "passwd line (1000 is taken by 'user')"
  t_run rt exec "$ID" grep ^alice: /etc/group
  assert_eq "$out" "alice:x:1001:" "group line"
  t_run rt exec -u 1001:1001 "$ID" sh -c 'id -un; id -gn; cd /home/alice && pwd && touch mine'
  assert_success
  assert_eq "$(echo $out)" "alice alice /home/alice" "the new user, seen inside"
  t_run rt exec "$ID" stat -c '%u:%g %a' /home/alice
  assert_eq "$out" "1001:1001 700" "home directory owner and mode"
}

test_useradd_options ()
{
  running
  t_run rt useradd --uid 2000 --gid 100 --shell /bin/false --home /srv/bob --no-create-home "$ID" bob
  assert_success
  t_run rt exec "$ID" grep ^bob: /etc/passwd
  assert_eq "$out" "bob:x:2000:100::/srv/bob:/bin/false" "passwd line"
  t_run rt exec "$ID" grep -c ^bob: /etc/group
  assert_eq "$out" 0 "no group added for an existing gid"
  t_run rt exec "$ID" test -e /srv/bob
  assert_failure
  t_run rt useradd -u 3000 -d /var/lib/nested/carol "$ID" carol
  assert_success
  t_run rt exec "$ID" stat -c '%u:%g %a' /var/lib/nested /var/lib/nested/carol
  assert_eq "$(echo $out)" "0:0 755 3000:3000 700" "parents and home"
}

test_useradd_refuses_duplicates ()
{
  running
  t_run rt useradd "$ID" user
  assert_failure
  assert_contains "$err" "user 'user' already exists" "error"
  t_run rt useradd --uid 1000 "$ID" other
  assert_failure
  assert_contains "$err" "uid 1000 is already used by user 'user'" "error"
  t_run rt useradd --uid 1500 "$ID" users
  assert_failure
  assert_contains "$err" "group 'users' already exists" "error"
  t_run rt useradd --uid 100 "$ID" dave
  assert_failure
  assert_contains "$err" "gid 100 is already used by group 'users'" "error"
  t_run rt exec "$ID" grep -c -e other -e dave /etc/passwd
  assert_eq "$out" 0 "nothing added"
}

test_useradd_refuses_invalid_names_and_fields ()
{
  running
  local name
  for name in Alice 1abc a:b "a b" '$' "$(printf 'x%.0s' $(seq 33))" 'a$b' ""; do
    t_run rt useradd "$ID" "$name"
    assert_failure
    assert_contains "$err" "user name" "error for '$name'"
  done
  t_run rt useradd "$ID" 'machine$'
  assert_success
  t_run rt useradd --shell '/bin/sh:x' "$ID" eve
  assert_failure
  assert_contains "$err" "shell" "error"
  t_run rt useradd --home $'/home/e\nroot::0:0::/:/bin/sh' "$ID" eve
  assert_failure
  t_run rt useradd --home relative "$ID" eve
  assert_failure
  t_run rt exec "$ID" grep -c eve /etc/passwd
  assert_eq "$out" 0 "nothing added"
}

test_useradd_in_a_stopped_container ()
{
  stopped
  printf 'root:*:19000:0:99999:7:::\n' >"$B/rootfs/etc/shadow"
  chmod 640 "$B/rootfs/etc/shadow"
  chown 0:42 "$B/rootfs/etc/shadow"
  chmod 644 "$B/rootfs/etc/passwd"
  mkdir -p "$B/rootfs/etc/skel"
  echo 'PS1=x' >"$B/rootfs/etc/skel/.profile"
  t_run rt useradd "$ID" frank
  assert_success
  assert_match "$(grep ^frank: "$B/rootfs/etc/passwd")" '^frank:x:1001:1001::/home/frank:/bin/sh$' "passwd line"
  assert_match "$(grep ^frank: "$B/rootfs/etc/shadow")" '^frank:!:[0-9]+:' "locked shadow entry"
  assert_eq "$(stat -c '%a %u:%g' "$B/rootfs/etc/shadow")" "640 0:42" "shadow keeps its mode and owner"
  assert_eq "$(stat -c '%a %u:%g' "$B/rootfs/etc/passwd")" "644 0:0" "passwd keeps its mode and owner"
  assert_eq "$(stat -c '%a %u:%g' "$B/rootfs/home/frank")" "700 1001:1001" "home directory"
  assert_eq "$(stat -c '%u:%g' "$B/rootfs/home/frank/.profile")" "1001:1001" "skeleton file owner"
  [ -z "$(ls -A "$B/rootfs/etc" | grep '^\.minirun')" ] || fail "temporary files left in /etc"
}

test_useradd_cannot_escape ()
{
  new_bundle /bin/true
  escape_links
  start_ctr
  wait_status "$ID" stopped
  t_run rt useradd --home /out/grace "$ID" grace
  assert_success
  host_dir_untouched
  [ -d "$B/rootfs$HOST_DIR/grace" ] || fail "the home directory is not inside the image"
  # an image whose /etc leads to a host directory
  mv "$B/rootfs/etc" "$B/rootfs/etc.real"
  ln -s "$HOST_DIR" "$B/rootfs/etc"
  cp "$B/rootfs/etc.real/passwd" "$HOST_DIR/passwd.orig"
  cp "$HOST_DIR/passwd.orig" "$HOST_DIR/passwd"
  cp "$B/rootfs/etc.real/group" "$HOST_DIR/group"
  t_run rt useradd --no-create-home "$ID" heidi
  ! grep -q heidi "$HOST_DIR/passwd" "$HOST_DIR/group" || fail "the host's files were written"
  assert_eq "$(cat "$HOST_DIR/passwd")" "$(cat "$HOST_DIR/passwd.orig")" "the host's passwd"
  if [ "$status" = 0 ]; then
    grep -q ^heidi: "$B/rootfs$HOST_DIR/passwd" || fail "useradd succeeded, but not inside the image"
  fi
}

t_ok "cp a file into a running container" test_cp_file_into_running_container
t_ok "cp a directory into a running container" test_cp_directory_into_running_container
t_ok "cp SRC/. copies the contents of a directory" test_cp_contents_with_slash_dot
t_ok "cp out of a tmpfs that only the running container sees" test_cp_from_a_tmpfs_of_a_running_container
t_ok "cp out of and into a stopped container" test_cp_from_and_to_a_stopped_container
t_ok "cp --archive keeps uids and gids, else the container's root owns the copy" test_cp_archive_keeps_owners
t_ok "cp maps owners through the container's user namespace" test_cp_maps_owners_in_a_user_namespace
t_ok "cp copies symlinks as links; -L follows the source inside the container" test_cp_symlinks_are_copied_as_links
t_ok "cp destination rules and missing sources" test_cp_destination_rules
t_ok "cp needs exactly one ID:PATH" test_cp_usage_errors
t_ok "cp and useradd on an unknown container fail" test_cp_unknown_container_fails
t_ok "symlinks in a running container cannot make cp touch host files" test_cp_cannot_escape_a_running_container
t_ok "symlinks in a stopped container cannot make cp touch host files" test_cp_cannot_escape_a_stopped_container
t_ok "useradd in a running container: passwd, group, home, exec -u" test_useradd_in_a_running_container
t_ok "useradd --uid --gid --shell --home --no-create-home" test_useradd_options
t_ok "useradd refuses an existing user, uid or group" test_useradd_refuses_duplicates
t_ok "useradd refuses invalid names and fields" test_useradd_refuses_invalid_names_and_fields
t_ok "useradd in a stopped container keeps file modes and owners" test_useradd_in_a_stopped_container
t_ok "symlinks in the image cannot make useradd write host files" test_useradd_cannot_escape
t_done
