/*
 * NativeArena: the frame arena of framealloc_engine/allocators/arena.py, in C.
 *
 * A per-thread bump allocator over one ArenaMemory. The k-th request of a frame that has
 * the dtype and shape of the last frame's k-th request gets the same view back, provided
 * nothing but the arena references it (its reference count is 1: views are their own
 * collapse points, so a slice or a reshape the user kept keeps that count up). A view still
 * held is an escape: its bytes are retired until weakref.finalize reports the view dead,
 * and the request is served elsewhere. end_frame and rollback never look at a view: O(1).
 */
#include "native.h"

typedef struct {
    PyObject *dtype;  /* the dtype spec as passed (the cache key) */
    PyObject *shape;  /* the shape as passed when an int or a tuple, else the validated one */
    PyObject *view;   /* the view handed out */
    Py_ssize_t start;
    Py_ssize_t end;
} Entry;

typedef struct {
    PyObject_HEAD
    ArenaMemory *memory;     /* NULL once released */
    PyObject *buffer;        /* a uint8 array over the whole memory */
    Py_ssize_t capacity;
    Entry *entries;          /* the remembered requests of the last frames, in order */
    Py_ssize_t n_entries;
    Py_ssize_t max_entries;
    Py_ssize_t k;            /* the next request's index while a frame is active */
    int active;
    Py_ssize_t peak_offset;
    Py_ssize_t escapes;
    PyObject *last_escapes;  /* list of (index, weakref) found this frame */
    PyObject *released;      /* list of (start, end) whose escaped view died */
    Py_ssize_t *retired;     /* start, end pairs, sorted by start */
    Py_ssize_t n_retired;
    Py_ssize_t max_retired;
    Py_ssize_t quarantine_frames;
    LayoutCache layouts;     /* misses look layouts up here before asking Python */
    PyObject *weakreflist;
} NativeArena;

static inline Py_ssize_t
align_up(Py_ssize_t value, Py_ssize_t align)
{
    return (value + align - 1) & -align;
}

static inline Py_ssize_t
current_offset(NativeArena *self)
{
    Py_ssize_t k = self->k;
    return (self->active && k > 0) ? self->entries[k - 1].end : 0;
}

/* --- retired ranges --------------------------------------------------------------------- */

static int
retired_add(NativeArena *self, Py_ssize_t start, Py_ssize_t end)
{
    if (self->n_retired == self->max_retired) {
        Py_ssize_t grown = self->max_retired ? 2 * self->max_retired : 8;
        Py_ssize_t *more = PyMem_Realloc(self->retired, sizeof(Py_ssize_t) * 2 * (size_t)grown);
        if (more == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        self->retired = more;
        self->max_retired = grown;
    }
    Py_ssize_t i = self->n_retired;
    while (i > 0 && self->retired[2 * (i - 1)] > start) {
        self->retired[2 * i] = self->retired[2 * (i - 1)];
        self->retired[2 * i + 1] = self->retired[2 * (i - 1) + 1];
        i--;
    }
    self->retired[2 * i] = start;
    self->retired[2 * i + 1] = end;
    self->n_retired++;
    return 0;
}

static void
retired_remove(NativeArena *self, Py_ssize_t start, Py_ssize_t end)
{
    for (Py_ssize_t i = 0; i < self->n_retired; i++) {
        if (self->retired[2 * i] == start && self->retired[2 * i + 1] == end) {
            for (Py_ssize_t j = i + 1; j < self->n_retired; j++) {
                self->retired[2 * (j - 1)] = self->retired[2 * j];
                self->retired[2 * (j - 1) + 1] = self->retired[2 * j + 1];
            }
            self->n_retired--;
            return;
        }
    }
}

/* Apply the ranges finalizers reported free again. */
static int
apply_released(NativeArena *self)
{
    Py_ssize_t n = PyList_GET_SIZE(self->released);
    if (n == 0) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *pair = PyList_GET_ITEM(self->released, i);
        Py_ssize_t start = PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 0));
        Py_ssize_t end = PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 1));
        if (PyErr_Occurred()) {
            return -1;
        }
        retired_remove(self, start, end);
    }
    return PyList_SetSlice(self->released, 0, n, NULL);
}

/* The first aligned start at or after `offset` whose `nbytes` avoid every retired range; -1
 * when the arena has no such room. */
