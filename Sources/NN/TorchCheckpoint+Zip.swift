// A minimal reader of the zip archives `torch.save` writes (torch ≥ 1.6): stored (uncompressed) entries,
// found through the central directory; ZIP64 sizes and offsets (files over 4 GiB) are understood.
//   [local header 0x04034b50, name, extra, data]…  [central directory 0x02014b50 …]
//   [ZIP64 end record 0x06064b50, ZIP64 locator 0x07064b50]?  [end of central directory 0x06054b50, comment]
// Every offset and length read from the file is checked against the file size before it is used.

/// The stored entries of a zip archive, by name; each entry's data is a range of the archive's bytes.
struct ZipArchive {
    struct Entry {
        var name: String
        /// Where the entry's data lies in the archive's bytes.
        var data: Range<Int>
        var crc32: UInt32
    }

    let entries: [Entry]
    private let index: [String: Int]

    /// True when `bytes` begins like a zip archive (a local header, or the end record of an empty one).
    static func looksLikeZip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x50 && bytes[1] == 0x4B
            && ((bytes[2] == 3 && bytes[3] == 4) || (bytes[2] == 5 && bytes[3] == 6))
    }

    /// Parses the central directory of `bytes`; `fail` turns a reason into the error to throw.
    init(_ bytes: [UInt8], fail: (String) -> CheckpointError) throws {
        let reader = ByteReader(bytes)
        guard let eocd = ZipArchive.findEndRecord(bytes) else {
            throw fail("truncated or not a zip archive: no end-of-central-directory record")
        }
        var entryCount = Int(try reader.u16(eocd + 10, fail))
        var directorySize = Int(try reader.u32(eocd + 12, fail))
        var directoryOffset = Int(try reader.u32(eocd + 16, fail))
        if entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: the locator sits right before the end record and points at the ZIP64 end record.
            let locator = eocd - 20
            guard locator >= 0, try reader.u32(locator, fail) == 0x0706_4B50 else {
                throw fail("zip end record asks for ZIP64 but has no ZIP64 locator")
            }
            let record = try reader.int64(locator + 8, fail)
            guard try reader.u32(record, fail) == 0x0606_4B50 else { throw fail("bad ZIP64 end-of-central-directory record") }
            entryCount = try reader.int64(record + 32, fail)
            directorySize = try reader.int64(record + 40, fail)
            directoryOffset = try reader.int64(record + 48, fail)
        }
        guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset else {
            throw fail("truncated zip: central directory [\(directoryOffset), +\(directorySize)) lies beyond the \(bytes.count)-byte file")
        }
        // Each central directory record takes at least 46 bytes: more entries than that cannot fit.
        guard entryCount <= directorySize / 46 else {
            throw fail("zip central directory claims \(entryCount) entries in \(directorySize) bytes")
        }

        var entries: [Entry] = []
        var position = directoryOffset
        for _ in 0..<entryCount {
            guard try reader.u32(position, fail) == 0x0201_4B50 else {
                throw fail("bad zip central directory record at offset \(position)")
            }
            let method = try reader.u16(position + 10, fail)
            let crc = try reader.u32(position + 16, fail)
            var compressedSize = Int(try reader.u32(position + 20, fail))
            var size = Int(try reader.u32(position + 24, fail))
            let nameLength = Int(try reader.u16(position + 28, fail))
            let extraLength = Int(try reader.u16(position + 30, fail))
            let commentLength = Int(try reader.u16(position + 32, fail))
            var localOffset = Int(try reader.u32(position + 42, fail))
            let nameBytes = try reader.slice(position + 46, nameLength, fail)
            let name = String(decoding: nameBytes, as: UTF8.self)
            let extra = try reader.slice(position + 46 + nameLength, extraLength, fail)
            try ZipArchive.applyZip64Extra(extra, size: &size, compressedSize: &compressedSize, localOffset: &localOffset, fail)
            position += 46 + nameLength + extraLength + commentLength

            guard method == 0 else {
                throw fail("zip entry '\(name)' is compressed (method \(method)); torch.save writes stored entries")
            }
            guard compressedSize == size else {
                throw fail("zip entry '\(name)' is stored but its sizes differ (\(compressedSize) vs \(size))")
            }
            guard try reader.u32(localOffset, fail) == 0x0403_4B50 else {
                throw fail("bad zip local header for '\(name)' at offset \(localOffset)")
            }
            let localName = Int(try reader.u16(localOffset + 26, fail))
            let localExtra = Int(try reader.u16(localOffset + 28, fail))
            let start = localOffset + 30 + localName + localExtra
            guard start <= bytes.count, size <= bytes.count - start else {
                throw fail("truncated zip: entry '\(name)' needs \(size) bytes at offset \(start) of a \(bytes.count)-byte file")
            }
            entries.append(Entry(name: name, data: start..<(start + size), crc32: crc))
        }
        self.entries = entries
        self.index = Dictionary(entries.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The entry called `name`, if any (the first, should a name repeat).
    func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// The offset of the end-of-central-directory record: the last signature within the 64 KiB comment window.
    private static func findEndRecord(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 22 else { return nil }
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        var i = bytes.count - 22
        while i >= lowest {
            if bytes[i] == 0x50, bytes[i + 1] == 0x4B, bytes[i + 2] == 5, bytes[i + 3] == 6 { return i }
            i -= 1
        }
        return nil
    }

    /// Replaces the 0xFFFFFFFF fields by the ZIP64 extra field's 8-byte values (in the order the spec fixes).
    private static func applyZip64Extra(
        _ extra: ArraySlice<UInt8>, size: inout Int, compressedSize: inout Int, localOffset: inout Int,
        _ fail: (String) -> CheckpointError
    ) throws {
        let reader = ByteReader(Array(extra))
        var position = 0
        while position + 4 <= reader.count {
            let id = try reader.u16(position, fail)
            let length = Int(try reader.u16(position + 2, fail))
            if id == 0x0001 {
                var field = position + 4
                let end = field + length
                if size == 0xFFFF_FFFF, field + 8 <= end { size = try reader.int64(field, fail); field += 8 }
                if compressedSize == 0xFFFF_FFFF, field + 8 <= end { compressedSize = try reader.int64(field, fail); field += 8 }
                if localOffset == 0xFFFF_FFFF, field + 8 <= end { localOffset = try reader.int64(field, fail); field += 8 }
                return
            }
            position += 4 + length
        }
    }
}

