// The `adjoint` command: argument parsing only; the work is in AdjointDriver.
import AdjointDriver
import AdjointIR
import Foundation

ProcessLifetime.setUpCompilerProcess()
// Diagnostics are written as they are rendered, not held until the command ends.
let result = CommandLineInterface.run(Array(CommandLine.arguments.dropFirst())) { text in
    FileHandle.standardError.write(Data(text.utf8))
}
FileHandle.standardError.write(Data(result.errors.utf8))
FileHandle.standardOutput.write(Data(result.output.utf8))
exit(result.status)
