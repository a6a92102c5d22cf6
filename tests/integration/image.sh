#!/bin/bash
# The image store: image add (from a directory and from archives, plain and
# compressed), ls (table, json, -q), inspect, replace, rm, the errors for
# unknown and invalid references, and archives built to escape the image,
# which must leave the host alone.  Everything lives under this script's
# own --root.
. "$(dirname "$0")/lib.sh"

[ "$RT_NAME" = minirun ] || t_skip_all "image is a minirun command ($RT_NAME has none)"

# A root of its own: the store is IROOT/data/images, and the containers'
# state directory ($T_ROOT) stays free of it.
IROOT=$T_DIR/iroot
STORE=$IROOT/data/images

img ()
{
  timeout -k 5 "$T_CMD_TIMEOUT" "$MINIRUN" --root "$IROOT" image "$@"
}

rootfs ()
{
  t_rootfs_cache
  echo "$T_ROOTFS_CACHE/rootfs"
}

# The rootfs of REF, from inspect.
image_rootfs ()
{
  img inspect "$1" | jq -r .RootFS
}

# Sorted "TYPE MODE PATH" lines of a tree, to compare two trees.
tree_listing ()
{
  (cd "$1" && find . -printf '%y %m %p\n' | sort)
}

test_add_from_directory_prints_the_id_and_copies_the_tree ()
{
  local src id r
  src=$(rootfs)
  t_run img add bb "$src"
  assert_success
  id=$out
  assert_match "$id" '^[0-9a-f]{64}$' "image id"
  r=$(image_rootfs bb)
  assert_eq "$r" "$STORE/$id/rootfs" "RootFS"
  [ -x "$r/bin/busybox" ] || fail "no bin/busybox in $r"
  assert_eq "$(tree_listing "$r")" "$(tree_listing "$src")" "the image's tree"
  # bb is kept as bb:latest
  assert_eq "$(img inspect bb:latest | jq -r .Reference)" "bb:latest"
  assert_eq "$(stat -c %a "$STORE")" 700 "mode of the store"
}

test_add_from_a_gzip_tarball ()
{
  local src id r
  src=$(rootfs)
  tar -C "$src" -czf "$T_DIR/bb.tgz" .
  # detected by its content, whatever the name says
  mv "$T_DIR/bb.tgz" "$T_DIR/bb.archive"
  t_run img add localhost/bb:gz "$T_DIR/bb.archive"
  assert_success
  id=$out
  r=$(image_rootfs localhost/bb:gz)
  assert_eq "$r" "$STORE/$id/rootfs" "RootFS"
  assert_eq "$(tree_listing "$r")" "$(tree_listing "$src")" "the image's tree"
  assert_eq "$(img inspect localhost/bb:gz | jq -r .Source)" "$T_DIR/bb.archive" "Source"
  cmp "$src/bin/busybox" "$r/bin/busybox"
}

test_add_from_xz_zstd_and_plain_tarballs ()
{
  local src kind n=0
  src=$(rootfs)
  tar -C "$src" -cf "$T_DIR/plain.tar" .
  t_run img add bb:plain "$T_DIR/plain.tar"
  assert_success
  for kind in xz zstd; do
    command -v "$kind" >/dev/null 2>&1 || continue
    tar -C "$src" -cf - . | "$kind" -c >"$T_DIR/bb.$kind"
    t_run img add "bb:$kind" "$T_DIR/bb.$kind"
    assert_success
    cmp "$src/bin/busybox" "$(image_rootfs "bb:$kind")/bin/busybox"
    n=$((n + 1))
  done
  [ "$n" -gt 0 ] || skip "neither xz nor zstd is installed"
}

test_ls_prints_a_table_json_and_ids ()
{
  local src id1 id2 json
  src=$(rootfs)
  id1=$(img add aa:v1 "$src")
  id2=$(img add registry.example.com:5000/team/app:2 "$src")
  t_run img ls
  assert_success
  assert_match "$(head -n 1 <<<"$out")" '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$' header
  assert_match "$out" "aa +v1 +${id1:0:12} +[^ ].* ago +[0-9.]+[kMG]?B"
  assert_match "$out" "registry.example.com:5000/team/app +2 +${id2:0:12} "
  t_run img ls -q
  assert_success
  assert_contains "$out" "${id1:0:12}"
  assert_contains "$out" "${id2:0:12}"
  assert_no_match "$out" '[^0-9a-f\n]'
  t_run img ls --format json
  assert_success
  json=$out
  # sorted by reference: aa:v1 before what the other tests added
  assert_eq "$(jq -r '.[0].Reference' <<<"$json")" "aa:v1"
  json=$(jq '.[] | select(.Id == $id)' --arg id "$id2" <<<"$json")
  assert_eq "$(jq -r .Reference <<<"$json")" "registry.example.com:5000/team/app:2"
  assert_eq "$(jq -r .Name <<<"$json")" "registry.example.com:5000/team/app"
  assert_eq "$(jq -r .Tag <<<"$json")" "2"
  assert_eq "$(jq -r '.Size > 0' <<<"$json")" true
  t_run img ls --format yaml
  assert_failure
  assert_contains "$err" "invalid format 'yaml'"
}

