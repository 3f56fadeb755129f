import Foundation
import Testing

/// `eval` and `predict` end to end on a tiny synthetic dataset with freshly initialised weights
/// (the numbers are near zero; what is pinned is the pipeline, its outputs and its errors).
@Suite("eval and predict commands")
struct EvalPredictCommandTests {
    @Test("eval writes results.json, metrics.json and report.html and prints the 10 stats")
    func evalOnSyntheticData() throws {
        let folder = try ModelCommandTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("synth").path
        #expect(try SwiftPoseRun(["synth", "--out", data, "--train", "2", "--val", "6", "--seed", "3"]).status == 0)
        let weights = folder.appendingPathComponent("w.safetensors").path
        #expect(try SwiftPoseRun(["init", "--model", "res18", "--out", weights]).status == 0)
        let config = try Repository.root().appendingPathComponent("configs/quickstart.yaml").path
        let out = folder.appendingPathComponent("eval").path
        let run = try SwiftPoseRun(["eval", "--config", config, "--weights", weights, "--data", data, "--out", out,
                                    "--report"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").filter { $0.contains("maxDets= 20") }.count == 10)
        for file in ["results.json", "metrics.json", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file)")
        }
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/metrics.json")))
        let dictionary = try #require(metrics as? [String: Any])
        #expect((dictionary["stats"] as? [Double])?.count == 10)
        #expect((dictionary["instances"] as? Int ?? 0) > 0)

        let other = folder.appendingPathComponent("other.safetensors").path
        #expect(try SwiftPoseRun(["init", "--model", "res18_3", "--out", other]).status == 0)
        let wrong = try SwiftPoseRun(["eval", "--config", config, "--weights", other, "--data", data,
                                      "--out", folder.appendingPathComponent("eval2").path])
        ModelCommandTests.expectOneLineError(wrong, containing: "other.safetensors")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("eval2/metrics.json").path))
    }

    @Test("predict writes keypoints.json and a rendered image per input; a missing image is an error")
    func predictOnImages() throws {
        let folder = try ModelCommandTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("synth").path
        #expect(try SwiftPoseRun(["synth", "--out", data, "--train", "1", "--val", "2", "--seed", "4"]).status == 0)
        let weights = folder.appendingPathComponent("w.safetensors").path
        #expect(try SwiftPoseRun(["init", "--model", "res18", "--out", weights]).status == 0)
        let out = folder.appendingPathComponent("pred").path
        let run = try SwiftPoseRun(["predict", "--model", "res18", "--weights", weights, "--dir", data + "/val2017",
                                    "--input-size", "96x128", "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/keypoints.json")))
        let people = try #require(json as? [[String: Any]])
        #expect(people.count == 2)
        #expect((people.first?["keypoints"] as? [Double])?.count == 51)
        let rendered = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".jpg") }
        #expect(rendered.count == 2)
        ModelCommandTests.expectOneLineError(
            try SwiftPoseRun(["predict", "--model", "res18", "--weights", weights, "--image", data + "/nope.jpg",
                              "--out", out]), containing: "nope.jpg")
    }
}
