import AdjointDriver
import AdjointSyntax
import Foundation
import Testing

/// One-character mistakes in every sample: the front end never crashes, reports a stray character
/// exactly where it is, and does not bury a small mistake under a cascade of errors.
@Suite struct MutationTests {
    static let samples = Repository.models(in: "samples")

    private static func statementBytes(_ bytes: [UInt8]) -> [Int] {
        // Offsets outside comments: where an edit changes the model rather than a comment.
        var offsets: [Int] = []
        var inComment = false
        for (offset, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "#") { inComment = true }
            if byte == UInt8(ascii: "\n") { inComment = false }
            if !inComment && byte != UInt8(ascii: "\n") { offsets.append(offset) }
        }
        return offsets
    }

    @Test(arguments: samples)
    func insertedStrayCharacterIsReportedOnceWhereItIs(path: String) throws {
        let bytes = Array(try Data(contentsOf: Repository.url(path)))
        for offset in Self.statementBytes(bytes) {
            var mutated = bytes
            mutated.insert(UInt8(ascii: "$"), at: offset)
            let file = SourceFile(path: path, bytes: mutated)
            let result = Frontend.check(file)
            #expect(result.diagnostics.map(\.id) == [.unexpectedCharacter], "at \(file.location(of: offset))")
            #expect(result.diagnostics.first.map { $0.location(in: file) } == file.location(of: offset))
        }
    }

    @Test(arguments: samples)
    func deletedCharacterGivesFewDiagnosticsAndNoCrash(path: String) throws {
        let bytes = Array(try Data(contentsOf: Repository.url(path)))
        for offset in Self.statementBytes(bytes) {
            var mutated = bytes
            mutated.remove(at: offset)
            let file = SourceFile(path: path, bytes: mutated)
            let result = Frontend.check(file)
            // A deleted character in a declared name is reported at each use of the name; a handful
            // at most in these samples. Every diagnostic points inside the file.
            #expect(result.diagnostics.count <= 3, "deleting at \(file.location(of: offset)):\n\(result.renderedDiagnostics)")
            for diagnostic in result.diagnostics {
                #expect(diagnostic.range.start <= mutated.count)
            }
        }
    }
}
