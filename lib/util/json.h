/* jansson values under __attribute__((cleanup)), as util/cleanup.h does for
 * the rest.  */
#ifndef MR_UTIL_JSON_H
#define MR_UTIL_JSON_H

#include <jansson.h>

static inline void
cleanup_jsonp (json_t **j)
{
  json_decref (*j);
}
#define cleanup_json __attribute__ ((cleanup (cleanup_jsonp)))

#endif
