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
        /// Warnings about a program that checked (a param the loss does not use), in source
        /// order; empty when there are errors.
        public var warnings: [Diagnostic] = []

        /// The errors and warnings as `FILE:LINE:COL: error: ...` text with quoted lines and carets,
        /// all of them (the command line stops after an error limit; see `DiagnosticPrinter`).
        public var renderedDiagnostics: String {
            DiagnosticRenderer.render(DiagnosticRenderer.sorted(diagnostics + warnings), in: file)
        }
    }

    /// Checks a model file held in memory. With an `errorLimit` (0: none) each pass keeps only its
    /// first `errorLimit + 1` errors, which is all a `DiagnosticPrinter` with that limit prints.
    public static func check(_ file: SourceFile, errorLimit: Int = 0) -> Result {
        let (program, syntaxDiagnostics) = Parser.parse(file, errorLimit: errorLimit)
        let (checked, semanticDiagnostics) = Checker.check(program, errorLimit: errorLimit)
        let diagnostics = DiagnosticRenderer.sorted(syntaxDiagnostics + semanticDiagnostics)
        let accepted = diagnostics.isEmpty ? checked : nil
        return Result(
            file: file, program: program, checked: accepted, diagnostics: diagnostics,
            warnings: accepted.map(Checker.warnings) ?? [])
    }
}

/// Writes a file's diagnostics one at a time, each as soon as it is rendered, and stops after an
/// error limit as clang's `-ferror-limit` and swiftc do: a file with a thousand errors on one line
/// gets the first few and a last line saying the rest were left out, not hundreds of megabytes.
public struct DiagnosticPrinter {
    /// The default of `--error-limit`, clang's.
    public static let defaultErrorLimit = 20

    public let file: SourceFile
    /// How many errors are printed before stopping; 0: no limit. Warnings do not count.
    public let errorLimit: Int
    private let write: (String) -> Void
    /// The errors printed so far.
    public private(set) var errorCount = 0
    /// Whether an error beyond the limit arrived, so that the printer stopped.
    public private(set) var stopped = false

    /// A printer handing each rendered diagnostic to `write`.
    public init(file: SourceFile, errorLimit: Int = defaultErrorLimit, write: @escaping (String) -> Void) {
        self.file = file
        self.errorLimit = max(0, errorLimit)
        self.write = write
    }

    /// Prints one diagnostic, or, for the first error beyond the limit, the line that says the
    /// printer stops; after that it prints nothing. Returns whether the diagnostic was printed.
    @discardableResult
    public mutating func print(_ diagnostic: Diagnostic) -> Bool {
        guard !stopped else { return false }
        if diagnostic.severity == .error {
            if errorLimit > 0 && errorCount == errorLimit {
                stopped = true
                write(DiagnosticMessage.tooManyErrors(limit: errorLimit) + "\n")
                return false
            }
            errorCount += 1
        }
        write(DiagnosticRenderer.render(diagnostic, in: file))
        return true
    }

    /// Prints the front end's errors and warnings in source order until the limit stops it.
    public mutating func print(_ result: Frontend.Result) {
        let all = result.warnings.isEmpty ? result.diagnostics : DiagnosticRenderer.sorted(result.diagnostics + result.warnings)
        for diagnostic in all where !stopped { print(diagnostic) }
    }
}
