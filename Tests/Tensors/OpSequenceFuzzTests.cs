// A fuzzer of the public tensor API: random inputs (0-size and 1-size dims, non-contiguous layouts, every dtype) run
// through random sequences of ops on each device and on Device.Reference. Every op must either succeed and agree with
// the reference, or throw a documented exception (ArgumentException and its kinds, NotSupportedException) whose
// message names the op, alike on both; never crash, hang or give other values. Each run reports how many of its
// cases went through the whole sequence, and fails if too few did (a suite passing because everything threw).
using DotGrad.Backends;
using FsCheck;
using FsCheck.Fluent;
using PropertyAttribute = FsCheck.NUnit.PropertyAttribute;

namespace DotGrad.Tests.Tensors;

[TestFixture("cpu")]
[TestFixture("opencl:0")]
[NonParallelizable] // the valid-case counters are per fixture
public class OpSequenceFuzzTests
{
    private const int Runs = 150;
    private readonly Device _device;
    private int _cases, _valid;

    public OpSequenceFuzzTests(string device) => _device = Device.Parse(device);

    [OneTimeSetUp]
    public void RequireDevice() => TestDevices.Require(_device);

    /// <summary>One op of a sequence: its name (as its error messages give it) and what it does with its parameter p.</summary>
    private sealed record Op(string Name, Func<Tensor, int, Tensor> Apply);

    private static int Dim(Tensor x, int p) => x.Rank == 0 ? 0 : p % x.Rank;

    private static readonly Op[] Ops =
    [
        new("exp", (x, _) => x.Exp()),
        new("tanh", (x, _) => x.Tanh()),
        new("relu", (x, _) => x.Relu()),
        new("abs", (x, _) => x.Abs()),
        new("neg", (x, _) => x.Neg()),
        new("sqrt", (x, _) => x.Sqrt()),
        new("square", (x, _) => x.Square()),
        new("sigmoid", (x, _) => x.Sigmoid()),
        new("clamp", (x, _) => x.Clamp(-0.5, 0.5)),
        new("sum", (x, p) => x.Sum(Dim(x, p), keepDim: p % 2 == 0)),
        new("mean", (x, p) => x.Mean(Dim(x, p))),
        new("amax", (x, p) => x.Amax([Dim(x, p)])),
        new("softmax", (x, p) => x.Softmax(Dim(x, p))),
        new("transpose", (x, p) => x.Transpose(0, Dim(x, p))),
        new("flatten", (x, _) => x.Flatten()),
        new("unsqueeze", (x, p) => x.Unsqueeze(x.Rank == 0 ? 0 : p % (x.Rank + 1))),
        new("squeeze", (x, _) => x.Squeeze()),
        new("narrow", (x, p) => x.Narrow(Dim(x, p), 0, x.Rank == 0 ? 1 : Math.Min(1, x.ShapeRef[Dim(x, p)]))),
        new("matmul", (x, _) => x.MatMul(x.Rank >= 2 ? x.Transpose(-1, -2) : x)),
        new("add", (x, p) => x + x.Sum(Dim(x, p), keepDim: true)),
        new("mul", (x, _) => x * x),
        new("gt", (x, _) => x.Gt(0.0)),
        new("where", (x, _) => Tensor.Where(x.Gt(0.0), x, x * 2.0)),
        new("cat", (x, p) => Tensor.Cat([x, x], Dim(x, p))),
        new("cast", (x, p) => x.To(new[] { DType.Float32, DType.Float64, DType.Int32, DType.BFloat16, DType.Int64 }[p % 5])),
    ];

    private static readonly Gen<int> Size = Gen.Frequency((1, Gen.Constant(0)), (4, Gen.Constant(1)), (8, Gen.Choose(2, 5)));

    /// <summary>A random start: shape, layout, dtype and seed; then 1-5 ops, each with a parameter.</summary>
    private static readonly Gen<(CrossBackendPropertyTests.Input Input, (int Op, int P)[] Steps)> Case =
        from rank in Gen.Choose(0, 4)
        from shape in Gen.ArrayOf(Size, rank)
        from layout in Gen.Elements(CrossBackendPropertyTests.Layout.Contiguous, CrossBackendPropertyTests.Layout.Transposed, CrossBackendPropertyTests.Layout.Strided)
        from seed in Gen.Choose(0, int.MaxValue)
        from dtype in Gen.Elements(DType.Float32, DType.Float64, DType.Int32, DType.BFloat16, DType.Bool, DType.Int64)
        from length in Gen.Choose(1, 5)
        from steps in Gen.ArrayOf(Gen.Choose(0, Ops.Length - 1).SelectMany(o => Gen.Choose(0, 1000).Select(p => (o, p))), length)
        select (new CrossBackendPropertyTests.Input(shape, layout, seed, DType.Float64), steps.Select(s => (s.Item1, s.Item2)).ToArray()) switch
        {
            var (input, st) => (input with { DType = dtype }, st),
        };

