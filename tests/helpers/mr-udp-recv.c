/* mr-udp-recv PORT COUNT: receives COUNT UDP datagrams on 0.0.0.0:PORT
 * and prints one line for each, "SENDER-ADDRESS PAYLOAD", for the
 * published port tests, inside a container whose busybox nc has no UDP.
 * Gives up after 60 seconds without a datagram, so that a test that
 * lost one does not hang.  Linked statically.  */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_ANY) };
  struct timeval tv = { .tv_sec = 60 };
  long port, count;
  int fd;

  if (argc != 3 || (port = strtol (argv[1], NULL, 10)) <= 0 || port > 65535
      || (count = strtol (argv[2], NULL, 10)) <= 0)
    {
      fputs ("usage: mr-udp-recv PORT COUNT\n", stderr);
      return 2;
    }
  a.sin_port = htons ((unsigned short)port);
  fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0
      || bind (fd, (struct sockaddr *)&a, sizeof a) < 0)
    {
      perror ("mr-udp-recv: socket");
      return 1;
    }
  /* the test waits for this line before it sends */
  printf ("listening on %ld\n", port);
  fflush (stdout);
  for (long i = 0; i < count; i++)
    {
      struct sockaddr_in from;
      socklen_t len = sizeof from;
      char buf[2048], addr[INET_ADDRSTRLEN];
      ssize_t n = recvfrom (fd, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &len);

      if (n < 0)
        {
          perror ("mr-udp-recv: recvfrom");
          return 1;
        }
      while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
      buf[n] = '\0';
      inet_ntop (AF_INET, &from.sin_addr, addr, sizeof addr);
      printf ("%s %s\n", addr, buf);
      fflush (stdout);
    }
  return 0;
}
