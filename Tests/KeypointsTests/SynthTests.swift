import Foundation
import Testing
@testable import Keypoints

@Suite("Synthetic dataset")
struct SynthTests {
    static func tempDir() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("swiftpose-synth-\(UUID().uuidString)")
    }

    /// Every file under `dir`, by relative path.
    static func contents(of dir: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let fm = FileManager.default
        for case let path as String in fm.enumerator(atPath: dir.path)! {
            var isDir: ObjCBool = false
            let url = dir.appendingPathComponent(path)
            if fm.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue {
                out[path] = try Data(contentsOf: url)
            }
        }
        return out
    }

    @Test("the same seed writes byte-identical files; another seed does not")
    func sameSeedSameBytes() throws {
        let (a, b, c) = (Self.tempDir(), Self.tempDir(), Self.tempDir())
        defer { for d in [a, b, c] { try? FileManager.default.removeItem(at: d) } }
        let options = SynthOptions(trainCount: 6, valCount: 3, seed: 42)
        _ = try writeSynthDataset(to: a, options: options)
        _ = try writeSynthDataset(to: b, options: options)
        _ = try writeSynthDataset(to: c, options: SynthOptions(trainCount: 6, valCount: 3, seed: 43))
        let (ca, cb, cc) = (try Self.contents(of: a), try Self.contents(of: b), try Self.contents(of: c))
        #expect(ca.count == 2 + 6 + 3)
        #expect(Set(ca.keys) == Set(cb.keys))
        for (path, data) in ca { #expect(cb[path] == data, "\(path) differs between runs") }
        #expect(ca["annotations/person_keypoints_train2017.json"] != cc["annotations/person_keypoints_train2017.json"])
        #expect(ca["train2017/000000000001.jpg"] != nil && ca["val2017/000000000000010000001.jpg"] == nil)
        #expect(ca["val2017/000010000001.jpg"] != nil)
    }

    @Test("annotations are valid COCO: 51 keypoint values, visible joints inside image and box, counts agree")
    func annotationsValid() throws {
        var people = 0, visible = 0, occluded = 0, outside = 0
        for split in SynthSplit.allCases {
            for index in 0..<30 {
                let sample = renderSynthImage(seed: 7, split: split, index: index)
                let (w, h) = (Double(sample.image.width), Double(sample.image.height))
                #expect((320...640).contains(sample.image.width) && (240...480).contains(sample.image.height))
                for ann in sample.annotations {
                    people += 1
                    #expect(ann.imageId == split.imageId(index: index) && ann.categoryId == 1 && ann.iscrowd == 0)
                    #expect(ann.keypoints.count == 51)
                    let (bx, by, bw, bh) = (ann.bbox[0], ann.bbox[1], ann.bbox[2], ann.bbox[3])
                    #expect(bx >= 0 && by >= 0 && bw > 0 && bh > 0 && bx + bw <= w && by + bh <= h, "\(ann.bbox)")
                    #expect(ann.area > 0 && ann.area <= bw * bh)
                    var labelled = 0
                    for j in 0..<17 {
                        let (x, y, v) = (ann.keypoints[3 * j], ann.keypoints[3 * j + 1], ann.keypoints[3 * j + 2])
                        #expect([0, 1, 2].contains(v))
                        if v == 0 {
                            #expect(x == 0 && y == 0)
                            outside += 1
                            continue
                        }
                        labelled += 1
                        #expect(x >= 0 && y >= 0 && x <= w - 1 && y <= h - 1, "joint \(j) at (\(x), \(y))")
                        if v == 2 {
                            visible += 1
                            #expect(x >= bx && x <= bx + bw && y >= by && y <= by + bh,
                                    "visible joint \(j) (\(x), \(y)) outside bbox \(ann.bbox)")
                        } else {
                            occluded += 1
                        }
                    }
                    #expect(ann.numKeypoints == labelled)
                }
                let ids = sample.annotations.map(\.id)
                #expect(Set(ids).count == ids.count)
            }
        }
        // The generator must produce every visibility class, mostly visible joints, ~2 people per image.
        #expect(people >= 60 && people <= 150, "\(people) people in 60 images")
        #expect(visible > 5 * occluded && occluded > 0 && outside > 0, "v=2 \(visible), v=1 \(occluded), v=0 \(outside)")
    }

    @Test("visible joints sit on their limb colours: left wrists green-cyan, right wrists red-magenta")
    func jointsOnColouredLimbs() throws {
        var checked = 0
        for index in 0..<20 {
            let sample = renderSynthImage(seed: 3, split: .train, index: index)
            for ann in sample.annotations {
                // Elbows are ends of the upper arm and start of the forearm: both in the side's hue range.
                for (j, wantLeft) in [(7, true), (8, false)] where ann.keypoints[3 * j + 2] == 2 {
                    let c = sample.image.color(x: Int(ann.keypoints[3 * j].rounded()), y: Int(ann.keypoints[3 * j + 1].rounded()))
                    let greenish = Int(c.g) > Int(c.r)
                    if greenish == wantLeft { checked += 1 } else { checked -= 1 }
                }
            }
        }
        #expect(checked > 20, "net elbows on the expected side colour: \(checked)")
    }

    @Test("writes the COCO layout with the person category, refuses a non-empty folder without force")
    func layoutAndOverwrite() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let summary = try writeSynthDataset(to: dir, options: SynthOptions(trainCount: 2, valCount: 1, seed: 1))
        #expect(summary.images == [.train: 2, .val: 1])
        let json = try Data(contentsOf: dir.appendingPathComponent("annotations/person_keypoints_train2017.json"))
        let file = try JSONDecoder().decode(CocoKeypointFile.self, from: json)
        #expect(file.images.map(\.fileName) == ["000000000001.jpg", "000000000002.jpg"])
        #expect(file.categories == [cocoPersonCategory()])
        #expect(file.categories[0].skeleton?.first == [16, 14])
        #expect(file.annotations.count == summary.people[.train])
        let image = try decodeImage(at: dir.appendingPathComponent("train2017/000000000001.jpg"))
        #expect(image.width == file.images[0].width && image.height == file.images[0].height)

        #expect(throws: SynthError.self) {
            try writeSynthDataset(to: dir, options: SynthOptions(trainCount: 1, valCount: 0, seed: 2))
        }
        _ = try writeSynthDataset(to: dir, options: SynthOptions(trainCount: 1, valCount: 0, seed: 2), force: true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("train2017").path)
            == ["000000000001.jpg"])
        let siblings = try FileManager.default.contentsOfDirectory(atPath: dir.deletingLastPathComponent().path)
        #expect(!siblings.contains { $0.hasPrefix(".\(dir.lastPathComponent).tmp") }, "temporary folder left behind")
    }
}
