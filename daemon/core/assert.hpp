#pragma once

#include <cstdio>
#include <cstdlib>

// Always-on invariant check (also in release builds): a broken invariant in the simulation
// is a bug, and carrying on would make the run meaningless.
#define REDRUND_ASSERT(condition)                                                          \
  do {                                                                                     \
    if (!(condition)) {                                                                    \
      std::fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)
