import AdjointAutodiff
import AdjointIR
import AdjointSema
import Foundation

/// Compares the reverse-mode gradient with finite differences in double precision, allowing each
/// difference exactly the error it can be shown to have.
///
/// A plain central difference with one fixed step is wrong by round-off (the loss's own rounding
/// noise divided by the step) plus truncation (the step squared times the third derivative). A
/// 25-step RNN with a loss of 100 has enough noise that h = 1e-5 is off by 1e-9, more than 1e-6 of
/// a small gradient; a loss that adds -1e9 to masked logits has noise near 1e-7. So the check
/// measures the noise, differences each element at a halving sequence of steps, extrapolates
/// (Richardson), and takes from that sequence both the estimate and a bound on its error. An
/// element passes when reverse mode is within that bound plus `tolerance` of the gradient's scale;
/// the bound itself must stay below `maximumDifferenceError` of the scale, so that a point where
/// the differences say nothing (a kink inside every step, noise larger than the gradient) fails
/// rather than passing a wrong gradient.
public enum GradientCheck {
    /// How one param fared.
    public struct Report: Sendable {
        public var param: String
        /// max |reverse − difference| over the checked elements, divided by the param's `scale`.
        public var worstRelativeError: Double
        /// What the element with the largest error-to-allowance ratio was allowed, relative to
        /// the scale: `tolerance` plus its difference's error bound.
        public var allowedRelativeError: Double
        /// The largest error bound of a checked element's difference, relative to the scale.
        public var differenceError: Double
        /// The larger of `absoluteFloor` and the largest magnitude of either gradient over the
        /// checked elements: a vanishing gradient is compared absolutely rather than amplifying noise.
        public var scale: Double
        public var checkedElements: Int
        public var totalElements: Int
        /// Every checked element within its allowance, and every difference accurate enough to judge.
        public var passed: Bool
        /// The differences are too inaccurate (bound above `maximumDifferenceError`) at some element.
        public var inconclusive: Bool { !(differenceError <= GradientCheck.maximumDifferenceError) }
    }

    /// Gradients smaller than this are compared absolutely.
    public static let absoluteFloor = 1e-3
    /// The error `adjoint check` allows beyond the differences' own bound, relative to the scale.
    public static let tolerance = 1e-6
    /// The largest bound on a difference's error, relative to the scale, that still judges a
    /// gradient: a factor of 2, a wrong sign or a dropped term is off by far more.
    public static let maximumDifferenceError = 1e-4
    /// The first step, times max(1, |θ|); each later one is half the one before.
    public static let firstStep = 1e-2
    /// The most steps per element (down to 1e-2 / 2^13 ≈ 1.2e-6).
    public static let maximumSteps = 14

    // MARK: Points

    /// Params at their initial values (seeded) and inputs drawn uniformly from (0.1, 0.9) (inside
    /// the domain of log, sqrt and the probability losses); an input that is the target of
    /// `softmax_cross_entropy` has each row scaled to sum to 1, the loss's precondition. An `int`
    /// input is drawn uniformly from the ids valid for every op that reads it (0, 1 or 2 when
    /// none does).
    public static func randomBindings(_ program: CheckedProgram, seed: UInt64, dims: [String: Int]) -> [String: Tensor] {
        var bindings = program.initialParams(seed: seed)
        var random = SplitMix64(seed: seed ^ 0x5EED)
        let graph = program.forwardGraph().graph
        let distributions = distributionInputs(graph)
        let idBounds = Interpreter.idBounds(graph, dims: dims)
        for input in program.inputs {
            let sizes = input.shape.sizes(dims)
            if input.element == .int {
                let bound = UInt64(max(idBounds[input.name] ?? 3, 1))
                bindings[input.name] = Tensor(sizes: sizes, scalars: (0..<sizes.reduce(1, *)).map { _ in Double(random.next() % bound) })
                continue
            }
            var value = Tensor(sizes: sizes, scalars: (0..<sizes.reduce(1, *)).map { _ in 0.1 + 0.8 * random.uniform() })
            if distributions.contains(input.name) { value = value.normalizingRows() }
            bindings[input.name] = value
        }
        return bindings
    }

    /// Checks every param at `randomBindings`. Params with more than `elementsPerParam` elements
    /// are checked at that many elements, chosen by the seed.
    public static func run(
        _ program: CheckedProgram, seed: UInt64, dims: [String: Int], elementsPerParam: Int = 16
    ) -> [Report] {
        run(
            ReverseMode.differentiate(program.forwardGraph()), bindings: randomBindings(program, seed: seed, dims: dims),
            dims: dims, seed: seed, elementsPerParam: elementsPerParam)
    }

