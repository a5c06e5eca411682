/*
 * The pools' hot paths in C: NativeBlock (a pool block) and PoolPaths (alloc and free of one
 * thread's LocalPools, framealloc_engine/allocators/pool.py).
 *
 * PoolPaths shares the Python LocalPools' own containers (its free lists, the allocator's
 * live table, its counters, which are array('q') objects whose bytes the C code increments
 * in place) and calls back into LocalPools for everything that is not the common case: a
 * layout seen for the first time (validation), an empty free list (refill, deferred frees),
 * a block whose last array is still referenced (held), a free from another thread or of an
 * array that is not live. The pure code stays the one implementation of those rules.
 *
 * Arrays over a block have the page's ArenaMemory as base, so each is its own collapse
 * point: a block is handed out again only when nothing but the block references its last
 * array (Py_REFCNT). A block's array built by the pure code (an N-d array reshaping a 1-d
 * one, `view` is not `flat`) is checked the pure code's way.
 */
#include "native.h"

/* --- NativeBlock ----------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *page;    /* a uint8 array over the page's ArenaMemory */
    PyObject *memory;  /* that ArenaMemory: the base of the arrays over the block */
    char *data;        /* the block's first byte */
    Py_ssize_t offset;
    Py_ssize_t size;
    Py_ssize_t class_index;
    PyObject *owner;   /* the fields below are never NULL: None when empty */
    PyObject *layout;
    PyObject *view;
    PyObject *flat;
    PyObject *site;
} NativeBlock;

static PyObject *
block_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"page", "offset", "size", "class_index", NULL};
    PyObject *page;
    Py_ssize_t offset;
    Py_ssize_t size;
    Py_ssize_t class_index;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Onnn", keywords, &page, &offset, &size,
                                     &class_index)) {
        return NULL;
    }
    if (!PyArray_Check(page) || PyArray_TYPE((PyArrayObject *)page) != NPY_UINT8
        || PyArray_NDIM((PyArrayObject *)page) != 1
        || !PyArray_ISCARRAY((PyArrayObject *)page)) {
        PyErr_SetString(PyExc_TypeError, "page must be a writeable, contiguous uint8 array");
        return NULL;
    }
    PyObject *memory = PyArray_BASE((PyArrayObject *)page);
    if (memory == NULL || !Py_IS_TYPE(memory, &ArenaMemory_Type)) {
        PyErr_SetString(PyExc_TypeError, "page must be an array over an ArenaMemory");
        return NULL;
    }
    if (offset < 0 || size <= 0 || offset + size > PyArray_SIZE((PyArrayObject *)page)
        || class_index < 0) {
        PyErr_SetString(PyExc_ValueError, "block out of its page");
        return NULL;
    }
    NativeBlock *self = (NativeBlock *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    Py_INCREF(page);
    self->page = page;
    Py_INCREF(memory);
    self->memory = memory;
    self->data = (char *)PyArray_DATA((PyArrayObject *)page) + offset;
    self->offset = offset;
    self->size = size;
    self->class_index = class_index;
    Py_INCREF(Py_None);
    self->owner = Py_None;
    Py_INCREF(Py_None);
    self->layout = Py_None;
    Py_INCREF(Py_None);
    self->view = Py_None;
    Py_INCREF(Py_None);
    self->flat = Py_None;
    Py_INCREF(Py_None);
    self->site = Py_None;
    return (PyObject *)self;
}

static int
block_traverse(NativeBlock *self, visitproc visit, void *arg)
{
    Py_VISIT(self->page);
    Py_VISIT(self->memory);
    Py_VISIT(self->owner);
    Py_VISIT(self->layout);
    Py_VISIT(self->view);
    Py_VISIT(self->flat);
    Py_VISIT(self->site);
    return 0;
}

