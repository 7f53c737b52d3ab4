import AdjointAutodiff
import AdjointIR

/// The private static kernels of the generated struct: the loop IR spelled in Swift, statement
/// for statement as the C printer spells it (the same loops, the same order of operations, so
/// that the two agree to rounding), on unsafe pointers with wrapping index arithmetic (`&+`,
/// `&*`: every index is in bounds of a buffer whose size the public method checked).
extension SwiftPrinter {
    func kernelExtension() -> [String] {
        var lines = [
            "// MARK: - Kernels: the loop IR on unsafe pointers",
            "extension \(typeName) {",
            "    /// Where each param's elements are (and each gradient's: it has the params' layout).",
            "    private struct ParamPointers {",
        ]
        lines += kernels.params.map { "        let \(paramFields[$0.name]!): UnsafeMutablePointer<\(real)>" }
        lines += ["    }", "", "    /// Where each of the update rule's moments is.", "    private struct StatePointers {"]
        lines += moments.map { "        let \(stateFields[$0.name]!): UnsafeMutablePointer<\(real)>" }
        lines.append("    }")
        let tables = CPrinter.constantsRead(kernels.kernels.map(\.body))
        for name in kernels.constantTables.keys.sorted() where tables.contains(name) {
            let values = kernels.constantTables[name]!.map(syntax.literal).joined(separator: ", ")
            lines += ["", "    /// `const \(name)`: its elements, row-major.", "    private static let \(Self.constantTable(name)): [\(real)] = [\(values)]"]
        }
        if kernels.kernels.contains(where: { CPrinter.usesRegisterTiles($0.body) }) { lines += [""] + tileRows }
        for kernel in kernels.kernels {
            lines += [""] + function(kernel).map { $0.isEmpty ? $0 : "    " + $0 }
        }
        lines.append("}")
        return lines
    }

    /// A tensor constant's table: `const_w`.
    static func constantTable(_ name: String) -> String { "const_" + SwiftIdentifiers.field(name) }

    /// The rows of a matrix product's register tile (`KernelLowering.tiledMatmulNest`; the C
    /// source's `ADJOINT_TILE_ROWS`): rows × 32 accumulators in vector registers. Swift has no
    /// test of the target's vector extensions at compile time, only of its architecture: arm64
    /// has 32 NEON registers of 4 floats; an x86-64 build is SSE2 (16 registers of 4) unless told
    /// otherwise (`-target-cpu`). Two rows measured best both ways on samples/mnist-mlp.adj
    /// (2026-11-27, one thread: SSE2 4.47 to 4.53 ms a step against 4.61 to 4.62 for 4 rows;
    /// `-target-cpu native` with AVX-512 1.31 ms against 1.37 for 4 rows and 2.1 for 8).
    var tileRows: [String] {
        let (arm64, other) = precision == .float ? (3, 2) : (1, 1)
        return [
            "    /// Rows per register tile: rows × 32 accumulators kept in vector registers.",
            "    #if arch(arm64)", "    private static let tileRows = \(arm64)", "    #else",
            "    private static let tileRows = \(other)", "    #endif",
        ]
    }

