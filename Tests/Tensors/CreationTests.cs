// Creation of tensors (constants, ranges, identity, host arrays, seeded random numbers), reading them back, and casts.
using DotGrad;
using DotGrad.Backends;
using static DotGrad.Tests.Tensors.Check;

namespace DotGrad.Tests.Tensors;

public class CreationTests
{
    // ---- constants ----

    [Test]
    public void Zeros_HasTheShapeFloat32AndOnlyZeros()
    {
        using var z = Tensor.Zeros(2, 3);
        Assert.That(z.DType, Is.EqualTo(DType.Float32));
        Assert.That(z.Device, Is.EqualTo(Device.Cpu));
        Close(z, [2, 3], new double[6]);
    }

    [Test]
    public void Ones_WithInt32DType_GivesIntegerOnes()
    {
        using var o = Tensor.Ones([4], DType.Int32);
        Assert.That(o.DType, Is.EqualTo(DType.Int32));
        Assert.That(o.ToArray<int>(), Is.EqualTo(new[] { 1, 1, 1, 1 }));
    }

    [Test]
    public void Full_FillsEveryElementWithTheValueInTheDType()
    {
        using var f = Tensor.Full([2, 2], 2.5, DType.Float64);
        Assert.That(f.ToArray<double>(), Is.EqualTo(new[] { 2.5, 2.5, 2.5, 2.5 }));
        using var i = Tensor.Full([3], -7, DType.Int32);
        Assert.That(i.ToArray<int>(), Is.EqualTo(new[] { -7, -7, -7 }));
    }

    [Test]
    public void Scalar_IsRankZeroWithOneElement()
    {
        using var s = Tensor.Scalar(3.25);
        Assert.That(s.Rank, Is.EqualTo(0));
        Assert.That(s.Shape, Is.Empty);
        Assert.That(s.Count, Is.EqualTo(1));
        Assert.That(s.Item<float>(), Is.EqualTo(3.25f));
        Assert.That(s.Item(), Is.EqualTo(3.25));
    }

    [Test]
    public void ZeroSizeShapes_CanBeCreated()
    {
        using var z = Tensor.Zeros(0, 3);
        Assert.That(z.Shape, Is.EqualTo(new[] { 0, 3 }));
        Assert.That(z.Count, Is.EqualTo(0));
        Assert.That(z.ToArray<float>(), Is.Empty);
        using var f = Tensor.Full([3, 0], 1.0);
        Assert.That(f.Count, Is.EqualTo(0));
    }

    // ---- ranges ----

    [Test]
    public void Arange_WithWholeArguments_IsInt64_AsInPyTorch()
    {
        // torch.arange(5).dtype is torch.int64.
        using var a = Tensor.Arange(5);
        Assert.That(a.DType, Is.EqualTo(DType.Int64));
        Assert.That(a.ToArray<long>(), Is.EqualTo(new long[] { 0, 1, 2, 3, 4 }));
        using var b = Tensor.Arange(2, 9, 3);
        Assert.That(b.ToArray<long>(), Is.EqualTo(new long[] { 2, 5, 8 }));
        using var c = Tensor.Arange(0, 3, 1, DType.Int32);
        Assert.That(c.ToArray<int>(), Is.EqualTo(new[] { 0, 1, 2 }));
    }

    [Test]
    public void Arange_WithAFractionalArgument_IsFloat32()
    {
        // 0, 0.25, 0.5, 0.75 (1 excluded)
        using var a = Tensor.Arange(0, 1, 0.25);
        Assert.That(a.DType, Is.EqualTo(DType.Float32));
        Assert.That(a.ToArray<float>(), Is.EqualTo(new[] { 0f, 0.25f, 0.5f, 0.75f }));
        // a fractional end alone makes it float: 1, 2 (< 2.5)
        using var b = Tensor.Arange(1, 2.5);
        Assert.That(b.DType, Is.EqualTo(DType.Float32));
        Assert.That(b.ToArray<float>(), Is.EqualTo(new[] { 1f, 2f }));
    }

