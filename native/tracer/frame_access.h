/* Reading CPython's frames without calling the Python API: the one place that knows each
 * version's frame layout. Compiled as C with Py_BUILD_CORE against the chosen version's internal
 * headers. Every function here is a handful of loads; all are safe to call from allocator hooks of
 * the thread that owns the frames. */
#ifndef PYMEMPROF_FRAME_ACCESS_H
#define PYMEMPROF_FRAME_ACCESS_H
#include <Python.h>
#include <frameobject.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* PyFrameObject* before 3.11, _PyInterpreterFrame* from 3.11. */
typedef void* pmp_frame;

/* The innermost Python frame of a thread state, skipping frames that have not started. */
pmp_frame pmp_current_frame(PyThreadState* tstate);
/* The next Python frame outwards, or NULL. */
pmp_frame pmp_frame_back(pmp_frame f);
PyCodeObject* pmp_frame_code(pmp_frame f);
/* Byte offset of the instruction executing in the frame (co_code / co_lines units). */
uint32_t pmp_frame_offset(pmp_frame f);

#ifdef __cplusplus
}
#endif
#endif
