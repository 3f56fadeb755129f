// Decoding part of a JPEG with libjpeg-turbo's libjpeg API (`jpeg_crop_scanline`, `jpeg_skip_scanlines`):
// the pixels of a rectangle, equal to the same rectangle of a full decode (ISLOW DCT, fancy upsampling, RGB),
// at a fraction of the cost when the rectangle is small. libjpeg reports fatal errors by longjmp, which must not
// cross Swift frames, so this lives in C and returns error text instead.
#ifndef SWIFTPOSE_JPEG_REGION_H
#define SWIFTPOSE_JPEG_REGION_H
#include <stddef.h>
#include <stdint.h>

/// What `swiftpose_jpeg_header` reads from a JPEG's header.
typedef struct {
    int width;
    int height;
    /// 1 when the file is CMYK/YCCK, which libjpeg cannot convert to RGB itself.
    int cmyk;
} swiftpose_jpeg_info;

/// Reads the header of `data`. Returns 0, or -1 with a message in `error` (`error_size` bytes, NUL-terminated).
int swiftpose_jpeg_header(const uint8_t *data, size_t size, swiftpose_jpeg_info *info, char *error,
                          size_t error_size);

/// Decodes the `w` x `h` rectangle at (`x`, `y`) of a non-CMYK JPEG into `out` (h rows of w * 3 bytes, RGB),
/// each row mirrored left-right when `mirror` is 1.
/// The rectangle must lie inside the image; w or h may be 0 (nothing is written). Decoding stops after the
/// rectangle's last row; data missing before the end-of-image marker is still reported, as a full decode
/// reports it. Returns 0, or -1 with a message in `error`: a fatal libjpeg error, or
/// "Premature end of JPEG file".
int swiftpose_jpeg_decode_region(const uint8_t *data, size_t size, int x, int y, int w, int h, int mirror,
                                 uint8_t *out, char *error, size_t error_size);

#endif
