// A restricted unpickler (pickle protocols 0–5, the opcodes torch.save and Python's pickle emit for state
// dicts). It only builds data: a GLOBAL outside `PickleGlobal.resolve`'s allowlist aborts the read with
// `CheckpointError.refusedGlobal`, and allowed globals are tags that are never executed. Every length and index
// read from the file is checked; malformed input throws `CheckpointError.malformed`, never traps.
import Foundation

/// Reads one pickle from `bytes[start...]`; `load()` returns its value and `end` is the byte after STOP.
final class Unpickler {
    private let bytes: [UInt8]
    private let file: String
    private var position: Int
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    /// Every container built, so `deinit` can empty them one by one: releasing a deeply nested (or cyclic)
    /// structure recursively could overflow the stack, and cycles would leak.
    private var containers: [AnyObject] = []
    private let persistentLoad: ((PickleValue) throws -> PickleValue)?

    /// The position after the STOP opcode, once `load()` has returned.
    var end: Int { position }

    init(_ bytes: [UInt8], from start: Int, file: String, persistentLoad: ((PickleValue) throws -> PickleValue)? = nil) {
        self.bytes = bytes
        self.position = start
        self.file = file
        self.persistentLoad = persistentLoad
    }

    deinit {
        for object in containers {
            if let list = object as? PickleList { list.items = [] }
            if let dict = object as? PickleDict { dict.removeAll() }
        }
    }

    private func fail(_ reason: String) -> CheckpointError { .malformed(file: file, reason: reason) }

