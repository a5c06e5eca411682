/*
 * NumpyCapture: ordinary numpy code allocating from frame memory (numpy's memory-handler
 * API, NEP 49).
 *
 * One NumpyCapture per (allocator, thread). `enter()` installs a PyDataMem_Handler for the
 * calling context (numpy keeps the handler in a ContextVar, so per thread); `exit()` puts the
 * previous one back. While it is installed and a frame is open, every array-data allocation
 * of at least `threshold` bytes comes from the capture's chunks: bump allocation with a
 * 64-byte header in front of each block, LIFO reuse when the newest block dies, and a whole
 * chunk reset the moment its last block dies. Requests of `big_threshold` bytes or more get
 * a chunk of their own, kept for reuse by the next large request (a fresh 64 MiB temporary
 * then costs no page faults). Anything else (small requests, no open frame, the frame's byte
 * limit reached with the fallback policy) goes to the handler that was installed before,
 * which also frees it.
 *
 * Sound by construction: numpy calls the handler's free when an array dies, whenever and on
 * whatever thread that is. A chunk is reset only when no block in it is alive; at a frame's
 * end a chunk with live blocks (an array stored in a resource, returned, appended to a list)
 * is *retired*: never bumped again, and recycled when its last block dies. Nothing is moved
 * or reused while an array still points at it, so no two live arrays share bytes.
 *
 * Lifetime: each enter() makes a capsule whose context owns a reference to the capture and
 * to the previous handler's capsule; every array allocated through it holds the capsule, so
 * both outlive every array that needs them. All of this runs under the GIL (numpy calls the
 * handler with it held); see the README's notes on free-threaded builds.
 */
#include "native.h"

#include <stdlib.h>
#include <string.h>

#define HEADER 64
#define LIVE_MAGIC 0x46414341505455ULL /* "FACAPTU" */
#define FREE_MAGIC 0x46414652454544ULL /* "FAFREED" */
#define HANDLER_NAME "framealloc_frame_capture"
#define SPARE_BIG_MAX 8
/* Freed blocks below a chunk's top remembered for reuse (numpy's `b = a + 1` in a loop frees
 * the older result after making the newer one: not LIFO, but the same size again). */
#define HOLES 8

typedef struct Chunk Chunk;

struct Chunk {
    char *base;          /* 64-byte aligned */
    size_t size;
    size_t top;          /* bump offset */
    size_t last_start;   /* header offset of the newest block, or SIZE_MAX */
    size_t holes[HOLES]; /* header offsets of freed blocks below the top */
    int n_holes;
    Py_ssize_t live;     /* blocks alive in the chunk */
    size_t live_bytes;
    int big;             /* holds one large block */
    int retired;         /* had live blocks at a frame end */
    Chunk *prev;
    Chunk *next;
    void *raw;
};

typedef struct {
    uint64_t magic;
    Chunk *chunk;
    size_t size;         /* what numpy asked for */
    size_t start;        /* offset of this header in the chunk */
    size_t end;          /* offset just past the block */
    size_t prev_start;   /* the previous block's header offset (LIFO walk), or SIZE_MAX */
    PyObject *site;      /* debug: where it was allocated, or NULL */
    uint64_t frame;      /* the frame it was allocated in */
} Header;

typedef struct {
    Chunk *head;
} ChunkList;

typedef struct {
    PyObject_HEAD
    ChunkList active;      /* normal chunks of the open frame; the head is bumped */
    ChunkList retired;     /* chunks with blocks alive past a frame end */
    ChunkList big_live;    /* big chunks in use */
    ChunkList spare;       /* normal chunks ready for reuse */
    ChunkList spare_big;   /* big chunks ready for reuse */
    size_t chunk_size;
    size_t threshold;
    size_t big_threshold;
    size_t frame_limit;    /* bytes per frame, 0 for none */
    int raise_over_limit;  /* over the limit: fail the allocation (MemoryError) */
    int busy;              /* inside a Python callback: allocations fall back */
    int frame_active;
    int debug;
    Py_ssize_t depth;      /* nested enters */
    uint64_t frame;        /* frames begun */
    size_t frame_bytes;    /* captured this frame */
    /* cumulative counters */
    uint64_t count, bytes, frees, fallback_count, fallback_bytes, over_limit;
    uint64_t escapes, escaped_bytes;
    Py_ssize_t live_count;
    size_t live_bytes;
    size_t reserved;       /* chunk bytes held */
    PyObject *reserve;     /* reserve(nbytes) -> None, raises to refuse; or NULL */
    PyObject *release;     /* release(nbytes); or NULL */
    PyObject *site_of;     /* debug: () -> site object */
    PyObject *previous;    /* the capsule installed before enter() */
    PyObject *escaped_sites; /* debug: sites of blocks alive at the last frame end */
} NumpyCapture;

