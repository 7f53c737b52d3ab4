import Foundation
import Testing

/// The build-tool plugin refuses model names whose generated Swift cannot build in the target,
/// naming the files: the real plugin.swift in a small package whose `adjoint` is a stub (the
/// plugin fails before any tool runs, so building the real compiler would only cost minutes).
@Suite(.serialized) struct PluginNameTests {
    /// `swift` beside the `swiftc` the Swift harness uses.
    static var swift: String {
        URL(fileURLWithPath: SwiftHarness.swiftc).deletingLastPathComponent().appendingPathComponent("swift").path
    }

    /// Builds a package holding one target, `kind` `name`, with `files` (path in the target:
    /// text), and returns what `swift build` printed.
    static func build(target name: String, kind: String, files: [String: String]) throws -> (status: Int32, text: String) {
        let folder = try temporaryFolder("plugin-names")
        defer { try? FileManager.default.removeItem(at: folder) }
        let package = """
            // swift-tools-version:6.0
            import PackageDescription
            let package = Package(name: "PluginNames", targets: [
                .executableTarget(name: "adjoint"),
                .plugin(name: "AdjointPlugin", capability: .buildTool(), dependencies: ["adjoint"]),
                .\(kind)(name: "\(name)", plugins: ["AdjointPlugin"]),
            ])

            """
        var all = files
        all["Package.swift"] = package
        all["Sources/adjoint/main.swift"] = "print(\"stub\")\n"
        all["Plugins/AdjointPlugin/plugin.swift"] = try String(
            contentsOf: Repository.url("Plugins/AdjointPlugin/plugin.swift"), encoding: .utf8)
        for (path, text) in all {
            let url = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let result = try run(swift, ["build", "--package-path", folder.path, "--target", name], in: folder)
        return (result.status, result.output + result.errors)
    }

    static let model = "param w = 1\nloss = w * w\nminimize loss\n"

    @Test func twoModelsWithOneName() throws {
        let (status, text) = try Self.build(
            target: "Twins", kind: "target",
            files: ["Sources/Twins/a/digits.adj": Self.model, "Sources/Twins/b/digits.adj": Self.model, "Sources/Twins/Twins.swift": "let twins = 1\n"])
        #expect(status != 0)
        #expect(text.contains("error: the models '"), "\(text)")
        #expect(text.contains("Sources/Twins/a/digits.adj' and '") && text.contains("Sources/Twins/b/digits.adj' of target 'Twins' would both generate digits.swift"), "\(text)")
    }

    @Test func mainInAnExecutable() throws {
        let (status, text) = try Self.build(
            target: "App", kind: "executableTarget",
            files: ["Sources/App/main.adj": Self.model, "Sources/App/App.swift": "@main struct App { static func main() {} }\n"])
        #expect(status != 0)
        #expect(text.contains("Sources/App/main.adj' would generate main.swift, the top-level code of executable target 'App'"), "\(text)")
    }

    @Test func structNamedAfterItsModule() throws {
        let (status, text) = try Self.build(
            target: "T2", kind: "target", files: ["Sources/T2/T2.adj": Self.model, "Sources/T2/T2.swift": "let t2 = 1\n"])
        #expect(status != 0)
        #expect(text.contains("Sources/T2/T2.adj' would generate struct T2, which hides the module 'T2' of target 'T2'"), "\(text)")
    }
}
