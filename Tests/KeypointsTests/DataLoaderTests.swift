import Foundation
import Testing
@testable import Keypoints

@Suite("Data loader")
struct DataLoaderTests {
    /// The first 10 training persons of coco-small with the SimpleBaseline recipe.
    func makeLoader(workers: Int, instances: [PersonInstance]? = nil,
                    loadImage: @escaping @Sendable (String) throws -> any ImageSource = { try openImage(at: URL(fileURLWithPath: $0)) }) throws -> DataLoader {
        let root = try ImageTestData.cocoSmall()
        let persons = try instances ?? Array(CocoDataset(root: root, split: "train2017").instances.prefix(10))
        let pipeline = TopdownPipeline(augmentation: .simpleBaseline(SimpleBaselineAugmentation()))
        return DataLoader(instances: persons, pipeline: pipeline, batchSize: 4, shuffle: true, seed: 42,
                          workers: workers, prefetch: 2, loadImage: loadImage)
    }

    @Test("the same seed gives identical batches with 1 and 2 loader threads (and on the calling thread)")
    func deterministicAcrossThreadCounts() throws {
        let one = Array(try makeLoader(workers: 1).epoch(3))
        let two = Array(try makeLoader(workers: 2).epoch(3))
        let inline = Array(try makeLoader(workers: 0).epoch(3))
        #expect(one.count == 3 && two.count == 3)
        for (b, (x, y)) in zip(one, two).enumerated() {
            #expect(x.indices == y.indices, "batch \(b)")
            #expect(x.images == y.images, "batch \(b) images")
            #expect(x.targets == y.targets, "batch \(b) targets")
            #expect(x.targetWeights == y.targetWeights, "batch \(b) weights")
            #expect(x.meta == y.meta, "batch \(b) meta")
            #expect(x.images == inline[b].images && x.meta == inline[b].meta)
        }
        let other = Array(try makeLoader(workers: 2).epoch(4))
        #expect(other[0].indices != one[0].indices || other[0].images != one[0].images)
    }

    @Test("batches have NCHW images, NKhw targets and NK weights")
    func shapes() throws {
        let batch = try #require(try makeLoader(workers: 2).epoch(0).next())
        #expect(batch.count == 4)
        #expect(batch.images.count == 4 * 3 * 256 * 192)
        #expect(batch.targets.count == 4 * 17 * 64 * 48)
        #expect(batch.targetWeights.count == 4 * 17)
        #expect(batch.meta.count == 4 && batch.meta.allSatisfy { $0.score == 1 && $0.joints.count == 17 })
        #expect(batch.images.allSatisfy { $0.isFinite && abs($0) < 3 })
    }

    @Test("an unreadable sample is skipped, counted, and the rest of its batch still comes")
    func skipsUnreadable() throws {
        let root = try ImageTestData.cocoSmall()
        var persons = Array(try CocoDataset(root: root, split: "train2017").instances.prefix(6))
        persons[2].imagePath = "/nonexistent/000000000000.jpg"
        let loader = try makeLoader(workers: 2, instances: persons)
        let batches = Array(loader.epoch(0))
        #expect(batches.map(\.count).reduce(0, +) == 5)
        #expect(loader.skippedSamples == 1)
        #expect(!batches.flatMap(\.indices).contains(2))
    }

    @Test("a crop of an unaugmented sample puts the box center at the input center")
    func evalSampleGeometry() throws {
        let pipeline = TopdownPipeline()
        var image = Image(width: 100, height: 80)
        for i in image.pixels.indices { image.pixels[i] = UInt8(i % 251) }
        var rng = SeededRandom(seed: 0)
        let person = PersonInstance(imageId: 1, annotationId: nil, imagePath: "", center: SIMD2(50, 40),
                                    scale: SIMD2(0.3, 0.4), score: 0.9,
                                    joints: Array(repeating: SIMD2(50, 40), count: 17),
                                    jointsVisible: Array(repeating: 1, count: 17))
        let sample = try pipeline.makeSample(person, image: image, rng: &rng)
        #expect(sample.meta.joints.allSatisfy { abs($0.x - 96) < 1e-3 && abs($0.y - 128) < 1e-3 })
        #expect(sample.target.weights == Array(repeating: 1, count: 17))
        #expect(sample.meta.score == 0.9 && sample.meta.rotation == 0 && !sample.meta.flipped)
    }
}

@Suite("Pipeline consistency")
struct PipelineConsistencyTests {
    @Test("after augmentation each labelled joint inside the crop peaks its target at int(joint / 4 + 0.5)", arguments: [0, 1])
    func targetsFollowJoints(recipe: Int) throws {
        let root = try ImageTestData.cocoSmall()
        let persons = Array(try CocoDataset(root: root, split: "train2017").instances.prefix(12))
        let augmentation: AugmentationRecipe = recipe == 0
            ? .simpleBaseline(SimpleBaselineAugmentation()) : .mmpose(MMPoseAugmentation())
        let pipeline = TopdownPipeline(augmentation: augmentation)
        var checked = 0
        for (i, person) in persons.enumerated() {
            let image = try decodeImage(at: URL(fileURLWithPath: person.imagePath))
            var rng = SeededRandom(seed: 11, epoch: 0, index: i)
            let sample = try pipeline.makeSample(person, image: image, rng: &rng)
            for j in 0..<17 where sample.meta.jointsVisible[j] > 0 {
                let p = sample.meta.joints[j]
                let mu = (Int(p.x / 4 + 0.5), Int(p.y / 4 + 0.5))
                guard mu.0 >= 0 && mu.0 < 48 && mu.1 >= 0 && mu.1 < 64 else { continue }
                let plane = Array(sample.target.heatmaps[(j * 3072)..<((j + 1) * 3072)])
                #expect(plane[mu.1 * 48 + mu.0] == 1, "person \(i) joint \(j)")
                #expect(sample.target.weights[j] == 1)
                checked += 1
            }
        }
        #expect(checked > 50)
    }

    @Test("the mmpose recipe with UDP crops and targets runs through the threaded loader")
    func udpLoaderSmoke() throws {
        let root = try ImageTestData.cocoSmall()
        let persons = Array(try CocoDataset(root: root, split: "val2017").instances.prefix(6))
        let pipeline = TopdownPipeline(encoder: UDPHeatmapCodec(), augmentation: .mmpose(MMPoseAugmentation()), crop: .udp)
        let loader = DataLoader(instances: persons, pipeline: pipeline, batchSize: 3, shuffle: false, seed: 1, workers: 2)
        let batches = Array(loader.epoch(0))
        #expect(batches.map(\.count) == [3, 3])
        #expect(batches.allSatisfy { $0.targets.contains { $0 > 0.5 } && $0.images.allSatisfy(\.isFinite) })
    }
}