/* The context of one installed handler (one enter()). */
typedef struct {
    PyDataMem_Handler handler;
    NumpyCapture *capture;     /* strong */
    PyObject *previous;        /* the previous handler's capsule (strong) */
    PyDataMem_Handler *fallback; /* its handler */
} Installed;

/* --- lists ----------------------------------------------------------------------------- */

static void
list_push(ChunkList *list, Chunk *chunk)
{
    chunk->prev = NULL;
    chunk->next = list->head;
    if (list->head != NULL) {
        list->head->prev = chunk;
    }
    list->head = chunk;
}

static void
list_remove(ChunkList *list, Chunk *chunk)
{
    if (chunk->prev != NULL) {
        chunk->prev->next = chunk->next;
    }
    else {
        list->head = chunk->next;
    }
    if (chunk->next != NULL) {
        chunk->next->prev = chunk->prev;
    }
    chunk->prev = chunk->next = NULL;
}

static Py_ssize_t
list_length(ChunkList *list)
{
    Py_ssize_t n = 0;
    for (Chunk *c = list->head; c != NULL; c = c->next) {
        n++;
    }
    return n;
}

/* --- chunks ---------------------------------------------------------------------------- */

static void
reset_chunk(Chunk *chunk)
{
    chunk->top = 0;
    chunk->last_start = SIZE_MAX;
    chunk->n_holes = 0;
}

/* Forget the holes at or above `top` (the LIFO walk took them back into the free end). */
static void
drop_holes_from(Chunk *chunk, size_t top)
{
    int kept = 0;
    for (int i = 0; i < chunk->n_holes; i++) {
        if (chunk->holes[i] < top) {
            chunk->holes[kept++] = chunk->holes[i];
        }
    }
    chunk->n_holes = kept;
}

/* A freed block of `chunk` whose room fits `size` without wasting more than half of it. */
static void *
reuse_hole(NumpyCapture *self, Chunk *chunk, size_t size)
{
    for (int i = 0; i < chunk->n_holes; i++) {
        Header *header = (Header *)(chunk->base + chunk->holes[i]);
        size_t room = header->end - header->start - HEADER;
        if (room >= size && room <= 2 * size + FA_BUFFER_ALIGN) {
            chunk->holes[i] = chunk->holes[--chunk->n_holes];
            header->magic = LIVE_MAGIC;
            header->size = size;
            header->site = NULL;
            header->frame = self->frame;
            chunk->live++;
            chunk->live_bytes += size;
            return chunk->base + header->start + HEADER;
        }
    }
    return NULL;
}

/* Call a Python callback from inside the handler: allocations it makes fall back, and the
 * caller's pending exception (numpy may free while one is set) survives it. Returns 0, or
 * -1 if the callback raised (its error is dropped). */
static int
call_back(NumpyCapture *self, PyObject *callback, Py_ssize_t nbytes)
{
    PyObject *error_type, *error_value, *error_tb;
    PyErr_Fetch(&error_type, &error_value, &error_tb);
    self->busy = 1;
    PyObject *result = PyObject_CallFunction(callback, "n", nbytes);
    self->busy = 0;
    int status = result != NULL ? 0 : -1;
    Py_XDECREF(result);
    PyErr_Clear();
    PyErr_Restore(error_type, error_value, error_tb);
    return status;
}

static void
chunk_free(NumpyCapture *self, Chunk *chunk)
{
    self->reserved -= chunk->size;
    if (self->release != NULL) {
        call_back(self, self->release, (Py_ssize_t)chunk->size);
    }
    free(chunk->raw);
    PyMem_RawFree(chunk);
}

/* A new chunk of `size` bytes, or NULL (no exception: the caller falls back). */
static Chunk *
chunk_new(NumpyCapture *self, size_t size, int big)
{
    if (self->reserve != NULL && call_back(self, self->reserve, (Py_ssize_t)size) < 0) {
        return NULL; /* refused (the global memory limit): the caller falls back */
    }
    Chunk *chunk = PyMem_RawCalloc(1, sizeof(Chunk));
    void *raw = chunk != NULL ? malloc(size + FA_BUFFER_ALIGN) : NULL;
    if (raw == NULL) {
        PyMem_RawFree(chunk);
        if (self->release != NULL) {
            call_back(self, self->release, (Py_ssize_t)size);
        }
        return NULL;
    }
    uintptr_t address = ((uintptr_t)raw + FA_BUFFER_ALIGN - 1)
                        & ~(uintptr_t)(FA_BUFFER_ALIGN - 1);
    chunk->raw = raw;
    chunk->base = (char *)address;
    chunk->size = size;
    chunk->big = big;
    reset_chunk(chunk);
    if (!big) {
        memset(chunk->base, 0, size); /* touch every page now, not in a frame */
    }
    self->reserved += size;
    return chunk;
}

