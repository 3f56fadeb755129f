// `--input-size WxH`, shared by predict and bench.
import Keypoints

/// Parses a network input size `WxH` with positive multiples of 32 (e.g. `192x256`); nil otherwise.
func parseInputSize(_ text: String) -> GridSize? {
    let parts = text.split(separator: "x").compactMap { Int($0) }
    guard parts.count == 2, parts.allSatisfy({ $0 > 0 && $0 % 32 == 0 }) else { return nil }
    return GridSize(width: parts[0], height: parts[1])
}
