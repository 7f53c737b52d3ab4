/// How a param's elements start out (`param W: [64, 32] = he`).
public enum Initializer: Hashable, Sendable, CustomStringConvertible {
    /// `= 0.5`: every element
    case constant(Double)
    /// `= zeros`, `= ones`
    case zeros, ones
    /// `= normal(mean, std)`
    case normal(mean: Double, std: Double)
    /// `= uniform(low, high)`
    case uniform(low: Double, high: Double)
    /// `= glorot`: uniform in ±sqrt(6 / (fan_in + fan_out))
    case glorot
    /// `= he`: normal with std sqrt(2 / fan_in)
    case he

    /// The names an initializer may have in a model file, with their parameter names.
    public static let signatures: [String: [String]] = [
        "zeros": [], "ones": [], "glorot": [], "he": [], "normal": ["mean", "std"], "uniform": ["low", "high"],
    ]

    /// What a param gets with no `= INIT`: zeros for rank <= 1, glorot for rank >= 2.
    public static func defaultFor(_ shape: Shape) -> Initializer { shape.rank >= 2 ? .glorot : .zeros }

    /// Whether it needs fan-in and fan-out, the last two sizes of a rank >= 2 shape.
    public var needsFans: Bool { self == .glorot || self == .he }

    /// The form a model file would use: `he`, `normal(0, 0.01)`, `-2`.
    public var description: String {
        switch self {
        case .constant(let value): return formatNumber(value)
        case .zeros: return "zeros"
        case .ones: return "ones"
        case .normal(let mean, let std): return "normal(\(formatNumber(mean)), \(formatNumber(std)))"
        case .uniform(let low, let high): return "uniform(\(formatNumber(low)), \(formatNumber(high)))"
        case .glorot: return "glorot"
        case .he: return "he"
        }
    }
}

/// A number as a person writes it: `2`, `0.001`, `-10`, `1e-08`; integers without `.0`.
public func formatNumber(_ value: Double) -> String {
    if value.isFinite, value == value.rounded(), Swift.abs(value) < 1e15 {
        return String(Int64(value))
    }
    return "\(value)"
}
