// Backgrounds for synthetic images: gradients, stripes, smooth value noise and checkerboards, plus a few
// distractor strokes and blobs, so that "any coloured pixel is a person" is never a usable shortcut.
import Foundation

enum SynthBackground {
    /// Paints a random textured background over the whole image.
    static func paint(_ image: inout Image, rng: inout SynthRandom) {
        let a = randomColor(&rng), b = randomColor(&rng)
        let w = image.width, h = image.height
        var t = [Double](repeating: 0, count: w * h)  // mix weight of colour b per pixel
        switch rng.int(0...3) {
        case 0:  // linear gradient at a random angle
            let angle = rng.angle(0...360)
            let d = SIMD2(cos(angle), sin(angle))
            let span = abs(d.x) * Double(w) + abs(d.y) * Double(h)
            for y in 0..<h {
                for x in 0..<w {
                    t[y * w + x] = ((Double(x) - Double(w) / 2) * d.x + (Double(y) - Double(h) / 2) * d.y) / span + 0.5
                }
            }
        case 1:  // soft or hard stripes
            let angle = rng.angle(0...180), period = rng.uniform(8...60), hard = rng.chance(0.5)
            let d = SIMD2(cos(angle), sin(angle)) * (2 * .pi / period)
            for y in 0..<h {
                for x in 0..<w {
                    let s = sin(Double(x) * d.x + Double(y) * d.y)
                    t[y * w + x] = hard ? (s > 0 ? 1 : 0) : 0.5 + 0.5 * s
                }
            }
        case 2:  // smooth value noise: a coarse random grid, bilinearly interpolated
            let cell = rng.uniform(12...80)
            let gw = Int(Double(w) / cell) + 2, gh = Int(Double(h) / cell) + 2
            let grid = (0..<gw * gh).map { _ in rng.unit() }
            let inverse = 1 / cell
            for y in 0..<h {
                let fy = Double(y) * inverse
                let y0 = Int(fy), ty = fy - Double(y0)
                for x in 0..<w {
                    let fx = Double(x) * inverse
                    let x0 = Int(fx), tx = fx - Double(x0)
                    let top = grid[y0 * gw + x0] * (1 - tx) + grid[y0 * gw + x0 + 1] * tx
                    let bottom = grid[(y0 + 1) * gw + x0] * (1 - tx) + grid[(y0 + 1) * gw + x0 + 1] * tx
                    t[y * w + x] = top * (1 - ty) + bottom * ty
                }
            }
        default:  // checkerboard (tiles, floors)
            let inverse = 1 / rng.uniform(10...50)
            for y in 0..<h {
                let row = Int(Double(y) * inverse)
                for x in 0..<w { t[y * w + x] = Double((Int(Double(x) * inverse) + row) & 1) }
            }
        }
        mix(&image, a, b, t)
        // Distractors: strokes and blobs of any colour, some in limb-like colours.
        for _ in 0..<rng.int(0...6) {
            let p = SIMD2(rng.uniform(0...Double(w)), rng.uniform(0...Double(h)))
            let color = randomColor(&rng)
            if rng.chance(0.5) {
                let q = p + SIMD2(rng.uniform(-80...80), rng.uniform(-80...80))
                image.drawLine(from: p, to: q, thickness: rng.uniform(1...8), color: color, opacity: rng.uniform(0.4...1))
            } else {
                image.fillEllipse(center: p, radii: SIMD2(rng.uniform(3...30), rng.uniform(3...30)),
                                  angle: rng.angle(0...180), color: color, opacity: rng.uniform(0.4...1))
            }
        }
    }

    /// Adds sensor-like noise, uniform in ±`amplitude` levels (amplitude ≤ 7), to every byte.
    static func addNoise(_ image: inout Image, amplitude: Int, rng: inout SynthRandom) {
        guard amplitude > 0 else { return }
        precondition(amplitude <= 7, "addNoise: amplitude \(amplitude) > 7")
        let span = 2 * amplitude + 1
        let offsets = (0..<16).map { $0 % span - amplitude }  // no division per byte
        var bits: UInt64 = 0, left = 0
        image.pixels.withUnsafeMutableBufferPointer { pixels in
            for i in pixels.indices {
                if left == 0 { bits = rng.next(); left = 16 }
                let nibble = Int(bits & 15)  // 16 draws per 64-bit word; the `% span` bias is irrelevant here
                bits >>= 4
                left -= 1
                let v = Int(pixels[i]) + offsets[nibble]
                pixels[i] = UInt8(min(max(v, 0), 255))
            }
        }
    }

    static func randomColor(_ rng: inout SynthRandom) -> RGBColor {
        RGBColor(hue: rng.uniform(0...360), saturation: rng.uniform(0...0.8), value: rng.uniform(0.15...0.95))
    }

    /// Sets every pixel to `a·(1 − t) + b·t` with its weight `t` (clamped to [0, 1]).
    private static func mix(_ image: inout Image, _ a: RGBColor, _ b: RGBColor, _ t: [Double]) {
        let ar = Double(a.r), ag = Double(a.g), ab = Double(a.b)
        let dr = Double(b.r) - ar, dg = Double(b.g) - ag, db = Double(b.b) - ab
        image.pixels.withUnsafeMutableBufferPointer { pixels in
            for (i, weight) in t.enumerated() {
                let u = min(max(weight, 0), 1)
                pixels[3 * i] = UInt8(ar + dr * u + 0.5)
                pixels[3 * i + 1] = UInt8(ag + dg * u + 0.5)
                pixels[3 * i + 2] = UInt8(ab + db * u + 0.5)
            }
        }
    }
}
