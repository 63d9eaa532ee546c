// Lesson 8: causal self-attention from tensors: queries, keys, values, scaled scores, the mask, softmax, the weighted
// sum, then several heads; checked against the library's attention, and drawn as a map.
// Run it from the repository root: dotnet run --file docs/course/08-attention.cs
#:project Kit/DotGrad.Course.csproj
#:property PublishAot=false
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Course;
using DotGrad.Models;

// region: tokens
// A sequence of characters, each turned into a token id and then into a vector of C numbers by a lookup table.
const string text = "the cat sat on the mat";
var vocab = text.Distinct().Order().ToArray();                          // the characters that occur: ' ', 'a', 'c', ...
var ids = text.Select(ch => Array.IndexOf(vocab, ch)).ToArray();
int B = 1, T = text.Length, C = 16, V = vocab.Length;
var g = new Generator(seed: 3);
var table = Tensor.Randn([V, C], g);                                    // [V, C]: one learnable row per character
var x = table.IndexSelect(0, Tensor.FromArray(ids, [T])).Unsqueeze(0);  // [T] ids -> [T, C] -> [B, T, C]
// endregion
Console.WriteLine($"\"{text}\": T = {T} tokens, vocabulary of V = {V} characters, x [{Dims(x)}]");

// region: qkv
// Every position emits a query (what it looks for), a key (what it offers) and a value (what it passes on),
// each a linear map of its own vector. One head of size hs.
int hs = C;
var Wq = Tensor.Randn([C, hs], g) / Math.Sqrt(C);   // [C, hs]: dividing by sqrt(C) keeps q at x's scale
var Wk = Tensor.Randn([C, hs], g) / Math.Sqrt(C);   // [C, hs]
var Wv = Tensor.Randn([C, hs], g) / Math.Sqrt(C);   // [C, hs]
var q = x.MatMul(Wq);                               // [B, T, C] @ [C, hs] -> [B, T, hs]
var k = x.MatMul(Wk);                               // [B, T, hs]
var v = x.MatMul(Wv);                               // [B, T, hs]
// endregion

// region: scores
// How well query i matches key j: their dot product, for all pairs at once, scaled by 1/sqrt(hs).
var scores = q.MatMul(k.MT) / Math.Sqrt(hs);        // [B, T, hs] @ [B, hs, T] -> [B, T, T]
// endregion

// region: mask
// Causal: position i may only look at positions j <= i (it must not see the future it will be asked to predict).
// -inf above the diagonal becomes exp(-inf) = 0 in the softmax: no weight at all.
var rows = Tensor.Arange(0, T, 1, DType.Int32).Unsqueeze(1);       // [T, 1]: i
var cols = Tensor.Arange(0, T, 1, DType.Int32);                    // [T]: j
var future = cols.Gt(rows);                                        // [T, T] Bool, true where j > i
var masked = scores.MaskedFill(future, double.NegativeInfinity);   // [B, T, T], broadcast over B
// endregion

// region: weights
// Softmax over j turns each row of scores into weights that sum to 1; the output at i is the weighted mean of values.
var att = masked.Softmax(-1);                       // [B, T, T]
var y = att.MatMul(v);                              // [B, T, T] @ [B, T, hs] -> [B, T, hs]
// endregion

Console.WriteLine($"q, k, v [{Dims(q)}]; scores, att [{Dims(att)}]; y [{Dims(y)}]");
Console.WriteLine("masked scores, first 5 positions:");
PrintCorner(masked, 5);
Console.WriteLine("attention weights, first 5 positions (rows sum to 1):");
PrintCorner(att, 5);

// region: sdpa
// The library's scaled dot-product attention does the same four steps.
var ySdpa = Functional.ScaledDotProductAttention(q, k, v, causal: true);   // [B, T, hs]
// endregion
Console.WriteLine($"max |y - ScaledDotProductAttention| = {MaxDiff(y, ySdpa):0.0e+00}");

// region: causal
// Causality, checked: change the last character's vector and no earlier output moves.
var x2 = x.Clone();
x2[.., T - 1] = Tensor.Randn([B, C], g);                           // a different token at the last position
var y2 = Functional.ScaledDotProductAttention(x2.MatMul(Wq), x2.MatMul(Wk), x2.MatMul(Wv), causal: true); // [B, T, hs]
// endregion
Console.WriteLine($"after changing the last token: positions 0..{T - 2} move by {MaxDiff(y[.., ..(T - 1)], y2[.., ..(T - 1)]):0.0e+00}, position {T - 1} by {MaxDiff(y[.., T - 1], y2[.., T - 1]):F3}");

