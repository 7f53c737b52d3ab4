import Foundation

/// The random family: `normal([batch, 8])`, `uniform([4])` and the keep mask of `dropout(a, p)`
/// (`dropout(a, p)` is `a * mask`, so its derivative `c * mask` comes from the product's rule and
/// the mask needs none). Each draw is a leaf: it has no operands and no gradient. Its elements
/// come from a counter-based stream, a pure function of (seed, step, stream id, element index),
/// so the interpreter, the C and the Swift kernels compute the same numbers, bit for bit in
/// double, anywhere in any order: a kernel computes an element where it reads it, and the reverse
/// pass recomputes dropout's mask rather than storing it.
public struct RandomDraw: Hashable, Sendable {
    /// What one element is.
    public enum Distribution: Hashable, Sendable {
        /// `normal(SHAPE)`: a standard normal, by Box-Muller from two uniform draws.
        case normal
        /// `uniform(SHAPE)`: uniform in [0, 1).
        case uniform
        /// `dropout(a, p)`'s mask: `1 / (1 - p)` where a uniform draw is at least `p`, else 0.
        case keep(Double)
    }

    public var distribution: Distribution
    /// The draw's stream id: its order among the model file's random calls, from 0, so that two
    /// `normal([batch, 8])` calls differ and a draw keeps its numbers when the graph changes.
    public var stream: Int
    public var shape: Shape

    public init(_ distribution: Distribution, stream: Int, shape: Shape) {
        self.distribution = distribution
        self.stream = stream
        self.shape = shape
    }

    /// The spelling in the IR's text form and in formulas: `normal`, `uniform`, `dropout_mask`.
    public var name: String {
        switch distribution {
        case .normal: return "normal"
        case .uniform: return "uniform"
        case .keep: return "dropout_mask"
        }
    }

    /// The value `predict` uses for every element: a normal's mean 0, a uniform's 0.5, and a
    /// dropout mask of 1 (dropout is the identity outside training).
    public var predictValue: Double {
        switch distribution {
        case .normal: return 0
        case .uniform: return 0.5
        case .keep: return 1
        }
    }

    /// Element `index` (row-major) at `(seed, t)`, in double: what every kernel computes.
    public func element(_ index: Int, seed: UInt64, t: Int64) -> Double {
        let key = RandomDraw.key(seed: seed, t: t, stream: stream)
        switch distribution {
        case .uniform: return RandomDraw.uniform(key, UInt64(index))
        case .normal: return RandomDraw.normal(key, UInt64(index))
        case .keep(let p): return RandomDraw.uniform(key, UInt64(index)) >= p ? 1 / (1 - p) : 0
        }
    }

    /// Every element at `(seed, t)`.
    public func evaluate(dims: [String: Int], seed: UInt64, t: Int64) -> Tensor {
        let sizes = shape.sizes(dims)
        return Tensor(sizes: sizes, scalars: (0..<sizes.reduce(1, *)).map { element($0, seed: seed, t: t) })
    }

    // MARK: - The stream
    // The generated C and Swift spell these functions statement for statement
    // (`CPrinter.randomSupport`, `SwiftPrinter.randomSupport`); docs/kernels.md states them.

    /// SplitMix64's output function of the state `x` (the state advanced by the golden gamma,
    /// then the two multiply-xorshift rounds).
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The key of one draw at one step: `mix(mix(mix(seed) ^ t) ^ stream)`.
    public static func key(seed: UInt64, t: Int64, stream: Int) -> UInt64 {
        mix(mix(mix(seed) ^ UInt64(bitPattern: t)) ^ UInt64(stream))
    }

    /// Uniform in [0, 1) from counter `counter` of `key`: the top 53 bits of `mix(key ^ counter)`.
    public static func uniform(_ key: UInt64, _ counter: UInt64) -> Double {
        Double(mix(key ^ counter) >> 11) * 0x1.0p-53
    }

    /// A standard normal for element `index`: Box-Muller from the uniforms at counters `2 index`
    /// and `2 index + 1`, `sqrt(-2 ln(1 - u1)) cos(2 pi u2)`, as `NAME_init` draws its normals.
    public static func normal(_ key: UInt64, _ index: UInt64) -> Double {
        let u1 = uniform(key, 2 &* index)
        let u2 = uniform(key, 2 &* index &+ 1)
        return (-2 * Foundation.log(1 - u1)).squareRoot() * Foundation.cos(2 * 3.141592653589793 * u2)
    }
}

/// Where the stream stands for one evaluation: the seed (`NAME_state`'s `seed`, `--seed`) and the
/// update step `t` (the state's step count before the update).
public struct RandomStream: Hashable, Sendable {
    public var seed: UInt64
    public var t: Int64

    public init(seed: UInt64 = 0, t: Int64 = 0) {
        self.seed = seed
        self.t = t
    }
}

extension Graph {
    /// Whether any node draws from the stream.
    public var draws: Bool {
        nodes.contains { if case .leaf(.random) = $0.op { true } else { false } }
    }
}

// MARK: - IR text
extension RandomDraw {
    /// `stream=0 [batch, 8]`, `p=0.5 stream=1 [batch, 32]`: what follows the mnemonic.
    var irAttributes: String {
        if case .keep(let p) = distribution { return "p=\(p) stream=\(stream) \(shape)" }
        return "stream=\(stream) \(shape)"
    }

    /// The draw named `mnemonic` from its attribute words, or nil.
    static func parse(_ mnemonic: String, _ words: [String], shape: Shape) -> RandomDraw? {
        func value(_ word: String, _ name: String) -> String? {
            word.hasPrefix(name + "=") ? String(word.dropFirst(name.count + 1)) : nil
        }
        guard let streamText = words.last.flatMap({ value($0, "stream") }), let stream = Int(streamText), stream >= 0 else { return nil }
        switch mnemonic {
        case "normal": return RandomDraw(.normal, stream: stream, shape: shape)
        case "uniform": return RandomDraw(.uniform, stream: stream, shape: shape)
        default:
            guard words.count == 2, let p = value(words[0], "p").flatMap(Double.init), p >= 0, p < 1 else { return nil }
            return RandomDraw(.keep(p), stream: stream, shape: shape)
        }
    }
}

// MARK: - Notation
extension RandomDraw {
    /// The draw in printed formulas and comments: `normal_0`, `dropout_mask_1` (its name and
    /// stream id, since two draws of one shape are different tensors).
    public var formulaName: String { "\(name)_\(stream)" }
}

// MARK: - Built-in functions
extension RandomDraw {
    /// `normal(shape)`, `uniform(shape)` (a list literal of sizes, runtime dims allowed) and
    /// `dropout(a, p)`: version 2 built-ins, which a declaration of the name hides.
    static let builtins: [ShapeBuiltin] = [
        ShapeBuiltin("normal", [.init("shape", .sizes)]),
        ShapeBuiltin("uniform", [.init("shape", .sizes)]),
        ShapeBuiltin("dropout", [.init("a", .tensor), .init("p", .number)]),
    ]
}
