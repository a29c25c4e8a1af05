/* Build-time configuration of the embedded Lua, included by lua.h (LUA_USER_H). */
#ifndef REDRUND_LUAUSER_H
#define REDRUND_LUAUSER_H

#include <stddef.h>

/* A fixed seed for string hashing: stock Lua seeds from time() and addresses, which makes
   pairs() order over string keys differ between runs of the same scenario. */
#define luai_makeseed(L) ((unsigned int)0x52656452u)

/* CC (Cobalt) prints integral floats as integers: tostring(10/2) is "5" and tostring(2^53)
   is "9007199254740992". Non-integral values keep Lua's "%.14g"; NaN and infinities print
   as "nan", "inf" and "-inf" on every platform. */
#ifdef __cplusplus
extern "C" {
#endif
int redrund_number2str(char *buffer, size_t size, double value);
#ifdef __cplusplus
}
#endif
#undef lua_number2str
#define lua_number2str(s, sz, n) redrund_number2str((s), (sz), (double)(n))

/* lobject.c (patched copy in the build tree) asks this before appending ".0". */
#define LUAI_FLOAT_NEEDS_DOT(buffer) 0

#endif