    /// `private static func stepKernel(p:s:t:x:y:batch:workspace:) -> Float { ... }`.
    func function(_ kernel: Kernel) -> [String] {
        var parameters: [String] = ["p: ParamPointers"]
        if kernel.kind == .apply || kernel.kind == .step { parameters += ["s: StatePointers", "t: inout Int64"] }
        if kernel.kind == .step && kernel.draws { parameters.append("seed: UInt64") }
        if kernel.kind == .apply { parameters.append("g: ParamPointers") }
        for argument in kernel.arguments {
            switch argument {
            case .input(let name, _): parameters.append("\(local(name)): UnsafePointer<\(real)>")
            case .intInput(let name, _): parameters.append("\(local(name)): UnsafePointer<Int32>")
            case .dim(let name): parameters.append("\(local(name)): Int")
            case .output(let name, _): parameters.append("\(local(name)): UnsafeMutablePointer<\(real)>")
            case .stream: parameters += ["seed: UInt64", "t: Int64"]
            case .intOutput(let name, _): parameters.append("\(local(name)): UnsafeMutablePointer<Int32>")
            }
        }
        if kernel.kind == .gradient { parameters.append("g: ParamPointers") }
        if kernel.takesWorkspace { parameters.append("workspace: UnsafeMutableRawPointer") }
        let result = kernel.result == nil ? "" : " -> \(real)"
        var lines = [
            "/// \(Self.summary[kernel.kind]!)",
            "private static func \(kernel.kind.rawValue)Kernel(\(parameters.joined(separator: ", ")))\(result) {",
        ]
        if kernel.takesWorkspace, !kernel.workspace.slots.isEmpty {
            // Each rounded slot size once, as a typed `Int` (`let size0: Int = (48 &* batch &+ 15)
            // / 16 &* 16`): spelled out inside every offset, swiftc took most of a second to
            // type-check each offset line of a model with a runtime dim.
            var sizes: [IntExpr: String] = [:]
            func named(_ expr: IntExpr) -> IntExpr {
                switch expr {
                case .sum(let terms): return .sum(terms.map(named))
                case .product(let factors): return .product(factors.map(named))
                case .roundedUp:
                    if let name = sizes[expr] { return .variable(name) }
                    let name = "size\(sizes.count)"
                    lines.append("    let \(name): Int = \(integer(expr, wrapping: true))")
                    sizes[expr] = name
                    return .variable(name)
                default: return expr
                }
            }
            let offsets = kernel.workspace.offsets(elementBytes: precision.bytes).map(named)
            lines.append("    let scratch = workspace.bindMemory(to: \(real).self, capacity: \(integer(offsets.last!, wrapping: true)))")
            for slot in kernel.workspace.slots.indices {
                let offset = offsets[slot]
                let text = integer(offset, wrapping: true)
                lines.append("    let w\(slot) = \(offset == .zero ? "scratch" : text.contains(" ") ? "scratch + (\(text))" : "scratch + \(text)")")
            }
        }
        lines += block(kernel.body, indent: 1)
        if let result = kernel.result { lines.append("    return \(scalar(result))") }
        lines.append("}")
        return lines
    }

    /// A list of statements. A tile declaration opens a scope for the statements after it: C's
    /// `real acc[32];` becomes a stack allocation whose closure holds the rest of the block (the
    /// optimizer inlines it and keeps the accumulators in registers, as the C compiler does).
    func block(_ statements: [Statement], indent: Int) -> [String] {
        guard let index = statements.firstIndex(where: { if case .declareTile = $0 { true } else { false } }),
            case .declareTile(let name, let count) = statements[index]
        else { return statements.flatMap { print($0, indent: indent) } }
        let pad = String(repeating: "    ", count: indent)
        return statements[..<index].flatMap { print($0, indent: indent) }
            + ["\(pad)withUnsafeTemporaryAllocation(of: \(real).self, capacity: \(count)) { \(name) in"]
            + block(Array(statements[(index + 1)...]), indent: indent + 1) + ["\(pad)}"]
    }

