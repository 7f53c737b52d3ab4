import AdjointIR

/// Prints one lowered kernel as a C function. It needs nothing but the model's name and the
/// element type, so each kernel can be printed on its own thread as soon as it is lowered
/// (`ModelKernels`' `render`), while `CPrinter` writes the rest of the files around them.
public struct CFunctionPrinter: Sendable {
    public var name: String
    public var precision: Precision

    public init(name: String, precision: Precision) {
        self.name = name
        self.precision = precision
    }

    var syntax: CSyntax { CSyntax(precision: precision) }
    var real: String { precision.cType }

    func signature(_ kernel: Kernel) -> String {
        var parameters: [String] = []
        let type: String
        switch kernel.kind {
        case .loss, .gradient, .predict: parameters.append("const \(name)_params *restrict p")
        case .apply, .step: parameters += ["\(name)_params *restrict p", "\(name)_state *restrict s"]
        }
        if kernel.kind == .apply { parameters.append("const \(name)_grads *restrict g") }
        for argument in kernel.arguments {
            switch argument {
            case .input(let input, _): parameters.append("const \(real) *restrict \(CIdentifiers.user(input, model: name))")
            case .intInput(let input, _): parameters.append("const int32_t *restrict \(CIdentifiers.user(input, model: name))")
            case .dim(let dim): parameters.append("int64_t \(CIdentifiers.user(dim, model: name))")
            case .output(let output, _): parameters.append("\(real) *restrict \(CIdentifiers.user(output, model: name))")
            case .stream: parameters += ["uint64_t seed", "int64_t t"]
            case .intOutput(let output, _): parameters.append("int32_t *restrict \(CIdentifiers.user(output, model: name))")
            }
        }
        if kernel.kind == .gradient { parameters.append("\(name)_grads *restrict g") }
        if kernel.takesWorkspace { parameters.append("void *workspace") }
        switch kernel.kind {
        case .loss, .gradient, .step: type = real
        case .apply, .predict: type = "void"
        }
        return "\(type) \(name)_\(kernel.kind.rawValue)(\(parameters.joined(separator: ", ")))"
    }

    // MARK: - Kernels

    /// A kernel's function as UTF-8 bytes, without a final newline. Written into one buffer
    /// rather than a list of lines: a large model's kernels run to a million lines, which go to
    /// the file as they are (`CPrinter.sourcePieces`).
    public func functionBytes(_ kernel: Kernel) -> [UInt8] { functionBytes(kernel, statements: kernel.body.indices) }

    /// Part of a kernel's function: the body's statements `statements`, after the function's
    /// opening when they are the first and before its closing when they are the last. The parts
    /// of consecutive ranges, joined, are the whole function, so a large kernel prints on
    /// several threads (`ModelKernels`' `render`).
    public func functionBytes(_ kernel: Kernel, statements: Range<Int>) -> [UInt8] {
        var out = CodeBuffer(capacity: 1 << 16)
        if statements.lowerBound == 0 { opening(kernel, into: &out) }
        for statement in kernel.body[statements] { print(statement, indent: 1, into: &out) }
        if statements.upperBound == kernel.body.count {
            if let result = kernel.result { out += "    return \(scalar(result));\n" }
            out += "}"
        }
        return out.bytes
    }

    /// The signature, the checks of the runtime dims and the workspace's pointers.
    private func opening(_ kernel: Kernel, into out: inout CodeBuffer) {
        out += signature(kernel) + "\n{\n"
        let failure = kernel.result == nil ? "return;" : "return NAN;"
        if !kernel.checkedDims.isEmpty {
            out += "    if (!\(name)_dims_fit(\(kernel.checkedDims.map { CIdentifiers.user($0, model: name) }.joined(separator: ", ")))) \(failure)\n"
        }
        let fixed: [(String, Bool)] = [
            ("p", true), ("s", kernel.kind == .apply || kernel.kind == .step), ("g", kernel.kind == .apply || kernel.kind == .gradient),
        ]
        let wanted = Set(fixed.filter(\.1).map(\.0))
        var used = usedStorage(kernel.body, wanted: wanted).union(kernel.result.map { usedStorage($0) } ?? [])
        if kernel.draws && kernel.kind == .step {
            // The stream's position, read once: every draw of the step is at the count before its update.
            out += "    const uint64_t seed = s->seed;\n    const int64_t t = s->t;\n"
            used.insert("s")
        }
        for (pointer, present) in fixed where present && !used.contains(pointer) { out += "    (void)\(pointer);\n" }
        if kernel.takesWorkspace {
            if kernel.workspace.slots.isEmpty { out += "    (void)workspace;\n" }
            let offsets = kernel.workspace.offsets(elementBytes: precision.bytes)
            for slot in kernel.workspace.slots.indices {
                // `float *restrict w3 = (float *)workspace + 64 * batch;`, written in place: a
                // large kernel has tens of thousands of slots.
                out += "    "
                out += real
                out += " *restrict w"
                out.append(decimal: slot)
                out += " = ("
                out += real
                out += " *)workspace"
                if offsets[slot] != .zero {
                    out += " + "
                    write(offsets[slot], into: &out)
                }
                out += ";\n"
            }
        }
    }

