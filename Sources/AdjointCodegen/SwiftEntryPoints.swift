import AdjointIR

/// The public methods of the generated struct: each checks its runtime dims and buffer sizes,
/// lends the stored arrays' storage to the private static kernel as pointers (no copy: the
/// arrays are borrowed, or mutated in place), and forwards an array overload to the buffer one.
extension SwiftPrinter {
    static let summary: [KernelKind: String] = [
        .loss: "The loss at the current params.",
        .gradient: "The loss and its gradient with respect to every param, at the current params.",
        .apply: "The update rule alone: the params and the update state updated in place from `grads`.",
        .step: "One training step (forward, reverse pass, update) in place: returns the loss before the update.",
        .predict: "The outputs at the current params.",
    ]

    /// The kernel's public methods: the buffer overload, then the array overload.
    func entryPoints(_ kernel: Kernel) -> [String] {
        if kernel.kind == .apply { return applyMethod(kernel) }
        let inputs = inputArguments(kernel)
        var lines = ["    /// \(Self.summary[kernel.kind]!)"]
        if !inputs.isEmpty {
            lines.append("    /// Each input is a row-major buffer of exactly its shape's element count.")
        }
        if !kernel.checkedDims.isEmpty {
            let empty = kernel.kind == .predict ? "empty outputs" : kernel.kind == .gradient ? "a NaN loss and zero gradients" : "NaN"
            lines += [
                "    /// A runtime dim below 1, or so large that a size overflows, gives \(empty) and touches",
                "    /// nothing.",
            ]
        }
        let sized = (inputs.isEmpty ? ["A param"] : ["An input", "param"]) + (kernel.kind == .step && !moments.isEmpty ? ["moment"] : [])
        let list = sized.count == 1 ? sized[0] : sized.dropLast().joined(separator: ", ") + " or " + sized.last!
        lines.append("    /// \(list) of the wrong size stops the program with a message.")
        lines.append("    public \(header(kernel, buffers: true)) {")
        lines += body(kernel).map { "        " + $0 }
        lines.append("    }")
        guard !inputs.isEmpty else { return lines }
        lines += [
            "", "    /// \(Self.summary[kernel.kind]!) The same as the overload on buffers, for arrays.",
            "    public \(header(kernel, buffers: false)) {",
        ]
        let openers = inputs.map { "\(local($0.0)).withUnsafeBufferPointer { \(local($0.0)) in" }
        let call = "\(kernel.kind.rawValue)(\(callArguments(kernel)))"
        lines += nest(openers, [call], returns: false).map { "        " + $0 }
        lines.append("    }")
        return lines
    }

    /// The inputs a kernel takes, real and `int`, in declaration order.
    func inputArguments(_ kernel: Kernel) -> [(String, Shape)] {
        kernel.arguments.compactMap { argument -> (String, Shape)? in
            switch argument {
            case .input(let name, let shape), .intInput(let name, let shape): (name, shape)
            case .dim, .output, .intOutput, .stream: nil
            }
        }
    }

    /// `func step(x: UnsafeBufferPointer<Float>, y: ..., batch: Int) -> Float`.
    func header(_ kernel: Kernel, buffers: Bool) -> String {
        var parameters: [String] = []
        for argument in kernel.arguments {
            switch argument {
            case .input(let name, _):
                let type = buffers ? "UnsafeBufferPointer<\(real)>" : "[\(real)]"
                parameters.append(labeled(name, type))
            case .intInput(let name, _):
                parameters.append(labeled(name, buffers ? "UnsafeBufferPointer<Int32>" : "[Int32]"))
            case .dim(let name): parameters.append(labeled(name, "Int"))
            case .output, .intOutput: break
            case .stream: parameters += ["seed: UInt64", "t: Int64"]
            }
        }
        let mutating = kernel.kind == .step ? "mutating " : ""
        return "\(mutating)func \(kernel.kind.rawValue)(\(parameters.joined(separator: ", "))) -> \(resultType(kernel))"
    }

    func labeled(_ name: String, _ type: String) -> String {
        let (label, variable) = (SwiftIdentifiers.label(name), local(name))
        return label == variable ? "\(variable): \(type)" : "\(label) \(variable): \(type)"
    }

    func local(_ name: String) -> String { SwiftIdentifiers.user(name) }

