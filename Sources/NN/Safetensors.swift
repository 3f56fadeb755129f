// The safetensors format (https://github.com/huggingface/safetensors), as `safetensors.torch.save_file` writes it:
//   [8 bytes: header length n, little-endian UInt64] [n bytes: JSON header, space-padded] [data]
//   header = {"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …}
// Offsets are relative to the start of the data; tensors tile the data without gaps or overlaps.
import Foundation

/// Reads and writes safetensors files of F32, F16, BF16 and I64 tensors.
///
/// Files written here are byte-identical to `safetensors.torch.save_file` for the same tensors and metadata:
/// data ordered by dtype (I64, F32, BF16, F16) then name, header in data order, padded with spaces to 8 bytes.
/// (Metadata keys are sorted here; the reference writer orders several keys at random.)
public enum SafetensorsFile {
    /// The contents of one file: tensors by name and the `__metadata__` strings.
    public typealias Contents = (tensors: [String: TensorData], metadata: [String: String])

    /// Readers refuse headers above this size, as the reference implementation does.
    static let maxHeaderLength = 100_000_000

    /// Reads and validates the file; every error is a one-line `CheckpointError` naming the file.
    public static func read(_ url: URL) throws -> Contents {
        try decode(FileIO.readAll(url), file: url.path)
    }

    /// Writes `tensors` and `metadata` to `url` atomically (temporary file, fsync, rename).
    public static func write(_ tensors: [String: TensorData], metadata: [String: String] = [:], to url: URL) throws {
        try FileIO.writeAtomically(encode(tensors, metadata: metadata), to: url)
    }

    /// Parses a whole file's bytes; `file` names the source in error messages.
    public static func decode(_ bytes: [UInt8], file: String) throws -> Contents {
        func fail(_ reason: String) -> CheckpointError { .malformed(file: file, reason: reason) }

        guard bytes.count >= 8 else {
            throw fail("truncated: \(bytes.count) bytes, expected at least the 8-byte header length")
        }
        let headerLength = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(maxHeaderLength) else {
            throw fail("header length \(headerLength) exceeds the \(maxHeaderLength)-byte limit")
        }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail("truncated: header length \(headerLength) runs past the end of the file (\(bytes.count) bytes)")
        }
        let dataStart = 8 + Int(headerLength)
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[8..<dataStart]))
        } catch let error as HeaderError {
            throw fail(error.reason)
        } catch {
            throw fail("header is not valid UTF-8 JSON")
        }

        let dataLength = bytes.count - dataStart
        var entries: [(name: String, shape: [Int], dtype: DType, begin: Int, end: Int)] = []
        for (name, info) in header.tensors {
            guard let dtype = DType(rawValue: info.dtype) else {
                let supported = DType.allCases.map(\.rawValue).joined(separator: ", ")
                throw fail("tensor '\(name)' has dtype \(info.dtype), expected one of \(supported)")
            }
            guard info.shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor '\(name)' has a negative dimension in shape \(info.shape)")
            }
            guard info.dataOffsets.count == 2, info.dataOffsets[0] >= 0, info.dataOffsets[0] <= info.dataOffsets[1] else {
                throw fail("tensor '\(name)' has data_offsets \(info.dataOffsets), expected [begin, end] with 0 <= begin <= end")
            }
            let (begin, end) = (info.dataOffsets[0], info.dataOffsets[1])
            guard let count = TensorData.checkedCount(of: info.shape),
                  case let (size, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize), !overflow,
                  size == end - begin
            else {
                throw fail("tensor '\(name)': shape \(info.shape) of \(dtype.rawValue) does not match data_offsets [\(begin), \(end)] (\(end - begin) bytes)")
            }
            guard end <= dataLength else {
                throw fail("truncated: tensor '\(name)' has data_offsets [\(begin), \(end)] beyond the \(dataLength) data bytes")
            }
            entries.append((name, info.shape, dtype, begin, end))
        }

        // The tensors must tile [0, dataLength): sorted by offsets, each starts where the previous ended.
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var position = 0
        var previous = ""
        for entry in entries {
            if entry.begin < position {
                throw fail("tensors '\(previous)' and '\(entry.name)' overlap (data_offsets begin \(entry.begin) < \(position))")
            }
            if entry.begin > position {
                throw fail("data bytes [\(position), \(entry.begin)) belong to no tensor (before '\(entry.name)')")
            }
            position = entry.end
            previous = entry.name
        }
        guard position == dataLength else {
            throw fail("\(dataLength - position) data bytes after the last tensor belong to no tensor")
        }

        var tensors: [String: TensorData] = [:]
        for entry in entries {
            let bytes = Array(bytes[(dataStart + entry.begin)..<(dataStart + entry.end)])
            tensors[entry.name] = TensorData(shape: entry.shape, dtype: entry.dtype, bytes: bytes)
        }
        return (tensors, header.metadata)
    }

    /// The file's bytes for `tensors` and `metadata` (the `__metadata__` entry is left out when empty).
    public static func encode(_ tensors: [String: TensorData], metadata: [String: String] = [:]) -> [UInt8] {
        let ordered = tensors.sorted { a, b in
            let (rankA, rankB) = (writeRank(a.value.dtype), writeRank(b.value.dtype))
            if rankA != rankB { return rankA > rankB }
            return a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
        }
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            fields.append("\"__metadata__\":{" + pairs.map { jsonString($0.key) + ":" + jsonString($0.value) }.joined(separator: ",") + "}")
        }
        var offset = 0
        for (name, tensor) in ordered {
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            let end = offset + tensor.bytes.count
            fields.append("\(jsonString(name)):{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        header += [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)

        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + offset)
        let length = UInt64(header.count)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: length >> (8 * UInt64(i)))) }
        out += header
        for (_, tensor) in ordered { out += tensor.bytes }
        return out
    }

    /// Data order of the reference writer: dtypes by descending position in its dtype enum (I64 > F32 > BF16 > F16).
    private static func writeRank(_ dtype: DType) -> Int {
        switch dtype {
        case .i64: return 3
        case .f32: return 2
        case .bf16: return 1
        case .f16: return 0
        }
    }

    /// A JSON string literal escaped as serde_json does (quote, backslash, control characters; UTF-8 kept).
    private static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

// MARK: - Header decoding

private struct TensorInfo: Decodable {
    var dtype: String
    var shape: [Int]
    var dataOffsets: [Int]

    enum CodingKeys: String, CodingKey {
        case dtype, shape
        case dataOffsets = "data_offsets"
    }
}

/// A header problem found while decoding, already phrased for the error message.
private struct HeaderError: Error {
    var reason: String
}

/// The JSON header: `__metadata__` (string → string) and one `TensorInfo` per other key.
private struct Header: Decodable {
    var tensors: [String: TensorInfo] = [:]
    var metadata: [String: String] = [:]

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        let container: KeyedDecodingContainer<Key>
        do {
            container = try decoder.container(keyedBy: Key.self)
        } catch DecodingError.typeMismatch {
            throw HeaderError(reason: "header is not a JSON object")
        }
        for key in container.allKeys {
            if key.stringValue == "__metadata__" {
                do {
                    metadata = try container.decode([String: String].self, forKey: key)
                } catch {
                    throw HeaderError(reason: "__metadata__ must map strings to strings")
                }
            } else {
                do {
                    tensors[key.stringValue] = try container.decode(TensorInfo.self, forKey: key)
                } catch {
                    throw HeaderError(
                        reason: "tensor '\(key.stringValue)': header entry needs dtype (string), shape (array of integers), data_offsets ([begin, end])")
                }
            }
        }
    }
}
