import Testing

@testable import AdjointIR

/// The op table's shared data: every computation has one mnemonic, and its attributes print and
/// parse back through the IR text.
@Suite struct OpTableTests {
    @Test func everyComputationHasItsOwnMnemonic() {
        let mnemonics = Op.computations.map(\.mnemonic)
        #expect(Set(mnemonics).count == mnemonics.count, "\(mnemonics)")
        #expect(mnemonics.allSatisfy { !$0.contains(" ") && $0.first?.isLetter == true }, "\(mnemonics)")
    }

    @Test func everyBuiltinIsAComputation() {
        let mnemonics = Set(Op.computations.map(\.mnemonic))
        for builtin in Builtin.all.values {
            let op = builtin.makeOp(Dictionary(builtin.parameters.compactMap { p in p.defaultValue.map { (p.name, $0) } }) { a, _ in a })
            #expect(mnemonics.contains(op.mnemonic), "\(builtin.name)")
        }
    }

    /// Each attribute set to a value other than its default survives print and parse.
    @Test(arguments: [
        Op.elementwise(.leakyRelu(slope: 0.2)), .loss(.huber(delta: 0.5)), .reduction(.mean, axis: 1),
        .reduction(.logsumexp, axis: nil), .normalizer(.logSoftmax, axis: 0),
    ])
    func attributesRoundTrip(op: Op) {
        let parsed = Op.computation(mnemonic: op.mnemonic, attributes: op.attributes.map { ($0.name, valueOf($0)) })
        #expect(parsed == op)
        #expect(op.attributes.allSatisfy { !$0.isDefault(operandRank: 2) })
    }

    @Test func aMissingOrUnknownAttributeIsRejected() {
        #expect(Op.computation(mnemonic: "leaky_relu", attributes: []) == nil)
        #expect(Op.computation(mnemonic: "softmax", attributes: []) == nil)
        #expect(Op.computation(mnemonic: "exp", attributes: [("axis", 1)]) == nil)
        #expect(Op.computation(mnemonic: "sum", attributes: [("axis", 1.5)]) == nil)
        #expect(Op.computation(mnemonic: "sum", attributes: []) == .reduction(.sum, axis: nil))
    }

    @Test func defaultsFollowTheModelLanguage() {
        #expect(Op.elementwise(.leakyRelu(slope: 0.01)).attributes.allSatisfy { $0.isDefault(operandRank: 1) })
        #expect(Op.loss(.huber(delta: 1)).attributes.allSatisfy { $0.isDefault(operandRank: 1) })
        #expect(Op.normalizer(.softmax, axis: 2).attributes.allSatisfy { $0.isDefault(operandRank: 3) })
        #expect(Op.normalizer(.softmax, axis: 1).attributes.allSatisfy { !$0.isDefault(operandRank: 3) })
    }

    private func valueOf(_ attribute: OpAttribute) -> Double {
        switch attribute.value {
        case .axis(let axis): return Double(axis)
        case .number(let number): return number
        case .axes: return .nan  // not a number: the list round trip is in BatchedMatmulIRTests
        }
    }
}
