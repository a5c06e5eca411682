/*
 * framealloc-engine's native core: shared declarations.
 *
 * The extension implements the allocator's hot paths (the frame arena, the pools, the
 * per-thread dispatch) with the semantics of the pure-Python backend in
 * framealloc_engine/allocators/arena.py and pool.py, which stay the reference: both
 * backends pass one test suite. Every array handed out has a non-array base object (an
 * ArenaMemory or a PageOwner), so numpy makes it the base of everything derived from it and
 * its reference count counts every reference a user kept: an array is reused only when
 * nothing but the allocator holds it.
 */
#ifndef FRAMEALLOC_NATIVE_H
#define FRAMEALLOC_NATIVE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#ifndef NPY_NO_DEPRECATED_API
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#endif
#define PY_ARRAY_UNIQUE_SYMBOL framealloc_native_ARRAY_API
#ifndef FRAMEALLOC_IMPORT_ARRAY
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include <stdint.h>

/* Alignment of every buffer the extension allocates (a cache line). */
#define FA_BUFFER_ALIGN 64

/* --- memory.c: the owner of a block of bytes, the base of the arrays over it ----------- */

typedef struct {
    PyObject_HEAD
    char *data;           /* FA_BUFFER_ALIGN-aligned */
    Py_ssize_t size;
    void *raw;            /* what malloc returned (data is inside it) */
} ArenaMemory;

extern PyTypeObject ArenaMemory_Type;

/* A new owner of `size` zero-filled (so prefaulted) bytes, or NULL with MemoryError set. */
ArenaMemory *fa_memory_new(Py_ssize_t size);

/*
 * A C-contiguous, aligned, writeable array of `descr` (reference stolen) and `shape` over
 * `data`, whose base is `owner` (a non-array object: the array is its own collapse point).
 * Returns a new reference, or NULL with an exception set.
 */
PyObject *fa_array_over(PyObject *owner, char *data, PyArray_Descr *descr,
                        PyObject *shape);

/* --- module.c: what the C code borrows from the Python side ----------------------------- */

typedef struct {
    PyObject *layout_of;          /* framealloc_engine.allocators.layout.layout_of */
    PyObject *exact_shape;        /* ...layout.exact_shape */
    PyObject *checkpoint_type;    /* framealloc_engine.allocators.checkpoint.ArenaCheckpoint */
    PyObject *frame_not_active;   /* framealloc_engine.errors.FrameNotActiveError */
    PyObject *arena_exhausted;    /* ...errors.ArenaExhaustedError */
    PyObject *finalize;           /* weakref.finalize */
    PyObject *shares_memory;      /* numpy.shares_memory */
    PyObject *str_note;           /* "note" */
    PyObject *str_help;           /* "help" */
    PyObject *str_index;          /* "index" */
    PyObject *str_offset;         /* "offset" */
    PyObject *str_append;         /* "append" */
} NativeRefs;

/* The Python objects the C code uses, imported on first need; NULL with an error set if
 * an import failed. */
NativeRefs *fa_refs(void);

/* Raise `error_type(message, note=note, help=help)` (note/help may be NULL). Returns NULL. */
PyObject *fa_raise(PyObject *error_type, const char *message, const char *note,
                   const char *help);

/* 1 if `shape` (the request) equals the remembered `key` exactly (an int equal to an int,
 * a tuple of ints equal item by item; a float, a bool, a list never), else 0. */
int fa_same_shape(PyObject *key, PyObject *shape);

/* --- arena.c ------------------------------------------------------------------------- */

extern PyTypeObject NativeArena_Type;

/* The calling thread's frame allocation (the dispatch calls these directly). */
PyObject *fa_arena_alloc(PyObject *arena, PyObject *dtype, PyObject *shape, int raise_full);

/* Remembered (dtype, shape) -> layout: what a request needs without calling Python. The
 * shape is remembered only when it is an int or a tuple of ints (never a float, a bool or a
 * list), so validation never depends on what was asked before. */
typedef struct {
    PyObject *dtype;   /* the dtype spec as passed (strong) */
    PyObject *shape;   /* the shape as passed (strong) */
    PyObject *layout;  /* the Layout named tuple (strong) */
    Py_ssize_t extra;  /* what the user of the cache keeps with it (the pools' class) */
} LayoutSlot;

#define FA_LAYOUT_SLOTS 16

typedef struct {
    LayoutSlot slots[FA_LAYOUT_SLOTS];
    Py_ssize_t next;
} LayoutCache;

/* The slot remembering exactly this request, or NULL. */
LayoutSlot *fa_layout_find(LayoutCache *cache, PyObject *dtype, PyObject *shape);
/* Whether a shape may be remembered. */
int fa_layout_rememberable(PyObject *shape);
/* Remember `layout` for the request (replacing the oldest slot); returns the slot. */
LayoutSlot *fa_layout_remember(LayoutCache *cache, PyObject *dtype, PyObject *shape,
                               PyObject *layout, Py_ssize_t extra);
void fa_layout_clear(LayoutCache *cache);
int fa_layout_traverse(LayoutCache *cache, visitproc visit, void *arg);

/* Parse (dtype, shape=()) given positionally or by keyword; borrowed results. */
int fa_parse_request(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                     PyObject **dtype, PyObject **shape);
/* The same, with the usual call (two positional arguments) taken inline. */
static inline int
fa_take_request(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, PyObject **dtype,
                PyObject **shape)
{
    if (nargs == 2 && kwnames == NULL) {
        *dtype = args[0];
        *shape = args[1];
        return 0;
    }
    return fa_parse_request(args, nargs, kwnames, dtype, shape);
}

/* --- pools.c ------------------------------------------------------------------------- */

extern PyTypeObject NativeBlock_Type;
extern PyTypeObject PoolPaths_Type;

/* The calling thread's pool allocation and free (the dispatch calls these directly). */
PyObject *fa_pools_alloc(PyObject *paths, PyObject *dtype, PyObject *shape);
PyObject *fa_pools_free(PyObject *paths, PyObject *array);

/* --- front.c ------------------------------------------------------------------------- */

extern PyTypeObject NativeFront_Type;

/* --- handles.c ----------------------------------------------------------------------- */

extern PyTypeObject HandleResolver_Type;

/* --- capture.c ----------------------------------------------------------------------- */

extern PyTypeObject NumpyCapture_Type;

#endif /* FRAMEALLOC_NATIVE_H */
