import Foundation
import Testing
import Tensors
@testable import NN
@testable import PoseModels

/// A whole PoseNet saved by torch.save (SimpleBaseline's wrapper, DataParallel prefix, float16 weights),
/// imported strictly, gives PyTorch's output (Tools/fixtures/make_import_forward_fixture.py; the model uses the
/// fixture-only base width 4 and 8 head channels so that the checkpoint is 220 KB).
@Suite("imported PyTorch checkpoint")
struct TorchImportForwardTests {
    @Test("torch.save'd res18_3 → import → forward equals PyTorch within 1e-4 of max|ref|")
    func importedCheckpointForward() throws {
        let model = PoseNet(name: ModelName(depth: 18, scales: 3), options: ModelOptions(baseWidth: 4, headChannels: 8))
        let result = try TorchImport.convert(from: NNFixtures.url("torch/tiny_res18_3.pth"),
                                             expected: model.stateShapes(), backboneOnly: false)
        try model.loadStateDict(result.mapped.tensors, file: "tiny_res18_3.pth")
        model.eval()
        let x = Tensor(shape: [1, 3, 64, 64], values: counterTensorValues(name: "input", shape: [1, 3, 64, 64]))
        let y = Tape.withoutGrad { model(x) }.toArray()
        let reference = try NpyFile.read(NNFixtures.url("torch/tiny_res18_3.forward.npy")).floats()
        let scale = reference.map { abs($0) }.max()!
        let error = zip(y, reference).map { abs($0 - $1) }.max()!
        #expect(y.count == reference.count)
        #expect(error <= 1e-4 * scale, "max error \(error) of max|ref| \(scale)")
    }
}
