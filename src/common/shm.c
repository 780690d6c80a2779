/* SPDX-License-Identifier: MIT */
/* Segments and views: argument checks, then one backend call. */
#include "common.h"

#include <stdlib.h>
#include <string.h>

/* How often open-or-create retries when the segment appears or vanishes
 * between its open and create attempts (another process racing us). */
#define OPEN_OR_CREATE_ATTEMPTS 8

static int check_size(uint64_t size) {
  if (size == 0)
    return IPC_SHM_E_SIZE_ZERO;
  if (size > IPC_SHM__SIZE_LIMIT)
    return IPC_SHM_E_SIZE_TOO_BIG;
  return 0;
}

struct ipc_shm *ipc_shm__object_new(ipc_shm__object_t object, ipc_shm__backing_t backing) {
  struct ipc_shm *shm = (struct ipc_shm *)calloc(1, sizeof(*shm));
  if (shm != NULL) {
    ipc_shm__owned_init(&shm->owned);
    shm->object = object;
    shm->handle = IPC_SHM__NO_HANDLE;
    shm->backing = backing;
    ipc_shm__os_object_init(shm);
  }
  return shm;
}

static struct ipc_shm *new_segment(ipc_shm__backing_t backing) {
  return ipc_shm__object_new(IPC_SHM__OBJECT_SEGMENT, backing);
}

