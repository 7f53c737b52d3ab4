// adjoint-bench: measures the compiler's own speed in a release build.
//
//   swift run -c release adjoint-bench [--statements N] [--runs R] [--print-model]
//
// With --print-model it prints the generated model instead (to time `adjoint derive` on it).
//
// It generates a model of N statements (a deep network of small dense layers with elementwise
// work between them), then times, R times each, the front end (lex, parse, names and shapes),
// reverse-mode differentiation into the hash-consed IR, and the closed forms `derive` prints, and
// prints the median, the fastest and the slowest run of each.
import AdjointAutodiff
import AdjointDriver
import AdjointSyntax
import Foundation

var statements = 10_000
var runs = 9
var arguments = Array(CommandLine.arguments.dropFirst())
var printModel = false
while !arguments.isEmpty {
    let flag = arguments.removeFirst()
    if flag == "--print-model" {
        printModel = true
        continue
    }
    guard let value = arguments.first.flatMap(Int.init), value > 0 else {
        FileHandle.standardError.write(Data("usage: adjoint-bench [--statements N] [--runs R] [--print-model]\n".utf8))
        exit(2)
    }
    arguments.removeFirst()
    switch flag {
    case "--statements": statements = value
    case "--runs": runs = value
    default:
        FileHandle.standardError.write(Data("adjoint-bench: unknown option '\(flag)'\n".utf8))
        exit(2)
    }
}

let text = GeneratedModel.text(statements: statements)
if printModel {
    print(text, terminator: "")
    exit(0)
}
let file = SourceFile(path: "generated-\(statements).adj", text: text)
let lines = text.split(separator: "\n").count

// One untimed run checks that the generated model is valid.
let first = Frontend.check(file)
guard first.checked != nil else {
    FileHandle.standardError.write(Data(first.renderedDiagnostics.utf8))
    exit(1)
}

/// Runs `body` `runs` times and returns the sorted wall-clock times in seconds.
@MainActor func timed(_ body: () -> Void) -> [Double] {
    var seconds: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return seconds.sorted()
}

func milliseconds(_ value: Double) -> String { String(format: "%.1f ms", value * 1000) }

@MainActor func report(_ title: String, _ seconds: [Double]) {
    print(title)
    print("  runs: \(runs)  median: \(milliseconds(seconds[seconds.count / 2]))  fastest: \(milliseconds(seconds.first!))  slowest: \(milliseconds(seconds.last!))")
}

let program = first.checked!
let frontEnd = timed { precondition(Frontend.check(file).checked != nil) }
report("front end (lex, parse, check) of a generated model: \(lines) lines, \(text.utf8.count) bytes", frontEnd)
print(String(format: "  %.0f statements per second (median)", Double(lines) / frontEnd[frontEnd.count / 2]))

let forward = program.forwardGraph()
let gradient = ReverseMode.differentiate(forward)
report(
    "reverse mode (forward graph to gradient graph, \(gradient.graph.nodes.count) nodes, \(gradient.gradients.count) gradients)",
    timed { precondition(!ReverseMode.differentiate(program.forwardGraph()).gradients.isEmpty) })
report(
    "closed forms of every gradient (size \(ClosedForms(gradient).size) formula nodes)",
    timed { precondition(ClosedForms(gradient).size > 0) })