    [Test]
    public void Arange_WithNegativeStep_CountsDown()
    {
        // ceil((0 - 5) / -2) = ceil(2.5) = 3 values: 5, 3, 1
        using var a = Tensor.Arange(5, 0, -2);
        Assert.That(a.ToArray<long>(), Is.EqualTo(new long[] { 5, 3, 1 }));
    }

    [Test]
    public void Arange_TwoIntegersEndingAtZero_AreStartAndEnd()
    {
        // The literal 0 must be the end, not a DType (C# converts a literal 0 to any enum).
        using var a = Tensor.Arange(-3, 0);
        Assert.That(a.DType, Is.EqualTo(DType.Int64));
        Assert.That(a.ToArray<long>(), Is.EqualTo(new long[] { -3, -2, -1 }));
        using var e = Tensor.Arange(0, 0);
        Assert.That(e.Shape, Is.EqualTo(new[] { 0 }));
    }

    [Test]
    public void Arange_WithExplicitDType_UsesIt()
    {
        using var a = Tensor.Arange(0, 3, 1, DType.Float64);
        Assert.That(a.DType, Is.EqualTo(DType.Float64));
        Assert.That(a.ToArray<double>(), Is.EqualTo(new[] { 0.0, 1.0, 2.0 }));
        using var empty = Tensor.Arange(3, 3);
        Assert.That(empty.Shape, Is.EqualTo(new[] { 0 }));
    }

    [Test]
    public void Linspace_GivesEvenlySpacedValuesWithBothEnds()
    {
        // step (1 - 0) / 4 = 0.25
        using var l = Tensor.Linspace(0, 1, 5);
        Assert.That(l.DType, Is.EqualTo(DType.Float32));
        Assert.That(l.ToArray<float>(), Is.EqualTo(new[] { 0f, 0.25f, 0.5f, 0.75f, 1f }));
    }

    [Test]
    public void Linspace_EndsAreExact()
    {
        // 0.1 + 6 * 0.1 accumulates rounding error in double (0.1 * 6 != 0.6 exactly); the last value must still be 0.7 itself.
        using var l = Tensor.Linspace(0.1, 0.7, 7, DType.Float64);
        var v = l.ToArray<double>();
        Assert.That(v[0], Is.EqualTo(0.1));
        Assert.That(v[^1], Is.EqualTo(0.7));
        for (int i = 0; i < 7; i++) Assert.That(v[i], Is.EqualTo(0.1 + 0.1 * i).Within(1e-15));
        using var f = Tensor.Linspace(-3.3, 17.9, 11);
        var fv = f.ToArray<float>();
        Assert.That(fv[0], Is.EqualTo(-3.3f));
        Assert.That(fv[^1], Is.EqualTo(17.9f));
    }

    [Test]
    public void Linspace_OneStepIsTheStart_ZeroStepsIsEmpty()
    {
        // torch.linspace(2, 5, 1) == tensor([2.])
        using var one = Tensor.Linspace(2, 5, 1);
        Assert.That(one.ToArray<float>(), Is.EqualTo(new[] { 2f }));
        using var none = Tensor.Linspace(2, 5, 0);
        Assert.That(none.Shape, Is.EqualTo(new[] { 0 }));
    }

