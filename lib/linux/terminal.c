#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "linux/terminal.h"
#include "util/error.h"

int
mr_console_socket_connect (const char *path, int *fd, struct mr_error *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int s;

  if (strlen (path) >= sizeof addr.sun_path)
    return mr_error_set (err, "console socket path '%s' is too long", path);
  strcpy (addr.sun_path, path);
  s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return mr_error_errno (err, errno, "console socket");
  if (connect (s, (struct sockaddr *)&addr, sizeof addr) < 0)
    {
      int e = errno;
      close (s);
      return mr_error_errno (err, e, "connect to console socket '%s'", path);
    }
  *fd = s;
  return 0;
}

int
mr_pty_open (int *master, int *slave, struct mr_error *err)
{
  int unlock = 0;
  int m, s;

  m = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0)
    return mr_error_errno (err, errno, "open '/dev/ptmx'");
  if (ioctl (m, TIOCSPTLCK, &unlock) < 0)
    {
      int e = errno;
      close (m);
      return mr_error_errno (err, e, "unlock pty");
    }
  /* TIOCGPTPEER opens the peer without a path lookup an attacker could race */
  s = ioctl (m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    {
      int e = errno;
      close (m);
      return mr_error_errno (err, e, "open pty peer");
    }
  *master = m;
  *slave = s;
  return 0;
}

int
mr_send_fd (int sock, int fd, const char *name, struct mr_error *err)
{
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = (void *)name, .iov_len = strlen (name) };
  struct msghdr msg = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = cbuf,
    .msg_controllen = sizeof cbuf,
  };
  struct cmsghdr *c;

  memset (cbuf, 0, sizeof cbuf);
  if (iov.iov_len == 0)
    {
      iov.iov_base = (void *)"/dev/ptmx";
      iov.iov_len = strlen ("/dev/ptmx");
    }
  c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  while (sendmsg (sock, &msg, MSG_NOSIGNAL) < 0)
    if (errno != EINTR)
      return mr_error_errno (err, errno, "send pty master over the console socket");
  return 0;
}

int
mr_recv_fd (int sock, int *fd, struct mr_error *err)
{
  char cbuf[CMSG_SPACE (sizeof (int))];
  char data[256];
  struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
  struct msghdr msg = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = cbuf,
    .msg_controllen = sizeof cbuf,
  };
  struct cmsghdr *c;
  ssize_t r;

  do
    r = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return mr_error_errno (err, errno, "receive pty master");
  c = CMSG_FIRSTHDR (&msg);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN (sizeof (int)))
    return mr_error_set (err, "receive pty master: no file descriptor in the message");
  memcpy (fd, CMSG_DATA (c), sizeof (int));
  return 0;
}

int
mr_pty_clear_onlcr (int fd, struct mr_error *err)
{
  struct termios t;

  if (tcgetattr (fd, &t) < 0)
    return mr_error_errno (err, errno, "read the terminal's settings");
  t.c_oflag &= ~(tcflag_t)ONLCR;
  if (tcsetattr (fd, TCSANOW, &t) < 0)
    return mr_error_errno (err, errno, "clear ONLCR on the terminal");
  return 0;
}

int
mr_pty_make_controlling (int slave, unsigned height, unsigned width, struct mr_error *err)
{
  if (setsid () < 0)
    return mr_error_errno (err, errno, "setsid");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return mr_error_errno (err, errno, "make the pty the controlling terminal");
  if (height > 0 && width > 0)
    {
      struct winsize ws = { .ws_row = (unsigned short)height, .ws_col = (unsigned short)width };
      if (ioctl (slave, TIOCSWINSZ, &ws) < 0)
        return mr_error_errno (err, errno, "set the terminal size");
    }
  for (int i = 0; i < 3; i++)
    if (dup2 (slave, i) < 0)
      return mr_error_errno (err, errno, "dup2 pty to fd %d", i);
  if (slave > 2)
    close (slave);
  return 0;
}
