/* A tar reader that unpacks archives nobody vouched for: every entry is
 * created relative to a directory fd with the in-root resolution of path.h,
 * so that no absolute name, no "..", and no symlink planted by an earlier
 * entry can put anything outside that directory.  Reads ustar, pax extended
 * headers (long names and link names, sizes, ids, times, SCHILY.xattr) and
 * GNU long names ('L', 'K'); compressed archives go through the external
 * gzip, xz, zstd or bzip2 tool.  */
#ifndef MR_UTIL_TAR_H
#define MR_UTIL_TAR_H

#include <stdbool.h>
#include <stddef.h>

#include "minirun.h"

enum
{
  /* chown every entry to the uid and gid the archive gives */
  MR_TAR_SAME_OWNER = 1 << 0,
  /* create character and block devices (without it they are skipped, as
     they are when mknod is not permitted) */
  MR_TAR_DEVICES = 1 << 1,
  /* set the SCHILY.xattr.* attributes of files and directories, where the
     file system and our privileges allow */
  MR_TAR_XATTRS = 1 << 2,
};

enum mr_compression
{
  MR_COMPRESSION_NONE = 0,
  MR_COMPRESSION_GZIP,
  MR_COMPRESSION_XZ,
  MR_COMPRESSION_ZSTD,
  MR_COMPRESSION_BZIP2,
};

/* The compression a stream starting with buf (len bytes) uses, from its
   magic bytes; MR_COMPRESSION_NONE when none is recognised.  */
enum mr_compression mr_compression_detect (const void *buf, size_t len);

/* Whether an extended attribute may be set from an archive or a copied
   tree: user.* and security.* (file capabilities), never trusted.*, which
   an overlay mount of the tree would act on.  */
bool mr_tar_xattr_allowed (const char *name);

/* Whether a 512-byte block is a tar header: its checksum adds up.  */
bool mr_tar_header_valid (const void *block);

/* An archive member's path as it is created: leading slashes and "."
   components dropped, repeated slashes collapsed ("" is the top directory).
   A ".." component is an error naming the path.  Caller frees *out.  */
int mr_tar_clean_path (const char *path, char **out, struct mr_error *err);

/* Unpacks the uncompressed tar stream read from fd into the directory
   rootfd.  flags: MR_TAR_*.  Stops at the end-of-archive blocks (or at the
   end of the input after a whole entry).  */
int mr_tar_extract (int fd, int rootfd, unsigned flags, struct mr_error *err);

/* Unpacks the archive file open on fd (its name, for messages, in name),
   plain or compressed, detected from its first bytes; a compressed one is
   piped through the decompressor, whose absence is an error naming the
   package to install.  */
int mr_tar_extract_file (int fd, const char *name, int rootfd, unsigned flags,
                         struct mr_error *err);

#endif
