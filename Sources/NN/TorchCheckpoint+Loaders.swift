// The two torch.save container formats around the object pickle: zip (torch ≥ 1.6) and legacy (torch ≤ 1.5).
// Both resolve persistent ids ('storage', <torch.XStorage>, key, location, numel[, view]) to `TorchStorageRef`s.

/// `<prefix>/data.pkl` with persistent ids ('storage', storage_type, key, location, numel) → `<prefix>/data/<key>`.
struct TorchZipLoader {
    let bytes: [UInt8]
    let file: String

    private func fail(_ reason: String) -> CheckpointError { .malformed(file: file, reason: reason) }

    func load() throws -> TorchCheckpoint {
        let archive = try ZipArchive(bytes, fail: fail)
        // torch names the top folder after the file (torch 1.6) or "archive" (later); any single folder works.
        guard let pickleEntry = archive.entries.first(where: {
            $0.name.hasSuffix("/data.pkl") && $0.name.split(separator: "/", omittingEmptySubsequences: false).count == 2
        }) else {
            throw fail("zip archive has no <folder>/data.pkl entry: not a torch.save checkpoint")
        }
        let prefix = String(pickleEntry.name.dropLast("data.pkl".count))
        let pickle = Array(try checked(pickleEntry))

        let unpickler = Unpickler(pickle, from: 0, file: file) { id in
            try TorchZipLoader.storage(fromPersistentID: id, fail: fail)
        }
        return try withExtendedLifetime(unpickler) {
            let root = try unpickler.load()
            var verified: [String: ArraySlice<UInt8>] = [:]
            return try TorchCheckpoint.extract(root, format: .zip, file: file) { key in
                if let data = verified[key] { return data }
                guard let entry = archive.entry(prefix + "data/" + key) else {
                    throw fail("zip archive lacks the storage entry \(prefix)data/\(key)")
                }
                let data = try checked(entry)
                verified[key] = data
                return data
            }
        }
    }

    /// The entry's bytes after its CRC-32 matched the central directory's.
    private func checked(_ entry: ZipArchive.Entry) throws -> ArraySlice<UInt8> {
        let data = bytes[entry.data]
        guard crc32(data) == entry.crc32 else { throw fail("zip entry '\(entry.name)' is corrupt (CRC-32 mismatch)") }
        return data
    }

    static func storage(fromPersistentID id: PickleValue, fail: (String) -> CheckpointError) throws -> PickleValue {
        guard let fields = id.items, fields.count >= 5, fields[0].string == "storage" else {
            throw fail("persistent id is not ('storage', type, key, location, numel): \(id.kind)")
        }
        guard case .global(.storageType(let dtype)) = fields[1] else {
            throw fail("persistent id names a \(fields[1].kind), expected a torch.*Storage type")
        }
        guard let key = fields[2].string, let count = fields[4].int, count >= 0 else {
            throw fail("persistent id has no storage key or element count")
        }
        return .storage(TorchStorageRef(key: key, dtype: dtype, count: count))
    }
}

/// magic pickle, protocol pickle, sys_info pickle, object pickle, key-list pickle, then per key:
/// [8-byte little-endian element count][count × element size bytes], in key-list order.
struct TorchLegacyLoader {
    let bytes: [UInt8]
    let file: String

    /// 0x1950a86a20f9469cfc6c as LONG1 bytes (little-endian two's complement).
    static let magicNumber: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    static let protocolVersion = 1001

    private func fail(_ reason: String) -> CheckpointError { .malformed(file: file, reason: reason) }