static Chunk *
find_chunk_in(ChunkList *list, const char *ptr)
{
    for (Chunk *c = list->head; c != NULL; c = c->next) {
        if (ptr >= c->base && ptr < c->base + c->size) {
            return c;
        }
    }
    return NULL;
}

/* The chunk holding `ptr`, if it is one of ours (blocks live only in these lists). */
static Chunk *
find_chunk(NumpyCapture *self, const char *ptr)
{
    Chunk *chunk = find_chunk_in(&self->active, ptr);
    if (chunk == NULL) {
        chunk = find_chunk_in(&self->big_live, ptr);
    }
    if (chunk == NULL) {
        chunk = find_chunk_in(&self->retired, ptr);
    }
    return chunk;
}

/* --- the handler ----------------------------------------------------------------------- */

static inline size_t
round_up(size_t value, size_t align)
{
    return (value + align - 1) & ~(align - 1);
}

static void *
place(NumpyCapture *self, Chunk *chunk, size_t size)
{
    size_t start = chunk->top;
    size_t end = start + HEADER + round_up(size ? size : 1, FA_BUFFER_ALIGN);
    if (end > chunk->size) {
        return NULL;
    }
    Header *header = (Header *)(chunk->base + start);
    header->magic = LIVE_MAGIC;
    header->chunk = chunk;
    header->size = size;
    header->start = start;
    header->end = end;
    header->prev_start = chunk->last_start; /* the block below, for the LIFO walk back */
    header->site = NULL;
    header->frame = self->frame;
    chunk->last_start = start;
    chunk->top = end;
    chunk->live++;
    chunk->live_bytes += size;
    return chunk->base + start + HEADER;
}

static void *
take(NumpyCapture *self, size_t size)
{
    if (size >= self->big_threshold) {
        size_t need = HEADER + round_up(size, FA_BUFFER_ALIGN);
        Chunk *best = NULL;
        for (Chunk *c = self->spare_big.head; c != NULL; c = c->next) {
            if (c->size >= need && (best == NULL || c->size < best->size)) {
                best = c;
            }
        }
        if (best != NULL) {
            list_remove(&self->spare_big, best);
        }
        else {
            best = chunk_new(self, round_up(need, 1 << 20), 1);
            if (best == NULL) {
                return NULL;
            }
        }
        reset_chunk(best);
        best->retired = 0;
        list_push(&self->big_live, best);
        return place(self, best, size);
    }
    Chunk *current = self->active.head;
    if (current != NULL) {
        void *ptr = current->n_holes ? reuse_hole(self, current, size) : NULL;
        if (ptr == NULL) {
            ptr = place(self, current, size);
        }
        if (ptr != NULL) {
            return ptr;
        }
    }
    Chunk *fresh = self->spare.head;
    if (fresh != NULL) {
        list_remove(&self->spare, fresh);
    }
    else {
        fresh = chunk_new(self, self->chunk_size, 0);
        if (fresh == NULL) {
            return NULL;
        }
    }
    reset_chunk(fresh);
    fresh->retired = 0;
    list_push(&self->active, fresh);
    return place(self, fresh, size);
}

static PyObject *
record_site(NumpyCapture *self)
{
    if (!self->debug || self->site_of == NULL) {
        return NULL;
    }
    PyObject *error_type, *error_value, *error_tb;
    PyErr_Fetch(&error_type, &error_value, &error_tb);
    self->busy = 1; /* recording may allocate arrays: not through us */
    PyObject *site = PyObject_CallNoArgs(self->site_of);
    self->busy = 0;
    if (site == NULL) {
        PyErr_Clear();
    }
    PyErr_Restore(error_type, error_value, error_tb);
    return site;
}

