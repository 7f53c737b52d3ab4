import AdjointIR
import AdjointSema

extension GradientCheck {
    /// The params and inputs `run` checks at: the params at their initializers drawn with
    /// `seed`, the inputs uniform in (0.1, 0.9) (a `softmax_cross_entropy` target's rows scaled
    /// to sum to 1); and the random stream after drawing them, which `run` goes on to sample
    /// elements with. Shared with `kinks`, which looks at the same point.
    public static func point(_ program: CheckedProgram, seed: UInt64, dims: [String: Int])
        -> (bindings: [String: Tensor], random: SplitMix64)
    {
        var bindings = program.initialParams(seed: seed)
        var random = SplitMix64(seed: seed ^ 0x5EED)
        let distributions = distributionInputs(program.forwardGraph().graph)
        for input in program.inputs {
            let sizes = input.shape.sizes(dims)
            var value = Tensor(sizes: sizes, scalars: (0..<sizes.reduce(1, *)).map { _ in 0.1 + 0.8 * random.uniform() })
            if distributions.contains(input.name) { value = value.normalizingRows() }
            bindings[input.name] = value
        }
        return (bindings, random)
    }
}
