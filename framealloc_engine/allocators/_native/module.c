/*
 * The module: type registration, numpy's C API, and what the C code borrows from Python
 * (the layout validation, the error classes, weakref.finalize), imported on first need so
 * that importing the extension never imports the rest of the package.
 */
#define FRAMEALLOC_IMPORT_ARRAY
#include "native.h"

static NativeRefs refs;
static int refs_ready = 0;

static PyObject *
import_attr(const char *module, const char *name)
{
    PyObject *mod = PyImport_ImportModule(module);
    if (mod == NULL) {
        return NULL;
    }
    PyObject *attr = PyObject_GetAttrString(mod, name);
    Py_DECREF(mod);
    return attr;
}

NativeRefs *
fa_refs(void)
{
    if (refs_ready) {
        return &refs;
    }
    NativeRefs fresh = {0};
#define LOAD(field, module, name)                        \
    fresh.field = import_attr(module, name);             \
    if (fresh.field == NULL) {                           \
        goto fail;                                       \
    }
#define INTERN(field, text)                              \
    fresh.field = PyUnicode_InternFromString(text);      \
    if (fresh.field == NULL) {                           \
        goto fail;                                       \
    }
    LOAD(layout_of, "framealloc_engine.allocators.layout", "layout_of")
    LOAD(exact_shape, "framealloc_engine.allocators.layout", "exact_shape")
    LOAD(checkpoint_type, "framealloc_engine.allocators.checkpoint", "ArenaCheckpoint")
    LOAD(frame_not_active, "framealloc_engine.errors", "FrameNotActiveError")
    LOAD(arena_exhausted, "framealloc_engine.errors", "ArenaExhaustedError")
    LOAD(finalize, "weakref", "finalize")
    LOAD(shares_memory, "numpy", "shares_memory")
    INTERN(str_note, "note")
    INTERN(str_help, "help")
    INTERN(str_index, "index")
    INTERN(str_offset, "offset")
    INTERN(str_append, "append")
#undef LOAD
#undef INTERN
    refs = fresh;
    refs_ready = 1;
    return &refs;
fail:
    Py_XDECREF(fresh.layout_of);
    Py_XDECREF(fresh.exact_shape);
    Py_XDECREF(fresh.checkpoint_type);
    Py_XDECREF(fresh.frame_not_active);
    Py_XDECREF(fresh.arena_exhausted);
    Py_XDECREF(fresh.finalize);
    Py_XDECREF(fresh.shares_memory);
    Py_XDECREF(fresh.str_note);
    Py_XDECREF(fresh.str_help);
    Py_XDECREF(fresh.str_index);
    Py_XDECREF(fresh.str_offset);
    Py_XDECREF(fresh.str_append);
    return NULL;
}

PyObject *
fa_raise(PyObject *error_type, const char *message, const char *note, const char *help)
{
    NativeRefs *r = fa_refs();
    if (r == NULL) {
        return NULL;
    }
    PyObject *args = Py_BuildValue("(s)", message);
    PyObject *kwargs = PyDict_New();
    PyObject *error = NULL;
    if (args == NULL || kwargs == NULL) {
        goto done;
    }
    if (note != NULL) {
        PyObject *text = PyUnicode_FromString(note);
        if (text == NULL || PyDict_SetItem(kwargs, r->str_note, text) < 0) {
            Py_XDECREF(text);
            goto done;
        }
        Py_DECREF(text);
    }
    if (help != NULL) {
        PyObject *text = PyUnicode_FromString(help);
        if (text == NULL || PyDict_SetItem(kwargs, r->str_help, text) < 0) {
            Py_XDECREF(text);
            goto done;
        }
        Py_DECREF(text);
    }
    error = PyObject_Call(error_type, args, kwargs);
    if (error != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(error), error);
    }
done:
    Py_XDECREF(args);
    Py_XDECREF(kwargs);
    Py_XDECREF(error);
    return NULL;
}

static int
same_int(PyObject *a, PyObject *b)
{
    int overflow_a = 0;
    int overflow_b = 0;
    long long x = PyLong_AsLongLongAndOverflow(a, &overflow_a);
    long long y = PyLong_AsLongLongAndOverflow(b, &overflow_b);
    if (overflow_a || overflow_b) {
        return PyObject_RichCompareBool(a, b, Py_EQ) == 1;
    }
    return x == y;
}

int
fa_same_shape(PyObject *key, PyObject *shape)
{
    if (key == shape) {
        return 1;
    }
    if (PyLong_CheckExact(key)) {
        return PyLong_CheckExact(shape) && same_int(key, shape);
    }
    if (!PyTuple_CheckExact(key) || !PyTuple_CheckExact(shape)) {
        return 0;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(key);
    if (PyTuple_GET_SIZE(shape) != n) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *a = PyTuple_GET_ITEM(key, i);
        PyObject *b = PyTuple_GET_ITEM(shape, i);
        if (a != b && !(PyLong_CheckExact(b) && same_int(a, b))) {
            return 0;
        }
    }
    return 1;
}

LayoutSlot *
fa_layout_find(LayoutCache *cache, PyObject *dtype, PyObject *shape)
{
    for (Py_ssize_t i = 0; i < FA_LAYOUT_SLOTS; i++) {
        LayoutSlot *slot = &cache->slots[i];
        if (slot->dtype == dtype && fa_same_shape(slot->shape, shape)) {
            return slot;
        }
    }
    return NULL;
}

