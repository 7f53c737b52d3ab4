import AdjointAutodiff
import AdjointIR
import AdjointInterpreter
import AdjointSema
import AdjointSyntax
import Foundation

/// What a subcommand produced: text for standard output and standard error, and the exit status
/// of docs/cli.md (0 success, 1 errors in the model file, 2 bad usage).
public struct CommandResult: Sendable, Equatable {
    public var output: String
    public var errors: String
    public var status: Int32

    public init(output: String = "", errors: String = "", status: Int32) {
        self.output = output
        self.errors = errors
        self.status = status
    }

    /// Bad usage: one clear line, exit 2.
    public static func usage(_ message: String) -> CommandResult {
        CommandResult(errors: "adjoint: error: \(message)\n", status: 2)
    }
}

/// The subcommands, as functions of their parsed options. The `adjoint` executable only parses
/// arguments and calls these, so tests run them in process.
public enum Commands {
    /// `adjoint derive MODEL.adj`: the forward program with every shape, the adjoint program,
    /// the closed-form gradients, values at the declared values and the flop counts.
    public static func derive(path: String, wrt: [String] = [], format: Derivation.Format = .text, update: Bool = false)
        -> CommandResult
    {
        withModel(path) { checked in
            if let unknown = wrt.first(where: { name in !checked.params.contains { $0.name == name } }) {
                return .usage("--wrt '\(unknown)' is not a param of \(path) (its params: \(checked.params.map(\.name).joined(separator: ", ")))")
            }
            let derivation = Derivation(path: path, program: checked, wrt: wrt, update: update)
            return CommandResult(output: derivation.render(format), status: 0)
        }
    }

    /// `adjoint eval MODEL.adj --values VALUES.json [--gradient] [--steps N]`: the loss (and
    /// gradients, and the params after `steps` updates) in the reference interpreter, as JSON.
    public static func eval(path: String, valuesPath: String, gradient: Bool, steps: Int = 0, seed: UInt64 = 0) -> CommandResult {
        withModel(path) { checked in
            guard let data = FileManager.default.contents(atPath: valuesPath) else {
                return .usage("cannot read the values file '\(valuesPath)'")
            }
            do throws(Evaluation.ValuesError) {
                let dims = try Evaluation.dims(data, for: checked)
                if let refusal = tooLarge(checked, dims: dims) { return refusal }
                let (bindings, _) = try Evaluation.bindings(data, for: checked)
                return CommandResult(
                    output: Evaluation.run(checked, bindings: bindings, dims: dims, gradient: gradient, steps: steps, seed: seed),
                    status: 0)
            } catch {
                // A message that starts with its LINE:COLUMN joins the path as FILE:LINE:COLUMN.
                return .usage("\(valuesPath):\(error.description.first?.isNumber == true ? "" : " ")\(error.description)")
            }
        }
    }

    /// The runtime dims `check` uses unless `--dim` says otherwise: small, and different from
    /// each other so that a transposed pair of axes shows up as a wrong number rather than hiding.
    static func defaultCheckSize(_ index: Int) -> Int { 3 + index }

