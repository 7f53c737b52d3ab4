import AdjointDriver
import AdjointSyntax
import Testing

@Suite struct TmpScan {
    @Test func scan() {
        var found = 0
        for seed in 0..<3000 as Range<UInt64> {
            let text = FuzzTests.model(seed: seed)
            guard let program = Frontend.check(SourceFile(path: "m.adj", text: text)).checked else { continue }
            let full = Derivation(path: "m.adj", program: program).render(.text)
            let out = full[full.range(of: "# gradients")!.lowerBound...]
            let lines = out.split(separator: "\n").filter { $0.contains("δ₁ + δ₁") || $0.contains("−(−") || $0.contains("+ −") || $0.contains(" −") && !$0.contains(" − ") || $0.hasPrefix("  δ") && $0.hasSuffix("ᵀ") }
            if !lines.isEmpty && found < 12 { found += 1; print("SEED \(seed) " + lines.joined(separator: " || ")) }
        }
    }
}
