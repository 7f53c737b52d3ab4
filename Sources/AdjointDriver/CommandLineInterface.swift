/// Parses `adjoint SUBCOMMAND [OPTIONS] FILE` (docs/cli.md) and runs the subcommand. It lives here
/// rather than in the executable so that tests run the command line in process.
public enum CommandLineInterface {
    public static let version = "0.1.0"

    static let overview = """
        adjoint \(version): a symbolic differentiation compiler for small model files (.adj)

        usage: adjoint SUBCOMMAND MODEL.adj [OPTIONS]

        subcommands:
          derive    the forward program with shapes, the adjoint program, the closed-form
                    gradients, their values at declared values and the flop counts
          eval      the loss (and gradients) in the double-precision reference interpreter
          check     reverse mode against central finite differences
          graph     the computation graph in Graphviz DOT
          compile   the kernels as C source (NAME.h, NAME.c)
          fit       trains the model on a CSV file (C kernels or the interpreter)

        options:
          --help       show help (also after a subcommand: adjoint derive --help)
          --version    print the version

        Every subcommand also takes --error-limit N: it stops after N errors in the model file
        (default 20; 0: no limit) and says so in a last line. Errors and warnings go to standard
        error as they are found; warnings (a param the loss does not use) change nothing else.

        exit status: 0 success, 1 errors in the model file (or a failed check), 2 bad usage

        """

    static let deriveHelp = """
        usage: adjoint derive MODEL.adj [--wrt NAME]... [--format text|latex|json] [--update]

        Checks MODEL.adj and prints:
          - the forward program: each dim, const, input and param with its shape, then one line
            per named value, as in  h: [batch, 32] = relu(x @ W1 + b1)
          - the reverse-mode adjoint program, one line per adjoint
          - the closed-form gradient of the minimized scalar with respect to each param, shared
            subexpressions bound by name (`where δ₁ = ...`)
          - when every param is `= NUMBER` and there are no inputs, the loss and gradients there
          - the flops of the forward pass and of the reverse pass, and their ratio
          - with --update, the update rule's formulas: each step's t <- t + 1, then for every
            param its state (velocity, sums of squares, moments) and its new value
        Errors in the model file print as FILE:LINE:COL: error: MESSAGE [ID] with the line and a
        caret, and exit with status 1.

        options:
          --wrt NAME        only the gradient with respect to param NAME (repeatable)
          --format FORMAT   text (default), latex (the closed forms as an align* block) or json
          --update          also print the update rule's formulas
          --error-limit N   stop after N errors in the model file (default 20; 0: no limit)
          --help            show this help

        """

    static let evalHelp = """
        usage: adjoint eval MODEL.adj --values VALUES.json [--gradient] [--step | --steps N] [--seed N]

        Runs the model in the reference interpreter (double precision) and prints JSON:
          {"loss": L}  or with --gradient  {"gradient": {"W1": [...], ...}, "loss": L}
        each tensor a flat row-major list. With --step (or --steps N) it also runs one (or N)
        training steps of the model's update rule on the same inputs, from zero state, and adds
          "losses": [the loss before each step], "params": {after the steps},
          "state": {the update rule's state after the steps, "t" the step count} VALUES.json is
          {"dims": {"batch": 4}, "params": {"W1": [...]}, "inputs": {"x": [...], "y": [...]}}
        Every runtime dim and input must be given; a param left out takes its initializer's value
        with seed 0. An unknown name, a missing input or a list of the wrong length is an error
        that names it (exit 2); malformed JSON is an error at its LINE:COLUMN. JSON has no
        infinity or NaN: they print as the strings "inf", "-inf" and "nan", and VALUES.json may
        hold those strings wherever it holds a number.

        options:
          --values FILE   the values to evaluate at (required)
          --gradient      also print the gradient of the loss with respect to every param
          --step          apply one update (the model's `using` rule) and print the new params
          --steps N       apply N updates (1 to 1000000) from the same values
          --seed N        the random stream's seed (default 0) for a model that draws (dropout,
                          normal, uniform): the loss and gradient draw at step 0, each step anew
          --error-limit N  stop after N errors in the model file (default 20; 0: no limit)
          --help          show this help

        """

