/*
 * HandleResolver: `handles.resolve(handle)` in C.
 *
 * It reads the handle allocator's hot table (a list of (generation, view) tuples, each
 * replaced whole, so a reader sees a matching pair) and returns the view when the handle's
 * generation matches; otherwise it calls the allocator's `_stale(handle)` for the error to
 * raise (FA401), as the pure method does.
 */
#include "native.h"

typedef struct {
    PyObject_HEAD
    PyObject *entries;  /* the allocator's list of (generation, view) */
    PyObject *stale;    /* handle -> StaleHandleError */
    vectorcallfunc vectorcall;
} HandleResolver;

static PyObject *str_index = NULL;
static PyObject *str_generation = NULL;

static PyObject *
raise_stale(HandleResolver *self, PyObject *handle)
{
    PyObject *error = PyObject_CallOneArg(self->stale, handle);
    if (error != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(error), error);
        Py_DECREF(error);
    }
    return NULL;
}

static PyObject *
resolve(HandleResolver *self, PyObject *handle)
{
    if (self->entries == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "HandleResolver used before __init__");
        return NULL;
    }
    PyObject *index_obj = PyObject_GetAttr(handle, str_index);
    if (index_obj == NULL) {
        return NULL;
    }
    Py_ssize_t index = PyLong_AsSsize_t(index_obj);
    Py_DECREF(index_obj);
    if (index == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (index < 0 || index >= PyList_GET_SIZE(self->entries)) {
        return raise_stale(self, handle);
    }
    PyObject *entry = Py_NewRef(PyList_GET_ITEM(self->entries, index));
    PyObject *generation = PyObject_GetAttr(handle, str_generation);
    if (generation == NULL) {
        Py_DECREF(entry);
        return NULL;
    }
    int same = PyObject_RichCompareBool(PyTuple_GET_ITEM(entry, 0), generation, Py_EQ);
    Py_DECREF(generation);
    if (same <= 0) {
        Py_DECREF(entry);
        return same < 0 ? NULL : raise_stale(self, handle);
    }
    PyObject *view = Py_NewRef(PyTuple_GET_ITEM(entry, 1));
    Py_DECREF(entry);
    return view;
}

static PyObject *
resolver_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf,
                    PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs != 1 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0)) {
        PyErr_SetString(PyExc_TypeError, "resolve() takes exactly one handle");
        return NULL;
    }
    return resolve((HandleResolver *)callable, args[0]);
}

static int
resolver_init(HandleResolver *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"entries", "stale", NULL};
    PyObject *entries;
    PyObject *stale;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O", keywords, &PyList_Type, &entries,
                                     &stale)) {
        return -1;
    }
    if (!PyCallable_Check(stale)) {
        PyErr_SetString(PyExc_TypeError, "stale must be callable");
        return -1;
    }
    if (str_index == NULL) {
        str_index = PyUnicode_InternFromString("index");
        str_generation = PyUnicode_InternFromString("generation");
        if (str_index == NULL || str_generation == NULL) {
            return -1;
        }
    }
    Py_XSETREF(self->entries, Py_NewRef(entries));
    Py_XSETREF(self->stale, Py_NewRef(stale));
    self->vectorcall = resolver_vectorcall;
    return 0;
}

static PyObject *
resolver_call(HandleResolver *self, PyObject *args, PyObject *kwargs)
{
    PyObject *handle;
    static char *keywords[] = {"handle", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O", keywords, &handle)) {
        return NULL;
    }
    return resolve(self, handle);
}

static int
resolver_traverse(HandleResolver *self, visitproc visit, void *arg)
{
    Py_VISIT(self->entries);
    Py_VISIT(self->stale);
    return 0;
}

static int
resolver_clear(HandleResolver *self)
{
    Py_CLEAR(self->entries);
    Py_CLEAR(self->stale);
    return 0;
}

static void
resolver_dealloc(HandleResolver *self)
{
    PyObject_GC_UnTrack(self);
    resolver_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyTypeObject HandleResolver_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "framealloc_engine.allocators._native.HandleResolver",
    .tp_doc = PyDoc_STR("HandleResolver(entries, stale) -- resolve(handle) -> view, in C."),
    .tp_basicsize = sizeof(HandleResolver),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)resolver_init,
    .tp_call = (ternaryfunc)resolver_call,
    .tp_vectorcall_offset = offsetof(HandleResolver, vectorcall),
    .tp_dealloc = (destructor)resolver_dealloc,
    .tp_traverse = (traverseproc)resolver_traverse,
    .tp_clear = (inquiry)resolver_clear,
};
