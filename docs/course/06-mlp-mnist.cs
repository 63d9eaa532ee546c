// Lesson 6: a linear classifier and an MLP on MNIST, first from bare tensors with a hand-written SGD step, then the
// same MLP with the library's Linear layers, a Module and an optimizer.
// Run it from the repository root: dotnet run --file docs/course/06-mlp-mnist.cs
#:project Kit/DotGrad.Course.csproj
#:property PublishAot=false
using System.Diagnostics;
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Cli.Data;
using DotGrad.Course;
using DotGrad.Models;
using DotGrad.Optim;

int steps = Lesson.Steps(full: 2000, quick: 20);   // SGD steps per model
const int B = 128;                                 // images per step
var clock = Stopwatch.StartNew();

// region: data
// MNIST: 60,000 training and 10,000 test images of 28 x 28 grey pixels in [0, 1], with labels 0..9.
var (train, test) = Mnist.Load(Lesson.Data("mnist"));
int nTrain = Lesson.Quick ? 2_000 : train.Count;   // the quick mode trains on a small subset
// Each image becomes one row of 784 numbers, standardised with the training set's mean and standard deviation so
// that the inputs are centred on 0 with unit spread: the first layer's outputs then start at a sensible scale.
Tensor Images(MnistSplit s, int n) => (Tensor.FromArray(s.Pixels[..(n * 784)], [n, 784]) - 0.1307) / 0.3081;
var xTrain = Images(train, nTrain);                            // [N, 784] Float32
var yTrain = Tensor.FromArray(train.Labels[..nTrain], [nTrain]); // [N] Int32
var xTest = Images(test, test.Count);                          // [10000, 784]
var yTest = Tensor.FromArray(test.Labels, [test.Count]);       // [10000]
// endregion
Console.WriteLine($"train images [{string.Join(", ", xTrain.Shape)}], test images [{string.Join(", ", xTest.Shape)}]");

// region: sgd
// Trains a model given as a function images [B, 784] -> logits [B, 10] whose parameters are the leaf tensors ps,
// with plain SGD: p <- p - lr * dloss/dp. Returns the loss of every step.
double[] TrainByHand(Func<Tensor, Tensor> model, Tensor[] ps, double lr, Generator g)
{
    var losses = new double[steps];
    for (int step = 0; step < steps; step++)
    {
        using var scope = Tensor.NewDisposeScope();             // every tensor made in this step is released at its end
        var idx = Tensor.Randint(0, nTrain, [B], g);             // [B] random image numbers (with replacement)
        var x = xTrain.IndexSelect(0, idx);                      // [B, 784]
        var y = yTrain.IndexSelect(0, idx);                      // [B]
        var loss = Functional.CrossEntropy(model(x), y);         // scalar: the mean over the batch of -log p(label)
        foreach (var p in ps) p.ZeroGrad();                      // gradients add up across Backward calls: clear them
        loss.Backward();                                         // dloss/dp into p.Grad for every leaf p
        using (Autograd.NoGrad())                                // the update is not part of the model: record nothing
            foreach (var p in ps) p.Detach()[..] = p - p.Grad! * lr; // in place, so p stays the same leaf tensor
        losses[step] = loss.Item();
    }
    return losses;
}
// endregion

// region: accuracy
// The fraction of test images whose largest logit is the right digit; no gradients needed, so no graph is built.
double Accuracy(Func<Tensor, Tensor> model)
{
    using var scope = Tensor.NewDisposeScope();
    using var noGrad = Autograd.NoGrad();
    var predicted = model(xTest).Argmax(1);                    // [10000, 10] -> [10000] Int64
    return predicted.Eq(yTest).Float().Mean().Item();          // Bool -> 0/1 -> the mean
}
// endregion

void Report(string name, double[] losses, long parameters, double accuracy, double seconds)
{
    Console.WriteLine($"{name}: {parameters:N0} parameters");
    foreach (int s in new[] { 0, steps / 5, 2 * steps / 5, 3 * steps / 5, 4 * steps / 5, steps - 1 })
        Console.WriteLine($"  step {s}: loss {losses[s]:F3}");
    Console.WriteLine($"  test accuracy {accuracy * 100:F1}% after {steps} steps of {B} images, {seconds:F1} s");
}

// region: linear
// Softmax regression: one matrix and one bias, logits = x W + b. Ten templates, one per digit, scored by dot product.
var g = new Generator(seed: 1);
var W = (Tensor.Randn([784, 10], g) * 0.01).RequireGrad();     // [784, 10] leaf: small, so the first logits are ~0
var b = Tensor.Zeros(10).RequireGrad();                        // [10] leaf
Tensor LinearModel(Tensor x) => x.MatMul(W) + b;               // [B, 784] @ [784, 10] + [10] -> [B, 10]
var t0 = clock.Elapsed.TotalSeconds;
var linearLosses = TrainByHand(LinearModel, [W, b], lr: 0.1, g);
// endregion
Report("linear, by hand", linearLosses, W.Count + b.Count, Accuracy(LinearModel), clock.Elapsed.TotalSeconds - t0);


