// swift-tools-version: 6.0
import PackageDescription

// Release builds of the per-exchange code skip Swift's dynamic exclusivity checks: they cost
// about 5% of `scan` (measured with perf), and debug builds, which the tests use, keep them.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "DistillWatch",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "distillwatch", targets: ["distillwatch"]),
        .library(name: "DistillCore", targets: ["DistillCore"]),
        .library(name: "DistillConsole", targets: ["DistillConsole"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        // The text exposition of `--metrics` and `GET /metrics`.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // OTLP/HTTP protobuf bodies; the message code is generated once and committed.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // Diagnostics on stderr as text, logfmt or JSON (`--log-format`).
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // The TCP, Unix-socket and HTTP/1.1 listeners: sockets, event loop, HTTP parsing.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
    ],
    targets: [
        // zlib, for reading .gz logs without shelling out.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // libnats, the NATS C client, for the JetStream bus between publishers, shard workers
        // and the coordinator (Debian's libnats-dev).
        .systemLibrary(name: "CNats", path: "Sources/CNats"),
        // Pure Swift: records, decoding, detection, snapshots, reports. No terminal, no files.
        .target(name: "DistillCore", swiftSettings: hotPath),
        // Packing of replay keyframes. Optimised in debug builds too: unoptimised, packing one
        // state took most of a small replay's time and the console's tests ran out of time.
        .target(name: "DistillPacking", swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // Sources of bytes: files, gzip, stdin, merging by time, the live listeners.
        .target(
            name: "DistillFeeds",
            dependencies: [
                "DistillCore", "DistillPacking", "CZlib", "CNats", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: hotPath
        ),
        // libncursesw, for the console's terminal backend (the only code that calls it).
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw"),
        // The analyst's console as pure Swift: cell grid, widgets, views, keymap, themes. No curses.
        .target(name: "DistillConsole", dependencies: ["DistillCore"]),
        // The analyst's case journal (SQLite through GRDB): decisions, notes, evidence, exports.
        .target(
            name: "DistillCases",
            dependencies: ["DistillCore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // Deterministic generator of labelled traffic (benign populations and campaigns). The
        // tests generate millions of lines as fixtures, which unoptimised takes 16 times as long
        // (31 s against 1.9 s for a million); the generator has no debug-only assertions to lose.
        .target(name: "DistillSim", swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // Scoring the detector on labelled traffic: precision, recall, cohesion, time to flag.
        .target(name: "DistillEval", dependencies: ["DistillCore", "DistillFeeds", "DistillSim"]),
        // The loops that run a watch: the console's session and headless mode, with the clock and
        // the terminal handed in. The program adds argument parsing and the ncurses backend.
        .target(name: "DistillRuntime", dependencies: ["DistillCore", "DistillFeeds", "DistillConsole", "DistillCases"]),
        .executableTarget(
            name: "distillwatch",
            dependencies: [
                "DistillCore", "DistillFeeds", "DistillSim", "DistillEval", "DistillConsole", "DistillCases", "DistillRuntime", "CNcursesw",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "DistillCoreTests", dependencies: ["DistillCore"]),
        .testTarget(
            name: "DistillFeedsTests",
            dependencies: [
                "DistillFeeds", "DistillCore", "DistillSim", "DistillPacking", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "DistillSimTests", dependencies: ["DistillSim"]),
        .testTarget(name: "DistillEvalTests", dependencies: ["DistillEval", "DistillFeeds", "DistillCore"]),
        .testTarget(name: "DistillConsoleTests", dependencies: ["DistillConsole", "DistillCore"]),
        .testTarget(name: "DistillCasesTests", dependencies: ["DistillCases", "DistillCore"]),
        .testTarget(
            name: "DistillRuntimeTests",
            dependencies: ["DistillRuntime", "DistillConsole", "DistillFeeds", "DistillCore", "DistillSim", "DistillCases"]
        ),
        .testTarget(name: "EndToEndTests", dependencies: ["DistillCore", "DistillFeeds"], exclude: ["Peers"]),
    ],
    swiftLanguageModes: [.v6]
)
