// The `adjoint` command: argument parsing only; the work is in AdjointDriver.
import AdjointDriver
import AdjointIR
import Foundation

ProcessLifetime.setUpCompilerProcess()
let result = CommandLineInterface.run(Array(CommandLine.arguments.dropFirst()))
FileHandle.standardError.write(Data(result.errors.utf8))
FileHandle.standardOutput.write(Data(result.output.utf8))
exit(result.status)
