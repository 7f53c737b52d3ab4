import AdjointAutodiff
import AdjointIR
import AdjointInterpreter
import Testing

/// Three training steps of every update rule, in the reference interpreter, against PyTorch.
///
/// The expected numbers come from PyTorch's own optimizers (`torch.optim.SGD` with and without
/// momentum and Nesterov, `Adagrad`, `RMSprop`, `Adam`, `AdamW`, and
/// `torch.nn.utils.clip_grad_norm_` before the step) run in float64 on the same model and values:
/// `notes/update-rules-reference.py` prints them. The suite itself needs no Python.
@Suite struct UpdateRuleStepTests {
    static let model = """
        input x: [4, 3]
        input y: [4, 2]
        param W: [3, 2]
        param b: [2]
        loss = mse(tanh(x @ W + b), y)
        minimize loss using RULE
        """

    static let x = [0.5, -1.2, 0.3, 0.8, 0.1, -0.7, -0.4, 0.9, 1.5, 0.2, -0.3, 0.6]
    static let y = [0.1, -0.2, 0.4, 0.3, -0.5, 0.2, 0.0, 0.7]
    static let w = [0.3, -0.1, 0.2, 0.4, -0.5, 0.25]
    static let b = [0.05, -0.1]

    /// The rule as the model writes it, the loss before each of 3 steps, and the params after them.
    static let cases: [(rule: String, losses: [Double], W: [Double], b: [Double])] = [
        ("sgd(lr = 0.1)", losses: [0.176480457893186, 0.15619212578162067, 0.1384045304178892],
         W: [0.304500672102762, -0.042401767225549336, 0.17374299291822454, 0.3517397018230901, -0.4740190400407524, 0.23242362074300818],
         b: [0.0791643564359009, -0.008734486045078938]),
        ("sgd(lr = 0.1, weight_decay = 0.05)", losses: [0.176480457893186, 0.15529234541215478, 0.1368466646974609],
         W: [0.3000553997648951, -0.04133516746228742, 0.17089841794196936, 0.34617198491630974, -0.4669642298309497, 0.22883354378810783],
         b: [0.07809794150914563, -0.0078866255632828]),
        ("momentum(lr = 0.1, momentum = 0.9)", losses: [0.176480457893186, 0.15619212578162067, 0.12266967195376588],
         W: [0.3086351475767218, 0.008298609078988637, 0.1504654916750664, 0.30927655889335226, -0.45098836842367146, 0.21727448198659835],
         b: [0.1053243352800345, 0.0719438831586266]),
        ("momentum(lr = 0.1, momentum = 0.8, nesterov = 1, weight_decay = 0.01)", losses: [0.176480457893186, 0.14064649807851362, 0.10352004348316383],
         W: [0.30716715990132304, 0.03155967047254008, 0.13872909016514123, 0.28811455042132206, -0.4375675404830208, 0.20539548454853165],
         b: [0.11372983019808794, 0.10531763956916952]),
        ("adagrad(lr = 0.1)", losses: [0.176480457893186, 0.09606252238223124, 0.0678677442435191],
         W: [0.28664874719321043, 0.09248719487567059, 0.06203880256437637, 0.21134650670556507, -0.3560896094633683, 0.08965464979192403],
         b: [0.11172671234096525, 0.09859680185619982]),
        ("rmsprop(lr = 0.01, alpha = 0.9)", losses: [0.176480457893186, 0.14504154494795976, 0.12654082308341003],
         W: [0.33591122780181737, -0.028372922625863144, 0.13477333063649152, 0.32834614614433366, -0.43281067381512905, 0.17928640060187911],
         b: [0.1098149792113648, -0.028183335199519544]),
        ("adam(lr = 0.01)", losses: [0.176480457893186, 0.16601947197408343, 0.15604147259683998],
         W: [0.32936752439199407, -0.07002293292550021, 0.17012214592187097, 0.3700220389796235, -0.4700847106693354, 0.22002837493276287],
         b: [0.07979884750919966, -0.07002177439883453]),
        ("adam(lr = 0.01, beta1 = 0.8, beta2 = 0.99, eps = 1e-6, weight_decay = 0.1)", losses: [0.176480457893186, 0.16632406999650873, 0.1565408308131594],
         W: [0.26992686489875506, -0.07005277815631435, 0.17010252968642786, 0.370044678073014, -0.4701290150369446, 0.2200647445721354],
         b: [0.07973256239188607, -0.07004753314787301]),
        ("adamw(lr = 0.01, weight_decay = 0.1)", losses: [0.176480457893186, 0.16583546152052853, 0.15569533769098687],
         W: [0.32844886062162665, -0.0697536837537508, 0.16955279134211088, 0.3688538820887604, -0.46861963036083487, 0.21931016787084484],
         b: [0.07961626056076608, -0.06975238208155132]),
        ("sgd(lr = 0.1, clip_norm = 0.05)", losses: [0.176480457893186, 0.1742009929277035, 0.1719358648582086],
         W: [0.30058475044449323, -0.0933443212700753, 0.1969332824711279, 0.3944100649810288, -0.4969621566428694, 0.24812077014765171],
         b: [0.053535468853177566, -0.08930202034693889]),
        ("rmsprop(lr = 0.01, clip_norm = 0.05)", losses: [0.176480457893186, 0.09606263743608943, 0.06269971245052128],
         W: [0.272072118336644, 0.12755539579630837, 0.022949335612014635, 0.17957537117327455, -0.32447355460424815, 0.08509514983988178],
         b: [0.09725470062975629, 0.13613223154803064]),
        ("adam(lr = 0.01, weight_decay = 0.01, clip_norm = 0.05)", losses: [0.176480457893186, 0.16632403044392502, 0.15652349689810297],
         W: [0.2699832900461354, -0.06999831493214499, 0.17002538911287426, 0.36999860690734937, -0.4700474101352731, 0.22001041967445006],
         b: [0.07989682097066576, -0.06999583399422889]),
        ("momentum(lr = 0.1, clip_norm = 10)", losses: [0.176480457893186, 0.15619212578162067, 0.12266967195376588],
         W: [0.3086351475767218, 0.008298609078988637, 0.1504654916750664, 0.30927655889335226, -0.45098836842367146, 0.21727448198659835],
         b: [0.1053243352800345, 0.0719438831586266])
    ]

