// See include/cwarp.h. Compiled three ways: AVX2 (8 output pixels at a time with gathers, chosen at run time),
// scalar with hardware FMA, and portable (`fmaf` from libm). All three do the same float operations in the
// same order, so they give the same bits. Contraction is off so `y * m1 + m2` rounds twice, as OpenCV's
// vector path.
#include "cwarp.h"
#include <math.h>
#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#endif

#pragma clang fp contract(off)

/// The matrix and the row's coordinate offsets, shared by the loops below.
#define WARP_ROW_SETUP                                                                                   \
    const float m0 = inv[0], m1 = inv[1], m2 = inv[2], m3 = inv[3], m4 = inv[4], m5 = inv[5];            \
    const int stride = src_w * 3;                                                                        \
    (void)stride;

/// Output pixel `x` of row `y` (needs `mx`, `my`, `o0..o2` of the row): four taps, bilinear weights in
/// float32 with FMA, round half to even, clamp, normalize through the lookup table.
#define WARP_PIXEL(x)                                                                                    \
    {                                                                                                    \
        const float fx = (float)(x);                                                                     \
        const float sx = fmaf(m0, fx, mx), sy = fmaf(m3, fx, my);                                        \
        int v[3] = {0, 0, 0};                                                                            \
        if (sx >= -1.0f && sy >= -1.0f && sx < (float)width && sy < (float)height) {                     \
            const float fsx = floorf(sx), fsy = floorf(sy);                                              \
            const int ix = (int)fsx - src_x, iy = (int)fsy - src_y; /* window coordinates */             \
            const float ax = sx - fsx, ay = sy - fsy;                                                    \
            const uint8_t *p = src + ((long)iy * src_w + ix) * 3;                                        \
            const int inside = ix >= 0 && iy >= 0 && ix < src_w - 1 && iy < src_h - 1;                  \
            for (int k = 0; k < 3; k++) {                                                                \
                float p00, p01, p10, p11;                                                                \
                if (inside) {                                                                            \
                    p00 = p[k]; p01 = p[3 + k]; p10 = p[stride + k]; p11 = p[stride + 3 + k];             \
                } else {                                                                                 \
                    const int x0 = ix >= 0 && ix < src_w, x1 = ix + 1 >= 0 && ix + 1 < src_w;            \
                    const int y0 = iy >= 0 && iy < src_h, y1 = iy + 1 >= 0 && iy + 1 < src_h;            \
                    p00 = (x0 && y0) ? p[k] : 0;                                                         \
                    p01 = (x1 && y0) ? p[3 + k] : 0;                                                     \
                    p10 = (x0 && y1) ? p[stride + k] : 0;                                                \
                    p11 = (x1 && y1) ? p[stride + 3 + k] : 0;                                            \
                }                                                                                        \
                const float v0 = fmaf(ax, p01 - p00, p00);                                               \
                const float v1 = fmaf(ax, p11 - p10, p10);                                               \
                const float r = rintf(fmaf(ay, v1 - v0, v0));                                            \
                v[k] = r <= 0 ? 0 : (r >= 255 ? 255 : (int)r);                                           \
            }                                                                                            \
        }                                                                                                \
        o0[x] = lut[v[0]];                                                                               \
        o1[x] = lut[256 + v[1]];                                                                         \
        o2[x] = lut[512 + v[2]];                                                                         \
    }

#define WARP_ROW_START(y)                                                                                \
    const float mx = (float)(y) * m1 + m2;                                                               \
    const float my = (float)(y) * m4 + m5;                                                               \
    float *o0 = plane0 + (long)(y) * out_w, *o1 = plane1 + (long)(y) * out_w, *o2 = plane2 + (long)(y) * out_w;

#define WARP_ARGS                                                                                        \
    const uint8_t *src, int src_x, int src_y, int src_w, int src_h, int width, int height, const float inv[6], \
    int out_w, int out_h, const float *lut, float *plane0, float *plane1, float *plane2

#if defined(__x86_64__) && defined(__clang__)
__attribute__((target("avx2,fma")))
static void warp_fma(WARP_ARGS) {
    WARP_ROW_SETUP
    for (int y = 0; y < out_h; y++) {
        WARP_ROW_START(y)
        for (int x = 0; x < out_w; x++) WARP_PIXEL(x)
    }
}

/// Channel `k` of four gathered bytes per lane, as float.
__attribute__((target("avx2,fma")))
static inline __m256 channel(__m256i bytes, int k) {
    const __m256i shifted = k == 0 ? bytes : (k == 1 ? _mm256_srli_epi32(bytes, 8) : _mm256_srli_epi32(bytes, 16));
    return _mm256_cvtepi32_ps(_mm256_and_si256(shifted, _mm256_set1_epi32(0xFF)));
}

