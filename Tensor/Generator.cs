// Seeded random-number generators: a seed plus a counter, so every random tensor can be reproduced.
namespace DotGrad;

/// <summary>
/// A random-number generator: a 64-bit seed and a counter of how many numbers have been drawn. Each random
/// tensor of n elements takes counters [Offset, Offset + n) of the Philox4x32-10 stream and advances Offset,
/// so the same seed gives the same tensors on every run, every backend and any thread count.
/// Like <c>torch.Generator</c>; the numbers themselves differ from PyTorch's.
/// </summary>
public sealed class Generator
{
    /// <summary>The seed of <see cref="Default"/> at start-up.</summary>
    public const ulong DefaultSeed = 2024;

    public Generator(ulong seed = DefaultSeed)
    {
        Seed = seed;
    }

    /// <summary>The generator used when none is passed; reseed it with <see cref="ManualSeed"/>.</summary>
    public static Generator Default { get; } = new();

    public ulong Seed { get; private set; }

    /// <summary>How many counters have been used so far.</summary>
    public ulong Offset { get; set; }

    /// <summary>Restarts the stream from a new seed.</summary>
    public Generator ManualSeed(ulong seed)
    {
        Seed = seed;
        Offset = 0;
        return this;
    }

    /// <summary>Reserves <paramref name="count"/> counters and returns the first.</summary>
    public ulong Advance(int count)
    {
        lock (this)
        {
            ulong start = Offset;
            Offset += (ulong)count;
            return start;
        }
    }

    /// <summary>The state to save in a checkpoint: (seed, offset).</summary>
    public (ulong Seed, ulong Offset) GetState() => (Seed, Offset);

    public void SetState((ulong Seed, ulong Offset) state) => (Seed, Offset) = state;
}