static void *
capture_malloc(void *ctx, size_t size)
{
    Installed *installed = ctx;
    NumpyCapture *self = installed->capture;
    if (self->frame_active && size >= self->threshold && !self->busy) {
        if (self->frame_limit == 0 || self->frame_bytes + size <= self->frame_limit) {
            void *ptr = take(self, size);
            if (ptr != NULL) {
                Header *header = (Header *)((char *)ptr - HEADER);
                header->site = record_site(self);
                self->count++;
                self->bytes += size;
                self->frame_bytes += size;
                self->live_count++;
                self->live_bytes += size;
                return ptr;
            }
        }
        else {
            self->over_limit++;
            if (self->raise_over_limit) {
                return NULL; /* numpy raises MemoryError */
            }
        }
    }
    self->fallback_count++;
    self->fallback_bytes += size;
    PyDataMemAllocator *fallback = &installed->fallback->allocator;
    return fallback->malloc(fallback->ctx, size);
}

static void *
capture_calloc(void *ctx, size_t nelem, size_t elsize)
{
    Installed *installed = ctx;
    if (elsize != 0 && nelem > SIZE_MAX / elsize) {
        return NULL;
    }
    size_t size = nelem * elsize;
    NumpyCapture *self = installed->capture;
    if (!(self->frame_active && size >= self->threshold && !self->busy)) {
        self->fallback_count++;
        self->fallback_bytes += size;
        PyDataMemAllocator *fallback = &installed->fallback->allocator;
        return fallback->calloc(fallback->ctx, nelem, elsize);
    }
    void *ptr = capture_malloc(ctx, size);
    if (ptr != NULL) {
        memset(ptr, 0, size); /* captured, or a fallback malloc past the frame's limit */
    }
    return ptr;
}

static void
release_block(NumpyCapture *self, Chunk *chunk, Header *header)
{
    header->magic = FREE_MAGIC;
    Py_CLEAR(header->site);
    chunk->live--;
    chunk->live_bytes -= header->size;
    self->live_count--;
    self->live_bytes -= header->size;
    self->frees++;
    if (chunk->live == 0) {
        reset_chunk(chunk);
        if (chunk->big) {
            chunk->retired = 0;
            list_remove(&self->big_live, chunk);
            list_push(&self->spare_big, chunk);
            if (list_length(&self->spare_big) > SPARE_BIG_MAX) {
                Chunk *smallest = self->spare_big.head;
                for (Chunk *c = self->spare_big.head; c != NULL; c = c->next) {
                    if (c->size < smallest->size) {
                        smallest = c;
                    }
                }
                list_remove(&self->spare_big, smallest);
                chunk_free(self, smallest);
            }
        }
        else if (chunk->retired) {
            chunk->retired = 0;
            list_remove(&self->retired, chunk);
            list_push(&self->spare, chunk);
        }
        else if (chunk != self->active.head) {
            /* a full chunk of this frame emptied: ready for reuse now */
            list_remove(&self->active, chunk);
            list_push(&self->spare, chunk);
        }
        return;
    }
    /* The newest block died: give its bytes (and those of dead blocks under it) back. */
    if (header->end == chunk->top && !chunk->retired) {
        size_t top = header->start;
        size_t prev = header->prev_start;
        while (prev != SIZE_MAX) {
            Header *below = (Header *)(chunk->base + prev);
            if (below->magic != FREE_MAGIC) {
                break;
            }
            top = below->start;
            prev = below->prev_start;
        }
        chunk->top = top;
        chunk->last_start = prev;
        if (chunk->n_holes) {
            drop_holes_from(chunk, top);
        }
    }
    else if (!chunk->retired && !chunk->big && chunk->n_holes < HOLES) {
        chunk->holes[chunk->n_holes++] = header->start;
    }
}

static void
capture_free(void *ctx, void *ptr, size_t size)
{
    Installed *installed = ctx;
    NumpyCapture *self = installed->capture;
    if (ptr == NULL) {
        return;
    }
    Chunk *chunk = find_chunk(self, ptr);
    if (chunk == NULL) {
        PyDataMemAllocator *fallback = &installed->fallback->allocator;
        fallback->free(fallback->ctx, ptr, size);
        return;
    }
    Header *header = (Header *)((char *)ptr - HEADER);
    if (header->magic != LIVE_MAGIC || header->chunk != chunk) {
        /* not a block start, or freed twice: numpy never does this; refuse to corrupt */
        PyObject *error_type, *error_value, *error_tb;
        PyErr_Fetch(&error_type, &error_value, &error_tb);
        if (PyErr_WarnEx(PyExc_RuntimeWarning,
                         "framealloc: numpy freed a captured block that is not live "
                         "(ignored)", 1) < 0) {
            PyErr_WriteUnraisable(NULL);
        }
        PyErr_Restore(error_type, error_value, error_tb);
        return;
    }
    release_block(self, chunk, header);
}

