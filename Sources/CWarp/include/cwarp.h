// Bilinear affine warp of an 8-bit RGB image into normalized float32 CHW planes, with OpenCV >= 4.11
// `warpAffine(INTER_LINEAR, BORDER_CONSTANT 0)` arithmetic (float32 coordinates and weights, fused
// multiply-adds, round half to even). Keypoints' WarpAffine.swift documents the arithmetic; this is its fast path.
#ifndef SWIFTPOSE_CWARP_H
#define SWIFTPOSE_CWARP_H
#include <stdint.h>

/// Warps `src` (height x width x 3, interleaved) by the inverse matrix `inv` (crop → image, float32) into
/// three `out_w * out_h` planes, mapping each 8-bit channel value v of source channel c through `lut[c * 256 + v]`.
void swiftpose_warp_rgb_normalized(const uint8_t *src, int width, int height, const float inv[6],
                                   int out_w, int out_h, const float *lut,
                                   float *plane0, float *plane1, float *plane2);

#endif
