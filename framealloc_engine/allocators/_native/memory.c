/*
 * ArenaMemory: a block of bytes and the base object of every array over it.
 *
 * It is not an ndarray, so numpy stops collapsing base chains at the arrays built over it:
 * each such array is the base of everything derived from it. The bytes live as long as the
 * ArenaMemory does, that is, until the allocator and every array over them let go.
 */
#include "native.h"

#include <stdlib.h>
#include <string.h>

static void
memory_dealloc(ArenaMemory *self)
{
    free(self->raw);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
memory_repr(ArenaMemory *self)
{
    return PyUnicode_FromFormat("<ArenaMemory %zd bytes>", self->size);
}

/* A writable buffer over the bytes: numpy asks the base of an array whether it is writable
 * before `arr.flags.writeable = True` (pure-backend arrays, over a memoryview, allow it). */
static int
memory_getbuffer(ArenaMemory *self, Py_buffer *view, int flags)
{
    return PyBuffer_FillInfo(view, (PyObject *)self, self->data, self->size, 0, flags);
}

static PyBufferProcs memory_as_buffer = {
    .bf_getbuffer = (getbufferproc)memory_getbuffer,
    .bf_releasebuffer = NULL,
};

PyTypeObject ArenaMemory_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "framealloc_engine.allocators._native.ArenaMemory",
    .tp_doc = PyDoc_STR("The bytes of an arena or a pool page; the base of the arrays over them."),
    .tp_basicsize = sizeof(ArenaMemory),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = (destructor)memory_dealloc,
    .tp_repr = (reprfunc)memory_repr,
    .tp_as_buffer = &memory_as_buffer,
};

ArenaMemory *
fa_memory_new(Py_ssize_t size)
{
    if (size < 0) {
        PyErr_SetString(PyExc_ValueError, "memory size must be >= 0");
        return NULL;
    }
    ArenaMemory *self = PyObject_New(ArenaMemory, &ArenaMemory_Type);
    if (self == NULL) {
        return NULL;
    }
    size_t want = (size_t)size + FA_BUFFER_ALIGN;
    self->raw = malloc(want);
    if (self->raw == NULL) {
        Py_TYPE(self)->tp_free((PyObject *)self);
        PyErr_NoMemory();
        return NULL;
    }
    uintptr_t address = (uintptr_t)self->raw;
    uintptr_t aligned = (address + FA_BUFFER_ALIGN - 1) & ~(uintptr_t)(FA_BUFFER_ALIGN - 1);
    self->data = (char *)aligned;
    self->size = size;
    /* Touch every page once so steady-state frames never page-fault. */
    memset(self->data, 0, (size_t)size);
    return self;
}

PyObject *
fa_array_over(PyObject *owner, char *data, PyArray_Descr *descr, PyObject *shape)
{
    npy_intp dims[NPY_MAXDIMS];
    int nd = 0;
    if (PyTuple_Check(shape)) {
        Py_ssize_t n = PyTuple_GET_SIZE(shape);
        if (n > NPY_MAXDIMS) {
            Py_DECREF(descr);
            PyErr_SetString(PyExc_ValueError, "too many dimensions");
            return NULL;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_ssize_t d = PyLong_AsSsize_t(PyTuple_GET_ITEM(shape, i));
            if (d == -1 && PyErr_Occurred()) {
                Py_DECREF(descr);
                return NULL;
            }
            dims[i] = (npy_intp)d;
        }
        nd = (int)n;
    }
    else {
        Py_ssize_t d = PyLong_AsSsize_t(shape);
        if (d == -1 && PyErr_Occurred()) {
            Py_DECREF(descr);
            return NULL;
        }
        dims[0] = (npy_intp)d;
        nd = 1;
    }
    /* steals the reference to descr, even on failure */
    PyObject *array = PyArray_NewFromDescr(&PyArray_Type, descr, nd, dims, NULL, data,
                                           NPY_ARRAY_CARRAY, NULL);
    if (array == NULL) {
        return NULL;
    }
    Py_INCREF(owner);
    /* steals the reference to owner, even on failure */
    if (PyArray_SetBaseObject((PyArrayObject *)array, owner) < 0) {
        Py_DECREF(array);
        return NULL;
    }
    return array;
}
