import AdjointSyntax
import Foundation
import Testing

/// `grammar/` documents the language: the EBNF names every statement keyword, and the README
/// lists every diagnostic identifier (the stable contract that fixtures match).
@Suite struct GrammarDocumentTests {
    @Test func readmeListsEveryDiagnosticIdentifier() throws {
        let readme = try String(contentsOf: Repository.url("grammar/README.md"), encoding: .utf8)
        let missing = DiagnosticID.allCases.map(\.rawValue).filter { !readme.contains($0) }
        #expect(missing.isEmpty, "grammar/README.md does not list \(missing)")
    }

    @Test func grammarNamesEveryKeyword() throws {
        let grammar = try String(contentsOf: Repository.url("grammar/adjoint.ebnf"), encoding: .utf8)
        for keyword in ["dim", "input", "param", "const", "output", "minimize", "using"] {
            #expect(grammar.contains("\"\(keyword)\""), "adjoint.ebnf lacks the keyword '\(keyword)'")
        }
    }
}
