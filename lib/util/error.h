/* Internal error helpers: every fallible function fills a struct mr_error and
 * returns a negative value.  */
#ifndef MR_UTIL_ERROR_H
#define MR_UTIL_ERROR_H

#include "minirun.h"

/* Sets the message (printf format) and errnum 0; returns -1.  */
int mr_error_set (struct mr_error *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Sets "MESSAGE: strerror(errnum)"; returns -1.  errno is preserved.  */
int mr_error_errno (struct mr_error *err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Prepends "CONTEXT: " to an existing message; returns -1.  */
int mr_error_prefix (struct mr_error *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

#endif
