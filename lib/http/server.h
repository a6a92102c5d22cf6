/* The HTTP side of `minirun serve`: server.c owns the listening socket and
 * libmicrohttpd, api.c turns one request into one JSON response.  */
#ifndef MR_HTTP_SERVER_H
#define MR_HTTP_SERVER_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "minirun.h"

struct mr_api
{
  struct mr_context *ctx;
  /* The library's calls that change containers fork and wait for children;
   * they run one at a time.  */
  pthread_mutex_t lock;
  struct timespec started; /* CLOCK_MONOTONIC */
};

struct mr_api_request
{
  const char *method;
  const char *path; /* without the query string */
  /* A query parameter's value; NULL when absent.  */
  const char *(*query) (void *data, const char *key);
  void *query_data;
};

struct mr_api_response
{
  unsigned status;
  char *body;        /* a JSON document (caller frees) */
  const char *allow; /* for 405: the methods the path takes */
};

/* Fills res for req; never fails: an error is an error response.  */
void mr_api_handle (struct mr_api *api, const struct mr_api_request *req,
                    struct mr_api_response *res);

/* An error envelope with the given status and message (caller frees).  */
char *mr_api_error_body (unsigned status, const char *message);

#endif
