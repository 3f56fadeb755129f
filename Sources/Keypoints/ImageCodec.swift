// Image files ⇄ `Image`: JPEG through TurboJPEG (libjpeg-turbo), PNG through libpng's simplified API.
// Decoding always yields 8-bit RGB (gray, CMYK, palette, 16-bit and alpha inputs are converted), so the
// JPEG path gives the same pixels as OpenCV's `cv2.imread` + BGR→RGB (both are libjpeg-turbo, ISLOW DCT,
// fancy upsampling). Every call makes its own codec handle: safe to call from several loader threads.
import CPNG
import CTurboJPEG
import Foundation

/// The container formats SwiftPose reads and writes.
public enum ImageFormat: Sendable {
    case jpeg, png

    /// The format named by a file extension (`jpg`, `jpeg`, `png`, any case), or nil.
    public init?(extension ext: String) {
        switch ext.lowercased() {
        case "jpg", "jpeg": self = .jpeg
        case "png": self = .png
        default: return nil
        }
    }

    /// The format announced by the first bytes of a file, or nil.
    public init?(magic data: Data) {
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF]
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if data.starts(with: jpeg) {
            self = .jpeg
        } else if data.starts(with: png) {
            self = .png
        } else {
            return nil
        }
    }
}

/// Reads a JPEG or PNG file (detected by its magic bytes, not its name) into an 8-bit RGB image.
/// - Throws: `ImageError` naming the file: missing, unreadable, unknown format, corrupt or truncated data.
public func decodeImage(at url: URL) throws -> Image {
    try decodeImage(data: readImageFile(at: url), name: url.path)
}

/// The bytes of an image file. - Throws: `ImageError` naming the file when it is missing or unreadable.
func readImageFile(at url: URL) throws -> Data {
    do {
        return try Data(contentsOf: url)
    } catch {
        if !FileManager.default.fileExists(atPath: url.path) { throw ImageError.missingFile(name: url.path) }
        throw ImageError.unreadable(name: url.path, reason: (error as NSError).localizedDescription)
    }
}

/// Decodes JPEG or PNG bytes (detected by magic bytes) into an 8-bit RGB image; `name` only labels errors.
public func decodeImage(data: Data, name: String) throws -> Image {
    switch ImageFormat(magic: data) {
    case .jpeg: return try decodeJPEG(data, name: name)
    case .png: return try decodePNG(data, name: name)
    case nil:
        let head = data.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
        throw ImageError.unknownFormat(name: name, firstBytes: head.isEmpty ? "none: empty file" : head)
    }
}

/// Encodes an RGB image as a baseline JPEG (4:2:0 chroma subsampling).
/// - Parameter quality: 1 (smallest) … 100 (best), libjpeg's scale.
public func encodeJPEG(_ image: Image, quality: Int = 90) throws -> Data {
    try encodeJPEG(image, quality: quality, subsampling: .s420, progressive: false)
}

/// Chroma subsampling of an encoded JPEG (TurboJPEG's `TJSAMP_*`; `gray` drops colour).
enum JPEGSubsampling: CaseIterable {
    case s444, s422, s420, gray, s440, s411

    var turboJPEG: TJSAMP {
        switch self {
        case .s444: TJSAMP_444
        case .s422: TJSAMP_422
        case .s420: TJSAMP_420
        case .gray: TJSAMP_GRAY
        case .s440: TJSAMP_440
        case .s411: TJSAMP_411
        }
    }
}

/// `encodeJPEG` with any chroma subsampling, baseline or progressive (the decoders' tests use every kind).
func encodeJPEG(_ image: Image, quality: Int, subsampling: JPEGSubsampling, progressive: Bool) throws -> Data {
    let name = "<jpeg>"
    guard image.channels == 3 else { throw ImageError.unsupportedChannels(name: name, channels: image.channels) }
    guard let handle = tjInitCompress() else { throw ImageError.encodeFailed(name: name, detail: "tjInitCompress failed") }
    defer { tjDestroy(handle) }
    var buffer: UnsafeMutablePointer<UInt8>? = nil
    var size: UInt = 0
    let status = image.pixels.withUnsafeBufferPointer { pixels in
        tjCompress2(handle, pixels.baseAddress, Int32(image.width), Int32(image.width * 3), Int32(image.height),
                    Int32(TJPF_RGB.rawValue), &buffer, &size, Int32(subsampling.turboJPEG.rawValue),
                    Int32(min(max(quality, 1), 100)), progressive ? TJFLAG_PROGRESSIVE : 0)
    }
    defer { if let buffer { tjFree(buffer) } }
    guard status == 0, let buffer else {
        throw ImageError.encodeFailed(name: name, detail: String(cString: tjGetErrorStr2(handle)))
    }
    return Data(bytes: buffer, count: Int(size))
}