/// Bounds-checked little-endian reads from a byte array; every read throws instead of trapping.
struct ByteReader {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var count: Int { bytes.count }

    func u16(_ at: Int, _ fail: (String) -> CheckpointError) throws -> UInt16 {
        UInt16(truncatingIfNeeded: try unsigned(at, 2, fail))
    }

    func u32(_ at: Int, _ fail: (String) -> CheckpointError) throws -> UInt32 {
        UInt32(truncatingIfNeeded: try unsigned(at, 4, fail))
    }

    /// An 8-byte unsigned value that must fit a non-negative `Int` (sizes, offsets, counts).
    func int64(_ at: Int, _ fail: (String) -> CheckpointError) throws -> Int {
        let value = try unsigned(at, 8, fail)
        guard let result = Int(exactly: value), result >= 0 else { throw fail("8-byte size \(value) at offset \(at) is out of range") }
        return result
    }

    func slice(_ at: Int, _ length: Int, _ fail: (String) -> CheckpointError) throws -> ArraySlice<UInt8> {
        guard at >= 0, length >= 0, at <= bytes.count, length <= bytes.count - at else {
            throw fail("truncated: \(length) bytes at offset \(at) run past the end (\(bytes.count) bytes)")
        }
        return bytes[at..<(at + length)]
    }

    private func unsigned(_ at: Int, _ width: Int, _ fail: (String) -> CheckpointError) throws -> UInt64 {
        let field = try slice(at, width, fail)
        var value: UInt64 = 0
        for (i, byte) in field.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        return value
    }
}

/// CRC-32 (IEEE 802.3, reflected, as zip uses) of `bytes`.
func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    bytes.withUnsafeBufferPointer { buffer in
        for byte in buffer {
            crc = crc32Table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
    }
    return ~crc
}

private let crc32Table: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}
