import Testing

@testable import AdjointIR

@Suite struct UpdateRuleTests {
    @Test func defaultsArePyTorchs() {
        #expect(UpdateRule.defaults(.sgd).description == "sgd(lr = 0.01, weight_decay = 0)")
        #expect(UpdateRule.defaults(.momentum).description == "momentum(lr = 0.01, momentum = 0.9, nesterov = 0, weight_decay = 0)")
        #expect(UpdateRule.defaults(.adagrad).description == "adagrad(lr = 0.01, eps = 1e-10)")
        #expect(UpdateRule.defaults(.rmsprop).description == "rmsprop(lr = 0.01, alpha = 0.99, eps = 1e-08)")
        #expect(UpdateRule.defaults(.adam).description == "adam(lr = 0.001, beta1 = 0.9, beta2 = 0.999, eps = 1e-08, weight_decay = 0)")
        #expect(UpdateRule.defaults(.adamw)["weight_decay"] == 0.01)
        #expect(UpdateRule.defaults(.adam)["clip_norm"] == nil)
    }

    @Test func rangesAcceptAndReject() {
        #expect(HyperParameter.Range.unitInterval.contains(0))
        #expect(!HyperParameter.Range.unitInterval.contains(1))
        #expect(!HyperParameter.Range.positive.contains(0))
        #expect(HyperParameter.Range.nonNegative.contains(0))
        #expect(!HyperParameter.Range.nonNegative.contains(-1e-9))
        #expect(!HyperParameter.Range.flag.contains(0.5))
        #expect(!HyperParameter.Range.nonNegative.contains(.nan))
    }

    @Test func initializerDefaultsAndSpelling() {
        #expect(Initializer.defaultFor([.fixed(3)]) == .zeros)
        #expect(Initializer.defaultFor(.scalar) == .zeros)
        #expect(Initializer.defaultFor([.fixed(3), .fixed(2)]) == .glorot)
        #expect(Initializer.normal(mean: 0, std: 0.01).description == "normal(0, 0.01)")
        #expect(Initializer.constant(-2).description == "-2")
    }
}