static int
block_clear(NativeBlock *self)
{
    Py_CLEAR(self->owner);
    Py_CLEAR(self->layout);
    Py_CLEAR(self->view);
    Py_CLEAR(self->flat);
    Py_CLEAR(self->site);
    return 0;
}

static void
block_dealloc(NativeBlock *self)
{
    PyObject_GC_UnTrack(self);
    block_clear(self);
    Py_CLEAR(self->page);
    Py_CLEAR(self->memory);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
block_memory(NativeBlock *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *whole = PyMemoryView_FromObject(self->page);
    if (whole == NULL) {
        return NULL;
    }
    PyObject *slice = PySlice_New(NULL, NULL, NULL);
    PyObject *start = PyLong_FromSsize_t(self->offset);
    PyObject *stop = PyLong_FromSsize_t(self->offset + self->size);
    PyObject *part = NULL;
    if (slice != NULL && start != NULL && stop != NULL) {
        PyObject *range = PySlice_New(start, stop, NULL);
        if (range != NULL) {
            part = PyObject_GetItem(whole, range);
            Py_DECREF(range);
        }
    }
    Py_XDECREF(slice);
    Py_XDECREF(start);
    Py_XDECREF(stop);
    Py_DECREF(whole);
    return part;
}

/* The setters keep every object field non-NULL (None when empty), as the C paths expect. */
#define BLOCK_OBJECT_FIELD(name)                                                           \
    static PyObject *block_get_##name(NativeBlock *self, void *Py_UNUSED(closure))         \
    {                                                                                      \
        Py_INCREF(self->name);                                                             \
        return self->name;                                                                 \
    }                                                                                      \
    static int block_set_##name(NativeBlock *self, PyObject *value,                        \
                                void *Py_UNUSED(closure))                                  \
    {                                                                                      \
        Py_XSETREF(self->name, Py_NewRef(value != NULL ? value : Py_None));                \
        return 0;                                                                          \
    }

BLOCK_OBJECT_FIELD(owner)
BLOCK_OBJECT_FIELD(layout)
BLOCK_OBJECT_FIELD(view)
BLOCK_OBJECT_FIELD(flat)
BLOCK_OBJECT_FIELD(site)

#define BLOCK_GETSET(name, doc) \
    {#name, (getter)block_get_##name, (setter)block_set_##name, PyDoc_STR(doc), NULL}

static PyGetSetDef block_getset[] = {
    BLOCK_GETSET(owner, "The LocalPools handing the block out (None: the slab registry)."),
    BLOCK_GETSET(layout, "The layout of the block's last array."),
    BLOCK_GETSET(view, "The last array built over the block."),
    BLOCK_GETSET(flat, "The 1-d array `view` reshapes (the same object for a 1-d view)."),
    BLOCK_GETSET(site, "Debug mode: the allocation's stack."),
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef block_members[] = {
    {"page", T_OBJECT, offsetof(NativeBlock, page), READONLY,
     PyDoc_STR("The page's bytes (a uint8 array).")},
    {"offset", T_PYSSIZET, offsetof(NativeBlock, offset), READONLY,
     PyDoc_STR("Where the block starts in its page.")},
    {"size", T_PYSSIZET, offsetof(NativeBlock, size), READONLY,
     PyDoc_STR("The block's size class in bytes.")},
    {"class_index", T_PYSSIZET, offsetof(NativeBlock, class_index), READONLY,
     PyDoc_STR("Index of the block's size class.")},
    {NULL, 0, 0, 0, NULL},
};

static PyMethodDef block_methods[] = {
    {"memory", (PyCFunction)block_memory, METH_NOARGS,
     PyDoc_STR("The block's bytes as a writable memoryview.")},
    {NULL, NULL, 0, NULL},
};

PyTypeObject NativeBlock_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "framealloc_engine.allocators._native.NativeBlock",
    .tp_doc = PyDoc_STR("NativeBlock(page, offset, size, class_index) -- one pool block."),
    .tp_basicsize = sizeof(NativeBlock),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = block_new,
    .tp_dealloc = (destructor)block_dealloc,
    .tp_traverse = (traverseproc)block_traverse,
    .tp_clear = (inquiry)block_clear,
    .tp_methods = block_methods,
    .tp_members = block_members,
    .tp_getset = block_getset,
};

/* --- PoolPaths ------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *pools;         /* the LocalPools */
    PyObject *free_lists;    /* pools._free: a list of lists of blocks */
    PyObject *live;          /* the allocator's live table: id(array) -> block */
    PyObject *resolve;       /* pools._resolve(dtype, shape) -> (layout, class_index) */
    PyObject *refill;        /* pools._refill(class_index) -> block */
    PyObject *unheld;        /* pools._unheld(class_index, block) -> block */
    PyObject *free_foreign;  /* pools._free_foreign(array, block) -> size */
    PyObject *bad_free;      /* pools._bad_free(array) -> exception */
    Py_buffer alloc_counts;  /* int64 per class, incremented in place */
    Py_buffer free_counts;
    Py_buffer alloc_total;   /* one int64: the sum of alloc_counts, kept as they move */
    Py_ssize_t n_classes;
    LayoutCache layouts;
} PoolPaths;