static Py_ssize_t
place(NativeArena *self, Py_ssize_t offset, Py_ssize_t nbytes, Py_ssize_t align)
{
    Py_ssize_t start = align_up(offset, align);
    Py_ssize_t span = nbytes ? nbytes : 1;
    for (Py_ssize_t i = 0; i < self->n_retired; i++) {
        Py_ssize_t lo = self->retired[2 * i];
        Py_ssize_t hi = self->retired[2 * i + 1];
        if (hi <= start) {
            continue;
        }
        if (lo >= start + span) {
            break;
        }
        start = align_up(hi, align);
    }
    return start + nbytes <= self->capacity ? start : -1;
}

/* --- escapes ---------------------------------------------------------------------------- */

/* Request `index`'s view is still referenced: set its bytes aside until it dies. */
static int
retire(NativeArena *self, Py_ssize_t index, Entry *entry)
{
    NativeRefs *r = fa_refs();
    if (r == NULL) {
        return -1;
    }
    PyObject *append = NULL;
    PyObject *range = NULL;
    PyObject *finalizer = NULL;
    PyObject *ref = NULL;
    PyObject *record = NULL;
    int result = -1;
    append = PyObject_GetAttr(self->released, r->str_append);
    range = Py_BuildValue("(nn)", entry->start, entry->end);
    if (append == NULL || range == NULL) {
        goto done;
    }
    finalizer = PyObject_CallFunctionObjArgs(r->finalize, entry->view, append, range, NULL);
    if (finalizer == NULL) {
        goto done;
    }
    ref = PyWeakref_NewRef(entry->view, NULL);
    if (ref == NULL) {
        goto done;
    }
    record = Py_BuildValue("(nO)", index, ref);
    if (record == NULL || PyList_Append(self->last_escapes, record) < 0) {
        goto done;
    }
    if (retired_add(self, entry->start, entry->end) < 0) {
        goto done;
    }
    self->escapes++;
    result = 0;
done:
    Py_XDECREF(append);
    Py_XDECREF(range);
    Py_XDECREF(finalizer);
    Py_XDECREF(ref);
    Py_XDECREF(record);
    return result;
}

/* Drop the remembered requests from `k` on; a view still held is retired, not freed. With
 * `check` false (the arena is being released) nothing is retired: the memory lives on as
 * long as any view does anyway. */
static int
forget(NativeArena *self, Py_ssize_t k, int check)
{
    int result = 0;
    for (Py_ssize_t i = k; i < self->n_entries; i++) {
        Entry *entry = &self->entries[i];
        if (check && result == 0 && Py_REFCNT(entry->view) > 1) {
            result = retire(self, i, entry);
        }
        Py_CLEAR(entry->dtype);
        Py_CLEAR(entry->shape);
        Py_CLEAR(entry->view);
    }
    if (self->n_entries > k) {
        self->n_entries = k;
    }
    return result;
}

/* --- allocation ------------------------------------------------------------------------- */

static PyObject *
raise_full(NativeArena *self, Py_ssize_t nbytes, Py_ssize_t offset)
{
    NativeRefs *r = fa_refs();
    if (r == NULL) {
        return NULL;
    }
    char message[200];
    char note[300];
    Py_ssize_t retired = 0;
    for (Py_ssize_t i = 0; i < self->n_retired; i++) {
        retired += self->retired[2 * i + 1] - self->retired[2 * i];
    }
    PyOS_snprintf(message, sizeof(message),
                  "frame arena exhausted: requested %zd bytes with %zd of %zd free", nbytes,
                  self->capacity - offset, self->capacity);
    if (retired) {
        PyOS_snprintf(note, sizeof(note),
                      "arena size is %zd bytes per thread; %zd allocations are live in this "
                      "frame; %zd bytes are set aside because views of them escaped their "
                      "frame",
                      self->capacity, self->k, retired);
    }
    else {
        PyOS_snprintf(note, sizeof(note),
                      "arena size is %zd bytes per thread; %zd allocations are live in this "
                      "frame",
                      self->capacity, self->k);
    }
    return fa_raise(r->arena_exhausted, message, note,
                    "enlarge it with AllocConfig().with_frame_arena_size(bytes), allocate "
                    "less per frame, use heap_alloc() for large blocks, or drop frame arrays "
                    "kept past end_frame()");
}

