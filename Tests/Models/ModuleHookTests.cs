// Forward and forward-pre hooks: the order they run in, replacing an input or an output, removal (also from inside a
// hook), a hook that throws, and the two uses people reach for: capturing a GPT block's activations and patching one.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Tests.Tensors;

namespace DotGrad.Tests.Models;

public class ModuleHookTests
{
    /// <summary>y = x + 1, writing "forward" into a shared log when it runs.</summary>
    private sealed class AddOne(List<string> log) : Module<Tensor, Tensor>
    {
        public override Tensor Forward(Tensor x)
        {
            log.Add("forward");
            return x + 1;
        }
    }

    private static Tensor X() => Tensor.FromArray(new[] { 1.0, 2.0 });

    [Test]
    public void Hooks_RunInRegistrationOrder_AroundTheForward()
    {
        var log = new List<string>();
        using var m = new AddOne(log);
        m.RegisterForwardHook((_, _, _) => log.Add("post 1"));
        m.RegisterForwardPreHook((_, _) => log.Add("pre 1"));
        m.RegisterForwardHook((_, _, _) => log.Add("post 2"));
        m.RegisterForwardPreHook((_, _) => log.Add("pre 2"));
        m.RegisterForwardPreHook((_, _) => log.Add("pre 0"), prepend: true);
        m.RegisterForwardHook((_, _, _) => log.Add("post 0"), prepend: true);
        m.Call(X());
        Assert.That(log, Is.EqualTo(new[] { "pre 0", "pre 1", "pre 2", "forward", "post 0", "post 1", "post 2" }));
        log.Clear();
        m.Forward(X());
        Assert.That(log, Is.EqualTo(new[] { "forward" }), "Forward called directly skips the hooks, as module.forward(x) does in PyTorch");
    }

    [Test]
    public void Hooks_ReplaceInputAndOutput_AndLaterHooksSeeTheReplacement()
    {
        using var m = new AddOne([]);
        Tensor? seenInput = null, seenOutput = null;
        m.RegisterForwardPreHook((_, x) => x * 10);                       // [1, 2] -> [10, 20]
        m.RegisterForwardPreHook((_, _) => null);                         // null keeps the input
        m.RegisterForwardHook((_, x, y) => { seenInput = x; return y * 2; }); // forward gave [11, 21]; -> [22, 42]
        m.RegisterForwardHook((_, _, y) => seenOutput = y);              // a looking hook: sees [22, 42], changes nothing
        var output = m.Call(X());
        Check.Close(output, [2], [22, 42], atol: 0);
        Check.Close(seenInput!, [2], [10, 20], atol: 0);
        Assert.That(seenOutput, Is.SameAs(output));
    }

    [Test]
    public void Remove_UnregistersTheHook_AndIsHarmlessTwice()
    {
        var log = new List<string>();
        using var m = new AddOne(log);
        var a = m.RegisterForwardHook((_, _, _) => log.Add("a"));
        var b = m.RegisterForwardPreHook((_, x) => x * 0);
        m.RegisterForwardHook((_, _, _) => log.Add("c"));
        Check.Close(m.Call(X()), [2], [1, 1], atol: 0);                   // 0 * x + 1
        a.Remove();
        b.Dispose();
        a.Remove();
        b.Dispose();
        log.Clear();
        Check.Close(m.Call(X()), [2], [2, 3], atol: 0);
        Assert.That(log, Is.EqualTo(new[] { "forward", "c" }));
    }

    [Test]
    public void HookRemovingItself_FinishesThisCall_AndIsGoneFromTheNext()
    {
        var log = new List<string>();
        using var m = new AddOne(log);
        HookHandle? self = null;
        self = m.RegisterForwardHook((_, _, _) => { log.Add("once"); self!.Remove(); });
        m.RegisterForwardHook((_, _, _) => log.Add("always"));
        m.Call(X());
        m.Call(X());
        Assert.That(log, Is.EqualTo(new[] { "forward", "once", "always", "forward", "always" }));
    }