    static let checkHelp = """
        usage: adjoint check MODEL.adj [--seed N] [--dim NAME=SIZE]... [--values VALUES.json]

        Gradient check: compares the reverse-mode gradient of every param with finite differences
        in double precision, with params at their initializers (seeded) and inputs drawn uniformly
        from (0.1, 0.9), or at the params and inputs of a values file. At most 16 elements per
        param, chosen by the seed, are differenced. Each is differenced at the steps
        h = 1e-2 max(1, |θ|), h/2, h/4, ... and extrapolated (Richardson); the difference comes with
        a bound on its own error: the change one more halving makes plus the loss's rounding noise
        (measured at the point) over the step. An element passes when
          |reverse − difference| <= 1e-6 scale + bound
        where scale is the largest gradient magnitude among the param's checked elements (at least
        1e-3). Each param's line shows its worst |reverse − difference| / scale and what that element
        was allowed. Exits 1 if any element fails, or if no step makes some element's difference
        accurate to 1e-4 of the scale (a kink, or a loss too noisy to difference: say so with
        --values at a better point).

        options:
          --seed N          the random seed (default 0): params, inputs, the elements checked, and
                            the random stream of a model that draws (held fixed while differencing)
          --dim NAME=SIZE   the size of runtime dim NAME (default 3, 4, ... in declaration order)
          --values FILE     check at these dims, params and inputs (the format of adjoint eval
                            --values; a param left out takes its initializer's value with seed 0)
          --error-limit N   stop after N errors in the model file (default 20; 0: no limit)
          --help            show this help

        """

    static let graphHelp = """
        usage: adjoint graph MODEL.adj [--backward]

        Prints the computation graph in Graphviz DOT (render with `dot -Tsvg`): inputs and params
        as boxes, every op as a node with its name and shape, edges from operands to users.

        options:
          --backward        also the adjoint graph of the reverse pass, shaded, with each gradient named
          --error-limit N   stop after N errors in the model file (default 20; 0: no limit)
          --help            show this help

        """

    static let compileHelp = """
        usage: adjoint compile MODEL.adj --emit c|swift [-o DIR] [--name NAME] [--precision float|double] [--blas] [--force]

        Writes the model's kernels (docs/kernels.md). --emit c: dependency-free C99, NAME.h and NAME.c
        with the params, grads and state structs, NAME_init (the initializers, SplitMix64),
        NAME_state_init, NAME_workspace_size, NAME_loss, NAME_gradient, NAME_apply, NAME_step
        (forward, reverse pass and update fused) and, when the model has outputs, NAME_predict.
        --emit swift: NAME.swift with `public struct Name` (UpperCamelCase) holding the params and
        the update state, with init(seed:), loss, gradient, apply, step and predict. Each file is
        written whole or not at all; the paths written are printed, then the workspace size. A file
        in the way is replaced only if adjoint generated it from a model of the same file name (its
        first line says so); anything else (your own main.c, another model's output of the same
        name) is a usage error naming it, and nothing is written, unless --force.

        options:
          --emit c|swift      the language
          -o DIR, --output DIR  the folder to write into (default: the current folder)
          --name NAME         the prefix of every symbol (default: the model file's name)
          --precision P       float (default) or double
          --blas              with --emit c: large matrix products (2^19 multiply-adds or more, a
                              runtime dim counted as 64) call cblas_sgemm or cblas_dgemm; the C then
                              includes <cblas.h> and needs a CBLAS (-lopenblas, MKL, Accelerate).
                              Off by default: the C needs only the standard library. A usage error
                              with --emit swift
          --force             replace files in the way even if adjoint did not generate them from
                              this model
          --error-limit N     stop after N errors in the model file (default 20; 0: no limit)
          --help              show this help

        """

