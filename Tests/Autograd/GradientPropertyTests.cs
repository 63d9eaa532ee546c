// Gradient properties over the op registry: for every registered op, on every backend, random samples (shapes,
// broadcast partners, non-contiguous layouts) pass a first-order gradient check, and a second-order one where the op
// is twice differentiable. A failure names the op, the device and the seed; replay it with
// GradCheck.Check(op.Apply, op.Sample(new Generator(seed)).On(device)).
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using FsCheck;
using FsCheck.Fluent;
using PropertyAttribute = FsCheck.NUnit.PropertyAttribute;

namespace DotGrad.Tests.Autograd;

public class GradientPropertyTests
{
    /// <summary>Samples per op, backend and order: small, because each check builds full Jacobians.</summary>
    private const int Runs = 8;

    /// <summary>Every backend: the OpenCL cases are skipped, with the reason, when no OpenCL runtime is installed.</summary>
    private static readonly Device[] Devices = [Device.Reference, Device.Cpu, Device.OpenCL(0)];

    public static IEnumerable<TestCaseData> FirstOrderCases() =>
        from op in OpRegistry.All
        from device in Devices
        select new TestCaseData(op.Name, device.ToString()).SetName($"FirstOrder({op.Name}, {device})");

    public static IEnumerable<TestCaseData> SecondOrderCases() =>
        from op in OpRegistry.All
        where op.TwiceDifferentiable
        from device in Devices
        select new TestCaseData(op.Name, device.ToString()).SetName($"SecondOrder({op.Name}, {device})");

    [TestCaseSource(nameof(FirstOrderCases))]
    public void FirstOrderGradientsMatchCentralDifferences(string name, string device) =>
        RunProperty(OpRegistry.Get(name), Device.Parse(device), secondOrder: false);

    [TestCaseSource(nameof(SecondOrderCases))]
    public void SecondOrderGradientsMatchCentralDifferences(string name, string device) =>
        RunProperty(OpRegistry.Get(name), Device.Parse(device), secondOrder: true);

