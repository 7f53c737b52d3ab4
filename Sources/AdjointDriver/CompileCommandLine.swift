import AdjointCodegen

/// The options of `adjoint compile`, checked and passed on to `Commands.compile`.
extension CommandLineInterface {
    static func compile(_ parsed: ArgumentParser.Parsed) -> CommandResult {
        guard let emitText = parsed.value("emit") else {
            return .usage("compile: missing --emit c or --emit swift (see 'adjoint compile --help')")
        }
        guard let emit = Commands.EmitLanguage(rawValue: emitText) else {
            return .usage("compile: unknown language '\(emitText)' for --emit (expected c or swift)")
        }
        var precision = Precision.float
        if let text = parsed.value("precision") {
            guard let chosen = Precision(rawValue: text) else {
                return .usage("compile: unknown precision '\(text)' (expected float or double)")
            }
            precision = chosen
        }
        return Commands.compile(
            path: parsed.file, emit: emit, directory: parsed.value("output") ?? ".", name: parsed.value("name"),
            precision: precision, blas: parsed.has("blas"), force: parsed.has("force"))
    }
}
