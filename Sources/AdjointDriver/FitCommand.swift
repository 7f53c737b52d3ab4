import AdjointSema
import Foundation

/// What `adjoint fit` was asked to do.
public struct FitOptions: Sendable {
    /// Which engine trains.
    public enum Engine: String, Sendable {
        /// The C kernels when `cc` is on PATH, else the interpreter.
        case automatic = "auto"
        /// The generated C kernels, built with `cc` and loaded with `dlopen`.
        case c
        /// The reference interpreter, in double.
        case interpreter
    }

    /// The model file (`MODEL.adj`).
    public var modelPath: String
    /// `--data`: the training CSV.
    public var dataPath: String
    /// `--test`: the CSV evaluated after every epoch.
    public var testPath: String?
    /// `--epochs`: passes over the training data; 0 only evaluates.
    public var epochs = 20
    /// `--batch`: examples per step.
    public var batch = 32
    /// `--seed`: the initializers' seed, and (mixed with a constant) the shuffle's.
    public var seed: UInt64 = 0
    /// `--label`: the column that feeds the target.
    public var label = "label"
    /// `--normalize`: features to zero mean and unit variance, with the training set's statistics.
    public var normalize = false
    /// `--save`: where to write the trained params.
    public var savePath: String?
    /// `--load`: params to start from instead of the initializers.
    public var loadPath: String?
    /// `--plot`: where to write the loss curve as SVG.
    public var plotPath: String?
    /// `--engine`.
    public var engine = Engine.automatic

    /// The defaults of `adjoint fit --help` for a model and its training data.
    public init(modelPath: String, dataPath: String) {
        self.modelPath = modelPath
        self.dataPath = dataPath
    }
}

/// What a fit run produced, for callers that go on from it (tests, benchmarks).
struct FitOutcome {
    var engine: String
    var epochs: [FitEpoch]
    var params: [Double]
}

extension Commands {
    /// `adjoint fit MODEL.adj --data TRAIN.csv [--test TEST.csv] ...`: trains the model on a CSV,
    /// reporting each epoch on `display` as it ends. Exit status 1 for errors in the model file,
    /// 2 for bad usage (a CSV or params file that does not fit the model, an unwritable output).
    public static func fit(_ options: FitOptions) -> CommandResult {
        fit(options, display: .standardOutput()).result
    }

    static func fit(_ options: FitOptions, display: FitDisplay) -> (result: CommandResult, outcome: FitOutcome?) {
        let program: CheckedProgram
        let (loaded, warnings) = loadReportingWarnings(options.modelPath)
        switch loaded {
        case .success(let checked): program = checked
        case .failure(let failure): return (failure.result, nil)
        }
        do throws(FitUsageError) {
            let outcome = try FitRun(options: options, program: program).run(display: display)
            return (CommandResult(errors: warnings, status: 0), outcome)
        } catch {
            var result = CommandResult.usage("fit: \(error.description)")
            result.errors = warnings + result.errors
            return (result, nil)
        }
    }
}

/// One run of `adjoint fit`, from the checked model to the written files.
struct FitRun {
    var options: FitOptions
    var program: CheckedProgram

    func run(display: FitDisplay) throws(FitUsageError) -> FitOutcome {
        let model: FitModel
        do {
            model = try FitModel(program)
        } catch {
            throw FitUsageError(description: "\(options.modelPath): \(error.description)")
        }
        try checkOutputs()
        var train = try FitDataset.load(options.dataPath, model: model, labelColumn: options.label, progress: Self.readingProgress(options.dataPath))
        var test = try options.testPath.map { path throws(FitUsageError) in
            try FitDataset.load(path, model: model, labelColumn: options.label, progress: Self.readingProgress(path))
        }
        if options.normalize {
            let normalization = FitNormalization(train, featureCount: model.featureCount)
            normalization.apply(to: &train)
            if test != nil { normalization.apply(to: &test!) }
        }
        let loaded = try options.loadPath.map { path throws(FitUsageError) in try loadParams(path) }
        let maxRows = max(options.batch, train.rows, test?.rows ?? 0)
        let engine = try makeEngine(model, maxRows: maxRows, display: display)
        if let loaded { engine.params = loaded }

        display.line(
            "fit \(options.modelPath) with the \(engine.description) engine: \(train.rows) training examples"
                + (test.map { ", \($0.rows) test examples" } ?? "")
                + ", batches of \(options.batch), \(options.epochs) epochs, seed \(options.seed)"
                + (options.normalize ? ", features normalized" : ""))
        let training = FitTraining(
            engine: engine, model: model, train: train, test: test, epochs: options.epochs, batch: options.batch,
            seed: options.seed)
        let started = DispatchTime.now().uptimeNanoseconds
        let epochs = training.run(display: display)
        if let last = epochs.last {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            display.line(
                "final: " + last.measurements.joined(separator: "  ")
                    + String(format: "  (%d epochs in %.2f s with the %@ engine)", epochs.count, seconds, engine.name))
        } else {
            // `--epochs 0` evaluates the params as loaded (or initialized) without training.
            let record = training.evaluate(
                epoch: 0, trainLoss: engine.loss(features: train.features, targets: train.targets, rows: train.rows),
                examplesPerSecond: 0)
            display.line("without training: " + record.measurements.joined(separator: "  "))
        }
        let params = engine.params
        if let path = options.savePath {
            try Self.write(paramsFile(params).encoded(), to: path)
            display.line("wrote the params to \(path)")
        }
        if let path = options.plotPath {
            let title = "\(URL(fileURLWithPath: options.modelPath).lastPathComponent): loss per epoch"
            try Self.write(Data(FitPlot(title: title, epochs: epochs).svg().utf8), to: path)
            display.line("wrote the loss curve to \(path)")
        }
        return FitOutcome(engine: engine.description, epochs: epochs, params: params)
    }

