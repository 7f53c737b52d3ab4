import AdjointIR
import AdjointSema
import Foundation

/// SplitMix64, the generator docs/kernels.md fixes so that the interpreter and the C and Swift kernels
/// start from the same params for the same seed.
public struct SplitMix64: Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1): the top 53 bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal by Box-Muller on two uniform draws (one normal per pair).
    public mutating func normal() -> Double {
        let u1 = uniform()
        let u2 = uniform()
        return (-2 * Foundation.log(1 - u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}

extension CheckedProgram {
    /// Every param's initial value: its initializer drawn from SplitMix64 seeded with `seed`, each
    /// param in declaration order, its elements in row-major order.
    public func initialParams(seed: UInt64) -> [String: Tensor] {
        var random = SplitMix64(seed: seed)
        var values: [String: Tensor] = [:]
        for param in params {
            let sizes = param.shape.sizes([:])
            let count = sizes.reduce(1, *)
            let fanIn = sizes.count >= 2 ? Double(sizes[sizes.count - 2]) : 1
            let fanOut = sizes.count >= 2 ? Double(sizes[sizes.count - 1]) : 1
            let draw: (inout SplitMix64) -> Double
            switch param.initializer {
            case .constant(let value): draw = { _ in value }
            case .zeros: draw = { _ in 0 }
            case .ones: draw = { _ in 1 }
            case .normal(let mean, let std): draw = { mean + std * $0.normal() }
            case .uniform(let low, let high): draw = { low + (high - low) * $0.uniform() }
            case .glorot:
                let limit = (6 / (fanIn + fanOut)).squareRoot()
                draw = { -limit + 2 * limit * $0.uniform() }
            case .he:
                let std = (2 / fanIn).squareRoot()
                draw = { std * $0.normal() }
            }
            var scalars = [Double](repeating: 0, count: count)
            for index in 0..<count { scalars[index] = draw(&random) }
            values[param.name] = Tensor(sizes: sizes, scalars: scalars)
        }
        return values
    }
}
