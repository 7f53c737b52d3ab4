/// A built-in function as model files call it: its name, its parameters in order, and how the
/// bound constant arguments make the op.
public struct Builtin: Sendable {
    /// One parameter of a built-in function.
    public struct Parameter: Sendable {
        /// What an argument must be.
        public enum Kind: Sendable, Equatable {
            /// Any tensor expression.
            case tensor
            /// An integer literal (negative counts from the end).
            case axis
            /// A number known at compile time (a literal or a `const`).
            case number
            /// As `number`, and greater than 0.
            case positiveNumber
        }

        public var name: String
        public var kind: Kind
        /// Whether the argument may be left out.
        public var isOptional: Bool
        /// The value when left out (nil for an optional parameter means "absent", as `sum`'s axis).
        public var defaultValue: Double?

        static func tensor(_ name: String) -> Parameter {
            Parameter(name: name, kind: .tensor, isOptional: false, defaultValue: nil)
        }
        static func axis(_ name: String, default value: Double?) -> Parameter {
            Parameter(name: name, kind: .axis, isOptional: true, defaultValue: value)
        }
        static func number(_ name: String, default value: Double) -> Parameter {
            Parameter(name: name, kind: .number, isOptional: true, defaultValue: value)
        }
        static func positiveNumber(_ name: String, default value: Double) -> Parameter {
            Parameter(name: name, kind: .positiveNumber, isOptional: true, defaultValue: value)
        }
    }

    public var name: String
    public var parameters: [Parameter]
    /// Makes the op from the constant arguments (by parameter name; defaults already applied).
    public var makeOp: @Sendable ([String: Double]) -> Op

    init(_ name: String, _ parameters: [Parameter], makeOp: @escaping @Sendable ([String: Double]) -> Op) {
        self.name = name
        self.parameters = parameters
        self.makeOp = makeOp
    }

    /// How many arguments it takes, for messages: `2 arguments (pred, target)`, `1 to 2 arguments (a, axis)`.
    public var arityDescription: String {
        let required = parameters.filter { !$0.isOptional }.count
        let names = "(" + parameters.map(\.name).joined(separator: ", ") + ")"
        let count = required == parameters.count ? "\(required)" : "\(required) to \(parameters.count)"
        return "\(count) argument\(parameters.count == 1 ? "" : "s") \(names)"
    }

    /// Every built-in function, by name.
    public static let all: [String: Builtin] = {
        let families = [
            Elementwise.builtins, Arithmetic.builtins, Reduction.builtins, Normalizer.builtins,
            LinearAlgebra.builtins, Loss.builtins,
        ]
        return Dictionary(uniqueKeysWithValues: families.joined().map { ($0.name, $0) })
    }()

    /// Built-in names in alphabetical order (for suggestions and messages).
    public static let names: [String] = all.keys.sorted()
}