static int
grow_entries(NativeArena *self, Py_ssize_t needed)
{
    if (needed <= self->max_entries) {
        return 0;
    }
    Py_ssize_t grown = self->max_entries ? 2 * self->max_entries : 64;
    while (grown < needed) {
        grown *= 2;
    }
    Entry *more = PyMem_Realloc(self->entries, sizeof(Entry) * (size_t)grown);
    if (more == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->entries = more;
    self->max_entries = grown;
    return 0;
}

static PyObject *
miss(NativeArena *self, PyObject *dtype, PyObject *shape, int raise_if_full)
{
    NativeRefs *r = fa_refs();
    if (r == NULL) {
        return NULL;
    }
    if (!self->active) {
        return fa_raise(r->frame_not_active, "frame allocation used outside an active frame",
                        "this allocation was requested when no frame was active on this "
                        "thread",
                        NULL);
    }
    PyObject *layout;
    LayoutSlot *slot = fa_layout_find(&self->layouts, dtype, shape);
    if (slot != NULL) {
        layout = Py_NewRef(slot->layout);
    }
    else {
        layout = PyObject_CallFunctionObjArgs(r->layout_of, dtype, shape, NULL);
        if (layout == NULL) {
            return NULL;
        }
        if (!PyTuple_Check(layout) || PyTuple_GET_SIZE(layout) < 4
            || !PyArray_DescrCheck(PyTuple_GET_ITEM(layout, 0))) {
            Py_DECREF(layout);
            PyErr_SetString(PyExc_TypeError, "layout_of returned a bad layout");
            return NULL;
        }
        if (fa_layout_rememberable(shape)) {
            fa_layout_remember(&self->layouts, dtype, shape, layout, 0);
        }
    }
    /* Layout(dtype, shape, nbytes, align, ndshape, itemsize, sliceable) */
    PyArray_Descr *descr = (PyArray_Descr *)PyTuple_GET_ITEM(layout, 0);
    PyObject *lshape = PyTuple_GET_ITEM(layout, 1);
    Py_ssize_t nbytes = PyLong_AsSsize_t(PyTuple_GET_ITEM(layout, 2));
    Py_ssize_t align = PyLong_AsSsize_t(PyTuple_GET_ITEM(layout, 3));
    if (PyErr_Occurred()) {
        Py_DECREF(layout);
        return NULL;
    }
    Py_ssize_t k = self->k;
    if (k < self->n_entries && forget(self, k, 1) < 0) {
        Py_DECREF(layout);
        return NULL;
    }
    Py_ssize_t offset = k ? self->entries[k - 1].end : 0;
    Py_ssize_t start = self->memory != NULL ? place(self, offset, nbytes, align) : -1;
    if (start < 0) {
        Py_DECREF(layout);
        if (!raise_if_full) {
            Py_RETURN_NONE;
        }
        return raise_full(self, nbytes, offset);
    }
    if (grow_entries(self, k + 1) < 0) {
        Py_DECREF(layout);
        return NULL;
    }
    Py_INCREF(descr); /* fa_array_over steals it */
    PyObject *view = fa_array_over((PyObject *)self->memory, self->memory->data + start,
                                   descr, lshape);
    if (view == NULL) {
        Py_DECREF(layout);
        return NULL;
    }
    /* Shapes are remembered as given when immutable (an int or a tuple); a list as the
     * validated tuple, so a list mutated later never hits. */
    PyObject *key = (PyLong_CheckExact(shape) || PyTuple_CheckExact(shape)) ? shape : lshape;
    Entry *entry = &self->entries[k];
    Py_INCREF(dtype);
    entry->dtype = dtype;
    Py_INCREF(key);
    entry->shape = key;
    entry->view = view; /* the entry's reference */
    entry->start = start;
    entry->end = start + nbytes;
    self->n_entries = k + 1;
    self->k = k + 1;
    Py_DECREF(layout);
    Py_INCREF(view); /* the caller's reference */
    return view;
}

static inline PyObject *
alloc_impl(NativeArena *self, PyObject *dtype, PyObject *shape, int raise_if_full)
{
    Py_ssize_t k = self->k;
    if (k < self->n_entries && self->active) {
        Entry *entry = &self->entries[k];
        if (entry->dtype == dtype && fa_same_shape(entry->shape, shape)
            && Py_REFCNT(entry->view) == 1) {
            self->k = k + 1;
            Py_INCREF(entry->view);
            return entry->view;
        }
    }
    return miss(self, dtype, shape, raise_if_full);
}

PyObject *
fa_arena_alloc(PyObject *arena, PyObject *dtype, PyObject *shape, int raise_if_full)
{
    return alloc_impl((NativeArena *)arena, dtype, shape, raise_if_full);
}

static PyObject *
arena_alloc(NativeArena *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *dtype;
    PyObject *shape;
    if (fa_take_request(args, nargs, kwnames, &dtype, &shape) < 0) {
        return NULL;
    }
    return alloc_impl(self, dtype, shape, 1);
}

static PyObject *
arena_try_alloc(NativeArena *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    PyObject *dtype;
    PyObject *shape;
    if (fa_take_request(args, nargs, kwnames, &dtype, &shape) < 0) {
        return NULL;
    }
    return alloc_impl(self, dtype, shape, 0);
}

/* --- lifecycle -------------------------------------------------------------------------- */

static PyObject *
arena_begin(NativeArena *self, PyObject *Py_UNUSED(ignored))
{
    if (apply_released(self) < 0) {
        return NULL;
    }
    if (PyList_GET_SIZE(self->last_escapes)
        && PyList_SetSlice(self->last_escapes, 0, PyList_GET_SIZE(self->last_escapes), NULL)
               < 0) {
        return NULL;
    }
    self->k = 0;
    self->active = 1;
    Py_RETURN_NONE;
}

static PyObject *
arena_end(NativeArena *self, PyObject *Py_UNUSED(ignored))
{
    Py_ssize_t count = self->active ? self->k : 0;
    Py_ssize_t used = current_offset(self);
    if (used > self->peak_offset) {
        self->peak_offset = used;
    }
    self->active = 0;
    self->k = 0;
    if (apply_released(self) < 0) {
        return NULL;
    }
    return Py_BuildValue("(nn)", count, used);
}

static PyObject *
arena_checkpoint(NativeArena *self, PyObject *Py_UNUSED(ignored))
{
    NativeRefs *r = fa_refs();
    if (r == NULL) {
        return NULL;
    }
    return PyObject_CallFunction(r->checkpoint_type, "nn", self->k, current_offset(self));
}

static PyObject *
arena_rollback(NativeArena *self, PyObject *checkpoint)
{
    NativeRefs *r = fa_refs();
    if (r == NULL) {
        return NULL;
    }
    PyObject *index_obj = PyObject_GetAttr(checkpoint, r->str_index);
    if (index_obj == NULL) {
        return NULL;
    }
    Py_ssize_t index = PyLong_AsSsize_t(index_obj);
    Py_DECREF(index_obj);
    if (index == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Py_ssize_t freed = self->k - index;
    Py_ssize_t used = current_offset(self);
    if (used > self->peak_offset) {
        self->peak_offset = used;
    }
    /* Views rolled back are checked when they would be reused, like a frame's. */
    self->k = index;
    return PyLong_FromSsize_t(freed);
}

static PyObject *
arena_held(NativeArena *self, PyObject *count_obj)
{
    Py_ssize_t count = PyLong_AsSsize_t(count_obj);
    if (count == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (count > self->n_entries) {
        count = self->n_entries;
    }
    PyObject *found = PyList_New(0);
    if (found == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *view = self->entries[i].view;
        if (Py_REFCNT(view) > 1) {
            PyObject *ref = PyWeakref_NewRef(view, NULL);
            PyObject *record = ref ? Py_BuildValue("(nO)", i, ref) : NULL;
            Py_XDECREF(ref);
            if (record == NULL || PyList_Append(found, record) < 0) {
                Py_XDECREF(record);
                Py_DECREF(found);
                return NULL;
            }
            Py_DECREF(record);
        }
    }
    return found;
}

static PyObject *
arena_release(NativeArena *self, PyObject *Py_UNUSED(ignored))
{
    forget(self, 0, 0);
    self->n_retired = 0;
    Py_CLEAR(self->memory);
    npy_intp zero = 0;
    PyObject *empty = PyArray_SimpleNew(1, &zero, NPY_UINT8);
    if (empty == NULL) {
        return NULL;
    }
    Py_XSETREF(self->buffer, empty);
    self->capacity = 0;
    Py_RETURN_NONE;
}

static PyObject *
arena_owns(NativeArena *self, PyObject *array)
{
    NativeRefs *r = fa_refs();
    if (r == NULL) {
        return NULL;
    }
    PyObject *shared = PyObject_CallFunctionObjArgs(r->shares_memory, array, self->buffer,
                                                    NULL);
    if (shared == NULL) {
        return NULL;
    }
    int truth = PyObject_IsTrue(shared);
    Py_DECREF(shared);
    if (truth < 0) {
        return NULL;
    }
    return PyBool_FromLong(truth);
}

/* --- attributes ------------------------------------------------------------------------- */

static PyObject *
get_active(NativeArena *self, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(self->active);
}

static PyObject *
get_offset(NativeArena *self, void *Py_UNUSED(closure))
{
    return PyLong_FromSsize_t(current_offset(self));
}

static PyObject *
get_count(NativeArena *self, void *Py_UNUSED(closure))
{
    return PyLong_FromSsize_t(self->active ? self->k : 0);
}

static PyObject *
get_retired_bytes(NativeArena *self, void *Py_UNUSED(closure))
{
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < self->n_retired; i++) {
        total += self->retired[2 * i + 1] - self->retired[2 * i];
    }
    return PyLong_FromSsize_t(total);
}

static PyObject *
get_debug(NativeArena *Py_UNUSED(self), void *Py_UNUSED(closure))
{
    Py_RETURN_FALSE;
}

static PyObject *
get_peak_offset(NativeArena *self, void *Py_UNUSED(closure))
{
    return PyLong_FromSsize_t(self->peak_offset);
}

static int
set_peak_offset(NativeArena *self, PyObject *value, void *Py_UNUSED(closure))
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete peak_offset");
        return -1;
    }
    Py_ssize_t peak = PyLong_AsSsize_t(value);
    if (peak == -1 && PyErr_Occurred()) {
        return -1;
    }
    self->peak_offset = peak;
    return 0;
}

