// Elementwise loops over large buffers on both cores (the optimizers, masks).
import Foundation

/// Splits `count` elements into chunks and runs `body(start, end)` on them, on both cores for large
/// tensors (elementwise loops are memory-bound; small tensors are not worth a thread hop).
@inline(__always)
public func forEachChunk(_ count: Int, _ body: (Int, Int) -> Void) {
    let minimumParallel = 1 << 17
    let workers = ProcessInfo.processInfo.activeProcessorCount
    if count < minimumParallel || workers < 2 {
        body(0, count)
        return
    }
    let chunks = workers * 4
    let size = ((count + chunks - 1) / chunks + 15) & ~15
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        let start = c * size
        let end = min(count, start + size)
        if start < end { body(start, end) }
    }
}
