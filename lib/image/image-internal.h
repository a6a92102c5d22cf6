/* Parts of image.c that unit tests reach directly.  */
#ifndef MR_IMAGE_INTERNAL_H
#define MR_IMAGE_INTERNAL_H

#include <stdbool.h>

#include "minirun.h"

/* Copies the content of directory srcfd into the empty directory dstfd,
   then the top directory's own mode, owner and times: regular files (hard
   linked instead when link is true and the kernel allows it; hard links
   within the source stay hard links), directories, symlinks, fifos,
   device nodes (as root), owners (as root), modes, times and the user.*
   and security.* extended attributes.  Mount points below srcfd become
   empty directories; the directory skipfd (when >= 0, the store itself)
   is left out.  */
int mr_image_copy_tree (int srcfd, int dstfd, bool link, int skipfd, struct mr_error *err);

/* Removes name (below dirfd) and everything under it, never following a
   symlink and refusing to descend into a mount point; what names the tree
   in errors.  A missing name is not an error.  */
int mr_remove_tree_at (int dirfd, const char *name, const char *what, struct mr_error *err);

#endif