test_ls_of_an_empty_store ()
{
  t_run timeout 10 "$MINIRUN" --root "$T_DIR/empty-root" image ls --format json
  assert_success
  assert_eq "$(jq length <<<"$out")" 0
  t_run timeout 10 "$MINIRUN" --root "$T_DIR/empty-root" image ls -q
  assert_success
  assert_eq "$out" ""
  # listing creates nothing
  [ ! -e "$T_DIR/empty-root/data/images" ] || fail "ls created the store"
}

test_inspect_prints_the_metadata ()
{
  local src id json
  src=$(rootfs)
  id=$(img add insp "$src")
  t_run img inspect insp
  assert_success
  json=$out
  assert_eq "$(jq -r .Id <<<"$json")" "$id"
  assert_eq "$(jq -r .Reference <<<"$json")" "insp:latest"
  assert_eq "$(jq -r .Name <<<"$json")" "insp"
  assert_eq "$(jq -r .Tag <<<"$json")" "latest"
  assert_eq "$(jq -r .Source <<<"$json")" "$src"
  assert_eq "$(jq -c .Config <<<"$json")" "{}"
  assert_match "$(jq -r .Created <<<"$json")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' Created
  assert_eq "$(jq -r '.Size > 1000' <<<"$json")" true
  [ -d "$(jq -r .RootFS <<<"$json")" ] || fail "RootFS is not a directory"
}

test_add_again_replaces_the_image ()
{
  local src id1 id2 r1 r2
  src=$T_DIR/replace-src
  mkdir -p "$src"
  echo one >"$src/version"
  id1=$(img add rep "$src")
  r1=$(image_rootfs rep)
  rm "$src/version"
  echo two >"$src/version"
  id2=$(img add rep:latest "$src")
  assert_ne "$id2" "$id1" "id after replace"
  r2=$(image_rootfs rep)
  assert_eq "$(cat "$r2/version")" two
  [ ! -e "$r1" ] || fail "the old image's files are still there"
  assert_eq "$(img ls --format json | jq '[.[] | select(.Reference == "rep:latest")] | length')" 1
  # a failed replacement keeps the image there was
  t_run img add rep "$T_DIR/no-such-source"
  assert_failure
  assert_eq "$(img inspect rep | jq -r .Id)" "$id2" "id after a failed replace"
  assert_eq "$(find "$STORE" -maxdepth 1 -name '.tmp-*' | wc -l)" 0 "temporary directories"
}

test_rm_removes_images_and_reports_unknown_ones ()
{
  local src r
  src=$(rootfs)
  img add rm1 "$src" >/dev/null
  img add rm2:x "$src" >/dev/null
  img add rm3 "$src" >/dev/null
  r=$(image_rootfs rm1)
  t_run img rm rm1 rm2:x
  assert_success
  assert_eq "$out" ""
  [ ! -e "$r" ] || fail "rm left $r"
  t_run img inspect rm1
  assert_failure
  assert_contains "$err" "image 'rm1:latest' not found"
  # every name is tried; the status says one failed
  t_run img rm nope rm3
  assert_status 1
  assert_contains "$err" "image 'nope:latest' not found"
  t_run img inspect rm3
  assert_failure
  t_run img rm
  assert_failure
  assert_contains "$err" "missing image reference"
}

test_invalid_references_name_the_rule ()
{
  local src
  src=$(rootfs)
  t_run img add Bad "$src"
  assert_status 1
  assert_contains "$err" "invalid reference 'Bad': repository name must be lowercase"
  t_run img add 'bb@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' "$src"
  assert_status 1
  assert_contains "$err" "digests"
  t_run img inspect 'bb:'
  assert_status 1
  assert_contains "$err" "empty tag"
  t_run img rm 'a..b'
  assert_status 1
  assert_contains "$err" "separator '..'"
  t_run img add 'bb:-x' "$src"
  assert_status 1
  assert_contains "$err" "must not start with '-'"
}

test_sources_that_are_not_images_are_errors ()
{
  echo "not an archive" >"$T_DIR/junk"
  t_run img add junk "$T_DIR/junk"
  assert_status 1
  assert_contains "$err" "is not a tar archive"
  t_run img add junk "$T_DIR/missing"
  assert_status 1
  assert_contains "$err" "open '$T_DIR/missing'"
  head -c 2000 "$T_DIR/bb.archive" >"$T_DIR/cut.tgz" 2>/dev/null ||
    { tar -C "$(rootfs)" -czf - . | head -c 2000 >"$T_DIR/cut.tgz"; }
  t_run img add cut "$T_DIR/cut.tgz"
  assert_status 1
  assert_contains "$err" "gzip -dc"
  t_run img inspect junk
  assert_failure
  assert_eq "$(find "$STORE" -maxdepth 1 -name '.tmp-*' | wc -l)" 0 "temporary directories"
}

