// adjoint-fuzz: runs the compiler's fuzzer (AdjointDriver.Fuzzer) for a time or a number of
// inputs. The inputs run in child processes, a batch each, so that a crash is counted, its input
// saved (CRASH_DIR/crash-SEED.adj) and the run goes on.
//
//   swift run -c release adjoint-fuzz --seconds 600 [--start SEED] [--samples DIR] [--crashes DIR]
//   adjoint-fuzz --inputs 20000 [--start SEED] ...     (a fixed number of inputs, as CI runs it;
//                                                        fails unless a tenth of them check)
//   adjoint-fuzz --worker FIRST COUNT --samples DIR      (one batch, in process)
//   adjoint-fuzz --print SEED [--samples DIR]            (the input of one seed, to stdout)
import AdjointDriver
import Foundation

/// The option after `name`, or nil.
func option(_ name: String) -> String? {
    guard let index = CommandLine.arguments.firstIndex(of: name), index + 1 < CommandLine.arguments.count else { return nil }
    return CommandLine.arguments[index + 1]
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("adjoint-fuzz: error: \(message)\n".utf8))
    exit(2)
}

let usage = """
    usage: adjoint-fuzz [--seconds N | --inputs N] [--start SEED] [--samples DIR] [--crashes DIR]
           adjoint-fuzz --print SEED [--samples DIR]
           adjoint-fuzz --worker FIRST COUNT [--samples DIR]

    Runs the compiler's fuzzer in child processes (2,000 inputs each) for --seconds N (default 60)
    or for --inputs N, from seed --start (default 0); mutates the models in --samples (default
    samples); saves each crashing input as DIR/crash-SEED.adj (--crashes, default fuzz-crashes).
    Exits 1 on a crash or a violation, or when fewer than a tenth of --inputs check.

    """
if CommandLine.arguments.contains("--help") || CommandLine.arguments.contains("-h") {
    FileHandle.standardOutput.write(Data(usage.utf8))
    exit(0)
}
// Options and how many values follow each: anything else is a mistake, not a 60-second run.
let arities = ["--seconds": 1, "--inputs": 1, "--start": 1, "--samples": 1, "--crashes": 1, "--print": 1, "--worker": 2]
var argumentIndex = 1
while argumentIndex < CommandLine.arguments.count {
    let argument = CommandLine.arguments[argumentIndex]
    guard let arity = arities[argument] else { fail("unknown argument '\(argument)' (see adjoint-fuzz --help)") }
    guard argumentIndex + arity < CommandLine.arguments.count else { fail("\(argument) needs a value") }
    argumentIndex += 1 + arity
}

let samples = option("--samples") ?? "samples"
let corpusFiles = ((try? FileManager.default.contentsOfDirectory(atPath: samples)) ?? []).filter { $0.hasSuffix(".adj") }.sorted()
let corpus = corpusFiles.compactMap { try? String(contentsOfFile: "\(samples)/\($0)", encoding: .utf8) }
let fuzzer = Fuzzer(corpus: corpus)

if let text = option("--print") {
    guard let seed = UInt64(text) else { fail("--print needs a seed") }
    FileHandle.standardOutput.write(Data(fuzzer.input(seed)))
    exit(0)
}

if let index = CommandLine.arguments.firstIndex(of: "--worker") {
    // A batch in this process: exit 1 on a violation (printed), die on a crash.
    guard index + 2 < CommandLine.arguments.count, let first = UInt64(CommandLine.arguments[index + 1]),
        let count = UInt64(CommandLine.arguments[index + 2])
    else { fail("--worker needs FIRST COUNT") }
    var checked = 0
    for seed in first..<first + count {
        let outcome = fuzzer.exercise(fuzzer.input(seed))
        if outcome.checked { checked += 1 }
        if !outcome.violations.isEmpty {
            print("violation at seed \(seed): \(outcome.violations.joined(separator: "; "))")
            exit(1)
        }
    }
    print("checked \(checked)")
    exit(0)
}

guard let seconds = Double(option("--seconds") ?? "60"), seconds > 0 else { fail("--seconds needs a positive number") }
// A fixed count instead of a time makes the run reproducible: the same seeds on any machine.
let inputLimit: UInt64? = {
    guard let text = option("--inputs") else { return nil }
    guard let count = UInt64(text), count > 0 else { fail("--inputs needs a positive integer") }
    return count
}()
guard let start = UInt64(option("--start") ?? "0") else { fail("--start needs a non-negative integer") }
let crashDirectory = option("--crashes") ?? "fuzz-crashes"
if corpus.isEmpty { print("note: no .adj files in '\(samples)'; mutations fall back to token streams") }
let batch: UInt64 = 2_000
let executable = URL(fileURLWithPath: CommandLine.arguments[0]).path

/// Runs seeds `first..<first + count` in a child process: its exit status and output.
@MainActor func runWorker(_ first: UInt64, _ count: UInt64) -> (status: Int32, reason: Process.TerminationReason, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["--worker", String(first), String(count), "--samples", samples]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { fail("cannot start a worker: \(error)") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, process.terminationReason, String(decoding: data, as: UTF8.self))
}

var crashes: [UInt64] = []
var violations: [String] = []

/// Splits a failing range in halves until each failing seed is alone, recording crashes (with
/// the input saved) and violations.
@MainActor func findFailures(_ first: UInt64, _ count: UInt64) {
    let result = runWorker(first, count)
    if result.reason == .exit && result.status == 0 { return }
    if count > 1 {
        findFailures(first, count / 2)
        findFailures(first + count / 2, count - count / 2)
    } else if result.reason == .uncaughtSignal {
        crashes.append(first)
        try? FileManager.default.createDirectory(atPath: crashDirectory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: "\(crashDirectory)/crash-\(first).adj", contents: Data(fuzzer.input(first)))
    } else {
        violations.append(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

let began = Date()
var next = start
var tried: UInt64 = 0
var checked = 0
while inputLimit.map({ tried < $0 }) ?? (Date().timeIntervalSince(began) < seconds) {
    let count = inputLimit.map { min(batch, $0 - tried) } ?? batch
    let result = runWorker(next, count)
    if result.reason == .exit && result.status == 0 {
        checked += Int(result.output.split(separator: " ").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0)
    } else {
        // Find the inputs that failed by halving the batch: a few processes per failure.
        findFailures(next, count)
    }
    next += count
    tried += count
}
let elapsed = Date().timeIntervalSince(began)
print(String(format: "%llu inputs (seeds %llu to %llu) in %.0f s, %.0f inputs/s; %d checked; %d crashes; %d violations",
    tried, start, next - 1, elapsed, Double(tried) / elapsed, checked, crashes.count, violations.count))
for seed in crashes { print("crash: seed \(seed), input saved as \(crashDirectory)/crash-\(seed).adj") }
for violation in violations { print(violation) }
// Mutations must keep reaching differentiation, not only the diagnostics: a generator that
// stopped producing valid models would otherwise pass vacuously.
let reachedDifferentiation = inputLimit == nil || UInt64(checked) * 10 >= tried
if !reachedDifferentiation { print("only \(checked) of \(tried) inputs checked (expected at least a tenth)") }
exit(crashes.isEmpty && violations.isEmpty && reachedDifferentiation ? 0 : 1)