    /// `x: x, y: y, batch: batch`: the public method's arguments passed on unchanged.
    func callArguments(_ kernel: Kernel) -> String {
        kernel.arguments.compactMap { argument -> String? in
            switch argument {
            case .input(let name, _), .intInput(let name, _), .dim(let name): "\(SwiftIdentifiers.label(name)): \(local(name))"
            case .output, .intOutput: nil
            case .stream: "seed: seed, t: t"
            }
        }.joined(separator: ", ")
    }

    /// `predict`'s outputs with their Swift element types (`Int32` for an `int` output).
    var outputs: [(name: String, shape: Shape, element: String)] {
        kernels.kernel(.predict)?.arguments.compactMap { argument in
            switch argument {
            case .output(let name, let shape): (name, shape, real)
            case .intOutput(let name, let shape): (name, shape, "Int32")
            case .input, .intInput, .dim, .stream: nil
            }
        } ?? []
    }

    func resultType(_ kernel: Kernel) -> String {
        switch kernel.kind {
        case .loss, .step: return real
        case .gradient: return "(loss: \(real), grads: Grads)"
        case .apply: return "Void"
        case .predict:
            if outputs.count == 1 { return "[\(outputs[0].element)]" }
            return "(" + outputs.map { "\(tupleLabel($0.name)): [\($0.element)]" }.joined(separator: ", ") + ")"
        }
    }

    func tupleLabel(_ name: String) -> String { SwiftIdentifiers.keywords.contains(name) ? name + "_" : name }

    /// The buffer overload's body: checks, then the pointer nest around the kernel call.
    func body(_ kernel: Kernel) -> [String] {
        var lines: [String] = []
        let empty: String
        switch kernel.kind {
        case .loss, .step: empty = ".nan"
        case .gradient: empty = "(.nan, grads)"
        case .predict: empty = outputs.count == 1 ? "[]" : "(" + outputs.map { _ in "[]" }.joined(separator: ", ") + ")"
        case .apply: empty = ""
        }
        if kernel.kind == .gradient {
            let zeros = kernels.params.map { "\(paramFields[$0.name]!): [\(real)](repeating: 0, count: \(countText($0.shape)))" }
            lines.append("var grads = Grads(\(zeros.joined(separator: ", ")))")
        }
        if !kernel.checkedDims.isEmpty {
            lines.append("guard Self.dimsFit(\(dimArguments)) else { return \(empty) }")
        }
        // The sizes below cannot overflow once the dims fit.
        for (name, shape) in inputArguments(kernel) {
            lines.append("Self.check(\(local(name)).count, \(integer(IntExpr.count(shape), wrapping: false)), \"\(name)\")")
        }
        lines.append("checkParamCounts()")
        if kernel.kind == .step && !moments.isEmpty { lines.append("checkStateCounts()") }
        for output in outputs where kernel.kind == .predict {
            lines.append("var \(local(output.name)) = [\(output.element)](repeating: 0, count: \(integer(IntExpr.count(output.shape), wrapping: false)))")
        }
        let dims = kernels.runtimeDims.map { "\(SwiftIdentifiers.label($0)): \(local($0))" }.joined(separator: ", ")
        var openers: [String] = []
        if kernel.kind == .step {
            lines += [
                "let bytes = Self.workspaceSize(\(dims))",
                "if !isKnownUniquelyReferenced(&scratch) || scratch.bytes < bytes { scratch = Scratch(bytes: bytes) }",
                "let workspace = scratch.pointer",
            ]
        } else if kernel.takesWorkspace {
            openers.append(
                "withUnsafeTemporaryAllocation(byteCount: Swift.max(Self.workspaceSize(\(dims)), 64), alignment: 64) { workspace in")
        }
        let mutable = kernel.kind == .step
        let method = mutable ? "withUnsafeMutableBufferPointer" : "withUnsafeBufferPointer"
        openers += kernels.params.map { "\(paramFields[$0.name]!).\(method) { \(paramFields[$0.name]!) in" }
        var arguments = ["p: ParamPointers(\(pointerList(kernels.params.map { paramFields[$0.name]! }, mutable: mutable)))"]
        if kernel.kind == .step {
            openers += moments.map { "\(stateFields[$0.name]!).withUnsafeMutableBufferPointer { \(stateFields[$0.name]!) in" }
            arguments += ["s: StatePointers(\(pointerList(moments.map { stateFields[$0.name]! }, mutable: true)))", "t: &t"]
            if kernel.draws { arguments.append("seed: seed") }
        }
        for argument in kernel.arguments {
            switch argument {
            case .input(let name, _), .intInput(let name, _): arguments.append("\(local(name)): \(local(name)).baseAddress!")
            case .dim(let name): arguments.append("\(local(name)): \(local(name))")
            case .stream: arguments += ["seed: seed", "t: t"]
            case .output(let name, _), .intOutput(let name, _):
                openers.append("\(local(name)).withUnsafeMutableBufferPointer { \(local(name)) in")
                arguments.append("\(local(name)): \(local(name)).baseAddress!")
            }
        }
        if kernel.kind == .gradient {
            openers += kernels.params.enumerated().map { "grads.\(paramFields[$1.name]!).withUnsafeMutableBufferPointer { g\($0) in" }
            arguments.append("g: ParamPointers(\(pointerList(kernels.params.indices.map { "g\($0)" }, fields: kernels.params.map { paramFields[$0.name]! }, mutable: true)))")
        }
        if kernel.takesWorkspace {
            arguments.append(kernel.kind == .step ? "workspace: workspace" : "workspace: workspace.baseAddress!")
        }
        let call = ["Self.\(kernel.kind.rawValue)Kernel("] + arguments.enumerated().map { index, argument in
            "    " + argument + (index == arguments.count - 1 ? ")" : ",")
        }
        switch kernel.kind {
        case .loss, .step:
            lines += nest(openers, call, returns: true)
        case .gradient:
            let nested = nest(openers, call, returns: false)
            lines += ["let value = " + nested[0]] + nested.dropFirst()
            lines.append("return (value, grads)")
        case .predict:
            lines += nest(openers, call, returns: false)
            lines.append("return " + (outputs.count == 1 ? local(outputs[0].name) : "(" + outputs.map { local($0.name) }.joined(separator: ", ") + ")"))
        case .apply: break
        }
        return lines
    }

