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
            var text = "%\(index) = \(node.op.mnemonic)"
            let attributes = self.attributes(node.op)
            if !attributes.isEmpty { text += " " + attributes }
            if !node.operands.isEmpty { text += " " + node.operands.map(\.description).joined(separator: ", ") }
            lines.append(text + " : \(node.shape)")
        }
        for root in graph.roots { lines.append("root \(root.name) = \(root.node)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// What follows the mnemonic: a leaf's name and shape, a structural op's shape, or the op's
    /// attributes (`axis=1`, `slope=0.1`).
    static func attributes(_ op: Op) -> String {
        switch op {
        case .leaf(.input(let name, let shape)), .leaf(.intInput(let name, let shape)), .leaf(.param(let name, let shape)),
            .leaf(.state(let name, let shape)), .leaf(.gradient(let name, let shape)):
            return "\(name) \(shape)"
        case .leaf(.tensorConstant(let name, let shape, let pattern)):
            return "\(name) \(shape) \(pattern.text.filter { $0 != " " })"
        case .indexing(let op): return op.irAttributes
        case .leaf(.constant(let value, let name)): return name.map { "\(value) \($0)" } ?? "\(value)"
        case .leaf(.size(let dims)): return "\(Shape(dims))"
        case .leaf(.random(let draw)): return draw.irAttributes
        case .structural(let op): return "\(op.target)"
        case .elementwise, .arithmetic, .reduction, .normalizer, .linearAlgebra, .loss:
            return op.attributes.map(\.irText).joined(separator: " ")
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

        /// `axis=1 slope=0.1 axes=[0,2,1]`: the attributes before the operands.
        mutating func attributes() throws(ParseError) -> [(name: String, value: OpAttribute.Value)] {
            var result: [(name: String, value: OpAttribute.Value)] = []
            skipSpaces()
            while let first = text.first, first != "%", first != ":" {
                let word = self.word()
                let parts = word.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[1].hasPrefix("["), parts[1].hasSuffix("]") {
                    let inside = parts[1].dropFirst().dropLast()
                    let items = inside.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
                    guard inside.isEmpty || items.allSatisfy({ $0 != nil }) else {
                        throw ParseError(line: line, message: "expected 'NAME=[INT,...]', got '\(word)'")
                    }
                    result.append((String(parts[0]), .axes(inside.isEmpty ? [] : items.map { $0! })))
                    continue
                }
                guard parts.count == 2, let value = Double(parts[1]) else {
                    throw ParseError(line: line, message: "expected 'NAME=NUMBER', got '\(word)'")
                }
                result.append((String(parts[0]), .number(value)))
            }
            return result
        }

        mutating func op(_ word: String) throws(ParseError) -> Op {
            switch word {
            case "input", "int_input", "param", "state", "gradient":
                let name = self.word()
                let shape = try self.shape()
                switch word {
                case "input": return .leaf(.input(name, shape))
                case "int_input": return .leaf(.intInput(name, shape))
                case "param": return .leaf(.param(name, shape))
                case "state": return .leaf(.state(name, shape))
                default: return .leaf(.gradient(name, shape))
                }
            case "constant":
                guard let value = Double(self.word()) else { throw ParseError(line: line, message: "expected a number") }
                // `constant 3.0 lr_scale : []`: the const's name, if any, before the shape.
                return .leaf(.constant(value, name: text.hasPrefix(":") ? nil : self.word()))
            case "size": return .leaf(.size(try shape().dims))
            case "normal", "uniform", "dropout_mask":
                // `normal stream=0 [batch, 8]`, `dropout_mask p=0.5 stream=1 [batch, 32]`.
                var words = [self.word()]
                if word == "dropout_mask" { words.append(self.word()) }
                guard let draw = RandomDraw.parse(word, words, shape: try shape()) else {
                    throw ParseError(line: line, message: "bad attributes '\(words.joined(separator: " "))' of '\(word)'")
                }
                return .leaf(.random(draw))
            case "tensor_constant":
                let name = self.word()
                let shape = try self.shape()
                let text = self.word()
                let pattern: ConstantPattern?
                switch text {
                case "eye": pattern = .eye
                case "tril": pattern = .tril
                case "triu": pattern = .triu
                case _ where text.hasPrefix("["):
                    let values = text.dropFirst().dropLast().split(separator: ",").map { Double($0) }
                    pattern = values.contains(nil) ? nil : .values(values.map { $0! })
                default: pattern = Double(text).map(ConstantPattern.fill)
                }
                guard let pattern else { throw ParseError(line: line, message: "expected a constant pattern, got '\(text)'") }
                return .leaf(.tensorConstant(name, shape, pattern))
            case _ where Indexing.names.contains(word):
                let text = self.word()
                guard let op = Indexing.parse(word, text) else { throw ParseError(line: line, message: "bad attributes '\(text)' of '\(word)'") }
                return .indexing(op)
            default:
                if Structural.named(word, target: .scalar) != nil {
                    return .structural(Structural.named(word, target: try shape())!)
                }
                let attributes = try self.attributes()
                guard let op = Op.computation(mnemonic: word, values: attributes) else {
                    let expected = Op.computations.first { $0.mnemonic == word }
                    guard let expected else { throw ParseError(line: line, message: "unknown op '\(word)'") }
                    let names = expected.attributes.map { attribute in
                        if case .axes = attribute.value { return "\(attribute.name)=[INT,...]" }
                        return "\(attribute.name)=NUMBER"
                    }.joined(separator: " ")
                    throw ParseError(line: line, message: "'\(word)' takes attributes '\(names)'")
                }
                return op
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