/* Validate a request through the pure code and remember its layout. Returns a borrowed
 * layout and sets *class_index, or NULL with an exception. */
static PyObject *
resolve(PoolPaths *self, PyObject *dtype, PyObject *shape, Py_ssize_t *class_index)
{
    PyObject *found = PyObject_CallFunctionObjArgs(self->resolve, dtype, shape, NULL);
    if (found == NULL) {
        return NULL;
    }
    if (!PyTuple_Check(found) || PyTuple_GET_SIZE(found) != 2) {
        Py_DECREF(found);
        PyErr_SetString(PyExc_TypeError, "pools._resolve must return (layout, class_index)");
        return NULL;
    }
    PyObject *layout = PyTuple_GET_ITEM(found, 0);
    Py_ssize_t index = PyLong_AsSsize_t(PyTuple_GET_ITEM(found, 1));
    if (index == -1 && PyErr_Occurred()) {
        Py_DECREF(found);
        return NULL;
    }
    if (index < 0 || index >= self->n_classes || !PyTuple_Check(layout)
        || PyTuple_GET_SIZE(layout) < 2
        || !PyArray_DescrCheck(PyTuple_GET_ITEM(layout, 0))) {
        Py_DECREF(found);
        PyErr_SetString(PyExc_TypeError, "pools._resolve returned a bad layout");
        return NULL;
    }
    *class_index = index;
    if (fa_layout_rememberable(shape)) {
        LayoutSlot *slot = fa_layout_remember(&self->layouts, dtype, shape, layout, index);
        Py_DECREF(found);
        return slot->layout;
    }
    /* Not remembered: the block keeps the layout alive (see alloc) once it is recorded;
     * until then `found` does. Hand the caller a reference it must drop. */
    Py_INCREF(layout);
    Py_DECREF(found);
    return layout;
}

/* Whether anything but the block references the block's last array. */
static inline int
referenced(NativeBlock *block)
{
    PyObject *view = block->view;
    if (view == Py_None) {
        return 0;
    }
    if (block->flat == view) {
        return Py_REFCNT(view) > 2; /* block.view and block.flat */
    }
    /* a pure-built N-d view: view (block.view), flat (block.flat and view.base) */
    return Py_REFCNT(view) > 1 || Py_REFCNT(block->flat) > 2;
}

static inline int64_t *
counts(Py_buffer *buffer)
{
    return (int64_t *)buffer->buf;
}

