/* Files inside a container's root, for the verbs of lib/minirun.h that
 * read and write them (mr_container_copy_to, copy_from, file_open,
 * file_read, file_write, useradd).  Each takes the validated id and whether
 * it names a managed container, whose root is its record's while it does
 * not run; otherwise as the public verb.  */
#ifndef MR_FILES_H
#define MR_FILES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "minirun.h"

int mr_files_copy_to (struct mr_context *ctx, const char *id, bool managed, const char *host_src,
                      const char *ctr_dst, const struct mr_cp_opts *opts, struct mr_error *err);
int mr_files_copy_from (struct mr_context *ctx, const char *id, bool managed, const char *ctr_src,
                        const char *host_dst, const struct mr_cp_opts *opts, struct mr_error *err);
int mr_files_open (struct mr_context *ctx, const char *id, bool managed, const char *path,
                   size_t max, int *fd, uint64_t *size, mode_t *mode, struct mr_error *err);
int mr_files_read (struct mr_context *ctx, const char *id, bool managed, const char *path,
                   size_t max, char **data, size_t *len, mode_t *mode, struct mr_error *err);
int mr_files_write (struct mr_context *ctx, const char *id, bool managed, const char *path,
                    const void *data, size_t len, mode_t mode, struct mr_error *err);
int mr_files_useradd (struct mr_context *ctx, const char *id, bool managed,
                      const struct mr_useradd_opts *opts, struct mr_error *err);

#endif