static void *
capture_realloc(void *ctx, void *ptr, size_t new_size)
{
    Installed *installed = ctx;
    NumpyCapture *self = installed->capture;
    if (ptr == NULL) {
        return capture_malloc(ctx, new_size);
    }
    Chunk *chunk = find_chunk(self, ptr);
    if (chunk == NULL) {
        PyDataMemAllocator *fallback = &installed->fallback->allocator;
        return fallback->realloc(fallback->ctx, ptr, new_size);
    }
    Header *header = (Header *)((char *)ptr - HEADER);
    if (new_size <= header->end - header->start - HEADER) {
        /* fits where it is */
        chunk->live_bytes = chunk->live_bytes - header->size + new_size;
        self->live_bytes = self->live_bytes - header->size + new_size;
        header->size = new_size;
        return ptr;
    }
    void *moved = capture_malloc(ctx, new_size);
    if (moved == NULL) {
        return NULL; /* ptr stays valid, as realloc promises */
    }
    memcpy(moved, ptr, header->size < new_size ? header->size : new_size);
    release_block(self, chunk, header);
    return moved;
}

/* --- installing ------------------------------------------------------------------------ */

static void
installed_destroy(PyObject *capsule)
{
    Installed *installed = PyCapsule_GetPointer(capsule, "mem_handler");
    if (installed == NULL) {
        PyErr_Clear();
        return;
    }
    Py_XDECREF(installed->capture);
    Py_XDECREF(installed->previous);
    PyMem_RawFree(installed);
}

static PyObject *
capture_enter(NumpyCapture *self, PyObject *Py_UNUSED(ignored))
{
    if (self->depth > 0) {
        self->depth++;
        Py_RETURN_NONE;
    }
    if (self->chunk_size == 0) {
        PyErr_SetString(PyExc_RuntimeError, "NumpyCapture used before __init__");
        return NULL;
    }
    PyObject *current = PyDataMem_GetHandler();
    if (current == NULL) {
        return NULL;
    }
    PyDataMem_Handler *fallback = PyCapsule_GetPointer(current, "mem_handler");
    if (fallback == NULL) {
        Py_DECREF(current);
        return NULL;
    }
    Installed *installed = PyMem_RawCalloc(1, sizeof(Installed));
    if (installed == NULL) {
        Py_DECREF(current);
        return PyErr_NoMemory();
    }
    PyOS_snprintf(installed->handler.name, sizeof(installed->handler.name), "%s",
                  HANDLER_NAME);
    installed->handler.version = 1;
    installed->handler.allocator.ctx = installed;
    installed->handler.allocator.malloc = capture_malloc;
    installed->handler.allocator.calloc = capture_calloc;
    installed->handler.allocator.realloc = capture_realloc;
    installed->handler.allocator.free = capture_free;
    installed->capture = (NumpyCapture *)Py_NewRef((PyObject *)self);
    installed->previous = current; /* the reference GetHandler gave */
    installed->fallback = fallback;
    /* the struct begins with the PyDataMem_Handler numpy reads */
    PyObject *capsule = PyCapsule_New(installed, "mem_handler", installed_destroy);
    if (capsule == NULL) {
        Py_DECREF(self);
        Py_DECREF(current);
        PyMem_RawFree(installed);
        return NULL;
    }
    PyObject *old = PyDataMem_SetHandler(capsule);
    Py_DECREF(capsule); /* the context variable holds it now */
    if (old == NULL) {
        return NULL;
    }
    Py_XSETREF(self->previous, old);
    self->depth = 1;
    Py_RETURN_NONE;
}

static PyObject *
capture_exit(NumpyCapture *self, PyObject *Py_UNUSED(ignored))
{
    if (self->depth == 0) {
        PyErr_SetString(PyExc_RuntimeError, "capture exited more often than entered");
        return NULL;
    }
    if (--self->depth > 0) {
        Py_RETURN_NONE;
    }
    PyObject *mine = PyDataMem_SetHandler(self->previous);
    if (mine == NULL) {
        return NULL;
    }
    Py_DECREF(mine);
    Py_CLEAR(self->previous);
    Py_RETURN_NONE;
}

/* --- frames ---------------------------------------------------------------------------- */

static PyObject *
capture_frame_begin(NumpyCapture *self, PyObject *Py_UNUSED(ignored))
{
    self->frame++;
    self->frame_active = 1;
    self->frame_bytes = 0;
    Py_RETURN_NONE;
}

