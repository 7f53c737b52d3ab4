import AdjointDriver
import Foundation
import Testing

/// `docs/` is the user's documentation, and everything the product ships cites it: the generated
/// files, the sources' comments and help texts, the README, the grammar notes and the samples.
/// `docs/cli.md` covers every subcommand and every option the command line accepts.
@Suite struct UserDocumentTests {
    static let documents = ["docs/language.md", "docs/kernels.md", "docs/cli.md"]

    /// The files `adjoint compile` writes for `samples/digits.adj`, by name.
    static func generatedFiles() throws -> [String: String] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-docs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = Repository.url("samples/digits.adj").path
        for language in ["c", "swift"] {
            let result = CommandLineInterface.run(["compile", model, "--emit", language, "-o", folder.path])
            #expect(result.status == 0, "\(result.errors)")
        }
        var files: [String: String] = [:]
        for name in ["digits.h", "digits.c", "digits.swift"] {
            files[name] = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
        }
        return files
    }

    @Test func documentsExist() {
        for document in Self.documents {
            #expect(FileManager.default.fileExists(atPath: Repository.url(document).path), "\(document) is missing")
        }
    }

    /// A user who has only the generated file learns where its interface is described, and the
    /// document is there.
    @Test func generatedFilesCiteTheKernelsDocument() throws {
        let files = try Self.generatedFiles()
        for name in ["digits.h", "digits.swift"] {
            let header = files[name, default: ""].split(separator: "\n").prefix(3).joined(separator: "\n")
            #expect(header.contains("docs/kernels.md in the Adjoint repository"), "\(name) begins:\n\(header)")
        }
        #expect(FileManager.default.fileExists(atPath: Repository.url("docs/kernels.md").path))
    }

    /// Where `text` names a document users do not have: the team's `../shared` folder, or a bare
    /// `kernels.md`, `cli.md` or `language.md` rather than the one in `docs/`.
    static func strayCitations(in text: String) -> [String] {
        var found: [String] = []
        for range in text.ranges(of: "../shared") { found.append(line(of: range, in: text)) }
        for document in ["kernels.md", "cli.md", "language.md"] {
            for range in text.ranges(of: document) where !text[..<range.lowerBound].hasSuffix("docs/") {
                found.append(line(of: range, in: text))
            }
        }
        return found
    }

    static func line(of range: Range<String.Index>, in text: String) -> String {
        let start = text[..<range.lowerBound].lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
        let end = text[range.upperBound...].firstIndex(of: "\n") ?? text.endIndex
        return String(text[start..<end]).trimmingCharacters(in: .whitespaces)
    }

    /// The text files under `folder` (relative to the repository), skipping build folders.
    static func textFiles(under folder: String) -> [String] {
        let root = Repository.url(folder)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [folder] }
        let walker = FileManager.default.enumerator(atPath: root.path)
        var files: [String] = []
        while let relative = walker?.nextObject() as? String {
            if relative.split(separator: "/").last?.hasPrefix(".") == true {
                walker?.skipDescendants()
                continue
            }
            let path = "\(folder)/\(relative)"
            let url = Repository.url(path)
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue
            else { continue }
            files.append(path)
        }
        return files.sorted()
    }

    @Test func nothingCitesDocumentsUsersDoNotHave() throws {
        var stray: [String] = []
        var scanned = 0
        for path in ["Sources", "Plugins", "README.md", "grammar", "samples"].flatMap(Self.textFiles(under:)) {
            guard let data = FileManager.default.contents(atPath: Repository.url(path).path), !data.contains(0) else { continue }
            scanned += 1
            stray += Self.strayCitations(in: String(decoding: data, as: UTF8.self)).map { "\(path): \($0)" }
        }
        for (name, text) in try Self.generatedFiles() {
            stray += Self.strayCitations(in: text).map { "generated \(name): \($0)" }
        }
        #expect(scanned > 50, "only \(scanned) files scanned; is the repository root right?")
        #expect(stray.isEmpty, "cite docs/kernels.md, docs/cli.md or docs/language.md instead:\n\(stray.joined(separator: "\n"))")
    }

    @Test func strayCitationsAreFound() {
        #expect(Self.strayCitations(in: "see kernels.md (version 1)") == ["see kernels.md (version 1)"])
        #expect(Self.strayCitations(in: "the contract is\n../shared/spec/language.md.").count == 2)
        #expect(Self.strayCitations(in: "see docs/kernels.md and ../docs/cli.md").isEmpty)
    }

    /// Every relative link of the documents, the README and the grammar notes names a file that exists.
    @Test func relativeLinksResolve() throws {
        var broken: [String] = []
        for document in Self.documents + ["README.md", "grammar/README.md", "samples/mpi/README.md"] {
            let text = try String(contentsOf: Repository.url(document), encoding: .utf8)
            let folder = Repository.url(document).deletingLastPathComponent()
            for start in text.ranges(of: "](") {
                guard let end = text[start.upperBound...].firstIndex(of: ")") else { continue }
                let target = String(text[start.upperBound..<end])
                let path = String(target.prefix { $0 != "#" })
                if target.contains("://") || path.isEmpty { continue }
                if !FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).standardized.path) {
                    broken.append("\(document): \(target)")
                }
            }
        }
        #expect(broken.isEmpty, "links to missing files:\n\(broken.joined(separator: "\n"))")
    }

    // MARK: - docs/cli.md against the command line

    /// The subcommands `adjoint --help` lists.
    static func subcommands() -> [String] {
        let overview = CommandLineInterface.run(["--help"]).output
        let section = overview.components(separatedBy: "subcommands:\n").dropFirst().first ?? ""
        var names: [String] = []
        for line in section.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { break }
            // `  derive    the forward program ...`; continuation lines are indented further.
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else { continue }
            names.append(String(name))
        }
        return names
    }

    /// The options a subcommand's parser accepts, as its message about an unknown option lists them.
    static func options(of subcommand: String) -> [String] {
        let result = CommandLineInterface.run([subcommand, "--no-such-option", "model.adj"])
        guard let list = result.errors.components(separatedBy: "the options are ").dropFirst().first,
            let end = list.range(of: " (see")
        else { return [] }
        return list[..<end.lowerBound].replacingOccurrences(of: " and ", with: ", ").components(separatedBy: ", ")
    }

    /// The part of docs/cli.md under `## SUBCOMMAND`, up to the next `## ` heading.
    static func section(_ subcommand: String, of document: String) -> String? {
        guard let start = document.range(of: "\n## \(subcommand)\n") else { return nil }
        let rest = document[start.upperBound...]
        return String(rest[..<(rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex)])
    }

    @Test func cliDocumentCoversEverySubcommandAndOption() throws {
        let document = try String(contentsOf: Repository.url("docs/cli.md"), encoding: .utf8)
        let subcommands = Self.subcommands()
        #expect(Set(subcommands).isSuperset(of: ["derive", "eval", "check", "graph", "compile", "fit"]), "\(subcommands)")
        for subcommand in subcommands {
            guard let section = Self.section(subcommand, of: document) else {
                Issue.record("docs/cli.md has no section '## \(subcommand)'")
                continue
            }
            let options = Self.options(of: subcommand)
            #expect(options.contains("--help"), "no option list for \(subcommand): \(options)")
            for option in options {
                #expect(section.contains("`\(option)"), "docs/cli.md does not document \(subcommand) \(option)")
            }
        }
    }
}