static PyObject *
pools_alloc_impl(PoolPaths *self, PyObject *dtype, PyObject *shape)
{
    Py_ssize_t class_index;
    PyObject *layout;
    PyObject *layout_ref = NULL; /* set when the layout is not remembered */
    LayoutSlot *slot = fa_layout_find(&self->layouts, dtype, shape);
    if (slot != NULL) {
        layout = slot->layout;
        class_index = slot->extra;
    }
    else {
        layout = resolve(self, dtype, shape, &class_index);
        if (layout == NULL) {
            return NULL;
        }
        if (!fa_layout_rememberable(shape)) {
            layout_ref = layout;
        }
    }
    /* Keep the layout alive across the Python calls below (they may evict the slot). */
    Py_INCREF(layout);
    Py_XDECREF(layout_ref);
    PyObject *free = PyList_GET_ITEM(self->free_lists, class_index);
    NativeBlock *block;
    Py_ssize_t n = PyList_GET_SIZE(free);
    if (n > 0) {
        /* list.pop() without shrinking: the reference moves to `block` */
        block = (NativeBlock *)PyList_GET_ITEM(free, n - 1);
        Py_SET_SIZE(free, n - 1);
    }
    else {
        block = (NativeBlock *)PyObject_CallFunction(self->refill, "n", class_index);
        if (block == NULL) {
            Py_DECREF(layout);
            return NULL;
        }
    }
    if (!Py_IS_TYPE(block, &NativeBlock_Type)) {
        PyErr_SetString(PyExc_TypeError, "native pools got a block that is not a NativeBlock");
        goto fail;
    }
    if (referenced(block)) {
        /* Its last array is still held: the pure code sets it aside and finds another. */
        PyObject *other = PyObject_CallFunction(self->unheld, "nO", class_index, block);
        Py_DECREF(block);
        block = (NativeBlock *)other;
        if (block == NULL) {
            Py_DECREF(layout);
            return NULL;
        }
        if (!Py_IS_TYPE(block, &NativeBlock_Type)) {
            PyErr_SetString(PyExc_TypeError,
                            "native pools got a block that is not a NativeBlock");
            goto fail;
        }
    }
    PyObject *view;
    if (block->layout == layout) {
        view = Py_NewRef(block->view);
    }
    else {
        PyArray_Descr *descr = (PyArray_Descr *)PyTuple_GET_ITEM(layout, 0);
        Py_INCREF(descr); /* stolen */
        view = fa_array_over(block->memory, block->data, descr, PyTuple_GET_ITEM(layout, 1));
        if (view == NULL) {
            goto fail;
        }
        Py_XSETREF(block->view, Py_NewRef(view));
        Py_XSETREF(block->flat, Py_NewRef(view));
        Py_XSETREF(block->layout, Py_NewRef(layout));
    }
    PyObject *key = PyLong_FromVoidPtr(view);
    if (key == NULL || PyDict_SetItem(self->live, key, (PyObject *)block) < 0) {
        /* the block is lost to the free lists only if Python refuses a dict insert */
        Py_XDECREF(key);
        Py_DECREF(view);
        goto fail;
    }
    Py_DECREF(key);
    counts(&self->alloc_counts)[class_index]++;
    counts(&self->alloc_total)[0]++;
    Py_DECREF(block);
    Py_DECREF(layout);
    return view;
fail:
    Py_DECREF(block);
    Py_DECREF(layout);
    return NULL;
}

PyObject *
fa_pools_alloc(PyObject *paths, PyObject *dtype, PyObject *shape)
{
    return pools_alloc_impl((PoolPaths *)paths, dtype, shape);
}

