#!/usr/bin/env bash
# Regenerates Sources/DistillFeeds/OTLP/OTLPMessages.pb.swift from Scripts/otlp/otlp_subset.proto.
# Needs protoc (Debian: protobuf-compiler) and protoc-gen-swift built from swift-protobuf at the
# version Package.swift names:
#   git clone --branch 1.39.0 https://github.com/apple/swift-protobuf /tmp/swift-protobuf
#   (cd /tmp/swift-protobuf && swift build -c release --product protoc-gen-swift)
#   PROTOC_GEN_SWIFT=/tmp/swift-protobuf/.build/release/protoc-gen-swift Scripts/generate-otlp.sh
set -euo pipefail
cd "$(dirname "$0")/.."
plugin=${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift)}
out=$(mktemp -d)
protoc --plugin=protoc-gen-swift="$plugin" --swift_out="$out" --swift_opt=Visibility=Internal \
  -I Scripts/otlp Scripts/otlp/otlp_subset.proto
mkdir -p Sources/DistillFeeds/OTLP
mv "$out/otlp_subset.pb.swift" Sources/DistillFeeds/OTLP/OTLPMessages.pb.swift
rm -rf "$out"
echo "wrote Sources/DistillFeeds/OTLP/OTLPMessages.pb.swift"
