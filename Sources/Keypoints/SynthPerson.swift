// One synthetic person: a random human-like pose of the 17 COCO joints and the shapes that draw it.
// The figure faces the camera (its left side on the image's right), with head yaw, body lean, limb
// angles within human-like limits, out-of-plane foreshortening, and varied build and colours.
// Left arm/leg are drawn in greens/cyans, right ones in reds/magentas/oranges, lower segments darker than
// upper ones, so a small network can tell left from right and find elbows and knees.
import Foundation

/// A person ready to paint: joints in image pixels and the shapes in painting order (back to front).
struct SynthPerson {
    /// The 17 COCO joints, in pixels.
    var joints: [SIMD2<Double>]
    /// Face joints on the far side of a turned head: labelled but not visible (COCO v = 1).
    var selfOccluded: [Bool]
    /// Shapes in painting order.
    var parts: [(shape: RasterShape, color: RGBColor)]
}

/// Body proportions as fractions of the figure's standing height (roughly adult; radii are half-widths).
private enum Body {
    static let torso = 0.30, shoulderHalf = 0.105, hipHalf = 0.075, neck = 0.045
    static let upperArm = 0.165, forearm = 0.145, thigh = 0.235, shin = 0.225
    static let upperArmRadius = 0.030, forearmRadius = 0.025, thighRadius = 0.044, shinRadius = 0.034
    static let headRadii = SIMD2(0.062, 0.078)
}

/// Rotates `v` by `angle` radians in image coordinates (y down: positive turns clockwise on screen).
private func rotate(_ v: SIMD2<Double>, _ angle: Double) -> SIMD2<Double> {
    let c = cos(angle), s = sin(angle)
    return SIMD2(v.x * c - v.y * s, v.x * s + v.y * c)
}

