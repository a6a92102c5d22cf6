/* The HTTP layer without a socket: assets built into the library.  */
#include "config.h"

#include <string.h>

#include "http/server.h"
#include "unit.h"

START_TEST (the_openapi_document_is_built_in_whole)
{
  ck_assert_uint_gt (mr_asset_openapi_yaml_len (), 0);
  ck_assert_uint_eq (strlen (mr_asset_openapi_yaml), mr_asset_openapi_yaml_len ());
  ck_assert (strncmp (mr_asset_openapi_yaml, "openapi:", 8) == 0);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("api");
  TCase *tc = tcase_create ("api");

  tcase_add_test (tc, the_openapi_document_is_built_in_whole);
  suite_add_tcase (s, tc);
  return unit_run (s);
}