/// Encodes an RGB image as an 8-bit RGB PNG (lossless).
public func encodePNG(_ image: Image) throws -> Data {
    let name = "<png>"
    guard image.channels == 3 else { throw ImageError.unsupportedChannels(name: name, channels: image.channels) }
    var png = png_image()
    png.version = png_uint_32(PNG_IMAGE_VERSION)
    png.width = png_uint_32(image.width)
    png.height = png_uint_32(image.height)
    png.format = png_uint_32(PNG_FORMAT_RGB)
    return try image.pixels.withUnsafeBufferPointer { pixels -> Data in
        var size: png_alloc_size_t = 0
        // First call measures, second writes.
        guard png_image_write_to_memory(&png, nil, &size, 0, pixels.baseAddress, png_int_32(image.width * 3), nil) != 0
        else { throw ImageError.encodeFailed(name: name, detail: pngMessage(&png)) }
        var out = Data(count: Int(size))
        let ok = out.withUnsafeMutableBytes { raw in
            png_image_write_to_memory(&png, raw.baseAddress, &size, 0, pixels.baseAddress,
                                      png_int_32(image.width * 3), nil)
        }
        guard ok != 0 else { throw ImageError.encodeFailed(name: name, detail: pngMessage(&png)) }
        out.count = Int(size)
        return out
    }
}

/// Writes an RGB image to `url` atomically (temporary file in the same folder, then rename); the format
/// follows the extension (`.jpg`/`.jpeg` at `jpegQuality`, `.png`).
public func writeImage(_ image: Image, to url: URL, jpegQuality: Int = 90) throws {
    guard let format = ImageFormat(extension: url.pathExtension) else {
        throw ImageError.unsupportedExtension(name: url.path)
    }
    let data: Data
    do {
        data = format == .jpeg ? try encodeJPEG(image, quality: jpegQuality) : try encodePNG(image)
    } catch let ImageError.encodeFailed(_, detail) {
        throw ImageError.encodeFailed(name: url.path, detail: detail)
    } catch let ImageError.unsupportedChannels(_, channels) {
        throw ImageError.unsupportedChannels(name: url.path, channels: channels)
    }
    try writeAtomically(data, to: url)
}

/// Writes bytes to a hidden temporary sibling of `url`, then renames it over `url`.
func writeAtomically(_ data: Data, to url: URL) throws {
    let dir = url.deletingLastPathComponent()
    let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    do {
        try data.write(to: tmp)
    } catch {
        throw ImageError.writeFailed(name: url.path, reason: (error as NSError).localizedDescription)
    }
    if rename(tmp.path, url.path) != 0 {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: tmp)
        throw ImageError.writeFailed(name: url.path, reason: reason)
    }
}

// MARK: - JPEG

/// The largest image decoded (2^28 pixels, 768 MiB as RGB); a corrupt header claiming more is an error.
let maxDecodedPixels = 1 << 28

