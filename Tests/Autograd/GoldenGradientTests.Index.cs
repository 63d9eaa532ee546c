// Indexing: index_select and gather scatter-add their gradient back; scatter_add passes it through and gathers it.
using DotGrad;

namespace DotGrad.Tests.Autograd;

public partial class GoldenGradientTests
{
    [Test]
    public void Gather_AddsTheGradientOfRepeatedPicks()
    {
        // y = x.gather(0, [2, 0, 2]) = [x2, x0, x2]: x2 is picked twice, x1 never. dX = [1, 0, 2].
        var x = Leaf(10, 20, 30);
        x.Gather(0, Index([2, 0, 2], 3)).Sum().Backward();
        AssertClose(x.Grad, [1, 0, 2]);
    }

    [Test]
    public void IndexSelect_AddsTheGradientOfRepeatedRows()
    {
        // Rows [0, 0, 2] of a [3, 2] matrix: row 0 gets two ones per element, row 1 none, row 2 one.
        var x = Leaf([1, 2, 3, 4, 5, 6], 3, 2);
        x.IndexSelect(0, Index([0, 0, 2], 3)).Sum().Backward();
        AssertClose(x.Grad, [2, 2, 0, 0, 1, 1]);
    }

    [Test]
    public void ScatterAdd_PassesTheGradientToX_AndGathersItForSrc()
    {
        // y = x.scatter_add(0, [0, 0], src[3]): y0 = x0 + s0 + s1, so dX = dY and dSrc = [dY0, dY0, 0]
        // (src[2] lies outside the index's shape and is unused).
        var x = Leaf(1, 2);
        var src = Leaf(5, 6, 7);
        x.ScatterAdd(0, Index([0, 0], 2), src).Backward(T([3, 4], 2));
        AssertClose(x.Grad, [3, 4]);
        AssertClose(src.Grad, [3, 3, 0]);
    }

    [Test]
    public void IndexOps_MatchFirstAndSecondOrderCentralDifferences()
    {
        var x = Randn(50, 3, 4);
        CheckGrad(a => a[0].IndexSelect(1, Index([3, 0, 3], 3)), x);
        CheckGrad(a => a[0].IndexSelect(0, Index([2], 1)), x);
        CheckGrad(a => a[0].IndexSelect(0, Index([1], [])), x);
        CheckGrad(a => a[0].IndexSelect(0, Index([0], 1)), Randn(51));
        CheckGrad(a => a[0].MT.IndexSelect(0, Index([1, 1, 2], 3)), x);
        var gi = Index([0, 2, 2, 1, 0, 0], 2, 3);
        CheckGrad(a => a[0].Gather(0, gi), x);
        CheckGrad(a => a[0].Gather(1, Index([3, 3, 0, 1, 2, 3, 0, 0], 2, 4)), x);
        var si = Index([2, 0, 2, 1, 1, 0], 2, 3);
        CheckGrad(a => a[0].ScatterAdd(0, si, a[1]), x, Randn(52, 2, 3));
        CheckGrad(a => a[0].ScatterAdd(0, si, a[1]), x, Randn(53, 3, 4)); // src larger than the index
        // The backwards are linear in dY through scatter_add / gather, so second order must give zeros consistently.
        CheckGradGrad(a => a[0].Gather(0, gi).Square(), x);
        CheckGradGrad(a => a[0].ScatterAdd(0, si, a[1]).Square(), x, Randn(54, 3, 4));
        CheckGradGrad(a => a[0].IndexSelect(1, Index([3, 0, 3], 3)).Square(), x);
    }
}
