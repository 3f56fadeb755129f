import Testing
@testable import Tensors

@Suite("Tape")
struct TapeTests {
    @Test("the tape keeps only what backward closures saved: an add's output dies before backward, gradients still flow")
    func unsavedActivationsAreReleased() {
        let a = Tensor(shape: [2, 3], values: [1, -2, 3, -4, 5, -6])
        let b = Tensor(shape: [2, 3], values: [0.5, 0.5, -4, 5, 0.5, 7])
        a.requiresGrad = true
        b.requiresGrad = true
        weak var sum: Tensor?
        let y: Tensor = {
            let s = add(a, b)  // relu saves its own output, not its input
            sum = s
            return relu(s)
        }()
        #expect(sum == nil, "the sum of a and b is still alive: the tape holds activations no backward needs")
        backward(y)  // d sum(relu(a + b)) / da = 1 where a + b > 0

        #expect(a.grad?.toArray() == [1, 0, 0, 1, 1, 1])
        #expect(b.grad?.toArray() == [1, 0, 0, 1, 1, 1])
    }

    @Test("a leaf used twice in one op and in two ops accumulates every path")
    func leavesAccumulate() {
        let x = Tensor(shape: [3], values: [1, 2, 3])
        x.requiresGrad = true
        backward(add(add(x, x), scale(x, by: 3)))  // d sum(5x) / dx = 5
        #expect(x.grad?.toArray() == [5, 5, 5])
    }
}
