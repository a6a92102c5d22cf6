/* Pseudo-terminals for containers with process.terminal: the pty is made
 * inside the container (its own devpts) and the master is sent over the
 * --console-socket with SCM_RIGHTS, as runc does.  */
#ifndef MR_LINUX_TERMINAL_H
#define MR_LINUX_TERMINAL_H

#include "minirun.h"

/* Connects to the unix socket at path (before pivot_root).  */
int mr_console_socket_connect (const char *path, int *fd, struct mr_error *err);

/* Opens /dev/ptmx of the current root and its peer.  */
int mr_pty_open (int *master, int *slave, struct mr_error *err);

/* Sends fd over a connected unix socket, with name as the payload.  */
int mr_send_fd (int sock, int fd, const char *name, struct mr_error *err);

/* Receives an fd sent by mr_send_fd.  */
int mr_recv_fd (int sock, int *fd, struct mr_error *err);

/* Makes slave the controlling terminal of a new session and stdin, stdout,
 * stderr; sets its size when both dimensions are given.  */
int mr_pty_make_controlling (int slave, unsigned height, unsigned width, struct mr_error *err);

/* Output as written: no carriage return added before each newline.  */
int mr_pty_clear_onlcr (int fd, struct mr_error *err);

#endif
