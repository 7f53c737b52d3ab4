/// Parses `adjoint SUBCOMMAND [OPTIONS] FILE` (cli.md) and runs the subcommand. It lives here
/// rather than in the executable so that tests run the command line in process.
public enum CommandLineInterface {
    public static let version = "0.1.0"

    static let overview = """
        adjoint \(version): a symbolic differentiation compiler for small model files (.adj)

        usage: adjoint SUBCOMMAND [OPTIONS] MODEL.adj

        subcommands:
          derive    print the checked forward program with every shape

        options:
          --help       show help (also after a subcommand: adjoint derive --help)
          --version    print the version

        exit status: 0 success, 1 errors in the model file, 2 bad usage

        """

    static let deriveHelp = """
        usage: adjoint derive MODEL.adj

        Checks MODEL.adj and prints its forward program: each dim, const, input and param with its
        resolved shape, then one line per named value, as in
          h: [batch, 32] = relu(x @ W1 + b1)
        and the update rule with every hyper-parameter. Errors in the model file are printed as
        FILE:LINE:COL: error: MESSAGE [ID] with the line and a caret, and exit with status 1.

        options:
          --help    show this help

        """

    /// Runs the command line given without the program name.
    public static func run(_ arguments: [String]) -> CommandResult {
        guard let subcommand = arguments.first else {
            return CommandResult(errors: overview, status: 2)
        }
        let rest = Array(arguments.dropFirst())
        switch subcommand {
        case "--help", "-h", "help":
            return CommandResult(output: overview, status: 0)
        case "--version":
            return CommandResult(output: "adjoint \(version)\n", status: 0)
        case "derive":
            if rest.contains("--help") || rest.contains("-h") { return CommandResult(output: deriveHelp, status: 0) }
            switch singleFile(rest, subcommand: subcommand) {
            case .success(let path): return Commands.derive(path: path)
            case .failure(let error): return error.result
            }
        default:
            return .usage("unknown subcommand '\(subcommand)' (see 'adjoint --help')")
        }
    }

    struct UsageError: Error {
        var result: CommandResult
    }

    /// Exactly one model file and no options.
    private static func singleFile(_ arguments: [String], subcommand: String) -> Result<String, UsageError> {
        var files: [String] = []
        for argument in arguments {
            if argument.hasPrefix("-") && argument != "-" {
                return .failure(UsageError(result: .usage("unknown option '\(argument)' for '\(subcommand)' (see 'adjoint \(subcommand) --help')")))
            }
            files.append(argument)
        }
        guard files.count == 1 else {
            let problem = files.isEmpty ? "missing the model file" : "expected one model file, got \(files.count)"
            return .failure(UsageError(result: .usage("\(subcommand): \(problem) (usage: adjoint \(subcommand) MODEL.adj)")))
        }
        return .success(files[0])
    }
}