    private static void RunProperty(OpSpec op, Device device, bool secondOrder)
    {
        TestDevices.Require(device);
        // Seeds without a shrinker: a failing seed is reported as is (shrinking an integer seed means nothing).
        var seeds = Arb.From(Gen.Choose(0, int.MaxValue));
        var property = Prop.ForAll(seeds, seed => CheckOne(op, device, (ulong)seed, secondOrder));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Runs).WithQuietOnSuccess(true), property);
    }

    /// <summary>One sample: throws with the op, device, seed and the worst element when the check fails.</summary>
    public static void CheckOne(OpSpec op, Device device, ulong seed, bool secondOrder)
    {
        var sample = op.Sample(new Generator(seed));
        var inputs = sample.On(device);
        string context = $"{op.Name} ({op.Family}) on {device}, seed {seed}, {(secondOrder ? "second" : "first")} order; {sample}";
        Tensor output;
        try { output = op.Apply(inputs); }
        catch (Exception ex) { throw new InvalidOperationException($"{context}: the forward failed: {ex.Message}", ex); }
        if (!output.RequiresGrad)
            throw new InvalidOperationException($"{context}: the output does not require grad, so the op recorded no graph (it has no backward yet)");
        GradCheckResult result;
        try
        {
            result = secondOrder
                ? GradCheck.CheckSecondOrder(op.Apply, inputs, eps: sample.Eps, seed: seed)
                : GradCheck.Check(op.Apply, inputs, eps: sample.Eps);
        }
        catch (Exception ex) { throw new InvalidOperationException($"{context}: the check threw {ex.GetType().Name}: {ex.Message}", ex); }
        if (!result.Passed) throw new GradCheckException($"{context}: {result.Message}");
    }

    [Test]
    public void EveryFunctionInTheLibrary_IsExercisedBySomeRegisteredOp()
    {
        var functions = typeof(Function).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(Function)) && !t.IsAbstract)
            .ToList();
        Assert.That(functions, Is.Not.Empty);
        var covered = OpRegistry.All.SelectMany(o => o.Functions).ToHashSet();
        var missing = functions.Where(t => !covered.Contains(t)).Select(t => t.FullName).OrderBy(n => n).ToList();
        Assert.That(missing, Is.Empty,
            "these Function classes have no gradient property; beside each, declare a [GradChecks] method with an op that exercises it (see OpChecks):\n" + string.Join("\n", missing));
    }

    [Test]
    public void TheRegistry_HasUniqueNamesAndCoversEveryFamily()
    {
        var names = OpRegistry.All.Select(o => o.Name).ToList();
        Assert.That(names, Is.Unique);
        Assert.That(OpRegistry.All.Select(o => o.Family).Distinct(),
            Is.EquivalentTo(new[] { "unary", "binary", "view", "reduce", "matmul", "index", "movement", "nn" }));
        Assert.That(OpRegistry.All.Where(o => o.Functions.Length == 0).Select(o => o.Name), Is.Empty, "every op lists its Function classes");
    }

    [Test]
    public void TheRegistry_FindsAtLeastTheOpsOfTheListItReplaced_InFamilyOrder()
    {
        // 109 ops were listed by hand in OpRegistry before each function declared its own: discovery that finds
        // fewer has lost declarations.
        Assert.That(OpRegistry.All, Has.Count.GreaterThanOrEqualTo(109));
        var names = OpRegistry.All.Select(o => o.Name).ToList();
        Assert.That(names, Is.SupersetOf(new[] { "exp", "clamp", "pow", "where", "reshape", "split_piece", "sum", "norm_inf", "matmul_2d",
                                                 "scatter_add", "cat", "tril", "cross_entropy", "mse", "layer_norm", "rms_norm", "attention_causal" }));
        var ranks = OpRegistry.All.Select(o => OpChecks.Families.ToList().IndexOf(o.Family)).ToList();
        Assert.That(ranks, Is.Ordered, "ops are listed family by family");
    }

    [Test]
    public void TheRegistry_OrderDoesNotDependOnTheOrderTypesAreFound()
    {
        var types = typeof(OpRegistry).Assembly.GetTypes();
        var reversed = OpRegistry.Discover(types.Reverse()).Select(o => o.Name);
        Assert.That(reversed, Is.EqualTo(OpRegistry.All.Select(o => o.Name)));
    }

    [Test]
    public void Discover_FindsAPlantedDeclaration_WithItsClassFirstAmongTheFunctions()
    {
        var ops = OpRegistry.Discover([typeof(Planted.Good)]);
        Assert.That(ops.Select(o => o.Name), Is.EqualTo(new[] { "planted_first", "planted_second" }));
        Assert.That(ops[1].Functions, Is.EqualTo(new[] { typeof(Planted.Good), typeof(DotGrad.Autodiff.Functions.Neg) }));
        Assert.That(ops[1].Family, Is.EqualTo("binary"));
        Assert.That(ops[0].TwiceDifferentiable && !ops[1].TwiceDifferentiable, Is.True);
    }

    [TestCase(typeof(Planted.TakesAnArgument), "not a static, parameterless")]
    [TestCase(typeof(Planted.OnAnInstanceMethod), "not a static, parameterless")]
    [TestCase(typeof(Planted.BuiltForAnotherClass), "builds checks for Exp")]
    [TestCase(typeof(Planted.UnknownFamily), "family 'unaryy'")]
    [TestCase(typeof(Planted.CompositeWithoutFunctions), "no function classes")]
    [TestCase(typeof(Planted.Good), "declared more than once")]
    public void Discover_RejectsADeclarationItCannotUse_RatherThanSkippingIt(Type planted, string message)
    {
        // The Good declaration is rejected only when its names are declared twice (it is passed twice).
        var types = planted == typeof(Planted.Good) ? new[] { planted, planted } : new[] { planted };
        var e = Assert.Throws<InvalidOperationException>(() => OpRegistry.Discover(types));
        Assert.That(e!.Message, Does.Contain(message).And.Contain(planted.Name));
    }

    /// <summary>Declarations that discovery must accept (Good) or reject, each with the reason in its name.</summary>
    private static class Planted
    {
        public sealed class Good
        {
            [GradChecks]
            internal static OpChecks Checks() => OpChecks.For<Good>("unary")
                .Op("planted_first", x => x[0].Exp(), d => d.Unary(-1, 1))
                .Op("planted_second", x => x[0] * x[1], d => d.Pair(-1, 1, -1, 1), twice: false,
                    uses: [typeof(DotGrad.Autodiff.Functions.Neg)], family: "binary");
        }

        public sealed class TakesAnArgument
        {
            [GradChecks]
            internal static OpChecks Checks(int n) => OpChecks.For<TakesAnArgument>("unary").Op($"planted_{n}", x => x[0], d => d.Unary(-1, 1));
        }

        public sealed class OnAnInstanceMethod
        {
            [GradChecks]
            internal OpChecks Checks() => OpChecks.For<OnAnInstanceMethod>("unary").Op("planted", x => x[0], d => d.Unary(-1, 1));
        }

        public sealed class BuiltForAnotherClass
        {
            [GradChecks]
            internal static OpChecks Checks() => OpChecks.For<DotGrad.Autodiff.Functions.Exp>("unary").Op("planted", x => x[0].Exp(), d => d.Unary(-1, 1));
        }

        public sealed class UnknownFamily
        {
            [GradChecks]
            internal static OpChecks Checks() => OpChecks.For<UnknownFamily>("unaryy").Op("planted", x => x[0], d => d.Unary(-1, 1));
        }

        public sealed class CompositeWithoutFunctions
        {
            [GradChecks]
            internal static OpChecks Checks() => OpChecks.Composite("nn").Op("planted", x => x[0], d => d.Unary(-1, 1));
        }
    }

    [Property(MaxTest = 40)]
    public Property Samplers_GiveSmallValidInputsThatTheOpAccepts() =>
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            foreach (var op in OpRegistry.All)
            {
                var sample = op.Sample(new Generator((ulong)seed));
                Assert.That(sample.Inputs, Is.Not.Empty, op.Name);
                foreach (var x in sample.Inputs)
                {
                    Assert.That(x.DType, Is.AnyOf(DType.Float64, DType.Int32, DType.Bool), op.Name);
                    Assert.That(x.Count, Is.LessThanOrEqualTo(40), $"{op.Name}: {sample}");
                    Assert.That(x.Device, Is.EqualTo(Device.Cpu), op.Name);
                }
                // The same seed gives the same sample.
                var again = op.Sample(new Generator((ulong)seed));
                for (int i = 0; i < sample.Inputs.Length; i++)
                    Assert.That(Values(again.Inputs[i]), Is.EqualTo(Values(sample.Inputs[i])), $"{op.Name}: the same seed gives the same input {i}");
                using var y = op.Apply(sample.Inputs);
                Assert.That(y.DType, Is.EqualTo(DType.Float64), op.Name);
            }
        });

    private static double[] Values(Tensor t)
    {
        using var d = t.To(DType.Float64);
        return d.ToArray<double>();
    }

    [Test]
    public void OpSample_On_KeepsTheLayoutOnEveryDevice()
    {
        // A sampler that draws non-contiguous inputs must still give non-contiguous inputs after moving to a device.
        var op = OpRegistry.Get("add");
        for (ulong seed = 0; seed < 50; seed++)
        {
            var sample = op.Sample(new Generator(seed));
            foreach (var device in Devices.Where(d => TestDevices.WhyUnavailable(d) is null)) // an absent OpenCL runtime is skipped elsewhere, with its reason
            {
                var moved = sample.On(device);
                for (int i = 0; i < moved.Length; i++)
                {
                    Assert.That(moved[i].Strides, Is.EqualTo(sample.Inputs[i].Strides), $"seed {seed}, {device}");
                    Assert.That(moved[i].ToArray<double>(), Is.EqualTo(sample.Inputs[i].ToArray<double>()));
                    Assert.That(moved[i].RequiresGrad && moved[i].IsLeaf, Is.True);
                }
            }
        }
        Assert.That(Enumerable.Range(0, 50).Any(s => op.Sample(new Generator((ulong)s)).Inputs.Any(x => !x.IsContiguous)), Is.True,
            "some samples are non-contiguous");
    }
}
