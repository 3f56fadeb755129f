// See include/cwarp.h. Compiled twice: with hardware FMA (x86-64 AVX2+FMA, chosen at run time) and portable
// (`fmaf` from libm). Contraction is off so `y * m1 + m2` rounds twice, as OpenCV's vector path.
#include "cwarp.h"
#include <math.h>

#pragma clang fp contract(off)

#define WARP_BODY                                                                                        \
    const float m0 = inv[0], m1 = inv[1], m2 = inv[2], m3 = inv[3], m4 = inv[4], m5 = inv[5];            \
    const int stride = width * 3;                                                                        \
    for (int y = 0; y < out_h; y++) {                                                                    \
        const float mx = (float)y * m1 + m2;                                                             \
        const float my = (float)y * m4 + m5;                                                             \
        float *o0 = plane0 + (long)y * out_w, *o1 = plane1 + (long)y * out_w, *o2 = plane2 + (long)y * out_w; \
        for (int x = 0; x < out_w; x++) {                                                                \
            const float fx = (float)x;                                                                   \
            const float sx = fmaf(m0, fx, mx), sy = fmaf(m3, fx, my);                                    \
            int v[3] = {0, 0, 0};                                                                        \
            if (sx >= -1.0f && sy >= -1.0f && sx < (float)width && sy < (float)height) {                 \
                const float fsx = floorf(sx), fsy = floorf(sy);                                          \
                const int ix = (int)fsx, iy = (int)fsy;                                                  \
                const float ax = sx - fsx, ay = sy - fsy;                                                \
                const uint8_t *p = src + ((long)iy * width + ix) * 3;                                    \
                const int inside = ix >= 0 && iy >= 0 && ix < width - 1 && iy < height - 1;              \
                for (int k = 0; k < 3; k++) {                                                            \
                    float p00, p01, p10, p11;                                                            \
                    if (inside) {                                                                        \
                        p00 = p[k]; p01 = p[3 + k]; p10 = p[stride + k]; p11 = p[stride + 3 + k];         \
                    } else {                                                                             \
                        const int x0 = ix >= 0 && ix < width, x1 = ix + 1 >= 0 && ix + 1 < width;        \
                        const int y0 = iy >= 0 && iy < height, y1 = iy + 1 >= 0 && iy + 1 < height;      \
                        p00 = (x0 && y0) ? p[k] : 0;                                                     \
                        p01 = (x1 && y0) ? p[3 + k] : 0;                                                 \
                        p10 = (x0 && y1) ? p[stride + k] : 0;                                            \
                        p11 = (x1 && y1) ? p[stride + 3 + k] : 0;                                        \
                    }                                                                                    \
                    const float v0 = fmaf(ax, p01 - p00, p00);                                           \
                    const float v1 = fmaf(ax, p11 - p10, p10);                                           \
                    const float r = rintf(fmaf(ay, v1 - v0, v0));                                        \
                    v[k] = r <= 0 ? 0 : (r >= 255 ? 255 : (int)r);                                       \
                }                                                                                        \
            }                                                                                            \
            o0[x] = lut[v[0]];                                                                           \
            o1[x] = lut[256 + v[1]];                                                                     \
            o2[x] = lut[512 + v[2]];                                                                     \
        }                                                                                                \
    }

#if defined(__x86_64__) && defined(__clang__)
__attribute__((target("avx2,fma")))
static void warp_fma(const uint8_t *src, int width, int height, const float inv[6], int out_w, int out_h,
                     const float *lut, float *plane0, float *plane1, float *plane2) {
    WARP_BODY
}
#endif

static void warp_portable(const uint8_t *src, int width, int height, const float inv[6], int out_w, int out_h,
                          const float *lut, float *plane0, float *plane1, float *plane2) {
    WARP_BODY
}

void swiftpose_warp_rgb_normalized(const uint8_t *src, int width, int height, const float inv[6],
                                   int out_w, int out_h, const float *lut,
                                   float *plane0, float *plane1, float *plane2) {
#if defined(__x86_64__) && defined(__clang__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        warp_fma(src, width, height, inv, out_w, out_h, lut, plane0, plane1, plane2);
        return;
    }
#endif
    warp_portable(src, width, height, inv, out_w, out_h, lut, plane0, plane1, plane2);
}
