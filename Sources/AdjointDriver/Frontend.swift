import AdjointIR
import AdjointSema
import AdjointSyntax

/// The front end as one call: lex, parse, check.
public enum Frontend {
    /// What the front end made of one file.
    public struct Result: Sendable {
        public var file: SourceFile
        public var program: Program
        /// The checked program, nil when there are diagnostics.
        public var checked: CheckedProgram?
        /// Every error, in source order.
        public var diagnostics: [Diagnostic]

        /// The diagnostics as `FILE:LINE:COL: error: ...` text with quoted lines and carets.
        public var renderedDiagnostics: String { DiagnosticRenderer.render(diagnostics, in: file) }
    }

    /// Checks a model file held in memory.
    public static func check(_ file: SourceFile) -> Result {
        let (program, syntaxDiagnostics) = Parser.parse(file)
        let (checked, semanticDiagnostics) = Checker.check(program)
        let diagnostics = DiagnosticRenderer.sorted(syntaxDiagnostics + semanticDiagnostics)
        return Result(
            file: file, program: program, checked: diagnostics.isEmpty ? checked : nil, diagnostics: diagnostics)
    }
}