    [Property(MaxTest = Runs)]
    public Property RandomOpSequences_SucceedAndAgreeWithTheReference_OrFailAlikeNamingTheOp() =>
        Prop.ForAll(Case.ToArbitrary(), c =>
        {
            _cases++;
            var (input, steps) = c;
            string what = $"{input} then {string.Join(" -> ", steps.Select(s => $"{Ops[s.Op].Name}({s.P})"))}";
            var (deviceResult, deviceError, deviceAt, loosest) = Run(_device, input, steps);
            var (referenceResult, referenceError, referenceAt, _) = Run(Device.Reference, input, steps);
            try
            {
                Assert.That(deviceAt, Is.EqualTo(referenceAt), $"{what}: {_device} stopped at op {deviceAt} ({deviceError?.Message}), the reference at {referenceAt} ({referenceError?.Message})");
                if (deviceError is not null || referenceError is not null)
                {
                    Assert.That(deviceError?.GetType(), Is.EqualTo(referenceError?.GetType()), what);
                    // The library's messages begin with the name of the op that refused ("narrow: ...", "maximum: ..." when a
                    // step is built from it), then say what was expected and what was given.
                    Assert.That(System.Text.RegularExpressions.Regex.IsMatch(deviceError!.Message, @"^[a-z_][a-z0-9_ ]*: "), Is.True,
                                $"{what}: the message names the op: {deviceError.Message}");
                    return;
                }
                _valid++;
                Assert.That(deviceResult!.Shape, Is.EqualTo(referenceResult!.Shape), what);
                Assert.That(deviceResult.DType, Is.EqualTo(referenceResult.DType), what);
                double[] got = Check.Values(deviceResult), expected = Check.Values(referenceResult);
                // As loose as the least precise float the values passed through: an ulp of difference there survives a
                // later cast up to Float64, and a later cast to an integer (or a comparison) can flip by one.
                bool exact = loosest is null;
                double tol = exact ? 0
                    : deviceResult.DType is DType.Int32 or DType.Int64 or DType.Bool ? 1
                    : loosest switch { DType.Float64 => 1e-9, DType.Float32 => 1e-3, _ => 5e-2 };
                if (deviceResult.DType is DType.Int32 or DType.Int64 or DType.Bool && !exact)
                {
                    for (int i = 0; i < got.Length; i++) Assert.That(Math.Abs(got[i] - expected[i]), Is.LessThanOrEqualTo(1), $"{what}: element {i}");
                    return;
                }
                for (int i = 0; i < got.Length; i++)
                {
                    if (double.IsNaN(expected[i])) { Assert.That(double.IsNaN(got[i]), Is.True, $"{what}: element {i}"); continue; }
                    if (double.IsInfinity(expected[i])) { Assert.That(got[i], Is.EqualTo(expected[i]), $"{what}: element {i}"); continue; }
                    Assert.That(got[i], Is.EqualTo(expected[i]).Within(tol * (1 + Math.Abs(expected[i]))), $"{what}: element {i}");
                }
            }
            finally
            {
                deviceResult?.Dispose();
                referenceResult?.Dispose();
            }
        });

    /// <summary>The sequence on one device: the result, or the documented exception and the index of the op that threw it.</summary>
    /// <remarks>Also returns the least precise floating-point dtype the values passed through (null: none, all exact).</remarks>
    private static (Tensor? Result, Exception? Error, int At, DType? Loosest) Run(Device device, CrossBackendPropertyTests.Input input, (int Op, int P)[] steps)
    {
        Tensor x;
        using (var start = (input with { DType = DType.Float64 }).Make(device))
            x = start.To(input.DType);
        DType? loosest = null;
        void Note(DType dtype)
        {
            int Rank(DType d) => d switch { DType.Float64 => 3, DType.Float32 => 2, DType.Float16 or DType.BFloat16 => 1, _ => 4 };
            if (Rank(dtype) < 4 && (loosest is null || Rank(dtype) < Rank(loosest.Value))) loosest = dtype;
        }
        Note(x.DType);
        for (int i = 0; i < steps.Length; i++)
        {
            try
            {
                var next = Ops[steps[i].Op].Apply(x, steps[i].P);
                if (!ReferenceEquals(next, x)) x.Dispose();
                x = next;
                Note(x.DType);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException)
            {
                x.Dispose();
                return (null, e, i, loosest);
            }
        }
        return (x, null, steps.Length, loosest);
    }

    [OneTimeTearDown]
    public void Report()
    {
        if (_cases == 0) return;
        TestContext.Progress.WriteLine($"{GetType().Name} on {_device}: {_valid} of {_cases} random op sequences ran to the end on both; the rest failed alike with a message naming the op");
        Assert.That(_valid, Is.GreaterThanOrEqualTo(_cases / 3), $"only {_valid} of {_cases} cases were valid: the generator mostly makes inputs every op refuses");
    }
}

/// <summary>What the fuzzer found: narrow and slice on a 0-d tensor read a dim it does not have (an IndexOutOfRangeException).</summary>
public class ZeroDimViewTests
{
    [Test]
    public void NarrowAndSlice_OnA0dTensor_ThrowAnArgumentErrorNamingTheOp()
    {
        using var x = Tensor.Scalar(1.0);
        Assert.That(Assert.Throws<ArgumentException>(() => x.Narrow(0, 0, 1))!.Message, Does.StartWith("narrow: cannot be applied to a 0-d tensor"));
        Assert.That(Assert.Throws<ArgumentException>(() => x.Slice(0, 0, 1))!.Message, Does.StartWith("slice: cannot be applied to a 0-d tensor"));
    }
}
