import Foundation
import Testing
@testable import Keypoints

@Suite("COCO dataset")
struct CocoDatasetTests {
    @Test("instance counts and boxes on coco-small equal the pycocotools-based SimpleBaseline list", arguments: ["train2017", "val2017"])
    func instancesMatchReference(split: String) throws {
        let root = try ImageTestData.cocoSmall()
        let reference = try KeypointFixtures.load(KeypointFixtures.Instances.self, "instances.json")
        let expected = split == "train2017" ? reference.train2017 : reference.val2017
        let dataset = try CocoDataset(root: root, split: split)
        #expect(dataset.annotations.images.count == expected.images)
        #expect(dataset.imagesWithPersons == expected.images_with_persons)
        #expect(dataset.instances.count == expected.instances)
        for (mine, ref) in zip(dataset.instances, expected.list) {
            #expect(mine.imageId == ref.image_id && mine.annotationId == ref.annotation_id)
            // float32 values, so equality is exact
            #expect(mine.center == SIMD2(ref.center[0], ref.center[1]), "annotation \(ref.annotation_id) center")
            #expect(mine.scale == SIMD2(ref.scale[0], ref.scale[1]), "annotation \(ref.annotation_id) scale")
            #expect(mine.joints.count == 17 && mine.jointsVisible.allSatisfy { $0 == 0 || $0 == 1 })
        }
    }

    @Test("detection instances keep category 1 above the score threshold, in file order")
    func detectionInstances() throws {
        let root = try ImageTestData.cocoSmall()
        let reference = try KeypointFixtures.load(KeypointFixtures.Instances.self, "instances.json").detections_val2017
        let instances = try CocoDetections.load(
            at: root.appendingPathComponent("person_detection_results/COCO_val2017_detections_person.json"),
            imageDirectory: root.appendingPathComponent("val2017"), imageThreshold: reference.image_thre)
        #expect(instances.count == reference.instances)
        for (mine, ref) in zip(instances, reference.first) {
            #expect(mine.imageId == ref.image_id && mine.score == ref.score)
            #expect(mine.center == SIMD2(ref.center[0], ref.center[1]))
            #expect(mine.scale == SIMD2(ref.scale[0], ref.scale[1]))
            #expect(mine.jointsVisible == Array(repeating: 1, count: 17))
        }
        let strict = try CocoDetections.load(
            at: root.appendingPathComponent("person_detection_results/COCO_val2017_detections_person.json"),
            imageDirectory: root.appendingPathComponent("val2017"), imageThreshold: 0.9)
        #expect(strict.count < instances.count && strict.allSatisfy { $0.score >= 0.9 })
    }

    @Test("box cleaning clips to the image and rejects empty boxes as SimpleBaseline")
    func boxCleaning() {
        #expect(CocoDataset.cleanBox([-5, -3, 20, 10], area: 1, imageWidth: 100, imageHeight: 50) == [0, 0, 19, 9])
        #expect(CocoDataset.cleanBox([90, 40, 50, 50], area: 1, imageWidth: 100, imageHeight: 50) == [90, 40, 9, 9])
        #expect(CocoDataset.cleanBox([10, 10, 5, 5], area: 0, imageWidth: 100, imageHeight: 50) == nil)
        #expect(CocoDataset.cleanBox([120, 10, 5, 5], area: 3, imageWidth: 100, imageHeight: 50) == nil)
    }

    @Test("box to center/scale fixes the aspect ratio, divides by 200 and pads 1.25")
    func boxToCenterScale() {
        let cs = BoxToCenterScale(inputSize: GridSize(width: 192, height: 256))
        let (c, s) = cs(x: 10, y: 20, w: 30, h: 100)
        #expect(c == SIMD2(25, 70))
        #expect(s == SIMD2(Double(Float(75.0 / 200) * 1.25), Double(Float(100.0 / 200) * 1.25)))
    }

    @Test("a missing annotation file is an error naming the file")
    func missingFile() throws {
        try withTemporaryDirectory { dir in
            #expect {
                _ = try CocoDataset(root: dir, split: "val2017")
            } throws: { error in
                "\(error)".contains("person_keypoints_val2017.json") && "\(error)".contains("not found")
            }
        }
    }

    @Test("truncated JSON is an error naming the file")
    func truncatedJSON() throws {
        try withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("annotations"), withIntermediateDirectories: true)
            let url = CocoDataset.annotationURL(root: dir, split: "val2017")
            try Data(#"{"images": [{"id": 1, "file_name": "000000000001.jpg", "width": 10, "hei"#.utf8).write(to: url)
            #expect {
                _ = try CocoDataset(root: dir, split: "val2017")
            } throws: { error in
                let text = "\(error)"
                return text.contains("person_keypoints_val2017.json") && text.contains("invalid JSON")
            }
        }
    }

    @Test("a keypoint array of the wrong length is an error naming the annotation id; lenient loading records it")
    func wrongKeypointLength() throws {
        try withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("annotations"), withIntermediateDirectories: true)
            let url = CocoDataset.annotationURL(root: dir, split: "train2017")
            var good: [Double] = []
            for j in 0..<17 { good += [Double(10 + j), Double(20 + j), 2] }
            let file = CocoKeypointFile(
                images: [CocoImage(id: 7, fileName: "000000000007.jpg", width: 100, height: 100)],
                annotations: [
                    CocoAnnotation(id: 41, imageId: 7, keypoints: good, numKeypoints: 17, bbox: [5, 5, 40, 60], area: 100),
                    CocoAnnotation(id: 42, imageId: 7, keypoints: Array(good.prefix(50)), numKeypoints: 17,
                                   bbox: [5, 5, 40, 60], area: 100),
                    CocoAnnotation(id: 43, imageId: 7, keypoints: good, numKeypoints: 17, bbox: [5, 5, 40, 60], area: 0),
                ],
                categories: [CocoCategory(id: 1, name: "person")])
            try JSONEncoder().encode(file).write(to: url)
            #expect(throws: DatasetError.badKeypointArray(path: url.path, annotationId: 42, count: 50, expected: 51)) {
                _ = try CocoDataset(root: dir, split: "train2017")
            }
            #expect("\(DatasetError.badKeypointArray(path: "a.json", annotationId: 42, count: 50, expected: 51))"
                    == "a.json: annotation 42 has 50 keypoint values, expected 51 (K x [x, y, v])")
            let lenient = try CocoDataset(root: dir, split: "train2017", strict: false, checkImageFiles: true)
            #expect(lenient.instances.map(\.annotationId) == [41])
            #expect(lenient.problems.map(\.kind) == [.missingImageFile, .badKeypointArray, .degenerateBox])
            #expect(lenient.problems.map(\.annotationId) == [nil, 42, 43])
        }
    }
}
