/*
 * NativeFront: one allocator's per-thread dispatch, without threading.local.
 *
 * `alloc.frame_alloc` is the front's bound method, stored once on the allocator; a call
 * finds the calling thread's slot (its ThreadState, arena, pools and pool paths) and goes
 * straight to the arena's or the pools' C code. The slot of the last thread that called is
 * cached by the thread state's unique id (PyThreadState_GetID: never reused in a process,
 * unlike OS thread ids and thread-state addresses); the others sit in a dict by that id.
 * A slot is made on a thread's first call by the Python side (`make_slot`, which registers
 * the thread with the allocator), and dropped once its ThreadState is retired (the
 * allocator retires exited threads when a new one arrives, and the front forgets their
 * slots at the same moment).
 *
 * While observers or redirects are installed, `observe(paths)` routes every call to the
 * observed paths (Python), as the pure backend's PerThread does.
 */
#include "native.h"

#include <string.h>

enum { SLOT_STATE, SLOT_ARENA, SLOT_POOLS, SLOT_PATHS, SLOT_SIZE };

/* Method names of the pure arena and pools, called when a slot holds them. */
static PyObject *str_alloc = NULL;
static PyObject *str_try_alloc = NULL;
static PyObject *str_free = NULL;

typedef struct {
    PyObject_HEAD
    PyObject *make_slot;  /* () -> (state, arena, pools, paths or None) */
    PyObject *slots;      /* dict: thread-state id -> slot */
    PyObject *cached;     /* the last caller's slot (strong) or NULL */
    uint64_t cached_id;
    PyObject *observed;   /* NULL, or the observed paths' four methods (a tuple) */
    PyObject *str_alive;
} NativeFront;

static PyObject *
slot_for_new_thread(NativeFront *self, uint64_t id)
{
    PyObject *key = PyLong_FromUnsignedLongLong(id);
    if (key == NULL) {
        return NULL;
    }
    PyObject *slot = PyDict_GetItemWithError(self->slots, key); /* borrowed */
    if (slot != NULL) {
        Py_DECREF(key);
        return slot;
    }
    if (PyErr_Occurred()) {
        Py_DECREF(key);
        return NULL;
    }
    slot = PyObject_CallNoArgs(self->make_slot);
    if (slot == NULL) {
        Py_DECREF(key);
        return NULL;
    }
    if (!PyTuple_CheckExact(slot) || PyTuple_GET_SIZE(slot) != SLOT_SIZE) {
        Py_DECREF(key);
        Py_DECREF(slot);
        PyErr_SetString(PyExc_TypeError,
                        "make_slot must return (state, arena, pools, paths or None)");
        return NULL;
    }
    /* A new thread arrived: forget the slots of threads the allocator has retired. */
    PyObject *gone = PyList_New(0);
    if (gone == NULL) {
        goto fail;
    }
    Py_ssize_t pos = 0;
    PyObject *other_key;
    PyObject *other;
    while (PyDict_Next(self->slots, &pos, &other_key, &other)) {
        PyObject *alive = PyObject_GetAttr(PyTuple_GET_ITEM(other, SLOT_STATE),
                                           self->str_alive);
        if (alive == NULL) {
            Py_DECREF(gone);
            goto fail;
        }
        int truth = PyObject_IsTrue(alive);
        Py_DECREF(alive);
        if (truth < 0 || (truth == 0 && PyList_Append(gone, other_key) < 0)) {
            Py_DECREF(gone);
            goto fail;
        }
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(gone); i++) {
        if (PyDict_DelItem(self->slots, PyList_GET_ITEM(gone, i)) < 0) {
            Py_DECREF(gone);
            goto fail;
        }
    }
    Py_DECREF(gone);
    if (PyDict_SetItem(self->slots, key, slot) < 0) {
        goto fail;
    }
    Py_DECREF(key);
    Py_DECREF(slot); /* the dict holds it */
    return slot;
fail:
    Py_DECREF(key);
    Py_DECREF(slot);
    return NULL;
}

/* The calling thread's slot (a new reference), or NULL with an exception. */
static inline PyObject *
current_slot(NativeFront *self)
{
    if (self->slots == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "NativeFront used before __init__");
        return NULL;
    }
    uint64_t id = PyThreadState_GetID(PyThreadState_Get());
    if (self->cached != NULL && self->cached_id == id) {
        return Py_NewRef(self->cached);
    }
    PyObject *slot = slot_for_new_thread(self, id);
    if (slot == NULL) {
        return NULL;
    }
    Py_INCREF(slot);
    Py_XSETREF(self->cached, Py_NewRef(slot));
    self->cached_id = id;
    return slot;
}

static PyObject *
call_observed(NativeFront *self, Py_ssize_t which, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    PyObject *fn = Py_NewRef(PyTuple_GET_ITEM(self->observed, which));
    PyObject *result = PyObject_Vectorcall(fn, args, (size_t)nargs, kwnames);
    Py_DECREF(fn);
    return result;
}

