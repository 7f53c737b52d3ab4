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