/* Common prologue of the named calls: checks, then a fresh object. */
static int begin_named(ipc_shm_t **out, const char *name, unsigned flags,
                       unsigned allowed_flags, struct ipc_shm **shm) {
  int err;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  if ((flags & ~allowed_flags) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = ipc_shm__check_name(name);
  if (err != 0)
    return ipc_shm__fail_arg(err);
  *shm = new_segment(IPC_SHM__BACKING_NAMED);
  if (*shm == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  memcpy((*shm)->name, name, strlen(name) + 1);
  return 0;
}

/* Hand a segment the backend filled to the caller, listing its handles as
 * owned; or free it after a failure. */
static int finish(ipc_shm_t **out, struct ipc_shm *shm, int err) {
  if (err != 0) {
    free(shm);
    return err;
  }
  shm->owned.handles[0] = shm->handle;
  ipc_shm__os_object_handles(shm, shm->owned.handles + 1);
  ipc_shm__owned_add(&shm->owned);
  *out = shm;
  return 0;
}

struct ipc_shm *ipc_shm__segment_new(void) {
  return new_segment(IPC_SHM__BACKING_ANONYMOUS);
}

int ipc_shm__segment_finish(ipc_shm_t **out, struct ipc_shm *shm, int err) {
  return finish(out, shm, err);
}

int ipc_shm_create(ipc_shm_t **out, const char *name, uint64_t size,
                   unsigned flags) {
  struct ipc_shm *shm = NULL;
  int err = begin_named(out, name, flags,
                        IPC_SHM_GLOBAL | IPC_SHM_NORESERVE | IPC_SHM__PERMS_MASK, &shm);
  if (err != 0)
    return err;
  err = check_size(size);
  if (err != 0)
    return finish(out, shm, ipc_shm__fail_arg(err));
  return finish(out, shm, ipc_shm__os_create(shm, name, size, flags));
}

/* Open the named object, which must be a segment: on POSIX an event or
 * mutex is a shared-memory object too, told apart by its state. */
static int open_segment(struct ipc_shm *shm, const char *name, unsigned flags) {
  int err = ipc_shm__os_open(shm, name, flags);
  if (err == 0 && ipc_shm__os_is_sync_object(shm->handle, shm->size)) {
    (void)ipc_shm__os_close(shm);
    shm->handle = IPC_SHM__NO_HANDLE;
    err = ipc_shm__fail_arg(IPC_SHM_E_WRONG_KIND);
  }
  return err;
}

int ipc_shm_open(ipc_shm_t **out, const char *name, unsigned flags) {
  struct ipc_shm *shm = NULL;
  int err =
      begin_named(out, name, flags, IPC_SHM_READONLY | IPC_SHM_GLOBAL, &shm);
  if (err != 0)
    return err;
  return finish(out, shm, open_segment(shm, name, flags));
}

/* Open first and create only when the name is missing: opening never needs
 * the right to create (Global\ on Windows), and never resizes (macOS sizes an
 * object once). A race with another creator or remover is retried. */
int ipc_shm_open_or_create(ipc_shm_t **out, const char *name, uint64_t size,
                           unsigned flags, int *created) {
  struct ipc_shm *shm = NULL;
  int attempt;
  int err = begin_named(out, name, flags,
                        IPC_SHM_GLOBAL | IPC_SHM_NORESERVE | IPC_SHM__PERMS_MASK, &shm);
  if (err != 0)
    return err;
  if (created != NULL)
    *created = 0;
  err = check_size(size);
  if (err != 0)
    return finish(out, shm, ipc_shm__fail_arg(err));

  for (attempt = 0; attempt < OPEN_OR_CREATE_ATTEMPTS; attempt++) {
    err = open_segment(shm, name, flags & IPC_SHM_GLOBAL);
    if (err == 0) {
      if (shm->size < size) {
        (void)ipc_shm__os_close(shm);
        err = ipc_shm__fail_arg(IPC_SHM_E_SIZE_MISMATCH);
      }
      return finish(out, shm, err);
    }
    if (err != IPC_SHM_E_NOT_FOUND)
      return finish(out, shm, err);
    err = ipc_shm__os_create(shm, name, size, flags);
    if (err != IPC_SHM_E_EXISTS) {
      if (err == 0 && created != NULL)
        *created = 1;
      return finish(out, shm, err);
    }
  }
  return finish(out, shm, err);
}

int ipc_shm_create_anonymous(ipc_shm_t **out, uint64_t size, unsigned flags) {
  struct ipc_shm *shm;
  int err;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  if ((flags & ~IPC_SHM_NORESERVE) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = check_size(size);
  if (err != 0)
    return ipc_shm__fail_arg(err);
  shm = new_segment(IPC_SHM__BACKING_ANONYMOUS);
  if (shm == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  return finish(out, shm, ipc_shm__os_create_anonymous(shm, size, flags));
}

/* The mapping size of a file of `file_size` bytes for a request of
 * `requested` bytes (0: the whole file). */
static int file_map_size(uint64_t requested, uint64_t file_size, int writable,
                         uint64_t *out) {
  if (requested == 0) {
    if (file_size == 0)
      return ipc_shm__fail_arg(IPC_SHM_E_SIZE_ZERO);
    *out = file_size;
    return 0;
  }
  if (requested > file_size && !writable)
    return ipc_shm__fail_arg(IPC_SHM_E_SIZE_MISMATCH);
  *out = requested;
  return 0;
}

static int map_file(struct ipc_shm *shm, const char *path, uint64_t requested,
                    unsigned flags) {
  ipc_shm__os_file_t file;
  uint64_t size = 0;
  int writable = (flags & IPC_SHM_READONLY) == 0;
  int err = ipc_shm__os_file_open(&file, path, flags);
  if (err != 0)
    return err;
  err = file_map_size(requested, file.size, writable, &size);
  if (err == 0)
    err = ipc_shm__os_file_map(shm, &file, size, writable);
  if (err != 0)
    ipc_shm__os_file_discard(&file);
  return err;
}

int ipc_shm_open_file(ipc_shm_t **out, const char *path, uint64_t size,
                      unsigned flags) {
  struct ipc_shm *shm;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  if (path == NULL ||
      (flags & ~(IPC_SHM_READONLY | IPC_SHM_FILE_CREATE | IPC_SHM__PERMS_MASK)) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  /* Creating a file only to map it read-only cannot be what was meant. */
  if ((flags & IPC_SHM_READONLY) && (flags & IPC_SHM_FILE_CREATE))
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  if (path[0] == '\0')
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_FOUND);
  if (size > IPC_SHM__SIZE_LIMIT)
    return ipc_shm__fail_arg(IPC_SHM_E_SIZE_TOO_BIG);
  shm = new_segment(IPC_SHM__BACKING_FILE);
  if (shm == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  return finish(out, shm, map_file(shm, path, size, flags));
}


int ipc_shm_close(ipc_shm_t *shm) {
  int err;
  if (shm == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  /* Unlisted first: once closed, the values may name new objects. */
  ipc_shm__owned_remove(&shm->owned);
  err = ipc_shm__os_close(shm);
  free(shm);
  return err;
}

int ipc_shm_remove(const char *name, unsigned flags) {
  int err;
  if ((flags & ~IPC_SHM_GLOBAL) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = ipc_shm__check_name(name);
  if (err != 0)
    return ipc_shm__fail_arg(err);
  return ipc_shm__os_remove(name, flags);
}

int ipc_shm_seal(ipc_shm_t *shm) {
  int err;
  if (shm == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  if (!shm->writable)
    return ipc_shm__fail_arg(IPC_SHM_E_ACCESS);
  err = ipc_shm__os_seal(shm);
  if (err == 0)
    shm->writable = 0;
  return err;
}

uint64_t ipc_shm_size(const ipc_shm_t *shm) {
  return shm != NULL ? shm->size : 0;
}

int ipc_shm_size_is_exact(const ipc_shm_t *shm) {
  return shm != NULL && shm->size_exact;
}

int ipc_shm_is_writable(const ipc_shm_t *shm) {
  return shm != NULL && shm->writable;
}

const char *ipc_shm_name(const ipc_shm_t *shm) {
  return shm != NULL && shm->backing == IPC_SHM__BACKING_NAMED ? shm->name : NULL;
}

ipc_shm_native_t ipc_shm_native_handle(const ipc_shm_t *shm) {
  return shm != NULL ? shm->handle : IPC_SHM__NO_HANDLE;
}

size_t ipc_shm_granularity(void) { return ipc_shm__os_granularity(); }

ipc_shm_lifetime_t ipc_shm_lifetime(void) { return ipc_shm__os_lifetime(); }

/* ---- Views ---- */

int ipc_shm_map(ipc_shm_view_t **out, const ipc_shm_t *shm, uint64_t offset,
                size_t length, ipc_shm_access_t access) {
  struct ipc_shm_view *view;
  uint64_t end, aligned, delta;
  int err;

  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  if (shm == NULL || (access != IPC_SHM_MAP_READ &&
                      access != IPC_SHM_MAP_WRITE && access != IPC_SHM_MAP_COPY))
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  if (access == IPC_SHM_MAP_WRITE && !shm->writable)
    return ipc_shm__fail_arg(IPC_SHM_E_ACCESS);
  if (offset >= shm->size)
    return ipc_shm__fail_arg(IPC_SHM_E_RANGE);
  if (length == 0) {
    if (shm->size - offset > (uint64_t)SIZE_MAX)
      return ipc_shm__fail_arg(IPC_SHM_E_SIZE_TOO_BIG);
    length = (size_t)(shm->size - offset);
  }
  if ((uint64_t)length > shm->size - offset)
    return ipc_shm__fail_arg(IPC_SHM_E_RANGE);
  end = offset + length;
  aligned = offset - offset % ipc_shm__os_granularity();
  delta = offset - aligned;
  if (end - aligned > (uint64_t)SIZE_MAX)
    return ipc_shm__fail_arg(IPC_SHM_E_SIZE_TOO_BIG);

  view = (struct ipc_shm_view *)calloc(1, sizeof(*view));
  if (view == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  ipc_shm__owned_init(&view->owned);
  view->access = access;
  view->size = length;
  view->mapped = (size_t)(end - aligned);
  ipc_shm__os_view_init(view);
  err = ipc_shm__os_map(view, shm, aligned, view->mapped);
  if (err != 0) {
    free(view);
    return err;
  }
  view->data = (unsigned char *)view->base + delta;
  view->owned.handles[0] = ipc_shm__os_view_handle(view);
  if (view->owned.handles[0] != IPC_SHM__NO_HANDLE)
    ipc_shm__owned_add(&view->owned);
  *out = view;
  return 0;
}

void *ipc_shm_view_data(const ipc_shm_view_t *view) {
  return view != NULL ? view->data : NULL;
}

size_t ipc_shm_view_size(const ipc_shm_view_t *view) {
  return view != NULL ? view->size : 0;
}

int ipc_shm_flush(ipc_shm_view_t *view, size_t offset, size_t length) {
  if (view == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  if (offset >= view->size)
    return ipc_shm__fail_arg(IPC_SHM_E_RANGE);
  if (length == 0)
    length = view->size - offset;
  if (length > view->size - offset)
    return ipc_shm__fail_arg(IPC_SHM_E_RANGE);
  if (view->access != IPC_SHM_MAP_WRITE)
    return 0;
  return ipc_shm__os_flush(view, (unsigned char *)view->data + offset, length);
}

int ipc_shm_unmap(ipc_shm_view_t *view) {
  int err;
  if (view == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  ipc_shm__owned_remove(&view->owned);
  err = ipc_shm__os_unmap(view);
  free(view);
  return err;
}
