@testable import AdjointDriver
import Foundation
import Testing

/// What `adjoint fit` refuses, with exit 2 and a message that says what was expected (exit 1 for
/// a model with errors), before any training or writing.
@Suite struct FitErrorTests {
    private let digits = Repository.url("samples/digits.adj").path

    private func run(_ arguments: [String]) -> CommandResult { CommandLineInterface.run(["fit"] + arguments) }

    @Test func columnCountNamesBothCounts() throws {
        let scratch = try FitScratch()
        let csv = try scratch.write("narrow.csv", "label,a,b,c\n1,0,0,0\n")
        let result = run([digits, "--data", csv])
        #expect(result.status == 2)
        #expect(result.errors.contains("has 4 columns, expected 65"))
        #expect(result.errors.contains("64 feature columns for input x: [batch, 64]"))
        let ragged = try scratch.write("ragged.csv", "label,a,b,c\n1,0,0,0\n2,0,0\n")
        let model = try scratch.write("m.adj", FitFixtures.classifier.replacingOccurrences(of: "[n, 4]", with: "[n, 3]")
            .replacingOccurrences(of: "[4, 3]", with: "[3, 3]"))
        let short = run([model, "--data", ragged])
        #expect(short.status == 2)
        #expect(short.errors.contains("ragged.csv:3: expected 4 values, found 3"))
    }

    @Test func labelsMustBeClassesForAOneHotTarget() throws {
        let scratch = try FitScratch()
        let model = try scratch.write("m.adj", FitFixtures.classifier)
        for (label, shown) in [("3", "3"), ("1.5", "1.5"), ("-1", "-1")] {
            let csv = try scratch.write("bad.csv", "label,f0,f1,f2,f3\n0,1,2,3,4\n\(label),1,2,3,4\n")
            let result = run([model, "--data", csv])
            #expect(result.status == 2)
            #expect(result.errors.contains("bad.csv:3: label \(shown) is not an integer from 0 to 2"), "\(result.errors)")
        }
        let words = try scratch.write("words.csv", "label,f0,f1,f2,f3\n0,1,x,3,4\n")
        #expect(run([model, "--data", words]).errors.contains("words.csv:2:5: column 'f1': 'x' is not a number"))
    }

    @Test func unknownLabelColumnListsTheHeader() throws {
        let scratch = try FitScratch()
        let model = try scratch.write("m.adj", FitFixtures.classifier)
        let csv = try scratch.write("d.csv", FitFixtures.clusters(rows: 5, seed: 0))
        let result = run([model, "--data", csv, "--label", "class"])
        #expect(result.status == 2)
        #expect(result.errors.contains("has no column 'class' (its header: label, f0, f1, f2, f3)"))
    }

    @Test func unsupportedModelsSayWhatFitSupports() throws {
        let scratch = try FitScratch()
        let csv = try scratch.write("d.csv", FitFixtures.clusters(rows: 5, seed: 0))
        let threeInputs = try scratch.write("three.adj", FitFixtures.classifier.replacingOccurrences(
            of: "input y: [n, 3]", with: "input y: [n, 3]\ninput z: [n, 3]").replacingOccurrences(of: "x @ W + b", with: "x @ W + b + z"))
        let twoDims = try scratch.write("dims.adj", "dim n\ndim m\ninput x: [n, 2]\ninput y: [m]\nparam w: [2]\nloss = sum(x @ w) + sum(y)\nminimize loss")
        let noTarget = try scratch.write("notarget.adj", "dim n\ninput x: [n, 2]\ninput y: [n]\nparam w: [2]\nloss = mean((x @ w - y)^2)\nminimize loss")
        for (model, problem) in [(threeInputs, "has 3 inputs"), (twoDims, "has 2 runtime dims"), (noTarget, "not a loss whose target")] {
            let result = run([model, "--data", csv])
            #expect(result.status == 2, "\(model)")
            #expect(result.errors.contains(problem), "\(result.errors)")
            #expect(result.errors.contains("fit supports models with exactly one runtime dim"))
        }
    }

    @Test func usageAndModelErrors() throws {
        let scratch = try FitScratch()
        let csv = try scratch.write("d.csv", FitFixtures.clusters(rows: 5, seed: 0))
        #expect(run([digits]).errors.contains("missing --data TRAIN.csv"))
        #expect(run([digits, "--data", scratch.path("none.csv")]).errors.contains("cannot read the CSV file"))
        #expect(run([digits, "--data", csv, "--engine", "gpu"]).errors.contains("unknown engine 'gpu'"))
        #expect(run([digits, "--data", csv, "--batch", "0"]).errors.contains("--batch needs an integer"))
        #expect(run([digits, "--data", csv, "--save", scratch.path("missing/p.bin")]).errors.contains("does not exist"))
        let broken = try scratch.write("broken.adj", "input x: [2]\nloss = sum(x * q)\nminimize loss")
        let result = run([broken, "--data", csv])
        #expect(result.status == 1)
        #expect(result.errors.contains("broken.adj:2:"))
        let help = run(["--help"])
        #expect(help.status == 0 && help.output.contains("usage: adjoint fit MODEL.adj --data TRAIN.csv"))
        #expect(CommandLineInterface.run(["--help"]).output.contains("fit       trains the model"))
    }

    @Test func noCompilerOnPathFallsBackOrFails() {
        #expect(CFitEngine.findCompiler(environment: ["PATH": "/nonexistent"]) == nil)
        #expect(CFitEngine.findCompiler(environment: [:]) == nil)
        if FitFixtures.hasCompiler {
            #expect(CFitEngine.findCompiler(environment: ["PATH": "/nonexistent:/usr/bin:/bin"]) != nil)
        }
    }
}
