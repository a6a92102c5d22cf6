#!/bin/bash
# process.terminal: the runtime makes a pseudo-terminal for the container and
# sends its master to --console-socket.
. "$(dirname "$0")/lib.sh"

# tty_bundle SCRIPT: a bundle whose process runs SCRIPT on a terminal.
tty_bundle ()
{
  new_bundle /bin/sh -c "$1"
  cfg '.process.terminal = true'
  SOCK=$T_DIR/$ID.sock
  TTY=$T_DIR/$ID.tty
}

test_create_with_terminal_sends_the_master ()
{
  tty_bundle 'tty; echo hello-from-tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-stdio-on-tty'
  tty_receiver "$SOCK" "$TTY"
  create_ctr --console-socket "$SOCK"
  t_run rt start "$ID"
  assert_success
  tty_output "$TTY"
  assert_eq "$TTY_OUT" $'/dev/pts/0\nhello-from-tty\nall-stdio-on-tty' "terminal output"
  wait_status "$ID" stopped
}

test_run_detached_with_terminal ()
{
  tty_bundle 'echo detached; sleep 0.2'
  tty_receiver "$SOCK" "$TTY"
  t_run rt run -d --console-socket "$SOCK" --bundle "$B" "$ID"
  assert_success
  tty_output "$TTY"
  assert_eq "$TTY_OUT" detached "terminal output"
}

test_terminal_input ()
{
  tty_bundle 'read line; echo "got $line"'
  tty_receiver "$SOCK" "$TTY" --input $'typed\n'
  create_ctr --console-socket "$SOCK"
  t_run rt start "$ID"
  assert_success
  tty_output "$TTY"
  # the terminal echoes the input, then the answer
  assert_eq "$(tail -n 1 <<<"$TTY_OUT")" "got typed" "answer"
}

test_terminal_is_the_controlling_terminal ()
{
  tty_bundle 'cat /proc/self/stat | cut -d" " -f7; stat -c %t:%T /dev/pts/0; ls -l /dev/console'
  tty_receiver "$SOCK" "$TTY"
  create_ctr --console-socket "$SOCK"
  t_run rt start "$ID"
  assert_success
  tty_output "$TTY"
  local lines
  mapfile -t lines <<<"$TTY_OUT"
  # tty_nr of /dev/pts/0 is major 136, minor 0: 136 << 8
  assert_eq "${lines[0]}" 34816 "controlling terminal (tty_nr)"
  assert_eq "${lines[1]}" 88:0 "/dev/pts/0 numbers (hex)"
}

test_console_size ()
{
  tty_bundle 'stty size'
  cfg '.process.consoleSize = {"height": 31, "width": 101}'
  tty_receiver "$SOCK" "$TTY"
  create_ctr --console-socket "$SOCK"
  t_run rt start "$ID"
  assert_success
  tty_output "$TTY"
  assert_eq "$TTY_OUT" "31 101" "stty size"
}

test_terminal_without_console_socket_fails ()
{
  tty_bundle 'echo hi'
  t_run rt create --bundle "$B" "$ID"
  assert_failure
  [ ! -e "$T_ROOT/$ID" ] || fail "state directory left"
}

test_console_socket_that_does_not_exist_fails ()
{
  tty_bundle 'echo hi'
  t_run rt create --console-socket "$T_DIR/no-such.sock" --bundle "$B" "$ID"
  assert_failure
  [ ! -e "$T_ROOT/$ID" ] || fail "state directory left"
}

t_ok "create with terminal true sends a pty master; the process is on /dev/pts/0" test_create_with_terminal_sends_the_master
t_ok "run -d with a terminal" test_run_detached_with_terminal
t_ok "input written to the master reaches the process" test_terminal_input
t_ok "the terminal is the controlling terminal" test_terminal_is_the_controlling_terminal
t_ok "process.consoleSize sets the terminal size" test_console_size
t_ok "terminal true without --console-socket fails" test_terminal_without_console_socket_fails
t_ok "a --console-socket that does not exist fails" test_console_socket_that_does_not_exist_fails
t_done
