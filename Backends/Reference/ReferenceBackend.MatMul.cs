// Reference batched matrix product: the textbook triple loop, accumulated in double.
using static DotGrad.Backends.HostAccess;

namespace DotGrad.Backends.Reference;

public sealed partial class ReferenceBackend
{
    public void MatMul(Strided a, Strided b, Strided c)
    {
        int B = c.Shape[0], M = c.Shape[1], N = c.Shape[2], K = a.Shape[2];
        for (int bi = 0; bi < B; bi++)
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++)
                {
                    double sum = 0;
                    for (int k = 0; k < K; k++)
                        sum += Get(a.Storage, a.Offset + bi * a.Strides[0] + i * a.Strides[1] + k * a.Strides[2])
                             * Get(b.Storage, b.Offset + bi * b.Strides[0] + k * b.Strides[1] + j * b.Strides[2]);
                    Set(c.Storage, c.Offset + bi * c.Strides[0] + i * c.Strides[1] + j * c.Strides[2], sum);
                }
    }
}
