// Float buffers recycled by size across steps: a training step allocates the same sizes every
// iteration, so after the first step nothing is requested from the system (DESIGN §4).
import Foundation

/// A pool of 64-byte aligned buffers, reused by exact byte size.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private let lock = NSLock()
    private(set) var bytesHeld = 0

    func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        let size = max(bytes, 64)
        lock.lock()
        if var list = free[size], let pointer = list.popLast() {
            free[size] = list
            lock.unlock()
            return pointer
        }
        bytesHeld += size
        lock.unlock()
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    }

    func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        let size = max(bytes, 64)
        lock.lock()
        free[size, default: []].append(pointer)
        lock.unlock()
    }

    /// Returns every cached buffer to the system.
    func trim() {
        lock.lock()
        for (size, list) in free {
            for pointer in list { pointer.deallocate() }
            bytesHeld -= size * list.count
        }
        free = [:]
        lock.unlock()
    }
}

/// The memory behind a tensor: `count` floats from the pool, returned to it on deinit.
final class Storage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        let raw = BufferPool.shared.allocate(bytes: count * MemoryLayout<Float>.stride)
        pointer = raw.bindMemory(to: Float.self, capacity: count)
    }

    deinit {
        BufferPool.shared.release(UnsafeMutableRawPointer(pointer), bytes: count * MemoryLayout<Float>.stride)
    }
}
