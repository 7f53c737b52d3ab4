/// The C spelling of `Statement.gemm` (`adjoint compile --blas`): one `cblas_sgemm` or
/// `cblas_dgemm` call in row-major order, and `<cblas.h>` in the source only when a kernel has one.
extension CFunctionPrinter {
    /// The include of a source with CBLAS calls. `<cblas.h>` is where OpenBLAS (Debian's
    /// `libopenblas-dev`), BLIS and the reference CBLAS put it; a CBLAS that names it otherwise
    /// is chosen at build time (`-DADJOINT_CBLAS_HEADER='<mkl_cblas.h>'` for MKL,
    /// `'<Accelerate/Accelerate.h>'` on macOS).
    var cblasInclude: [String] {
        [
            "/* Large matrix products call a CBLAS (compiled with --blas): link one, e.g. -lopenblas. */",
            "#ifndef ADJOINT_CBLAS_HEADER", "#define ADJOINT_CBLAS_HEADER <cblas.h>", "#endif",
            "#include ADJOINT_CBLAS_HEADER", "",
        ]
    }

    /// Whether a kernel's body calls a CBLAS. A call is a whole loop nest of its own
    /// (`KernelLowering.gemmNest`), so only the top-level statements need looking at: the body
    /// of a large model runs to a million statements.
    static func callsBLAS(_ body: [Statement]) -> Bool {
        body.contains { if case .gemm = $0 { true } else { false } }
    }

    /// `cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, 784, 256, (int)(batch), 1.0f, x, 784, w0, 256, 0.0f, g->W1, 256);`
    func gemm(_ call: Gemm) -> String {
        // CBLAS takes sizes as `int` (OpenBLAS's default `blasint`); a runtime dim is cast.
        func size(_ expr: IntExpr) -> String {
            if case .constant(let value) = expr { return String(value) }
            return "(int)(\(integer(expr)))"
        }
        func transpose(_ operand: Gemm.Operand) -> String { operand.transposed ? "CblasTrans" : "CblasNoTrans" }
        func matrix(_ operand: Gemm.Operand) -> String {
            let base = basePointer(operand.storage)
            return "\(operand.offset == .zero ? base : "\(base) + \(integer(operand.offset))"), \(size(operand.leadingDimension))"
        }
        let function = precision == .float ? "cblas_sgemm" : "cblas_dgemm"
        let arguments = [
            "CblasRowMajor", transpose(call.a), transpose(call.b), size(call.m), size(call.n), size(call.k),
            syntax.literal(call.alpha), matrix(call.a), matrix(call.b), syntax.literal(call.beta), matrix(call.c),
        ]
        return "\(function)(\(arguments.joined(separator: ", ")));"
    }

    /// The pointer to a buffer's first element (`p->W1`, `x`, `w3`).
    func basePointer(_ storage: Storage) -> String {
        switch storage {
        case .param(let param): return "p->\(CIdentifiers.field(param))"
        case .gradient(let param): return "g->\(CIdentifiers.field(param))"
        case .state(let slot): return "s->\(CIdentifiers.field(slot))"
        case .input(let input): return CIdentifiers.user(input, model: name)
        case .output(let output), .intOutput(let output): return CIdentifiers.user(output, model: name)
        case .workspace(let slot): return "w\(slot)"
        case .constant(let table): return CFunctionPrinter.constantTable(table, model: name)
        case .local, .tile: preconditionFailure("internal error: a CBLAS operand in \(storage), not a buffer")
        }
    }
}
