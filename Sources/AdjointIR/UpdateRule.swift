/// The update rules of `minimize ... using RULE(...)`, with PyTorch's defaults.
public enum UpdateRuleKind: String, CaseIterable, Sendable {
    /// `p -= lr * g`
    case sgd
    /// `v = momentum * v + g; p -= lr * v` (or with Nesterov `p -= lr * (g + momentum * v)`)
    case momentum
    /// `s += g^2; p -= lr * g / (sqrt(s) + eps)`
    case adagrad
    /// `s = alpha * s + (1 - alpha) * g^2; p -= lr * g / (sqrt(s) + eps)`
    case rmsprop
    /// PyTorch's Adam, bias-corrected with the step count
    case adam
    /// PyTorch's AdamW: decoupled weight decay
    case adamw

    /// The hyper-parameters the rule takes, in the order they print.
    public var hyperParameters: [HyperParameter] {
        let lr = HyperParameter("lr", default: self == .adam || self == .adamw ? 0.001 : 0.01, .nonNegative)
        let decay = HyperParameter("weight_decay", default: self == .adamw ? 0.01 : 0, .nonNegative)
        let clip = HyperParameter("clip_norm", default: nil, .positive)
        switch self {
        case .sgd:
            return [lr, decay, clip]
        case .momentum:
            return [
                lr, HyperParameter("momentum", default: 0.9, .unitInterval),
                HyperParameter("nesterov", default: 0, .flag), decay, clip,
            ]
        case .adagrad:
            return [lr, HyperParameter("eps", default: 1e-10, .positive), clip]
        case .rmsprop:
            return [
                lr, HyperParameter("alpha", default: 0.99, .unitInterval), HyperParameter("eps", default: 1e-8, .positive),
                clip,
            ]
        case .adam, .adamw:
            return [
                lr, HyperParameter("beta1", default: 0.9, .unitInterval),
                HyperParameter("beta2", default: 0.999, .unitInterval), HyperParameter("eps", default: 1e-8, .positive),
                decay, clip,
            ]
        }
    }
}

/// One hyper-parameter of an update rule.
public struct HyperParameter: Sendable {
    /// The values a hyper-parameter may take.
    public enum Range: Sendable {
        /// `>= 0`
        case nonNegative
        /// `> 0`
        case positive
        /// `[0, 1)`
        case unitInterval
        /// `0` or `1`
        case flag

        public func contains(_ value: Double) -> Bool {
            switch self {
            case .nonNegative: return value >= 0
            case .positive: return value > 0
            case .unitInterval: return value >= 0 && value < 1
            case .flag: return value == 0 || value == 1
            }
        }

        /// For messages: `must be at least 0`.
        public var requirement: String {
            switch self {
            case .nonNegative: return "must be at least 0"
            case .positive: return "must be greater than 0"
            case .unitInterval: return "must be in [0, 1)"
            case .flag: return "must be 0 or 1"
            }
        }
    }

    public var name: String
    /// nil: absent unless given (`clip_norm`).
    public var defaultValue: Double?
    public var range: Range

    init(_ name: String, default value: Double?, _ range: Range) {
        self.name = name
        self.defaultValue = value
        self.range = range
    }
}

/// A checked update rule: its kind and every hyper-parameter's value, defaults filled in, in the
/// order of `UpdateRuleKind.hyperParameters`.
public struct UpdateRule: Hashable, Sendable, CustomStringConvertible {
    public var kind: UpdateRuleKind
    public var values: [Value]

    /// One hyper-parameter's value.
    public struct Value: Hashable, Sendable {
        public var name: String
        public var value: Double

        public init(name: String, value: Double) {
            self.name = name
            self.value = value
        }
    }

    public init(kind: UpdateRuleKind, values: [Value]) {
        self.kind = kind
        self.values = values
    }

    /// The rule with every default, as `minimize` without `using` gets for `sgd`.
    public static func defaults(_ kind: UpdateRuleKind) -> UpdateRule {
        UpdateRule(
            kind: kind,
            values: kind.hyperParameters.compactMap { parameter in
                parameter.defaultValue.map { Value(name: parameter.name, value: $0) }
            })
    }

    public subscript(_ name: String) -> Double? { values.first { $0.name == name }?.value }

    /// `adam(lr = 0.001, beta1 = 0.9, beta2 = 0.999, eps = 1e-08, weight_decay = 0)`.
    public var description: String {
        kind.rawValue + "(" + values.map { "\($0.name) = \(formatNumber($0.value))" }.joined(separator: ", ") + ")"
    }
}