    func print(_ statement: Statement, indent: Int) -> [String] {
        let pad = String(repeating: "    ", count: indent)
        switch statement {
        case .comment(let text):
            return [""] + text.split(separator: "\n").map { pad + "// " + $0 }
        case .loop(let variable, let start, let end, let step, let body):
            let inner = block(body, indent: indent + 1)
            // A loop whose body ignores its counter only repeats (Swift warns on an unused name).
            let name = Self.mentions(inner, variable) ? variable : "_"
            let range =
                start == .zero && step == 1 && Self.isNonNegative(end)
                ? "0..<\(integer(end, wrapping: true))"
                : "stride(from: \(integer(start, wrapping: true)), to: \(integer(end, wrapping: true)), by: \(step))"
            return ["\(pad)for \(name) in \(range) {"] + inner + ["\(pad)}"]
        case .parallelLoop(let variable, let start, let end, let step, let body):
            // Swift has no OpenMP: the iterations run in order, the same result as C without it.
            return print(.loop(variable: variable, start: start, end: end, step: step, body: body), indent: indent)
        case .declareTile(let name, let count):
            // Handled by `print(_ statements:)`, which wraps the rest of the block in the tile's scope.
            preconditionFailure("internal error: tile \(name)[\(count)] outside a statement list")
        case .define(let name, let value): return ["\(pad)let \(name): \(real) = \(scalar(value))"]
        case .declare(let name, let value): return ["\(pad)var \(name): \(real) = \(scalar(value))"]
        case .assign(let name, let value): return ["\(pad)\(name) = \(scalar(value))"]
        case .store(.intOutput(let name), let index, let value):
            return ["\(pad)\(element(.intOutput(name), index)) = Int32(\(scalar(value)))"]
        case .store(let storage, let index, let value): return ["\(pad)\(element(storage, index)) = \(scalar(value))"]
        case .accumulate(let storage, let index, let value): return ["\(pad)\(element(storage, index)) += \(scalar(value))"]
        case .incrementStepCount: return ["\(pad)t &+= 1"]
        case .gemm:
            // `--blas` is C only: the command line refuses it with `--emit swift`.
            preconditionFailure("internal error: a CBLAS call in Swift kernels (lowered with --blas)")
        case .declareFlag(let flag): return ["\(pad)var \(flag) = false"]
        case .flagOutside(let flag, let id, let bound):
            return ["\(pad)\(flag) = \(flag) || \(integer(id, wrapping: true)) < 0 || \(integer(id, wrapping: true)) >= \(integer(bound, wrapping: true))"]
        case .exitIf(let flag, let body, let returnsNaN):
            return ["\(pad)if \(flag) {"] + block(body, indent: indent + 1) + ["\(pad)    return\(returnsNaN ? " .nan" : "")", "\(pad)}"]
        }
    }

    /// Whether an integer expression is at least 0 by its form (no negative constant in it), so
    /// that `0..<end` cannot trap; any other bound takes `stride`, which runs no iteration.
    static func isNonNegative(_ expr: IntExpr) -> Bool {
        switch expr {
        case .constant(let value): return value >= 0
        case .variable, .dim: return true
        case .sum(let terms): return terms.allSatisfy(isNonNegative)
        case .product(let factors): return factors.allSatisfy(isNonNegative)
        case .quotient(let a, let b), .remainder(let a, let b), .min(let a, let b): return isNonNegative(a) && isNonNegative(b)
        case .roundedUp(let a, _): return isNonNegative(a)
        case .element, .select: return false
        }
    }

