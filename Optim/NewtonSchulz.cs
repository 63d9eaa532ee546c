// The quintic Newton-Schulz iteration that Muon and the dualized Linear rule use to orthogonalize a matrix: it pushes
// every singular value towards 1 while keeping the singular vectors, using matrix products only (no SVD).
using DotGrad.Autodiff;
using DotGrad.Backends;

namespace DotGrad.Optim;

/// <summary>
/// Approximate orthogonalization <c>U S V^T -> U S' V^T</c> with every singular value in S' near 1, as Keller Jordan's
/// Muon writes it (<c>zeropower_via_newtonschulz5</c>):
/// <code>
/// X = u / (||u||_F + 1e-7)            every singular value now in [0, 1]
/// X = X^T                             when rows &gt; cols, so that X X^T is the smaller Gram matrix
/// repeat steps times:
///     A = X X^T
///     B = b A + c A A
///     X = a X + B X                   each singular value s becomes a s + b s^3 + c s^5
/// X = X^T                             back, when it was transposed
/// </code>
/// with (a, b, c) = (3.4445, -4.7750, 2.0315). The coefficients trade exactness for speed: the slope at 0 is 3.4445,
/// so small singular values grow fast, and the result's singular values land roughly in [0.7, 1.2] rather than at
/// exactly 1 (an all-zero input stays all zero, with no NaN). The reference runs the iteration in bfloat16; here it
/// runs on the input's device with tensor operations only, in the input's dtype when it is Float32 or Float64 and in
/// Float32 (cast back at the end) for the 16-bit storage types, which have no matmul kernels.
/// </summary>
public static class NewtonSchulz
{
    /// <summary>The quintic's coefficients (a, b, c) of Muon's reference implementation.</summary>
    public static readonly (double A, double B, double C) DefaultCoefficients = (3.4445, -4.7750, 2.0315);

    /// <summary>Added to the Frobenius norm before the first division, so that a zero matrix gives zeros, not NaN.</summary>
    public const double Eps = 1e-7;

    /// <summary>
    /// Orthogonalizes <paramref name="u"/> with <paramref name="steps"/> iterations of the quintic
    /// <see cref="DefaultCoefficients"/> (see the class summary). A matrix [rows, cols] gives a matrix of the same
    /// shape and dtype. A tensor of rank above 2 is treated as the matrix [shape0, product of the other dims] (a
    /// convolution kernel [out, in, kh, kw] becomes [out, in kh kw]) and the result is reshaped back. Runs without
    /// recording gradients.
    /// </summary>
    public static Tensor Orthogonalize(Tensor u, int steps = 5) => Orthogonalize(u, steps, DefaultCoefficients);

    /// <summary>
    /// <see cref="Orthogonalize(Tensor, int)"/> with other coefficients: each iteration maps a singular value s to
    /// <c>a s + b s^3 + c s^5</c>. (1.875, -1.25, 0.375) is the classic cubic-consistent quintic, which converges to
    /// exactly 1 but slowly from small values.
    /// </summary>
    public static Tensor Orthogonalize(Tensor u, int steps, (double A, double B, double C) coefficients)
    {
        ArgumentNullException.ThrowIfNull(u);
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "NewtonSchulz.Orthogonalize: steps must be at least 1");
        if (u.Rank < 2)
            throw new ArgumentException($"NewtonSchulz.Orthogonalize: expected a matrix (rank 2 or more), got shape [{string.Join(", ", u.Shape)}]", nameof(u));
        if (!u.DType.IsFloatingPoint())
            throw new ArgumentException($"NewtonSchulz.Orthogonalize: expected a floating-point tensor, got {u.DType}", nameof(u));
        var (a, b, c) = coefficients;

        using var noGrad = Autograd.NoGrad();
        using var scope = Tensor.NewDisposeScope();
        var shape = u.Shape;
        var x = u.Rank == 2 ? u : u.Reshape(shape[0], -1);         // [n, rest] for a rank > 2 tensor
        bool half = u.DType is not (DType.Float32 or DType.Float64);
        if (half) x = x.To(DType.Float32);                           // 16-bit floats are storage types: no matmul kernels
        bool tall = x.Size(0) > x.Size(1);
        if (tall) x = x.MT;                                          // [cols, rows]: the Gram matrix below is the small one
        x = x / (x.Norm() + Eps);                                    // ||X||_F <= 1, so every singular value <= 1
        for (int i = 0; i < steps; i++)
        {
            var A = x.MatMul(x.MT);                                  // [r, r], r = min(rows, cols)
            var B = A * b + A.MatMul(A) * c;                         // [r, r]
            x = x * a + B.MatMul(x);                                 // [r, max(rows, cols)]
        }
        if (tall) x = x.MT;
        if (half) x = x.To(u.DType);
        var result = (u.Rank == 2 ? x : x.Reshape(shape)).Clone();    // contiguous, and its own storage
        return result.MoveToOuterDisposeScope();
    }
}
