/// The options of `adjoint fit`, checked and passed on to `Commands.fit`.
extension CommandLineInterface {
    static let fitHelp = """
        usage: adjoint fit MODEL.adj --data TRAIN.csv [--test TEST.csv] [--epochs N] [--batch N]
                           [--seed N] [--label COLUMN] [--normalize] [--save PARAMS.bin]
                           [--load PARAMS.bin] [--plot CURVE.svg] [--engine auto|c|interpreter]

        Trains the model on a CSV file with the model's own update rule and reports, after each
        epoch, the training loss, the training and test accuracy (classification) or the test
        loss, and the examples per second; a progress bar shows on a terminal.

        The model needs exactly one runtime dim (the batch, the first axis of both inputs) and
        exactly two inputs, one of them the target of the minimized loss. The CSV's first line
        names the columns: the label column feeds the target (one-hot encoded when the target is
        [batch, classes] with classes >= 2: labels must be integers from 0 to classes - 1), the
        other columns feed the other input, in order. Fields may be quoted (RFC 4180); values are
        decimal numbers with an optional sign (3, -0.5, 1.5e-3), not hex, nan, inf or 1_000.
        Accuracy is the argmax of the first output of shape [batch, classes].

        The default engine compiles the kernels to C (double precision) with cc -O3 -march=native
        -fno-math-errno into a shared library and loads it; without cc on PATH, or with --engine
        interpreter, the reference interpreter trains (slower, the same numbers). Both start from
        the model's initializers drawn with --seed and see the same batches.

        options:
          --data FILE       the training CSV (required)
          --test FILE       a test CSV, evaluated after every epoch
          --epochs N        passes over the training data (default 20; 0 only evaluates)
          --batch N         examples per step (default 32; the last batch may be smaller)
          --seed N          the seed of the initializers, of the shuffle and of the random
                            stream of a model that draws (dropout, normal, uniform) (default 0)
          --label COLUMN    the label column (default label)
          --normalize       scale each feature to zero mean, unit variance (training statistics)
          --save FILE       write the trained params (format: docs/cli.md, "The params file");
                            --save and --plot must not name an input, each other or a folder
          --load FILE       start from params saved by --save instead of the initializers
          --plot FILE       write the loss curve per epoch (training and test) as SVG
          --engine E        auto (default), c or interpreter
          --error-limit N   stop after N errors in the model file (default 20; 0: no limit)
          --help            show this help

        """

    static let fitOptionList: [ArgumentParser.Option] = ["data", "test", "epochs", "batch", "seed", "label", "save", "load", "plot", "engine"]
        .map { ArgumentParser.Option(name: $0, takesValue: true) } + [ArgumentParser.Option(name: "normalize", takesValue: false)]

    /// Trains, reporting on standard output as it goes.
    static func fit(_ parsed: ArgumentParser.Parsed) -> CommandResult {
        switch fitOptions(parsed) {
        case .success(let options): return Commands.fit(options)
        case .failure(let failure): return failure.result
        }
    }

    /// The options checked: every number in range, `--data` given, the engine known.
    static func fitOptions(_ parsed: ArgumentParser.Parsed) -> Result<FitOptions, Commands.Failure> {
        func usage(_ message: String) -> Result<FitOptions, Commands.Failure> {
            .failure(Commands.Failure(result: .usage("fit: \(message) (see 'adjoint fit --help')")))
        }
        guard let data = parsed.value("data") else { return usage("missing --data TRAIN.csv") }
        var options = FitOptions(modelPath: parsed.file, dataPath: data)
        options.testPath = parsed.value("test")
        options.savePath = parsed.value("save")
        options.loadPath = parsed.value("load")
        options.plotPath = parsed.value("plot")
        options.normalize = parsed.has("normalize")
        if let label = parsed.value("label") {
            guard !label.isEmpty else { return usage("--label needs a column name") }
            options.label = label
        }
        if let text = parsed.value("epochs") {
            guard let value = Int(text), value >= 0, value <= 1_000_000 else {
                return usage("--epochs needs an integer from 0 to 1000000, got '\(text)'")
            }
            options.epochs = value
        }
        if let text = parsed.value("batch") {
            guard let value = Int(text), value >= 1, value <= 1 << 20 else {
                return usage("--batch needs an integer from 1 to 1048576, got '\(text)'")
            }
            options.batch = value
        }
        if let text = parsed.value("seed") {
            guard let value = UInt64(text) else { return usage("--seed needs a non-negative integer, got '\(text)'") }
            options.seed = value
        }
        if let text = parsed.value("engine") {
            guard let engine = FitOptions.Engine(rawValue: text) else {
                return usage("unknown engine '\(text)' (expected auto, c or interpreter)")
            }
            options.engine = engine
        }
        return .success(options)
    }
}