/// 8 output pixels at a time where all their taps lie inside the window (and one byte more to the right,
/// since each tap is a 4-byte gather); other groups and the row's tail go through `WARP_PIXEL`.
__attribute__((target("avx2,fma")))
static void warp_avx2(WARP_ARGS) {
    WARP_ROW_SETUP
    const __m256 lane = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i zero = _mm256_setzero_si256(), maxX = _mm256_set1_epi32(src_w - 3),
                  maxY = _mm256_set1_epi32(src_h - 2), originX = _mm256_set1_epi32(src_x),
                  originY = _mm256_set1_epi32(src_y), rowBytes = _mm256_set1_epi32(stride),
                  three = _mm256_set1_epi32(3), offset1 = _mm256_set1_epi32(256), offset2 = _mm256_set1_epi32(512);
    const __m256 vm0 = _mm256_set1_ps(m0), vm3 = _mm256_set1_ps(m3), low = _mm256_set1_ps(0),
                 high = _mm256_set1_ps(255);
    for (int y = 0; y < out_h; y++) {
        WARP_ROW_START(y)
        const __m256 vmx = _mm256_set1_ps(mx), vmy = _mm256_set1_ps(my);
        int x = 0;
        for (; x + 8 <= out_w; x += 8) {
            const __m256 fx = _mm256_add_ps(_mm256_set1_ps((float)x), lane);  // exact: small integers
            const __m256 sx = _mm256_fmadd_ps(vm0, fx, vmx), sy = _mm256_fmadd_ps(vm3, fx, vmy);
            const __m256 fsx = _mm256_floor_ps(sx), fsy = _mm256_floor_ps(sy);
            const __m256i ix = _mm256_sub_epi32(_mm256_cvttps_epi32(fsx), originX);
            const __m256i iy = _mm256_sub_epi32(_mm256_cvttps_epi32(fsy), originY);
            // Inside: 0 <= ix <= src_w - 3 and 0 <= iy <= src_h - 2 (a NaN or huge coordinate converts to
            // INT_MIN and fails). Inside the window means inside the image, so the early-out test holds.
            const __m256i outside = _mm256_or_si256(
                _mm256_or_si256(_mm256_cmpgt_epi32(zero, ix), _mm256_cmpgt_epi32(zero, iy)),
                _mm256_or_si256(_mm256_cmpgt_epi32(ix, maxX), _mm256_cmpgt_epi32(iy, maxY)));
            if (!_mm256_testz_si256(outside, outside)) {
                for (int i = x; i < x + 8; i++) WARP_PIXEL(i)
                continue;
            }
            const __m256 ax = _mm256_sub_ps(sx, fsx), ay = _mm256_sub_ps(sy, fsy);
            const __m256i at = _mm256_mullo_epi32(_mm256_add_epi32(_mm256_mullo_epi32(iy, _mm256_set1_epi32(src_w)), ix), three);
            const int *base = (const int *)src;
            const __m256i b00 = _mm256_i32gather_epi32(base, at, 1);
            const __m256i b01 = _mm256_i32gather_epi32(base, _mm256_add_epi32(at, three), 1);
            const __m256i b10 = _mm256_i32gather_epi32(base, _mm256_add_epi32(at, rowBytes), 1);
            const __m256i b11 = _mm256_i32gather_epi32(base, _mm256_add_epi32(_mm256_add_epi32(at, rowBytes), three), 1);
            __m256i values[3];
            for (int k = 0; k < 3; k++) {
                const __m256 p00 = channel(b00, k), p01 = channel(b01, k), p10 = channel(b10, k), p11 = channel(b11, k);
                const __m256 v0 = _mm256_fmadd_ps(ax, _mm256_sub_ps(p01, p00), p00);
                const __m256 v1 = _mm256_fmadd_ps(ax, _mm256_sub_ps(p11, p10), p10);
                const __m256 r = _mm256_round_ps(_mm256_fmadd_ps(ay, _mm256_sub_ps(v1, v0), v0),
                                                 _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
                values[k] = _mm256_cvttps_epi32(_mm256_min_ps(_mm256_max_ps(r, low), high));
            }
            _mm256_storeu_ps(o0 + x, _mm256_i32gather_ps(lut, values[0], 4));
            _mm256_storeu_ps(o1 + x, _mm256_i32gather_ps(lut, _mm256_add_epi32(values[1], offset1), 4));
            _mm256_storeu_ps(o2 + x, _mm256_i32gather_ps(lut, _mm256_add_epi32(values[2], offset2), 4));
        }
        for (; x < out_w; x++) WARP_PIXEL(x)
    }
}
#endif

static void warp_portable(WARP_ARGS) {
    WARP_ROW_SETUP
    for (int y = 0; y < out_h; y++) {
        WARP_ROW_START(y)
        for (int x = 0; x < out_w; x++) WARP_PIXEL(x)
    }
}

typedef void (*warp_loop)(WARP_ARGS);

/// `fast` where the CPU has AVX2 and FMA, else the portable loop.
static warp_loop with_fma(warp_loop fast) {
#if defined(__x86_64__) && defined(__clang__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return fast;
#endif
    (void)fast;
    return warp_portable;
}

#if !(defined(__x86_64__) && defined(__clang__))
#define warp_avx2 warp_portable
#define warp_fma warp_portable
#endif

#define WARP_CALL src, src_x, src_y, src_w, src_h, width, height, inv, out_w, out_h, lut, plane0, plane1, plane2

void swiftpose_warp_rgb_normalized(WARP_ARGS) { with_fma(warp_avx2)(WARP_CALL); }

void swiftpose_warp_rgb_normalized_scalar(WARP_ARGS) { with_fma(warp_fma)(WARP_CALL); }

void swiftpose_warp_rgb_normalized_portable(WARP_ARGS) { warp_portable(WARP_CALL); }
