#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

void
mr_error_clear (struct mr_error *err)
{
  if (err == NULL)
    return;
  err->errnum = 0;
  err->msg[0] = '\0';
}

int
mr_error_set (struct mr_error *err, const char *fmt, ...)
{
  va_list ap;

  if (err == NULL)
    return -1;
  va_start (ap, fmt);
  vsnprintf (err->msg, sizeof err->msg, fmt, ap);
  va_end (ap);
  err->errnum = 0;
  return -1;
}

int
mr_error_errno (struct mr_error *err, int errnum, const char *fmt, ...)
{
  int saved = errno;
  va_list ap;
  size_t len;

  if (err == NULL)
    return -1;
  va_start (ap, fmt);
  vsnprintf (err->msg, sizeof err->msg, fmt, ap);
  va_end (ap);
  len = strlen (err->msg);
  if (errnum != 0 && len < sizeof err->msg)
    snprintf (err->msg + len, sizeof err->msg - len, ": %s", strerror (errnum));
  err->errnum = errnum;
  errno = saved;
  return -1;
}

int
mr_error_prefix (struct mr_error *err, const char *fmt, ...)
{
  char prefix[MR_ERROR_MSG_MAX];
  char old[MR_ERROR_MSG_MAX];
  va_list ap;

  if (err == NULL)
    return -1;
  va_start (ap, fmt);
  vsnprintf (prefix, sizeof prefix, fmt, ap);
  va_end (ap);
  memcpy (old, err->msg, sizeof old);
  /* truncation of long chains is fine: the root cause is at the end, but the
     subject the user named comes first */
  {
    size_t n = strlen (prefix);
    if (n > sizeof err->msg - 3)
      n = sizeof err->msg - 3;
    memcpy (err->msg, prefix, n);
    memcpy (err->msg + n, ": ", 2);
    n += 2;
    {
      size_t m = strnlen (old, sizeof err->msg - n - 1);
      memcpy (err->msg + n, old, m);
      err->msg[n + m] = '\0';
    }
  }
  return -1;
}
