#ifndef DISTILLWATCH_CZLIB_SHIM_H
#define DISTILLWATCH_CZLIB_SHIM_H
#include <zlib.h>

// inflateInit2 is a macro; Swift cannot call it directly.
static inline int dw_inflate_init_gzip(z_stream *stream) {
    // 15 window bits + 32: detect gzip or zlib headers automatically.
    return inflateInit2(stream, 15 + 32);
}

// deflateInit2 is a macro too: 15 window bits + 16 writes a gzip member (used to make test data).
static inline int dw_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
#endif