PyObject *
fa_pools_free(PyObject *paths_obj, PyObject *array)
{
    PoolPaths *self = (PoolPaths *)paths_obj;
    PyObject *key = PyLong_FromVoidPtr(array);
    if (key == NULL) {
        return NULL;
    }
    PyObject *found = PyDict_GetItemWithError(self->live, key); /* borrowed */
    if (found == NULL) {
        Py_DECREF(key);
        if (PyErr_Occurred()) {
            return NULL;
        }
        PyObject *error = PyObject_CallOneArg(self->bad_free, array);
        if (error != NULL) {
            PyErr_SetObject((PyObject *)Py_TYPE(error), error);
            Py_DECREF(error);
        }
        return NULL;
    }
    NativeBlock *block = (NativeBlock *)Py_NewRef(found);
    if (PyDict_DelItem(self->live, key) < 0) {
        Py_DECREF(key);
        Py_DECREF(block);
        return NULL;
    }
    Py_DECREF(key);
    if (!Py_IS_TYPE(block, &NativeBlock_Type) || block->owner != self->pools) {
        PyObject *size = PyObject_CallFunctionObjArgs(self->free_foreign, array, block, NULL);
        Py_DECREF(block);
        return size;
    }
    Py_ssize_t class_index = block->class_index;
    counts(&self->free_counts)[class_index]++;
    PyObject *free = PyList_GET_ITEM(self->free_lists, class_index);
    Py_ssize_t size = block->size;
    int appended = PyList_Append(free, (PyObject *)block);
    Py_DECREF(block);
    if (appended < 0) {
        return NULL;
    }
    return PyLong_FromSsize_t(size);
}

/* A PoolPaths made with __new__ alone must not crash. */
static int
ready(PoolPaths *self)
{
    if (self->pools == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "PoolPaths used before __init__");
        return 0;
    }
    return 1;
}

static PyObject *
paths_alloc(PoolPaths *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *dtype;
    PyObject *shape;
    if (!ready(self)) {
        return NULL;
    }
    if (fa_take_request(args, nargs, kwnames, &dtype, &shape) < 0) {
        return NULL;
    }
    return pools_alloc_impl(self, dtype, shape);
}

static PyObject *
paths_free(PoolPaths *self, PyObject *array)
{
    if (!ready(self)) {
        return NULL;
    }
    return fa_pools_free((PyObject *)self, array);
}

static PyObject *
paths_forget_layouts(PoolPaths *self, PyObject *Py_UNUSED(ignored))
{
    fa_layout_clear(&self->layouts);
    Py_RETURN_NONE;
}

static PyMethodDef paths_methods[] = {
    {"alloc", (PyCFunction)(void (*)(void))paths_alloc, METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("alloc(dtype, shape=()) -> an array in a pool block (see LocalPools.alloc).")},
    {"free", (PyCFunction)paths_free, METH_O,
     PyDoc_STR("free(array) -> the block size (see LocalPools.free).")},
    {"forget_layouts", (PyCFunction)paths_forget_layouts, METH_NOARGS,
     PyDoc_STR("Drop the remembered layouts.")},
    {NULL, NULL, 0, NULL},
};

static int
get_counts(PyObject *pools, const char *name, Py_ssize_t n, Py_buffer *out)
{
    PyObject *array = PyObject_GetAttrString(pools, name);
    if (array == NULL) {
        return -1;
    }
    int result = PyObject_GetBuffer(array, out, PyBUF_WRITABLE | PyBUF_FORMAT | PyBUF_ND);
    Py_DECREF(array);
    if (result < 0) {
        return -1;
    }
    if (out->itemsize != 8 || out->ndim != 1 || out->shape[0] != n || out->format == NULL
        || (out->format[0] != 'q' && out->format[0] != 'l')) {
        PyBuffer_Release(out);
        out->obj = NULL;
        PyErr_Format(PyExc_TypeError, "pools.%s must be an array('q') of %zd counts", name, n);
        return -1;
    }
    return 0;
}