    /// The model's params as the params file names them.
    var entries: [FitParamsFile.Entry] { program.params.map { .init(name: $0.name, sizes: $0.shape.sizes([:])) } }

    func paramsFile(_ values: [Double]) -> FitParamsFile {
        FitParamsFile(model: Commands.modelIdentifier(options.modelPath), entries: entries, values: values)
    }

    /// `--load`: the file's values, after checking that its params are the model's.
    func loadParams(_ path: String) throws(FitUsageError) -> [Double] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FitUsageError(description: "cannot read the params file '\(path)'")
        }
        let file = try FitParamsFile(decoding: data, path: path)
        let differences = file.differences(from: entries, model: Commands.modelIdentifier(options.modelPath))
        guard differences.isEmpty else {
            throw FitUsageError(
                description: "the params in '\(path)' (model '\(file.model)') do not match \(options.modelPath):\n  "
                    + differences.joined(separator: "\n  "))
        }
        return file.values
    }

    /// The engine the options ask for; `auto` falls back to the interpreter without `cc`.
    func makeEngine(_ model: FitModel, maxRows: Int, display: FitDisplay) throws(FitUsageError) -> any FitEngine {
        let compiler = CFitEngine.findCompiler()
        switch (options.engine, compiler) {
        case (.c, nil):
            throw FitUsageError(description: "--engine c needs a C compiler, and there is no 'cc' on PATH; use --engine interpreter")
        case (.c, let compiler?), (.automatic, let compiler?):
            return try CFitEngine(
                program, model: model, modelPath: options.modelPath, compiler: compiler, seed: options.seed,
                maxRows: maxRows)
        case (.automatic, nil), (.interpreter, _):
            if options.engine == .automatic { display.line("no C compiler ('cc') on PATH: training with the reference interpreter") }
            if let refusal = Commands.tooLarge(program, dims: [model.batchDim: maxRows]) {
                throw FitUsageError(description: String(refusal.errors.dropFirst("adjoint: error: ".count).dropLast()))
            }
            return InterpreterFitEngine(program, model: model, seed: options.seed)
        }
    }

    /// Refuses, before any training, an output that could not be written or would destroy
    /// something: a missing or read-only folder, a folder or a device (`/dev/full`) at the path,
    /// or a file that is one of the inputs (the model, `--data`, `--test`, `--load`) or the other
    /// output, compared by device and inode (so a link or a second spelling of the path is caught
    /// too), or by resolved path when the output does not exist yet.
    func checkOutputs() throws(FitUsageError) {
        let outputs = [("--save", options.savePath), ("--plot", options.plotPath)].compactMap { flag, path in path.map { (flag, $0) } }
        let inputs = [("the model", options.modelPath), ("--data", options.dataPath), ("--test", options.testPath), ("--load", options.loadPath)]
            .compactMap { role, path in path.map { (role, $0) } }
        var seen: [(role: String, identity: FileIdentity)] = inputs.map { ($0.0, FileIdentity($0.1)) }
        for (flag, path) in outputs {
            try Self.checkWritable(path)
            var status = stat()
            if stat(path, &status) == 0 {
                let kind = status.st_mode & S_IFMT
                if kind == S_IFDIR { throw FitUsageError(description: "\(flag) '\(path)' is a folder; give a file path") }
                guard kind == S_IFREG else {
                    throw FitUsageError(description: "\(flag) '\(path)' is not a regular file (a device, a pipe or a socket); give a file path")
                }
            }
            let identity = FileIdentity(path)
            if let same = seen.first(where: { $0.identity == identity }) {
                throw FitUsageError(description: "\(flag) '\(path)' is the same file as \(same.role); it would be overwritten")
            }
            seen.append((flag, identity))
        }
    }

    /// How far reading a CSV has got, on standard error when it is a terminal (a large file takes
    /// seconds; a log or a pipe gets no carriage returns). Nil when nothing is to be shown.
    static func readingProgress(_ path: String) -> ((Int, Int) -> Void)? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        return { done, total in
            let text = done >= total ? "\r\u{1B}[K" : String(format: "\rreading %@: %d%% of %.0f MB", path, done * 100 / max(total, 1), Double(total) / 1e6)
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    /// Writes an output whole or not at all, or says why it could not.
    static func write(_ data: Data, to path: String) throws(FitUsageError) {
        if case .failure(let error) = AtomicWriter.write(data, to: path) { throw FitUsageError(description: error.description) }
    }

    /// Refuses an output path whose folder is missing or read-only before any training, so that
    /// a long run does not end in a write error.
    static func checkWritable(_ path: String) throws(FitUsageError) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FitUsageError(description: "cannot write '\(path)': the folder '\(folder)' does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw FitUsageError(description: "cannot write '\(path)': the folder '\(folder)' is not writable")
        }
    }
}

/// Which file a path names: its device and inode when it exists, else its folder resolved
/// through links plus its name, so that `p` and `./p` are the same file before either exists.
struct FileIdentity: Equatable {
    private var device: UInt64 = 0
    private var inode: UInt64 = 0
    private var resolved = ""

    init(_ path: String) {
        var status = stat()
        if stat(path, &status) == 0 {
            device = UInt64(status.st_dev)
            inode = UInt64(status.st_ino)
            return
        }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        guard let real = realpath(folder, nil) else {
            resolved = url.standardizedFileURL.path
            return
        }
        defer { free(real) }
        resolved = String(cString: real) + "/" + url.lastPathComponent
    }
}