int
fa_layout_rememberable(PyObject *shape)
{
    if (PyLong_CheckExact(shape)) {
        return 1;
    }
    if (!PyTuple_CheckExact(shape)) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(shape); i++) {
        if (!PyLong_CheckExact(PyTuple_GET_ITEM(shape, i))) {
            return 0;
        }
    }
    return 1;
}

static void
slot_clear(LayoutSlot *slot)
{
    Py_CLEAR(slot->dtype);
    Py_CLEAR(slot->shape);
    Py_CLEAR(slot->layout);
}

LayoutSlot *
fa_layout_remember(LayoutCache *cache, PyObject *dtype, PyObject *shape, PyObject *layout,
                   Py_ssize_t extra)
{
    LayoutSlot *slot = &cache->slots[cache->next];
    cache->next = (cache->next + 1) % FA_LAYOUT_SLOTS;
    /* the new references first: clearing the old ones may run arbitrary code */
    PyObject *old_dtype = slot->dtype;
    PyObject *old_shape = slot->shape;
    PyObject *old_layout = slot->layout;
    slot->dtype = Py_NewRef(dtype);
    slot->shape = Py_NewRef(shape);
    slot->layout = Py_NewRef(layout);
    slot->extra = extra;
    Py_XDECREF(old_dtype);
    Py_XDECREF(old_shape);
    Py_XDECREF(old_layout);
    return slot;
}

void
fa_layout_clear(LayoutCache *cache)
{
    for (Py_ssize_t i = 0; i < FA_LAYOUT_SLOTS; i++) {
        slot_clear(&cache->slots[i]);
    }
}

int
fa_layout_traverse(LayoutCache *cache, visitproc visit, void *arg)
{
    for (Py_ssize_t i = 0; i < FA_LAYOUT_SLOTS; i++) {
        Py_VISIT(cache->slots[i].dtype);
        Py_VISIT(cache->slots[i].shape);
        Py_VISIT(cache->slots[i].layout);
    }
    return 0;
}

static PyObject *empty_shape = NULL;

int
fa_parse_request(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, PyObject **dtype,
                 PyObject **shape)
{
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs + nkw < 1 || nargs + nkw > 2 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "expected (dtype, shape=())");
        return -1;
    }
    *dtype = nargs > 0 ? args[0] : NULL;
    *shape = nargs > 1 ? args[1] : empty_shape;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        if (PyUnicode_CompareWithASCIIString(name, "shape") == 0 && nargs < 2) {
            *shape = args[nargs + i];
        }
        else if (PyUnicode_CompareWithASCIIString(name, "dtype") == 0 && nargs < 1) {
            *dtype = args[nargs + i];
        }
        else {
            PyErr_Format(PyExc_TypeError, "unexpected keyword argument %R", name);
            return -1;
        }
    }
    if (*dtype == NULL) {
        PyErr_SetString(PyExc_TypeError, "missing the dtype argument");
        return -1;
    }
    return 0;
}

static PyObject *
module_new_page(PyObject *Py_UNUSED(module), PyObject *arg)
{
    Py_ssize_t nbytes = PyLong_AsSsize_t(arg);
    if (nbytes == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (nbytes <= 0) {
        PyErr_SetString(PyExc_ValueError, "a page needs at least one byte");
        return NULL;
    }
    ArenaMemory *memory = fa_memory_new(nbytes);
    if (memory == NULL) {
        return NULL;
    }
    PyArray_Descr *u8 = PyArray_DescrFromType(NPY_UINT8);
    if (u8 == NULL) {
        Py_DECREF(memory);
        return NULL;
    }
    PyObject *page = fa_array_over((PyObject *)memory, memory->data, u8, arg);
    Py_DECREF(memory);
    return page;
}

static PyMethodDef module_methods[] = {
    {"new_page", (PyCFunction)module_new_page, METH_O,
     PyDoc_STR("new_page(nbytes) -> a zeroed, 64-byte aligned uint8 array over native "
               "memory (a slab page whose blocks are NativeBlocks).")},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "framealloc_engine.allocators._native",
    .m_doc = PyDoc_STR(
        "framealloc-engine's native core: the frame arena, the pools and the per-thread "
        "dispatch in C, with the semantics of the pure-Python allocators."),
    .m_size = -1,
    .m_methods = module_methods,
};

static int
add_type(PyObject *module, PyTypeObject *type, const char *name)
{
    if (PyType_Ready(type) < 0) {
        return -1;
    }
    Py_INCREF(type);
    if (PyModule_AddObject(module, name, (PyObject *)type) < 0) {
        Py_DECREF(type);
        return -1;
    }
    return 0;
}

PyMODINIT_FUNC
PyInit__native(void)
{
    import_array();
    if (empty_shape == NULL) {
        empty_shape = PyTuple_New(0);
        if (empty_shape == NULL) {
            return NULL;
        }
    }
    PyObject *module = PyModule_Create(&native_module);
    if (module == NULL) {
        return NULL;
    }
    if (add_type(module, &ArenaMemory_Type, "ArenaMemory") < 0
        || add_type(module, &NativeArena_Type, "NativeArena") < 0
        || add_type(module, &NativeBlock_Type, "NativeBlock") < 0
        || add_type(module, &PoolPaths_Type, "PoolPaths") < 0
        || add_type(module, &NativeFront_Type, "NativeFront") < 0
        || add_type(module, &HandleResolver_Type, "HandleResolver") < 0
        || add_type(module, &NumpyCapture_Type, "NumpyCapture") < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
