// Text generation from a Gpt, as nanoGPT's generate: crop to the context, take the last position's logits, then
// temperature, top-k and one draw from the softmax (or the argmax when greedy); with a key/value cache, each step
// runs only the newest token through the model.
using DotGrad.Autodiff;
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>Sampling from a <see cref="Gpt"/>: <c>gpt.Generate(prompt, maxTokens, temperature, topK, generator)</c>.</summary>
public static class GptSampling
{
    /// <summary>
    /// Continues each row of <paramref name="prompt"/> [B, T0] by <paramref name="maxTokens"/> tokens, as nanoGPT's
    /// <c>generate</c>: feed the last ContextLength tokens, take the logits at the last position, divide by
    /// <paramref name="temperature"/>, keep the <paramref name="topK"/> largest (ties with the k-th are kept), sample
    /// from the softmax. Temperature 0 is greedy (argmax; the first maximum on ties) and draws no random numbers.
    /// Each step draws B uniforms from <paramref name="generator"/> (<see cref="Generator.Default"/> when null), so a
    /// seed gives the same tokens on every run. Returns [B, T0 + maxTokens] of the prompt's dtype (Int32 or Int64) on its device; runs
    /// without recording gradients. Sampling itself (top-k, softmax, inverse CDF) runs on the host in double.
    /// <para>With <paramref name="kvCache"/> (the default) the prompt goes through the model once and each later step
    /// feeds only the newest token, reading the earlier keys and values from a <see cref="KvCache"/>: O(T) work per
    /// token instead of O(T^2). The tokens are those of the full recomputation (<paramref name="kvCache"/> false): the
    /// same model on the same positions. On the CPU the logits are bit for bit the same where every kernel computes a
    /// row the same way whatever the number of rows: products below the GEMM's plain-loop threshold (16^3
    /// multiply-adds) and no soft caps. The packed GEMM of larger products rounds differently from the plain loop (FMA,
    /// depth blocks), and an elementwise tanh differs in its last bit between its vector and scalar forms, so there
    /// 1 new row and the whole window agree to float rounding, and a token could differ only where two candidates tie
    /// to that precision.
    /// Once the sequence is longer than ContextLength, every step recomputes the window of the last ContextLength
    /// tokens, exactly as without the cache (in the shifted window every token has a new position). A model in
    /// training mode with dropout does not use the cache (each forward draws new masks); call Eval() first.</para>
    /// </summary>
    public static Tensor Generate(this Gpt gpt, Tensor prompt, int maxTokens, double temperature = 1.0, int? topK = null, Generator? generator = null,
                                  bool kvCache = true)
    {
        ArgumentNullException.ThrowIfNull(gpt);
        Gpt.CheckTokens(prompt, nameof(prompt));
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        if (!(temperature >= 0) || double.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "Gpt.Generate: temperature must be finite and >= 0 (0 is greedy)");
        if (topK is <= 0) throw new ArgumentOutOfRangeException(nameof(topK), topK, "Gpt.Generate: topK must be positive (or null for no cut)");
        generator ??= Generator.Default;
        int B = prompt.Size(0), T0 = prompt.Size(1), V = gpt.Config.VocabSize, total = T0 + maxTokens;
        var tokens = new int[B, total];
        var start = prompt.To(DType.Int32).Contiguous().ToArray<int>();              // ids below VocabSize: exact
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T0; t++) tokens[b, t] = start[b * T0 + t];

        using var noGrad = Autograd.NoGrad();
        int context = gpt.Config.ContextLength;
        using var cache = kvCache && !(gpt.Training && gpt.Config.HasDropout) && T0 <= context && maxTokens > 1
            ? new KvCache(gpt, Math.Min(context, total))
            : null;
        for (int n = T0; n < total; n++)
        {
            using var scope = Tensor.NewDisposeScope();                              // frees each step's tensors
            // With the cache: the prompt once, then only the token added last step (positions cache.Length .. n-1).
            // Without it, or once n > context: the last min(n, context) tokens, from position 0.
            bool cached = cache is not null && n <= context;
            int from = cached ? cache!.Length : Math.Max(0, n - context), T = n - from;
            var window = new int[B * T];
            for (int b = 0; b < B; b++)
                for (int t = 0; t < T; t++) window[b * T + t] = tokens[b, from + t];
            var idx = Tensor.FromArray(window, [B, T], prompt.Device);               // [B, T]
            var last = gpt.Logits(gpt.Hidden(idx, cached ? cache : null)[.., ^1]);   // [B, T, C] -> [B, C] -> [B, V]
            var logits = last.To(DType.Float64).To(Device.Cpu).ToArray<double>();   // B * V on the host
            double[]? uniforms = temperature == 0 ? null : Tensor.Rand([B], generator, DType.Float64, Device.Cpu).ToArray<double>();
            for (int b = 0; b < B; b++)
            {
                var row = logits.AsSpan(b * V, V);
                tokens[b, n] = uniforms is null ? Argmax(row) : Sample(row, temperature, topK, uniforms[b]);
            }
        }
        var result = new int[B * total];
        for (int b = 0; b < B; b++)
            for (int t = 0; t < total; t++) result[b * total + t] = tokens[b, t];
        using var ids = Tensor.FromArray(result, [B, total], prompt.Device);
        return ids.To(prompt.DType);
    }

    private static int Argmax(ReadOnlySpan<double> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
            if (row[i] > row[best]) best = i;
        return best;
    }

    /// <summary>One draw from softmax(logits / temperature) restricted to the top k, by inverting the CDF at u in [0, 1).</summary>
    private static int Sample(Span<double> logits, double temperature, int? topK, double u)
    {
        for (int i = 0; i < logits.Length; i++) logits[i] /= temperature;
        if (topK is { } k && k < logits.Length)
        {
            var sorted = logits.ToArray();
            Array.Sort(sorted);
            double kth = sorted[^k];                                                 // the k-th largest
            for (int i = 0; i < logits.Length; i++)
                if (logits[i] < kth) logits[i] = double.NegativeInfinity;
        }
        double max = double.NegativeInfinity;
        foreach (var l in logits) max = Math.Max(max, l);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += logits[i] = Math.Exp(logits[i] - max); // stable softmax, unnormalised
        double target = u * sum, cumulative = 0;
        int last = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            if (logits[i] == 0) continue;
            cumulative += logits[i];
            last = i;
            if (target < cumulative) return i;
        }
        return last;                                                                 // u * sum rounded up to the total
    }
}