    /// Runs the pickle to its STOP opcode. Keep the unpickler alive while using the result (see `deinit`).
    func load() throws -> PickleValue {
        while true {
            let opcodeAt = position
            let opcode = try readByte()
            switch opcode {
            case 0x80: _ = try readByte()  // PROTO
            case 0x95: _ = try read(8)  // FRAME: a length hint only
            case 0x2E:  // STOP: the top value is the result (Python ignores anything below it)
                guard let result = stack.last else { throw fail("pickle STOP with an empty stack") }
                return result
            // Constants and numbers.
            case 0x4E: stack.append(.none)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case 0x4A: stack.append(.int(Int(Int32(bitPattern: UInt32(truncatingIfNeeded: try readUnsigned(4))))))  // BININT
            case 0x4B: stack.append(.int(Int(try readByte())))  // BININT1
            case 0x4D: stack.append(.int(Int(try readUnsigned(2))))  // BININT2
            case 0x8A: stack.append(integer(littleEndian: try read(Int(try readByte()))))  // LONG1
            case 0x8B: stack.append(integer(littleEndian: try read(try readLength(4))))  // LONG4
            case 0x47: stack.append(.float(Double(bitPattern: try read(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })))  // BINFLOAT
            case 0x49: stack.append(try textInteger(try readLine()))  // INT
            case 0x4C: stack.append(try textInteger(try readLine().replacingOccurrences(of: "L", with: "")))  // LONG
            case 0x46:  // FLOAT
                let line = try readLine()
                guard let value = Double(line) else { throw fail("bad FLOAT '\(line.prefix(40))' in pickle") }
                stack.append(.float(value))
            // Strings and bytes.
            case 0x58: stack.append(.string(utf8(try read(try readLength(4)))))  // BINUNICODE
            case 0x8C: stack.append(.string(utf8(try read(Int(try readByte())))))  // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(utf8(try read(try readLength(8)))))  // BINUNICODE8
            case 0x54:  // BINSTRING (Python 2 str): signed 4-byte length
                let length = Int(Int32(bitPattern: UInt32(truncatingIfNeeded: try readUnsigned(4))))
                guard length >= 0 else { throw fail("negative BINSTRING length \(length) in pickle") }
                stack.append(.string(String(decoding: try read(length), as: UTF8.self)))
            case 0x55: stack.append(.string(String(decoding: try read(Int(try readByte())), as: UTF8.self)))  // SHORT_BINSTRING
            case 0x42: stack.append(.bytes(Array(try read(try readLength(4)))))  // BINBYTES
            case 0x43: stack.append(.bytes(Array(try read(Int(try readByte())))))  // SHORT_BINBYTES
            case 0x8E, 0x96: stack.append(.bytes(Array(try read(try readLength(8)))))  // BINBYTES8, BYTEARRAY8
            // Containers.
            case 0x28: marks.append(stack.count)  // MARK
            case 0x29: stack.append(.tuple(box(PickleList())))  // EMPTY_TUPLE
            case 0x5D: stack.append(.list(box(PickleList())))  // EMPTY_LIST
            case 0x7D: stack.append(.dict(box(PickleDict())))  // EMPTY_DICT
            case 0x8F: stack.append(.list(box(PickleList())))  // EMPTY_SET (kept as a list)
            case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
                let n = Int(opcode - 0x84)
                let items = try pop(n)
                stack.append(.tuple(box(PickleList(items))))
            case 0x74: stack.append(.tuple(box(PickleList(try popMark()))))  // TUPLE
            case 0x6C: stack.append(.list(box(PickleList(try popMark()))))  // LIST
            case 0x91: stack.append(.list(box(PickleList(try popMark()))))  // FROZENSET
            case 0x64:  // DICT
                let dict = box(PickleDict())
                try setItems(dict, try popMark())
                stack.append(.dict(dict))
            case 0x61:  // APPEND
                let item = try pop()
                try appendItems([item], to: try top())
            case 0x65, 0x90:  // APPENDS, ADDITEMS
                let items = try popMark()
                try appendItems(items, to: try top())
            case 0x73:  // SETITEM
                let pair = try pop(2)
                try setItems(try topDict(), pair)
            case 0x75:  // SETITEMS
                let items = try popMark()
                try setItems(try topDict(), items)
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32: stack.append(try top())  // DUP
            // Memo.
            case 0x71: memo[Int(try readByte())] = try top()  // BINPUT
            case 0x72: memo[Int(try readUnsigned(4))] = try top()  // LONG_BINPUT
            case 0x94: memo[memo.count] = try top()  // MEMOIZE
            case 0x70: memo[try memoIndex(try readLine())] = try top()  // PUT
            case 0x68: stack.append(try memoGet(Int(try readByte())))  // BINGET
            case 0x6A: stack.append(try memoGet(Int(try readUnsigned(4))))  // LONG_BINGET
            case 0x67: stack.append(try memoGet(try memoIndex(try readLine())))  // GET
            // Globals and object construction: only allowlisted tags, "called" by building data.
            case 0x63:  // GLOBAL
                let module = try readLine()
                let name = try readLine()
                stack.append(.global(try resolve(module, name)))
            case 0x93:  // STACK_GLOBAL
                let pair = try pop(2)
                guard let module = pair[0].string, let name = pair[1].string else {
                    throw fail("STACK_GLOBAL needs two strings, got \(pair[0].kind) and \(pair[1].kind)")
                }
                stack.append(.global(try resolve(module, name)))
            case 0x52:  // REDUCE
                let arguments = try pop()
                let callable = try pop()
                stack.append(try call(callable, arguments))
            case 0x81:  // NEWOBJ
                let arguments = try pop()
                let cls = try pop()
                stack.append(try call(cls, arguments))
            case 0x92:  // NEWOBJ_EX
                let popped = try pop(3)
                stack.append(try call(popped[0], popped[1]))
            case 0x6F:  // OBJ: MARK cls args…
                let items = try popMark()
                guard let cls = items.first else { throw fail("OBJ without a class in pickle") }
                stack.append(try call(cls, .tuple(box(PickleList(Array(items.dropFirst()))))))
            case 0x69:  // INST: module and name inline, MARK args…
                let cls = PickleValue.global(try resolve(try readLine(), try readLine()))
                stack.append(try call(cls, .tuple(box(PickleList(try popMark())))))
            case 0x62:  // BUILD: object state (attributes such as an OrderedDict's `_metadata`) is dropped
                let state = try pop()
                _ = state
                let object = try top()
                switch object {
                case .dict, .opaque, .list: break
                default: throw fail("BUILD on a \(object.kind) in pickle")
                }
            case 0x51:  // BINPERSID
                let id = try pop()
                guard let persistentLoad else { throw fail("persistent id outside a torch checkpoint's object pickle") }
                stack.append(try persistentLoad(id))
            case 0x50:  // PERSID
                let id = PickleValue.string(try readLine())
                guard let persistentLoad else { throw fail("persistent id outside a torch checkpoint's object pickle") }
                stack.append(try persistentLoad(id))
            case 0x82, 0x83, 0x84:
                throw fail("pickle uses the copyreg extension registry (EXT opcodes), which state dicts never do")
            default:
                throw fail(String(format: "unsupported pickle opcode 0x%02x at offset %d", opcode, opcodeAt))
            }
        }
    }

