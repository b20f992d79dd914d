#ifndef DISTILLWATCH_CZLIB_SHIM_H
#define DISTILLWATCH_CZLIB_SHIM_H
#include <zlib.h>

// inflateInit2 is a macro; Swift cannot call it directly.
static inline int dw_inflate_init_gzip(z_stream *stream) {
    // 15 window bits + 32: detect gzip or zlib headers automatically.
    return inflateInit2(stream, 15 + 32);
}
#endif
