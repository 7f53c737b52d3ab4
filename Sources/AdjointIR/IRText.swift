/// The IR's text form, one node a line, which `IRText.parse` reads back to an equal graph:
///
///     %0 = input x : [batch, 64]
///     %1 = param W1 : [64, 32]
///     %2 = matmul %0, %1 : [batch, 32]
///     %3 = sum axis=1 %2 : [batch]
///     %4 = constant 0.5 c : []
///     root loss = %3
public enum IRText {
    public static func print(_ graph: Graph) -> String {
        var lines: [String] = []
        for (index, node) in graph.nodes.enumerated() {
            var text = "%\(index) = \(mnemonic(node.op))"
            let attributes = self.attributes(node.op)
            if !attributes.isEmpty { text += " " + attributes }
            if !node.operands.isEmpty { text += " " + node.operands.map(\.description).joined(separator: ", ") }
            lines.append(text + " : \(node.shape)")
        }
        for root in graph.roots { lines.append("root \(root.name) = \(root.node)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The op's name in the text form: one word per op.
    public static func mnemonic(_ op: Op) -> String {
        switch op {
        case .leaf(let leaf): return leaf.name
        case .structural(let op): return op.name
        case .elementwise(.negate): return "neg"
        case .elementwise(let op): return op.name
        case .arithmetic(let op): return arithmeticMnemonics[op]!
        case .reduction(let op, _): return op.name
        case .normalizer(let op, _): return op.name
        case .linearAlgebra(.matmul): return "matmul"
        case .linearAlgebra(let op): return op.name
        case .loss(let op): return op.name
        }
    }

    static let arithmeticMnemonics: [Arithmetic: String] = [
        .add: "add", .subtract: "sub", .multiply: "mul", .divide: "div", .power: "pow", .maximum: "max",
        .minimum: "min", .greaterEqual: "ge",
    ]

    static func attributes(_ op: Op) -> String {
        switch op {
        case .leaf(.input(let name, let shape)), .leaf(.param(let name, let shape)), .leaf(.state(let name, let shape)),
            .leaf(.gradient(let name, let shape)):
            return "\(name) \(shape)"
        case .leaf(.constant(let value, let name)): return name.map { "\(value) \($0)" } ?? "\(value)"
        case .leaf(.size(let dims)): return "\(Shape(dims))"
        case .structural(let op): return "\(op.target)"
        case .elementwise(.leakyRelu(let slope)): return "slope=\(slope)"
        case .reduction(_, let axis?), .normalizer(_, let axis): return "axis=\(axis)"
        case .loss(.huber(let delta)): return "delta=\(delta)"
        default: return ""
        }
    }

    /// Why a text is not a valid graph.
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// Reads the text form back. Nodes are rebuilt exactly as written (no simplification).
    public static func parse(_ text: String) throws(ParseError) -> Graph {
        var graph = Graph()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        for (number, line) in lines.enumerated() {
            var scanner = Scanner(String(line), line: number + 1)
            if scanner.take("root ") {
                let name = scanner.upTo(" = ")
                guard let node = scanner.nodeID(), node.index < graph.nodes.count else {
                    throw ParseError(line: number + 1, message: "root names an unknown node")
                }
                graph.roots.append(Graph.Root(name: name, node: node))
                continue
            }
            guard let id = scanner.nodeID(), id.index == graph.nodes.count, scanner.take(" = ") else {
                throw ParseError(line: number + 1, message: "expected '%\(graph.nodes.count) = '")
            }
            let word = scanner.word()
            let op = try scanner.op(word)
            var operands: [NodeID] = []
            while let operand = scanner.nodeID() {
                guard operand.index < id.index else {
                    throw ParseError(line: number + 1, message: "operand \(operand) is not defined before its use")
                }
                operands.append(operand)
                _ = scanner.take(",")
            }
            guard operands.count == op.arity else {
                throw ParseError(line: number + 1, message: "'\(word)' takes \(op.arity) operands, got \(operands.count)")
            }
            guard case .success(let shape) = op.resultShape(operands.map { graph[$0].shape }),
                scanner.take(": "), scanner.rest == shape.description
            else { throw ParseError(line: number + 1, message: "wrong or missing shape") }
            graph.addRaw(op, operands)
        }
        return graph
    }

    /// A cursor over one line of the text form.
    private struct Scanner {
        var text: Substring
        let line: Int

        init(_ text: String, line: Int) {
            self.text = Substring(text)
            self.line = line
        }

        var rest: String { String(text) }

        mutating func skipSpaces() { text = text.drop { $0 == " " } }

        mutating func take(_ prefix: String) -> Bool {
            guard text.hasPrefix(prefix) else { return false }
            text = text.dropFirst(prefix.count)
            return true
        }

        mutating func upTo(_ separator: String) -> String {
            guard let range = text.range(of: separator) else { return "" }
            let result = String(text[..<range.lowerBound])
            text = text[range.upperBound...]
            return result
        }

        mutating func word() -> String {
            skipSpaces()
            let word = text.prefix { $0 != " " }
            text = text.dropFirst(word.count)
            skipSpaces()
            return String(word)
        }

        mutating func nodeID() -> NodeID? {
            skipSpaces()
            guard text.first == "%" else { return nil }
            let digits = text.dropFirst().prefix { $0.isNumber }
            guard let index = Int(digits) else { return nil }
            text = text.dropFirst(1 + digits.count)
            return NodeID(index)
        }

        mutating func shape() throws(ParseError) -> Shape {
            skipSpaces()
            guard take("[") else { throw ParseError(line: line, message: "expected a shape") }
            let inside = upTo("]")
            skipSpaces()
            if inside.isEmpty { return .scalar }
            return Shape(
                inside.split(separator: ",").map { part in
                    let name = part.trimmingCharacters(in: " ")
                    return Int(name).map(Dim.fixed) ?? .runtime(name)
                })
        }

        mutating func number(after label: String) throws(ParseError) -> Double {
            guard take(label), let value = Double(word()) else {
                throw ParseError(line: line, message: "expected '\(label)NUMBER'")
            }
            return value
        }

        mutating func op(_ word: String) throws(ParseError) -> Op {
            switch word {
            case "input", "param", "state", "gradient":
                let name = self.word()
                let shape = try self.shape()
                switch word {
                case "input": return .leaf(.input(name, shape))
                case "param": return .leaf(.param(name, shape))
                case "state": return .leaf(.state(name, shape))
                default: return .leaf(.gradient(name, shape))
                }
            case "constant":
                guard let value = Double(self.word()) else { throw ParseError(line: line, message: "expected a number") }
                // `constant 3.0 lr_scale : []`: the const's name, if any, before the shape.
                return .leaf(.constant(value, name: text.hasPrefix(":") ? nil : self.word()))
            case "size": return .leaf(.size(try shape().dims))
            case "broadcast": return .structural(.broadcast(try shape()))
            case "sum_to": return .structural(.sumTo(try shape()))
            case "reshape": return .structural(.reshape(try shape()))
            case "leaky_relu": return .elementwise(.leakyRelu(slope: try number(after: "slope=")))
            case "huber": return .loss(.huber(delta: try number(after: "delta=")))
            case "softmax", "log_softmax":
                return .normalizer(word == "softmax" ? .softmax : .logSoftmax, axis: Int(try number(after: "axis=")))
            case "sum", "mean", "logsumexp":
                let reduction: Reduction = word == "sum" ? .sum : word == "mean" ? .mean : .logsumexp
                return .reduction(reduction, axis: text.hasPrefix("axis=") ? Int(try number(after: "axis=")) : nil)
            case "matmul": return .linearAlgebra(.matmul)
            case "transpose": return .linearAlgebra(.transpose)
            case "neg": return .elementwise(.negate)
            default:
                if let op = IRText.arithmeticMnemonics.first(where: { $0.value == word })?.key { return .arithmetic(op) }
                let unary: [Elementwise] = [.exp, .log, .sqrt, .abs, .square, .sin, .cos, .tanh, .sigmoid, .relu, .softplus, .step, .sign]
                if let op = unary.first(where: { $0.name == word }) { return .elementwise(op) }
                let losses: [Loss] = [.mse, .sse, .crossEntropy, .softmaxCrossEntropy, .binaryCrossEntropy, .sigmoidBinaryCrossEntropy]
                if let op = losses.first(where: { $0.name == word }) { return .loss(op) }
                throw ParseError(line: line, message: "unknown op '\(word)'")
            }
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        String(drop { $0 == character }.reversed().drop { $0 == character }.reversed())
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        String(self).trimmingCharacters(in: character)
    }
}