    @Test(arguments: cases)
    func threeStepsMatchPyTorch(rule: String, losses: [Double], W: [Double], b: [Double]) throws {
        let program = try checkedProgram(Self.model.replacingOccurrences(of: "RULE", with: rule))
        let update = UpdateProgram.step(program)
        let bindings: [String: Tensor] = [
            "x": Tensor(sizes: [4, 3], scalars: Self.x), "y": Tensor(sizes: [4, 2], scalars: Self.y),
            "W": Tensor(sizes: [3, 2], scalars: Self.w), "b": Tensor(sizes: [2], scalars: Self.b),
        ]
        let start = Training.Point(bindings: bindings, state: Training.initialState(update))
        let (computed, final) = Training.steps(update, from: start, dims: [:], count: 3)
        for (step, (mine, theirs)) in zip(computed, losses).enumerated() {
            #expect(abs(mine - theirs) <= 1e-12 * abs(theirs), "\(rule): loss before step \(step + 1)")
        }
        #expect(elementwiseRelativeError(final.bindings["W"]!.scalars, W) <= 1e-12, "\(rule): W after 3 steps")
        #expect(elementwiseRelativeError(final.bindings["b"]!.scalars, b) <= 1e-12, "\(rule): b after 3 steps")
        #expect(final.state["t"]!.scalar == 3)
    }