/// TurboJPEG decode to RGB. Fatal errors and truncation (libjpeg's "Premature end of JPEG file" warning)
/// throw; other warnings (e.g. "extraneous bytes before marker", seen in a few COCO images) are tolerated
/// as OpenCV and PIL tolerate them.
private func decodeJPEG(_ data: Data, name: String) throws -> Image {
    guard let handle = tjInitDecompress() else { throw ImageError.corruptJPEG(name: name, detail: "tjInitDecompress failed") }
    defer { tjDestroy(handle) }
    func failure() -> ImageError { .corruptJPEG(name: name, detail: String(cString: tjGetErrorStr2(handle))) }

    return try data.withUnsafeBytes { raw -> Image in
        let bytes = raw.bindMemory(to: UInt8.self).baseAddress
        let count = UInt(raw.count)
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        guard tjDecompressHeader3(handle, bytes, count, &width, &height, &subsampling, &colorspace) == 0 else {
            throw failure()
        }
        guard width > 0, height > 0, Int(width) * Int(height) <= maxDecodedPixels else {
            throw ImageError.corruptJPEG(name: name, detail: "unsupported size \(width)x\(height)")
        }
        let w = Int(width), h = Int(height)
        // libjpeg cannot convert CMYK/YCCK to RGB itself: decode CMYK and convert as OpenCV does.
        let cmyk = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let channels = cmyk ? 4 : 3
        var pixels = [UInt8](repeating: 0, count: w * h * channels)
        let format = cmyk ? TJPF_CMYK : TJPF_RGB
        let status = pixels.withUnsafeMutableBufferPointer { out in
            tjDecompress2(handle, bytes, count, out.baseAddress, width, Int32(w * channels), height,
                          Int32(format.rawValue), 0)
        }
        if status != 0 {
            let fatal = tjGetErrorCode(handle) != Int32(TJERR_WARNING.rawValue)
            let message = String(cString: tjGetErrorStr2(handle))
            if fatal || message.contains("Premature end") { throw failure() }
        }
        if cmyk { pixels = cmykToRGB(pixels) }
        return Image(width: w, height: h, channels: 3, pixels: pixels)
    }
}

/// Adobe (inverted) CMYK → RGB, as OpenCV's `icvCvt_CMYK2BGR_8u_C4C3R`: `c' = k - ((255 - c) * k >> 8)`.
private func cmykToRGB(_ cmyk: [UInt8]) -> [UInt8] {
    let n = cmyk.count / 4
    var rgb = [UInt8](repeating: 0, count: n * 3)
    for i in 0..<n {
        let k = Int(cmyk[4 * i + 3])
        for c in 0..<3 {
            rgb[3 * i + c] = UInt8(k - (((255 - Int(cmyk[4 * i + c])) * k) >> 8))  // Swift: `>>` binds tighter than `*`
        }
    }
    return rgb
}

// MARK: - PNG

/// libpng simplified-API decode to 8-bit RGB. Gray and palette images expand to RGB; alpha is composited on
/// black. 16-bit images are read as 16-bit (libpng leaves untagged 16-bit data unchanged) and keep the
/// high byte, as OpenCV's `png_set_strip_16`, rather than libpng's linear-to-sRGB conversion.
private func decodePNG(_ data: Data, name: String) throws -> Image {
    var png = png_image()
    png.version = png_uint_32(PNG_IMAGE_VERSION)
    defer { png_image_free(&png) }
    return try data.withUnsafeBytes { raw -> Image in
        guard png_image_begin_read_from_memory(&png, raw.baseAddress, raw.count) != 0 else {
            throw ImageError.corruptPNG(name: name, detail: pngMessage(&png))
        }
        let sixteenBit = png.format & png_uint_32(PNG_FORMAT_FLAG_LINEAR) != 0
        png.format = png_uint_32(sixteenBit ? PNG_FORMAT_LINEAR_RGB : PNG_FORMAT_RGB)
        let w = Int(png.width), h = Int(png.height)
        guard w > 0, h > 0, w * h <= maxDecodedPixels else {
            throw ImageError.corruptPNG(name: name, detail: "unsupported size \(w)x\(h)")
        }
        if sixteenBit {
            var wide = [UInt16](repeating: 0, count: w * h * 3)
            let ok = wide.withUnsafeMutableBytes { out in
                png_image_finish_read(&png, nil, out.baseAddress, png_int_32(w * 3), nil)
            }
            guard ok != 0 else { throw ImageError.corruptPNG(name: name, detail: pngMessage(&png)) }
            return Image(width: w, height: h, channels: 3, pixels: wide.map { UInt8($0 >> 8) })
        }
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        let ok = pixels.withUnsafeMutableBytes { out in
            png_image_finish_read(&png, nil, out.baseAddress, png_int_32(w * 3), nil)
        }
        guard ok != 0 else { throw ImageError.corruptPNG(name: name, detail: pngMessage(&png)) }
        return Image(width: w, height: h, channels: 3, pixels: pixels)
    }
}

/// The NUL-terminated `message` field of a `png_image`.
private func pngMessage(_ png: inout png_image) -> String {
    withUnsafeBytes(of: &png.message) { raw in
        let bytes = raw.bindMemory(to: UInt8.self)
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}
