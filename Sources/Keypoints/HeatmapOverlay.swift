// Heatmaps drawn over the image they describe: the max over joints, upsampled, as a jet colour map.

/// The jet colour map (as matplotlib/OpenCV `COLORMAP_JET`) at `v` in [0, 1]: blue → cyan → yellow → red.
public func jetColor(_ v: Double) -> RGBColor {
    let t = min(max(v, 0), 1)
    func channel(_ centre: Double) -> UInt8 {
        UInt8((min(max(1.5 - abs(4 * t - centre), 0), 1) * 255).rounded())
    }
    return RGBColor(channel(3), channel(2), channel(1))
}

/// Blends heatmaps onto `image`: the per-pixel max over the K maps of a K×H×W row-major array, resized to
/// the image bilinearly (`align_corners=False`), clamped to [0, 1] (or divided by its maximum when
/// `normalize`), shown as `jetColor` with opacity `opacity × value` so cold regions leave the image as is.
/// - Parameters:
///   - heatmaps: `joints * height * width` floats, `heatmaps[(k * height + y) * width + x]`.
public func overlayHeatmaps(_ heatmaps: [Float], joints: Int, height: Int, width: Int, on image: Image,
                            opacity: Double = 0.7, normalize: Bool = false) -> Image {
    precondition(heatmaps.count == joints * height * width && joints > 0,
                 "overlayHeatmaps: \(heatmaps.count) values for \(joints)x\(height)x\(width)")
    var peak = [Float](repeating: -.infinity, count: height * width)
    for k in 0..<joints {
        for i in 0..<height * width { peak[i] = max(peak[i], heatmaps[k * height * width + i]) }
    }
    let scale = normalize ? 1 / max(Double(peak.max() ?? 1), 1e-12) : 1
    var out = image
    let sx = Double(width) / Double(image.width), sy = Double(height) / Double(image.height)
    for y in 0..<image.height {
        let fy = min(max((Double(y) + 0.5) * sy - 0.5, 0), Double(height - 1))
        let y0 = Int(fy), y1 = min(y0 + 1, height - 1), wy = fy - Double(y0)
        for x in 0..<image.width {
            let fx = min(max((Double(x) + 0.5) * sx - 0.5, 0), Double(width - 1))
            let x0 = Int(fx), x1 = min(x0 + 1, width - 1), wx = fx - Double(x0)
            let top = Double(peak[y0 * width + x0]) * (1 - wx) + Double(peak[y0 * width + x1]) * wx
            let bottom = Double(peak[y1 * width + x0]) * (1 - wx) + Double(peak[y1 * width + x1]) * wx
            let v = min(max((top * (1 - wy) + bottom * wy) * scale, 0), 1)
            if v > 0 { out.blend(x: x, y: y, color: jetColor(v), alpha: opacity * v) }
        }
    }
    return out
}