    [Test]
    public void Eye_Square_HasOnesOnTheDiagonal()
    {
        using var e = Tensor.Eye(3);
        Close(e, [3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    }

    [TestCase(2, 4)]
    [TestCase(4, 2)]
    public void Eye_Rectangular_HasOnesWhereRowEqualsColumn(int n, int m)
    {
        using var e = Tensor.Eye(n, m, DType.Int32);
        Assert.That(e.Shape, Is.EqualTo(new[] { n, m }));
        var v = e.ToArray<int>();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
                Assert.That(v[i * m + j], Is.EqualTo(i == j ? 1 : 0), $"[{i}, {j}]");
    }

    // ---- host arrays ----

    [Test]
    public void FromArray_OneDimensional_EveryElementType()
    {
        using (var t = Tensor.FromArray(new[] { 1.5f, -2f })) { Assert.That(t.DType, Is.EqualTo(DType.Float32)); Assert.That(t.ToArray<float>(), Is.EqualTo(new[] { 1.5f, -2f })); }
        using (var t = Tensor.FromArray(new[] { 1.5, -2.0 })) { Assert.That(t.DType, Is.EqualTo(DType.Float64)); Assert.That(t.ToArray<double>(), Is.EqualTo(new[] { 1.5, -2.0 })); }
        using (var t = Tensor.FromArray(new[] { 3, -4 })) { Assert.That(t.DType, Is.EqualTo(DType.Int32)); Assert.That(t.ToArray<int>(), Is.EqualTo(new[] { 3, -4 })); }
        using (var t = Tensor.FromArray(new[] { true, false, true })) { Assert.That(t.DType, Is.EqualTo(DType.Bool)); Assert.That(t.ToArray<bool>(), Is.EqualTo(new[] { true, false, true })); }
        using (var t = Tensor.FromArray(new[] { (Half)0.5f, (Half)(-1f) })) { Assert.That(t.DType, Is.EqualTo(DType.Float16)); Assert.That(t.ToArray<Half>(), Is.EqualTo(new[] { (Half)0.5f, (Half)(-1f) })); }
        using (var t = Tensor.FromArray(new[] { (BFloat16)0.5f, (BFloat16)(-1f) }))
        {
            Assert.That(t.DType, Is.EqualTo(DType.BFloat16));
            Assert.That(t.ToArray<BFloat16>().Select(b => b.Bits), Is.EqualTo(new ushort[] { 0x3F00, 0xBF80 }));
        }
    }

    [Test]
    public void FromArray_TwoDimensional_IsRowMajor()
    {
        using var f = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.That(f.Shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(f.ToArray<float>(), Is.EqualTo(new[] { 1f, 2, 3, 4, 5, 6 }));
        using var d = Tensor.FromArray(new double[,] { { 1 }, { 2 } });
        Assert.That(d.Shape, Is.EqualTo(new[] { 2, 1 }));
        using var i = Tensor.FromArray(new int[,] { { 7, 8 } });
        Assert.That(i.ToArray<int>(), Is.EqualTo(new[] { 7, 8 }));
        using var b = Tensor.FromArray(new bool[,] { { true }, { false } });
        Assert.That(b.ToArray<bool>(), Is.EqualTo(new[] { true, false }));
        using var h = Tensor.FromArray(new Half[,] { { (Half)1, (Half)2 } });
        Assert.That(h.DType, Is.EqualTo(DType.Float16));
        using var bf = Tensor.FromArray(new BFloat16[,] { { (BFloat16)1f }, { (BFloat16)2f } });
        Assert.That(bf.Shape, Is.EqualTo(new[] { 2, 1 }));
        Assert.That(Values(bf), Is.EqualTo(new[] { 1.0, 2.0 }));
    }

    [Test]
    public void FromArray_ThreeDimensional_IsRowMajor()
    {
        var data = new int[2, 3, 4];
        for (int a = 0; a < 2; a++) for (int b = 0; b < 3; b++) for (int c = 0; c < 4; c++) data[a, b, c] = 100 * a + 10 * b + c;
        using var t = Tensor.FromArray(data);
        Assert.That(t.Shape, Is.EqualTo(new[] { 2, 3, 4 }));
        var v = t.ToArray<int>();
        Assert.That(v[1 * 12 + 2 * 4 + 3], Is.EqualTo(123));
        Assert.That(v[0 * 12 + 1 * 4 + 0], Is.EqualTo(10));
        using var f = Tensor.FromArray(new float[1, 2, 1] { { { 1.5f }, { 2.5f } } });
        Assert.That(f.Shape, Is.EqualTo(new[] { 1, 2, 1 }));
        Assert.That(f.ToArray<float>(), Is.EqualTo(new[] { 1.5f, 2.5f }));
        using var d = Tensor.FromArray(new double[2, 0, 3]);
        Assert.That(d.Shape, Is.EqualTo(new[] { 2, 0, 3 }));
    }

    [Test]
    public void FromArray_FlatWithShape_ReshapesRowMajor()
    {
        using var t = Tensor.FromArray(new[] { 1, 2, 3, 4, 5, 6 }, [3, 2]);
        Assert.That(t.Shape, Is.EqualTo(new[] { 3, 2 }));
        using var row = t[2];
        Assert.That(row.ToArray<int>(), Is.EqualTo(new[] { 5, 6 }));
        using var s = Tensor.FromArray(new[] { 4.0 }, []);
        Assert.That(s.Rank, Is.EqualTo(0));
    }

    [Test]
    public void FromArray_FlatWithShape_DisposingTheResultReleasesTheStorage()
    {
        long leaked = LeakedBuffers(() =>
        {
            using var t = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, [2, 2]);
        });
        Assert.That(leaked, Is.LessThanOrEqualTo(0));
    }

    [Test]
    public void FromArray_CopiesTheData()
    {
        var data = new[] { 1f, 2f };
        using var t = Tensor.FromArray(data);
        data[0] = 99;
        Assert.That(t.ToArray<float>()[0], Is.EqualTo(1f));
    }

    // ---- random ----

    [Test]
    public void Rand_SameSeed_GivesTheSameNumbers()
    {
        using var a = Tensor.Rand([100], new Generator(7));
        using var b = Tensor.Rand([100], new Generator(7));
        Assert.That(a.ToArray<float>(), Is.EqualTo(b.ToArray<float>()));
        using var c = Tensor.Randn([50], new Generator(7), DType.Float64);
        using var d = Tensor.Randn([50], new Generator(7), DType.Float64);
        Assert.That(c.ToArray<double>(), Is.EqualTo(d.ToArray<double>()));
        using var e = Tensor.Randint(0, 1000, [50], new Generator(7));
        using var f = Tensor.Randint(0, 1000, [50], new Generator(7));
        Assert.That(e.ToArray<long>(), Is.EqualTo(f.ToArray<long>()));
    }

    [Test]
    public void Rand_DifferentSeeds_GiveDifferentNumbers()
    {
        using var a = Tensor.Rand([100], new Generator(1));
        using var b = Tensor.Rand([100], new Generator(2));
        var av = a.ToArray<float>();
        var bv = b.ToArray<float>();
        Assert.That(Enumerable.Range(0, 100).Count(i => av[i] != bv[i]), Is.GreaterThan(95));
    }

    [Test]
    public void Generator_OffsetAdvancesByTheCount_AndDrawsContinueTheStream()
    {
        var g = new Generator(11);
        using var first = Tensor.Rand([10], g);
        Assert.That(g.Offset, Is.EqualTo(10UL));
        using var second = Tensor.Rand([2, 3], g);
        Assert.That(g.Offset, Is.EqualTo(16UL));
        Assert.That(second.ToArray<float>(), Is.Not.EqualTo(first.ToArray<float>()[..6]));
        // The two draws are counters [0, 10) and [10, 16) of one stream: one draw of 16 gives the same numbers.
        using var all = Tensor.Rand([16], new Generator(11));
        Assert.That(all.ToArray<float>(), Is.EqualTo(first.ToArray<float>().Concat(second.ToArray<float>()).ToArray()));
        g.ManualSeed(11);
        Assert.That(g.Offset, Is.EqualTo(0UL));
        using var again = Tensor.Rand([10], g);
        Assert.That(again.ToArray<float>(), Is.EqualTo(first.ToArray<float>()));
    }

    [Test]
    public void Random_ReferenceAndCpuDevices_GiveIdenticalNumbers()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            using var r = Tensor.Randn([257], new Generator(5), dtype, Device.Reference);
            using var c = Tensor.Randn([257], new Generator(5), dtype, Device.Cpu);
            Assert.That(c.Device, Is.EqualTo(Device.Cpu));
            Assert.That(Values(c), Is.EqualTo(Values(r)), $"randn {dtype}");
            using var ur = Tensor.Rand([257], new Generator(6), dtype, Device.Reference);
            using var uc = Tensor.Rand([257], new Generator(6), dtype, Device.Cpu);
            Assert.That(Values(uc), Is.EqualTo(Values(ur)), $"rand {dtype}");
        }
        using var ir = Tensor.Randint(-5, 5, [257], new Generator(8), device: Device.Reference);
        using var ic = Tensor.Randint(-5, 5, [257], new Generator(8), device: Device.Cpu);
        Assert.That(ic.ToArray<long>(), Is.EqualTo(ir.ToArray<long>()));
    }

