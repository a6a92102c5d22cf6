/* Runs a Check suite and reports every test case as a TAP line on stdout,
 * so that the automake TAP driver counts unit tests one by one.  */
#ifndef MR_UNIT_H
#define MR_UNIT_H

#include <check.h>
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

#endif
