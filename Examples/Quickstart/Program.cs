// A first look at DotGrad tensors: creation, views, broadcasting, reductions, matmul and a stable softmax.
using DotGrad;

var g = new Generator(seed: 42);

var x = Tensor.Arange(0, 6).Reshape(2, 3).Float();
Console.WriteLine($"x =\n{x}\n");
Console.WriteLine($"x.T (a view, no copy) =\n{x.T}\n");
Console.WriteLine($"x[.., 1..] =\n{x[.., 1..]}\n");

var w = Tensor.Randn([3, 4], g);
var b = Tensor.Ones(4) * 0.5;
var h = (x.MatMul(w) + b).Gelu();         // [2, 3] @ [3, 4] + [4] broadcast
Console.WriteLine($"gelu(x @ w + b) =\n{h}\n");

var logits = Tensor.FromArray(new float[,] { { 1000f, 1001f, 1002f }, { -5f, 0f, 5f } });
Console.WriteLine($"softmax of large logits stays finite =\n{logits.Softmax(-1)}\n");

var (values, indices) = h.Max(dim: 1);
Console.WriteLine($"row max = {values}\nargmax = {indices}\n");
Console.WriteLine($"mean = {h.Mean().Item():F4}, unbiased var over rows = {h.Var(1)}");