    [Test]
    public void Randn_OnHundredThousandSamples_HasMeanZeroAndStdOne()
    {
        using var x = Tensor.Randn([100_000], new Generator(123), DType.Float64);
        var v = x.ToArray<double>();
        double mean = v.Average();
        double std = Math.Sqrt(v.Sum(a => (a - mean) * (a - mean)) / (v.Length - 1));
        // The standard error of the mean is 1/sqrt(1e5) = 0.0032; of the std about 0.0022. 0.015 is ~5 sigma.
        Assert.That(mean, Is.EqualTo(0).Within(0.015));
        Assert.That(std, Is.EqualTo(1).Within(0.015));
        // Symmetric tails: the fraction beyond 1.96 sigma is about 5%.
        double tails = v.Count(a => Math.Abs(a) > 1.96) / (double)v.Length;
        Assert.That(tails, Is.EqualTo(0.05).Within(0.005));
    }

    [Test]
    public void Rand_IsInZeroOneHalfOpen_AndFillsIt()
    {
        using var x = Tensor.Rand([100_000], new Generator(9));
        var v = x.ToArray<float>();
        Assert.That(v.All(a => a >= 0f && a < 1f), Is.True);
        Assert.That(v.Average(), Is.EqualTo(0.5).Within(0.01));
        Assert.That(v.Min(), Is.LessThan(0.001f));
        Assert.That(v.Max(), Is.GreaterThan(0.999f));
    }

