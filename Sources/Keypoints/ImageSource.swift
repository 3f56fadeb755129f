// Where a crop's pixels come from. A top-down sample reads only the part of its image that the affine crop
// touches, so the training and evaluation loaders open each file as an `ImageSource` and decode just that
// rectangle (`JPEGFile`: libjpeg-turbo's partial decode, pixel-identical to a full decode) instead of the
// whole image. `Image` is a source too (in-memory images, PNG files, tests).
import CJPEGRegion
import Foundation

/// A rectangle of pixels: columns `x ..< x + width`, rows `y ..< y + height`.
public struct PixelRect: Sendable, Equatable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var isEmpty: Bool { width <= 0 || height <= 0 }

    /// The same rectangle in the image mirrored left-right (`x → imageWidth - 1 - x`).
    public func mirrored(imageWidth: Int) -> PixelRect {
        PixelRect(x: imageWidth - x - width, y: y, width: width, height: height)
    }
}

/// An image that can hand out any rectangle of its 8-bit RGB pixels.
public protocol ImageSource: Sendable {
    var width: Int { get }
    var height: Int { get }
    /// The pixels of `rect` (inside the image) as an RGB image of `rect`'s size, mirrored left-right when
    /// `mirrored` (then equal to the mirrored image's pixels at `rect.mirrored(imageWidth: width)`).
    /// The bytes are written into `storage` (resized), which the caller may keep and pass again once the
    /// returned image is gone: a loader thread then decodes every sample into the same memory.
    /// - Throws: `ImageError` naming the file when its data cannot be decoded.
    func pixels(in rect: PixelRect, mirrored: Bool, reusing storage: inout [UInt8]) throws -> Image
}

extension ImageSource {
    /// The pixels of `rect`, mirrored left-right when `mirrored`, in new memory.
    public func pixels(in rect: PixelRect, mirrored: Bool) throws -> Image {
        var storage: [UInt8] = []
        return try pixels(in: rect, mirrored: mirrored, reusing: &storage)
    }

    /// The pixels of `rect`, not mirrored.
    public func pixels(in rect: PixelRect) throws -> Image { try pixels(in: rect, mirrored: false) }
}

/// Resizes `storage` to `count` bytes keeping its memory when it is large enough (the contents are
/// overwritten by the caller) and lets `body` fill them.
private func overwrite(_ storage: inout [UInt8], count: Int, _ body: (UnsafeMutablePointer<UInt8>) throws -> Void) rethrows {
    if storage.count != count {
        storage.removeAll(keepingCapacity: true)
        storage.append(contentsOf: repeatElement(0, count: count))
    }
    try storage.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
}

extension Image: ImageSource {
    public func pixels(in rect: PixelRect, mirrored: Bool, reusing storage: inout [UInt8]) -> Image {
        if rect == PixelRect(x: 0, y: 0, width: width, height: height) && !mirrored { return self }
        precondition(rect.x >= 0 && rect.y >= 0 && rect.x + rect.width <= width && rect.y + rect.height <= height,
                     "Image.pixels(in:): \(rect) outside \(width)x\(height)")
        let c = channels, w = max(rect.width, 0), h = max(rect.height, 0)
        let rowBytes = w * c
        overwrite(&storage, count: rowBytes * h) { dst in
            pixels.withUnsafeBufferPointer { src in
                for r in 0..<h {
                    let from = src.baseAddress! + ((rect.y + r) * width + rect.x) * c, to = dst + r * rowBytes
                    if !mirrored {
                        to.update(from: from, count: rowBytes)
                        continue
                    }
                    for x in 0..<w {
                        (to + (w - 1 - x) * c).update(from: from + x * c, count: c)
                    }
                }
            }
        }
        return Image(width: w, height: h, channels: c, pixels: storage)
    }

    /// The pixels of `rect`, mirrored left-right when `mirrored`, in new memory.
    public func pixels(in rect: PixelRect, mirrored: Bool) -> Image {
        var storage: [UInt8] = []
        return pixels(in: rect, mirrored: mirrored, reusing: &storage)
    }

    /// The pixels of `rect`, not mirrored.
    public func pixels(in rect: PixelRect) -> Image { pixels(in: rect, mirrored: false) }
}