    /// `adjoint check MODEL.adj [--seed N] [--dim NAME=SIZE]... [--values VALUES.json]`: reverse
    /// mode against finite differences (`GradientCheck`), at random params and inputs or at those of
    /// the values file; exit 1 if any param fails.
    public static func check(path: String, seed: UInt64 = 0, dims given: [String: Int] = [:], valuesPath: String? = nil)
        -> CommandResult
    {
        withModel(path) { checked in
            var dims: [String: Int] = [:]
            var bindings: [String: Tensor]? = nil
            if let valuesPath {
                guard given.isEmpty else {
                    return .usage("check: give the dims in the values file, not with --dim, when --values is given")
                }
                guard let data = FileManager.default.contents(atPath: valuesPath) else {
                    return .usage("cannot read the values file '\(valuesPath)'")
                }
                do throws(Evaluation.ValuesError) {
                    dims = try Evaluation.dims(data, for: checked)
                    if let refusal = tooLarge(checked, dims: dims) { return refusal }
                    bindings = try Evaluation.bindings(data, for: checked).bindings
                } catch {
                    return .usage("\(valuesPath): \(error.description)")
                }
            } else {
                for name in given.keys.sorted() {
                    guard let dim = checked.dims.first(where: { $0.name == name }) else {
                        return .usage("--dim \(name): '\(name)' is not a dim of \(path)")
                    }
                    guard dim.size == nil else {
                        return .usage("--dim \(name): '\(name)' is fixed at \(dim.size!) in \(path); only runtime dims take a size")
                    }
                    dims[name] = given[name]
                }
                for (index, dim) in checked.dims.filter({ $0.size == nil }).enumerated() where dims[dim.name] == nil {
                    dims[dim.name] = defaultCheckSize(index)
                }
                if let refusal = tooLarge(checked, dims: dims) { return refusal }
            }
            let gradient = ReverseMode.differentiate(checked.forwardGraph())
            let point = bindings ?? GradientCheck.randomBindings(checked, seed: seed, dims: dims)
            let dimText = dims.isEmpty ? "" : ", " + dims.keys.sorted().map { "\($0) = \(dims[$0]!)" }.joined(separator: ", ")
            let at = valuesPath.map { ", at \($0)" } ?? ""
            let lossValue = GradientCheck.loss(gradient, bindings: point, dims: dims, seed: seed)
            guard lossValue.isFinite else {
                // A NaN or infinite loss (a label on a position masked with -inf, a 0/0) has no
                // derivative to compare: every difference would be NaN.
                let value = lossValue.isNaN ? "NaN" : lossValue > 0 ? "inf" : "-inf"
                let source = valuesPath.map { "the values in \($0)" } ?? "the point drawn with seed \(seed)"
                return CommandResult(
                    output: "", errors: "adjoint: error: check: the loss is \(value) at \(source)\(dimText), so there is no gradient to check there; try another --seed or --values\n",
                    status: 1)
            }
            let reports = GradientCheck.run(gradient, bindings: point, dims: dims, seed: seed)
            var lines = ["gradient check of \(path) (seed \(seed)\(dimText)\(at)): reverse mode against extrapolated central differences"]
            let width = reports.map(\.param.count).max() ?? 0
            var failed: [String] = []
            var inconclusive: [String] = []
            for report in reports {
                if !report.passed { failed.append(report.param) }
                if report.inconclusive { inconclusive.append(report.param) }
                let name = report.param.padding(toLength: width, withPad: " ", startingAt: 0)
                let sampled = report.checkedElements == report.totalElements
                    ? "all \(report.totalElements) elements" : "\(report.checkedElements) of \(report.totalElements) elements"
                let verdict =
                    report.passed ? "ok" : report.inconclusive
                    ? "FAIL (differences accurate only to \(scientific(report.differenceError)))" : "FAIL"
                lines.append(
                    "\(name)  worst relative error \(scientific(report.worstRelativeError)) (allowed \(scientific(report.allowedRelativeError)))  (\(sampled))  \(verdict)")
            }
            if !failed.isEmpty { lines += kinkHints(checked, at: point, dims: dims, failed: failed) }
            let output = lines.joined(separator: "\n") + "\n"
            if failed.isEmpty { return CommandResult(output: output, status: 0) }
            var message = "adjoint: error: gradient check failed for \(failed.joined(separator: ", ")) (reverse mode differs from the differences by more than their error bound plus \(GradientCheck.tolerance) of the gradient)\n"
            if !inconclusive.isEmpty {
                message += "adjoint: note: at \(inconclusive.joined(separator: ", ")) the finite differences cannot be made accurate to \(GradientCheck.maximumDifferenceError) of the gradient at this point (a kink, or rounding noise in the loss); try another --seed or --values\n"
            }
            return CommandResult(output: output, errors: message, status: 1)
        }
    }

    private static func scientific(_ value: Double) -> String { String(format: "%.2e", value) }

    /// Hints for a failed check at `point` (the params and inputs it compared at): the ops at a
    /// non-differentiable point (relu at 0, a tie in max) on the gradient of a failed param, where
    /// a failure need not be a wrong derivative.
    static func kinkHints(_ program: CheckedProgram, at point: [String: Tensor], dims: [String: Int], failed: [String]) -> [String] {
        Kinks.find(program, bindings: point, dims: dims)
            .filter { $0.params.contains(where: failed.contains) }
            .map(\.hint)
    }

    /// A usage error if evaluating `program` at `dims` would take more memory than the
    /// interpreter allows.
    static func tooLarge(_ program: CheckedProgram, dims: [String: Int]) -> CommandResult? {
        let graph = ReverseMode.differentiate(program.forwardGraph()).graph
        guard Interpreter.elementCount(graph, dims: dims) == nil else { return nil }
        let sizes = dims.keys.sorted().map { "\($0) = \(dims[$0]!)" }.joined(separator: ", ")
        return .usage(
            "the model\(sizes.isEmpty ? "" : " at \(sizes)") needs more than \(Interpreter.maxElements) numbers in the reference interpreter; use smaller sizes")
    }

