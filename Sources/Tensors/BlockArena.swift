// Large tensor buffers carved from one reserved range of address space, best fit, split and merged (PyTorch's
// caching allocators and tcmalloc do the same): memory freed by one size serves another, which an exact-size pool
// cannot — e.g. the fp32 activations that die during a bf16 forward hold the bf16 copies saved for backward.
// Every block lies in the one range, so any two free neighbours merge, and a request that no free block fits
// extends the free block at the top of what was handed out (or the top itself) by the shortfall only. Pages
// become resident when first handed out and are never returned, so after the first step no page is faulted in
// again. Requests beyond the range (or without one, where the system refuses it) get their own segments.
import Foundation

/// Best-fit blocks in one reserved range of address space (then segments from the system); not thread-safe
/// (`BufferPool` locks around it). A class: it owns the range and its segments, released with it.
final class BlockArena {
    /// Granularity of blocks: keeps 64-byte alignment and avoids splinters.
    static let granule = 1 << 16
    /// The reserved range (readable and writable, no swap reserved) and its size.
    private let region: UnsafeMutableRawPointer?
    private let regionBytes: Int
    /// Bytes of the range handed out so far: blocks lie below it.
    private var top = 0
    private var segments: [(pointer: UnsafeMutableRawPointer, bytes: Int)] = []
    /// Free blocks by start address, and the start of the free block ending at an address.
    private var freeByStart: [UnsafeMutableRawPointer: Int] = [:]
    private var freeByEnd: [UnsafeMutableRawPointer: UnsafeMutableRawPointer] = [:]
    var bytesHeld: Int { top + segments.reduce(0) { $0 + $1.bytes } }

    /// Reserves `bytes` of address space (default: the machine's physical memory, which tensors cannot outgrow).
    init(reserving bytes: Int = Int(ProcessInfo.processInfo.physicalMemory)) {
        let size = bytes / Self.granule * Self.granule
        let mapped = size > 0 ? mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
            : MAP_FAILED
        region = mapped == MAP_FAILED ? nil : mapped
        regionBytes = region == nil ? 0 : size
    }

    deinit {
        if let region { munmap(region, regionBytes) }
        for segment in segments { segment.pointer.deallocate() }
    }

    /// `bytes` rounded up to the granule.
    static func capacity(for bytes: Int) -> Int { (bytes + granule - 1) / granule * granule }

    /// The free block of exactly `capacity` bytes with the lowest address, else the smallest larger one
    /// (split), else the top of the range (extending a free block that ends there), else a new segment.
    func allocate(capacity: Int) -> UnsafeMutableRawPointer {
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
        if let region {
            let end = region + top
            let start = freeByEnd[end] ?? end
            if start + capacity <= region + regionBytes {
                if start != end { removeFree(start, end - start) }
                top = start + capacity - region
                return start
            }
        }
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        segments.append((pointer, capacity))
        return pointer
    }

    /// Returns a block, merging it with free neighbours (blocks of the range or of one segment are contiguous;
    /// segments are never adjacent to each other or to the range, as each is its own allocation with the
    /// allocator's header before it).
    func release(_ pointer: UnsafeMutableRawPointer, capacity: Int) {
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

    private func insertFree(_ start: UnsafeMutableRawPointer, _ size: Int) {
        freeByStart[start] = size
        freeByEnd[start + size] = start
    }

    private func removeFree(_ start: UnsafeMutableRawPointer, _ size: Int) {
        freeByStart[start] = nil
        freeByEnd[start + size] = nil
    }
}
