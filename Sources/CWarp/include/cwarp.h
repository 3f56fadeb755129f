// Bilinear affine warp of an 8-bit RGB image into normalized float32 CHW planes, with OpenCV >= 4.11
// `warpAffine(INTER_LINEAR, BORDER_CONSTANT 0)` arithmetic (float32 coordinates and weights, fused
// multiply-adds, round half to even). Keypoints' WarpAffine.swift documents the arithmetic; this is its fast path
// (AVX2, 8 pixels at a time, where the CPU has it).
#ifndef SWIFTPOSE_CWARP_H
#define SWIFTPOSE_CWARP_H
#include <stdint.h>

/// Warps an image of `width` x `height` by the inverse matrix `inv` (crop → image, float32) into three
/// `out_w * out_h` planes, mapping each 8-bit channel value v of source channel c through `lut[c * 256 + v]`.
/// Only a window of the image is in memory: `src` holds its `src_w` x `src_h` pixels (interleaved RGB) at
/// (`src_x`, `src_y`); every pixel of the image that the warp reads must lie in it.
void swiftpose_warp_rgb_normalized(const uint8_t *src, int src_x, int src_y, int src_w, int src_h,
                                   int width, int height, const float inv[6],
                                   int out_w, int out_h, const float *lut,
                                   float *plane0, float *plane1, float *plane2);

/// The same warp one pixel at a time (hardware FMA where the CPU has it): the vector path's fallback; for tests.
void swiftpose_warp_rgb_normalized_scalar(const uint8_t *src, int src_x, int src_y, int src_w, int src_h,
                                          int width, int height, const float inv[6],
                                          int out_w, int out_h, const float *lut,
                                          float *plane0, float *plane1, float *plane2);

/// The same warp without the hardware-FMA dispatch (libm `fmaf`): what CPUs without FMA run; for tests.
void swiftpose_warp_rgb_normalized_portable(const uint8_t *src, int src_x, int src_y, int src_w, int src_h,
                                            int width, int height, const float inv[6],
                                            int out_w, int out_h, const float *lut,
                                            float *plane0, float *plane1, float *plane2);

#endif