    /// Runs the command line given without the program name. With `diagnosticStream`, the model
    /// file's errors and warnings go there one at a time as they are rendered (the `adjoint`
    /// executable writes them to standard error at once); without it they end up in the result's
    /// `errors`.
    public static func run(_ arguments: [String], diagnosticStream: (@Sendable (String) -> Void)? = nil) -> CommandResult {
        guard let subcommand = arguments.first else {
            return CommandResult(errors: overview, status: 2)
        }
        let rest = Array(arguments.dropFirst())
        let help: String
        let options: [ArgumentParser.Option]
        let body: (ArgumentParser.Parsed) -> CommandResult
        switch subcommand {
        case "--help", "-h", "help":
            return CommandResult(output: overview, status: 0)
        case "--version":
            return CommandResult(output: "adjoint \(version)\n", status: 0)
        case "derive":
            help = deriveHelp
            options = [
                .init(name: "wrt", takesValue: true, repeatable: true), .init(name: "format", takesValue: true),
                .init(name: "update", takesValue: false),
            ]
            body = derive
        case "eval":
            help = evalHelp
            options = [
                .init(name: "values", takesValue: true), .init(name: "gradient", takesValue: false),
                .init(name: "step", takesValue: false), .init(name: "steps", takesValue: true),
                .init(name: "seed", takesValue: true),
            ]
            body = eval
        case "check":
            help = checkHelp
            options = [
                .init(name: "seed", takesValue: true), .init(name: "dim", takesValue: true, repeatable: true),
                .init(name: "values", takesValue: true),
            ]
            body = check
        case "graph":
            help = graphHelp
            options = [.init(name: "backward", takesValue: false)]
            body = { Commands.graph(path: $0.file, backward: $0.has("backward")) }
        case "compile":
            help = compileHelp
            options = [
                .init(name: "emit", takesValue: true), .init(name: "output", takesValue: true),
                .init(name: "name", takesValue: true), .init(name: "precision", takesValue: true),
                .init(name: "blas", takesValue: false), .init(name: "force", takesValue: false),
            ]
            body = compile
        case "fit":
            help = fitHelp
            options = fitOptionList
            body = fit
        default:
            return .usage("unknown subcommand '\(subcommand)' (see 'adjoint --help')")
        }
        if rest.contains("--help") || rest.contains("-h") { return CommandResult(output: help, status: 0) }
        // `-o DIR` is the short form of `--output DIR`.
        let arguments = subcommand == "compile" ? rest.map { $0 == "-o" ? "--output" : $0 } : rest
        // Every subcommand reads a model file, so every one takes the error limit.
        let parser = ArgumentParser(subcommand: subcommand, options: options + [.init(name: "error-limit", takesValue: true)])
        switch parser.parse(arguments) {
        case .success(let parsed):
            var diagnostics = Commands.DiagnosticOptions(stream: diagnosticStream)
            if let text = parsed.value("error-limit") {
                guard let limit = Int(text), limit >= 0 else {
                    return .usage("\(subcommand): --error-limit needs a non-negative integer (0: no limit), got '\(text)'")
                }
                diagnostics.errorLimit = limit
            }
            return Commands.$diagnosticOptions.withValue(diagnostics) { body(parsed) }
        case .failure(let failure): return failure.result
        }
    }

    private static func derive(_ parsed: ArgumentParser.Parsed) -> CommandResult {
        var format = Derivation.Format.text
        if let name = parsed.value("format") {
            guard let chosen = Derivation.Format(rawValue: name) else {
                return .usage("derive: unknown format '\(name)' (expected text, latex or json)")
            }
            format = chosen
        }
        return Commands.derive(path: parsed.file, wrt: parsed.all("wrt"), format: format, update: parsed.has("update"))
    }

    private static func eval(_ parsed: ArgumentParser.Parsed) -> CommandResult {
        guard let values = parsed.value("values") else {
            return .usage("eval: missing --values VALUES.json (see 'adjoint eval --help')")
        }
        var steps = parsed.has("step") ? 1 : 0
        if let text = parsed.value("steps") {
            guard !parsed.has("step") else { return .usage("eval: give --step or --steps N, not both") }
            guard let count = Int(text), count >= 1, count <= 1_000_000 else {
                return .usage("eval: --steps needs an integer from 1 to 1000000, got '\(text)'")
            }
            steps = count
        }
        var seed: UInt64 = 0
        if let text = parsed.value("seed") {
            guard let value = UInt64(text) else { return .usage("eval: --seed needs a non-negative integer, got '\(text)'") }
            seed = value
        }
        return Commands.eval(path: parsed.file, valuesPath: values, gradient: parsed.has("gradient"), steps: steps, seed: seed)
    }

    private static func check(_ parsed: ArgumentParser.Parsed) -> CommandResult {
        var seed: UInt64 = 0
        if let text = parsed.value("seed") {
            guard let value = UInt64(text) else {
                return .usage("check: --seed needs a non-negative integer, got '\(text)'")
            }
            seed = value
        }
        var dims: [String: Int] = [:]
        for assignment in parsed.all("dim") {
            let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let size = Int(parts[1]), size >= 1, size <= 1 << 16 else {
                return .usage("check: --dim needs NAME=SIZE with a size from 1 to 65536, got '\(assignment)'")
            }
            guard dims[parts[0]] == nil else { return .usage("check: --dim \(parts[0]) given more than once") }
            dims[parts[0]] = size
        }
        return Commands.check(path: parsed.file, seed: seed, dims: dims, valuesPath: parsed.value("values"))
    }
}