// region: mlp
// A hidden layer of 128 ReLU units between input and output: logits = relu(x W1 + b1) W2 + b2.
// He initialisation (std sqrt(2 / fan_in)) keeps the hidden activations at the input's scale, since ReLU zeroes half.
var W1 = (Tensor.Randn([784, 128], g) * Math.Sqrt(2.0 / 784)).RequireGrad();  // [784, 128]
var b1 = Tensor.Zeros(128).RequireGrad();                                      // [128]
var W2 = (Tensor.Randn([128, 10], g) * Math.Sqrt(1.0 / 128)).RequireGrad();   // [128, 10]
var b2 = Tensor.Zeros(10).RequireGrad();                                       // [10]
Tensor MlpModel(Tensor x)
{
    var h = (x.MatMul(W1) + b1).Relu();    // [B, 784] @ [784, 128] + [128] -> [B, 128]
    return h.MatMul(W2) + b2;              // [B, 128] @ [128, 10] + [10] -> [B, 10]
}
t0 = clock.Elapsed.TotalSeconds;
var mlpLosses = TrainByHand(MlpModel, [W1, b1, W2, b2], lr: 0.1, g);
// endregion
Report("MLP, by hand", mlpLosses, W1.Count + b1.Count + W2.Count + b2.Count, Accuracy(MlpModel), clock.Elapsed.TotalSeconds - t0);

// region: modules
// The same MLP from the library's pieces: Linear layers hold their own weights, the module lists its parameters,
// and the optimizer owns the update (here SGD with momentum: it steps along a running sum of recent gradients).
using var net = new DigitMlp(hidden: 128, g);
using var opt = new Sgd(net.Parameters(), new SgdOptions { Lr = 0.05, Momentum = 0.9 });
var moduleLosses = new double[steps];
t0 = clock.Elapsed.TotalSeconds;
for (int step = 0; step < steps; step++)
{
    using var scope = Tensor.NewDisposeScope();
    var idx = Tensor.Randint(0, nTrain, [B], g);                // [B]
    var loss = Functional.CrossEntropy(net.Call(xTrain.IndexSelect(0, idx)), yTrain.IndexSelect(0, idx));
    opt.ZeroGrad();
    loss.Backward();
    opt.Step();                                                 // p <- p - lr * b, with b = 0.9 b + g
    moduleLosses[step] = loss.Item();
}
// endregion
Report("MLP, with modules", moduleLosses, net.ParameterCount(), Accuracy(net.Call), clock.Elapsed.TotalSeconds - t0);

// The loss curves, each averaged over a window of steps: one batch's loss is noisy.
static double[] Smooth(double[] v, int w) =>
    v.Select((_, i) => v[Math.Max(0, i - w + 1)..(i + 1)].Average()).ToArray();
var xs = Enumerable.Range(0, steps).Select(i => (double)i).ToArray();
int window = Math.Max(1, steps / 100);
Console.WriteLine();
Console.WriteLine("figure: " + Draw.Lines("06-loss.png", "MNIST training loss (moving average)", "step", "cross entropy",
    ("linear, by hand", xs, Smooth(linearLosses, window)), ("MLP, by hand", xs, Smooth(mlpLosses, window)),
    ("MLP, modules + SGD momentum", xs, Smooth(moduleLosses, window))));

// region: mistakes
// The first test images the trained MLP gets wrong, with what it said.
long[] predictions;                                            // Int64, as torch.argmax gives
using (Autograd.NoGrad())
using (var logits = net.Call(xTest))                           // [10000, 10]
using (var argmax = logits.Argmax(1))                          // [10000]
    predictions = argmax.ToArray<long>();
var wrong = Enumerable.Range(0, test.Count).Where(i => predictions[i] != test.Labels[i]).Take(10).ToArray();
// endregion
Console.WriteLine($"{predictions.Where((p, i) => p != test.Labels[i]).Count()} of {test.Count} test images are wrong");
Console.WriteLine("figure: " + Lesson06.DigitRow("06-mistakes.png", "Test digits the MLP gets wrong (label -> prediction)",
    wrong.Select(i => test.Pixels[(i * 784)..((i + 1) * 784)]).ToArray(),
    wrong.Select(i => $"{test.Labels[i]} -> {predictions[i]}").ToArray()));
Console.Error.WriteLine($"total {clock.Elapsed.TotalSeconds:F1} s");

// region: module
// A Module registers its layers in its constructor; the names (fc1.weight, fc1.bias, ...) come from AddModule.
sealed class DigitMlp : Module<Tensor, Tensor>
{
    private readonly Linear _fc1, _fc2;

    public DigitMlp(int hidden, Generator g)
    {
        _fc1 = AddModule("fc1", new Linear(784, hidden, generator: g));  // weight [hidden, 784], bias [hidden]
        _fc2 = AddModule("fc2", new Linear(hidden, 10, generator: g));   // weight [10, hidden], bias [10]
    }

    public override Tensor Forward(Tensor x) => _fc2.Call(_fc1.Call(x).Relu()); // [B, 784] -> [B, hidden] -> [B, 10]
}
// endregion
