// swift-tools-version:6.0
import PackageDescription

// Engine and data targets are compiled with -O even in debug builds: their inner loops run
// 50-100x slower at -Onone, which would make the test suite too slow for CI on 2 cores.
let optimized: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "SwiftPose",
    platforms: [.macOS(.v14)],
    products: [.executable(name: "swiftpose", targets: ["swiftpose"])],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .systemLibrary(name: "CDNNL"),
        .systemLibrary(name: "CTurboJPEG"),
        .systemLibrary(name: "CPNG"),
        .target(name: "Tensors", dependencies: ["CDNNL"], swiftSettings: optimized),
        .target(name: "NN", dependencies: ["Tensors"], swiftSettings: optimized),
        .target(name: "PoseModels", dependencies: ["NN"], swiftSettings: optimized),
        // The warp's inner loop in C: hardware FMA where the CPU has it (chosen at run time), bit-exact either way.
        .target(name: "CWarp", cSettings: [.unsafeFlags(["-O3"])]),
        // Decoding only the rectangle a crop reads, through libjpeg's API (libjpeg's longjmp errors stay in C).
        .target(name: "CJPEGRegion", cSettings: [.unsafeFlags(["-O3"])], linkerSettings: [.linkedLibrary("jpeg")]),
        .target(name: "Keypoints", dependencies: ["CTurboJPEG", "CPNG", "CWarp", "CJPEGRegion"], swiftSettings: optimized),
        .target(name: "PoseEval", dependencies: ["Keypoints"], swiftSettings: optimized),
        .target(name: "Optim", dependencies: ["Tensors"], swiftSettings: optimized),
        .target(
            name: "Training",
            dependencies: [
                "Tensors", "NN", "PoseModels", "Keypoints", "PoseEval", "Optim",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: optimized),
        .executableTarget(
            name: "swiftpose",
            dependencies: [
                "Tensors", "NN", "PoseModels", "Keypoints", "PoseEval", "Optim", "Training",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NNTests", dependencies: ["NN", "PoseModels"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KeypointsTests", dependencies: ["Keypoints"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PoseEvalTests", dependencies: ["PoseEval"], resources: [.copy("Fixtures")]),
        .testTarget(name: "OptimTests", dependencies: ["Optim"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrainingTests", dependencies: ["Training"], resources: [.copy("Fixtures")]),
        // Runs the built `swiftpose` binary (no import: a test target cannot link an executable everywhere).
        .testTarget(name: "CLITests", dependencies: []),
    ],
    swiftLanguageModes: [.v5]
)