    /// The loss at `bindings`, with the random stream of `seed` at step 0 (the value `run`
    /// differences): a check is meaningful only where it is finite.
    public static func loss(
        _ gradient: GradientProgram, bindings: [String: Tensor], dims: [String: Int], seed: UInt64
    ) -> Double {
        Interpreter.evaluate(gradient.forward.graph, bindings: bindings, dims: dims, stream: RandomStream(seed: seed))[
            gradient.forward.loss]!.scalar
    }

    /// Checks `gradient`'s reverse mode at the given params and inputs; the seed chooses the
    /// sampled elements and the direction the loss's noise is measured along, and seeds the random
    /// stream, whose draws (at step 0) stay fixed while the loss is differenced.
    public static func run(
        _ gradient: GradientProgram, bindings: [String: Tensor], dims: [String: Int], seed: UInt64,
        elementsPerParam: Int = 16
    ) -> [Report] {
        let stream = RandomStream(seed: seed)
        let reverse = Interpreter.evaluate(gradient.graph, bindings: bindings, dims: dims, stream: stream)
        let lossGraph = gradient.forward.graph
        let lossNode = gradient.forward.loss
        let loss = { (bindings: [String: Tensor]) in
            Interpreter.evaluate(lossGraph, bindings: bindings, dims: dims, stream: stream)[lossNode]!.scalar
        }
        var random = SplitMix64(seed: seed ^ 0xC4EC)
        let noise = noiseLevel(loss, at: bindings, params: gradient.gradients.map(\.param), random: &random)
        return gradient.gradients.map { param, node in
            let analytic = reverse[node]!.scalars
            let count = analytic.count
            var elements = Array(0..<count)
            if count > elementsPerParam {
                // Distinct elements: the first steps of a Fisher–Yates shuffle.
                for index in 0..<elementsPerParam {
                    elements.swapAt(index, index + Int(random.next() % UInt64(count - index)))
                }
                elements = Array(elements.prefix(elementsPerParam))
            }
            // Stop refining a difference once it is this accurate: the scale can only grow.
            let enough = tolerance * analytic.reduce(absoluteFloor) { max($0, abs($1)) }
            let differences = elements.map { element in
                difference(loss, at: bindings, param: param, element: element, noise: noise, enough: enough)
            }
            var scale = absoluteFloor
            for (element, difference) in zip(elements, differences) {
                scale = max(scale, abs(analytic[element]), abs(difference.estimate))
            }
            var worst = 0.0
            var worstRatio = 0.0
            var allowed = tolerance
            var differenceError = 0.0
            for (element, difference) in zip(elements, differences) {
                let error = abs(analytic[element] - difference.estimate) / scale
                let bound = difference.bound / scale
                let ratio = error / (tolerance + bound)
                // `!(x <= y)` keeps a NaN: it must fail the check, not hide.
                if !(error <= worst) { worst = error }
                if !(bound <= differenceError) { differenceError = bound }
                if !(ratio <= worstRatio) {
                    worstRatio = ratio
                    allowed = tolerance + bound
                }
            }
            return Report(
                param: param, worstRelativeError: worst, allowedRelativeError: allowed, differenceError: differenceError,
                scale: scale, checkedElements: elements.count, totalElements: count,
                passed: worstRatio <= 1 && differenceError <= maximumDifferenceError)
        }
    }

    // MARK: Differences

    /// A finite-difference derivative and a bound on its error.
    struct Difference {
        var estimate: Double
        var bound: Double
    }