/* Sites of the live blocks of `chunk` (debug mode), appended to `out`. */
static int
collect_sites(Chunk *chunk, PyObject *out)
{
    size_t offset = 0;
    while (offset < chunk->top) {
        Header *header = (Header *)(chunk->base + offset);
        if (header->magic == LIVE_MAGIC && header->site != NULL) {
            if (PyList_Append(out, header->site) < 0) {
                return -1;
            }
        }
        if (header->end <= offset) {
            break;
        }
        offset = header->end;
    }
    return 0;
}

static PyObject *
capture_frame_end(NumpyCapture *self, PyObject *Py_UNUSED(ignored))
{
    self->frame_active = 0;
    uint64_t escaped = 0;
    uint64_t escaped_bytes = 0;
    PyObject *sites = self->debug ? PyList_New(0) : NULL;
    if (self->debug && sites == NULL) {
        return NULL;
    }
    Chunk *chunk = self->active.head;
    while (chunk != NULL) {
        Chunk *next = chunk->next;
        list_remove(&self->active, chunk);
        if (chunk->live == 0) {
            reset_chunk(chunk);
            list_push(&self->spare, chunk);
        }
        else {
            /* blocks outlive the frame: never bump this chunk again until they die */
            escaped += (uint64_t)chunk->live;
            escaped_bytes += chunk->live_bytes;
            chunk->retired = 1;
            list_push(&self->retired, chunk);
            if (sites != NULL && collect_sites(chunk, sites) < 0) {
                Py_DECREF(sites);
                return NULL;
            }
        }
        chunk = next;
    }
    for (Chunk *big = self->big_live.head; big != NULL; big = big->next) {
        if (big->top > 0 && !big->retired) {
            big->retired = 1;
            escaped += (uint64_t)big->live;
            escaped_bytes += big->live_bytes;
            if (sites != NULL && collect_sites(big, sites) < 0) {
                Py_DECREF(sites);
                return NULL;
            }
        }
    }
    self->escapes += escaped;
    self->escaped_bytes += escaped_bytes;
    if (sites != NULL) {
        Py_XSETREF(self->escaped_sites, sites);
    }
    return Py_BuildValue("(KK)", (unsigned long long)escaped,
                         (unsigned long long)escaped_bytes);
}

static PyObject *
capture_trim(NumpyCapture *self, PyObject *Py_UNUSED(ignored))
{
    while (self->spare.head != NULL) {
        Chunk *chunk = self->spare.head;
        list_remove(&self->spare, chunk);
        chunk_free(self, chunk);
    }
    while (self->spare_big.head != NULL) {
        Chunk *chunk = self->spare_big.head;
        list_remove(&self->spare_big, chunk);
        chunk_free(self, chunk);
    }
    Py_RETURN_NONE;
}

static PyObject *
capture_owns(NumpyCapture *self, PyObject *array)
{
    if (!PyArray_Check(array)) {
        Py_RETURN_FALSE;
    }
    PyArrayObject *arr = (PyArrayObject *)array;
    while (PyArray_BASE(arr) != NULL && PyArray_Check(PyArray_BASE(arr))) {
        arr = (PyArrayObject *)PyArray_BASE(arr);
    }
    return PyBool_FromLong(find_chunk(self, PyArray_DATA(arr)) != NULL);
}

/* --- the object ------------------------------------------------------------------------ */

static int
capture_init(NumpyCapture *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"chunk_size", "threshold", "big_threshold", "frame_limit",
                               "raise_over_limit", "reserve", "release", "site_of", NULL};
    Py_ssize_t chunk_size = 4 << 20;
    Py_ssize_t threshold = 256;
    Py_ssize_t big_threshold = 1 << 20;
    Py_ssize_t frame_limit = 0;
    int raise_over_limit = 0;
    PyObject *reserve = Py_None;
    PyObject *release = Py_None;
    PyObject *site_of = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|$nnnnpOOO", keywords, &chunk_size,
                                     &threshold, &big_threshold, &frame_limit,
                                     &raise_over_limit, &reserve, &release, &site_of)) {
        return -1;
    }
    if (self->depth > 0 || self->reserved > 0) {
        PyErr_SetString(PyExc_RuntimeError, "NumpyCapture is already in use");
        return -1;
    }
    if (chunk_size < 4096 || threshold < 0 || big_threshold < 1 || frame_limit < 0
        || big_threshold > chunk_size) {
        PyErr_SetString(PyExc_ValueError,
                        "need chunk_size >= 4096, 0 < big_threshold <= chunk_size, "
                        "threshold >= 0 and frame_limit >= 0");
        return -1;
    }
    self->chunk_size = (size_t)chunk_size;
    self->threshold = (size_t)threshold;
    self->big_threshold = (size_t)big_threshold;
    self->frame_limit = (size_t)frame_limit;
    self->raise_over_limit = raise_over_limit;
    Py_XSETREF(self->reserve, reserve == Py_None ? NULL : Py_NewRef(reserve));
    Py_XSETREF(self->release, release == Py_None ? NULL : Py_NewRef(release));
    Py_XSETREF(self->site_of, site_of == Py_None ? NULL : Py_NewRef(site_of));
    self->debug = self->site_of != NULL;
    return 0;
}