static PyObject *
frame_request(NativeFront *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
              int raise_if_full)
{
    if (self->observed != NULL) {
        return call_observed(self, raise_if_full ? 0 : 1, args, nargs, kwnames);
    }
    PyObject *dtype;
    PyObject *shape;
    if (fa_take_request(args, nargs, kwnames, &dtype, &shape) < 0) {
        return NULL;
    }
    PyObject *slot = current_slot(self);
    if (slot == NULL) {
        return NULL;
    }
    PyObject *arena = PyTuple_GET_ITEM(slot, SLOT_ARENA);
    PyObject *result;
    if (Py_IS_TYPE(arena, &NativeArena_Type)) {
        result = fa_arena_alloc(arena, dtype, shape, raise_if_full);
    }
    else {
        PyObject *call[3] = {arena, dtype, shape};
        result = PyObject_VectorcallMethod(raise_if_full ? str_alloc : str_try_alloc, call, 3,
                                           NULL);
    }
    Py_DECREF(slot);
    return result;
}

static PyObject *
front_frame_alloc(NativeFront *self, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    return frame_request(self, args, nargs, kwnames, 1);
}

static PyObject *
front_frame_slice(NativeFront *self, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    if (nargs != 2 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "frame_slice(dtype, n) takes two arguments");
        return NULL;
    }
    PyObject *array;
    if (self->observed != NULL) {
        array = call_observed(self, 0, args, nargs, NULL);
    }
    else {
        array = frame_request(self, args, nargs, NULL, 1);
    }
    if (array == NULL) {
        return NULL;
    }
    if (!PyArray_Check(array) || !PyArray_ISCARRAY((PyArrayObject *)array)) {
        Py_DECREF(array);
        PyErr_SetString(PyExc_TypeError, "frame_slice: the allocation is not a C array");
        return NULL;
    }
    PyArrayObject *zeroed = (PyArrayObject *)array;
    memset(PyArray_DATA(zeroed), 0, (size_t)PyArray_NBYTES(zeroed));
    return array;
}

static PyObject *
front_try_frame_alloc(NativeFront *self, PyObject *const *args, Py_ssize_t nargs,
                      PyObject *kwnames)
{
    return frame_request(self, args, nargs, kwnames, 0);
}

static PyObject *
front_pool_alloc(NativeFront *self, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    if (self->observed != NULL) {
        return call_observed(self, 2, args, nargs, kwnames);
    }
    PyObject *dtype;
    PyObject *shape;
    if (fa_take_request(args, nargs, kwnames, &dtype, &shape) < 0) {
        return NULL;
    }
    PyObject *slot = current_slot(self);
    if (slot == NULL) {
        return NULL;
    }
    PyObject *paths = PyTuple_GET_ITEM(slot, SLOT_PATHS);
    PyObject *result;
    if (Py_IS_TYPE(paths, &PoolPaths_Type)) {
        result = fa_pools_alloc(paths, dtype, shape);
    }
    else {
        PyObject *call[3] = {PyTuple_GET_ITEM(slot, SLOT_POOLS), dtype, shape};
        result = PyObject_VectorcallMethod(str_alloc, call, 3, NULL);
    }
    Py_DECREF(slot);
    return result;
}

static PyObject *
front_pool_free(NativeFront *self, PyObject *array)
{
    if (self->observed != NULL) {
        return call_observed(self, 3, &array, 1, NULL);
    }
    PyObject *slot = current_slot(self);
    if (slot == NULL) {
        return NULL;
    }
    PyObject *paths = PyTuple_GET_ITEM(slot, SLOT_PATHS);
    PyObject *result;
    if (Py_IS_TYPE(paths, &PoolPaths_Type)) {
        result = fa_pools_free(paths, array);
    }
    else {
        PyObject *call[2] = {PyTuple_GET_ITEM(slot, SLOT_POOLS), array};
        result = PyObject_VectorcallMethod(str_free, call, 2, NULL);
    }
    Py_DECREF(slot);
    return result;
}

static PyObject *
front_observe(NativeFront *self, PyObject *observed)
{
    if (observed == Py_None) {
        Py_CLEAR(self->observed);
        Py_RETURN_NONE;
    }
    static const char *names[] = {"frame_alloc", "try_frame_alloc", "pool_alloc",
                                  "pool_free"};
    PyObject *methods = PyTuple_New(4);
    if (methods == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < 4; i++) {
        PyObject *method = PyObject_GetAttrString(observed, names[i]);
        if (method == NULL) {
            Py_DECREF(methods);
            return NULL;
        }
        PyTuple_SET_ITEM(methods, i, method);
    }
    Py_XSETREF(self->observed, methods);
    Py_RETURN_NONE;
}

static PyObject *
front_forget(NativeFront *self, PyObject *Py_UNUSED(ignored))
{
    Py_CLEAR(self->cached);
    if (self->slots != NULL) {
        PyDict_Clear(self->slots);
    }
    Py_RETURN_NONE;
}

