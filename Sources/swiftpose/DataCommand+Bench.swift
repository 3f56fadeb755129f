// `swiftpose data --bench` (hidden): training-pipeline throughput on a split, for docs/PERFORMANCE.md.
// One sample = SimpleBaseline `JointsDataset.__getitem__` at 256x192: JPEG decode, half-body/scale/rotation/flip
// augmentation, affine crop + normalization, Gaussian targets. Tools/bench_data_pipeline.py runs the Python/OpenCV
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

        // Stage split on this thread: decode, augment + crop + normalize, targets (medians over one pass).
        var decode: [Double] = [], augment: [Double] = [], crop: [Double] = [], target: [Double] = []
        for (index, instance) in dataset.instances.enumerated() {
            // Each stage's fastest of 5 runs: robust to other load on the machine.
            var image = Image(width: 1, height: 1)
            var best = Double.infinity
            for _ in 0..<5 {
                let t = DispatchTime.now()
                image = try decodeImage(at: URL(fileURLWithPath: instance.imagePath))
                best = min(best, milliseconds(since: t))
            }
            decode.append(best)
            var t = DispatchTime.now()
            var state = AugmentedSample(image: image, instance: instance)
            var rng = SeededRandom(seed: 0, epoch: 0, index: index)
            pipeline.augmentation.apply(&state, metainfo: pipeline.metainfo, aspectRatio: pipeline.inputSize.aspectRatio, rng: &rng)
            let matrix = pipeline.cropMatrix(center: state.center, scale: state.scale, rotation: state.rotation)
            augment.append(milliseconds(since: t))
            var input = [Float](repeating: 0, count: 3 * pipeline.inputSize.area)
            best = .infinity
            for _ in 0..<5 {
                t = DispatchTime.now()
                input.withUnsafeMutableBufferPointer {
                    warpAffineNormalized(state.image, matrix, outputSize: pipeline.inputSize, into: $0)
                }
                best = min(best, milliseconds(since: t))
            }
            crop.append(best)
            t = DispatchTime.now()
            let joints = state.joints.indices.map { state.jointsVisible[$0] > 0 ? matrix.apply(state.joints[$0]) : state.joints[$0] }
            _ = pipeline.encoder.encode(joints: joints, visible: state.jointsVisible)
            target.append(milliseconds(since: t))
        }
        print(String(format: "stages (1 thread, median over instances of the best of 5 ms): decode %.2f, warp+normalize %.2f; once: augment %.2f, targets %.3f",
                     median(decode), median(crop), median(augment), median(target)))

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
