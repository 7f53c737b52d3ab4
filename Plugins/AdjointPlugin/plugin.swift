import Foundation
import PackagePlugin

/// The Adjoint build-tool plugin: for every `.adj` model file among a target's sources, runs
/// `adjoint compile MODEL.adj --emit swift` at build time and compiles the generated `NAME.swift`
/// into the target. Each model is one build command with exact inputs (the model file and the
/// tool) and outputs (the Swift file), so SwiftPM reruns it only when the model changes. A model
/// with errors fails the build with `MODEL.adj:LINE:COL: error: ...`, printed by the tool.
@main
struct AdjointPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        guard let sources = target as? SourceModuleTarget else { return [] }
        let tool = try context.tool(named: "adjoint")
        let outputDirectory = context.pluginWorkDirectoryURL.appending(path: "Generated", directoryHint: .isDirectory)
        try Self.checkNames(
            sources.sourceFiles(withSuffix: "adj").map(\.url), target: sources.name, module: sources.moduleName,
            isExecutable: sources.kind == .executable)
        return sources.sourceFiles(withSuffix: "adj").map { file in
            let model = file.url
            let name = Self.identifier(model.deletingPathExtension().lastPathComponent)
            let output = outputDirectory.appending(path: "\(name).swift")
            return .buildCommand(
                displayName: "Generating \(name).swift from \(model.lastPathComponent)",
                executable: tool.url,
                arguments: ["compile", model.path(percentEncoded: false), "--emit", "swift", "-o", outputDirectory.path(percentEncoded: false)],
                inputFiles: [model, tool.url],
                outputFiles: [output])
        }
    }

    /// Why a target's models cannot be built as they are named.
    struct NameError: Error, CustomStringConvertible {
        var description: String
    }

    /// Refuses, naming the files, models whose generated Swift would not build or would break the
    /// target: two models with one output name (`a/digits.adj` and `b/digits.adj`, which SwiftPM
    /// otherwise reports as "multiple producers" of `digits.swift.o`), `main.adj` in an executable
    /// (whose `main.swift` would be the target's top-level code, against its `@main` or its own
    /// `main.swift`), and a model whose struct has the module's name (`T2.adj` in target `T2`,
    /// which would hide the module from its own code). Renaming them here instead would silently
    /// change the struct names the target's code uses.
    static func checkNames(_ models: [URL], target: String, module: String, isExecutable: Bool) throws {
        var byName: [String: [URL]] = [:]
        for model in models { byName[identifier(model.deletingPathExtension().lastPathComponent), default: []].append(model) }
        var problems: [String] = []
        for (name, models) in byName.sorted(by: { $0.key < $1.key }) {
            let paths = models.map { "'\($0.path(percentEncoded: false))'" }
            if models.count > 1 {
                problems.append(
                    "the models \(paths.joined(separator: " and ")) of target '\(target)' would both generate \(name).swift; rename one")
            }
            if name == "main" && isExecutable {
                problems.append(
                    "the model \(paths[0]) would generate main.swift, the top-level code of executable target '\(target)'; rename the model file")
            }
            if typeName(name) == module {
                problems.append(
                    "the model \(paths[0]) would generate struct \(module), which hides the module '\(module)' of target '\(target)'; rename the model file or the target")
            }
        }
        if !problems.isEmpty { throw NameError(description: problems.joined(separator: "\n")) }
    }

    /// The struct's name as `adjoint compile` makes it, in UpperCamelCase (`my_net` gives `MyNet`).
    /// The tool also appends `Model` to a name of the standard library (`String`), which is never
    /// a module's name.
    static func typeName(_ identifier: String) -> String {
        identifier.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// The file name made an identifier exactly as `adjoint compile` makes it (`my-net` gives
    /// `my_net`, an empty name `model`, `34_gmm` `model_34_gmm`), so that the plugin can name the output before the tool runs.
    static func identifier(_ base: String) -> String {
        var result = String(base.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") ? $0 : "_" })
        if result.isEmpty { result = "model" }
        if result.first!.isNumber { result = "model_" + result }
        if result.first == "_" { result = "model" + result }
        return result
    }
}
