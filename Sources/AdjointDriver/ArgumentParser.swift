/// The options one subcommand accepts, and the parse of its arguments against them: exactly one
/// model file, each option known, values where an option needs one.
struct ArgumentParser {
    /// One `--name` option.
    struct Option {
        var name: String
        /// `--name VALUE` (or `--name=VALUE`) rather than a bare flag.
        var takesValue: Bool
        /// May appear more than once (`--wrt a --wrt b`).
        var repeatable = false
    }

    /// What the arguments said.
    struct Parsed {
        var file: String
        var values: [String: [String]] = [:]
        var flags: Set<String> = []

        func value(_ name: String) -> String? { values[name]?.last }
        func all(_ name: String) -> [String] { values[name] ?? [] }
        func has(_ name: String) -> Bool { flags.contains(name) }
    }

    var subcommand: String
    var options: [Option]

    /// The options this subcommand takes, `--help` last, for the message about one it does not:
    /// `the options are --wrt, --format, --update and --help`.
    var accepted: String {
        let names = options.map { "--" + $0.name } + ["--help"]
        if names.count == 1 { return "the only option is --help" }
        return "the options are " + names.dropLast().joined(separator: ", ") + " and " + names.last!
    }

    private func usage(_ message: String) -> CommandResult {
        .usage("\(subcommand): \(message) (see 'adjoint \(subcommand) --help')")
    }

    func parse(_ arguments: [String]) -> Result<Parsed, Commands.Failure> {
        var files: [String] = []
        var values: [String: [String]] = [:]
        var flags: Set<String> = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-") && argument != "-" else {
                files.append(argument)
                continue
            }
            var name = argument
            var inlineValue: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            guard let option = options.first(where: { "--" + $0.name == name }) else {
                return .failure(Commands.Failure(result: usage("unknown option '\(name)'; \(accepted)")))
            }
            if !option.takesValue {
                if inlineValue != nil {
                    return .failure(Commands.Failure(result: usage("'\(name)' takes no value")))
                }
                flags.insert(option.name)
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else if index < arguments.count {
                value = arguments[index]
                index += 1
            } else {
                return .failure(Commands.Failure(result: usage("'\(name)' needs a value")))
            }
            if !option.repeatable && values[option.name] != nil {
                return .failure(Commands.Failure(result: usage("'\(name)' given more than once")))
            }
            values[option.name, default: []].append(value)
        }
        guard files.count == 1 else {
            let problem = files.isEmpty ? "missing the model file" : "expected one model file, got \(files.count)"
            return .failure(Commands.Failure(result: usage(problem)))
        }
        return .success(Parsed(file: files[0], values: values, flags: flags))
    }
}
