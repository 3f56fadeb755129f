// `swiftpose data --bench` (hidden): training-pipeline throughput on a split, for docs/PERFORMANCE.md.
// One sample = SimpleBaseline `JointsDataset.__getitem__` at 256x192: JPEG decode (of the crop's pixels only),
// half-body/scale/rotation/flip augmentation, affine crop + normalization, Gaussian targets. Tools/bench_data_pipeline.py runs the Python/OpenCV
// reference of the same work.
import ArgumentParser
import Foundation
import Keypoints

extension DataCommand {
    func runBenchmark() throws {
        let dataset = try CocoDataset(root: URL(fileURLWithPath: root), split: split)
        guard !dataset.instances.isEmpty else { throw ValidationError("\(split) has no instances to benchmark") }
        let pipeline = TopdownPipeline(encoder: MSRAHeatmapCodec(), augmentation: .simpleBaseline(SimpleBaselineAugmentation()))
        print("swiftpose data --bench: \(cpuModel()), \(ProcessInfo.processInfo.activeProcessorCount) cores; "
              + "\(dataset.instances.count) instances in \(split); \(benchSamples) samples per run, median of 3")

        // Stage split on this thread: full decode (for comparison), then the loader's stages: open (read the
        // file, parse the header), augment, decode only the pixels the crop reads, warp + normalize, targets.
        var decode: [Double] = [], open: [Double] = [], augment: [Double] = [], region: [Double] = [],
            crop: [Double] = [], target: [Double] = []
        for (index, instance) in dataset.instances.enumerated() {
            let url = URL(fileURLWithPath: instance.imagePath)
            decode.append(try fastest { _ = try decodeImage(at: url) })
            var source: any ImageSource = Image(width: 1, height: 1)
            open.append(try fastest { source = try openImage(at: url) })
            let t = DispatchTime.now()
            var state = AugmentedSample(imageWidth: source.width, imageHeight: source.height, instance: instance)
            var rng = SeededRandom(seed: 0, epoch: 0, index: index)
            pipeline.augmentation.apply(&state, metainfo: pipeline.metainfo, aspectRatio: pipeline.inputSize.aspectRatio, rng: &rng)
            let matrix = pipeline.cropMatrix(center: state.center, scale: state.scale, rotation: state.rotation)
            let read = warpSourceRect(matrix, outputSize: pipeline.inputSize, imageWidth: source.width, imageHeight: source.height)
            augment.append(milliseconds(since: t))
            var window = ImageWindow(Image(width: 1, height: 1))
            region.append(try fastest { window = try cropWindow(of: source, reading: read, flipped: state.flipped) })
            var input = [Float](repeating: 0, count: 3 * pipeline.inputSize.area)
            crop.append(fastest {
                input.withUnsafeMutableBufferPointer {
                    warpAffineNormalized(window, matrix, outputSize: pipeline.inputSize, into: $0)
                }
            })
            target.append(fastest {
                let joints = state.joints.indices.map { state.jointsVisible[$0] > 0 ? matrix.apply(state.joints[$0]) : state.joints[$0] }
                _ = pipeline.encoder.encode(joints: joints, visible: state.jointsVisible)
            })
        }
        print(String(format: "stages (1 thread, median over instances of the best of 5, ms): full decode %.2f (not used); "
                     + "open %.2f, augment %.3f, decode crop region %.2f, warp+normalize %.2f, targets %.3f",
                     median(decode), median(open), median(augment), median(region), median(crop), median(target)))

        for threads in benchThreads {
            var rates: [Double] = []
            for run in 0..<3 {
                let loader = DataLoader(instances: dataset.instances, pipeline: pipeline, batchSize: 32, shuffle: true,
                                        dropLast: false, seed: UInt64(run), workers: threads, prefetch: 2 * threads)
                var done = 0, epoch = 0
                let start = DispatchTime.now()
                while done < benchSamples {
                    for batch in loader.epoch(epoch) { done += batch.count }
                    epoch += 1
                }
                rates.append(Double(done) / (milliseconds(since: start) / 1000))
            }
            rates.sort()
            let rate = rates[1]
            print(String(format: "swiftpose threads=%d %.1f samples/s  %.2f ms/sample/core  (runs: %@)", threads, rate,
                         1000 * Double(threads) / rate, rates.map { String(format: "%.1f", $0) }.joined(separator: ", ")))
        }
    }
}

/// The fastest of 5 runs of `body` in ms: robust to other load on the machine.
private func fastest(_ body: () throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<5 {
        let t = DispatchTime.now()
        try body()
        best = min(best, milliseconds(since: t))
    }
    return best
}

private func milliseconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
}

private func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}

/// `model name` from /proc/cpuinfo, or "unknown CPU".
func cpuModel() -> String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
          let colon = line.firstIndex(of: ":") else { return "unknown CPU" }
    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
}