static void
free_list(NumpyCapture *self, ChunkList *list)
{
    while (list->head != NULL) {
        Chunk *chunk = list->head;
        list_remove(list, chunk);
        /* only reached when no capsule (so no array) refers to the capture any more */
        size_t offset = 0;
        while (offset < chunk->top) {
            Header *header = (Header *)(chunk->base + offset);
            if (header->magic == LIVE_MAGIC) {
                Py_CLEAR(header->site);
            }
            if (header->end <= offset) {
                break;
            }
            offset = header->end;
        }
        chunk_free(self, chunk);
    }
}

static int
capture_traverse(NumpyCapture *self, visitproc visit, void *arg)
{
    Py_VISIT(self->reserve);
    Py_VISIT(self->release);
    Py_VISIT(self->site_of);
    Py_VISIT(self->previous);
    Py_VISIT(self->escaped_sites);
    return 0;
}

static int
capture_clear(NumpyCapture *self)
{
    Py_CLEAR(self->reserve);
    Py_CLEAR(self->release);
    Py_CLEAR(self->site_of);
    Py_CLEAR(self->previous);
    Py_CLEAR(self->escaped_sites);
    return 0;
}

static void
capture_dealloc(NumpyCapture *self)
{
    PyObject_GC_UnTrack(self);
    /* release callbacks go away first: the memory accounting dies with the allocator */
    Py_CLEAR(self->release);
    free_list(self, &self->active);
    free_list(self, &self->retired);
    free_list(self, &self->big_live);
    free_list(self, &self->spare);
    free_list(self, &self->spare_big);
    capture_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

#define U64_GETTER(field, doc)                                                            \
    static PyObject *get_##field(NumpyCapture *self, void *Py_UNUSED(closure))           \
    {                                                                                     \
        return PyLong_FromUnsignedLongLong((unsigned long long)self->field);             \
    }

U64_GETTER(count, "")
U64_GETTER(bytes, "")
U64_GETTER(frees, "")
U64_GETTER(fallback_count, "")
U64_GETTER(fallback_bytes, "")
U64_GETTER(over_limit, "")
U64_GETTER(escapes, "")
U64_GETTER(escaped_bytes, "")
U64_GETTER(live_bytes, "")
U64_GETTER(reserved, "")
U64_GETTER(frame_bytes, "")

static PyObject *
get_live_count(NumpyCapture *self, void *Py_UNUSED(closure))
{
    return PyLong_FromSsize_t(self->live_count);
}

static PyObject *
get_active(NumpyCapture *self, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(self->depth > 0);
}

static PyObject *
get_chunks(NumpyCapture *self, void *Py_UNUSED(closure))
{
    return Py_BuildValue("{s:n,s:n,s:n,s:n,s:n}", "active", list_length(&self->active),
                         "retired", list_length(&self->retired), "big_live",
                         list_length(&self->big_live), "spare", list_length(&self->spare),
                         "spare_big", list_length(&self->spare_big));
}

static PyObject *
get_escaped_sites(NumpyCapture *self, void *Py_UNUSED(closure))
{
    if (self->escaped_sites == NULL) {
        return PyList_New(0);
    }
    return Py_NewRef(self->escaped_sites);
}

static int
set_size(size_t *field, PyObject *value, const char *name)
{
    if (value == NULL) {
        PyErr_Format(PyExc_AttributeError, "cannot delete %s", name);
        return -1;
    }
    Py_ssize_t size = PyLong_AsSsize_t(value);
    if (size == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (size < 0) {
        PyErr_Format(PyExc_ValueError, "%s must be >= 0", name);
        return -1;
    }
    *field = (size_t)size;
    return 0;
}

static PyObject *
get_threshold(NumpyCapture *self, void *Py_UNUSED(closure))
{
    return PyLong_FromSize_t(self->threshold);
}

static int
set_threshold(NumpyCapture *self, PyObject *value, void *Py_UNUSED(closure))
{
    return set_size(&self->threshold, value, "threshold");
}

static PyObject *
get_frame_limit(NumpyCapture *self, void *Py_UNUSED(closure))
{
    return PyLong_FromSize_t(self->frame_limit);
}

static int
set_frame_limit(NumpyCapture *self, PyObject *value, void *Py_UNUSED(closure))
{
    return set_size(&self->frame_limit, value, "frame_limit");
}

static PyObject *
get_raise_over_limit(NumpyCapture *self, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(self->raise_over_limit);
}

static int
set_raise_over_limit(NumpyCapture *self, PyObject *value, void *Py_UNUSED(closure))
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete raise_over_limit");
        return -1;
    }
    int truth = PyObject_IsTrue(value);
    if (truth < 0) {
        return -1;
    }
    self->raise_over_limit = truth;
    return 0;
}