    /// `apply(_ grads: Grads)`: the gradient's sizes checked, then the update in place.
    func applyMethod(_ kernel: Kernel) -> [String] {
        var lines = [
            "    /// \(Self.summary[.apply]!)", "    /// A param, moment or gradient of the wrong size stops the program with a message.",
            "    public mutating func apply(_ grads: Grads) {",
        ]
        for param in kernels.params {
            let field = paramFields[param.name]!
            lines.append("        Self.check(grads.\(field).count, \(countText(param.shape)), \"grads.\(field)\")")
        }
        lines.append("        checkParamCounts()")
        if !moments.isEmpty { lines.append("        checkStateCounts()") }
        var openers = kernels.params.map { "\(paramFields[$0.name]!).withUnsafeMutableBufferPointer { \(paramFields[$0.name]!) in" }
        openers += moments.map { "\(stateFields[$0.name]!).withUnsafeMutableBufferPointer { \(stateFields[$0.name]!) in" }
        openers += kernels.params.enumerated().map { "grads.\(paramFields[$1.name]!).withUnsafeBufferPointer { g\($0) in" }
        let fields = kernels.params.map { paramFields[$0.name]! }
        let call = [
            "Self.applyKernel(",
            "    p: ParamPointers(\(pointerList(fields, mutable: true))),",
            "    s: StatePointers(\(pointerList(moments.map { stateFields[$0.name]! }, mutable: true))),",
            "    t: &t,",
            "    g: ParamPointers(\(pointerList(fields.indices.map { "g\($0)" }, fields: fields, mutable: false))))",
        ]
        lines += nest(openers, call, returns: false).map { "        " + $0 }
        lines.append("    }")
        return lines
    }

    /// `W1: W1.baseAddress!, b1: ...`: a pointer struct's fields from buffer pointers (a read-only
    /// buffer's pointer made mutable in type only: the kernels never write through it).
    func pointerList(_ buffers: [String], fields: [String]? = nil, mutable: Bool) -> String {
        zip(fields ?? buffers, buffers).map { field, buffer in
            mutable ? "\(field): \(buffer).baseAddress!" : "\(field): UnsafeMutablePointer(mutating: \(buffer).baseAddress!)"
        }.joined(separator: ", ")
    }

    /// Closures nested one per opener around `innermost`, the openers flush (one level of
    /// indentation for the whole nest, however deep) and the closing braces on one line.
    func nest(_ openers: [String], _ innermost: [String], returns: Bool) -> [String] {
        guard !openers.isEmpty else { return innermost.enumerated().map { ($0 == 0 && returns ? "return " : "") + $1 } }
        var lines = openers.enumerated().map { ($0 == 0 && returns ? "return " : "") + $1 }
        lines += innermost.map { "    " + $0 }
        lines.append(String(repeating: "}", count: openers.count))
        return lines
    }
}
