// Large tensor buffers carved from segments, best fit, split and merged (PyTorch's caching allocators and
// tcmalloc do the same): memory freed by one size serves another, which an exact-size pool cannot — e.g. the
// fp32 activations that die during a bf16 forward hold the bf16 copies saved for backward. Segments are never
// returned to the system, so after the first step no page is faulted in again.

/// Best-fit blocks in segments from the system; not thread-safe (`BufferPool` locks around it).
struct BlockArena {
    /// Granularity of blocks: keeps 64-byte alignment and avoids splinters.
    static let granule = 1 << 16
    private var segments: [(pointer: UnsafeMutableRawPointer, bytes: Int)] = []
    /// Free blocks by start address, and the start of the free block ending at an address.
    private var freeByStart: [UnsafeMutableRawPointer: Int] = [:]
    private var freeByEnd: [UnsafeMutableRawPointer: UnsafeMutableRawPointer] = [:]
    private(set) var bytesHeld = 0

    /// `bytes` rounded up to the granule.
    static func capacity(for bytes: Int) -> Int { (bytes + granule - 1) / granule * granule }

    /// The free block of exactly `capacity` bytes with the lowest address, else the smallest larger one
    /// (split), else a new segment.
    mutating func allocate(capacity: Int) -> UnsafeMutableRawPointer {
        var best: (start: UnsafeMutableRawPointer, size: Int)?
        for (start, size) in freeByStart where size >= capacity {
            if let b = best, (b.size, UInt(bitPattern: b.start)) <= (size, UInt(bitPattern: start)) { continue }
            best = (start, size)
        }
        if let (start, size) = best {
            removeFree(start, size)
            if size > capacity { insertFree(start + capacity, size - capacity) }
            return start
        }
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        segments.append((pointer, capacity))
        bytesHeld += capacity
        return pointer
    }

    /// Returns a block, merging it with free neighbours (blocks of one segment are contiguous; segments are
    /// never adjacent to each other, as each is its own allocation with the allocator's header before it).
    mutating func release(_ pointer: UnsafeMutableRawPointer, capacity: Int) {
        var (start, size) = (pointer, capacity)
        if let before = freeByEnd[start], let beforeSize = freeByStart[before] {
            removeFree(before, beforeSize)
            (start, size) = (before, beforeSize + size)
        }
        if let afterSize = freeByStart[start + size] {
            removeFree(start + size, afterSize)
            size += afterSize
        }
        insertFree(start, size)
    }

    private mutating func insertFree(_ start: UnsafeMutableRawPointer, _ size: Int) {
        freeByStart[start] = size
        freeByEnd[start + size] = start
    }

    private mutating func removeFree(_ start: UnsafeMutableRawPointer, _ size: Int) {
        freeByStart[start] = nil
        freeByEnd[start + size] = nil
    }
}
