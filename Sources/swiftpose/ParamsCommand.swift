// `swiftpose params`: parameter counts per part of a model, then the total.
import ArgumentParser
import NN
import PoseModels

struct Params: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a model's parameter counts per part (stem, layer1-4, deconv blocks, 1x1 heads) and the total.",
        discussion: """
            Counts trainable parameters as PyTorch's sum(p.numel() for p in model.parameters()).

            Example:
              swiftpose params --model res50_3
            """)

    @OptionGroup var model: ModelArguments

    func run() throws {
        let net = try model.makeModel()
        let rows = parameterTable(net)
        let total = rows.reduce(0) { $0 + $1.count }
        let nameWidth = max(rows.map(\.part.count).max() ?? 0, "total".count)
        let numberWidth = formatCount(total).count
        func line(_ part: String, _ count: Int) -> String {
            part.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
                + String(repeating: " ", count: max(0, numberWidth - formatCount(count).count)) + formatCount(count)
        }
        print("\(try model.parsedName()) (width \(model.width.rawValue), \(model.joints) joints)")
        for row in rows { print(line(row.part, row.count)) }
        print(line("total", total))
    }
}

/// Parameter counts grouped by part, in model order: stem, layer1…4, deconv1…3, the 1×1 heads.
func parameterTable(_ model: PoseNet) -> [(part: String, count: Int)] {
    var rows: [(part: String, count: Int)] = []
    for (key, tensor) in model.namedParameters() {
        let part = partName(of: key)
        if rows.last?.part == part {
            rows[rows.count - 1].count += tensor.count
        } else {
            rows.append((part, tensor.count))
        }
    }
    return rows
}

/// `conv1.weight` → stem, `layer2.0.conv1.weight` → layer2, `deconv_layers.4.weight` → deconv2,
/// `final_layers.1.bias` → final_layers.1.
private func partName(of key: String) -> String {
    let parts = key.split(separator: ".")
    switch parts[0] {
    case "conv1", "bn1": return "stem"
    case "deconv_layers": return "deconv\(Int(parts[1])! / 3 + 1)"
    case "final_layers": return "final_layers.\(parts[1])"
    default: return String(parts[0])
    }
}

/// 34450316 → "34,450,316".
func formatCount(_ n: Int) -> String {
    let digits = String(n)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return out
}
