import AdjointIR
import AdjointSema
import AdjointSyntax

/// Prints a checked program as `adjoint derive` shows it: every declaration with its resolved
/// shape, then one line per named value, `h: [batch, 32] = relu(x @ W1 + b1)`.
public enum ForwardProgramPrinter {
    public static func print(_ program: CheckedProgram, path: String) -> String {
        var lines = ["# forward program of \(path)"]
        for dim in program.dims {
            lines.append(dim.size.map { "dim \(dim.name) = \($0)" } ?? "dim \(dim.name)  # runtime")
        }
        for constant in program.constants {
            if let (shape, pattern) = constant.tensor {
                lines.append("const \(constant.name): \(shape) = \(pattern.text(sizes: shape.sizes([:])))")
            } else {
                lines.append("const \(constant.name) = \(formatNumber(constant.value))")
            }
        }
        for input in program.inputs {
            lines.append("input \(input.name): \(input.element == .int ? "int" : "")\(input.shape)")
        }
        for param in program.params {
            lines.append("param \(param.name): \(param.shape) = \(param.initializer)")
        }
        for value in program.values {
            lines.append("\(value.name): \(value.shape) = \(ExprPrinter.print(value.source))")
        }
        let objective = program.objective
        if !objective.isNamed {
            lines.append("\(objective.name): \(objective.expr.shape) = \(ExprPrinter.print(objective.source))")
        }
        if !program.outputs.isEmpty {
            lines.append("output " + program.outputs.joined(separator: ", "))
        }
        lines.append("minimize \(objective.name) using \(program.updateRule)")
        return lines.joined(separator: "\n") + "\n"
    }
}
