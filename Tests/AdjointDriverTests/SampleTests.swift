import AdjointDriver
import AdjointSyntax
import Foundation
import Testing

@Suite struct SampleTests {
    static let samples = Repository.models(in: "samples")

    @Test func thereAreSamples() {
        #expect(Self.samples.count >= 7)
    }

    /// `adjoint derive` on every sample succeeds and prints what the golden file holds.
    @Test(arguments: samples)
    func deriveMatchesGolden(path: String) {
        let result = Commands.derive(path: Repository.url(path).path)
        #expect(result.status == 0, "\(result.errors)")
        let text = result.output.replacingOccurrences(of: Repository.root.path + "/", with: "")
        expectGolden(text, URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent + ".derive.txt")
    }

    /// The LaTeX and JSON printers, on a matrix model and on a scalar one.
    @Test(arguments: ["samples/digits.adj", "samples/linear-regression.adj"], [Derivation.Format.latex, .json])
    func otherFormatsMatchGoldens(path: String, format: Derivation.Format) {
        let result = Commands.derive(path: Repository.url(path).path, format: format)
        #expect(result.status == 0, "\(result.errors)")
        let text = result.output.replacingOccurrences(of: Repository.root.path + "/", with: "")
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        expectGolden(text, "\(name).derive.\(format.rawValue == "latex" ? "tex" : format.rawValue)")
    }

    /// One sample per update-rule family: `derive --update` prints what the golden file holds.
    @Test(arguments: [
        "samples/linear-regression.adj", "samples/momentum.adj", "samples/adagrad.adj", "samples/rmsprop.adj",
        "samples/digits.adj", "samples/adamw.adj",
    ])
    func deriveUpdateMatchesGolden(path: String) {
        let result = Commands.derive(path: Repository.url(path).path, update: true)
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("\nt ← t + 1\n"))
        let text = result.output.replacingOccurrences(of: Repository.root.path + "/", with: "")
        expectGolden(text, URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent + ".update.txt")
    }

    /// The update formulas in LaTeX and JSON.
    @Test func updateInOtherFormats() throws {
        let path = Repository.url("samples/adamw.adj").path
        let latex = Commands.derive(path: path, format: .latex, update: true).output
        #expect(latex.contains("m_{\\mathrm{We}} &\\leftarrow 0.9 m_{\\mathrm{We}} + 0.1 g_{\\mathrm{We}}"), "\(latex)")
        let json = Commands.derive(path: path, format: .json, update: true).output
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let update = try #require(object["update"] as? [String: Any])
        let assignments = try #require(update["assignments"] as? [[String: String]])
        #expect(assignments.first?["name"] == "t")
        #expect(assignments.contains { $0["name"] == "We" && $0["text"] == "0.99999 We − lr_t(m_We / (sqrt(v_We) / bc2_sqrt + 1e−08))" })
    }

    @Test func digitsPrintsEveryNamedValueWithItsShape() {
        let result = Commands.derive(path: Repository.url("samples/digits.adj").path)
        for line in [
            "h: [batch, 32] = relu(x @ W1 + b1)", "logits: [batch, 10] = h @ W2 + b2",
            "loss: [] = softmax_cross_entropy(logits, y)", "param W1: [64, 32] = he",
        ] {
            #expect(result.output.contains(line + "\n"), "\(line)")
        }
    }

    @Test func outputIsDeterministic() {
        for path in Self.samples {
            let once = Commands.derive(path: Repository.url(path).path)
            let twice = Commands.derive(path: Repository.url(path).path)
            #expect(once == twice)
        }
    }
}

/// The files in `samples/errors/` each hold one mistake and `# expect: LINE:COL ID` comments.
@Suite struct ErrorFixtureTests {
    static let fixtures = Repository.models(in: "samples/errors")

    @Test func thereAreFixturesForEveryCheck() {
        #expect(Self.fixtures.count >= 25)
    }

    @Test(arguments: fixtures)
    func fixtureReportsExactlyItsExpectedDiagnostics(path: String) throws {
        let text = try String(contentsOf: Repository.url(path), encoding: .utf8)
        let expected = text.components(separatedBy: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "# expect: ") else { return nil }
            return String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        #expect(!expected.isEmpty, "no '# expect:' line in \(path)")
        let result = Frontend.check(SourceFile(path: path, text: text))
        let found = result.diagnostics.map { "\($0.location(in: result.file)) \($0.id.rawValue)" }
        #expect(found == expected, "\(result.renderedDiagnostics)")
        #expect(result.checked == nil)
    }

    @Test func fixturesCoverEveryDiagnosticTheSamplesCanShow() throws {
        var covered = Set<String>()
        for path in Self.fixtures {
            let text = try String(contentsOf: Repository.url(path), encoding: .utf8)
            for line in text.components(separatedBy: "\n") {
                if let range = line.range(of: "# expect: ") {
                    covered.insert(String(line[range.upperBound...].split(separator: " ").last ?? ""))
                }
            }
        }
        let required: Set<String> = [
            "undeclared-name", "used-before-assignment", "redeclaration", "shape-mismatch", "minimize-not-scalar",
            "minimize-no-param", "unknown-function", "unknown-hyperparameter", "argument-count", "axis-out-of-range",
            "runtime-dim-in-param", "non-integer-size",
        ]
        #expect(required.subtracting(covered).isEmpty, "not covered: \(required.subtracting(covered).sorted())")
    }
}