    /// Whether any line uses `name` as a whole identifier.
    static func mentions(_ lines: [String], _ name: String) -> Bool {
        lines.contains { line in
            !line.trimmingPrefix(while: { $0 == " " }).hasPrefix("//")
                && line.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).contains { $0 == name }
        }
    }

    func element(_ storage: Storage, _ index: IntExpr) -> String {
        let at = "[\(integer(index, wrapping: true))]"
        switch storage {
        case .local(let name): return name
        case .tile(let name): return name + at
        case .param(let param): return "p.\(paramFields[param]!)" + at
        case .gradient(let param): return "g.\(paramFields[param]!)" + at
        case .state(let slot): return "s.\(stateFields[slot]!)" + at
        case .input(let name), .output(let name), .intOutput(let name): return local(name) + at
        case .workspace(let slot): return "w\(slot)" + at
        case .constant(let name): return "Self.\(Self.constantTable(name))" + at
        }
    }

    func scalar(_ expr: ScalarExpr) -> String {
        expr.spelled(
            syntax,
            element: { storage, index in
                // An `int` output read back (`pred == y` after `pred = argmax(...)`): an `Int32`.
                if case .intOutput = storage { return "\(real)(\(element(storage, index)))" }
                return element(storage, index)
            }, condition: { "\(integer($1, wrapping: true)) \($0.rawValue) \(integer($2, wrapping: true))" },
            integer: { "\(real)(\(integer($0, wrapping: true)))" }, stepCount: { $0 == 0 ? "\(real)(t)" : "\(real)(t &+ \($0))" },
            draw: { "\(real)(\(Self.drawCall($0, index: integer($1, wrapping: true))))" })
    }

    /// An integer expression in Swift, parenthesized only where precedence needs it; `wrapping`
    /// spells `+` and `*` as `&+` and `&*` (indices and sizes the checks have bounded), otherwise
    /// trapping (a size compared with a buffer's count, where overflow must not pass silently).
    func integer(_ expr: IntExpr, wrapping: Bool) -> String {
        let (plus, times) = wrapping ? ("&+", "&*") : ("+", "*")
        switch expr {
        case .constant(let value): return String(value)
        case .variable(let name):
            switch name {
            // One tile shape for every product: rows × 32 (Swift cannot test the vector extensions).
            case KernelLowering.tileRowsName, KernelLowering.narrowTileRowsName: return "Self.tileRows"
            case KernelLowering.tileColumnsName: return String(KernelLowering.registerTile.columns)
            default: return name
            }
        case .dim(let name): return local(name)
        case .sum(let terms):
            // A negative constant, or a product led by one, reads as a subtraction: `a &- 7`.
            let minus = wrapping ? "&-" : "-"
            return terms.enumerated().map { position, term in
                guard position > 0 else { return integer(term, wrapping: wrapping) }
                switch term {
                case .constant(let value) where value < 0: return " \(minus) \(-value)"
                case .product(let factors):
                    if case .constant(let value) = factors.first, value < 0 {
                        return " \(minus) " + integer(.constant(-value) * .product(Array(factors.dropFirst())), wrapping: wrapping)
                    }
                    return " \(plus) " + integer(term, wrapping: wrapping)
                default: return " \(plus) " + integer(term, wrapping: wrapping)
                }
            }.joined()
        case .product(let factors):
            return factors.map { factor in
                switch factor {
                case .constant, .variable, .dim, .min, .product, .element, .select: return integer(factor, wrapping: wrapping)
                default: return "(\(integer(factor, wrapping: wrapping)))"
                }
            }.joined(separator: " \(times) ")
        case .quotient(let a, let b): return "(\(integer(a, wrapping: wrapping))) / (\(integer(b, wrapping: wrapping)))"
        case .remainder(let a, let b): return "(\(integer(a, wrapping: wrapping))) % (\(integer(b, wrapping: wrapping)))"
        case .min(let a, let b): return "Swift.min(\(integer(a, wrapping: wrapping)), \(integer(b, wrapping: wrapping)))"
        case .roundedUp(let a, let multiple):
            return "(\(integer(a, wrapping: wrapping)) \(plus) \(multiple - 1)) / \(multiple) \(times) \(multiple)"
        case .element(let storage, let index):
            // An `Int32` id, widened for the index arithmetic around it.
            return "Int(\(element(storage, index)))"
        case .select(let comparison, let a, let b, let c, let d):
            let condition = "\(integer(a, wrapping: wrapping)) \(comparison.rawValue) \(integer(b, wrapping: wrapping))"
            return "(\(condition) ? \(integer(c, wrapping: wrapping)) : \(integer(d, wrapping: wrapping)))"
        }
    }

    // MARK: - Support types

    /// The scratch `step` owns and SplitMix64 for `init(seed:)`, private to the struct.
    func supportExtension() -> [String] {
        var lines = [
            "// MARK: - Support",
            "extension \(typeName) {",
            "    /// Scratch memory, 64-byte aligned, freed with its last owner. Only a uniquely referenced",
            "    /// instance is written to (`step` replaces a shared one first), so sharing it is safe.",
            "    private final class Scratch: @unchecked Sendable {",
            "        let pointer: UnsafeMutableRawPointer",
            "        let bytes: Int",
            "",
            "        init(bytes: Int) {",
            "            self.bytes = bytes",
            "            pointer = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(bytes, 64), alignment: 64)",
            "        }",
            "",
            "        deinit { pointer.deallocate() }",
            "    }",
        ]
        if kernels.draws { lines += [""] + randomSupport }
        let draws = kernels.params.map(\.initialization).filter { if case .constant = $0 { false } else { true } }
        if !draws.isEmpty {
            lines += [
                "",
                "    /// SplitMix64, as docs/kernels.md specifies, so that every backend starts from the same params.",
                "    private struct SplitMix64 {",
                "        var state: UInt64",
                "",
                "        mutating func next() -> UInt64 {",
                "            state &+= 0x9E37_79B9_7F4A_7C15",
                "            var z = state",
                "            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9",
                "            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB",
                "            return z ^ (z >> 31)",
                "        }",
                "",
                "        /// Uniform in [0, 1): the top 53 bits.",
                "        mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }",
            ]
            if draws.contains(where: { if case .normal = $0 { true } else { false } }) {
                lines += [
                    "",
                    "        /// Standard normal: Box-Muller on two uniform draws, one normal per pair.",
                    "        mutating func normal() -> Double {",
                    "            let u1 = uniform()",
                    "            let u2 = uniform()",
                    "            return (-2.0 * Foundation.log(1.0 - u1)).squareRoot() * Foundation.cos(2.0 * 3.141592653589793 * u2)",
                    "        }",
                ]
            }
            lines.append("    }")
        }
        lines.append("}")
        return lines
    }
}