static PyObject *
slot_item(NativeFront *self, Py_ssize_t index)
{
    PyObject *slot = current_slot(self);
    if (slot == NULL) {
        return NULL;
    }
    PyObject *item = Py_NewRef(PyTuple_GET_ITEM(slot, index));
    Py_DECREF(slot);
    return item;
}

static PyObject *
get_state(NativeFront *self, void *Py_UNUSED(closure))
{
    return slot_item(self, SLOT_STATE);
}

static PyObject *
get_arena(NativeFront *self, void *Py_UNUSED(closure))
{
    return slot_item(self, SLOT_ARENA);
}

static PyObject *
get_pools(NativeFront *self, void *Py_UNUSED(closure))
{
    return slot_item(self, SLOT_POOLS);
}

static PyObject *
get_observing(NativeFront *self, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(self->observed != NULL);
}

static PyGetSetDef front_getset[] = {
    {"state", (getter)get_state, NULL,
     PyDoc_STR("The calling thread's ThreadState (registered on first use)."), NULL},
    {"arena", (getter)get_arena, NULL, PyDoc_STR("The calling thread's frame arena."), NULL},
    {"pools", (getter)get_pools, NULL, PyDoc_STR("The calling thread's pools."), NULL},
    {"observing", (getter)get_observing, NULL,
     PyDoc_STR("Whether calls go to the observed paths."), NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef front_methods[] = {
    {"frame_alloc", (PyCFunction)(void (*)(void))front_frame_alloc,
     METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("frame_alloc(dtype, shape=()) -> an array in the calling thread's frame.")},
    {"frame_slice", (PyCFunction)(void (*)(void))front_frame_slice,
     METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("frame_slice(dtype, n) -> a zero-filled 1-D frame array of n items.")},
    {"try_frame_alloc", (PyCFunction)(void (*)(void))front_try_frame_alloc,
     METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("try_frame_alloc(dtype, shape=()) -> like frame_alloc, None when full.")},
    {"pool_alloc", (PyCFunction)(void (*)(void))front_pool_alloc,
     METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("pool_alloc(dtype, shape=()) -> an array in the calling thread's pools.")},
    {"pool_free", (PyCFunction)front_pool_free, METH_O,
     PyDoc_STR("pool_free(array) -> free a pool array; returns the block size.")},
    {"observe", (PyCFunction)front_observe, METH_O,
     PyDoc_STR("observe(paths or None): route calls to the observed paths, or stop.")},
    {"forget", (PyCFunction)front_forget, METH_NOARGS,
     PyDoc_STR("Drop every thread's slot (they are made again on the next call).")},
    {NULL, NULL, 0, NULL},
};

static int
front_init(NativeFront *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"make_slot", NULL};
    PyObject *make_slot;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O", keywords, &make_slot)) {
        return -1;
    }
    if (str_alloc == NULL) {
        str_alloc = PyUnicode_InternFromString("alloc");
        str_try_alloc = PyUnicode_InternFromString("try_alloc");
        str_free = PyUnicode_InternFromString("free");
        if (str_alloc == NULL || str_try_alloc == NULL || str_free == NULL) {
            return -1;
        }
    }
    if (!PyCallable_Check(make_slot)) {
        PyErr_SetString(PyExc_TypeError, "make_slot must be callable");
        return -1;
    }
    PyObject *slots = PyDict_New();
    PyObject *alive = PyUnicode_InternFromString("alive");
    if (slots == NULL || alive == NULL) {
        Py_XDECREF(slots);
        Py_XDECREF(alive);
        return -1;
    }
    Py_XSETREF(self->make_slot, Py_NewRef(make_slot));
    Py_XSETREF(self->slots, slots);
    Py_XSETREF(self->str_alive, alive);
    Py_CLEAR(self->cached);
    return 0;
}

static int
front_traverse(NativeFront *self, visitproc visit, void *arg)
{
    Py_VISIT(self->make_slot);
    Py_VISIT(self->slots);
    Py_VISIT(self->cached);
    Py_VISIT(self->observed);
    return 0;
}

static int
front_clear(NativeFront *self)
{
    Py_CLEAR(self->make_slot);
    Py_CLEAR(self->slots);
    Py_CLEAR(self->cached);
    Py_CLEAR(self->observed);
    Py_CLEAR(self->str_alive);
    return 0;
}

static void
front_dealloc(NativeFront *self)
{
    PyObject_GC_UnTrack(self);
    front_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyTypeObject NativeFront_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "framealloc_engine.allocators._native.NativeFront",
    .tp_doc = PyDoc_STR("NativeFront(make_slot) -- an allocator's per-thread dispatch."),
    .tp_basicsize = sizeof(NativeFront),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)front_init,
    .tp_dealloc = (destructor)front_dealloc,
    .tp_traverse = (traverseproc)front_traverse,
    .tp_clear = (inquiry)front_clear,
    .tp_methods = front_methods,
    .tp_getset = front_getset,
};
