// swift-tools-version:6.0
// A package that trains a digit classifier with kernels Adjoint generates at build time: the model
// file Sources/DigitsClassifier/digits.adj goes in, the AdjointPlugin turns it into Digits.swift
// (a `public struct Digits` with init(seed:), step, predict) as a build step.
import PackageDescription

let package = Package(
    name: "DigitsClassifier",
    dependencies: [.package(name: "Adjoint", path: "../..")],
    targets: [
        .executableTarget(
            name: "DigitsClassifier",
            plugins: [.plugin(name: "AdjointPlugin", package: "Adjoint")])
    ],
    swiftLanguageModes: [.v6]
)