    func load() throws -> TorchCheckpoint {
        let magic = Unpickler(bytes, from: 0, file: file)
        let magicValue = try magic.load()
        guard case .bigInt(let digits) = magicValue, digits == TorchLegacyLoader.magicNumber else {
            throw fail("not a PyTorch checkpoint: a pickle without torch's magic number 0x1950a86a20f9469cfc6c")
        }
        let version = Unpickler(bytes, from: magic.end, file: file)
        guard try version.load().int == TorchLegacyLoader.protocolVersion else {
            throw fail("legacy torch.save protocol version is not \(TorchLegacyLoader.protocolVersion)")
        }
        let sysInfo = Unpickler(bytes, from: version.end, file: file)
        try withExtendedLifetime(sysInfo) {
            guard case .dict(let info) = try sysInfo.load() else { throw fail("legacy sys_info is not a dict") }
            if case .bool(false)? = info["little_endian"] {
                throw fail("checkpoint was saved on a big-endian machine; only little-endian files are supported")
            }
        }

        // Storages the object pickle names: root key → (dtype, element count).
        var declared: [String: (dtype: TorchDType, count: Int)] = [:]
        let object = Unpickler(bytes, from: sysInfo.end, file: file) { id in
            let (storage, rootCount) = try TorchLegacyLoader.storage(fromPersistentID: id, fail: fail)
            if let previous = declared[storage.key], previous.dtype != storage.dtype || previous.count != rootCount {
                throw fail("storage \(storage.key) is declared twice with different types or sizes")
            }
            declared[storage.key] = (storage.dtype, rootCount)
            return .storage(storage)
        }
        return try withExtendedLifetime(object) {
            let root = try object.load()
            let keyList = Unpickler(bytes, from: object.end, file: file)
            let storages: [String: ArraySlice<UInt8>] = try withExtendedLifetime(keyList) {
                guard let keys = try keyList.load().items else { throw fail("legacy storage key list is not a list") }
                var position = keyList.end
                var storages: [String: ArraySlice<UInt8>] = [:]
                let reader = ByteReader(bytes)
                for keyValue in keys {
                    guard let key = keyValue.string, let storage = declared[key] else {
                        throw fail("legacy storage key list names a storage the pickle does not use")
                    }
                    let count = try reader.int64(position, fail)
                    guard count == storage.count else {
                        throw fail("storage \(key) holds \(count) elements, the pickle declares \(storage.count)")
                    }
                    let (size, overflow) = count.multipliedReportingOverflow(by: storage.dtype.byteSize)
                    guard !overflow, size <= bytes.count - position - 8 else {
                        throw fail("truncated: storage \(key) needs \(count) × \(storage.dtype.byteSize) bytes at offset \(position + 8)")
                    }
                    storages[key] = bytes[(position + 8)..<(position + 8 + size)]
                    position += 8 + size
                }
                return storages
            }
            return try TorchCheckpoint.extract(root, format: .legacy, file: file) { key in
                guard let data = storages[key] else { throw fail("storage \(key) is missing from the legacy file's storage list") }
                return data
            }
        }
    }

    /// ('storage', storage_type, root_key, location, numel, view_metadata), view_metadata = None or
    /// (view_key, offset, view_size) for a view into the root storage (torch ≤ 0.4). Returns the (view's) storage
    /// and the root storage's element count, which the storage list must repeat.
    static func storage(
        fromPersistentID id: PickleValue, fail: (String) -> CheckpointError
    ) throws -> (storage: TorchStorageRef, rootCount: Int) {
        guard let fields = id.items, let typename = fields.first?.string else {
            throw fail("persistent id is not a tuple starting with a type name")
        }
        guard typename == "storage", fields.count >= 5 else {
            throw fail("persistent id of type '\(typename)' (whole pickled modules are not supported; save the state_dict)")
        }
        guard case .global(.storageType(let dtype)) = fields[1] else {
            throw fail("persistent id names a \(fields[1].kind), expected a torch.*Storage type")
        }
        guard let key = fields[2].string, let count = fields[4].int, count >= 0 else {
            throw fail("persistent id has no storage key or element count")
        }
        var storage = TorchStorageRef(key: key, dtype: dtype, count: count)
        if fields.count >= 6, let view = fields[5].items {
            guard view.count == 3, let offset = view[1].int, let size = view[2].int, offset >= 0, size >= 0,
                  offset <= count, size <= count - offset
            else { throw fail("storage view of \(key) lies outside its \(count) elements") }
            storage.elementOffset = offset
            storage.count = size
        }
        return (storage, count)
    }
}