// region: scale
// Why 1/sqrt(hs): for q and k with unit-variance entries, q.k is a sum of hs products and has variance hs. Unscaled,
// long heads give large scores, and softmax of large scores puts nearly all weight on one key.
Console.WriteLine();
Console.WriteLine("   hs  std(q.k)  std(q.k)/sqrt(hs)  mean largest weight, unscaled  scaled");
foreach (int d in new[] { 4, 16, 64, 256 })
{
    using var scope = Tensor.NewDisposeScope();
    var qs = Tensor.Randn([256, d], g);                            // [256, d]: 256 queries
    var ks = Tensor.Randn([256, d], g);                            // [256, d]: 256 keys
    var s = qs.MatMul(ks.MT);                                      // [256, 256]
    double raw = s.Std().Item(), top = s.Softmax(-1).Amax([-1]).Mean().Item();
    var scaled = s / Math.Sqrt(d);
    double std = scaled.Std().Item(), topScaled = scaled.Softmax(-1).Amax([-1]).Mean().Item();
    Console.WriteLine($"{d,5}  {raw,8:F2}  {std,17:F2}  {top,29:F3}  {topScaled,6:F3}");
}
// endregion

// region: heads
// nh heads of size hs = C / nh, taken from a library MultiHeadAttention so that both use the same weights.
// A Linear stores its weight as [out, in] and computes x W^T + b.
const int nh = 4;
int headSize = C / nh;
using var mha = new MultiHeadAttention(new AttentionConfig(Width: C, Heads: nh, Causal: true), g);
Tensor Project(Tensor t, Linear l) => t.MatMul(l.Weight.MT) + l.Bias!;     // [B, T, C] @ [C, C] + [C] -> [B, T, C]
var qh = Project(x, mha.Query).View(B, T, nh, headSize).Transpose(1, 2);  // [B, T, C] -> [B, T, nh, hs] -> [B, nh, T, hs]
var kh = Project(x, mha.Key).View(B, T, nh, headSize).Transpose(1, 2);    // [B, nh, T, hs]
var vh = Project(x, mha.Value).View(B, T, nh, headSize).Transpose(1, 2);  // [B, nh, T, hs]
var atth = (qh.MatMul(kh.MT) / Math.Sqrt(headSize))                       // [B, nh, T, hs] @ [B, nh, hs, T] -> [B, nh, T, T]
           .MaskedFill(future, double.NegativeInfinity)                   // [B, nh, T, T], the same mask for every head
           .Softmax(-1);                                                  // [B, nh, T, T]
var yh = atth.MatMul(vh);                                                 // [B, nh, T, T] @ [B, nh, T, hs] -> [B, nh, T, hs]
var merged = yh.Transpose(1, 2).Reshape(B, T, C);                         // [B, nh, T, hs] -> [B, T, nh, hs] -> [B, T, C]
var yMulti = Project(merged, mha.Out);                                    // [B, T, C]: mixes what the heads found
// endregion
Console.WriteLine();
Console.WriteLine($"{nh} heads of size {headSize}: q [{Dims(qh)}], att [{Dims(atth)}], merged [{Dims(merged)}]");
using (Autograd.NoGrad())
{
    Console.WriteLine($"max |heads - ScaledDotProductAttention on [B, nh, T, hs]| = {MaxDiff(yh, Functional.ScaledDotProductAttention(qh, kh, vh, causal: true)):0.0e+00}");
    Console.WriteLine($"max |by hand - MultiHeadAttention.Call(x)| = {MaxDiff(yMulti, mha.Call(x)):0.0e+00}");
}

// region: readable
// A head whose weights we can read: x is the one-hot vector of each character, Wq = a I and Wk = Wv = I, so query i
// scores a against key j when they are the same character and 0 otherwise. Each position attends to the earlier
// occurrences of its own character (and itself), with weight e^a over 1 for the rest.
const double a = 4.0;
var onehot = Tensor.FromArray(ids, [T]).OneHot(V).Float().Unsqueeze(0);  // [B, T, V]
var qr = onehot * (a * Math.Sqrt(V));                                    // [B, T, V]: the sqrt(V) cancels the scaling
var map = (qr.MatMul(onehot.MT) / Math.Sqrt(V)).MaskedFill(future, double.NegativeInfinity).Softmax(-1); // [B, T, T]
// endregion

var labels = text.Select(ch => ch == ' ' ? "_" : ch.ToString()).ToArray();
var values = new double[T, T];
var p = map.ToArray<float>();
for (int i = 0; i < T; i++)
    for (int j = 0; j < T; j++)
        values[i, j] = p[i * T + j];
Console.WriteLine();
Console.WriteLine($"the readable head: the last 't' (position {text.LastIndexOf('t')}) gives {values[text.LastIndexOf('t'), text.IndexOf('t')]:F3} to each earlier 't' and {values[text.LastIndexOf('t'), 1]:F3} to each other character");
Console.WriteLine("figure: " + Draw.Heatmap("08-attention-map.png", "Attention weights of the same-character head (row: query, column: key)", values, labels, labels));

// Shapes and values printed the same way on every machine.
static string Dims(Tensor t) => string.Join(", ", t.Shape);
static double MaxDiff(Tensor a, Tensor b)
{
    using var d = (a - b).Abs().Max();
    return d.Item();
}
static void PrintCorner(Tensor m, int n)
{
    var values = m.ToArray<float>();
    int T = m.Size(-1);
    for (int i = 0; i < n; i++)
        Console.WriteLine("  " + string.Join(" ", Enumerable.Range(0, n).Select(j => float.IsNegativeInfinity(values[i * T + j]) ? "   -inf" : $"{values[i * T + j],7:F3}")));
}
