// Counts the floating-point operations of convolutions (2 per multiply-add), for benchmarks' GFLOP/s.
import Foundation

/// A process-wide counter of convolution FLOPs (forward, backward-data and backward-weights).
public enum FlopCounter {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var total: Double = 0

    /// FLOPs counted since the last `reset`.
    public static var count: Double {
        lock.lock()
        defer { lock.unlock() }
        return total
    }

    public static func reset() {
        lock.lock()
        total = 0
        lock.unlock()
    }

    /// Adds 2 · N · O · H' · W' · C · kh · kw for one convolution-shaped pass.
    static func addConvolution(batch: Int, outChannels: Int, outHeight: Int, outWidth: Int,
                               inChannels: Int, kernelHeight: Int, kernelWidth: Int) {
        let flops = 2.0 * Double(batch * outChannels * outHeight * outWidth)
            * Double(inChannels * kernelHeight * kernelWidth)
        lock.lock()
        total += flops
        lock.unlock()
    }
}