// MARK: - The counter-based stream
extension SwiftPrinter {
    /// A draw's element in double: `Self.streamNormal(Self.streamKey(seed, t, 0), UInt64(truncatingIfNeeded: i0 &* 8 &+ i1))`.
    static func drawCall(_ draw: RandomDraw, index: String) -> String {
        let (key, counter) = ("Self.streamKey(seed, t, \(draw.stream))", "UInt64(truncatingIfNeeded: \(index))")
        switch draw.distribution {
        case .normal: return "Self.streamNormal(\(key), \(counter))"
        case .uniform: return "Self.streamUniform(\(key), \(counter))"
        case .keep(let p): return "Self.streamKeep(\(key), \(counter), \(p))"
        }
    }

    /// The stream's functions, as `RandomDraw` (the reference) and the C source define them.
    var randomSupport: [String] {
        var lines = [
            "    /// The random stream (docs/kernels.md): SplitMix64's output function as a hash.",
            "    @inline(__always) private static func streamMix(_ x: UInt64) -> UInt64 {",
            "        var z = x &+ 0x9E37_79B9_7F4A_7C15",
            "        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9",
            "        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB",
            "        return z ^ (z >> 31)",
            "    }",
            "",
            "    /// The key of one draw (its stream id) at one step.",
            "    @inline(__always) private static func streamKey(_ seed: UInt64, _ t: Int64, _ stream: UInt64) -> UInt64 {",
            "        streamMix(streamMix(streamMix(seed) ^ UInt64(bitPattern: t)) ^ stream)",
            "    }",
            "",
            "    /// Uniform in [0, 1) from counter i of a key: the top 53 bits.",
            "    @inline(__always) private static func streamUniform(_ key: UInt64, _ i: UInt64) -> Double {",
            "        Double(streamMix(key ^ i) >> 11) * 0x1.0p-53",
            "    }",
        ]
        if kernels.drawsAny("normal") {
            lines += [
                "",
                "    /// Standard normal for element i: Box-Muller on the uniforms at counters 2i and 2i + 1.",
                "    @inline(__always) private static func streamNormal(_ key: UInt64, _ i: UInt64) -> Double {",
                "        let u1 = streamUniform(key, 2 &* i)",
                "        let u2 = streamUniform(key, 2 &* i &+ 1)",
                "        return (-2.0 * Foundation.log(1.0 - u1)).squareRoot() * Foundation.cos(2.0 * 3.141592653589793 * u2)",
                "    }",
            ]
        }
        if kernels.drawsAny("dropout_mask") {
            lines += [
                "",
                "    /// Dropout's mask for element i: 1 / (1 - p) where the uniform is at least p, else 0.",
                "    @inline(__always) private static func streamKeep(_ key: UInt64, _ i: UInt64, _ p: Double) -> Double {",
                "        streamUniform(key, i) >= p ? 1.0 / (1.0 - p) : 0.0",
                "    }",
            ]
        }
        return lines
    }
}