    [Test]
    public void ThrowingHook_PropagatesAndLeavesTheModuleUsable()
    {
        var log = new List<string>();
        using var m = new AddOne(log);
        int calls = 0;
        var bad = m.RegisterForwardPreHook((_, _) => { if (calls++ == 0) throw new InvalidOperationException("hook failed"); });
        m.RegisterForwardHook((_, _, y) => y * 3);
        var e = Assert.Throws<InvalidOperationException>(() => m.Call(X()))!;
        Assert.That(e.Message, Is.EqualTo("hook failed"));
        Assert.That(log, Is.Empty, "the forward did not run");
        Check.Close(m.Call(X()), [2], [6, 9], atol: 0);                   // (x + 1) * 3: the hooks still run, in order
        bad.Remove();
        Check.Close(m.Call(X()), [2], [6, 9], atol: 0);
        // A throwing forward hook, and the summary's bookkeeping afterwards.
        using var h = m.RegisterForwardHook((_, _, _) => throw new ArgumentException("post failed"));
        Assert.Throws<ArgumentException>(() => m.Call(X()));
        h.Dispose();
        Assert.That(m.Summary(X()), Does.Contain("AddOne"));
    }

    [Test]
    public void Hooks_FireOnModulesInsideASequential()
    {
        var log = new List<string>();
        using var seq = new Sequential(new AddOne(log), new AddOne(log));
        var outputs = new List<double[]>();
        foreach (var child in seq) child.RegisterForwardHook((_, _, y) => outputs.Add(Check.Values(y)));
        Check.Close(seq.Call(X()), [2], [3, 4], atol: 0);
        Assert.That(outputs, Is.EqualTo(new[] { new[] { 2.0, 3 }, new[] { 3.0, 4 } }));
    }

    [Test]
    public void Gpt_BlockActivations_CanBeCapturedAndAnOutputReplaced()
    {
        using var gpt = new Gpt(new GptConfig(VocabSize: 12, ContextLength: 8, Width: 16, Depth: 3, Heads: 2), new Generator(6), DType.Float64);
        gpt.Eval();
        using var tokens = Tensor.FromArray(new[] { 1, 5, 7, 2, 3, 11, 0, 4 }, [2, 4]);
        var outputs = new Tensor?[3];
        var inputs = new Tensor?[3];
        var handles = new List<HookHandle>();
        for (int i = 0; i < 3; i++)
        {
            int k = i;
            handles.Add(gpt.Blocks[k].RegisterForwardPreHook((_, x) => inputs[k] = x));
            handles.Add(gpt.Blocks[k].RegisterForwardHook((_, _, y) => outputs[k] = y));
        }
        var logits = Check.Values(gpt.Call(tokens));
        for (int i = 0; i < 3; i++) Assert.That(outputs[i]!.Shape, Is.EqualTo(new[] { 2, 4, 16 }), $"block {i} output [B, T, C]");
        // Each block's captured output is what the next block received, and re-running a block on its captured input
        // (hooks removed) reproduces its captured output.
        for (int i = 0; i < 2; i++) Assert.That(inputs[i + 1], Is.SameAs(outputs[i]));
        foreach (var h in handles) h.Remove();
        Assert.That(Check.Values(gpt.Blocks[1].Call(inputs[1]!)), Is.EqualTo(Check.Values(outputs[1]!)));

        // Replace the last block's output with zeros: ln_f of a zero row is its bias (0 at GPT-2 initialisation), and the
        // tied head maps 0 to 0, so every logit is 0. Removing the hook brings back the original logits exactly.
        using (gpt.Blocks[2].RegisterForwardHook((_, _, y) => Tensor.ZerosLike(y)))
            Assert.That(Check.Values(gpt.Call(tokens)), Is.All.EqualTo(0.0));
        Assert.That(Check.Values(gpt.Call(tokens)), Is.EqualTo(logits));
    }
}