    /// The textbook example by hand: gradients 16, 16, −12 (docs/language.md), so one step of
    /// `sgd(lr = 0.01)` moves x, y, z to −2.16, 4.84, −3.88; `momentum` takes the same first step
    /// and then `v = 0.9 v + g`.
    @Test func handWorkedSteps() throws {
        let source = """
            param x = -2
            param y = 5
            param z = -4
            const target = -10
            f    = (x + y) * z
            loss = (target - f)^2
            minimize loss using RULE
            """
        let program = try checkedProgram(source.replacingOccurrences(of: "RULE", with: "sgd(lr = 0.01)"))
        let sgd = UpdateProgram.step(program)
        let start = Training.Point(bindings: program.initialParams(seed: 0), state: Training.initialState(sgd))
        let (loss, next) = Training.step(sgd, from: start, dims: [:])
        #expect(loss == 4)
        #expect(abs(next.bindings["x"]!.scalar - -2.16) < 1e-15)
        #expect(abs(next.bindings["y"]!.scalar - 4.84) < 1e-15)
        #expect(abs(next.bindings["z"]!.scalar - -3.88) < 1e-15)

        // Momentum: the first step equals sgd's; the velocity is the gradient.
        let momentum = UpdateProgram.step(
            try checkedProgram(source.replacingOccurrences(of: "RULE", with: "momentum(lr = 0.01, momentum = 0.9)")))
        let first = Training.step(momentum, from: Training.Point(bindings: start.bindings, state: Training.initialState(momentum)), dims: [:])
        #expect(first.next.state["v_x"]!.scalar == 16)
        #expect(first.next.state["v_z"]!.scalar == -12)
        #expect(abs(first.next.bindings["x"]!.scalar - -2.16) < 1e-15)
    }

    /// `NAME_apply` on `NAME_gradient`'s result is `NAME_step`: the update alone and the fused step
    /// agree for every rule.
    @Test(arguments: cases.map(\.rule))
    func applyAfterGradientIsStep(rule: String) throws {
        let program = try checkedProgram(Self.model.replacingOccurrences(of: "RULE", with: rule))
        let step = UpdateProgram.step(program)
        let apply = UpdateProgram.apply(program)
        #expect(step.slots == apply.slots)
        var random = TestRandom(state: 7)
        var bindings: [String: Tensor] = ["x": random.tensor([4, 3], -1, 1), "y": random.tensor([4, 2], -1, 1)]
        bindings["W"] = random.tensor([3, 2], -1, 1)
        bindings["b"] = random.tensor([2], -1, 1)
        var state = Training.initialState(step)
        state["t"] = Tensor(4)
        for slot in step.slots where slot.param != nil { state[slot.name] = random.tensor(slot.shape.sizes([:]), 0, 1) }
        let fused = Training.step(step, from: Training.Point(bindings: bindings, state: state), dims: [:]).next
        let gradient = ReverseMode.differentiate(program.forwardGraph())
        let values = Interpreter.evaluate(gradient.graph, bindings: bindings, dims: [:])
        let gradients = Dictionary(uniqueKeysWithValues: gradient.gradients.map { ($0.param, values[$0.node]!) })
        let separate = Training.apply(apply, params: bindings, gradients: gradients, state: state)
        for name in ["W", "b"] {
            #expect(fused.bindings[name]! == separate.bindings[name]!, "\(rule): \(name)")
        }
        for slot in step.slots { #expect(fused.state[slot.name]! == separate.state[slot.name]!, "\(rule): \(slot.name)") }
    }

    /// Every rule keeps the state its algorithm needs, in the documented order, `t` last.
    @Test func stateSlots() throws {
        func slots(_ rule: String) throws -> [String] {
            UpdateProgram.apply(try checkedProgram(Self.model.replacingOccurrences(of: "RULE", with: rule))).slots.map(\.name)
        }
        #expect(try slots("sgd") == ["t"])
        #expect(try slots("momentum") == ["v_W", "v_b", "t"])
        #expect(try slots("adagrad") == ["s_W", "s_b", "t"])
        #expect(try slots("rmsprop") == ["s_W", "s_b", "t"])
        #expect(try slots("adam") == ["m_W", "m_b", "v_W", "v_b", "t"])
        #expect(try slots("adamw(clip_norm = 1)") == ["m_W", "m_b", "v_W", "v_b", "t"])
    }
}

/// max over elements of |a − e| / max(|e|, 1e-3): every element relative to itself.
func elementwiseRelativeError(_ actual: [Double], _ expected: [Double]) -> Double {
    guard actual.count == expected.count else { return .infinity }
    return zip(actual, expected).map { abs($0 - $1) / max(abs($1), 1e-3) }.max() ?? 0
}
