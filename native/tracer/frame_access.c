#define Py_BUILD_CORE 1
#include "frame_access.h"

#if PY_VERSION_HEX >= 0x030B0000
#include "internal/pycore_frame.h"
#define PMP_INTERPRETER_FRAMES 1
#else
#define PMP_INTERPRETER_FRAMES 0
#endif

#if PMP_INTERPRETER_FRAMES
static int is_python_frame(_PyInterpreterFrame* f) {
#if PY_VERSION_HEX >= 0x030C0000
  if (f->owner == FRAME_OWNED_BY_CSTACK) return 0;
#endif
#if PY_VERSION_HEX >= 0x030D0000
  if (!PyCode_Check(f->f_executable)) return 0;
#endif
  return !_PyFrame_IsIncomplete(f);
}
#endif

pmp_frame pmp_current_frame(PyThreadState* tstate) {
  if (!tstate) return NULL;
#if PY_VERSION_HEX >= 0x030D0000
  _PyInterpreterFrame* f = tstate->current_frame;
#elif PMP_INTERPRETER_FRAMES
  _PyInterpreterFrame* f = tstate->cframe ? tstate->cframe->current_frame : NULL;
#else
  return tstate->frame;
#endif
#if PMP_INTERPRETER_FRAMES
  while (f && !is_python_frame(f)) f = f->previous;
  return f;
#endif
}

pmp_frame pmp_frame_back(pmp_frame frame) {
  if (!frame) return NULL;
#if PMP_INTERPRETER_FRAMES
  _PyInterpreterFrame* f = ((_PyInterpreterFrame*)frame)->previous;
  while (f && !is_python_frame(f)) f = f->previous;
  return f;
#else
  return ((PyFrameObject*)frame)->f_back;
#endif
}

PyCodeObject* pmp_frame_code(pmp_frame frame) {
#if PY_VERSION_HEX >= 0x030D0000
  return _PyFrame_GetCode((_PyInterpreterFrame*)frame);
#elif PMP_INTERPRETER_FRAMES
  return ((_PyInterpreterFrame*)frame)->f_code;
#else
  return ((PyFrameObject*)frame)->f_code;
#endif
}

uint32_t pmp_frame_offset(pmp_frame frame) {
#if PMP_INTERPRETER_FRAMES
  int lasti = _PyInterpreterFrame_LASTI((_PyInterpreterFrame*)frame);
  return lasti < 0 ? 0u : (uint32_t)lasti * (uint32_t)sizeof(_Py_CODEUNIT);
#elif PY_VERSION_HEX >= 0x030A0000
  int lasti = ((PyFrameObject*)frame)->f_lasti; /* counts code units in 3.10 */
  return lasti < 0 ? 0u : (uint32_t)lasti * (uint32_t)sizeof(_Py_CODEUNIT);
#else
  int lasti = ((PyFrameObject*)frame)->f_lasti; /* bytes */
  return lasti < 0 ? 0u : (uint32_t)lasti;
#endif
}
