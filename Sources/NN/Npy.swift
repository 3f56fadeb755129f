// NumPy .npy files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
//   "\x93NUMPY" major minor, header length (UInt16 LE in v1, UInt32 LE in v2/v3), an ASCII (v3: UTF-8) Python
//   dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces and '\n',
//   then the data. SwiftPose reads and writes only little-endian float32 in C order.
import Foundation

/// Reads and writes `.npy` arrays of float32 (`<f4`, C order), the raw NCHW format of `swiftpose forward`.
public enum NpyFile {
    private static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Reads a `<f4` C-order array as an F32 `TensorData`; other dtypes or Fortran order are errors.
    public static func read(_ url: URL) throws -> TensorData {
        try decode(FileIO.readAll(url), file: url.path)
    }

    /// Writes an F32 tensor atomically, byte-identical to `numpy.save` of the same float32 array.
    public static func write(_ tensor: TensorData, to url: URL) throws {
        try FileIO.writeAtomically(encode(tensor), to: url)
    }

    /// Parses a whole file's bytes; `file` names the source in error messages.
    public static func decode(_ bytes: [UInt8], file: String) throws -> TensorData {
        func fail(_ reason: String) -> CheckpointError { .malformed(file: file, reason: reason) }

        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail("not a .npy file (expected the magic string \\x93NUMPY)")
        }
        let major = bytes[6]
        let (lengthBytes, headerStart): (Int, Int)
        switch major {
        case 1: (lengthBytes, headerStart) = (2, 10)
        case 2, 3: (lengthBytes, headerStart) = (4, 12)
        default: throw fail("unsupported .npy version \(major).\(bytes[7]), expected 1.0, 2.0 or 3.0")
        }
        guard bytes.count >= headerStart else { throw fail("truncated: \(bytes.count) bytes, header incomplete") }
        let headerLength = (0..<lengthBytes).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        guard headerLength <= bytes.count - headerStart else {
            throw fail("truncated: header length \(headerLength) runs past the end of the file (\(bytes.count) bytes)")
        }
        let dataStart = headerStart + headerLength
        guard let text = String(bytes: bytes[headerStart..<dataStart], encoding: major == 3 ? .utf8 : .ascii) else {
            throw fail("header is not \(major == 3 ? "UTF-8" : "ASCII") text")
        }
        let header: NpyHeader
        do {
            header = try NpyHeader(parsing: text)
        } catch let error as NpyHeader.ParseError {
            throw fail("bad header \(text.trimmingCharacters(in: .whitespacesAndNewlines)): \(error.reason)")
        }
        guard header.descr == "<f4" else { throw fail("dtype \(header.descr), expected <f4 (float32)") }
        guard !header.fortranOrder else { throw fail("fortran_order is True, expected C order (False)") }
        let dataLength = bytes.count - dataStart
        guard let count = TensorData.checkedCount(of: header.shape), count <= dataLength / 4 else {
            throw fail("truncated: shape \(header.shape) of <f4 needs more than the \(dataLength) data bytes")
        }
        guard count * 4 == dataLength else {
            throw fail("\(dataLength - count * 4) bytes after the data of shape \(header.shape)")
        }
        return TensorData(shape: header.shape, dtype: .f32, bytes: Array(bytes[dataStart...]))
    }

    /// The file's bytes for an F32 tensor, laid out as `numpy.save` does (version 1.0 unless the header needs 2.0).
    public static func encode(_ tensor: TensorData) -> [UInt8] {
        precondition(tensor.dtype == .f32, "NpyFile.encode: dtype \(tensor.dtype.rawValue), expected F32")
        let shape = tensor.shape
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        // numpy leaves room to grow the first axis in place: 21 digits in all.
        if let first = shape.first { dict += String(repeating: " ", count: max(0, 21 - String(first).count)) }
        var header = Array(dict.utf8)
        // Spaces and a final '\n' pad magic + version + length + header to a multiple of 64 (numpy adds 1...64).
        func padding(_ lengthBytes: Int) -> Int { 64 - (8 + lengthBytes + header.count + 1) % 64 }
        let lengthBytes = header.count + 1 + padding(2) <= Int(UInt16.max) ? 2 : 4
        header += [UInt8](repeating: UInt8(ascii: " "), count: padding(lengthBytes)) + [UInt8(ascii: "\n")]

        var out = magic + [lengthBytes == 2 ? 1 : 2, 0]
        for i in 0..<lengthBytes { out.append(UInt8(truncatingIfNeeded: header.count >> (8 * i))) }
        out += header
        out += tensor.bytes
        return out
    }
}

/// The dict literal of a .npy header: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
private struct NpyHeader {
    var descr = ""
    var fortranOrder = false
    var shape: [Int] = []

    struct ParseError: Error {
        var reason: String
    }

    init(parsing text: String) throws {
        var scanner = LiteralScanner(text)
        var seen: Set<String> = []
        try scanner.expect("{")
        while !scanner.consume("}") {
            let key = try scanner.string()
            try scanner.expect(":")
            switch key {
            case "descr": descr = try scanner.string()
            case "fortran_order": fortranOrder = try scanner.bool()
            case "shape": shape = try scanner.intTuple()
            default: throw ParseError(reason: "unexpected key '\(key)'")
            }
            seen.insert(key)
            if !scanner.consume(",") {
                try scanner.expect("}")
                break
            }
        }
        for key in ["descr", "fortran_order", "shape"] where !seen.contains(key) {
            throw ParseError(reason: "missing key '\(key)'")
        }
    }
}

/// Just enough of a Python literal scanner for .npy headers: strings, True/False, tuples of ints.
private struct LiteralScanner {
    private let chars: [Character]
    private var position = 0

    init(_ text: String) { chars = Array(text) }

    private mutating func skipSpace() {
        while position < chars.count, chars[position].isWhitespace { position += 1 }
    }

    /// Consumes `token` (after whitespace) if it comes next.
    mutating func consume(_ token: String) -> Bool {
        skipSpace()
        let t = Array(token)
        guard position + t.count <= chars.count, Array(chars[position..<position + t.count]) == t else { return false }
        position += t.count
        return true
    }

    mutating func expect(_ token: String) throws {
        guard consume(token) else { throw NpyHeader.ParseError(reason: "expected '\(token)'") }
    }

    mutating func string() throws -> String {
        skipSpace()
        guard position < chars.count, chars[position] == "'" || chars[position] == "\"" else {
            throw NpyHeader.ParseError(reason: "expected a quoted string")
        }
        let quote = chars[position]
        position += 1
        let start = position
        while position < chars.count, chars[position] != quote { position += 1 }
        guard position < chars.count else { throw NpyHeader.ParseError(reason: "unterminated string") }
        defer { position += 1 }
        return String(chars[start..<position])
    }

    mutating func bool() throws -> Bool {
        if consume("True") { return true }
        if consume("False") { return false }
        throw NpyHeader.ParseError(reason: "expected True or False")
    }

    mutating func intTuple() throws -> [Int] {
        try expect("(")
        var values: [Int] = []
        while !consume(")") {
            skipSpace()
            let start = position
            while position < chars.count, chars[position].isASCII, chars[position].isNumber { position += 1 }
            guard position > start, let value = Int(String(chars[start..<position])) else {
                throw NpyHeader.ParseError(reason: "expected a non-negative integer in the shape")
            }
            values.append(value)
            if !consume(",") {
                try expect(")")
                break
            }
        }
        return values
    }
}
