/* Runs a Check suite and reports every test case as a TAP line on stdout,
 * so that the automake TAP driver counts unit tests one by one.  */
#ifndef MR_UNIT_H
#define MR_UNIT_H

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static inline int
unit_run (Suite *s)
{
  SRunner *sr = srunner_create (s);
  int failed;

  srunner_set_tap (sr, "-");
  srunner_run_all (sr, CK_SILENT);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static inline int
unit_rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)flag;
  (void)ftw;
  remove (path);
  return 0;
}

/* Removes the tree at path, without crossing into mounts below it.  */
static inline void
unit_rm_tree (const char *path)
{
  if (path)
    nftw (path, unit_rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* A new private directory /tmp/mr-test-NAME-XXXXXX (caller frees).  */
static inline char *
unit_mkdtemp (const char *name)
{
  char *t;

  if (asprintf (&t, "/tmp/mr-test-%s-XXXXXX", name) < 0 || mkdtemp (t) == NULL)
    abort ();
  return t;
}

#endif