static int
paths_init(PoolPaths *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"pools", NULL};
    PyObject *pools;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O", keywords, &pools)) {
        return -1;
    }
    if (self->pools != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "PoolPaths is already initialised");
        return -1;
    }
    PyObject *free_lists = PyObject_GetAttrString(pools, "_free");
    PyObject *live = PyObject_GetAttrString(pools, "_live");
    if (free_lists == NULL || live == NULL) {
        goto fail;
    }
    if (!PyList_CheckExact(free_lists) || !PyDict_CheckExact(live)) {
        PyErr_SetString(PyExc_TypeError, "pools._free must be a list and pools._live a dict");
        goto fail;
    }
    Py_ssize_t n = PyList_GET_SIZE(free_lists);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyList_CheckExact(PyList_GET_ITEM(free_lists, i))) {
            PyErr_SetString(PyExc_TypeError, "pools._free must hold one list per class");
            goto fail;
        }
    }
    self->n_classes = n;
    if (get_counts(pools, "alloc_counts", n, &self->alloc_counts) < 0) {
        goto fail;
    }
    if (get_counts(pools, "free_counts", n, &self->free_counts) < 0) {
        PyBuffer_Release(&self->alloc_counts);
        self->alloc_counts.obj = NULL;
        goto fail;
    }
    if (get_counts(pools, "alloc_total", 1, &self->alloc_total) < 0) {
        PyBuffer_Release(&self->alloc_counts);
        self->alloc_counts.obj = NULL;
        PyBuffer_Release(&self->free_counts);
        self->free_counts.obj = NULL;
        goto fail;
    }
    self->resolve = PyObject_GetAttrString(pools, "_resolve");
    self->refill = PyObject_GetAttrString(pools, "_refill");
    self->unheld = PyObject_GetAttrString(pools, "_unheld");
    self->free_foreign = PyObject_GetAttrString(pools, "_free_foreign");
    self->bad_free = PyObject_GetAttrString(pools, "_bad_free");
    if (self->resolve == NULL || self->refill == NULL || self->unheld == NULL
        || self->free_foreign == NULL || self->bad_free == NULL) {
        goto fail;
    }
    self->pools = Py_NewRef(pools);
    self->free_lists = free_lists;
    self->live = live;
    return 0;
fail:
    Py_XDECREF(free_lists);
    Py_XDECREF(live);
    return -1;
}

static int
paths_traverse(PoolPaths *self, visitproc visit, void *arg)
{
    Py_VISIT(self->pools);
    Py_VISIT(self->free_lists);
    Py_VISIT(self->live);
    Py_VISIT(self->resolve);
    Py_VISIT(self->refill);
    Py_VISIT(self->unheld);
    Py_VISIT(self->free_foreign);
    Py_VISIT(self->bad_free);
    return fa_layout_traverse(&self->layouts, visit, arg);
}

static int
paths_clear(PoolPaths *self)
{
    Py_CLEAR(self->pools);
    Py_CLEAR(self->free_lists);
    Py_CLEAR(self->live);
    Py_CLEAR(self->resolve);
    Py_CLEAR(self->refill);
    Py_CLEAR(self->unheld);
    Py_CLEAR(self->free_foreign);
    Py_CLEAR(self->bad_free);
    fa_layout_clear(&self->layouts);
    return 0;
}

static void
paths_dealloc(PoolPaths *self)
{
    PyObject_GC_UnTrack(self);
    paths_clear(self);
    if (self->alloc_counts.obj != NULL) {
        PyBuffer_Release(&self->alloc_counts);
    }
    if (self->free_counts.obj != NULL) {
        PyBuffer_Release(&self->free_counts);
    }
    if (self->alloc_total.obj != NULL) {
        PyBuffer_Release(&self->alloc_total);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyTypeObject PoolPaths_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "framealloc_engine.allocators._native.PoolPaths",
    .tp_doc = PyDoc_STR("PoolPaths(pools) -- a LocalPools' alloc and free in C."),
    .tp_basicsize = sizeof(PoolPaths),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)paths_init,
    .tp_dealloc = (destructor)paths_dealloc,
    .tp_traverse = (traverseproc)paths_traverse,
    .tp_clear = (inquiry)paths_clear,
    .tp_methods = paths_methods,
};
