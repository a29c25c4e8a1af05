/* Number-to-text conversion for the embedded Lua: see redrund_luauser.h. */
#include <math.h>
#include <stdio.h>

#include "redrund_luauser.h"

int redrund_number2str(char *buffer, size_t size, double value) {
  if (isnan(value)) return snprintf(buffer, size, "nan");
  if (isinf(value)) return snprintf(buffer, size, value > 0 ? "inf" : "-inf");
  /* 2^63 is the first double outside long long; integral values below it print exactly. */
  if (value == floor(value) && fabs(value) < 9223372036854775808.0)
    return snprintf(buffer, size, "%lld", (long long)value);
  return snprintf(buffer, size, "%.14g", value);
}