static PyGetSetDef arena_getset[] = {
    {"active", (getter)get_active, NULL, PyDoc_STR("Whether a frame is open."), NULL},
    {"offset", (getter)get_offset, NULL,
     PyDoc_STR("Bytes of the arena in use (padding and skipped bytes included)."), NULL},
    {"count", (getter)get_count, NULL, PyDoc_STR("Live allocations in the current frame."),
     NULL},
    {"retired_bytes", (getter)get_retired_bytes, NULL,
     PyDoc_STR("Bytes set aside because views of them escaped."), NULL},
    {"debug", (getter)get_debug, NULL, PyDoc_STR("Always False: debug mode is pure."), NULL},
    {"peak_offset", (getter)get_peak_offset, (setter)set_peak_offset,
     PyDoc_STR("The most bytes any frame used."), NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef arena_members[] = {
    {"capacity", T_PYSSIZET, offsetof(NativeArena, capacity), READONLY,
     PyDoc_STR("Size of the arena in bytes.")},
    {"buffer", T_OBJECT, offsetof(NativeArena, buffer), READONLY,
     PyDoc_STR("The arena's bytes as a uint8 array.")},
    {"escapes", T_PYSSIZET, offsetof(NativeArena, escapes), READONLY,
     PyDoc_STR("Views found still referenced when the arena would reuse or forget them.")},
    {"last_escapes", T_OBJECT, offsetof(NativeArena, last_escapes), READONLY,
     PyDoc_STR("(request index, weakref) of the escapes found this frame.")},
    {"quarantine_frames", T_PYSSIZET, offsetof(NativeArena, quarantine_frames), READONLY,
     PyDoc_STR("Unused: quarantine is a debug-mode feature of the pure arena.")},
    {NULL, 0, 0, 0, NULL},
};

static PyMethodDef arena_methods[] = {
    {"alloc", (PyCFunction)(void (*)(void))arena_alloc, METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("alloc(dtype, shape=()) -> an array in this frame (FA001, FA003, FA004).")},
    {"try_alloc", (PyCFunction)(void (*)(void))arena_try_alloc, METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("try_alloc(dtype, shape=()) -> like alloc, but None when the arena is full.")},
    {"begin", (PyCFunction)arena_begin, METH_NOARGS, PyDoc_STR("Open a frame.")},
    {"end", (PyCFunction)arena_end, METH_NOARGS,
     PyDoc_STR("Close the frame in O(1); returns (count, bytes).")},
    {"checkpoint", (PyCFunction)arena_checkpoint, METH_NOARGS,
     PyDoc_STR("The current position, to roll back to later in the same frame.")},
    {"rollback", (PyCFunction)arena_rollback, METH_O,
     PyDoc_STR("Free everything allocated after a checkpoint in O(1); returns how many.")},
    {"held", (PyCFunction)arena_held, METH_O,
     PyDoc_STR("held(count) -> (index, weakref) of the frame's views still referenced.")},
    {"release", (PyCFunction)arena_release, METH_NOARGS,
     PyDoc_STR("Drop the memory (the owning thread has exited).")},
    {"owns", (PyCFunction)arena_owns, METH_O,
     PyDoc_STR("Whether an array's memory lies in this arena.")},
    {NULL, NULL, 0, NULL},
};

/* --- construction ----------------------------------------------------------------------- */

static int
arena_init(NativeArena *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"capacity", "debug", "quarantine_frames", NULL};
    Py_ssize_t capacity;
    int debug = 0;
    Py_ssize_t quarantine = 2;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "n|$pn", keywords, &capacity, &debug,
                                     &quarantine)) {
        return -1;
    }
    if (debug) {
        PyErr_SetString(PyExc_ValueError,
                        "the native arena has no debug mode: debug mode runs on the pure "
                        "arena (framealloc_engine.allocators.arena.FrameArena)");
        return -1;
    }
    ArenaMemory *memory = fa_memory_new(capacity);
    if (memory == NULL) {
        return -1;
    }
    PyArray_Descr *u8 = PyArray_DescrFromType(NPY_UINT8);
    if (u8 == NULL) {
        Py_DECREF(memory);
        return -1;
    }
    PyObject *size = PyLong_FromSsize_t(capacity);
    PyObject *buffer = size ? fa_array_over((PyObject *)memory, memory->data, u8, size)
                            : NULL;
    Py_XDECREF(size);
    if (buffer == NULL) {
        if (size == NULL) {
            Py_DECREF(u8);
        }
        Py_DECREF(memory);
        return -1;
    }
    if (self->memory != NULL) {
        Py_DECREF(buffer);
        Py_DECREF(memory);
        PyErr_SetString(PyExc_RuntimeError, "NativeArena is already initialised");
        return -1;
    }
    self->memory = memory;
    Py_XSETREF(self->buffer, buffer);
    self->capacity = capacity;
    self->quarantine_frames = quarantine;
    return 0;
}

