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
            /// As `number`, and between 0 and 1.
            case fraction
            /// A flag: `true` or `false` (version 2), or `1` or `0` as version 1 writes flags; the
            /// bound value is 1 or 0. The checker reads it in one place (`compileTimeFlag`).
            case flag
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
        static func fraction(_ name: String, default value: Double) -> Parameter {
            Parameter(name: name, kind: .fraction, isOptional: true, defaultValue: value)
        }
        /// A flag that is false (0) when left out.
        static func flag(_ name: String) -> Parameter {
            Parameter(name: name, kind: .flag, isOptional: true, defaultValue: 0)
        }
    }

    public var name: String
    public var parameters: [Parameter]
    /// Makes the op from the constant arguments (by parameter name; defaults already applied).
    public var makeOp: @Sendable ([String: Double]) -> Op
    /// An op of one operand applied to the op's result, for a function that is two ops
    /// (`trace(a)` is `sum(diagonal(a))`); nil for most.
    public var then: Op?

    init(_ name: String, _ parameters: [Parameter], then: Op? = nil, makeOp: @escaping @Sendable ([String: Double]) -> Op) {
        self.name = name
        self.parameters = parameters
        self.then = then
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

// MARK: - Version 2 built-ins
/// A built-in function added in version 2 whose arguments are not only tensors and numbers: a
/// list of tensors (`concat([a, b])`), a shape (`reshape(x, [batch, -1])`), a size (`one_hot(ids,
/// 10)`), ids. Its signature is declared in its family's file and read by the checker for argument
/// binding and messages; the checker builds its ops from the operands' shapes (`stack` is
/// `expand_dims` of each operand, then `concat`). A model file may declare one of these names,
/// which hides the built-in for that file (version 1 files keep their meaning).
public struct ShapeBuiltin: Sendable {
    public struct Parameter: Sendable {
        /// What an argument must be.
        public enum Kind: Sendable, Equatable {
            /// Any tensor expression.
            case tensor
            /// An `int` tensor of ids.
            case ids
            /// A list literal of tensors: `[a, b, c]`.
            case tensors
            /// A list literal of sizes: integers, dim names, at most one `-1`.
            case sizes
            /// A size: an integer literal >= 1 or a dim name.
            case size
            /// An integer literal (negative counts from the end).
            case axis
            /// A list literal of integer literals: `axes = [0, 2, 1]`.
            case axes
            /// A number known at compile time (a literal or a `const`): `dropout`'s `p`.
            case number
            /// An integer literal or a list of them: a reduction's `axis = 1`, `axis = [0, 2]`.
            case axisOrAxes
            /// `true` or `false` (or 1 or 0, as version 1's flags): `keepdims = true`.
            case flag
        }

        public var name: String
        public var kind: Kind
        public var isOptional: Bool
        /// An axis's value when left out; nil for an optional parameter means "absent".
        public var defaultAxis: Int?

        public init(_ name: String, _ kind: Kind, isOptional: Bool = false, defaultAxis: Int? = nil) {
            self.name = name
            self.kind = kind
            self.isOptional = isOptional
            self.defaultAxis = defaultAxis
        }

        static func axis(_ name: String, default value: Int?) -> Parameter {
            Parameter(name, .axis, isOptional: true, defaultAxis: value)
        }
    }

    public var name: String
    public var parameters: [Parameter]

    public init(_ name: String, _ parameters: [Parameter]) {
        self.name = name
        self.parameters = parameters
    }
}

extension Builtin {
    /// The built-in functions version 2 added, by name. Unlike `all`, which stays reserved, a
    /// declaration may hide one of these.
    public static let version2: [String: ShapeBuiltin] = {
        let families = [
            Indexing.builtins, Structural.builtins, RandomDraw.builtins, Reduction.version2Builtins, Arithmetic.version2Builtins,
        ]
        return Dictionary(uniqueKeysWithValues: families.joined().map { ($0.name, $0) })
    }()

    /// The functions of tensors and numbers version 2 added (`gelu`, `erf`, `diag`), by name:
    /// bound like version 1's, but, like `version2`, hidden by a declaration of their name.
    public static let version2Functions: [String: Builtin] = {
        let families = [Elementwise.version2Builtins, LinearAlgebra.version2Builtins]
        return Dictionary(uniqueKeysWithValues: families.joined().map { ($0.name, $0) })
    }()

    /// The built-in numbers of version 2: `inf`, and `true` and `false` (1 and 0) where version 1
    /// took a flag. A declaration hides them as it hides `version2`'s functions.
    public static let version2Numbers: [String: Double] = ["inf": .infinity, "true": 1, "false": 0]

    /// Whether version 2 added the built-in `name` (a declaration of the name hides it).
    public static func isVersion2(_ name: String) -> Bool {
        version2[name] != nil || version2Functions[name] != nil || version2Numbers[name] != nil
    }

    /// Every built-in name of both versions, in alphabetical order (for suggestions).
    public static let allNames: [String] = (Array(all.keys) + Array(version2.keys) + Array(version2Functions.keys)).sorted()
}
