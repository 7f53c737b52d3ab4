// swift-tools-version:6.0
// Adjoint: a symbolic differentiation compiler. One target per pipeline stage; each depends only
// on earlier ones, so the compiler itself keeps the data flowing one way:
// syntax -> IR types and op table -> semantics -> autodiff -> interpreter -> driver -> `adjoint`.
import PackageDescription

let package = Package(
    name: "Adjoint",
    products: [
        .executable(name: "adjoint", targets: ["adjoint"]),
        .library(name: "AdjointDriver", targets: ["AdjointDriver"]),
        .plugin(name: "AdjointPlugin", targets: ["AdjointPlugin"]),
    ],
    targets: [
        .target(name: "AdjointSyntax"),
        .target(name: "AdjointIR"),
        .target(name: "AdjointSema", dependencies: ["AdjointSyntax", "AdjointIR"]),
        .target(name: "AdjointAutodiff", dependencies: ["AdjointIR", "AdjointSema"]),
        .target(name: "AdjointInterpreter", dependencies: ["AdjointIR", "AdjointSema", "AdjointAutodiff"]),
        .target(name: "AdjointCodegen", dependencies: ["AdjointIR", "AdjointSema", "AdjointAutodiff"]),
        .target(
            name: "AdjointDriver",
            dependencies: ["AdjointSyntax", "AdjointIR", "AdjointSema", "AdjointAutodiff", "AdjointInterpreter", "AdjointCodegen"]),
        .executableTarget(name: "adjoint", dependencies: ["AdjointDriver", "AdjointIR"]),
        .plugin(name: "AdjointPlugin", capability: .buildTool(), dependencies: ["adjoint"]),
        .executableTarget(name: "adjoint-fuzz", dependencies: ["AdjointDriver"]),
        .executableTarget(
            name: "adjoint-bench", dependencies: ["AdjointDriver", "AdjointAutodiff"], path: "bench/Sources/adjoint-bench"),
        .testTarget(name: "AdjointSyntaxTests", dependencies: ["AdjointSyntax"]),
        .testTarget(name: "AdjointIRTests", dependencies: ["AdjointIR"]),
        .testTarget(name: "AdjointSemaTests", dependencies: ["AdjointSema", "AdjointSyntax", "AdjointIR"]),
        .testTarget(
            name: "AdjointAutodiffTests",
            dependencies: ["AdjointAutodiff", "AdjointInterpreter", "AdjointSema", "AdjointSyntax", "AdjointIR"]),
        .testTarget(
            name: "AdjointDriverTests",
            dependencies: ["AdjointDriver", "AdjointInterpreter", "AdjointAutodiff", "AdjointSema", "AdjointIR", "AdjointSyntax"],
            exclude: ["Goldens", "FuzzRegressions", "Fixtures"]),
        .testTarget(
            name: "AdjointCodegenTests",
            dependencies: ["AdjointCodegen", "AdjointDriver", "AdjointInterpreter", "AdjointAutodiff", "AdjointSema", "AdjointIR", "AdjointSyntax"],
            exclude: ["Goldens"]),
    ],
    swiftLanguageModes: [.v6]
)
