import Foundation

/// Paths in the repository, found from this file's location so tests run from any folder.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// The `.adj` files directly in a folder, sorted by name.
    static func models(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url(folder).path)) ?? []
        return names.filter { $0.hasSuffix(".adj") }.sorted().map { "\(folder)/\($0)" }
    }
}