    [Test]
    public void Randint_IsInLowHighHalfOpen_AndHitsEveryValue()
    {
        using var x = Tensor.Randint(-3, 4, [10_000], new Generator(10));
        Assert.That(x.DType, Is.EqualTo(DType.Int64)); // torch.randint gives int64
        var v = x.ToArray<long>();
        Assert.That(v.All(a => a >= -3 && a < 4), Is.True);
        Assert.That(v.Distinct().OrderBy(a => a), Is.EqualTo(Enumerable.Range(-3, 7).Select(a => (long)a)));
        // Int32 on request, with the same numbers (one Philox stream, whatever the dtype).
        using var narrow = Tensor.Randint(-3, 4, [10_000], new Generator(10), DType.Int32);
        Assert.That(narrow.ToArray<int>().Select(a => (long)a), Is.EqualTo(v));
    }

    // ---- reading back ----

    [Test]
    public void ToArray_WithTheWrongElementType_ThrowsArgumentExceptionNamingTheDType()
    {
        using var x = Tensor.Zeros(3);
        var ex = Assert.Throws<ArgumentException>(() => x.ToArray<double>());
        Assert.That(ex!.Message, Does.Contain("ToArray").And.Contain("Float32").And.Contain("float"));
        var ex2 = Assert.Throws<ArgumentException>(() => x.ToArray<long>());
        Assert.That(ex2!.Message, Does.Contain("Int64"));
    }

    [Test]
    public void Item_WithTheWrongElementType_ThrowsArgumentException()
    {
        using var x = Tensor.Scalar(1, DType.Int32);
        var ex = Assert.Throws<ArgumentException>(() => x.Item<float>());
        Assert.That(ex!.Message, Does.Contain("Int32"));
        Assert.That(x.Item<int>(), Is.EqualTo(1));
    }

