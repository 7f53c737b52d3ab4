// adjoint-bench: measures the compiler's own speed in a release build.
//
//   swift run -c release adjoint-bench [--statements N] [--runs R]
//
// It generates a model of N statements (a deep network of small dense layers with elementwise
// work between them), then checks it R times with the front end (lex, parse, names and shapes)
// and prints the median, the fastest and the slowest run, and statements per second.
import AdjointDriver
import AdjointSyntax
import Foundation

var statements = 10_000
var runs = 9
var arguments = Array(CommandLine.arguments.dropFirst())
while !arguments.isEmpty {
    let flag = arguments.removeFirst()
    guard let value = arguments.first.flatMap(Int.init), value > 0 else {
        FileHandle.standardError.write(Data("usage: adjoint-bench [--statements N] [--runs R]\n".utf8))
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
let file = SourceFile(path: "generated-\(statements).adj", text: text)
let lines = text.split(separator: "\n").count

// One untimed run checks that the generated model is valid.
let first = Frontend.check(file)
guard first.checked != nil else {
    FileHandle.standardError.write(Data(first.renderedDiagnostics.utf8))
    exit(1)
}

var seconds: [Double] = []
for _ in 0..<runs {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = Frontend.check(file)
    let end = DispatchTime.now().uptimeNanoseconds
    precondition(result.checked != nil)
    seconds.append(Double(end - start) / 1e9)
}
seconds.sort()
let median = seconds[seconds.count / 2]
func milliseconds(_ value: Double) -> String { String(format: "%.1f ms", value * 1000) }
print("front end (lex, parse, check) of a generated model: \(lines) lines, \(text.utf8.count) bytes")
print("  runs: \(runs)  median: \(milliseconds(median))  fastest: \(milliseconds(seconds.first!))  slowest: \(milliseconds(seconds.last!))")
print(String(format: "  %.0f statements per second (median)", Double(lines) / median))
