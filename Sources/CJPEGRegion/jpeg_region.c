// See include/jpeg_region.h.
#include "jpeg_region.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

/// libjpeg's error manager extended with a jump target, the fatal error's text and the truncation warning.
/// After the jump only `message` is read: the decompressor's fields may not be read there (the compiler
/// may assume they still hold what they held when `setjmp` first returned).
typedef struct {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    int truncated;
} region_error;

static void on_fatal(j_common_ptr cinfo) {
    region_error *err = (region_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

/// Warnings (level -1) are tolerated as OpenCV and TurboJPEG tolerate them, except the end of data arriving
/// early (libjpeg then pads the image with gray), which counts as an error like in `decodeImage`.
static void on_message(j_common_ptr cinfo, int level) {
    region_error *err = (region_error *)cinfo->err;
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) err->truncated = 1;
}

/// Whether an end-of-image marker follows `p` (the start of entropy-coded data). Inside a scan 0xFF is
/// followed by 0x00 (stuffing), 0xD0-0xD7 (restart) or more 0xFF (fill); any other marker between scans
/// (SOS, DHT, DQT, DRI, COM, APPn, ...) carries a 2-byte length that is skipped.
static int has_end_marker(const uint8_t *p, const uint8_t *end) {
    while (p < end) {
        const uint8_t *ff = memchr(p, 0xFF, (size_t)(end - p));
        if (!ff) return 0;
        p = ff + 1;
        while (p < end && *p == 0xFF) p++;
        if (p >= end) return 0;
        const uint8_t marker = *p++;
        if (marker == 0x00 || (marker >= 0xD0 && marker <= 0xD7)) continue;
        if (marker == 0xD9) return 1;
        if (end - p < 2) return 0;
        p += ((size_t)p[0] << 8) | p[1];
    }
    return 0;
}

static void start(struct jpeg_decompress_struct *cinfo, region_error *err, const uint8_t *data, size_t size) {
    cinfo->err = jpeg_std_error(&err->manager);
    err->manager.error_exit = on_fatal;
    err->manager.emit_message = on_message;
    err->truncated = 0;
    jpeg_create_decompress(cinfo);
    jpeg_mem_src(cinfo, data, (unsigned long)size);
    jpeg_read_header(cinfo, TRUE);
}

int swiftpose_jpeg_header(const uint8_t *data, size_t size, swiftpose_jpeg_info *info, char *error,
                          size_t error_size) {
    struct jpeg_decompress_struct cinfo;
    region_error err;
    if (setjmp(err.jump)) {
        snprintf(error, error_size, "%s", err.message);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    start(&cinfo, &err, data, size);
    info->width = (int)cinfo.image_width;
    info->height = (int)cinfo.image_height;
    info->cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

int swiftpose_jpeg_decode_region(const uint8_t *data, size_t size, int x, int y, int w, int h, int mirror,
                                 uint8_t *out, char *error, size_t error_size) {
    struct jpeg_decompress_struct cinfo;
    region_error err;
    JSAMPLE *volatile row = NULL;
    if (setjmp(err.jump)) {
        snprintf(error, error_size, "%s", err.message);
        free(row);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    start(&cinfo, &err, data, size);
    const uint8_t *scan_start = cinfo.src->next_input_byte;  // the first scan's entropy-coded data
    cinfo.out_color_space = JCS_RGB;  // defaults otherwise: JDCT_ISLOW, fancy upsampling (as TurboJPEG, OpenCV)
    jpeg_start_decompress(&cinfo);
    if (w > 0 && h > 0) {
        // Columns: decode one iMCU column more on each side than asked, because chroma upsampling and
        // progressive block smoothing treat the edges of a cropped row as image edges (the last column
        // differs from a full decode otherwise). libjpeg moves `left` down to an iMCU boundary; the
        // rectangle starts `x - left` pixels into the decoded row.
        const int margin = cinfo.max_h_samp_factor * DCTSIZE;
        const int first = x > margin ? x - margin : 0;
        const int last = x + w + margin < (int)cinfo.output_width ? x + w + margin : (int)cinfo.output_width;
        JDIMENSION left = (JDIMENSION)first, width = (JDIMENSION)(last - first);
        if (width < cinfo.output_width) jpeg_crop_scanline(&cinfo, &left, &width);
        else left = 0;
        row = malloc((size_t)cinfo.output_width * 3);
        if (!row) {
            snprintf(error, error_size, "out of memory");
            jpeg_destroy_decompress(&cinfo);
            return -1;
        }
        if (y > 0) jpeg_skip_scanlines(&cinfo, (JDIMENSION)y);
        const size_t offset = (size_t)(x - (int)left) * 3, bytes = (size_t)w * 3;
        for (int r = 0; r < h; r++) {
            JSAMPROW rows[1] = {row};
            jpeg_read_scanlines(&cinfo, rows, 1);
            uint8_t *to = out + (size_t)r * bytes;
            const uint8_t *from = row + offset;
            if (!mirror) {
                memcpy(to, from, bytes);
                continue;
            }
            for (int i = 0; i < w; i++) {
                uint8_t *pixel = to + (size_t)(w - 1 - i) * 3;
                pixel[0] = from[3 * i];
                pixel[1] = from[3 * i + 1];
                pixel[2] = from[3 * i + 2];
            }
        }
        free(row);
        row = NULL;
    }
    // Rows below the rectangle are never decoded; a full decode would reach the end of the data there
    // and warn if it came before the end-of-image marker, so look for that marker instead.
    const int truncated = err.truncated || !has_end_marker(scan_start, data + size);
    jpeg_destroy_decompress(&cinfo);
    if (truncated) {
        snprintf(error, error_size, "Premature end of JPEG file");
        return -1;
    }
    return 0;
}