/* Every field a method reads exists from the start: an arena made with __new__ alone is an
 * arena of capacity 0 (every allocation raises FA003), never a crash. */
static PyObject *
arena_new(PyTypeObject *type, PyObject *Py_UNUSED(args), PyObject *Py_UNUSED(kwargs))
{
    NativeArena *self = (NativeArena *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    npy_intp zero = 0;
    self->buffer = PyArray_SimpleNew(1, &zero, NPY_UINT8);
    self->last_escapes = PyList_New(0);
    self->released = PyList_New(0);
    if (self->buffer == NULL || self->last_escapes == NULL || self->released == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    self->quarantine_frames = 2;
    return (PyObject *)self;
}

static int
arena_traverse(NativeArena *self, visitproc visit, void *arg)
{
    Py_VISIT(self->memory);
    Py_VISIT(self->buffer);
    Py_VISIT(self->last_escapes);
    Py_VISIT(self->released);
    for (Py_ssize_t i = 0; i < self->n_entries; i++) {
        Py_VISIT(self->entries[i].dtype);
        Py_VISIT(self->entries[i].shape);
        Py_VISIT(self->entries[i].view);
    }
    return fa_layout_traverse(&self->layouts, visit, arg);
}

static int
arena_clear(NativeArena *self)
{
    forget(self, 0, 0);
    fa_layout_clear(&self->layouts);
    Py_CLEAR(self->memory);
    Py_CLEAR(self->buffer);
    Py_CLEAR(self->last_escapes);
    Py_CLEAR(self->released);
    return 0;
}

static void
arena_dealloc(NativeArena *self)
{
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    arena_clear(self);
    PyMem_Free(self->entries);
    PyMem_Free(self->retired);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyTypeObject NativeArena_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "framealloc_engine.allocators._native.NativeArena",
    .tp_doc = PyDoc_STR(
        "NativeArena(capacity) -- the frame arena in C (release mode; see FrameArena)."),
    .tp_basicsize = sizeof(NativeArena),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = arena_new,
    .tp_init = (initproc)arena_init,
    .tp_dealloc = (destructor)arena_dealloc,
    .tp_traverse = (traverseproc)arena_traverse,
    .tp_clear = (inquiry)arena_clear,
    .tp_methods = arena_methods,
    .tp_members = arena_members,
    .tp_getset = arena_getset,
    .tp_weaklistoffset = offsetof(NativeArena, weakreflist),
};
