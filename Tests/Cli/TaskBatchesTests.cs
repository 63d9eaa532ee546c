// The tasks' training batches, now drawn through the library's data loading (DotGrad.Data), are exactly what the
// tasks drew before it existed: the former draws are written out below as the reference, so every documented run, and
// every checkpoint's saved data state, means the same batches as before. Prefetch changes nothing, and the generator
// state after each batch is what the former code left in the run's generator.
using DotGrad.Backends;
using DotGrad.Cli.Tasks;

namespace DotGrad.Tests.Cli;

public class TaskBatchesTests
{
    /// <summary>Takes <paramref name="count"/> batches with the given prefetch: their input and target values and the data state after each.</summary>
    private static List<(int[] Input, int[] Target, ulong Offset)> Draw(ITrainingTask task, int batchSize, ulong seed, int prefetch, int count)
    {
        using var batches = task.Batches(batchSize, (seed, 0), Device.Cpu, prefetch);
        var result = new List<(int[], int[], ulong)>();
        for (int i = 0; i < count; i++)
        {
            var b = batches.Next();
            var input = b.Input.DType == DType.Int32 ? b.Input.ToArray<int>() : b.Input.ToArray<float>().Select(BitConverter.SingleToInt32Bits).ToArray();
            result.Add((input, b.Target.ToArray<int>(), batches.State.Offset));
            b.Input.Dispose();
            b.Target.Dispose();
        }
        return result;
    }

    [Test]
    public void Sort_DrawsAsBefore_HeldOutRedrawsIncluded()
    {
        // Digits 3: 1,000 possible lists, about 865 of them held out (2,000 draws), so most batches redraw some lists.
        var task = new SortTask(3, heldOutSeed: 7);
        var held = new HashSet<string>();
        using (var lists = Tensor.Randint(0, 10, [2000, 3], new Generator(7), DType.Int32, Device.Cpu))
        {
            var v = lists.ToArray<int>();
            for (int i = 0; i < 2000; i++) held.Add(string.Concat(v.AsSpan(i * 3, 3).ToArray()));
        }
        // The former SortTask.NextBatch: one draw of [B, n] digits, then, list by list, a redraw of [n] while it is held out.
        var g = new Generator(21);
        var expected = new List<(int[], int[], ulong)>();
        const int B = 8, n = 3, T = 6;
        for (int step = 0; step < 25; step++)
        {
            var digits = Tensor.Randint(0, 10, [B, n], g, DType.Int32, Device.Cpu).ToArray<int>();
            var input = new int[B * T];
            var target = new int[B * T];
            for (int b = 0; b < B; b++)
            {
                var list = digits.AsSpan(b * n, n).ToArray();
                while (held.Contains(string.Concat(list))) list = Tensor.Randint(0, 10, [n], g, DType.Int32, Device.Cpu).ToArray<int>();
                int[] full = [.. list, 10, .. list.Order()];
                for (int t = 0; t < T; t++)
                {
                    input[b * T + t] = full[t];
                    target[b * T + t] = t >= n ? full[t + 1] : -100;
                }
            }
            expected.Add((input, target, g.Offset));
        }
        Assert.That(expected[^1].Item3, Is.GreaterThan(25UL * B * n), "redraws happened, so the offsets are not a multiple of the batch");
        Assert.That(Draw(task, B, 21, prefetch: 0, 25), Is.EqualTo(expected));
        Assert.That(Draw(task, B, 21, prefetch: 3, 25), Is.EqualTo(expected));
    }

    [Test]
    public void Text_DrawsRandomWindowsAsBefore()
    {
        string path = Path.Combine(CliRunner.TempDir("task-batches-text"), "text.txt");
        var text = string.Concat(Enumerable.Range(0, 400).Select(i => (char)('a' + (i * 7 + i / 13) % 26)));
        File.WriteAllText(path, text);
        var task = TextTask.Load(path, context: 8);
        var ids = task.Vocab.Encode(text, "test");
        int trainLength = (int)(ids.Length * 0.9), T = 8, B = 5;
        // The former TextTask.NextBatch: B starts from Randint(0, trainLength - T), windows ids[s .. s+T) and ids[s+1 .. s+T].
        var g = new Generator(3);
        var expected = new List<(int[], int[], ulong)>();
        for (int step = 0; step < 20; step++)
        {
            var starts = Tensor.Randint(0, trainLength - T, [B], g, DType.Int32, Device.Cpu).ToArray<int>();
            expected.Add((starts.SelectMany(s => ids[s..(s + T)]).ToArray(), starts.SelectMany(s => ids[(s + 1)..(s + T + 1)]).ToArray(), g.Offset));
        }
        Assert.That(Draw(task, B, 3, prefetch: 0, 20), Is.EqualTo(expected));
        Assert.That(Draw(task, B, 3, prefetch: 2, 20), Is.EqualTo(expected));
    }

    [Test]
    public void Mnist_DrawsImagesAsBefore()
    {
        var dir = IdxFiles.Directory(CliRunner.TempDir("task-batches-mnist"), train: 40, test: 10, gzip: false);
        var task = MnistTask.Load(dir, [1, 3, 4]);
        // The former MnistTask.NextBatch: B picks from Randint(0, TrainCount) into the kept training images (file order),
        // gathered as Images does, with each digit's class (1, 3, 4 -> 0, 1, 2).
        var kept = Enumerable.Range(0, 40).Where(i => task.FileLabels(test: false)[i] is 1 or 3 or 4).ToArray();
        var g = new Generator(17);
        var expected = new List<(int[], int[], ulong)>();
        const int B = 6;
        for (int step = 0; step < 15; step++)
        {
            var picks = Tensor.Randint(0, task.TrainCount, [B], g, DType.Int32, Device.Cpu).ToArray<int>().Select(i => kept[i]).ToArray();
            using var images = task.Images(test: false, picks, Device.Cpu);
            var classes = picks.Select(i => Array.IndexOf(new[] { 1, 3, 4 }, task.FileLabels(test: false)[i])).ToArray();
            expected.Add((images.ToArray<float>().Select(BitConverter.SingleToInt32Bits).ToArray(), classes, g.Offset));
        }
        Assert.That(Draw(task, B, 17, prefetch: 0, 15), Is.EqualTo(expected));
        Assert.That(Draw(task, B, 17, prefetch: 2, 15), Is.EqualTo(expected));
    }
}
