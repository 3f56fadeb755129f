// Batches for training and evaluation, built by worker threads with prefetching.
// Every sample draws from its own stream `SeededRandom(seed:epoch:index:)` and batches are assembled in
// order, so the batches of an epoch are identical for any number of threads.
// Shapes: N = batch size, K = joints, [H, W] = input size, [h, w] = heatmap size.
import Foundation

/// One batch in PyTorch layouts.
public struct Batch: Sendable {
    /// N samples in this batch (smaller than the batch size when samples were skipped or at the end).
    public var count: Int
    /// [N, 3, H, W] float32, normalized.
    public var images: [Float]
    /// [N, K, h, w] float32.
    public var targets: [Float]
    /// [N, K] float32.
    public var targetWeights: [Float]
    /// N metas (image id, center, scale, score, joints…).
    public var meta: [SampleMeta]
    /// N dataset indices.
    public var indices: [Int]

    public init(count: Int, images: [Float], targets: [Float], targetWeights: [Float], meta: [SampleMeta], indices: [Int]) {
        self.count = count
        self.images = images
        self.targets = targets
        self.targetWeights = targetWeights
        self.meta = meta
        self.indices = indices
    }
}

/// Loads batches of `TopdownSample`s with worker threads.
public final class DataLoader: @unchecked Sendable {
    public let instances: [PersonInstance]
    public let pipeline: TopdownPipeline
    public let batchSize: Int
    public let shuffle: Bool
    public let dropLast: Bool
    public let seed: UInt64
    /// Worker threads; 0 builds every batch on the calling thread.
    public let workers: Int
    /// Batches built ahead of the consumer.
    public let prefetch: Int
    let loadImage: @Sendable (String) throws -> any ImageSource
    private let lock = NSLock()
    private var skipped = 0

    /// - Parameter loadImage: opens the image at a path (default `openImage(at:)`: the crop decodes only the
    ///   part of a JPEG it reads); a throw, here or while decoding, skips the sample.
    public init(instances: [PersonInstance], pipeline: TopdownPipeline, batchSize: Int, shuffle: Bool,
                dropLast: Bool = false, seed: UInt64, workers: Int = 2, prefetch: Int = 2,
                loadImage: @escaping @Sendable (String) throws -> any ImageSource = { try openImage(at: URL(fileURLWithPath: $0)) }) {
        precondition(batchSize > 0, "DataLoader: batch size \(batchSize), expected > 0")
        self.instances = instances
        self.pipeline = pipeline
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.seed = seed
        self.workers = max(0, workers)
        self.prefetch = max(1, prefetch)
        self.loadImage = loadImage
    }

    /// Samples skipped so far because their image could not be read.
    public var skippedSamples: Int {
        lock.lock(); defer { lock.unlock() }
        return skipped
    }

    /// Batches per epoch.
    public var batchCount: Int {
        dropLast ? instances.count / batchSize : (instances.count + batchSize - 1) / batchSize
    }

    /// The dataset order of an epoch: a Fisher-Yates shuffle seeded by (seed, epoch) or the identity.
    public func order(epoch: Int) -> [Int] {
        var order = Array(instances.indices)
        guard shuffle else { return order }
        var rng = SeededRandom(seed: seed, epoch: epoch, index: -1)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        return order
    }

    /// Builds batch `b` of an epoch. Crops are warped straight into the batch's image array (no per-sample copy).
    public func makeBatch(_ b: Int, epoch: Int, order: [Int]) -> Batch {
        let indices = Array(order[(b * batchSize)..<min((b + 1) * batchSize, order.count)])
        let k = pipeline.metainfo.numJoints
        let heatmap = pipeline.encoder.heatmapSize
        let slot = 3 * pipeline.inputSize.area
        var batch = Batch(count: 0, images: [Float](repeating: 0, count: indices.count * slot), targets: [],
                          targetWeights: [], meta: [], indices: [])
        batch.targets.reserveCapacity(indices.count * k * heatmap.area)
        for index in indices {
            let instance = instances[index]
            var rng = SeededRandom(seed: seed, epoch: epoch, index: index)
            let n = batch.count
            let target: HeatmapTarget, meta: SampleMeta
            do {
                let image = try loadImage(instance.imagePath)
                (target, meta) = try batch.images.withUnsafeMutableBufferPointer {
                    try pipeline.makeSample(instance, image: image, rng: &rng,
                                            input: UnsafeMutableBufferPointer(rebasing: $0[(n * slot)..<((n + 1) * slot)]))
                }
            } catch {
                lock.lock()
                skipped += 1
                lock.unlock()
                FileHandle.standardError.write(Data(
                    "swiftpose: warning: skipping sample \(index) (image \(instance.imageId), \(instance.imagePath)): \(error)\n".utf8))
                continue
            }
            batch.targets.append(contentsOf: target.heatmaps)
            batch.targetWeights.append(contentsOf: target.weights)
            batch.meta.append(meta)
            batch.indices.append(index)
            batch.count += 1
        }
        if batch.count < indices.count { batch.images.removeLast((indices.count - batch.count) * slot) }
        return batch
    }

    /// The batches of one epoch from batch `start` on (a resumed epoch), built ahead by `workers` threads.
    public func epoch(_ epoch: Int, from start: Int = 0) -> EpochIterator {
        EpochIterator(loader: self, epoch: epoch, start: start)
    }
}

/// Iterates the batches of one epoch in order; worker threads stop when it is released.
public final class EpochIterator: IteratorProtocol, Sequence, @unchecked Sendable {
    final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        var nextToBuild = 0
        var consumed = 0
        var results: [Int: Batch] = [:]
        var cancelled = false
    }

    private let loader: DataLoader
    private let epoch: Int
    private let order: [Int]
    private let total: Int
    private let shared = Shared()
    private var position = 0

    init(loader: DataLoader, epoch: Int, start: Int = 0) {
        self.loader = loader
        self.epoch = epoch
        self.order = loader.order(epoch: epoch)
        self.total = loader.batchCount
        let start = Swift.min(Swift.max(start, 0), total)
        self.position = start
        shared.nextToBuild = start
        shared.consumed = start
        let shared = self.shared, order = self.order, total = self.total
        for _ in 0..<loader.workers {
            let thread = Thread {
                while true {
                    shared.condition.lock()
                    while !shared.cancelled && shared.nextToBuild < total
                        && shared.nextToBuild >= shared.consumed + loader.prefetch {
                        shared.condition.wait()
                    }
                    if shared.cancelled || shared.nextToBuild >= total {
                        shared.condition.unlock()
                        return
                    }
                    let b = shared.nextToBuild
                    shared.nextToBuild += 1
                    shared.condition.unlock()
                    let batch = loader.makeBatch(b, epoch: epoch, order: order)
                    shared.condition.lock()
                    shared.results[b] = batch
                    shared.condition.broadcast()
                    shared.condition.unlock()
                }
            }
            thread.stackSize = 1 << 22
            thread.start()
        }
    }

    deinit {
        shared.condition.lock()
        shared.cancelled = true
        shared.condition.broadcast()
        shared.condition.unlock()
    }

    public func next() -> Batch? {
        guard position < total else { return nil }
        defer { position += 1 }
        if loader.workers == 0 {
            return loader.makeBatch(position, epoch: epoch, order: order)
        }
        shared.condition.lock()
        while shared.results[position] == nil { shared.condition.wait() }
        let batch = shared.results.removeValue(forKey: position)!
        shared.consumed += 1
        shared.condition.broadcast()
        shared.condition.unlock()
        return batch
    }
}
