// Matrix products: 1-D, 2-D, batched and broadcast, with PyTorch's matmul rules.
namespace DotGrad.Functions;

/// <summary>
/// a @ b (<c>torch.matmul</c>): vectors are promoted to one-row / one-column matrices and that dim dropped from
/// the result; leading dims broadcast as batch dims. d/da = dC @ b^T, d/db = a^T @ dC (summed over broadcast batches).
/// </summary>
public sealed class MatMul { public static Tensor Apply(Tensor a, Tensor b) => Kernels.MatMul(a, b); }
