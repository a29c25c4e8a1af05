#pragma once

namespace redrund {

// Registry keys shared by the machine and the host bindings (addresses of static chars, so
// they cannot clash with anything Lua does).
extern char eval_threads_key;      // table: eval id -> coroutine, anchoring running evals
extern char eval_environment_key;  // function: bios's factory of program environments

}  // namespace redrund