    /// `adjoint graph MODEL.adj [--backward]`: the computation graph in Graphviz DOT.
    public static func graph(path: String, backward: Bool) -> CommandResult {
        withModel(path) { checked in
            let gradient = ReverseMode.differentiate(checked.forwardGraph())
            return CommandResult(output: GraphPrinter.dot(gradient, backward: backward), status: 0)
        }
    }

    /// Why a command stopped before doing its work: the result to return.
    public struct Failure: Error {
        public var result: CommandResult
    }

    /// Runs `body` on the checked model, or returns why the model could not be loaded. Warnings
    /// about the model that `diagnosticOptions` did not stream come before `body`'s own errors.
    static func withModel(_ path: String, _ body: (CheckedProgram) -> CommandResult) -> CommandResult {
        let (loaded, warnings) = loadReportingWarnings(path)
        switch loaded {
        case .success(let program):
            var result = body(program)
            result.errors = warnings + result.errors
            return result
        case .failure(let failure): return failure.result
        }
    }

    /// How commands report the diagnostics of the model file they load: `adjoint` sets them for
    /// the run from `--error-limit` and streams to standard error; in-process callers get the
    /// defaults, with the text in `CommandResult.errors`.
    public struct DiagnosticOptions: Sendable {
        /// Errors printed before stopping (`--error-limit`); 0: no limit.
        public var errorLimit: Int
        /// Receives each rendered diagnostic as soon as it is made; nil: they are collected into
        /// the command's `CommandResult.errors`.
        public var stream: (@Sendable (String) -> Void)?

        public init(errorLimit: Int = DiagnosticPrinter.defaultErrorLimit, stream: (@Sendable (String) -> Void)? = nil) {
            self.errorLimit = errorLimit
            self.stream = stream
        }
    }

    /// The diagnostic options of the running command. A task-local rather than a parameter of
    /// every subcommand, because every subcommand loads its model the same way through `load`.
    @TaskLocal public static var diagnosticOptions = DiagnosticOptions()

    /// Reads and checks a model file: a usage error (exit 2) if it cannot be read, the
    /// diagnostics (exit 1) if it has errors. Warnings go to `diagnosticOptions.stream`, or are
    /// dropped without one; `withModel` keeps them.
    public static func load(_ path: String) -> Result<CheckedProgram, Failure> {
        loadReportingWarnings(path).result
    }

    /// `load`, and the warnings' text when there is no stream to write them to.
    static func loadReportingWarnings(_ path: String) -> (result: Result<CheckedProgram, Failure>, warnings: String) {
        let file: SourceFile
        switch ModelFileReader.read(path) {
        case .success(let read): file = read
        case .failure(let error): return (.failure(Failure(result: .usage(error.description))), "")
        }
        let options = diagnosticOptions
        let result = Frontend.check(file, errorLimit: options.errorLimit)
        var collected = ""
        // Without a stream the text is collected; the printer's limit bounds it either way.
        var printer = DiagnosticPrinter(file: file, errorLimit: options.errorLimit) { text in
            if let stream = options.stream { stream(text) } else { collected += text }
        }
        printer.print(result)
        guard let checked = result.checked else {
            return (.failure(Failure(result: CommandResult(errors: collected, status: 1))), "")
        }
        return (.success(checked), collected)
    }
}

/// Reads a model file, turning every way that can fail into a usage error that names the file.
public enum ModelFileReader {
    /// Why a model file could not be read.
    public struct ReadError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Files larger than this are refused before reading (a model file is a few kilobytes).
    public static let maxSize = 16 << 20

    public static func read(_ path: String) -> Result<SourceFile, ReadError> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .failure(ReadError(description: "no such file '\(path)'"))
        }
        if isDirectory.boolValue {
            return .failure(ReadError(description: "'\(path)' is a directory, not a model file"))
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return .failure(ReadError(description: "cannot read '\(path)'"))
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxSize + 1) ?? Data()  // nil: at the end already, an empty file
        } catch {
            return .failure(ReadError(description: "cannot read '\(path)'"))
        }
        if data.count > maxSize {
            return .failure(ReadError(description: "'\(path)' is larger than \(maxSize >> 20) MiB; is it a model file?"))
        }
        if data.isEmpty {
            return .failure(ReadError(description: "'\(path)' is empty; a model file needs at least a param and a minimize statement"))
        }
        // Text never holds a NUL byte; an executable, an image or a compressed file almost always does.
        if data.prefix(8192).contains(0) {
            return .failure(ReadError(description: "'\(path)' is a binary file, not a model file"))
        }
        return .success(SourceFile(path: path, bytes: [UInt8](data)))
    }
}