extension SynthPerson {
    /// Samples a person `height` pixels tall whose pelvis (mid-hip) is at `pelvis`.
    static func sample(rng: inout SynthRandom, height: Double, pelvis: SIMD2<Double>) -> SynthPerson {
        let h = height
        // Whole-body lean: mostly upright, sometimes strongly tilted.
        let lean = rng.chance(0.1) ? rng.angle(-60...60) : rng.normal(sd: 10) * .pi / 180
        let up = rotate(SIMD2(0, -1), lean), right = rotate(SIMD2(1, 0), lean), down = -up
        // Build and turn: widths shrink as the torso turns away from the camera.
        let build = rng.uniform(0.85...1.2)
        let turn = max(cos(rng.angle(-60...60)), 0.45)
        let widthScale = build * turn
        let xStretch = rng.uniform(0.9...1.1)

        func foreshortened(_ length: Double) -> Double {
            h * length * (rng.chance(0.25) ? rng.uniform(0.55...1.0) : rng.uniform(0.92...1.05))
        }

        var joints = [SIMD2<Double>](repeating: .zero, count: 17)
        let neckBase = pelvis + up * (h * Body.torso * rng.uniform(0.9...1.08))
        let shoulderTilt = rng.normal(sd: 0.02) * h, hipTilt = rng.normal(sd: 0.015) * h
        // side = +1 for the person's left, drawn on the image's right (the figure faces the camera).
        for (side, shoulder, hip) in [(1.0, 5, 11), (-1.0, 6, 12)] {
            joints[shoulder] = neckBase + right * (side * h * Body.shoulderHalf * widthScale) + up * (side * shoulderTilt)
            joints[hip] = pelvis + right * (side * h * Body.hipHalf * widthScale) + up * (side * hipTilt)
        }
        // Arms: abduction from hanging down (negative = across the body), elbow bend either way.
        for (side, s, e, w) in [(1.0, 5, 7, 9), (-1.0, 6, 8, 10)] {
            let abduction = rng.chance(0.3) ? rng.angle(-40...175) : rng.angle(-15...70)
            let upper = rotate(down, -side * abduction)
            let bend = rng.normal(sd: 55, clip: 2.7) * .pi / 180
            let fore = rotate(upper, -side * bend)
            joints[e] = joints[s] + upper * foreshortened(Body.upperArm)
            joints[w] = joints[e] + fore * foreshortened(Body.forearm)
        }
        // Legs: hip abduction mostly small, knee bend mostly small.
        for (side, hp, k, a) in [(1.0, 11, 13, 15), (-1.0, 12, 14, 16)] {
            let abduction = rng.chance(0.2) ? rng.angle(-25...80) : rng.angle(-8...25)
            let thigh = rotate(down, -side * abduction)
            let bend = rng.normal(sd: 30, clip: 3) * .pi / 180
            let shin = rotate(thigh, side * bend)
            joints[k] = joints[hp] + thigh * foreshortened(Body.thigh)
            joints[a] = joints[k] + shin * foreshortened(Body.shin)
        }

        // Head: tilted against the torso, yawed left/right; face features placed on its surface.
        let headTilt = lean + rng.normal(sd: 12) * .pi / 180
        let headUp = rotate(SIMD2(0, -1), headTilt), headRight = rotate(SIMD2(1, 0), headTilt)
        let radii = SIMD2(Body.headRadii.x * h * build * 0.95, Body.headRadii.y * h * rng.uniform(0.92...1.08))
        let headCenter = neckBase + up * (h * Body.neck) + headUp * radii.y * 0.95
        let yaw = rng.angle(-65...65)
        var selfOccluded = [Bool](repeating: false, count: 17)
        // (joint, longitude from the facing direction towards the person's left, height on the face)
        let face: [(Int, Double, Double)] = [
            (0, 0, -0.05), (1, 0.6, 0.22), (2, -0.6, 0.22), (3, 1.6, 0.1), (4, -1.6, 0.1),
        ]
        var faceLongitude = [Double](repeating: 0, count: 5)
        for (j, longitude, lift) in face {
            let a = longitude + yaw
            faceLongitude[j] = a
            let surface = j == 0 ? 1.08 : (j <= 2 ? 0.95 : 1.0)  // the nose sticks out a little
            joints[j] = headCenter + headRight * (sin(a) * radii.x * surface) + headUp * (lift * radii.y)
            selfOccluded[j] = cos(a) < (j >= 3 ? -0.12 : 0.15)
        }

        for j in 0..<17 {  // aspect jitter about the pelvis
            joints[j] = pelvis + SIMD2((joints[j].x - pelvis.x) * xStretch, joints[j].y - pelvis.y)
        }
        let palette = SynthPalette.sample(rng: &rng)
        var parts: [(shape: RasterShape, color: RGBColor)] = []
        let thick = build * h
        // Legs (behind the torso), then torso and neck, head, ears, face, arms, hands.
        for (hp, k, a, color) in [(11, 13, 15, palette.left), (12, 14, 16, palette.right)] {
            parts.append((.capsule(from: joints[hp], to: joints[k], radius: thick * Body.thighRadius), color))
            parts.append((.capsule(from: joints[k], to: joints[a], radius: thick * Body.shinRadius), color.shaded(0.72)))
            let foot = joints[a] + (joints[a] - joints[k]) * 0.08
            parts.append((.circle(center: foot, radius: thick * Body.shinRadius * 1.05), palette.shoes))
        }
        let torso = [joints[5], joints[6], joints[12], joints[11]].map { p -> SIMD2<Double> in
            // Widen the torso slightly past the joints so shoulders and hips sit inside it.
            let centre = (joints[5] + joints[6] + joints[11] + joints[12]) / 4
            return centre + (p - centre) * 1.12
        }
        parts.append((.convexPolygon(torso), palette.shirt))
        parts.append((.capsule(from: neckBase, to: headCenter, radius: radii.x * 0.45), palette.skin.shaded(0.85)))
        for j in [3, 4] where !selfOccluded[j] {
            parts.append((.ellipse(center: joints[j], radii: radii * SIMD2(0.22, 0.3), angle: headTilt),
                          palette.skin.shaded(0.7)))
        }
        parts.append((.ellipse(center: headCenter, radii: radii, angle: headTilt), palette.skin))
        parts.append((.ellipse(center: headCenter + headUp * (radii.y * 0.62), radii: radii * SIMD2(0.97, 0.42),
                               angle: headTilt), palette.hair))
        for j in [1, 2] where !selfOccluded[j] {
            parts.append((.circle(center: joints[j], radius: max(radii.x * 0.17, 1.3)), palette.eyes))
        }
        if !selfOccluded[0] {
            parts.append((.circle(center: joints[0], radius: max(radii.x * 0.2, 1.5)), palette.nose))
        }
        for (s, e, w, color) in [(5, 7, 9, palette.left), (6, 8, 10, palette.right)] {
            parts.append((.capsule(from: joints[s], to: joints[e], radius: thick * Body.upperArmRadius), color))
            parts.append((.capsule(from: joints[e], to: joints[w], radius: thick * Body.forearmRadius), color.shaded(0.72)))
            let hand = joints[w] + (joints[w] - joints[e]) * 0.12
            parts.append((.circle(center: hand, radius: thick * Body.forearmRadius * 1.1), palette.skin))
        }
        return SynthPerson(joints: joints, selfOccluded: selfOccluded, parts: parts)
    }
}

/// One person's colours: left limbs green–cyan, right limbs red–orange–magenta, the rest anything.
struct SynthPalette {
    var left, right, shirt, skin, hair, eyes, nose, shoes: RGBColor

    static func sample(rng: inout SynthRandom) -> SynthPalette {
        func vivid(_ hue: ClosedRange<Double>) -> RGBColor {
            RGBColor(hue: rng.uniform(hue), saturation: rng.uniform(0.65...1), value: rng.uniform(0.7...1))
        }
        let skin = RGBColor(hue: rng.uniform(15...35), saturation: rng.uniform(0.25...0.6), value: rng.uniform(0.35...0.95))
        return SynthPalette(
            left: vivid(85...185),
            right: vivid(-50...30),
            shirt: RGBColor(hue: rng.uniform(0...360), saturation: rng.uniform(0...0.45), value: rng.uniform(0.2...0.9)),
            skin: skin,
            hair: RGBColor(hue: rng.uniform(10...40), saturation: rng.uniform(0.2...0.8), value: rng.uniform(0.05...0.6)),
            eyes: RGBColor(hue: 220, saturation: 0.3, value: rng.uniform(0...0.15)),
            nose: RGBColor(hue: rng.uniform(340...370), saturation: rng.uniform(0.6...0.9), value: rng.uniform(0.6...0.9)),
            shoes: RGBColor(hue: rng.uniform(0...360), saturation: rng.uniform(0...0.4), value: rng.uniform(0.05...0.35)))
    }
}
