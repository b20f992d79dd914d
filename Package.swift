// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "DistillWatch",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "distillwatch", targets: ["distillwatch"]),
        .library(name: "DistillCore", targets: ["DistillCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // zlib, for reading .gz logs without shelling out.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // Pure Swift: records, decoding, detection, snapshots, reports. No terminal, no files.
        .target(name: "DistillCore"),
        // Sources of bytes: files, gzip, stdin, merging by time.
        .target(name: "DistillFeeds", dependencies: ["DistillCore", "CZlib"]),
        // Deterministic generator of labelled traffic (benign populations and campaigns).
        .target(name: "DistillSim"),
        .executableTarget(
            name: "distillwatch",
            dependencies: [
                "DistillCore", "DistillFeeds", "DistillSim",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "DistillCoreTests", dependencies: ["DistillCore"]),
        .testTarget(name: "DistillFeedsTests", dependencies: ["DistillFeeds", "DistillCore"]),
        .testTarget(name: "DistillSimTests", dependencies: ["DistillSim"]),
        .testTarget(name: "EndToEndTests", dependencies: ["DistillCore"]),
    ],
    swiftLanguageModes: [.v6]
)
