/* mr-syscall NR: makes syscall NR with zero arguments and prints
 * "errno=N" (0 when it succeeded), for the seccomp tests, inside a
 * container that has no compiler.  Linked statically.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  long nr, r;

  if (argc != 2)
    {
      fputs ("usage: mr-syscall NR\n", stderr);
      return 2;
    }
  nr = strtol (argv[1], NULL, 10);
  errno = 0;
  r = syscall (nr, 0, 0, 0, 0, 0, 0);
  printf ("errno=%d\n", r < 0 ? errno : 0);
  return 0;
}