    /// Appends a statement's lines, indented by `indent` levels, each ending in a newline.
    func print(_ statement: Statement, indent: Int, into out: inout CodeBuffer) {
        let pad = Self.padding(indent)
        switch statement {
        case .comment(let text):
            out += "\n"
            Self.writeComment(text, pad, into: &out)
        case .loop(let variable, let start, let end, let step, let body):
            out += pad
            out += "for (int64_t "
            out += variable
            out += " = "
            write(start, into: &out)
            out += "; "
            out += variable
            out += " < "
            write(end, into: &out)
            if step == 1 {
                out += "; ++"
                out += variable
            } else {
                out += "; "
                out += variable
                out += " += "
                out.append(decimal: step)
            }
            out += ") {\n"
            for statement in body { print(statement, indent: indent + 1, into: &out) }
            out += pad
            out += "}\n"
        case .parallelLoop(let variable, let start, let end, let step, let body):
            out += "#ifdef _OPENMP\n"
            out += pad
            out += "#pragma omp parallel for schedule(guided)\n#endif\n"
            print(.loop(variable: variable, start: start, end: end, step: step, body: body), indent: indent, into: &out)
        case .declareTile(let name, let count):
            out += pad
            out += real + " " + name + "[" + String(count) + "];\n"
        case .define(let name, let value): assignment("const " + real + " " + name, " = ", value, pad, &out)
        case .declare(let name, let value): assignment(real + " " + name, " = ", value, pad, &out)
        case .assign(let name, let value): assignment(name, " = ", value, pad, &out)
        case .store(let storage, let index, let value), .accumulate(let storage, let index, let value):
            out += pad
            write(storage, index, into: &out)
            if case .store = statement { out += " = " } else { out += " += " }
            if case .intOutput = storage { out += "(int32_t)" + scalar(value) } else { out += scalar(value) }
            out += ";\n"
        case .incrementStepCount:
            out += pad
            out += "s->t += 1;\n"
        case .gemm(let call):
            out += pad
            out += gemm(call)
            out += "\n"
        case .declareFlag(let flag):
            out += pad
            out += "int " + flag + " = 0;\n"
        case .flagOutside(let flag, let id, let bound):
            // Both comparisons, without a branch, so that the loop over the ids vectorizes.
            out += pad
            out += flag + " |= ("
            write(id, into: &out)
            out += " < 0) | ("
            write(id, into: &out)
            out += " >= "
            write(bound, into: &out)
            out += ");\n"
        case .exitIf(let flag, let body, let returnsNaN):
            out += pad
            out += "if (" + flag + ") {\n"
            for statement in body { print(statement, indent: indent + 1, into: &out) }
            out += Self.padding(indent + 1)
            out += returnsNaN ? "return NAN;\n" : "return;\n"
            out += pad
            out += "}\n"
        }
    }

    /// `target = value;` (or `+=`) on a line of its own.
    private func assignment(_ target: String, _ operation: String, _ value: ScalarExpr, _ pad: String, _ out: inout CodeBuffer) {
        out += pad
        out += target
        out += operation
        out += scalar(value)
        out += ";\n"
    }

    /// Four spaces per level; the common depths are made once.
    static func padding(_ indent: Int) -> String {
        indent < paddings.count ? paddings[indent] : String(repeating: "    ", count: indent)
    }
    private static let paddings = (0..<12).map { String(repeating: "    ", count: $0) }

    /// A comment's non-empty lines, the first after `/* ` and the others after three spaces,
    /// with `*/` broken up (`* /`) so the text cannot end the comment early. Copies bytes rather
    /// than splitting strings: every nest has a comment, and large models print hundreds of
    /// thousands.
    static func writeComment(_ text: String, _ pad: String, into out: inout CodeBuffer) {
        var text = text
        text.withUTF8 { bytes in
            var lines: [Range<Int>] = []
            var start = 0
            for offset in bytes.indices where bytes[offset] == UInt8(ascii: "\n") {
                if offset > start { lines.append(start..<offset) }
                start = offset + 1
            }
            if bytes.count > start { lines.append(start..<bytes.count) }
            for (index, line) in lines.enumerated() {
                out += pad
                out += index == 0 ? "/* " : "   "
                var copied = line.lowerBound
                for offset in line.dropFirst() where bytes[offset] == UInt8(ascii: "/") && bytes[offset - 1] == UInt8(ascii: "*") {
                    out.append(UnsafeBufferPointer(rebasing: bytes[copied..<offset]))
                    out += " "
                    copied = offset
                }
                out.append(UnsafeBufferPointer(rebasing: bytes[copied..<line.upperBound]))
                out += index == lines.count - 1 ? " */\n" : "\n"
            }
        }
    }