static PyObject *
get_frame_active(NumpyCapture *self, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(self->frame_active);
}

#define GETTER(name, doc) {#name, (getter)get_##name, NULL, PyDoc_STR(doc), NULL}
#define GETSET(name, doc) {#name, (getter)get_##name, (setter)set_##name, PyDoc_STR(doc), NULL}

static PyGetSetDef capture_getset[] = {
    GETTER(count, "Allocations served from frame memory (cumulative)."),
    GETTER(bytes, "Bytes served from frame memory (cumulative)."),
    GETTER(frees, "Captured blocks freed (cumulative)."),
    GETTER(fallback_count, "Allocations passed to the previous handler (cumulative)."),
    GETTER(fallback_bytes, "Bytes passed to the previous handler (cumulative)."),
    GETTER(over_limit, "Allocations that met the frame's byte limit (cumulative)."),
    GETTER(escapes, "Blocks found alive at a frame end (cumulative)."),
    GETTER(escaped_bytes, "Bytes of those blocks (cumulative)."),
    GETTER(live_count, "Captured blocks alive now."),
    GETTER(live_bytes, "Bytes of the captured blocks alive now."),
    GETTER(reserved, "Bytes of chunk memory held."),
    GETTER(frame_bytes, "Bytes captured in the current (or last) frame."),
    GETTER(active, "Whether the handler is installed on this context."),
    GETTER(chunks, "How many chunks are in each state."),
    GETTER(escaped_sites, "Debug mode: sites of the blocks alive at the last frame end."),
    GETTER(frame_active, "Whether a frame is open (allocations may be captured)."),
    GETSET(threshold, "Requests below this many bytes go to the previous handler."),
    GETSET(frame_limit, "Bytes a frame may capture (0: no limit)."),
    GETSET(raise_over_limit, "Past the limit: fail (MemoryError) instead of falling back."),
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef capture_methods[] = {
    {"enter", (PyCFunction)capture_enter, METH_NOARGS,
     PyDoc_STR("Install the capturing handler for the calling context (nests).")},
    {"exit", (PyCFunction)capture_exit, METH_NOARGS,
     PyDoc_STR("Put the previous handler back (after the last nested enter).")},
    {"frame_begin", (PyCFunction)capture_frame_begin, METH_NOARGS,
     PyDoc_STR("A frame opened on the owning thread: captured allocations may be served.")},
    {"frame_end", (PyCFunction)capture_frame_end, METH_NOARGS,
     PyDoc_STR("The frame ended: reset dead chunks, retire live ones; -> (escaped, bytes).")},
    {"trim", (PyCFunction)capture_trim, METH_NOARGS,
     PyDoc_STR("Free the spare chunks.")},
    {"owns", (PyCFunction)capture_owns, METH_O,
     PyDoc_STR("Whether an array's data lies in captured memory.")},
    {NULL, NULL, 0, NULL},
};

PyTypeObject NumpyCapture_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "framealloc_engine.allocators._native.NumpyCapture",
    .tp_doc = PyDoc_STR("NumpyCapture(*, chunk_size, threshold, big_threshold, frame_limit, "
                        "raise_over_limit, reserve, release, site_of) -- numpy data "
                        "allocations served from frame memory (NEP 49)."),
    .tp_basicsize = sizeof(NumpyCapture),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)capture_init,
    .tp_dealloc = (destructor)capture_dealloc,
    .tp_traverse = (traverseproc)capture_traverse,
    .tp_clear = (inquiry)capture_clear,
    .tp_methods = capture_methods,
    .tp_getset = capture_getset,
};
