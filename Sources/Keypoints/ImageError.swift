// The one error type of image decoding, encoding and writing.

/// Why an image could not be read or written; each message is one line that starts with the file name.
public enum ImageError: Error, CustomStringConvertible, Equatable {
    /// The file does not exist.
    case missingFile(name: String)
    /// The file exists but could not be read.
    case unreadable(name: String, reason: String)
    /// The bytes are neither JPEG nor PNG (judged by the magic bytes).
    case unknownFormat(name: String, firstBytes: String)
    /// TurboJPEG rejected the data, or the data ends before the image does.
    case corruptJPEG(name: String, detail: String)
    /// libpng rejected the data.
    case corruptPNG(name: String, detail: String)
    /// The encoder failed (out of memory, or an image it cannot hold).
    case encodeFailed(name: String, detail: String)
    /// `writeImage` was given a file name whose extension is not `.jpg`, `.jpeg` or `.png`.
    case unsupportedExtension(name: String)
    /// Only 3-channel RGB images can be encoded.
    case unsupportedChannels(name: String, channels: Int)
    /// Writing or renaming the output file failed.
    case writeFailed(name: String, reason: String)

    public var description: String {
        switch self {
        case let .missingFile(name):
            return "\(name): no such file"
        case let .unreadable(name, reason):
            return "\(name): cannot read (\(reason))"
        case let .unknownFormat(name, firstBytes):
            return "\(name): unknown image format (first bytes \(firstBytes)), expected JPEG or PNG"
        case let .corruptJPEG(name, detail):
            return "\(name): corrupt JPEG data (\(detail))"
        case let .corruptPNG(name, detail):
            return "\(name): corrupt PNG data (\(detail))"
        case let .encodeFailed(name, detail):
            return "\(name): cannot encode image (\(detail))"
        case let .unsupportedExtension(name):
            return "\(name): unsupported image extension, expected .jpg, .jpeg or .png"
        case let .unsupportedChannels(name, channels):
            return "\(name): cannot encode a \(channels)-channel image, expected 3 (RGB)"
        case let .writeFailed(name, reason):
            return "\(name): cannot write (\(reason))"
        }
    }
}