    /// An element of a buffer in C: `w3[i0 * 32 + i1]`, `p->W1[i0]`, a local's name.
    func element(_ storage: Storage, _ index: IntExpr) -> String {
        var text = ""
        write(storage, index, into: &text)
        return text
    }

    /// Appends `element(storage, index)`.
    func write<Sink: TextSink>(_ storage: Storage, _ index: IntExpr, into out: inout Sink) {
        switch storage {
        case .local(let name):
            out.append(name)
            return
        case .tile(let name): out.append(name)
        case .param(let param):
            out.append("p->")
            out.append(CIdentifiers.field(param))
        case .gradient(let param):
            out.append("g->")
            out.append(CIdentifiers.field(param))
        case .state(let slot):
            out.append("s->")
            out.append(CIdentifiers.field(slot))
        case .input(let name), .output(let name), .intOutput(let name): out.append(CIdentifiers.user(name, model: self.name))
        case .constant(let name):
            out.append(Self.constantTable(name, model: self.name))
        case .workspace(let slot):
            out.append("w")
            out.append(decimal: slot)
        }
        out.append("[")
        write(index, into: &out)
        out.append("]")
    }

    /// A tensor constant's table: `m_const_w`.
    static func constantTable(_ name: String, model: String) -> String { model + "_const_" + CIdentifiers.field(name) }

    func scalar(_ expr: ScalarExpr) -> String {
        expr.spelled(
            syntax, element: element, condition: { "\(integer($1)) \($0.rawValue) \(integer($2))" }, integer: { "((\(real))(\(integer($0))))" }, stepCount: { $0 == 0 ? "((\(real))s->t)" : "((\(real))(s->t + \($0)))" },
            draw: { "((\(real))\(Self.drawCall($0, index: integer($1), model: name)))" })
    }

    /// An integer expression in C, parenthesized only where precedence needs it.
    func integer(_ expr: IntExpr) -> String {
        var out = ""
        write(expr, into: &out)
        return out
    }

    /// `(a OP b ? then : otherwise)`: a select, and `min` as `a < b` choosing `a` or `b`.
    private func writeConditional<Sink: TextSink>(
        _ a: IntExpr, _ comparison: String, _ b: IntExpr, _ then: IntExpr, _ otherwise: IntExpr, into out: inout Sink
    ) {
        out.append("(")
        write(a, into: &out)
        out.append(" ")
        out.append(comparison)
        out.append(" ")
        write(b, into: &out)
        out.append(" ? ")
        write(then, into: &out)
        out.append(" : ")
        write(otherwise, into: &out)
        out.append(")")
    }

    /// Appends an integer expression, parenthesized only where precedence needs it.
    func write<Sink: TextSink>(_ expr: IntExpr, into out: inout Sink) {
        switch expr {
        case .constant(let value): out.append(decimal: value)
        case .variable(let name): out.append(name)
        case .dim(let name): out.append(CIdentifiers.user(name, model: self.name))
        case .sum(let terms):
            // A negative constant or a product with a negative constant first reads as `a - 7`.
            for (position, term) in terms.enumerated() {
                switch term {
                case .constant(let value) where value < 0 && position > 0:
                    out.append(" - ")
                    out.append(decimal: -value)
                case .product(let factors) where position > 0:
                    if case .constant(let value) = factors.first, value < 0 {
                        out.append(" - ")
                        write(.constant(-value) * .product(Array(factors.dropFirst())), into: &out)
                    } else {
                        out.append(" + ")
                        write(term, into: &out)
                    }
                default:
                    if position > 0 { out.append(" + ") }
                    write(term, into: &out)
                }
            }
        case .product(let factors):
            for (position, factor) in factors.enumerated() {
                if position > 0 { out.append(" * ") }
                switch factor {
                case .constant, .variable, .dim, .min, .product, .element, .select: write(factor, into: &out)
                default:
                    out.append("(")
                    write(factor, into: &out)
                    out.append(")")
                }
            }
        case .quotient(let a, let b), .remainder(let a, let b):
            out.append("(")
            write(a, into: &out)
            if case .quotient = expr { out.append(") / (") } else { out.append(") % (") }
            write(b, into: &out)
            out.append(")")
        case .min(let a, let b):
            writeConditional(a, "<", b, a, b, into: &out)
        case .element(.input(let name), let index):
            write(.input(name), index, into: &out)
        case .element(let storage, let index):
            // A position that `argmax` stored as a real.
            out.append("((int64_t)")
            write(storage, index, into: &out)
            out.append(")")
        case .select(let comparison, let a, let b, let c, let d):
            writeConditional(a, comparison.rawValue, b, c, d, into: &out)
        case .roundedUp(let a, let multiple):
            out.append("(")
            write(a, into: &out)
            out.append(" + ")
            out.append(decimal: multiple - 1)
            out.append(") / ")
            out.append(decimal: multiple)
            out.append(" * ")
            out.append(decimal: multiple)
        }
    }