# Archives made to escape: python3's tarfile writes what GNU tar refuses to.
make_evil_archives ()
{
  command -v python3 >/dev/null 2>&1 || skip "python3 is needed to build the archives"
  python3 - "$T_DIR" <<'EOF'
import io, sys, tarfile
d = sys.argv[1]

def add(t, name, data=b"x", **kw):
    ti = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(ti, k, v)
    if ti.type == tarfile.REGTYPE:
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    else:
        t.addfile(ti)

with tarfile.open(d + "/dotdot.tar", "w") as t:
    add(t, "fine", b"fine\n")
    add(t, "../evil", b"evil\n")
with tarfile.open(d + "/escape.tar", "w") as t:
    add(t, "/abs", b"abs\n")
    add(t, "link", type=tarfile.SYMTYPE, linkname="/etc")
    add(t, "link/passwd", b"pwned\n")
    add(t, "up", type=tarfile.SYMTYPE, linkname="../../../../../../..")
    add(t, "up/minirun-image-test-escape", b"up\n")
with tarfile.open(d + "/hardlink.tar", "w") as t:
    add(t, "x", type=tarfile.LNKTYPE, linkname="../../../../etc/passwd")
EOF
}

test_malicious_archives_stay_inside_the_image ()
{
  local before r
  make_evil_archives
  before=$(sha256sum /etc/passwd)

  t_run img add evil:dotdot "$T_DIR/dotdot.tar"
  assert_status 1
  assert_contains "$err" "archive entry '../evil'"
  [ -z "$(find "$T_DIR" -name evil)" ] || fail "'../evil' was written: $(find "$T_DIR" -name evil)"

  t_run img add evil:hardlink "$T_DIR/hardlink.tar"
  assert_status 1
  assert_contains "$err" "hard link target '../../../../etc/passwd'"

  t_run img add evil:escape "$T_DIR/escape.tar"
  assert_success
  r=$(image_rootfs evil:escape)
  assert_eq "$(cat "$r/abs")" abs "the absolute member, made relative"
  assert_eq "$(cat "$r/etc/passwd")" pwned "the member written through the link"
  [ -L "$r/link" ] || fail "link is not a symlink"
  assert_eq "$(cat "$r/minirun-image-test-escape")" up "the member written through '..' links"
  assert_eq "$(sha256sum /etc/passwd)" "$before" "the host's /etc/passwd"
  [ ! -e /abs ] || fail "/abs exists on the host"
  [ ! -e /minirun-image-test-escape ] || fail "the host's / was written"
  assert_eq "$(find "$STORE" -maxdepth 1 -name '.tmp-*' | wc -l)" 0 "temporary directories"
  t_run img rm evil:escape
  assert_success
  assert_eq "$(sha256sum /etc/passwd)" "$before" "the host's /etc/passwd after rm"
}

test_help_of_the_subcommands ()
{
  t_run "$MINIRUN" image add --help
  assert_success
  assert_eq "$(head -n 1 <<<"$out")" "Usage: minirun image add NAME[:TAG] DIR|TARBALL"
  t_run "$MINIRUN" image ls -h
  assert_success
  assert_eq "$(head -n 1 <<<"$out")" "Usage: minirun image ls [-q|--quiet] [-f|--format table|json]"
  t_run "$MINIRUN" image frobnicate
  assert_status 1
  assert_contains "$err" "unknown command 'frobnicate'"
  t_run "$MINIRUN" image
  assert_status 1
}

test_the_store_follows_the_root ()
{
  local src
  src=$(rootfs)
  img add rooted "$src" >/dev/null
  t_run timeout 10 "$MINIRUN" --root "$T_DIR/other-root" image inspect rooted
  assert_failure
  assert_contains "$err" "image 'rooted:latest' not found"
  [ -f "$STORE/refs.json" ] || fail "no refs.json in $STORE"
}

t_ok "image add DIR prints the id and copies the tree" test_add_from_directory_prints_the_id_and_copies_the_tree
t_ok "image add from a gzip tarball, detected by content" test_add_from_a_gzip_tarball
t_ok "image add from plain, xz and zstd tarballs" test_add_from_xz_zstd_and_plain_tarballs
t_ok "image ls prints a table, JSON and ids" test_ls_prints_a_table_json_and_ids
t_ok "image ls of an empty store prints nothing and creates nothing" test_ls_of_an_empty_store
t_ok "image inspect prints the metadata" test_inspect_prints_the_metadata
t_ok "image add of an existing reference replaces it" test_add_again_replaces_the_image
t_ok "image rm removes images and reports unknown ones" test_rm_removes_images_and_reports_unknown_ones
t_ok "invalid references are errors that name the rule" test_invalid_references_name_the_rule
t_ok "sources that are not images are errors that leave nothing" test_sources_that_are_not_images_are_errors
t_ok "malicious archives stay inside the image" test_malicious_archives_stay_inside_the_image
t_ok "image subcommands answer --help" test_help_of_the_subcommands
t_ok "each --root has a store of its own" test_the_store_follows_the_root
t_done