/// A JPEG file's bytes with its header read: decodes rectangles on demand.
public struct JPEGFile: ImageSource {
    public let data: Data
    /// Labels errors (the path).
    public let name: String
    public let width: Int
    public let height: Int
    /// CMYK/YCCK files are decoded whole (libjpeg cannot convert them to RGB) and then cropped.
    let cmyk: Bool

    /// Reads the header of JPEG bytes.
    /// - Throws: `ImageError.corruptJPEG` naming `name` when the header cannot be read.
    public init(data: Data, name: String) throws {
        var info = swiftpose_jpeg_info()
        var message = [CChar](repeating: 0, count: 256)
        let status = data.withUnsafeBytes { raw in
            swiftpose_jpeg_header(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &info, &message, message.count)
        }
        guard status == 0 else { throw ImageError.corruptJPEG(name: name, detail: String(cString: message)) }
        guard info.width > 0, info.height > 0, Int(info.width) * Int(info.height) <= maxDecodedPixels else {
            throw ImageError.corruptJPEG(name: name, detail: "unsupported size \(info.width)x\(info.height)")
        }
        self.data = data
        self.name = name
        self.width = Int(info.width)
        self.height = Int(info.height)
        self.cmyk = info.cmyk != 0
    }

    public func pixels(in rect: PixelRect, mirrored: Bool, reusing storage: inout [UInt8]) throws -> Image {
        if cmyk {
            return try decodeImage(data: data, name: name).pixels(in: rect, mirrored: mirrored, reusing: &storage)
        }
        let w = max(rect.width, 0), h = max(rect.height, 0)
        var message = [CChar](repeating: 0, count: 256)
        var status: Int32 = 0
        overwrite(&storage, count: w * h * 3) { out in
            status = data.withUnsafeBytes { raw in
                swiftpose_jpeg_decode_region(raw.bindMemory(to: UInt8.self).baseAddress, raw.count,
                                             Int32(rect.x), Int32(rect.y), Int32(w), Int32(h), mirrored ? 1 : 0,
                                             out, &message, message.count)
            }
        }
        guard status == 0 else { throw ImageError.corruptJPEG(name: name, detail: String(cString: message)) }
        return Image(width: w, height: h, pixels: storage)
    }
}

/// Opens an image file for partial decoding: a JPEG's header is read (its pixels are decoded per rectangle
/// later); a PNG is decoded whole.
/// - Throws: `ImageError` naming the file: missing, unreadable, unknown format, corrupt header or PNG data.
public func openImage(at url: URL) throws -> any ImageSource {
    let data = try readImageFile(at: url)
    if ImageFormat(magic: data) == .jpeg { return try JPEGFile(data: data, name: url.path) }
    return try decodeImage(data: data, name: url.path)
}

/// The pixels a crop reads from `source`, as a window of the (possibly mirrored) image: `rect` is in the
/// coordinates of the image the crop sees, which is `source` mirrored left-right when `flipped`
/// (SimpleBaseline flips the whole image, `img[:, ::-1]`, before cropping).
/// `storage` as in `ImageSource.pixels(in:mirrored:reusing:)`.
public func cropWindow(of source: any ImageSource, reading rect: PixelRect, flipped: Bool,
                       reusing storage: inout [UInt8]) throws -> ImageWindow {
    let pixels = try source.pixels(in: flipped ? rect.mirrored(imageWidth: source.width) : rect, mirrored: flipped,
                                   reusing: &storage)
    return ImageWindow(pixels: pixels, x: rect.x, y: rect.y, imageWidth: source.width, imageHeight: source.height)
}

/// `cropWindow` in new memory.
public func cropWindow(of source: any ImageSource, reading rect: PixelRect, flipped: Bool) throws -> ImageWindow {
    var storage: [UInt8] = []
    return try cropWindow(of: source, reading: rect, flipped: flipped, reusing: &storage)
}

/// The pixel memory a thread's crops decode into, kept between samples (kept in the thread's dictionary).
final class CropScratch {
    var bytes: [UInt8] = []

    static var current: CropScratch {
        let key = "SwiftPose.CropScratch"
        if let scratch = Thread.current.threadDictionary[key] as? CropScratch { return scratch }
        let scratch = CropScratch()
        Thread.current.threadDictionary[key] = scratch
        return scratch
    }
}