    /// The fixed pointers (`p`, `g`, `s`) a kernel body reads or writes, of those `wanted`: the
    /// walk stops at the first nest after which all are found (a large kernel's body is long).
    /// It takes statements from both ends in turn: a training step reads the params first and
    /// writes the state last.
    func usedStorage(_ statements: [Statement], wanted: Set<String> = ["p", "g", "s"]) -> Set<String> {
        var result = Set<String>()
        var (front, back) = (statements.startIndex, statements.endIndex)
        while front < back && !result.isSuperset(of: wanted) {
            collectStorage(statements[front], into: &result)
            front += 1
            if front < back {
                back -= 1
                collectStorage(statements[back], into: &result)
            }
        }
        return result.intersection(wanted)
    }

    func usedStorage(_ expr: ScalarExpr) -> Set<String> {
        var result = Set<String>()
        collectStorage(expr, into: &result)
        return result
    }

    private func collectStorage(_ statement: Statement, into result: inout Set<String>) {
        switch statement {
        case .comment: break
        case .loop(_, _, _, _, let body), .parallelLoop(_, _, _, _, let body):
            for inner in body { collectStorage(inner, into: &result) }
        case .declareTile: break
        case .define(_, let value), .declare(_, let value), .assign(_, let value): collectStorage(value, into: &result)
        case .store(let storage, _, let value), .accumulate(let storage, _, let value):
            if let pointer = pointer(storage) { result.insert(pointer) }
            collectStorage(value, into: &result)
        case .incrementStepCount:
            result.insert("s")
        case .gemm(let call):
            for operand in [call.a, call.b, call.c] {
                if let pointer = pointer(operand.storage) { result.insert(pointer) }
            }
        case .declareFlag, .flagOutside: break
        case .exitIf(_, let body, _):
            for inner in body { collectStorage(inner, into: &result) }
        }
    }

    private func collectStorage(_ expr: ScalarExpr, into result: inout Set<String>) {
        switch expr {
        case .literal, .name, .integer, .draw: break
        case .stepCount: result.insert("s")
        case .load(let storage, _): if let pointer = pointer(storage) { result.insert(pointer) }
        case .elementwise(_, let a): collectStorage(a, into: &result)
        case .arithmetic(_, let a, let b), .normalizer(_, let a, let b), .logSumExp(let a, let b):
            collectStorage(a, into: &result)
            collectStorage(b, into: &result)
        case .lossTerm(_, let a, let b, let c):
            collectStorage(a, into: &result)
            collectStorage(b, into: &result)
            if let c { collectStorage(c, into: &result) }
        case .call(_, let arguments): for argument in arguments { collectStorage(argument, into: &result) }
        case .select(_, _, _, let a, let b):
            collectStorage(a, into: &result)
            collectStorage(b, into: &result)
        }
    }

    func pointer(_ storage: Storage) -> String? {
        switch storage {
        case .param: return "p"
        case .gradient: return "g"
        case .state: return "s"
        default: return nil
        }
    }
}

// MARK: - The counter-based stream
extension CFunctionPrinter {
    /// A draw's element in double: `m_stream_normal(m_stream_key(seed, t, 0), (uint64_t)(i0 * 8 + i1))`
    /// (`CPrinter.randomSupport` defines the functions; `RandomDraw` is the reference).
    static func drawCall(_ draw: RandomDraw, index: String, model: String) -> String {
        let key = "\(model)_stream_key(seed, t, \(draw.stream))"
        switch draw.distribution {
        case .normal: return "\(model)_stream_normal(\(key), (uint64_t)(\(index)))"
        case .uniform: return "\(model)_stream_uniform(\(key), (uint64_t)(\(index)))"
        case .keep(let p): return "\(model)_stream_keep(\(key), (uint64_t)(\(index)), \(p))"
        }
    }
}