    // MARK: - Calls

    private func resolve(_ module: String, _ name: String) throws -> PickleGlobal {
        guard let global = PickleGlobal.resolve(module: module, name: name) else {
            throw CheckpointError.refusedGlobal(file: file, global: "\(module).\(name)")
        }
        return global
    }

    /// What calling an allowlisted global with `arguments` (a tuple) yields; anything else throws.
    private func call(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case .global(let global) = callable else { throw fail("pickle calls a \(callable.kind), not a global") }
        guard let args = arguments.items else { throw fail("\(global.name) called with a \(arguments.kind), not a tuple") }
        switch global {
        case .orderedDict:
            let dict = box(PickleDict())
            if let pairs = args.first?.items {  // OrderedDict([(key, value), …])
                for pair in pairs {
                    guard let kv = pair.items, kv.count == 2 else { throw fail("OrderedDict item is not a pair") }
                    dict.set(kv[0], kv[1])
                }
            }
            return .dict(dict)
        case .codecsEncode:
            // Only the latin-1 round trip pickle uses for bytes: code points 0…255 → bytes.
            guard let text = args.first?.string, args.count <= 2,
                  ["latin1", "latin-1"].contains(args.count == 2 ? args[1].string ?? "" : "latin1")
            else { throw fail("_codecs.encode is only accepted as encode(str, 'latin1')") }
            var bytes: [UInt8] = []
            for scalar in text.unicodeScalars {
                guard scalar.value <= 0xFF else { throw fail("_codecs.encode: U+\(String(scalar.value, radix: 16)) is not latin-1") }
                bytes.append(UInt8(scalar.value))
            }
            return .bytes(bytes)
        case .rebuildTensorV2, .rebuildTensor:
            guard args.count >= 4, case .storage(let storage) = args[0], let offset = args[1].int,
                  let size = args[2].ints, let stride = args[3].ints
            else {
                throw fail("\(global.name) arguments are not (storage, offset, size, stride, …): "
                    + args.prefix(4).map(\.kind).joined(separator: ", "))
            }
            guard size.count == stride.count else {
                throw fail("\(global.name): size \(size) and stride \(stride) differ in rank")
            }
            return .tensor(TorchTensorRef(storage: storage, storageOffset: offset, size: size, stride: stride))
        case .rebuildParameter, .rebuildParameterWithState:
            guard let data = args.first, case .tensor = data else { throw fail("\(global.name) without a tensor argument") }
            return data
        case .storageType:
            throw fail("pickle constructs \(global.name) directly; storages must come from persistent ids")
        case .inert(let name):
            return .opaque(name)
        }
    }

    // MARK: - Stack and containers

    private func box<T: AnyObject>(_ object: T) -> T {
        containers.append(object)
        return object
    }