    /// ∂loss/∂θ for one element θ. Central differences D_k at steps h_k = h₀/2^k, extrapolated
    /// (Richardson) to R_k = (4 D_k − D_{k−1}) / 3, whose truncation error is O(h⁴). The bound of
    /// R_k is |R_k − R_{k−1}| (the change a halving makes, about 15 times R_k's own h⁴ error, and
    /// large where a step crosses a kink; |D_1 − D_0| for R_1) plus its round-off. Halving goes on until the bound is
    /// `enough`, or the round-off alone exceeds the best bound so far (it only grows as h shrinks);
    /// the R_k with the smallest bound is returned.
    static func difference(
        _ loss: ([String: Tensor]) -> Double, at bindings: [String: Tensor], param: String, element: Int,
        noise: Double, enough: Double
    ) -> Difference {
        var point = bindings
        let value = bindings[param]!.scalars[element]
        func central(_ h: Double) -> Double {
            let plus = value + h
            let minus = value - h
            point[param]!.scalars[element] = plus
            let up = loss(point)
            point[param]!.scalars[element] = minus
            let down = loss(point)
            point[param]!.scalars[element] = value
            // The steps taken, not the steps asked for: θ ± h rounds.
            return (up - down) / (plus - minus)
        }
        let first = firstStep * max(1, abs(value))
        var differences = [central(first)]
        var extrapolated: [Double] = [differences[0]]  // R_0 is D_0: nothing to extrapolate from yet
        var best = Difference(estimate: differences[0], bound: .infinity)
        for k in 1..<maximumSteps {
            let h = first / Double(1 << k)
            differences.append(central(h))
            extrapolated.append((4 * differences[k] - differences[k - 1]) / 3)
            // The first halving's change |D_1 − D_0| is 3/4 of D_0's h² error, far more than R_1's
            // h⁴ error: a bound that lets a smooth loss stop after four losses.
            let change = k == 1 ? abs(differences[1] - differences[0]) : abs(extrapolated[k] - extrapolated[k - 1])
            // D_k's round-off is at most noise / h_k (two losses, each off by noise, over 2 h_k);
            // R_k's is (4 noise / h_k + noise / h_{k−1}) / 3 = 1.5 noise / h_k.
            let roundOff = 1.5 * noise / h
            var bound = change + roundOff
            if !bound.isFinite { bound = .infinity }  // a NaN loss (a step out of log's domain) says nothing
            if bound < best.bound { best = Difference(estimate: extrapolated[k], bound: bound) }
            if best.bound <= enough || roundOff > best.bound { break }
        }
        return best
    }

    /// The loss's rounding noise near `bindings`: the standard deviation of its deviation from a
    /// smooth function, estimated from high-order differences of the loss at nine points along a
    /// random direction that moves every param by a fraction `spacing` of max(1, |θ|) per point
    /// (Hamming's difference table, as in Moré and Wild's ECnoise). For independent noise of
    /// deviation σ the k-th difference has variance σ² (2k)!/(k!)², while the smooth part of the
    /// loss contributes a k-th derivative times the spacing to the k-th power, far below rounding
    /// for k ≥ 4. Two spacings: at 1e-8 every intermediate's rounding changes from point to point;
    /// at 1e-6 so does that of an intermediate much larger than the params (a logit minus 1e9),
    /// whose rounding is a staircase wider than 1e-8. Three times the largest estimate is returned,
    /// a bound that a loss's rounding rarely exceeds.
    static func noiseLevel(
        _ loss: ([String: Tensor]) -> Double, at bindings: [String: Tensor], params: [String],
        random: inout SplitMix64
    ) -> Double {
        var signs: [String: [Double]] = [:]
        for param in params {
            signs[param] = bindings[param]!.scalars.map { _ in random.next() & 1 == 0 ? 1 : -1 }
        }
        var estimate = 0.0
        for spacing in [1e-8, 1e-6] {
            var values: [Double] = []
            for step in 0..<9 {
                var point = bindings
                for param in params {
                    let sign = signs[param]!
                    for index in sign.indices {
                        let value = bindings[param]!.scalars[index]
                        point[param]!.scalars[index] = value + Double(step) * sign[index] * spacing * max(1, abs(value))
                    }
                }
                values.append(loss(point))
            }
            // A loss that is not finite has no noise to measure, and no derivative to check.
            guard values.allSatisfy(\.isFinite) else { return .infinity }
            var factorialRatio = 1.0  // (k!)² / (2k)!
            for k in 1...6 {
                values = zip(values.dropFirst(), values).map { $0 - $1 }
                factorialRatio *= Double(k * k) / Double((2 * k - 1) * (2 * k))
                guard k >= 4 else { continue }
                let meanSquare = values.reduce(0) { $0 + $1 * $1 } / Double(values.count)
                estimate = max(estimate, (factorialRatio * meanSquare).squareRoot())
            }
        }
        return 3 * estimate
    }

    /// The inputs used directly as targets of `softmax_cross_entropy`.
    static func distributionInputs(_ graph: Graph) -> Set<String> {
        var names: Set<String> = []
        for node in graph.nodes where node.op == .loss(.softmaxCrossEntropy) {
            if case .leaf(.input(let name, _)) = graph[node.operands[1]].op { names.insert(name) }
        }
        return names
    }
}

extension Tensor {
    /// Each row along the last axis divided by its sum: a distribution per row.
    func normalizingRows() -> Tensor {
        var result = self
        let width = max(sizes.last ?? 1, 1)
        for start in stride(from: 0, to: count, by: width) {
            let total = scalars[start..<start + width].reduce(0, +)
            for index in start..<start + width { result.scalars[index] /= total }
        }
        return result
    }
}