    [Test]
    public void Item_OnSeveralElements_Throws()
    {
        using var x = Tensor.Zeros(2);
        var ex = Assert.Throws<InvalidOperationException>(() => x.Item());
        Assert.That(ex!.Message, Does.Contain("[2]"));
    }

    [Test]
    public void ToArray_OfANonContiguousView_IsInLogicalOrder()
    {
        using var x = Tensor.FromArray(new[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        using var t = x.T;
        Assert.That(t.ToArray<int>(), Is.EqualTo(new[] { 1, 4, 2, 5, 3, 6 }));
        using var tail = x[1, 1..];
        Assert.That(tail.ToArray<int>(), Is.EqualTo(new[] { 5, 6 }));
    }

    // ---- casts ----

    [Test]
    public void Cast_FloatToInt32_TruncatesTowardZero()
    {
        using var x = F(2.7f, -2.7f, 0.5f, -0.5f, 3f);
        using var i = x.To(DType.Int32);
        Assert.That(i.ToArray<int>(), Is.EqualTo(new[] { 2, -2, 0, 0, 3 }));
    }

    [Test]
    public void Cast_ToBool_IsNonZero_AndBackIsZeroOrOne()
    {
        using var x = F(0f, -0f, 0.1f, -3f);
        using var b = x.To(DType.Bool);
        Assert.That(b.ToArray<bool>(), Is.EqualTo(new[] { false, false, true, true }));
        using var back = b.To(DType.Float64);
        Assert.That(back.ToArray<double>(), Is.EqualTo(new[] { 0.0, 0, 1, 1 }));
        using var fromInt = I(0, 5, -1).To(DType.Bool);
        Assert.That(fromInt.ToArray<bool>(), Is.EqualTo(new[] { false, true, true }));
    }

    [Test]
    public void Cast_BetweenFloat32Float64AndInt32_RoundTrips()
    {
        using var x = I(-3, 0, 16_777_216);
        using var f = x.Float();
        using var d = f.Double();
        using var back = d.Int();
        Assert.That(f.ToArray<float>(), Is.EqualTo(new[] { -3f, 0f, 16_777_216f }));
        Assert.That(back.ToArray<int>(), Is.EqualTo(new[] { -3, 0, 16_777_216 }));
        // Float64 -> Float32 rounds to nearest: 0.1 becomes the float nearest 0.1.
        using var tenth = D(0.1).Float();
        Assert.That(tenth.ToArray<float>()[0], Is.EqualTo(0.1f));
    }

    [Test]
    public void Cast_SameDType_SharesStorage()
    {
        using var x = F(1, 2);
        using var y = x.To(DType.Float32);
        y[0] = Tensor.Scalar(5);
        Assert.That(x.ToArray<float>()[0], Is.EqualTo(5f));
    }

    [Test]
    public void Cast_ToBFloat16_RoundsToNearestEven()
    {
        // bf16 keeps the top 16 bits of a float32; the low 16 bits decide the rounding.
        //   1.0f           = 0x3F80_0000 -> 0x3F80 (exact)
        //   1 + 2^-8       = 0x3F80_8000: exactly halfway between 0x3F80 and 0x3F81; 0x3F80 is even -> 0x3F80
        //   1 + 3 * 2^-8   = 0x3F81_8000: halfway between 0x3F81 and 0x3F82; 0x3F81 is odd -> up to 0x3F82
        //   0x3F80_8001    : just above halfway -> 0x3F81
        //   0x3F80_7FFF    : just below halfway -> 0x3F80
        //   -2.0f          = 0xC000_0000 -> 0xC000
        //   float.MaxValue = 0x7F7F_FFFF: rounds up past the largest bf16 -> +inf 0x7F80
        //   +inf           = 0x7F80_0000 -> 0x7F80
        //   signalling NaN 0x7F80_0001 (its payload is in the dropped bits) must stay NaN: quiet bit set -> 0x7FC0
        uint[] inputs = [0x3F80_0000, 0x3F80_8000, 0x3F81_8000, 0x3F80_8001, 0x3F80_7FFF, 0xC000_0000, 0x7F7F_FFFF, 0x7F80_0000, 0x7F80_0001];
        ushort[] expected = [0x3F80, 0x3F80, 0x3F82, 0x3F81, 0x3F80, 0xC000, 0x7F80, 0x7F80, 0x7FC0];
        using var x = Tensor.FromArray(inputs.Select(BitConverter.UInt32BitsToSingle).ToArray());
        using var b = x.To(DType.BFloat16);
        Assert.That(b.DType, Is.EqualTo(DType.BFloat16));
        Assert.That(b.ToArray<BFloat16>().Select(v => v.Bits).ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Cast_FromBFloat16_IsExactWidening()
    {
        // bf16 0x4049 -> float bits 0x4049_0000 = 3.140625; 0xC2F7 -> 0xC2F7_0000 = -123.5
        using var b = Tensor.FromArray(new[] { BFloat16.FromBits(0x4049), BFloat16.FromBits(0xC2F7) });
        using var f = b.Float();
        Assert.That(f.ToArray<float>(), Is.EqualTo(new[] { 3.140625f, -123.5f }));
        using var d = b.Double();
        Assert.That(d.ToArray<double>(), Is.EqualTo(new[] { 3.140625, -123.5 }));
        using var i = b.Int();
        Assert.That(i.ToArray<int>(), Is.EqualTo(new[] { 3, -123 }));
    }

    [Test]
    public void Cast_ToFloat16_RoundsToNearestEvenAndOverflowsToInf()
    {
        // Half has a 10-bit mantissa: near 1 the spacing is 2^-10.
        //   1 + 2^-11       : halfway between 1 (0x3C00) and 1 + 2^-10 (0x3C01); 0x3C00 is even -> 0x3C00
        //   1 + 3 * 2^-11   : halfway between 0x3C01 and 0x3C02; 0x3C01 is odd -> 0x3C02
        //   65504           : the largest half -> 0x7BFF
        //   65519           : below the midpoint 65520 between 65504 and 65536 -> 0x7BFF
        //   65520           : the midpoint; rounding to even goes to 65536, which is past the range -> +inf 0x7C00
        //   -0.5            : 0xB800
        //   2^-24           : the smallest subnormal -> 0x0001
        float[] inputs = [1f + MathF.Pow(2, -11), 1f + 3 * MathF.Pow(2, -11), 65504f, 65519f, 65520f, -0.5f, MathF.Pow(2, -24)];
        ushort[] expected = [0x3C00, 0x3C02, 0x7BFF, 0x7BFF, 0x7C00, 0xB800, 0x0001];
        using var x = Tensor.FromArray(inputs);
        using var h = x.To(DType.Float16);
        Assert.That(h.ToArray<Half>().Select(BitConverter.HalfToUInt16Bits).ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Cast_BetweenFloat16AndBFloat16_GoesThroughTheValue()
    {
        // 0.1 in half is 0x2E66 = 0.0999755859375; to bf16: float bits 0x3DCCC000, low half 0xC000 > 0x8000 -> 0x3DCD.
        using var h = Tensor.FromArray(new[] { BitConverter.UInt16BitsToHalf(0x2E66) });
        Assert.That((double)h.ToArray<Half>()[0], Is.EqualTo(0.0999755859375));
        using var b = h.To(DType.BFloat16);
        Assert.That(b.ToArray<BFloat16>()[0].Bits, Is.EqualTo((ushort)0x3DCD));
        // and back: bf16 0x3DCD = float 0x3DCD0000 = 0.10009765625, which in half rounds to 0x2E68 (0.10009765625 exactly).
        using var back = b.To(DType.Float16);
        Assert.That(BitConverter.HalfToUInt16Bits(back.ToArray<Half>()[0]), Is.EqualTo((ushort)0x2E68));
    }
}