    private func pop() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0) else { throw fail("pickle stack underflow at offset \(position)") }
        return stack.removeLast()
    }

    private func pop(_ n: Int) throws -> [PickleValue] {
        guard stack.count - (marks.last ?? 0) >= n else { throw fail("pickle stack underflow at offset \(position)") }
        let items = Array(stack.suffix(n))
        stack.removeLast(n)
        return items
    }

    private func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw fail("pickle needs a MARK at offset \(position)") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func top() throws -> PickleValue {
        guard let value = stack.last, stack.count > (marks.last ?? 0) else {
            throw fail("pickle stack underflow at offset \(position)")
        }
        return value
    }

    private func topDict() throws -> PickleDict {
        let value = try top()
        guard case .dict(let dict) = value else { throw fail("SETITEM(S) on a \(value.kind) in pickle") }
        return dict
    }

    private func setItems(_ dict: PickleDict, _ items: [PickleValue]) throws {
        guard items.count % 2 == 0 else { throw fail("SETITEMS with an odd number of values in pickle") }
        for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i], items[i + 1]) }
    }

    private func appendItems(_ items: [PickleValue], to target: PickleValue) throws {
        switch target {
        case .list(let list): list.items.append(contentsOf: items)
        case .opaque: break
        default: throw fail("APPEND(S) on a \(target.kind) in pickle")
        }
    }

    private func memoGet(_ index: Int) throws -> PickleValue {
        guard let value = memo[index] else { throw fail("pickle memo has no entry \(index)") }
        return value
    }

    private func memoIndex(_ line: String) throws -> Int {
        guard let index = Int(line), index >= 0 else { throw fail("bad memo index '\(line.prefix(40))' in pickle") }
        return index
    }

    // MARK: - Reading bytes

    private func readByte() throws -> UInt8 {
        guard position < bytes.count else { throw fail("truncated pickle: no STOP opcode before the end of the data") }
        defer { position += 1 }
        return bytes[position]
    }

    private func read(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - position else {
            throw fail("truncated pickle: \(n) bytes needed at offset \(position), \(bytes.count - position) left")
        }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    private func readUnsigned(_ width: Int) throws -> UInt64 {
        try read(width).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// A little-endian unsigned length of `width` bytes, which must fit in the rest of the data.
    private func readLength(_ width: Int) throws -> Int {
        let value = try readUnsigned(width)
        guard value <= UInt64(bytes.count - position) else {
            throw fail("truncated pickle: length \(value) at offset \(position) runs past the end of the data")
        }
        return Int(value)
    }

    /// A newline-terminated line (protocol 0 arguments), at most 4 KiB.
    private func readLine() throws -> String {
        let limit = min(bytes.count, position + 4096)
        var end = position
        while end < limit, bytes[end] != 0x0A { end += 1 }
        guard end < limit else { throw fail("unterminated text line at offset \(position) in pickle") }
        defer { position = end + 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }

    /// Strings decode leniently: invalid UTF-8 becomes U+FFFD (names only matter when they are valid).
    private func utf8(_ slice: ArraySlice<UInt8>) -> String { String(decoding: slice, as: UTF8.self) }

    private func textInteger(_ line: String) throws -> PickleValue {
        switch line {
        case "00": return .bool(false)
        case "01": return .bool(true)
        default:
            guard let value = Int(line) else { throw fail("bad INT '\(line.prefix(40))' in pickle") }
            return .int(value)
        }
    }

    /// LONG1/LONG4 payload: little-endian two's complement; `.bigInt` when it does not fit `Int`.
    private func integer(littleEndian slice: ArraySlice<UInt8>) -> PickleValue {
        let digits = Array(slice)
        guard let last = digits.last else { return .int(0) }
        let fill: UInt8 = last >= 0x80 ? 0xFF : 0
        if digits.count > 8 {
            let high = digits[8...]
            guard high.allSatisfy({ $0 == fill }), (digits[7] >= 0x80) == (fill == 0xFF) else { return .bigInt(digits) }
        }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(i < digits.count ? digits[i] : fill) << (8 * UInt64(i)) }
        return .int(Int(Int64(bitPattern: value)))
    }
}
